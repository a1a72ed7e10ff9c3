"""``url_for`` that remembers: each URL built once per worker.

A URL is a pure function of the route map, the endpoint, its arguments and the request's script
root, and pages link to the same things over and over (a thread list builds ~90 URLs, a search page
~50 facet links, at ~10-20 µs each). Templates get it as their ``url_for``; views that build many
links call it directly. Relative endpoints, ``_external``/``_anchor``-style options, unhashable
arguments and calls outside a request go to Flask's ``url_for`` every time.
"""
from flask import current_app, has_request_context, request, url_for

URLS_REMEMBERED = 20_000  # per worker; the map is cleared when full (~100 bytes an entry)


def remembered_url_for(endpoint: str, **values) -> str:
    if endpoint[:1] == "." or not has_request_context() or any(name[:1] == "_" for name in values):
        return url_for(endpoint, **values)
    remembered = current_app.extensions.setdefault("cop_urls", {})
    key = (request.script_root, endpoint, *((name, type(value), value) for name, value in sorted(values.items())))
    try:
        return remembered[key]
    except KeyError:
        pass
    except TypeError:  # a list of values for one query argument
        return url_for(endpoint, **values)
    url = url_for(endpoint, **values)
    if len(remembered) >= URLS_REMEMBERED:
        remembered.clear()
    remembered[key] = url
    return url

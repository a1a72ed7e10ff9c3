"""Templates' ``url_for`` remembers the URLs it built: always the URL Flask would build."""
from flask import url_for


def _template_url(app, endpoint, **values):
    return app.jinja_env.globals["url_for"](endpoint, **values)


def test_remembered_urls_are_the_urls_flask_builds(app):
    calls = [("discussions.thread", {"thread_id": 7}), ("discussions.thread", {"thread_id": 7, "page": 2}),
             ("tags.tag", {"name": "c++ & rust/go"}), ("communities.directory", {"q": "ünïcode", "page": 1}),
             ("communities.directory", {"page": 1}), ("communities.directory", {"page": True}), ("communities.directory", {"page": None}),
             ("discussions.thread", {"thread_id": 7, "_anchor": "post-9"}),
             ("discussions.thread", {"thread_id": 7, "_external": True}),
             ("communities.directory", {"tag": ["a", "b"]})]
    for script_root in ("", "/cop"):
        with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
            for endpoint, values in calls * 2:  # the second time from memory
                assert _template_url(app, endpoint, **values) == url_for(endpoint, **values)
            assert _template_url(app, "discussions.thread", thread_id=7) == f"{script_root}/t/7"
    with app.test_request_context("/t/1"):
        assert _template_url(app, ".thread", thread_id=3) == "/t/3"  # relative to the request's blueprint
    app.config["SERVER_NAME"] = "cop.example"
    with app.app_context():  # outside a request (e-mail): Flask's own, every time
        assert _template_url(app, "discussions.thread", thread_id=5) == "http://cop.example/t/5"


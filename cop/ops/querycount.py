"""``COP_COUNT_QUERIES=1``: every response says how many SQL statements it ran (``X-Query-Count``).

For the benchmark (``bench/``), which checks that a page's query count does
not grow with the data. Off by default: the listener is not even attached.
"""

from flask import current_app, g, has_request_context
from flask.sansio.app import App
from sqlalchemy import event
from sqlalchemy.engine import Engine

HEADER = "X-Query-Count"


def _count(*_args, **_kwargs):
    if has_request_context() and current_app.config.get("COUNT_QUERIES"):
        g._cop_query_count = g.get("_cop_query_count", 0) + 1


def init_app(app: App) -> None:
    if not app.config.get("COUNT_QUERIES"):
        return
    if not event.contains(Engine, "before_cursor_execute", _count):
        event.listen(Engine, "before_cursor_execute", _count)

    @app.after_request
    def add_header(response):
        response.headers[HEADER] = str(g.get("_cop_query_count", 0))
        return response

"""The benchmark's WSGI app: the production app plus the floor route (``bench.floor``).

``gunicorn -c python:cop.gunicorn_conf bench.wsgi:app`` — the same gunicorn
configuration as production.
"""

from bench import floor
from cop import create_app

app = create_app()
floor.register(app)

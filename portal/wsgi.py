"""The WSGI entry point for gunicorn: ``gunicorn 'portal.wsgi:app'``.

Each worker process builds one app, then freezes the objects that exist at
that point (models, routes, templates, the SQLAlchemy metadata) out of the
garbage collector's way: they live as long as the process, and without the
freeze every full collection during a request walks all of them again
(about a sixth of a large forecast page's time).
"""
import gc

from portal import create_app

app = create_app()
gc.freeze()

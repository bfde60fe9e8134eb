"""WSGI entry point: ``gunicorn server:app`` or ``waitress-serve server:app``."""

from kg.web import create_app

app = create_app()

"""The web service: an application factory and one blueprint per concern."""

from __future__ import annotations

from flask import Flask

from kg.config import Settings
from kg.store import Store, open_store


def create_app(settings: Settings | None = None, store: Store | None = None) -> Flask:
    """Build the Flask app over ``store`` (opened from ``settings.store`` when not given)."""
    from kg.web.home import home
    from kg.web.sparql import sparql

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["KG_SETTINGS"] = settings
    app.extensions["kg_store"] = store or open_store(settings.store)
    app.register_blueprint(sparql)
    app.register_blueprint(home)
    return app

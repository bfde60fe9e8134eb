"""Access to the settings and store of the running app from inside a request."""

from __future__ import annotations

from flask import current_app

from kg.config import Settings
from kg.store import Store


def settings() -> Settings:
    value: Settings = current_app.config["KG_SETTINGS"]
    return value


def store() -> Store:
    value: Store = current_app.extensions["kg_store"]
    return value

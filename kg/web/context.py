"""Access to the settings, store, query workers and result cache of the running app."""

from __future__ import annotations

from flask import current_app

from kg.config import Settings
from kg.store import Store
from kg.web.pool import WorkerPool
from kg.web.responses import ResultCache
from kg.web.stores import StoreAccess


def settings() -> Settings:
    value: Settings = current_app.config["KG_SETTINGS"]
    return value


def access() -> StoreAccess:
    value: StoreAccess = current_app.extensions["kg_access"]
    return value


def store() -> Store:
    """The store to read from in this request (a snapshot as of the last committed write)."""
    return access().reader()


def pool() -> WorkerPool:
    value: WorkerPool = current_app.extensions["kg_pool"]
    return value


def cache() -> ResultCache:
    value: ResultCache = current_app.extensions["kg_cache"]
    return value

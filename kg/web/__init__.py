"""The web service: an application factory and one blueprint per concern.

``sparql`` (``/sparql``, ``/query``: the SPARQL 1.1 Protocol), ``update`` (``/update``),
``graph_store`` (``/store``: the Graph Store HTTP Protocol), ``description`` (the service
description, ``/.well-known/void``), ``health`` (``/health``) and ``home`` (``/``). Queries and
Graph Store reads run in a pool of worker processes (``kg.web.pool``) started with the first of
them; the server process reads through refreshed read-only snapshots and opens the store for
writing only for the length of a write (``kg.web.stores``). The store may also be a remote
SPARQL server (``--store http://...``): the workers then forward queries to it, and this server
keeps its own limits, pages and safety in front of it.
"""

from __future__ import annotations

from flask import Flask, Response
from werkzeug.exceptions import HTTPException, InternalServerError

from kg.config import Settings
from kg.errors import StoreError, StoreLocked, UpstreamError
from kg.store import Store
from kg.web.access_log import AccessLog
from kg.web.pool import WorkerPool
from kg.web.responses import (
    ALLOWED_HEADERS,
    EXPOSED_HEADERS,
    ResultCache,
    error,
    upstream_error,
)
from kg.web.stores import open_access


def create_app(settings: Settings | None = None, store: Store | None = None) -> Flask:
    """Build the Flask app for ``settings`` (from the environment when not given) over the store
    at ``settings.store`` (a folder, or a remote store: an ``http(s)://`` URL or a ``.toml``
    file), or over ``store`` when given (which it then reads and writes). Raises ConfigError
    for an unusable remote store configuration."""
    from kg.web.description import FactsCache, description
    from kg.web.graph_store import graph_store
    from kg.web.health import health
    from kg.web.linked_data import linked_data
    from kg.web.pages import pages
    from kg.web.releases import releases
    from kg.web.sparql import sparql
    from kg.web.update import update

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["KG_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = 3 * settings.max_query_bytes + 65536
    access = open_access(settings, store)
    access.ensure_exists()
    app.extensions["kg_access"] = access
    app.extensions["kg_pool"] = WorkerPool(access.worker_source, settings.query_workers)
    app.extensions["kg_cache"] = ResultCache()
    app.extensions["kg_facts"] = FactsCache()
    for blueprint in (sparql, update, graph_store, description, health, pages,
                      linked_data, releases):
        app.register_blueprint(blueprint)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(StoreError, _store_error)
    app.register_error_handler(UpstreamError, upstream_error)
    app.after_request(_cors)
    app.after_request(_no_sniffing)
    app.wsgi_app = AccessLog(  # type: ignore[method-assign]
        app.wsgi_app, secrets=[settings.update_token] if settings.update_token else [])
    return app


def _http_error(raised: HTTPException) -> Response:
    """Errors raised by Flask and werkzeug (404, 405 with Allow, 413 ...) as plain text."""
    if isinstance(raised, InternalServerError):
        return error(500, "internal server error (the server's log has the details)")
    headers = {name: value for name, value in raised.get_headers() if name != "Content-Type"}
    return error(raised.code or 500, raised.description or raised.name, headers)


def _store_error(raised: StoreError) -> Response:
    """A store that cannot be read now (a write under way, files missing) is 503, not 500."""
    retry = {"Retry-After": "2"} if isinstance(raised, StoreLocked) else {}
    return error(503, f"the store cannot be read now: {raised.message}", retry)


def _no_sniffing(response: Response) -> Response:
    """Every answer is read as the media type it declares: a plain-text error that quotes the
    request (``<script>`` in a query) is never sniffed into HTML."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _cors(response: Response) -> Response:
    """Every answer may be read by scripts of any origin (no cookies are used; writes need the
    bearer token, which a browser never sends by itself)."""
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if "Allow" in headers:  # the answer to a preflight OPTIONS
        headers["Access-Control-Allow-Methods"] = headers["Allow"]
        headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        headers["Access-Control-Max-Age"] = "86400"
    return response

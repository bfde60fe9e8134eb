"""``/health``: whether this server can answer, for load balancers and process supervisors."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from kg.errors import StoreError
from kg.web import context

health = Blueprint("health", __name__)


@health.route("/health")
def check() -> Response:
    """``200`` with ``{"status": "ok", ...}`` when the store can be read (a remote store: its
    server answers a trivial query within 5 s); ``503`` with ``{"status": "unavailable",
    "reason": ...}`` when it cannot. Also reports the store version (``generation``), whether
    writes are enabled, and the query workers (configured, running, idle, replaced after a
    timeout or a crash)."""
    pool = context.pool()
    workers = {"configured": pool.size, "running": pool.alive(), "idle": pool.idle(),
               "replaced": pool.replaced}
    try:
        context.access().check()
    except StoreError as error:
        response = jsonify(status="unavailable", reason=error.message, workers=workers)
        response.status_code = 503
        return response
    return jsonify(status="ok", generation=context.access().generation(),
                   writable=context.settings().writable, workers=workers)

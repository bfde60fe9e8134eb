"""Run the service with a production WSGI server (waitress)."""

from __future__ import annotations

import sys

from kg.config import Settings
from kg.web import create_app


def serve(settings: Settings, *, host: str, port: int, threads: int = 8) -> None:
    """Serve the app on ``host:port`` until interrupted."""
    import waitress

    app = create_app(settings)
    base = f"http://{host}:{port}"
    print(f"kg: serving {settings.store}\n  SPARQL endpoint: {base}/sparql\n  home: {base}/",
          file=sys.stderr, flush=True)
    waitress.serve(app, host=host, port=port, threads=threads, ident="scholarly-kg")

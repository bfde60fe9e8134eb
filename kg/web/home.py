"""A small home page: what the dataset holds and where the SPARQL endpoint is."""

from __future__ import annotations

from html import escape

from flask import Blueprint, Response, url_for

from kg.stats import collect
from kg.web import context

home = Blueprint("home", __name__)


@home.route("/")
def index() -> Response:
    stats = collect(context.store())
    rows = "".join(f"<tr><th scope=row>{escape(k.replace('_', ' '))}</th><td>{v}</td></tr>"
                   for k, v in stats.as_dict().items())
    endpoint = escape(url_for("sparql.query", _external=True))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>scholarly-kg</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>scholarly-kg</h1>
<p>A knowledge graph of publication records.
SPARQL endpoint: <a href="{endpoint}">{endpoint}</a></p>
<table><caption>Dataset</caption>{rows}</table></main></body></html>"""
    return Response(page, mimetype="text/html")

"""The archival releases over HTTP: ``/releases/`` lists them, ``/releases/{name}/`` lists a
release's files, ``/releases/{name}/{file}`` serves one.

Files are served as they are on disk (a ``.gz`` file as ``application/gzip``, so that clients
keep the bytes ``SHA256SUMS`` describes), with ``Content-Length``, ``ETag`` (the SHA-256),
range requests and a year of caching (a release never changes). Only the files a release's
``SHA256SUMS`` lists (and that file itself) are served, and only when the resolved path stays
inside the releases folder: anything else, ``..`` and symbolic links included, is 404.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from flask import Blueprint, Response, jsonify, request, send_file, url_for

from kg.errors import SourceError
from kg.release.layout import SUMS, ReleaseName, list_releases, read_sums
from kg.web import context

releases = Blueprint("releases", __name__)

MEDIA_TYPES = {
    ".gz": "application/gzip",
    ".ttl": "text/turtle",
    ".nq": "application/n-quads",
    ".ru": "application/sparql-update",
    ".md": "text/markdown",
    ".txt": "text/plain",
    SUMS: "text/plain",
}
YEAR = 365 * 24 * 3600


def media_type(name: str) -> str:
    """The media type a release file is served with, from its name."""
    base = name.rsplit("/", 1)[-1]
    if base in MEDIA_TYPES:
        return MEDIA_TYPES[base]
    suffix = "." + base.rsplit(".", 1)[-1] if "." in base else ""
    return MEDIA_TYPES.get(suffix, "application/octet-stream")


def _not_found(what: str) -> Response:
    return Response(f"no such {what}\n", status=404, mimetype="text/plain")


def _folder() -> Path:
    return Path(context.settings().releases)


def _release(name: str) -> Path | None:
    if ReleaseName.parse(name) is None:
        return None
    for path in list_releases(_folder()):
        if path.name == name:
            return path
    return None


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _page(title: str, body: str) -> Response:
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"""
    return Response(page, mimetype="text/html")


@releases.route("/releases/")
def index() -> Response:
    names = [path.name for path in reversed(list_releases(_folder()))]
    if _wants_json():
        return jsonify({"releases": [
            {"name": name, "url": url_for("releases.listing", name=name, _external=True)}
            for name in names]})
    items = "".join(f'<li><a href="{escape(url_for("releases.listing", name=n))}">'
                    f"{escape(n)}</a></li>" for n in names)
    return _page("Releases", f"<ul>{items}</ul>" if items else "<p>No release yet.</p>")


@releases.route("/releases/<name>/")
def listing(name: str) -> Response:
    folder = _release(name)
    if folder is None:
        return _not_found("release")
    try:
        sums = read_sums(folder)
    except SourceError:
        return _not_found("release")
    files = [(file, digest, (folder / file).stat().st_size)
             for file, digest in sorted(sums.items()) if (folder / file).is_file()]
    if _wants_json():
        return jsonify({"name": name, "files": [
            {"name": file, "sha256": digest, "bytes": size, "media_type": media_type(file),
             "url": url_for("releases.download", name=name, file=file, _external=True)}
            for file, digest, size in files]})
    rows = "".join(
        f'<tr><td><a href="{escape(url_for("releases.download", name=name, file=file))}">'
        f"{escape(file)}</a></td><td>{size}</td><td><code>{digest}</code></td></tr>"
        for file, digest, size in files)
    sums_link = escape(url_for("releases.download", name=name, file=SUMS))
    return _page(f"Release {name}", f"""<table><thead><tr><th>file</th><th>bytes</th>
<th>SHA-256</th></tr></thead><tbody>{rows}</tbody></table>
<p>Check with <a href="{sums_link}">{SUMS}</a>: <code>sha256sum -c {SUMS}</code>.</p>""")


@releases.route("/releases/<name>/<path:file>")
def download(name: str, file: str) -> Response:
    folder = _release(name)
    if folder is None:
        return _not_found("release")
    try:
        sums = read_sums(folder)
    except SourceError:
        return _not_found("release")
    if file != SUMS and file not in sums:
        return _not_found("file in this release")
    root = folder.resolve()
    path = (folder / file).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return _not_found("file in this release")
    response = send_file(path, mimetype=media_type(file), conditional=True,
                         etag=sums.get(file, True), max_age=YEAR)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response

"""Static files (CSS, scripts, images, fonts): content-addressed URLs cached for a year, text sent gzipped.

Every ``url_for("static", ...)`` gets ``?v=<first 12 hex digits of the file's SHA-256>``; a request with
the current hash is answered with ``Cache-Control: public, max-age=31536000, immutable``, so a browser asks
for main.css once, not on every page, and a changed file has a new URL. Without the hash (or with an old
one) the answer must be revalidated. CSS, JavaScript and SVG are sent gzip-compressed to clients that
accept it. Files are read, hashed and compressed on first use and kept per process (they are small);
a file changed on disk (development) is read again.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, abort, current_app, request
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml", "text/plain"}


@dataclass(frozen=True)
class Asset:
    modified_ns: int
    content: bytes
    digest: str
    mimetype: str
    gzipped: bytes | None


_assets: dict[str, Asset] = {}


def _asset(folder: str, filename: str) -> Asset | None:
    path = safe_join(folder, filename)
    if path is None or not os.path.isfile(path):
        return None
    modified = os.stat(path).st_mtime_ns
    known = _assets.get(path)
    if known is not None and known.modified_ns == modified:
        return known
    with open(path, "rb") as handle:
        content = handle.read()
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    compressible = mimetype in COMPRESSIBLE and len(content) > 512
    asset = Asset(
        modified,
        content,
        hashlib.sha256(content).hexdigest()[:12],
        mimetype,
        gzip.compress(content, compresslevel=9, mtime=0) if compressible else None,
    )
    _assets[path] = asset
    return asset


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        asset = _asset(str(current_app.static_folder), values["filename"])
        if asset is not None:
            values["v"] = asset.digest


def _serve(filename: str) -> Response:
    asset = _asset(str(current_app.static_folder), filename)
    if asset is None:
        abort(404)
    gzipped = asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(asset.gzipped if gzipped else asset.content, mimetype=asset.mimetype)
    if asset.mimetype.startswith("text/") or asset.mimetype.endswith("javascript"):
        response.charset = "utf-8"
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    if asset.gzipped is not None:
        response.vary.add("Accept-Encoding")
    response.set_etag(asset.digest + ("-gz" if gzipped else ""))
    if request.args.get("v") == asset.digest:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


def init_static_files(app: Flask) -> None:
    """Serve ``static/`` with content-hashed URLs, long cache lifetimes and gzip (replaces Flask's view)."""
    app.url_defaults(_add_version)
    app.view_functions["static"] = _serve

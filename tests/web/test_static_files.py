"""Static files: a browser downloads the stylesheet once (content-hashed URL, cached for a year), in gzip."""

from __future__ import annotations

import gzip
import re

from flask.testing import FlaskClient

from app.config import PROJECT_ROOT


def test_pages_link_static_files_by_content_and_browsers_keep_them(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    link = re.search(r'href="(/static/css/main\.css\?v=([0-9a-f]{12}))"', page)
    assert link, "the stylesheet link carries no content hash"
    response = client.get(link.group(1), headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    original = (PROJECT_ROOT / "static" / "css" / "main.css").read_bytes()
    assert gzip.decompress(response.get_data()) == original
    assert len(response.get_data()) < len(original) / 2

    # Without gzip, the same bytes as on disk; an old hash must be revalidated, not kept for a year.
    plain = client.get(link.group(1))
    assert plain.get_data() == original and "Content-Encoding" not in plain.headers
    stale = client.get("/static/css/main.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache"
    again = client.get(link.group(1), headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304


def test_missing_and_escaping_static_paths_are_not_found(client: FlaskClient) -> None:
    assert client.get("/static/css/nothing.css").status_code == 404
    assert client.get("/static/../app/config.py").status_code == 404
    assert client.get("/static/%2e%2e/app/config.py").status_code == 404

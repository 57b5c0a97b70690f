"""Web tier fixtures: an app on a migrated database (SQLite, or TEST_DATABASE_URL), a client, builders.

The schema is migrated once per run with Alembic (as production does); every test starts from empty
tables with the bundled e-services loaded.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import create_app
from app.cli import alembic_config
from app.db import Base
from app.services.eservices import load_bundled

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = database_url(tmp_path_factory)
    application = create_app(
        {
            "ENV": "testing",
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
            "SERVER_NAME": "localhost",
        }
    )
    engine = application.extensions["db_engine"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    with engine.begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    yield application
    engine.dispose()


def _empty_tables(app: Flask) -> None:
    engine = app.extensions["db_engine"]
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - table names come from our metadata


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session on the test database, with the bundled e-services loaded; tables are emptied afterwards."""
    session: Session = app.extensions["db_sessionmaker"]()
    load_bundled(session, (ROOT / "forms").glob("*.yaml"), datetime.now(UTC))
    session.commit()
    yield session
    session.close()
    _empty_tables(app)


@pytest.fixture
def client(app: Flask, db: Session) -> FlaskClient:
    return app.test_client()


class Resident:
    """A resident's browser: follows redirects, sends the CSRF token of the page it is on."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.page: Any = None

    def get(self, url: str, **kwargs: Any) -> Any:
        self.page = self.client.get(url, follow_redirects=True, **kwargs)
        return self.page

    @property
    def html(self) -> str:
        return str(self.page.get_data(as_text=True))

    @property
    def url(self) -> str:
        return str(self.page.request.path)

    def token(self) -> str:
        match = CSRF.search(self.html)
        assert match, "the page has no form with a CSRF token"
        return match.group(1)

    def version(self) -> str:
        match = re.search(r'name="version" value="(\d+)"', self.html)
        assert match, "the page has no version field"
        return match.group(1)

    def post(self, url: str | None = None, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        fields: dict[str, Any] = {"csrf_token": self.token()}
        if 'name="version"' in self.html:
            fields["version"] = self.version()
        fields.update(data or {})
        self.page = self.client.post(
            url or self.url, data=fields, follow_redirects=True, content_type="multipart/form-data", **kwargs
        )
        return self.page

    def start(self, slug: str) -> Any:
        self.get(f"/e/{slug}")
        return self.post(f"/e/{slug}/start")

    def answer(self, data: dict[str, Any], action: str = "next") -> Any:
        """Send the page the resident is on with ``data`` (values may be lists, or files as (bytes, name))."""
        prepared: dict[str, Any] = {"action": action}
        for key, value in data.items():
            if isinstance(value, tuple):
                prepared[key] = (io.BytesIO(value[0]), value[1])
            else:
                prepared[key] = value
        return self.post(data=prepared)

    def submit(self) -> Any:
        assert self.url.endswith("/review"), f"not on the review page but on {self.url}"
        return self.post(data={"action": "submit"})


@pytest.fixture
def resident(client: FlaskClient) -> Resident:
    return Resident(client)


# Small valid files, made here rather than shipped.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

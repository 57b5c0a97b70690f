"""Pages residents only read are served while a filing holds SQLite's write lock, and a view marked
read-only cannot write (app.db.read_only)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import Resident, reread
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from app.db import WRITE_INTENT, ReadOnlyViolation, get_session, read_only
from app.models import Unit, UserSession
from app.services.accounts import SEEN_RESOLUTION


@contextmanager
def write_lock_held(app: Flask) -> Iterator[None]:
    """Another process's filing in the middle of its transaction: SQLite's write lock taken and kept."""
    with app.extensions["db_engine"].connect().execution_options(**{WRITE_INTENT: True}) as writer:
        writer.begin()
        yield
        writer.rollback()


def test_residents_read_their_pages_while_another_request_writes(
    app: Flask, db: Session, resident: Resident, make_submission: Any
) -> None:
    if app.extensions["db_engine"].dialect.name != "sqlite":
        pytest.skip("PostgreSQL never makes a reader wait for a writer; SQLite did, for every request")
    _reference, follow_url = make_submission()
    resident.start("synpunkter-och-klagomal")
    form_page = resident.url
    token = follow_url.rsplit("/", 1)[1]
    pages = ["/", "/?lang=fi", "/e/grumsinitiativ", form_page, follow_url, f"/receipt/{token}", "/lattlast"]
    with write_lock_held(app):
        # Each would otherwise wait for the lock, and after the 30-second busy timeout fail ("locked").
        for url in pages:
            answer = resident.client.get(url)
            assert answer.status_code == 200, f"{url} answered {answer.status_code}"


def test_a_signed_in_member_of_staff_on_resident_pages_keeps_their_session_fresh(
    app: Flask, db: Session, login_as: Any
) -> None:
    """Their requests refresh their session row (a write), so resident pages are not read-only for them."""
    officer = login_as("staff", "kommunledning")
    row = db.scalar(select(UserSession).order_by(UserSession.id.desc()))
    assert row is not None
    earlier = row.last_seen_at - 2 * SEEN_RESOLUTION
    row.last_seen_at = earlier
    db.commit()
    officer.get("/")
    assert officer.page.status_code == 200 and "Logga ut" in officer.html
    assert reread(db).get(UserSession, row.id).last_seen_at > earlier


def test_a_view_marked_read_only_that_writes_is_refused_and_stores_nothing(app: Flask, db: Session) -> None:
    other = create_app({**app.config})

    @other.get("/test-writes")
    @read_only
    def writes() -> str:
        get_session().add(Unit(key="skrivande-enhet", name={"sv": "Skrivande enhet"}))
        get_session().flush()
        return "written"

    with pytest.raises(ReadOnlyViolation):
        other.test_client().get("/test-writes")
    other.extensions["db_engine"].dispose()
    db.rollback()
    assert db.scalar(select(Unit).where(Unit.key == "skrivande-enhet")) is None

"""Headers on every response, and staff sessions that end by themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import UserSession

PAGES = [
    "/",
    "/e/felanmalan-gata-park-belysning",
    "/verify",
    "/lattlast",
    "/auth/login",
    "/staff/",
    "/admin/",
    "/e/nope",
]


def test_every_response_carries_the_security_headers(client) -> None:
    for url in PAGES:
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"  # private links never leak
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
    with client.get("/static/css/main.css") as static:  # a file response: closed when read
        assert static.headers["X-Content-Type-Options"] == "nosniff"
        assert static.headers.get("Cache-Control") != "no-store"


def test_hsts_only_over_https(client) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers
    assert "max-age=" in client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]


def test_the_session_cookie_is_httponly_and_lax(client) -> None:
    client.get("/?lang=en")  # stores the choice, so a cookie is set
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_a_staff_session_ends_after_idle_time_and_at_most_after_a_working_day(
    app: Flask, db: Session, login_as
) -> None:
    officer = login_as("staff", unit_key="kommunledning")
    assert officer.raw("GET", "/staff/").status_code == 200
    db.execute(update(UserSession).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
    db.commit()
    assert officer.raw("GET", "/staff/").status_code == 302  # idle for more than 30 minutes: signed out

    officer = login_as("staff", unit_key="kommunledning")
    db.execute(
        update(UserSession)
        .where(UserSession.revoked_at.is_(None))
        .values(created_at=datetime.now(UTC) - timedelta(hours=12, minutes=1))
    )
    db.commit()
    assert officer.raw("GET", "/staff/").status_code == 302  # signed in more than 12 hours ago

"""The portal as a browser meets it: a real HTTP server on a loopback port, in a thread of the test process.

One server for the whole browser tier: a temporary SQLite database migrated with Alembic (as production is),
the bundled e-services loaded, a handläggare with a grant in every unit, and mail written as .eml files to a
temporary folder. Every HTML page the server sends is kept (see :class:`PageRecorder`), so the Nu Html
Checker can validate exactly what browsers received.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pyotp
from alembic import command
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.cli import alembic_config
from app.models import Unit, User
from app.services import accounts
from app.services.eservices import load_bundled

ROOT = Path(__file__).resolve().parents[2]
STAFF_EMAIL = "hanna.handlaggare@grums.se"
STAFF_NAME = "Hanna Handläggare"
STAFF_PASSWORD = "ett-langt-losenord-for-webblasartest"
# The CSRF token differs on every page; without it two identical pages are one page for the checker.
_TOKENS = re.compile(rb'(name="csrf_token" (?:type="hidden" )?value=")[^"]+"')


@dataclass
class PageRecorder:
    """WSGI middleware: keeps every distinct HTML document the application sends, with the path it answered."""

    app: Callable[..., Iterable[bytes]]
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen: dict[str, str] = {}

        def capture(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            seen.update({name.lower(): value for name, value in headers})
            return start_response(status, headers, *args)

        answer = self.app(environ, capture)
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        if seen.get("content-type", "").startswith("text/html") and environ["REQUEST_METHOD"] != "HEAD":
            key = hashlib.sha256(_TOKENS.sub(rb"\1-", body)).hexdigest()
            with self.lock:
                self.pages.setdefault(key, (environ.get("PATH_INFO", "/"), body))
        return [body]

    def take(self) -> list[tuple[str, bytes]]:
        """The pages kept since the last call, and forget them."""
        with self.lock:
            taken = list(self.pages.values())
            self.pages.clear()
        return taken


@dataclass
class Portal:
    """A running portal: its base URL, the Flask app (for reading the database), and its mail folder."""

    url: str
    app: Flask
    mail_dir: Path
    recorder: PageRecorder

    def mails(self) -> list[Message]:
        """Every mail written so far, oldest first."""
        return [message_from_bytes(p.read_bytes()) for p in sorted(self.mail_dir.glob("*.eml"), key=_mtime)]


def _mtime(path: Path) -> float:
    return path.stat().st_mtime


def build_app(folder: Path) -> Flask:
    """The application on a fresh, migrated SQLite database in ``folder``, with the bundled e-services."""
    url = "sqlite:///" + str(folder / "portal.sqlite3")
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": "browser-test-secret-key-long-enough-for-signing",
            "MAIL_DIR": str(folder / "mail"),
            "MAIL_DELIVERY": "inline",
            # Test browsers fill in a form in a second; tests/web/test_public_form_abuse.py sets the least time.
            "FORM_MIN_FILL_SECONDS": 0,
        }
    )
    with app.extensions["db_engine"].begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    session = app.extensions["db_sessionmaker"]()
    try:
        now = datetime.now(UTC)
        load_bundled(session, (ROOT / "forms").glob("*.yaml"), now)
        user = accounts.create_user(session, STAFF_EMAIL, STAFF_NAME, STAFF_PASSWORD, now)
        for unit in session.scalars(select(Unit)):
            accounts.grant(session, user, "staff", unit, now)
        # The authenticator app is set up already; tests/web/test_mfa.py walks the enrolment itself.
        user.totp_secret, user.mfa_enrolled_at = pyotp.random_base32(), now
        session.commit()
    finally:
        session.close()
    _RUNNING[:] = [app]
    return app


_RUNNING: list[Flask] = []


def code_for(email: str) -> str:
    """The code ``email``'s authenticator app shows now.

    TEST ONLY: it also forgets the step of the last code used, because the application refuses a code a
    second time within its 30 seconds (replay protection) and the journeys sign the same person in often.
    """
    with _RUNNING[0].extensions["db_sessionmaker"]() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None and user.totp_secret, f"{email} has no authenticator app"
        user.totp_last_step = None
        session.commit()
        return str(pyotp.TOTP(user.totp_secret).now())


def serve(app: Flask) -> tuple[BaseWSGIServer, PageRecorder]:
    """A threaded server on a free loopback port, already accepting; stop it with ``shutdown()``."""
    recorder = PageRecorder(app.wsgi_app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request drowns what a failure says
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    threading.Thread(target=server.serve_forever, name="portal", daemon=True).start()
    return server, recorder

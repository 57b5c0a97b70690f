"""Flask-Login wiring. The session cookie holds a sign-in session token, checked against the database on
every request: signing out (or being deactivated) ends it on the server, so a copied cookie stops working.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext
from flask_login import LoginManager, current_user

from app.db import get_session
from app.models import User
from app.services import accounts

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = lazy_gettext("Sign in to continue.")
login_manager.session_protection = "basic"


class StaffUser:
    """The signed-in person as Flask-Login sees them: the ORM user and the session token."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: User, token: str) -> None:
        self.user = user
        self.token = token

    def get_id(self) -> str:
        return self.token

    @property
    def is_admin(self) -> bool:
        return accounts.is_admin(self.user)

    @property
    def staff_units(self) -> set[int]:
        return accounts.units_with_role(self.user, "staff")

    @property
    def uses_studio(self) -> bool:
        """Communicators and administrators build e-services; the studio is in their menu."""
        return self.is_admin or bool(accounts.units_with_role(self.user, "communicator"))

    @property
    def name(self) -> str:
        return self.user.name


@login_manager.user_loader
def load_user(token: str) -> StaffUser | None:
    config = current_app.config
    signed_in = accounts.resume_session(
        get_session(),
        token,
        datetime.now(UTC),
        idle=timedelta(minutes=config["STAFF_SESSION_IDLE_MINUTES"]),
        lifetime=timedelta(hours=config["STAFF_SESSION_MAX_HOURS"]),
    )
    return StaffUser(signed_in.user, token) if signed_in is not None else None


def require(*roles: str) -> Callable[[], Any]:
    """A ``before_request`` hook: signed in (else to the sign-in page), and holding one of ``roles`` in some
    unit, or being an administrator for ``admin`` (else 403)."""

    def check() -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=_return_to()))
        allowed = any(
            current_user.is_admin if role == "admin" else bool(accounts.units_with_role(current_user.user, role))
            for role in roles
        )
        if not allowed:
            abort(403)
        return None

    return check


def _return_to() -> str | None:
    """Where to go after signing in: this page, or for a form sent after the session ended, the page it came from.

    A POST-only address cannot be opened after sign-in; what was typed is lost either way, but the person
    lands on the case they were working on rather than on an error.
    """
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return None


def signed_in_user() -> User:
    user: User = current_user.user
    return user


def init_login(app: Flask) -> None:
    login_manager.init_app(app)


__all__ = ["StaffUser", "init_login", "require", "signed_in_user", "wraps"]

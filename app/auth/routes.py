"""Sign in and sign out."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from app.auth import bp
from app.auth.forms import LoginForm
from app.auth.login import StaffUser
from app.db import get_session
from app.services import accounts, audit


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host (an open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    # Browsers read "\" as "/", so "/\\evil.example" would leave the site too.
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _home(user: StaffUser) -> str:
    if user.staff_units:
        return url_for("staff.inbox")
    if user.is_admin:
        return url_for("admin.index")
    return url_for("resident.catalog")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        now = datetime.now(UTC)
        user = accounts.authenticate(get_session(), form.email.data or "", form.password.data or "")
        if user is None:
            audit.record(
                get_session(),
                audit.LOGIN_FAILED,
                now,
                actor_label=(form.email.data or "")[:254],
                ip=request.remote_addr,
            )
            failed = True
        else:
            language = session.get("lang")
            session.clear()  # a new session at sign-in: nothing from before carries over (fixation)
            if language:
                session["lang"] = language
            token = accounts.start_session(get_session(), user, request.remote_addr, now)
            signed_in = StaffUser(user, token)
            login_user(signed_in)
            audit.record(get_session(), audit.LOGIN, now, actor=user, ip=request.remote_addr)
            return redirect(_safe_next(request.args.get("next")) or _home(signed_in))
    elif request.method == "POST":
        failed = True
    return render_template("auth/login.html", form=form, failed=failed)


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        now = datetime.now(UTC)
        accounts.end_session(get_session(), current_user.token, now)
        audit.record(get_session(), audit.LOGOUT, now, actor=current_user.user, ip=request.remote_addr)
        logout_user()
    session.clear()
    flash(gettext("You have signed out."))
    return redirect(url_for("auth.login"))

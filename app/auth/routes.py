"""Sign in (password, then the second factor), enrolment of the authenticator app, recovery codes, sign out.

A right password starts half a sign-in: a server-side session that opens nothing (Flask-Login never sees
it) and is kept for the second step only. The second factor ends it and starts the real session under a
new token, so nothing known before the second step is worth anything after it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import urlsplit

import segno
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from app.auth import bp
from app.auth.forms import CodeForm, LoginForm, PasswordForm
from app.auth.login import StaffUser
from app.db import get_session
from app.errors import render_error
from app.models import User
from app.services import accounts, audit, mfa, passwords
from app.throttle import account_blocked, count_failure, limiter, sign_in_per_address

#: session keys: the token of a half sign-in, and where to go after it
PENDING = "pending_sign_in"
NEXT = "after_sign_in"

T = TypeVar("T")


def _now() -> datetime:
    return datetime.now(UTC)


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


def _fresh_session() -> None:
    """Empty the cookie session, keeping only the chosen language: nothing from before carries over (fixation)."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def _too_many() -> tuple[str, int]:
    return render_error(429)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(sign_in_per_address, methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        email = form.email.data or ""
        if account_blocked("password", email):
            return _too_many()
        now = _now()
        user = accounts.authenticate(get_session(), email, form.password.data or "")
        if user is None:
            count_failure("password", email)
            audit.record(get_session(), audit.LOGIN_FAILED, now, actor_label=email[:254], ip=request.remote_addr)
            failed = True
        else:
            target = _safe_next(request.args.get("next"))
            _fresh_session()
            session[PENDING] = accounts.start_session(
                get_session(), user, request.remote_addr, now, second_factor=False
            )
            if target:
                session[NEXT] = target
            return redirect(url_for("auth.second_factor" if mfa.is_enrolled(user) else "auth.enrol"))
    elif request.method == "POST":
        failed = True
    return render_template("auth/login.html", form=form, failed=failed)


def _pending_user() -> User | None:
    token = session.get(PENDING)
    if not isinstance(token, str):
        return None
    lifetime = timedelta(minutes=current_app.config["MFA_PENDING_MINUTES"])
    return accounts.resume_pending(get_session(), token, _now(), lifetime)


def _start_again() -> Response:
    session.pop(PENDING, None)
    flash(gettext("Sign in again: the sign-in took too long or was ended."))
    return redirect(url_for("auth.login"))


def _complete_sign_in(user: User, now: datetime, by: str) -> str:
    """End the half sign-in, start the real session under a new token; returns where to go next."""
    pending, target = session.get(PENDING), session.get(NEXT)
    if isinstance(pending, str):
        accounts.end_session(get_session(), pending, now)
    _fresh_session()
    signed_in = StaffUser(
        user, accounts.start_session(get_session(), user, request.remote_addr, now, second_factor=True)
    )
    login_user(signed_in)
    audit.record(get_session(), audit.LOGIN, now, actor=user, ip=request.remote_addr, second_factor=by)
    return _safe_next(target if isinstance(target, str) else None) or _home(signed_in)


def _right_code(
    user: User, form: CodeForm, now: datetime, check: Callable[[str], T | None], failure: str | None = None
) -> T | None:
    """What ``check(code)`` gives for the code ``user`` sent in ``form``: None when none was sent (a GET, an
    invalid form) or it was wrong. An account that has used up its wrong codes is refused (429) before the code
    is looked at; a wrong code counts towards that, and is written to the audit log as ``failure`` if given."""
    if not form.validate_on_submit():
        return None
    if account_blocked("code", user.email):
        abort(429)
    result = check(form.code.data or "")
    if result is None:
        count_failure("code", user.email)
        if failure is not None:
            audit.record(get_session(), failure, now, actor=user, ip=request.remote_addr)
    return result


@bp.route("/mfa", methods=["GET", "POST"])
@limiter.limit(sign_in_per_address, methods=["POST"])
def second_factor() -> Response | str | tuple[str, int]:
    user = _pending_user()
    if user is None:
        return _start_again()
    if not mfa.is_enrolled(user):
        return redirect(url_for("auth.enrol"))
    form, now = CodeForm(), _now()
    by = _right_code(
        user, form, now, lambda code: mfa.check_second_factor(get_session(), user, code, now), audit.MFA_FAILED
    )
    if by is not None:
        target = _complete_sign_in(user, now, by)
        if by == mfa.BY_RECOVERY_CODE:
            audit.record(get_session(), audit.RECOVERY_CODE_USED, now, actor=user, ip=request.remote_addr)
            left = mfa.recovery_codes_left(get_session(), user)
            flash(
                ngettext(
                    "You signed in with a recovery code; it cannot be used again. You have %(num)d left.",
                    "You signed in with a recovery code; it cannot be used again. You have %(num)d left.",
                    left,
                )
            )
        return redirect(target)
    return render_template("auth/second_factor.html", form=form, failed=request.method == "POST")


def _qr_code(uri: str) -> str:
    """The otpauth address as a QR code, an SVG data: URI drawn here (no script, no outside service)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff"))


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@bp.route("/mfa/enrol", methods=["GET", "POST"])
@limiter.limit(sign_in_per_address, methods=["POST"])
def enrol() -> Response | str | tuple[str, int]:
    user = _pending_user()
    if user is None:
        return _start_again()
    if mfa.is_enrolled(user):
        return redirect(url_for("auth.second_factor"))
    secret = mfa.begin_enrolment(user)
    form, now = CodeForm(), _now()
    codes = _right_code(user, form, now, lambda code: mfa.confirm_enrolment(get_session(), user, code, now))
    if codes is not None:
        audit.record(get_session(), audit.MFA_ENROLLED, now, actor=user, ip=request.remote_addr)
        target = _complete_sign_in(user, now, mfa.BY_APP)
        return render_template("auth/recovery_codes.html", codes=codes, continue_url=target, first=True)
    municipality = current_app.config["MUNICIPALITY_NAME"]
    return render_template(
        "auth/enrol.html",
        form=form,
        failed=request.method == "POST",
        qr_code=_qr_code(mfa.provisioning_uri(user, municipality)),
        secret=_grouped(secret),
        account=user.email,
        issuer=municipality,
    )


@bp.route("/recovery-codes", methods=["GET", "POST"])
@limiter.limit(sign_in_per_address, methods=["POST"])
def recovery_codes() -> Response | str | tuple[str, int]:
    """New recovery codes, for someone signed in who has used or lost theirs; the app's code confirms it is them."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    user: User = current_user.user
    form, now = CodeForm(), _now()
    if _right_code(user, form, now, lambda code: mfa.verify_totp(user, code, now) or None):
        codes = mfa.new_recovery_codes(get_session(), user, now)
        audit.record(get_session(), audit.RECOVERY_CODES_REPLACED, now, actor=user, ip=request.remote_addr)
        return render_template("auth/recovery_codes.html", codes=codes, continue_url=_home(current_user))
    return render_template(
        "auth/replace_codes.html",
        form=form,
        failed=request.method == "POST",
        left=mfa.recovery_codes_left(get_session(), user),
    )


def _password_problem(code: str) -> str:
    if code == passwords.TOO_SHORT:
        return ngettext(
            "The new password must be at least %(num)d character long.",
            "The new password must be at least %(num)d characters long.",
            passwords.MIN_LENGTH,
        )
    if code == passwords.TOO_LONG:
        return ngettext(
            "The new password can be at most %(num)d character long.",
            "The new password can be at most %(num)d characters long.",
            passwords.MAX_LENGTH,
        )
    return gettext(
        "That is one of the most common passwords, which are guessed first. "
        "Choose another: a few words in a row make a good password."
    )


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(sign_in_per_address, methods=["POST"])
def change_password() -> Response | str | tuple[str, int]:
    """The signed-in person sets a new password (the one handed over at creation is meant to be replaced)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    user: User = current_user.user
    form = PasswordForm()
    if form.validate_on_submit():
        if account_blocked("password", user.email):
            return _too_many()
        if form.new.data != form.repeat.data:
            form.repeat.errors = [gettext("The two new passwords are not the same.")]
        else:
            now = _now()
            try:
                accounts.change_password(
                    get_session(), user, form.current.data or "", form.new.data or "", current_user.token, now
                )
            except accounts.AccountError as error:
                if str(error) == "wrong_password":
                    count_failure("password", user.email)
                    form.current.errors = [gettext("The current password is not right.")]
                else:
                    form.new.errors = [_password_problem(str(error))]
            else:
                audit.record(get_session(), audit.PASSWORD_CHANGED, now, actor=user, ip=request.remote_addr)
                flash(gettext("Your password is changed. You are signed out everywhere else."))
                return redirect(_home(current_user))
    return render_template("auth/password.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    now = _now()
    if current_user.is_authenticated:
        accounts.end_session(get_session(), current_user.token, now)
        audit.record(get_session(), audit.LOGOUT, now, actor=current_user.user, ip=request.remote_addr)
        logout_user()
    pending = session.get(PENDING)
    if isinstance(pending, str):
        accounts.end_session(get_session(), pending, now)
    session.clear()
    flash(gettext("You have signed out."))
    return redirect(url_for("auth.login"))

"""Administration: units, users and their roles, and the audit log (read only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app.admin import bp
from app.admin.forms import ROLE_CHOICES, GrantForm, UnitForm, UserForm
from app.auth.login import signed_in_user
from app.db import get_session
from app.models import AuditEvent, RoleGrant, Unit, User
from app.services import accounts, audit, mfa
from app.services.cases import SWEDEN

AUDIT_PAGE = 100
MAX_ID = 2**31 - 1  # the largest id PostgreSQL's integer columns hold


def _now() -> datetime:
    return datetime.now(UTC)


def _units() -> list[Unit]:
    return list(get_session().scalars(select(Unit).order_by(Unit.key)))


def _unit_choices() -> list[SelectChoice]:
    return [SelectChoice("", gettext("(whole installation, administrators only)"))] + [
        SelectChoice(str(u.id), u.name.get("sv", u.key)) for u in _units()
    ]


@bp.context_processor
def role_names() -> dict[str, object]:
    labels = {choice.value: choice.label for choice in ROLE_CHOICES}
    return {"role_label": lambda role: str(labels.get(role, role))}


@bp.get("/")
def index() -> str:
    return render_template(
        "admin/index.html", users=get_session().scalars(select(User).order_by(User.name)).all(), units=_units()
    )


@bp.route("/units", methods=["GET", "POST"])
def units() -> Response | str:
    form = UnitForm()
    if form.validate_on_submit():
        if get_session().scalar(select(Unit).where(Unit.key == form.key.data)) is not None:
            form.key.errors = [gettext("A unit with that short name already exists.")]
        else:
            unit = Unit(key=form.key.data, name={"sv": (form.name.data or "").strip()}, created_at=_now())
            get_session().add(unit)
            get_session().flush()
            audit.record(
                get_session(), audit.UNIT_CREATED, _now(), actor=signed_in_user(), ip=request.remote_addr, unit=unit.key
            )
            flash(gettext("The unit %(name)s is created.", name=form.name.data))
            return redirect(url_for("admin.units"))
    return render_template("admin/units.html", form=form, units=_units())


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Response | str:
    form = UserForm()
    form.unit.choices = _unit_choices()
    password = None
    if form.validate_on_submit():
        unit = get_session().get(Unit, int(form.unit.data)) if form.unit.data else None
        if (form.role.data == RoleGrant.ADMIN) == (unit is not None):
            form.unit.errors = [
                gettext("An administrator has no unit.") if unit else gettext("Choose the unit the role is for.")
            ]
        else:
            try:
                password = accounts.random_password()
                user = accounts.create_user(
                    get_session(), form.email.data or "", form.name.data or "", password, _now()
                )
            except accounts.AccountError:
                form.email.errors = [gettext("There is already a user with that email address.")]
                password = None
            else:
                accounts.grant(get_session(), user, form.role.data or "staff", unit, _now())
                audit.record(
                    get_session(),
                    audit.USER_CREATED,
                    _now(),
                    actor=signed_in_user(),
                    ip=request.remote_addr,
                    user=user.email,
                )
                audit.record(
                    get_session(), audit.ROLE_GRANTED, _now(), actor=signed_in_user(), ip=request.remote_addr,
                    user=user.email, role=form.role.data, unit=unit.key if unit else None,
                )  # fmt: skip
                return render_template("admin/user_created.html", user=user, password=password)
    return render_template("admin/new_user.html", form=form)


def _user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int(max=2147483647):user_id>", methods=["GET", "POST"])
def user(user_id: int) -> Response | str:
    target = _user(user_id)
    form = GrantForm()
    form.unit.choices = _unit_choices()
    if form.validate_on_submit():
        unit = get_session().get(Unit, int(form.unit.data)) if form.unit.data else None
        try:
            accounts.grant(get_session(), target, form.role.data or "staff", unit, _now())
        except accounts.AccountError:
            form.unit.errors = [gettext("An administrator has no unit; every other role needs one.")]
        else:
            audit.record(
                get_session(), audit.ROLE_GRANTED, _now(), actor=signed_in_user(), ip=request.remote_addr,
                user=target.email, role=form.role.data, unit=unit.key if unit else None,
            )  # fmt: skip
            flash(gettext("The role is granted."))
            return redirect(url_for("admin.user", user_id=target.id))
    return render_template("admin/user.html", target=target, form=form)


@bp.post("/users/<int(max=2147483647):user_id>/grants/<int(max=2147483647):grant_id>/revoke")
def revoke(user_id: int, grant_id: int) -> Response:
    target = _user(user_id)
    found = get_session().get(RoleGrant, grant_id)
    if found is None or found.user_id != target.id:
        abort(404)
    if target.id == signed_in_user().id and found.role == RoleGrant.ADMIN:
        flash(gettext("You cannot take away your own administrator role."))
        return redirect(url_for("admin.user", user_id=target.id))
    role, unit = found.role, found.unit.key if found.unit else None
    accounts.revoke(get_session(), grant_id)
    audit.record(
        get_session(),
        audit.ROLE_REVOKED,
        _now(),
        actor=signed_in_user(),
        ip=request.remote_addr,
        user=target.email,
        role=role,
        unit=unit,
    )
    flash(gettext("The role is taken away."))
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int(max=2147483647):user_id>/active")
def set_active(user_id: int) -> Response:
    target = _user(user_id)
    if request.form.get("active") not in ("0", "1"):
        abort(400)
    active = request.form.get("active") == "1"
    if target.id == signed_in_user().id and not active:
        flash(gettext("You cannot deactivate yourself."))
        return redirect(url_for("admin.user", user_id=target.id))
    accounts.set_active(get_session(), target, active, _now())
    audit.record(
        get_session(), audit.USER_ACTIVATED if active else audit.USER_DEACTIVATED, _now(), actor=signed_in_user(),
        ip=request.remote_addr, user=target.email,
    )  # fmt: skip
    flash(
        gettext("%(name)s can sign in again.", name=target.name)
        if active
        else gettext("%(name)s is deactivated and signed out everywhere.", name=target.name)
    )
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int(max=2147483647):user_id>/mfa/reset")
def reset_mfa(user_id: int) -> Response:
    """For someone who lost both phone and recovery codes: they set up the app again at their next sign-in."""
    target = _user(user_id)
    if target.id == signed_in_user().id:
        flash(gettext("You cannot reset your own two-step sign-in. Ask another administrator."))
        return redirect(url_for("admin.user", user_id=target.id))
    mfa.reset(get_session(), target, _now())
    audit.record(
        get_session(), audit.MFA_RESET, _now(), actor=signed_in_user(), ip=request.remote_addr, user=target.email
    )
    flash(
        gettext(
            "%(name)s is signed out everywhere and sets up two-step sign-in again at the next sign-in.",
            name=target.name,
        )
    )
    return redirect(url_for("admin.user", user_id=target.id))


@bp.get("/audit")
def audit_log() -> str:
    query = select(AuditEvent)
    action = request.args.get("action", "")
    if action in audit.ACTIONS:
        query = query.where(AuditEvent.action == action)
    actor = request.args.get("actor", "").strip().lower()
    if actor:
        query = query.where(AuditEvent.actor_label.contains(actor))
    reference = request.args.get("reference", "").strip().upper()
    if reference:
        query = query.where(AuditEvent.reference == reference)
    for name, op in (("from", ">="), ("to", "<")):
        try:
            day = date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            continue
        if not 1900 <= day.year <= 2999:
            continue
        moment = datetime.combine(day + (timedelta(days=1) if op == "<" else timedelta()), time(), SWEDEN)
        query = query.where(AuditEvent.at >= moment if op == ">=" else AuditEvent.at < moment)
    before = request.args.get("before", type=int)
    if before is not None and 0 < before <= MAX_ID:
        query = query.where(AuditEvent.id < before)
    events = list(get_session().scalars(query.order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE + 1)))
    more = len(events) > AUDIT_PAGE
    events = events[:AUDIT_PAGE]
    args = {k: v for k, v in request.args.items() if k != "before"}
    return render_template(
        "admin/audit.html",
        events=events,
        actions=audit.ACTIONS,
        action_label=lambda action: gettext(audit.ACTION_LABELS.get(action, action)),
        args=args,
        next_before=events[-1].id if more and events else None,
    )

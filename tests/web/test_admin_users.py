"""Administration: units, users with a one-time password, granting and taking away roles, deactivation."""

from __future__ import annotations

import re

import pytest
from conftest import Staff, reread
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, RoleGrant, Unit, User


@pytest.fixture
def admin(login_as) -> Staff:
    return login_as("admin", email="admin@grums.se", name="Ada Admin")


def unit_id(db: Session, key: str) -> int:
    found = db.scalar(select(Unit.id).where(Unit.key == key))
    assert found is not None
    return int(found)


def field_errors(staff: Staff) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", m).split())
        for m in re.findall(r'class="error-message"[^>]*>(.*?)</p>', staff.html, re.S)
    ]


def audited(db: Session, action: str) -> list[AuditEvent]:
    reread(db)
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# --- units --------------------------------------------------------------------------------------------


def test_an_administrator_creates_a_unit(db: Session, admin: Staff) -> None:
    admin.get("/admin/units")
    admin.post("/admin/units", {"key": "miljo", "name": "  Miljöförvaltningen "})
    assert admin.page.status_code == 200 and admin.url == "/admin/units"
    assert "Miljöförvaltningen" in admin.html and "(miljo)" in admin.html
    reread(db)
    unit = db.scalar(select(Unit).where(Unit.key == "miljo"))
    assert unit is not None and unit.name == {"sv": "Miljöförvaltningen"}
    [event] = audited(db, "unit_created")
    assert event.actor_id == admin.user.id and event.data == {"unit": "miljo"}


def test_a_unit_needs_a_new_well_formed_short_name(db: Session, admin: Staff) -> None:
    reread(db)
    before = db.scalar(select(func.count()).select_from(Unit))
    for key in ("kommunledning", "Miljö", "miljo kontor", "-miljo", ""):
        admin.get("/admin/units")
        admin.post("/admin/units", {"key": key, "name": "Något"})
        assert admin.page.status_code == 200 and admin.url == "/admin/units", key
        assert field_errors(admin), key
    reread(db)
    assert db.scalar(select(func.count()).select_from(Unit)) == before
    assert audited(db, "unit_created") == []


# --- users --------------------------------------------------------------------------------------------


def test_a_new_user_gets_a_one_time_password_that_signs_in(app: Flask, db: Session, admin: Staff) -> None:
    admin.get("/admin/units")
    admin.post("/admin/units", {"key": "miljo", "name": "Miljöförvaltningen"})
    reread(db)
    admin.get("/admin/users/new")
    assert f'<option value="{unit_id(db, "miljo")}">Miljöförvaltningen</option>' in admin.html
    admin.post(
        "/admin/users/new",
        {"email": "Nils.Nilsson@Grums.se", "name": "Nils Nilsson", "role": "staff", "unit": str(unit_id(db, "miljo"))},
    )
    assert admin.page.status_code == 200
    code = re.search(r"<code>([^<]+)</code>", admin.html)
    assert code is not None
    password = code.group(1)
    assert len(password) >= 16
    assert "nils.nilsson@grums.se" in admin.html

    reread(db)
    user = db.scalar(select(User).where(User.email == "nils.nilsson@grums.se"))
    assert user is not None and user.name == "Nils Nilsson" and user.active
    assert user.password_hash.startswith("$argon2id$") and password not in user.password_hash
    assert [(g.role, g.unit.key) for g in user.grants] == [("staff", "miljo")]
    assert [e.data for e in audited(db, "user_created")] == [{"user": "nils.nilsson@grums.se"}]
    assert [e.data for e in audited(db, "role_granted")] == [
        {"user": "nils.nilsson@grums.se", "role": "staff", "unit": "miljo"}
    ]
    for event in audited(db, "user_created") + audited(db, "role_granted"):
        assert password not in str(event.data)

    # The password is shown once: not on the user's page afterwards.
    admin.get(f"/admin/users/{user.id}")
    assert password not in admin.html

    nils = Staff(app.test_client())
    nils.sign_in("nils.nilsson@grums.se", password)
    assert nils.url == "/staff/"


WRONG_USER_FORMS = [
    ("ny@grums.se", "admin", "kommunledning"),  # an administrator has no unit
    ("ny@grums.se", "staff", ""),  # a case officer needs one
    ("ny@grums.se", "communicator", ""),
    ("admin@grums.se", "staff", "kommunledning"),  # the address is taken
    ("inte-en-adress", "staff", "kommunledning"),
    ("ny@grums.se", "superuser", "kommunledning"),
]


def test_a_user_is_not_created_from_a_wrong_form(db: Session, admin: Staff) -> None:
    reread(db)
    users = db.scalar(select(func.count()).select_from(User))
    for email, role, unit in WRONG_USER_FORMS:
        admin.get("/admin/users/new")
        admin.post(
            "/admin/users/new",
            {"email": email, "name": "Ny Person", "role": role, "unit": str(unit_id(db, unit)) if unit else ""},
        )
        assert admin.page.status_code == 200 and admin.url == "/admin/users/new", (email, role, unit)
        assert field_errors(admin), (email, role, unit)
        assert "<code>" not in admin.html
    reread(db)
    assert db.scalar(select(func.count()).select_from(User)) == users
    assert audited(db, "user_created") == []


def test_a_new_administrator_has_no_unit_and_lands_in_administration(app: Flask, db: Session, admin: Staff) -> None:
    admin.get("/admin/users/new")
    admin.post("/admin/users/new", {"email": "bo@grums.se", "name": "Bo Admin", "role": "admin", "unit": ""})
    password = re.search(r"<code>([^<]+)</code>", admin.html).group(1)
    bo = Staff(app.test_client())
    bo.sign_in("bo@grums.se", password)
    assert bo.url == "/admin/"
    assert bo.raw("GET", "/staff/").status_code == 403


def test_a_made_up_unit_in_the_form_is_an_error_not_a_crash(
    app: Flask, db: Session, admin: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unit select is not checked against its choices (validate_choice=False) and the routes call int()
    on it: a value that is not a number must be a form error (or 400), not a 500."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # see the status a browser would get
    statuses = {}
    admin.get("/admin/users/new")
    admin.post("/admin/users/new", {"email": "ny@grums.se", "name": "Ny", "role": "staff", "unit": "kommunledning"})
    statuses["/admin/users/new"] = admin.page.status_code
    admin.get(f"/admin/users/{admin.user.id}")
    admin.post(f"/admin/users/{admin.user.id}", {"role": "staff", "unit": "kommunledning"})
    statuses["/admin/users/<id>"] = admin.page.status_code
    reread(db)
    assert db.scalar(select(User).where(User.email == "ny@grums.se")) is None
    assert len(db.get(User, admin.user.id).grants) == 1
    assert all(status in (200, 400) for status in statuses.values()), statuses


# --- roles --------------------------------------------------------------------------------------------


def test_roles_are_granted_and_taken_away_and_take_effect_at_once(db: Session, admin: Staff, login_as) -> None:
    nils = login_as("communicator", "kommunledning", email="nils@grums.se")
    assert nils.raw("GET", "/staff/").status_code == 403

    admin.get(f"/admin/users/{nils.user.id}")
    admin.post(f"/admin/users/{nils.user.id}", {"role": "staff", "unit": str(unit_id(db, "samhallsbyggnad"))})
    assert admin.page.status_code == 200 and admin.url == f"/admin/users/{nils.user.id}"
    assert nils.raw("GET", "/staff/").status_code == 200
    reread(db)
    grants = {(g.role, g.unit.key if g.unit else None): g.id for g in db.get(User, nils.user.id).grants}
    assert set(grants) == {("communicator", "kommunledning"), ("staff", "samhallsbyggnad")}
    assert [e.data for e in audited(db, "role_granted")] == [
        {"user": "nils@grums.se", "role": "staff", "unit": "samhallsbyggnad"}
    ]
    assert audited(db, "role_granted")[0].actor_id == admin.user.id

    # Granting the same role again changes nothing.
    admin.post(f"/admin/users/{nils.user.id}", {"role": "staff", "unit": str(unit_id(db, "samhallsbyggnad"))})
    reread(db)
    assert len(db.get(User, nils.user.id).grants) == 2

    staff_grant = grants[("staff", "samhallsbyggnad")]
    admin.get(f"/admin/users/{nils.user.id}")
    admin.post(f"/admin/users/{nils.user.id}/grants/{staff_grant}/revoke")
    assert admin.page.status_code == 200 and admin.url == f"/admin/users/{nils.user.id}"
    assert nils.raw("GET", "/staff/").status_code == 403
    reread(db)
    assert [(g.role, g.unit.key) for g in db.get(User, nils.user.id).grants] == [("communicator", "kommunledning")]
    [revoked] = audited(db, "role_revoked")
    assert revoked.data == {"user": "nils@grums.se", "role": "staff", "unit": "samhallsbyggnad"}
    assert revoked.actor_id == admin.user.id


def test_a_role_that_does_not_fit_its_unit_is_refused(db: Session, admin: Staff, make_user) -> None:
    nils = make_user("nils@grums.se", None)
    for role, unit in (("admin", "kommunledning"), ("communicator", ""), ("staff", "")):
        admin.get(f"/admin/users/{nils.id}")
        admin.post(f"/admin/users/{nils.id}", {"role": role, "unit": str(unit_id(db, unit)) if unit else ""})
        assert admin.page.status_code == 200, role
        assert field_errors(admin), role
    reread(db)
    assert db.get(User, nils.id).grants == []
    assert audited(db, "role_granted") == []


def test_a_grant_of_another_user_cannot_be_revoked_through_this_one(db: Session, admin: Staff, make_user) -> None:
    nils = make_user("nils@grums.se", "staff", "kommunledning")
    kalle = make_user("kalle@grums.se", "staff", "kommunledning")
    grant = nils.grants[0].id
    admin.get(f"/admin/users/{kalle.id}")
    response = admin.raw("POST", f"/admin/users/{kalle.id}/grants/{grant}/revoke", data={"csrf_token": admin.token()})
    assert response.status_code == 404
    reread(db)
    assert db.get(RoleGrant, grant) is not None


def test_an_administrator_cannot_deactivate_themselves_or_drop_their_own_admin_role(db: Session, admin: Staff) -> None:
    own = admin.user.id
    admin.get(f"/admin/users/{own}")
    admin.post(f"/admin/users/{own}/active", {"active": "0"})
    assert admin.page.status_code == 200 and admin.url == f"/admin/users/{own}"
    reread(db)
    assert db.get(User, own).active is True
    assert admin.raw("GET", "/admin/").status_code == 200  # still signed in

    grant = db.get(User, own).grants[0].id
    admin.get(f"/admin/users/{own}")
    admin.post(f"/admin/users/{own}/grants/{grant}/revoke")
    assert admin.page.status_code == 200
    reread(db)
    assert db.get(RoleGrant, grant) is not None
    assert audited(db, "user_deactivated") == [] and audited(db, "role_revoked") == []


def test_another_administrator_can_be_deactivated(db: Session, admin: Staff, login_as) -> None:
    other = login_as("admin", email="bo@grums.se")
    admin.get(f"/admin/users/{other.user.id}")
    admin.post(f"/admin/users/{other.user.id}/active", {"active": "0"})
    reread(db)
    assert db.get(User, other.user.id).active is False
    assert other.raw("GET", "/admin/").status_code == 302


def test_the_user_list_shows_roles_and_state(db: Session, admin: Staff, make_user) -> None:
    make_user("nils@grums.se", ["staff", "communicator"], "kommunledning", name="Nils Nilsson")
    gone = make_user("gone@grums.se", "staff", "samhallsbyggnad", name="Gunnar Gone")
    gone.active = False
    db.commit()
    admin.get("/admin/")
    row = admin.html.split("Nils Nilsson", 1)[1].split("</tr>", 1)[0]
    assert "nils@grums.se" in row
    assert "Handläggare på Kommunledningsförvaltningen" in row and "Kommunikatör på Kommunledningsförvaltningen" in row
    assert f'href="/admin/users/{gone.id}"' in admin.html
    assert admin.raw("GET", "/admin/users/999999").status_code == 404

"""Who may open what: signed-out visitors, case officers of the case's unit and of another unit,
communicators and administrators; and no change without the CSRF token.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from conftest import PDF, Resident, Staff, reread, without_token
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Attachment, AuditEvent, CaseEvent, Submission, Unit, User

DESCRIPTION = "Protokoll från KS den 14 oktober"
REPLY = "Här är ett underlag."
NO_SUCH_CASE = "GRU-2026-99999A"


@pytest.fixture(autouse=True)
def _mail(mail_kept_in_outbox: None) -> None:
    pass


@pytest.fixture
def case(app: Flask, make_submission) -> dict:
    """A kommunledning case with a file the resident sent with a reply."""
    reference, follow_url = make_submission(handling=DESCRIPTION)
    resident = Resident(app.test_client())
    resident.get(follow_url)
    resident.post(follow_url, {"text": REPLY, "files": (io.BytesIO(PDF), "underlag.pdf")})
    assert resident.page.status_code == 200
    return {"reference": reference, "follow_url": follow_url}


def attachment_id(db: Session, reference: str) -> int:
    reread(db)
    found = db.scalar(select(Attachment.id).join(Submission).where(Submission.reference == reference))
    assert found is not None
    return int(found)


def urls(reference: str, file_id: int) -> dict[str, str]:
    return {
        "inbox": "/staff/",
        "case": f"/staff/cases/{reference}",
        "file": f"/staff/cases/{reference}/files/{file_id}",
        "receipt": f"/staff/cases/{reference}/receipt.pdf",
        "export": "/staff/export.csv",
        "admin": "/admin/",
        "audit": "/admin/audit",
        "units": "/admin/units",
    }


#: what each kind of visitor gets: a status, or "login" for a redirect to the sign-in page
EXPECTED = {
    None: dict.fromkeys(("inbox", "case", "file", "receipt", "export", "admin", "audit", "units"), "login"),
    "staff-own": {
        "inbox": 200, "case": 200, "file": 200, "receipt": 200, "export": 200, "admin": 403, "audit": 403, "units": 403,
    },
    "staff-other": {
        "inbox": 200, "case": 404, "file": 404, "receipt": 404, "export": 200, "admin": 403, "audit": 403, "units": 403,
    },
    "communicator": {
        "inbox": 403, "case": 403, "file": 403, "receipt": 403, "export": 403, "admin": 403, "audit": 403, "units": 403,
    },
    "admin": {
        "inbox": 403, "case": 403, "file": 403, "receipt": 403, "export": 403, "admin": 200, "audit": 200, "units": 200,
    },
}  # fmt: skip


def visitor(kind: str | None, app: Flask, login_as) -> Staff:
    if kind is None:
        return Staff(app.test_client())
    role, unit = {
        "staff-own": ("staff", "kommunledning"),
        "staff-other": ("staff", "samhallsbyggnad"),
        "communicator": ("communicator", "kommunledning"),
        "admin": ("admin", None),
    }[kind]
    return login_as(role, unit)


@pytest.mark.parametrize("kind", list(EXPECTED), ids=lambda k: k or "anonymous")
def test_access_matrix(kind: str | None, app: Flask, db: Session, login_as, case: dict) -> None:
    reference = case["reference"]
    browser = visitor(kind, app, login_as)
    for name, url in urls(reference, attachment_id(db, reference)).items():
        response = browser.raw("GET", url)
        expected = EXPECTED[kind][name]
        body = response.get_data()
        if expected == "login":
            assert response.status_code == 302, (name, response.status_code)
            assert urlsplit(response.headers["Location"]).path == "/auth/login", name
        else:
            assert response.status_code == expected, (name, url, response.status_code)
        if kind != "staff-own":
            # Nothing of the kommunledning case leaks: not its answers, the resident's reply, or the file.
            for secret in (DESCRIPTION.encode(), REPLY.encode(), PDF, "Begäran om allmän handling".encode()):
                assert secret not in body, (name, secret)


def test_staff_of_another_unit_see_their_own_inbox_but_not_the_other_units_cases(
    db: Session, login_as, make_submission, case: dict
) -> None:
    own_reference, _ = make_submission("felanmalan-gata-park-belysning")
    other = login_as("staff", "samhallsbyggnad")
    other.get("/staff/")
    assert other.page.status_code == 200
    assert own_reference in other.html and case["reference"] not in other.html
    assert "begaran-om-allman-handling" not in other.html  # not even in the e-service filter
    # Searching for the other unit's reference gives nothing, and does not say it exists.
    other.get(f"/staff/?q={case['reference']}")
    assert "/staff/cases/" not in other.html  # no rows
    assert 'class="error-summary"' not in other.html
    # A case of another unit answers exactly as a case that does not exist.
    for path in ("", "/receipt.pdf", f"/files/{attachment_id(db, case['reference'])}"):
        real = other.raw("GET", f"/staff/cases/{case['reference']}{path}")
        made_up = other.raw("GET", f"/staff/cases/{NO_SUCH_CASE}{path}")
        assert real.status_code == made_up.status_code == 404
        assert without_token(real.get_data(as_text=True)).replace(case["reference"], "X") == without_token(
            made_up.get_data(as_text=True)
        ).replace(NO_SUCH_CASE, "X")
    export = other.raw("GET", "/staff/export.csv").get_data(as_text=True)
    assert own_reference in export and case["reference"] not in export


def test_posts_to_another_units_case_are_refused_and_change_nothing(db: Session, login_as, case: dict) -> None:
    reference = case["reference"]
    other = login_as("staff", "samhallsbyggnad")
    other.get("/staff/")
    token = other.token()
    for path, data in (
        ("assign", {"assignee": "me", "version": "1"}),
        ("status", {"action": "start", "comment": "", "version": "1"}),
        ("note", {"text": "Min anteckning"}),
        ("message", {"text": "Mitt meddelande"}),
    ):
        response = other.raw("POST", f"/staff/cases/{reference}/{path}", data={"csrf_token": token, **data})
        assert response.status_code == 404, path
        assert DESCRIPTION.encode() not in response.get_data()
    reread(db)
    found = db.scalar(select(Submission).where(Submission.reference == reference))
    assert found.status == "received" and found.assigned_to_id is None
    assert [e.kind for e in found.events] == ["received", "reply"]


def test_a_file_of_another_case_cannot_be_opened_under_a_case_one_may_see(
    app: Flask, db: Session, login_as, make_submission, case: dict
) -> None:
    # A second kommunledning case, which the same officer may see, and a samhällsbyggnad case with a photo.
    second, second_follow = make_submission(handling="Bygglovsritningar")
    resident = Resident(app.test_client())
    resident.get(second_follow)
    resident.post(second_follow, {"text": "Bilaga", "files": (io.BytesIO(PDF), "andra.pdf")})
    fault, _ = make_submission("felanmalan-gata-park-belysning")
    officer = login_as("staff", "kommunledning")
    first_file = attachment_id(db, case["reference"])
    for other_file in (attachment_id(db, second), attachment_id(db, fault)):
        response = officer.raw("GET", f"/staff/cases/{case['reference']}/files/{other_file}")
        assert response.status_code == 404
    assert officer.raw("GET", f"/staff/cases/{case['reference']}/files/{first_file}").get_data() == PDF
    assert officer.raw("GET", f"/staff/cases/{second}/files/{first_file}").status_code == 404
    assert officer.raw("GET", f"/staff/cases/{case['reference']}/files/999999").status_code == 404
    assert officer.raw("GET", f"/staff/cases/{NO_SUCH_CASE}").status_code == 404


def test_a_case_officer_whose_role_is_taken_away_loses_access_at_once(db: Session, login_as, case: dict) -> None:
    officer = login_as("staff", "kommunledning")
    assert officer.raw("GET", f"/staff/cases/{case['reference']}").status_code == 200
    user = db.get(User, officer.user.id)
    db.delete(user.grants[0])
    db.commit()
    assert officer.raw("GET", f"/staff/cases/{case['reference']}").status_code == 403
    assert officer.raw("GET", "/staff/").status_code == 403


def test_posts_without_the_csrf_token_are_refused_and_change_nothing(db: Session, login_as, case: dict) -> None:
    reference = case["reference"]
    officer = login_as("staff", "kommunledning")
    admin = login_as("admin")
    reread(db)
    before = (
        db.scalar(select(func.count()).select_from(CaseEvent)),
        db.scalar(select(func.count()).select_from(AuditEvent)),
    )
    for path, data in (
        ("assign", {"assignee": "me", "version": "1"}),
        ("status", {"action": "start", "comment": "Utan token", "version": "1"}),
        ("note", {"text": "Utan token"}),
        ("message", {"text": "Utan token"}),
    ):
        assert officer.raw("POST", f"/staff/cases/{reference}/{path}", data=data).status_code == 400, path
        wrong = officer.raw("POST", f"/staff/cases/{reference}/{path}", data={**data, "csrf_token": "fel"})
        assert wrong.status_code == 400, path
    assert admin.raw("POST", "/admin/units", data={"key": "miljo", "name": "Miljö"}).status_code == 400
    assert admin.raw("POST", f"/admin/users/{officer.user.id}/active", data={"active": "0"}).status_code == 400
    grant_id = db.get(User, officer.user.id).grants[0].id
    revoke = f"/admin/users/{officer.user.id}/grants/{grant_id}/revoke"
    assert admin.raw("POST", revoke).status_code == 400
    assert admin.raw("POST", "/auth/logout").status_code == 400

    reread(db)
    found = db.scalar(select(Submission).where(Submission.reference == reference))
    assert found.status == "received" and found.assigned_to_id is None and found.version == 2
    after = (
        db.scalar(select(func.count()).select_from(CaseEvent)),
        db.scalar(select(func.count()).select_from(AuditEvent)),
    )
    assert after == before
    assert db.get(User, officer.user.id).active is True
    assert len(db.get(User, officer.user.id).grants) == 1
    assert db.scalar(select(Unit).where(Unit.key == "miljo")) is None
    assert officer.raw("GET", "/staff/").status_code == 200
    assert admin.raw("GET", "/admin/").status_code == 200


def test_an_anonymous_post_is_refused(app: Flask, db: Session, case: dict) -> None:
    anonymous = Staff(app.test_client())
    anonymous.get("/auth/login")
    response = anonymous.raw(
        "POST",
        f"/staff/cases/{case['reference']}/note",
        data={"csrf_token": anonymous.token(), "text": "Anonym"},
    )
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/auth/login"
    reread(db)
    assert db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "note")) == 0

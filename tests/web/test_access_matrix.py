"""Who gets what of a case with protected identity (skyddad identitet): every kind of visitor times every
resource, and the marking itself (named staff, audit, exports without the address or personnummer).

Rules (docs/security.md): a protected case exists only for the staff named on it. Staff of the unit who are
not named, staff of other units, communicators and administrators get what they would get for a case that
does not exist; the resident keeps their own link. Whoever marks the case is named, and so is its case officer.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from conftest import PDF, Resident, Staff, reread
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Attachment, AuditEvent, NamedOfficer, Submission

SLUG = "parkeringstillstand-rorelsehindrade"
UNIT = "socialforvaltningen"
PERSONNUMMER = "19121212-1212"  # not the sample answer the ordinary case has
ADDRESS = "Hemliga vägen 7"


@pytest.fixture(autouse=True)
def _mail(mail_kept_in_outbox: None) -> None:
    pass


@pytest.fixture
def protected(app: Flask, db: Session, make_submission, login_as) -> dict:
    """A protected case of socialförvaltningen with a file from the resident, an ordinary case beside it,
    and the officer who marked it (named on it)."""
    reference, follow_url = make_submission(SLUG, personnummer=PERSONNUMMER, adress=ADDRESS)
    ordinary, _ = make_submission(SLUG)
    resident = Resident(app.test_client())
    resident.get(follow_url)
    resident.post(follow_url, {"text": "Intyg bifogat.", "files": (io.BytesIO(PDF), "intyg.pdf")})
    named = login_as("staff", UNIT, email="named@grums.se", name="Nina Namngiven")
    named.get(f"/staff/cases/{reference}")
    named.post(f"/staff/cases/{reference}/protection", {"change": "protect"})
    assert "Skyddad identitet" in named.html
    reread(db)
    file_id = db.scalar(select(Attachment.id).join(Submission).where(Submission.reference == reference))
    return {
        "reference": reference,
        "ordinary": ordinary,
        "follow_url": follow_url,
        "file_id": file_id,
        "named": named,
    }


def urls(case: dict) -> dict[str, str]:
    reference = case["reference"]
    return {
        "inbox": "/staff/",
        "case": f"/staff/cases/{reference}",
        "file": f"/staff/cases/{reference}/files/{case['file_id']}",
        "receipt": f"/staff/cases/{reference}/receipt.pdf",
        "export": f"/staff/export.csv?eservice={SLUG}",
        "admin": "/admin/",
        "follow": case["follow_url"],
        "resident_receipt": case["follow_url"] + "/receipt.pdf",
    }


LOGIN = "login"
STAFF_PAGES = ("inbox", "case", "file", "receipt", "export", "admin")
#: status per resource; the resident's own pages open with the link alone, whoever holds it
EXPECTED = {
    "anonymous": {**dict.fromkeys(STAFF_PAGES, LOGIN), "follow": 200, "resident_receipt": 200},
    "resident": {**dict.fromkeys(STAFF_PAGES, LOGIN), "follow": 200, "resident_receipt": 200},
    "staff-other-unit": {
        "inbox": 200, "case": 404, "file": 404, "receipt": 404, "export": 200, "admin": 403,
        "follow": 200, "resident_receipt": 200,
    },
    "staff-of-unit": {
        "inbox": 200, "case": 404, "file": 404, "receipt": 404, "export": 200, "admin": 403,
        "follow": 200, "resident_receipt": 200,
    },
    "named-staff": {
        "inbox": 200, "case": 200, "file": 200, "receipt": 200, "export": 200, "admin": 403,
        "follow": 200, "resident_receipt": 200,
    },
    "communicator": {
        "inbox": 403, "case": 403, "file": 403, "receipt": 403, "export": 403, "admin": 403,
        "follow": 200, "resident_receipt": 200,
    },
    "admin": {
        "inbox": 403, "case": 403, "file": 403, "receipt": 403, "export": 403, "admin": 200,
        "follow": 200, "resident_receipt": 200,
    },
}  # fmt: skip


def visitor(kind: str, app: Flask, login_as, case: dict) -> Staff:
    if kind in ("anonymous", "resident"):
        return Staff(app.test_client())
    if kind == "named-staff":
        named: Staff = case["named"]
        return named
    role, unit = {
        "staff-other-unit": ("staff", "kommunledning"),
        "staff-of-unit": ("staff", UNIT),
        "communicator": ("communicator", UNIT),
        "admin": ("admin", None),
    }[kind]
    return login_as(role, unit)


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_who_gets_what_of_a_protected_case(kind: str, app: Flask, db: Session, login_as, protected: dict) -> None:
    browser = visitor(kind, app, login_as, protected)
    reference = protected["reference"]
    for name, url in urls(protected).items():
        if kind == "anonymous" and name in ("follow", "resident_receipt"):
            url = url.replace(url.split("/")[2], "x" * 64)  # without the link: a made-up token
            assert browser.raw("GET", url).status_code == 404, name
            continue
        response = browser.raw("GET", url)
        expected = EXPECTED[kind][name]
        body = response.get_data()
        if expected == LOGIN:
            assert response.status_code == 302, (name, response.status_code)
            assert urlsplit(response.headers["Location"]).path == "/auth/login", name
            continue
        assert response.status_code == expected, (kind, name, response.status_code)
        if name in ("inbox", "export") and expected == 200:
            text = body.decode("utf-8-sig")
            # The list and the export: the case is there only for those named on it, and never with its
            # personnummer or address; the ordinary case beside it is there for the unit's staff.
            assert (reference in text) == (kind == "named-staff"), (kind, name)
            assert (protected["ordinary"] in text) == (kind in ("named-staff", "staff-of-unit")), (kind, name)
            assert "19121212" not in text and "121212" not in text and ADDRESS not in text, (kind, name)
        if name == "inbox" and kind == "staff-of-unit":
            assert "1 ärende" in body.decode()  # counts leave the protected case out too
        if kind not in ("named-staff",) and name not in ("follow", "resident_receipt"):
            for secret in (ADDRESS.encode(), PERSONNUMMER.encode(), PDF, b"Intyg bifogat"):
                assert secret not in body, (kind, name, secret)


def test_the_named_officer_sees_the_case_with_its_details_but_lists_and_exports_do_not(protected: dict) -> None:
    named: Staff = protected["named"]
    named.get(f"/staff/cases/{protected['reference']}")
    assert ADDRESS in named.html  # on the case page itself, the person named sees everything
    named.get("/staff/")
    row = re.search(rf"<tr>\s*<td><a href=\"/staff/cases/{protected['reference']}\".*?</tr>", named.html, re.S)
    assert row and "Skyddad identitet" in row.group(0) and "121212" not in row.group(0)
    export = named.raw("GET", f"/staff/export.csv?eservice={SLUG}").get_data(as_text=True)
    line = next(line for line in export.splitlines() if protected["reference"] in line)
    assert "(skyddad identitet: se ärendet)" in line and ADDRESS not in line


def test_marking_naming_and_unmarking_are_audited_and_take_effect_at_once(
    app: Flask, db: Session, login_as, protected: dict
) -> None:
    reference, named = protected["reference"], protected["named"]
    colleague = login_as("staff", UNIT, email="kollega@grums.se", name="Karl Kollega")
    assert colleague.raw("GET", f"/staff/cases/{reference}").status_code == 404

    named.get(f"/staff/cases/{reference}")
    assert '<option value="' + str(colleague.user.id) + '">Karl Kollega</option>' in named.html
    named.post(f"/staff/cases/{reference}/protection", {"change": "name", "user": str(colleague.user.id)})
    assert colleague.raw("GET", f"/staff/cases/{reference}").status_code == 200

    # Someone of another unit cannot be named, whatever the form says.
    outsider = login_as("staff", "kommunledning", email="utanfor@grums.se")
    named.post(f"/staff/cases/{reference}/protection", {"change": "name", "user": str(outsider.user.id)})
    assert "Bara personal vid ärendets enhet" in named.html
    assert outsider.raw("GET", f"/staff/cases/{reference}").status_code == 404

    named.post(f"/staff/cases/{reference}/protection", {"change": "unname", "user": str(colleague.user.id)})
    assert colleague.raw("GET", f"/staff/cases/{reference}").status_code == 404
    # The last person named cannot be taken off: the case would be lost to everyone.
    named.post(f"/staff/cases/{reference}/protection", {"change": "unname", "user": str(named.user.id)})
    assert "Minst en person" in named.html
    assert named.raw("GET", f"/staff/cases/{reference}").status_code == 200

    named.post(f"/staff/cases/{reference}/protection", {"change": "unprotect"})
    assert colleague.raw("GET", f"/staff/cases/{reference}").status_code == 200
    reread(db)
    assert db.scalar(select(NamedOfficer)) is None
    case = db.scalar(select(Submission).where(Submission.reference == reference))
    assert case.protected is False
    trail = [
        (e.action, e.actor_id, e.data.get("user"))
        for e in db.scalars(select(AuditEvent).where(AuditEvent.submission_id == case.id).order_by(AuditEvent.id))
        if e.action in ("case_protected", "case_unprotected", "officer_named", "officer_unnamed")
    ]
    assert trail == [
        ("case_protected", named.user.id, None),
        ("officer_named", named.user.id, "kollega@grums.se"),
        ("officer_unnamed", named.user.id, "kollega@grums.se"),
        ("case_unprotected", named.user.id, None),
    ]


def test_the_case_officer_stays_named_when_someone_else_marks_the_case(
    app: Flask, db: Session, make_submission, login_as
) -> None:
    reference, _ = make_submission(SLUG)
    officer = login_as("staff", UNIT, email="handlaggare@grums.se")
    officer.get(f"/staff/cases/{reference}")
    officer.post(f"/staff/cases/{reference}/assign", {"assignee": "me"})
    other = login_as("staff", UNIT, email="annan@grums.se")
    other.get(f"/staff/cases/{reference}")
    other.post(f"/staff/cases/{reference}/protection", {"change": "protect"})
    assert officer.raw("GET", f"/staff/cases/{reference}").status_code == 200
    third = login_as("staff", UNIT, email="tredje@grums.se")
    assert third.raw("GET", f"/staff/cases/{reference}").status_code == 404
    # On a protected case, only the named can be assigned it.
    page = other.get(f"/staff/cases/{reference}").get_data(as_text=True)
    assignable = re.search(r'<select class="select" id="assignee".*?</select>', page, re.S).group(0)
    assert officer.user.name in assignable and third.user.name not in assignable


def test_changes_to_protection_need_the_csrf_token_and_a_case_one_may_see(
    db: Session, login_as, protected: dict
) -> None:
    reference = protected["reference"]
    unit_staff = login_as("staff", UNIT)
    unit_staff.get("/staff/")
    for action in ("unprotect", "name"):
        response = unit_staff.raw(
            "POST",
            f"/staff/cases/{reference}/protection",
            data={"csrf_token": unit_staff.token(), "change": action, "user": str(unit_staff.user.id)},
        )
        assert response.status_code == 404, action  # they cannot take it back or name themselves
    named: Staff = protected["named"]
    assert named.raw("POST", f"/staff/cases/{reference}/protection", data={"change": "unprotect"}).status_code == 400
    reread(db)
    assert db.scalar(select(Submission).where(Submission.reference == reference)).protected is True

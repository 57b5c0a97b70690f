"""The audit trail: every step of a case's life is recorded with who, which case and from where; the
administrators' log lists and filters it, and nothing in the application can change it.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

import pytest
from conftest import PDF, Resident, Staff, reread
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent
from app.services.audit import ACTION_LABELS as LABELS

IP = "127.0.0.1"


@pytest.fixture(autouse=True)
def _mail(mail_kept_in_outbox: None) -> None:
    pass


def audit_rows(admin: Staff) -> list[list[str]]:
    """The audit log table as cells of text, top (newest) to bottom."""
    body = admin.html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if len(cells) == 6:  # not the "no events" row
            found.append(cells)
    return found


def test_a_case_lifecycle_leaves_a_complete_audit_trail(app: Flask, db: Session, login_as, make_submission) -> None:
    reference, follow_url = make_submission(handling="Protokoll från KS oktober")
    officer = login_as("staff", "kommunledning", email="hanna@grums.se")
    email = "hanna@grums.se"

    def on_case(path: str, data: dict[str, str]) -> None:
        officer.get(f"/staff/cases/{reference}")
        officer.post(f"/staff/cases/{reference}/{path}", data)
        assert officer.page.status_code == 200, path

    on_case("assign", {"assignee": "me"})
    on_case("status", {"action": "start", "comment": ""})
    on_case("status", {"action": "request_completion", "comment": "Vilket datum?"})
    resident = Resident(app.test_client())
    resident.get(follow_url)
    resident.post(follow_url, {"text": "Den 14 oktober.", "files": (io.BytesIO(PDF), "kallelse.pdf")})
    officer.get(f"/staff/cases/{reference}")
    file_url = re.search(rf'href="(/staff/cases/{reference}/files/\d+)"', officer.html).group(1)
    assert officer.raw("GET", file_url).status_code == 200
    assert officer.raw("GET", f"/staff/cases/{reference}/receipt.pdf").status_code == 200
    on_case("note", {"text": "Kolla sekretess."})
    on_case("message", {"text": "Vi skickar den i morgon."})
    on_case("status", {"action": "decide", "comment": ""})
    export = officer.raw("GET", "/staff/export.csv?eservice=begaran-om-allman-handling")
    assert export.status_code == 200 and reference in export.get_data(as_text=True)

    reread(db)
    # The fixture's loading of the bundled e-services is in the log too, before the case's trail.
    events = db.scalars(select(AuditEvent).where(AuditEvent.actor_label != "forms load").order_by(AuditEvent.id)).all()
    actions = [e.action for e in events]
    # Every opening of the case page is a view (the page is shown again after each change).
    assert [a for a in actions if a != "case_viewed"] == [
        "mfa_enrolled",
        "login",
        "case_assigned",
        "status_changed",
        "status_changed",
        "resident_replied",
        "status_changed",  # back in progress because the resident answered
        "file_downloaded",
        "receipt_downloaded",
        "note_added",
        "message_sent",
        "status_changed",
        "cases_exported",
    ]
    assert actions.count("case_viewed") == 2 * 6 + 1
    assert all(e.ip == IP for e in events)
    for event in events:
        by_resident = event.action == "resident_replied" or (
            event.action == "status_changed" and event.data.get("action_taken") == "resume"
        )
        if by_resident:
            assert (event.actor_id, event.actor_label) == (None, "resident"), event.action
        else:
            assert (event.actor_id, event.actor_label) == (officer.user.id, email), event.action
        if event.action in ("mfa_enrolled", "login", "cases_exported"):
            assert event.reference is None
        else:
            assert event.reference == reference, event.action
            assert event.submission_id is not None
    statuses = [(e.data["action_taken"], e.data["to"]) for e in events if e.action == "status_changed"]
    assert statuses == [
        ("start", "in_progress"),
        ("request_completion", "waiting"),
        ("resume", "in_progress"),
        ("decide", "decided"),
    ]
    downloaded = next(e for e in events if e.action == "file_downloaded")
    assert downloaded.data["file"] == "kallelse.pdf" and len(downloaded.data["sha256"]) == 64
    assert next(e for e in events if e.action == "case_assigned").data == {"to": email}
    assert next(e for e in events if e.action == "cases_exported").data == {"eservice": "begaran-om-allman-handling"}
    assert next(e for e in events if e.action == "resident_replied").data == {"files": 1}
    # The audit log never holds what residents or staff wrote.
    for event in events:
        assert "Vilket datum" not in str(event.data) and "sekretess" not in str(event.data)

    # The administrators' view lists it all, and filters by action and by reference.
    admin = login_as("admin", email="admin@grums.se")
    admin.get("/admin/audit?lang=en")  # actions are shown by name, in the interface language
    listed = [row for row in audit_rows(admin) if row[1] != "forms load"]
    # The administrator's own sign-in (the app set up first) is the newest.
    assert [row[2] for row in listed] == [LABELS[a] for a in ["login", "mfa_enrolled", *actions[::-1]]]
    assert listed[2][1:5] == [email, "Exported cases", "", IP]
    assert listed[-1][1:5] == [email, "Set up two-step sign-in", "", IP]

    admin.get("/admin/audit?" + urlencode({"action": "status_changed"}))
    assert [row[2] for row in audit_rows(admin)] == ["Changed the status"] * 4
    assert [row[1] for row in audit_rows(admin)] == [
        email,
        "the resident",
        email,
        email,
    ]  # the automatic resume after a reply
    admin.get("/admin/audit?" + urlencode({"reference": reference.lower()}))
    by_reference = audit_rows(admin)
    assert len(by_reference) == len([a for a in actions if a not in ("mfa_enrolled", "login", "cases_exported")])
    assert {row[3] for row in by_reference} == {reference}
    admin.get("/admin/audit?" + urlencode({"action": "note_added", "reference": reference}))
    assert [row[2] for row in audit_rows(admin)] == ["Wrote a note"]
    admin.get("/admin/audit?" + urlencode({"actor": "HANNA@"}))
    assert {row[1] for row in audit_rows(admin)} == {email}
    admin.get("/admin/audit?" + urlencode({"reference": "GRU-2026-99999A"}))
    assert audit_rows(admin) == []


def test_the_audit_log_pages_back_in_hundreds(db: Session, login_as) -> None:
    admin = login_as("admin")
    failed = [
        AuditEvent(at=admin.user.created_at, actor_label=f"gissning{n}@example.se", action="login_failed", ip=IP)
        for n in range(150)
    ]
    db.add_all(failed)
    db.commit()
    admin.get("/admin/audit?action=login_failed")
    first = audit_rows(admin)
    older = re.search(r'<a href="([^"]+)" rel="next">', admin.html)
    assert older is not None and "action=login_failed" in older.group(1)
    admin.get(older.group(1).replace("&amp;", "&"))
    second = audit_rows(admin)
    assert len(first) == 100 and len(second) == 50
    labels = [row[1] for row in first + second]
    assert labels == [f"gissning{n}@example.se" for n in range(149, -1, -1)]
    assert 'rel="next"' not in admin.html


def test_no_route_can_change_or_delete_audit_events(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule or "audit" in rule.endpoint:
            assert rule.methods is not None
            assert not rule.methods & {"POST", "PUT", "PATCH", "DELETE"}, rule
    audit_rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]
    assert [rule.rule for rule in audit_rules] == ["/admin/audit"]


def test_posting_to_the_audit_log_is_not_allowed(db: Session, login_as) -> None:
    admin = login_as("admin")
    admin.get("/admin/audit")
    response = admin.raw("POST", "/admin/audit", data={"csrf_token": admin.token(), "action": "login"})
    assert response.status_code == 405

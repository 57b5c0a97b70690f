"""Handling one case: assigning, moving it along the workflow, notes, messages to the resident, two
people changing it at once, and the resident's answers coming back.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from conftest import PDF, PNG, Resident, Staff, reread
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Attachment, AuditEvent, CaseLink, OutboxMessage, Submission
from app.uploads import clean_upload
from eservices import workflow
from eservices.fields import Upload

RESIDENT_EMAIL = "eva@example.se"


@pytest.fixture(autouse=True)
def _mail(mail_kept_in_outbox: None) -> None:
    pass


@pytest.fixture
def filed(make_submission) -> dict[str, str]:
    reference, follow_url = make_submission(handling="Protokoll från KS oktober", epost=RESIDENT_EMAIL)
    return {"reference": reference, "follow_url": follow_url}


@pytest.fixture
def officer(login_as) -> Staff:
    return login_as("staff", "kommunledning", name="Hanna Handläggare")


def case_of(db: Session, reference: str) -> Submission:
    reread(db)
    found = db.scalar(select(Submission).where(Submission.reference == reference))
    assert found is not None
    return found


def open_case(staff: Staff, reference: str) -> None:
    staff.get(f"/staff/cases/{reference}")
    assert staff.page.status_code == 200


def transitions_offered(staff: Staff) -> list[str]:
    return re.findall(r'name="action" value="(\w+)"', staff.html)


def change_status(staff: Staff, reference: str, action: str, comment: str = "") -> Any:
    open_case(staff, reference)
    return staff.post(f"/staff/cases/{reference}/status", {"action": action, "comment": comment})


def timeline(staff: Staff) -> str:
    return staff.html.split('id="timeline"', 1)[1].split("</ol>", 1)[0]


def resident_page(app: Flask, follow_url: str) -> Resident:
    resident = Resident(app.test_client())
    resident.get(follow_url)
    assert resident.page.status_code == 200
    return resident


# --- assigning ----------------------------------------------------------------------------------------


def test_assign_to_me_to_a_colleague_and_to_nobody(
    db: Session, officer: Staff, make_user, filed: dict[str, str]
) -> None:
    reference = filed["reference"]
    colleague = make_user("kalle@grums.se", "staff", "kommunledning", name="Kalle Kollega")
    open_case(officer, reference)
    offered = re.findall(r'<option value="(\d+)"', officer.html.split('id="assignee"', 1)[1].split("</select>")[0])
    assert sorted(int(i) for i in offered) == sorted([officer.user.id, colleague.id])

    officer.post(f"/staff/cases/{reference}/assign", {"assignee": "me"})
    assert officer.url == f"/staff/cases/{reference}" and officer.page.status_code == 200
    assert case_of(db, reference).assigned_to_id == officer.user.id
    assert f'<option value="{officer.user.id}" selected>' in officer.html

    officer.post(f"/staff/cases/{reference}/assign", {"assignee": str(colleague.id)})
    assert case_of(db, reference).assigned_to_id == colleague.id
    assert "Kalle Kollega" in timeline(officer)

    officer.post(f"/staff/cases/{reference}/assign", {"assignee": ""})
    assert case_of(db, reference).assigned_to_id is None
    assigned = [e.data["to"] for e in case_of(db, reference).events if e.kind == "assigned"]
    assert assigned == ["Hanna Handläggare", "Kalle Kollega", None]


def test_only_active_case_officers_of_the_unit_can_be_assigned(
    db: Session, officer: Staff, make_user, filed: dict[str, str]
) -> None:
    reference = filed["reference"]
    gone = make_user("gone@grums.se", "staff", "kommunledning")
    gone.active = False
    db.commit()
    choices = {
        "other unit": str(make_user("sam@grums.se", "staff", "samhallsbyggnad").id),
        "communicator": str(make_user("kom@grums.se", "communicator", "kommunledning").id),
        "inactive": str(gone.id),
        "unknown": "999999",
        "not an id": "Kalle",
    }
    open_case(officer, reference)
    assert f'value="{gone.id}"' not in officer.html  # not offered either
    version = case_of(db, reference).version
    for who, choice in choices.items():
        open_case(officer, reference)
        officer.post(f"/staff/cases/{reference}/assign", {"assignee": choice})
        assert officer.page.status_code == 400, who
    found = case_of(db, reference)
    assert found.assigned_to_id is None and found.version == version
    assert [e.kind for e in found.events] == ["received"]


# --- the workflow -------------------------------------------------------------------------------------


def test_the_case_moves_along_the_workflow_with_comments(
    app: Flask, db: Session, officer: Staff, filed: dict[str, str]
) -> None:
    reference = filed["reference"]
    steps = [
        ("start", "in_progress", "Jag tar den."),
        ("request_completion", "waiting", "Vilket datum?"),
        ("resume", "in_progress", ""),
        ("decide", "decided", "Handlingen lämnas ut."),
        ("close", "closed", "Skickad med e-post."),
        ("reopen", "in_progress", "Fel handling skickades."),
    ]
    for action, state, comment in steps:
        open_case(officer, reference)
        assert action in transitions_offered(officer)
        assert transitions_offered(officer) == [t.action for t in workflow.available(case_of(db, reference).status)]
        officer.post(f"/staff/cases/{reference}/status", {"action": action, "comment": comment})
        assert officer.page.status_code == 200 and officer.url == f"/staff/cases/{reference}"
        assert case_of(db, reference).status == state
        if comment:
            assert comment in timeline(officer)

    changes = [e.data for e in case_of(db, reference).events if e.kind == "status"]
    assert [(c["action"], c["from"], c["to"]) for c in changes] == [
        ("start", "received", "in_progress"),
        ("request_completion", "in_progress", "waiting"),
        ("resume", "waiting", "in_progress"),
        ("decide", "in_progress", "decided"),
        ("close", "decided", "closed"),
        ("reopen", "closed", "in_progress"),
    ]
    assert changes[2]["comment"] is None and changes[0]["comment"] == "Jag tar den."
    # The resident sees each new status but none of staff's comments.
    resident = resident_page(app, filed["follow_url"])
    for _, _, comment in steps:
        if comment:
            assert comment not in resident.html
    assert resident.html.count("timeline-item--status") == len(steps)


def test_an_illegal_transition_is_refused_and_keeps_the_comment(
    db: Session, officer: Staff, filed: dict[str, str]
) -> None:
    reference = filed["reference"]
    for setup, action in ((None, "close"), (None, "decide"), (None, "explode"), ("start", "start")):
        if setup:
            change_status(officer, reference, setup)
        before = case_of(db, reference)
        state, version, events = before.status, before.version, len(before.events)
        open_case(officer, reference)
        officer.post(f"/staff/cases/{reference}/status", {"action": action, "comment": "Min kommentar & mer"})
        assert officer.page.status_code == 409, action
        assert "Min kommentar &amp; mer</textarea>" in officer.html, action
        after = case_of(db, reference)
        assert (after.status, after.version, len(after.events)) == (state, version, events), action
    officer.get(f"/staff/cases/{reference}?lang=en")
    officer.post(f"/staff/cases/{reference}/status", {"action": "close", "comment": ""})
    assert "That change is not possible from the case" in officer.html


def test_a_status_change_without_a_version_is_refused(db: Session, officer: Staff, filed: dict[str, str]) -> None:
    reference = filed["reference"]
    open_case(officer, reference)
    response = officer.raw(
        "POST",
        f"/staff/cases/{reference}/status",
        data={"csrf_token": officer.token(), "action": "start", "version": "x"},
    )
    assert response.status_code == 400
    assert case_of(db, reference).status == "received"


# --- notes and messages -------------------------------------------------------------------------------


def test_an_internal_note_is_for_staff_only(app: Flask, db: Session, officer: Staff, filed: dict[str, str]) -> None:
    reference = filed["reference"]
    open_case(officer, reference)
    officer.post(f"/staff/cases/{reference}/note", {"text": "Ring registrator om sekretess."})
    assert officer.page.status_code == 200
    assert "Ring registrator om sekretess." in timeline(officer)
    resident = resident_page(app, filed["follow_url"])
    assert "Ring registrator" not in resident.html
    assert "timeline-item--note" not in resident.html
    reread(db)
    assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "message")) == 0


def test_an_empty_note_or_message_is_refused(db: Session, officer: Staff, filed: dict[str, str]) -> None:
    reference = filed["reference"]
    for path, error_id in (("note", "note-error"), ("message", "message-error")):
        open_case(officer, reference)
        officer.post(f"/staff/cases/{reference}/{path}", {"text": "   "})
        assert officer.page.status_code == 422, path
        assert f'id="{error_id}"' in officer.html
    assert [e.kind for e in case_of(db, reference).events] == ["received"]
    reread(db)
    assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "message")) == 0


def test_a_message_reaches_the_residents_page_and_mailbox_with_a_new_private_link(
    app: Flask, db: Session, officer: Staff, filed: dict[str, str]
) -> None:
    reference, follow_url = filed["reference"], filed["follow_url"]
    text = "Vilket möte i oktober menar du? Svara gärna <snart>."
    open_case(officer, reference)
    officer.post(f"/staff/cases/{reference}/message", {"text": text})
    assert officer.page.status_code == 200
    assert "Vilket möte i oktober menar du? Svara gärna &lt;snart&gt;." in timeline(officer)
    assert "no email could be sent" not in timeline(officer)

    resident = resident_page(app, follow_url)
    assert "Vilket möte i oktober menar du? Svara gärna &lt;snart&gt;." in resident.html

    reread(db)
    mail = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "message"))
    assert mail is not None and mail.recipient == RESIDENT_EMAIL
    assert reference in mail.subject
    assert text in mail.body_text
    links = re.findall(r"https?://[^\s/]+(/case/[A-Za-z0-9_-]+)", mail.body_text)
    assert len(links) == 1 and links[0] != follow_url
    opened = resident_page(app, links[0])
    assert reference in opened.html and "Vilket möte i oktober" in opened.html
    assert db.scalar(select(func.count()).select_from(CaseLink)) == 1
    event = next(e for e in case_of(db, reference).events if e.kind == "message")
    assert event.data == {"text": text, "mailed": True} and event.actor_id == officer.user.id


def test_a_message_to_a_resident_without_email_is_shown_but_not_mailed(
    app: Flask, db: Session, officer: Staff, make_submission
) -> None:
    reference, follow_url = make_submission(leveranssatt="hamta")
    assert case_of(db, reference).email is None
    open_case(officer, reference)
    officer.post(f"/staff/cases/{reference}/message", {"text": "Handlingen finns i receptionen."})
    assert officer.page.status_code == 200

    event = next(e for e in case_of(db, reference).events if e.kind == "message")
    assert event.data["mailed"] is False
    assert "Handlingen finns i receptionen." in resident_page(app, follow_url).html
    reread(db)
    assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "message")) == 0
    assert db.scalar(select(func.count()).select_from(CaseLink)) == 0
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "message_sent"))
    assert audit.data == {"mailed": False}
    officer.get(f"/staff/cases/{reference}?lang=en")
    assert "no email could be sent" in timeline(officer)


# --- two people at once -------------------------------------------------------------------------------


def test_the_second_of_two_status_changes_from_the_same_version_is_refused(
    db: Session, officer: Staff, login_as, filed: dict[str, str]
) -> None:
    reference = filed["reference"]
    other = login_as("staff", "kommunledning", name="Kalle Kollega")
    open_case(officer, reference)
    open_case(other, reference)
    assert officer.version() == other.version()

    officer.post(f"/staff/cases/{reference}/status", {"action": "start", "comment": "Jag tar den."})
    assert officer.page.status_code == 200
    other.post(f"/staff/cases/{reference}/status", {"action": "start", "comment": "Nej, jag tar den!"})
    assert other.page.status_code == 409
    assert "Nej, jag tar den!</textarea>" in other.html
    assert 'role="alert"' in other.html
    # The page shows the case as it is now, with the new version to send again with.
    assert int(other.version()) == case_of(db, reference).version
    assert transitions_offered(other) == ["request_completion", "decide"]

    found = case_of(db, reference)
    assert found.status == "in_progress"
    changes = [e for e in found.events if e.kind == "status"]
    assert len(changes) == 1 and changes[0].actor_id == officer.user.id
    assert changes[0].data["comment"] == "Jag tar den."


def test_a_stale_assignment_is_refused(db: Session, officer: Staff, login_as, filed: dict[str, str]) -> None:
    reference = filed["reference"]
    other = login_as("staff", "kommunledning")
    open_case(officer, reference)
    open_case(other, reference)
    officer.post(f"/staff/cases/{reference}/assign", {"assignee": "me"})
    other.post(f"/staff/cases/{reference}/assign", {"assignee": "me"})
    assert other.page.status_code == 409
    assert case_of(db, reference).assigned_to_id == officer.user.id


# --- the resident answers -----------------------------------------------------------------------------


def test_a_reply_with_a_file_comes_back_to_the_case_officer(
    app: Flask, db: Session, officer: Staff, filed: dict[str, str]
) -> None:
    reference, follow_url = filed["reference"], filed["follow_url"]
    open_case(officer, reference)
    officer.post(f"/staff/cases/{reference}/assign", {"assignee": "me"})
    change_status(officer, reference, "start")
    change_status(officer, reference, "request_completion", "Vilket datum?")
    assert case_of(db, reference).status == "waiting"

    resident = resident_page(app, follow_url)
    resident.post(follow_url, {"text": "Mötet den 14 oktober.", "files": (io.BytesIO(PDF), "kallelse.pdf")})
    assert resident.page.status_code == 200 and resident.url == follow_url
    assert "Mötet den 14 oktober." in resident.html

    found = case_of(db, reference)
    assert found.status == "in_progress" and found.has_news is True
    resumed = [e for e in found.events if e.kind == "status"][-1]
    assert resumed.actor_id is None and resumed.data["action"] == "resume"

    officer.get("/staff/")
    row = officer.html.split(f'href="/staff/cases/{reference}"', 1)[1].split("</tr>", 1)[0]
    assert 'class="badge badge--news"' in row

    open_case(officer, reference)
    assert "Mötet den 14 oktober." in timeline(officer)
    assert "kallelse.pdf" in timeline(officer)
    link = re.search(rf'href="(/staff/cases/{reference}/files/\d+)">kallelse.pdf</a>', officer.html)
    assert link is not None
    download = officer.raw("GET", link.group(1))
    assert download.status_code == 200
    assert download.get_data() == PDF
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert "kallelse.pdf" in download.headers["Content-Disposition"]

    # Seen by the officer it is assigned to, the case is no longer news...
    assert case_of(db, reference).has_news is False
    officer.get("/staff/")
    assert "badge--news" not in officer.html
    # ...and the page the officer has open still works: its version is the one stored.
    open_case(officer, reference)
    officer.post(f"/staff/cases/{reference}/status", {"action": "decide", "comment": ""})
    assert officer.page.status_code == 200 and case_of(db, reference).status == "decided"


def test_news_survives_a_look_by_someone_the_case_is_not_assigned_to(
    app: Flask, db: Session, officer: Staff, login_as, filed: dict[str, str]
) -> None:
    reference, follow_url = filed["reference"], filed["follow_url"]
    open_case(officer, reference)
    officer.post(f"/staff/cases/{reference}/assign", {"assignee": "me"})
    resident = resident_page(app, follow_url)
    resident.post(follow_url, {"text": "Tillägg."})
    other = login_as("staff", "kommunledning")
    open_case(other, reference)
    assert case_of(db, reference).has_news is True


def test_a_news_case_opened_by_its_officer_can_be_handled_from_that_page(
    app: Flask, db: Session, officer: Staff, filed: dict[str, str]
) -> None:
    """Opening the case clears the news flag (a write): the version on the page must be the new one."""
    reference, follow_url = filed["reference"], filed["follow_url"]
    open_case(officer, reference)
    officer.post(f"/staff/cases/{reference}/assign", {"assignee": "me"})
    resident = resident_page(app, follow_url)
    resident.post(follow_url, {"text": "Tillägg."})
    open_case(officer, reference)
    assert int(officer.version()) == case_of(db, reference).version
    officer.post(f"/staff/cases/{reference}/status", {"action": "start", "comment": "Nu börjar jag."})
    assert officer.page.status_code == 200
    assert case_of(db, reference).status == "in_progress"


def test_an_empty_reply_is_refused_and_nothing_is_stored(app: Flask, db: Session, filed: dict[str, str]) -> None:
    reference, follow_url = filed["reference"], filed["follow_url"]
    resident = resident_page(app, follow_url)
    resident.post(follow_url, {"text": "   "})
    assert resident.page.status_code == 422
    assert 'id="reply-error-title"' in resident.html
    found = case_of(db, reference)
    assert [e.kind for e in found.events] == ["received"] and found.has_news is False
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "resident_replied")) == 0


NOT_ACCEPTED = "Vi kan inte ta emot den typen av fil. Tillåtna filtyper: PDF, JPEG, PNG, HEIC."


def test_a_disguised_or_unaccepted_file_is_refused_with_a_message(
    app: Flask, db: Session, filed: dict[str, str]
) -> None:
    reference, follow_url = filed["reference"], filed["follow_url"]
    for content, name, message in (
        (b"Det har ar bara text, ingen PDF.\n" * 10, "intyg.pdf", NOT_ACCEPTED),
        (b"MZ\x90\x00" * 50, "program.exe", NOT_ACCEPTED),
        (b"", "tom.pdf", "Filen är tom. Välj en annan fil."),
    ):
        resident = resident_page(app, follow_url)
        resident.post(follow_url, {"text": "Här är intyget.", "files": (io.BytesIO(content), name)})
        assert resident.page.status_code == 422, name
        summary = resident.html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
        assert f'<a href="#reply-text">{message}</a>' in summary, summary
        assert "Här är intyget.</textarea>" in resident.html  # what they wrote is kept
    found = case_of(db, reference)
    assert [e.kind for e in found.events] == ["received"]
    reread(db)
    assert db.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_reply_with_only_a_file_is_accepted(app: Flask, db: Session, filed: dict[str, str]) -> None:
    reference, follow_url = filed["reference"], filed["follow_url"]
    resident = resident_page(app, follow_url)
    resident.post(follow_url, {"text": "", "files": (io.BytesIO(PNG), "foto.png")})
    assert resident.page.status_code == 200
    reread(db)
    stored = db.scalar(select(Attachment))
    # Images are stored re-encoded (without metadata), so the bytes are the cleaned file's.
    assert stored.content == clean_upload(Upload("foto.png", PNG)).content
    assert stored.content_type == "image/png" and stored.field_name == "reply"
    reply = [e for e in case_of(db, reference).events if e.kind == "reply"]
    assert len(reply) == 1 and reply[0].data["files"][0]["filename"] == "foto.png"


def test_a_reply_with_unexpected_fields_is_refused(app: Flask, db: Session, filed: dict[str, str]) -> None:
    resident = resident_page(app, filed["follow_url"])
    resident.post(filed["follow_url"], {"text": "Hej", "status": "closed"})
    assert resident.page.status_code == 400
    assert [e.kind for e in case_of(db, filed["reference"]).events] == ["received"]


def test_the_case_page_shows_the_answers_files_and_receipt(db: Session, login_as, make_submission) -> None:
    reference, _ = make_submission(
        "parkeringstillstand-rorelsehindrade", fornamn="Åsa", lakarintyg=(PDF, "läkarintyg.pdf")
    )
    officer = login_as("staff", "socialforvaltningen")
    open_case(officer, reference)
    assert "Åsa" in officer.html and "läkarintyg.pdf" in officer.html
    assert f'href="/staff/cases/{reference}/receipt.pdf"' in officer.html
    receipt = officer.raw("GET", f"/staff/cases/{reference}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.get_data().startswith(b"%PDF-")
    assert f"kvittens-{reference}.pdf" in receipt.headers["Content-Disposition"]


def test_a_closed_case_takes_no_reply(app: Flask, db: Session, officer: Staff, filed: dict[str, str]) -> None:
    """The follow page hides the answer form once the case is closed; a reply posted anyway (a page left open
    since before the case was closed) must not be stored silently in a closed case nobody looks at."""
    reference, follow_url = filed["reference"], filed["follow_url"]
    resident = resident_page(app, follow_url)  # the form is still there: the case is open
    for action in ("start", "decide", "close"):
        change_status(officer, reference, action)
    assert 'name="text"' not in resident_page(app, follow_url).html
    response = resident.client.post(follow_url, data={"csrf_token": resident.token(), "text": "Ett sent tillägg."})
    assert response.status_code >= 400
    found = case_of(db, reference)
    assert [e.kind for e in found.events if e.kind == "reply"] == []
    assert found.has_news is False and found.status == "closed"

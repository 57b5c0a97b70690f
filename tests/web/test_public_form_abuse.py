"""The public forms under abuse: a field only scripts fill in, a least time to fill in a form, limits per
address on filing and saving, and follow-the-case links that cannot be guessed and end with the case.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import PDF, PNG, ROOT, Resident, reread
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import CaseEvent, Draft, Submission
from app.services import cases
from eservices.samples import sample_answers
from eservices.schema import load_file
from eservices.validation import field_visible, prune

SLUG = "begaran-om-allman-handling"


@pytest.fixture(autouse=True)
def _mail(mail_kept_in_outbox: None) -> None:
    pass


def on_first_page(app: Flask) -> Resident:
    resident = Resident(app.test_client())
    resident.start(SLUG)
    assert "/page/1" in resident.url
    return resident


def submissions(db: Session) -> int:
    reread(db)
    return int(db.scalar(select(func.count()).select_from(Submission)) or 0)


def to_review(app: Flask, make_submission) -> Resident:
    """A resident on the review page with every page answered (as make_submission does, then stopping)."""
    make_submission()  # files one case from this address: the pages can be answered as they are
    resident = Resident(app.test_client())
    resident.start(SLUG)
    definition = load_file(ROOT / "forms" / f"{SLUG}.yaml")
    kept = prune(definition, sample_answers(definition, date.today()))
    while "/page/" in resident.url:
        index = int(resident.url.rsplit("/", 1)[1]) - 1
        data = {}
        for item in definition.pages[index].fields:
            if not item.type.has_input or not field_visible(item, kept):
                continue
            if item.type.takes_file:
                data[item.name] = (PDF, "bilaga.pdf") if "pdf" in item.spec.get("accept", ["pdf"]) else (PNG, "b.png")
            else:
                data[item.name] = item.type.to_form(item.spec, kept[item.name])
        resident.answer(data)
    assert resident.url.endswith("/review")
    return resident


def test_every_form_page_has_a_field_for_scripts_that_people_never_meet(app: Flask, db: Session) -> None:
    resident = on_first_page(app)
    block = re.search(r'<div class="honeypot" aria-hidden="true">(.*?)</div>', resident.html, re.S)
    assert block, "no honeypot on the page"
    assert '<label for="website-address">Lämna fältet tomt</label>' in block.group(1)
    assert 'tabindex="-1"' in block.group(1) and 'autocomplete="off"' in block.group(1)


def test_a_filled_honeypot_saves_nothing_and_says_so_calmly(app: Flask, db: Session) -> None:
    resident = on_first_page(app)
    page = resident.url
    resident.answer({"handling": "Protokoll från KS", "website-address": "https://spam.example"})
    assert resident.page.status_code == 422 and resident.url == page
    assert "Kontrollera dina svar och skicka igen" in resident.html
    assert 'value="Protokoll från KS"' in resident.html or "Protokoll från KS" in resident.html  # kept on screen
    reread(db)
    assert all("handling" not in d.answers for d in db.scalars(select(Draft)))
    # A person who sends the page again (without the field) goes on as usual.
    resident.answer({"handling": "Protokoll från KS"})
    assert resident.page.status_code == 200 and resident.url != page


def test_a_filled_honeypot_on_the_last_step_files_nothing(app: Flask, db: Session, make_submission) -> None:
    resident = to_review(app, make_submission)
    before = submissions(db)
    resident.post(data={"action": "submit", "website-address": "x"})
    assert resident.page.status_code == 422 and resident.url.endswith("/review")
    assert "Kontrollera dina svar och skicka igen" in resident.html
    assert submissions(db) == before
    resident.submit()
    assert resident.url.startswith("/receipt/") and submissions(db) == before + 1


def test_a_form_filed_faster_than_a_person_could_is_asked_again(
    app: Flask, db: Session, make_submission, monkeypatch: pytest.MonkeyPatch
) -> None:
    resident = to_review(app, make_submission)
    before = submissions(db)
    monkeypatch.setitem(app.config, "FORM_MIN_FILL_SECONDS", 600)
    resident.submit()
    assert resident.page.status_code == 422 and "snabbare än vi väntade oss" in resident.html
    assert submissions(db) == before
    reread(db)
    for draft in db.scalars(select(Draft).where(Draft.submission_id.is_(None))):
        draft.created_at -= timedelta(minutes=11)
    db.commit()
    resident.submit()
    assert resident.url.startswith("/receipt/") and submissions(db) == before + 1


def test_filing_is_limited_per_address(
    app: Flask, db: Session, make_submission, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_SUBMISSIONS", "1 per hour")
    resident = to_review(app, make_submission)  # one filing from this address already
    before = submissions(db)
    resident.submit()
    assert resident.page.status_code == 429
    assert "För många försök på kort tid" in resident.html
    assert submissions(db) == before
    review = resident.page.request.path
    resident.get(review)  # looking is not limited
    resident.post(data={"action": "submit"}, environ_base={"REMOTE_ADDR": "192.0.2.77"})
    assert resident.url.startswith("/receipt/")  # another address is not held up by this one
    assert submissions(db) == before + 1


def test_saving_pages_is_limited_per_address(app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_DRAFT_SAVES", "2 per hour")  # pages posted, not drafts started
    resident = on_first_page(app)  # starting the draft was one
    resident.answer({"handling": "Första"}, action="save")
    resident.get(resident.url.replace("/saved", "/page/1"))
    resident.answer({"handling": "Andra"}, action="save")
    resident.get(resident.url.replace("/saved", "/page/1"))
    resident.answer({"handling": "Tredje"}, action="save")
    assert resident.page.status_code == 429
    reread(db)
    assert [d.answers.get("handling") for d in db.scalars(select(Draft))] == ["Andra"]


def test_follow_links_are_long_and_a_near_miss_opens_nothing(app: Flask, db: Session, make_submission) -> None:
    reference, follow_url = make_submission()
    token = follow_url.rsplit("/", 1)[1]
    assert len(token) >= 43  # at least 256 bits, as 64 hex digits or 43 URL-safe characters
    resident = Resident(app.test_client())
    assert resident.get(follow_url).status_code == 200 and reference in resident.html
    near = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert resident.get(follow_url.replace(token, near)).status_code == 404
    assert resident.get(follow_url.replace(token, token.upper())).status_code == 404


def test_follow_links_end_some_time_after_the_case_is_closed(app: Flask, db: Session, make_submission) -> None:
    reference, follow_url = make_submission()
    reread(db)
    case = db.scalar(select(Submission).where(Submission.reference == reference))
    now = datetime.now(UTC)
    for action in ("start", "decide", "close"):
        cases.transition(db, case, None, action, "", None, now, None)
    db.commit()
    resident = Resident(app.test_client())
    assert resident.get(follow_url).status_code == 200  # closed, but recently: the resident can still read it
    days = app.config["FOLLOW_LINK_DAYS_AFTER_CLOSE"]
    closing = db.scalar(
        select(CaseEvent)
        .where(CaseEvent.submission_id == case.id, CaseEvent.kind == CaseEvent.STATUS)
        .order_by(CaseEvent.id.desc())
    )
    closing.at = now - timedelta(days=days + 1)
    db.commit()
    for url in (follow_url, follow_url + "/receipt.pdf", follow_url.replace("/case/", "/receipt/")):
        response = resident.get(url)
        assert response.status_code == 410, url
        assert f"slutar fungera {days} dagar efter" in resident.html

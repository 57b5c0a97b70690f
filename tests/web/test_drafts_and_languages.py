"""Save and resume, expiry, and switching language in the middle of a form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from conftest import Resident
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Draft


def resume_link(html: str) -> str:
    match = re.search(r'href="http://localhost(/resume/[A-Za-z0-9_-]{40,})"', html)
    assert match, "the saved page shows a resume link"
    return match.group(1)


def test_saved_draft_resumes_in_another_browser(resident: Resident, app: Flask, db: Session) -> None:
    resident.start("synpunkter-och-klagomal")
    resident.answer({"typ": "klagomal", "omrade": "gator_parker"})
    resident.answer({"beskrivning": "Gatan sopas aldrig."}, action="save")
    assert resident.url.endswith("/saved")
    assert "inte ett inkommet ärende" in resident.html  # says plainly that nothing was sent
    link = resume_link(resident.html)
    token = link.rsplit("/", 1)[1]
    draft = db.scalar(select(Draft))
    assert token not in (draft.token_hash, str(draft.answers))  # only a hash is stored
    assert draft.expires_at - datetime.now(UTC) > timedelta(days=29)

    other = Resident(app.test_client())
    other.get(link)
    assert other.url.endswith("/page/2")
    assert "Gatan sopas aldrig." in other.html


def test_expired_draft_does_not_resume(resident: Resident, app: Flask, db: Session) -> None:
    resident.start("synpunkter-och-klagomal")
    resident.answer({"typ": "klagomal", "omrade": "gator_parker"}, action="save")
    link = resume_link(resident.html)
    db.execute(update(Draft).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    db.commit()
    response = app.test_client().get(link)
    assert response.status_code == 410
    assert "Länken fungerar inte längre" in response.get_data(as_text=True)


def test_language_switch_keeps_the_place_and_the_answers(resident: Resident) -> None:
    resident.start("begaran-om-allman-handling")
    resident.answer({"handling": "Detaljplanen för Sättersviken."})
    assert resident.url.endswith("/page/2")
    english = re.search(r'href="([^"]*lang=en[^"]*)"[^>]*lang="en"', resident.html)
    assert english, "the switch links to the same page in English"
    resident.get(english.group(1))
    assert resident.url.endswith("/page/2")
    assert '<html lang="en"' in resident.html
    assert "Step 2 of 3" in resident.html
    resident.get("/e/begaran-om-allman-handling/page/1")
    assert "Detaljplanen för Sättersviken." in resident.html
    assert '<html lang="en"' in resident.html  # the choice is remembered


def test_language_switch_button_keeps_unsent_answers(resident: Resident) -> None:
    resident.start("begaran-om-allman-handling")
    resident.answer({"handling": "Protokoll"}, action="lang:en")
    assert resident.url.endswith("/page/1")
    assert '<html lang="en"' in resident.html
    assert "Protokoll" in resident.html


def test_browser_language_is_used_when_nothing_was_chosen(app: Flask, db: Session) -> None:
    client = app.test_client()
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en"' in html
    html = client.get("/", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert '<html lang="sv"' in html


def test_dates_and_numbers_follow_the_language(resident: Resident) -> None:
    resident.start("synpunkter-och-klagomal")
    resident.answer({"typ": "synpunkt", "omrade": "gator_parker"})
    resident.answer({"beskrivning": "Bra snöröjning.", "datum": "2026-11-02", "vill_ha_svar": "no"})
    assert "2 november 2026" in resident.html
    resident.get("/e/synpunkter-och-klagomal/review?lang=en")
    assert "2 November 2026" in resident.html

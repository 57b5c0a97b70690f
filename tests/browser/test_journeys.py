"""Whole journeys in Chromium, each five ways: by mouse, without scripts, by keyboard alone, in Arabic
(right to left) and on a 320 px wide screen (what 400 % zoom gives on a 1280 px screen).

A resident files two bundled e-services (an upload, a mistake and its correction, save and resume later
in another browser, the review page), downloads the PDF receipt and follows the case; a handläggare signs
in, finds the case, asks for more information; the resident answers; the handläggare decides. Every page
reached is checked by axe-core (WCAG 2.1 A/AA) and, at the end of the module, by the Nu Html Checker.

The communicator's journey in the studio (build, preview, publish an e-service) belongs in this module
beside these, as ``test_communicator_builds_and_publishes``, once the studio exists on this branch.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from portal import STAFF_EMAIL, STAFF_PASSWORD, Portal, code_for
from pypdf import PdfReader
from visitor import Visitor

REFERENCE = re.compile(r"GRU-\d{4}-\d{5}[A-Z]")

WAYS = {
    "mouse": {},
    "no-scripts": {"scripts": False},
    "keyboard": {"keyboard": True},
    "arabic": {"language": "ar"},
    "narrow": {"width": 320},
}


def sign_in_staff(person: Visitor, email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD) -> None:
    """A member of staff signs in from the sign-in page and lands in their inbox.

    The one place the browser tier knows how staff sign in: password, then the code from the app.
    """
    person.goto("/auth/login")
    person.fill("#email", email)
    person.fill("#password", password)
    person.press("form button[type='submit']")
    assert person.path == "/auth/mfa", f"no second step after the password but {person.path}"
    person.fill("#code", code_for(email))
    person.press("form button[type='submit']")
    assert person.path.startswith("/staff"), f"signed in but on {person.path}"


def has_error_summary(person: Visitor) -> None:
    """The page says what is wrong: a summary at the top whose links lead to the fields."""
    summary = person.page.locator(".error-summary")
    assert summary.count() == 1, f"{person.path}: no error summary"
    if person.scripts:
        assert summary.evaluate("el => el === document.activeElement"), "the error summary did not take focus"
    link = person.page.locator(".error-summary a").first
    target = link.get_attribute("href")
    assert target and target.startswith("#")
    field = person.page.locator(target)
    assert field.count() == 1, f"the summary links to {target}, which is not on the page"
    described = field.get_attribute("aria-describedby") or ""
    error_id = target.removeprefix("#") + "-error"
    if field.get_attribute("type") != "radio":
        assert error_id in described.split(), f"{target} is not described by its error message"
    if person.keyboard:
        person.tab_to(f".error-summary a[href='{target}']")
        person.page.keyboard.press("Enter")
    else:
        link.click()
    if person.scripts:
        assert field.evaluate("el => el === document.activeElement"), (
            f"following the summary link leaves {target} unfocused"
        )


def file_fault_report(person: Visitor, later: Callable[[], Visitor], photo: Path) -> Visitor:
    """A street light is out: with a photo, a wrong e-mail address, saved half way and resumed elsewhere."""
    person.goto("/")
    person.press("a[href*='/e/felanmalan-gata-park-belysning']")
    person.press("button.button--start")
    person.button("next")  # nothing chosen yet
    has_error_summary(person)
    person.choose("kategori", "gatubelysning")
    person.button("next")
    person.fill("#field-plats", "Tingvallavägen 3")
    person.fill("#field-stolpnummer", "G-114")
    person.button("next")
    person.fill("#field-beskrivning", "Lampan lyser inte sedan i måndags.")
    person.upload("#field-bild", photo)
    person.button("save")
    assert person.path.endswith("/saved")
    resume_url = person.attribute(".resume-link a", "href")

    # The next evening, on another computer, from the link.
    person = later()
    person.goto(resume_url)
    assert person.path.endswith("/page/3"), person.path
    assert person.page.locator("#field-beskrivning").input_value() == "Lampan lyser inte sedan i måndags."
    assert "lyktstolpe.png" in person.text(".uploaded")
    person.button("next")
    person.choose("vill_bli_kontaktad", "yes")
    person.button("next")
    person.fill("#field-namn", "Anna Andersson")
    assert person.attribute("#field-namn", "autocomplete") == "name"
    person.choose("kontaktsatt", "epost")
    person.fill("#field-epost", "anna.andersson@example")
    person.button("next")
    has_error_summary(person)
    person.fill("#field-epost", "anna.andersson@example.se")
    assert person.attribute("#field-epost", "autocomplete") == "email"
    person.button("next")
    assert person.path.endswith("/review")
    for shown in ("Tingvallavägen 3", "G-114", "lyktstolpe.png", "anna.andersson@example.se"):
        assert shown in person.text(), f"the review page does not show {shown}"
    person.button("submit")
    assert person.path.startswith("/receipt/")
    return person


def request_public_document(person: Visitor) -> None:
    """A request for a public document, delivered by e-mail; the answer on the first page changed on review."""
    person.goto("/")
    person.press("a[href*='/e/begaran-om-allman-handling']")
    person.press("button.button--start")
    person.fill("#field-handling", "Protokollet från kommunstyrelsens möte i oktober.")
    person.button("next")
    person.choose("leveranssatt", "epost")
    person.fill("#field-epost", "anna.andersson@example.se")
    person.button("next")
    assert person.path.endswith("/review")
    person.press("a[href*='/page/1'][href$='#field-handling']")
    person.fill("#field-handling", "Protokollet från kommunstyrelsens möte den 14 oktober.")
    person.button("next")
    person.button("next")
    assert "den 14 oktober" in person.text()
    person.button("submit")
    assert person.path.startswith("/receipt/")


def reference_and_receipt(person: Visitor) -> tuple[str, str]:
    """On the receipt page: the reference, the PDF (which carries it), and the private link to the case."""
    match = REFERENCE.search(person.text())
    assert match, "the receipt page shows no reference"
    reference = match.group(0)
    pdf = PdfReader(io.BytesIO(person.download("a[href*='/receipt.pdf']")))
    assert reference in "".join(page.extract_text() for page in pdf.pages), "the PDF receipt lacks the reference"
    follow_url = person.attribute(".resume-link a", "href")
    assert follow_url and "/case/" in follow_url
    return reference, follow_url


@pytest.mark.parametrize("way", list(WAYS))
def test_resident_files_and_a_case_officer_decides(
    way: str, visitor: Callable[..., Visitor], portal: Portal, files: dict[str, Path]
) -> None:
    settings = WAYS[way]
    resident = visitor(**settings)
    if way == "arabic":
        assert resident.page.evaluate("document.documentElement.dir") == "rtl"

    def later() -> Visitor:
        return visitor(**settings)

    resident = file_fault_report(resident, later, files["photo"])
    reference, follow_url = reference_and_receipt(resident)
    request_public_document(resident)
    reference_and_receipt(resident)
    mails = [m for m in portal.mails() if reference in str(m["Subject"]) + str(m.get_payload())]
    assert mails and mails[0]["To"] == "anna.andersson@example.se", "no confirmation mail"

    resident.goto(follow_url)
    assert reference in resident.text("h1")

    officer = visitor(**{key: value for key, value in settings.items() if key != "language"})
    sign_in_staff(officer)
    officer.fill("#f-q", reference)
    officer.press("form.filters button[type='submit']")
    officer.press(f"a[href*='/staff/cases/{reference}']")
    officer.press("button[name='action'][value='start']")
    officer.fill("#message-text", "Vilken sida av vägen står stolpen på?")
    officer.press("form[action$='/message'] button")
    officer.press("button[name='action'][value='request_completion']")

    resident.goto(follow_url)
    assert "Vilken sida av vägen står stolpen på?" in resident.text(".timeline")
    resident.press("form[action='#reply'] button[type='submit']")  # nothing written yet
    has_error_summary(resident)
    resident.fill("#reply-text", "Norra sidan, vid busshållplatsen.")
    resident.press("form[action='#reply'] button[type='submit']")
    assert "Norra sidan, vid busshållplatsen." in resident.text(".timeline")

    officer.goto(f"/staff/cases/{reference}")
    assert "Norra sidan, vid busshållplatsen." in officer.text(".timeline")
    # The answer put the case back in progress by itself: the officer can decide at once.
    officer.fill("#comment", "Lampan byts på torsdag.")
    officer.press("button[name='action'][value='decide']")

    resident.goto(follow_url)
    decided = resident.page.locator(".facts strong").inner_text()
    resident.goto(follow_url.split("?")[0] + "?lang=sv")
    assert resident.page.locator(".facts strong").inner_text() == "Ett beslut är fattat", decided

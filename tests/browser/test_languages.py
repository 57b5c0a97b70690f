"""Every kind of page in every interface language, with and without mistakes on it, checked by axe-core
(WCAG 2.1 A/AA) and, when the module ends, by the Nu Html Checker.

Translations change what a page holds (longer words, another script, right to left), so a page that
passes in Swedish may fail in Somali or Persian: too wide at 320 px, a missing lang attribute, a
heading left empty. One walk per language covers the catalog, an e-service's start page, question pages
showing errors, the review, the saved-draft page, the receipt, the resident's case page with an error,
the receipt check, easy-to-read Swedish, the accessibility statement, a page that does not exist, the
sign-in page with an error, and a handläggare's inbox and case.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from test_journeys import REFERENCE, sign_in_staff
from visitor import Visitor

LANGUAGES = ["sv", "en", "fi", "ar", "fa", "so", "uk"]


def errors_shown(person: Visitor, count: int) -> None:
    assert person.page.locator(".error-summary").count() == 1, f"{person.path}: no error summary"
    assert person.page.locator(".error-message").count() >= count, f"{person.path}: fewer than {count} errors"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_type_in_every_language(language: str, visitor: Callable[..., Visitor]) -> None:
    person = visitor(language=language)
    expected_dir = "rtl" if language in {"ar", "fa"} else "ltr"
    assert person.page.evaluate("document.documentElement.lang") == language
    assert person.page.evaluate("document.documentElement.dir") == expected_dir
    person.goto("/?q=zzzqqq")  # a search that finds nothing
    person.goto("/e/begaran-om-allman-handling")
    person.press("button.button--start")
    person.button("next")
    errors_shown(person, 1)
    person.fill("#field-handling", "Bygglovet för Storgatan 1.")
    person.button("next")
    person.choose("leveranssatt", "brev")
    person.fill("#field-postnummer", "123")
    person.button("next")  # name, address and town missing, postcode wrong
    errors_shown(person, 4)
    person.choose("leveranssatt", "epost")
    person.fill("#field-epost", "fel@adress")
    person.button("next")
    errors_shown(person, 1)
    person.fill("#field-epost", "sara@example.se")
    person.button("next")
    assert person.path.endswith("/review")
    person.button("save")
    person.fill("#resume-email", "inte en adress")
    person.press("form.email-link-form button")
    assert person.page.locator(".error-message").count() == 1
    person.press("a.button[href*='/page/']")
    person.button("next")
    person.button("submit")
    reference = REFERENCE.search(person.text()).group(0)
    person.press(".resume-link a")
    person.press("form[action='#reply'] button[type='submit']")
    errors_shown(person, 1)
    person.goto(f"/verify?reference={reference}&code=XXXX-XXXX")
    person.goto("/lattlast")
    person.press("footer a[href^='/tillganglighet']")
    assert person.page.locator("a[href='https://www.digg.se/tdosanmalan']").count() == 1, "no way to the supervisor"
    person.press("main a[href*='/e/tillganglighetsbrist-webbplats']")  # report a problem: the bundled e-service
    person.goto("/finns-inte")
    assert person.page.title(), "the page that does not exist has no title"

    officer = visitor(language=language)
    officer.goto("/auth/login")
    officer.fill("#email", "ingen@grums.se")
    officer.fill("#password", "fel-losenord-helt-enkelt")
    officer.press("form button[type='submit']")
    assert officer.page.locator(".error-summary").count() == 1
    sign_in_staff(officer)
    officer.goto(f"/staff/cases/{reference}")
    officer.press("form[action$='/note'] button")  # an empty note is refused
    assert officer.page.locator("#note-error").count() == 1
    assert re.search(reference, officer.text("h1"))

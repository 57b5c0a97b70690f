"""The communicator's journey in Chromium, five ways (mouse, no scripts, keyboard alone, Arabic, 320 px):
sign in with the second factor, build a small e-service from nothing, translate its title, preview it with
a validation error, publish it; then a resident finds it in the catalog and files it. Every page reached
is checked by axe-core and, at the end of the session, by the Nu Html Checker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pyotp
import pytest
from portal import Portal, code_for
from sqlalchemy import select
from visitor import Visitor

from app.models import EService, FormVersion, Unit
from app.services import accounts

PASSWORD = "ett-langt-losenord-for-studion"
WAYS = {
    "mouse": {},
    "no-scripts": {"scripts": False},
    "keyboard": {"keyboard": True},
    "arabic": {"language": "ar"},
    "narrow": {"width": 320},
}


def communicator(portal: Portal, email: str) -> None:
    """A communicator of kommunledning with an authenticator app already set up."""
    with portal.app.extensions["db_sessionmaker"]() as session:
        now = datetime.now(UTC)
        user = accounts.create_user(session, email, "Kim Kommunikatör", PASSWORD, now)
        unit = session.scalar(select(Unit).where(Unit.key == "kommunledning"))
        accounts.grant(session, user, "communicator", unit, now)
        user.totp_secret, user.mfa_enrolled_at = pyotp.random_base32(), now
        session.commit()


def sign_in_with_code(person: Visitor, email: str) -> None:
    person.goto("/auth/login")
    person.fill("#email", email)
    person.fill("#password", PASSWORD)
    person.press("form button[type='submit']")
    assert person.path == "/auth/mfa", person.path
    person.fill("#code", code_for(email))
    person.press("form button[type='submit']")


@pytest.mark.parametrize("way", list(WAYS))
def test_communicator_builds_previews_publishes_and_a_resident_files_it(
    way: str, portal: Portal, visitor: Callable[..., Visitor]
) -> None:
    settings = WAYS[way]
    email = f"kim.{way}@grums.se"
    slug = f"lekplats-{way}"
    communicator(portal, email)
    kim = visitor(**settings)
    sign_in_with_code(kim, email)
    kim.goto("/studio/")
    kim.press("a[href='/studio/new']")
    kim.fill("#title", "Önskemål om lekplats")
    kim.page.locator("#unit").select_option(label="Kommunledningsförvaltningen")
    kim.fill("#slug", slug)
    kim.press("main form button[type='submit']")
    assert kim.path == f"/studio/e/{slug}"

    # A question with options, then the texts the e-service needs.
    kim.page.locator("#type-sida_1").select_option("choice")
    kim.fill("#label-sida_1", "Vad ska finnas på lekplatsen?")
    kim.press("button[value='add_field:sida_1']")
    assert "/fields/" in kim.path
    kim.fill("#option-0-label", "Gungor")
    kim.fill("#option-1-label", "Sandlåda")
    kim.press("button[name='then'][value='back']")
    kim.press(f"a[href='/studio/e/{slug}/settings']")
    kim.fill("#description", "Tala om vad du vill ha på en ny lekplats.")
    kim.fill("#category", "Bygga, bo och miljö")
    kim.press("main form button[type='submit']")
    assert kim.page.locator("#problems").count() == 0, kim.text("#problems")

    # English title, beside the Swedish.
    kim.press(f"a[href='/studio/e/{slug}/translate/en']")
    kim.fill("input[name='t-title']", "Wishes for a playground")
    kim.press("main form button[type='submit']")

    # Preview: a mistake is caught as it would be for residents, then the review page.
    kim.goto(f"/studio/e/{slug}/preview")
    kim.press("button.button--start")
    kim.button("next")
    assert kim.page.locator(".error-summary").count() == 1
    kim.choose("vad_ska_finnas_pa_lekplatsen", "gungor")
    kim.button("next")
    assert kim.path.endswith("/preview/review")
    kim.button("submit")
    assert kim.path.endswith("/preview/done")

    kim.goto(f"/studio/e/{slug}")
    kim.press(f"form[action='/studio/e/{slug}/publish'] button")
    with portal.app.extensions["db_sessionmaker"]() as session:
        published = session.scalar(
            select(FormVersion).join(EService).where(EService.slug == slug, FormVersion.status == "published")
        )
        assert published is not None and published.number == 1, kim.text(".notification")

    resident = visitor(**settings)
    resident.goto("/?q=lekplats")
    resident.press(f"a[href^='/e/{slug}']")  # links carry ?lang= in another language
    resident.press("button.button--start")
    resident.choose("vad_ska_finnas_pa_lekplatsen", "sandlada")
    resident.button("next")
    resident.button("submit")
    assert resident.path.startswith("/receipt/")
    assert re.search(r"GRU-\d{4}-\d{5}[A-Z]", resident.text())

"""What axe cannot judge but a browser can measure: the skip link, the tab order, focus that shows in
forced colours, the staff session warning with its way to stay signed in, and pages that do not move.

(The journeys check the rest on every page: one h1 and one main, focus visible on every element reached by
Tab, the error summary taking focus and leading to its fields, errors tied to fields, radio buttons in
fieldsets, no tabindex above 0, targets of 24 px, no sideways scrolling at 320 px.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from portal import STAFF_EMAIL, Portal
from sqlalchemy import select, update
from test_journeys import sign_in_staff
from visitor import Visitor

from app.models import User, UserSession


def focused(person: Visitor) -> str:
    return str(person.page.evaluate("document.activeElement.id || document.activeElement.className"))


def test_skip_link_is_the_first_stop_shows_and_leads_to_the_content(visitor: Callable[..., Visitor]) -> None:
    person = visitor(keyboard=True)
    person.goto("/e/begaran-om-allman-handling")
    person.page.keyboard.press("Tab")
    skip = person.page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement"), "the first Tab does not reach the skip link"
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["height"] >= 24, "the focused skip link is not on screen"
    person.page.keyboard.press("Enter")
    assert focused(person) == "main"
    person.page.keyboard.press("Tab")
    assert person.page.evaluate("document.activeElement.closest('main') !== null"), (
        "Tab after the skip link leaves main"
    )


def test_tab_order_follows_the_questions(visitor: Callable[..., Visitor]) -> None:
    """On a question page Tab goes back link, the fields in reading order, then Continue and Save."""
    person = visitor(keyboard=True)
    person.goto("/e/begaran-om-allman-handling")
    person.press("button.button--start")
    person.tab_to(".back-link")
    order = []
    for _ in range(5):
        person.page.keyboard.press("Tab")
        order.append(
            person.page.evaluate("(el => el.id || el.value || el.getAttribute('href'))(document.activeElement)")
        )
    assert order == ["field-handling", "field-diarienummer", "next", "save", "/tillganglighet"]


def test_focus_shows_in_forced_colours(visitor: Callable[..., Visitor]) -> None:
    """In Windows high contrast shadows and backgrounds are dropped: the outline must carry focus alone."""
    person = visitor(keyboard=True)
    person.page.emulate_media(forced_colors="active")
    person.goto("/")
    for selector in (".skip-link", ".language-switch a", "#search-q", ".search button", "main a"):
        person.tab_to(selector)
        outline = person.page.locator(selector).first.evaluate(
            "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
        )
        assert outline[0] != "none" and float(outline[1].removesuffix("px")) >= 2, f"{selector}: {outline}"
        assert outline[2] not in {"transparent", "rgba(0, 0, 0, 0)"}, f"{selector}: outline invisible ({outline})"


def test_nothing_moves_even_when_motion_is_welcome(visitor: Callable[..., Visitor]) -> None:
    """No animation runs anywhere, so there is nothing to pause (WCAG 2.2.2), with or without reduced motion."""
    person = visitor()
    person.page.emulate_media(reduced_motion="no-preference")
    for path in ("/", "/e/felanmalan-gata-park-belysning", "/tillganglighet", "/auth/login"):
        person.goto(path)
        assert person.page.evaluate("document.getAnimations().length") == 0, f"{path} has animations"


def test_staff_are_warned_before_the_session_ends_and_can_stay(visitor: Callable[..., Visitor], portal: Portal) -> None:
    officer = visitor(keyboard=True)
    officer.page.clock.install()
    sign_in_staff(officer)
    dialog = officer.page.locator("#session-warning")
    assert not dialog.is_visible()

    officer.page.clock.fast_forward("28:01")  # two minutes before the 30-minute limit
    assert dialog.is_visible(), "no warning two minutes before the session ends"
    stay = dialog.locator("[data-extend-session]")
    assert stay.evaluate("el => el === document.activeElement"), "the warning's button does not have focus"
    officer.check()  # the open dialog passes axe too

    # The server has seen nothing from this browser for 28 minutes; the button must count as activity.
    sessions = portal.app.extensions["db_sessionmaker"]()
    user_id = sessions.scalar(select(User.id).where(User.email == STAFF_EMAIL))
    sessions.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=28))
    )
    sessions.commit()
    officer.page.keyboard.press("Enter")
    dialog.wait_for(state="hidden")
    newest = sessions.scalar(
        select(UserSession.last_seen_at)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())
    )
    sessions.close()
    assert newest is not None and datetime.now(UTC) - newest < timedelta(minutes=1), "staying signed in did not count"

    officer.page.clock.fast_forward("30:01")  # then nothing for a whole idle period: signed out
    assert dialog.is_visible()
    assert dialog.locator("a[href*='/auth/login']").evaluate("el => el === document.activeElement")
    # Not modal any more: the page stays usable, so what was typed can be copied before signing in again.
    assert not dialog.evaluate("el => el.matches(':modal')")


def test_without_scripts_staff_pages_show_no_dialog(visitor: Callable[..., Visitor]) -> None:
    officer = visitor(scripts=False)
    sign_in_staff(officer)
    assert not officer.page.locator("#session-warning").is_visible()

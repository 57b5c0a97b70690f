"""Signing in and out: passwords, server-side sessions that die on sign-out and deactivation, safe redirects."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from conftest import CSRF, STAFF_PASSWORD, Staff, forget_used_codes, reread, totp_now, without_token
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, User, UserSession

EMAIL = "hanna.handlaggare@grums.se"


@pytest.fixture
def hanna(make_user) -> User:
    return make_user(EMAIL, "staff", "kommunledning", name="Hanna Handläggare")


@pytest.fixture
def browser(app: Flask, db: Session) -> Staff:
    return Staff(app.test_client())


def session_cookie(staff: Staff) -> str:
    cookie = staff.client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return str(cookie.value)


def with_cookie(app: Flask, value: str) -> Staff:
    """Another browser, holding a copy of someone's session cookie."""
    other = Staff(app.test_client())
    other.client.set_cookie("session", value, domain="localhost")
    return other


def login_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/auth/login"


def test_the_right_password_opens_the_inbox(hanna: User, browser: Staff, db: Session) -> None:
    browser.sign_in(EMAIL)
    assert browser.page.status_code == 200
    assert browser.url == "/staff/"
    assert 'id="f-q"' in browser.html  # the inbox's search field
    reread(db)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "login"))
    assert event is not None and event.actor_id == hanna.id and event.actor_label == EMAIL
    assert event.ip == "127.0.0.1"
    assert db.get(User, hanna.id).last_login_at is not None


def test_the_email_address_is_matched_whatever_its_case_and_spaces(hanna: User, browser: Staff) -> None:
    browser.sign_in("  Hanna.Handlaggare@GRUMS.se ")
    assert browser.url == "/staff/"


def test_wrong_password_and_unknown_email_look_the_same_and_are_audited(
    hanna: User, browser: Staff, db: Session
) -> None:
    wrong_password = browser.sign_in(EMAIL, "fel-losenord-helt-och-hallet")
    wrong_page = wrong_password.get_data(as_text=True)
    unknown = browser.sign_in("ingen.alls@grums.se", STAFF_PASSWORD)
    unknown_page = unknown.get_data(as_text=True)

    assert wrong_password.status_code == unknown.status_code == 200
    assert browser.url == "/auth/login"
    assert 'role="alert"' in wrong_page
    # The pages differ only in the address the person typed, which is shown back to them (and in the CSRF
    # token, which carries a timestamp in seconds).
    assert without_token(wrong_page).replace(EMAIL, "EMAIL") == without_token(unknown_page).replace(
        "ingen.alls@grums.se", "EMAIL"
    )

    reread(db)
    failed = db.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed").order_by(AuditEvent.id)).all()
    assert [e.actor_label for e in failed] == [EMAIL, "ingen.alls@grums.se"]
    assert all(e.actor_id is None and e.ip == "127.0.0.1" for e in failed)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "login")) is None
    assert db.scalar(select(UserSession)) is None


def test_a_deactivated_user_gets_the_same_answer_as_a_wrong_password(hanna: User, browser: Staff, db: Session) -> None:
    wrong = browser.sign_in(EMAIL, "fel-losenord-helt-och-hallet").get_data(as_text=True)
    hanna.active = False
    db.commit()
    deactivated = browser.sign_in(EMAIL, STAFF_PASSWORD)
    assert deactivated.status_code == 200 and browser.url == "/auth/login"
    # The CSRF token carries a timestamp in seconds: everything else on the page must be identical.
    assert without_token(deactivated.get_data(as_text=True)) == without_token(wrong)


def test_sign_out_ends_the_session_on_the_server_so_a_copied_cookie_is_useless(
    app: Flask, hanna: User, browser: Staff, db: Session
) -> None:
    browser.sign_in(EMAIL)
    copied = session_cookie(browser)
    assert with_cookie(app, copied).raw("GET", "/staff/").status_code == 200  # the copy works while signed in

    browser.sign_out()
    assert browser.url == "/auth/login"
    assert login_redirect(browser.raw("GET", "/staff/"))
    assert login_redirect(with_cookie(app, copied).raw("GET", "/staff/"))

    reread(db)
    stored = db.scalars(select(UserSession).where(UserSession.user_id == hanna.id)).all()
    # The half sign-in (password only) and the session after the second factor: both ended.
    assert [s.mfa_passed_at is not None for s in stored] == [False, True]
    assert all(s.revoked_at is not None for s in stored)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "logout")).actor_id == hanna.id


def test_deactivating_a_user_signs_them_out_everywhere_at_once(app: Flask, hanna: User, login_as, db: Session) -> None:
    office, phone = Staff(app.test_client()), Staff(app.test_client())
    office.sign_in(EMAIL)
    phone.sign_in(EMAIL)
    assert office.raw("GET", "/staff/").status_code == phone.raw("GET", "/staff/").status_code == 200

    admin = login_as("admin")
    deactivate = admin.raw("POST", f"/admin/users/{hanna.id}/active", data={"csrf_token": admin.token(), "active": "0"})
    assert deactivate.status_code == 302 and deactivate.headers["Location"] == f"/admin/users/{hanna.id}"

    assert login_redirect(office.raw("GET", "/staff/"))
    assert login_redirect(phone.raw("GET", "/staff/"))
    reread(db)
    assert db.get(User, hanna.id).active is False
    assert all(s.revoked_at is not None for s in db.scalars(select(UserSession).where(UserSession.user_id == hanna.id)))
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user_deactivated"))
    assert event.actor_id == admin.user.id and event.data == {"user": EMAIL}

    # Activated again, the old sessions stay dead; a new sign-in works.
    admin.raw("POST", f"/admin/users/{hanna.id}/active", data={"csrf_token": admin.token(), "active": "1"})
    assert login_redirect(office.raw("GET", "/staff/"))
    office.sign_in(EMAIL)
    assert office.url == "/staff/"


def test_the_session_and_its_csrf_token_are_new_after_sign_in(app: Flask, hanna: User, browser: Staff) -> None:
    browser.get("/auth/login")
    before_cookie, before_token = session_cookie(browser), browser.token()
    browser.post("/auth/login", {"email": EMAIL, "password": STAFF_PASSWORD})
    half_cookie = session_cookie(browser)  # password given, second factor not yet
    assert half_cookie != before_cookie
    assert login_redirect(browser.raw("GET", "/staff/"))  # the password alone opens nothing
    browser.second_factor(EMAIL)
    assert browser.url == "/staff/"
    assert session_cookie(browser) not in (before_cookie, half_cookie)
    assert browser.token() != before_token
    # Someone who planted or saw the cookie from before the sign-in, or from between its two steps, is not
    # signed in with it.
    assert login_redirect(with_cookie(app, before_cookie).raw("GET", "/staff/"))
    assert login_redirect(with_cookie(app, half_cookie).raw("GET", "/staff/"))


def test_an_anonymous_visit_is_sent_to_sign_in_and_back_again(hanna: User, browser: Staff, make_submission) -> None:
    reference, _ = make_submission()
    response = browser.raw("GET", f"/staff/cases/{reference}")
    assert login_redirect(response)
    next_url = f"/staff/cases/{reference}"
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {"next": [next_url]}
    browser.sign_in(EMAIL, next_url=quote(next_url, safe=""))
    assert browser.url == next_url and reference in browser.html


#: places a next= must not lead to; browsers read "\\" as "/" and drop tabs, so those are other hosts too
OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "staff/",
    "/\\evil.example/",
    "/\\/evil.example/",
    "/\t/evil.example/",
]


def test_next_never_leads_off_the_site(app: Flask, hanna: User, browser: Staff) -> None:
    browser.sign_in(EMAIL)  # the first sign-in sets up the app
    browser.sign_out()
    landed = {}
    for target in OFF_SITE:
        url = "/auth/login?next=" + quote(target, safe="")
        browser.get(url)
        browser.post(url, {"email": EMAIL, "password": STAFF_PASSWORD})
        assert browser.url == "/auth/mfa", target
        code = totp_now(forget_used_codes(app, EMAIL))
        response = browser.raw("POST", "/auth/mfa", data={"csrf_token": browser.token(), "code": code})
        assert response.status_code == 302, target
        landed[target] = response.headers["Location"]
        browser.sign_out()
    assert landed == dict.fromkeys(OFF_SITE, "/staff/")


def test_a_change_sent_after_the_session_ended_leads_back_to_the_case_not_to_an_error(
    app: Flask, hanna: User, browser: Staff, db: Session, make_submission
) -> None:
    """Signed out elsewhere (or deactivated and activated again) while a case page is open: the next POST goes
    to the sign-in page with next= the POST-only URL, and after signing in the browser GETs it: a 405 page."""
    reference, _ = make_submission()
    browser.sign_in(EMAIL)
    browser.get(f"/staff/cases/{reference}")
    token = browser.token()
    elsewhere = Staff(app.test_client())
    elsewhere.sign_in(EMAIL)
    reread(db)
    for stored in db.scalars(select(UserSession)):
        stored.revoked_at = stored.created_at
    db.commit()
    response = browser.raw("POST", f"/staff/cases/{reference}/note", data={"csrf_token": token, "text": "Notering"})
    assert login_redirect(response)
    login_url = response.headers["Location"]
    browser.get(login_url)
    browser.post(login_url, {"email": EMAIL, "password": STAFF_PASSWORD})
    browser.second_factor(EMAIL)
    assert browser.page.status_code == 200, (browser.page.status_code, browser.url)


def test_sign_out_needs_the_csrf_token(hanna: User, browser: Staff) -> None:
    browser.sign_in(EMAIL)
    assert browser.raw("POST", "/auth/logout").status_code == 400
    assert browser.raw("GET", "/staff/").status_code == 200  # still signed in


def test_an_administrator_without_a_case_role_lands_in_administration(make_user, browser: Staff) -> None:
    make_user("admin@grums.se", "admin")
    browser.sign_in("admin@grums.se")
    assert browser.url == "/admin/"


def test_the_login_page_has_a_csrf_token(browser: Staff) -> None:
    browser.get("/auth/login")
    assert CSRF.search(browser.html)

"""Two-step sign-in: every staff account enrols an authenticator app at its first sign-in, the password
alone opens nothing, codes work once, recovery codes stand in for a lost phone, an administrator can reset.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from conftest import STAFF_PASSWORD, TOTP_SECRET, Staff, forget_used_codes, reread, totp_now
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, RecoveryCode, User, UserSession

EMAIL = "hanna.handlaggare@grums.se"


@pytest.fixture
def hanna(make_user) -> User:
    return make_user(EMAIL, "staff", "kommunledning", name="Hanna Handläggare")


@pytest.fixture
def browser(app: Flask, db: Session) -> Staff:
    return Staff(app.test_client())


def closed(staff: Staff, url: str = "/staff/") -> bool:
    response = staff.raw("GET", url)
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/auth/login"


def password_only(staff: Staff, email: str = EMAIL, password: str = STAFF_PASSWORD) -> None:
    staff.get("/auth/login")
    staff.post("/auth/login", {"email": email, "password": password})


def actions(db: Session) -> list[str]:
    reread(db)
    return [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_the_first_sign_in_enrols_the_app_with_a_qr_code_and_a_key_to_type(
    hanna: User, browser: Staff, db: Session
) -> None:
    password_only(browser)
    assert browser.url == "/auth/mfa/enrol"
    assert closed(browser) and closed(browser, "/admin/")  # the password alone opens nothing
    page = browser.html
    assert '<img class="qr-code" src="data:image/svg+xml' in page
    assert 'alt="QR-kod för tvåstegsinloggning' in page  # the picture says what it is (Swedish by default)
    secret = TOTP_SECRET.search(page).group(1).replace(" ", "")
    assert len(secret) == 32
    reread(db)
    assert db.get(User, hanna.id).totp_secret == secret and db.get(User, hanna.id).mfa_enrolled_at is None

    # A wrong code: told so, still not signed in, and the same key is shown again.
    browser.post(data={"code": "000000" if totp_now(secret) != "000000" else "111111"})
    assert browser.page.status_code == 200 and 'role="alert"' in browser.html
    assert 'aria-invalid="true"' in browser.html and "Koden är fel" in browser.html
    assert TOTP_SECRET.search(browser.html).group(1).replace(" ", "") == secret
    assert closed(browser)

    browser.post(data={"code": totp_now(secret)})
    shown = [code for code in browser.html.split("<code>")[1:]]
    assert len(shown) == 10
    assert not closed(browser)  # signed in now
    reread(db)
    stored = db.scalars(select(RecoveryCode).where(RecoveryCode.user_id == hanna.id)).all()
    assert len(stored) == 10 and db.get(User, hanna.id).mfa_enrolled_at is not None
    codes = [c.split("</code>")[0] for c in shown]
    # Only digests are kept: no code can be read back from the database.
    assert {c.code_hash for c in stored} == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert actions(db)[-2:] == ["mfa_enrolled", "login"]


def test_after_enrolment_every_sign_in_asks_for_a_code_and_a_code_works_only_once(
    app: Flask, hanna: User, browser: Staff, db: Session
) -> None:
    browser.sign_in(EMAIL)
    browser.sign_out()
    secret = forget_used_codes(app, EMAIL)
    now = totp_now(secret)

    password_only(browser)
    assert browser.url == "/auth/mfa" and closed(browser)
    browser.post(data={"code": now})
    assert browser.url == "/staff/"
    browser.sign_out()

    # The same code again, as someone who saw it typed would try: refused.
    password_only(browser)
    browser.post(data={"code": now})
    assert browser.url == "/auth/mfa" and 'role="alert"' in browser.html and closed(browser)
    assert actions(db)[-1] == "mfa_failed"


def test_a_code_from_another_time_or_another_key_is_refused(
    app: Flask, hanna: User, browser: Staff, db: Session
) -> None:
    browser.sign_in(EMAIL)
    browser.sign_out()
    secret = forget_used_codes(app, EMAIL)
    totp = pyotp.TOTP(secret)
    import time

    wrong = [
        totp.at(time.time() - 120),  # four steps ago: outside the drift allowed
        pyotp.TOTP(pyotp.random_base32()).now(),
        "12345",
        "1234567",
        "abcdef",
        "١٢٣٤٥٦",  # Arabic-Indic digits are digits to Python, not to the app
    ]
    password_only(browser)
    for code in wrong:
        if code == totp.now():
            continue
        browser.post("/auth/mfa", {"code": code})
        assert browser.url == "/auth/mfa" and closed(browser), code


def test_a_recovery_code_signs_in_once(app: Flask, hanna: User, browser: Staff, db: Session) -> None:
    browser.sign_in(EMAIL)
    codes = browser.recovery_codes
    browser.sign_out()

    password_only(browser)
    browser.post(data={"code": codes[3].upper().replace("-", " ")})  # typed from paper, loosely
    assert browser.url == "/staff/"
    assert "återställningskod" in browser.html and "9" in browser.html
    browser.sign_out()

    password_only(browser)
    browser.post(data={"code": codes[3]})
    assert browser.url == "/auth/mfa" and closed(browser)
    assert "recovery_code_used" in actions(db)


def test_new_recovery_codes_need_the_apps_code_and_replace_the_old_ones(
    app: Flask, hanna: User, browser: Staff, db: Session
) -> None:
    browser.sign_in(EMAIL)
    old = browser.recovery_codes
    browser.get("/auth/recovery-codes")
    assert "10" in browser.html
    browser.post(data={"code": "000000"})
    assert 'role="alert"' in browser.html
    browser.post(data={"code": totp_now(forget_used_codes(app, EMAIL))})
    new = [c.split("</code>")[0] for c in browser.html.split("<code>")[1:]]
    assert len(new) == 10 and not set(new) & set(old)
    assert "recovery_codes_replaced" in actions(db)
    browser.sign_out()

    password_only(browser)
    browser.post(data={"code": old[0]})
    assert closed(browser)
    browser.post(data={"code": new[0]})
    assert browser.url == "/staff/"


def test_the_recovery_code_page_is_for_signed_in_staff_only(app: Flask, hanna: User, browser: Staff) -> None:
    response = browser.raw("GET", "/auth/recovery-codes")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/auth/login"
    password_only(browser)  # half signed in is not signed in
    response = browser.raw("GET", "/auth/recovery-codes")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/auth/login"


def test_a_half_sign_in_expires(app: Flask, hanna: User, browser: Staff, db: Session) -> None:
    browser.sign_in(EMAIL)
    browser.sign_out()
    password_only(browser)
    assert browser.url == "/auth/mfa"
    reread(db)
    half = db.scalar(select(UserSession).where(UserSession.mfa_passed_at.is_(None), UserSession.revoked_at.is_(None)))
    half.created_at -= timedelta(minutes=app.config["MFA_PENDING_MINUTES"] + 1)
    db.commit()
    browser.post(data={"code": totp_now(forget_used_codes(app, EMAIL))})
    assert browser.url == "/auth/login" and "Logga in igen" in browser.html
    assert closed(browser)


def test_the_second_step_cannot_be_reached_without_the_password(app: Flask, hanna: User, browser: Staff) -> None:
    for url in ("/auth/mfa", "/auth/mfa/enrol"):
        browser.get(url)
        assert browser.url == "/auth/login", url


def test_an_administrator_resets_two_step_sign_in_and_the_person_enrols_again(
    app: Flask, hanna: User, browser: Staff, login_as, db: Session
) -> None:
    browser.sign_in(EMAIL)
    old_secret = forget_used_codes(app, EMAIL)
    admin = login_as("admin")
    admin.get(f"/admin/users/{hanna.id}")
    assert "Återställ tvåstegsinloggning" in admin.html
    admin.post(f"/admin/users/{hanna.id}/mfa/reset")
    assert admin.url == f"/admin/users/{hanna.id}"
    assert closed(browser)  # signed out everywhere at once

    reread(db)
    user = db.get(User, hanna.id)
    assert user.totp_secret is None and user.mfa_enrolled_at is None
    assert db.scalar(select(RecoveryCode).where(RecoveryCode.user_id == hanna.id)) is None
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "mfa_reset"))
    assert event.actor_id == admin.user.id and event.data == {"user": EMAIL}

    password_only(browser)
    assert browser.url == "/auth/mfa/enrol"
    assert TOTP_SECRET.search(browser.html).group(1).replace(" ", "") != old_secret


def test_an_administrator_cannot_reset_their_own(login_as, db: Session) -> None:
    admin = login_as("admin")
    admin.get(f"/admin/users/{admin.user.id}")
    admin.post(f"/admin/users/{admin.user.id}/mfa/reset")
    reread(db)
    assert db.get(User, admin.user.id).mfa_enrolled_at is not None
    assert not closed(admin, "/admin/")


def test_reset_needs_the_admin_role_and_the_csrf_token(hanna: User, browser: Staff, login_as, db: Session) -> None:
    browser.sign_in(EMAIL)
    officer = login_as("staff", "kommunledning")
    assert (
        officer.raw("POST", f"/admin/users/{hanna.id}/mfa/reset", data={"csrf_token": officer.token()}).status_code
        == 403
    )
    admin = login_as("admin")
    assert admin.raw("POST", f"/admin/users/{hanna.id}/mfa/reset").status_code == 400
    reread(db)
    assert db.get(User, hanna.id).mfa_enrolled_at is not None


def test_the_command_line_resets_two_step_sign_in_for_the_last_administrator(
    app: Flask, browser: Staff, make_user, db: Session
) -> None:
    make_user("admin@grums.se", "admin")
    browser.sign_in("admin@grums.se")
    result = app.test_cli_runner().invoke(args=["users", "reset-mfa", "--email", "Admin@grums.se"])
    assert result.exit_code == 0, result.output
    assert closed(browser, "/admin/")
    reread(db)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "mfa_reset"))
    assert event.actor_label == "cli" and event.data == {"user": "admin@grums.se"}
    password_only(browser, "admin@grums.se")
    assert browser.url == "/auth/mfa/enrol"
    unknown = app.test_cli_runner().invoke(args=["users", "reset-mfa", "--email", "ingen@grums.se"])
    assert unknown.exit_code != 0 and "No such user" in unknown.output


def test_staff_change_their_password_under_the_same_rules_and_other_sessions_end(
    app: Flask, hanna: User, browser: Staff, db: Session
) -> None:
    browser.sign_in(EMAIL)
    elsewhere = Staff(app.test_client())
    elsewhere.sign_in(EMAIL)
    browser.get("/auth/password")
    attempts = [
        ({"current": "fel-losenord-helt", "new": "kaffe och kanelbulle", "repeat": "kaffe och kanelbulle"},
         "Det nuvarande lösenordet stämmer inte"),
        ({"current": STAFF_PASSWORD, "new": "kort", "repeat": "kort"}, "minst 12 tecken"),
        ({"current": STAFF_PASSWORD, "new": "qwerty123456", "repeat": "qwerty123456"}, "vanligaste lösenorden"),
        ({"current": STAFF_PASSWORD, "new": "kaffe och kanelbulle", "repeat": "kaffe och bulle"}, "inte likadana"),
    ]  # fmt: skip
    for data, message in attempts:
        browser.post("/auth/password", data)
        assert browser.url == "/auth/password" and 'role="alert"' in browser.html and message in browser.html, message
    browser.post(
        "/auth/password", {"current": STAFF_PASSWORD, "new": "kaffe och kanelbulle", "repeat": "kaffe och kanelbulle"}
    )
    assert browser.url == "/staff/" and "Ditt lösenord är ändrat" in browser.html
    assert not closed(browser) and closed(elsewhere)  # this browser stays, the other is signed out
    assert "password_changed" in actions(db)
    browser.sign_out()
    password_only(browser, EMAIL, STAFF_PASSWORD)
    assert browser.url == "/auth/login"
    browser.sign_in(EMAIL, "kaffe och kanelbulle")
    assert browser.url == "/staff/"

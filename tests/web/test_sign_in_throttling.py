"""Guessing passwords and codes is slowed down per account and per address, with a page that says why in
the visitor's language; an unknown address is treated like a known one; passwords are checked by length and
against common passwords. Limits are shared between processes through Redis when it is configured.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import UTC, datetime

import pytest
from conftest import STAFF_PASSWORD, TOTP_SECRET, Staff, forget_used_codes, reread, totp_now, without_token
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from app.models import User
from app.services import accounts, passwords
from app.throttle import limiter

EMAIL = "hanna.handlaggare@grums.se"
WRONG = "fel-losenord-helt-och-hallet"


@pytest.fixture
def hanna(make_user) -> User:
    return make_user(EMAIL, "staff", "kommunledning", name="Hanna Handläggare")


def attempt(app: Flask, email: str, password: str, address: str = "192.0.2.10", lang: str | None = None) -> object:
    """One sign-in post from ``address`` in a new browser; the response without following redirects."""
    browser = Staff(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = address
    browser.get("/auth/login" + (f"?lang={lang}" if lang else ""))
    return browser.raw(
        "POST", "/auth/login", data={"csrf_token": browser.token(), "email": email, "password": password}
    )


def failures_allowed(app: Flask) -> int:
    return int(app.config["RATELIMIT_ACCOUNT_FAILURES"].split()[0])


def test_an_account_is_paused_after_its_failed_passwords_and_an_unknown_address_alike(
    app: Flask, hanna: User, db: Session
) -> None:
    allowed = failures_allowed(app)
    for email in (EMAIL, "ingen.alls@grums.se"):
        answers = [attempt(app, email, WRONG, address=f"192.0.2.{n}").status_code for n in range(allowed)]
        assert answers == [200] * allowed, email  # the sign-in page again, with its error
        # From yet another address, now even the right password is not tried.
        paused = attempt(app, email, STAFF_PASSWORD, address="198.51.100.7")
        assert paused.status_code == 429, email
        page = paused.get_data(as_text=True)
        assert "För många försök på kort tid" in page and "Vänta en kvart" in page
    reread(db)
    assert db.scalar(select(User).where(User.email == EMAIL)).last_login_at is None


def test_the_pause_is_the_same_for_a_known_and_an_unknown_account(app: Flask, hanna: User) -> None:
    allowed = failures_allowed(app)
    pages = {}
    for email in (EMAIL, "ingen.alls@grums.se"):
        for n in range(allowed):
            attempt(app, email, WRONG, address=f"203.0.113.{n}")
        response = attempt(app, email, WRONG, address="203.0.113.200")
        pages[email] = (response.status_code, without_token(response.get_data(as_text=True)))
    assert pages[EMAIL] == pages["ingen.alls@grums.se"]


def test_one_address_is_paused_after_many_sign_in_posts_whoever_it_tries(app: Flask, make_user) -> None:
    per_address = int(app.config["RATELIMIT_SIGN_IN"].split()[0])
    for n in range(per_address):
        assert attempt(app, f"person{n}@grums.se", WRONG).status_code == 200
    make_user("ny@grums.se", "staff", "kommunledning")
    assert attempt(app, "ny@grums.se", STAFF_PASSWORD).status_code == 429
    assert attempt(app, "ny@grums.se", STAFF_PASSWORD, address="192.0.2.99").status_code == 302  # elsewhere: fine


def test_the_pause_page_speaks_the_visitors_language(app: Flask, hanna: User) -> None:
    for n in range(failures_allowed(app)):
        attempt(app, EMAIL, WRONG, address=f"192.0.2.{n}")
    english = attempt(app, EMAIL, WRONG, address="192.0.2.50", lang="en")
    assert english.status_code == 429
    assert "Too many attempts in a short time" in english.get_data(as_text=True)
    finnish = attempt(app, EMAIL, WRONG, address="192.0.2.51", lang="fi")
    assert "Liian monta yritystä" in finnish.get_data(as_text=True)


def test_wrong_codes_pause_the_second_step_too(app: Flask, hanna: User) -> None:
    browser = Staff(app.test_client())
    browser.sign_in(EMAIL)
    browser.sign_out()
    browser.get("/auth/login")
    browser.post("/auth/login", {"email": EMAIL, "password": STAFF_PASSWORD})
    assert browser.url == "/auth/mfa"
    for _ in range(failures_allowed(app)):
        browser.post("/auth/mfa", {"code": "000000"})
        assert browser.page.status_code == 200
    code = totp_now(forget_used_codes(app, EMAIL))
    response = browser.raw("POST", "/auth/mfa", data={"csrf_token": browser.token(), "code": code})
    assert response.status_code == 429  # the right code is not even tried any more


def test_wrong_codes_pause_enrolling_the_app_and_replacing_recovery_codes_too(app: Flask, hanna: User) -> None:
    browser = Staff(app.test_client())
    browser.get("/auth/login")
    browser.post("/auth/login", {"email": EMAIL, "password": STAFF_PASSWORD})
    assert browser.url == "/auth/mfa/enrol"
    secret = TOTP_SECRET.search(browser.html)
    assert secret
    for _ in range(failures_allowed(app)):
        browser.post("/auth/mfa/enrol", {"code": "000000"})
        assert browser.page.status_code == 200 and browser.url == "/auth/mfa/enrol"
    response = browser.raw(
        "POST", "/auth/mfa/enrol", data={"csrf_token": browser.token(), "code": totp_now(secret.group(1))}
    )
    assert response.status_code == 429  # the right code is not even tried any more
    assert "För många försök på kort tid" in response.get_data(as_text=True)

    limiter.reset()  # a quarter of an hour later: enrolled, signed in, the same pause when replacing the codes
    browser.sign_in(EMAIL)
    browser.get("/auth/recovery-codes")
    for _ in range(failures_allowed(app)):
        browser.post("/auth/recovery-codes", {"code": "000000"})
        assert browser.page.status_code == 200 and browser.url == "/auth/recovery-codes"
    code = totp_now(forget_used_codes(app, EMAIL))
    response = browser.raw("POST", "/auth/recovery-codes", data={"csrf_token": browser.token(), "code": code})
    assert response.status_code == 429


def test_an_unknown_address_costs_the_same_time_as_a_wrong_password(db: Session) -> None:
    """With the production argon2id cost: the dummy hash is verified when no account has the address."""
    accounts.create_user(db, EMAIL, "Hanna", STAFF_PASSWORD, datetime.now(UTC))
    db.flush()

    def median_seconds(email: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            assert accounts.authenticate(db, email, WRONG) is None
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    accounts.authenticate(db, "warm.up@grums.se", WRONG)
    known, unknown = median_seconds(EMAIL), median_seconds("ingen.alls@grums.se")
    assert known > 0.005, "argon2id at its production cost takes milliseconds"
    assert 0.5 < unknown / known < 2.0, (known, unknown)
    db.rollback()


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("kort-ord", passwords.TOO_SHORT),
        ("elva tecken", passwords.TOO_SHORT),
        ("qwerty123456", passwords.TOO_COMMON),
        ("1q2w3e4r5t6y", passwords.TOO_COMMON),
        ("QWERTY123456", passwords.TOO_COMMON),  # the list is compared without case
        ("x" * 1001, passwords.TOO_LONG),
        ("tolv tecken!", None),
        ("kaffe och kanelbulle", None),  # plain words, no digits or capitals: long, so fine
        ("aaaaaaaaaaaa", None),
    ],
)
def test_password_rules_are_length_and_the_common_list_not_character_classes(password: str, problem: str) -> None:
    assert passwords.problem_with(password) == problem


def test_the_command_line_refuses_a_common_password_and_says_why(app: Flask, db: Session, fast_passwords) -> None:
    runner = app.test_cli_runner()
    common = runner.invoke(
        args=["users", "create", "--email", "a@grums.se", "--role", "staff", "--unit", "kommunledning",
              "--password", "qwerty123456"]
    )  # fmt: skip
    assert common.exit_code != 0 and "common" in common.output
    short = runner.invoke(
        args=["users", "create", "--email", "a@grums.se", "--role", "staff", "--unit", "kommunledning",
              "--password", "kort"]
    )  # fmt: skip
    assert short.exit_code != 0 and "12" in short.output
    reread(db)
    assert db.scalar(select(User)) is None
    with pytest.raises(accounts.AccountError, match="password_common"):
        accounts.hash_password("123456qwerty")


def test_counts_are_kept_in_redis_where_another_process_sees_them(app: Flask, db: Session) -> None:
    """With ENDORRIN_REDIS_URL set, failures are counted in Redis: a limiter of another process (built here
    from the same address, sharing nothing with this one) sees the account paused.
    """
    import redis
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    from app.throttle import _identifiers, account_blocked, count_failure

    prefix = f"endorrin-sec-{uuid.uuid4().hex[:8]}"
    url = "redis://127.0.0.1:6379/3"
    config = {
        "ENV": "testing",
        "TESTING": True,
        "DATABASE_URL": "sqlite://",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "REDIS_URL": url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_ACCOUNT_FAILURES": "3 per 15 minutes",
    }
    with_redis = create_app(config)
    client = redis.Redis.from_url(url)
    try:
        assert with_redis.config["RATELIMIT_STORAGE_URI"] == url
        with with_redis.test_request_context():
            for _ in range(3):
                assert not account_blocked("password", "delad@grums.se")
                count_failure("password", "delad@grums.se")
            assert account_blocked("password", "delad@grums.se")
            identifiers = _identifiers("password", "delad@grums.se")
        elsewhere = MovingWindowRateLimiter(storage_from_string(url))
        assert not elsewhere.test(parse("3 per 15 minutes"), *identifiers)
        assert elsewhere.test(parse("4 per 15 minutes"), *identifiers)
        keys = [key.decode() for key in client.scan_iter(f"*{prefix}*")]
        assert keys and not any("delad" in key for key in keys)  # the address is not in the key
    finally:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        client.close()
        with_redis.extensions["db_engine"].dispose()
        # One limiter serves the process: give it back its memory storage for the tests that follow.
        create_app({**config, "REDIS_URL": "", "RATELIMIT_KEY_PREFIX": "endorrin"}).extensions["db_engine"].dispose()

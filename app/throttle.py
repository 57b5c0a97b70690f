"""Rate limits (Flask-Limiter): sign-in attempts per client address and per account, and residents'
submissions and draft saves per address.

Counted in Redis when ``ENDORRIN_REDIS_URL`` is set, so every process on every machine shares one count;
otherwise in this process's memory (one machine, ``make run``). When Redis stops answering, the limits
fall back to memory rather than refusing everybody: a 24-hour service stays open, with per-process limits
and an error in the log.

Limits are configuration (``RATELIMIT_*``, in the strings Flask-Limiter reads, e.g. ``"10 per 15 minutes"``).
A breached limit answers 429 with the error page in the visitor's language (app/errors.py).
"""

from __future__ import annotations

import hashlib
import logging

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import parse

log = logging.getLogger(__name__)


def client_address() -> str:
    """The client's address as the application sees it (after ProxyFix when proxies are trusted)."""
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=client_address)


def init_throttle(app: Flask) -> None:
    limiter.init_app(app)


def _limit(setting: str) -> str:
    return str(current_app.config[setting])


def sign_in_per_address() -> str:
    return _limit("RATELIMIT_SIGN_IN")


def submissions_per_address() -> str:
    return _limit("RATELIMIT_SUBMISSIONS")


def draft_saves_per_address() -> str:
    return _limit("RATELIMIT_DRAFT_SAVES")


def _account_key(account: str) -> str:
    # A digest, not the address itself: the limiter's storage holds no personal data.
    return hashlib.sha256(account.strip().lower().encode("utf-8")).hexdigest()


def _identifiers(kind: str, account: str) -> tuple[str, ...]:
    return (current_app.config["RATELIMIT_KEY_PREFIX"], kind, _account_key(account))


def account_blocked(kind: str, account: str) -> bool:
    """Whether ``account`` has used up its failed attempts of ``kind`` ("password", "code").

    Counted for any address typed, whether an account has it or not, so being blocked tells nothing
    about which accounts exist.
    """
    try:
        return not limiter.limiter.test(parse(_limit("RATELIMIT_ACCOUNT_FAILURES")), *_identifiers(kind, account))
    except Exception:  # the storage is down: the per-address limits still hold, in memory
        log.exception("rate limit storage unavailable; per-account limit not checked")
        return False


def count_failure(kind: str, account: str) -> None:
    try:
        limiter.limiter.hit(parse(_limit("RATELIMIT_ACCOUNT_FAILURES")), *_identifiers(kind, account))
    except Exception:
        log.exception("rate limit storage unavailable; failed attempt not counted")

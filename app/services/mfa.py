"""The second factor of a staff sign-in: a TOTP code (RFC 6238) from an authenticator app, or a single-use
recovery code when the phone is lost.

Every staff, communicator and administrator account has one; an account without it enrols at its next
sign-in. Codes are accepted one 30-second step either side of now (phone clocks drift), and a code once
accepted is refused again, also within its window: a code read over someone's shoulder is worth nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.models import RecoveryCode, User, UserSession

STEP_SECONDS = 30
#: steps either side of now that are accepted
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
#: no 0/o, 1/l/i: the codes are typed from paper
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
#: 16 characters of 31: about 79 bits, so an unsalted SHA-256 of the code is safe to keep
_RECOVERY_LENGTH = 16


class MfaError(ValueError):
    """The request about the second factor cannot be carried out (enrolled already, nothing to confirm)."""


def is_enrolled(user: User) -> bool:
    return user.mfa_enrolled_at is not None and user.totp_secret is not None


def begin_enrolment(user: User) -> str:
    """The secret the person is to put in their app: a new one, or the one shown before and not yet confirmed."""
    if is_enrolled(user):
        raise MfaError("already_enrolled")
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 recommends
    return user.totp_secret


def provisioning_uri(user: User, issuer: str) -> str:
    """The otpauth:// address the QR code carries: the app shows ``issuer`` and the email address."""
    if user.totp_secret is None:
        raise MfaError("no_secret")
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=issuer)


def _digits(code: str) -> str:
    return "".join(code.split()).replace("-", "")


def verify_totp(user: User, code: str, now: datetime) -> bool:
    """True, once, for a current code of ``user``'s app; the step it belongs to is remembered."""
    code = _digits(code)
    if user.totp_secret is None or len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue  # used already, or older than a code that was
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            user.totp_last_step = step
            return True
    return False


def confirm_enrolment(session: Session, user: User, code: str, now: datetime) -> list[str] | None:
    """Finish enrolment with a first code from the app: returns the recovery codes to show once, or None."""
    if is_enrolled(user):
        raise MfaError("already_enrolled")
    if not verify_totp(user, code, now):
        return None
    user.mfa_enrolled_at = now
    return new_recovery_codes(session, user, now)


def _code_hash(code: str) -> str:
    return hashlib.sha256(_digits(code).lower().encode("ascii", "replace")).hexdigest()


def new_recovery_codes(session: Session, user: User, now: datetime) -> list[str]:
    """Ten new recovery codes, formatted for reading (``abcd-efgh-jkmn-pqrs``); every earlier one stops working."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
        session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(raw), created_at=now))
    session.flush()
    return codes


def use_recovery_code(session: Session, user: User, code: str, now: datetime) -> bool:
    """True if ``code`` is one of ``user``'s unused recovery codes; it is then used up."""
    cleaned = _digits(code).lower()
    if len(cleaned) != _RECOVERY_LENGTH or not cleaned.isascii():
        return False
    # The lookup is by hash: the database compares digests, never the code itself.
    used = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(cleaned),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return bool(used.rowcount)  # type: ignore[attr-defined]


def recovery_codes_left(session: Session, user: User) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


#: how a second factor was given
BY_APP = "app"
BY_RECOVERY_CODE = "recovery_code"


def check_second_factor(session: Session, user: User, code: str, now: datetime) -> str | None:
    """``BY_APP`` or ``BY_RECOVERY_CODE`` when ``code`` is good for the enrolled ``user``; None otherwise."""
    if not is_enrolled(user):
        return None
    if verify_totp(user, code, now):
        return BY_APP
    if use_recovery_code(session, user, code, now):
        return BY_RECOVERY_CODE
    return None


def reset(session: Session, user: User, now: datetime) -> None:
    """Forget ``user``'s app and recovery codes and end their sessions: they enrol again at their next sign-in."""
    user.totp_secret = None
    user.mfa_enrolled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()

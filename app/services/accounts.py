"""Staff accounts: passwords (argon2id), role grants per unit, and server-side sign-in sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import RoleGrant, Unit, User, UserSession
from app.services import passwords

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASHES: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash made with HASHER's cost, verified against when the email is unknown: a wrong email then
    costs the same time as a wrong password, and the answer's timing does not tell which accounts exist.
    """
    key = id(HASHER)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = HASHER.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[key]


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message code says why."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    """The argon2id hash of an acceptable ``password``; raises :class:`AccountError` with the rule it breaks."""
    problem = passwords.problem_with(password)
    if problem is not None:
        raise AccountError(problem)
    return HASHER.hash(password)


def random_password() -> str:
    """A password to hand over once: 20 URL-safe characters, about 120 bits."""
    return secrets.token_urlsafe(15)


def create_user(session: Session, email: str, name: str, password: str, now: datetime) -> User:
    email = normalize_email(email)
    if "@" not in email:
        raise AccountError("invalid_email")
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise AccountError("email_taken")
    user = User(
        email=email, name=name.strip() or email, password_hash=hash_password(password), active=True, created_at=now
    )
    session.add(user)
    session.flush()
    return user


def grant(session: Session, user: User, role: str, unit: Unit | None, now: datetime) -> RoleGrant:
    """Give ``user`` ``role`` in ``unit`` (administrators: no unit); an existing grant is returned as is."""
    if role not in RoleGrant.ROLES:
        raise AccountError("unknown_role")
    if (role == RoleGrant.ADMIN) != (unit is None):
        raise AccountError("admin_has_no_unit" if role == RoleGrant.ADMIN else "unit_required")
    for existing in user.grants:
        if existing.role == role and existing.unit_id == (unit.id if unit else None):
            return existing
    created = RoleGrant(user=user, role=role, unit=unit, created_at=now)
    session.add(created)
    session.flush()
    return created


def revoke(session: Session, grant_id: int) -> RoleGrant | None:
    found = session.get(RoleGrant, grant_id)
    if found is not None:
        session.delete(found)
        session.flush()
    return found


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, else None; the same work is done either way."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    try:
        HASHER.verify(user.password_hash if user is not None else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    return user


def change_password(
    session: Session, user: User, current: str, new: str, keep_token: str | None, now: datetime
) -> None:
    """Set ``user``'s password to ``new`` after checking ``current``; every other session of theirs ends.

    Raises :class:`AccountError`: ``wrong_password``, or the rule ``new`` breaks (see passwords.py).
    """
    try:
        HASHER.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise AccountError("wrong_password") from None
    user.password_hash = hash_password(new)
    others = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep_token is not None:
        others = others.where(UserSession.token_hash != _hash(keep_token))
    session.execute(others.values(revoked_at=now))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, user: User, ip: str | None, now: datetime, *, second_factor: bool) -> str:
    """A new sign-in session for ``user``; returns the token the browser keeps.

    Without ``second_factor`` the session is half a sign-in: :func:`resume_pending` finds it for the
    second step, :func:`resume_session` never does.
    """
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_hash(token),
            user=user,
            created_at=now,
            last_seen_at=now,
            ip=ip,
            mfa_passed_at=now if second_factor else None,
        )
    )
    if second_factor:
        user.last_login_at = now
    session.flush()
    return token


def resume_pending(session: Session, token: str, now: datetime, lifetime: timedelta) -> User | None:
    """The user whose password was right and who is to give the second factor, if ``token`` is that
    half sign-in, not ended and started less than ``lifetime`` ago.
    """
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None or row.mfa_passed_at is not None or not row.user.active:
        return None
    if now - row.created_at > lifetime:
        row.revoked_at = now
        return None
    return row.user


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: UserSession


#: How often a session's last-seen time is written: often enough for the idle limit, not on every request.
SEEN_RESOLUTION = timedelta(minutes=1)


def resume_session(
    session: Session, token: str, now: datetime, idle: timedelta, lifetime: timedelta
) -> SignedIn | None:
    """The signed-in user of ``token``, or None: signed out, deactivated, idle longer than ``idle``, or
    signed in longer ago than ``lifetime``. An expired session is ended for good.
    """
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None or row.mfa_passed_at is None or not row.user.active:
        return None
    if now - row.last_seen_at > idle or now - row.created_at > lifetime:
        row.revoked_at = now
        return None
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
    return SignedIn(row.user, row)


def end_session(session: Session, token: str, now: datetime) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == _hash(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def set_active(session: Session, user: User, active: bool, now: datetime) -> None:
    """Activate or deactivate ``user``; deactivating ends every session of theirs at once."""
    user.active = active
    if not active:
        session.execute(
            update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def units_with_role(user: User, role: str) -> set[int]:
    """Ids of the units where ``user`` holds ``role``."""
    return {g.unit_id for g in user.grants if g.role == role and g.unit_id is not None}


def is_admin(user: User) -> bool:
    return any(g.role == RoleGrant.ADMIN for g in user.grants)

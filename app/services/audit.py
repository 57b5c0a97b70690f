"""The audit trail: one row per thing that matters, written in the transaction that did it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEvent, Submission, User

# Actions, so the log can be filtered by a fixed vocabulary.
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
CASE_VIEWED = "case_viewed"
FILE_DOWNLOADED = "file_downloaded"
RECEIPT_DOWNLOADED = "receipt_downloaded"
CASE_ASSIGNED = "case_assigned"
STATUS_CHANGED = "status_changed"
NOTE_ADDED = "note_added"
MESSAGE_SENT = "message_sent"
RESIDENT_REPLIED = "resident_replied"
CASES_EXPORTED = "cases_exported"
USER_CREATED = "user_created"
USER_ACTIVATED = "user_activated"
USER_DEACTIVATED = "user_deactivated"
ROLE_GRANTED = "role_granted"
ROLE_REVOKED = "role_revoked"
UNIT_CREATED = "unit_created"

ACTIONS = (
    LOGIN, LOGIN_FAILED, LOGOUT, CASE_VIEWED, FILE_DOWNLOADED, RECEIPT_DOWNLOADED, CASE_ASSIGNED, STATUS_CHANGED,
    NOTE_ADDED, MESSAGE_SENT, RESIDENT_REPLIED, CASES_EXPORTED, USER_CREATED, USER_ACTIVATED, USER_DEACTIVATED,
    ROLE_GRANTED, ROLE_REVOKED, UNIT_CREATED,
)  # fmt: skip


def record(
    session: Session,
    action: str,
    now: datetime,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    submission: Submission | None = None,
    ip: str | None = None,
    **data: Any,
) -> AuditEvent:
    """Write one audit event; ``actor_label`` defaults to the actor's email."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(
        at=now,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label or (actor.email if actor is not None else "system"),
        action=action,
        submission_id=submission.id if submission is not None else None,
        reference=submission.reference if submission is not None else None,
        ip=ip,
        data={key: value for key, value in data.items() if value is not None},
    )
    session.add(event)
    return event

"""The audit trail: one row per thing that matters, written in the transaction that did it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEvent, Submission, User
from eservices.text import N_

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
ESERVICE_CREATED = "eservice_created"
ESERVICE_IMPORTED = "eservice_imported"
ESERVICE_PUBLISHED = "eservice_published"
ESERVICE_UNPUBLISHED = "eservice_unpublished"
ESERVICE_CLOSED = "eservice_closed"
ESERVICE_OPENED = "eservice_opened"
ESERVICE_ARCHIVED = "eservice_archived"
ESERVICE_RESTORED = "eservice_restored"
DRAFT_DISCARDED = "draft_discarded"
MFA_ENROLLED = "mfa_enrolled"
MFA_FAILED = "mfa_failed"
MFA_RESET = "mfa_reset"
RECOVERY_CODE_USED = "recovery_code_used"
RECOVERY_CODES_REPLACED = "recovery_codes_replaced"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an audit action name, not a password
CASE_PROTECTED = "case_protected"
CASE_UNPROTECTED = "case_unprotected"
OFFICER_NAMED = "officer_named"
OFFICER_UNNAMED = "officer_unnamed"

ACTIONS = (
    LOGIN, LOGIN_FAILED, LOGOUT, CASE_VIEWED, FILE_DOWNLOADED, RECEIPT_DOWNLOADED, CASE_ASSIGNED, STATUS_CHANGED,
    NOTE_ADDED, MESSAGE_SENT, RESIDENT_REPLIED, CASES_EXPORTED, USER_CREATED, USER_ACTIVATED, USER_DEACTIVATED,
    ROLE_GRANTED, ROLE_REVOKED, UNIT_CREATED, ESERVICE_CREATED, ESERVICE_IMPORTED, ESERVICE_PUBLISHED,
    ESERVICE_UNPUBLISHED, ESERVICE_CLOSED, ESERVICE_OPENED, ESERVICE_ARCHIVED, ESERVICE_RESTORED, DRAFT_DISCARDED,
    ROLE_GRANTED, ROLE_REVOKED, UNIT_CREATED, MFA_ENROLLED, MFA_FAILED, MFA_RESET, RECOVERY_CODE_USED,
    RECOVERY_CODES_REPLACED, PASSWORD_CHANGED, CASE_PROTECTED, CASE_UNPROTECTED, OFFICER_NAMED, OFFICER_UNNAMED,
)  # fmt: skip


#: What each action is called in the audit log (translated by the caller).
ACTION_LABELS = {
    LOGIN: N_("Signed in"),
    LOGIN_FAILED: N_("Failed sign-in"),
    LOGOUT: N_("Signed out"),
    CASE_VIEWED: N_("Opened a case"),
    FILE_DOWNLOADED: N_("Downloaded a file"),
    RECEIPT_DOWNLOADED: N_("Downloaded a receipt"),
    CASE_ASSIGNED: N_("Assigned a case"),
    STATUS_CHANGED: N_("Changed the status"),
    NOTE_ADDED: N_("Wrote a note"),
    MESSAGE_SENT: N_("Sent a message"),
    RESIDENT_REPLIED: N_("The resident answered"),
    CASES_EXPORTED: N_("Exported cases"),
    USER_CREATED: N_("Created a user"),
    USER_ACTIVATED: N_("Activated a user"),
    USER_DEACTIVATED: N_("Deactivated a user"),
    ROLE_GRANTED: N_("Granted a role"),
    ROLE_REVOKED: N_("Took away a role"),
    UNIT_CREATED: N_("Created a unit"),
    ESERVICE_CREATED: N_("Created an e-service"),
    ESERVICE_IMPORTED: N_("Imported an e-service"),
    ESERVICE_PUBLISHED: N_("Published an e-service"),
    ESERVICE_UNPUBLISHED: N_("Unpublished an e-service"),
    ESERVICE_CLOSED: N_("Closed an e-service"),
    ESERVICE_OPENED: N_("Opened an e-service"),
    ESERVICE_ARCHIVED: N_("Archived an e-service"),
    ESERVICE_RESTORED: N_("Restored an e-service"),
    DRAFT_DISCARDED: N_("Discarded a draft"),
    MFA_ENROLLED: N_("Set up two-step sign-in"),
    MFA_FAILED: N_("Wrong sign-in code"),
    MFA_RESET: N_("Reset two-step sign-in"),
    RECOVERY_CODE_USED: N_("Signed in with a recovery code"),
    RECOVERY_CODES_REPLACED: N_("Made new recovery codes"),
    PASSWORD_CHANGED: N_("Changed their password"),
    CASE_PROTECTED: N_("Marked protected identity"),
    CASE_UNPROTECTED: N_("Removed protected identity"),
    OFFICER_NAMED: N_("Named a case officer on a protected case"),
    OFFICER_UNNAMED: N_("Took a case officer off a protected case"),
}


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

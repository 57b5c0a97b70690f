"""Typed ORM models, one file per aggregate; importing this package registers them all on Base.metadata."""

from app.models.audit import AuditEvent
from app.models.draft import Draft, DraftFile
from app.models.eservice import EService, FormVersion
from app.models.outbox import OutboxMessage
from app.models.receipt import Receipt
from app.models.submission import Attachment, CaseEvent, CaseLink, NamedOfficer, ReferenceCounter, Submission
from app.models.unit import Unit
from app.models.user import RecoveryCode, RoleGrant, User, UserSession

__all__ = [
    "Attachment",
    "AuditEvent",
    "CaseEvent",
    "CaseLink",
    "Draft",
    "DraftFile",
    "EService",
    "FormVersion",
    "NamedOfficer",
    "OutboxMessage",
    "Receipt",
    "RecoveryCode",
    "ReferenceCounter",
    "RoleGrant",
    "Submission",
    "Unit",
    "User",
    "UserSession",
]

"""Typed ORM models, one file per aggregate; importing this package registers them all on Base.metadata."""

from app.models.draft import Draft, DraftFile
from app.models.eservice import EService, FormVersion
from app.models.outbox import OutboxMessage
from app.models.receipt import Receipt
from app.models.submission import Attachment, CaseEvent, ReferenceCounter, Submission
from app.models.unit import Unit

__all__ = [
    "Attachment",
    "CaseEvent",
    "Draft",
    "DraftFile",
    "EService",
    "FormVersion",
    "OutboxMessage",
    "Receipt",
    "ReferenceCounter",
    "Submission",
    "Unit",
]

"""Receipts: issued once per case, and checked by anyone who holds one."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import blobs
from app.models import Receipt, Submission
from eservices.numbering import InvalidReference, parse_reference

#: letters and digits that cannot be taken for one another when read aloud or typed (no 0/O, 1/I/L)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

#: render(snapshot, verification_code) -> the PDF bytes
RenderReceipt = Callable[[Mapping[str, Any], str], bytes]


def new_verification_code() -> str:
    """Eight random characters in two groups, ``K7QM-2XPA``: about 40 bits, enough against guessing online."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


@dataclass(frozen=True)
class RenderedReceipt:
    """A receipt drawn but not stored yet: the PDF and the verification code printed on it."""

    pdf: bytes
    verification_code: str


def render(submission: Submission, render_pdf: RenderReceipt) -> RenderedReceipt:
    """Draw the case's receipt from its snapshot; touches no database, so it needs no transaction."""
    code = new_verification_code()
    return RenderedReceipt(render_pdf(submission.snapshot, code), code)


def store_receipt(session: Session, submission: Submission, rendered: RenderedReceipt, now: datetime) -> Receipt:
    """Store a drawn receipt as the case's one receipt; when another was stored first, that one is kept."""
    existing = receipt_of(session, submission)
    if existing is not None:
        return existing
    receipt = Receipt(
        submission_id=submission.id,
        **blobs.keep(session, rendered.pdf),
        sha256=hashlib.sha256(rendered.pdf).hexdigest(),
        verification_code=rendered.verification_code,
        rendered_at=now,
    )
    session.add(receipt)
    session.flush()
    return receipt


def receipt_of(session: Session, submission: Submission) -> Receipt | None:
    return session.scalar(select(Receipt).where(Receipt.submission_id == submission.id))


@dataclass(frozen=True)
class Verification:
    """What a verification may tell anyone: that a case exists, which e-service, when. Never the answers."""

    genuine: bool
    reference: str | None = None
    eservice_title: Mapping[str, str] | None = None
    received_at: datetime | None = None


NOT_GENUINE = Verification(genuine=False)


def _normalize_code(code: str) -> str:
    compact = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{compact[:4]}-{compact[4:]}" if len(compact) == 8 else compact


def verify_code(session: Session, reference: str, code: str) -> Verification:
    """Whether ``reference`` and ``code`` belong to a receipt this installation issued."""
    try:
        canonical = str(parse_reference(reference))
    except InvalidReference:
        return NOT_GENUINE
    row = session.execute(
        select(Submission, Receipt)
        .join(Receipt, Receipt.submission_id == Submission.id)
        .where(Submission.reference == canonical)
    ).first()
    if row is None:
        return NOT_GENUINE
    submission, receipt = row
    if not hmac.compare_digest(receipt.verification_code, _normalize_code(code)):
        return NOT_GENUINE
    return _genuine(submission)


def verify_pdf(session: Session, content: bytes) -> Verification:
    """Whether ``content`` is, byte for byte, a receipt this installation issued."""
    digest = hashlib.sha256(content).hexdigest()
    row = session.execute(
        select(Submission, Receipt)
        .join(Receipt, Receipt.submission_id == Submission.id)
        .where(Receipt.sha256 == digest)
    ).first()
    return NOT_GENUINE if row is None else _genuine(row[0])


def _genuine(submission: Submission) -> Verification:
    return Verification(
        genuine=True,
        reference=submission.reference,
        eservice_title=submission.snapshot.get("title"),
        received_at=submission.submitted_at,
    )


def submissions_without_receipt(session: Session, limit: int = 100) -> list[int]:
    """Ids of cases that have no stored receipt yet (filed by a path that left the rendering for later)."""
    return list(
        session.scalars(
            select(Submission.id)
            .outerjoin(Receipt, Receipt.submission_id == Submission.id)
            .where(Receipt.id.is_(None))
            .order_by(Submission.id)
            .limit(limit)
        )
    )

"""The outbox: mail is written in the transaction that causes it and delivered after the commit.

Delivery claims one row at a time (``pending`` -> ``sending`` in one UPDATE, so two deliverers never
send the same row), hands the message to the server, then records ``sent``. A failed attempt waits
``base * 2**(attempts-1)`` seconds before the next, up to ``max_attempts``; then the row is ``failed``
and staff can see it. A row left in ``sending`` by a deliverer that died is put back by
:func:`release_stuck`: the crash between handing over and recording is the one way to send twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import OutboxMessage

MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class OutgoingMail:
    """An email to queue; the body is rendered before it is queued, so retries send the same text."""

    kind: str
    recipient: str
    subject: str
    body_text: str
    body_html: str | None = None
    receipt_submission_id: int | None = None
    #: the case it is about, if any
    submission_id: int | None = None


def queue(session: Session, mail: OutgoingMail, message_id: str, now: datetime) -> OutboxMessage:
    """Add ``mail`` to the outbox in the caller's transaction."""
    row = OutboxMessage(
        kind=mail.kind,
        message_id=message_id,
        recipient=mail.recipient,
        subject=mail.subject,
        body_text=mail.body_text,
        body_html=mail.body_html,
        receipt_submission_id=mail.receipt_submission_id,
        submission_id=mail.submission_id,
        headers={},
        status=OutboxMessage.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    session.flush()
    return row


def due(session: Session, now: datetime, limit: int = 50) -> list[int]:
    """Ids of pending messages whose time has come, oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxMessage.PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def claim(session: Session, message_id: int, now: datetime) -> OutboxMessage | None:
    """Take message ``message_id`` for delivery; None when another deliverer took it first."""
    taken = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxMessage.PENDING)
        .values(status=OutboxMessage.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = session.get(OutboxMessage, message_id, populate_existing=True)
    return row


def mark_sent(row: OutboxMessage, now: datetime) -> None:
    row.status = OutboxMessage.SENT
    row.sent_at = now
    row.last_error = None


def mark_failed(row: OutboxMessage, error: str, now: datetime, *, max_attempts: int, base_delay: timedelta) -> None:
    """Record a failed attempt: try again later, or give up after ``max_attempts``."""
    row.last_error = error[:2000]
    if row.attempts >= max_attempts:
        row.status = OutboxMessage.FAILED
        return
    row.status = OutboxMessage.PENDING
    row.next_attempt_at = now + min(base_delay * 2 ** (row.attempts - 1), MAX_BACKOFF)


def messages_about(session: Session, submission_id: int) -> list[OutboxMessage]:
    """The mail sent (or being sent) about a case, oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.submission_id == submission_id).order_by(OutboxMessage.id)
        )
    )


def release_stuck(session: Session, now: datetime, older_than: timedelta) -> int:
    """Put back rows claimed more than ``older_than`` ago and never recorded; returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxMessage.SENDING, OutboxMessage.claimed_at < now - older_than)
        # Due since it was claimed: it has waited long enough, and a sweep takes it at once.
        .values(status=OutboxMessage.PENDING, next_attempt_at=OutboxMessage.claimed_at)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def erase_delivered_bodies(session: Session, delivered_before: datetime) -> int:
    """Erase the text of mail delivered before ``delivered_before``; returns how many were erased.

    The text holds the resident's name and private links; once the mail is delivered it has done its
    work. Recipient, subject and times stay, so staff still see on the case what was sent and when.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxMessage.SENT,
            OutboxMessage.sent_at < delivered_before,
            OutboxMessage.body_text != "",
        )
        .values(body_text="", body_html=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]

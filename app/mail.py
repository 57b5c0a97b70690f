"""Mail: composing messages from templates, and delivering the outbox over SMTP (or to .eml files).

With no SMTP host configured, each message is written to ``instance/mail/<message id>.eml`` so a
developer can open it; the name comes from the Message-ID, so a repeated delivery overwrites rather
than duplicates.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import blobs
from app.db import WRITE_INTENT
from app.models import OutboxMessage, Receipt, Submission
from app.receipts import receipt_for
from app.services import outbox
from app.services.outbox import OutgoingMail
from eservices.text import format_locale

log = logging.getLogger(__name__)


def new_message_id() -> str:
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip("> ") or "localhost"
    return make_msgid(domain=domain)


def queue_mail(session: Session, mail: OutgoingMail, now: datetime) -> OutboxMessage:
    """Queue ``mail`` in the request's transaction; it is delivered once the request has committed."""
    row = outbox.queue(session, mail, new_message_id(), now)
    g.setdefault("outbox_queued", []).append(row.id)
    return row


def confirmation_mail(submission: Submission, follow_url: str) -> OutgoingMail | None:
    """The confirmation to the resident, in the language they filed in; None when they gave no email."""
    if not submission.email:
        return None
    snapshot = submission.snapshot
    with force_locale(format_locale(submission.locale)):
        context: dict[str, Any] = {"submission": submission, "snapshot": snapshot, "follow_url": follow_url}
        return OutgoingMail(
            kind="confirmation",
            recipient=submission.email,
            subject=gettext("We have received your request %(reference)s", reference=submission.reference),
            body_text=render_template("emails/confirmation.txt", **context),
            body_html=render_template("emails/confirmation.html", **context),
            receipt_submission_id=submission.id,
            submission_id=submission.id,
        )


def message_mail(submission: Submission, text: str, link: str) -> OutgoingMail:
    """A message from a case officer, in the resident's language, with a private link to answer it."""
    assert submission.email is not None
    with force_locale(format_locale(submission.locale)):
        context = {"submission": submission, "snapshot": submission.snapshot, "text": text, "link": link}
        return OutgoingMail(
            kind="message",
            recipient=submission.email,
            subject=gettext("New message about your case %(reference)s", reference=submission.reference),
            body_text=render_template("emails/message.txt", **context),
            body_html=render_template("emails/message.html", **context),
            submission_id=submission.id,
        )


def resume_mail(recipient: str, title: str, resume_url: str, expires: datetime, locale: str) -> OutgoingMail:
    """The save-and-resume link, for a resident who asked for it by email."""
    with force_locale(format_locale(locale)):
        context = {"title": title, "resume_url": resume_url, "expires": expires}
        return OutgoingMail(
            kind="resume",
            recipient=recipient,
            subject=gettext("Your saved answers: %(title)s", title=title),
            body_text=render_template("emails/resume.txt", **context),
            body_html=render_template("emails/resume.html", **context),
        )


def build_message(row: OutboxMessage, session: Session, config: Any) -> EmailMessage:
    """The MIME message for an outbox row, with the stored receipt PDF attached where there is one."""
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    if row.receipt_submission_id is not None:
        receipt = session.query(Receipt).filter_by(submission_id=row.receipt_submission_id).one_or_none()
        submission = session.get(Submission, row.receipt_submission_id)
        if receipt is not None and submission is not None:
            message.add_attachment(
                blobs.read(session, receipt),
                maintype="application",
                subtype="pdf",
                filename=f"kvittens-{submission.reference}.pdf",
            )
    return message


def send(message: EmailMessage, config: Any, instance_path: str) -> None:
    """Hand ``message`` to the SMTP server, or write it as an .eml file when none is configured."""
    host = config["SMTP_HOST"]
    if not host:
        folder = Path(config["MAIL_DIR"] or Path(instance_path) / "mail")
        folder.mkdir(parents=True, exist_ok=True)
        name = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in message["Message-ID"].strip("<>"))
        (folder / f"{name}.eml").write_bytes(message.as_bytes())
        return
    timeout = config["SMTP_TIMEOUT"]
    smtp: smtplib.SMTP
    if config["SMTP_SSL"]:
        smtp = smtplib.SMTP_SSL(host, config["SMTP_PORT"], timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, config["SMTP_PORT"], timeout=timeout)
    with smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


def _write_intent(session: Session) -> None:
    # Each of these transactions reads and then writes; on SQLite it must hold the write lock from the
    # start, or a concurrent deliverer makes it fail after the mail was handed over (see app.db).
    session.connection(execution_options={WRITE_INTENT: True})


def _permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _receipt_first(app: Flask, message_id: int) -> None:
    """A confirmation leaves with its receipt: one not stored when the case was filed is drawn now.

    If it cannot be drawn, the mail goes without it (it has the follow-the-case link, where the receipt
    is drawn at its first download): a mail held back for ever would be a lost mail.
    """
    with app.extensions["db_sessionmaker"]() as session:
        case_id = session.scalar(select(OutboxMessage.receipt_submission_id).where(OutboxMessage.id == message_id))
        stored = session.scalar(select(Receipt.id).where(Receipt.submission_id == case_id)) if case_id else None
    if case_id is not None and stored is None:
        try:
            receipt_for(app, case_id)
        except Exception:
            log.exception("receipt of case %s could not be drawn; its confirmation goes without it", case_id)


def deliver_one(app: Flask, message_id: int) -> bool | None:
    """Deliver outbox row ``message_id`` if it is still pending and due: True sent, False failed, None not taken.

    Safe to call any number of times and from any number of processes: the claim lets one through.
    """
    config = app.config
    factory = app.extensions["db_sessionmaker"]
    _receipt_first(app, message_id)
    with factory() as session:
        with session.begin():
            _write_intent(session)
            row = outbox.claim(session, message_id, datetime.now(UTC))
            if row is None:
                return None
            message = build_message(row, session, config)
        try:
            send(message, config, app.instance_path)
        except (OSError, smtplib.SMTPException) as error:
            with session.begin():
                _write_intent(session)
                row = session.get(OutboxMessage, message_id, populate_existing=True)
                assert row is not None
                outbox.mark_failed(
                    row,
                    f"{type(error).__name__}: {error}",
                    datetime.now(UTC),
                    # A permanent refusal (5xx: no such mailbox) will not get better by trying again.
                    max_attempts=row.attempts if _permanent(error) else config["OUTBOX_MAX_ATTEMPTS"],
                    base_delay=timedelta(seconds=config["OUTBOX_RETRY_SECONDS"]),
                )
            log.warning("mail %s (%s) not delivered: %s", message_id, row.kind, error)
            return False
        with session.begin():
            _write_intent(session)
            row = session.get(OutboxMessage, message_id, populate_existing=True)
            assert row is not None
            outbox.mark_sent(row, datetime.now(UTC))
    return True


def due_now(app: Flask, limit: int = 50, now: datetime | None = None) -> list[int]:
    """Put back rows whose deliverer died (see ``OUTBOX_STUCK_SECONDS``), then the ids of what is due by ``now``."""
    factory = app.extensions["db_sessionmaker"]
    with factory() as session:
        with session.begin():
            _write_intent(session)
            outbox.release_stuck(session, datetime.now(UTC), timedelta(seconds=app.config["OUTBOX_STUCK_SECONDS"]))
        ids = outbox.due(session, now or datetime.now(UTC), limit)
        session.rollback()
    return ids


def deliver_due(app: Flask, limit: int = 50) -> tuple[int, int]:
    """One delivery pass: send what is due; returns (sent, failed attempts). Each row commits on its own."""
    sent = failed = 0
    for message_id in due_now(app, limit):
        outcome = deliver_one(app, message_id)
        sent += outcome is True
        failed += outcome is False
    return sent, failed


def _deliver_quietly(app: Flask) -> None:
    # Nothing is lost if this fails: the rows stay in the outbox for the next pass. Say so in the log.
    try:
        deliver_due(app)
    except Exception:
        log.exception("inline mail delivery failed; the outbox keeps the messages for the next pass")


def init_mail(app: Flask) -> None:
    """Deliver right after a request that queued mail has committed.

    With a Redis URL configured, the request hands the new rows to the Celery workers (``app.worker``);
    otherwise (the embedded default) the web process delivers them itself, and any request also sweeps
    the outbox when the last sweep is more than a minute old, so retries happen without a worker. Either
    way the outbox rows are the truth: a hand-over that is lost is found again by the next sweep.
    """
    app.extensions["outbox_last_sweep"] = 0.0

    @app.after_request
    def deliver_after_commit(response: Response) -> Response:
        queued: list[int] = g.pop("outbox_queued", []) if response.status_code < 400 else []
        g.pop("outbox_queued", None)
        enqueue = app.extensions.get("outbox_enqueue")
        if enqueue is not None:
            if queued:
                # call_on_close runs after the response is sent, and so after the commit in app.db; the
                # request id goes along by hand, the request's context being gone by then.
                request_id = g.get("request_id")
                response.call_on_close(lambda: enqueue(queued, request_id))
            return response
        stale = time.monotonic() - app.extensions["outbox_last_sweep"] > app.config["OUTBOX_SWEEP_SECONDS"]
        if app.config["MAIL_DELIVERY"] == "inline" and (queued or stale):
            app.extensions["outbox_last_sweep"] = time.monotonic()
            response.call_on_close(lambda: _deliver_quietly(app))
        return response

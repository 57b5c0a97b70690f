"""Background work on Celery and Redis: what the web process hands over, and what the tasks do.

The broker is the real Redis on this machine (database 5 unless TEST_REDIS_URL says otherwise); the
tests read the queued messages from it. The task bodies run here, as a worker would run them; the
cluster tests (tests/cluster) run real workers. Mail goes over SMTP to an aiosmtpd server.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from conftest import CSRF, Resident
from flask import Flask
from smtp_server import SmtpServer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app import create_app, worker
from app.models import Draft, OutboxMessage, Receipt, Submission
from app.services import outbox as outbox_service
from app.services.outbox import OutgoingMail

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
FAULT = "felanmalan-gata-park-belysning"


def _redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: background work with Celery not tested")
    return client


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    client = _redis_or_skip()
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def celery_app(app: Flask, db: Session, broker: redis.Redis, smtp: SmtpServer) -> Iterator[Flask]:
    """The application as configured with Redis: mail goes to the workers instead of being sent here."""
    configured = create_app(
        {**app.config, "REDIS_URL": REDIS_URL, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "SMTP_TIMEOUT": 5}
    )
    yield configured
    configured.extensions["db_engine"].dispose()


def queued_tasks(broker: redis.Redis) -> list[dict[str, Any]]:
    """The task messages waiting in Redis: name, arguments and the request id they carry."""
    found = []
    for raw in broker.lrange("celery", 0, -1):
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        headers = message["headers"]
        found.append({"task": headers["task"], "args": args, "request_id": headers.get("request_id")})
    return found


def file_with_email(client: Any) -> Any:
    """File a fault report asking for an answer by email; returns the response to the final submit."""
    resident = Resident(client)
    resident.start(FAULT)
    resident.answer({"kategori": "gatubelysning"})
    resident.answer({"plats": "Tingvallavägen 3", "stolpnummer": "G-114"})
    resident.answer({"beskrivning": "Lampan lyser inte."})
    resident.answer({"vill_bli_kontaktad": "yes"})
    resident.answer({"namn": "Anna Andersson", "kontaktsatt": "epost", "epost": "anna@example.se"})
    assert resident.url.endswith("/review"), resident.url
    token = CSRF.search(resident.html)
    assert token
    version = re.search(r'name="version" value="(\d+)"', resident.html)
    data = {"csrf_token": token.group(1), "action": "submit", **({"version": version.group(1)} if version else {})}
    response = client.post(resident.url, data=data)
    assert response.status_code == 303 or response.status_code == 302, response.status_code
    response.close()  # as the server does once the answer is sent: the hand-over runs now
    return response


def outbox_rows(db: Session) -> list[OutboxMessage]:
    db.rollback()
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_filing_hands_its_mail_to_the_workers_with_the_request_id(
    celery_app: Flask, db: Session, broker: redis.Redis, smtp: SmtpServer
) -> None:
    response = file_with_email(celery_app.test_client())

    [row] = outbox_rows(db)
    assert row.status == OutboxMessage.PENDING, "the web process itself sends nothing"
    assert smtp.inbox.envelopes == []
    assert queued_tasks(broker) == [
        {"task": worker.DELIVER, "args": [row.id], "request_id": response.headers["X-Request-ID"]}
    ]

    with celery_app.app_context():
        assert worker.deliver(row.id) is True
        assert worker.deliver(row.id) is None, "a repeated task finds the mail already taken"
    assert len(smtp.inbox.messages) == 1
    assert smtp.inbox.messages[0]["To"] == "anna@example.se"
    assert outbox_rows(db)[0].status == OutboxMessage.SENT


def queue_old_mail(db: Session, app: Flask, minutes_ago: int = 10, **values: Any) -> int:
    then = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    mail = OutgoingMail(kind="message", recipient="bo@example.se", subject="Hej", body_text="Hej Bo")
    row = outbox_service.queue(db, mail, f"<{then.timestamp()}-{values}@grums.se>", then)
    for name, value in values.items():
        setattr(row, name, value)
    db.commit()
    return row.id


def test_the_sweep_finds_mail_whose_hand_over_was_lost_in_a_redis_flush(
    celery_app: Flask, db: Session, broker: redis.Redis, smtp: SmtpServer
) -> None:
    waiting = queue_old_mail(db, celery_app)
    fresh = queue_old_mail(db, celery_app, minutes_ago=0)
    broker.flushdb()

    with celery_app.app_context():
        assert worker.sweep() == 1
    assert [task["args"] for task in queued_tasks(broker)] == [[waiting]], (
        "mail due for a while is handed over again; mail queued a moment ago is left to its own request"
    )
    with celery_app.app_context():
        worker.deliver(waiting)
    assert [m["To"] for m in smtp.inbox.messages] == ["bo@example.se"]
    assert {r.id: r.status for r in outbox_rows(db)} == {waiting: OutboxMessage.SENT, fresh: OutboxMessage.PENDING}


def test_mail_left_sending_by_a_killed_worker_is_sent_after_the_stuck_time(
    celery_app: Flask, db: Session, broker: redis.Redis, smtp: SmtpServer
) -> None:
    long_ago = datetime.now(UTC) - timedelta(seconds=celery_app.config["OUTBOX_STUCK_SECONDS"] + 5)
    stuck = queue_old_mail(db, celery_app, status=OutboxMessage.SENDING, claimed_at=long_ago, attempts=1)
    recent = queue_old_mail(db, celery_app, status=OutboxMessage.SENDING, claimed_at=datetime.now(UTC), attempts=1)

    with celery_app.app_context():
        worker.sweep()
        for task in queued_tasks(broker):
            worker.deliver(*task["args"])
    statuses = {r.id: r.status for r in outbox_rows(db)}
    assert statuses == {stuck: OutboxMessage.SENT, recent: OutboxMessage.SENDING}
    assert len(smtp.inbox.messages) == 1


def test_missing_receipts_are_rendered_once(
    celery_app: Flask, db: Session, make_submission: Any, mail_kept_in_outbox: None
) -> None:
    reference, _token = make_submission()
    db.execute(delete(Receipt))
    db.commit()

    assert worker.render_missing_receipts(celery_app) == 1
    assert worker.render_missing_receipts(celery_app) == 0
    db.rollback()
    submission = db.scalar(select(Submission).where(Submission.reference == reference))
    assert submission is not None
    receipt = db.scalar(select(Receipt).where(Receipt.submission_id == submission.id))
    assert receipt is not None and receipt.content.startswith(b"%PDF")


def test_retention_erases_the_text_of_old_delivered_mail_and_keeps_the_record(celery_app: Flask, db: Session) -> None:
    keep_days = celery_app.config["OUTBOX_KEEP_BODY_DAYS"]
    old = queue_old_mail(
        db, celery_app, status=OutboxMessage.SENT, sent_at=datetime.now(UTC) - timedelta(days=keep_days + 1)
    )
    recent = queue_old_mail(db, celery_app, status=OutboxMessage.SENT, sent_at=datetime.now(UTC))
    waiting = queue_old_mail(db, celery_app, minutes_ago=60 * 24 * (keep_days + 1))

    assert worker.erase_old_mail_text(celery_app) == 1
    assert worker.erase_old_mail_text(celery_app) == 0
    rows = {r.id: r for r in outbox_rows(db)}
    assert (rows[old].body_text, rows[old].recipient, rows[old].subject) == ("", "bo@example.se", "Hej")
    assert rows[recent].body_text == "Hej Bo" and rows[waiting].body_text == "Hej Bo"


def test_jobs_run_does_the_scheduled_work_without_redis(
    app: Flask, db: Session, make_submission: Any, mail_kept_in_outbox: None, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path))
    make_submission()
    db.execute(update(Draft).values(expires_at=datetime.now(UTC) - timedelta(days=1)))
    db.execute(delete(Receipt))
    db.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    db.rollback()
    assert db.scalar(select(Draft)) is None
    # The confirmation drew the missing receipt before it left, and carries it.
    assert "Mail: 1 sent" in result.output and "Receipts rendered: 0." in result.output
    (sent,) = tmp_path.glob("*.eml")
    assert db.scalar(select(Receipt)) is not None and b"application/pdf" in sent.read_bytes()
    # A receipt missing with no mail waiting is drawn by the receipts job.
    db.execute(delete(Receipt))
    db.commit()
    again = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert "Mail: 0 sent" in again.output and "Receipts rendered: 1." in again.output
    db.rollback()
    assert db.scalar(select(Receipt)) is not None

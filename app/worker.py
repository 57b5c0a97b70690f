"""Background work on Celery and Redis, when ``REDIS_URL`` is configured (``make worker``).

Tasks: deliver one outbox message; sweep the outbox for what is due and was never handed over (or whose
hand-over was lost); render receipts not rendered yet; delete expired drafts; erase the text of old
delivered mail. Every task reads its work from the database and can run any number of times: the
outbox, not Redis, is the source of truth, so a Redis flush or a worker killed mid-task loses nothing
that the next sweep does not find again. Without Redis none of this module runs: the web process
delivers mail itself (``app.mail``) and ``flask drafts purge`` / ``flask outbox work`` do the rest.

The request id of the request that caused a task travels in the message headers and is on every log
line the task writes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from celery import Celery
from celery.schedules import crontab
from celery.signals import before_task_publish, task_postrun, task_prerun
from flask import Flask
from sqlalchemy import text

from app import blobs
from app.db import WRITE_INTENT
from app.logs import current_request_id, request_id_var
from app.mail import deliver_one, due_now
from app.receipts import receipt_for
from app.services import filing
from app.services import outbox as outbox_service
from app.services import receipts as receipt_service

log = logging.getLogger(__name__)

celery = Celery("endorrin")

DELIVER = "endorrin.outbox.deliver"
SWEEP = "endorrin.outbox.sweep"
RENDER_MISSING = "endorrin.receipts.render_missing"
PURGE_DRAFTS = "endorrin.drafts.purge"
SWEEP_FILES = "endorrin.files.sweep"
RETENTION = "endorrin.retention"
STATISTICS = "endorrin.db.statistics"
HANDED = "endorrin:handed:"


def init_worker(app: Flask) -> None:
    """With a Redis URL: configure Celery from the app's settings, and let requests hand mail to it."""
    if not app.config["REDIS_URL"]:
        return
    sweep = float(app.config["OUTBOX_SWEEP_SECONDS"])
    celery.conf.update(
        broker_url=app.config["REDIS_URL"],
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        # A task is acknowledged when it finished, so one lost with its worker is run again; every task
        # is idempotent, and the sweep would find its work anyway.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        timezone="UTC",
        beat_schedule={
            # A sweep not started before the next is due is dropped: the next one does its work.
            "outbox-sweep": {"task": SWEEP, "schedule": sweep, "options": {"expires": sweep}},
            "receipts-render-missing": {"task": RENDER_MISSING, "schedule": 300.0},
            "drafts-purge": {"task": PURGE_DRAFTS, "schedule": 3600.0},
            "retention": {"task": RETENTION, "schedule": crontab(hour=2, minute=30)},
            "files-sweep": {"task": SWEEP_FILES, "schedule": crontab(hour=3, minute=15)},
            "db-statistics": {"task": STATISTICS, "schedule": crontab(hour=4, minute=0)},
        },
    )
    celery.flask_app = app  # type: ignore[attr-defined]
    app.extensions["worker_redis"] = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=5)
    app.extensions["celery"] = celery
    app.extensions["outbox_enqueue"] = enqueue_delivery


def enqueue_delivery(message_ids: Iterable[int], request_id: str | None = None) -> None:
    """Hand outbox rows to the workers, each once while a hand-over is pending; failures are logged.

    A marker in Redis (``endorrin:handed:<id>``) says a task for the row is queued or running; it goes
    when the task ends, and expires after ``OUTBOX_STUCK_SECONDS`` in case the task was lost (a killed
    worker, a Redis flush, which also takes the marker). So the sweep never piles up copies of a task
    behind a long queue, and still hands over again whatever was lost.
    """
    app = _app()
    client = app.extensions["worker_redis"]
    ttl = max(int(app.config["OUTBOX_STUCK_SECONDS"]), 1)
    try:
        for message_id in message_ids:
            if client.set(f"{HANDED}{message_id}", 1, nx=True, ex=ttl):
                deliver.apply_async((message_id,), headers={"request_id": request_id or current_request_id()})
    except Exception:
        log.exception("could not hand mail to the workers; the outbox sweep will")


def _app() -> Flask:
    flask_app: Flask = celery.flask_app  # type: ignore[attr-defined]
    return flask_app


@before_task_publish.connect
def _carry_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is not None and not headers.get("request_id"):
        headers["request_id"] = current_request_id()


@task_prerun.connect
def _take_request_id(task: Any = None, **kwargs: Any) -> None:
    if task is None:
        return
    request_id = getattr(task.request, "request_id", None)
    task.request.request_id_token = request_id_var.set(request_id or f"task-{task.request.id}")


@task_postrun.connect
def _forget_request_id(task: Any = None, **kwargs: Any) -> None:
    token = getattr(task.request, "request_id_token", None)
    if token is not None:
        request_id_var.reset(token)


@celery.task(name=DELIVER)
def deliver(message_id: int) -> bool | None:
    """Deliver one outbox message if it is still waiting; does nothing when another deliverer took it."""
    app = _app()
    try:
        outcome = deliver_one(app, message_id)
    finally:
        app.extensions["worker_redis"].delete(f"{HANDED}{message_id}")
    if outcome is not None:
        log.info("mail %s %s", message_id, "delivered" if outcome else "failed, will be retried")
    return outcome


@celery.task(name=SWEEP)
def sweep() -> int:
    """Hand over every message that is due and was not delivered: lost hand-overs, retries, dead deliverers.

    Rows due only a moment ago are left to the hand-over that the request made itself.
    """
    app = _app()
    grace = timedelta(seconds=float(app.config["OUTBOX_SWEEP_SECONDS"]))
    ids = due_now(app, limit=500, now=datetime.now(UTC) - grace)
    enqueue_delivery(ids)
    if ids:
        log.info("outbox sweep handed over %d message(s)", len(ids))
    return len(ids)


@celery.task(name=RENDER_MISSING)
def render_missing() -> int:
    return render_missing_receipts(_app())


@celery.task(name=PURGE_DRAFTS)
def purge_drafts() -> int:
    return purge_expired_drafts(_app())


@celery.task(name=RETENTION)
def retention() -> int:
    return erase_old_mail_text(_app())


@celery.task(name=SWEEP_FILES)
def sweep_files() -> int:
    return delete_unreferenced_files(_app())


@celery.task(name=STATISTICS)
def statistics() -> bool:
    return refresh_query_statistics(_app())


# The jobs themselves, also run without Celery by `flask jobs run` (from cron in the embedded setup).


def render_missing_receipts(app: Flask) -> int:
    """Give every case that has no receipt its receipt (drawn now, or stored meanwhile elsewhere); how many."""
    factory = app.extensions["db_sessionmaker"]
    with factory() as session:
        ids = receipt_service.submissions_without_receipt(session)
        session.rollback()
    for submission_id in ids:
        receipt_for(app, submission_id)
    if ids:
        log.info("%d missing receipt(s) rendered", len(ids))
    return len(ids)


def purge_expired_drafts(app: Flask) -> int:
    """Delete drafts past their expiry date; returns how many."""
    with app.extensions["db_sessionmaker"]() as session, session.begin():
        session.connection(execution_options={WRITE_INTENT: True})
        count = filing.purge_expired_drafts(session, datetime.now(UTC))
    if count:
        log.info("%d expired draft(s) deleted", count)
    return count


def erase_old_mail_text(app: Flask) -> int:
    """Erase the text of mail delivered more than ``OUTBOX_KEEP_BODY_DAYS`` ago; returns how many."""
    before = datetime.now(UTC) - timedelta(days=app.config["OUTBOX_KEEP_BODY_DAYS"])
    with app.extensions["db_sessionmaker"]() as session, session.begin():
        session.connection(execution_options={WRITE_INTENT: True})
        count = outbox_service.erase_delivered_bodies(session, before)
    if count:
        log.info("text of %d delivered mail(s) erased", count)
    return count


def delete_unreferenced_files(app: Flask) -> int:
    """Delete objects in the file store that no row names (a draft expired, an upload replaced); how many."""
    with app.extensions["db_sessionmaker"]() as session:
        count = blobs.sweep_unreferenced(session, datetime.now(UTC))
        session.rollback()
    if count:
        log.info("%d unreferenced file(s) deleted from the file store", count)
    return count


def refresh_query_statistics(app: Flask) -> bool:
    """On SQLite, gather the statistics its query planner chooses indexes by; True when it did.

    Without them SQLite guesses, and at tens of thousands of cases it guesses wrong for the inbox (it
    reads every case of the visible e-services and sorts them, instead of walking the received-time
    index for one page). ``analysis_limit`` samples each index, so this takes well under a second at a
    million cases. PostgreSQL keeps its own statistics (autovacuum), so there is nothing to do there.
    """
    engine = app.extensions["db_engine"]
    if engine.dialect.name != "sqlite":
        return False
    with engine.begin() as connection:
        connection.execute(text("PRAGMA analysis_limit = 1000"))
        connection.execute(text("ANALYZE"))
    log.info("query planner statistics refreshed")
    return True

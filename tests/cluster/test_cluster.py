"""Several servers share the load: the proof on this machine (see conftest for the cluster).

The tests run in the order written and share the cluster; each leaves it running and whole.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from email.utils import make_msgid
from typing import Any

import pyotp
import pytest
import redis
from conftest import STAFF_EMAIL, STAFF_PASSWORD, Browser, Cluster, file_request, wait_for
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.models import OutboxMessage, Receipt, Submission
from app.services import outbox as outbox_service
from app.services.outbox import OutgoingMail
from eservices.numbering import parse_reference

SUBMISSIONS = int(os.environ.get("CLUSTER_SUBMISSIONS", "500"))
CLIENTS = 32
#: how long the worker may take to deliver the first wave's mail (generous: the machine may be shared)
MAIL_WAIT = max(60.0, SUBMISSIONS * 0.5)


@pytest.fixture
def engine(cluster: Cluster) -> Iterator[Engine]:
    """The cluster's database, for the test's own look at what was stored; closed even when a test fails."""
    made = create_engine(cluster.url, pool_size=1)
    yield made
    made.dispose()


def serial(reference: str) -> int:
    return parse_reference(reference).sequence


def received(smtp: Any) -> Counter[str]:
    """How many times each Message-ID reached the SMTP server."""
    return Counter(message["Message-ID"] for message in smtp.inbox.messages)


def outbox_ids(engine: Engine, **where: Any) -> set[str]:
    with engine.connect() as connection:
        query = select(OutboxMessage.message_id).filter_by(**where)
        return set(connection.scalars(query))


def file_many(cluster: Cluster, count: int, start: int, bases: list[str] | None = None) -> dict[str, str]:
    """``count`` residents file at once from 32 clients, alternating instances; returns email -> reference."""
    bases = bases or cluster.bases
    done: dict[str, str] = {}
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = {
            pool.submit(file_request, bases[n % len(bases)], f"invanare{n}@example.se"): f"invanare{n}@example.se"
            for n in range(start, start + count)
        }
        for future in as_completed(futures):
            done[futures[future]] = future.result()
    return done


def test_submissions_over_both_instances_get_consecutive_references_receipts_and_one_mail_each(
    cluster: Cluster, engine: Engine, smtp: Any
) -> None:
    started = time.monotonic()
    filed = file_many(cluster, SUBMISSIONS, start=0)
    took = time.monotonic() - started

    with engine.connect() as connection:
        references = list(connection.scalars(select(Submission.reference)))
        receipts = connection.scalar(select(func.count()).select_from(Receipt))
    assert len(references) == SUBMISSIONS and sorted(references) == sorted(filed.values())
    numbers = sorted(serial(reference) for reference in references)
    assert numbers == list(range(numbers[0], numbers[0] + SUBMISSIONS)), "references are gap-free and unique"
    assert receipts == SUBMISSIONS

    wait_for(lambda: len(smtp.inbox.envelopes) >= SUBMISSIONS, MAIL_WAIT, f"{SUBMISSIONS} mails")
    mailed = time.monotonic() - started
    time.sleep(1)  # a mail sent twice would arrive now
    counts = received(smtp)
    assert len(counts) == SUBMISSIONS and set(counts.values()) == {1}, "every mail exactly once"
    assert {m["To"] for m in smtp.inbox.messages} == set(filed)
    assert outbox_ids(engine, status=OutboxMessage.SENT) == set(counts)
    print(f"\n{SUBMISSIONS} submissions over two instances in {took:.1f} s, mail delivered {mailed - took:.1f} s later")


def all_stored_whole(engine: Engine, receipts: bool = True) -> None:
    """Every case has its confirmation mail (and with ``receipts`` its receipt), and the references have no gaps.

    A case, its number and its mail are one transaction; the receipt is stored just after it, so a process
    killed in between leaves a case whose receipt is drawn when its confirmation leaves.
    """
    with engine.connect() as connection:
        without_receipt = connection.scalar(
            text(
                "SELECT count(*) FROM submissions s "
                "WHERE NOT EXISTS (SELECT FROM receipts r WHERE r.submission_id = s.id)"
            )
        )
        without_mail = connection.scalar(
            text(
                "SELECT count(*) FROM submissions s "
                "WHERE NOT EXISTS (SELECT FROM outbox o WHERE o.submission_id = s.id)"
            )
        )
        references = list(connection.scalars(select(Submission.reference)))
    assert without_mail == 0, "nothing is stored half"
    assert not receipts or without_receipt == 0, "every case has its receipt"
    numbers = sorted(serial(reference) for reference in references)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "still no gaps in the references"


def test_an_instance_killed_mid_wave_loses_nothing_it_confirmed_and_the_other_keeps_serving(
    cluster: Cluster, engine: Engine, smtp: Any
) -> None:
    wave = max(40, SUBMISSIONS // 4)
    outcomes: dict[str, tuple[int, str | None]] = {}
    killed_at: float | None = None
    finished_after_kill_on_other = 0
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = {
            pool.submit(file_request, cluster.bases[n % 2], f"andra{n}@example.se"): (n % 2, f"andra{n}@example.se")
            for n in range(wave)
        }
        for future in as_completed(futures):
            instance, email = futures[future]
            try:
                outcomes[email] = (instance, future.result())
                if killed_at is not None and instance == 1:
                    finished_after_kill_on_other += 1
            except Exception:
                outcomes[email] = (instance, None)
            if killed_at is None and len(outcomes) >= wave // 3:
                cluster.web[0].kill()
                killed_at = time.monotonic()

    failed = [email for email, (instance, reference) in outcomes.items() if reference is None]
    assert failed, "the kill came in the middle of the wave"
    assert all(outcomes[email][0] == 0 for email in failed), "only requests to the killed instance failed"
    assert finished_after_kill_on_other > 0, "the other instance kept serving"

    confirmed = {reference for _instance, reference in outcomes.values() if reference is not None}
    with engine.connect() as connection:
        stored = set(connection.scalars(select(Submission.reference)))
    assert confirmed <= stored, "every request answered with a receipt is stored"
    all_stored_whole(engine, receipts=False)  # a request killed after the filing's commit left no receipt yet

    cluster.restart_web(0)
    assert file_request(cluster.bases[0], "efter-omstart@example.se")

    def sent_all() -> bool:
        return not outbox_ids(engine, status=OutboxMessage.PENDING) | outbox_ids(engine, status=OutboxMessage.SENDING)

    wait_for(sent_all, 60, "the wave's mail")
    assert set(received(smtp).values()) == {1}
    all_stored_whole(engine)  # each confirmation drew the receipt it carries, if the filing could not


def queue_mail_directly(engine: Engine, count: int) -> None:
    """Mail in the outbox as a filing leaves it, written straight to the database (filing is tested above)."""
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        for n in range(count):
            mail = OutgoingMail(kind="message", recipient=f"tredje{n}@example.se", subject="Svar", body_text="Hej")
            outbox_service.queue(session, mail, make_msgid(domain="grums.se"), now)


def test_a_worker_killed_mid_delivery_is_replaced_and_every_mail_arrives_once_at_most_twice_in_flight(
    cluster: Cluster, engine: Engine, smtp: Any
) -> None:
    cluster.worker.stop()
    queue_mail_directly(engine, 24)
    smtp.inbox.delay = 0.15
    before = len(smtp.inbox.envelopes)
    try:
        cluster.start_worker()
        wait_for(lambda: len(smtp.inbox.envelopes) >= before + 4, 90, "the new worker to start delivering")
        cluster.worker.kill()
        in_flight = outbox_ids(engine, status=OutboxMessage.SENDING)
        waiting = outbox_ids(engine, status=OutboxMessage.PENDING)
        assert waiting, "the worker was killed with mail still to deliver"
        cluster.start_worker()
        # A killed worker's mail waits OUTBOX_STUCK_SECONDS (in flight) or its hand-over's expiry (queued).
        wait_for(lambda: outbox_ids(engine, status=OutboxMessage.SENT) >= waiting | in_flight, 180, "every mail")
    finally:
        smtp.inbox.delay = 0.0
    time.sleep(1)
    counts = received(smtp)
    assert set(counts) == outbox_ids(engine), "every mail arrived"
    twice = {message_id for message_id, times in counts.items() if times > 1}
    assert twice <= in_flight, "only a mail in flight at the kill may arrive twice"
    assert all(counts[message_id] == 2 for message_id in twice)


def test_a_redis_flush_mid_run_loses_no_mail(cluster: Cluster, engine: Engine, smtp: Any, broker: redis.Redis) -> None:
    before = len(smtp.inbox.envelopes)
    smtp.inbox.delay = 1.0  # slower than the filing, so the flush catches hand-overs still queued
    try:
        filed = file_many(cluster, 12, start=20_000)
        broker.flushdb()
        flushed_with = len(smtp.inbox.envelopes) - before
        wait_for(lambda: not outbox_ids(engine, status=OutboxMessage.PENDING), 60, "the mail lost with Redis")
        wait_for(lambda: not outbox_ids(engine, status=OutboxMessage.SENDING), 30, "the last deliveries")
    finally:
        smtp.inbox.delay = 0.0
    assert flushed_with < len(filed), "Redis was flushed with hand-overs still in it"
    counts = received(smtp)
    assert set(filed) <= {m["To"] for m in smtp.inbox.messages}
    assert set(counts.values()) <= {1, 2} and all(  # the earlier test may have left one twice
        counts[m["Message-ID"]] == 1 for m in smtp.inbox.messages if m["To"] in filed
    ), "every mail of this run exactly once"


def test_a_staff_session_from_one_instance_works_on_the_other_and_sign_out_ends_it_everywhere(
    cluster: Cluster,
) -> None:
    first, second = cluster.bases
    staff = Browser()
    staff.open(f"{first}/auth/login")
    staff.post(f"{first}/auth/login", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert staff.status == 200 and "/auth/mfa/enrol" in staff.url, staff.url
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', staff.html)
    assert secret, "the first sign-in sets up the authenticator app"
    # The second step on the other instance: the half sign-in lives in the database, not in one process.
    staff.post(f"{second}/auth/mfa/enrol", {"code": pyotp.TOTP(secret.group(1).replace(" ", "")).now()})
    assert staff.status == 200, staff.url
    staff.open(f"{first}/staff/")
    assert staff.status == 200 and "/staff" in staff.url, staff.url

    staff.open(f"{second}/staff/")
    assert staff.status == 200 and "/staff" in staff.url, "the session is valid on the other instance"
    copied = Browser()
    for cookie in staff.jar:
        copied.jar.set_cookie(cookie)

    staff.post(f"{first}/auth/logout", {})
    assert "/auth/login" in staff.url
    copied.open(f"{second}/staff/")
    assert "/auth/login" in copied.url, "a copy of the signed-out cookie is refused by the other instance too"


def test_failed_sign_ins_are_counted_across_both_instances(cluster: Cluster) -> None:
    """Guessing a password by turns on two servers (and their four workers) gets no more tries than on one."""
    allowed = int(cluster.env.get("ENDORRIN_RATELIMIT_ACCOUNT_FAILURES", "10 per 15 minutes").split()[0])
    answers = []
    for attempt in range(allowed + 1):
        guesser = Browser()  # a new browser each time: no cookie ties the attempts together
        base = cluster.bases[attempt % 2]
        guesser.open(f"{base}/auth/login")
        guesser.post(f"{base}/auth/login", {"email": STAFF_EMAIL, "password": f"gissning-nummer-{attempt}"})
        answers.append(guesser.status)
    assert answers[:allowed] == [200] * allowed, "each wrong password gets the sign-in page with its error"
    assert answers[allowed] == 429, "the next try, on either instance, is paused: the count is shared in Redis"
    assert "För många försök på kort tid" in guesser.html

    # The right password from a new browser is paused too, on both instances, until the window passes.
    for base in cluster.bases:
        person = Browser()
        person.open(f"{base}/auth/login")
        person.post(f"{base}/auth/login", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
        assert person.status == 429, base


def test_metrics_add_up_every_worker_and_logs_are_json_without_personal_data(cluster: Cluster, engine: Engine) -> None:
    with engine.connect() as connection:
        filed = connection.scalar(select(func.count()).select_from(Submission))
    with urllib.request.urlopen(cluster.bases[1] + "/metrics", timeout=10) as response:
        exposition = response.read().decode()
    values: dict[str, float] = {}
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    assert values["endorrin_submissions_total"] == filed
    submits = sum(
        v for k, v in values.items() if k.startswith('endorrin_http_requests_total{endpoint="resident.review"')
    )
    assert submits >= SUBMISSIONS // 2, "the counts of both of the instance's workers are added up"
    assert values["endorrin_receipt_render_seconds_count"] >= SUBMISSIONS // 2 - 5

    web_lines = [line for process in cluster.web for line in process.log.read_text().splitlines()]
    access = [json.loads(line) for line in web_lines if '"gunicorn.access"' in line]
    assert len(access) > SUBMISSIONS and all(entry["request_id"] for entry in access)
    worker_log = cluster.worker.log.read_text()
    delivered = [json.loads(line) for line in worker_log.splitlines() if '"app.worker"' in line and "delivered" in line]
    request_ids = {entry["request_id"] for entry in access}
    assert delivered and any(entry["request_id"] in request_ids for entry in delivered), (
        "a delivery is logged with the id of the request that filed the case"
    )
    for name, content in [("web", "\n".join(web_lines)), ("worker", worker_log)]:
        assert "@example.se" not in content, f"an email address in the {name} log"

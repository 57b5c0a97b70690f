"""A small production on this machine: two gunicorn instances, a Celery worker, PostgreSQL, Redis, SMTP.

Each instance listens on its own loopback port with two workers; all share one PostgreSQL database
(``<TEST_DATABASE_URL's database>_cluster``, or CLUSTER_DATABASE_URL) and one Redis database
(TEST_REDIS_URL, default ``redis://127.0.0.1:6379/5``, emptied by the tests). Mail goes to an aiosmtpd
server in this process. Everything is configured through ENDORRIN_* variables, as an operator does.
The tests are skipped, saying why, when PostgreSQL or Redis cannot be reached.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
REFERENCE = re.compile(r"GRU-\d{4}-\d{5}[A-Z]")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
STAFF_EMAIL = "handlaggare@grums.se"
STAFF_PASSWORD = "Klustertest-lösenord-2026"
SERVICE = "begaran-om-allman-handling"

_spec = importlib.util.spec_from_file_location("cluster_smtp_server", ROOT / "tests" / "web" / "smtp_server.py")
assert _spec is not None and _spec.loader is not None
smtp_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(smtp_server)


def cluster_database_url() -> str | None:
    if os.environ.get("CLUSTER_DATABASE_URL"):
        return os.environ["CLUSTER_DATABASE_URL"]
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        return None
    url = make_url(base)
    return url.set(database=f"{url.database}_cluster").render_as_string(hide_password=False)


def ensure_database(url: str) -> None:
    """Create the cluster's database when it does not exist (connecting to the server's own database)."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
            if exists.scalar() is None:
                connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def skip_without_postgres(url: str | None) -> None:
    """Skip, saying why, unless PostgreSQL answers at ``url`` (whose database is created when missing)."""
    if url is None:
        pytest.skip("cluster tests need PostgreSQL: set TEST_DATABASE_URL (postgresql+psycopg://...)")
    try:
        ensure_database(url)
    except Exception as error:
        pytest.skip(f"cluster tests: PostgreSQL not reachable ({type(error).__name__})")


@pytest.fixture(scope="session")
def database_url() -> str:
    url = cluster_database_url()
    skip_without_postgres(url)
    assert url is not None
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def broker() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"cluster tests: Redis not reachable at {REDIS_URL}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


class SlowInbox(smtp_server.Inbox):  # type: ignore[name-defined,misc]
    """The SMTP sink, taking ``delay`` seconds per message, so a worker can be caught mid-delivery."""

    delay = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        result: str = await super().handle_DATA(server, session, envelope)
        return result


@pytest.fixture(scope="session")
def smtp() -> Iterator[Any]:
    server = smtp_server.SmtpServer()
    server.inbox = SlowInbox()
    server.start()
    yield server
    server.stop()


@dataclass
class Process:
    """A server process started in its own process group, so SIGKILL takes its children along."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self) -> None:
        """SIGKILL: no goodbye, no cleanup, as when a machine dies."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
        self.popen = None

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        self.popen = None

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Cluster:
    url: str
    bases: list[str]
    web: list[Process]
    worker: Process
    env: dict[str, str]
    logs: Path
    extra: list[Process] = field(default_factory=list)

    def wait_ready(self, base: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        logs = "\n".join(p.tail() for p in self.web)
        raise AssertionError(f"{base} did not become ready:\n{logs}")

    def start_worker(self) -> None:
        self.worker.start()

    def restart_web(self, index: int) -> None:
        self.web[index].start()
        self.wait_ready(self.bases[index])


def prepare_database(url: str) -> None:
    """What an operator does before the first start: migrate, publish the e-services, add a case officer."""
    from alembic import command

    from app.cli import alembic_config
    from app.db import make_engine, make_session_factory
    from app.models import Unit
    from app.services import accounts
    from app.services.eservices import load_bundled

    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    now = datetime.now(UTC)
    with make_session_factory(engine)() as session, session.begin():
        load_bundled(session, (ROOT / "forms").glob("*.yaml"), now)
        session.flush()
        unit = session.scalar(select(Unit).where(Unit.key == "kommunledning"))
        user = accounts.create_user(session, STAFF_EMAIL, "Handläggare", STAFF_PASSWORD, now)
        accounts.grant(session, user, "staff", unit, now)
    engine.dispose()


@pytest.fixture(scope="session")
def cluster(
    database_url: str, broker: redis.Redis, smtp: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    logs = tmp_path_factory.mktemp("cluster")
    ports = [smtp_server.free_port(), smtp_server.free_port()]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ENDORRIN_", "PROMETHEUS_"))},
        "ENDORRIN_ENV": "testing",
        "ENDORRIN_SECRET_KEY": "cluster-secret-key-that-is-long-enough-0123456789",
        "ENDORRIN_DATABASE_URL": database_url,
        "ENDORRIN_REDIS_URL": REDIS_URL,
        "ENDORRIN_SMTP_HOST": smtp.host,
        "ENDORRIN_SMTP_PORT": str(smtp.port),
        "ENDORRIN_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports[0]}",
        "ENDORRIN_WORKERS": "2",
        "ENDORRIN_DB_POOL_SIZE": "3",
        "ENDORRIN_OUTBOX_SWEEP_SECONDS": "2",
        "ENDORRIN_OUTBOX_STUCK_SECONDS": "4",
        "ENDORRIN_METRICS_ALLOW": "127.0.0.1",
        "ENDORRIN_LOG_LEVEL": "INFO",
        # The test's residents fill in a form in milliseconds and all come from 127.0.0.1: the least fill
        # time and the per-address limits (tests/web/test_public_form_abuse.py checks those) stay out of it.
        "ENDORRIN_FORM_MIN_FILL_SECONDS": "0",
        "ENDORRIN_RATELIMIT_SUBMISSIONS": "100000 per hour",
        "ENDORRIN_RATELIMIT_DRAFT_SAVES": "100000 per hour",
        "ENDORRIN_RATELIMIT_SIGN_IN": "100000 per 10 minutes",
    }
    prepare_database(database_url)
    web = []
    for index, port in enumerate(ports):
        metrics_dir = logs / f"metrics-{index}"
        metrics_dir.mkdir()
        web.append(
            Process(
                f"web{index}",
                [str(BIN / "gunicorn"), "-c", "python:app.gunicorn_conf", "wsgi:app"],
                {**env, "ENDORRIN_BIND": f"127.0.0.1:{port}", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
                logs / f"web{index}.log",
            )
        )
    worker = Process(
        "worker",
        [
            str(BIN / "celery"), "-A", "wsgi:celery", "worker", "--beat", "--schedule", str(logs / "beat-schedule"),
            "--concurrency", "2", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        ],
        env,
        logs / "worker.log",
    )  # fmt: skip
    running = Cluster(database_url, [f"http://127.0.0.1:{port}" for port in ports], web, worker, env, logs)
    try:
        for process in web:
            process.start()
        worker.start()
        for base in running.bases:
            running.wait_ready(base)
        yield running
    finally:
        for process in [*web, worker, *running.extra]:
            process.stop()
        if os.environ.get("CLUSTER_KEEP_LOGS"):
            shutil.copytree(logs, os.environ["CLUSTER_KEEP_LOGS"], dirs_exist_ok=True)


class Browser:
    """One person's browser: cookies, redirects followed, the CSRF token of the page it is on."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.url = ""
        self.html = ""
        self.status = 0

    def open(self, url: str, data: dict[str, str] | None = None, timeout: float = 30) -> Browser:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, body, timeout=timeout) as response:
                self.status, self.url = response.status, response.geturl()
                self.html = response.read().decode()
        except urllib.error.HTTPError as error:
            self.status, self.url, self.html = error.code, error.geturl(), error.read().decode(errors="replace")
        return self

    def post(self, url: str, data: dict[str, str]) -> Browser:
        token = CSRF.search(self.html)
        assert token, f"no form on {self.url} ({self.status})"
        fields = {"csrf_token": token.group(1), **data}
        version = VERSION.search(self.html)
        if version:
            fields["version"] = version.group(1)
        return self.open(url, fields)


def file_request(base: str, email: str, on_review: Callable[[], None] | None = None) -> str:
    """A resident asks for a document by email on ``base``; returns the reference on the receipt page."""
    browser = Browser()
    browser.open(f"{base}/e/{SERVICE}")
    browser.post(f"{base}/e/{SERVICE}/start", {})
    browser.post(browser.url, {"action": "next", "handling": "Protokollet från oktober.", "diarienummer": ""})
    browser.post(browser.url, {"action": "next", "leveranssatt": "epost", "epost": email})
    assert browser.url.endswith("/review"), f"{browser.url}: {browser.status}"
    if on_review is not None:
        on_review()
    browser.post(browser.url, {"action": "submit"})
    assert browser.status == 200 and "/receipt/" in browser.url, f"{browser.url}: {browser.status}"
    match = REFERENCE.search(browser.html)
    assert match, "no reference on the receipt page"
    return match.group(0)


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"waited {timeout} s for {what}")

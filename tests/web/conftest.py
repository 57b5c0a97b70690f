"""Web tier fixtures: an app on a migrated database (SQLite, or TEST_DATABASE_URL), a client, builders.

The schema is migrated once per run with Alembic (as production does); every test starts from empty
tables with the bundled e-services loaded.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfWriter
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from app import create_app
from app.cli import alembic_config
from app.db import Base
from app.services.eservices import load_bundled
from app.throttle import limiter

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def without_token(html: str) -> str:
    """``html`` without its CSRF tokens' values: a token carries a timestamp in seconds, so two pages that
    must look the same differ in it whenever a second ticks between them."""
    return re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]+"', 'name="csrf_token"', html)


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = database_url(tmp_path_factory)
    application = create_app(
        {
            "ENV": "testing",
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
            "SERVER_NAME": "localhost",
            # Test browsers fill in a form in milliseconds; test_public_form_abuse.py sets the least time.
            "FORM_MIN_FILL_SECONDS": 0,
        }
    )
    engine = application.extensions["db_engine"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    with engine.begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    yield application
    engine.dispose()


def _empty_tables(app: Flask) -> None:
    engine = app.extensions["db_engine"]
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - table names come from our metadata


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session on the test database, with the bundled e-services loaded; tables are emptied afterwards."""
    session: Session = app.extensions["db_sessionmaker"]()
    load_bundled(session, (ROOT / "forms").glob("*.yaml"), datetime.now(UTC))
    session.commit()
    yield session
    session.close()
    _empty_tables(app)
    limiter.reset()  # rate-limit counts (memory) start from nothing in every test, like the tables


@pytest.fixture
def client(app: Flask, db: Session) -> FlaskClient:
    return app.test_client()


class Resident:
    """A resident's browser: follows redirects, sends the CSRF token of the page it is on."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.page: Any = None

    def get(self, url: str, **kwargs: Any) -> Any:
        self.page = self.client.get(url, follow_redirects=True, **kwargs)
        return self.page

    @property
    def html(self) -> str:
        return str(self.page.get_data(as_text=True))

    @property
    def url(self) -> str:
        return str(self.page.request.path)

    def token(self) -> str:
        match = CSRF.search(self.html)
        assert match, "the page has no form with a CSRF token"
        return match.group(1)

    def version(self) -> str:
        match = re.search(r'name="version" value="(\d+)"', self.html)
        assert match, "the page has no version field"
        return match.group(1)

    def post(self, url: str | None = None, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        fields: dict[str, Any] = {"csrf_token": self.token()}
        if 'name="version"' in self.html:
            fields["version"] = self.version()
        fields.update(data or {})
        self.page = self.client.post(
            url or self.url, data=fields, follow_redirects=True, content_type="multipart/form-data", **kwargs
        )
        return self.page

    def start(self, slug: str) -> Any:
        self.get(f"/e/{slug}")
        return self.post(f"/e/{slug}/start")

    def answer(self, data: dict[str, Any], action: str = "next") -> Any:
        """Send the page the resident is on with ``data`` (values may be lists, or files as (bytes, name))."""
        prepared: dict[str, Any] = {"action": action}
        for key, value in data.items():
            if isinstance(value, tuple):
                prepared[key] = (io.BytesIO(value[0]), value[1])
            else:
                prepared[key] = value
        return self.post(data=prepared)

    def submit(self) -> Any:
        assert self.url.endswith("/review"), f"not on the review page but on {self.url}"
        return self.post(data={"action": "submit"})


@pytest.fixture
def resident(client: FlaskClient) -> Resident:
    return Resident(client)


# Small valid files, made here rather than shipped.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # one A4 page, as a scanned certificate would have
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = _blank_pdf()


# --- staff: users, signed-in clients, filed cases ------------------------------------------------------

STAFF_PASSWORD = "ett-langt-losenord-1"
REFERENCE = re.compile(r"GRU-\d{4}-\d{5}[A-Z]")


TOTP_SECRET = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
RECOVERY_CODE = re.compile(r"<li><code>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</code></li>")
CONTINUE = re.compile(r'<a class="button" href="([^"]+)">')


def totp_now(secret: str) -> str:
    import pyotp

    return pyotp.TOTP(secret.replace(" ", "")).now()


def forget_used_codes(app: Flask, email: str) -> str:
    """TEST ONLY: forget which step's code ``email`` used last, and return their TOTP secret.

    The application refuses a code a second time within its 30 seconds (replay protection); a test that
    signs the same person in twice in one step would be refused like an attacker. Everything else of the
    second step runs as in production: the code is computed from the secret, posted and checked.
    """
    from sqlalchemy import select

    from app.models import User
    from app.services.accounts import normalize_email

    with app.extensions["db_sessionmaker"]() as session:
        user = session.scalar(select(User).where(User.email == normalize_email(email)))
        assert user is not None and user.totp_secret is not None, f"{email} has no authenticator app"
        user.totp_last_step = None
        session.commit()
        return str(user.totp_secret)


class Staff(Resident):
    """A member of staff's browser: a :class:`Resident` that knows who it is and can sign in, with the
    second factor: at the first sign-in it enrols an authenticator app (reading the key off the page, as a
    person types it into their app) and keeps the recovery codes it is shown.
    """

    def __init__(self, client: FlaskClient, user: Any = None) -> None:
        super().__init__(client)
        self.user = user
        self.recovery_codes: list[str] = []

    def sign_in(self, email: str, password: str = STAFF_PASSWORD, next_url: str | None = None) -> Any:
        """Password, then the second factor when the password was right."""
        url = "/auth/login" + (f"?next={next_url}" if next_url is not None else "")
        self.get(url)
        self.post(url, {"email": email, "password": password})
        return self.second_factor(email)

    def second_factor(self, email: str) -> Any:
        """On the enrolment page: enrol; on the code page: give the app's current code; elsewhere nothing."""
        if self.url == "/auth/mfa/enrol":
            match = TOTP_SECRET.search(self.html)
            assert match, "the enrolment page shows no key"
            self.post(data={"code": totp_now(match.group(1))})
            self.recovery_codes = RECOVERY_CODE.findall(self.html)
            assert len(self.recovery_codes) == 10, "no recovery codes shown after enrolment"
            follow = CONTINUE.search(self.html)
            assert follow, "no way on from the recovery codes"
            return self.get(follow.group(1).replace("&amp;", "&"))
        if self.url == "/auth/mfa":
            secret = forget_used_codes(self.client.application, email)
            return self.post(data={"code": totp_now(secret)})
        return self.page

    def sign_out(self) -> Any:
        return self.post("/auth/logout")

    def raw(self, method: str, url: str, **kwargs: Any) -> Any:
        """One request without following redirects and without touching ``page``."""
        return self.client.open(url, method=method, **kwargs)


@pytest.fixture
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with the smallest cost: the same code paths, a hundredth of the time per sign-in."""
    from argon2 import PasswordHasher

    from app.services import accounts

    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def make_user(db: Session, fast_passwords: None) -> Any:
    """``make_user(email, role, unit_key=None, password=..., name=None)``: a committed user with ``role``.

    ``role`` may be None (no role), one role or several; ``unit_key`` one unit key or several (a grant
    per unit for every role but admin, which has no unit). Passwords are hashed cheaply (fast_passwords).
    """
    from sqlalchemy import select

    from app.models import Unit
    from app.services import accounts

    def build(
        email: str,
        role: str | list[str] | tuple[str, ...] | None,
        unit_key: str | list[str] | tuple[str, ...] | None = None,
        password: str = STAFF_PASSWORD,
        name: str | None = None,
    ) -> Any:
        now = datetime.now(UTC)
        user = accounts.create_user(db, email, name or email.split("@")[0].replace(".", " ").title(), password, now)
        roles = [role] if isinstance(role, str) else list(role or [])
        keys = [unit_key] if isinstance(unit_key, str) else list(unit_key or [])
        for each in roles:
            if each == "admin":
                accounts.grant(db, user, each, None, now)
                continue
            assert keys, f"the role {each} needs a unit"
            for key in keys:
                unit = db.scalar(select(Unit).where(Unit.key == key))
                assert unit is not None, f"no unit {key}"
                accounts.grant(db, user, each, unit, now)
        db.commit()
        return user

    return build


@pytest.fixture
def login_as(app: Flask, make_user: Any) -> Any:
    """``login_as(role, unit_key=None, email=None, name=None)``: a new user with ``role``, signed in, as a Staff."""
    counter = iter(range(1, 1000))

    def sign_in(
        role: str | list[str] | tuple[str, ...] | None,
        unit_key: str | list[str] | tuple[str, ...] | None = None,
        email: str | None = None,
        name: str | None = None,
    ) -> Staff:
        label = "-".join([role] if isinstance(role, str) else list(role or ["ingen"]))
        email = email or f"{label}.{next(counter)}@grums.se"
        user = make_user(email, role, unit_key, name=name)
        staff = Staff(app.test_client(), user)
        staff.sign_in(email)
        assert staff.page.status_code == 200 and staff.url != "/auth/login", "the sign-in failed"
        return staff

    return sign_in


_DEFINITIONS: dict[str, Any] = {}


@pytest.fixture
def make_submission(app: Flask, db: Session) -> Any:
    """``make_submission(slug=..., **answers)``: a case filed over HTTP by a new resident.

    Unnamed questions get the sample answers; ``answers`` are what the resident types (strings, lists, or
    files as (bytes, name)). Returns (reference, follow_url) where follow_url is ``/case/<token>``.
    """
    from datetime import date

    from eservices.samples import sample_answers
    from eservices.schema import load_file
    from eservices.validation import field_visible, prune

    def file(slug: str = "begaran-om-allman-handling", **answers: Any) -> tuple[str, str]:
        if slug not in _DEFINITIONS:
            _DEFINITIONS[slug] = load_file(ROOT / "forms" / f"{slug}.yaml")
        definition = _DEFINITIONS[slug]
        kept = sample_answers(definition, date.today())
        kept.update({name: value for name, value in answers.items() if not isinstance(value, tuple)})
        visible = prune(definition, kept)
        resident = Resident(app.test_client())
        resident.start(slug)
        while "/page/" in resident.url:
            index = int(resident.url.rsplit("/", 1)[1]) - 1
            data: dict[str, Any] = {}
            for item in definition.pages[index].fields:
                if not item.type.has_input or not field_visible(item, visible):
                    continue
                if item.name in answers:
                    data[item.name] = answers[item.name]
                elif item.type.takes_file:
                    accepted = item.spec.get("accept", ["pdf", "jpeg", "png"])
                    data[item.name] = (PDF, "bilaga.pdf") if "pdf" in accepted else (PNG, "bild.png")
                else:
                    data[item.name] = item.type.to_form(item.spec, kept[item.name])
            before = resident.url
            resident.answer(data)
            assert 'class="error-summary"' not in resident.html, f"{before}: {resident.html}"
        resident.submit()
        assert resident.url.startswith("/receipt/"), resident.url
        match = REFERENCE.search(resident.html)
        assert match, "no reference on the receipt page"
        return match.group(0), resident.url.replace("/receipt/", "/case/", 1)

    return file


@pytest.fixture
def mail_kept_in_outbox(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mail stays in the outbox (worker mode): tests read the rows, nothing is delivered or written."""
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")


@contextmanager
def statements(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement (and its parameters) sent while the block runs."""
    seen: list[tuple[str, Any]] = []
    engine = app.extensions["db_engine"]

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reread(db: Session) -> Session:
    """``db`` after requests: its transaction ended (a new snapshot) and every loaded object expired."""
    db.rollback()
    db.expire_all()
    return db


def copy_submissions(db: Session, original: Any, moment: datetime, count: int) -> list[Any]:
    """``count`` cases like the filed ``original``, received at ``moment``, with their own references.

    Added to ``db``, not committed. References are GRU-2025-01000 and up, with their check letters.
    """
    import hashlib

    from app.models import Submission
    from eservices.numbering import format_reference

    made = []
    for n in range(count):
        reference = format_reference("GRU", 2025, 1000 + n)
        made.append(
            Submission(
                reference=reference,
                eservice_id=original.eservice_id,
                form_version_id=original.form_version_id,
                draft_key=f"copy-{n}",
                locale=original.locale,
                submitted_at=moment,
                status=original.status,
                snapshot={**original.snapshot, "reference": reference},
                follow_token_hash=hashlib.sha256(f"copy-{n}".encode()).hexdigest(),
                email=original.email,
                search_text=original.search_text.replace(original.reference.lower(), reference.lower()),
            )
        )
    db.add_all(made)
    return made

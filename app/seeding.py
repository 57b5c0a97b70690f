"""Synthetic cases in bulk, for benchmarks: ``flask --app wsgi bench seed --cases 1000000``.

The cases are realistic in shape: every bundled e-service, its real snapshot format (built by the same
code as a filing, from sample answers with varied free text), references in the real format and
sequence per year, received times spread over five years, statuses that age (old cases are mostly
closed), some assigned, a "received" event on each timeline. They are written with Core bulk inserts
(COPY on PostgreSQL, executemany on SQLite), not through the ORM, so a million take minutes.

Seeding assumes nobody else files cases at the same time: ids and reference sequences continue from
what is in the database when it starts, and the counters are moved on at the end.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from app.models import CaseEvent, EService, FormVersion, ReferenceCounter, RoleGrant, Submission, Unit, User
from app.services import accounts
from app.services.eservices import definition_of
from app.services.filing import search_text_of
from eservices import workflow
from eservices.numbering import format_reference
from eservices.samples import sample_answers
from eservices.schema import FormDefinition
from eservices.snapshot import build_snapshot
from eservices.text import fold
from eservices.validation import validate_answers

SWEDEN = ZoneInfo("Europe/Stockholm")
#: how many differently worded snapshots each e-service gets; cases reuse them with their own reference
TEMPLATES_PER_ESERVICE = 40
BENCH_STAFF_EMAIL = "bench-staff@example.invalid"

# Words residents write about streets, bins, parking and schools in Grums, for free text to be searched.
WORDS = [
    "gatlampa",
    "trasig",
    "belysning",
    "cykelväg",
    "grusväg",
    "parkering",
    "hämtning",
    "sopkärl",
    "kompost",
    "återvinning",
    "snöröjning",
    "halka",
    "trottoar",
    "lekplats",
    "skola",
    "förskola",
    "fritidshem",
    "avgift",
    "inkomst",
    "bygglov",
    "tillgänglighet",
    "ramp",
    "hiss",
    "skylt",
    "buss",
    "hållplats",
    "torget",
    "kyrkogatan",
    "storgatan",
    "järnvägsgatan",
    "borgvik",
    "slottsbron",
    "värmskog",
    "vålberg",
    "ånäs",
    "sörmon",
    "kolstrand",
    "älven",
    "vänern",
    "badplats",
    "brygga",
    "hamnen",
    "bibliotek",
    "simhall",
    "idrottshall",
    "ishall",
    "grannar",
    "buller",
    "hund",
    "katt",
    "träd",
    "gren",
    "lövblåsning",
    "vattenläcka",
    "avlopp",
    "brunn",
    "dike",
    "översvämning",
    "klotter",
    "skadegörelse",
    "staket",
    "grind",
    "bänk",
    "papperskorg",
    "asfalt",
    "potthål",
    "gropar",
    "vägbula",
    "hastighet",
    "barnvagn",
    "rullstol",
    "rollator",
    "synskadad",
    "hörselslinga",
    "blanketter",
    "handlingar",
    "protokoll",
    "beslut",
    "diarium",
]


@dataclass(frozen=True)
class _Template:
    eservice_id: int
    form_version_id: int
    locale: str
    #: the snapshot as JSON with placeholders for the reference and the received time
    snapshot_json: str
    search_text: str
    email: str | None


_REFERENCE_MARK = "zzreferencezz"
_TIME_MARK = "2000-01-01T00:00:00+00:00"


def _vary(definition: FormDefinition, answers: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The sample answers with new free text in every text and textarea field that takes any text."""
    varied = dict(answers)
    for name, item in definition.fields.items():
        if item.type.name in ("text", "textarea") and not item.spec.get("pattern") and name in varied:
            count = rng.randint(3, 12) if item.type.name == "textarea" else rng.randint(1, 3)
            limit = int(item.spec.get("max_length", 200))
            varied[name] = " ".join(rng.choice(WORDS) for _ in range(count)).capitalize()[:limit]
    return varied


def _templates(session: Session, rng: random.Random, today: date) -> list[_Template]:
    found = session.execute(
        select(EService.id, FormVersion)
        .join(FormVersion, FormVersion.eservice_id == EService.id)
        .where(FormVersion.status == FormVersion.PUBLISHED)
        .order_by(EService.slug)
    ).all()
    if not found:
        raise RuntimeError("no published e-services: run `flask --app wsgi forms load` first")
    templates = []
    for eservice_id, version in found:
        definition = definition_of(version)
        base = sample_answers(definition, today)
        for index in range(TEMPLATES_PER_ESERVICE):
            checked = validate_answers(definition, _vary(definition, base, rng), today)
            if not checked.ok:  # a field with rules the free text does not meet: keep the plain sample
                checked = validate_answers(definition, base, today)
            locale = ("sv", "sv", "sv", "sv", "sv", "sv", "en", "fi", "ar", "so")[index % 10]
            snapshot = build_snapshot(
                definition,
                checked.answers,
                locale=locale,
                translate=lambda code, message: message,
                reference=_REFERENCE_MARK,
                submitted_at=datetime(2000, 1, 1, tzinfo=UTC),
                form_version=version.number,
            )
            email = next(
                (v for n, v in checked.answers.items() if definition.fields[n].type.name == "email" and v), None
            )
            templates.append(
                _Template(
                    eservice_id,
                    version.id,
                    locale,
                    json.dumps(snapshot, ensure_ascii=False),
                    search_text_of(snapshot),
                    email,
                )
            )
    return templates


def _status(age_days: float, rng: random.Random) -> str:
    """Old cases are mostly closed; this week's mostly received or in progress."""
    if age_days < 7:
        weights = (60, 30, 5, 3, 2)
    elif age_days < 60:
        weights = (10, 40, 15, 15, 20)
    else:
        weights = (1, 3, 2, 14, 80)
    return rng.choices(workflow.STATES, weights)[0]


def ensure_bench_staff(session: Session, password: str, now: datetime, totp_secret: str | None = None) -> User:
    """The staff account the benchmarks sign in with: staff in every unit, its authenticator app already
    set up with ``totp_secret`` (base32) when given, so a benchmark can pass the second step."""
    user = session.scalar(select(User).where(User.email == BENCH_STAFF_EMAIL))
    if user is None:
        user = accounts.create_user(session, BENCH_STAFF_EMAIL, "Bänk Handläggare", password, now)
    else:
        user.password_hash = accounts.hash_password(password)
    if totp_secret is not None:
        user.totp_secret, user.mfa_enrolled_at, user.totp_last_step = totp_secret, now, None
    for unit in session.scalars(select(Unit)):
        accounts.grant(session, user, RoleGrant.STAFF, unit, now)
    return user


def _rows(
    count: int,
    first_id: int,
    templates: list[_Template],
    sequences: dict[int, int],
    prefix: str,
    now: datetime,
    staff_id: int | None,
    rng: random.Random,
    years: int,
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(submission, event) row pairs in received order, ids from ``first_id``."""
    span = timedelta(days=365 * years).total_seconds()
    moments = sorted(now - timedelta(seconds=rng.random() * span) for _ in range(count))
    for offset, moment in enumerate(moments):
        ident = first_id + offset
        template = rng.choice(templates)
        year = moment.astimezone(SWEDEN).year
        sequences[year] = sequences.get(year, 0) + 1
        reference = format_reference(prefix, year, sequences[year])
        status = _status((now - moment).total_seconds() / 86400, rng)
        assigned = staff_id if staff_id is not None and status != workflow.RECEIVED and rng.random() < 0.3 else None
        # A stand-in token hash: unique, 64 characters, and not the hash of any token anyone holds.
        marker = f"bench{ident:059d}"
        yield (
            {
                "id": ident,
                "reference": reference,
                "eservice_id": template.eservice_id,
                "form_version_id": template.form_version_id,
                "draft_key": marker,
                "locale": template.locale,
                "submitted_at": moment,
                "status": status,
                "assigned_to_id": assigned,
                "has_news": False,
                "protected": False,
                "version": 1,
                "snapshot": template.snapshot_json.replace(_REFERENCE_MARK, reference).replace(
                    _TIME_MARK, moment.isoformat()
                ),
                "follow_token_hash": marker,
                "email": template.email,
                "search_text": template.search_text.replace(_REFERENCE_MARK, fold(reference)),
            },
            {
                "submission_id": ident,
                "at": moment,
                "kind": CaseEvent.RECEIVED,
                "actor_id": None,
                "data": json.dumps({"reference": reference}),
            },
        )


SUBMISSION_COLUMNS = [
    "id",
    "reference",
    "eservice_id",
    "form_version_id",
    "draft_key",
    "locale",
    "submitted_at",
    "status",
    "assigned_to_id",
    "has_news",
    "protected",
    "version",
    "snapshot",
    "follow_token_hash",
    "email",
    "search_text",
]
EVENT_COLUMNS = ["submission_id", "at", "kind", "actor_id", "data"]


def seed_cases(
    engine: Engine,
    count: int,
    *,
    prefix: str,
    now: datetime,
    staff_password: str,
    staff_totp_secret: str | None = None,
    seed: int = 1,
    years: int = 5,
    batch: int = 20_000,
    progress: Callable[[int], None] = lambda done: None,
) -> int:
    """Add ``count`` cases; returns the number added. The bench staff account is created or refreshed."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, repeatable on purpose
    with Session(engine) as session, session.begin():
        templates = _templates(session, rng, now.astimezone(SWEDEN).date())
        staff_id = ensure_bench_staff(session, staff_password, now, staff_totp_secret).id
        first_id = (session.scalar(select(func.max(Submission.id))) or 0) + 1
        sequences = {
            row.year: row.last
            for row in session.scalars(select(ReferenceCounter).where(ReferenceCounter.prefix == prefix))
        }
    postgres = engine.dialect.name == "postgresql"
    done = 0
    rows = _rows(count, first_id, templates, sequences, prefix, now, staff_id, rng, years)
    while done < count:
        chunk = [pair for _, pair in zip(range(min(batch, count - done)), rows, strict=False)]
        with engine.begin() as connection:
            if postgres:  # a batch may take longer than the application's statement timeout
                connection.execute(text("SET LOCAL statement_timeout = 0"))
            write = _copy if postgres else _executemany
            write(connection, "submissions", SUBMISSION_COLUMNS, [s for s, _ in chunk])
            write(connection, "case_events", EVENT_COLUMNS, [e for _, e in chunk])
        done += len(chunk)
        progress(done)
    with engine.begin() as connection:
        for year, last in sequences.items():
            updated = connection.execute(
                ReferenceCounter.__table__.update()
                .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
                .values(last=last)
            ).rowcount
            if not updated:
                connection.execute(insert(ReferenceCounter.__table__).values(prefix=prefix, year=year, last=last))
        if postgres:
            connection.execute(text("SELECT setval('submissions_id_seq', (SELECT max(id) FROM submissions))"))
        else:
            connection.execute(text("ANALYZE"))
    if postgres:
        # Statistics and the visibility map, as autovacuum would leave them some time after a bulk load.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SET statement_timeout = 0"))
            connection.execute(text("VACUUM ANALYZE submissions"))
            connection.execute(text("VACUUM ANALYZE case_events"))
    return done


def _copy(connection: Any, table: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """COPY ``rows`` into ``table`` through psycopg's copy protocol: the fastest way into PostgreSQL."""
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # our own table and columns
        for row in rows:
            copy.write_row([row[name] for name in columns])


def _executemany(connection: Any, table: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """Plain DB-API executemany on SQLite, values already in SQLAlchemy's storage format (JSON as text)."""
    cursor = connection.connection.driver_connection.cursor()
    marks = ", ".join("?" for _ in columns)
    cursor.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608 - our own table and columns
        [tuple(_sqlite_value(row[name]) for name in columns) for row in rows],
    )


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy keeps SQLite datetimes as naive UTC text with microseconds; booleans as 0 and 1.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value

"""Staff pages stay fast as cases pile up: a fixed number of queries per page whatever it lists, capped
status counts, and query plans that read the cases through indexes, never by scanning or sorting them all.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Staff, statements
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app import worker
from app.models import CaseEvent, Submission
from app.seeding import seed_cases
from app.services import cases

ALL_UNITS = ["kommunledning", "samhallsbyggnad", "barn-och-utbildning", "socialforvaltningen"]


@pytest.fixture(autouse=True)
def _mail(mail_kept_in_outbox: None) -> None:
    pass


def seeded(app: Flask, count: int) -> None:
    seed_cases(
        app.extensions["db_engine"],
        count,
        prefix="GRU",
        now=datetime.now(UTC),
        staff_password="ett-langt-losenord-1",
        years=5,
    )


def page_queries(app: Flask, staff: Staff, url: str) -> list[tuple[str, Any]]:
    with statements(app) as seen:
        staff.get(url)
    assert staff.page.status_code == 200
    return seen


def test_inbox_and_case_page_queries_do_not_grow_with_the_rows_shown(
    app: Flask, db: Session, login_as, make_user
) -> None:
    officer = login_as("staff", ALL_UNITS)
    # Every listed case assigned to a different colleague, every timeline entry written by a different one:
    # loading them one by one (N+1) would show as more queries for more rows.
    colleagues = [make_user(f"kollega.{n}@grums.se", "staff", ALL_UNITS) for n in range(8)]
    db.rollback()  # the seed writes through its own connections: start a fresh transaction after it
    seeded(app, 2)
    few = {}
    for number, case in enumerate(db.scalars(select(Submission))):
        case.assigned_to_id = colleagues[number].id
    db.commit()
    first = db.scalar(select(Submission).order_by(Submission.id))
    assert first is not None
    few["inbox"] = len(page_queries(app, officer, "/staff/"))
    few["case"] = len(page_queries(app, officer, f"/staff/cases/{first.reference}"))

    seeded(app, 6)
    db.rollback()
    for number, case in enumerate(db.scalars(select(Submission).order_by(Submission.id))):
        case.assigned_to_id = colleagues[number].id
    now = datetime.now(UTC)
    for number, colleague in enumerate(colleagues):
        db.add(
            CaseEvent(
                submission_id=first.id,
                at=now + timedelta(seconds=number),
                kind=CaseEvent.NOTE,
                actor_id=colleague.id,
                data={"text": f"Anteckning {number}"},
            )
        )
    db.commit()
    inbox = page_queries(app, officer, "/staff/")
    assert officer.html.count('href="/staff/cases/GRU-') == 8
    case = page_queries(app, officer, f"/staff/cases/{first.reference}")
    assert "Anteckning 7" in officer.html and "Kollega 7" in officer.html
    assert len(inbox) == few["inbox"], [s for s, _ in inbox]
    assert len(case) == few["case"], [s for s, _ in case]


def test_status_counts_stop_at_the_cap(app: Flask, db: Session, login_as, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cases, "COUNT_CAP", 3)
    officer = login_as("staff", ALL_UNITS)
    db.rollback()
    seeded(app, 40)
    closed = db.scalar(select(text("count(*)")).select_from(Submission).where(Submission.status == "closed"))
    assert closed is not None and closed > 3, "the seed gives old cases the status closed"
    officer.get("/staff/?lang=sv")
    listed = officer.html.split('class="status-counts"', 1)[1].split("</ul>", 1)[0]
    assert "Avslutat: fler än 3" in listed
    assert "Fler än 3 ärenden" in officer.html
    officer.get("/staff/?status=closed&q=zzzzzz")
    assert "0 ärenden" in officer.html
    # A free-text search matching more than the cap is not counted per status, and says so in the total.
    officer.get("/staff/?q=gru")  # in every reference
    listed = officer.html.split('class="status-counts"', 1)[1].split("</ul>", 1)[0]
    assert ">Avslutat</a>" in listed and "Fler än 3 ärenden" in officer.html


def test_inbox_and_case_page_read_cases_through_indexes(app: Flask, db: Session, login_as) -> None:
    """On PostgreSQL: no sequential scan of the cases. On SQLite (the embedded default, which a small
    municipality may run in production): no full scan, and no page that sorts every case of the visible
    e-services to show fifty, once the nightly job has gathered the planner's statistics."""
    engine = app.extensions["db_engine"]
    officer = login_as("staff", ALL_UNITS)
    # Enough cases, with fresh statistics (as autovacuum, or on SQLite the nightly job, keeps them), that
    # the planner's choice between an index and a scan is real.
    db.rollback()
    seeded(app, 10_000)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE submissions"))
            connection.execute(text("VACUUM ANALYZE case_events"))
    else:
        # Cases filed one by one leave SQLite without statistics (the seeder gathers them; residents do not).
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM sqlite_stat1"))
        engine.dispose()  # connections read the statistics when they open
        assert worker.refresh_query_statistics(app)
    middle = db.scalar(select(Submission).order_by(Submission.id).offset(5_000).limit(1))
    assert middle is not None
    deep = cases.Cursor(middle.submitted_at, middle.id).encode()
    year_ago = (datetime.now(UTC) - timedelta(days=365)).date()
    pages = {
        "first page": "/staff/",
        "deep page": f"/staff/?after={deep}",
        "filtered": (
            f"/staff/?status=closed&eservice=felanmalan-gata-park-belysning&from={year_ago - timedelta(days=30)}"
            f"&to={year_ago}"
        ),
        "free text": "/staff/?q=potthål",
        "case page": f"/staff/cases/{middle.reference}",
    }
    for name, url in pages.items():
        reads = [(s, p) for s, p in page_queries(app, officer, url) if "FROM submissions" in s and "SELECT" in s]
        assert reads, f"{name}: no query read the cases"
        for statement, parameters in reads:
            if engine.dialect.name == "postgresql":
                plan = _plan(engine, "EXPLAIN ", statement, parameters)
                assert "Seq Scan on submissions" not in plan, f"{name} scans every case:\n{statement}\n{plan}"
            else:
                plan = _plan(engine, "EXPLAIN QUERY PLAN ", statement, parameters)
                assert not re.search(r"SCAN submissions(?! USING)", plan), f"{name} scans every case:\n{plan}"
                assert "TEMP B-TREE FOR ORDER BY" not in plan, f"{name} sorts every case:\n{statement}\n{plan}"


def _plan(engine: Any, explain: str, statement: str, parameters: Any) -> str:
    with engine.connect() as connection:
        return "\n".join(str(row[-1]) for row in connection.exec_driver_sql(explain + statement, parameters).all())


def test_the_bench_staff_account_passes_both_steps_of_sign_in_with_the_key_it_was_seeded_with(
    app: Flask, db: Session
) -> None:
    import pyotp

    from app.seeding import BENCH_STAFF_EMAIL

    key = pyotp.random_base32()
    seeded_cli = app.test_cli_runner().invoke(
        args=["bench", "seed", "--cases", "0", "--staff-password", "ett-langt-losenord-1", "--staff-totp-secret", key]
    )
    assert seeded_cli.exit_code == 0, seeded_cli.output
    staff = Staff(app.test_client())
    staff.get("/auth/login")
    staff.post("/auth/login", {"email": BENCH_STAFF_EMAIL, "password": "ett-langt-losenord-1"})
    assert staff.url == "/auth/mfa"  # already set up: no enrolment page, straight to the code
    staff.post("/auth/mfa", {"code": pyotp.TOTP(key).now()})
    assert staff.url == "/staff/" and staff.page.status_code == 200

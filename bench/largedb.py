"""Staff pages on a large database against the same pages on a small one: flat with size?

Two databases seeded by ``flask bench seed`` (1,000 cases and ``--cases``, default 1,000,000), the same
application code, the same signed-in staff member. Each page is requested through the Flask test client
(routing, queries and template: what a handläggare waits for), ``--warmup`` times and then ``--runs``
times; the figure is the 95th percentile, warm. The ratio is large / small (target: at most 1.5).

The "page 10,000 deep" starts after the 500,000th case (newest first); the small database has no such
page, so its figure is its deepest page, which is what "flat with size" compares it with.

    .venv/bin/python -m bench.largedb [--cases 1000000] [--runs 30]
"""

from __future__ import annotations

import argparse
import gc
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from app.models import EService, Submission
from app.seeding import BENCH_STAFF_EMAIL
from app.services.cases import PAGE_SIZE, Cursor
from bench import databases
from bench.table import Row, p95

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
DEEP_PAGE = 10_000
SMALL = 1_000


def application(url: str) -> Flask:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": databases.SECRET_KEY, "ENV": "development"})
    gc.freeze()  # what gunicorn's master does before it forks the workers (app/gunicorn_conf.py, pre_fork)
    return app


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = CSRF.search(page)
    assert token, "the sign-in page has no CSRF token"
    response = client.post(
        "/auth/login",
        data={"csrf_token": token.group(1), "email": BENCH_STAFF_EMAIL, "password": databases.STAFF_PASSWORD},
    )
    assert response.status_code == 302, "the bench staff member could not sign in"
    for attempt in range(2):
        page = client.get("/auth/mfa").get_data(as_text=True)
        token = CSRF.search(page)
        assert token, "the second step has no CSRF token (is the bench staff's authenticator set up? reseed)"
        code = databases.second_factor_code(wait_for_next=attempt > 0)
        response = client.post("/auth/mfa", data={"csrf_token": token.group(1), "code": code})
        if response.status_code == 302 and "/auth/" not in response.location:
            return client
        # A code is taken once: another sign-in of this run may have used this step's. The next one.
    raise AssertionError("the bench staff member did not pass the second step of sign-in")


def urls(app: Flask) -> dict[str, str]:
    """The pages to time on this database, chosen the same way on both."""
    session = app.extensions["db_sessionmaker"]()
    try:
        count = session.scalar(select(Submission.id).order_by(Submission.id.desc()).limit(1)) or 0
        position = min(DEEP_PAGE * PAGE_SIZE, max(0, count - PAGE_SIZE))
        ordered = select(Submission.submitted_at, Submission.id).order_by(
            Submission.submitted_at.desc(), Submission.id.desc()
        )
        deep = session.execute(ordered.offset(position).limit(1)).one()
        middle = session.scalar(select(Submission.reference).order_by(Submission.id).offset(count // 2).limit(1))
        slug = session.scalar(select(EService.slug).order_by(EService.slug).where(EService.slug.like("felanmalan%")))
    finally:
        session.close()
    year_ago = datetime.now(UTC).date() - timedelta(days=365)
    return {
        "inbox first page": "/staff/",
        f"inbox page {DEEP_PAGE:,} deep": "/staff/?after=" + Cursor(deep.submitted_at, deep.id).encode(),
        # Four years of one e-service's closed cases: a full page on 1,000 cases as on a million. (A
        # month matched one case on the small database and fifty on the large, so the ratio measured the
        # template's forty-nine extra rows, not whether the queries stay flat.)
        "inbox filtered (status, e-service, dates)": (
            f"/staff/?status=closed&eservice={slug}&from={year_ago - timedelta(days=4 * 365 + 30)}&to={year_ago}"
        ),
        "inbox free-text search": "/staff/?q=potthål",
        "case page": f"/staff/cases/{middle}",
    }


def timed(client: FlaskClient, url: str, runs: int, warmup: int) -> list[float]:
    def once() -> float:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        return elapsed

    for _ in range(warmup):
        once()
    return [once() for _ in range(runs)]


def measure(url: str, runs: int, warmup: int, log: Callable[[str], None]) -> dict[str, float]:
    app = application(url)
    client = signed_in(app)
    figures = {}
    for name, page in urls(app).items():
        figures[name] = p95(timed(client, page, runs, warmup)) * 1000
        log(f"  {name}: p95 {figures[name]:.1f} ms")
    app.extensions["db_engine"].dispose()
    return figures


def run(base_url: str, cases: int, runs: int, warmup: int, log: Callable[[str], None] = print) -> list[Row]:
    small_url = databases.derived_url(base_url, "small")
    large_url = databases.derived_url(base_url, "large")
    databases.prepare(small_url, SMALL)
    databases.prepare(large_url, cases)
    size = f"{databases.case_count(large_url):,}".replace(",", " ")
    log(f"large database ({size} cases):")
    large = measure(large_url, runs, warmup, log)
    log(f"small database ({SMALL} cases):")
    small = measure(small_url, runs, warmup, log)
    backend = "PostgreSQL" if base_url.startswith("postgresql") else "SQLite"
    return [
        Row(f"{name} ({backend}, p95)", large[name], small[name], "ms", 1.5, note=f"{size} vs {SMALL} cases")
        for name in large
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=databases.default_base_url())
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    from bench.table import render

    print(render(run(args.database_url, args.cases, args.runs, args.warmup)))


if __name__ == "__main__":
    main()

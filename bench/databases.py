"""Benchmark databases: created, migrated, loaded with the bundled e-services and seeded, once.

A database is reused by later runs when it already holds at least the cases asked for (seeding a
million takes minutes), so ``make bench`` twice seeds once. The names derive from one base URL:
``BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench`` gives ``bench_small``
and ``bench_large``; the default is SQLite files in ``instance/bench/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pyotp
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
#: the bench staff account's password; the databases hold only synthetic data
STAFF_PASSWORD = "bench-staff-password-not-secret"  # noqa: S105 - synthetic databases only
SECRET_KEY = "bench-secret-key-that-is-long-enough-for-benchmarks"  # noqa: S105 - as above
STAFF_TOTP_SECRET = "BENCHSTAFFTOTPKEYNOTSECRET234567"  # noqa: S105 - as above (base32)


def default_base_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or "sqlite:///" + str(ROOT / "instance" / "bench" / "bench.sqlite3")


def derived_url(base: str, suffix: str) -> str:
    """``base`` with ``_suffix`` added to the database name (or the SQLite file's stem)."""
    url = make_url(base)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "bench.sqlite3")
        return "sqlite:///" + str(path.with_name(f"{path.stem}_{suffix}{path.suffix}"))
    return url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)


def environment(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "ENDORRIN_DATABASE_URL": url,
        "ENDORRIN_SECRET_KEY": SECRET_KEY,
        "ENDORRIN_ENV": "development",
        "ENDORRIN_BENCH_STAFF_PASSWORD": STAFF_PASSWORD,
        "ENDORRIN_BENCH_STAFF_TOTP_SECRET": STAFF_TOTP_SECRET,
        # The load comes from one address and fills forms in milliseconds: the least fill time and the
        # per-address limits (app/throttle.py) would refuse it; they are still looked up on every request.
        "ENDORRIN_FORM_MIN_FILL_SECONDS": "0",
        "ENDORRIN_RATELIMIT_SUBMISSIONS": "1000000 per hour",
        "ENDORRIN_RATELIMIT_DRAFT_SAVES": "1000000 per hour",
        "ENDORRIN_RATELIMIT_SIGN_IN": "1000000 per 10 minutes",
    }


def second_factor_code(wait_for_next: bool = False) -> str:
    """The bench staff's code for the second step of sign-in (the seeding set up their app's key): the
    current one, or after waiting for the next 30-second step (a code is accepted once)."""
    totp = pyotp.TOTP(STAFF_TOTP_SECRET)
    if wait_for_next:
        time.sleep(totp.interval - time.time() % totp.interval + 0.5)
    return str(totp.now())


def _create(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
        return
    name = parsed.database or ""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"unexpected benchmark database name {name!r}")
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def case_count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM submissions")) or 0)
    except Exception:  # no schema yet: nothing seeded
        return 0
    finally:
        engine.dispose()


def prepare(url: str, cases: int, log: bool = True) -> None:
    """Make ``url`` a migrated database with the bundled e-services and at least ``cases`` cases."""
    _create(url)
    env = environment(url)
    run = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([*FLASK, "db", "upgrade"], **run)  # noqa: S603 - our own command line
    subprocess.run([*FLASK, "forms", "load"], **run)  # noqa: S603
    have = case_count(url)
    if have < cases:
        if log:
            print(f"seeding {cases - have} cases into {make_url(url).database} ...", file=sys.stderr, flush=True)
        subprocess.run(  # noqa: S603
            [*FLASK, "bench", "seed", "--cases", str(cases - have)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    else:
        # The staff account (and its password) exists after a seed; make sure of it on reuse too.
        subprocess.run([*FLASK, "bench", "seed", "--cases", "0"], **run)  # noqa: S603

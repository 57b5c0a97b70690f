"""``make bench``: every benchmark, one table (figure, value, baseline, ratio, target, met).

    .venv/bin/python -m bench [--only pages,receipt,largedb,export,startup] [--quick]
        [--database-url URL] [--cases N]

The databases come from ``--database-url`` (or ``BENCH_DATABASE_URL``; default SQLite files in
``instance/bench/``) with suffixes ``_small``, ``_large`` and ``_pages``; they are seeded on the first run
and reused after (see bench/databases.py). ``--quick`` shortens every part (fewer rounds and runs, 100 000
cases instead of a million) for a first look; its figures are noisier. The table is also written to
``instance/bench/latest.txt``. docs/performance.md explains how to read it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench import databases
from bench.table import Absolute, Row, render

PARTS = ("startup", "pages", "receipt", "largedb", "export")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts: " + ", ".join(PARTS))
    parser.add_argument("--database-url", default=databases.default_base_url())
    parser.add_argument("--cases", type=int, default=None, help="cases in the large database (default 1 000 000)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    quick = args.quick
    cases = args.cases or (100_000 if quick else 1_000_000)
    parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")

    rows: list[Row | Absolute] = []
    started = time.monotonic()
    for part in parts:
        if rows:  # what is measured so far, so a long run that is stopped still shows it
            log(render(rows))
        log(f"== {part}")
        if part == "startup":
            from bench import startup

            rows += startup.run(args.database_url, 5 if quick else 10, log)
        elif part == "pages":
            from bench import pages

            # Drafts per round: more than the submits wrk sends in one (about 65 a second here since
            # receipts are drawn after the commit), so every timed POST files a new case.
            rows += pages.run(args.database_url, 4 if quick else 8, 1 if quick else 3, 300 if quick else 800, 4, 2, log)
        elif part == "receipt":
            from bench import receipt

            rows += receipt.run(10 if quick else 50, 2 if quick else 5, 100 if quick else 1000, log)
        elif part == "largedb":
            from bench import largedb

            # As many timed requests when quick: they take seconds, and the p95 of ten is their slowest.
            rows += largedb.run(args.database_url, cases, 30, 5, log)
        elif part == "export":
            from bench import export

            rows += export.run(args.database_url, cases, log)
    table = render(rows)
    backend = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    heading = f"En dörr in benchmarks, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {backend}"
    heading += f", {time.monotonic() - started:.0f} s{' (quick)' if quick else ''}"
    print(heading)
    print(table)
    out = databases.ROOT / "instance" / "bench" / "latest.txt"
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(heading + "\n" + table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Case references: gap-free and never shared, however many residents file at once.

Allocation runs in the caller's transaction; these tests give each allocation its own session (as each
request has), in threads, and in separate processes with their own engines, as several web workers
would. A mistyped reference of a filed case is no reference at all, rather than someone else's case.
"""

from __future__ import annotations

import multiprocessing
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
from conftest import Resident
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import make_engine, make_session_factory
from app.models import Receipt, ReferenceCounter, Submission
from app.services.filing import SWEDEN, allocate_reference
from eservices.numbering import InvalidReference, format_reference, parse_reference

COUNT = 200


def prefix_and_year(app: Flask) -> tuple[str, int]:
    return str(app.config["REFERENCE_PREFIX"]), datetime.now(SWEDEN).year


def allocate_and_commit(factory: Callable[[], Session], prefix: str, year: int) -> str:
    """One filing's worth: a session of its own, one reference, committed."""
    with factory() as session:
        reference = allocate_reference(session, prefix, year)
        session.commit()
        return reference


def assert_consecutive(references: list[str], prefix: str, year: int, count: int) -> None:
    assert len(set(references)) == len(references) == count, "every reference is given once"
    ordered = sorted(references, key=lambda reference: parse_reference(reference).sequence)
    assert [parse_reference(reference).sequence for reference in ordered] == list(range(1, count + 1))
    assert ordered == [format_reference(prefix, year, n) for n in range(1, count + 1)]


def counter_value(db: Session, prefix: str, year: int) -> int | None:
    db.rollback()
    return db.scalar(
        select(ReferenceCounter.last).where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
    )


def test_references_allocated_in_parallel_threads_are_distinct_and_consecutive(app: Flask, db: Session) -> None:
    prefix, year = prefix_and_year(app)
    factory = app.extensions["db_sessionmaker"]
    with ThreadPoolExecutor(max_workers=16) as pool:
        references = list(pool.map(lambda _: allocate_and_commit(factory, prefix, year), range(COUNT)))
    assert_consecutive(references, prefix, year, COUNT)
    assert counter_value(db, prefix, year) == COUNT


def allocate_in_process(url: str, prefix: str, year: int, count: int, start: Any, results: Any) -> None:
    """A separate process (a web worker of its own): its own engine, ``count`` references, each committed."""
    engine = make_engine(url)
    try:
        factory = make_session_factory(engine)
        start.wait(timeout=60)
        results.put([allocate_and_commit(factory, prefix, year) for _ in range(count)])
    finally:
        engine.dispose()


def test_references_allocated_in_parallel_processes_are_distinct_and_consecutive(app: Flask, db: Session) -> None:
    prefix, year = prefix_and_year(app)
    processes_count = 4
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes_count)
    results = context.Queue()
    processes = [
        context.Process(
            target=allocate_in_process,
            args=(app.config["DATABASE_URL"], prefix, year, COUNT // processes_count, start, results),
        )
        for _ in range(processes_count)
    ]
    for process in processes:
        process.start()
    try:
        batches = [results.get(timeout=120) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
    assert [process.exitcode for process in processes] == [0] * processes_count
    references = [reference for batch in batches for reference in batch]
    assert_consecutive(references, prefix, year, COUNT)
    assert counter_value(db, prefix, year) == COUNT
    # each process got numbers in increasing order (it waited its turn; nothing was handed out twice)
    for batch in batches:
        sequences = [parse_reference(reference).sequence for reference in batch]
        assert sequences == sorted(sequences)


def test_a_rolled_back_filing_gives_its_number_back(app: Flask, db: Session) -> None:
    prefix, year = prefix_and_year(app)
    factory = app.extensions["db_sessionmaker"]
    with factory() as failed:
        assert allocate_reference(failed, prefix, year) == format_reference(prefix, year, 1)
        failed.rollback()  # the filing failed half-way
    assert allocate_and_commit(factory, prefix, year) == format_reference(prefix, year, 1)

    # Another filing waits for an undecided one, and gets the number the undecided one gives back.
    undecided = factory()
    try:
        assert allocate_reference(undecided, prefix, year) == format_reference(prefix, year, 2)
        with ThreadPoolExecutor(max_workers=1) as pool:
            waiting = pool.submit(allocate_and_commit, factory, prefix, year)
            time.sleep(0.5)
            assert not waiting.done(), "the second filing waits for the first to commit or roll back"
            undecided.rollback()
            assert waiting.result(timeout=30) == format_reference(prefix, year, 2)
    finally:
        undecided.close()
    assert allocate_and_commit(factory, prefix, year) == format_reference(prefix, year, 3)
    assert counter_value(db, prefix, year) == 3


# --- a mistyped reference --------------------------------------------------------------------------------


def single_digit_typos(reference: str) -> list[str]:
    """Every way of getting one digit of ``reference`` wrong, and every swap of two neighbouring digits."""
    typos = []
    for index, char in enumerate(reference):
        if char.isdigit():
            typos += [reference[:index] + d + reference[index + 1 :] for d in "0123456789" if d != char]
            following = reference[index + 1 : index + 2]
            if following.isdigit() and following != char:
                typos.append(reference[:index] + following + char + reference[index + 2 :])
    return typos


def file_street_light_report(app: Flask, description: str) -> str:
    """A resident files an anonymous fault report; returns the reference on the receipt page."""
    resident = Resident(app.test_client())
    resident.start("felanmalan-gata-park-belysning")
    resident.answer({"kategori": "gatubelysning"})
    resident.answer({"plats": "Tingvallavägen 3"})
    resident.answer({"beskrivning": description})
    resident.answer({"vill_bli_kontaktad": "no"})
    resident.submit()
    assert resident.url.startswith("/receipt/"), resident.url
    match = re.search(r"GRU-\d{4}-\d{5}[A-Z]", resident.html)
    assert match, "the receipt page shows the reference"
    return match.group(0)


def test_a_mistyped_reference_of_a_filed_case_is_no_reference(app: Flask, db: Session) -> None:
    first = file_street_light_report(app, "Lampan lyser inte.")
    second = file_street_light_report(app, "Lampan blinkar.")
    assert parse_reference(second).sequence == parse_reference(first).sequence + 1

    # The first case's reference with the last digit typed as the second case's: not the second case.
    typo = first[:-2] + second[-2] + first[-1]
    assert typo != second and typo[:-1] == second[:-1]
    with pytest.raises(InvalidReference):
        parse_reference(typo)
    for other in single_digit_typos(first):
        with pytest.raises(InvalidReference):
            parse_reference(other)

    # The verify page says so too, even given the second case's own code.
    db.rollback()
    code = db.scalar(
        select(Receipt.verification_code)
        .join(Submission, Submission.id == Receipt.submission_id)
        .where(Submission.reference == second)
    )
    assert code
    visitor = app.test_client()
    genuine = visitor.get("/verify", query_string={"reference": second, "code": code}).get_data(as_text=True)
    assert "Kvittensen är äkta" in genuine
    html = visitor.get("/verify", query_string={"reference": typo, "code": code}).get_data(as_text=True)
    assert "Vi kunde inte bekräfta kvittensen" in html and "Kvittensen är äkta" not in html
    assert second not in html

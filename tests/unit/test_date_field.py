"""Dates: what a date input sends (and what people type without one), limits relative to today and other dates."""

from __future__ import annotations

from datetime import date

import pytest

from eservices.fields import REGISTRY, Context, FieldError
from eservices.fields.date import resolve_limit


@pytest.mark.parametrize("written", ["2026-12-24", "20261224", "24.12.2026", "24/12/2026"])
def test_dates_are_stored_in_iso_form(parse, written) -> None:
    assert parse("date", written) == "2026-12-24"


@pytest.mark.parametrize(
    "written", ["2026-02-30", "2026-13-01", "2026-00-10", "2026-04-31", "2025-02-29", "i morgon", "24 dec", "2026-1-"]
)
def test_dates_that_do_not_exist_are_refused(refuse, written) -> None:
    assert refuse("date", written).code == "invalid_date"


def test_leap_day_of_a_leap_year(parse) -> None:
    assert parse("date", "2028-02-29") == "2028-02-29"


def test_not_in_the_past(parse, refuse) -> None:
    spec = {"min": "today"}
    assert parse("date", "2026-11-27", spec, today=date(2026, 11, 27)) == "2026-11-27"
    error = refuse("date", "2026-11-26", spec, today=date(2026, 11, 27))
    assert error.code == "date_too_early"
    assert error.params == {"min": date(2026, 11, 27)}


def test_relative_limits_move_with_today(parse, refuse) -> None:
    spec = {"min": "today+1", "max": "today+30"}
    assert refuse("date", "2026-11-27", spec, today=date(2026, 11, 27)).code == "date_too_early"
    assert parse("date", "2026-11-28", spec, today=date(2026, 11, 27)) == "2026-11-28"
    assert parse("date", "2026-12-27", spec, today=date(2026, 11, 27)) == "2026-12-27"
    late = refuse("date", "2026-12-28", spec, today=date(2026, 11, 27))
    assert late.code == "date_too_late"
    assert late.params == {"max": date(2026, 12, 27)}
    # A week later the same answer is fine.
    assert parse("date", "2026-12-28", spec, today=date(2026, 12, 4)) == "2026-12-28"


def test_limits_in_the_past(parse, refuse) -> None:
    spec = {"min": "today-7", "max": "today"}
    assert parse("date", "2026-11-20", spec) == "2026-11-20"
    assert refuse("date", "2026-11-19", spec).code == "date_too_early"
    assert refuse("date", "2026-11-28", spec).code == "date_too_late"


def test_fixed_limits(parse, refuse) -> None:
    spec = {"min": "2026-01-01", "max": date(2026, 12, 31)}
    assert parse("date", "2026-06-01", spec) == "2026-06-01"
    assert refuse("date", "2025-12-31", spec).code == "date_too_early"
    assert refuse("date", "2027-01-01", spec).code == "date_too_late"


def test_must_come_after_another_date(parse, refuse) -> None:
    spec = {"after": "fran"}
    answers = {"fran": "2026-12-01"}
    assert parse("date", "2026-12-02", spec, answers=answers) == "2026-12-02"
    error = refuse("date", "2026-12-01", spec, answers=answers)
    assert error.code == "date_not_after"
    assert error.params["date"] == date(2026, 12, 1)
    assert refuse("date", "2026-11-30", spec, answers=answers).code == "date_not_after"


def test_must_not_come_before_another_date(parse, refuse) -> None:
    spec = {"not_before": "fran"}
    answers = {"fran": "2026-12-01"}
    assert parse("date", "2026-12-01", spec, answers=answers) == "2026-12-01"
    assert refuse("date", "2026-11-30", spec, answers=answers).code == "date_before"


def test_the_other_dates_label_is_given_for_the_message() -> None:
    ctx = Context(
        today=date(2026, 11, 27),
        answers={"fran": "2026-12-01"},
        labels={"fran": {"sv": "Från och med", "en": "From"}},
    )
    with pytest.raises(FieldError) as caught:
        REGISTRY["date"].parse({"after": "fran"}, ["2026-11-30"], ctx)
    assert caught.value.params["other"] == {"sv": "Från och med", "en": "From"}


def test_no_comparison_without_the_other_answer(parse) -> None:
    assert parse("date", "2026-11-30", {"after": "fran"}, answers={}) == "2026-11-30"


def test_resolve_limit() -> None:
    today = date(2026, 11, 27)
    assert resolve_limit("today", today) == today
    assert resolve_limit("today+5", today) == date(2026, 12, 2)
    assert resolve_limit("today-27", today) == date(2026, 10, 31)
    assert resolve_limit("2026-01-01", today) == date(2026, 1, 1)
    assert resolve_limit("tomorrow", today) is None
    assert resolve_limit(None, today) is None


def test_shown_as_a_long_date_in_the_readers_language() -> None:
    assert REGISTRY["date"].display({}, "2026-12-24", "sv", str) == "24 december 2026"
    assert REGISTRY["date"].display({}, "2026-12-24", "en", str) == "24 December 2026"

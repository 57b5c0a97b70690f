"""Numbers as Swedes write them: decimal comma, spaces between thousands, a unit after; limits and decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from eservices.fields import REGISTRY, FieldError

KRONOR = {"unit": {"sv": "kr", "en": "SEK"}}


@pytest.mark.parametrize(
    ("written", "spec", "stored"),
    [
        ("42", {}, "42"),
        ("-7", {}, "-7"),
        ("\u22127", {}, "-7"),
        ("25 000", {}, "25000"),
        ("25\u00a0000", {}, "25000"),
        ("25\u202f000", {}, "25000"),
        ("1 250 000", {}, "1250000"),
        ("25 000 kr", KRONOR, "25000"),
        ("25000kr", KRONOR, "25000"),
        ("25 000 SEK", KRONOR, "25000"),
        ("250:-", KRONOR, "250"),
        ("12,5", {"decimals": 1}, "12.5"),
        ("12.5", {"decimals": 1}, "12.5"),
        ("1 234,75", {"decimals": 2}, "1234.75"),
        ("3,0", {}, "3"),
        ("100,0", {"decimals": 2}, "100"),
        ("0,5", {"decimals": 1}, "0.5"),
        ("500 kr/mån", {"unit": {"sv": "kr/mån"}}, "500"),
        ("500 kr", {"unit": {"sv": "kr/mån"}}, "500"),
    ],
)
def test_accepted_numbers_and_their_canonical_value(parse, written, spec, stored) -> None:
    assert parse("number", written, spec) == stored


@pytest.mark.parametrize("written", ["12,5 m²", "12,5m²", "12,5 M²"])
def test_a_unit_ending_in_a_superscript_is_taken_off(parse, written) -> None:
    """The unit docstring's own example: a resident copying "12,5 m²" into an area field in m²."""
    try:
        stored = parse("number", written, {"decimals": 1, "unit": {"sv": "m²"}})
    except FieldError as error:
        pytest.fail(f"{written!r} in a field with unit m² is refused with {error.code!r}")
    assert stored == "12.5"


@pytest.mark.parametrize("written", ["tjugo", "12abc", "1e3", "NaN", "inf", "Infinity", "1,2,3", "--5", "25 000 kr"])
def test_text_that_is_not_a_number_is_refused(refuse, written) -> None:
    # "25 000 kr" is refused only because this field has no unit: kr means nothing to it.
    assert refuse("number", written).code == "not_a_number"


def test_whole_numbers_only_unless_decimals_are_allowed(refuse) -> None:
    error = refuse("number", "3,5")
    assert error.code == "whole_number_required"
    assert error.params == {"decimals": 0}


def test_more_decimals_than_allowed_are_refused(refuse) -> None:
    error = refuse("number", "12,55", {"decimals": 1})
    assert error.code == "too_many_decimals"
    assert error.params == {"decimals": 1}


def test_a_trailing_zero_is_not_an_extra_decimal(parse) -> None:
    """``2,50`` is two and a half: a field that allows one decimal must take it, as it takes ``2,00`` as 2."""
    assert parse("number", "2,00", {"decimals": 1}) == "2"
    try:
        stored = parse("number", "2,50", {"decimals": 1})
    except FieldError as error:
        pytest.fail(f"2,50 in a field with one decimal is refused with {error.code!r}")
    assert stored == "2.5"


def test_limits_are_inclusive_and_named_in_the_error(parse, refuse) -> None:
    spec = {"min": 1, "max": 10}
    assert parse("number", "1", spec) == "1"
    assert parse("number", "10", spec) == "10"
    small = refuse("number", "0", spec)
    assert small.code == "number_too_small"
    assert small.params == {"min": Decimal(1)}
    large = refuse("number", "11", spec)
    assert large.code == "number_too_large"
    assert large.params == {"max": Decimal(10)}


def test_decimal_limits(parse, refuse) -> None:
    spec = {"min": 0.5, "max": "99.5", "decimals": 1}
    assert parse("number", "0,5", spec) == "0.5"
    assert refuse("number", "0,4", spec).code == "number_too_small"
    assert refuse("number", "99,6", spec).code == "number_too_large"


def test_shown_in_the_readers_number_format_with_the_unit() -> None:
    number = REGISTRY["number"]
    assert number.display(KRONOR, "25000", "sv", str) == "25\u00a0000\u00a0kr"
    assert number.display(KRONOR, "25000.5", "en", str) == "25,000.5\u00a0SEK"
    assert number.display({}, "1234.5", "sv", str) == "1\u00a0234,5"
    assert number.display({}, None, "sv", str) == ""

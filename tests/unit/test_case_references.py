"""Case references: read back over the phone, so every single typo and neighbour swap must be caught."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from eservices.numbering import (
    CHECK_LETTERS,
    InvalidReference,
    Reference,
    check_letter,
    format_reference,
    parse_reference,
)

PREFIXES = ["GRU", "BN", "KSFORVALTN"]
YEARS = [1999, 2025, 2026, 2027, 2029, 2031]
SEQUENCES = [*range(1, 31), 99, 100, 101, 999, 1000, 4711, 12345, 20000, 54321, 99998, 99999]


def references() -> list[str]:
    return [
        format_reference(PREFIXES[index % len(PREFIXES)], year, sequence)
        for index, (year, sequence) in enumerate((y, s) for y in YEARS for s in SEQUENCES)
    ]


def digit_positions(reference: str) -> list[int]:
    return [index for index, char in enumerate(reference) if char.isdigit()]


def test_the_format() -> None:
    reference = format_reference("GRU", 2026, 42)
    assert re.fullmatch(r"GRU-2026-00042[A-Z]", reference)
    assert reference[-1] in CHECK_LETTERS
    assert format_reference("GRU", 2026, 123456).startswith("GRU-2026-123456")


def test_check_letters_cannot_be_taken_for_digits() -> None:
    assert len(CHECK_LETTERS) == 23
    assert not set(CHECK_LETTERS) & set("IOQ")
    assert {check_letter(2026, sequence) for sequence in range(1, 1000)} == set(CHECK_LETTERS)


def test_sequences_start_at_one() -> None:
    with pytest.raises(ValueError):
        format_reference("GRU", 2026, 0)


@pytest.mark.parametrize("sequence", [1, 42, 99999, 100000, 123456, 987654321])
def test_round_trip(sequence) -> None:
    text = format_reference("GRU", 2026, sequence)
    parsed = parse_reference(text)
    assert parsed == Reference(prefix="GRU", year=2026, sequence=sequence)
    assert str(parsed) == text


def test_there_are_a_few_hundred_references_under_test() -> None:
    assert len(set(references())) >= 200


def test_every_single_wrong_digit_is_caught() -> None:
    for reference in references():
        for position in digit_positions(reference):
            for digit in "0123456789":
                if digit == reference[position]:
                    continue
                typo = reference[:position] + digit + reference[position + 1 :]
                with pytest.raises(InvalidReference):
                    parse_reference(typo)
                    pytest.fail(f"{typo} accepted for {reference}")


def test_every_swap_of_neighbouring_digits_is_caught() -> None:
    # Neighbours in the number as read aloud: the last digit of the year and the first of the sequence too.
    checked = 0
    for reference in references():
        positions = digit_positions(reference)
        for first, second in pairwise(positions):
            if reference[first] == reference[second]:
                continue
            chars = list(reference)
            chars[first], chars[second] = chars[second], chars[first]
            typo = "".join(chars)
            with pytest.raises(InvalidReference):
                parse_reference(typo)
                pytest.fail(f"{typo} accepted for {reference}")
            checked += 1
    assert checked > 1000


def test_a_wrong_check_letter_is_caught() -> None:
    reference = format_reference("GRU", 2026, 42)
    for letter in CHECK_LETTERS:
        if letter != reference[-1]:
            with pytest.raises(InvalidReference):
                parse_reference(reference[:-1] + letter)


def test_lower_case_spaces_and_missing_hyphens_are_forgiven() -> None:
    reference = format_reference("GRU", 2026, 42)
    expected = Reference("GRU", 2026, 42)
    compact = reference.replace("-", "")
    for written in (reference.lower(), f"  {reference} ", reference.replace("-", " "), compact, compact.lower()):
        assert parse_reference(written) == expected, written
    assert parse_reference(" ".join(reference)) == expected


@pytest.mark.parametrize(
    "text",
    ["", "GRU", "GRU-2026-42K", "2026-00042K", "G-2026-00042K", "GRU-26-00042K", "GRU-2026-00042", "GRU-2026-00042-K"],
)
def test_text_that_is_not_a_reference(text) -> None:
    with pytest.raises(InvalidReference):
        parse_reference(text)


def test_sequence_zero_is_not_a_reference() -> None:
    """No case has sequence 0 (``format_reference`` refuses it), so text naming it is no reference either.

    Accepting it gives a Reference whose ``str()`` raises ValueError: a search box that shows what was
    looked for fails instead of saying "no such case".
    """
    text = "GRU-2026-00000" + check_letter(2026, 0)
    try:
        parsed = parse_reference(text)
    except InvalidReference:
        return
    pytest.fail(f"{text} accepted as {parsed!r}")


def test_a_wrong_first_digit_of_a_long_sequence_is_caught() -> None:
    """From the 100 000th case of a year the sequence has six digits; a first digit mistyped as 0 must be caught.

    ``GRU-2029-123456Z`` read back as ``GRU-2029-023456Z`` is a single wrong digit, but it parses as case
    23456, whose check letter (computed over ``202923456``, the zero dropped) happens to be Z as well.
    """
    reference = format_reference("GRU", 2029, 123456)
    typo = reference.replace("-123456", "-023456")
    try:
        parsed = parse_reference(typo)
    except InvalidReference:
        return
    pytest.fail(f"{typo} (one digit wrong in {reference}) accepted as case {parsed.sequence}")

"""Case references: ``<prefix>-<year>-<sequence><check>``, e.g. ``GRU-2026-00042K``.

The sequence is zero-padded to five digits (more when a year needs them). The check letter is the
year and sequence, read as one number, modulo 23, mapped to a letter that cannot be taken for a digit
(no I, O or Q). Because 23 is a prime that divides neither 9 nor a power of ten, every single wrong
digit and every swap of two neighbouring digits gives another letter: a reference mistyped on the
phone is caught instead of pointing at someone else's case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # 23 letters: no I, O, Q
SEQUENCE_WIDTH = 5
PATTERN = re.compile(r"^([A-Z]{2,10})-?([0-9]{4})-?([0-9]{5,9})([A-Z])$")


class InvalidReference(ValueError):
    """Text that is not a well-formed reference, or whose check letter does not match."""


@dataclass(frozen=True)
class Reference:
    prefix: str
    year: int
    sequence: int

    def __str__(self) -> str:
        return format_reference(self.prefix, self.year, self.sequence)


def check_letter(year: int, sequence: int) -> str:
    """The check letter of ``year`` and ``sequence``."""
    return CHECK_LETTERS[int(f"{year:04d}{sequence:0{SEQUENCE_WIDTH}d}") % len(CHECK_LETTERS)]


def format_reference(prefix: str, year: int, sequence: int) -> str:
    """The reference for the ``sequence``-th case of ``year`` (the first is 1)."""
    if sequence < 1:
        raise ValueError("sequences start at 1")
    return f"{prefix}-{year:04d}-{sequence:0{SEQUENCE_WIDTH}d}{check_letter(year, sequence)}"


def parse_reference(text: str) -> Reference:
    """The reference in ``text`` (any case, spaces and missing hyphens forgiven); raises InvalidReference."""
    compact = re.sub(r"\s", "", text).upper()
    match = PATTERN.match(compact)
    if not match:
        raise InvalidReference(text)
    prefix, year, sequence, letter = match.groups()
    number = int(sequence)
    # Only the written form counts: a sequence padded with an extra 0 (a mistyped first digit) is not
    # the same reference, and there is no case number 0.
    if (
        number < 1
        or len(sequence) != max(SEQUENCE_WIDTH, len(str(number)))
        or check_letter(int(year), number) != letter
    ):
        raise InvalidReference(text)
    return Reference(prefix=prefix, year=int(year), sequence=number)

"""Personnummer or samordningsnummer, stored as 12 digits ``YYYYMMDDNNNN``.

Accepted input: ``YYMMDD-NNNN``, ``YYMMDD+NNNN`` (the ``+`` written for people aged 100 or more),
``YYMMDDNNNN``, ``YYYYMMDDNNNN`` and ``YYYYMMDD-NNNN``. The century of a 10-digit number is the one that
makes the person turn at most 99 this calendar year (or 100 or more with ``+``). A samordningsnummer has 60
added to the day of birth. The last digit is a Luhn check digit over the 9 digits before it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from eservices.fields.base import Context, FieldError, FieldType, Gettext, register
from eservices.problems import Problem
from eservices.text import ascii_digits

PATTERN = re.compile(r"^([0-9]{2})?([0-9]{6})([-+]?)([0-9]{4})$")
#: dashes people type or paste instead of a hyphen-minus
DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"})
SAMORDNING_OFFSET = 60


def luhn_digit(digits: str) -> int:
    """The check digit that the Luhn algorithm (weights 2,1,2,1...) gives for ``digits``."""
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def _birth_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise FieldError("personnummer_date") from None


def parse_personnummer(text: str, today: date, allow_samordningsnummer: bool = True) -> str:
    """The 12-digit form of a personnummer or samordningsnummer; raises :class:`FieldError`."""
    match = PATTERN.match(re.sub(r"\s", "", text).translate(DASHES))
    if not match:
        raise FieldError("invalid_personnummer")
    century, yymmdd, separator, last4 = match.groups()
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    real_day = day
    if day > SAMORDNING_OFFSET:
        if not allow_samordningsnummer:
            raise FieldError("samordningsnummer_not_allowed")
        real_day = day - SAMORDNING_OFFSET
    if not 1 <= month <= 12 or not 1 <= real_day <= 31:
        raise FieldError("personnummer_date")
    if century is not None:
        year = int(century + yymmdd[:2])
        born = _birth_date(year, month, real_day)
    else:
        # The latest year ending in yy, not after this year; "+" is written from the calendar year a
        # person turns 100 (Skatteverket), so it means a century earlier.
        year = today.year - (today.year - yy) % 100
        if separator == "+":
            year -= 100
        elif (year, month, real_day) > (today.year, today.month, today.day):
            # Written with "-" by someone turning 100 later this year, as they did for 99 years.
            year -= 100
        born = _birth_date(year, month, real_day)
    if born > today:
        raise FieldError("personnummer_date")
    if luhn_digit(yymmdd + last4[:3]) != int(last4[3]):
        raise FieldError("personnummer_check_digit")
    return f"{year:04d}{yymmdd[2:]}{last4}"


def format_personnummer(value: str) -> str:
    """``YYYYMMDD-NNNN`` from the stored 12 digits."""
    return f"{value[:8]}-{value[8:]}"


def mask_personnummer(value: str) -> str:
    """``YYYYMMDD-****``: enough for staff to tell people apart in a list, not enough to identify."""
    return f"{value[:8]}-****"


@register
class Personnummer(FieldType):
    name = "personnummer"
    settings = {"samordningsnummer": "whether a samordningsnummer is accepted (default true)"}

    def check(self, spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        if "samordningsnummer" in spec and not isinstance(spec["samordningsnummer"], bool):
            return [(f"{path}.samordningsnummer", Problem("not_boolean", "must be true or false"))]
        return []

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        return parse_personnummer(ascii_digits(raw[0]), ctx.today, spec.get("samordningsnummer", True))

    def to_form(self, spec: Mapping[str, Any], value: Any) -> list[str]:
        return [] if value is None else [format_personnummer(value)]

    def display(self, spec: Mapping[str, Any], value: Any, locale: str, gettext: Gettext) -> str:
        return "" if value is None else format_personnummer(value)

"""Swedish phone number: stored as +46 and the national significant number, shown in national form."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from eservices.fields.base import Context, FieldError, FieldType, Gettext, register
from eservices.text import ascii_digits

SEPARATORS = re.compile(r"[\s\-\u2010-\u2014\u2212()/.]")
MOBILE_PREFIXES = ("70", "72", "73", "76", "79")


def normalize_phone(value: str) -> str:
    """``+46`` and 7 to 9 digits from a Swedish number written any usual way; raises ``invalid_phone``.

    Accepts ``070-123 45 67``, ``+46 70 123 45 67``, ``0046701234567``, ``08-123 456 78``.
    """
    digits = SEPARATORS.sub("", value)
    if digits.startswith("+46"):
        national = digits[3:]
    elif digits.startswith("0046"):
        national = digits[4:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        raise FieldError("invalid_phone")
    national = national.removeprefix("0")  # "+46 (0)70 ..." is common on business cards
    if national.startswith("0") or not national.isdigit() or not national.isascii() or not 7 <= len(national) <= 9:
        raise FieldError("invalid_phone")
    return "+46" + national


def format_phone(value: str) -> str:
    """National form: ``070-123 45 67`` for mobiles, ``0`` and the digits grouped otherwise."""
    national = value.removeprefix("+46")
    if national.startswith(MOBILE_PREFIXES) and len(national) == 9:
        return f"0{national[:2]}-{national[2:5]} {national[5:7]} {national[7:]}"
    if national.startswith("8"):
        rest = national[1:]
        return "08-" + " ".join(rest[i : i + 3] for i in range(0, len(rest), 3))
    return "0" + national


@register
class Phone(FieldType):
    name = "phone"
    settings = {"autocomplete": "HTML autocomplete token (default tel)"}

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        return normalize_phone(ascii_digits(raw[0]))

    def to_form(self, spec: Mapping[str, Any], value: Any) -> list[str]:
        return [] if value is None else [format_phone(value)]

    def display(self, spec: Mapping[str, Any], value: Any, locale: str, gettext: Gettext) -> str:
        return "" if value is None else format_phone(value)

"""Swedish postnummer: five digits, the first not 0, stored and shown as ``NNN NN``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from eservices.fields.base import Context, FieldError, FieldType, register
from eservices.text import ascii_digits

# "SE-664 30" and "S-664 30" are the international forms found on old letters and in address books.
PATTERN = re.compile(r"^(?:SE?-?)?([1-9][0-9]{2})\s?([0-9]{2})$", re.IGNORECASE)


def normalize_postnummer(text: str) -> str:
    """``664 30`` from ``66430``, ``664 30`` or ``SE-664 30``; raises ``invalid_postnummer``."""
    match = PATTERN.match(text.strip())
    if not match:
        raise FieldError("invalid_postnummer")
    return f"{match.group(1)} {match.group(2)}"


@register
class Postnummer(FieldType):
    name = "postnummer"
    settings = {"autocomplete": "HTML autocomplete token (default postal-code)"}

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        return normalize_postnummer(ascii_digits(raw[0]))

"""Short text: one line, such as a name, a place or a property designation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eservices.fields.base import Context, FieldError, FieldType, register
from eservices.problems import Problem

DEFAULT_MAX_LENGTH = 200


def check_length_settings(spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
    """Problems with ``min_length``/``max_length``: whole numbers, min not above max."""
    problems = []
    for key in ("min_length", "max_length"):
        if key in spec and (not isinstance(spec[key], int) or isinstance(spec[key], bool) or spec[key] < 1):
            problems.append((f"{path}.{key}", Problem("bad_count", "must be a whole number of at least 1")))
    if not problems and spec.get("min_length", 0) > spec.get("max_length", 10**9):
        problems.append((f"{path}.min_length", Problem("min_above_max", "is greater than max_length")))
    return problems


def parse_length(spec: Mapping[str, Any], value: str, default_max: int) -> str:
    """``value`` when its length is within the field's limits; raises ``too_long``/``too_short``."""
    maximum = spec.get("max_length", default_max)
    if len(value) > maximum:
        raise FieldError("too_long", {"max": maximum, "length": len(value)})
    minimum = spec.get("min_length")
    if minimum and len(value) < minimum:
        raise FieldError("too_short", {"min": minimum})
    return value


@register
class ShortText(FieldType):
    name = "text"
    settings = {
        "max_length": "most characters allowed (default 200)",
        "min_length": "fewest characters allowed",
        "autocomplete": "HTML autocomplete token, e.g. name or street-address",
    }

    def check(self, spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        return check_length_settings(spec, path)

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        # One line: runs of white space (a pasted line break included) become one space.
        return parse_length(spec, " ".join(raw[0].split()), DEFAULT_MAX_LENGTH)

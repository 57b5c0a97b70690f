"""Date: ISO input (what ``<input type=date>`` sends), limits that may be relative to today or to another date.

Limits: ``min``/``max`` take an ISO date, ``today``, or ``today+N``/``today-N`` (days). ``after`` and
``not_before`` name an earlier date field: the answer must be later than it, or not earlier than it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from babel.dates import format_date

from eservices.fields.base import Context, FieldError, FieldType, Gettext, register
from eservices.problems import Problem
from eservices.text import ascii_digits, format_locale

RELATIVE = re.compile(r"^today(?:([+-])([0-9]{1,5}))?$")
ISO = re.compile(r"^([0-9]{4})-?([0-9]{1,2})-?([0-9]{1,2})$")
DMY = re.compile(r"^([0-9]{1,2})[./]([0-9]{1,2})[./]([0-9]{4})$")


def resolve_limit(limit: Any, today: date) -> date | None:
    """The date a ``min``/``max`` setting stands for on ``today``; None when it is not a valid limit."""
    if isinstance(limit, date):
        return limit
    if not isinstance(limit, str):
        return None
    match = RELATIVE.match(limit.strip())
    if match:
        sign, days = match.groups()
        offset = timedelta(days=int(days or 0))
        return today + offset if sign != "-" else today - offset
    try:
        return date.fromisoformat(limit)
    except ValueError:
        return None


def parse_date(text: str) -> date:
    """A calendar date from ``2026-11-27``, ``20261127`` or ``27.11.2026``; raises ``invalid_date``."""
    match = ISO.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = DMY.match(text)
        if not match:
            raise FieldError("invalid_date")
        day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise FieldError("invalid_date") from None


@register
class Date(FieldType):
    name = "date"
    settings = {
        "min": "earliest date: YYYY-MM-DD, today, today+N or today-N",
        "max": "latest date, same forms as min",
        "after": "name of an earlier date field this date must come after",
        "not_before": "name of an earlier date field this date may not come before",
    }

    def check(self, spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        problems = []
        for key in ("min", "max"):
            if key in spec and resolve_limit(spec[key], date(2000, 1, 1)) is None:
                problems.append(
                    (f"{path}.{key}", Problem("bad_date_limit", "must be YYYY-MM-DD, today, today+N or today-N"))
                )
        if not problems and "min" in spec and "max" in spec:
            # Relative limits move together, so comparing them on any one day is enough.
            day = date(2000, 1, 1)
            if resolve_limit(spec["min"], day) > resolve_limit(spec["max"], day):  # type: ignore[operator]
                problems.append((f"{path}.min", Problem("min_above_max", "is later than max")))
        return problems

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        value = parse_date(ascii_digits(raw[0]))
        earliest = resolve_limit(spec.get("min"), ctx.today)
        latest = resolve_limit(spec.get("max"), ctx.today)
        if earliest and value < earliest:
            raise FieldError("date_too_early", {"min": earliest})
        if latest and value > latest:
            raise FieldError("date_too_late", {"max": latest})
        for key, code in (("after", "date_not_after"), ("not_before", "date_before")):
            other_name = spec.get(key)
            other = ctx.answers.get(other_name) if other_name else None
            if other and (value <= date.fromisoformat(other) if key == "after" else value < date.fromisoformat(other)):
                raise FieldError(code, {"other": ctx.labels.get(other_name, {}), "date": date.fromisoformat(other)})
        return value.isoformat()

    def display(self, spec: Mapping[str, Any], value: Any, locale: str, gettext: Gettext) -> str:
        if value is None:
            return ""
        return format_date(date.fromisoformat(value), format="long", locale=format_locale(locale))

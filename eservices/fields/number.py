"""Number: whole or with a fixed number of decimals, with limits and a unit (``kr``, ``m²``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from babel.numbers import format_decimal

from eservices.fields.base import Context, FieldError, FieldType, Gettext, register
from eservices.problems import Problem
from eservices.text import ascii_digits, format_locale, localize

# Thin and non-breaking spaces are what Swedish number formatting (and copy-paste from it) produces.
#: More digits than any amount, area or count a form asks for; longer input is refused, not rounded.
MAX_DIGITS = 40
GROUPING = str.maketrans("", "", " \u00a0\u202f\u2009'")


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None  # NaN and infinity are no limits


def _strip_unit(text: str, spec: Mapping[str, Any]) -> str:
    """``text`` without a trailing unit the resident typed: the field's unit, or its start (``kr`` of ``kr/mån``)."""
    lowered = text.lower()
    for unit in (spec.get("unit") or {}).values():
        compact = unit.replace(" ", "").lower()
        leading_word = re.match(r"[^\W\d_]+", compact)
        for candidate in (compact, leading_word.group(0) if leading_word else ""):
            # A unit written with digits ("0") cannot be told from the number itself: never strip one.
            if candidate and not re.search("[0-9]", candidate) and lowered.endswith(candidate):
                return text[: -len(candidate)]
    return text


@register
class Number(FieldType):
    name = "number"
    settings = {
        "min": "smallest value allowed",
        "max": "largest value allowed",
        "decimals": "decimals allowed (default 0: whole numbers)",
        "unit": "localized unit shown after the box and the answer, e.g. kr",
    }

    def check(self, spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        problems = []
        for key in ("min", "max"):
            if key in spec and _decimal(spec[key]) is None:
                problems.append((f"{path}.{key}", Problem("not_a_number", "must be a number")))
        if not problems and "min" in spec and "max" in spec and _decimal(spec["min"]) > _decimal(spec["max"]):  # type: ignore[operator]
            problems.append((f"{path}.min", Problem("min_above_max", "is greater than max")))
        decimals = spec.get("decimals", 0)
        if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 6:
            problems.append((f"{path}.decimals", Problem("bad_decimals", "must be a whole number from 0 to 6")))
        return problems

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        text = ascii_digits(raw[0]).translate(GROUPING).replace(",", ".").replace("\u2212", "-")
        text = _strip_unit(text, spec)
        text = text.removesuffix(":-")  # "250:-" is how Swedish price tags write kronor
        digits = text.lstrip("+-").replace(".", "", 1)
        if not digits.isdigit() or not digits.isascii() or len(digits.lstrip("0")) > MAX_DIGITS:
            raise FieldError("not_a_number")
        try:
            number = Decimal(text)
        except InvalidOperation:  # "--5": the signs were not one sign
            raise FieldError("not_a_number") from None
        decimals = spec.get("decimals", 0)
        with localcontext() as exact:
            exact.prec = MAX_DIGITS + 2  # never round what the resident typed
            number = number.normalize() + 0  # "2,50" is 2.5; adding 0 turns -0 into 0
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > decimals:
            raise FieldError("whole_number_required" if decimals == 0 else "too_many_decimals", {"decimals": decimals})
        if "min" in spec and number < Decimal(str(spec["min"])):
            raise FieldError("number_too_small", {"min": Decimal(str(spec["min"]))})
        if "max" in spec and number > Decimal(str(spec["max"])):
            raise FieldError("number_too_large", {"max": Decimal(str(spec["max"]))})
        if decimals == 0:
            return format(number.to_integral_value(), "f")
        return format(number, "f")  # already normalized, exactly

    def display(self, spec: Mapping[str, Any], value: Any, locale: str, gettext: Gettext) -> str:
        if value is None:
            return ""
        shown = format_decimal(Decimal(value), locale=format_locale(locale))
        unit = localize(spec.get("unit"), locale)
        return f"{shown}\u00a0{unit}" if unit else shown

"""Multiple choice: any number of the listed options as check boxes, within optional limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eservices.fields.base import Context, FieldError, FieldType, Gettext, option_label, register
from eservices.fields.choice import option_values
from eservices.problems import Problem


@register
class MultipleChoice(FieldType):
    name = "multichoice"
    needs_options = True
    multiple = True
    settings = {"min_choices": "fewest boxes to tick", "max_choices": "most boxes to tick"}

    def check(self, spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        problems = []
        for key in ("min_choices", "max_choices"):
            if key in spec and (not isinstance(spec[key], int) or isinstance(spec[key], bool) or spec[key] < 1):
                problems.append((f"{path}.{key}", Problem("bad_count", "must be a whole number of at least 1")))
        if problems:
            return problems
        options = len(spec.get("options") or ())
        fewest, most = spec.get("min_choices", 0), spec.get("max_choices", options)
        if fewest > most:
            problems.append((f"{path}.min_choices", Problem("min_above_max", "is greater than max_choices")))
        elif fewest > options:
            problems.append(
                (
                    f"{path}.min_choices",
                    Problem("too_few_options", f"asks for more boxes than the {options} options", count=options),
                )
            )
        return problems

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        allowed = option_values(spec)
        if any(value not in allowed for value in raw):
            raise FieldError("invalid_choice")
        chosen = [value for value in allowed if value in raw]  # definition order, no duplicates
        if len(chosen) < spec.get("min_choices", 0):
            raise FieldError("too_few_choices", {"min": spec["min_choices"]})
        if len(chosen) > spec.get("max_choices", len(allowed)):
            raise FieldError("too_many_choices", {"max": spec["max_choices"]})
        return chosen

    def display(self, spec: Mapping[str, Any], value: Any, locale: str, gettext: Gettext) -> str:
        return ", ".join(option_label(spec, v, locale) for v in value or ())

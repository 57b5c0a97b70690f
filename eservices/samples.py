"""Sample answers for any definition: for previews, sample receipts, benchmarks and tests.

The answers are valid (they pass :func:`eservices.validation.validate_answers`) and, where a choice
decides whether other questions are shown, they pick the answer that shows them, so a sample receipt
contains as much of the form as possible.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from eservices.fields.date import resolve_limit
from eservices.schema import Field, FormDefinition

SAMPLE_FILE = {
    "filename": "exempel.pdf",
    "size": 48_213,
    "sha256": "9f2c4e1a7b0d3c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a",
    "content_type": "application/pdf",
}


def _wanted(definition: FormDefinition, name: str) -> list[str]:
    """Answers to ``name`` that some condition in the form waits for."""
    wanted: list[str] = []
    conditions = [page.show_when for page in definition.pages] + [f.show_when for f in definition.fields.values()]
    for condition in conditions:
        if condition is not None and condition.field == name:
            wanted.extend(str(value) for value in condition.values)
    return wanted


def _date(item: Field, today: date, answers: Mapping[str, Any]) -> str:
    spec = item.spec
    earliest = resolve_limit(spec.get("min"), today)
    latest = resolve_limit(spec.get("max"), today)
    value = today
    for key, gap in (("after", 1), ("not_before", 0)):
        other = answers.get(spec.get(key, ""))
        if other:
            value = max(value, date.fromisoformat(other) + timedelta(days=gap))
    if earliest and value < earliest:
        value = earliest + timedelta(days=1 if spec.get("after") else 0)
    if latest and value > latest:
        value = latest
    return value.isoformat()


def _number(item: Field) -> str:
    spec = item.spec
    low = Decimal(str(spec["min"])) if "min" in spec else None
    high = Decimal(str(spec["max"])) if "max" in spec else None
    value = Decimal(25000)
    if high is not None and value > high:
        value = high
    if low is not None and value < low:
        value = low
    return format(value.to_integral_value() if not spec.get("decimals") else value, "f")


def sample_value(definition: FormDefinition, item: Field, today: date, answers: Mapping[str, Any]) -> Any:
    """A valid, realistic answer to ``item``."""
    kind = item.type.name
    options = [option["value"] for option in item.spec.get("options") or ()]
    wanted = _wanted(definition, item.name)
    if kind == "choice":
        return next((value for value in options if value in wanted), options[0])
    if kind == "multichoice":
        chosen = [value for value in options if value in wanted] or options[:1]
        fewest = item.spec.get("min_choices", 1)
        for value in options:
            if len(chosen) >= fewest:
                break
            if value not in chosen:
                chosen.append(value)
        return [value for value in options if value in chosen][: item.spec.get("max_choices", len(options))]
    if kind == "yesno":
        return "no" if wanted == ["no"] else "yes"
    if kind == "date":
        return _date(item, today, answers)
    if kind == "number":
        return _number(item)
    simple = {
        "text": "Exempel",
        "textarea": "Det här är ett exempel på ett längre svar.\nDet kan ha flera rader.",
        "email": "namn@example.se",
        "phone": "+46701234567",
        "personnummer": "198112189876",
        "postnummer": "664 30",
        "file": dict(SAMPLE_FILE),
        "consent": "yes",
    }
    value = simple.get(kind)
    if isinstance(value, str) and "min_length" in item.spec:
        value = value.ljust(item.spec["min_length"], "x")
    return value


def sample_answers(definition: FormDefinition, today: date) -> dict[str, Any]:
    """Answers to every question of ``definition``, in form order."""
    answers: dict[str, Any] = {}
    for page in definition.pages:
        for item in page.fields:
            if item.type.has_input:
                answers[item.name] = sample_value(definition, item, today, answers)
    return answers

"""The frozen record of a filing: questions, options and answers as the resident saw them.

A snapshot is plain JSON data, built once at submission and never re-rendered from the form
definition again: receipts, staff views and archives read it as it is. Every human text is kept in the
resident's language and in Swedish (for staff), as ``{"sv": ..., "<locale>": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from eservices.schema import FormDefinition
from eservices.text import FALLBACK, localize
from eservices.validation import field_visible, page_visible, prune

SNAPSHOT_FORMAT = 1

#: translate(locale, message) -> the interface message in that locale
Translate = Callable[[str, str], str]


def _both(text: Mapping[str, str] | None, locale: str) -> dict[str, str]:
    result = {FALLBACK: localize(text, FALLBACK)}
    result[locale] = localize(text, locale)
    return result


def build_snapshot(
    definition: FormDefinition,
    answers: Mapping[str, Any],
    *,
    locale: str,
    translate: Translate,
    reference: str,
    submitted_at: datetime,
    form_version: int,
    attachments: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The snapshot of ``answers`` (already validated) filed in ``locale`` at ``submitted_at`` (aware UTC)."""
    if submitted_at.tzinfo is None:
        raise ValueError("submitted_at must be timezone-aware")
    kept = prune(definition, answers)
    pages = []
    for page in definition.pages:
        if not page_visible(page, kept):
            continue
        fields = []
        for item in page.fields:
            if not item.type.has_input or not field_visible(item, kept):
                continue
            value = kept.get(item.name)
            entry: dict[str, Any] = {
                "name": item.name,
                "type": item.type.name,
                "label": _both(item.spec.get("label"), locale),
                "value": value,
                "display": {
                    code: item.type.display(item.spec, value, code, lambda message, c=code: translate(c, message))
                    for code in dict.fromkeys((FALLBACK, locale))
                },
            }
            if item.spec.get("options"):
                entry["options"] = [
                    {"value": option["value"], "label": _both(option["label"], locale)}
                    for option in item.spec["options"]
                ]
            fields.append(entry)
        pages.append({"key": page.key, "title": _both(page.title, locale), "fields": fields})
    return {
        "format": SNAPSHOT_FORMAT,
        "reference": reference,
        "eservice": definition.slug,
        "form_version": form_version,
        "title": _both(definition.data["title"], locale),
        "unit": _both(definition.data["unit"]["name"], locale),
        "next_steps": _both(definition.data.get("next_steps"), locale),
        "contact": _both(definition.data.get("contact"), locale),
        "locale": locale,
        "submitted_at": submitted_at.isoformat(),
        "pages": pages,
        "attachments": [dict(item) for item in attachments],
    }

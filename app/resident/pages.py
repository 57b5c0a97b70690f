"""What the form templates show: each field as a plain view (label, help, options, value, error) in a locale."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext

from app.field_messages import message_for
from eservices.fields import FieldError
from eservices.fields.file import DEFAULT_MAX_MB, KINDS
from eservices.fields.yesno import LABELS as YES_NO
from eservices.schema import FormDefinition, Page
from eservices.text import language_used, localize
from eservices.validation import field_visible, page_visible, prune


def _condition_view(definition: FormDefinition, page: Page, item: Any, locale: str) -> dict[str, Any] | None:
    condition = item.show_when
    if condition is None:
        return None
    target = definition.fields[condition.field]
    same_page = any(other.name == condition.field for other in page.fields)
    if not same_page:
        return None  # decided by an earlier page's answer: the field is simply shown or not
    if target.type.name == "yesno":
        option_labels = [gettext(YES_NO[value]) for value in condition.values if value in YES_NO]
    else:
        option_labels = [
            localize(option["label"], locale)
            for option in target.spec.get("options") or ()
            if option["value"] in condition.values
        ]
    return {
        "field": condition.field,
        "values": json.dumps(list(condition.values)),
        "question": target.label(locale),
        "answers": option_labels or [str(value) for value in condition.values],
    }


def field_views(
    definition: FormDefinition,
    page: Page,
    values: Mapping[str, list[str]],
    errors: Mapping[str, FieldError],
    answers: Mapping[str, Any],
    locale: str,
) -> list[dict[str, Any]]:
    """The fields of ``page`` to render, skipping those hidden by an answer on an earlier page."""
    earlier = prune(definition, answers)
    on_page = {item.name for item in page.fields}
    decided = {name: value for name, value in earlier.items() if name not in on_page}
    views = []
    for item in page.fields:
        condition = item.show_when
        if condition is not None and condition.field not in on_page and not field_visible(item, decided):
            continue
        spec = item.spec
        view: dict[str, Any] = {
            "name": item.name,
            "id": "field-" + item.name,
            "type": item.type.name,
            "label": item.label(locale),
            # The language the label is shown in, when it is not the page's (Swedish fallback): WCAG 3.1.2.
            "label_lang": language_used(item.spec.get("label"), locale),
            "help": item.help(locale),
            "required": item.required,
            "spec": spec,
            "values": list(values.get(item.name, [])),
            "error": message_for(errors[item.name]) if item.name in errors else None,
            "condition": _condition_view(definition, page, item, locale),
            "options": [
                {"value": option["value"], "label": localize(option["label"], locale)}
                for option in spec.get("options") or ()
            ],
        }
        if item.type.name == "number":
            view["unit"] = localize(spec.get("unit"), locale)
        if item.type.name in ("consent",):
            view["notice"] = localize(spec.get("notice"), locale)
        if item.type.name == "info":
            view["text"] = localize(spec.get("text"), locale)
        if item.type.takes_file:
            accepted = list(spec.get("accept", ("pdf", "jpeg", "png")))
            view["accept_mime"] = ",".join(KINDS[kind][0] for kind in accepted)
            view["accept_names"] = ", ".join(kind.upper() for kind in accepted)
            view["max_mb"] = spec.get("max_size_mb", DEFAULT_MAX_MB)
            existing = answers.get(item.name)
            view["existing"] = item.type.display(spec, existing, locale, str) if existing else None
        views.append(view)
    return views


def review_rows(
    definition: FormDefinition, answers: Mapping[str, Any], locale: str, gettext: Callable[[str], str]
) -> list[dict[str, Any]]:
    """The review page: per visible page its title, number and each visible question with the answer shown."""
    kept = prune(definition, answers)
    pages = []
    for index, page in enumerate(definition.pages):
        if not page_visible(page, kept):
            continue
        rows = [
            {
                "name": item.name,
                "label": item.label(locale),
                # The language the label is shown in, when it is not the page's (Swedish fallback): WCAG 3.1.2.
                "label_lang": language_used(item.spec.get("label"), locale),
                "answer": item.type.display(item.spec, kept.get(item.name), locale, gettext),
            }
            for item in page.fields
            if item.type.has_input and field_visible(item, kept)
        ]
        if rows:
            pages.append({"number": index + 1, "title": localize(page.title, locale), "rows": rows})
    return pages

"""One validator for every way answers arrive: HTML pages, previews, imports and the API.

Answers are kept as canonical values by field name (see :mod:`eservices.fields.base`). Raw input is a
mapping from field name to the list of strings a form sent. Hidden fields (their page's or their own
condition does not hold) are never required and their answers are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from eservices.fields import Context, FieldError, Upload
from eservices.schema import Field, FormDefinition, Page

#: Raw key that asks to remove a file uploaded earlier: ``<field name>` + REMOVE_SUFFIX``.
REMOVE_SUFFIX = "__remove"


@dataclass
class PageResult:
    """What one page's input gave: new values, errors by field name, and the raw input to show again."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, FieldError] = field(default_factory=dict)
    raw: dict[str, list[str]] = field(default_factory=dict)
    #: Accepted new files by field name, for the caller to store; their metadata is in ``values``.
    uploads: dict[str, Upload] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def page_visible(page: Page, answers: Mapping[str, Any]) -> bool:
    return page.show_when is None or page.show_when.holds(answers)


def field_visible(item: Field, answers: Mapping[str, Any]) -> bool:
    return item.show_when is None or item.show_when.holds(answers)


def prune(definition: FormDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """``answers`` without those of hidden pages and fields, walking the form in order.

    A condition on a field that is itself hidden does not hold, so hiding cascades.
    """
    kept: dict[str, Any] = {}
    for page in definition.pages:
        if not page_visible(page, kept):
            continue
        for item in page.fields:
            if item.name in answers and field_visible(item, kept) and answers[item.name] is not None:
                kept[item.name] = answers[item.name]
    return kept


def visible_pages(definition: FormDefinition, answers: Mapping[str, Any]) -> list[int]:
    """Indexes of the pages a resident with ``answers`` goes through, in order."""
    kept = prune(definition, answers)
    return [index for index, page in enumerate(definition.pages) if page_visible(page, kept)]


def _parse_one(item: Field, raw_values: Sequence[str], ctx: Context) -> tuple[Any, FieldError | None]:
    given = [value.strip() for value in raw_values if value.strip()]
    if not given:
        if item.required:
            return None, FieldError(item.type.required_code)
        return None, None
    try:
        return item.type.parse(item.spec, given, ctx), None
    except FieldError as error:
        return None, error


def validate_page(
    definition: FormDefinition,
    page_index: int,
    raw: Mapping[str, Sequence[str]],
    uploads: Mapping[str, Upload],
    answers: Mapping[str, Any],
    today: date,
    clean: Callable[[Upload], Upload] | None = None,
) -> PageResult:
    """Validate one page's input against the answers given so far.

    ``raw`` maps field names to what the form sent; ``uploads`` maps file fields to newly sent files;
    ``answers`` are the stored answers of the whole form (earlier files among them). Conditions on this
    page are judged with this page's new values, so a field shown by an answer above it on the same
    page is checked only when that answer is given. ``clean`` is the caller's second look at an uploaded
    file once its type is known (re-encode images, refuse active PDFs): it returns the file to keep or
    raises :class:`FieldError`.
    """
    page = definition.pages[page_index]
    result = PageResult()
    merged = {key: value for key, value in answers.items() if key not in {f.name for f in page.fields}}
    ctx = Context(today=today, answers=merged, labels=definition.labels())
    for item in page.fields:
        if not item.type.has_input:
            continue
        result.raw[item.name] = [str(value) for value in raw.get(item.name, ())]
        if not field_visible(item, prune(definition, merged)):
            continue
        if item.type.takes_file:
            value, error, uploaded = _file_value(item, raw, uploads, answers, clean)
            if uploaded is not None:
                result.uploads[item.name] = uploaded
        else:
            value, error = _parse_one(item, result.raw[item.name], ctx)
        if error is not None:
            result.errors[item.name] = error
        elif value is not None:
            result.values[item.name] = value
            merged[item.name] = value
    return result


def _file_value(
    item: Field,
    raw: Mapping[str, Sequence[str]],
    uploads: Mapping[str, Upload],
    answers: Mapping[str, Any],
    clean: Callable[[Upload], Upload] | None,
) -> tuple[Any, FieldError | None, Upload | None]:
    """The file field's value, its error, and the new file to store (None when no new file was accepted)."""
    upload = uploads.get(item.name)
    if upload is not None and (upload.filename or upload.content):
        try:
            item.type.parse_upload(item.spec, upload)  # type: ignore[attr-defined]
            kept = clean(upload) if clean is not None else upload
            return item.type.parse_upload(item.spec, kept), None, kept  # type: ignore[attr-defined]
        except FieldError as error:
            return None, error, None
    existing = answers.get(item.name)
    if existing and not raw.get(item.name + REMOVE_SUFFIX):
        return existing, None, None
    if item.required:
        return None, FieldError(item.type.required_code), None
    return None, None, None


FILE_KEYS = {"filename", "size", "sha256", "content_type"}


def _stored(item: Field, value: Any) -> Any:
    """A stored answer in the form it is checked in: the form strings for typed answers, the mapping for a
    file. An answer of the wrong shape (kept when a question changed type between form versions) counts
    as no answer, so the question is asked again instead of the check failing.
    """
    if value is None:
        return None
    if item.type.takes_file:
        return value if isinstance(value, Mapping) and set(value) >= FILE_KEYS else None
    if isinstance(value, list) != item.type.multiple or not all(
        isinstance(part, str) for part in (value if isinstance(value, list) else [value])
    ):
        return None
    try:
        return item.type.to_form(item.spec, value)
    except (TypeError, ValueError, AttributeError, KeyError):
        return None


@dataclass
class FormResult:
    """The whole form checked again before it is filed: errors by page index, then by field name."""

    answers: dict[str, Any]
    errors: dict[int, dict[str, FieldError]]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def first_page_with_errors(self) -> int | None:
        return min(self.errors) if self.errors else None


def validate_answers(definition: FormDefinition, answers: Mapping[str, Any], today: date) -> FormResult:
    """Check stored ``answers`` as a whole: every visible required question answered, every value still valid.

    Values are parsed again from their form representation, so a limit relative to today that has
    passed since the page was filled (a date that must not be in the past) is caught at submission.
    """
    kept = prune(definition, answers)
    errors: dict[int, dict[str, FieldError]] = {}
    ctx_answers: dict[str, Any] = {}
    ctx = Context(today=today, answers=ctx_answers, labels=definition.labels())
    for index, page in enumerate(definition.pages):
        if not page_visible(page, kept):
            continue
        for item in page.fields:
            if not item.type.has_input or not field_visible(item, kept):
                continue
            value = _stored(item, kept.get(item.name))
            error = None
            if value is None:
                if item.required:
                    error = FieldError(item.type.required_code)
            elif not item.type.takes_file:
                value, error = _parse_one(item, value, ctx)
            if error is not None:
                errors.setdefault(index, {})[item.name] = error
            elif value is not None:
                ctx_answers[item.name] = value
    return FormResult(answers=prune(definition, ctx_answers), errors=errors)

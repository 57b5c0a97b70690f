"""What changed between two versions of a form, in terms a communicator uses: pages and questions
added, removed, moved or changed, and which of their settings changed from what to what.

Pages are matched by ``key`` and fields by ``name``: those are what answers are stored under, so a
question whose label was rewritten is the same question changed, while a renamed one is another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eservices.text import FALLBACK, localize

#: Top-level keys compared, in the order they are reported.
FORM_KEYS = (
    "title",
    "description",
    "category",
    "keywords",
    "unit",
    "anonymous",
    "contact",
    "next_steps",
    "easy_read",
    "retention_years",
)
PAGE_KEYS = ("title", "intro", "show_when")


@dataclass(frozen=True)
class Detail:
    """One setting that changed: ``key`` (label, required, options, ...), as text before and after.

    What people read: a page by its title, options by their labels. ``before_code`` and ``after_code`` hold
    what those are stored under (the pages' keys, the options' values), set only when they tell something the
    text does not: options whose values changed (what answers, exports and case systems see), or a question
    moved between two pages of the same title. Empty otherwise.
    """

    key: str
    before: str
    after: str
    before_code: str = ""
    after_code: str = ""


@dataclass(frozen=True)
class Change:
    """``kind`` is added, removed, changed or moved; ``what`` is form, page or field."""

    kind: str
    what: str
    name: str
    label: str
    details: list[Detail] = field(default_factory=list)


def show(value: Any) -> str:
    """A setting's value as a short text: the Swedish of a localized text, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        if "field" in value:  # a condition
            wanted = value.get("in", [value.get("equals")])
            return f"{value['field']} = " + " | ".join(str(v) for v in wanted)
        if "key" in value and "name" in value:  # the unit
            return str(value["key"])
        if FALLBACK in value:
            return str(value[FALLBACK])
        return ", ".join(f"{code}: {show(text)}" for code, text in value.items())
    if isinstance(value, list):
        return ", ".join(show(item) for item in value)
    return str(value)


def _option_labels(value: Any) -> str:
    return ", ".join(show(option.get("label")) or str(option.get("value")) for option in value or ())


def _option_values(value: Any) -> str:
    return ", ".join(str(option.get("value")) for option in value or ())


def _is_text(value: Any) -> bool:
    return isinstance(value, Mapping) and FALLBACK in value


def _text_detail(key: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Detail:
    """A changed text as its Swedish before and after; when only translations changed, those translations."""
    if old.get(FALLBACK) != new.get(FALLBACK):
        return Detail(key, show(old), show(new))
    changed = sorted(code for code in set(old) | set(new) if old.get(code) != new.get(code))
    return Detail(
        key,
        "; ".join(f"{code}: {old.get(code, '')}" for code in changed),
        "; ".join(f"{code}: {new.get(code, '')}" for code in changed),
    )


def _details(before: Mapping[str, Any], after: Mapping[str, Any], keys: list[str]) -> list[Detail]:
    details = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if _is_text(old) or _is_text(new):
            details.append(_text_detail(key, old or {}, new or {}))
        elif key == "options":
            old_values, new_values = _option_values(old), _option_values(new)
            shown = old_values != new_values
            details.append(
                Detail(
                    key,
                    _option_labels(old),
                    _option_labels(new),
                    before_code=old_values if shown else "",
                    after_code=new_values if shown else "",
                )
            )
        else:
            details.append(Detail(key, show(old), show(new)))
    return details


def _page_title(data: Mapping[str, Any], key: str) -> str:
    """The Swedish title of page ``key`` (where a question is, not a text that changed: no translations listed)."""
    page = next((page for page in data.get("pages") or () if page.get("key") == key), {})
    title = page.get("title")
    return (title if isinstance(title, str) else localize(title, FALLBACK)) or key


def _page_detail(before: Mapping[str, Any], old_key: str, after: Mapping[str, Any], new_key: str) -> Detail:
    """A question's page, from ``old_key`` in ``before`` to ``new_key`` in ``after`` (either may be empty)."""
    old, new = _page_title(before, old_key), _page_title(after, new_key)
    shown = old == new and old_key != new_key
    return Detail("page", old, new, before_code=old_key if shown else "", after_code=new_key if shown else "")


def _fields(data: Mapping[str, Any]) -> dict[str, tuple[str, int, Mapping[str, Any]]]:
    """Each field by name: the key of its page, its position on it, its spec."""
    found = {}
    for page in data.get("pages") or ():
        for position, item in enumerate(page.get("fields") or ()):
            found[item["name"]] = (page["key"], position, item)
    return found


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The changes that turn the plain definition ``before`` into ``after``, form first, then pages, then fields."""
    changes: list[Change] = []
    details = _details(before, after, list(FORM_KEYS))
    if details:
        changes.append(Change("changed", "form", str(after.get("slug")), show(after.get("title")), details))

    old_pages = {page["key"]: (i, page) for i, page in enumerate(before.get("pages") or ())}
    new_pages = {page["key"]: (i, page) for i, page in enumerate(after.get("pages") or ())}
    for key, (position, page) in new_pages.items():
        label = show(page.get("title"))
        if key not in old_pages:
            changes.append(Change("added", "page", key, label))
            continue
        old_position, old_page = old_pages[key]
        details = _details(old_page, page, list(PAGE_KEYS))
        if old_position != position:
            details.insert(0, Detail("position", str(old_position + 1), str(position + 1)))
        if details:
            changes.append(Change("changed", "page", key, label, details))
    for key, (_position, page) in old_pages.items():
        if key not in new_pages:
            changes.append(Change("removed", "page", key, show(page.get("title"))))

    old_fields, new_fields = _fields(before), _fields(after)
    for name, (page_key, position, spec) in new_fields.items():
        label = show(spec.get("label")) or name
        if name not in old_fields:
            changes.append(Change("added", "field", name, label, [_page_detail(before, "", after, page_key)]))
            continue
        old_page_key, old_position, old_spec = old_fields[name]
        keys = sorted(set(spec) | set(old_spec) - {"name"}, key=lambda k: (k not in ("type", "label"), k))
        details = _details(old_spec, spec, keys)
        if old_page_key != page_key:
            details.insert(0, _page_detail(before, old_page_key, after, page_key))
        elif old_position != position:
            details.insert(0, Detail("position", str(old_position + 1), str(position + 1)))
        if details:
            changes.append(Change("changed", "field", name, label, details))
    for name, (page_key, _position, spec) in old_fields.items():
        if name not in new_fields:
            changes.append(
                Change(
                    "removed",
                    "field",
                    name,
                    show(spec.get("label")) or name,
                    [_page_detail(before, page_key, after, "")],
                )
            )
    return changes

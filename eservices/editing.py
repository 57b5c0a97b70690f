"""Edits a communicator makes to a draft definition, as pure functions on its plain data.

A draft may be unfinished (a page without questions, a choice without options): these functions never
check it, they only change it, and always return a new structure so the caller's copy stays as it was.
:func:`eservices.schema.load_definition` says what is still wrong before it can be published.
Pages are addressed by ``key`` and fields by ``name``, never by position, so an edit prepared on a page
that someone else has since reordered still lands on the right thing.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

from eservices.fields import REGISTRY
from eservices.schema import MAX_FIELDS, MAX_PAGES, allowed_values
from eservices.text import FALLBACK, fold

Data = dict[str, Any]


class EditError(ValueError):
    """An edit that cannot be made: ``code`` says why (unknown_page, unknown_field, too_many, unknown_type)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def new_definition(slug: str, title: str, unit: Mapping[str, Any]) -> Data:
    """The smallest draft a communicator starts from: a title and one empty page."""
    return {
        "slug": slug,
        "title": {FALLBACK: title},
        "description": {FALLBACK: ""},
        "category": {FALLBACK: ""},
        "unit": dict(unit),
        "keywords": {},
        "anonymous": False,
        "pages": [{"key": "sida_1", "title": {FALLBACK: "Sida 1"}, "fields": []}],
    }


def machine_name(text: str, taken: set[str], prefix: str = "fraga") -> str:
    """A name for answers to be stored under, made from ``text`` (``Ditt namn`` -> ``ditt_namn``), unused."""
    base = re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")[:40].strip("_")
    if not base or not base[0].isalpha():
        base = f"{prefix}_{base}".strip("_") if base else prefix
    name, number = base, 2
    while name in taken:
        name = f"{base}_{number}"
        number += 1
    return name


def field_names(data: Mapping[str, Any]) -> set[str]:
    return {item.get("name") for _page, item in _fields(data)} - {None}


def page_keys(data: Mapping[str, Any]) -> set[str]:
    return {page.get("key") for page in data.get("pages") or ()} - {None}


def _fields(data: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for page in data.get("pages") or ():
        for item in page.get("fields") or ():
            yield page, item


def find_page(data: Mapping[str, Any], key: str) -> tuple[int, dict[str, Any]]:
    for index, page in enumerate(data.get("pages") or ()):
        if page.get("key") == key:
            return index, page
    raise EditError("unknown_page")


def find_field(data: Mapping[str, Any], name: str) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """The page holding field ``name``, the field's position on it, and the field."""
    for page in data.get("pages") or ():
        for index, item in enumerate(page.get("fields") or ()):
            if item.get("name") == name:
                return page, index, item
    raise EditError("unknown_field")


def _count_fields(data: Mapping[str, Any]) -> int:
    return sum(1 for _ in _fields(data))


def add_page(data: Mapping[str, Any], title: str, after: str | None = None) -> tuple[Data, str]:
    """A new empty page titled ``title``, after page ``after`` (or last); returns the data and the page's key."""
    result = copy.deepcopy(dict(data))
    pages = result.setdefault("pages", [])
    if len(pages) >= MAX_PAGES:
        raise EditError("too_many")
    key = machine_name(title, page_keys(result), prefix="sida")
    position = find_page(result, after)[0] + 1 if after else len(pages)
    pages.insert(position, {"key": key, "title": {FALLBACK: title}, "fields": []})
    return result, key


def _move(items: list[Any], index: int, step: int) -> bool:
    target = index + step
    if not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    return True


def move_page(data: Mapping[str, Any], key: str, step: int) -> Data:
    """Move page ``key`` one place up (``step`` -1) or down (+1); at either end nothing changes."""
    result = copy.deepcopy(dict(data))
    index, _page = find_page(result, key)
    _move(result["pages"], index, step)
    return result


def remove_page(data: Mapping[str, Any], key: str) -> Data:
    result = copy.deepcopy(dict(data))
    index, _page = find_page(result, key)
    del result["pages"][index]
    return result


def duplicate_page(data: Mapping[str, Any], key: str) -> tuple[Data, str]:
    """A copy of page ``key`` right after it, its fields under new names; conditions within it follow the copies."""
    result = copy.deepcopy(dict(data))
    index, page = find_page(result, key)
    if len(result["pages"]) >= MAX_PAGES or _count_fields(result) + len(page.get("fields") or ()) > MAX_FIELDS:
        raise EditError("too_many")
    twin = copy.deepcopy(page)
    twin["key"] = machine_name(str(key), page_keys(result), prefix="sida")
    taken = field_names(result)
    renamed: dict[str, str] = {}
    for item in twin.get("fields") or ():
        new = machine_name(str(item.get("name") or ""), taken)
        taken.add(new)
        renamed[str(item.get("name"))] = new
        item["name"] = new
    for item in twin.get("fields") or ():
        condition = item.get("show_when")
        if isinstance(condition, dict) and condition.get("field") in renamed:
            condition["field"] = renamed[condition["field"]]
        for reference in ("after", "not_before"):
            if item.get(reference) in renamed:
                item[reference] = renamed[item[reference]]
    result["pages"].insert(index + 1, twin)
    return result, twin["key"]


def set_page(data: Mapping[str, Any], key: str, changes: Mapping[str, Any]) -> Data:
    """Set the page's title, intro (None removes) and show_when (None removes)."""
    result = copy.deepcopy(dict(data))
    _index, page = find_page(result, key)
    for name, value in changes.items():
        if value is None:
            page.pop(name, None)
        else:
            page[name] = value
    return result


def default_field(type_name: str, label: str, name: str) -> Data:
    """A new field of ``type_name``: what every field has, and what its type cannot be without."""
    field_type = REGISTRY.get(type_name)
    if field_type is None:
        raise EditError("unknown_type")
    item: Data = {"name": name, "type": type_name}
    if field_type.has_input:
        item["label"] = {FALLBACK: label}
        item["required"] = field_type.always_required or type_name not in ("file",)
    elif label:
        item["label"] = {FALLBACK: label}
    if field_type.needs_options:
        item["options"] = []
    if type_name == "info":
        item["text"] = {FALLBACK: ""}
    if type_name == "consent":
        item["notice"] = {FALLBACK: ""}
    return item


def add_field(data: Mapping[str, Any], page_key: str, type_name: str, label: str) -> tuple[Data, str]:
    """A new field last on page ``page_key``; returns the data and the field's name (made from the label)."""
    result = copy.deepcopy(dict(data))
    _index, page = find_page(result, page_key)
    if _count_fields(result) >= MAX_FIELDS:
        raise EditError("too_many")
    name = machine_name(label, field_names(result))
    page.setdefault("fields", []).append(default_field(type_name, label, name))
    return result, name


def move_field(data: Mapping[str, Any], name: str, step: int) -> Data:
    """Move field ``name`` one place up or down; past the top or bottom of its page it moves to the page before
    or after (last there, or first), so any order can be reached with the two buttons."""
    result = copy.deepcopy(dict(data))
    page, index, item = find_field(result, name)
    fields = page["fields"]
    if _move(fields, index, step):
        return result
    pages = result["pages"]
    page_index = next(i for i, p in enumerate(pages) if p is page)
    target = page_index + step
    if not 0 <= target < len(pages):
        return result
    del fields[index]
    neighbour = pages[target].setdefault("fields", [])
    if step < 0:
        neighbour.append(item)
    else:
        neighbour.insert(0, item)
    return result


def remove_field(data: Mapping[str, Any], name: str) -> Data:
    result = copy.deepcopy(dict(data))
    page, index, _item = find_field(result, name)
    del page["fields"][index]
    return result


def duplicate_field(data: Mapping[str, Any], name: str) -> tuple[Data, str]:
    result = copy.deepcopy(dict(data))
    page, index, item = find_field(result, name)
    if _count_fields(result) >= MAX_FIELDS:
        raise EditError("too_many")
    twin = copy.deepcopy(item)
    twin["name"] = machine_name(name, field_names(result))
    page["fields"].insert(index + 1, twin)
    return result, twin["name"]


def replace_field(data: Mapping[str, Any], name: str, new: Mapping[str, Any]) -> Data:
    """Put ``new`` where field ``name`` is; when it is renamed, conditions and date references follow."""
    result = copy.deepcopy(dict(data))
    page, index, _item = find_field(result, name)
    page["fields"][index] = dict(new)
    renamed = new.get("name")
    if renamed != name:
        for _page, other in _fields(result):
            condition = other.get("show_when")
            if isinstance(condition, dict) and condition.get("field") == name:
                condition["field"] = renamed
            for reference in ("after", "not_before"):
                if other.get(reference) == name:
                    other[reference] = renamed
        for other_page in result.get("pages") or ():
            condition = other_page.get("show_when")
            if isinstance(condition, dict) and condition.get("field") == name:
                condition["field"] = renamed
    return result


def condition_targets(
    data: Mapping[str, Any], before_field: str | None = None, before_page: str | None = None
) -> list[tuple[dict[str, Any], list[str]]]:
    """The fields a condition may look at, with the answers each can have: those that come before the given
    field (or page), and whose answers are a fixed set (choices, yes/no, consent)."""
    targets = []
    for page in data.get("pages") or ():
        if before_page is not None and page.get("key") == before_page:
            break
        for item in page.get("fields") or ():
            if before_field is not None and item.get("name") == before_field:
                return targets
            field_type = REGISTRY.get(item.get("type"))
            values = allowed_values(field_type, item.get("options") or ()) if field_type else None
            if values:
                targets.append((item, list(values)))
    return targets


def set_text(data: Mapping[str, Any], path: str, language: str, text: str) -> Data:
    """Set the ``language`` text at ``path`` (as :func:`eservices.schema.localized_texts` names it); an empty
    text removes the translation (never the Swedish, which is set to empty instead)."""
    result = copy.deepcopy(dict(data))
    node: Any = result
    parts = re.findall(r"([a-z_]+)(?:\[(\d+)\])?", path)
    if not parts:
        raise EditError("unknown_text")
    for position, (key, index) in enumerate(parts):
        last = position == len(parts) - 1
        if not isinstance(node, dict) or key not in node:
            raise EditError("unknown_text")
        if last and not index:
            value = node[key]
            value = {FALLBACK: value} if isinstance(value, str) else dict(value or {})
            if text or language == FALLBACK:
                value[language] = text
            else:
                value.pop(language, None)
            node[key] = value
            return result
        node = node[key]
        if index:
            if not isinstance(node, list) or int(index) >= len(node):
                raise EditError("unknown_text")
            node = node[int(index)]
    raise EditError("unknown_text")

"""The form definition format: load a definition from data, check it whole, and answer questions about it.

A definition is plain data (a YAML file in ``forms/``, or the same structure edited in the studio and
stored as JSON). :func:`load_definition` checks all of it and either returns a :class:`FormDefinition`
or raises :class:`DefinitionError` listing every problem with its path (``pages[1].fields[3].type``), so
nothing half-checked is ever used. ``forms/README.md`` documents the format for people.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from eservices.fields import REGISTRY, FieldType
from eservices.problems import Problem
from eservices.text import FALLBACK, fold, localize

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")

FORM_KEYS = {
    "slug",
    "title",
    "description",
    "easy_read",
    "category",
    "unit",
    "keywords",
    "anonymous",
    "contact",
    "next_steps",
    "retention_years",
    "pages",
}
#: Bounds no real form comes near; they keep a crafted or mistaken definition from exhausting the server.
MAX_PAGES = 50
MAX_FIELDS = 400
MAX_OPTIONS = 300
#: Keys under which a field keeps localized text (besides options' labels).
FIELD_TEXT_KEYS = ("label", "help", "notice", "text", "unit")
#: Top-level localized texts, in the order a communicator meets them.
FORM_TEXT_KEYS = ("title", "description", "category", "contact", "next_steps")
UNIT_KEYS = {"key", "name"}
PAGE_KEYS = {"key", "title", "intro", "show_when", "fields"}
FIELD_KEYS = {"name", "type", "label", "help", "required", "options", "show_when"}
CONDITION_KEYS = {"field", "equals", "in"}


class DefinitionError(ValueError):
    """A definition that cannot be used; ``problems`` lists every ``(path, message)`` found."""

    def __init__(self, source: str, problems: Sequence[tuple[str, str]]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  {path}: {message}" for path, message in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s) in the form definition\n{lines}")


@dataclass(frozen=True)
class Condition:
    """Shown only when the answer to ``field`` is one of ``values`` (for several ticked boxes: contains one)."""

    field: str
    values: tuple[Any, ...]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        answer = answers.get(self.field)
        if isinstance(answer, list):
            return any(value in self.values for value in answer)
        return answer is not None and answer in self.values


@dataclass(frozen=True)
class Field:
    """One question (or information text) of a page; ``spec`` is its definition as given."""

    name: str
    type: FieldType
    spec: Mapping[str, Any]
    show_when: Condition | None

    @property
    def required(self) -> bool:
        return bool(self.spec.get("required", False)) or self.type.always_required

    def label(self, locale: str) -> str:
        return localize(self.spec.get("label"), locale)

    def help(self, locale: str) -> str:
        return localize(self.spec.get("help"), locale)


@dataclass(frozen=True)
class Page:
    key: str
    title: Mapping[str, str]
    intro: Mapping[str, str] | None
    fields: tuple[Field, ...]
    show_when: Condition | None


@dataclass(frozen=True)
class FormDefinition:
    """A checked definition. ``data`` is the plain form, as stored and as given to :func:`load_definition`."""

    data: Mapping[str, Any]
    pages: tuple[Page, ...]
    fields: Mapping[str, Field] = field(repr=False)

    @property
    def slug(self) -> str:
        return str(self.data["slug"])

    def text(self, key: str, locale: str) -> str:
        """A localized top-level text (title, description, category, contact, next_steps) in ``locale``."""
        return localize(self.data.get(key), locale)

    def keywords(self, locale: str) -> list[str]:
        words = self.data.get("keywords") or {}
        language = locale.split("-")[0].split("_")[0]
        return list(words.get(language) or words.get(FALLBACK) or [])

    def search_text(self, locale: str) -> str:
        """Title, description and keywords in ``locale``, folded for case- and diacritic-free search."""
        return fold(" ".join([self.text("title", locale), self.text("description", locale), *self.keywords(locale)]))

    def translated_into(self, locale: str) -> bool:
        """Whether every text residents read (title, description, pages, questions, options) exists in ``locale``."""
        return not missing_translations(self.data, locale)

    def languages(self) -> list[str]:
        """The languages the title is given in, Swedish first."""
        others = sorted(code for code in self.data["title"] if code != FALLBACK)
        return [FALLBACK, *others]

    def labels(self) -> dict[str, Mapping[str, str]]:
        """Every field's localized label, by field name."""
        return {name: f.spec.get("label") or {} for name, f in self.fields.items()}


def localized_texts(data: Mapping[str, Any]) -> list[tuple[str, Mapping[str, str]]]:
    """Every localized text of a plain definition as ``(path, text)``, in reading order.

    Paths are written as the loader writes them (``pages[0].fields[2].options[1].label``), so a problem
    and the text it concerns can be put side by side. The unit's name is left out: it belongs to the unit.
    Works on drafts that do not load yet, skipping what is not shaped like text.
    """
    found: list[tuple[str, Mapping[str, str]]] = []

    def add(path: str, value: Any) -> None:
        if isinstance(value, str):
            value = {FALLBACK: value}
        if isinstance(value, Mapping):
            found.append((path, value))

    for key in FORM_TEXT_KEYS:
        if data.get(key) is not None:
            add(key, data[key])
    for p, page in enumerate(_list(data.get("pages"))):
        if not isinstance(page, Mapping):
            continue
        add(f"pages[{p}].title", page.get("title"))
        if page.get("intro") is not None:
            add(f"pages[{p}].intro", page["intro"])
        for f, item in enumerate(_list(page.get("fields"))):
            if not isinstance(item, Mapping):
                continue
            for key in FIELD_TEXT_KEYS:
                if item.get(key) is not None:
                    add(f"pages[{p}].fields[{f}].{key}", item[key])
            for o, option in enumerate(_list(item.get("options"))):
                if isinstance(option, Mapping):
                    add(f"pages[{p}].fields[{f}].options[{o}].label", option.get("label"))
    return found


def missing_translations(data: Mapping[str, Any], locale: str) -> list[str]:
    """The paths of texts that have Swedish but nothing in ``locale``'s language."""
    language = locale.split("-")[0].split("_")[0]
    if language == FALLBACK:
        return []
    return [path for path, text in localized_texts(data) if text.get(FALLBACK) and not text.get(language)]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


#: PyYAML's safe loader in C (libyaml, in PyYAML's wheels) where it is there: the same YAML read about ten times
#: faster than the pure-Python one, which matters when every bundled form is read at each `forms load`
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_file(path: Path | str) -> FormDefinition:
    """Load and check the YAML definition in ``path``; errors name the file."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        raise DefinitionError(str(path), [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(str(path), [("file", f"cannot be read: {exc}")]) from None
    return load_definition(data, str(path))


def load_definition(data: Any, source: str = "<definition>") -> FormDefinition:
    """Check ``data`` whole and build the definition; raises :class:`DefinitionError` listing all problems."""
    checker = _Checker()
    definition = checker.form(data)
    if checker.problems or definition is None:
        raise DefinitionError(source, checker.problems)
    return definition


class _Checker:
    """Walks a definition once, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def keys(self, data: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                self.problem(
                    f"{path}.{key}" if path else str(key),
                    Problem("unknown_key", "unknown key; expected one of " + ", ".join(sorted(allowed)), key=key),
                )

    def localized(self, value: Any, path: str, required: bool = True) -> Mapping[str, str] | None:
        if value is None:
            if required:
                self.problem(path, Problem("swedish_required", "is required, with Swedish text (sv)"))
            return None
        if isinstance(value, str):
            value = {FALLBACK: value}
        if not isinstance(value, Mapping):
            self.problem(path, Problem("not_localized", "must be text per language, e.g. {sv: ..., en: ...}"))
            return None
        for code, text in value.items():
            if not isinstance(code, str) or not LANGUAGE.match(code):
                self.problem(f"{path}.{code}", Problem("bad_language", "is not a language code such as sv or en"))
            elif not isinstance(text, str):
                self.problem(f"{path}.{code}", Problem("not_text", "must be text"))
        if not isinstance(value.get(FALLBACK), str) or not value[FALLBACK].strip():
            self.problem(f"{path}.{FALLBACK}", Problem("swedish_required", "Swedish text is required"))
        return {code: text.strip() for code, text in value.items() if isinstance(text, str)}

    def form(self, data: Any) -> FormDefinition | None:
        if not isinstance(data, Mapping):
            self.problem("(top)", Problem("not_a_form", "must be a mapping with slug, title, pages ..."))
            return None
        self.keys(data, FORM_KEYS, "")
        plain: dict[str, Any] = {}
        slug = data.get("slug")
        if not isinstance(slug, str) or not SLUG.match(slug):
            self.problem(
                "slug",
                Problem("bad_slug", "is required: lower-case letters, digits and hyphens, e.g. felanmalan-gata"),
            )
        plain["slug"] = slug
        for key in ("title", "description", "category"):
            plain[key] = self.localized(data.get(key), key)
        for key in ("contact", "next_steps"):
            if data.get(key) is not None:
                plain[key] = self.localized(data.get(key), key)
        # Easy-to-read Swedish (lättläst): one text, in Swedish only, by definition.
        easy_read = data.get("easy_read")
        if easy_read is not None:
            if not isinstance(easy_read, str) or not easy_read.strip():
                self.problem(
                    "easy_read", Problem("not_text", "must be text: the e-service described in easy-to-read Swedish")
                )
            else:
                plain["easy_read"] = easy_read.strip()
        plain["unit"] = self.unit(data.get("unit"))
        plain["keywords"] = self.keywords(data.get("keywords"))
        anonymous = data.get("anonymous", False)
        if not isinstance(anonymous, bool):
            self.problem("anonymous", Problem("not_boolean", "must be true or false"))
        plain["anonymous"] = anonymous
        retention = data.get("retention_years")
        if retention is not None:
            if not isinstance(retention, int) or isinstance(retention, bool) or not 1 <= retention <= 100:
                self.problem("retention_years", Problem("bad_retention", "must be a whole number of years, 1 to 100"))
            plain["retention_years"] = retention
        pages_data = data.get("pages")
        if not isinstance(pages_data, list) or not pages_data:
            self.problem("pages", Problem("no_pages", "is required: a list with at least one page"))
            return None
        if len(pages_data) > MAX_PAGES:
            self.problem("pages", Problem("too_many_pages", f"at most {MAX_PAGES} pages", limit=MAX_PAGES))
            return None
        count = sum(
            len(page["fields"]) for page in pages_data if isinstance(page, Mapping) and _list(page.get("fields"))
        )
        if count > MAX_FIELDS:
            self.problem("pages", Problem("too_many_fields", f"at most {MAX_FIELDS} fields in all", limit=MAX_FIELDS))
            return None
        fields: dict[str, Field] = {}
        pages = []
        plain["pages"] = []
        page_keys: set[str] = set()
        for index, page_data in enumerate(pages_data):
            page = self.page(page_data, f"pages[{index}]", fields, page_keys)
            if page is not None:
                pages.append(page[0])
                plain["pages"].append(page[1])
        if self.problems:
            return None
        return FormDefinition(data=plain, pages=tuple(pages), fields=fields)

    def unit(self, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            self.problem("unit", Problem("no_unit", "is required: {key: ..., name: {sv: ...}}"))
            return None
        self.keys(value, UNIT_KEYS, "unit")
        if not isinstance(value.get("key"), str) or not SLUG.match(value["key"]):
            self.problem("unit.key", Problem("no_unit", "is required: lower-case letters, digits and hyphens"))
        return {"key": value.get("key"), "name": self.localized(value.get("name"), "unit.name")}

    def keywords(self, value: Any) -> dict[str, list[str]]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problem(
                "keywords", Problem("bad_keywords", "must be a list of words per language, e.g. {sv: [...], en: [...]}")
            )
            return {}
        result = {}
        for code, words in value.items():
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                self.problem(f"keywords.{code}", Problem("bad_keywords", "must be a list of words"))
                continue
            result[code] = [w.strip() for w in words]
        return result

    def condition(self, value: Any, path: str, fields: Mapping[str, Field]) -> Condition | None:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.problem(
                path,
                Problem("bad_condition", "must be {field: <name>, equals: <value>} or {field: <name>, in: [...]}"),
            )
            return None
        self.keys(value, CONDITION_KEYS, path)
        target = value.get("field")
        if not isinstance(target, str) or target not in fields:
            self.problem(
                f"{path}.field", Problem("condition_unknown_field", f"names no earlier field: {target!r}", field=target)
            )
            return None
        if ("equals" in value) == ("in" in value):
            self.problem(path, Problem("bad_condition", "needs exactly one of equals or in"))
            return None
        if "in" in value and (not isinstance(value["in"], list) or not value["in"]):
            self.problem(f"{path}.in", Problem("bad_condition", "must be a list of at least one answer, e.g. [a, b]"))
            return None
        if not fields[target].type.has_input:
            self.problem(
                f"{path}.field",
                Problem("condition_on_info", f"{target!r} asks nothing, so no answer can show this", field=target),
            )
            return None
        values = tuple(value["in"]) if "in" in value else (value.get("equals"),)
        allowed = allowed_values(fields[target].type, fields[target].spec.get("options") or ())
        for wanted in values:
            if not isinstance(wanted, str):
                self.problem(
                    path, Problem("bad_condition", f'{wanted!r} must be written as text in quotes, e.g. "yes" or "0"')
                )
            elif allowed is not None and wanted not in allowed:
                self.problem(
                    path,
                    Problem(
                        "condition_unknown_answer",
                        f"{wanted!r} is not an answer {target!r} can have; expected one of {sorted(allowed)}",
                        field=target,
                        answer=wanted,
                    ),
                )
        return Condition(field=target, values=values)

    def page(
        self, data: Any, path: str, fields: dict[str, Field], page_keys: set[str]
    ) -> tuple[Page, dict[str, Any]] | None:
        if not isinstance(data, Mapping):
            self.problem(path, Problem("not_a_page", "must be a mapping with key, title and fields"))
            return None
        self.keys(data, PAGE_KEYS, path)
        key = data.get("key")
        if not isinstance(key, str) or not NAME.match(key):
            self.problem(f"{path}.key", Problem("bad_name", "is required: lower-case letters, digits and _"))
        elif key in page_keys:
            self.problem(f"{path}.key", Problem("duplicate_page", f"{key!r} is used by another page", name=key))
        page_keys.add(str(key))
        title = self.localized(data.get("title"), f"{path}.title")
        intro = self.localized(data.get("intro"), f"{path}.intro", required=False)
        show_when = self.condition(data.get("show_when"), f"{path}.show_when", fields)
        field_list = data.get("fields")
        if not isinstance(field_list, list) or not field_list:
            self.problem(f"{path}.fields", Problem("empty_page", "the page has no fields"))
            field_list = []
        page_fields = []
        plain_fields = []
        for index, field_data in enumerate(field_list):
            built = self.field(field_data, f"{path}.fields[{index}]", fields)
            if built is not None:
                page_fields.append(built)
                plain_fields.append(dict(built.spec))
        plain = {"key": key, "title": title, "fields": plain_fields}
        if intro:
            plain["intro"] = intro
        if isinstance(data.get("show_when"), Mapping):
            plain["show_when"] = dict(data["show_when"])
        return Page(key=str(key), title=title or {}, intro=intro, fields=tuple(page_fields), show_when=show_when), plain

    def field(self, data: Any, path: str, fields: dict[str, Field]) -> Field | None:
        if not isinstance(data, Mapping):
            self.problem(path, Problem("not_a_field", "must be a mapping with name, type and label"))
            return None
        type_name = data.get("type")
        field_type = REGISTRY.get(type_name) if isinstance(type_name, str) else None
        if field_type is None:
            self.problem(
                f"{path}.type",
                Problem(
                    "unknown_type",
                    f"unknown field type {type_name!r}; expected one of " + ", ".join(sorted(REGISTRY)),
                    type=str(type_name),
                ),
            )
            return None
        self.keys(data, FIELD_KEYS | set(field_type.settings), path)
        name = data.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            self.problem(
                f"{path}.name",
                Problem("bad_name", "is required: lower-case letters, digits and _, starting with a letter"),
            )
            return None
        if name in fields:
            self.problem(
                f"{path}.name", Problem("duplicate_field", f"{name!r} is already the name of another field", name=name)
            )
            return None
        # YAML reads an unquoted 2026-01-01 as a date; definitions are stored as JSON, so keep it as text.
        spec: dict[str, Any] = {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in data.items()
            if key in field_type.settings
        }
        spec.update(name=name, type=type_name)
        if field_type.has_input or data.get("label") is not None:
            spec["label"] = self.localized(data.get("label"), f"{path}.label")
        if data.get("help") is not None:
            spec["help"] = self.localized(data.get("help"), f"{path}.help")
        for key in ("notice", "text", "unit"):
            if key in spec:
                spec[key] = self.localized(spec[key], f"{path}.{key}")
        required = data.get("required", field_type.always_required)
        if not isinstance(required, bool):
            self.problem(f"{path}.required", Problem("not_boolean", "must be true or false"))
        spec["required"] = required
        if field_type.needs_options:
            spec["options"] = self.options(data.get("options"), f"{path}.options")
        elif "options" in data:
            self.problem(f"{path}.options", Problem("options_not_allowed", f"a {type_name} field has no options"))
        for reference in ("after", "not_before"):
            other = spec.get(reference)
            if other is not None and (
                not isinstance(other, str) or other not in fields or fields[other].type.name != "date"
            ):
                self.problem(
                    f"{path}.{reference}",
                    Problem("unknown_date_field", f"names no earlier date field: {other!r}", field=str(other)),
                )
        for problem in field_type.check(spec, path):
            self.problem(*problem)
        show_when = self.condition(data.get("show_when"), f"{path}.show_when", fields)
        if isinstance(data.get("show_when"), Mapping):
            spec["show_when"] = dict(data["show_when"])
        built = Field(name=name, type=field_type, spec=spec, show_when=show_when)
        fields[name] = built
        return built

    def options(self, value: Any, path: str) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not value:
            self.problem(path, Problem("no_options", "a choice needs at least one option"))
            return []
        if len(value) > MAX_OPTIONS:
            self.problem(path, Problem("too_many_options", f"at most {MAX_OPTIONS} options", limit=MAX_OPTIONS))
            return []
        result = []
        seen: set[str] = set()
        for index, option in enumerate(value):
            option_path = f"{path}[{index}]"
            if not isinstance(option, Mapping) or not isinstance(option.get("value"), str):
                self.problem(option_path, Problem("bad_option", "must be {value: <text>, label: {sv: ...}}"))
                continue
            self.keys(option, {"value", "label"}, option_path)
            if option["value"] in seen:
                self.problem(
                    f"{option_path}.value",
                    Problem(
                        "duplicate_option", f"{option['value']!r} is used by another option", value=option["value"]
                    ),
                )
            seen.add(option["value"])
            result.append(
                {
                    "value": option["value"],
                    "label": self.localized(option.get("label"), f"{option_path}.label"),
                }
            )
        return result


def allowed_values(field_type: FieldType, options: Sequence[Any] = ()) -> tuple[str, ...] | None:
    """The answers a field of ``field_type`` can have when they are a fixed set, in the order it offers them:
    its ``options``' values (entries that are not yet a whole option, as in an unfinished draft, are skipped),
    yes and no, or yes alone for a consent. None for a field whose answers are free (text, dates, numbers ...).
    Conditions may only name these answers."""
    if field_type.needs_options:
        return tuple(
            option["value"]
            for option in options
            if isinstance(option, Mapping) and isinstance(option.get("value"), str)
        )
    if field_type.name == "yesno":
        return ("yes", "no")
    if field_type.name == "consent":
        return ("yes",)
    return None

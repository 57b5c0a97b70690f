"""Properties of the core that must hold for every definition and every input, checked with Hypothesis.

The strategies below generate form definitions as plain data (every field type, random but valid
settings, conditions on earlier fields), break them in ways communicators do, and type at every field
what residents type: any Unicode, control characters, very long strings, right-to-left text, digits of
other scripts, stray white space. The properties are the contracts written in the core's docstrings:

- ``load_definition`` returns a definition or raises ``DefinitionError`` naming the problem, nothing else;
- ``parse`` returns a canonical, JSON-able value or raises ``FieldError``; ``parse(to_form(v)) == v``;
  ``display`` shows every accepted value in every language;
- ``validate_page``/``validate_answers`` never raise, use only the error codes the core defines and never
  keep an answer to a question that is hidden;
- accepted values respect the field's limits.

Every test lives on the fixed day :data:`TODAY`.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st

import eservices
from eservices.fields import REGISTRY, Context, FieldError, Upload
from eservices.fields.date import resolve_limit
from eservices.schema import DefinitionError, Field, FormDefinition, Page, load_definition
from eservices.validation import REMOVE_SUFFIX, page_visible, prune, validate_answers, validate_page

#: A Friday, as in the rest of the unit tier: no edge of a month or a year.
TODAY = date(2026, 11, 27)
LOCALES = ("sv", "en", "ar", "fi")
TYPES = sorted(REGISTRY)
Draw = Callable[[st.SearchStrategy[Any]], Any]


def budget(examples: int) -> settings:
    """Settings for one property: a fixed number of examples, no per-example deadline, reproducible failures."""
    return settings(
        max_examples=examples,
        deadline=None,
        print_blob=True,
        # No explain phase: on these large inputs it takes longer than the shrinking itself.
        phases=[phase for phase in Phase if phase is not Phase.explain],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def identity(message: str) -> str:
    return message


# --------------------------------------------------------------------------------------------------
# The error codes the core defines, read from its source.
# --------------------------------------------------------------------------------------------------


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def collect_error_codes() -> tuple[frozenset[str], list[str]]:
    """Every code a ``FieldError`` can carry, from ``FieldError("...")`` calls and ``required_code`` settings.

    A code given as a loop variable (``for key, code in ((..., "date_before"), ...)``) is resolved from the
    loop; any other first argument is returned as unresolved, so a new way of raising cannot slip past.
    """
    codes: set[str] = set()
    unresolved: list[str] = []
    for path in sorted(Path(eservices.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        loop_values: dict[str, set[str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.For) and isinstance(node.target, ast.Tuple) and isinstance(node.iter, ast.Tuple):
                for position, target in enumerate(node.target.elts):
                    if isinstance(target, ast.Name):
                        for row in node.iter.elts:
                            if isinstance(row, ast.Tuple) and position < len(row.elts):
                                loop_values.setdefault(target.id, set()).update(_strings(row.elts[position]))
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == "required_code" for t in targets) and node.value:
                    codes.update(_strings(node.value))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "FieldError"):
                continue
            if not node.args:
                unresolved.append(f"{path.name}:{node.lineno}")
                continue
            first = node.args[0]
            if isinstance(first, ast.Name):
                found = loop_values.get(first.id, set())
            elif isinstance(first, ast.Attribute) and first.attr == "required_code":
                found = {"required"}  # the base class's; subclasses' are collected above
            else:
                found = _strings(first)
            if not found:
                unresolved.append(f"{path.name}:{node.lineno}: {ast.unparse(first)}")
            codes.update(found)
    return frozenset(codes), unresolved


ERROR_CODES, UNRESOLVED_CODES = collect_error_codes()


def test_every_error_code_is_collected_from_the_source() -> None:
    assert not UNRESOLVED_CODES, f"FieldError raised with a code this test cannot read: {UNRESOLVED_CODES}"
    # A few codes of each way of raising, so a broken collector cannot pass as an empty set.
    assert {"required", "consent_required", "invalid_choice", "date_before", "date_not_after"} <= ERROR_CODES
    assert {"whole_number_required", "too_many_decimals", "file_too_large", "invalid_personnummer"} <= ERROR_CODES


# --------------------------------------------------------------------------------------------------
# Text residents type.
# --------------------------------------------------------------------------------------------------

WHITESPACE_CHARS = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2009\u2028\u2029\u202f\u205f\u3000"
WHITESPACE = st.text(st.sampled_from(WHITESPACE_CHARS), min_size=1, max_size=6)
PADDING = st.one_of(st.just(""), WHITESPACE)
CONTROL_TEXT = st.text(st.characters(categories=("Cc", "Cf", "Zs", "Zl", "Zp")), min_size=1, max_size=12)
#: Hebrew, Arabic, Syriac, Thaana: letters, marks, Arabic-Indic digits and the bidi controls around them
RTL_TEXT = st.text(
    st.one_of(
        st.characters(min_codepoint=0x0590, max_codepoint=0x07BF, exclude_categories=("Cs",)),
        st.sampled_from("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    ),
    min_size=1,
    max_size=24,
)
OTHER_DIGITS = st.text(st.characters(categories=("Nd",)), min_size=1, max_size=14)
LONG_TEXT = st.builds(lambda piece, times: piece * times, st.text(min_size=1, max_size=6), st.integers(40, 3000))
MIXED_TEXT = st.lists(
    st.one_of(st.text(max_size=10), CONTROL_TEXT, RTL_TEXT, OTHER_DIGITS, WHITESPACE), min_size=1, max_size=5
).map("".join)
ARBITRARY = st.one_of(st.text(), CONTROL_TEXT, RTL_TEXT, OTHER_DIGITS, WHITESPACE, LONG_TEXT, MIXED_TEXT)

DIGIT_SCRIPTS = ("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९", "０１２３４５６７８９")


@st.composite
def in_some_script(draw: Draw, text: str) -> str:
    """``text`` with its ASCII digits as typed on an Arabic, Persian, Devanagari or full-width keyboard."""
    if draw(st.integers(0, 2)):
        return text
    return text.translate(str.maketrans("0123456789", draw(st.sampled_from(DIGIT_SCRIPTS))))


def luhn(digits: str) -> int:
    """The Luhn check digit (weights 2, 1, 2, ...) of ``digits``: Skatteverket's, written out independently."""
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 - index % 2)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    return separator.join([digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))])


@st.composite
def number_texts(draw: Draw, spec: Mapping[str, Any]) -> str:
    """Numbers as people write them: signs, grouping, decimal comma, units, ``:-``; near the limits too."""
    limits = [Decimal(str(spec[key])) for key in ("min", "max") if key in spec]
    kind = draw(st.integers(0, 9))
    if kind == 0 and limits:
        near = draw(st.sampled_from(limits)) + draw(st.decimals(-2, 2, places=draw(st.integers(0, 7))))
        return format(near, "f")
    if kind == 1:
        # Long digit strings: a pasted account number, a stuck key (longer ones: see the test below).
        return draw(st.sampled_from(["", "-"])) + "1" + "0" * draw(st.integers(0, 10**4))
    whole = str(draw(st.one_of(st.integers(0, 10**7), st.integers(0, 10**40))))
    separator = draw(st.sampled_from(["", "", " ", "\u00a0", "\u202f", "\u2009", "'"]))
    if separator:
        whole = _group(whole, separator)
    fraction = draw(st.one_of(st.just(""), st.text(st.sampled_from("0123456789"), min_size=1, max_size=9)))
    point = draw(st.sampled_from([",", "."]))
    units = [unit for unit in (spec.get("unit") or {}).values() if unit]
    suffix = draw(st.sampled_from(["", "", ":-", "kr", *units]))
    text = draw(st.sampled_from(["", "-", "+", "\u2212"])) + whole + (point + fraction if fraction else "")
    text += draw(st.sampled_from(["", " "])) + suffix if suffix else ""
    return draw(in_some_script(text))


def _limit_days(spec: Mapping[str, Any]) -> list[date]:
    return [d for d in (resolve_limit(spec.get(key), TODAY) for key in ("min", "max")) if d is not None]


@st.composite
def date_texts(draw: Draw, spec: Mapping[str, Any]) -> str:
    """Dates as ``<input type=date>`` sends them and as people type them; impossible ones too."""
    limits = _limit_days(spec)
    kind = draw(st.integers(0, 9))
    if kind == 0:
        year, month, day = draw(st.tuples(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)))
        return draw(st.sampled_from([f"{year:04d}-{month:02d}-{day:02d}", f"{day}.{month}.{year:04d}"]))
    if kind == 1 and limits:
        base = draw(st.sampled_from(limits))
        with contextlib.suppress(OverflowError):
            base += timedelta(days=draw(st.integers(-2, 2)))
        day_ = base
    elif kind == 2:
        day_ = draw(st.dates())
    else:
        day_ = TODAY + timedelta(days=draw(st.integers(-800, 800)))
    y, m, d = day_.year, day_.month, day_.day
    text = draw(
        st.sampled_from(
            [
                day_.isoformat(),
                day_.isoformat(),
                f"{y:04d}{m:02d}{d:02d}",
                f"{y:04d}-{m}-{d}",
                f"{d}.{m}.{y:04d}",
                f"{d:02d}/{m:02d}/{y:04d}",
            ]
        )
    )
    return draw(in_some_script(text))


#: Characters whose lower case is longer than they are (U+0130) or that are not ASCII at all.
EMAIL_LOCAL = "abcXYZ09_+'İé"
EMAIL_DOMAIN = "aZ0İé"


def runs(alphabet: str, longest: int) -> st.SearchStrategy[str]:
    """Text made of runs of one character each: long strings that stay close to a valid shape."""
    run = st.builds(lambda char, count: char * count, st.sampled_from(alphabet), st.integers(1, longest))
    return st.lists(run, min_size=1, max_size=3).map("".join)


@st.composite
def email_texts(draw: Draw) -> str:
    """Addresses of every length, most of a valid shape; some broken in one place."""
    local = draw(runs(EMAIL_LOCAL, 30))
    labels = draw(st.lists(st.one_of(runs(EMAIL_DOMAIN, 20), runs(EMAIL_DOMAIN, 250)), min_size=1, max_size=3))
    text = local + "@" + ".".join([*labels, draw(st.sampled_from(["se", "nu", "SE", "İİ"]))])
    if draw(st.integers(0, 3)) == 0:
        position = draw(st.integers(0, len(text)))
        flaw = draw(st.sampled_from(["", " ", ".", "..", "-", "@", "(", "\u00a0"]))
        text = text[:position] + flaw + text[position:]
    return text


@st.composite
def phone_texts(draw: Draw) -> str:
    prefix = draw(st.sampled_from(["0", "0", "+46", "+46 ", "0046", "+46 (0)", "+46 0", "00", "+47", ""]))
    # Zeros typed once too often: "+46 070 ...", "0 08-...".
    zeros = draw(st.sampled_from(["", "", "0", "00"]))
    digits = zeros + draw(st.text(st.sampled_from("0123456789"), min_size=4, max_size=11))
    separator = draw(st.sampled_from(["", " ", "-", "\u2013", "/", "."]))
    return draw(in_some_script(prefix + _group(digits, separator) if separator else prefix + digits))


@st.composite
def postnummer_texts(draw: Draw) -> str:
    prefix = draw(st.sampled_from(["", "", "SE-", "SE", "S-", "se-", "SE "]))
    digits = draw(st.text(st.sampled_from("0123456789"), min_size=4, max_size=6))
    middle = draw(st.sampled_from(["", " ", "\u00a0", "-"]))
    return draw(in_some_script(prefix + digits[:3] + middle + digits[3:]))


@st.composite
def personnummer_texts(draw: Draw) -> str:
    born = draw(st.one_of(st.dates(date(1890, 1, 1), TODAY + timedelta(days=30)), st.dates()))
    day = born.day + (60 if draw(st.integers(0, 3)) == 0 else 0)
    yymmdd = f"{born.year % 100:02d}{born.month:02d}{day:02d}"
    serial = draw(st.text(st.sampled_from("0123456789"), min_size=3, max_size=3))
    check = draw(st.one_of(st.just(luhn(yymmdd + serial)), st.integers(0, 9)))
    last4 = f"{serial}{check}"
    separator = draw(st.sampled_from(["-", "", "+", "\u2013", " - ", " "]))
    century = f"{born.year // 100:02d}" if draw(st.booleans()) else ""
    return draw(in_some_script(century + yymmdd + separator + last4))


def plausible(item: Field) -> st.SearchStrategy[list[str]]:
    """What a resident plausibly sends for ``item``: often valid, often close to valid, sometimes anything."""
    kind, spec = item.type.name, item.spec
    options = [option["value"] for option in spec.get("options") or ()]
    if kind == "multichoice":
        return st.lists(st.one_of(st.sampled_from(options), ARBITRARY), min_size=1, max_size=len(options) + 2)
    one: st.SearchStrategy[str] = {
        "choice": st.sampled_from(options or ["x"]),
        "yesno": st.sampled_from(["yes", "no", "Yes", "ja"]),
        "consent": st.sampled_from(["yes", "yes", "no", "on"]),
        "number": number_texts(spec),
        "date": date_texts(spec),
        "email": email_texts(),
        "phone": phone_texts(),
        "postnummer": postnummer_texts(),
        "personnummer": personnummer_texts(),
    }.get(kind, ARBITRARY)
    return st.lists(st.one_of(one, one, one, ARBITRARY), min_size=1, max_size=2)


# --------------------------------------------------------------------------------------------------
# Files residents upload.
# --------------------------------------------------------------------------------------------------

MAGIC = {
    "pdf": b"%PDF-1.7\n",
    "png": b"\x89PNG\r\n\x1a\n",
    "jpeg": b"\xff\xd8\xff\xe0",
    "gif": b"GIF89a",
    "webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    "heic": b"\x00\x00\x00\x18ftypheic",
}
MIME = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
}
FILE_KEYS = {"filename", "size", "sha256", "content_type"}
FILENAMES = st.one_of(
    ARBITRARY,
    st.sampled_from(["", "foto.jpg", "../../etc/passwd", "C:\\Users\\a\\intyg.pdf", " . ", "faktura\u202egpj.exe"]),
)
CONTENTS = st.one_of(
    st.binary(max_size=40),
    st.builds(lambda head, tail: head + tail, st.sampled_from(list(MAGIC.values())), st.binary(max_size=40)),
    st.builds(lambda head, size: head + bytes(size), st.sampled_from(list(MAGIC.values())), st.integers(0, 60_000)),
)
UPLOADS = st.builds(Upload, filename=FILENAMES, content=CONTENTS)


# --------------------------------------------------------------------------------------------------
# Form definitions as plain data.
# --------------------------------------------------------------------------------------------------

NONBLANK = st.text(min_size=1, max_size=12).filter(lambda text: bool(text.strip()))
OTHER_LANGUAGES = ("en", "ar", "fi", "so", "sv-FI")
LOCALIZED = st.one_of(
    NONBLANK,
    st.fixed_dictionaries({"sv": NONBLANK}, optional={code: st.text(max_size=12) for code in OTHER_LANGUAGES}),
)
#: Units of number fields: realistic ones, and any text (a definition may give any).
UNITS = st.sampled_from(
    [
        st.sampled_from(["kr", "kr/mån", "m²", "%", "st", "SEK", "år", "kWh", "m3"]),
        NONBLANK,
        st.text(st.characters(categories=("N", "P", "S")), min_size=1, max_size=3),  # ‰, °, ², ...
        st.from_regex(r"[0-9]{1,3}( [0-9]{3})?", fullmatch=True),  # a scale: 100, 1 000
    ]
).flatmap(lambda strategy: strategy)
SLUGS = st.from_regex(r"[a-z0-9]{1,12}(-[a-z0-9]{1,8}){0,3}", fullmatch=True)
#: Option values: any printable text without white space or control characters at the ends.
OPTION_VALUES = st.lists(
    st.text(st.characters(exclude_categories=("Cs", "Z", "C")), min_size=1, max_size=8),
    min_size=1,
    max_size=6,
    unique=True,
)


def allowed_answers(field_data: Mapping[str, Any]) -> list[str] | None:
    """The answers a condition on ``field_data`` may wait for; None when any text is allowed."""
    if field_data.get("options"):
        return [option["value"] for option in field_data["options"]]
    return {"yesno": ["yes", "no"], "consent": ["yes"]}.get(field_data["type"])


@st.composite
def conditions(draw: Draw, targets: list[dict[str, Any]]) -> dict[str, Any]:
    target = draw(st.sampled_from(targets))
    allowed = allowed_answers(target)
    values = st.sampled_from(allowed) if allowed else st.text(max_size=8)
    if draw(st.booleans()):
        return {"field": target["name"], "equals": draw(values)}
    return {"field": target["name"], "in": draw(st.lists(values, min_size=1, max_size=3))}


NUMBER_LITERALS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.integers(0, 4).flatmap(lambda places: st.decimals(-(10**6), 10**6, places=places)).map(str),
)
DATE_LIMITS = st.one_of(
    st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(date.isoformat),
    st.dates(date(1900, 1, 1), date(2100, 12, 31)),  # YAML reads an unquoted 2026-01-01 as a date
    st.just("today"),
    st.builds(lambda sign, days: f"today{sign}{days}", st.sampled_from("+-"), st.integers(0, 99999)),
)


def _ordered(first: Any, second: Any, key: Callable[[Any], Any]) -> tuple[Any, Any]:
    return (first, second) if key(first) <= key(second) else (second, first)


@st.composite
def type_settings(
    draw: Draw,
    kind: str,
    options: list[dict[str, Any]] | None,
    earlier: list[dict[str, Any]],
    texts: st.SearchStrategy[Any],
) -> dict[str, Any]:
    """Valid type-specific settings for a field of ``kind``; ``texts`` gives the localized texts."""
    found: dict[str, Any] = {}
    maybe = st.booleans()
    if kind in ("text", "textarea"):
        top = 300 if kind == "text" else 5000
        if draw(maybe):
            found["max_length"] = draw(st.integers(1, top))
        if draw(maybe):
            found["min_length"] = draw(st.integers(1, found.get("max_length", top)))
        if kind == "textarea" and draw(maybe):
            found["rows"] = draw(st.integers(1, 30))
    if kind in ("text", "email", "phone", "postnummer") and draw(maybe):
        found["autocomplete"] = draw(st.sampled_from(["name", "street-address", "email", "tel", "off"]))
    if kind == "number":
        low, high = draw(NUMBER_LITERALS), draw(NUMBER_LITERALS)
        low, high = _ordered(low, high, lambda value: Decimal(str(value)))
        if draw(maybe):
            found["min"] = low
        if draw(maybe):
            found["max"] = high
        if draw(maybe):
            found["decimals"] = draw(st.integers(0, 6))
        if draw(maybe):
            found["unit"] = draw(st.one_of(texts, UNITS))
    if kind == "date":
        low, high = draw(DATE_LIMITS), draw(DATE_LIMITS)
        low, high = _ordered(low, high, lambda value: resolve_limit(value, date(2000, 1, 1)))
        if draw(maybe):
            found["min"] = low
        if draw(maybe):
            found["max"] = high
        dates = [f["name"] for f in earlier if f["type"] == "date"]
        for key in ("after", "not_before"):
            if dates and draw(maybe):
                found[key] = draw(st.sampled_from(dates))
    if kind == "choice" and draw(maybe):
        found["widget"] = draw(st.sampled_from(["radio", "select"]))
    if kind == "multichoice":
        count = len(options or ())
        if draw(maybe):
            found["min_choices"] = draw(st.integers(1, count))
        if draw(maybe):
            found["max_choices"] = draw(st.integers(found.get("min_choices", 1), count + 2))
    if kind == "consent":
        found["notice"] = draw(texts)
    if kind == "info":
        found["text"] = draw(texts)
        if draw(maybe):
            found["style"] = draw(st.sampled_from(["plain", "important"]))
    if kind == "file":
        if draw(maybe):
            found["accept"] = draw(st.lists(st.sampled_from(sorted(MAGIC)), min_size=1, unique=True))
        if draw(maybe):
            found["max_size_mb"] = draw(st.one_of(st.integers(1, 50), st.floats(0.01, 50)))
    if kind == "personnummer" and draw(maybe):
        found["samordningsnummer"] = draw(st.booleans())
    return found


@st.composite
def field_data(
    draw: Draw, kind: str, name: str, earlier: list[dict[str, Any]], texts: st.SearchStrategy[Any]
) -> dict[str, Any]:
    field_type = REGISTRY[kind]
    found: dict[str, Any] = {"name": name, "type": kind}
    if field_type.has_input or draw(st.booleans()):
        found["label"] = draw(texts)
    if draw(st.booleans()):
        found["help"] = draw(texts)
    if kind == "consent":
        if draw(st.booleans()):
            found["required"] = True
    elif draw(st.booleans()):
        found["required"] = draw(st.booleans())
    if field_type.needs_options:
        values = draw(OPTION_VALUES)
        found["options"] = [{"value": value, "label": draw(texts)} for value in values]
    found.update(draw(type_settings(kind, found.get("options"), earlier, texts)))
    targets = [f for f in earlier if REGISTRY[f["type"]].has_input]
    if targets and draw(st.integers(0, 3)) == 0:
        found["show_when"] = draw(conditions(targets))
    return found


@st.composite
def form_data(draw: Draw, kinds: list[str] | None = None, texts: st.SearchStrategy[Any] = LOCALIZED) -> dict[str, Any]:
    """A valid definition as plain data; by default with every field type at least once, in random order."""
    if kinds is None:
        kinds = draw(st.permutations([*TYPES, *draw(st.lists(st.sampled_from(TYPES), max_size=4))]))
    pages: list[dict[str, Any]] = []
    earlier: list[dict[str, Any]] = []
    for index, kind in enumerate(kinds):
        if not pages or draw(st.integers(0, 4)) == 0:
            page: dict[str, Any] = {"key": f"sida_{len(pages)}", "title": draw(texts), "fields": []}
            if draw(st.booleans()):
                page["intro"] = draw(texts)
            targets = [f for f in earlier if REGISTRY[f["type"]].has_input]
            if targets and draw(st.integers(0, 4)) == 0:
                page["show_when"] = draw(conditions(targets))
            pages.append(page)
        item = draw(field_data(kind, f"{kind}_{index}", earlier, texts))
        pages[-1]["fields"].append(item)
        earlier.append(item)
    form: dict[str, Any] = {
        "slug": draw(SLUGS),
        "title": draw(texts),
        "description": draw(texts),
        "category": draw(texts),
        "unit": {"key": draw(SLUGS), "name": draw(texts)},
        "pages": pages,
    }
    optional = {
        "easy_read": NONBLANK,
        "contact": texts,
        "next_steps": texts,
        "anonymous": st.booleans(),
        "keywords": st.dictionaries(st.sampled_from(["sv", *OTHER_LANGUAGES]), st.lists(st.text(max_size=12))),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            form[key] = draw(strategy)
    return form


#: Texts for forms whose wording does not matter to the property: a few, in Swedish, English and Arabic.
PLAIN_TEXTS = st.sampled_from(["Fråga", {"sv": "Fråga", "en": "Question"}, {"sv": "Fråga", "ar": "سؤال", "fi": ""}])


def definitions(kinds: list[str] | None = None) -> st.SearchStrategy[FormDefinition]:
    """Loaded definitions with plain texts: for properties of validation, where only the questions matter."""
    return form_data(kinds, PLAIN_TEXTS).map(load_definition)


#: Small forms of some types, for properties whose failures Hypothesis must shrink quickly.
SMALL_DEFINITIONS = st.lists(st.sampled_from(TYPES), min_size=1, max_size=5).flatmap(definitions)


# --------------------------------------------------------------------------------------------------
# 1. Definitions: valid ones load, broken ones raise DefinitionError and nothing else.
# --------------------------------------------------------------------------------------------------


@given(data=form_data())
@budget(40)
def test_every_generated_definition_loads_and_keeps_what_it_was_given(data: dict[str, Any]) -> None:
    definition = load_definition(copy.deepcopy(data))
    given_fields = [f for page in data["pages"] for f in page["fields"]]
    assert [page.key for page in definition.pages] == [page["key"] for page in data["pages"]]
    assert list(definition.fields) == [f["name"] for f in given_fields]
    assert {f.type.name for f in definition.fields.values()} == set(TYPES)
    for given_field in given_fields:
        built = definition.fields[given_field["name"]]
        assert built.type is REGISTRY[given_field["type"]]
        assert built.required == (given_field.get("required", False) or given_field["type"] == "consent")
        condition = given_field.get("show_when")
        assert (built.show_when is None) == (condition is None)
        if condition is not None:
            assert built.show_when.field == condition["field"]
            assert list(built.show_when.values) == condition.get("in", [condition.get("equals")])
    # The plain form is what the studio stores as JSON and loads again: it must load to itself.
    stored = json.loads(json.dumps(definition.data))
    assert load_definition(stored).data == definition.data


# Each mutation breaks a valid definition in place and returns where a problem must be reported.
Mutation = Callable[[Draw, dict[str, Any]], str]
#: name -> (mutation, field types of which the form needs one for it to apply)
MUTATIONS: dict[str, tuple[Mutation, tuple[str, ...]]] = {}

TOP_KEYS = {
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
    "pages",
}
FIELD_KEYS = {"name", "type", "label", "help", "required", "options", "show_when"}
WRONG_TEXT = st.one_of(
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(NONBLANK, min_size=1, max_size=2),
)
NOT_BOOL = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.booleans(), max_size=1))
NOT_A_NAME = st.one_of(
    st.integers(),
    st.lists(st.just("namn"), min_size=1, max_size=1),
    st.sampled_from(["", "Namn", "1namn", "namn-2", "namn med mellanslag", "n" * 64, "ärende"]),
)

NOT_A_SLUG = st.one_of(
    st.integers(),
    st.lists(st.just("namn"), min_size=1, max_size=1),
    st.sampled_from(["", "Namn", "a--b", "-a", "a-", "a_b", "ärende", "med mellanslag"]),
)
NOT_A_CONDITION = st.one_of(st.text(min_size=1, max_size=5), st.integers(), st.lists(st.text(), max_size=2))


def mutation(*needs: str) -> Callable[[Mutation], Mutation]:
    def register(function: Mutation) -> Mutation:
        MUTATIONS[function.__name__] = (function, needs)
        return function

    return register


def field_sites(form: dict[str, Any], kinds: tuple[str, ...] | None = None) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"pages[{p}].fields[{i}]", item)
        for p, page in enumerate(form["pages"])
        for i, item in enumerate(page["fields"])
        if kinds is None or item["type"] in kinds
    ]


def localized_sites(form: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """Every localized text of ``form`` as (path of what it belongs to, its container, its key)."""
    sites = [(key, form, key) for key in ("title", "description", "category", "contact", "next_steps") if key in form]
    sites.append(("unit", form["unit"], "name"))
    for p, page in enumerate(form["pages"]):
        sites += [(f"pages[{p}]", page, key) for key in ("title", "intro") if key in page]
    for path, item in field_sites(form):
        sites += [(path, item, key) for key in ("label", "help", "notice", "text", "unit") if key in item]
        sites += [(f"{path}.options[{j}]", option, "label") for j, option in enumerate(item.get("options", ()))]
    return sites


@mutation()
def unknown_key(draw: Draw, form: dict[str, Any]) -> str:
    sites: list[tuple[str, dict[str, Any], set[str]]] = [("", form, TOP_KEYS), ("unit", form["unit"], {"key", "name"})]
    for p, page in enumerate(form["pages"]):
        sites.append((f"pages[{p}]", page, {"key", "title", "intro", "show_when", "fields"}))
        if "show_when" in page:
            sites.append((f"pages[{p}].show_when", page["show_when"], {"field", "equals", "in"}))
    for path, item in field_sites(form):
        sites.append((path, item, FIELD_KEYS | set(REGISTRY[item["type"]].settings)))
        sites += [(f"{path}.options[{j}]", o, {"value", "label"}) for j, o in enumerate(item.get("options", ()))]
        if "show_when" in item:
            sites.append((f"{path}.show_when", item["show_when"], {"field", "equals", "in"}))
    path, container, allowed = draw(st.sampled_from(sites))
    typos = ["Name", "titel", "requierd", "show-when", "max_length", "min", "options", "rows", "value", "sv"]
    key = draw(
        st.one_of(st.sampled_from(typos), st.text(max_size=12), st.integers()).filter(lambda k: k not in allowed)
    )
    container[key] = draw(st.one_of(st.none(), st.text(max_size=5), st.integers()))
    return path or str(key)


@mutation()
def missing_key(draw: Draw, form: dict[str, Any]) -> str:
    sites: list[tuple[str, dict[str, Any], str]] = [
        (key, form, key) for key in ("slug", "title", "description", "category", "unit", "pages")
    ]
    sites += [("unit", form["unit"], "key"), ("unit", form["unit"], "name")]
    for p, page in enumerate(form["pages"]):
        sites += [(f"pages[{p}]", page, key) for key in ("key", "title", "fields")]
    for path, item in field_sites(form):
        sites += [(path, item, key) for key in ("name", "type", "options", "notice", "text") if key in item]
        if REGISTRY[item["type"]].has_input:
            sites.append((path, item, "label"))
        sites += [(f"{path}.options[{j}]", o, key) for j, o in enumerate(item.get("options", ())) for key in o]
    path, container, key = draw(st.sampled_from(sites))
    del container[key]
    return path


@mutation()
def missing_swedish(draw: Draw, form: dict[str, Any]) -> str:
    path, container, key = draw(st.sampled_from(localized_sites(form)))
    container[key] = draw(
        st.one_of(
            st.fixed_dictionaries({}, optional={"en": NONBLANK, "fi": NONBLANK, "ar": NONBLANK}),
            st.builds(lambda blank, other: {"sv": blank, "en": other}, PADDING, NONBLANK),
            PADDING,  # a plain string is Swedish
            st.builds(lambda text: {"sv": text}, WRONG_TEXT),
            st.builds(lambda text: {"SV": text}, NONBLANK),
        )
    )
    return path


@mutation()
def wrong_top_level_value(draw: Draw, form: dict[str, Any]) -> str:
    key, wrong = draw(
        st.sampled_from(
            [
                ("slug", NOT_A_SLUG),
                ("title", WRONG_TEXT),
                ("description", WRONG_TEXT),
                ("category", WRONG_TEXT),
                ("anonymous", NOT_BOOL),
                ("easy_read", st.one_of(PADDING, WRONG_TEXT, st.dictionaries(st.just("sv"), NONBLANK))),
                (
                    "keywords",
                    st.one_of(
                        st.text(max_size=5),
                        st.lists(st.text(max_size=5), max_size=2),
                        st.integers(),
                        st.builds(lambda word: {"sv": word}, NONBLANK),
                        st.builds(lambda number: {"sv": [number]}, st.integers()),
                    ),
                ),
                (
                    "unit",
                    st.one_of(
                        st.text(max_size=5),
                        st.lists(st.text(max_size=5), max_size=2),
                        st.builds(lambda key: {"key": key, "name": "Enhet"}, NOT_A_SLUG),
                    ),
                ),
                (
                    "pages",
                    st.one_of(
                        st.just([]),
                        st.text(max_size=5),
                        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
                        st.lists(st.one_of(st.text(max_size=3), st.integers(), st.none()), min_size=1, max_size=2),
                    ),
                ),
            ]
        )
    )
    form[key] = draw(wrong)
    return key


@mutation()
def wrong_page_value(draw: Draw, form: dict[str, Any]) -> str:
    index = draw(st.integers(0, len(form["pages"]) - 1))
    page = form["pages"][index]
    choices: list[tuple[str, st.SearchStrategy[Any]]] = [
        ("key", NOT_A_NAME),
        ("title", WRONG_TEXT),
        ("intro", WRONG_TEXT),
        ("fields", st.one_of(st.just([]), st.text(max_size=3), st.lists(st.integers(), min_size=1, max_size=2))),
    ]
    if index > 0:
        choices.append(("key", st.sampled_from([p["key"] for p in form["pages"][:index]])))
    key, wrong = draw(st.sampled_from(choices))
    page[key] = draw(wrong)
    return f"pages[{index}]"


def _earlier_names(form: dict[str, Any], path: str) -> list[str]:
    names = []
    for other_path, item in field_sites(form):
        if other_path == path:
            break
        names.append(item["name"])
    return names


def _owners(form: dict[str, Any]) -> list[tuple[str, dict[str, Any], list[str], list[str]]]:
    """Everything that can have a condition: (path, the page or field, names it may refer to, later names)."""
    owners = []
    names = [item["name"] for _, item in field_sites(form)]
    seen = 0
    for p, page in enumerate(form["pages"]):
        owners.append((f"pages[{p}]", page, names[:seen], names[seen:]))
        for i, item in enumerate(page["fields"]):
            owners.append((f"pages[{p}].fields[{i}]", item, names[:seen], names[seen:]))
            seen += 1
    return owners


def fields_by_name(form: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for _, item in field_sites(form)}


@mutation()
def wrong_field_value(draw: Draw, form: dict[str, Any]) -> str:
    path, item = draw(st.sampled_from(field_sites(form)))
    kind = item["type"]
    choices: list[tuple[str, st.SearchStrategy[Any]]] = [
        ("name", NOT_A_NAME),
        ("type", st.one_of(st.text(max_size=8).filter(lambda t: t not in REGISTRY), st.integers(), st.none())),
        ("required", NOT_BOOL),
        ("help", WRONG_TEXT),
    ]
    earlier = _earlier_names(form, path)
    if earlier:
        choices.append(("name", st.sampled_from(earlier)))
    if REGISTRY[kind].has_input:
        choices.append(("label", WRONG_TEXT))
    if REGISTRY[kind].needs_options:
        bad_option = st.one_of(
            st.text(max_size=4),
            st.builds(lambda v: {"value": v, "label": "Val"}, st.one_of(st.none(), st.integers(), st.lists(st.text()))),
        )
        choices.append(
            (
                "options",
                st.one_of(
                    st.just([]),
                    st.text(max_size=4),
                    st.builds(lambda options, bad: [*options, bad], st.just(item["options"]), bad_option),
                    st.just([*item["options"], dict(item["options"][0])]),  # the same value twice
                ),
            )
        )
    else:
        choices.append(("options", st.just([{"value": "a", "label": "A"}])))
    key, wrong = draw(st.sampled_from(choices))
    item[key] = draw(wrong)
    return path


NOT_A_COUNT = st.one_of(
    st.sampled_from([0, -1, "5", 5.0, 1.5, True, None]), st.lists(st.integers(1, 5), min_size=1, max_size=1)
)
NOT_A_NUMBER = st.sampled_from(["", "abc", "1,5", "tio", None, True, [1], {"a": 1}])
#: Not a number either, though Decimal and float read them: YAML's .nan, or NaN typed in the studio
NAN = st.sampled_from(["NaN", "nan", "-NaN", "sNaN", float("nan")])
NOT_A_DATE = st.sampled_from(
    ["tomorrow", "2026-13-01", "2026-02-30", "today+", "today+123456", "today*2", "", 20260101, ["today"], True]
)


@mutation("text", "textarea", "number", "date", "multichoice")
def wrong_setting(draw: Draw, form: dict[str, Any]) -> str:
    """A type-specific setting with a value of the wrong kind, or limits that contradict each other."""
    path, item = draw(st.sampled_from(field_sites(form, ("text", "textarea", "number", "date", "multichoice"))))
    kind = item["type"]
    options = len(item.get("options", ()))
    choices: list[Callable[[], dict[str, Any]]]
    if kind in ("text", "textarea"):
        choices = [
            lambda: {"max_length": draw(NOT_A_COUNT)},
            lambda: {"min_length": draw(NOT_A_COUNT)},
            lambda: {"min_length": 5, "max_length": draw(st.integers(1, 4))},
        ]
    elif kind == "number":
        choices = [
            lambda: {"min": draw(NOT_A_NUMBER)},
            lambda: {"max": draw(NOT_A_NUMBER)},
            lambda: {"min": draw(NOT_A_NUMBER), "max": draw(NUMBER_LITERALS)},
            lambda: {"decimals": draw(st.sampled_from([-1, 7, 1.5, True, "2", None]))},
            lambda: {"min": 10, "max": draw(st.sampled_from([9, 9.99, "-10", "9.5"]))},
        ]
    elif kind == "date":
        choices = [
            lambda: {"min": draw(NOT_A_DATE)},
            lambda: {"max": draw(NOT_A_DATE)},
            lambda: {"min": "today+1", "max": draw(st.sampled_from(["today", "today-5"]))},
            lambda: {"min": "2026-01-02", "max": "2026-01-01"},
        ]
    else:
        choices = [
            lambda: {"min_choices": draw(NOT_A_COUNT)},
            lambda: {"max_choices": draw(NOT_A_COUNT)},
            lambda: {"min_choices": 2, "max_choices": 1},
            lambda: {"min_choices": options + draw(st.integers(1, 3))},
        ]
    item.update(draw(st.sampled_from(choices))())
    return path


@mutation("file", "consent", "info", "choice", "personnummer", "date")
def wrong_type_specific_value(draw: Draw, form: dict[str, Any]) -> str:
    kinds = ("file", "consent", "info", "choice", "personnummer", "date")
    path, item = draw(st.sampled_from(field_sites(form, kinds)))
    kind = item["type"]
    if kind == "file":
        key, wrong = draw(
            st.sampled_from(
                [
                    ("accept", st.sampled_from([[], "pdf", ["exe"], ["PDF"], {"pdf": True}, None])),
                    ("max_size_mb", st.sampled_from([0, -1, 51, 50.5, "5", True, None, float("nan")])),
                ]
            )
        )
    elif kind == "consent":
        key, wrong = draw(st.sampled_from([("notice", WRONG_TEXT), ("required", st.just(False))]))
    elif kind == "info":
        key, wrong = draw(st.sampled_from([("text", WRONG_TEXT), ("style", st.sampled_from(["loud", 1, None]))]))
    elif kind == "choice":
        key, wrong = "widget", st.sampled_from(["checkbox", "Radio", 1, None, ["radio"]])
    elif kind == "personnummer":
        key, wrong = "samordningsnummer", st.sampled_from(["yes", "true", 1, None])
    else:
        earlier = _earlier_names(form, path)
        by_name = fields_by_name(form)
        not_dates = [n for n in earlier if by_name[n]["type"] != "date"]
        later_dates = [f["name"] for _, f in field_sites(form, ("date",)) if f["name"] not in earlier]
        names = st.sampled_from(["finns_inte", "", *not_dates, *later_dates])
        key = draw(st.sampled_from(["after", "not_before"]))
        wrong = st.one_of(names, st.integers())
    item[key] = draw(wrong)
    return path


@mutation("number")
def limit_is_not_a_number(draw: Draw, form: dict[str, Any]) -> str:
    path, item = draw(st.sampled_from(field_sites(form, ("number",))))
    item.pop("min", None)
    item.pop("max", None)
    item.update(
        draw(
            st.one_of(
                st.builds(lambda nan: {"min": nan}, NAN),
                st.builds(lambda nan: {"max": nan}, NAN),
                st.builds(lambda nan, other: {"min": nan, "max": other}, NAN, NUMBER_LITERALS),
                st.builds(lambda other, nan: {"min": other, "max": nan}, NUMBER_LITERALS, NAN),
            )
        )
    )
    return path


@mutation("date", "file")
def reference_in_a_list(draw: Draw, form: dict[str, Any]) -> str:
    """A name or kind written as a YAML list (``after: [start]``, ``accept: [[pdf]]``) instead of as text."""
    path, item = draw(st.sampled_from(field_sites(form, ("date", "file"))))
    if item["type"] == "file":
        item["accept"] = draw(st.sampled_from([[["pdf"]], ["pdf", ["png"]], [{"pdf": True}]]))
    else:
        names = _earlier_names(form, path) or ["start"]
        key = draw(st.sampled_from(["after", "not_before"]))
        item[key] = draw(
            st.one_of(st.lists(st.sampled_from(names), min_size=1, max_size=2), st.just({"field": names[0]}))
        )
    return path


@mutation()
def condition_not_a_mapping(draw: Draw, form: dict[str, Any]) -> str:
    """``show_when: yes`` or ``show_when: [field: a, equals: b]``: a condition that is no mapping."""
    path, owner, _earlier, _later = draw(st.sampled_from(_owners(form)))
    owner["show_when"] = draw(NOT_A_CONDITION)
    return path


@mutation()
def dangling_condition(draw: Draw, form: dict[str, Any]) -> str:
    path, owner, _earlier, later = draw(st.sampled_from(_owners(form)))
    target = draw(
        st.one_of(
            st.sampled_from(["finns_inte", "", *later]),
            st.none(),
            st.integers(),
            st.lists(st.sampled_from([item["name"] for _, item in field_sites(form)]), min_size=1, max_size=1),
            st.dictionaries(st.just("name"), st.text(max_size=3), min_size=1),
        )
    )
    owner["show_when"] = {"field": target, "equals": "yes"}
    return path


@mutation()
def malformed_condition(draw: Draw, form: dict[str, Any]) -> str:
    by_name = fields_by_name(form)
    owners = [o for o in _owners(form) if any(REGISTRY[by_name[n]["type"]].has_input for n in o[2])]
    assume(owners)
    path, owner, earlier, _later = draw(st.sampled_from(owners))
    inputs = [n for n in earlier if REGISTRY[by_name[n]["type"]].has_input]
    target = draw(st.sampled_from(inputs))
    allowed = allowed_answers(by_name[target])
    good = st.sampled_from(allowed) if allowed else st.text(max_size=5)
    wrong_values = st.one_of(st.integers(), st.booleans(), st.none(), st.lists(st.text(max_size=3), max_size=2))
    shapes = [
        st.builds(lambda a, b: {"field": target, "equals": a, "in": [b]}, good, good),
        st.just({"field": target}),
        st.builds(lambda wrong: {"field": target, "in": wrong}, st.one_of(st.just([]), st.text(max_size=3))),
        st.builds(lambda wrong: {"field": target, "equals": wrong}, wrong_values),
        st.builds(lambda wrong: {"field": target, "in": [wrong]}, wrong_values),
    ]
    if allowed:
        shapes.append(st.builds(lambda v: {"field": target, "equals": v}, st.text().filter(lambda v: v not in allowed)))
    infos = [n for n in earlier if by_name[n]["type"] == "info"]
    if infos:
        shapes.append(st.builds(lambda name: {"field": name, "equals": "yes"}, st.sampled_from(infos)))
    owner["show_when"] = draw(st.one_of(shapes))
    return path


def _reported_at(problem_path: str, prefix: str) -> bool:
    return problem_path == prefix or problem_path.startswith((prefix + ".", prefix + "["))


@pytest.mark.parametrize("name", sorted(MUTATIONS))
@given(data=st.data())
@budget(25)
def test_a_broken_definition_raises_definition_error_naming_the_problem(name: str, data: st.DataObject) -> None:
    """Any exception but DefinitionError fails the test where it is raised, so each such bug is reported."""
    function, needs = MUTATIONS[name]
    kinds = data.draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3))
    if needs:
        kinds.insert(data.draw(st.integers(0, len(kinds))), data.draw(st.sampled_from(needs)))
    form = data.draw(form_data(kinds, PLAIN_TEXTS))
    where = function(data.draw, form)
    note(f"mutation {name} at {where!r}")
    with pytest.raises(DefinitionError) as caught:
        load_definition(form, "test.yaml")
    paths = [path for path, _message in caught.value.problems]
    assert any(_reported_at(path, where) for path in paths), f"no problem reported at {where!r}: {paths}"


@given(
    data=st.one_of(st.none(), st.integers(), st.text(), st.lists(st.integers()), st.dictionaries(st.text(), st.none()))
)
@budget(40)
def test_data_that_is_no_definition_at_all_is_a_definition_error(data: Any) -> None:
    with pytest.raises(DefinitionError):
        load_definition(data)


# --------------------------------------------------------------------------------------------------
# 2. Every field type: parse accepts or refuses, accepted values round-trip and display.
# --------------------------------------------------------------------------------------------------


@st.composite
def field_in_context(draw: Draw, kind: str) -> tuple[FormDefinition, Field, Context]:
    """A field of ``kind`` (the last of a small form) and a context with answers to the date fields before it."""
    before = draw(st.lists(st.sampled_from([*TYPES, "date", "date"]), max_size=3))
    definition = draw(definitions([*before, kind]))
    item = list(definition.fields.values())[-1]
    answers = {
        name: (TODAY + timedelta(days=draw(st.integers(-400, 400)))).isoformat()
        for name, other in definition.fields.items()
        if other.type.name == "date" and other is not item and draw(st.booleans())
    }
    return definition, item, Context(today=TODAY, answers=answers, labels=definition.labels())


def stripped(raw: list[str]) -> list[str]:
    """What the validator gives ``parse``: the non-empty values, stripped."""
    return [value.strip() for value in raw if value.strip()]


def check_accepted(item: Field, value: Any, ctx: Context) -> None:
    """The contract of an accepted value: JSON-able, canonical (round-trips through the form), displayable."""
    assert value is not None
    assert json.loads(json.dumps(value)) == value, f"{value!r} does not survive JSON"
    form = item.type.to_form(item.spec, value)
    assert all(isinstance(text, str) for text in form)
    try:
        again = item.type.parse(item.spec, form, ctx)
    except FieldError as error:
        pytest.fail(f"{value!r} was accepted, but its form {form!r} is refused with {error!r}")
    assert again == value, f"{value!r} shown as {form!r} reads back as {again!r}"
    for locale in LOCALES:
        shown = item.type.display(item.spec, value, locale, identity)
        assert isinstance(shown, str)
        assert shown, f"{value!r} displays as nothing in {locale}"


@pytest.mark.parametrize("kind", TYPES)
@given(data=st.data())
@budget(30)
def test_parse_returns_a_canonical_value_or_raises_field_error(kind: str, data: st.DataObject) -> None:
    _definition, item, ctx = data.draw(field_in_context(kind))
    note(f"spec: {dict(item.spec)!r}; answers: {dict(ctx.answers)!r}")
    raw = stripped(data.draw(st.one_of(plausible(item), st.lists(ARBITRARY, min_size=1, max_size=3))))
    assume(raw)
    try:
        value = item.type.parse(item.spec, raw, ctx)
    except FieldError as error:  # any other exception fails the test where it is raised
        assert error.code in ERROR_CODES
        return
    check_accepted(item, value, ctx)


@given(
    local=runs(EMAIL_LOCAL, 64),
    letters=st.lists(st.sampled_from(EMAIL_DOMAIN), min_size=1, max_size=4),
    length=st.integers(200, 260),
)
@budget(60)
def test_an_email_address_near_the_length_limit_is_stored_within_it(
    local: str, letters: list[str], length: int
) -> None:
    """RFC 5321 allows 254 characters (``MAX_LENGTH``): what is stored keeps to it and reads back the same."""
    local = local[:64]
    letters_needed = max(2, length - len(local) - len("@.se"))
    domain = ("".join(letters) * letters_needed)[:letters_needed]
    labels = [domain[i : i + 60] for i in range(0, len(domain), 60)]
    text = f"{local}@{'.'.join(labels)}.se"
    email = REGISTRY["email"]
    try:
        value = email.parse({}, [text], Context(TODAY, {}))
    except FieldError as error:
        assert error.code == "invalid_email"
        return
    assert len(value) <= 254, f"{len(text)} characters typed, {len(value)} stored"
    assert email.parse({}, email.to_form({}, value), Context(TODAY, {})) == value


@given(text=phone_texts())
@budget(100)
def test_an_accepted_phone_number_reads_back_the_same(text: str) -> None:
    """The stored form is ``+46`` and 7 to 9 digits, and what the form shows again is read as the same number."""
    phone, ctx = REGISTRY["phone"], Context(TODAY, {})
    try:
        value = phone.parse({}, [text], ctx)
    except FieldError as error:
        assert error.code == "invalid_phone"
        return
    assert value.startswith("+46") and value[3:].isascii() and value[3:].isdigit() and 7 <= len(value[3:]) <= 9
    shown = phone.to_form({}, value)
    assert phone.parse({}, shown, ctx) == value, f"{text!r} stored as {value!r}, shown as {shown!r}"


@given(unit=UNITS, data=st.data())
@budget(100)
def test_an_accepted_number_reads_back_the_same_whatever_its_unit(unit: str, data: st.DataObject) -> None:
    spec = {"unit": {"sv": unit.strip()}, "decimals": data.draw(st.integers(0, 3))}
    number, ctx = REGISTRY["number"], Context(TODAY, {})
    text = data.draw(number_texts(spec))
    try:
        value = number.parse(spec, [text.strip()], ctx)
    except FieldError as error:
        assert error.code in ERROR_CODES
        return
    shown = number.to_form(spec, value)
    assert number.parse(spec, shown, ctx) == value, f"{text!r} stored as {value!r}, shown as {shown!r}"


@given(data=st.data(), upload=UPLOADS)
@budget(40)
def test_an_upload_is_accepted_as_file_metadata_or_refused_with_field_error(
    data: st.DataObject, upload: Upload
) -> None:
    _definition, item, _ctx = data.draw(field_in_context("file"))
    try:
        value = item.type.parse_upload(item.spec, upload)  # type: ignore[attr-defined]
    except FieldError as error:
        assert error.code in ERROR_CODES
        return
    assert set(value) == FILE_KEYS
    assert value["size"] == len(upload.content) > 0
    assert value["sha256"] == hashlib.sha256(upload.content).hexdigest()
    kinds = item.spec.get("accept", ["pdf", "jpeg", "png"])
    assert value["content_type"] in {MIME[kind] for kind in kinds}
    assert value["size"] <= item.spec.get("max_size_mb", 10) * 1_000_000
    assert value["filename"]
    assert not set(value["filename"]) & set('/\\:*?"<>|'), value["filename"]
    assert all(ord(char) >= 0x20 and char != "\x7f" for char in value["filename"])
    assert json.loads(json.dumps(value)) == value
    for locale in LOCALES:
        assert item.type.display(item.spec, value, locale, identity)


# --------------------------------------------------------------------------------------------------
# 3. Validation of pages and whole forms.
# --------------------------------------------------------------------------------------------------


@st.composite
def file_values(draw: Draw, item: Field) -> dict[str, Any]:
    """The stored value of a file question, as ``validate_page`` makes it from an upload."""
    kind = draw(st.sampled_from(list(item.spec.get("accept", ["pdf", "jpeg", "png"]))))
    upload = Upload(filename=draw(FILENAMES), content=MAGIC[kind] + draw(st.binary(max_size=20)))
    value = item.type.parse_upload(item.spec, upload)  # type: ignore[attr-defined]
    if draw(st.booleans()):
        value["draft_file_id"] = draw(st.integers(1, 10**6))  # what the application adds
    return value


@st.composite
def stored_answers(draw: Draw, definition: FormDefinition) -> dict[str, Any]:
    """Answers as ``validate_page`` stores them: canonical values of most questions, in form order."""
    answers: dict[str, Any] = {}
    labels = definition.labels()
    for name, item in definition.fields.items():
        if not item.type.has_input or draw(st.integers(0, 4)) == 0:
            continue
        if item.type.takes_file:
            answers[name] = draw(file_values(item))
            continue
        raw = stripped(draw(plausible(item)))
        if raw:
            with contextlib.suppress(FieldError):
                answers[name] = item.type.parse(item.spec, raw, Context(TODAY, dict(answers), labels))
    return answers


@st.composite
def raw_input(draw: Draw, definition: FormDefinition, page: Page) -> dict[str, list[str]]:
    """What a browser (or anyone posting) sends for ``page``: missing, empty, extra and unknown values."""
    raw: dict[str, list[str]] = {}
    for item in page.fields:
        shape = draw(st.integers(0, 9))
        if shape == 0:
            continue
        if shape == 1:
            raw[item.name] = []
        elif shape == 2:
            raw[item.name] = draw(st.lists(ARBITRARY, min_size=1, max_size=3))
        elif shape == 3:
            raw[item.name] = draw(plausible(item)) + draw(st.lists(ARBITRARY, min_size=1, max_size=2))
        else:
            raw[item.name] = [draw(PADDING) + value + draw(PADDING) for value in draw(plausible(item))]
        if item.type.takes_file and draw(st.integers(0, 3)) == 0:
            raw[item.name + REMOVE_SUFFIX] = ["1"]
    unknown = draw(
        st.dictionaries(
            st.one_of(st.text(max_size=10), st.sampled_from(sorted(definition.fields))),
            st.lists(ARBITRARY, max_size=2),
            max_size=3,
        )
    )
    return {**unknown, **raw}


@st.composite
def uploads_for(draw: Draw, page: Page) -> dict[str, Upload]:
    names = [item.name for item in page.fields if item.type.takes_file]
    return draw(st.dictionaries(st.sampled_from([*names, "okand_fil"]), UPLOADS, max_size=len(names) + 1))


@given(data=st.data())
@budget(80)
def test_validate_page_never_raises_and_keeps_no_hidden_answer(data: st.DataObject) -> None:
    definition = data.draw(SMALL_DEFINITIONS)
    answers = data.draw(stored_answers(definition))
    index = data.draw(st.integers(0, len(definition.pages) - 1))
    page = definition.pages[index]
    raw = data.draw(raw_input(definition, page))
    uploads = data.draw(uploads_for(page))
    note(f"page {index}; answers {answers!r}; raw {raw!r}")

    result = validate_page(definition, index, raw, uploads, answers, TODAY)

    inputs = {item.name: item for item in page.fields if item.type.has_input}
    assert set(result.errors) <= set(inputs)
    assert set(result.values) <= set(inputs)
    assert not set(result.errors) & set(result.values)
    assert set(result.uploads) <= set(result.values)
    assert all(error.code in ERROR_CODES for error in result.errors.values())
    assert result.raw == {name: [str(v) for v in raw.get(name, ())] for name in inputs}
    for name, value in result.values.items():
        if inputs[name].type.takes_file:
            assert set(value) >= FILE_KEYS
            assert name in result.uploads or value == answers.get(name)

    # The prune invariant: with this page's new values, every value kept is an answer to a question shown.
    after = {name: value for name, value in answers.items() if name not in inputs} | result.values
    kept = prune(definition, after)
    if page_visible(page, kept):
        hidden = {name for name in result.values if name not in kept}
        assert not hidden, f"answers to hidden questions accepted: {sorted(hidden)}"
        for name, item in inputs.items():
            shown = item.show_when is None or item.show_when.holds(kept)
            if shown and item.required:
                assert name in result.values or name in result.errors, f"required {name} neither answered nor refused"


def evenly(*strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """One of ``strategies``, each as likely (``st.one_of`` flattens nested choices and so weighs them by size)."""
    return st.sampled_from(strategies).flatmap(lambda strategy: strategy)


JUNK_VALUES = evenly(
    st.one_of(st.none(), ARBITRARY, st.sampled_from(["yes", "no", "", "2026-11-27", "+46701234567", "664 30"])),
    st.lists(st.one_of(ARBITRARY, st.just("yes")), max_size=3),  # several values where one is expected, or none
    st.fixed_dictionaries(  # the value of a file question
        {
            "filename": st.just("a.pdf"),
            "size": st.integers(1, 100),
            "sha256": st.just("0" * 64),
            "content_type": st.just("application/pdf"),
        }
    ),
)


@st.composite
def answers_of_any_version(draw: Draw, definition: FormDefinition) -> dict[str, Any]:
    """Stored answers, some kept from an older version of the form in which a question had another type.

    Drafts keep the version they were started on, but answers stored by an older release of the code
    or crafted rows can still hold any shape; ``validate_answers`` checks them again, so any stored
    shape can meet any field here.
    """
    answers = draw(stored_answers(definition))
    for name in definition.fields:
        if draw(st.integers(0, 2)) == 0:
            answers[name] = draw(JUNK_VALUES)
    answers.update(draw(st.dictionaries(st.text(max_size=8), JUNK_VALUES, max_size=2)))
    return answers


@given(data=st.data())
@budget(100)
def test_validate_answers_never_raises_and_returns_only_valid_shown_answers(data: st.DataObject) -> None:
    definition = data.draw(SMALL_DEFINITIONS)
    answers = data.draw(answers_of_any_version(definition))
    note(f"answers {answers!r}")

    result = validate_answers(definition, answers, TODAY)  # raising anything fails the test

    kept = prune(definition, answers)
    for index, errors in result.errors.items():
        page = definition.pages[index]
        assert page_visible(page, kept)
        assert set(errors) <= {item.name for item in page.fields if item.type.has_input}
        assert all(error.code in ERROR_CODES for error in errors.values())
    refused = {name for errors in result.errors.values() for name in errors}
    assert not refused & set(result.answers)
    # The prune invariant: nothing hidden by a condition, nothing that was not given.
    assert set(result.answers) <= set(kept)
    assert prune(definition, result.answers) == result.answers
    # Every answer kept is valid for its question as the form now is, and can be shown on the receipt.
    ctx = Context(TODAY, result.answers, definition.labels())
    for name, value in result.answers.items():
        item = definition.fields[name]
        if item.type.takes_file:
            assert isinstance(value, dict), f"{name}: {value!r} kept as a file"
            assert set(value) >= FILE_KEYS, f"{name}: {value!r} kept as a file"
        else:
            assert item.type.parse(item.spec, stripped(item.type.to_form(item.spec, value)), ctx) == value
        for locale in LOCALES:
            assert isinstance(item.type.display(item.spec, value, locale, identity), str)
    # What validate_answers returns is a fixed point: checking it again keeps all of it.
    again = validate_answers(definition, result.answers, TODAY)
    assert again.answers == result.answers
    if result.ok:
        assert again.ok


@pytest.mark.parametrize("kind", [kind for kind in TYPES if REGISTRY[kind].has_input])
@given(data=st.data())
@budget(25)
def test_validate_answers_takes_a_stored_value_of_any_shape_for_any_question(kind: str, data: st.DataObject) -> None:
    """A question whose type changed between versions meets the old answer: it is refused or valid, never a crash."""
    form = data.draw(form_data([*data.draw(st.lists(st.sampled_from(TYPES), max_size=2)), kind], PLAIN_TEXTS))
    form["pages"][-1].pop("show_when", None)  # the question is shown: its answer is checked
    form["pages"][-1]["fields"][-1].pop("show_when", None)
    definition = load_definition(form)
    name = list(definition.fields)[-1]
    item = definition.fields[name]
    answers = data.draw(stored_answers(definition))
    answers[name] = data.draw(JUNK_VALUES)
    note(f"answers {answers!r}")
    result = validate_answers(definition, answers, TODAY)  # raising anything fails the test
    if name not in result.answers:
        return
    value = result.answers[name]
    if item.type.takes_file:
        assert isinstance(value, dict), f"{value!r} kept as the answer to a file question"
        assert set(value) >= FILE_KEYS, f"{value!r} kept as the answer to a file question"
    else:
        check_accepted(item, value, Context(TODAY, result.answers, definition.labels()))


# --------------------------------------------------------------------------------------------------
# 4. Limits: what is accepted is within them.
# --------------------------------------------------------------------------------------------------


def accepted(item: Field, raw: list[str], ctx: Context) -> Any:
    """The value ``raw`` is accepted as, or None when it is refused."""
    raw = stripped(raw)
    if not raw:
        return None
    try:
        return item.type.parse(item.spec, raw, ctx)
    except FieldError:
        return None


@given(data=st.data())
@budget(60)
def test_an_accepted_number_is_within_min_max_and_decimals(data: st.DataObject) -> None:
    _definition, item, ctx = data.draw(field_in_context("number"))
    spec = item.spec
    text = data.draw(number_texts(spec))
    value = accepted(item, [text], ctx)
    assume(value is not None)
    number = Decimal(value)
    assert value == format(number, "f"), "stored in plain notation"
    assert value != "-0" and not value.endswith(".") and not ("." in value and value.endswith("0"))
    if "min" in spec:
        assert number >= Decimal(str(spec["min"]))
    if "max" in spec:
        assert number <= Decimal(str(spec["max"]))
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int) and -exponent <= spec.get("decimals", 0)


@given(
    sign=st.sampled_from(["", "-"]),
    digits=st.integers(1, 40).flatmap(lambda n: st.text(st.sampled_from("0123456789"), min_size=n, max_size=n)),
    scale=st.integers(0, 8),
    decimals=st.integers(0, 6),
)
@budget(150)
def test_an_accepted_number_is_the_number_typed(sign: str, digits: str, scale: int, decimals: int) -> None:
    """What is stored is the number the resident wrote, never a rounded one (no limits in the way)."""
    digits = digits.rjust(scale + 1, "0")
    text = sign + (f"{digits[:-scale]}.{digits[-scale:]}" if scale else digits)
    typed = Decimal(text)  # exact: only arithmetic rounds
    spec = {"decimals": decimals}
    try:
        value = REGISTRY["number"].parse(spec, [text], Context(TODAY, {}))
    except FieldError as error:
        assert error.code in {"whole_number_required", "too_many_decimals"}
        assert len(text.partition(".")[2].rstrip("0")) > decimals, f"{text!r} refused with {error.code}"
        return
    assert Decimal(value) == typed, f"{text!r} stored as {value!r}"


#: Digit counts around the largest exponent of Python's default decimal context (Emax 999999).
DIGIT_COUNTS = st.sampled_from([1, 1000, 10**5, 10**6 - 1, 10**6, 10**6 + 1, 2 * 10**6])


@given(sign=st.sampled_from(["", "-", "+"]), digits=DIGIT_COUNTS, last=st.sampled_from("01"))
@budget(40)
def test_a_number_of_any_length_is_accepted_or_refused(sign: str, digits: int, last: str) -> None:
    """Digit strings up to two million digits long (a form field has no length limit of its own).

    Whether the value is exact is the test above's business; this one is about never crashing.
    """
    text = sign + "1" + "0" * (digits - 2) + last if digits > 1 else sign + last
    try:
        value = REGISTRY["number"].parse({}, [text], Context(TODAY, {}))
    except FieldError as error:  # any other exception fails the test where it is raised
        assert error.code in ERROR_CODES
        return
    assert value.removeprefix("-").isdigit(), "a whole number, in plain notation"


@given(data=st.data())
@budget(60)
def test_an_accepted_date_is_within_its_limits_and_after_the_dates_it_follows(data: st.DataObject) -> None:
    _definition, item, ctx = data.draw(field_in_context("date"))
    spec = item.spec
    value = accepted(item, [data.draw(date_texts(spec))], ctx)
    assume(value is not None)
    day = date.fromisoformat(value)
    earliest, latest = resolve_limit(spec.get("min"), TODAY), resolve_limit(spec.get("max"), TODAY)
    assert earliest is None or day >= earliest
    assert latest is None or day <= latest
    if spec.get("after") in ctx.answers:
        assert day > date.fromisoformat(ctx.answers[spec["after"]])
    if spec.get("not_before") in ctx.answers:
        assert day >= date.fromisoformat(ctx.answers[spec["not_before"]])


@pytest.mark.parametrize(("kind", "default_max"), [("text", 200), ("textarea", 4000)])
@given(data=st.data())
@budget(40)
def test_accepted_text_is_within_its_length_limits(kind: str, default_max: int, data: st.DataObject) -> None:
    _definition, item, ctx = data.draw(field_in_context(kind))
    spec = item.spec
    longest = spec.get("max_length", default_max)
    shortest = spec.get("min_length", 1)  # may exceed the default maximum: then nothing is accepted
    around = st.integers(max(0, shortest - 3), max(shortest, longest) + 3)
    text = data.draw(
        st.one_of(
            ARBITRARY,
            around.flatmap(lambda n: st.text(st.sampled_from("ab \n\r\t\u00a0å"), min_size=n, max_size=n)),
        )
    )
    value = accepted(item, [text], ctx)
    assume(value is not None)
    assert shortest <= len(value) <= longest
    if kind == "text":
        assert value == " ".join(value.split()), "one line, single spaces, nothing at the ends"
    else:
        assert "\r" not in value


@pytest.mark.parametrize("kind", ["choice", "multichoice"])
@given(data=st.data())
@budget(40)
def test_accepted_choices_are_options_within_the_limits(kind: str, data: st.DataObject) -> None:
    _definition, item, ctx = data.draw(field_in_context(kind))
    spec = item.spec
    options = [option["value"] for option in spec["options"]]
    near_options = st.one_of(st.sampled_from(options), st.sampled_from([o.upper() + " " for o in options]), ARBITRARY)
    raw = data.draw(
        st.one_of(
            st.lists(st.sampled_from(options), min_size=1, max_size=len(options) + 1),
            st.lists(near_options, min_size=1, max_size=len(options) + 1),
        )
    )
    value = accepted(item, raw, ctx)
    assume(value is not None)
    if kind == "choice":
        assert value in options
        return
    assert value == [option for option in options if option in value], "options, each once, in definition order"
    assert spec.get("min_choices", 1) <= len(value) <= spec.get("max_choices", len(options))

"""Builders for the unit tier: field parsing with a fixed today, and form definitions as plain data.

Everything here imports only ``eservices``; the builders are fixtures that return callables, so a test
says what it needs (``parse("phone", "070-123 45 67")``, ``make_form(pages=[...])``) and nothing more.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import pytest

from eservices.fields import REGISTRY, Context, FieldError
from eservices.schema import DefinitionError, FormDefinition, load_definition

#: The day every test lives on unless it says otherwise: a Friday, so no edge of a month or a year.
TODAY = date(2026, 11, 27)

BASE_FORM: dict[str, Any] = {
    "slug": "felanmalan-gata",
    "title": {"sv": "Felanmälan gata", "en": "Report a street fault"},
    "description": {"sv": "Anmäl hål i gatan.", "en": "Report a pothole."},
    "category": {"sv": "Trafik och gator", "en": "Traffic and streets"},
    "unit": {"key": "samhallsbyggnad", "name": {"sv": "Samhällsbyggnad", "en": "Urban planning"}},
    "pages": [
        {
            "key": "om_felet",
            "title": {"sv": "Om felet", "en": "About the fault"},
            "fields": [{"name": "plats", "type": "text", "label": {"sv": "Plats", "en": "Place"}}],
        }
    ],
}


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def parse() -> Callable[..., Any]:
    """``parse(type, raw, spec=None, answers=None, today=TODAY)``: the canonical value a field type stores."""

    def parse(
        type_name: str,
        raw: str | Sequence[str],
        spec: Mapping[str, Any] | None = None,
        answers: Mapping[str, Any] | None = None,
        today: date = TODAY,
    ) -> Any:
        values = [raw] if isinstance(raw, str) else list(raw)
        return REGISTRY[type_name].parse(spec or {}, values, Context(today=today, answers=answers or {}))

    return parse


@pytest.fixture
def refuse(parse: Callable[..., Any]) -> Callable[..., FieldError]:
    """``refuse(...)`` with ``parse``'s arguments: the error the input is refused with (fails if accepted)."""

    def refuse(*args: Any, **kwargs: Any) -> FieldError:
        with pytest.raises(FieldError) as caught:
            value = parse(*args, **kwargs)
            pytest.fail(f"accepted as {value!r}")
        return caught.value

    return refuse


@pytest.fixture
def make_form() -> Callable[..., dict[str, Any]]:
    """``make_form(pages=None, **top)``: a valid definition as plain data, with ``pages`` and top keys replaced."""

    def make_form(pages: list[dict[str, Any]] | None = None, **top: Any) -> dict[str, Any]:
        data = copy.deepcopy(BASE_FORM)
        if pages is not None:
            data["pages"] = copy.deepcopy(pages)
        data.update(copy.deepcopy(top))
        return data

    return make_form


@pytest.fixture
def make_definition(make_form: Callable[..., dict[str, Any]]) -> Callable[..., FormDefinition]:
    """``make_definition(pages=None, **top)``: :func:`make_form` loaded; fails the test if it does not load."""

    def make_definition(pages: list[dict[str, Any]] | None = None, **top: Any) -> FormDefinition:
        return load_definition(make_form(pages, **top))

    return make_definition


@pytest.fixture
def problems_of() -> Callable[[Any], dict[str, str]]:
    """``problems_of(data)``: the problems of a definition that must not load, as ``{path: message}``."""

    def problems_of(data: Any) -> dict[str, str]:
        with pytest.raises(DefinitionError) as caught:
            load_definition(data, "test.yaml")
        found: dict[str, str] = {}
        for path, message in caught.value.problems:
            found[path] = f"{found[path]}; {message}" if path in found else message
        return found

    return problems_of

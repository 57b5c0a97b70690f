"""The registry of field types, and the promise every type keeps: ``parse(to_form(value)) == value``."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from eservices import fields as fields_package
from eservices.fields import REGISTRY, Context, FieldError, FieldType
from eservices.fields.base import register

FIELDS_DIR = Path(fields_package.__file__).parent
NOT_TYPES = {"__init__", "base"}

#: type -> (spec, inputs as residents type them); every type with text input must be here.
SAMPLES: dict[str, tuple[dict, list[list[str]]]] = {
    "text": ({}, [["Storgatan  12"], ["Anna\nSvensson"]]),
    "textarea": ({}, [["Rad ett\r\nRad två"], ["x"]]),
    # 811278-9873 is a samordningsnummer.
    "personnummer": ({}, [["811218-9876"], ["121212+1212"], ["8112789873"], ["19121212-1212"]]),
    "postnummer": ({}, [["SE-664 30"], ["11122"]]),
    "phone": ({}, [["070-123 45 67"], ["0046 8 123 456 78"], ["031-12 34 56"], ["0554-123 45"]]),
    "email": ({}, [["Anna@Kommun.SE"]]),
    "number": ({"decimals": 2, "unit": {"sv": "kr"}}, [["25 000 kr"], ["1 234,5"], ["-0,25"], ["100,00"]]),
    "date": ({"min": "today"}, [["27.11.2026"], ["20270101"]]),
    "choice": ({"options": [{"value": "a", "label": {"sv": "A"}}, {"value": "b", "label": {"sv": "B"}}]}, [["b"]]),
    "multichoice": (
        {"options": [{"value": "a", "label": {"sv": "A"}}, {"value": "b", "label": {"sv": "B"}}]},
        [["b", "a"], ["a"]],
    ),
    "yesno": ({}, [["yes"], ["no"]]),
    "consent": ({"notice": {"sv": "Vi behandlar dina uppgifter."}}, [["yes"]]),
}


def test_each_type_is_registered_under_its_own_name() -> None:
    for name, field_type in REGISTRY.items():
        assert isinstance(field_type, FieldType)
        assert field_type.name == name


def test_each_type_lives_in_a_module_named_after_it() -> None:
    for name, field_type in REGISTRY.items():
        assert type(field_type).__module__ == f"eservices.fields.{name}"
        assert (FIELDS_DIR / f"{name}.py").is_file()


def test_each_module_in_the_package_is_a_registered_type() -> None:
    modules = {path.stem for path in FIELDS_DIR.glob("*.py")} - NOT_TYPES
    assert modules == set(REGISTRY)


def test_a_type_name_can_be_registered_only_once() -> None:
    before = dict(REGISTRY)

    class AnotherText(FieldType):
        name = "text"

    with pytest.raises(ValueError, match="registered twice"):
        register(AnotherText)
    assert before == REGISTRY
    assert type(REGISTRY["text"]).__name__ != "AnotherText"


def test_only_consent_has_its_own_required_message() -> None:
    codes = {name: field_type.required_code for name, field_type in REGISTRY.items()}
    assert codes.pop("consent") == "consent_required"
    assert set(codes.values()) == {"required"}


def test_every_text_input_type_has_round_trip_samples() -> None:
    with_text = {name for name, t in REGISTRY.items() if t.has_input and not t.takes_file}
    assert with_text == set(SAMPLES)


@pytest.mark.parametrize("type_name", sorted(SAMPLES))
def test_a_stored_value_parses_back_to_itself(type_name, today) -> None:
    field_type = REGISTRY[type_name]
    spec, inputs = SAMPLES[type_name]
    ctx = Context(today=today, answers={})
    for raw in inputs:
        value = field_type.parse(spec, raw, ctx)
        shown_again = field_type.to_form(spec, value)
        assert shown_again, f"{raw!r} stored as {value!r} shows an empty form"
        assert field_type.parse(spec, shown_again, ctx) == value, f"{raw!r} -> {value!r} -> {shown_again!r}"
        assert field_type.display(spec, value, "sv", str), f"{value!r} displays as nothing"


def test_nothing_stored_shows_nothing() -> None:
    for name, field_type in REGISTRY.items():
        if field_type.has_input:
            assert field_type.to_form({}, None) == [], name
            assert field_type.display({}, None, "sv", str) == "", name


def test_a_field_error_passes_through_a_with_block_unchanged() -> None:
    """Python sets ``__traceback__`` on an exception leaving a ``@contextmanager`` block; a frozen error refuses it.

    Code that lets a FieldError out of ``parse`` inside any such block (a transaction, a lock, a timer) then
    gets ``dataclasses.FrozenInstanceError`` instead of the refusal it should show the resident.
    """

    @contextlib.contextmanager
    def block():
        yield

    try:
        with block():
            raise FieldError("invalid_phone")
    except FieldError as error:
        assert error.code == "invalid_phone"
    except Exception as other:
        pytest.fail(f"FieldError came out of the with block as {type(other).__name__}: {other}")

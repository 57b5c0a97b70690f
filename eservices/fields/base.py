"""What every field type is: the contract between the definition format, the validator and the templates.

A field type is a class with a unique ``name`` registered in :data:`eservices.fields.REGISTRY`. It
checks its own settings in a definition (:meth:`FieldType.check`), turns what a resident typed into a
canonical, JSON-able value (:meth:`FieldType.parse`), and shows a stored value to people
(:meth:`FieldType.display`). Values are canonical: ``parse(to_form(v)) == v`` for every stored ``v``, so
stored answers can be validated again at submit time with the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from eservices.text import localize

Gettext = Callable[[str], str]


class FieldError(Exception):
    """A value a resident gave is not acceptable: a message code and its parameters, translated by the app."""

    def __init__(self, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.params: Mapping[str, Any] = dict(params or {})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldError) and (self.code, dict(self.params)) == (other.code, dict(other.params))

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return f"FieldError({self.code!r}, {dict(self.params)!r})"


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name the resident's device gave it and its bytes."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class Context:
    """What a field may look at besides its own input: today's date and the answers given so far."""

    today: date
    answers: Mapping[str, Any]
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


class FieldType:
    """Base class of every field type; subclasses set ``name`` and override what differs."""

    name: ClassVar[str]
    #: False for content that asks nothing (information text): no value, never in the snapshot.
    has_input: ClassVar[bool] = True
    #: True when the input is a file rather than text.
    takes_file: ClassVar[bool] = False
    #: True when the value is a list (several boxes ticked).
    multiple: ClassVar[bool] = False
    #: True when the definition must give ``options``.
    needs_options: ClassVar[bool] = False
    #: Type-specific keys a definition may use, with a short description of each for error messages.
    settings: ClassVar[Mapping[str, str]] = {}
    #: True when the question must always be answered, whatever the definition says (consent).
    always_required: ClassVar[bool] = False
    #: The message code used when a required answer is missing.
    required_code: ClassVar[str] = "required"

    def check(self, spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        """Problems with this field's type-specific settings, as ``(path, message)`` pairs."""
        return []

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        """The canonical value of the non-empty, stripped input ``raw``; raises :class:`FieldError`."""
        return raw[0]

    def to_form(self, spec: Mapping[str, Any], value: Any) -> list[str]:
        """The stored ``value`` as the strings an HTML form shows again."""
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v) for v in value]
        return [str(value)]

    def display(self, spec: Mapping[str, Any], value: Any, locale: str, gettext: Gettext) -> str:
        """The stored ``value`` as a person reads it in ``locale`` (review page, receipt, staff)."""
        if value is None:
            return ""
        return str(value)


REGISTRY: dict[str, FieldType] = {}


def register(cls: type[FieldType]) -> type[FieldType]:
    """Class decorator: add one instance of ``cls`` to :data:`REGISTRY`; a name may be taken only once."""
    if cls.name in REGISTRY:
        raise ValueError(f"field type {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls()
    return cls


def option_label(spec: Mapping[str, Any], value: str, locale: str) -> str:
    """The label of option ``value`` in ``locale``; the value itself when the option is unknown."""
    for option in spec.get("options") or ():
        if option["value"] == value:
            return localize(option["label"], locale)
    return value

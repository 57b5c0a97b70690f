"""Single choice: one of the listed options, shown as radio buttons or, for long lists, a select."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eservices.fields.base import Context, FieldError, FieldType, Gettext, option_label, register
from eservices.problems import Problem


def check_widget(spec: Mapping[str, Any], path: str, allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    """A problem when ``widget`` is set to something other than one of ``allowed``."""
    if "widget" in spec and spec["widget"] not in allowed:
        return [(f"{path}.widget", Problem("bad_setting", "must be one of: " + ", ".join(allowed)))]
    return []


def option_values(spec: Mapping[str, Any]) -> list[str]:
    """The values of the field's options, in order."""
    return [option["value"] for option in spec.get("options") or ()]


@register
class Choice(FieldType):
    name = "choice"
    needs_options = True
    settings = {"widget": "radio (default) or select"}

    def check(self, spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        return check_widget(spec, path, ("radio", "select"))

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        if len(raw) != 1 or raw[0] not in option_values(spec):
            raise FieldError("invalid_choice")
        return raw[0]

    def display(self, spec: Mapping[str, Any], value: Any, locale: str, gettext: Gettext) -> str:
        return "" if value is None else option_label(spec, value, locale)

"""Yes or no: two radio buttons; the value is ``yes`` or ``no`` whatever the language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eservices.fields.base import Context, FieldError, FieldType, Gettext, register
from eservices.text import N_

LABELS = {"yes": N_("Yes"), "no": N_("No")}


@register
class YesNo(FieldType):
    name = "yesno"

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        if len(raw) != 1 or raw[0] not in LABELS:
            raise FieldError("invalid_choice")
        return raw[0]

    def display(self, spec: Mapping[str, Any], value: Any, locale: str, gettext: Gettext) -> str:
        return "" if value is None else gettext(LABELS[value])

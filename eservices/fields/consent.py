"""Consent: a notice (for example how personal data is handled under GDPR) and a box that must be ticked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eservices.fields.base import Context, FieldError, FieldType, Gettext, register
from eservices.problems import Problem
from eservices.text import N_

TICKED = "yes"


@register
class Consent(FieldType):
    name = "consent"
    required_code = "consent_required"
    always_required = True
    settings = {"notice": "localized text shown above the box (what is agreed to)"}

    def check(self, spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        if not isinstance(spec.get("notice"), Mapping) or not spec["notice"].get("sv"):
            return [(f"{path}.notice", Problem("swedish_required", "is required, with Swedish text (sv)"))]
        if spec.get("required") is False:
            return [(f"{path}.required", Problem("bad_setting", "a consent box is always required"))]
        return []

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        if raw != [TICKED]:
            raise FieldError("consent_required")
        return TICKED

    def display(self, spec: Mapping[str, Any], value: Any, locale: str, gettext: Gettext) -> str:
        # The question is the box's own label, so the answer is a plain "Yes".
        return "" if value is None else gettext(N_("Yes"))

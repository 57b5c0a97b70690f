"""Information text: guidance between questions; it asks nothing and stores nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eservices.fields.base import FieldType, register
from eservices.problems import Problem


@register
class Information(FieldType):
    name = "info"
    has_input = False
    settings = {"text": "localized text to show", "style": "plain (default) or important"}

    def check(self, spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        problems = []
        if not isinstance(spec.get("text"), Mapping) or not spec["text"].get("sv"):
            problems.append((f"{path}.text", Problem("swedish_required", "is required, with Swedish text (sv)")))
        if spec.get("style", "plain") not in ("plain", "important"):
            problems.append((f"{path}.style", Problem("bad_setting", "must be plain or important")))
        return problems

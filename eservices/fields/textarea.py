"""Long text: several lines, such as a description of a problem or a proposal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eservices.fields.base import Context, FieldType, register
from eservices.fields.text import check_length_settings, parse_length

DEFAULT_MAX_LENGTH = 4000


@register
class LongText(FieldType):
    name = "textarea"
    settings = {
        "max_length": "most characters allowed (default 4000)",
        "min_length": "fewest characters allowed",
        "rows": "visible height in lines (default 6)",
    }

    def check(self, spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        return check_length_settings(spec, path)

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        # Browsers send CRLF; store LF so lengths and receipts do not depend on the browser.
        text = raw[0].replace("\r\n", "\n").replace("\r", "\n")
        return parse_length(spec, text, DEFAULT_MAX_LENGTH)

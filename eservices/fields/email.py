"""Email address: checked for form (not deliverability), with the domain in lower case."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eservices.fields.base import Context, FieldError, FieldType, register

MAX_LENGTH = 254  # RFC 5321's limit on a forward path


@register
class Email(FieldType):
    name = "email"
    settings = {"autocomplete": "HTML autocomplete token (default email)"}

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        value = raw[0]
        if "@" in value:
            # The stored form (domain in lower case) is what must fit; "İ" lower-cases to two characters.
            local_part, _, domain_part = value.rpartition("@")
            value = f"{local_part}@{domain_part.lower()}"
        if len(value) > MAX_LENGTH or any(ch.isspace() for ch in value) or value.count("@") != 1:
            raise FieldError("invalid_email")
        local, domain = value.split("@")
        labels = domain.split(".")
        if (
            not local
            or len(local) > 64
            or local.startswith(".")
            or local.endswith(".")
            or ".." in local
            or len(labels) < 2
            or not all(labels)
            or any(label.startswith("-") or label.endswith("-") for label in labels)
            or len(labels[-1]) < 2
            or any(ch in domain for ch in "()<>[]\\,;:\"'")
        ):
            raise FieldError("invalid_email")
        return f"{local}@{domain.lower()}"

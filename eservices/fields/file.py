"""File upload: the type is decided by the bytes, never by the name, and the size is limited.

The value is a mapping ``{"filename", "size", "sha256", "content_type"}``; the application adds where it
keeps the bytes. ``accept`` lists kinds from :data:`KINDS`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from babel.numbers import format_decimal

from eservices.fields.base import Context, FieldError, FieldType, Gettext, Upload, register
from eservices.problems import Problem
from eservices.text import format_locale

#: kind -> (MIME type, test on the first bytes)
KINDS: dict[str, tuple[str, Any]] = {
    "pdf": ("application/pdf", lambda head: head.startswith(b"%PDF-")),
    "png": ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpeg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    "gif": ("image/gif", lambda head: head[:6] in (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "heic": (
        "image/heic",
        lambda head: head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"heif"),
    ),
}
DEFAULT_ACCEPT = ("pdf", "jpeg", "png")
DEFAULT_MAX_MB = 10
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def sniff(content: bytes) -> str | None:
    """The kind of file ``content`` is, judged from its first bytes; None when it is none we know."""
    head = content[:16]
    for kind, (_mime, test) in KINDS.items():
        if test(head):
            return kind
    return None


def clean_filename(name: str) -> str:
    """The last part of ``name`` without characters that are unsafe in file systems or headers."""
    base = re.split(r"[/\\]", name)[-1]
    base = UNSAFE_NAME.sub("_", unicodedata.normalize("NFC", base)).strip(" .")
    return base[-120:] or "fil"


def format_size(size: int, locale: str) -> str:
    """``1,2 MB``/``340 kB`` in ``locale``'s number format."""
    if size >= 1_000_000:
        return format_decimal(round(size / 1_000_000, 1), locale=locale) + "\u00a0MB"
    return format_decimal(max(1, round(size / 1000)), locale=locale) + "\u00a0kB"


@register
class File(FieldType):
    name = "file"
    takes_file = True
    settings = {
        "accept": "kinds of file allowed: " + ", ".join(KINDS) + " (default pdf, jpeg, png)",
        "max_size_mb": "largest file in megabytes (default 10)",
    }

    def check(self, spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
        problems = []
        accept = spec.get("accept", DEFAULT_ACCEPT)
        if (
            not isinstance(accept, list | tuple)
            or not accept
            or any(not isinstance(kind, str) or kind not in KINDS for kind in accept)
        ):
            problems.append((f"{path}.accept", Problem("bad_setting", "must list kinds among: " + ", ".join(KINDS))))
        size = spec.get("max_size_mb", DEFAULT_MAX_MB)
        if not isinstance(size, int | float) or isinstance(size, bool) or not 0 < size <= 50:
            problems.append(
                (f"{path}.max_size_mb", Problem("bad_file_size", "must be a number above 0 and at most 50"))
            )
        return problems

    def accepted(self, spec: Mapping[str, Any]) -> list[str]:
        """The kinds this field takes."""
        return list(spec.get("accept", DEFAULT_ACCEPT))

    def parse_upload(self, spec: Mapping[str, Any], upload: Upload) -> dict[str, Any]:
        """The value for ``upload`` when its content is an allowed kind within the size limit."""
        max_bytes = int(spec.get("max_size_mb", DEFAULT_MAX_MB) * 1_000_000)
        if not upload.content:
            raise FieldError("file_empty")
        if len(upload.content) > max_bytes:
            raise FieldError("file_too_large", {"max_mb": spec.get("max_size_mb", DEFAULT_MAX_MB)})
        kind = sniff(upload.content)
        if kind not in self.accepted(spec):
            raise FieldError("file_type_not_allowed", {"allowed": ", ".join(k.upper() for k in self.accepted(spec))})
        return {
            "filename": clean_filename(upload.filename),
            "size": len(upload.content),
            "sha256": hashlib.sha256(upload.content).hexdigest(),
            "content_type": KINDS[kind][0],
        }

    def parse(self, spec: Mapping[str, Any], raw: Sequence[str], ctx: Context) -> Any:
        # Files never arrive as text; the validator calls parse_upload instead.
        raise FieldError("invalid_file")

    def to_form(self, spec: Mapping[str, Any], value: Any) -> list[str]:
        return []

    def display(self, spec: Mapping[str, Any], value: Any, locale: str, gettext: Gettext) -> str:
        if not value:
            return ""
        return f"{value['filename']} ({format_size(value['size'], format_locale(locale))})"

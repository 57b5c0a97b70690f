"""Files residents send, made safe before they are stored: images re-encoded without their metadata (a phone
photo's GPS position), PDFs parsed and refused when they carry scripts, embedded files or launch actions.

The type has already been decided from the bytes (``eservices.fields.file.sniff``); this is the second
look, at what is inside.
"""

from __future__ import annotations

import io
import warnings

from flask import current_app, has_app_context
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import DictionaryObject, IndirectObject

from app import virus_scan
from eservices.fields import FieldError, Upload
from eservices.fields.file import sniff

#: Pillow refuses images with more pixels than this (a decompression bomb is small on disk, huge in memory).
MAX_PIXELS = 50_000_000
IMAGE_FORMATS = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}
#: PDF keys that make a document do something rather than show something.
ACTIVE_PDF_KEYS = {"/JavaScript", "/JS", "/Launch", "/EmbeddedFiles", "/EmbeddedFile", "/RichMedia", "/SubmitForm"}


def clean_upload(upload: Upload) -> Upload:
    """``upload`` with harmless content; raises :class:`FieldError` (``file_damaged``, ``file_active_content``,
    and with a virus scanner configured ``file_infected``, ``file_not_scanned``).
    """
    _scan(upload.content)  # the bytes as received: what the resident sent is what is judged
    kind = sniff(upload.content)
    if kind in IMAGE_FORMATS:
        return Upload(upload.filename, _reencode(upload.content, IMAGE_FORMATS[kind]))
    if kind == "pdf":
        _check_pdf(upload.content)
    return upload


def _scan(content: bytes) -> None:
    url = current_app.config.get("CLAMD_URL", "") if has_app_context() else ""
    if not url:
        return
    try:
        virus_scan.scan(content, url, timeout=float(current_app.config["CLAMD_TIMEOUT"]))
    except virus_scan.Infected:
        raise FieldError("file_infected") from None
    except virus_scan.ScanFailed:
        raise FieldError("file_not_scanned") from None


def _reencode(content: bytes, image_format: str) -> bytes:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)  # keep the photo the right way up without its EXIF
                if image_format == "JPEG" and upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                out = io.BytesIO()
                # Saved anew from the pixels alone: EXIF (GPS, camera, time), XMP and comments are left behind.
                upright.save(out, format=image_format, **({"quality": 90} if image_format == "JPEG" else {}))
                return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):  # fmt: skip
        raise FieldError("file_damaged") from None


def _check_pdf(content: bytes) -> None:
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise FieldError("file_active_content")
        seen: set[int] = set()
        stack: list[object] = [reader.trailer]
        while stack:
            item = stack.pop()
            if isinstance(item, IndirectObject):
                if item.idnum in seen:
                    continue
                seen.add(item.idnum)
                item = item.get_object()
            if isinstance(item, DictionaryObject):
                if ACTIVE_PDF_KEYS & set(item.keys()) or item.get("/S") in ("/JavaScript", "/Launch"):
                    raise FieldError("file_active_content")
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    except FieldError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, RecursionError, OSError):
        raise FieldError("file_damaged") from None

"""The application's receipt renderer: one per app, in the locale's translations, static files only."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, url_for

from app.config import PROJECT_ROOT
from app.metrics import RECEIPT_RENDER_SECONDS
from eservices.receipts import ReceiptContext, ReceiptRenderer


@lru_cache(maxsize=32)
def translations_for(locale: str) -> NullTranslations:
    """The interface catalog of ``locale`` (empty for English, whose text is the source)."""
    return Translations.load(str(PROJECT_ROOT / "translations"), [locale.replace("-", "_")], domain="messages")


def init_receipts(app: Flask) -> None:
    app.extensions["receipts"] = ReceiptRenderer(
        templates=PROJECT_ROOT / "templates", static=PROJECT_ROOT / "static", translations=translations_for
    )


def renderer() -> ReceiptRenderer:
    found: ReceiptRenderer = current_app.extensions["receipts"]
    return found


def render_receipt(snapshot: Mapping[str, Any], verification_code: str) -> bytes:
    """The PDF of a case's receipt; for use inside a request (it needs the public URL of /verify)."""
    context = ReceiptContext(
        municipality=current_app.config["MUNICIPALITY_NAME"],
        verification_code=verification_code,
        verify_url=url_for("resident.verify", _external=True),
        timezone=current_app.config["TIMEZONE"],
    )
    with RECEIPT_RENDER_SECONDS.time():
        return renderer().pdf(snapshot, context)

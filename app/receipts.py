"""The application's receipt renderer: one per app, in the locale's translations, static files only."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, has_request_context, url_for
from sqlalchemy.exc import IntegrityError

from app.config import PROJECT_ROOT
from app.db import WRITE_INTENT
from app.metrics import RECEIPT_RENDER_SECONDS
from app.models import Receipt, Submission
from app.services import receipts as receipt_service
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


def receipt_for(app: Flask, submission_id: int) -> Receipt | None:
    """Case ``submission_id``'s receipt: the stored one, or drawn now and stored once; None without the case.

    The filing draws its receipt here right after its commit (``app.resident.routes._draw_receipt``); if
    that failed, the confirmation mail, the first download (resident or staff) and the scheduled jobs
    come here too. It uses sessions of its own, so a caller that only reads (or holds other locks) can
    call it, and draws the receipt before it takes the write lock. When another process stores one
    meanwhile, that one is the receipt. Outside a request, the /verify address comes from PUBLIC_BASE_URL.
    """
    factory = app.extensions["db_sessionmaker"]
    base_url = app.config["PUBLIC_BASE_URL"] or "http://localhost"
    request_context = nullcontext() if has_request_context() else app.test_request_context("/", base_url=base_url)
    with request_context, factory() as session:
        submission = session.get(Submission, submission_id)
        if submission is None:
            return None
        stored = receipt_service.receipt_of(session, submission)
        if stored is not None:
            return stored
        rendered = receipt_service.render(submission, render_receipt)
        session.rollback()  # the reading ends here; storing takes the write lock (on SQLite) when it begins
        for _attempt in range(2):
            try:
                with session.begin():
                    session.connection(execution_options={WRITE_INTENT: True})
                    return receipt_service.store_receipt(session, submission, rendered, datetime.now(UTC))
            except IntegrityError:
                continue  # stored by another process between our look and our insert: take that one
    raise RuntimeError(f"the receipt of case {submission_id} could neither be stored nor read")

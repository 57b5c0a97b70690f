"""Every bundled e-service can be filed from its start page to the receipt, page by page, over HTTP."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import PDF, PNG, ROOT, Resident
from markupsafe import escape
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Defaults
from app.models import Attachment, Receipt, Submission
from eservices.samples import sample_answers
from eservices.schema import load_file
from eservices.validation import field_visible, page_visible, prune

FORMS = sorted((ROOT / "forms").glob("*.yaml"))


def page_data(definition, index: int, answers: dict) -> dict:
    """What a resident types on page ``index``: the sample answers of its visible questions."""
    kept = prune(definition, answers)
    data = {}
    for item in definition.pages[index].fields:
        if not item.type.has_input or not field_visible(item, kept):
            continue
        if item.type.takes_file:
            accepted = item.spec.get("accept", ["pdf", "jpeg", "png"])
            data[item.name] = (PDF, "bilaga.pdf") if "pdf" in accepted else (PNG, "bild.png")
        else:
            data[item.name] = item.type.to_form(item.spec, answers[item.name])
    return data


LANGUAGES = Defaults.LANGUAGES
RIGHT_TO_LEFT = {"ar", "fa"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", FORMS, ids=[path.stem for path in FORMS])
def test_each_bundled_e_service_can_be_filed_in_each_language(
    path: Path, language: str, resident: Resident, db: Session
) -> None:
    definition = load_file(path)
    answers = sample_answers(definition, date.today())
    resident.get(f"/?lang={language}")
    resident.start(definition.slug)
    assert f'<html lang="{language}" dir="{"rtl" if language in RIGHT_TO_LEFT else "ltr"}">' in resident.html
    if language in ("sv", "en", "fi", "ar"):
        assert str(escape(definition.text("title", language))) in resident.html  # the content speaks it too
    visited = []
    while "/page/" in resident.url:
        index = int(resident.url.rsplit("/", 1)[1]) - 1
        assert page_visible(definition.pages[index], prune(definition, answers))
        visited.append(index)
        resident.answer(page_data(definition, index, answers))
        assert 'class="error-summary"' not in resident.html, (
            f"page {index + 1}: {re.findall(r'error-message[^>]*>(.*?)</p>', resident.html, re.S)}"
        )
    assert resident.url.endswith("/review"), resident.url
    assert visited == sorted(visited)
    resident.submit()
    assert resident.url.startswith("/receipt/")
    submission = db.scalar(select(Submission))
    assert submission is not None and submission.reference in resident.html
    receipt = db.scalar(select(Receipt).where(Receipt.submission_id == submission.id))
    assert receipt is not None and receipt.content.startswith(b"%PDF-")
    assert submission.locale == language
    reader = PdfReader(io.BytesIO(receipt.content))
    assert reader.trailer["/Root"]["/Lang"] == language
    assert submission.reference in "".join(page.extract_text() for page in reader.pages)
    filed_files = [
        f for page in submission.snapshot["pages"] for f in page["fields"] if f["type"] == "file" and f["value"]
    ]
    uploads = db.scalars(select(Attachment).where(Attachment.submission_id == submission.id)).all()
    assert len(uploads) == len(filed_files) == len(submission.snapshot["attachments"])

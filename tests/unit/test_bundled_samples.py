"""Every bundled e-service accepts a sample answer and renders a receipt from it (STYLE.md, rule 7)."""

from __future__ import annotations

import gettext
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.support import Translations
from pypdf import PdfReader

from eservices.receipts import ReceiptContext, ReceiptRenderer
from eservices.samples import sample_answers
from eservices.schema import load_file
from eservices.snapshot import build_snapshot
from eservices.validation import validate_answers

ROOT = Path(__file__).resolve().parents[2]
FORMS = sorted((ROOT / "forms").glob("*.yaml"))
TODAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def renderer() -> ReceiptRenderer:
    return ReceiptRenderer(ROOT / "templates", ROOT / "static", lambda locale: gettext.NullTranslations())


@pytest.mark.parametrize("path", FORMS, ids=[path.stem for path in FORMS])
def test_sample_answers_are_accepted_and_make_a_receipt(path: Path, renderer: ReceiptRenderer) -> None:
    definition = load_file(path)
    checked = validate_answers(definition, sample_answers(definition, TODAY), TODAY)
    assert checked.errors == {}
    snapshot = build_snapshot(
        definition,
        checked.answers,
        locale="sv",
        translate=lambda locale, message: message,
        reference="GRU-2026-00001T",
        submitted_at=datetime(2026, 11, 27, 12, tzinfo=UTC),
        form_version=1,
    )
    context = ReceiptContext(
        municipality="Grums kommun", verification_code="K7QM-2XPA", verify_url="https://e.grums.se/verify"
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(renderer.pdf(snapshot, context))).pages)
    assert definition.text("title", "sv").split()[0] in text
    first_question = next(f for f in definition.fields.values() if f.type.has_input)
    assert first_question.label("sv").split()[0] in text


CATALOGS = sorted(path.parent.parent.name for path in (ROOT / "translations").glob("*/LC_MESSAGES/messages.mo"))


@pytest.mark.parametrize("language", CATALOGS)
def test_a_receipt_reads_back_in_every_interface_language(language: str) -> None:
    """The translated headings come back out of the PDF as text: letters, joined and in logical order."""
    translations = Translations.load(str(ROOT / "translations"), [language])
    renderer = ReceiptRenderer(ROOT / "templates", ROOT / "static", lambda locale: translations)
    definition = load_file(FORMS[0])
    snapshot = build_snapshot(
        definition,
        validate_answers(definition, sample_answers(definition, TODAY), TODAY).answers,
        locale=language,
        translate=lambda locale, message: translations.gettext(message),
        reference="GRU-2026-00001T",
        submitted_at=datetime(2026, 11, 27, 12, tzinfo=UTC),
        form_version=1,
    )
    context = ReceiptContext(
        municipality="Grums kommun", verification_code="K7QM-2XPA", verify_url="https://e.grums.se/verify"
    )
    reader = PdfReader(io.BytesIO(renderer.pdf(snapshot, context)))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for heading in ("What happens next", "Reference number", "Verification code"):
        assert translations.gettext(heading) in text, heading
    assert "GRU-2026-00001T" in text
    assert reader.trailer["/Root"]["/Lang"] == language

"""The receipt renderer: escaped text only, nothing fetched from outside static/, an archival PDF."""

from __future__ import annotations

import gettext
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from eservices.receipts import ANSWERS_ATTACHMENT, ReceiptContext, ReceiptRenderer, StaticOnlyFetcher, page_counter_css

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '<img src="file:///etc/passwd"><img src="http://example.invalid/x.png"><script>alert(1)</script>'


def snapshot(label: str = "Beskrivning", answer: str = "Lampan vid Tingvallavägen 3 är trasig.") -> dict:
    return {
        "format": 1,
        "reference": "GRU-2026-00042M",
        "eservice": "test",
        "form_version": 1,
        "title": {"sv": "Felanmälan"},
        "unit": {"sv": "Samhällsbyggnadsförvaltningen"},
        "next_steps": {"sv": "Vi åtgärdar felet."},
        "contact": {"sv": ""},
        "locale": "sv",
        "submitted_at": datetime(2026, 11, 27, 1, 30, tzinfo=UTC).isoformat(),
        "pages": [
            {
                "key": "p",
                "title": {"sv": "Felet"},
                "fields": [
                    {
                        "name": "b",
                        "type": "textarea",
                        "label": {"sv": label},
                        "value": answer,
                        "display": {"sv": answer},
                    }
                ],
            }
        ],
        "attachments": [
            {"field": "f", "filename": "foto.png", "size": 2048, "sha256": "ab" * 32, "content_type": "image/png"}
        ],
    }


@pytest.fixture(scope="module")
def renderer() -> ReceiptRenderer:
    return ReceiptRenderer(ROOT / "templates", ROOT / "static", lambda locale: gettext.NullTranslations())


CONTEXT = ReceiptContext(
    municipality="Grums kommun", verification_code="K7QM-2XPA", verify_url="https://example.se/verify"
)


def test_html_escapes_what_residents_and_communicators_wrote(renderer: ReceiptRenderer) -> None:
    html = renderer.html(snapshot(label=HOSTILE, answer=HOSTILE), CONTEXT)
    assert '<img src="file:///etc/passwd">' not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<script>" not in html


def test_a_hostile_label_fetches_nothing_and_prints_as_text(renderer: ReceiptRenderer) -> None:
    data = snapshot(label=HOSTILE, answer=HOSTILE)
    fetcher = StaticOnlyFetcher(ROOT / "static")
    pdf = renderer.pdf_from_html(renderer.html(data, CONTEXT), data, fetcher)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "file:///etc/passwd" in text  # shown to the reader as the text it is
    assert fetcher.refused == []  # and nothing was even asked for


def test_the_fetcher_refuses_files_outside_static_and_every_network_url(tmp_path: Path) -> None:
    fetcher = StaticOnlyFetcher(ROOT / "static")
    for url in (
        "file:///etc/passwd",
        "http://example.invalid/x.png",
        "https://example.invalid/",
        "data:text/plain,x",
        (ROOT / "static" / ".." / "pyproject.toml").as_uri(),
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 5
    served = fetcher.fetch((ROOT / "static" / "css" / "receipt.css").as_uri())
    assert b"@font-face" in served.read()


def test_html_that_asks_for_outside_files_gets_none_of_them(renderer: ReceiptRenderer) -> None:
    fetcher = StaticOnlyFetcher(ROOT / "static")
    html = renderer.html(snapshot(), CONTEXT).replace(
        "</body>", '<img src="file:///etc/passwd"><img src="http://example.invalid/a.png"></body>'
    )
    renderer.pdf_from_html(html, snapshot(), fetcher)
    assert fetcher.refused == ["file:///etc/passwd", "http://example.invalid/a.png"]


def test_the_pdf_is_archival_tagged_and_carries_the_answers(renderer: ReceiptRenderer) -> None:
    data = snapshot()
    reader = PdfReader(io.BytesIO(renderer.pdf(data, CONTEXT)))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "GRU-2026-00042M" in text
    assert "Lampan vid Tingvallavägen 3 är trasig." in text
    assert "27 november 2026 02:30" in text  # Stockholm time, Swedish format
    assert "K7QM-2XPA" in text
    assert "ab" * 32 in text.replace("\n", "")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "sv"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r'pdfaid:part(="|>)3', xmp) and re.search(r'pdfaid:conformance(="|>)A', xmp)
    assert reader.metadata.title.startswith("Receipt GRU-2026-00042M")
    assert json.loads(reader.attachments[ANSWERS_ATTACHMENT][0]) == data
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)[
                "/FontDescriptor"
            ]
            assert "/FontFile2" in descriptor.get_object(), f"{descriptor['/FontName']} is not embedded"


def test_page_numbers_come_from_a_translated_pattern() -> None:
    assert page_counter_css("Sida %(page)s av %(pages)s") == '"Sida " counter(page) " av " counter(pages)'
    assert page_counter_css('%(page)s/"%(pages)s"') == 'counter(page) "/\\"" counter(pages) "\\""'
    assert "<" not in page_counter_css("</style>%(page)s")


def test_an_arabic_receipt_reads_right_to_left_with_joined_letters(renderer: ReceiptRenderer) -> None:
    data = snapshot()
    data["locale"] = "ar"
    data["title"] = {"sv": "Felanmälan", "ar": "الإبلاغ عن عطل"}
    field = data["pages"][0]["fields"][0]
    field["label"] = {"sv": "Beskrivning", "ar": "الوصف"}
    field["display"] = {"sv": "Lampan är trasig.", "ar": "المصباح في الشارع مكسور"}
    html = renderer.html(data, CONTEXT)
    assert '<html lang="ar" dir="rtl">' in html
    reader = PdfReader(io.BytesIO(renderer.pdf(data, CONTEXT)))
    text = "".join(page.extract_text() for page in reader.pages)
    # Arabic letters come back as Arabic, in logical order: the font shaped and joined them, with a map back.
    assert "الإبلاغ عن عطل" in text
    assert "المصباح في الشارع مكسور" in text
    assert "GRU-2026-00042M" in text  # the reference keeps its own direction
    assert reader.trailer["/Root"]["/Lang"] == "ar"
    assert "27 november 2026 02:30" in text  # and the time is also given in Swedish

"""Uploads are looked into, not only typed: photos lose their GPS position, active PDFs and bombs are refused."""

from __future__ import annotations

import io

import pytest
from conftest import PDF, Resident
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from app.uploads import clean_upload
from eservices.fields import FieldError, Upload


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {1: "N", 2: (59.0, 21.0, 0.0), 3: "E", 4: (13.0, 6.0, 0.0)}  # GPS: Grums
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def pdf_with_javascript() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hej');")}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_attachment() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_attachment("virus.exe", b"MZ\x90\x00")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_photo_is_stored_without_its_gps_position() -> None:
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the position is there before
    cleaned = clean_upload(Upload("IMG_0042.jpg", original)).content
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.format == "JPEG" and image.size == (40, 30)
        assert not image.getexif()  # no camera, no time, no position
        assert b"PhoneMaker" not in cleaned


@pytest.mark.parametrize("make", [pdf_with_javascript, pdf_with_attachment], ids=["javascript", "embedded-file"])
def test_a_pdf_that_does_things_is_refused(make) -> None:
    with pytest.raises(FieldError) as refused:
        clean_upload(Upload("intyg.pdf", make()))
    assert refused.value.code == "file_active_content"


def test_an_ordinary_pdf_is_kept_byte_for_byte() -> None:
    assert clean_upload(Upload("intyg.pdf", PDF)).content == PDF


def test_a_decompression_bomb_and_a_broken_image_are_refused() -> None:
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, format="PNG")  # tiny file, 144 megapixels
    assert len(bomb.getvalue()) < 100_000
    for content in (bomb.getvalue(), b"\xff\xd8\xff\xe0" + b"\x00" * 50, b"\x89PNG\r\n\x1a\n" + b"junk"):
        with pytest.raises(FieldError) as refused:
            clean_upload(Upload("bild", content))
        assert refused.value.code == "file_damaged"


def test_the_resident_is_told_why_a_pdf_was_refused(resident: Resident) -> None:
    resident.start("parkeringstillstand-rorelsehindrade")
    resident.answer({"ansokningstyp": "ny", "roll": "forare"})
    resident.answer(
        {"personnummer": "811218-9876", "fornamn": "Dana", "efternamn": "Lind", "adress": "Solvägen 2",
         "postnummer": "664 31", "ort": "Grums", "telefon": "0555-123 45"}
    )  # fmt: skip
    resident.answer({"beskrivning": "Jag kan gå ungefär 50 meter.", "varaktighet": "langre"})
    resident.answer({"lakarintyg": (pdf_with_javascript(), "intyg.pdf"), "personuppgifter": "yes"})
    assert resident.url.endswith("/page/4")
    assert "PDF-filen innehåller skript" in resident.html

"""File uploads: the kind is decided by the bytes, the size is limited, and the name is made safe."""

from __future__ import annotations

import hashlib

import pytest

from eservices.fields import REGISTRY, FieldError, Upload
from eservices.fields.file import clean_filename, sniff

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(300)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
GIF = b"GIF89a" + bytes(50)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(50)
HEIC = b"\x00\x00\x00\x18ftypheic" + bytes(50)
TEXT = "Hej! Det här är ingen pdf.\n".encode()
EXE = b"MZ\x90\x00" + bytes(100)


def upload(spec: dict, filename: str, content: bytes) -> dict:
    return REGISTRY["file"].parse_upload(spec, Upload(filename=filename, content=content))


def refused(spec: dict, filename: str, content: bytes) -> FieldError:
    with pytest.raises(FieldError) as caught:
        upload(spec, filename, content)
    return caught.value


def test_a_pdf_is_recorded_with_size_and_checksum() -> None:
    value = upload({}, "ansokan.pdf", PDF)
    assert value == {
        "filename": "ansokan.pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "content_type": "application/pdf",
    }


def test_the_bytes_decide_the_type_not_the_name() -> None:
    value = upload({"accept": ["pdf", "png"]}, "skanning.pdf", PNG)
    assert value["content_type"] == "image/png"
    assert value["sha256"] == hashlib.sha256(PNG).hexdigest()


def test_a_text_file_named_pdf_is_refused() -> None:
    error = refused({}, "x.pdf", TEXT)
    assert error.code == "file_type_not_allowed"
    assert error.params == {"allowed": "PDF, JPEG, PNG"}


@pytest.mark.parametrize(("name", "content"), [("virus.jpg", EXE), ("bild.png", PDF), ("bild.gif", GIF)])
def test_kinds_outside_the_fields_list_are_refused(name, content) -> None:
    assert refused({"accept": ["png", "jpeg"]}, name, content).code == "file_type_not_allowed"


@pytest.mark.parametrize(
    ("content", "mime"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (HEIC, "image/heic"),
    ],
)
def test_every_known_kind_is_recognised(content, mime) -> None:
    spec = {"accept": ["pdf", "png", "jpeg", "gif", "webp", "heic"]}
    assert upload(spec, "fil", content)["content_type"] == mime


def test_unknown_bytes_are_no_kind() -> None:
    assert sniff(TEXT) is None
    assert sniff(b"") is None


def test_an_empty_file_is_refused() -> None:
    assert refused({}, "tom.pdf", b"").code == "file_empty"


def test_a_file_over_the_limit_is_refused() -> None:
    spec = {"max_size_mb": 1}
    exactly = PDF + bytes(1_000_000 - len(PDF))
    assert upload(spec, "stor.pdf", exactly)["size"] == 1_000_000
    error = refused(spec, "stor.pdf", exactly + b"\x00")
    assert error.code == "file_too_large"
    assert error.params == {"max_mb": 1}


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("C:\\Users\\anna\\Bilder\\hål i gatan.png", "hål i gatan.png"),
        ("../../etc/passwd", "passwd"),
        ("/home/anna/foto.jpg", "foto.jpg"),
        ('bild<1>:"x"?.png', "bild_1___x__.png"),
        ("rapport\x00.pdf", "rapport_.pdf"),
        ("..", "fil"),
        ("", "fil"),
        ("  .dold.pdf ", "dold.pdf"),
    ],
)
def test_file_names_lose_their_path_and_unsafe_characters(given, kept) -> None:
    assert clean_filename(given) == kept
    assert upload({}, given, PNG)["filename"] == kept


def test_very_long_names_keep_their_ending() -> None:
    name = "a" * 300 + ".pdf"
    cleaned = clean_filename(name)
    assert len(cleaned) == 120
    assert cleaned.endswith(".pdf")


def test_shown_with_its_size() -> None:
    file = REGISTRY["file"]
    assert file.display({}, {"filename": "a.pdf", "size": 340_000}, "sv", str) == "a.pdf (340\u00a0kB)"
    assert file.display({}, {"filename": "a.pdf", "size": 1_250_000}, "sv", str) == "a.pdf (1,2\u00a0MB)"
    assert file.display({}, None, "sv", str) == ""


def test_a_file_never_arrives_as_text(refuse) -> None:
    assert refuse("file", "ansokan.pdf").code == "invalid_file"
    assert REGISTRY["file"].to_form({}, {"filename": "a.pdf"}) == []

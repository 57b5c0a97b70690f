"""A resident files bundled e-services from the catalog to the receipt page."""

from __future__ import annotations

import hashlib
import re

from conftest import PNG, Resident
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Attachment, Draft, Submission
from app.uploads import clean_upload
from eservices.fields import Upload

REFERENCE = re.compile(r"GRU-\d{4}-\d{5}[A-Z]")


def errors_on(resident: Resident) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", m).split())
        for m in re.findall(r'class="error-message"[^>]*>(.*?)</p>', resident.html, re.S)
    ]


def test_fault_report_with_photo_and_contact_page_reaches_the_receipt(resident: Resident, db: Session) -> None:
    resident.start("felanmalan-gata-park-belysning")
    assert "Steg 1 av 5" in resident.html  # four pages and the review; the contact page may be added
    resident.answer({"kategori": "gatubelysning"})
    assert resident.url.endswith("/page/2")
    resident.answer({"plats": "Tingvallavägen 3", "stolpnummer": "G-114"})
    resident.answer({"beskrivning": "Lampan lyser inte sedan i måndags.", "bild": (PNG, "IMG_0042.png")})
    assert resident.url.endswith("/page/4")
    resident.answer({"vill_bli_kontaktad": "yes"})
    assert resident.url.endswith("/page/5")  # the contact page shows because of that answer
    resident.answer({"namn": "Anna Andersson", "kontaktsatt": "epost", "epost": "anna@example.se"})
    assert resident.url.endswith("/review")
    for shown in ("Tingvallavägen 3", "G-114", "Lampan lyser inte sedan i måndags.", "IMG_0042.png", "anna@example.se"):
        assert shown in resident.html
    resident.submit()
    assert resident.url.startswith("/receipt/")
    reference = REFERENCE.search(resident.html)
    assert reference, "the receipt page shows the reference"

    submission = db.scalar(select(Submission).where(Submission.reference == reference.group(0)))
    assert submission is not None
    assert submission.email == "anna@example.se"
    attachment = db.scalar(select(Attachment).where(Attachment.submission_id == submission.id))
    stored_png = clean_upload(Upload("IMG_0042.png", PNG)).content  # re-encoded without metadata
    assert attachment.content == stored_png and attachment.sha256 == hashlib.sha256(stored_png).hexdigest()
    assert attachment.filename == "IMG_0042.png" and attachment.content_type == "image/png"
    labels = [f["label"]["sv"] for page in submission.snapshot["pages"] for f in page["fields"]]
    assert "Vad gäller felet?" in labels
    assert submission.snapshot["form_version"] == submission.form_version.number


def test_hidden_page_is_skipped_and_its_answers_dropped(resident: Resident, db: Session) -> None:
    resident.start("felanmalan-gata-park-belysning")
    resident.answer({"kategori": "klotter"})
    assert "stolpnummer" not in resident.html  # only asked for street lights
    resident.answer({"plats": "Badhusgatan"})
    resident.answer({"beskrivning": "Klotter på busskuren."})
    resident.answer({"vill_bli_kontaktad": "yes"})
    resident.answer({"namn": "Bo Berg", "kontaktsatt": "telefon", "telefon": "070-123 45 67"})
    assert resident.url.endswith("/review")
    resident.get("/e/felanmalan-gata-park-belysning/page/4")
    resident.answer({"vill_bli_kontaktad": "no"})
    assert resident.url.endswith("/review")  # page 5 is no longer on the way
    assert "Bo Berg" not in resident.html
    resident.submit()
    submission = db.scalar(select(Submission))
    names = {f["name"] for page in submission.snapshot["pages"] for f in page["fields"]}
    assert "namn" not in names and "telefon" not in names
    assert submission.email is None


def test_request_for_public_document_anonymously(resident: Resident, db: Session) -> None:
    resident.start("begaran-om-allman-handling")
    resident.answer({"handling": "Protokollet från kommunstyrelsens möte i oktober.", "diarienummer": "KS 2026/114"})
    resident.answer(
        {"leveranssatt": "brev", "namn": "C. Svensson", "adress": "Storgatan 1", "postnummer": "66430", "ort": "Grums"}
    )
    assert resident.url.endswith("/review")
    assert "664 30" in resident.html  # postnummer shown as stored
    resident.submit()
    assert REFERENCE.search(resident.html)
    submission = db.scalar(select(Submission))
    values = {f["name"]: f["value"] for page in submission.snapshot["pages"] for f in page["fields"]}
    assert values["postnummer"] == "664 30"
    assert "epost" not in values


def test_parking_permit_with_personnummer_certificate_and_consent(resident: Resident, db: Session) -> None:
    from conftest import PDF

    resident.start("parkeringstillstand-rorelsehindrade")
    resident.answer({"ansokningstyp": "ny", "roll": "forare"})
    resident.answer(
        {
            "personnummer": "811218-9876",
            "fornamn": "Dana",
            "efternamn": "Lind",
            "adress": "Solvägen 2",
            "postnummer": "664 31",
            "ort": "Grums",
            "telefon": "0555-123 45",
        }
    )
    resident.answer(
        {
            "hjalpmedel": ["rollator", "kapp_kryckor"],
            "beskrivning": "Jag kan gå ungefär 50 meter.",
            "varaktighet": "langre",
        }
    )
    resident.answer({"lakarintyg": (PDF, "intyg.pdf")})
    assert resident.url.endswith("/page/4")
    assert errors_on(resident) == ["Fel: Kryssa i rutan för att gå vidare."]
    assert "intyg.pdf" in resident.html  # the uploaded file is kept while the error is fixed
    resident.answer({"personuppgifter": "yes"})
    assert resident.url.endswith("/review")
    assert "19811218-9876" in resident.html
    resident.submit()
    submission = db.scalar(select(Submission))
    values = {f["name"]: f["value"] for page in submission.snapshot["pages"] for f in page["fields"]}
    assert values["personnummer"] == "198112189876"
    assert values["hjalpmedel"] == ["kapp_kryckor", "rollator"]  # in the order the form lists them
    assert values["lakarintyg"]["filename"] == "intyg.pdf"


def test_error_summary_links_to_each_field_and_keeps_other_answers(resident: Resident) -> None:
    resident.start("begaran-om-allman-handling")
    resident.answer({"handling": "Bygglovet för Norra Torget 4."})
    resident.answer({"leveranssatt": "brev", "namn": "Eva", "postnummer": "06430"})
    html = resident.html
    assert resident.url.endswith("/page/2")
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    links = re.findall(r'href="#(field-[a-z_]+)"', summary)
    assert set(links) == {"field-adress", "field-postnummer", "field-ort"}
    for target in links:
        assert f'id="{target}"' in html  # every link lands on its field
    assert re.search(r"<title>(Fel|Error):", html)
    assert 'value="Eva"' in html and 'value="06430"' in html  # what was typed stays
    assert 'aria-invalid="true"' in html


def test_back_and_forward_keep_answers(resident: Resident) -> None:
    resident.start("synpunkter-och-klagomal")
    resident.answer({"typ": "forslag", "omrade": "gator_parker"})
    resident.answer({"beskrivning": "Fler bänkar i parken."}, action="back")
    assert resident.url.endswith("/page/1")
    assert re.search(r'value="forslag"[^>]*checked', resident.html)
    resident.answer({"typ": "forslag", "omrade": "gator_parker"})
    assert "Fler bänkar i parken." in resident.html


def test_each_kind_of_bad_value_gets_its_own_message(resident: Resident) -> None:
    resident.start("parkeringstillstand-rorelsehindrade")
    resident.answer({"ansokningstyp": "ny", "roll": "forare"})
    resident.answer(
        {
            "personnummer": "811218-9875",
            "fornamn": "Dana",
            "efternamn": "Lind",
            "adress": "Solvägen 2",
            "postnummer": "6643",
            "ort": "Grums",
            "telefon": "12345",
            "epost": "dana@",
        }
    )
    messages = errors_on(resident)
    assert len(messages) == 4
    assert len(set(messages)) == 4  # personnummer, postnummer, phone and email each say what is wrong
    assert 'value="Dana"' in resident.html and 'value="Solvägen 2"' in resident.html


def test_draft_is_not_a_case(resident: Resident, db: Session) -> None:
    resident.start("synpunkter-och-klagomal")
    resident.answer({"typ": "berom", "omrade": "gator_parker"})
    assert db.scalar(select(Submission)) is None
    assert db.scalar(select(Draft)) is not None

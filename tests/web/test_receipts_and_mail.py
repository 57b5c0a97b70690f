"""Receipts that last: a checked reference, a stored archival PDF, a confirmation mail that gets there once.

Mail goes over real SMTP to an aiosmtpd server on 127.0.0.1. The tests run the outbox in worker mode
and call ``deliver_due`` themselves, so nothing is delivered behind their back; one test follows the
embedded (inline) path by closing the response, as the server does once the page has been sent.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import make_msgid
from typing import Any

import pytest
from conftest import CSRF, Resident
from flask import Flask
from pypdf import PdfReader
from smtp_server import SmtpServer
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.mail import deliver_due
from app.models import OutboxMessage, Receipt, ReferenceCounter, Submission
from app.services import outbox as outbox_service
from app.services.filing import SWEDEN
from app.services.outbox import OutgoingMail
from app.services.receipts import CODE_ALPHABET
from eservices.numbering import parse_reference

FAULT = "felanmalan-gata-park-belysning"
DOCUMENT = "begaran-om-allman-handling"
PLACE = "Tingvallavägen 3"
POST_NUMBER = "G-114"
DESCRIPTION = "Lampan lyser inte sedan i måndags."
EMAIL = "anna@example.se"

GENUINE = "Kvittensen är äkta"
NOT_CONFIRMED = "Vi kunde inte bekräfta kvittensen"


# --- the mail server and the app's mail settings ------------------------------------------------------


@pytest.fixture(autouse=True)
def mail_by_worker(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliver only when a test says so, and never to a file: a stray delivery would hit a closed port."""
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", SmtpServer().port)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5)


@pytest.fixture
def smtp_down(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """The app's SMTP server, configured but not (yet) running; ``start()`` brings it up on the same port."""
    server = SmtpServer()
    monkeypatch.setitem(app.config, "SMTP_PORT", server.port)
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_down: SmtpServer) -> SmtpServer:
    smtp_down.start()
    return smtp_down


# --- a resident filing, and what the pages show -------------------------------------------------------


def reference_on(html: str) -> str:
    match = re.search(r"GRU-\d{4}-\d{5}[A-Z]", html)
    assert match, "the page shows a reference number"
    return match.group(0)


def pdf_link(html: str) -> str:
    match = re.search(r'<a[^>]*href="(/case/[0-9a-f]{64}/receipt\.pdf(?:\?lang=\w+)?)"[^>]*download', html)
    assert match, "the page offers the receipt as a PDF download"
    return match.group(1)


def follow_link(html: str) -> str:
    match = re.search(r'href="(http://localhost/case/[0-9a-f]{64})"', html)
    assert match, "the receipt page gives the follow-the-case link"
    return match.group(1)


def review_fault_report(resident: Resident, *, email: str | None = None, description: str = DESCRIPTION) -> None:
    resident.start(FAULT)
    resident.answer({"kategori": "gatubelysning"})
    resident.answer({"plats": PLACE, "stolpnummer": POST_NUMBER})
    resident.answer({"beskrivning": description})
    if email is None:
        resident.answer({"vill_bli_kontaktad": "no"})
    else:
        resident.answer({"vill_bli_kontaktad": "yes"})
        resident.answer({"namn": "Anna Andersson", "kontaktsatt": "epost", "epost": email})
    assert resident.url.endswith("/review"), resident.url


def file_fault_report(resident: Resident, *, email: str | None = None, description: str = DESCRIPTION) -> str:
    """File a fault report about a street light; returns the reference the receipt page shows."""
    review_fault_report(resident, email=email, description=description)
    resident.submit()
    assert resident.page.status_code == 200
    assert resident.url.startswith("/receipt/"), resident.url
    return reference_on(resident.html)


def review_document_request(resident: Resident, *, email: str = EMAIL) -> None:
    resident.start(DOCUMENT)
    resident.answer({"handling": "Protokollet från kommunstyrelsens möte i oktober.", "diarienummer": "KS 2026/114"})
    resident.answer({"leveranssatt": "epost", "epost": email})
    assert resident.url.endswith("/review"), resident.url


def fresh(db: Session) -> Session:
    """The test's session, with a new transaction: it sees what the requests committed."""
    db.rollback()
    return db


def submission_of(db: Session, reference: str) -> Submission:
    found = fresh(db).scalar(select(Submission).where(Submission.reference == reference))
    assert found is not None, f"no submission {reference}"
    return found


def receipt_of(db: Session, reference: str) -> Receipt:
    found = db.scalar(select(Receipt).where(Receipt.submission_id == submission_of(db, reference).id))
    assert found is not None, f"no receipt for {reference}"
    return found


def outbox(db: Session) -> list[OutboxMessage]:
    return list(fresh(db).scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def make_due(db: Session) -> None:
    """Let the retry time pass: every waiting message is due now."""
    fresh(db).execute(update(OutboxMessage).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
    db.commit()


def count(db: Session, model: Any) -> int:
    return int(fresh(db).scalar(select(func.count()).select_from(model)) or 0)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pdf_text(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


# --- 1. the reference and the stored receipt ----------------------------------------------------------


def test_filing_gives_a_checked_reference_and_a_receipt_that_never_changes(resident: Resident, db: Session) -> None:
    reference = file_fault_report(resident)
    year = datetime.now(SWEDEN).year
    assert re.fullmatch(rf"GRU-{year}-\d{{5}}[A-Z]", reference)
    parsed = parse_reference(reference)
    assert (parsed.prefix, parsed.year, str(parsed)) == ("GRU", year, reference)
    assert "Ladda ner kvittensen (PDF)" in resident.html
    receipt_pdf = pdf_link(resident.html)

    first = resident.client.get(receipt_pdf)
    second = resident.client.get(receipt_pdf)
    assert first.status_code == second.status_code == 200
    assert first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF-")
    assert f"kvittens-{reference}.pdf" in first.headers["Content-Disposition"]
    assert first.data == second.data  # the stored bytes, not a new rendering
    assert sha256(first.data) == receipt_of(db, reference).sha256

    resident.get(follow_link(resident.html))
    assert resident.page.status_code == 200
    assert resident.url.startswith("/case/")
    assert reference in resident.html
    assert pdf_link(resident.html) == receipt_pdf
    assert resident.client.get(receipt_pdf).data == first.data


def test_another_resident_can_file_while_a_receipt_is_drawn(
    app: Flask, resident: Resident, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawing a receipt takes tens of milliseconds; the year's reference counter (and on SQLite the
    write lock) must be free by then, or every filing waits for every other resident's receipt."""
    import app.receipts as receipts

    engine = app.extensions["db_engine"]
    free_while_drawing: list[bool] = []
    real_render = receipts.render_receipt

    def render_and_look(snapshot: Any, code: str) -> bytes:
        with engine.connect() as other:
            if engine.dialect.name == "sqlite":
                raw = other.connection.driver_connection
                raw.execute("PRAGMA busy_timeout = 0")
                try:
                    raw.execute("BEGIN IMMEDIATE")  # what the next resident's filing does first
                    raw.execute("ROLLBACK")
                    free_while_drawing.append(True)
                except sqlite3.OperationalError:
                    free_while_drawing.append(False)
                finally:
                    raw.execute("PRAGMA busy_timeout = 30000")
            else:
                other.exec_driver_sql("SET lock_timeout = '200ms'")
                try:
                    other.execute(select(ReferenceCounter).with_for_update())
                    free_while_drawing.append(True)
                except OperationalError:  # lock_timeout: another transaction holds the counter
                    free_while_drawing.append(False)
                finally:
                    other.rollback()
        return real_render(snapshot, code)

    monkeypatch.setattr(receipts, "render_receipt", render_and_look)
    reference = file_fault_report(resident)
    assert free_while_drawing == [True]
    assert receipt_of(db, reference).sha256 == sha256(resident.client.get(pdf_link(resident.html)).data)


def test_a_receipt_not_drawn_at_filing_is_drawn_once_at_the_first_download(
    app: Flask, resident: Resident, db: Session, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer
) -> None:
    import app.receipts as receipts

    def out_of_memory(snapshot: Any, code: str) -> bytes:
        raise MemoryError("the receipt could not be drawn")

    real_render = receipts.render_receipt
    monkeypatch.setattr(receipts, "render_receipt", out_of_memory)
    reference = file_fault_report(resident, email=EMAIL)  # the case is filed, and the resident told so
    assert "Ladda ner kvittensen (PDF)" in resident.html
    assert count(db, Receipt) == 0
    monkeypatch.setattr(receipts, "render_receipt", real_render)

    first = resident.client.get(pdf_link(resident.html))
    second = resident.client.get(pdf_link(resident.html))
    assert first.status_code == second.status_code == 200 and first.data.startswith(b"%PDF-")
    assert first.data == second.data and count(db, Receipt) == 1
    assert sha256(first.data) == receipt_of(db, reference).sha256
    # The confirmation, sent after that, carries it.
    assert deliver_due(app) == (1, 0)
    (attachment,) = pdf_attachments(smtp.messages[0])
    assert attachment.get_content() == first.data


def test_a_confirmation_whose_receipt_was_not_drawn_at_filing_draws_it_before_it_leaves(
    app: Flask, resident: Resident, db: Session, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer
) -> None:
    import app.receipts as receipts

    def out_of_memory(snapshot: Any, code: str) -> bytes:
        raise MemoryError("the receipt could not be drawn")

    real_render = receipts.render_receipt
    monkeypatch.setattr(receipts, "render_receipt", out_of_memory)
    reference = file_fault_report(resident, email=EMAIL)
    assert count(db, Receipt) == 0
    monkeypatch.setattr(receipts, "render_receipt", real_render)  # drawing works again by the time mail goes

    assert deliver_due(app) == (1, 0)
    (attachment,) = pdf_attachments(smtp.messages[0])
    assert count(db, Receipt) == 1 and sha256(attachment.get_content()) == receipt_of(db, reference).sha256
    assert resident.client.get(pdf_link(resident.html)).data == attachment.get_content()

    # When the receipt cannot be drawn at all, the mail still goes, with the link to the case.
    other = Resident(app.test_client())
    monkeypatch.setattr(receipts, "render_receipt", out_of_memory)
    file_fault_report(other, email="bo@example.se")
    assert deliver_due(app) == (1, 0)
    assert pdf_attachments(smtp.messages[1]) == []
    assert follow_link(other.html) in body_of(smtp.messages[1], "plain")


# --- 2. what the PDF holds -----------------------------------------------------------------------------


def embedded_font_files(reader: PdfReader) -> dict[str, set[str]]:
    """For each font the pages use, which /FontFile* streams its descriptor carries."""
    found: dict[str, set[str]] = {}
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font")
        if fonts is None:
            continue
        for font in fonts.get_object().values():
            font = font.get_object()
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for item in descendants:
                descriptor = item["/FontDescriptor"].get_object()
                name = str(descriptor["/FontName"])
                found[name] = {key for key in descriptor if str(key).startswith("/FontFile")}
    return found


def test_receipt_pdf_is_archival_and_carries_the_answers(resident: Resident, db: Session) -> None:
    reference = file_fault_report(resident)
    reader = PdfReader(io.BytesIO(resident.client.get(pdf_link(resident.html)).data))

    text = pdf_text(reader)
    for shown in (reference, "Vad gäller felet?", "Gatubelysning", PLACE, POST_NUMBER, DESCRIPTION):
        assert shown in text, f"{shown!r} is not in the receipt"
    assert receipt_of(db, reference).verification_code in text

    root = reader.trailer["/Root"]
    assert root["/Lang"] == "sv"
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r'pdfaid:part(="|>)3\b', xmp), "PDF/A part 3"
    assert re.search(r'pdfaid:conformance(="|>)A\b', xmp), "PDF/A conformance A"

    assert "answers.json" in reader.attachments
    (answers,) = reader.attachments["answers.json"]
    assert json.loads(answers) == submission_of(db, reference).snapshot

    fonts = embedded_font_files(reader)
    assert fonts, "the receipt uses fonts"
    assert all("/FontFile2" in files for files in fonts.values()), fonts


def test_receipt_in_english_for_a_resident_who_filed_in_english(resident: Resident, db: Session) -> None:
    resident.get("/?lang=en")
    reference = file_fault_report(resident)
    assert "Your request has been received" in resident.html
    reader = PdfReader(io.BytesIO(resident.client.get(pdf_link(resident.html)).data))

    assert reader.trailer["/Root"]["/Lang"] == "en"
    text = pdf_text(reader)
    for shown in (reference, "What is the problem?", "Street lighting", "Address or place", PLACE, DESCRIPTION):
        assert shown in text, f"{shown!r} is not in the receipt"
    assert "Vad gäller felet?" not in text
    assert submission_of(db, reference).snapshot["locale"] == "en"


# --- 3. the confirmation mail --------------------------------------------------------------------------


def body_of(message: Any, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None and part.get_content_type() == f"text/{subtype}", f"no text/{subtype} part"
    return str(part.get_content())


def pdf_attachments(message: Any) -> list[Any]:
    return [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]


def test_confirmation_mail_arrives_over_smtp_with_the_receipt(
    resident: Resident, db: Session, app: Flask, smtp: SmtpServer
) -> None:
    reference = file_fault_report(resident, email=EMAIL)
    follow_url = follow_link(resident.html)
    assert smtp.messages == []  # worker mode: nothing is sent until the outbox is worked

    assert deliver_due(app) == (1, 0)
    (envelope,) = smtp.inbox.envelopes
    assert envelope[1] == [EMAIL]
    (message,) = smtp.messages
    assert message["To"] == EMAIL
    assert message["Subject"] == f"Vi har tagit emot ditt ärende {reference}"
    assert reference in body_of(message, "plain")
    assert follow_url in body_of(message, "plain")
    assert f'href="{follow_url}"' in body_of(message, "html")

    (attachment,) = pdf_attachments(message)
    assert attachment.get_filename() == f"kvittens-{reference}.pdf"
    content = attachment.get_content()
    receipt = receipt_of(db, reference)
    assert sha256(content) == receipt.sha256
    assert content == resident.client.get(pdf_link(resident.html)).data

    (row,) = outbox(db)
    assert message["Message-ID"] == row.message_id
    assert (row.status, row.attempts, row.recipient) == (OutboxMessage.SENT, 1, EMAIL)
    assert row.sent_at is not None


def test_document_request_by_email_is_confirmed_by_mail(
    resident: Resident, db: Session, app: Flask, smtp: SmtpServer
) -> None:
    review_document_request(resident, email="c.svensson@example.se")
    resident.submit()
    reference = reference_on(resident.html)
    assert deliver_due(app) == (1, 0)
    (message,) = smtp.messages
    assert message["To"] == "c.svensson@example.se"
    assert reference in message["Subject"]
    assert follow_link(resident.html) in body_of(message, "plain")
    (attachment,) = pdf_attachments(message)
    assert sha256(attachment.get_content()) == receipt_of(db, reference).sha256


def test_confirmation_mail_is_in_the_language_the_resident_filed_in(
    resident: Resident, db: Session, app: Flask, smtp: SmtpServer
) -> None:
    resident.get("/?lang=en")
    reference = file_fault_report(resident, email=EMAIL)
    assert deliver_due(app) == (1, 0)
    (message,) = smtp.messages
    assert message["Subject"] == f"We have received your request {reference}"
    assert "Follow your case here" in body_of(message, "plain")
    (attachment,) = pdf_attachments(message)
    assert PdfReader(io.BytesIO(attachment.get_content())).trailer["/Root"]["/Lang"] == "en"


def test_no_mail_when_the_resident_gave_no_email(resident: Resident, db: Session, app: Flask, smtp: SmtpServer) -> None:
    file_fault_report(resident)
    assert outbox(db) == []
    assert deliver_due(app) == (0, 0)
    assert smtp.inbox.envelopes == []


def test_inline_delivery_sends_once_the_response_is_closed(
    resident: Resident, db: Session, app: Flask, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "inline")
    review_fault_report(resident, email=EMAIL)
    fields = {"csrf_token": resident.token(), "version": resident.version(), "action": "submit"}
    response = resident.client.post(resident.url, data=fields)
    assert response.status_code == 302
    assert smtp.inbox.envelopes == []  # after the commit, once the page has gone out
    response.close()
    (message,) = smtp.messages
    (row,) = outbox(db)
    assert row.status == OutboxMessage.SENT
    assert message["Message-ID"] == row.message_id


# --- 4. the SMTP server is down ------------------------------------------------------------------------


def test_mail_waits_while_the_server_is_down_and_is_sent_exactly_once(
    resident: Resident, db: Session, app: Flask, smtp_down: SmtpServer
) -> None:
    reference = file_fault_report(resident, email=EMAIL)
    assert "Vi har tagit emot ditt ärende" in resident.html  # the resident is not told about mail trouble

    before = datetime.now(UTC)
    assert deliver_due(app) == (0, 1)
    (row,) = outbox(db)
    assert (row.status, row.attempts) == (OutboxMessage.PENDING, 1)
    assert row.next_attempt_at >= before + timedelta(seconds=app.config["OUTBOX_RETRY_SECONDS"])
    assert row.last_error and "refused" in row.last_error.lower()

    assert deliver_due(app) == (0, 0)  # not yet due: the server is not hammered
    smtp_down.start()
    assert deliver_due(app) == (0, 0)
    assert smtp_down.inbox.envelopes == []

    make_due(db)
    assert deliver_due(app) == (1, 0)
    (message,) = smtp_down.messages
    assert reference in message["Subject"]
    (row,) = outbox(db)
    assert (row.status, row.attempts) == (OutboxMessage.SENT, 2)
    assert message["Message-ID"] == row.message_id

    make_due(db)
    assert deliver_due(app) == (0, 0)  # a sent message is never sent again
    assert len(smtp_down.inbox.envelopes) == 1


def test_mail_is_given_up_after_the_last_attempt(
    resident: Resident, db: Session, app: Flask, smtp_down: SmtpServer
) -> None:
    file_fault_report(resident, email=EMAIL)
    attempts = app.config["OUTBOX_MAX_ATTEMPTS"]
    base = timedelta(seconds=app.config["OUTBOX_RETRY_SECONDS"])
    for attempt in range(1, attempts + 1):
        make_due(db)
        before = datetime.now(UTC)
        assert deliver_due(app) == (0, 1)
        after = datetime.now(UTC)
        (row,) = outbox(db)
        assert row.attempts == attempt
        if attempt < attempts:
            assert row.status == OutboxMessage.PENDING
            wait = base * 2 ** (attempt - 1)  # each wait twice the one before
            assert before + wait <= row.next_attempt_at <= after + wait
    assert row.status == OutboxMessage.FAILED
    assert row.last_error

    smtp_down.start()
    make_due(db)
    assert deliver_due(app) == (0, 0)  # a failed message stays for staff to see; it is not retried
    assert smtp_down.inbox.envelopes == []
    (row,) = outbox(db)
    assert (row.status, row.attempts) == (OutboxMessage.FAILED, attempts)


def test_deliverers_running_at_once_send_each_message_exactly_once(db: Session, app: Flask, smtp: SmtpServer) -> None:
    """Inline delivery runs after every request that queued mail, so delivery passes overlap.

    Each resident must get their mail once: no pass may fail half-way, and nothing may be sent again
    when rows left behind are picked up later.
    """
    residents = [f"invanare{n}@example.se" for n in range(20)]
    now = datetime.now(UTC)
    for address in residents:
        mail = OutgoingMail(kind="confirmation", recipient=address, subject=f"Till {address}", body_text="Hej!")
        outbox_service.queue(db, mail, make_msgid(domain="grums.se"), now)
    db.commit()

    passes = 5
    start = threading.Barrier(passes)
    errors: list[str] = []

    def deliver(_: int) -> None:
        start.wait(timeout=30)
        try:
            deliver_due(app)
        except Exception as error:  # what a delivery pass lets escape is the finding
            errors.append(f"{type(error).__name__}: {error}".splitlines()[0])

    with ThreadPoolExecutor(max_workers=passes) as pool:
        list(pool.map(deliver, range(passes)))
    # Later, a pass picks up whatever was left claimed but not recorded (after OUTBOX_STUCK_SECONDS).
    stuck = timedelta(seconds=app.config["OUTBOX_STUCK_SECONDS"] + 1)
    fresh(db).execute(update(OutboxMessage).values(claimed_at=datetime.now(UTC) - stuck))
    db.commit()
    deliver_due(app)

    received = Counter(recipient for _sender, recipients, _content in smtp.inbox.envelopes for recipient in recipients)
    not_once = {address: received[address] for address in residents if received[address] != 1}
    assert not_once == {}, f"residents who did not get exactly one message; delivery passes that failed: {errors}"
    assert errors == []
    assert {row.status for row in outbox(db)} == {OutboxMessage.SENT}


# --- 5. checking a receipt -----------------------------------------------------------------------------


def other_code(code: str) -> str:
    first = CODE_ALPHABET[(CODE_ALPHABET.index(code[0]) + 1) % len(CODE_ALPHABET)]
    return first + code[1:]


def mistyped(reference: str, position: int = -2) -> str:
    """``reference`` with the digit at ``position`` changed (the default is the last digit of the sequence)."""
    digit = reference[position]
    assert digit.isdigit()
    changed = str((int(digit) + 1) % 10)
    return reference[:position] + changed + reference[position + 1 :]


def test_verify_by_reference_and_code_tells_genuine_without_the_answers(
    resident: Resident, db: Session, app: Flask
) -> None:
    secret = "Grannen i nummer 5 har sönder lampan med flit."
    reference = file_fault_report(resident, description=secret)
    code = receipt_of(db, reference).verification_code
    visitor = app.test_client()  # anyone holding the receipt, not the resident's browser

    html = visitor.get("/verify", query_string={"reference": reference, "code": code}).get_data(as_text=True)
    assert GENUINE in html and NOT_CONFIRMED not in html
    assert reference in html
    assert "Felanmälan gata, park och belysning" in html
    for private in (secret, PLACE, POST_NUMBER, "Gatubelysning"):
        assert private not in html, f"the verify page shows {private!r}"

    # typed by hand: lower case, spaces, no hyphen in the code
    typed = visitor.get(
        "/verify",
        query_string={"reference": reference.lower().replace("-", " "), "code": code.lower().replace("-", "")},
    )
    assert GENUINE in typed.get_data(as_text=True)

    for wrong_reference, wrong_code in ((reference, other_code(code)), (mistyped(reference), code)):
        html = visitor.get("/verify", query_string={"reference": wrong_reference, "code": wrong_code}).get_data(
            as_text=True
        )
        assert NOT_CONFIRMED in html and GENUINE not in html, (wrong_reference, wrong_code)
        assert secret not in html


def post_receipt_file(visitor: Any, content: bytes) -> str:
    page = visitor.get("/verify").get_data(as_text=True)
    token = CSRF.search(page)
    assert token, "the verify page has a form with a CSRF token"
    response = visitor.post(
        "/verify",
        data={"csrf_token": token.group(1), "receipt": (io.BytesIO(content), "kvittens.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def test_verify_by_file_accepts_the_receipt_and_refuses_a_changed_copy(
    resident: Resident, db: Session, app: Flask
) -> None:
    reference = file_fault_report(resident)
    pdf = resident.client.get(pdf_link(resident.html)).data
    visitor = app.test_client()

    html = post_receipt_file(visitor, pdf)
    assert GENUINE in html and NOT_CONFIRMED not in html
    assert reference in html
    assert "Filen är exakt den kvittens som vi har utfärdat." in html
    assert DESCRIPTION not in html

    changed = bytearray(pdf)
    changed[len(pdf) // 2] ^= 0x01
    html = post_receipt_file(visitor, bytes(changed))
    assert NOT_CONFIRMED in html and GENUINE not in html
    assert "Filen är inte en kvittens från oss, eller så har den ändrats." in html
    assert reference not in html


# --- 6. one case however often the button is pressed ---------------------------------------------------


def review_fields(resident: Resident) -> dict[str, str]:
    return {"csrf_token": resident.token(), "version": resident.version(), "action": "submit"}


def test_submitting_twice_files_one_case_and_both_show_its_receipt(resident: Resident, db: Session) -> None:
    review_document_request(resident)
    review_url, fields = resident.url, review_fields(resident)
    first = resident.client.post(review_url, data=fields, follow_redirects=True)
    second = resident.client.post(review_url, data=fields, follow_redirects=True)
    assert first.status_code == second.status_code == 200
    assert first.request.path.startswith("/receipt/")
    assert second.request.path == first.request.path
    reference = reference_on(first.get_data(as_text=True))
    assert reference_on(second.get_data(as_text=True)) == reference
    assert count(db, Submission) == 1
    assert count(db, Receipt) == 1
    assert len(outbox(db)) == 1  # one confirmation, not two


def test_twenty_simultaneous_submits_file_one_case(resident: Resident, db: Session, app: Flask) -> None:
    review_document_request(resident)
    review_url, fields = resident.url, review_fields(resident)
    cookie = resident.client.get_cookie("session")
    assert cookie is not None
    clients = 20
    start = threading.Barrier(clients)

    def press_submit(_: int) -> tuple[int, str, str]:
        browser = app.test_client()  # another tab of the same browser: the same session cookie
        browser.set_cookie("session", cookie.value, domain=cookie.domain)
        start.wait(timeout=30)
        response = browser.post(review_url, data=fields, follow_redirects=True)
        html = response.get_data(as_text=True)
        return response.status_code, response.request.path, reference_on(html) if response.status_code == 200 else ""

    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(press_submit, range(clients)))

    assert count(db, Submission) == 1
    reference = fresh(db).scalar(select(Submission.reference))
    receipt_path = results[0][1]
    assert receipt_path.startswith("/receipt/")
    assert set(results) == {(200, receipt_path, reference)}
    assert count(db, Receipt) == 1
    assert len(outbox(db)) == 1
    counter = fresh(db).scalar(select(ReferenceCounter))
    assert counter is not None and counter.last == 1  # the losers gave their numbers back
    assert parse_reference(str(reference)).sequence == 1

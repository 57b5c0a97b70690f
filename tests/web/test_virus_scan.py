"""The virus-scan hook against a small clamd of our own: a real server on a socket here, speaking clamd's
INSTREAM protocol (zINSTREAM, length-prefixed chunks, a zero length, then ``stream: OK`` or
``stream: <name> FOUND``). Configured, the scan fails closed: no answer is no file.
"""

from __future__ import annotations

import io
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import PDF, PNG, ROOT, Resident, reread
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import virus_scan
from app.models import Attachment, CaseEvent, DraftFile
from eservices.samples import sample_answers
from eservices.schema import load_file
from eservices.validation import field_visible, prune

#: the EICAR test file, which every scanner reports and which harms nothing (built here, not shipped)
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class Clamd:
    """What the fake clamd does: answer as clamd, or misbehave; and what it was sent."""

    def __init__(self) -> None:
        self.mode = "scan"
        self.received: list[bytes] = []


def _handler(state: Clamd) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            stream = self.request.makefile("rb")
            command = stream.read(len(b"zINSTREAM\0"))
            if command != b"zINSTREAM\0":
                self.request.sendall(b"UNKNOWN COMMAND\0")
                return
            data = b""
            while True:
                (length,) = struct.unpack("!L", stream.read(4))
                if length == 0:
                    break
                data += stream.read(length)
            state.received.append(data)
            if state.mode == "silent":
                return  # closes without a word
            if state.mode == "garbage":
                self.request.sendall(b"INSTREAM size limit exceeded. ERROR\0")
            elif EICAR in data:
                self.request.sendall(b"stream: Eicar-Test-Signature FOUND\0")
            else:
                self.request.sendall(b"stream: OK\0")

    return Handler


@pytest.fixture
def clamd(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clamd]:
    state = Clamd()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "CLAMD_URL", f"tcp://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setitem(app.config, "CLAMD_TIMEOUT", 5)
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(autouse=True)
def _mail(mail_kept_in_outbox: None) -> None:
    pass


def reply_with(app: Flask, follow_url: str, content: bytes, name: str = "intyg.pdf") -> Resident:
    resident = Resident(app.test_client())
    resident.get(follow_url)
    resident.post(follow_url, {"text": "Här är intyget.", "files": (io.BytesIO(content), name)})
    return resident


def stored(db: Session) -> tuple[int, int]:
    reread(db)
    replies = db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == CaseEvent.REPLY))
    return int(db.scalar(select(func.count()).select_from(Attachment)) or 0), int(replies or 0)


def test_a_clean_file_is_scanned_as_sent_and_kept(app: Flask, db: Session, make_submission, clamd: Clamd) -> None:
    _, follow_url = make_submission()
    before = stored(db)
    clamd.received.clear()
    resident = reply_with(app, follow_url, PDF)
    assert resident.page.status_code == 200 and "Ditt svar är skickat" in resident.html
    assert clamd.received == [PDF]  # every byte, as received
    assert stored(db) == (before[0] + 1, before[1] + 1)


def test_a_file_with_a_virus_is_refused_and_nothing_is_stored(
    app: Flask, db: Session, make_submission, clamd: Clamd
) -> None:
    _, follow_url = make_submission()
    before = stored(db)
    resident = reply_with(app, follow_url, PDF + b"\n%" + EICAR + b"\n")
    assert resident.page.status_code == 422
    assert "Vår viruskontroll hittade något skadligt i filen" in resident.html
    assert stored(db) == before


@pytest.mark.parametrize("mode", ["silent", "garbage"])
def test_no_clear_answer_from_clamd_means_no_file(
    app: Flask, db: Session, make_submission, clamd: Clamd, mode: str
) -> None:
    _, follow_url = make_submission()
    before = stored(db)
    clamd.mode = mode
    resident = reply_with(app, follow_url, PDF)
    assert resident.page.status_code == 422
    assert "kunde inte kontrolleras" in resident.html
    assert stored(db) == before


def test_clamd_out_of_reach_means_no_file(
    app: Flask, db: Session, make_submission, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, follow_url = make_submission()
    before = stored(db)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "CLAMD_URL", f"tcp://127.0.0.1:{port}")
    resident = reply_with(app, follow_url, PDF)
    assert resident.page.status_code == 422 and "kunde inte kontrolleras" in resident.html
    assert stored(db) == before


def test_files_on_form_pages_are_scanned_too(app: Flask, db: Session, clamd: Clamd) -> None:
    """A form page with a file question: the infected file is an error on that question, not kept in the draft."""
    slug = "felanmalan-gata-park-belysning"
    definition = load_file(ROOT / "forms" / f"{slug}.yaml")
    kept = prune(definition, sample_answers(definition, date.today()))
    resident = Resident(app.test_client())
    resident.start(slug)
    while 'type="file"' not in resident.html:
        index = int(resident.url.rsplit("/", 1)[1]) - 1
        resident.answer(
            {
                item.name: item.type.to_form(item.spec, kept[item.name])
                for item in definition.pages[index].fields
                if item.type.has_input and field_visible(item, kept)
            }
        )
        assert "/page/" in resident.url, "no page with a file question"
    resident.answer({"bild": (PNG + EICAR, "foto.png")})  # a picture, as the question asks, with a tail
    assert 'class="error-summary"' in resident.html and "viruskontroll" in resident.html
    reread(db)
    assert db.scalar(select(func.count()).select_from(DraftFile)) == 0


def test_the_hook_speaks_to_a_unix_socket_too(tmp_path: Path) -> None:
    state = Clamd()
    path = str(tmp_path / "clamd.ctl")
    server = socketserver.ThreadingUnixStreamServer(path, _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        virus_scan.scan(b"harmless", f"unix://{path}", timeout=5)
        with pytest.raises(virus_scan.Infected, match="Eicar-Test-Signature"):
            virus_scan.scan(b"x" * 200_000 + EICAR, f"unix://{path}", timeout=5)  # several chunks
        assert state.received[-1] == b"x" * 200_000 + EICAR
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    with pytest.raises(virus_scan.ScanFailed):
        virus_scan.scan(b"harmless", f"unix://{path}", timeout=5)  # gone: fails, does not pass
    with pytest.raises(virus_scan.ScanFailed):
        virus_scan.scan(b"harmless", "http://clamd.example", timeout=5)

"""Files and receipts kept outside the database: in a folder, or in an S3 bucket (FILE_STORE).

The bucket is a real S3 endpoint over HTTP on loopback (moto's server), spoken to by boto3 as AWS or MinIO
would be. Every test runs with both stores; the database store is what every other test uses.
"""

from __future__ import annotations

import hashlib
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import PNG, Resident, reread
from flask import Flask
from moto.server import ThreadedMotoServer
from smtp_server import SmtpServer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import blobs, health
from app.mail import deliver_due
from app.models import Attachment, Draft, DraftFile, Receipt, Submission
from app.uploads import clean_upload
from eservices.fields import Upload

FAULT = "felanmalan-gata-park-belysning"
EMAIL = "anna@example.se"
REFERENCE = re.compile(r"GRU-\d{4}-\d{5}[A-Z]")
UNREACHABLE = "Vi når inte lagringen för filer just nu"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_store(endpoint: str, bucket: str) -> blobs.S3Store:
    return blobs.S3Store(
        bucket,
        prefix="grums/",
        endpoint_url=endpoint,
        region="eu-north-1",
        access_key_id="testing",
        secret_access_key="testing",
        timeout=2,
    )


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> blobs.BlobStore:
    if request.param == "filesystem":
        return blobs.FolderStore(tmp_path / "files")
    bucket = "endorrin-" + request.node.originalname.removeprefix("test_").replace("_", "-")[:40].strip("-")
    made = s3_store(request.getfixturevalue("s3_endpoint"), bucket)
    made.client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    return made


def use_store(app: Flask, store: blobs.BlobStore | None) -> None:
    """Configure ``store`` on the running app, as FILE_STORE would at start-up."""
    app.extensions["blobs"] = store
    app.extensions["db_sessionmaker"].configure(info={"blobs": store})


@pytest.fixture
def stored(app: Flask, db: Session, store: blobs.BlobStore) -> Iterator[blobs.BlobStore]:
    """The app keeps bytes in ``store`` for the test; the database store again afterwards."""
    use_store(app, store)
    db.info["blobs"] = store
    yield store
    use_store(app, None)


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    server = SmtpServer()
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", server.port)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5)
    server.start()
    yield server
    server.stop()


def file_fault_report(resident: Resident) -> str:
    resident.start(FAULT)
    resident.answer({"kategori": "gatubelysning"})
    resident.answer({"plats": "Tingvallavägen 3", "stolpnummer": "G-114"})
    resident.answer({"beskrivning": "Lampan lyser inte sedan i måndags.", "bild": (PNG, "IMG_0042.png")})
    resident.answer({"vill_bli_kontaktad": "yes"})
    resident.answer({"namn": "Anna Andersson", "kontaktsatt": "epost", "epost": EMAIL})
    resident.submit()
    assert resident.url.startswith("/receipt/"), resident.url
    match = REFERENCE.search(resident.html)
    assert match
    return match.group(0)


def pdf_link(html: str) -> str:
    match = re.search(r'href="(/case/[0-9a-f]{64}/receipt\.pdf)[^"]*"', html)
    assert match, "no receipt link on the page"
    return match.group(1)


def test_a_filed_case_keeps_its_photo_and_receipt_in_the_store_and_everyone_gets_the_same_bytes(
    stored: blobs.BlobStore, resident: Resident, db: Session, login_as: Any, app: Flask, smtp: SmtpServer
) -> None:
    reference = file_fault_report(resident)
    receipt_download = resident.client.get(pdf_link(resident.html))

    reread(db)
    case = db.scalar(select(Submission).where(Submission.reference == reference))
    assert case is not None
    (photo,) = db.scalars(select(Attachment).where(Attachment.submission_id == case.id)).all()
    receipt = db.scalar(select(Receipt).where(Receipt.submission_id == case.id))
    assert receipt is not None
    # Nothing of the bytes in the database: only the names of the objects.
    assert photo.content is None and photo.storage_key is not None
    assert receipt.content is None and receipt.storage_key is not None
    expected_photo = clean_upload(Upload("IMG_0042.png", PNG)).content
    assert stored.get(photo.storage_key) == expected_photo
    assert hashlib.sha256(stored.get(receipt.storage_key)).hexdigest() == receipt.sha256
    assert db.scalar(select(DraftFile)) is None  # the draft's file row went; its object is the attachment's now

    # The resident's receipt, the handläggare's downloads and the mail all carry the stored bytes.
    assert receipt_download.status_code == 200 and receipt_download.data == stored.get(receipt.storage_key)
    officer = login_as("staff", "samhallsbyggnad")
    download = officer.raw("GET", f"/staff/cases/{reference}/files/{photo.id}")
    assert download.status_code == 200 and download.data == expected_photo
    assert officer.raw("GET", f"/staff/cases/{reference}/receipt.pdf").data == receipt_download.data
    assert deliver_due(app) == (1, 0)
    (message,) = smtp.messages
    (pdf,) = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert pdf.get_content() == receipt_download.data


def test_the_sweep_deletes_only_objects_that_nothing_names_and_only_once_they_are_old(
    stored: blobs.BlobStore, resident: Resident, db: Session
) -> None:
    file_fault_report(resident)
    # A resident who replaced a photo before going on: the first photo's object is named by nothing.
    resident.start(FAULT)
    resident.answer({"kategori": "gatubelysning"})
    resident.answer({"plats": "Storgatan 1", "stolpnummer": "G-7"})
    resident.answer({"beskrivning": "Trasig lykta.", "bild": (PNG, "forsta.png")})
    resident.answer({}, action="back")
    resident.answer({"beskrivning": "Trasig lykta.", "bild": (PNG + b"", "andra.png")})
    reread(db)
    named = {
        key
        for model in (DraftFile, Attachment, Receipt)
        for key in db.scalars(select(model.storage_key).where(model.storage_key.is_not(None)))
    }
    everything = {each.key for each in stored.objects()}
    assert len(named) == 3  # the filed photo, its receipt, the draft's current photo
    assert named < everything, "the replaced photo is still in the store before the sweep"

    assert blobs.sweep_unreferenced(db, datetime.now(UTC)) == 0  # all of it is younger than a day
    assert {each.key for each in stored.objects()} == everything
    assert blobs.sweep_unreferenced(db, datetime.now(UTC) + timedelta(days=2)) == len(everything - named)
    assert {each.key for each in stored.objects()} == named

    # What the case names is still there for staff and resident.
    assert all(stored.get(key) for key in named)


def test_when_the_store_cannot_be_reached_the_resident_is_told_and_nothing_is_half_stored(
    stored: blobs.BlobStore, app: Flask, resident: Resident, db: Session, tmp_path: Path
) -> None:
    resident.start(FAULT)
    resident.answer({"kategori": "gatubelysning"})
    resident.answer({"plats": "Tingvallavägen 3", "stolpnummer": "G-114"})
    on_photo_page = resident.url

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    broken: blobs.BlobStore = (
        blobs.FolderStore(blocked / "files")
        if stored.kind == "filesystem"
        else s3_store(f"http://127.0.0.1:{free_port()}", "gone")  # nothing listens there
    )
    use_store(app, broken)
    resident.answer({"beskrivning": "Lampan lyser inte.", "bild": (PNG, "IMG_0042.png")})
    assert resident.page.status_code == 503
    assert UNREACHABLE in resident.html and 'lang="sv"' in resident.html
    reread(db)
    draft = db.scalar(select(Draft))
    assert draft is not None and draft.answers["plats"] == "Tingvallavägen 3"  # the pages before are kept
    assert "beskrivning" not in draft.answers and db.scalar(select(DraftFile)) is None  # this one not half

    use_store(app, stored)  # the store is back: the resident goes back and sends the page again
    resident.get(on_photo_page)
    assert resident.page.status_code == 200
    resident.answer({"beskrivning": "Lampan lyser inte.", "bild": (PNG, "IMG_0042.png")})
    assert resident.page.status_code == 200 and resident.url.endswith("/page/4")
    reread(db)
    draft_file = db.scalar(select(DraftFile))
    assert (
        draft_file is not None
        and stored.get(draft_file.storage_key or "") == clean_upload(Upload("IMG_0042.png", PNG)).content
    )


def test_readyz_reports_a_file_store_that_cannot_be_reached(
    stored: blobs.BlobStore, app: Flask, client: Any, tmp_path: Path
) -> None:
    assert client.get("/readyz").status_code == 200
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    use_store(app, blobs.FolderStore(blocked / "files"))
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["problems"] == ["file store (filesystem): BlobStoreError"]


def test_readyz_asks_the_store_at_most_every_half_minute(
    stored: blobs.BlobStore, app: Flask, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load balancer probes every few seconds; each store check writes an object (a paid request on S3)."""
    writes: list[str] = []
    original_put = stored.put

    def put(key: str, data: bytes) -> None:
        writes.append(key)
        original_put(key, data)

    monkeypatch.setattr(stored, "put", put)
    for _ in range(5):
        assert client.get("/readyz").status_code == 200
    assert writes == ["health/check"]
    monkeypatch.setattr(health, "STORE_CHECK_SECONDS", 0)
    assert client.get("/readyz").status_code == 200
    assert writes == ["health/check", "health/check"]


def test_an_installation_moves_its_files_from_the_database_into_the_store(
    app: Flask, db: Session, resident: Resident, login_as: Any, store: blobs.BlobStore
) -> None:
    reference = file_fault_report(resident)  # filed while the bytes went into the database
    reread(db)
    photo = db.scalar(select(Attachment))
    assert photo is not None and photo.content is not None and photo.storage_key is None
    before = photo.content

    runner = app.test_cli_runner()
    refused = runner.invoke(args=["files", "move-to-store"])
    assert refused.exit_code != 0 and "FILE_STORE is database" in refused.output

    use_store(app, store)
    try:
        moved = runner.invoke(args=["files", "move-to-store", "--batch", "1"])
        assert moved.exit_code == 0, moved.output
        assert "2 file(s) and receipt(s) moved" in moved.output  # the photo and the receipt
        reread(db)
        photo = db.scalar(select(Attachment))
        assert photo is not None and photo.content is None and store.get(photo.storage_key or "") == before
        officer = login_as("staff", "samhallsbyggnad")
        assert officer.raw("GET", f"/staff/cases/{reference}/files/{photo.id}").data == before
    finally:
        use_store(app, None)


def test_the_folder_store_writes_whole_files_and_stays_inside_its_folder(tmp_path: Path) -> None:
    store = blobs.FolderStore(tmp_path / "files")
    key = blobs.new_key()
    store.put(key, b"%PDF-1.7 whole")
    assert store.get(key) == b"%PDF-1.7 whole"
    assert [p.name for p in (tmp_path / "files").rglob(".incoming-*")] == []  # no half-written file left
    with pytest.raises(blobs.BlobStoreError):
        store.get("../../etc/passwd")
    with pytest.raises(blobs.BlobMissing):
        store.get(blobs.new_key())
    assert blobs.new_key() != blobs.new_key()


def test_the_configuration_chooses_the_store_and_refuses_an_incomplete_one(
    app: Flask, tmp_path: Path, s3_endpoint: str
) -> None:
    from app import create_app
    from app.config import ConfigError

    for wrong, named in (({"FILE_STORE": "ftp"}, "FILE_STORE must be"), ({"FILE_STORE": "s3"}, "S3_BUCKET")):
        with pytest.raises(ConfigError, match=named):
            create_app({**app.config, **wrong})

    folder = create_app({**app.config, "FILE_STORE": "filesystem", "FILE_STORE_PATH": str(tmp_path / "f")})
    assert isinstance(folder.extensions["blobs"], blobs.FolderStore)
    assert folder.extensions["blobs"].root == tmp_path / "f"
    folder.extensions["db_engine"].dispose()

    secret = "s3-secret-that-must-not-be-printed"
    bucket = create_app(
        {
            **app.config,
            "FILE_STORE": "s3",
            "S3_BUCKET": "endorrin-config",
            "S3_ENDPOINT_URL": s3_endpoint,
            "S3_REGION": "eu-north-1",
            "S3_ACCESS_KEY_ID": "testing",
            "S3_SECRET_ACCESS_KEY": secret,
        }
    )
    store = bucket.extensions["blobs"]
    assert isinstance(store, blobs.S3Store) and store.bucket == "endorrin-config"
    store.client.create_bucket(Bucket="endorrin-config", CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    assert bucket.test_client().get("/readyz").status_code == 200  # it writes and reads back through the bucket
    shown = bucket.test_cli_runner().invoke(args=["check-config"])
    assert "ENDORRIN_S3_SECRET_ACCESS_KEY = (set)" in shown.output and secret not in shown.output
    bucket.extensions["db_engine"].dispose()

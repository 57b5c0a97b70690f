"""Malformed requests get a proper 4xx page in the resident's language, and nothing is stored half way."""

from __future__ import annotations

import re

from conftest import ROOT, Resident
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import FormVersion, Submission
from app.services.eservices import load_bundled


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def at_review(resident: Resident) -> None:
    resident.start("begaran-om-allman-handling")
    resident.answer({"handling": "Ett beslut."})
    resident.answer({"leveranssatt": "hamta"})
    assert resident.url.endswith("/review")


def test_missing_csrf_token_is_refused_and_nothing_is_filed(resident: Resident, db: Session) -> None:
    at_review(resident)
    response = resident.client.post(
        "/e/begaran-om-allman-handling/review", data={"action": "submit", "version": resident.version()}
    )
    assert response.status_code == 400
    assert "Sidan har varit öppen för länge" in response.get_data(as_text=True)
    assert count(db, Submission) == 0


def test_wrong_csrf_token_is_refused(resident: Resident, db: Session) -> None:
    at_review(resident)
    response = resident.client.post(
        "/e/begaran-om-allman-handling/review",
        data={"action": "submit", "csrf_token": "forged", "version": resident.version()},
    )
    assert response.status_code == 400
    assert count(db, Submission) == 0


def test_unknown_fields_are_refused(resident: Resident) -> None:
    resident.start("begaran-om-allman-handling")
    response = resident.post(data={"action": "next", "handling": "x", "is_admin": "1"})
    assert response.status_code == 400
    assert '<html lang="sv"' in response.get_data(as_text=True)


def test_unknown_action_is_refused(resident: Resident) -> None:
    resident.start("begaran-om-allman-handling")
    assert resident.post(data={"action": "submit", "handling": "x"}).status_code == 400


def test_tampered_page_numbers(resident: Resident) -> None:
    resident.start("begaran-om-allman-handling")
    assert resident.client.get("/e/begaran-om-allman-handling/page/99").status_code == 404
    assert resident.client.get("/e/begaran-om-allman-handling/page/0").status_code == 404
    # Jumping ahead of what has been answered leads back to the first unanswered page...
    resident.get("/e/begaran-om-allman-handling/page/2")
    assert resident.url.endswith("/page/1")
    # ...and a post to a page not yet reached is refused.
    token = resident.token()
    response = resident.client.post(
        "/e/begaran-om-allman-handling/page/2",
        data={"csrf_token": token, "version": resident.version(), "action": "next", "leveranssatt": "hamta"},
    )
    assert response.status_code == 400


def test_review_cannot_be_reached_before_the_pages(resident: Resident, db: Session) -> None:
    resident.start("begaran-om-allman-handling")
    resident.get("/e/begaran-om-allman-handling/review")
    assert resident.url.endswith("/page/1")
    assert count(db, Submission) == 0


def test_a_resident_finishes_on_the_version_they_began_and_a_post_for_another_version_gets_a_409(
    resident: Resident, db: Session, tmp_path
) -> None:
    resident.start("begaran-om-allman-handling")
    resident.answer({"handling": "Ett beslut."})
    old_version = resident.version()
    # A communicator publishes a changed form while the resident is on page 2.
    changed = (ROOT / "forms" / "begaran-om-allman-handling.yaml").read_text(encoding="utf-8")
    (tmp_path / "begaran-om-allman-handling.yaml").write_text(
        changed.replace("Begäran om allmän handling", "Begär allmän handling", 1), encoding="utf-8"
    )
    from datetime import UTC, datetime

    load_bundled(db, tmp_path.glob("*.yaml"), datetime.now(UTC))
    db.commit()
    assert count(db, FormVersion) == 9
    new_version = str(
        db.scalar(
            select(FormVersion.id).where(FormVersion.status == "published").order_by(FormVersion.id.desc()).limit(1)
        )
    )
    # A post that claims another version than the resident's (a stale or crafted form) is refused ...
    response = resident.client.post(
        "/e/begaran-om-allman-handling/page/2",
        data={"csrf_token": resident.token(), "version": new_version, "action": "next", "leveranssatt": "hamta"},
    )
    assert response.status_code == 409
    assert "E-tjänsten har ändrats" in response.get_data(as_text=True)
    # ... while the resident's own page, on the version they began, goes on as if nothing happened.
    resident.answer({"leveranssatt": "hamta"})
    assert resident.page.status_code == 200 and resident.version() == old_version
    resident.get("/e/begaran-om-allman-handling/page/1")
    assert "Ett beslut." in resident.html  # nothing was lost
    assert resident.version() == old_version


def test_a_huge_body_gets_413(resident: Resident, app: Flask, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1_000_000)
    resident.start("felanmalan-gata-park-belysning")
    resident.answer({"kategori": "klotter"})
    resident.answer({"plats": "Torget"})
    # The body is built here rather than by the test client, whose spooled temporary file would never be
    # closed when the app refuses the request before reading it.
    boundary = "----grums"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="bild"; filename="stor.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\xff\xd8\xff"
        + b"0" * 2_000_000
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = resident.client.post(resident.url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "Det du skickade är för stort" in response.get_data(as_text=True)


def test_a_file_that_is_not_what_its_name_says_is_refused(resident: Resident) -> None:
    resident.start("felanmalan-gata-park-belysning")
    resident.answer({"kategori": "klotter"})
    resident.answer({"plats": "Torget"})
    resident.answer({"beskrivning": "Klotter", "bild": (b"MZ\x90\x00 this is a program", "bild.jpg")})
    assert resident.url.endswith("/page/3")
    assert "Vi kan inte ta emot den typen av fil." in resident.html
    assert "Klotter" in resident.html


def test_posting_without_a_draft_is_gone(app: Flask, db: Session) -> None:
    client = app.test_client()
    html = client.get("/e/begaran-om-allman-handling").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post("/e/begaran-om-allman-handling/review", data={"csrf_token": token, "action": "submit"})
    assert response.status_code == 410
    assert count(db, Submission) == 0


def test_server_errors_roll_back_and_show_a_page(app: Flask, db: Session, monkeypatch) -> None:
    resident = Resident(app.test_client())
    at_review(resident)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("app.resident.routes.confirmation_mail", broken)  # within the filing's transaction
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = resident.post(data={"action": "submit"})
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert "Inget har skickats in." in response.get_data(as_text=True)
    assert count(db, Submission) == 0  # the half-done filing was rolled back

"""Seven interface languages, each named in itself; Arabic and Persian read right to left."""

from __future__ import annotations

import re

from conftest import Resident
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Receipt, Submission

NAMES = {
    "sv": "Svenska",
    "en": "English",
    "fi": "Suomi",
    "ar": "العربية",
    "fa": "فارسی",
    "so": "Soomaali",
    "uk": "Українська",
}


def test_the_switch_names_every_language_in_itself_with_its_lang(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    switch = re.search(r'<nav class="language-switch".*?</nav>', html, re.S).group(0)
    for code, name in NAMES.items():
        assert re.search(rf'lang="{code}"[^>]*>{name}<', switch), code
    assert re.search(r'lang="ar"[^>]*dir="rtl"|dir="rtl"[^>]*lang="ar"', switch)


def test_arabic_and_persian_pages_are_right_to_left(client: FlaskClient) -> None:
    for code in ("ar", "fa"):
        html = client.get(f"/?lang={code}").get_data(as_text=True)
        assert f'<html lang="{code}" dir="rtl">' in html
    for code in ("fi", "so", "uk"):
        assert f'<html lang="{code}" dir="ltr">' in client.get(f"/?lang={code}").get_data(as_text=True)


def test_a_shared_link_opens_in_its_language(client: FlaskClient) -> None:
    html = client.get("/e/felanmalan-gata-park-belysning?lang=fi").get_data(as_text=True)
    assert '<html lang="fi"' in html
    assert "Ilmoita viasta" in html or "vika" in html.lower()  # the Finnish content of the e-service


def test_a_form_in_arabic_keeps_latin_fragments_left_to_right(resident: Resident) -> None:
    resident.get("/?lang=ar")
    resident.start("begaran-om-allman-handling")
    assert '<html lang="ar" dir="rtl">' in resident.html
    resident.answer({"handling": "Protokoll KS 2026/114"})
    resident.answer({"leveranssatt": "epost", "epost": "eva@example.se"})
    assert resident.url.endswith("/review")
    assert "<bdi>eva@example.se</bdi>" in resident.html
    resident.submit()
    assert re.search(r'<strong dir="ltr">GRU-\d{4}-\d{5}[A-Z]</strong>', resident.html)


def test_content_without_a_translation_falls_back_to_swedish_and_says_so_once(resident: Resident) -> None:
    resident.get("/e/felanmalan-gata-park-belysning?lang=so")
    notices = re.findall(r'class="notification notification--language"', resident.html)
    assert len(notices) == 1
    assert 'lang="so"' in resident.html
    resident.post("/e/felanmalan-gata-park-belysning/start")
    assert re.search(r'<span lang="sv">Vad gäller felet\?</span>', resident.html)  # the Swedish label is marked


def test_swedish_content_on_an_arabic_page_is_marked_as_swedish_and_left_to_right(
    resident: Resident, make_submission, db: Session
) -> None:
    """Texts the communicator wrote only in Swedish are read with a Swedish voice, punctuation in place."""
    resident.get("/?lang=fa")  # no bundled e-service is written in Persian
    swedish = 'lang="sv" dir="ltr"'
    assert re.search(rf'class="service-link"[^>]*{swedish}>Synpunkter och klagomål<', resident.html)
    resident.get("/e/synpunkter-och-klagomal")
    assert re.search(rf"<h1 {swedish}>Synpunkter och klagomål</h1>", resident.html)
    _reference, follow_url = make_submission("synpunkter-och-klagomal")
    resident.get(follow_url + "?lang=fa")
    assert '<html lang="fa" dir="rtl">' in resident.html
    assert re.search(rf"<dd {swedish}>Synpunkter och klagomål</dd>", resident.html)
    # Inside a sentence of the page's language, too: the e-service named when a receipt is checked.
    reference = _reference
    code = db.scalar(select(Receipt.verification_code).join(Submission).where(Submission.reference == reference))
    resident.get(f"/verify?lang=fa&reference={reference}&code={code}")
    assert re.search(rf"{reference}، <span {swedish}>Synpunkter och klagomål</span>", resident.html)
    # Arabic has its own text of the same e-service: nothing to mark there.
    resident.get("/?lang=ar")
    arabic_link = r'<a class="service-link" href="/e/synpunkter-och-klagomal[^"]*">ملاحظات وشكاوى</a>'
    assert re.search(arabic_link, resident.html)


def test_easy_to_read_swedish_is_offered(client: FlaskClient) -> None:
    catalog = client.get("/").get_data(as_text=True)
    assert "Om e-tjänsterna på lättläst svenska" in catalog
    page = client.get("/lattlast").get_data(as_text=True)
    assert '<div lang="sv">' in page and "Svara på frågorna" in page
    start = client.get("/e/uppehall-i-sophamtning").get_data(as_text=True)
    assert 'id="lattlast"' in start

"""The start page: one door in, every published e-service by category, and a forgiving search."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import statements
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.services import studio

BUNDLED_TITLES = [
    "Felanmälan gata, park och belysning",
    "Synpunkter och klagomål",
    "Begäran om allmän handling",
    "Ansökan om parkeringstillstånd för rörelsehindrade",
    "Inkomstuppgift för förskola och fritidshem",
    "Uppehåll i sophämtning",
    "Anmälan om tillgänglighetsbrist på webbplatsen",
    "Grumsinitiativ",
]


def titles(html: str) -> list[str]:
    return re.findall(r'class="service-link"[^>]*>([^<]+)<', html)


def test_catalog_lists_the_eight_bundled_e_services_by_category(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert sorted(titles(html)) == sorted(BUNDLED_TITLES)
    categories = re.findall(r'<h2 id="category-\d+">([^<]+)</h2>', html)
    assert "Trafik, gator och parker" in categories
    assert len(categories) == len(set(categories)) >= 3
    assert '<html lang="sv"' in html


def test_search_ignores_case_and_diacritics_and_finds_parts_of_words(client: FlaskClient) -> None:
    assert titles(client.get("/?q=parkering").get_data(as_text=True)) == [
        "Ansökan om parkeringstillstånd för rörelsehindrade"
    ]
    assert titles(client.get("/?q=sophamtning").get_data(as_text=True)) == ["Uppehåll i sophämtning"]
    assert titles(client.get("/?q=SOPHÄMTNING").get_data(as_text=True)) == ["Uppehåll i sophämtning"]
    assert "Felanmälan gata, park och belysning" in titles(client.get("/?q=gatlykta").get_data(as_text=True))


def test_search_with_no_match_says_so(client: FlaskClient) -> None:
    html = client.get("/?q=rymdraket").get_data(as_text=True)
    assert titles(html) == []
    assert "Ingen e-tjänst matchar ”rymdraket”" in html


def test_search_in_english_uses_the_english_texts(client: FlaskClient) -> None:
    html = client.get("/?q=pothole&lang=en").get_data(as_text=True)
    assert titles(html) == ["Report a problem with a street, park or street light"]
    assert '<html lang="en"' in html


def test_unknown_e_service_is_a_proper_404_page(client: FlaskClient) -> None:
    response = client.get("/e/finns-inte")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.get_data(as_text=True)


# The catalog is kept rendered per process for anonymous visitors (app.page_cache), under a fingerprint of
# the published e-services read on every request. What a resident sees must still follow every change at once.


def _publish_with_title(db: Session, slug: str, title: str) -> None:
    eservice = studio.find(db, slug)
    assert eservice is not None
    published = studio.published_of(eservice)
    assert published is not None
    data = copy.deepcopy(published.definition)
    data["title"]["sv"] = title
    now = datetime.now(UTC)
    studio.import_definition(db, data, "test", actor=None, now=now, allowed_units=None, actor_label="test")
    studio.publish(db, eservice, None, now, actor_label="test")
    db.commit()


def test_a_change_made_elsewhere_shows_in_the_catalog_at_once(client: FlaskClient, db: Session) -> None:
    """Another process (here: the test's own session) publishes, closes and reopens; the next visit shows it."""
    assert "Grumsinitiativ" in titles(client.get("/").get_data(as_text=True))
    assert "Grumsinitiativ" in titles(client.get("/").get_data(as_text=True))

    _publish_with_title(db, "grumsinitiativ", "Grumsinitiativ – lämna ett förslag")
    html = client.get("/").get_data(as_text=True)
    assert "Grumsinitiativ – lämna ett förslag" in titles(html)
    assert "Grumsinitiativ" not in titles(html)

    eservice = studio.find(db, "grumsinitiativ")
    assert eservice is not None
    eservice.closed_at = datetime.now(UTC)
    db.commit()
    assert "Grumsinitiativ – lämna ett förslag" not in titles(client.get("/").get_data(as_text=True))

    eservice.closed_at = None
    eservice.open_from = datetime.now(UTC).date() + timedelta(days=1)
    db.commit()
    assert "Grumsinitiativ – lämna ett förslag" not in titles(client.get("/").get_data(as_text=True))
    eservice.open_from = None
    db.commit()
    assert "Grumsinitiativ – lämna ett förslag" in titles(client.get("/").get_data(as_text=True))


def test_each_language_gets_its_own_catalog(app: Flask, client: FlaskClient) -> None:
    assert '<html lang="sv"' in client.get("/").get_data(as_text=True)
    english = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in english
    assert "Report a problem with a street, park or street light" in titles(english)
    # The choice is remembered for the visit: the plain address now answers in English too.
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)
    assert '<html lang="sv"' in app.test_client().get("/").get_data(as_text=True)


def test_signed_in_staff_get_their_menu_and_visitors_after_them_do_not(app: Flask, login_as: Any) -> None:
    visitor = app.test_client()
    assert "Logga ut" not in visitor.get("/").get_data(as_text=True)
    staff = login_as("staff", "kommunledning")
    staff.get("/")
    assert "Logga ut" in staff.html and "Inkorg" in staff.html
    assert "Logga ut" not in visitor.get("/").get_data(as_text=True)
    assert "Logga ut" not in app.test_client().get("/").get_data(as_text=True)


def test_a_waiting_message_is_shown_on_the_catalog(client: FlaskClient) -> None:
    client.get("/")
    with client.session_transaction() as visit:
        visit["_flashes"] = [("message", "Ditt utkast är borttaget.")]
    assert "Ditt utkast är borttaget." in client.get("/").get_data(as_text=True)
    assert "Ditt utkast är borttaget." not in client.get("/").get_data(as_text=True)


def test_a_kept_catalog_is_served_without_loading_the_e_services(app: Flask, client: FlaskClient) -> None:
    first = client.get("/").get_data(as_text=True)
    with statements(app) as seen:
        again = client.get("/").get_data(as_text=True)
    assert again == first
    # One small query, the fingerprint of what is published; no e-service or form version loaded.
    assert [statement.split("\nFROM")[0].strip() for statement, _ in seen if statement.startswith("SELECT")] == [
        "SELECT eservices.id, eservices.slug, eservices.open_from, eservices.open_until, "
        "form_versions.id AS id_1, form_versions.definition_sha256"
    ]

"""The start page: one door in, every published e-service by category, and a forgiving search."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

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

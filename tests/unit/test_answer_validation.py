"""One validator for every way answers arrive: one page at a time, then the whole form again before filing."""

from __future__ import annotations

from datetime import date

import pytest

from eservices.fields import Upload
from eservices.validation import REMOVE_SUFFIX, prune, validate_answers, validate_page, visible_pages

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
TODAY = date(2026, 11, 27)

PAGES = [
    {
        "key": "sokande",
        "title": "Sökande",
        "fields": [
            {
                "name": "sokande",
                "type": "choice",
                "label": "Vem söker?",
                "required": True,
                "options": [{"value": "privat", "label": "Privatperson"}, {"value": "foretag", "label": "Företag"}],
            },
            {"name": "namn", "type": "text", "label": "Namn", "required": True},
            {"name": "husdjur", "type": "yesno", "label": "Har du husdjur?"},
            {
                "name": "djur",
                "type": "choice",
                "label": "Vilket djur?",
                "required": True,
                "options": [{"value": "hund", "label": "Hund"}, {"value": "katt", "label": "Katt"}],
                "show_when": {"field": "husdjur", "equals": "yes"},
            },
            {
                "name": "hundnamn",
                "type": "text",
                "label": "Hundens namn",
                "required": True,
                "show_when": {"field": "djur", "equals": "hund"},
            },
        ],
    },
    {
        "key": "foretaget",
        "title": "Företaget",
        "show_when": {"field": "sokande", "equals": "foretag"},
        "fields": [{"name": "orgnamn", "type": "text", "label": "Företagets namn", "required": True}],
    },
    {
        "key": "datum",
        "title": "Datum",
        "fields": [
            {"name": "fran", "type": "date", "label": "Från", "required": True, "min": "today"},
            {"name": "till", "type": "date", "label": "Till", "after": "fran"},
        ],
    },
    {
        "key": "sist",
        "title": "Sist",
        "fields": [
            {"name": "upplysning", "type": "info", "text": "Kontrollera dina svar."},
            {"name": "bild", "type": "file", "label": "Bild"},
            {"name": "intyg", "type": "file", "label": "Intyg", "required": True},
            {"name": "gdpr", "type": "consent", "label": "Jag godkänner", "notice": "Vi sparar.", "required": True},
        ],
    },
]

PHOTO = {"filename": "bild.png", "size": 72, "sha256": "0" * 64, "content_type": "image/png"}
COMPLETE = {
    "sokande": "privat",
    "namn": "Anna Svensson",
    "husdjur": "yes",
    "djur": "hund",
    "hundnamn": "Fido",
    "fran": "2026-12-01",
    "till": "2026-12-05",
    "intyg": PHOTO,
    "gdpr": "yes",
}


@pytest.fixture
def definition(make_definition):
    return make_definition(PAGES)


def page(definition, index, raw, answers=None, uploads=None, today=TODAY):
    raw = {name: [value] if isinstance(value, str) else value for name, value in raw.items()}
    return validate_page(definition, index, raw, uploads or {}, answers or {}, today)


def codes(result) -> dict[str, str]:
    return {name: error.code for name, error in result.errors.items()}


def test_a_complete_page(definition) -> None:
    result = page(definition, 0, {"sokande": "privat", "namn": "  Anna  Svensson ", "husdjur": "no"})
    assert result.ok
    assert result.values == {"sokande": "privat", "namn": "Anna Svensson", "husdjur": "no"}


@pytest.mark.parametrize("namn", [None, "", "   "])
def test_required_fields_missing_or_blank(definition, namn) -> None:
    raw = {"sokande": "privat"} | ({"namn": namn} if namn is not None else {})
    result = page(definition, 0, raw)
    assert codes(result) == {"namn": "required"}
    assert not result.ok


def test_a_hidden_field_is_not_required_and_its_answer_is_dropped(definition) -> None:
    result = page(definition, 0, {"sokande": "privat", "namn": "Anna", "husdjur": "no", "djur": "hund"})
    assert result.ok
    assert "djur" not in result.values
    assert "hundnamn" not in result.values


def test_a_field_shown_by_an_answer_above_it_on_the_same_page_is_checked(definition) -> None:
    result = page(definition, 0, {"sokande": "privat", "namn": "Anna", "husdjur": "yes"})
    assert codes(result) == {"djur": "required"}
    result = page(definition, 0, {"sokande": "privat", "namn": "Anna", "husdjur": "yes", "djur": "hund"})
    assert codes(result) == {"hundnamn": "required"}


def test_hiding_cascades_on_the_page(definition) -> None:
    raw = {"sokande": "privat", "namn": "Anna", "husdjur": "no", "djur": "hund", "hundnamn": "Fido"}
    result = page(definition, 0, raw)
    assert result.ok
    assert result.values == {"sokande": "privat", "namn": "Anna", "husdjur": "no"}


def test_a_refused_answer_is_kept_to_show_again(definition) -> None:
    result = page(definition, 0, {"sokande": "kommun", "namn": "Anna"})
    assert codes(result) == {"sokande": "invalid_choice"}
    assert result.raw["sokande"] == ["kommun"]
    assert "sokande" not in result.values


def test_a_date_after_another_on_the_same_page(definition) -> None:
    assert page(definition, 2, {"fran": "2026-12-01", "till": "2026-12-02"}).ok
    assert codes(page(definition, 2, {"fran": "2026-12-01", "till": "2026-12-01"})) == {"till": "date_not_after"}
    assert codes(page(definition, 2, {"fran": "2026-11-26"})) == {"fran": "date_too_early"}
    assert codes(page(definition, 2, {"fran": "2026-02-30"})) == {"fran": "invalid_date"}


def test_consent_missing_has_its_own_message(definition) -> None:
    result = page(definition, 3, {}, uploads={"intyg": Upload("intyg.png", PNG)})
    assert codes(result) == {"gdpr": "consent_required"}
    assert "upplysning" not in result.raw
    assert "upplysning" not in result.values


def test_an_uploaded_file_is_checked_and_handed_over(definition) -> None:
    upload = Upload("C:\\Bilder\\intyg.pdf", PNG)
    result = page(definition, 3, {"gdpr": "yes"}, uploads={"intyg": upload})
    assert result.ok
    assert result.values["intyg"]["content_type"] == "image/png"
    assert result.values["intyg"]["filename"] == "intyg.pdf"
    assert result.uploads == {"intyg": upload}


def test_a_refused_file_is_not_handed_over(definition) -> None:
    result = page(definition, 3, {"gdpr": "yes"}, uploads={"intyg": Upload("intyg.pdf", b"inte en pdf")})
    assert codes(result) == {"intyg": "file_type_not_allowed"}
    assert result.uploads == {}


def test_a_file_sent_earlier_is_kept_until_removed(definition) -> None:
    answers = {"intyg": PHOTO, "bild": PHOTO}
    kept = page(definition, 3, {"gdpr": "yes"}, answers=answers)
    assert kept.ok
    assert kept.values["intyg"] == PHOTO
    assert kept.values["bild"] == PHOTO
    assert kept.uploads == {}
    removed = page(definition, 3, {"gdpr": "yes", "bild" + REMOVE_SUFFIX: "1"}, answers=answers)
    assert removed.ok
    assert "bild" not in removed.values
    required = page(definition, 3, {"gdpr": "yes", "intyg" + REMOVE_SUFFIX: "1"}, answers=answers)
    assert codes(required) == {"intyg": "required"}


def test_an_empty_file_part_is_not_handed_over_as_a_new_file(definition) -> None:
    """A file input left alone sends an empty part; the earlier file is kept, so nothing new is to be stored.

    ``result.uploads`` is what the caller stores: handing over the empty part makes it replace the
    resident's earlier file with zero bytes under the earlier file's name and checksum.
    """
    answers = {"intyg": PHOTO}
    result = page(definition, 3, {"gdpr": "yes"}, answers=answers, uploads={"intyg": Upload("", b"")})
    assert result.values["intyg"] == PHOTO
    assert result.uploads == {}, "the empty part is handed over to be stored in place of the earlier file"


def test_the_whole_form_when_complete(definition) -> None:
    result = validate_answers(definition, COMPLETE, TODAY)
    assert result.ok
    assert result.first_page_with_errors is None
    assert result.answers == COMPLETE


def test_the_whole_form_drops_answers_of_a_hidden_page(definition) -> None:
    result = validate_answers(definition, COMPLETE | {"orgnamn": "Svensson AB"}, TODAY)
    assert result.ok
    assert "orgnamn" not in result.answers


def test_the_whole_form_requires_a_page_that_is_shown(definition) -> None:
    result = validate_answers(definition, COMPLETE | {"sokande": "foretag"}, TODAY)
    assert result.errors == {1: {"orgnamn": result.errors[1]["orgnamn"]}}
    assert result.errors[1]["orgnamn"].code == "required"
    assert result.first_page_with_errors == 1


def test_the_whole_form_drops_answers_hidden_by_a_changed_answer(definition) -> None:
    result = validate_answers(definition, COMPLETE | {"husdjur": "no"}, TODAY)
    assert result.ok
    assert "djur" not in result.answers
    assert "hundnamn" not in result.answers


def test_the_whole_form_catches_a_limit_that_passed_since_the_page_was_filled(definition) -> None:
    result = validate_answers(definition, COMPLETE, date(2026, 12, 2))
    assert {page: {name: e.code for name, e in errors.items()} for page, errors in result.errors.items()} == {
        2: {"fran": "date_too_early"}
    }


def test_the_whole_form_checks_dates_against_each_other(definition) -> None:
    result = validate_answers(definition, COMPLETE | {"till": "2026-11-30"}, TODAY)
    assert result.errors[2]["till"].code == "date_not_after"


def test_the_whole_form_reports_every_page_with_errors(definition) -> None:
    answers = {key: value for key, value in COMPLETE.items() if key not in {"namn", "gdpr", "intyg"}}
    result = validate_answers(definition, answers | {"sokande": "kommun"}, TODAY)
    found = {page: {name: e.code for name, e in errors.items()} for page, errors in result.errors.items()}
    assert found == {
        0: {"sokande": "invalid_choice", "namn": "required"},
        3: {"intyg": "required", "gdpr": "consent_required"},
    }
    assert result.first_page_with_errors == 0
    assert "sokande" not in result.answers


def test_prune_cascades(definition) -> None:
    answers = COMPLETE | {"husdjur": "no", "orgnamn": "Svensson AB"}
    kept = prune(definition, answers)
    assert set(answers) - set(kept) == {"djur", "hundnamn", "orgnamn"}
    assert prune(definition, COMPLETE | {"djur": "katt"}).get("hundnamn") is None


def test_prune_drops_empty_answers(definition) -> None:
    assert "till" not in prune(definition, COMPLETE | {"till": None})


def test_visible_pages(definition) -> None:
    assert visible_pages(definition, COMPLETE) == [0, 2, 3]
    assert visible_pages(definition, COMPLETE | {"sokande": "foretag"}) == [0, 1, 2, 3]

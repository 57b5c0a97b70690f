"""Content in several languages with Swedish as the fallback, and search that ignores case and accents."""

from __future__ import annotations

from eservices.text import fold, localize

TEXT = {"sv": "Hämtning av grovsopor", "en": "Collection of bulky waste"}


def test_the_readers_language_is_used() -> None:
    assert localize(TEXT, "en") == "Collection of bulky waste"
    assert localize(TEXT, "en-GB") == "Collection of bulky waste"
    assert localize(TEXT, "en_US") == "Collection of bulky waste"


def test_swedish_when_there_is_no_translation() -> None:
    assert localize(TEXT, "ar") == "Hämtning av grovsopor"
    assert localize({"sv": "Hej", "en": ""}, "en") == "Hej"


def test_no_text_is_empty() -> None:
    assert localize(None, "sv") == ""
    assert localize({}, "en") == ""


def test_fold_ignores_case_and_diacritics() -> None:
    assert fold("Sophämtning") == fold("SOPHAMTNING") == "sophamtning"
    assert fold("Åre Östersund") == "are ostersund"
    assert fold("Straße") == "strasse"

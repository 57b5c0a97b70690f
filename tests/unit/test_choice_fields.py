"""Choice, multiple choice, yes/no and consent: only listed answers, stored by value whatever the language."""

from __future__ import annotations

import pytest

from eservices.fields import REGISTRY

OPTIONS = {
    "options": [
        {"value": "hal", "label": {"sv": "Hål i vägen", "en": "Pothole"}},
        {"value": "belysning", "label": {"sv": "Trasig belysning", "en": "Broken light"}},
        {"value": "skylt", "label": {"sv": "Skylt"}},
        {"value": "annat", "label": {"sv": "Annat", "en": "Other"}},
    ]
}


def test_choice_stores_the_option_value(parse) -> None:
    assert parse("choice", "belysning", OPTIONS) == "belysning"


@pytest.mark.parametrize("raw", [["lampa"], ["Trasig belysning"], ["BELYSNING"], ["hal", "skylt"]])
def test_choice_refuses_anything_not_a_single_listed_option(refuse, raw) -> None:
    assert refuse("choice", raw, OPTIONS).code == "invalid_choice"


def test_choice_is_shown_by_its_label_with_swedish_fallback() -> None:
    choice = REGISTRY["choice"]
    assert choice.display(OPTIONS, "hal", "sv", str) == "Hål i vägen"
    assert choice.display(OPTIONS, "hal", "en", str) == "Pothole"
    assert choice.display(OPTIONS, "skylt", "en", str) == "Skylt"


def test_multichoice_keeps_the_order_of_the_definition(parse) -> None:
    assert parse("multichoice", ["annat", "hal", "skylt"], OPTIONS) == ["hal", "skylt", "annat"]


def test_multichoice_ticking_a_box_twice_counts_once(parse) -> None:
    assert parse("multichoice", ["hal", "hal"], OPTIONS) == ["hal"]


def test_multichoice_refuses_an_unknown_option(refuse) -> None:
    assert refuse("multichoice", ["hal", "lampa"], OPTIONS).code == "invalid_choice"


def test_multichoice_limits(parse, refuse) -> None:
    spec = {**OPTIONS, "min_choices": 2, "max_choices": 3}
    few = refuse("multichoice", ["hal"], spec)
    assert few.code == "too_few_choices"
    assert few.params == {"min": 2}
    many = refuse("multichoice", ["hal", "belysning", "skylt", "annat"], spec)
    assert many.code == "too_many_choices"
    assert many.params == {"max": 3}
    assert parse("multichoice", ["hal", "skylt"], spec) == ["hal", "skylt"]
    assert parse("multichoice", ["hal", "skylt", "annat"], spec) == ["hal", "skylt", "annat"]


def test_multichoice_is_shown_as_a_list_of_labels() -> None:
    assert REGISTRY["multichoice"].display(OPTIONS, ["hal", "annat"], "en", str) == "Pothole, Other"


@pytest.mark.parametrize("answer", ["yes", "no"])
def test_yesno_stores_yes_or_no(parse, answer) -> None:
    assert parse("yesno", answer) == answer


@pytest.mark.parametrize("raw", [["ja"], ["nej"], ["Yes"], ["true"], ["yes", "no"]])
def test_yesno_refuses_anything_else(refuse, raw) -> None:
    assert refuse("yesno", raw).code == "invalid_choice"


def test_yesno_is_shown_in_the_readers_language() -> None:
    swedish = {"Yes": "Ja", "No": "Nej"}.__getitem__
    assert REGISTRY["yesno"].display({}, "yes", "sv", swedish) == "Ja"
    assert REGISTRY["yesno"].display({}, "no", "sv", swedish) == "Nej"


def test_consent_must_be_ticked(parse, refuse) -> None:
    assert parse("consent", "yes") == "yes"
    assert refuse("consent", "no").code == "consent_required"
    assert refuse("consent", ["yes", "yes"]).code == "consent_required"


def test_consent_is_always_required_and_says_so_in_its_own_words() -> None:
    assert REGISTRY["consent"].required_code == "consent_required"

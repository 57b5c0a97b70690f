"""The frozen record of a filing: what the resident saw, in their language and in Swedish for staff."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from eservices.snapshot import SNAPSHOT_FORMAT, build_snapshot

MESSAGES = {("sv", "Yes"): "Ja", ("sv", "No"): "Nej", ("en", "Yes"): "Yes", ("en", "No"): "No"}
SUBMITTED = datetime(2026, 11, 27, 14, 5, tzinfo=UTC)

PAGES = [
    {
        "key": "om_felet",
        "title": {"sv": "Om felet", "en": "About the fault"},
        "fields": [
            {"name": "hjalp", "type": "info", "text": {"sv": "Ring 112 vid fara."}},
            {
                "name": "typ",
                "type": "choice",
                "label": {"sv": "Vad är fel?", "en": "What is wrong?"},
                "options": [
                    {"value": "hal", "label": {"sv": "Hål i vägen", "en": "Pothole"}},
                    {"value": "skylt", "label": {"sv": "Skylt"}},
                ],
            },
            {"name": "akut", "type": "yesno", "label": {"sv": "Är det akut?", "en": "Is it urgent?"}},
            {
                "name": "varfor",
                "type": "textarea",
                "label": {"sv": "Varför är det akut?"},
                "show_when": {"field": "akut", "equals": "yes"},
            },
            {"name": "sedd", "type": "date", "label": {"sv": "När såg du felet?", "en": "When did you see it?"}},
            {"name": "kostnad", "type": "number", "label": "Kostnad", "unit": {"sv": "kr", "en": "SEK"}},
        ],
    },
    {
        "key": "kontakt",
        "title": {"sv": "Kontakt", "en": "Contact"},
        "show_when": {"field": "akut", "equals": "yes"},
        "fields": [{"name": "telefon", "type": "phone", "label": {"sv": "Telefon", "en": "Phone"}}],
    },
]

ANSWERS = {"typ": "hal", "akut": "no", "varfor": "Det var mörkt", "sedd": "2026-11-20", "kostnad": "25000"}


@pytest.fixture
def definition(make_definition):
    return make_definition(
        PAGES,
        next_steps={"sv": "Vi åtgärdar felet inom en vecka.", "en": "We fix it within a week."},
        contact={"sv": "Ring kontaktcenter."},
    )


def snapshot(definition, answers=ANSWERS, locale="en", submitted_at=SUBMITTED, **extra):
    return build_snapshot(
        definition,
        answers,
        locale=locale,
        translate=lambda code, message: MESSAGES[(code, message)],
        reference="GRU-2026-00042K",
        submitted_at=submitted_at,
        form_version=3,
        **extra,
    )


def field(record, name):
    [entry] = [f for page in record["pages"] for f in page["fields"] if f["name"] == name]
    return entry


def test_the_record_says_what_was_filed_when_and_where(definition) -> None:
    record = snapshot(definition)
    assert record["format"] == SNAPSHOT_FORMAT
    assert record["reference"] == "GRU-2026-00042K"
    assert record["eservice"] == "felanmalan-gata"
    assert record["form_version"] == 3
    assert record["locale"] == "en"
    assert record["submitted_at"] == "2026-11-27T14:05:00+00:00"
    assert record["title"] == {"sv": "Felanmälan gata", "en": "Report a street fault"}
    assert record["unit"] == {"sv": "Samhällsbyggnad", "en": "Urban planning"}
    assert record["next_steps"] == {"sv": "Vi åtgärdar felet inom en vecka.", "en": "We fix it within a week."}
    assert record["contact"] == {"sv": "Ring kontaktcenter.", "en": "Ring kontaktcenter."}


def test_labels_and_answers_in_swedish_and_the_residents_language(definition) -> None:
    record = snapshot(definition)
    typ = field(record, "typ")
    assert typ["label"] == {"sv": "Vad är fel?", "en": "What is wrong?"}
    assert typ["value"] == "hal"
    assert typ["display"] == {"sv": "Hål i vägen", "en": "Pothole"}
    assert typ["options"] == [
        {"value": "hal", "label": {"sv": "Hål i vägen", "en": "Pothole"}},
        {"value": "skylt", "label": {"sv": "Skylt", "en": "Skylt"}},
    ]
    assert field(record, "akut")["display"] == {"sv": "Nej", "en": "No"}
    assert field(record, "sedd")["display"] == {
        "sv": "20 november 2026",
        "en": "20 November 2026",
    }  # British English formats
    assert field(record, "kostnad")["display"] == {"sv": "25\u00a0000\u00a0kr", "en": "25,000\u00a0SEK"}
    assert field(record, "kostnad")["label"] == {"sv": "Kostnad", "en": "Kostnad"}
    assert record["pages"][0]["title"] == {"sv": "Om felet", "en": "About the fault"}


def test_a_swedish_filing_is_kept_once(definition) -> None:
    record = snapshot(definition, locale="sv")
    assert field(record, "typ")["label"] == {"sv": "Vad är fel?"}
    assert field(record, "akut")["display"] == {"sv": "Nej"}


def test_hidden_fields_pages_and_information_text_are_left_out(definition) -> None:
    record = snapshot(definition, answers=ANSWERS | {"telefon": "+46701234567"})
    assert [page["key"] for page in record["pages"]] == ["om_felet"]
    names = [f["name"] for f in record["pages"][0]["fields"]]
    assert names == ["typ", "akut", "sedd", "kostnad"]
    assert "Det var mörkt" not in json.dumps(record, ensure_ascii=False)
    assert "+46701234567" not in json.dumps(record)


def test_shown_fields_and_pages_are_kept(definition) -> None:
    record = snapshot(definition, answers=ANSWERS | {"akut": "yes", "telefon": "+46701234567"})
    assert [page["key"] for page in record["pages"]] == ["om_felet", "kontakt"]
    assert field(record, "varfor")["value"] == "Det var mörkt"
    assert field(record, "telefon")["display"] == {"sv": "070-123 45 67", "en": "070-123 45 67"}


def test_an_unanswered_question_is_shown_as_unanswered(definition) -> None:
    record = snapshot(definition, answers={"akut": "no"})
    assert field(record, "typ")["value"] is None
    assert field(record, "typ")["display"] == {"sv": "", "en": ""}


def test_attachments_are_copied(definition) -> None:
    attachment = {"field": "bild", "filename": "hal.png", "sha256": "ab" * 32, "size": 1234}
    record = snapshot(definition, attachments=[attachment])
    assert record["attachments"] == [attachment]
    assert record["attachments"][0] is not attachment


def test_the_record_is_plain_json(definition) -> None:
    record = snapshot(definition)
    assert json.loads(json.dumps(record)) == record


def test_a_time_without_a_time_zone_is_refused(definition) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        snapshot(definition, submitted_at=datetime(2026, 11, 27, 14, 5))

"""Form definitions: a good one loads whole, a bad one is refused with every problem named by its path."""

from __future__ import annotations

import pytest

from eservices.fields import REGISTRY
from eservices.schema import DefinitionError, load_definition, load_file

OPTIONS = [{"value": "hal", "label": {"sv": "Hål", "en": "Pothole"}}, {"value": "annat", "label": "Annat"}]


def every_type_pages() -> list[dict]:
    """Two pages using every field type, a field condition and a page condition."""
    return [
        {
            "key": "om_felet",
            "title": {"sv": "Om felet", "en": "About the fault"},
            "intro": {"sv": "Berätta vad som är fel."},
            "fields": [
                {
                    "name": "intro",
                    "type": "info",
                    "text": {"sv": "Akuta fel: ring 0771-00 00 00."},
                    "style": "important",
                },
                {"name": "typ", "type": "choice", "label": {"sv": "Typ", "en": "Kind"}, "options": OPTIONS},
                {
                    "name": "vad",
                    "type": "textarea",
                    "label": "Beskriv",
                    "show_when": {"field": "typ", "equals": "annat"},
                },
                {
                    "name": "etiketter",
                    "type": "multichoice",
                    "label": "Etiketter",
                    "options": OPTIONS,
                    "max_choices": 1,
                },
                {"name": "plats", "type": "text", "label": "Plats", "required": True, "max_length": 80},
                {"name": "bild", "type": "file", "label": "Bild", "accept": ["png", "jpeg"], "max_size_mb": 5},
                {"name": "akut", "type": "yesno", "label": "Är det akut?"},
                {"name": "datum", "type": "date", "label": "När såg du felet?", "max": "today"},
                {"name": "till", "type": "date", "label": "Till", "after": "datum", "min": "today-30"},
                {"name": "kostnad", "type": "number", "label": "Kostnad", "unit": "kr", "min": 0, "decimals": 2},
            ],
        },
        {
            "key": "kontakt",
            "title": "Kontakt",
            "show_when": {"field": "akut", "in": ["yes"]},
            "fields": [
                {"name": "pnr", "type": "personnummer", "label": "Personnummer", "samordningsnummer": False},
                {"name": "telefon", "type": "phone", "label": {"sv": "Telefon", "en": "Phone"}},
                {"name": "epost", "type": "email", "label": "E-post"},
                {"name": "postnr", "type": "postnummer", "label": "Postnummer"},
                {
                    "name": "gdpr",
                    "type": "consent",
                    "label": "Jag godkänner",
                    "notice": "Vi sparar uppgifterna.",
                    "required": True,
                },
            ],
        },
    ]


def test_a_good_definition_with_every_type_loads(make_form) -> None:
    definition = load_definition(make_form(every_type_pages()))
    assert [page.key for page in definition.pages] == ["om_felet", "kontakt"]
    assert len(definition.fields) == 15
    assert {item.type.name for item in definition.fields.values()} == set(REGISTRY)
    assert definition.fields["pnr"].type.name == "personnummer"
    assert definition.fields["plats"].required is True
    assert definition.fields["gdpr"].required is True
    assert definition.fields["telefon"].required is False
    assert definition.fields["vad"].show_when is not None
    assert definition.pages[1].show_when is not None
    assert definition.slug == "felanmalan-gata"


def test_plain_text_is_swedish_text(make_definition) -> None:
    definition = make_definition(every_type_pages())
    assert definition.fields["plats"].label("sv") == "Plats"
    assert definition.fields["plats"].label("en") == "Plats"
    assert definition.fields["telefon"].label("en-GB") == "Phone"
    assert definition.pages[1].title == {"sv": "Kontakt"}


def test_the_checked_definition_is_plain_data_that_loads_again(make_definition) -> None:
    definition = make_definition(every_type_pages())
    again = load_definition(definition.data)
    assert again.data == definition.data


def test_conditions_hold_for_the_answers_they_name(make_definition) -> None:
    definition = make_definition(every_type_pages())
    condition = definition.fields["vad"].show_when
    assert condition.holds({"typ": "annat"})
    assert not condition.holds({"typ": "hal"})
    assert not condition.holds({})


def test_a_condition_on_ticked_boxes_holds_when_any_named_box_is_ticked(make_definition) -> None:
    definition = make_definition(
        [
            {
                "key": "sida",
                "title": "Sida",
                "fields": [
                    {"name": "fel", "type": "multichoice", "label": "Fel", "options": OPTIONS},
                    {"name": "mer", "type": "text", "label": "Mer", "show_when": {"field": "fel", "in": ["annat"]}},
                ],
            }
        ]
    )
    condition = definition.fields["mer"].show_when
    assert condition.holds({"fel": ["hal", "annat"]})
    assert not condition.holds({"fel": ["hal"]})
    assert not condition.holds({"fel": []})


def test_texts_and_languages(make_definition) -> None:
    definition = make_definition(
        title={"sv": "Felanmälan gata", "en": "Report a street fault", "ar": "الإبلاغ عن عطل"},
        keywords={"sv": ["Gropar", "Sophämtning"], "en": ["potholes"]},
    )
    assert definition.languages() == ["sv", "ar", "en"]
    assert definition.text("title", "en") == "Report a street fault"
    assert definition.text("description", "ar") == "Anmäl hål i gatan."
    assert definition.keywords("fi") == ["Gropar", "Sophämtning"]
    assert "sophamtning" in definition.search_text("sv")
    assert "felanmalan" in definition.search_text("sv")


def test_an_unknown_type_is_named_by_its_path(make_form, problems_of) -> None:
    pages = [
        {"key": "ett", "title": "Ett", "fields": [{"name": "a", "type": "text", "label": "A"}]},
        {
            "key": "tva",
            "title": "Två",
            "fields": [
                {"name": "b", "type": "text", "label": "B"},
                {"name": "c", "type": "text", "label": "C"},
                {"name": "d", "type": "text", "label": "D"},
                {"name": "e", "type": "dropdown", "label": "E"},
            ],
        },
    ]
    problems = problems_of(make_form(pages))
    assert list(problems) == ["pages[1].fields[3].type"]
    assert "dropdown" in problems["pages[1].fields[3].type"]
    assert "choice" in problems["pages[1].fields[3].type"]  # the known types are listed


@pytest.mark.parametrize(
    ("top", "path"),
    [
        ({"title": {"en": "Report a fault"}}, "title.sv"),
        ({"title": {"sv": "  "}}, "title.sv"),
        ({"title": None}, "title"),
        ({"description": {"en": "x"}}, "description.sv"),
        ({"unit": {"key": "gata", "name": {"en": "Streets"}}}, "unit.name.sv"),
        ({"slug": "Felanmälan gata"}, "slug"),
        ({"unit": "gata"}, "unit"),
        ({"anonymous": "ja"}, "anonymous"),
        ({"titel": {"sv": "Felanmälan"}}, "titel"),
        ({"keywords": ["gata"]}, "keywords"),
        ({"pages": []}, "pages"),
    ],
)
def test_bad_top_level_is_named(make_form, problems_of, top, path) -> None:
    assert path in problems_of(make_form(**top))


def field_problems(make_form, problems_of, *fields: dict) -> dict[str, str]:
    return problems_of(make_form([{"key": "sida", "title": "Sida", "fields": list(fields)}]))


def test_missing_swedish_label(make_form, problems_of) -> None:
    problems = field_problems(make_form, problems_of, {"name": "a", "type": "text", "label": {"en": "Name"}})
    assert problems == {"pages[0].fields[0].label.sv": "Swedish text is required"}


def test_missing_label(make_form, problems_of) -> None:
    problems = field_problems(make_form, problems_of, {"name": "a", "type": "text"})
    assert list(problems) == ["pages[0].fields[0].label"]


def test_a_typo_in_a_key_is_refused_not_ignored(make_form, problems_of) -> None:
    problems = field_problems(make_form, problems_of, {"name": "a", "type": "text", "lable": "Namn", "label": "Namn"})
    assert list(problems) == ["pages[0].fields[0].lable"]
    assert "label" in problems["pages[0].fields[0].lable"]


def test_a_setting_of_another_type_is_refused(make_form, problems_of) -> None:
    problems = field_problems(make_form, problems_of, {"name": "a", "type": "text", "label": "A", "decimals": 2})
    assert "pages[0].fields[0].decimals" in problems


def test_page_typos_are_refused(make_form, problems_of) -> None:
    pages = [{"key": "sida", "titel": "Sida", "fields": [{"name": "a", "type": "text", "label": "A"}]}]
    problems = problems_of(make_form(pages))
    assert "pages[0].titel" in problems
    assert "pages[0].title" in problems


def test_duplicate_field_names_across_pages(make_form, problems_of) -> None:
    pages = [
        {"key": "ett", "title": "Ett", "fields": [{"name": "namn", "type": "text", "label": "Namn"}]},
        {"key": "tva", "title": "Två", "fields": [{"name": "namn", "type": "email", "label": "E-post"}]},
    ]
    problems = problems_of(make_form(pages))
    assert list(problems) == ["pages[1].fields[0].name"]
    assert "namn" in problems["pages[1].fields[0].name"]


def test_duplicate_page_keys(make_form, problems_of) -> None:
    pages = [
        {"key": "sida", "title": "Ett", "fields": [{"name": "a", "type": "text", "label": "A"}]},
        {"key": "sida", "title": "Två", "fields": [{"name": "b", "type": "text", "label": "B"}]},
    ]
    assert list(problems_of(make_form(pages))) == ["pages[1].key"]


@pytest.mark.parametrize("name", ["Namn", "1namn", "för_namn", "namn-efternamn", "", None])
def test_field_names_are_identifiers(make_form, problems_of, name) -> None:
    problems = field_problems(make_form, problems_of, {"name": name, "type": "text", "label": "A"})
    assert list(problems) == ["pages[0].fields[0].name"]


def test_condition_on_a_field_that_does_not_exist(make_form, problems_of) -> None:
    problems = field_problems(
        make_form,
        problems_of,
        {"name": "akut", "type": "yesno", "label": "Akut?"},
        {"name": "tel", "type": "phone", "label": "Telefon", "show_when": {"field": "akutt", "equals": "yes"}},
    )
    assert list(problems) == ["pages[0].fields[1].show_when.field"]
    assert "akutt" in problems["pages[0].fields[1].show_when.field"]


def test_condition_on_a_later_field(make_form, problems_of) -> None:
    problems = field_problems(
        make_form,
        problems_of,
        {"name": "tel", "type": "phone", "label": "Telefon", "show_when": {"field": "akut", "equals": "yes"}},
        {"name": "akut", "type": "yesno", "label": "Akut?"},
    )
    assert list(problems) == ["pages[0].fields[0].show_when.field"]


def test_a_page_condition_names_a_field_on_an_earlier_page(make_form, problems_of) -> None:
    pages = [
        {
            "key": "sida",
            "title": "Sida",
            "show_when": {"field": "akut", "equals": "yes"},
            "fields": [{"name": "akut", "type": "yesno", "label": "Akut?"}],
        }
    ]
    assert list(problems_of(make_form(pages))) == ["pages[0].show_when.field"]


def test_a_field_condition_on_itself(make_form, problems_of) -> None:
    problems = field_problems(
        make_form,
        problems_of,
        {"name": "akut", "type": "yesno", "label": "A", "show_when": {"field": "akut", "equals": "yes"}},
    )
    assert list(problems) == ["pages[0].fields[0].show_when.field"]


@pytest.mark.parametrize(
    ("target", "condition"),
    [
        ({"name": "typ", "type": "choice", "label": "Typ", "options": OPTIONS}, {"field": "typ", "equals": "lampa"}),
        ({"name": "typ", "type": "yesno", "label": "Typ"}, {"field": "typ", "equals": "ja"}),
        ({"name": "typ", "type": "yesno", "label": "Typ"}, {"field": "typ", "equals": True}),
        (
            {"name": "typ", "type": "multichoice", "label": "Typ", "options": OPTIONS},
            {"field": "typ", "in": ["hal", "x"]},
        ),
        ({"name": "typ", "type": "yesno", "label": "Typ"}, {"field": "typ"}),
        ({"name": "typ", "type": "yesno", "label": "Typ"}, {"field": "typ", "equals": "yes", "in": ["yes"]}),
    ],
)
def test_a_condition_that_can_never_hold_as_written(make_form, problems_of, target, condition) -> None:
    problems = field_problems(
        make_form, problems_of, target, {"name": "mer", "type": "text", "label": "Mer", "show_when": condition}
    )
    assert list(problems) == ["pages[0].fields[1].show_when"]


def test_a_condition_with_a_typo(make_form, problems_of) -> None:
    problems = field_problems(
        make_form,
        problems_of,
        {"name": "akut", "type": "yesno", "label": "Akut?"},
        {"name": "mer", "type": "text", "label": "Mer", "show_when": {"field": "akut", "equal": "yes"}},
    )
    assert "pages[0].fields[1].show_when.equal" in problems


@pytest.mark.parametrize("options", [None, [], "hal, annat"])
def test_a_choice_without_options(make_form, problems_of, options) -> None:
    spec = {"name": "typ", "type": "choice", "label": "Typ"}
    if options is not None:
        spec["options"] = options
    problems = field_problems(make_form, problems_of, spec)
    assert list(problems) == ["pages[0].fields[0].options"]


def test_bad_options(make_form, problems_of) -> None:
    options = [
        {"value": "a", "label": "A"},
        {"value": "a", "label": "A igen"},
        {"value": "b", "label": {"en": "B"}},
        {"label": "C"},
        {"value": "d", "label": "D", "lable": "D"},
    ]
    problems = field_problems(
        make_form, problems_of, {"name": "typ", "type": "multichoice", "label": "T", "options": options}
    )
    assert set(problems) == {
        "pages[0].fields[0].options[1].value",
        "pages[0].fields[0].options[2].label.sv",
        "pages[0].fields[0].options[3]",
        "pages[0].fields[0].options[4].lable",
    }


def test_options_on_a_type_without_options(make_form, problems_of) -> None:
    problems = field_problems(make_form, problems_of, {"name": "a", "type": "text", "label": "A", "options": OPTIONS})
    assert "pages[0].fields[0].options" in problems


@pytest.mark.parametrize("fields", [[], None])
def test_a_page_with_no_fields(make_form, problems_of, fields) -> None:
    page = {"key": "tom", "title": "Tom"}
    if fields is not None:
        page["fields"] = fields
    problems = problems_of(make_form([page]))
    assert list(problems) == ["pages[0].fields"]


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        ({"type": "number", "label": "N", "min": 10, "max": 1}, "min"),
        ({"type": "number", "label": "N", "min": "noll"}, "min"),
        ({"type": "number", "label": "N", "decimals": 1.5}, "decimals"),
        ({"type": "text", "label": "T", "min_length": 10, "max_length": 5}, "min_length"),
        ({"type": "text", "label": "T", "max_length": 0}, "max_length"),
        ({"type": "textarea", "label": "T", "max_length": "lång"}, "max_length"),
        ({"type": "date", "label": "D", "min": "tomorrow"}, "min"),
        ({"type": "date", "label": "D", "after": "ingen"}, "after"),
        ({"type": "file", "label": "F", "accept": ["exe"]}, "accept"),
        ({"type": "file", "label": "F", "accept": []}, "accept"),
        ({"type": "file", "label": "F", "max_size_mb": 500}, "max_size_mb"),
        ({"type": "multichoice", "label": "M", "options": OPTIONS, "min_choices": 0}, "min_choices"),
        ({"type": "choice", "label": "C", "options": OPTIONS, "widget": "slider"}, "widget"),
        ({"type": "info", "text": {"en": "Hello"}}, "text.sv"),
        ({"type": "info", "label": "I"}, "text"),
        ({"type": "info", "text": "Hej", "style": "shouting"}, "style"),
        ({"type": "consent", "label": "OK", "required": True}, "notice"),
        ({"type": "consent", "label": "OK", "notice": "Hej", "required": False}, "required"),
        ({"type": "personnummer", "label": "P", "samordningsnummer": "nej"}, "samordningsnummer"),
        ({"type": "text", "label": "T", "required": "ja"}, "required"),
    ],
)
def test_bad_type_settings_are_named(make_form, problems_of, spec, path) -> None:
    problems = field_problems(make_form, problems_of, {"name": "f", **spec})
    assert f"pages[0].fields[0].{path}" in problems


@pytest.mark.parametrize(
    ("limits", "path"),
    [({"min_choices": 3, "max_choices": 2}, "min_choices"), ({"min_choices": 3}, "min_choices")],
    ids=["min-above-max", "more-than-the-options"],
)
def test_a_multichoice_that_can_never_be_answered(make_form, problems_of, limits, path) -> None:
    """Like ``min_length`` above ``max_length`` and ``min`` above ``max``: no resident could ever send this form."""
    spec = {"name": "f", "type": "multichoice", "label": "M", "required": True, "options": OPTIONS, **limits}
    data = make_form([{"key": "sida", "title": "Sida", "fields": [spec]}])
    try:
        load_definition(data)
    except DefinitionError as error:
        assert f"pages[0].fields[0].{path}" in dict(error.problems)
    else:
        pytest.fail(f"a multichoice with {len(OPTIONS)} options and {limits} loads")


def test_after_must_name_an_earlier_date_field(make_form, problems_of) -> None:
    problems = field_problems(
        make_form,
        problems_of,
        {"name": "namn", "type": "text", "label": "Namn"},
        {"name": "till", "type": "date", "label": "Till", "after": "namn"},
    )
    assert list(problems) == ["pages[0].fields[1].after"]


def test_a_consent_box_is_required_without_saying_so(make_form) -> None:
    """A consent field is always required (``Field.required``), so a definition need not write ``required: true``."""
    data = make_form(
        [
            {
                "key": "samtycke",
                "title": "Samtycke",
                "fields": [{"name": "gdpr", "type": "consent", "label": "Jag godkänner", "notice": "Vi sparar."}],
            }
        ]
    )
    try:
        definition = load_definition(data)
    except DefinitionError as error:
        pytest.fail(f"a consent field without `required:` does not load: {error.problems}")
    assert definition.fields["gdpr"].required


def test_every_problem_is_reported_at_once(make_form, problems_of) -> None:
    data = make_form(
        [
            {"key": "ett", "title": {"en": "One"}, "fields": [{"name": "a", "type": "dropdown", "label": "A"}]},
            {"key": "tva", "title": "Två", "fields": []},
        ],
        titel="Felanmälan",
    )
    assert set(problems_of(data)) == {"titel", "pages[0].title.sv", "pages[0].fields[0].type", "pages[1].fields"}


def test_not_a_mapping(problems_of) -> None:
    assert list(problems_of(["slug", "title"])) == ["(top)"]
    assert list(problems_of(None)) == ["(top)"]


def test_the_error_message_names_the_source_and_each_path(make_form) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(make_form(title={"en": "x"}, titel="y"), "forms/felanmalan-gata.yaml")
    message = str(caught.value)
    assert message.startswith("forms/felanmalan-gata.yaml: 2 problem(s)")
    assert "  title.sv: Swedish text is required" in message
    assert "  titel: unknown key" in message
    assert caught.value.source == "forms/felanmalan-gata.yaml"


GOOD_YAML = """\
slug: bygglov-fragor
title:
  sv: Frågor om bygglov
  en: Questions about building permits
description: Ställ en fråga till bygglovshandläggarna.
category: Bygga och bo
unit:
  key: bygglov
  name: Bygglovsenheten
pages:
  - key: fraga
    title: Din fråga
    fields:
      - name: fraga
        type: textarea
        label: Vad undrar du?
        required: true
"""


def test_a_yaml_file_loads(tmp_path) -> None:
    path = tmp_path / "bygglov-fragor.yaml"
    path.write_text(GOOD_YAML, encoding="utf-8")
    definition = load_file(path)
    assert definition.slug == "bygglov-fragor"
    assert definition.text("title", "sv") == "Frågor om bygglov"
    assert definition.fields["fraga"].required


def test_problems_in_a_yaml_file_name_the_file(tmp_path) -> None:
    path = tmp_path / "bygglov-fragor.yaml"
    path.write_text(
        GOOD_YAML.replace("        label: Vad undrar du?", "        lable: Vad undrar du?"), encoding="utf-8"
    )
    with pytest.raises(DefinitionError) as caught:
        load_file(path)
    assert "bygglov-fragor.yaml" in str(caught.value)
    assert "pages[0].fields[0].lable" in str(caught.value)


def test_invalid_yaml_gives_the_line(tmp_path) -> None:
    path = tmp_path / "trasig.yaml"
    path.write_text("slug: trasig\ntitle: {sv: Trasig}\ndescription: a: b\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_file(path)
    assert "trasig.yaml" in str(caught.value)
    [(where, message)] = caught.value.problems
    assert where.startswith("line 3,")
    assert "not valid YAML" in message


def test_a_missing_file(tmp_path) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_file(tmp_path / "finns-inte.yaml")
    assert "finns-inte.yaml" in str(caught.value)
    assert caught.value.problems[0][0] == "file"

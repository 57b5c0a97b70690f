"""Edits a communicator makes to a draft, and the diff between versions, on plain definitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from eservices import editing
from eservices.diff import diff
from eservices.schema import MAX_FIELDS, DefinitionError, load_definition, load_file, missing_translations

ROOT = Path(__file__).resolve().parents[2]
UNIT = {"key": "kommunledning", "name": {"sv": "Kommunledningsförvaltningen"}}


def complete(data: dict) -> dict:
    return {**data, "description": {"sv": "Beskrivning."}, "category": {"sv": "Kategori"}}


def test_a_new_draft_lacks_what_a_communicator_must_add_and_nothing_else() -> None:
    data = editing.new_definition("lekplats", "Lekplats", UNIT)
    with pytest.raises(DefinitionError) as raised:
        load_definition(data)
    assert sorted(path for path, _problem in raised.value.problems) == [
        "category.sv",
        "description.sv",
        "pages[0].fields",
    ]
    data, name = editing.add_field(complete(data), "sida_1", "text", "Ditt namn")
    assert name == "ditt_namn"
    assert load_definition(data).fields["ditt_namn"].required


def test_names_are_made_from_labels_and_never_collide() -> None:
    taken = {"ditt_namn"}
    assert editing.machine_name("Ditt namn", taken) == "ditt_namn_2"
    assert editing.machine_name("Är du över 18 år?", set()) == "ar_du_over_18_ar"
    assert editing.machine_name("123", set()) == "fraga_123"
    assert editing.machine_name("", set()) == "fraga"


def test_moving_a_question_past_the_top_of_its_page_takes_it_to_the_page_before() -> None:
    data = complete(editing.new_definition("lekplats", "Lekplats", UNIT))
    data, _ = editing.add_field(data, "sida_1", "text", "A")
    data, second = editing.add_page(data, "Andra")
    data, _ = editing.add_field(data, second, "text", "B")
    moved = editing.move_field(data, "b", -1)
    assert [f["name"] for f in moved["pages"][0]["fields"]] == ["a", "b"] and moved["pages"][1]["fields"] == []
    assert data["pages"][1]["fields"][0]["name"] == "b"  # the input is left as it was
    assert editing.move_field(moved, "a", -1) == moved  # nothing before the first question


def test_duplicating_a_page_renames_its_questions_and_its_conditions_follow_the_copies() -> None:
    data = complete(editing.new_definition("lekplats", "Lekplats", UNIT))
    data, asks = editing.add_field(data, "sida_1", "yesno", "Vill du bli kontaktad?")
    data, email = editing.add_field(data, "sida_1", "email", "E-post")
    _page, _index, spec = editing.find_field(data, email)
    data = editing.replace_field(data, email, {**spec, "show_when": {"field": asks, "equals": "yes"}})
    data, copy_key = editing.duplicate_page(data, "sida_1")
    copy = data["pages"][1]
    assert copy["key"] == copy_key != "sida_1"
    names = [f["name"] for f in copy["fields"]]
    assert names[0] != asks and copy["fields"][1]["show_when"] == {"field": names[0], "equals": "yes"}
    load_definition(data)  # still valid: no duplicate names, conditions point backwards


def test_renaming_a_question_carries_its_conditions_along() -> None:
    data = complete(editing.new_definition("lekplats", "Lekplats", UNIT))
    data, asks = editing.add_field(data, "sida_1", "yesno", "Vill du bli kontaktad?")
    data, email = editing.add_field(data, "sida_1", "email", "E-post")
    _page, _index, spec = editing.find_field(data, email)
    data = editing.replace_field(data, email, {**spec, "show_when": {"field": asks, "equals": "yes"}})
    _page, _index, asked = editing.find_field(data, asks)
    data = editing.replace_field(data, asks, {**asked, "name": "kontakt"})
    assert editing.find_field(data, email)[2]["show_when"]["field"] == "kontakt"
    load_definition(data)


def test_removing_a_question_that_a_condition_needs_is_a_named_problem() -> None:
    data = complete(editing.new_definition("lekplats", "Lekplats", UNIT))
    data, asks = editing.add_field(data, "sida_1", "yesno", "Vill du bli kontaktad?")
    data, email = editing.add_field(data, "sida_1", "email", "E-post")
    _page, _index, spec = editing.find_field(data, email)
    data = editing.replace_field(data, email, {**spec, "show_when": {"field": asks, "equals": "yes"}})
    with pytest.raises(DefinitionError) as raised:
        load_definition(editing.remove_field(data, asks))
    [(path, problem)] = raised.value.problems
    assert path == "pages[0].fields[0].show_when.field" and problem.code == "condition_unknown_field"


def test_a_condition_is_offered_exactly_the_answers_the_checker_accepts() -> None:
    data = complete(editing.new_definition("lekplats", "Lekplats", UNIT))
    data, asks = editing.add_field(data, "sida_1", "yesno", "Vill du bli kontaktad?")
    data, agrees = editing.add_field(data, "sida_1", "consent", "Godkänner du?")
    data, picks = editing.add_field(data, "sida_1", "choice", "Vilken lekplats?")
    data, _free = editing.add_field(data, "sida_1", "text", "Övrigt")
    data, email = editing.add_field(data, "sida_1", "email", "E-post")
    _page, _index, choice = editing.find_field(data, picks)
    options = [{"value": "norr", "label": {"sv": "Norr"}}, {"label": {"sv": "Ofärdig"}}, {"value": "ost"}]
    data = editing.replace_field(data, picks, {**choice, "options": options})
    offered = [(item["name"], values) for item, values in editing.condition_targets(data, before_field=email)]
    # the unfinished option (no value yet) is not offered; free-text questions are not offered at all
    assert offered == [(asks, ["yes", "no"]), (agrees, ["yes"]), (picks, ["norr", "ost"])]
    # finished, the draft can be published with a condition on any answer that was offered
    data["pages"][0]["fields"][1]["notice"] = {"sv": "Vi sparar dina uppgifter."}
    data["pages"][0]["fields"][2]["options"] = [
        {"value": "norr", "label": {"sv": "Norr"}},
        {"value": "ost", "label": {"sv": "Öst"}},
    ]
    _page, _index, spec = editing.find_field(data, email)
    for name, values in offered:
        for value in values:
            load_definition(editing.replace_field(data, email, {**spec, "show_when": {"field": name, "equals": value}}))


def test_too_many_questions_cannot_be_added() -> None:
    data = complete(editing.new_definition("lekplats", "Lekplats", UNIT))
    data["pages"][0]["fields"] = [{"name": f"f{i}", "type": "text", "label": {"sv": "x"}} for i in range(MAX_FIELDS)]
    with pytest.raises(editing.EditError):
        editing.add_field(data, "sida_1", "text", "En till")


def test_set_text_writes_and_removes_translations_by_path() -> None:
    data = load_file(ROOT / "forms" / "grumsinitiativ.yaml").data
    path = "pages[0].fields[0].label"
    changed = editing.set_text(data, path, "fi", "Nimi")
    assert changed["pages"][0]["fields"][0]["label"]["fi"] == "Nimi"
    assert path in missing_translations(editing.set_text(changed, path, "fi", ""), "fi")
    with pytest.raises(editing.EditError):
        editing.set_text(data, "pages[99].title", "fi", "x")


def test_diff_names_questions_added_removed_changed_and_moved() -> None:
    before = load_file(ROOT / "forms" / "synpunkter-och-klagomal.yaml").data
    after = editing.set_text(before, "pages[0].fields[1].label", "sv", "Vad vill du berätta?")
    after, _ = editing.add_field(after, before["pages"][0]["key"], "text", "Ny fråga")
    after = editing.remove_field(after, before["pages"][1]["fields"][-1]["name"])
    changes = {(c.kind, c.what, c.name): c for c in diff(before, after)}
    assert ("added", "field", "ny_fraga") in changes
    assert ("removed", "field", before["pages"][1]["fields"][-1]["name"]) in changes
    changed = changes[("changed", "field", before["pages"][0]["fields"][1]["name"])]
    [detail] = changed.details
    assert detail.key == "label" and detail.after.startswith("Vad vill du berätta?")
    assert detail.before.startswith(before["pages"][0]["fields"][1]["label"]["sv"])
    assert diff(before, before) == []


def test_diff_names_pages_by_title_and_options_by_label_with_codes_only_where_the_text_cannot_tell() -> None:
    data = complete(editing.new_definition("lekplats", "Lekplats", UNIT))
    data, picks = editing.add_field(data, "sida_1", "choice", "Vilken park?")
    _page, _index, spec = editing.find_field(data, picks)
    options = [{"value": "norr", "label": {"sv": "Norra parken"}}, {"value": "ost", "label": {"sv": "Östra parken"}}]
    data = editing.replace_field(data, picks, {**spec, "options": options})
    data, first = editing.add_page(data, "Om dig")
    data, second = editing.add_page(data, "Om dig")

    def details(before: dict, after: dict) -> dict[str, tuple[str, str, str, str]]:
        [change] = [c for c in diff(before, after) if c.name == picks]
        return {d.key: (d.before, d.after, d.before_code, d.after_code) for d in change.details}

    moved = editing.move_field(data, picks, 1)  # the last question of its page: on to the next page
    relabelled = [{**options[0], "label": {"sv": "Norra lekparken"}}, options[1]]
    moved = editing.replace_field(moved, picks, {**editing.find_field(moved, picks)[2], "options": relabelled})
    assert details(data, moved) == {
        "page": ("Sida 1", "Om dig", "", ""),
        "options": ("Norra parken, Östra parken", "Norra lekparken, Östra parken", "", ""),
    }
    # Between two pages of the same title, and to another stored value: the keys and values tell what changed.
    again = editing.move_field(moved, picks, 1)
    assert editing.find_field(again, picks)[0]["key"] == second != first
    revalued = [options[0], {**options[1], "value": "oster"}]
    again = editing.replace_field(again, picks, {**editing.find_field(again, picks)[2], "options": revalued})
    assert details(moved, again) == {
        "page": ("Om dig", "Om dig", first, second),
        "options": ("Norra lekparken, Östra parken", "Norra parken, Östra parken", "norr, ost", "norr, oster"),
    }


def test_diff_shows_the_swedish_text_and_when_only_a_translation_changed_that_translation() -> None:
    before = load_file(ROOT / "forms" / "felanmalan-gata-park-belysning.yaml").data
    path = "pages[0].fields[2].label"
    name = before["pages"][0]["fields"][2]["name"]
    swedish = before["pages"][0]["fields"][2]["label"]["sv"]

    renamed = editing.set_text(before, path, "sv", swedish + " (ändrad)")
    [change] = diff(before, renamed)
    assert change.label == swedish + " (ändrad)"  # the question by its Swedish text, no language codes
    [detail] = change.details
    assert (detail.before, detail.after) == (swedish, swedish + " (ändrad)")

    translated = editing.set_text(before, path, "en", "What is wrong?")
    [change] = diff(before, translated)
    [detail] = change.details
    old_english = before["pages"][0]["fields"][2]["label"]["en"]
    assert (detail.before, detail.after) == (f"en: {old_english}", "en: What is wrong?")
    assert change.name == name

"""The studio's routes: load -> authorize -> call the studio service -> render or redirect.

Every edit form carries the draft's revision. When someone else saved in between, nothing is applied:
structural edits (buttons) say so and show the current draft; forms with typed text are shown again
with what was typed still in them, so nothing is lost.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext
from werkzeug.wrappers import Response

from app.auth.login import signed_in_user
from app.db import get_session
from app.i18n import LANGUAGE_NAMES
from app.models import EService, FormVersion
from app.services import studio
from app.services.cases import SWEDEN
from app.studio import bp
from app.studio.texts import (
    DIFF_KEYS,
    FILE_KINDS,
    SETTINGS,
    STATE_NAMES,
    TYPE_NAMES,
    Setting,
    problem_text,
    studio_error_text,
)
from eservices import editing
from eservices.diff import diff
from eservices.fields import REGISTRY
from eservices.schema import FORM_TEXT_KEYS, NAME, DefinitionError, localized_texts, missing_translations
from eservices.text import FALLBACK, localize

MAX_YAML_BYTES = 512 * 1024


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return _now().astimezone(SWEDEN).date()


def _ip() -> str | None:
    return request.remote_addr


def _languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


@bp.context_processor
def studio_names() -> dict[str, Any]:
    return {
        "type_names": TYPE_NAMES,
        "state_names": STATE_NAMES,
        "diff_keys": DIFF_KEYS,
        "problem_text": problem_text,
        "sv_text": lambda text: localize(text, FALLBACK) if isinstance(text, dict) else (text or ""),
    }


def load_eservice(slug: str, edit: bool = False) -> EService:
    """The e-service, if the signed-in person may see it (404 otherwise) and, for ``edit``, edit it (403)."""
    session = get_session()
    eservice = studio.find(session, slug)
    user = signed_in_user()
    if eservice is None or eservice.unit_id not in studio.viewable_unit_ids(session, user):
        abort(404)
    if edit and eservice.unit_id not in studio.editable_unit_ids(session, user):
        abort(403)
    return eservice


def _may_edit(eservice: EService) -> bool:
    return eservice.unit_id in studio.editable_unit_ids(get_session(), signed_in_user())


def small_int(raw: str | None, digits: int = 6) -> int | None:
    """``raw`` as a whole number of at most ``digits`` ASCII digits, else None (never ², never a 5,000-digit number)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdecimal() and len(raw) <= digits else None


def _revision() -> int:
    """The revision the form was prepared against; 0 (never current) when it is missing or not a number,
    so an edit without one is treated as prepared against an old draft rather than applied blindly."""
    return small_int(request.form.get("revision"), 9) or 0


def _changed_notice(draft: FormVersion) -> str:
    who = draft.edited_by.name if draft.edited_by is not None else gettext("someone")
    when = format_datetime(draft.edited_at, "short") if draft.edited_at else ""
    return gettext("%(name)s saved changes to the draft at %(time)s, after you opened this page.", name=who, time=when)


def _store(draft: FormVersion, data: dict[str, Any]) -> bool:
    """Save ``data`` as the draft; False (with a notice) when someone saved since the form was shown."""
    try:
        studio.save_draft(get_session(), draft, data, _revision(), signed_in_user(), _now())
    except studio.DraftChanged:
        flash(_changed_notice(draft) + " " + gettext("Your change has not been saved. Check the draft and try again."))
        return False
    return True


def _overview(slug: str, anchor: str | None = None) -> Response:
    return redirect(url_for("studio.eservice", slug=slug) + (f"#{anchor}" if anchor else ""))


# --- problems, placed ----------------------------------------------------------------------------------

PATH = re.compile(r"^pages\[(\d+)\](?:\.fields\[(\d+)\])?(?:\.(.*))?$")


def placed_problems(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The draft's problems, each with where it is (a link and a name for the place) and its text."""
    placed = []
    pages = data.get("pages") or []
    slug = data.get("slug")
    for path, message in studio.problems(data):
        found = PATH.match(path)
        entry: dict[str, Any] = {"path": path, "text": problem_text(message), "key": path.split(".")[-1]}
        if found is None:
            top = path.split(".")[0]
            place = gettext("About the e-service")
            if top in DIFF_KEYS:
                place = gettext("About the e-service: %(part)s", part=DIFF_KEYS[top])
            entry.update(url=url_for("studio.settings", slug=slug) + f"#{top}", place=place, key=top)
        else:
            page_index, field_index, rest = int(found.group(1)), found.group(2), found.group(3) or ""
            page = pages[page_index] if page_index < len(pages) else {}
            page_title = localize(page.get("title"), FALLBACK) if isinstance(page, dict) else ""
            fields = page.get("fields") if isinstance(page, dict) else None
            if field_index is not None and isinstance(fields, list) and int(field_index) < len(fields):
                item = fields[int(field_index)]
                label = localize(item.get("label"), FALLBACK) or item.get("name", "")
                entry.update(
                    url=url_for("studio.field", slug=slug, name=item.get("name", "-")),
                    place=gettext("Question “%(label)s” on page %(page)s", label=label, page=page_index + 1),
                    field=item.get("name"),
                    key=(rest.split(".")[0].split("[")[0] if rest else "field"),
                )
            else:
                entry.update(
                    url=url_for("studio.page", slug=slug, key=page.get("key", "-")),
                    place=gettext("Page %(number)s “%(title)s”", number=page_index + 1, title=page_title),
                    page=page.get("key"),
                    key=(rest.split(".")[0] if rest else "page"),
                )
        placed.append(entry)
    return placed


# --- the list, new, import -----------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    session = get_session()
    user = signed_in_user()
    archived = request.args.get("archived") == "1"
    rows = studio.listing(session, studio.viewable_unit_ids(session, user), _languages(), _today(), archived)
    return render_template(
        "studio/index.html",
        rows=rows,
        archived=archived,
        may_create=bool(studio.editable_unit_ids(session, user)),
        target_languages=[code for code in _languages() if code != FALLBACK],
        language_names=LANGUAGE_NAMES,
    )


def _units_offered() -> list[Any]:
    return studio.editable_units(get_session(), signed_in_user())


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | str | tuple[str, int]:
    session = get_session()
    units = _units_offered()
    if not units:
        abort(403)
    copies = [
        row.eservice
        for row in studio.listing(session, {u.id for u in units}, [], _today())
        if row.published or row.draft
    ]
    errors: dict[str, str] = {}
    form = {"title": "", "slug": "", "unit": "", "copy": ""}
    if request.method == "POST":
        form = {key: request.form.get(key, "").strip() for key in form}
        unit = next((u for u in units if str(u.id) == form["unit"]), None)
        if not form["title"] and not form["copy"]:
            errors["title"] = gettext("Write the e-service's name in Swedish.")
        if len(form["title"]) > 200:
            errors["title"] = gettext("The name can be at most 200 characters long.")
        if unit is None and not form["copy"]:
            errors["unit"] = gettext("Choose the unit that handles the cases.")
        source = next((e for e in copies if e.slug == form["copy"]), None) if form["copy"] else None
        if form["copy"] and source is None:
            errors["copy"] = gettext("Choose an e-service to copy.")
        if form["slug"]:
            slug = form["slug"]
        elif form["title"]:
            slug = editing.machine_name(form["title"], set()).replace("_", "-")
        else:
            slug = f"{form['copy']}-kopia"
        if not errors:
            try:
                if source is not None:
                    created = studio.copy_of(session, source, slug, signed_in_user(), _now(), _ip())
                    if form["title"]:
                        draft = studio.draft_of(created)
                        assert draft is not None
                        data = editing.set_text(draft.definition, "title", FALLBACK, form["title"])
                        studio.save_draft(session, draft, data, None, signed_in_user(), _now())
                else:
                    assert unit is not None
                    created = studio.create(session, slug, form["title"], unit, signed_in_user(), _now(), _ip())
            except studio.StudioError as error:
                errors["slug"] = studio_error_text(error.code, error.params)
            else:
                flash(gettext("The e-service has been created as a draft. Nothing is shown to residents yet."))
                return _overview(created.slug)
    status = 422 if errors else 200
    unit_choices = [(str(u.id), u.name.get(FALLBACK, u.key)) for u in units]
    copy_choices = [(e.slug, _title_of(e)) for e in copies]
    return render_template(
        "studio/new.html", unit_choices=unit_choices, copy_choices=copy_choices, form=form, errors=errors
    ), status


def _title_of(found: EService) -> str:
    current = studio.draft_of(found) or studio.published_of(found)
    return localize(current.definition.get("title"), FALLBACK) if current is not None else found.slug


@bp.route("/import", methods=["GET", "POST"])
def import_file() -> Response | str | tuple[str, int]:
    session = get_session()
    if not _units_offered():
        abort(403)
    problems: list[tuple[str, str]] = []
    source = ""
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problems = [("", gettext("Choose a YAML file to import."))]
        else:
            source = upload.filename[-200:]
            content = upload.read(MAX_YAML_BYTES + 1)
            try:
                if len(content) > MAX_YAML_BYTES:
                    raise DefinitionError(source, [("file", gettext("The file is larger than 512 kB."))])
                try:
                    text = content.decode("utf-8")
                except UnicodeDecodeError:
                    raise DefinitionError(source, [("file", gettext("The file is not UTF-8 text."))]) from None
                data = studio.parse_yaml(text, source)
                draft = studio.import_definition(
                    session,
                    data,
                    source,
                    actor=signed_in_user(),
                    now=_now(),
                    allowed_units=studio.editable_unit_ids(session, signed_in_user()),
                    ip=_ip(),
                )
            except DefinitionError as error:
                problems = [(where, problem_text(message)) for where, message in error.problems]
            except studio.StudioError as error:
                problems = [("", studio_error_text(error.code, error.params))]
            else:
                flash(gettext("The file has been imported as a draft. Check it, preview it and publish it."))
                return _overview(draft.eservice.slug)
    status = 422 if problems else 200
    return render_template("studio/import.html", problems=problems, source=source), status


# --- one e-service -------------------------------------------------------------------------------------


@bp.get("/e/<slug>")
def eservice(slug: str) -> str:
    found = load_eservice(slug)
    draft, published = studio.draft_of(found), studio.published_of(found)
    current = draft or published or next(iter(studio.numbered(found)), None)
    data = current.definition if current is not None else {}
    return render_template(
        "studio/eservice.html",
        eservice=found,
        draft=draft,
        published=published,
        data=data,
        state=studio.state_of(found, _today()),
        problems=placed_problems(draft.definition) if draft is not None else [],
        may_edit=_may_edit(found),
        missing={code: len(missing_translations(data, code)) for code in _languages() if code != FALLBACK},
        language_names=LANGUAGE_NAMES,
        types=list(TYPE_NAMES.items()),
        versions=studio.numbered(found),
    )


@bp.post("/e/<slug>/draft")
def start_draft(slug: str) -> Response:
    found = load_eservice(slug, edit=True)
    number = request.form.get("from", "")
    try:
        studio.start_draft(
            get_session(),
            found,
            signed_in_user(),
            _now(),
            small_int(number),
        )
    except studio.StudioError as error:
        flash(studio_error_text(error.code, error.params))
    else:
        flash(gettext("A new draft has been started. Residents see the published version until you publish."))
    return _overview(slug)


def _draft_or_redirect(found: EService) -> FormVersion | Response:
    draft = studio.draft_of(found)
    if draft is None:
        flash(gettext("Start a draft to make changes."))
        return _overview(found.slug)
    return draft


def _add_page(data: editing.Data, _target: str) -> tuple[editing.Data, str]:
    title = request.form.get("page_title", "").strip()[:200] or gettext("New page")
    data, key = editing.add_page(data, title)
    return data, f"page-{key}"


def _anchored(edited: tuple[editing.Data, str], kind: str) -> tuple[editing.Data, str]:
    """An edit's data, and the anchor of the page or question it made (a copy)."""
    data, made = edited
    return data, f"{kind}-{made}"


#: The overview's buttons (``op`` is "<action>:<page key or question name>"), each an edit of the draft that
#: returns the new data and where on the overview to come back to. Adding a question is not here: it takes
#: the communicator on to the new question's own page (see :func:`_add_field`).
STRUCTURE_EDITS: dict[str, Callable[[editing.Data, str], tuple[editing.Data, str | None]]] = {
    "add_page": _add_page,
    "page_up": lambda data, key: (editing.move_page(data, key, -1), f"page-{key}"),
    "page_down": lambda data, key: (editing.move_page(data, key, 1), f"page-{key}"),
    "page_copy": lambda data, key: _anchored(editing.duplicate_page(data, key), "page"),
    "page_remove": lambda data, key: (editing.remove_page(data, key), None),
    "field_up": lambda data, name: (editing.move_field(data, name, -1), f"field-{name}"),
    "field_down": lambda data, name: (editing.move_field(data, name, 1), f"field-{name}"),
    "field_copy": lambda data, name: _anchored(editing.duplicate_field(data, name), "field"),
    "field_remove": lambda data, name: (editing.remove_field(data, name), None),
}


@bp.post("/e/<slug>/structure")
def structure(slug: str) -> Response:
    """The buttons of the overview: add, move, duplicate and remove pages and questions."""
    found = load_eservice(slug, edit=True)
    draft = _draft_or_redirect(found)
    if isinstance(draft, Response):
        return draft
    op, _sep, target = request.form.get("op", "").partition(":")
    try:
        if op == "add_field":
            return _add_field(slug, draft, target)
        edit = STRUCTURE_EDITS.get(op)
        if edit is None:
            abort(400)
        data, anchor = edit(draft.definition, target)
    except editing.EditError as error:
        flash(
            gettext("The form can have at most 50 pages and 400 questions.")
            if error.code == "too_many"
            else gettext("That page or question no longer exists. Someone may have removed it.")
        )
        return _overview(slug)
    _store(draft, data)
    return _overview(slug, anchor)


def _add_field(slug: str, draft: FormVersion, page_key: str) -> Response:
    """A new question of the chosen type at the end of page ``page_key``, then on to its own page."""
    type_name = request.form.get(f"type-{page_key}", "")
    label = request.form.get(f"label-{page_key}", "").strip()[:500]
    if type_name not in REGISTRY:
        flash(gettext("Choose a type of question."))
        return _overview(slug, f"page-{page_key}")
    if not label and type_name != "info":
        flash(gettext("Write the question before you add it."))
        return _overview(slug, f"page-{page_key}")
    data, name = editing.add_field(draft.definition, page_key, type_name, label)
    if not _store(draft, data):
        return _overview(slug)
    return redirect(url_for("studio.field", slug=slug, name=name))


# --- settings (about the e-service) ---------------------------------------------------------------------


@bp.route("/e/<slug>/settings", methods=["GET", "POST"])
def settings(slug: str) -> Response | str | tuple[str, int]:
    found = load_eservice(slug, edit=True)
    draft = _draft_or_redirect(found)
    if isinstance(draft, Response):
        return draft
    units = _units_offered()
    data = draft.definition
    errors: dict[str, str] = {}
    form: dict[str, Any] = {key: localize(data.get(key), FALLBACK) for key in FORM_TEXT_KEYS}
    form.update(
        keywords=", ".join((data.get("keywords") or {}).get(FALLBACK, [])),
        anonymous=bool(data.get("anonymous")),
        easy_read=data.get("easy_read", ""),
        retention=str(data.get("retention_years") or ""),
        unit=(data.get("unit") or {}).get("key", ""),
    )
    conflict = None
    if request.method == "POST":
        form = {
            key: request.form.get(key, "").strip()
            for key in (*FORM_TEXT_KEYS, "keywords", "easy_read", "retention", "unit")
        }
        form["anonymous"] = request.form.get("anonymous") == "yes"
        for key in FORM_TEXT_KEYS:
            if len(form[key]) > 10000:
                errors[key] = gettext("The text can be at most 10,000 characters long.")
        unit = next((u for u in units if u.key == form["unit"]), None)
        if unit is None:
            errors["unit"] = gettext("Choose the unit that handles the cases.")
        retention = form["retention"]
        if retention and not 1 <= (small_int(retention, 3) or 0) <= 100:
            errors["retention"] = gettext("Write a whole number of years from 1 to 100, or leave it empty.")
        if not errors:
            new = dict(data)
            for key in FORM_TEXT_KEYS:
                new = editing.set_text(new, key, FALLBACK, form[key]) if key in new else new
                if key not in new and form[key]:
                    new[key] = {FALLBACK: form[key]}
            words = [w.strip() for w in form["keywords"].split(",") if w.strip()]
            new["keywords"] = {**(new.get("keywords") or {}), FALLBACK: words}
            new["anonymous"] = form["anonymous"]
            if form["easy_read"]:
                new["easy_read"] = form["easy_read"]
            else:
                new.pop("easy_read", None)
            if retention:
                new["retention_years"] = small_int(retention, 3)
            else:
                new.pop("retention_years", None)
            assert unit is not None
            new["unit"] = {"key": unit.key, "name": dict(unit.name)}
            if _store(draft, new):
                flash(gettext("The changes have been saved in the draft."))
                return _overview(slug)
            conflict = True
    status = 422 if errors else (409 if conflict else 200)
    return render_template(
        "studio/settings.html",
        eservice=found,
        draft=draft,
        form=form,
        errors=errors,
        unit_choices=[(unit.key, unit.name.get(FALLBACK) or unit.key) for unit in units],
        problems=[p for p in placed_problems(draft.definition) if "field" not in p and "page" not in p],
    ), status


# --- a page ---------------------------------------------------------------------------------------------


def _answer_names(item: dict[str, Any]) -> dict[str, str]:
    names = {
        o.get("value"): localize(o.get("label"), FALLBACK) for o in item.get("options") or () if isinstance(o, dict)
    }
    names.update({"yes": gettext("Yes"), "no": gettext("No")} if item.get("type") in ("yesno", "consent") else {})
    return names


def _condition_choices(
    data: dict[str, Any], current: Any, before_field: str | None = None, before_page: str | None = None
) -> list[tuple[str, str]]:
    """The conditions offered: "<field>=<value>" with the question and the answer in Swedish; and the
    current condition, whatever it is (several answers, or a question since moved), so saving keeps it."""
    choices = []
    for item, values in editing.condition_targets(data, before_field, before_page):
        label = localize(item.get("label"), FALLBACK) or item.get("name", "")
        names = _answer_names(item)
        for value in values:
            choices.append((f"{item['name']}={value}", f"{label} – {names.get(value) or value}"))
    value = _condition_value(current)
    if value and value not in {choice for choice, _label in choices}:
        wanted = current.get("in") or [current.get("equals")]
        try:
            _page, _index, item = editing.find_field(data, str(current["field"]))
        except editing.EditError:
            choices.append((value, gettext("A question that no longer exists (%(name)s)", name=current["field"])))
        else:
            label = localize(item.get("label"), FALLBACK) or item.get("name", "")
            names = _answer_names(item)
            choices.append((value, f"{label} – " + " / ".join(names.get(str(v)) or str(v) for v in wanted)))
    return choices


def _condition_value(condition: Any) -> str:
    if not isinstance(condition, dict) or "field" not in condition:
        return ""
    values = condition.get("in") or [condition.get("equals")]
    return f"{condition['field']}=" + "|".join(str(v) for v in values)


def _parse_condition(raw: str, offered: list[tuple[str, str]], current: Any) -> dict[str, Any] | bool | None:
    """The condition chosen: None for none, False when it is not one offered (and not the current one)."""
    if not raw:
        return None
    if raw == _condition_value(current):
        return dict(current)
    if raw not in {value for value, _label in offered}:
        return False
    name, _sep, value = raw.partition("=")
    return {"field": name, "equals": value}


@bp.route("/e/<slug>/pages/<key>", methods=["GET", "POST"])
def page(slug: str, key: str) -> Response | str | tuple[str, int]:
    found = load_eservice(slug, edit=True)
    draft = _draft_or_redirect(found)
    if isinstance(draft, Response):
        return draft
    data = draft.definition
    try:
        index, current = editing.find_page(data, key)
    except editing.EditError:
        abort(404)
    offered = _condition_choices(data, current.get("show_when"), before_page=key)
    form = {
        "title": localize(current.get("title"), FALLBACK),
        "intro": localize(current.get("intro"), FALLBACK),
        "show_when": _condition_value(current.get("show_when")),
    }
    errors: dict[str, str] = {}
    conflict = False
    if request.method == "POST":
        form = {name: request.form.get(name, "").strip() for name in form}
        if len(form["title"]) > 500:
            errors["title"] = gettext("The heading can be at most 500 characters long.")
        if len(form["intro"]) > 10000:
            errors["intro"] = gettext("The text can be at most 10,000 characters long.")
        condition = _parse_condition(form["show_when"], offered, current.get("show_when"))
        if condition is False:
            errors["show_when"] = gettext("Choose one of the conditions offered.")
        if not errors:
            new = editing.set_text(data, f"pages[{index}].title", FALLBACK, form["title"])
            if form["intro"]:
                new = (
                    editing.set_text(new, f"pages[{index}].intro", FALLBACK, form["intro"])
                    if current.get("intro")
                    else editing.set_page(new, key, {"intro": {FALLBACK: form["intro"]}})
                )
            else:
                new = editing.set_page(new, key, {"intro": None})
            new = editing.set_page(new, key, {"show_when": condition})
            if _store(draft, new):
                flash(gettext("The changes have been saved in the draft."))
                return _overview(slug, f"page-{key}")
            conflict = True
    problems = [p for p in placed_problems(draft.definition) if p.get("page") == key]
    status = 422 if errors else (409 if conflict else 200)
    return render_template(
        "studio/page.html",
        eservice=found,
        draft=draft,
        page=current,
        number=index + 1,
        form=form,
        errors=errors,
        offered=offered,
        problems=problems,
    ), status


# --- a question -----------------------------------------------------------------------------------------


def _setting_form_value(setting: Setting, spec: dict[str, Any]) -> Any:
    value = spec.get(setting.key)
    if setting.kind == "kinds":
        return list(value or ("pdf", "jpeg", "png"))
    if setting.kind == "flag":
        return value is not False
    if setting.kind in ("text", "line"):
        return localize(value, FALLBACK) if isinstance(value, dict) else (value or "")
    return "" if value is None else str(value)


def _parse_setting(setting: Setting, raw: Any, spec: dict[str, Any], errors: dict[str, str]) -> Any:
    """The stored value of one setting from the form (None: not set); an error in ``errors`` if it is not valid."""
    kind = setting.kind
    if kind == "kinds":
        chosen = [kind_name for kind_name in FILE_KINDS if kind_name in raw]
        if not chosen:
            errors["setting-" + setting.key] = gettext("Choose at least one kind of file.")
        stored = spec.get(setting.key)
        if isinstance(stored, list) and set(stored) == set(chosen):
            return stored  # the same kinds: keep the order they were written in
        return chosen or None
    if kind == "flag":
        return bool(raw)
    text = (raw or "").strip()
    if not text:
        return None
    if kind == "int":
        number = small_int(text)
        if number is None:
            errors["setting-" + setting.key] = gettext("Write a whole number, for example 200.")
        return number
    if kind == "number":
        try:
            number = Decimal(text.replace(",", ".").replace(" ", "").replace("\u2212", "-"))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or len(text) > 30 or abs(number.adjusted()) > 15:
            errors["setting-" + setting.key] = gettext("Write a number, for example 10 or 2.5.")
            return None
        return int(number) if number == number.to_integral_value() else str(number)
    if kind == "choice":
        if text not in {value for value, _label in setting.choices}:
            errors["setting-" + setting.key] = gettext("Choose one of the settings offered.")
            return None
        return text
    if kind in ("text", "line"):
        current = spec.get(setting.key)
        if isinstance(current, dict):
            return {**current, FALLBACK: text}
        return {FALLBACK: text}
    return text[:100]  # date_limit, date_field: checked with the whole draft


@bp.route("/e/<slug>/fields/<name>", methods=["GET", "POST"])
def field(slug: str, name: str) -> Response | str | tuple[str, int]:
    found = load_eservice(slug, edit=True)
    draft = _draft_or_redirect(found)
    if isinstance(draft, Response):
        return draft
    data = draft.definition
    try:
        holder, position, spec = editing.find_field(data, name)
    except editing.EditError:
        abort(404)
    type_name = spec.get("type") if spec.get("type") in REGISTRY else "text"
    if request.method == "POST" and request.form.get("type") in REGISTRY:
        type_name = request.form["type"]
    field_type = REGISTRY[type_name]
    offered = _condition_choices(data, spec.get("show_when"), before_field=name)
    date_fields = [
        (item.get("name"), localize(item.get("label"), FALLBACK))
        for item in _before(data, name)
        if item.get("type") == "date"
    ]
    settings_shown = SETTINGS.get(type_name, ())
    options = [
        {"value": o.get("value", ""), "label": localize(o.get("label"), FALLBACK)}
        for o in spec.get("options") or ()
        if isinstance(o, dict)
    ]
    form: dict[str, Any] = {
        "type": type_name,
        "name": name,
        "label": localize(spec.get("label"), FALLBACK),
        "help": localize(spec.get("help"), FALLBACK),
        "required": bool(spec.get("required")),
        "show_when": _condition_value(spec.get("show_when")),
        "settings": {s.key: _setting_form_value(s, spec) for s in settings_shown},
        "options": options,
    }
    errors: dict[str, str] = {}
    conflict = False
    if request.method == "POST":
        form.update(
            name=request.form.get("name", "").strip(),
            label=request.form.get("label", "").strip(),
            help=request.form.get("help", "").strip(),
            required=request.form.get("required") == "yes",
            show_when=request.form.get("show_when", "").strip(),
        )
        form["options"] = _posted_options(options, errors)
        # Settings of a type just chosen were not on the form: they start from the type's defaults.
        changed_type = type_name != spec.get("type")
        posted = (lambda s: _setting_form_value(s, {})) if changed_type else _posted_setting
        new_spec = _build_spec(spec, type_name, form, settings_shown, errors, posted)
        if not NAME.match(form["name"]):
            errors["name"] = gettext(
                "The technical name may only hold lower-case letters a–z, digits and _, first a letter."
            )
        elif form["name"] != name and form["name"] in editing.field_names(data):
            errors["name"] = gettext(
                "Another question already has the technical name %(name)s. Choose another.", name=form["name"]
            )
        condition = _parse_condition(form["show_when"], offered, spec.get("show_when"))
        if condition is False:
            errors["show_when"] = gettext("Choose one of the conditions offered.")
        elif condition is None:
            new_spec.pop("show_when", None)
        else:
            new_spec["show_when"] = condition
        if len(form["label"]) > 2000:
            errors["label"] = gettext("The text is too long.")
        if len(form["help"]) > 10000:
            errors["help"] = gettext("The text is too long.")
        if not errors:
            new_spec["name"] = form["name"]
            new = editing.replace_field(data, name, new_spec)
            if _store(draft, new):
                action = request.form.get("then", "")
                flash(gettext("The changes have been saved in the draft."))
                if action == "stay" or type_name != spec.get("type"):
                    return redirect(url_for("studio.field", slug=slug, name=form["name"]))
                return _overview(slug, f"field-{form['name']}")
            conflict = True
        form["settings"] = {s.key: _posted_setting(s) for s in settings_shown}
    problems = [p for p in placed_problems(draft.definition) if p.get("field") == name]
    by_key: dict[str, list[str]] = defaultdict(list)
    for problem in problems:
        by_key[problem["key"]].append(problem["text"])
    page_index = next(i for i, p in enumerate(data["pages"]) if p is holder)
    status = 422 if errors else (409 if conflict else 200)
    return render_template(
        "studio/field.html",
        eservice=found,
        draft=draft,
        spec=spec,
        field_type=field_type,
        form=form,
        errors=errors,
        problems=problems,
        problems_by_key=by_key,
        settings_shown=settings_shown,
        offered=offered,
        date_fields=date_fields,
        file_kinds=FILE_KINDS,
        page_number=page_index + 1,
        position=position + 1,
        page_key=holder.get("key"),
        types=list(TYPE_NAMES.items()),
    ), status


def _before(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    found = []
    for page_data in data.get("pages") or ():
        for item in page_data.get("fields") or ():
            if item.get("name") == name:
                return found
            found.append(item)
    return found


def _posted_setting(setting: Setting) -> Any:
    if setting.kind == "kinds":
        return request.form.getlist(f"setting-{setting.key}")
    if setting.kind == "flag":
        return request.form.get(f"setting-{setting.key}") == "yes"
    return request.form.get(f"setting-{setting.key}", "")


MAX_NEW_OPTIONS = 5


def _posted_options(current: list[dict[str, Any]], errors: dict[str, str]) -> list[dict[str, Any]]:
    """The options as posted: existing ones (by value) with new labels, new ones with values made from
    their labels; ticked ones removed; ordered by the position numbers given."""
    posted = []
    taken: set[str] = set()
    count = min(small_int(request.form.get("option_count"), 3) or 0, 400)
    for index in range(count + MAX_NEW_OPTIONS):
        label = request.form.get(f"option-{index}-label", "").strip()[:500]
        value = request.form.get(f"option-{index}-value", "").strip()[:100] if index < count else ""
        order = request.form.get(f"option-{index}-order", "").strip()
        if request.form.get(f"option-{index}-remove") == "yes" or (not label and not value):
            continue
        if not value:
            value = editing.machine_name(label, taken | {o["value"] for o in current}, prefix="alternativ")
        taken.add(value)
        rank = small_int(order, 4) or index + 1
        posted.append((rank, index, {"value": value, "label": label}))
    posted.sort(key=lambda item: (item[0], item[1]))
    if len(posted) > 300:
        errors["options"] = gettext("A question can have at most %(limit)s options.", limit=300)
    return [option for _rank, _index, option in posted]


def _build_spec(
    spec: dict[str, Any],
    type_name: str,
    form: dict[str, Any],
    settings_shown: tuple[Setting, ...],
    errors: dict[str, str],
    posted: Any,
) -> dict[str, Any]:
    """The field's new definition from the form; keeps translations of texts whose Swedish changed."""
    field_type = REGISTRY[type_name]
    new: dict[str, Any] = {"name": spec.get("name"), "type": type_name}

    def text(key: str, value: str) -> dict[str, str] | None:
        current = spec.get(key)
        if not value:
            return None
        return {**current, FALLBACK: value} if isinstance(current, dict) else {FALLBACK: value}

    label = text("label", form["label"])
    if label is not None or field_type.has_input:
        new["label"] = label or {FALLBACK: ""}
    help_text = text("help", form["help"])
    if help_text is not None:
        new["help"] = help_text
    new["required"] = True if field_type.always_required else (form["required"] if field_type.has_input else False)
    if field_type.needs_options:
        old_labels = {o.get("value"): o.get("label") for o in spec.get("options") or () if isinstance(o, dict)}
        new["options"] = [
            {
                "value": o["value"],
                "label": {**old_labels[o["value"]], FALLBACK: o["label"]}
                if isinstance(old_labels.get(o["value"]), dict)
                else {FALLBACK: o["label"]},
            }
            for o in form["options"]
        ]
    for setting in settings_shown:
        value = _parse_setting(setting, posted(setting), spec, errors)
        if value is not None and not (setting.kind == "flag" and value is True):
            new[setting.key] = value
    if type_name == "info" and "text" not in new:
        new["text"] = {FALLBACK: ""}
    if type_name == "consent" and "notice" not in new:
        new["notice"] = {FALLBACK: ""}
    return new


# --- translations ---------------------------------------------------------------------------------------

TEXT_PLACES = re.compile(r"^pages\[(\d+)\](?:\.fields\[(\d+)\])?(?:\.options\[(\d+)\])?\.(\w+)$")


def _stable_key(data: dict[str, Any], path: str) -> str:
    """A text's name that survives reordering: ``field:namn:label`` rather than ``pages[0].fields[1].label``,
    so translations typed while someone else moved or removed a question still land on their own text."""
    found = TEXT_PLACES.match(path)
    if found is None:
        return path
    page_index, field_index, option_index, key = found.groups()
    try:
        page = data["pages"][int(page_index)]
        if field_index is None:
            return f"page:{page['key']}:{key}"
        item = page["fields"][int(field_index)]
        if option_index is None:
            return f"field:{item['name']}:{key}"
        return f"option:{item['name']}:{item['options'][int(option_index)]['value']}"
    except (KeyError, IndexError, TypeError):
        return path


def _text_rows(data: dict[str, Any], language: str) -> list[dict[str, Any]]:
    rows = []
    for path, text in localized_texts(data):
        if not text.get(FALLBACK):
            continue
        rows.append(
            {
                "path": path,
                "key": _stable_key(data, path),
                "place": _text_place(data, path),
                "sv": text.get(FALLBACK, ""),
                "text": text.get(language, ""),
                "long": len(text.get(FALLBACK, "")) > 80 or "\n" in text.get(FALLBACK, ""),
            }
        )
    return rows


def _text_place(data: dict[str, Any], path: str) -> str:
    """Where a text is, for the translator: "Page 2, question 3 (namn): Help text"."""
    found = TEXT_PLACES.match(path)
    if found is None:
        return str(DIFF_KEYS.get(path, path))
    page_index, field_index, option_index, key = found.groups()
    page = int(page_index) + 1
    if field_index is None:
        part = gettext("Heading") if key == "title" else str(DIFF_KEYS.get(key, key))
        return gettext("Page %(page)s: %(part)s", page=page, part=part)
    number = int(field_index) + 1
    if option_index is not None:
        return gettext(
            "Page %(page)s, question %(number)s: option %(option)s",
            page=page,
            number=number,
            option=int(option_index) + 1,
        )
    item = data["pages"][int(page_index)]["fields"][int(field_index)]
    parts = {"label": DIFF_KEYS["label"], "help": DIFF_KEYS["help"], "notice": gettext("Consent text"),
             "text": gettext("Text"), "unit": gettext("Unit of the number")}  # fmt: skip
    return gettext(
        "Page %(page)s, question %(number)s (%(name)s): %(part)s",
        page=page, number=number, name=item.get("name", ""), part=parts.get(key, key),
    )  # fmt: skip


@bp.route("/e/<slug>/translate/<language>", methods=["GET", "POST"])
def translate(slug: str, language: str) -> Response | str | tuple[str, int]:
    found = load_eservice(slug, edit=True)
    if language not in _languages() or language == FALLBACK:
        abort(404)
    draft = _draft_or_redirect(found)
    if isinstance(draft, Response):
        return draft
    data = draft.definition
    conflict = False
    typed: dict[str, str] = {}
    if request.method == "POST":
        new = data
        for path, _text in localized_texts(data):
            key = _stable_key(data, path)
            if f"t-{key}" in request.form:
                value = request.form[f"t-{key}"].strip()[:10000]
                typed[key] = value
                new = editing.set_text(new, path, language, value)
        if _store(draft, new):
            flash(gettext("The translations have been saved in the draft."))
            return redirect(url_for("studio.translate", slug=slug, language=language))
        conflict = True
    rows = _text_rows(draft.definition, language)
    for row in rows:
        if row["key"] in typed:
            row["text"] = typed[row["key"]]
    missing = sum(1 for row in rows if not row["text"])
    return render_template(
        "studio/translate.html",
        eservice=found,
        draft=draft,
        language=language,
        rows=rows,
        missing=missing,
        language_name=LANGUAGE_NAMES.get(language, language),
        target_languages=[c for c in _languages() if c != FALLBACK],
        language_names=LANGUAGE_NAMES,
        rtl=language in current_app.config.get("RTL_LANGUAGES", ("ar", "fa")),
    ), (409 if conflict else 200)


# --- publishing, closing, archiving ---------------------------------------------------------------------


@bp.post("/e/<slug>/publish")
def publish(slug: str) -> Response:
    found = load_eservice(slug, edit=True)
    draft = studio.draft_of(found)
    if draft is None or _revision() != draft.revision:
        flash(gettext("The draft changed after you opened the page. Check it and publish again."))
        return _overview(slug)
    try:
        published = studio.publish(get_session(), found, signed_in_user(), _now(), _ip())
    except studio.StudioError as error:
        flash(studio_error_text(error.code, error.params))
        return _overview(slug, "problems")
    flash(
        gettext(
            "Version %(number)s is published. Residents who have already started finish on the version they began.",
            number=published.number,
        )
    )
    return _overview(slug)


def _simple(slug: str, action: Any, done: str) -> Response:
    found = load_eservice(slug, edit=True)
    try:
        action(get_session(), found, signed_in_user(), _now(), _ip())
    except studio.StudioError as error:
        flash(studio_error_text(error.code, error.params))
    else:
        flash(done)
    return _overview(slug)


@bp.post("/e/<slug>/unpublish")
def unpublish(slug: str) -> Response:
    return _simple(slug, studio.unpublish, gettext("The e-service is no longer published. Residents cannot find it."))


@bp.post("/e/<slug>/discard")
def discard(slug: str) -> Response:
    return _simple(slug, studio.discard_draft, gettext("The draft has been discarded."))


@bp.post("/e/<slug>/archive")
def archive(slug: str) -> Response:
    response = _simple(slug, studio.archive, gettext("The e-service has been archived. Its cases are kept."))
    return response


@bp.post("/e/<slug>/restore")
def restore(slug: str) -> Response:
    return _simple(slug, studio.restore, gettext("The e-service has been restored."))


def _parse_day(raw: str, errors: dict[str, str], key: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[key] = gettext("Write the date as YYYY-MM-DD, for example 2027-03-01.")
        return None


@bp.route("/e/<slug>/opening", methods=["GET", "POST"])
def opening(slug: str) -> Response | str | tuple[str, int]:
    found = load_eservice(slug, edit=True)
    form = {
        "closed": found.closed_at is not None,
        "message": localize(found.closed_message, FALLBACK) if found.closed_message else "",
        "open_from": found.open_from.isoformat() if found.open_from else "",
        "open_until": found.open_until.isoformat() if found.open_until else "",
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {key: request.form.get(key, "").strip() for key in ("message", "open_from", "open_until")}
        form["closed"] = request.form.get("closed") == "yes"
        start, end = (
            _parse_day(form["open_from"], errors, "open_from"),
            _parse_day(form["open_until"], errors, "open_until"),
        )
        if len(form["message"]) > 5000:
            errors["message"] = gettext("The text can be at most 5,000 characters long.")
        if not errors:
            try:
                message = {**(found.closed_message or {}), FALLBACK: form["message"]} if form["message"] else None
                studio.set_opening(
                    get_session(),
                    found,
                    closed=bool(form["closed"]),
                    message=message,
                    open_from=start,
                    open_until=end,
                    actor=signed_in_user(),
                    now=_now(),
                    ip=_ip(),
                )
            except studio.StudioError as error:
                errors["open_from"] = studio_error_text(error.code, error.params)
            else:
                flash(
                    gettext("The e-service is closed. Residents see your message.")
                    if form["closed"]
                    else gettext("The opening hours have been saved.")
                )
                return _overview(slug)
    return render_template("studio/opening.html", eservice=found, form=form, errors=errors), (422 if errors else 200)


# --- versions -------------------------------------------------------------------------------------------


@bp.get("/e/<slug>/versions")
def versions(slug: str) -> str:
    found = load_eservice(slug)
    numbered = studio.numbered(found)
    draft = studio.draft_of(found)
    choices = (["draft"] if draft is not None else []) + [str(v.number) for v in numbered]
    older = request.args.get("from") or (choices[1] if len(choices) > 1 else "")
    newer = request.args.get("to") or (choices[0] if choices else "")
    changes = None
    if older in choices and newer in choices:

        def pick(choice: str) -> FormVersion:
            chosen = draft if choice == "draft" else studio.version(found, int(choice))
            assert chosen is not None
            return chosen

        changes = diff(pick(older).definition, pick(newer).definition)
    return render_template(
        "studio/versions.html",
        eservice=found,
        versions=numbered,
        draft=draft,
        choices=choices,
        older=older,
        newer=newer,
        changes=changes,
        may_edit=_may_edit(found),
    )


@bp.get("/e/<slug>/export.yaml")
def export(slug: str) -> Response:
    found = load_eservice(slug)
    choice = request.args.get("version", "")
    if choice == "draft":
        chosen = studio.draft_of(found)
    elif small_int(choice) is not None:
        chosen = studio.version(found, small_int(choice) or 0)
    else:
        chosen = studio.published_of(found) or next(iter(studio.numbered(found)), None)
    if chosen is None:
        abort(404)
    label = "utkast" if chosen.status == FormVersion.DRAFT else f"v{chosen.number}"
    return Response(
        studio.export_yaml(chosen.definition),
        mimetype="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{found.slug}-{label}.yaml"'},
    )

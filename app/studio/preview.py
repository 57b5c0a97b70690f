"""Preview: a draft exactly as residents will see it, page by page, in any language, with validation,
the review page and a sample receipt. It runs the residents' own page and review code on the draft
version; what is typed lives in a short-lived resident draft, and sending files nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, make_response, redirect, render_template, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from app.db import get_session
from app.i18n import current_language
from app.models import Draft, EService, FormVersion
from app.receipts import renderer
from app.resident.routes import Flow, fill_page, show_review, translate_to
from app.services import filing, studio
from app.services.eservices import CatalogEntry
from app.studio import bp
from app.studio.routes import _now, _today, load_eservice, placed_problems
from eservices.receipts import ReceiptContext
from eservices.schema import DefinitionError, FormDefinition, load_definition
from eservices.snapshot import build_snapshot
from eservices.validation import validate_answers

PREVIEWS = "previews"  # session key: e-service slug -> preview draft token
PREVIEW_TTL = timedelta(hours=12)
SAMPLE_REFERENCE = "GRU-0000-00000X"


def _version(found: EService) -> FormVersion | None:
    """What is previewed: the draft, else the published version."""
    return studio.draft_of(found) or studio.published_of(found)


def _definition(version: FormVersion) -> FormDefinition | None:
    try:
        return load_definition(version.definition, "preview")
    except DefinitionError:
        return None


def _flow(slug: str) -> Flow:
    return Flow("studio.preview_", slug)


def _extra(found: EService) -> dict[str, Any]:
    return {"preview": True, "preview_exit": url_for("studio.eservice", slug=found.slug)}


def _loaded(slug: str) -> tuple[CatalogEntry, Draft, FormDefinition] | Response:
    found = load_eservice(slug)
    version = _version(found)
    definition = _definition(version) if version is not None else None
    if version is None or definition is None:
        flash(gettext("The draft has problems to put right before it can be previewed."))
        return redirect(url_for("studio.eservice", slug=slug))
    token = session.get(PREVIEWS, {}).get(slug)
    draft = filing.find_draft(get_session(), token, _now()) if isinstance(token, str) else None
    if draft is None or draft.form_version_id != version.id or draft.submission_id is not None:
        return redirect(url_for("studio.preview_start", slug=slug))
    return CatalogEntry(found, version, definition), draft, definition


@bp.get("/e/<slug>/preview")
def preview_start(slug: str) -> Response | str:
    found = load_eservice(slug)
    version = _version(found)
    definition = _definition(version) if version is not None else None
    if version is None or definition is None:
        flash(gettext("The draft has problems to put right before it can be previewed."))
        return redirect(url_for("studio.eservice", slug=slug))
    return render_template(
        "resident/start.html",
        entry=CatalogEntry(found, version, definition),
        definition=definition,
        draft=None,
        begin_url=url_for("studio.preview_begin", slug=slug),
        **_extra(found),
    )


@bp.post("/e/<slug>/preview/start")
def preview_begin(slug: str) -> Response:
    found = load_eservice(slug)
    version = _version(found)
    if version is None or _definition(version) is None:
        return redirect(url_for("studio.preview_start", slug=slug))
    _draft, token = filing.start_draft(get_session(), version, current_language(), _now(), PREVIEW_TTL)
    previews = dict(session.get(PREVIEWS, {}))
    previews[slug] = token
    session[PREVIEWS] = previews
    return redirect(_flow(slug).page(0))


@bp.route("/e/<slug>/preview/page/<int:number>", methods=["GET", "POST"])
def preview_page(slug: str, number: int) -> Response | str:
    loaded = _loaded(slug)
    if isinstance(loaded, Response):
        return loaded
    return fill_page(_flow(slug), *loaded, number, **_extra(loaded[0].eservice))


def _sent(flow: Flow, draft: Draft) -> Response:
    """Sending in preview: the answers are checked as for real, and nothing is filed."""
    definition = load_definition(draft.form_version.definition, "preview")
    checked = validate_answers(definition, draft.answers, _today())
    if not checked.ok:
        first = checked.first_page_with_errors
        assert first is not None
        return redirect(flow.page(first, check=1))
    return redirect(url_for("studio.preview_done", slug=flow.slug))


@bp.route("/e/<slug>/preview/review", methods=["GET", "POST"])
def preview_review(slug: str) -> Response | str:
    loaded = _loaded(slug)
    if isinstance(loaded, Response):
        return loaded
    return show_review(_flow(slug), *loaded, submit=_sent, guard=False, **_extra(loaded[0].eservice))


@bp.get("/e/<slug>/preview/saved")
def preview_saved(slug: str) -> Response:
    flash(gettext("In a preview nothing is kept for later. Residents get a link to continue here."))
    loaded = _loaded(slug)
    if isinstance(loaded, Response):
        return loaded
    return redirect(_flow(slug).page(min(loaded[1].reached, len(loaded[2].pages) - 1)))


@bp.get("/e/<slug>/preview/done")
def preview_done(slug: str) -> Response | str:
    loaded = _loaded(slug)
    if isinstance(loaded, Response):
        return loaded
    entry, _draft, definition = loaded
    return render_template(
        "studio/preview_done.html",
        entry=entry,
        definition=definition,
        problems=placed_problems(entry.version.definition) if entry.version.status == FormVersion.DRAFT else [],
        **_extra(entry.eservice),
    )


@bp.get("/e/<slug>/preview/receipt.pdf")
def preview_receipt(slug: str) -> Response:
    """A sample receipt from the answers given in the preview, marked as a sample; nothing is stored."""
    loaded = _loaded(slug)
    if isinstance(loaded, Response):
        return loaded
    entry, draft, definition = loaded
    checked = validate_answers(definition, draft.answers, _today())
    if not checked.ok:
        abort(404)
    answers = {
        name: ({k: v for k, v in value.items() if k != "draft_file_id"} if isinstance(value, dict) else value)
        for name, value in checked.answers.items()
    }
    snapshot = build_snapshot(
        definition,
        answers,
        locale=current_language(),
        translate=translate_to,
        reference=SAMPLE_REFERENCE,
        submitted_at=_now(),
        form_version=entry.version.number,
    )
    context = ReceiptContext(
        municipality=current_app.config["MUNICIPALITY_NAME"],
        verification_code="EXEMPEL",
        verify_url=url_for("resident.verify", _external=True),
        timezone=current_app.config["TIMEZONE"],
    )
    response = make_response(renderer().pdf(snapshot, context))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="exempelkvitto-{slug}.pdf"'
    return response

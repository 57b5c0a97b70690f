"""Residents' routes: load -> check -> call one service -> render or redirect."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import force_locale, gettext, ngettext
from werkzeug.wrappers import Response

from app import blobs, page_cache
from app.db import get_session, read_only
from app.errors import render_error
from app.field_messages import message_for
from app.i18n import current_language
from app.mail import confirmation_mail, queue_mail, resume_mail
from app.models import CaseEvent, Draft, Submission
from app.receipts import receipt_for
from app.resident import bp, honeypot
from app.resident.pages import field_views, review_rows
from app.services import cases, filing
from app.services import eservices as catalog_service
from app.services import receipts as receipt_service
from app.throttle import draft_saves_per_address, limiter, submissions_per_address
from app.uploads import clean_upload
from eservices import workflow
from eservices.fields import Context, FieldError, Upload
from eservices.fields.email import Email
from eservices.schema import FormDefinition
from eservices.text import format_locale
from eservices.validation import REMOVE_SUFFIX, validate_answers, validate_page, visible_pages

log = logging.getLogger(__name__)

DRAFTS = "drafts"  # session key: e-service slug -> draft token
SWEDEN = filing.SWEDEN
PAGE_ACTIONS = {"next", "back", "save"}
REVIEW_ACTIONS = {"submit", "save"}


def _now() -> datetime:
    return datetime.now(UTC)


def _ttl() -> timedelta:
    return timedelta(days=current_app.config["DRAFT_TTL_DAYS"])


def translate_to(locale: str, message: str) -> str:
    with force_locale(format_locale(locale)):
        return gettext(message)


def _today() -> date:
    return _now().astimezone(SWEDEN).date()


def _entry(slug: str) -> catalog_service.CatalogEntry:
    entry = catalog_service.find_published(get_session(), slug, _today())
    if entry is None:
        abort(404)
    return entry


def _draft_token(slug: str) -> str | None:
    token = session.get(DRAFTS, {}).get(slug)
    return token if isinstance(token, str) else None


def _remember_draft(slug: str, token: str) -> None:
    drafts = dict(session.get(DRAFTS, {}))
    drafts[slug] = token
    session[DRAFTS] = drafts


def _current_draft(entry: catalog_service.CatalogEntry) -> Draft | None:
    token = _draft_token(entry.eservice.slug)
    if token is None:
        return None
    draft = filing.find_draft(get_session(), token, _now())
    # A draft stays on the version it was started on, also after a newer one is published: the
    # resident finishes the questions they began answering, and the case records that version.
    if draft is None or draft.form_version.eservice_id != entry.eservice.id:
        return None
    return draft


def _language_action(action: str) -> bool:
    """``lang:<code>`` for an offered language: save what was typed and show the page in that language."""
    return action.startswith("lang:") and action.removeprefix("lang:") in current_app.config["LANGUAGES"]


def _page_url(slug: str, index: int, **params: Any) -> str:
    return url_for("resident.page", slug=slug, number=index + 1, **params)


def _receipt_redirect(slug: str) -> Response:
    token = _draft_token(slug)
    assert token is not None
    return redirect(url_for("resident.receipt", token=filing.follow_token_for(token, current_app.config["SECRET_KEY"])))


@bp.get("/")
@read_only
def catalog() -> str:
    query = request.args.get("q", "").strip()[:200]
    if query or not set(request.args) <= {"lang"} or not page_cache.shareable():
        return _render_catalog(query)
    # The whole catalog, as every anonymous visitor gets it, kept under what it shows (see app.page_cache).
    fingerprint = catalog_service.catalog_fingerprint(get_session(), _today())
    key = ("catalog", current_language(), request.full_path, fingerprint)
    return page_cache.kept_page(key, lambda: _render_catalog(query))


def _render_catalog(query: str) -> str:
    entries = catalog_service.catalog(get_session(), _today())
    locale = current_language()
    found = catalog_service.search(entries, query, locale) if query else entries
    return render_template(
        "resident/catalog.html",
        query=query,
        groups=catalog_service.group_by_category(found, locale),
        count=len(found),
    )


@bp.get("/e/<slug>")
@read_only
def start(slug: str) -> str | tuple[str, int]:
    entry = catalog_service.find_published(get_session(), slug, _today())
    if entry is None:
        closed = catalog_service.closed_notice(get_session(), slug, _today())
        if closed is None:
            abort(404)
        return render_template("resident/closed.html", closed=closed), 200
    draft = _current_draft(entry)
    if draft is not None and draft.submission_id is not None:
        draft = None
    pages = len(entry.definition.pages)
    return render_template(
        "resident/start.html",
        entry=entry,
        definition=entry.definition,
        draft=draft,
        begin_url=url_for("resident.begin", slug=slug),
        continue_url=Flow("resident.", slug).page(min(draft.reached, pages - 1)) if draft is not None else None,
    )


@bp.post("/e/<slug>/start")
@limiter.limit(draft_saves_per_address)
def begin(slug: str) -> Response:
    entry = _entry(slug)
    _draft, token = filing.start_draft(get_session(), entry.version, current_language(), _now(), _ttl())
    _remember_draft(slug, token)
    return redirect(_page_url(slug, 0))


def _load(slug: str) -> tuple[catalog_service.CatalogEntry, Draft, FormDefinition] | Response:
    entry = _entry(slug)
    draft = _current_draft(entry)
    if draft is None:
        if request.method == "POST":
            abort(410)
        return redirect(url_for("resident.start", slug=slug))
    return entry, draft, catalog_service.definition_of(draft.form_version)


def _check_post(draft: Draft, allowed: set[str], file_fields: set[str]) -> None:
    """Refuse a post that does not fit the page: unknown fields, files where none are asked, another version."""
    if request.form.get("version") != str(draft.form_version_id):
        abort(409)
    if any(key not in allowed for key in request.form) or any(key not in file_fields for key in request.files):
        abort(400)


@dataclass(frozen=True)
class Flow:
    """Where a form's steps live: a resident's own (``resident.``), or the studio's preview (``studio.preview_``).

    The pages and the review are the same code for both, so a preview is exactly what residents get.
    """

    prefix: str
    slug: str

    def page(self, index: int, **params: Any) -> str:
        return url_for(f"{self.prefix}page", slug=self.slug, number=index + 1, **params)

    def review(self, **params: Any) -> str:
        return url_for(f"{self.prefix}review", slug=self.slug, **params)

    def start(self) -> str:
        return url_for(f"{self.prefix}start", slug=self.slug)

    def saved(self) -> str:
        return url_for(f"{self.prefix}saved", slug=self.slug)


def _honeypot_notice() -> str:
    return gettext(
        "A field that should stay empty was filled in, perhaps by a tool that fills in forms. "
        "Nothing from this page was saved. Check your answers and continue."
    )


@bp.route("/e/<slug>/page/<int:number>", methods=["GET", "POST"])
@read_only
@limiter.limit(draft_saves_per_address, methods=["POST"])
def page(slug: str, number: int) -> Response | str | tuple[str, int]:
    loaded = _load(slug)
    if isinstance(loaded, Response):
        return loaded
    if loaded[1].submission_id is not None:
        return _receipt_redirect(slug)
    return fill_page(Flow("resident.", slug), *loaded, number)


def fill_page(
    flow: Flow, entry: Any, draft: Draft, definition: FormDefinition, number: int, **extra: Any
) -> Response | str | tuple[str, int]:
    """One page of questions: show it, or take its answers and go on (next, back, save, another language)."""
    if request.method == "POST" and request.form.get("version") != str(draft.form_version_id):
        abort(409)  # the page was filled in against a version that is no longer published
    index = number - 1
    if not 0 <= index < len(definition.pages):
        abort(404)
    visible = visible_pages(definition, draft.answers)
    if index > draft.reached:
        if request.method == "POST":
            abort(400)
        return redirect(flow.page(draft.reached))
    if index not in visible:
        later = [i for i in visible if i > index]
        return redirect(flow.page(later[0]) if later else flow.review())
    form_page = definition.pages[index]
    input_fields = [f for f in form_page.fields if f.type.has_input]
    file_fields = {f.name for f in input_fields if f.type.takes_file}
    errors: dict[str, Any] = {}
    values: dict[str, list[str]] = {}
    notice = None
    if request.method == "POST":
        allowed = {"csrf_token", "action", "version", honeypot.FIELD} | {f.name for f in input_fields}
        allowed |= {name + REMOVE_SUFFIX for name in file_fields}
        _check_post(draft, allowed, file_fields)
        action = request.form.get("action", "next")
        if action not in PAGE_ACTIONS and not _language_action(action):
            abort(400)
    if request.method == "POST" and honeypot.tripped(request.form):
        notice = _honeypot_notice()
        values = {key: value for key, value in request.form.to_dict(flat=False).items() if key != honeypot.FIELD}
    elif request.method == "POST":
        uploads = {
            name: Upload(filename=storage.filename or "", content=storage.read())
            for name, storage in request.files.items()
            if storage.filename
        }
        today = _now().astimezone(SWEDEN).date()
        result = validate_page(
            definition, index, request.form.to_dict(flat=False), uploads, draft.answers, today, clean=clean_upload
        )
        draft.locale = current_language()
        # What was accepted is kept even when something else on the page is wrong, so a resident who
        # forgot a tick box does not have to choose the file again.
        filing.save_page(get_session(), draft, result, [f.name for f in input_fields], _now())
        if action == "next" and not result.ok:
            errors, values = result.errors, result.raw
        else:
            return _after_page(flow, draft, definition, index, action)
    else:
        if request.args.get("check"):
            today = _now().astimezone(SWEDEN).date()
            errors = validate_answers(definition, draft.answers, today).errors.get(index, {})
        for item in input_fields:
            if item.name in draft.pending:
                values[item.name] = draft.pending[item.name]
            else:
                values[item.name] = item.type.to_form(item.spec, draft.answers.get(item.name))
    position = visible.index(index)
    html = render_template(
        "resident/page.html",
        entry=entry,
        definition=definition,
        draft=draft,
        page=form_page,
        number=number,
        step=position + 1,
        steps=len(visible) + 1,  # the review page is the last step
        fields=field_views(definition, form_page, values, errors, draft.answers, current_language()),
        errors=errors,
        back_url=flow.page(visible[position - 1]) if position > 0 else flow.start(),
        honeypot_notice=notice,
        **extra,
    )
    return (html, 422) if notice else html


def _after_page(flow: Flow, draft: Draft, definition: FormDefinition, index: int, action: str) -> Response:
    visible = visible_pages(definition, draft.answers)
    if action.startswith("lang:"):
        return redirect(flow.page(index, lang=action.removeprefix("lang:")))
    if action == "save":
        filing.mark_saved(draft, _now(), _ttl())
        return redirect(flow.saved())
    if action == "back":
        earlier = [i for i in visible if i < index]
        return redirect(flow.page(earlier[-1]) if earlier else flow.start())
    later = [i for i in visible if i > index]
    if later:
        draft.reached = max(draft.reached, later[0])
        return redirect(flow.page(later[0]))
    draft.reached = max(draft.reached, len(definition.pages))
    return redirect(flow.review())


@bp.route("/e/<slug>/review", methods=["GET", "POST"])
@read_only
@limiter.limit(submissions_per_address, methods=["POST"])
def review(slug: str) -> Response | str | tuple[str, int]:
    loaded = _load(slug)
    if isinstance(loaded, Response):
        return loaded
    if loaded[1].submission_id is not None:
        return _receipt_redirect(slug)
    return show_review(Flow("resident.", slug), *loaded, submit=_submit)


def show_review(
    flow: Flow,
    entry: Any,
    draft: Draft,
    definition: FormDefinition,
    submit: Callable[[Flow, Draft], Response],
    guard: bool = True,
    **extra: Any,
) -> Response | str | tuple[str, int]:
    """The review page; its send button calls ``submit``. With ``guard``, a tripped honeypot or a form sent
    quicker than a person fills it in is shown the page again with a calm notice instead."""
    visible = visible_pages(definition, draft.answers)
    unreached = [i for i in visible if i > draft.reached]
    if unreached and draft.reached < len(definition.pages):
        return redirect(flow.page(min(draft.reached, unreached[0])))
    notice = None
    if request.method == "POST":
        _check_post(draft, {"csrf_token", "action", "version", honeypot.FIELD}, set())
        action = request.form.get("action", "submit")
        if action not in REVIEW_ACTIONS and not _language_action(action):
            abort(400)
        if guard and action == "submit" and honeypot.tripped(request.form):
            notice = _honeypot_notice()
        elif (
            guard
            and action == "submit"
            and honeypot.too_fast(draft.created_at, _now(), current_app.config["FORM_MIN_FILL_SECONDS"])
        ):
            notice = gettext("That was quicker than we expected from a person. Check your answers and send again.")
    if request.method == "POST" and notice is None:
        if action.startswith("lang:"):
            return redirect(flow.review(lang=action.removeprefix("lang:")))
        if action == "save":
            filing.mark_saved(draft, _now(), _ttl())
            return redirect(flow.saved())
        return submit(flow, draft)
    html = render_template(
        "resident/review.html",
        entry=entry,
        definition=definition,
        draft=draft,
        pages=review_rows(definition, draft.answers, current_language(), gettext),
        step=len(visible) + 1,
        steps=len(visible) + 1,
        back_url=flow.page(visible[-1]),
        page_url=flow.page,
        honeypot_notice=notice,
        **extra,
    )
    return (html, 422) if notice else html


def _submit(flow: Flow, draft: Draft) -> Response:
    """File the case with its confirmation mail, then draw its receipt; then to the receipt page."""
    slug = flow.slug
    token = _draft_token(slug)
    assert token is not None
    draft.locale = current_language()
    follow_token = filing.follow_token_for(token, current_app.config["SECRET_KEY"])
    try:
        filed = filing.submit(
            get_session(),
            draft,
            follow_token=follow_token,
            prefix=current_app.config["REFERENCE_PREFIX"],
            translate=translate_to,
            now=_now(),
        )
    except filing.FormIncomplete as incomplete:
        first = incomplete.result.first_page_with_errors
        assert first is not None
        return redirect(flow.page(first, check=1))
    if filed.new:
        _confirm_and_commit(filed.submission, follow_token)
        _draw_receipt(filed.submission)
    return _receipt_redirect(slug)


def _confirm_and_commit(submission: Submission, follow_token: str) -> None:
    """The confirmation mail joins the filing's transaction, which is committed here, before the receipt.

    XXX: the one request of ours with two commits. Until it commits, a filing holds the year's reference
    counter (its row lock on PostgreSQL, the write lock on SQLite), and numbers must stay gap-free, so
    they are taken in the filing's transaction. Drawing the receipt in it as well (about 75 ms of
    WeasyPrint) made every other resident's filing wait: one installation filed at most about a dozen
    cases a second, however many processes it ran. The mail leaves after the request's last commit, so
    it carries the receipt whenever the receipt was stored (see app.mail.build_message).
    """
    mail = confirmation_mail(submission, url_for("resident.follow", token=follow_token, _external=True))
    if mail is not None:
        queue_mail(get_session(), mail, _now())
    get_session().commit()


def _draw_receipt(submission: Submission) -> None:
    """Draw the filed case's receipt and store it (``app.receipts.receipt_for``: drawn outside any
    transaction, stored in a short one of its own).

    The case is filed whatever happens here: if drawing or storing fails, the resident still gets their
    receipt page and reference, and the receipt is drawn later through the same function, by whichever
    comes first of its confirmation mail, its first download and the scheduled jobs.
    """
    try:
        receipt_for(current_app._get_current_object(), submission.id)  # type: ignore[attr-defined]
    except Exception:
        log.exception("receipt of %s not stored after filing; it is drawn when first needed", submission.reference)


@bp.route("/e/<slug>/saved", methods=["GET", "POST"])
@limiter.limit(submissions_per_address, methods=["POST"])  # it sends mail: not a way to mail anyone at will
def saved(slug: str) -> Response | str:
    loaded = _load(slug)
    if isinstance(loaded, Response):
        return loaded
    entry, draft, definition = loaded
    if draft.saved_at is None:
        return redirect(_page_url(slug, draft.reached))
    token = _draft_token(slug)
    resume_url = url_for("resident.resume", token=token, _external=True)
    email_error = None
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        try:
            address = Email().parse({}, [email], Context(today=_now().date(), answers={}))
        except FieldError as error:
            email_error = message_for(error)
        else:
            title = definition.text("title", current_language())
            queue_mail(
                get_session(), resume_mail(address, title, resume_url, draft.expires_at, current_language()), _now()
            )
            flash(gettext("We have sent the link to %(email)s.", email=address))
            return redirect(url_for("resident.saved", slug=slug))
    else:
        email = next(
            (
                v
                for k, v in draft.answers.items()
                if k in definition.fields and definition.fields[k].type.name == "email"
            ),
            "",
        )
    return render_template(
        "resident/saved.html",
        email=email,
        email_error=email_error,
        entry=entry,
        definition=definition,
        draft=draft,
        resume_url=resume_url,
        continue_url=_page_url(slug, min(draft.reached, len(definition.pages) - 1)),
    )


@bp.get("/resume/<token>")
def resume(token: str) -> Response:
    draft = filing.find_draft(get_session(), token, _now())
    if draft is None:
        abort(410)
    slug = draft.form_version.eservice.slug
    _remember_draft(slug, token)
    if draft.submission_id is not None:
        return _receipt_redirect(slug)
    return redirect(_page_url(slug, min(draft.reached, len(draft.form_version.definition["pages"]) - 1)))


def _submission(token: str) -> Submission:
    days = current_app.config["FOLLOW_LINK_DAYS_AFTER_CLOSE"]
    try:
        submission = cases.find_by_link(get_session(), token, _now(), timedelta(days=days))
    except cases.LinkExpired:
        abort(
            make_response(
                *render_error(
                    410,
                    ngettext(
                        "Links to a case stop working %(num)d day after the case is closed. "
                        "Contact the municipality if you have questions about your case.",
                        "Links to a case stop working %(num)d days after the case is closed. "
                        "Contact the municipality if you have questions about your case.",
                        days,
                    ),
                )
            )
        )
    if submission is None:
        abort(404)
    return submission


@bp.get("/receipt/<token>")
@read_only
def receipt(token: str) -> str:
    submission = _submission(token)
    return render_template(
        "resident/receipt.html",
        submission=submission,
        snapshot=submission.snapshot,
        follow_url=url_for("resident.follow", token=token, _external=True),
        pdf_url=url_for("resident.receipt_pdf", token=token),
    )


@bp.route("/case/<token>", methods=["GET", "POST"])
@read_only
@limiter.limit(submissions_per_address, methods=["POST"])
def follow(token: str) -> Response | tuple[str, int]:
    """The resident's page for their case: status, what happened, messages, and a way to answer."""
    submission = _submission(token)
    reply_error = None
    text = ""
    if request.method == "POST":
        if any(key not in {"csrf_token", "text"} for key in request.form) or any(
            key != "files" for key in request.files
        ):
            abort(400)
        text = request.form.get("text", "").strip()[:8000]
        if submission.status == workflow.CLOSED:
            # The page offers no reply on a closed case; this one came from a tab opened before it closed.
            return render_error(
                409,
                gettext("Quote the reference number if you contact us about your case."),
                title=gettext(workflow.RESIDENT_LABELS[workflow.CLOSED]),
            )
        uploads = [
            Upload(filename=storage.filename or "", content=storage.read())
            for storage in request.files.getlist("files")
            if storage.filename
        ]
        if not text and not uploads:
            reply_error = gettext("Write an answer or attach a file before you send.")
        else:
            try:
                cases.resident_reply(
                    get_session(), submission, text, uploads, _now(), request.remote_addr, clean=clean_upload
                )
            except FieldError as error:
                reply_error = message_for(error)
            else:
                flash(gettext("Your answer is sent. The case officer can see it now."))
                return redirect(url_for("resident.follow", token=token) + "#timeline")
    events = [event for event in submission.events if event.kind in CaseEvent.RESIDENT_VISIBLE]
    return (
        render_template(
            "resident/case.html",
            status_label=lambda state: gettext(
                workflow.RESIDENT_LABELS.get(state, workflow.RESIDENT_LABELS["in_progress"])
            ),
            submission=submission,
            snapshot=submission.snapshot,
            events=events,
            files={a.case_event_id: a for a in submission.attachments if a.case_event_id},
            reply_error=reply_error,
            reply_text=text,
            pdf_url=url_for("resident.receipt_pdf", token=token),
        ),
        422 if reply_error else 200,
    )


@bp.get("/case/<token>/receipt.pdf")
@read_only
def receipt_pdf(token: str) -> Response:
    """The stored receipt, the same bytes every time."""
    submission = _submission(token)
    # Drawn now (once) if it was not stored when the case was filed; see _draw_receipt.
    stored = receipt_service.receipt_of(get_session(), submission) or receipt_for(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        submission.id,
    )
    assert stored is not None
    return send_file(
        io.BytesIO(blobs.read(get_session(), stored)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"kvittens-{submission.reference}.pdf",
        etag=stored.sha256,
        max_age=0,
    )


@bp.get("/lattlast")
@read_only
def easy_read() -> str:
    """About the e-services in easy-to-read Swedish (lättläst), whatever the interface language."""
    return render_template("resident/easy_read.html")


#: When the statement below was last checked against the service; change it with every review.
STATEMENT_REVIEWED = date(2026, 11, 27)


@bp.get("/tillganglighet")
@read_only
def accessibility_statement() -> str:
    """The accessibility statement (tillgänglighetsredogörelse) the law requires, in DIGG's structure."""
    report = catalog_service.find_published(get_session(), "tillganglighetsbrist-webbplats")
    return render_template(
        "resident/accessibility.html",
        reviewed=STATEMENT_REVIEWED,
        report_url=url_for("resident.start", slug="tillganglighetsbrist-webbplats") if report else None,
    )


@bp.route("/verify", methods=["GET", "POST"])
@read_only
@limiter.limit(draft_saves_per_address, methods=["POST"])  # each post is a PDF to parse
def verify() -> str:
    """Anyone can check a receipt: by reference and code, or by sending the PDF itself."""
    result = None
    reference = request.args.get("reference", "").strip()[:40]
    code = request.args.get("code", "").strip()[:20]
    if request.method == "POST":
        upload = request.files.get("receipt")
        content = upload.read() if upload is not None else b""
        result = receipt_service.verify_pdf(get_session(), content) if content else receipt_service.NOT_GENUINE
    elif reference or code:
        result = receipt_service.verify_code(get_session(), reference, code)
    return render_template(
        "resident/verify.html", result=result, reference=reference, code=code, by_file=request.method == "POST"
    )

"""Staff routes: load -> authorize (the blueprint and get_case) -> one service -> render or redirect."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import format_number, gettext
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response as BaseResponse

from app import blobs
from app.auth.login import signed_in_user
from app.db import get_session
from app.mail import message_mail, queue_mail
from app.models import Attachment, EService, Submission, User
from app.receipts import receipt_for
from app.services import audit, cases, outbox
from app.services import receipts as receipt_service
from app.services.eservices import definition_of, published_version
from app.staff import bp
from eservices import workflow

STATUS_FILTERS = workflow.STATES


def _now() -> datetime:
    return datetime.now(UTC)


def _date(value: str | None) -> date | None:
    """A filter date; one outside 1900-2999 (or not a date) is ignored rather than compared with."""
    try:
        parsed = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return parsed if parsed is not None and 1900 <= parsed.year <= 2999 else None


def _filter() -> cases.InboxFilter:
    args = request.args
    status = args.get("status") or None
    return cases.InboxFilter(
        eservice=args.get("eservice") or None,
        status=status if status in STATUS_FILTERS else None,
        assigned=args.get("assigned") if args.get("assigned") in ("me", "none") else "any",
        received_from=_date(args.get("from")),
        received_to=_date(args.get("to")),
        text=args.get("q", "").strip()[:200],
        order="asc" if args.get("order") == "asc" else "desc",
    )


def _visible_eservices() -> list[EService]:
    units = cases.visible_units(signed_in_user())
    return list(
        get_session().scalars(select(EService).where(EService.unit_id.in_(units or {-1})).order_by(EService.slug))
    )


@bp.get("/")
def inbox() -> str:
    user = signed_in_user()
    filt = _filter()
    after = cases.Cursor.decode(request.args.get("after", "")) if request.args.get("after") else None
    before = cases.Cursor.decode(request.args.get("before", "")) if request.args.get("before") else None
    page = cases.inbox(get_session(), user, filt, after=after, before=before)
    base_args = {k: v for k, v in request.args.items() if k not in ("after", "before")}
    return render_template(
        "staff/inbox.html",
        page=page,
        filt=filt,
        args=base_args,
        eservices=_visible_eservices(),
        statuses=STATUS_FILTERS,
        state_label=lambda state: gettext(workflow.STATE_LABELS.get(state, state)),
        count_cap=cases.COUNT_CAP,
        count_cap_text=format_number(cases.COUNT_CAP),
    )


def _case(reference: str) -> Submission:
    case = cases.get_case(get_session(), signed_in_user(), reference)
    if case is None:
        abort(404)  # also for other units' cases: their existence is not revealed
    return case


def _case_page(case: Submission, status: int = 200, **extra: Any) -> tuple[str, int]:
    events = case.events
    files = [a for a in case.attachments]
    return (
        render_template(
            "staff/case.html",
            case=case,
            snapshot=case.snapshot,
            events=events,
            files=files,
            colleagues=cases.colleagues(get_session(), case),
            unit_staff=cases.unit_staff(get_session(), case),
            transitions=workflow.available(case.status),
            state_label=lambda state: gettext(workflow.STATE_LABELS.get(state, state)),
            transition_label=lambda action: (
                gettext(workflow.BY_ACTION[action].label) if action in workflow.BY_ACTION else action
            ),
            receipt=receipt_service.receipt_of(get_session(), case),
            mails=outbox.messages_about(get_session(), case.id),
            **extra,
        ),
        status,
    )


@bp.get("/cases/<reference>")
def case(reference: str) -> tuple[str, int]:
    found = _case(reference)
    audit.record(
        get_session(), audit.CASE_VIEWED, _now(), actor=signed_in_user(), submission=found, ip=request.remote_addr
    )
    if found.has_news and found.assigned_to_id == signed_in_user().id:
        found.has_news = False
    return _case_page(found)


def _expected_version() -> int | None:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        abort(400)


def _changed(case_reference: str, **kept: Any) -> tuple[str, int]:
    """The case changed under the user: show it as it is now, with what they typed kept in the form."""
    get_session().rollback()
    fresh = _case(case_reference)
    return _case_page(
        fresh,
        409,
        conflict=gettext(
            "Someone else changed the case while you had it open. "
            "Check it and send again; what you wrote is kept below."
        ),
        **kept,
    )


@bp.post("/cases/<reference>/assign")
def assign(reference: str) -> BaseResponse | tuple[str, int]:
    found = _case(reference)
    user = signed_in_user()
    choice = request.form.get("assignee", "")
    assignee: User | None
    if choice == "me":
        assignee = user
    elif choice == "":
        assignee = None
    else:
        if not choice.isdigit() or not 0 < int(choice) < 2**31:
            abort(400)
        assignee = get_session().get(User, int(choice))
        if assignee is None:
            abort(400)
    try:
        cases.assign(get_session(), found, user, assignee, _expected_version(), _now(), request.remote_addr)
    except cases.CaseChanged:
        return _changed(reference)
    except StaleDataError:
        return _changed(reference)
    except ValueError:
        abort(400)
    flash(
        gettext("The case is assigned to %(name)s.", name=assignee.name)
        if assignee
        else gettext("Nobody is assigned the case now.")
    )
    return redirect(url_for("staff.case", reference=reference))


@bp.post("/cases/<reference>/status")
def change_status(reference: str) -> BaseResponse | tuple[str, int]:
    found = _case(reference)
    action = request.form.get("action", "")
    comment = request.form.get("comment", "")[:4000]
    try:
        cases.transition(
            get_session(), found, signed_in_user(), action, comment, _expected_version(), _now(), request.remote_addr
        )
    except (cases.CaseChanged, StaleDataError):
        return _changed(reference, kept_comment=comment)
    except workflow.IllegalTransition:
        get_session().rollback()
        return _case_page(
            _case(reference),
            409,
            conflict=gettext("That change is not possible from the case's current status."),
            kept_comment=comment,
        )
    flash(gettext("The status is now: %(status)s.", status=gettext(workflow.STATE_LABELS[found.status])))
    return redirect(url_for("staff.case", reference=reference))


@bp.post("/cases/<reference>/note")
def note(reference: str) -> BaseResponse | tuple[str, int]:
    found = _case(reference)
    text = request.form.get("text", "").strip()[:8000]
    if not text:
        return _case_page(found, 422, note_error=gettext("Write the note before you save it."))
    cases.add_note(get_session(), found, signed_in_user(), text, _now(), request.remote_addr)
    flash(gettext("The note is saved. Residents never see notes."))
    return redirect(url_for("staff.case", reference=reference) + "#timeline")


@bp.post("/cases/<reference>/message")
def message(reference: str) -> BaseResponse | tuple[str, int]:
    found = _case(reference)
    text = request.form.get("text", "").strip()[:8000]
    if not text:
        return _case_page(found, 422, message_error=gettext("Write the message before you send it."))
    token = cases.send_message(get_session(), found, signed_in_user(), text, _now(), request.remote_addr)
    if token is not None:
        link = url_for("resident.follow", token=token, _external=True)
        queue_mail(get_session(), message_mail(found, text, link), _now())
        flash(gettext("The message is sent. The resident also gets it by email."))
    else:
        flash(
            gettext("The message is on the resident's case page. No email could be sent: the resident gave no address.")
        )
    return redirect(url_for("staff.case", reference=reference) + "#timeline")


@bp.post("/cases/<reference>/protection")
def protection(reference: str) -> BaseResponse:
    """Skyddad identitet: mark or unmark the case, and name who may see it (staff of the case's unit)."""
    found = _case(reference)
    user = signed_in_user()
    action = request.form.get("change", "")
    person = None
    if action in ("name", "unname"):
        choice = request.form.get("user", "")
        if not choice.isdigit() or not 0 < int(choice) < 2**31:
            abort(400)
        person = get_session().get(User, int(choice))
        if person is None:
            abort(400)
    try:
        if action == "protect":
            cases.protect(get_session(), found, user, _now(), request.remote_addr)
            flash(gettext("The case is marked protected identity. Only the staff named on it can see it."))
        elif action == "unprotect":
            cases.unprotect(get_session(), found, user, _now(), request.remote_addr)
            flash(gettext("The case no longer has protected identity. All staff of the unit can see it."))
        elif action == "name" and person is not None:
            cases.name_officer(get_session(), found, user, person, _now(), request.remote_addr)
            flash(gettext("%(name)s can now see the case.", name=person.name))
        elif action == "unname" and person is not None:
            cases.unname_officer(get_session(), found, user, person, _now(), request.remote_addr)
            flash(gettext("%(name)s can no longer see the case.", name=person.name))
        else:
            abort(400)
    except cases.ProtectionError as error:
        get_session().rollback()
        flash(
            gettext("At least one person must be named on a protected case.")
            if str(error) == "last_named"
            else gettext("Only staff of the case's unit can be named on it.")
        )
    if not cases.get_case(get_session(), user, reference):
        return redirect(url_for("staff.inbox"))  # the user took themselves off the case
    return redirect(url_for("staff.case", reference=reference) + "#protection")


@bp.get("/cases/<reference>/files/<int(max=2147483647):file_id>")
def download(reference: str, file_id: int) -> Response:
    found = _case(reference)
    stored = get_session().get(Attachment, file_id)
    if stored is None or stored.submission_id != found.id:
        abort(404)
    audit.record(
        get_session(), audit.FILE_DOWNLOADED, _now(), actor=signed_in_user(), submission=found, ip=request.remote_addr,
        file=stored.filename, sha256=stored.sha256,
    )  # fmt: skip
    return send_file(
        io.BytesIO(blobs.read(get_session(), stored)),
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.filename,
    )


@bp.get("/cases/<reference>/receipt.pdf")
def receipt(reference: str) -> Response:
    found = _case(reference)
    # Drawn now (once) if it was not stored when the case was filed; see app.resident.routes._draw_receipt.
    stored = receipt_service.receipt_of(get_session(), found) or receipt_for(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        found.id,
    )
    assert stored is not None
    audit.record(
        get_session(),
        audit.RECEIPT_DOWNLOADED,
        _now(),
        actor=signed_in_user(),
        submission=found,
        ip=request.remote_addr,
    )
    return send_file(
        io.BytesIO(blobs.read(get_session(), stored)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"kvittens-{found.reference}.pdf",
    )


@bp.get("/export.csv")
def export() -> Response:
    user = signed_in_user()
    filt = _filter()
    columns: list[tuple[str, str]] = []
    if filt.eservice:
        eservice = next((e for e in _visible_eservices() if e.slug == filt.eservice), None)
        version = published_version(get_session(), eservice) if eservice is not None else None
        if version is not None:
            definition = definition_of(version)
            columns = [(f.name, f.label("sv")) for f in definition.fields.values() if f.type.has_input]
    audit.record(
        get_session(), audit.CASES_EXPORTED, _now(), actor=user, ip=request.remote_addr, eservice=filt.eservice
    )
    get_session().commit()  # the audit row is stored before the export streams
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    user_id = user.id
    headings = [
        gettext("Reference number"), gettext("E-service"), gettext("Received"), gettext("Status"),
        gettext("Case officer"), gettext("Language"),
    ]  # fmt: skip
    labels = {state: gettext(label) for state, label in workflow.STATE_LABELS.items()}
    protected_text = gettext("(protected identity: see the case)")

    def status_label(state: str) -> str:
        return labels.get(state, state)

    def generate() -> Any:
        # The request's session is closed when the response starts; the export reads with its own.
        with app.extensions["db_sessionmaker"]() as session:
            exporter = session.get(User, user_id)
            assert exporter is not None
            yield from cases.export_csv(session, exporter, filt, columns, headings, status_label, protected_text)

    name = f"arenden-{filt.eservice or 'alla'}-{datetime.now(UTC).date().isoformat()}.csv"
    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )

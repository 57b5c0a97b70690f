"""Case handling for staff: the inbox, one case, and what staff and residents do with it."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, joinedload, selectinload

from app import blobs
from app.db import UTCDateTime, new_token
from app.models import Attachment, CaseEvent, CaseLink, EService, FormVersion, NamedOfficer, RoleGrant, Submission, User
from app.services import audit
from app.services.accounts import units_with_role
from app.services.filing import token_hash
from eservices import workflow
from eservices.fields.base import Upload
from eservices.fields.file import File
from eservices.fields.personnummer import mask_personnummer
from eservices.numbering import InvalidReference, parse_reference
from eservices.text import fold

SWEDEN = ZoneInfo("Europe/Stockholm")
PAGE_SIZE = 50
#: status counts stop at this many: counting every case on each inbox page would grow with the archive
#: (a million closed cases read for every page); "more than 1 000" is as useful to a handläggare
COUNT_CAP = 1000


class CaseChanged(Exception):
    """Someone else changed the case since the page was loaded."""


@dataclass(frozen=True)
class InboxFilter:
    eservice: str | None = None
    status: str | None = None
    #: "me", "none" (unassigned) or "any"
    assigned: str = "any"
    received_from: date | None = None
    received_to: date | None = None
    text: str = ""
    #: "desc": newest first (default), "asc": oldest first
    order: str = "desc"


@dataclass(frozen=True)
class Cursor:
    """A position in the inbox: the received time and id of a row; opaque text in URLs."""

    submitted_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.submitted_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            moment, ident = raw.split("|")
            parsed = datetime.fromisoformat(moment)
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            number = int(ident)
            # A cursor is made by the inbox itself; anything outside what it could make is ignored.
            if not 1900 <= parsed.year <= 2999 or not 0 < number < 2**31:
                return None
            return cls(parsed.astimezone(UTC), number)
        except (ValueError, UnicodeDecodeError, OverflowError):
            return None


@dataclass
class InboxRow:
    submission: Submission
    title: str
    #: masked; None for a case with protected identity, whose number is not shown in any list
    personnummer: str | None


@dataclass
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None
    previous_cursor: str | None
    #: cases per status, at most COUNT_CAP + 1 (more than COUNT_CAP when capped); None: not counted (a
    #: free-text search that matches more than COUNT_CAP cases)
    counts: dict[str, int | None]
    total: int
    #: some count reached COUNT_CAP: ``total`` is a lower bound ("more than ...")
    capped: bool = False
    #: the free text looked like a reference but is not a valid one (a digit mistyped)
    invalid_reference: bool = False
    #: units the user may see
    unit_ids: set[int] = field(default_factory=set)


def visible_units(user: User) -> set[int]:
    return units_with_role(user, "staff")


def _named(user: User) -> Any:
    """The condition "``user`` is named on the case", for queries over submissions."""
    return exists(
        select(NamedOfficer.id).where(NamedOfficer.submission_id == Submission.id, NamedOfficer.user_id == user.id)
    )


def _visible_eservices(session: Session, user: User, slug: str | None) -> list[int]:
    """Ids of the e-services whose cases ``user`` may see (only ``slug``'s when given)."""
    query = select(EService.id).where(EService.unit_id.in_(visible_units(user) or {-1}))
    if slug:
        query = query.where(EService.slug == slug)
    return list(session.scalars(query)) or [-1]


def _filtered(
    session: Session, user: User, filt: InboxFilter, *, with_status: bool = True, columns: Any = (Submission,)
) -> tuple[Select[Any], bool]:
    # The e-services are resolved first (a handful of ids), so the case query reads one table and its
    # indexes can serve both the filter and the order.
    query = select(*columns).where(Submission.eservice_id.in_(_visible_eservices(session, user, filt.eservice)))
    # A case with protected identity does not exist for anyone not named on it: not in lists, counts or exports.
    query = query.where(or_(Submission.protected.is_(False), _named(user)))
    invalid_reference = False
    if with_status and filt.status:
        query = query.where(Submission.status == filt.status)
    if filt.assigned == "me":
        query = query.where(Submission.assigned_to_id == user.id)
    elif filt.assigned == "none":
        query = query.where(Submission.assigned_to_id.is_(None))
    if filt.received_from:
        query = query.where(Submission.submitted_at >= _start_of(filt.received_from))
    if filt.received_to:
        query = query.where(Submission.submitted_at < _start_of(filt.received_to + timedelta(days=1)))
    text = filt.text.strip()
    if text:
        try:
            query = query.where(Submission.reference == str(parse_reference(text)))
        except InvalidReference:
            if _looks_like_reference(text):
                invalid_reference = True
                query = query.where(Submission.id.is_(None))
            else:
                for word in fold(text).split():
                    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                    query = query.where(Submission.search_text.like(f"%{escaped}%", escape="\\"))
    return query, invalid_reference


def _looks_like_reference(text: str) -> bool:
    compact = text.replace(" ", "").replace("-", "")
    return len(compact) >= 10 and compact[:3].isalpha() and compact[3:7].isdigit()


def _start_of(day: date) -> datetime:
    """Midnight of ``day`` in Sweden, as UTC: "received on 27 November" means Swedish days."""
    return datetime.combine(day, time(), SWEDEN).astimezone(UTC)


def inbox(
    session: Session, user: User, filt: InboxFilter, after: Cursor | None = None, before: Cursor | None = None
) -> InboxPage:
    """One page of the cases ``user`` may see, by keyset pagination (no OFFSET, so deep pages stay fast)."""
    query, invalid_reference = _filtered(session, user, filt)
    query = query.options(joinedload(Submission.assigned_to))
    newest_first = filt.order != "asc"
    t, i = Submission.submitted_at, Submission.id
    backwards = before is not None and after is None
    cursor = before if backwards else after
    if cursor is not None:
        # Rows beyond the cursor in reading direction; reversed when paging back.
        # A row-value comparison, which an index on (submitted_at, id) answers as one range; the equivalent
        # "t < x OR (t = x AND i < y)" makes PostgreSQL walk the index from the top to the cursor.
        position = tuple_(t, i)
        mark = tuple_(literal(cursor.submitted_at, UTCDateTime()), literal(cursor.id))
        query = query.where(position < mark if newest_first != backwards else position > mark)
    descending = newest_first != backwards
    query = query.order_by(t.desc(), i.desc()) if descending else query.order_by(t.asc(), i.asc())
    found = list(session.scalars(query.limit(PAGE_SIZE + 1)))
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    if backwards:
        found.reverse()
    rows = [_row(submission) for submission in found]
    first, last = (found[0], found[-1]) if found else (None, None)
    has_next = more if not backwards else True
    has_previous = (cursor is not None) if not backwards else more
    counts = _capped_counts(session, user, filt)
    shown = [counts.get(filt.status, 0)] if filt.status else list(counts.values())
    total = sum(COUNT_CAP + 1 if number is None else number for number in shown)
    return InboxPage(
        rows=rows,
        next_cursor=Cursor(last.submitted_at, last.id).encode() if last is not None and has_next and found else None,
        previous_cursor=Cursor(first.submitted_at, first.id).encode() if first is not None and has_previous else None,
        counts=counts,
        total=total,
        capped=any(number is None or number > COUNT_CAP for number in shown),
        invalid_reference=invalid_reference,
        unit_ids=visible_units(user),
    )


def _capped_counts(session: Session, user: User, filt: InboxFilter) -> dict[str, int | None]:
    """Cases per status under the other filters, each counted up to COUNT_CAP + 1, in one query.

    Each count reads at most COUNT_CAP + 1 index entries, so the inbox costs the same with a thousand
    cases or a million. A free-text search is counted among its newest COUNT_CAP + 1 matches instead
    (in the page's own order, which the planner serves from the received-time index, however common the
    word): exact when there are fewer, otherwise not counted per status (None).
    """
    if filt.text.strip():
        matches, _ = _filtered(session, user, filt, with_status=False, columns=(Submission.status,))
        newest = matches.order_by(Submission.submitted_at.desc(), Submission.id.desc()).limit(COUNT_CAP + 1).subquery()
        found = {
            status: int(number)
            for status, number in session.execute(select(newest.c.status, func.count()).group_by(newest.c.status))
        }
        if sum(found.values()) > COUNT_CAP:
            return {state: None for state in workflow.STATES}
        return {state: found.get(state, 0) for state in workflow.STATES}
    base, _ = _filtered(session, user, filt, with_status=False, columns=(literal(1),))
    counters = [
        select(func.count())
        .select_from(base.where(Submission.status == state).limit(COUNT_CAP + 1).subquery())
        .scalar_subquery()
        .label(state)
        for state in workflow.STATES
    ]
    found = session.execute(select(*counters)).one()
    return {state: int(number) for state, number in zip(workflow.STATES, found, strict=True)}


def _row(submission: Submission) -> InboxRow:
    personnummer = None
    if submission.protected:
        return InboxRow(submission, submission.snapshot["title"].get("sv", ""), None)
    for page in submission.snapshot["pages"]:
        for item in page["fields"]:
            if item["type"] == "personnummer" and item["value"]:
                personnummer = mask_personnummer(item["value"])
                break
        if personnummer:
            break
    return InboxRow(submission, submission.snapshot["title"].get("sv", ""), personnummer)


def get_case(session: Session, user: User, reference: str) -> Submission | None:
    """The case with ``reference`` if ``user`` may handle it; None otherwise (also for other units' cases)."""
    case = session.scalar(
        select(Submission)
        .where(Submission.reference == reference)
        .options(
            joinedload(Submission.eservice),
            joinedload(Submission.assigned_to),
            selectinload(Submission.events).joinedload(CaseEvent.actor),
            selectinload(Submission.attachments),
        )
    )
    if case is None or case.eservice.unit_id not in visible_units(user):
        return None
    if case.protected and not is_named(case, user):
        return None  # the same answer as for a case that does not exist
    return case


def is_named(case: Submission, user: User) -> bool:
    return any(named.user_id == user.id for named in case.protectors)


def colleagues(session: Session, case: Submission) -> list[User]:
    """Active staff of the case's unit who may be assigned the case: on a protected case, those named on it."""
    if case.protected:
        return sorted((n.user for n in case.protectors if n.user.active), key=lambda person: person.name)
    return unit_staff(session, case)


def unit_staff(session: Session, case: Submission) -> list[User]:
    """Active staff of the case's unit: who could be named on it if it is protected."""
    return list(
        session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.unit_id == case.eservice.unit_id, RoleGrant.role == "staff", User.active.is_(True))
            .order_by(User.name)
            .distinct()
        )
    )


class ProtectionError(ValueError):
    """A change to who may see a protected case that cannot be made; the message code says why."""


def protect(session: Session, case: Submission, actor: User, now: datetime, ip: str | None) -> None:
    """Mark the case as skyddad identitet: from now on only named staff see it. The person marking it is named,
    and so is the assigned case officer, so that nobody handling it loses it.
    """
    if case.protected:
        return
    case.protected = True
    for person in {actor.id: actor, **({case.assigned_to.id: case.assigned_to} if case.assigned_to else {})}.values():
        case.protectors.append(NamedOfficer(user=person, added_at=now))
    audit.record(session, audit.CASE_PROTECTED, now, actor=actor, submission=case, ip=ip)
    session.flush()


def unprotect(session: Session, case: Submission, actor: User, now: datetime, ip: str | None) -> None:
    """The case is an ordinary case again, seen by all staff of its unit."""
    if not case.protected:
        return
    case.protected = False
    case.protectors.clear()
    audit.record(session, audit.CASE_UNPROTECTED, now, actor=actor, submission=case, ip=ip)
    session.flush()


def name_officer(session: Session, case: Submission, actor: User, person: User, now: datetime, ip: str | None) -> None:
    """Let ``person`` (staff of the case's unit) see the protected case too."""
    if not case.protected:
        raise ProtectionError("not_protected")
    if case.eservice.unit_id not in visible_units(person) or not person.active:
        raise ProtectionError("not_staff_of_unit")
    if is_named(case, person):
        return
    case.protectors.append(NamedOfficer(user=person, added_at=now))
    audit.record(session, audit.OFFICER_NAMED, now, actor=actor, submission=case, ip=ip, user=person.email)
    session.flush()


def unname_officer(
    session: Session, case: Submission, actor: User, person: User, now: datetime, ip: str | None
) -> None:
    """``person`` no longer sees the protected case; the last named person cannot be taken off."""
    named = [n for n in case.protectors if n.user_id == person.id]
    if not named:
        return
    if len(case.protectors) == 1:
        raise ProtectionError("last_named")
    case.protectors.remove(named[0])
    if case.assigned_to_id == person.id:
        case.assigned_to = None
    audit.record(session, audit.OFFICER_UNNAMED, now, actor=actor, submission=case, ip=ip, user=person.email)
    session.flush()


def _check_version(case: Submission, expected: int | None) -> None:
    if expected is not None and case.version != expected:
        raise CaseChanged()


def assign(
    session: Session,
    case: Submission,
    actor: User,
    assignee: User | None,
    expected_version: int | None,
    now: datetime,
    ip: str | None,
) -> None:
    _check_version(case, expected_version)
    if assignee is not None and assignee not in colleagues(session, case):
        raise ValueError("assignee is not staff of the case's unit")
    case.assigned_to = assignee
    case.events.append(
        CaseEvent(at=now, kind=CaseEvent.ASSIGNED, actor=actor, data={"to": assignee.name if assignee else None})
    )
    audit.record(
        session, audit.CASE_ASSIGNED, now, actor=actor, submission=case, ip=ip, to=assignee.email if assignee else None
    )
    session.flush()


def transition(
    session: Session,
    case: Submission,
    actor: User | None,
    action: str,
    comment: str,
    expected_version: int | None,
    now: datetime,
    ip: str | None,
) -> None:
    """Move the case along the workflow; raises :class:`workflow.IllegalTransition` or :class:`CaseChanged`."""
    _check_version(case, expected_version)
    before = case.status
    case.status = workflow.apply(before, action)
    case.events.append(
        CaseEvent(
            at=now,
            kind=CaseEvent.STATUS,
            actor=actor,
            data={"action": action, "from": before, "to": case.status, "comment": comment.strip() or None},
        )
    )
    audit.record(
        session,
        audit.STATUS_CHANGED,
        now,
        actor=actor,
        actor_label=None if actor else "resident",
        submission=case,
        ip=ip,
        action_taken=action,
        to=case.status,
    )
    session.flush()


def add_note(session: Session, case: Submission, actor: User, text: str, now: datetime, ip: str | None) -> None:
    case.events.append(CaseEvent(at=now, kind=CaseEvent.NOTE, actor=actor, data={"text": text.strip()}))
    audit.record(session, audit.NOTE_ADDED, now, actor=actor, submission=case, ip=ip)
    session.flush()


def send_message(
    session: Session, case: Submission, actor: User, text: str, now: datetime, ip: str | None
) -> str | None:
    """A message to the resident, shown on their follow page; returns a new private link token to mail them.

    None when the resident gave no email: the message is still on their page, and the timeline says that
    no mail could be sent.
    """
    token = new_token() if case.email else None
    if token is not None:
        session.add(CaseLink(submission_id=case.id, token_hash=token_hash(token), created_at=now))
    case.events.append(
        CaseEvent(at=now, kind=CaseEvent.MESSAGE, actor=actor, data={"text": text.strip(), "mailed": token is not None})
    )
    audit.record(session, audit.MESSAGE_SENT, now, actor=actor, submission=case, ip=ip, mailed=token is not None)
    session.flush()
    return token


def resident_reply(
    session: Session,
    case: Submission,
    text: str,
    uploads: Sequence[Upload],
    now: datetime,
    ip: str | None,
    clean: Callable[[Upload], Upload] | None = None,
) -> CaseEvent:
    """The resident's answer: on the timeline, the case marked as having news, and back in progress if it waited."""
    file_type = File()
    spec = {"accept": ["pdf", "jpeg", "png", "heic"], "max_size_mb": 20}
    checked = []
    for upload in uploads:
        file_type.parse_upload(spec, upload)  # the type, from the bytes; raises FieldError
        kept = clean(upload) if clean is not None else upload
        checked.append((kept, file_type.parse_upload(spec, kept)))
    event = CaseEvent(at=now, kind=CaseEvent.REPLY, data={"text": text.strip(), "files": [meta for _, meta in checked]})
    case.events.append(event)
    session.flush()
    for upload, meta in checked:
        case.attachments.append(
            Attachment(
                field_name="reply",
                filename=meta["filename"],
                content_type=meta["content_type"],
                size=meta["size"],
                sha256=meta["sha256"],
                case_event_id=event.id,
                **blobs.keep(session, upload.content),
            )
        )
    case.has_news = True
    audit.record(
        session, audit.RESIDENT_REPLIED, now, actor_label="resident", submission=case, ip=ip, files=len(checked)
    )
    if case.status == workflow.WAITING:
        transition(session, case, None, "resume", "", None, now, ip)
    session.flush()
    return event


class LinkExpired(Exception):
    """The follow-the-case link belonged to a case closed longer ago than links are kept."""


def closed_at(case: Submission) -> datetime | None:
    """When the case was last closed, if it is closed now."""
    if case.status != workflow.CLOSED:
        return None
    closing = [e.at for e in case.events if e.kind == CaseEvent.STATUS and e.data.get("to") == workflow.CLOSED]
    return max(closing) if closing else None


def find_by_link(session: Session, token: str, now: datetime, keep_after_close: timedelta) -> Submission | None:
    """The case a follow-the-case token opens: the receipt's link or one sent with a message.

    Tokens carry 256 bits (guessing is hopeless) and only their SHA-256 is stored; the lookup compares
    digests, so how long it takes says nothing about the token itself. A link dies ``keep_after_close``
    after its case was closed (:class:`LinkExpired`), so an old mail does not open the case for ever.
    """
    digest = token_hash(token)
    case = session.scalar(select(Submission).where(Submission.follow_token_hash == digest))
    if case is None:
        link = session.scalar(select(CaseLink).where(CaseLink.token_hash == digest))
        case = session.get(Submission, link.submission_id) if link is not None else None
    if case is not None:
        closed = closed_at(case)
        if closed is not None and now - closed > keep_after_close:
            raise LinkExpired()
    return case


def _cell(value: str) -> str:
    """A value Excel will show, not run: text starting with = + - @ (or a tab/CR) gets a leading apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(
    session: Session,
    user: User,
    filt: InboxFilter,
    columns: Sequence[tuple[str, str]],
    headings: Sequence[str],
    status_label: Callable[[str], str],
    protected_text: str,
) -> Iterator[str]:
    """The filtered cases as CSV text chunks: UTF-8 with a BOM (Excel), one column per question in ``columns``.

    ``headings`` name the six fixed columns (reference, e-service, received, status, case officer,
    language) in the reader's language; ``columns`` are (field name, Swedish label) of the chosen
    e-service. Rows are read in batches, so the memory used does not grow with the number of cases.
    A case with protected identity (seen only by those named on it) has ``protected_text`` in every answer
    column: its address and personnummer never leave the system in a file.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    header = [*headings, *[label for _, label in columns]]
    buffer.write("\ufeff")
    writer.writerow(header)
    # Plain rows, not ORM objects, and no snapshot unless its answers are exported (one e-service chosen):
    # the title a case was filed under is its form version's Swedish title, looked up once per version.
    titles = {
        version_id: (definition.get("title") or {}).get("sv", "")
        for version_id, definition in session.execute(select(FormVersion.id, FormVersion.definition))
    }
    wanted: list[Any] = [Submission.reference, Submission.form_version_id, Submission.submitted_at]
    wanted += [Submission.status, User.name, Submission.locale, Submission.snapshot if columns else literal(None)]
    wanted += [Submission.protected]
    query, _ = _filtered(session, user, filt, columns=wanted)
    query = (
        query.outerjoin(User, User.id == Submission.assigned_to_id)
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
        .execution_options(yield_per=2000)
    )
    for reference, version_id, submitted_at, status, officer, locale, snapshot, protected in session.execute(query):
        if protected:
            values = {name: protected_text for name, _ in columns}
        else:
            values = (
                {f["name"]: f["display"].get("sv", "") for page in snapshot["pages"] for f in page["fields"]}
                if snapshot
                else {}
            )
        # Reference, time, status and language are ours; only text others wrote can carry a formula.
        writer.writerow(
            [
                reference,
                _cell(titles.get(version_id, "")),
                submitted_at.astimezone(SWEDEN).isoformat(sep=" ", timespec="minutes")[:16],
                status_label(status),
                _cell(officer or ""),
                locale,
                *[_cell(values.get(name, "")) for name, _ in columns],
            ]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()

"""The studio's use cases: drafts, publishing, closing, archiving, import and export of e-services.

An e-service has at most one draft (a :class:`FormVersion` with status draft and number 0) and a chain
of published versions that never change again. Publishing turns the draft into the next numbered
version; residents who started on an earlier version finish on it, and every case keeps the version it
was filed against. Edits carry the draft's revision: an edit prepared against an older revision is not
applied and the caller is told who saved in between (:class:`DraftChanged`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from app.models import Draft, EService, FormVersion, Unit, User
from app.services import accounts, audit
from eservices.editing import new_definition
from eservices.problems import Problem
from eservices.schema import SAFE_LOADER, SLUG, DefinitionError, load_definition, missing_translations

FILE, STUDIO, IMPORT, COPY = "file", "studio", "import", "copy"


class StudioError(Exception):
    """A studio action that cannot be done: ``code`` (slug_taken, has_draft, has_problems, no_draft, ...)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class DraftChanged(Exception):
    """Someone saved the draft after the edit was prepared; nothing of the edit was applied."""

    def __init__(self, draft: FormVersion) -> None:
        super().__init__("draft changed")
        self.draft = draft


def definition_sha256(data: object) -> str:
    """SHA-256 of the canonical JSON of a plain definition."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- who may do what --------------------------------------------------------------------------------


def editable_unit_ids(session: Session, user: User) -> set[int]:
    """The units whose e-services ``user`` may edit: where they are communicator, or all for an administrator."""
    if accounts.is_admin(user):
        return set(session.scalars(select(Unit.id)))
    return accounts.units_with_role(user, "communicator")


def viewable_unit_ids(session: Session, user: User) -> set[int]:
    """Units whose e-services ``user`` may see in the studio and preview: editors, and the unit's handläggare."""
    return editable_unit_ids(session, user) | accounts.units_with_role(user, "staff")


def editable_units(session: Session, user: User) -> list[Unit]:
    ids = editable_unit_ids(session, user)
    return list(session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.key))) if ids else []


# --- reading ------------------------------------------------------------------------------------------


def find(session: Session, slug: str) -> EService | None:
    return session.scalar(select(EService).where(EService.slug == slug))


def draft_of(eservice: EService) -> FormVersion | None:
    return next((v for v in eservice.versions if v.status == FormVersion.DRAFT), None)


def published_of(eservice: EService) -> FormVersion | None:
    return next((v for v in reversed(eservice.versions) if v.status == FormVersion.PUBLISHED), None)


def numbered(eservice: EService) -> list[FormVersion]:
    """Every version that was ever published, newest first."""
    return sorted((v for v in eservice.versions if v.status != FormVersion.DRAFT), key=lambda v: -v.number)


def version(eservice: EService, number: int) -> FormVersion | None:
    return next((v for v in eservice.versions if v.number == number), None)


def problems(data: Mapping[str, Any]) -> list[tuple[str, Problem | str]]:
    """What must be put right before ``data`` can be published, as ``(path, problem)``; empty when none."""
    try:
        load_definition(data, "draft")
    except DefinitionError as error:
        return list(error.problems)
    return []


DRAFT_ONLY, PUBLISHED, CHANGED, CLOSED, ARCHIVED = "draft_only", "published", "changed", "closed", "archived"


@dataclass(frozen=True)
class ListRow:
    eservice: EService
    title: Mapping[str, str]
    state: str
    published: FormVersion | None
    draft: FormVersion | None
    missing: dict[str, int]
    edited_at: datetime | None
    edited_by: str | None


def state_of(eservice: EService, today: date) -> str:
    """draft_only, published, changed (published with unpublished changes), closed or archived."""
    if eservice.archived_at is not None:
        return ARCHIVED
    published, draft = published_of(eservice), draft_of(eservice)
    if published is None:
        return DRAFT_ONLY
    if not is_open(eservice, today):
        return CLOSED
    if draft is not None and draft.definition_sha256 != published.definition_sha256:
        return CHANGED
    return PUBLISHED


def is_open(eservice: EService, today: date) -> bool:
    """Whether residents can file on ``today`` (Swedish time): not closed, and within its open period if any."""
    if eservice.closed_at is not None or eservice.archived_at is not None:
        return False
    if eservice.open_from is not None and today < eservice.open_from:
        return False
    return not (eservice.open_until is not None and today > eservice.open_until)


def listing(
    session: Session, unit_ids: set[int], languages: Sequence[str], today: date, archived: bool = False
) -> list[ListRow]:
    """The studio's list: the e-services of ``unit_ids`` with their state and missing translations per language."""
    if not unit_ids:
        return []
    # Each row reads every version and the name of whoever changed the latest: load them for all rows at once.
    versions = selectinload(EService.versions)
    query = (
        select(EService)
        .where(EService.unit_id.in_(unit_ids))
        .order_by(EService.slug)
        .options(
            versions.selectinload(FormVersion.edited_by),
            versions.selectinload(FormVersion.published_by),
            versions.selectinload(FormVersion.created_by),
        )
    )
    query = query.where(EService.archived_at.is_not(None) if archived else EService.archived_at.is_(None))
    rows = []
    for eservice in session.scalars(query):
        published, draft = published_of(eservice), draft_of(eservice)
        current = draft or published
        data = current.definition if current is not None else {}
        latest = max(
            (v for v in eservice.versions),
            key=lambda v: v.edited_at or v.published_at or v.created_at,
            default=None,
        )
        who = latest.edited_by or latest.published_by or latest.created_by if latest is not None else None
        rows.append(
            ListRow(
                eservice=eservice,
                title=data.get("title") or {"sv": eservice.slug},
                state=state_of(eservice, today),
                published=published,
                draft=draft,
                missing={code: len(missing_translations(data, code)) for code in languages if code != "sv"},
                edited_at=(latest.edited_at or latest.published_at or latest.created_at) if latest else None,
                edited_by=who.name if who is not None else None,
            )
        )
    return rows


# --- making drafts ----------------------------------------------------------------------------------


def _unit_data(unit: Unit) -> dict[str, Any]:
    return {"key": unit.key, "name": dict(unit.name)}


def _new_draft(
    eservice: EService, data: Mapping[str, Any], source: str, actor: User | None, now: datetime
) -> FormVersion:
    if draft_of(eservice) is not None:
        raise StudioError("has_draft")
    draft = FormVersion(
        number=FormVersion.DRAFT_NUMBER,
        status=FormVersion.DRAFT,
        definition=copy.deepcopy(dict(data)),
        definition_sha256=definition_sha256(data),
        created_at=now,
        edited_at=now,
        source=source,
        revision=1,
        created_by_id=actor.id if actor else None,
        edited_by_id=actor.id if actor else None,
    )
    eservice.versions.append(draft)
    return draft


def _check_slug(session: Session, slug: str) -> None:
    if not SLUG.match(slug) or len(slug) > 100:
        raise StudioError("bad_slug")
    if find(session, slug) is not None:
        raise StudioError("slug_taken", slug=slug)


def create(
    session: Session, slug: str, title: str, unit: Unit, actor: User, now: datetime, ip: str | None = None
) -> EService:
    """A new e-service with an empty draft: one page, no questions."""
    _check_slug(session, slug)
    eservice = EService(slug=slug, unit=unit, created_at=now)
    session.add(eservice)
    _new_draft(eservice, new_definition(slug, title, _unit_data(unit)), STUDIO, actor, now)
    session.flush()
    audit.record(session, audit.ESERVICE_CREATED, now, actor=actor, ip=ip, eservice=slug)
    return eservice


def copy_of(
    session: Session, source: EService, slug: str, actor: User, now: datetime, ip: str | None = None
) -> EService:
    """A new e-service whose draft is a copy of ``source``'s draft, or else of its newest version."""
    _check_slug(session, slug)
    origin = draft_of(source) or published_of(source) or (numbered(source) or [None])[0]
    if origin is None:
        raise StudioError("no_draft")
    data = copy.deepcopy(origin.definition)
    data["slug"] = slug
    eservice = EService(slug=slug, unit=source.unit, created_at=now)
    session.add(eservice)
    _new_draft(eservice, data, COPY, actor, now)
    session.flush()
    audit.record(session, audit.ESERVICE_CREATED, now, actor=actor, ip=ip, eservice=slug, copy_of=source.slug)
    return eservice


def start_draft(
    session: Session, eservice: EService, actor: User, now: datetime, from_number: int | None = None
) -> FormVersion:
    """A draft copied from version ``from_number`` (default: the published one, else the newest)."""
    if from_number is not None:
        origin = version(eservice, from_number)
        if origin is None or origin.status == FormVersion.DRAFT:
            raise StudioError("no_version")
    else:
        origin = published_of(eservice) or (numbered(eservice) or [None])[0]
        if origin is None:
            raise StudioError("no_version")
    draft = _new_draft(eservice, origin.definition, STUDIO, actor, now)
    draft.based_on = origin.number
    session.flush()
    return draft


def save_draft(
    session: Session, draft: FormVersion, data: Mapping[str, Any], revision: int | None, actor: User, now: datetime
) -> FormVersion:
    """Store ``data`` as the draft, if nobody saved since ``revision``; else :class:`DraftChanged`."""
    if draft.status != FormVersion.DRAFT:
        raise StudioError("no_draft")
    if revision is not None:
        # Compare and bump in one statement: of two saves prepared against the same revision, the
        # database lets exactly one through, even when both read it before either wrote.
        claimed = session.execute(
            update(FormVersion)
            .where(FormVersion.id == draft.id, FormVersion.revision == revision)
            .values(revision=revision + 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            session.refresh(draft)
            raise DraftChanged(draft)
        draft.revision = revision  # the ORM's copy, bumped with the rest below
    draft.definition = copy.deepcopy(dict(data))
    draft.definition_sha256 = definition_sha256(data)
    draft.revision += 1
    draft.edited_at = now
    draft.edited_by_id = actor.id
    session.flush()
    return draft


def discard_draft(session: Session, eservice: EService, actor: User, now: datetime, ip: str | None = None) -> None:
    draft = draft_of(eservice)
    if draft is None:
        raise StudioError("no_draft")
    if not numbered(eservice):
        raise StudioError("only_draft")  # archive it instead: the e-service would be left with nothing
    # Only previews fill in a draft version (residents get published ones); their answers go with it.
    for previewed in session.scalars(select(Draft).where(Draft.form_version_id == draft.id)):
        session.delete(previewed)
    session.flush()
    eservice.versions.remove(draft)
    session.delete(draft)
    session.flush()
    audit.record(session, audit.DRAFT_DISCARDED, now, actor=actor, ip=ip, eservice=eservice.slug)


# --- publishing -------------------------------------------------------------------------------------


def publish(
    session: Session,
    eservice: EService,
    actor: User | None,
    now: datetime,
    ip: str | None = None,
    actor_label: str | None = None,
) -> FormVersion:
    """Make the draft the next published version; the one before is retired (its cases and drafts keep it)."""
    draft = draft_of(eservice)
    if draft is None:
        raise StudioError("no_draft")
    try:
        definition = load_definition(draft.definition, f"{eservice.slug} draft")
    except DefinitionError as error:
        raise StudioError("has_problems", count=len(error.problems)) from None
    if definition.slug != eservice.slug:
        raise StudioError("slug_changed")
    unit = session.scalar(select(Unit).where(Unit.key == definition.data["unit"]["key"]))
    if unit is None:
        unit = Unit(key=definition.data["unit"]["key"], name=dict(definition.data["unit"]["name"]))
        session.add(unit)
    eservice.unit = unit
    for earlier in eservice.versions:
        if earlier.status == FormVersion.PUBLISHED:
            earlier.status = FormVersion.RETIRED
    draft.definition = dict(definition.data)  # the checked, plain form (texts trimmed)
    draft.definition_sha256 = definition_sha256(draft.definition)
    draft.number = max((v.number for v in eservice.versions), default=0) + 1
    draft.status = FormVersion.PUBLISHED
    draft.published_at = now
    draft.published_by_id = actor.id if actor else None
    session.flush()
    audit.record(
        session,
        audit.ESERVICE_PUBLISHED,
        now,
        actor=actor,
        actor_label=actor_label,
        ip=ip,
        eservice=eservice.slug,
        version=draft.number,
    )
    return draft


def unpublish(session: Session, eservice: EService, actor: User, now: datetime, ip: str | None = None) -> None:
    """Take the e-service out of the catalog: no version is published; drafts residents started stop working."""
    current = published_of(eservice)
    if current is None:
        raise StudioError("not_published")
    current.status = FormVersion.RETIRED
    session.flush()
    audit.record(
        session, audit.ESERVICE_UNPUBLISHED, now, actor=actor, ip=ip, eservice=eservice.slug, version=current.number
    )


def set_opening(
    session: Session,
    eservice: EService,
    *,
    closed: bool,
    message: Mapping[str, str] | None,
    open_from: date | None,
    open_until: date | None,
    actor: User,
    now: datetime,
    ip: str | None = None,
) -> None:
    """Close or open the e-service, with the message residents read while it is closed and its open period."""
    if open_from is not None and open_until is not None and open_from > open_until:
        raise StudioError("period_reversed")
    was_closed = eservice.closed_at is not None
    eservice.closed_at = (eservice.closed_at or now) if closed else None
    eservice.closed_message = {code: text for code, text in (message or {}).items() if text} or None
    eservice.open_from, eservice.open_until = open_from, open_until
    session.flush()
    action = audit.ESERVICE_CLOSED if closed else audit.ESERVICE_OPENED
    if closed != was_closed or not closed:
        audit.record(
            session,
            action,
            now,
            actor=actor,
            ip=ip,
            eservice=eservice.slug,
            open_from=open_from and open_from.isoformat(),
            open_until=open_until and open_until.isoformat(),
        )


def archive(session: Session, eservice: EService, actor: User, now: datetime, ip: str | None = None) -> None:
    """Hide the e-service from the catalog and the studio's list; its versions and cases are kept."""
    eservice.archived_at = now
    session.flush()
    audit.record(session, audit.ESERVICE_ARCHIVED, now, actor=actor, ip=ip, eservice=eservice.slug)


def restore(session: Session, eservice: EService, actor: User, now: datetime, ip: str | None = None) -> None:
    eservice.archived_at = None
    session.flush()
    audit.record(session, audit.ESERVICE_RESTORED, now, actor=actor, ip=ip, eservice=eservice.slug)


# --- import and export ------------------------------------------------------------------------------


def export_yaml(data: Mapping[str, Any]) -> str:
    """The definition as YAML in the format of ``forms/``: keys in the format's order, text as written."""
    return yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)


#: The largest definition accepted, as JSON: ten times the largest bundled form.
MAX_DEFINITION_BYTES = 1_000_000


def parse_yaml(text: str, source: str) -> dict[str, Any]:
    """Read YAML text; a definition error naming ``source`` and the line when it is not YAML.

    Anchors and aliases are refused: a few kilobytes of aliases can expand into gigabytes (a "billion
    laughs"), and no definition needs them. What is read may be at most :data:`MAX_DEFINITION_BYTES`.
    """
    try:
        for event in yaml.parse(text, Loader=SAFE_LOADER):
            if isinstance(event, yaml.AliasEvent):
                where = f"line {event.start_mark.line + 1}, column {event.start_mark.column + 1}"
                problem = Problem("yaml_alias", "YAML aliases (*name) are not allowed: write the text out", where=where)
                raise DefinitionError(source, [(where, problem)])
        data = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        problem = Problem("not_yaml", f"not valid YAML: {getattr(exc, 'problem', exc)}", where=where)
        raise DefinitionError(source, [(where, problem)]) from None
    if not isinstance(data, dict):
        top = Problem("not_a_form", "must be a mapping with slug, title, pages ...")
        raise DefinitionError(source, [("(top)", top)])
    if len(json.dumps(data, ensure_ascii=False, default=str)) > MAX_DEFINITION_BYTES:
        raise DefinitionError(source, [("file", Problem("too_large", "the definition is larger than 1 MB"))])
    return data


def import_definition(
    session: Session,
    data: Mapping[str, Any],
    source: str,
    *,
    actor: User | None,
    now: datetime,
    allowed_units: set[int] | None,
    origin: str = IMPORT,
    ip: str | None = None,
    actor_label: str | None = None,
) -> FormVersion:
    """``data`` checked as the loader checks it, then stored as the draft of its e-service (new or existing).

    Raises :class:`DefinitionError` (every problem, with ``source``) and stores nothing when it does not
    load. ``allowed_units`` limits the units the definition may name (None: any, and unknown units are
    created, as for the bundled files).
    """
    definition = load_definition(data, source)
    unit_key = definition.data["unit"]["key"]
    unit = session.scalar(select(Unit).where(Unit.key == unit_key))
    if allowed_units is not None and (unit is None or unit.id not in allowed_units):
        raise StudioError("unit_not_allowed", unit=unit_key)
    if unit is None:
        unit = Unit(key=unit_key, name=dict(definition.data["unit"]["name"]))
        session.add(unit)
    eservice = find(session, definition.slug)
    if eservice is None:
        eservice = EService(slug=definition.slug, unit=unit, created_at=now)
        session.add(eservice)
    elif allowed_units is not None and eservice.unit_id not in allowed_units:
        raise StudioError("slug_taken", slug=definition.slug)
    draft = _new_draft(eservice, definition.data, origin, actor, now)
    session.flush()
    audit.record(
        session,
        audit.ESERVICE_IMPORTED,
        now,
        actor=actor,
        actor_label=actor_label,
        ip=ip,
        eservice=definition.slug,
        source=source[-200:],
    )
    return draft


def ever_had(eservice: EService, sha256: str) -> bool:
    """Whether any version of ``eservice`` ever held exactly this definition."""
    return any(v.definition_sha256 == sha256 for v in eservice.versions if v.status != FormVersion.DRAFT)

"""The e-services residents can file: loading the bundled definitions, the published catalog, search."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from app.models import EService, FormVersion
from app.services import studio
from app.services.studio import definition_sha256
from eservices.schema import DefinitionError, FormDefinition, load_definition, load_file
from eservices.text import fold

#: checked definitions by (version id, SHA-256 of the definition): a published version never changes, and a
#: draft's hash is set with every change of its definition (app.services.studio), so a key never goes stale
_DEFINITIONS: OrderedDict[tuple[int, str], FormDefinition] = OrderedDict()
_DEFINITIONS_KEPT = 512
_DEFINITIONS_LOCK = threading.Lock()


def definition_of(version: FormVersion) -> FormDefinition:
    """The checked definition of ``version``, cached by its id and hash.

    A hit reads neither the definition's JSON nor its hash again; only a miss touches
    ``version.definition`` (which the catalog queries leave deferred), and checks a copy of it.
    """
    key = (version.id, version.definition_sha256)
    with _DEFINITIONS_LOCK:
        found = _DEFINITIONS.get(key)
        if found is not None:
            _DEFINITIONS.move_to_end(key)
            return found
    checked = load_definition(copy.deepcopy(version.definition), f"form version {version.id}")
    with _DEFINITIONS_LOCK:
        _DEFINITIONS[key] = checked
        while len(_DEFINITIONS) > _DEFINITIONS_KEPT:
            _DEFINITIONS.popitem(last=False)
    return checked


@dataclass(frozen=True)
class LoadReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    #: e-services whose file changed while a communicator has a draft in the studio: left for them to decide
    kept: list[str] = field(default_factory=list)


def load_bundled(session: Session, paths: Iterable[Path], now: datetime) -> LoadReport:
    """Publish the definitions in ``paths`` through the studio's own path: import as a draft, then publish.

    Every file is checked before anything is written; one bad file raises :class:`DefinitionError`
    (for all the bad files together) and leaves the database as it was. A file is published only when
    no version of its e-service ever held exactly its content, so what communicators changed in the
    studio since is not overwritten by an unchanged file.
    """
    definitions: list[tuple[Path, FormDefinition]] = []
    problems: list[tuple[str, str]] = []
    for path in sorted(paths):
        try:
            definitions.append((path, load_file(path)))
        except DefinitionError as error:
            problems.extend((f"{error.source}: {where}", message) for where, message in error.problems)
    slugs = [definition.slug for _path, definition in definitions]
    for slug in {s for s in slugs if slugs.count(s) > 1}:
        problems.append(("slug", f"{slug!r} is used by more than one file"))
    if problems:
        raise DefinitionError("forms", problems)
    report = LoadReport([], [], [])
    for path, definition in definitions:
        eservice = studio.find(session, definition.slug)
        if eservice is not None and studio.ever_had(eservice, definition_sha256(definition.data)):
            report.unchanged.append(definition.slug)
            continue
        if eservice is not None and studio.draft_of(eservice) is not None:
            report.kept.append(definition.slug)
            continue
        draft = studio.import_definition(
            session,
            definition.data,
            str(path.name),
            actor=None,
            now=now,
            allowed_units=None,
            origin=studio.FILE,
            actor_label="forms load",
        )
        studio.publish(session, draft.eservice, None, now, actor_label="forms load")
        (report.updated if eservice is not None else report.created).append(definition.slug)
    return report


def published_version(session: Session, eservice: EService, today: date | None = None) -> FormVersion | None:
    """The version residents fill in now; None when the e-service is closed, archived, was never published
    or (given ``today``) is outside its open period."""
    if eservice.closed_at is not None or eservice.archived_at is not None:
        return None
    if today is not None and not studio.is_open(eservice, today):
        return None
    return session.scalar(
        select(FormVersion)
        .where(FormVersion.eservice_id == eservice.id, FormVersion.status == FormVersion.PUBLISHED)
        .order_by(FormVersion.number.desc())
        .limit(1)
        .options(defer(FormVersion.definition))  # definition_of has it, checked, after the first request
    )


@dataclass(frozen=True)
class CatalogEntry:
    eservice: EService
    version: FormVersion
    definition: FormDefinition


#: what puts an e-service in the catalog: a published version, neither closed nor archived
_IN_CATALOG = (
    FormVersion.status == FormVersion.PUBLISHED,
    EService.closed_at.is_(None),
    EService.archived_at.is_(None),
)


def catalog(session: Session, today: date | None = None) -> list[CatalogEntry]:
    """Every open e-service with a published version (and, given ``today``, within its open period)."""
    rows = session.execute(
        select(EService, FormVersion)
        .join(FormVersion, FormVersion.eservice_id == EService.id)
        .where(*_IN_CATALOG)
        .order_by(EService.slug)
        .options(defer(FormVersion.definition))  # definition_of has it, checked, after the first request
    ).all()
    return [
        CatalogEntry(eservice, version, definition_of(version))
        for eservice, version in rows
        if today is None or studio.is_open(eservice, today)
    ]


def catalog_fingerprint(session: Session, today: date) -> tuple[object, ...]:
    """Everything the catalog on ``today`` is made of, as plain values: one small query, no objects.

    Two equal fingerprints mean the same catalog: the same e-services (slug, open period) with the same
    published versions (id and content hash, which fix every title, description and category). A page
    kept under it (``app.page_cache``) is therefore never stale, in any process.
    """
    rows = session.execute(
        select(
            EService.id,
            EService.slug,
            EService.open_from,
            EService.open_until,
            FormVersion.id,
            FormVersion.definition_sha256,
        )
        .join(FormVersion, FormVersion.eservice_id == EService.id)
        .where(*_IN_CATALOG)
        .order_by(EService.slug)
    ).all()
    return (today, *(tuple(row) for row in rows))


def find_published(session: Session, slug: str, today: date | None = None) -> CatalogEntry | None:
    eservice = session.scalar(select(EService).where(EService.slug == slug))
    if eservice is None:
        return None
    version = published_version(session, eservice, today)
    if version is None:
        return None
    return CatalogEntry(eservice, version, definition_of(version))


@dataclass(frozen=True)
class ClosedNotice:
    """What a resident reads on the page of a published e-service that does not take cases now."""

    definition: FormDefinition
    message: Mapping[str, str] | None
    open_from: date | None
    open_until: date | None


def closed_notice(session: Session, slug: str, today: date) -> ClosedNotice | None:
    """The notice for a closed, or out of season, e-service; None when there is nothing to show (unpublished,
    archived, unknown)."""
    eservice = session.scalar(select(EService).where(EService.slug == slug))
    if eservice is None or eservice.archived_at is not None:
        return None
    version = session.scalar(
        select(FormVersion)
        .where(FormVersion.eservice_id == eservice.id, FormVersion.status == FormVersion.PUBLISHED)
        .limit(1)
    )
    if version is None or studio.is_open(eservice, today):
        return None
    upcoming = eservice.open_from if eservice.open_from is not None and today < eservice.open_from else None
    return ClosedNotice(definition_of(version), eservice.closed_message, upcoming, eservice.open_until)


def search(entries: Sequence[CatalogEntry], query: str, locale: str) -> list[CatalogEntry]:
    """The entries whose title, description or keywords in ``locale`` contain every word of ``query``.

    Case and diacritics do not matter (``sophamtning`` finds Sophämtning), and a word may be part of a
    longer one, as Swedish compounds are (``parkering`` finds Parkeringstillstånd).
    """
    words = fold(query).split()
    if not words:
        return list(entries)
    return [entry for entry in entries if all(word in entry.definition.search_text(locale) for word in words)]


def group_by_category(entries: Sequence[CatalogEntry], locale: str) -> list[tuple[str, list[CatalogEntry]]]:
    """Entries grouped by their category in ``locale``, categories and titles in alphabetical order."""
    groups: dict[str, list[CatalogEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.definition.text("category", locale), []).append(entry)
    return [
        (category, sorted(items, key=lambda e: fold(e.definition.text("title", locale))))
        for category, items in sorted(groups.items(), key=lambda item: fold(item[0]))
    ]

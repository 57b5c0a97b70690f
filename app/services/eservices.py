"""The e-services residents can file: loading the bundled definitions, the published catalog, search."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import EService, FormVersion, Unit
from eservices.schema import DefinitionError, FormDefinition, load_definition, load_file
from eservices.text import fold


def definition_sha256(data: object) -> str:
    """SHA-256 of the canonical JSON of a plain definition."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@lru_cache(maxsize=512)
def _checked(version_id: int, sha256: str, canonical: str) -> FormDefinition:
    return load_definition(json.loads(canonical), f"form version {version_id}")


def definition_of(version: FormVersion) -> FormDefinition:
    """The checked definition of ``version``; published versions never change, so it is cached by hash."""
    canonical = json.dumps(version.definition, sort_keys=True, ensure_ascii=False)
    return _checked(version.id, version.definition_sha256, canonical)


@dataclass(frozen=True)
class LoadReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


def load_bundled(session: Session, paths: Iterable[Path], now: datetime) -> LoadReport:
    """Publish the definitions in ``paths``: new e-services, or a new version where the file changed.

    Every file is checked before anything is written; one bad file raises :class:`DefinitionError`
    (for all the bad files together) and leaves the database as it was.
    """
    definitions: list[FormDefinition] = []
    problems: list[tuple[str, str]] = []
    for path in sorted(paths):
        try:
            definitions.append(load_file(path))
        except DefinitionError as error:
            problems.extend((f"{error.source}: {where}", message) for where, message in error.problems)
    slugs = [definition.slug for definition in definitions]
    for slug in {s for s in slugs if slugs.count(s) > 1}:
        problems.append(("slug", f"{slug!r} is used by more than one file"))
    if problems:
        raise DefinitionError("forms", problems)
    report = LoadReport([], [], [])
    for definition in definitions:
        outcome = publish_definition(session, definition, now)
        {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}[outcome].append(
            definition.slug
        )
    return report


def _unit(session: Session, definition: FormDefinition) -> Unit:
    data = definition.data["unit"]
    unit = session.scalar(select(Unit).where(Unit.key == data["key"]))
    if unit is None:
        unit = Unit(key=data["key"], name=dict(data["name"]))
        session.add(unit)
    return unit


def publish_definition(session: Session, definition: FormDefinition, now: datetime) -> str:
    """Publish ``definition`` as its e-service's newest version; ``created``, ``updated`` or ``unchanged``."""
    digest = definition_sha256(definition.data)
    eservice = session.scalar(select(EService).where(EService.slug == definition.slug))
    if eservice is None:
        eservice = EService(slug=definition.slug, unit=_unit(session, definition), created_at=now)
        session.add(eservice)
        outcome = "created"
    else:
        current = published_version(session, eservice)
        if current is not None and current.definition_sha256 == digest:
            return "unchanged"
        eservice.unit = _unit(session, definition)
        outcome = "updated"
    for version in eservice.versions:
        if version.status == FormVersion.PUBLISHED:
            version.status = FormVersion.RETIRED
    number = max((v.number for v in eservice.versions), default=0) + 1
    eservice.versions.append(
        FormVersion(
            number=number,
            status=FormVersion.PUBLISHED,
            definition=dict(definition.data),
            definition_sha256=digest,
            created_at=now,
            published_at=now,
        )
    )
    session.flush()
    return outcome


def published_version(session: Session, eservice: EService) -> FormVersion | None:
    """The version residents fill in now; None when the e-service is closed or was never published."""
    if eservice.closed_at is not None:
        return None
    return session.scalar(
        select(FormVersion)
        .where(FormVersion.eservice_id == eservice.id, FormVersion.status == FormVersion.PUBLISHED)
        .order_by(FormVersion.number.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class CatalogEntry:
    eservice: EService
    version: FormVersion
    definition: FormDefinition


def catalog(session: Session) -> list[CatalogEntry]:
    """Every open e-service with a published version."""
    rows = session.execute(
        select(EService, FormVersion)
        .join(FormVersion, FormVersion.eservice_id == EService.id)
        .where(FormVersion.status == FormVersion.PUBLISHED, EService.closed_at.is_(None))
        .order_by(EService.slug)
    ).all()
    return [CatalogEntry(eservice, version, definition_of(version)) for eservice, version in rows]


def find_published(session: Session, slug: str) -> CatalogEntry | None:
    eservice = session.scalar(select(EService).where(EService.slug == slug))
    if eservice is None:
        return None
    version = published_version(session, eservice)
    if version is None:
        return None
    return CatalogEntry(eservice, version, definition_of(version))


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

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, JSONData, UTCDateTime, utcnow
from app.models.unit import Unit
from app.models.user import User


class EService(Base):
    """An e-service residents can file: its identity; what it asks lives in its form versions."""

    __tablename__ = "eservices"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: set when the e-service no longer takes new cases (closed in the studio): residents read ``closed_message``
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: localized text shown on the e-service's page while it is closed or outside its open period
    closed_message: Mapped[dict[str, str] | None] = mapped_column(JSONData)
    #: an e-service open only part of the year takes cases from this day (Swedish time) ...
    open_from: Mapped[date | None] = mapped_column(Date)
    #: ... to this day, inclusive
    open_until: Mapped[date | None] = mapped_column(Date)
    #: set when the e-service is archived: gone from the catalog and the studio's list, its cases kept
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    versions: Mapped[list[FormVersion]] = relationship(
        back_populates="eservice", order_by="FormVersion.number", cascade="all, delete-orphan"
    )


class FormVersion(Base):
    """One version of an e-service's form. A published version never changes again."""

    __tablename__ = "form_versions"
    __table_args__ = (
        UniqueConstraint("eservice_id", "number", name="uq_form_versions_eservice_number"),
        Index("ix_form_versions_eservice_status", "eservice_id", "status"),
    )

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"
    #: The number a draft carries until it is published and gets the next free one; the unique
    #: constraint on (eservice_id, number) thereby allows one draft per e-service.
    DRAFT_NUMBER = 0

    id: Mapped[int] = mapped_column(primary_key=True)
    eservice_id: Mapped[int] = mapped_column(ForeignKey("eservices.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    #: the checked definition in its plain form (see eservices.schema)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONData)
    #: SHA-256 of the canonical JSON of ``definition``, to see at once whether a source changed
    definition_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: where the version came from: file (forms/), studio, import, copy
    source: Mapped[str | None] = mapped_column(String(16))
    #: the published version number a draft was started from, if any
    based_on: Mapped[int | None] = mapped_column(Integer)
    #: a draft's edit counter; a save that was prepared against an older revision is not applied
    revision: Mapped[int] = mapped_column(Integer, default=1)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    eservice: Mapped[EService] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    edited_by: Mapped[User | None] = relationship(foreign_keys=[edited_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, JSONData, UTCDateTime, utcnow
from app.models.unit import Unit


class EService(Base):
    """An e-service residents can file: its identity; what it asks lives in its form versions."""

    __tablename__ = "eservices"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: set when the e-service no longer takes new cases
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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

    eservice: Mapped[EService] = relationship(back_populates="versions")

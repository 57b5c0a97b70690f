from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONData, UTCDateTime, utcnow


class Unit(Base):
    """A förvaltning or enhet: it owns e-services and the staff who handle their cases."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: localized name, ``{"sv": ..., "en": ...}``
    name: Mapped[dict[str, str]] = mapped_column(JSONData)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, JSONData, UTCDateTime, utcnow
from app.models.eservice import FormVersion
from app.models.stored_file import StoredFile


class Draft(Base):
    """A filing in progress. It is not a case: nothing reaches staff until it is submitted.

    The resident holds the token (in the session cookie, and in the resume link once saved); the
    database keeps only its SHA-256, so a copy of the database cannot resume anyone's draft.
    """

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONData, default=dict)
    #: what the resident typed that could not be accepted yet (kept when they go back or save), by field
    pending: Mapped[dict[str, list[str]]] = mapped_column(JSONData, default=dict)
    locale: Mapped[str] = mapped_column(String(16))
    #: the furthest page index reached, so the review page is offered only after every page
    reached: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: when the resident asked for a resume link
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set once the draft became a case; then a repeated submit lands on the same receipt
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"))

    form_version: Mapped[FormVersion] = relationship()
    files: Mapped[list[DraftFile]] = relationship(back_populates="draft", cascade="all, delete-orphan")


class DraftFile(StoredFile, Base):
    """A file uploaded to a draft, kept until the draft is submitted (then it becomes an Attachment)."""

    __tablename__ = "draft_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[Draft] = relationship(back_populates="files")

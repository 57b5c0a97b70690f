from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, JSONData, UTCDateTime, utcnow
from app.models.eservice import EService, FormVersion
from app.models.stored_file import StoredFile
from app.models.user import User


class Submission(Base):
    """A filed case: what was filed, frozen. Its snapshot is the record, never re-rendered from the form."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_eservice_received", "eservice_id", "submitted_at"),
        # The inbox's orders and filters, each served by one index so that a page reads about 50 index
        # entries however many cases there are. eservice_id and protected trail in the status indexes so
        # the capped status counts (which test both on every entry) are answered from the index alone
        # (SQLite has no INCLUDE, so they are key columns).
        Index("ix_submissions_received_id", "submitted_at", "id"),
        Index("ix_submissions_status_received", "status", "submitted_at", "id", "eservice_id", "protected"),
        Index("ix_submissions_eservice_status_received", "eservice_id", "status", "submitted_at", "id", "protected"),
        # Free-text search is a substring match (parts of words, personnummer digits, e-mail addresses);
        # on PostgreSQL a trigram index answers it without reading every case.
        Index(
            "ix_submissions_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    RECEIVED = "received"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    eservice_id: Mapped[int] = mapped_column(ForeignKey("eservices.id"))
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"), index=True)
    #: one submission per draft, however often the same draft is posted
    draft_key: Mapped[str] = mapped_column(String(64), unique=True)
    locale: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(32), default=RECEIVED)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: the resident wrote something staff have not looked at yet
    has_news: Mapped[bool] = mapped_column(Boolean, default=False)
    #: raised by every change, so two people changing the same case at once cannot overwrite each other
    version: Mapped[int] = mapped_column(Integer, default=1)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONData)
    #: SHA-256 of the follow-the-case token the resident holds
    follow_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: where the resident asked to be told about the case, if anywhere
    email: Mapped[str | None] = mapped_column(String(254))
    #: reference and answers, lower case without diacritics, for staff's free-text search
    search_text: Mapped[str] = mapped_column(Text, default="")
    #: skyddad identitet: only the staff named in ``protectors`` see the case, and no export carries its answers
    protected: Mapped[bool] = mapped_column(Boolean, default=False)

    __mapper_args__ = {"version_id_col": version}

    eservice: Mapped[EService] = relationship()
    form_version: Mapped[FormVersion] = relationship()
    assigned_to: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="submission", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="submission", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )
    protectors: Mapped[list[NamedOfficer]] = relationship(order_by="NamedOfficer.id", cascade="all, delete-orphan")


class NamedOfficer(Base):
    """A member of staff named on a case with protected identity: the only people who see it."""

    __tablename__ = "named_officers"
    __table_args__ = (UniqueConstraint("submission_id", "user_id", name="uq_named_officers_submission_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class Attachment(StoredFile, Base):
    """A file filed with a case: its bytes and their SHA-256, as received."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    #: set for a file the resident sent later with a reply (a completion), not with the filing
    case_event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id", ondelete="CASCADE"), index=True)

    submission: Mapped[Submission] = relationship(back_populates="attachments")


class CaseEvent(Base):
    """One entry of a case's timeline: received, status changes, notes, messages, access."""

    __tablename__ = "case_events"

    RECEIVED = "received"
    ASSIGNED = "assigned"
    STATUS = "status"
    NOTE = "note"
    MESSAGE = "message"
    REPLY = "reply"
    #: kinds the resident sees on their follow page; notes and assignments are internal
    RESIDENT_VISIBLE = frozenset({RECEIVED, STATUS, MESSAGE, REPLY})

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONData, default=dict)

    actor: Mapped[User | None] = relationship()

    submission: Mapped[Submission] = relationship(back_populates="events")


class CaseLink(Base):
    """A further private follow-the-case link, sent to the resident with a message (only its hash is kept)."""

    __tablename__ = "case_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReferenceCounter(Base):
    """The last sequence number given out per prefix and year; incremented in the filing transaction."""

    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow
from app.models.submission import Submission


class Receipt(Base):
    """A case's PDF receipt: rendered once from the snapshot, stored with its SHA-256, never rendered again.

    Kept apart from ``submissions`` so lists of cases never drag the PDF bytes along. The bytes are in
    ``content``, or in the file store under ``storage_key`` (``app.blobs``; read them with ``blobs.read``).
    """

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    storage_key: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: printed on the receipt; with the reference it lets anyone check the receipt is genuine
    verification_code: Mapped[str] = mapped_column(String(16))
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship()

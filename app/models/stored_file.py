from __future__ import annotations

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column


class StoredFile:
    """Columns of a file a resident sent: which question, its cleaned name, sniffed type, size, SHA-256, and
    its bytes: in ``content``, or in the file store under ``storage_key`` (``app.blobs``; read them with
    ``blobs.read``).

    Shared by files in drafts and files of filed cases, so a file moves from one to the other unchanged.
    """

    field_name: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    storage_key: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)

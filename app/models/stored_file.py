from __future__ import annotations

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column


class StoredFile:
    """Columns of a file a resident sent: which question, its cleaned name, sniffed type, size, bytes, SHA-256.

    Shared by files in drafts and files of filed cases, so a file moves from one to the other unchanged.
    """

    field_name: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)

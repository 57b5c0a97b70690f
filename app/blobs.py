"""Where the bytes of uploaded files and receipts live: in their own database row (the default), in a folder
shared by every machine, or in an S3-compatible bucket (``FILE_STORE``).

One small interface, :class:`BlobStore`: put, get, delete, list and check. Every object gets a new random
key (``files/ab/ab12...``), written once and never again, so no two rows race for one object. A row names
its bytes by ``storage_key``; a row without one holds its bytes in ``content``, so switching an
installation from the database to a store later leaves old rows readable. When a resident files a case,
the attachment takes over the draft file's key in the same transaction: the bytes are not copied.

Order of writes: the bytes are put before the row that names them is committed. A rolled-back request,
a replaced upload or an expired draft therefore leaves, at worst, an object that nothing names;
:func:`sweep_unreferenced` deletes such objects once they are older than a day (longer than any request
runs, and a key is never written twice). It never deletes what a row names.

The store travels with the database session (``session.info["blobs"]``), so services need no Flask.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from app.models import Attachment, DraftFile, Receipt

if TYPE_CHECKING:
    from flask import Flask

KINDS = ("database", "filesystem", "s3")
SWEEP_GRACE = timedelta(days=1)


class BlobStoreError(RuntimeError):
    """The store could not be reached, or refused; the message says which store and why (never the bytes)."""


class BlobMissing(BlobStoreError):
    """A row names an object that the store does not have."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    modified_at: datetime


class BlobStore(Protocol):
    kind: str

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def objects(self) -> Iterator[StoredObject]: ...


class HasBlob(Protocol):
    content: bytes | None
    storage_key: str | None


def new_key() -> str:
    name = secrets.token_hex(16)
    return f"files/{name[:2]}/{name}"


class FolderStore:
    """Objects as files under one folder (on several machines: a shared mount, such as NFS)."""

    kind = "filesystem"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise BlobStoreError(f"key {key!r} leaves the folder")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written beside, flushed to disk, then renamed: a reader never sees half a file.
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise BlobStoreError(f"folder {self.root}: {error.strerror or error}") from error

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as error:
            raise BlobMissing(f"folder {self.root} has no {key}") from error
        except OSError as error:
            raise BlobStoreError(f"folder {self.root}: {error.strerror or error}") from error

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def objects(self) -> Iterator[StoredObject]:
        for path in sorted(self.root.glob("files/*/*")):
            if path.is_file() and not path.name.startswith("."):
                yield StoredObject(
                    path.relative_to(self.root).as_posix(), datetime.fromtimestamp(path.stat().st_mtime, UTC)
                )


class S3Store:
    """Objects in a bucket of any S3-compatible service (AWS, MinIO, Ceph, a Swedish cloud provider)."""

    kind = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str = "",
        region: str = "",
        access_key_id: str = "",
        secret_access_key: str = "",
        timeout: float = 10,
    ) -> None:
        import boto3  # only an installation that uses S3 pays for importing it
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 3}),
        )

    def _fail(self, error: Exception) -> BlobStoreError:
        return BlobStoreError(f"bucket {self.bucket}: {type(error).__name__}: {error}")

    def put(self, key: str, data: bytes) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)
        except Exception as error:
            raise self._fail(error) from error

    def get(self, key: str) -> bytes:
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()
            return body
        except self.client.exceptions.NoSuchKey as error:
            raise BlobMissing(f"bucket {self.bucket} has no {key}") from error
        except Exception as error:
            raise self._fail(error) from error

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)
        except Exception as error:
            raise self._fail(error) from error

    def objects(self) -> Iterator[StoredObject]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + "files/")
        for page in pages:
            for item in page.get("Contents", []):
                yield StoredObject(item["Key"][len(self.prefix) :], item["LastModified"].astimezone(UTC))


def check(store: BlobStore) -> None:
    """Raise :class:`BlobStoreError` unless ``store`` takes an object now and gives the same bytes back."""
    store.put("health/check", b"ok")
    if store.get("health/check") != b"ok":
        raise BlobStoreError(f"the {store.kind} store gave back other bytes than were written")


def store_from_config(config: Any, instance_path: str) -> BlobStore | None:
    """The configured store; None for the database (the bytes stay in their rows)."""
    kind = config["FILE_STORE"]
    if kind == "filesystem":
        return FolderStore(config["FILE_STORE_PATH"] or Path(instance_path) / "files")
    if kind == "s3":
        return S3Store(
            config["S3_BUCKET"],
            prefix=config["S3_PREFIX"],
            endpoint_url=config["S3_ENDPOINT_URL"],
            region=config["S3_REGION"],
            access_key_id=config["S3_ACCESS_KEY_ID"],
            secret_access_key=config["S3_SECRET_ACCESS_KEY"],
        )
    return None


def init_blobs(app: Flask) -> None:
    """Give every database session of ``app`` the configured store (none: bytes stay in their rows)."""
    store = store_from_config(app.config, app.instance_path)
    app.extensions["blobs"] = store
    app.extensions["db_sessionmaker"].configure(info={"blobs": store})


def store_of(session: Session) -> BlobStore | None:
    store: BlobStore | None = session.info.get("blobs")
    return store


def keep(session: Session, data: bytes) -> dict[str, Any]:
    """Put ``data`` where this installation keeps bytes; the column values for the row that names it."""
    store = store_of(session)
    if store is None:
        return {"content": data, "storage_key": None}
    key = new_key()
    store.put(key, data)
    return {"content": None, "storage_key": key}


def read(session: Session, row: HasBlob) -> bytes:
    """The bytes of a file or receipt row, wherever they are kept."""
    if row.storage_key is None:
        assert row.content is not None
        return row.content
    store = store_of(session)
    if store is None:
        raise BlobStoreError(f"{row.storage_key} is in a file store, and none is configured (FILE_STORE)")
    return store.get(row.storage_key)


def referenced_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` a file, attachment or receipt row names."""
    named = union_all(
        *(select(model.storage_key).where(model.storage_key.in_(keys)) for model in (DraftFile, Attachment, Receipt))
    )
    return set(session.scalars(select(named.subquery().c[0])))


def sweep_unreferenced(session: Session, now: datetime, grace: timedelta = SWEEP_GRACE, batch: int = 500) -> int:
    """Delete objects older than ``grace`` that no row names; returns how many. Nothing with the database store."""
    store = store_of(session)
    if store is None:
        return 0
    deleted = 0
    candidates: list[str] = []

    def settle() -> int:
        named = referenced_keys(session, candidates)
        gone = [key for key in candidates if key not in named]
        for key in gone:
            store.delete(key)
        candidates.clear()
        return len(gone)

    for stored in store.objects():
        if stored.modified_at <= now - grace:
            candidates.append(stored.key)
            if len(candidates) >= batch:
                deleted += settle()
    return deleted + settle()

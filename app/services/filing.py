"""A resident's filing: drafts page by page, save and resume, and submission as one transaction.

Tokens: the resident holds random tokens (draft, follow-the-case); the database keeps their SHA-256
only. The follow token is derived from the draft token with the installation's secret, so a repeated
submit of the same draft (double click, reload, a second tab) can be sent to the same receipt page
without the raw token ever being stored.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import blobs
from app.db import new_token
from app.models import Attachment, CaseEvent, Draft, DraftFile, FormVersion, ReferenceCounter, Submission
from app.services.eservices import definition_of
from eservices.numbering import format_reference
from eservices.schema import FormDefinition
from eservices.snapshot import build_snapshot
from eservices.text import fold
from eservices.validation import FormResult, PageResult, prune, validate_answers

SWEDEN = ZoneInfo("Europe/Stockholm")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def follow_token_for(draft_token: str, secret: str) -> str:
    """The follow-the-case token of the submission made from the draft holding ``draft_token``."""
    return hmac.new(secret.encode("utf-8"), b"follow:" + draft_token.encode("utf-8"), hashlib.sha256).hexdigest()


def start_draft(
    session: Session, version: FormVersion, locale: str, now: datetime, ttl: timedelta
) -> tuple[Draft, str]:
    """A new, empty draft of ``version`` and the token that opens it."""
    token = new_token()
    draft = Draft(
        token_hash=token_hash(token),
        form_version=version,
        answers={},
        locale=locale,
        reached=0,
        created_at=now,
        updated_at=now,
        expires_at=now + ttl,
    )
    session.add(draft)
    session.flush()
    return draft, token


def find_draft(session: Session, token: str, now: datetime) -> Draft | None:
    """The draft ``token`` opens, unless it has expired."""
    draft = session.scalar(select(Draft).where(Draft.token_hash == token_hash(token)))
    if draft is None or draft.expires_at <= now:
        return None
    return draft


def save_page(session: Session, draft: Draft, result: PageResult, page_fields: list[str], now: datetime) -> None:
    """Store one page's accepted values (and new files); answers of the page's fields not given are cleared.

    Input that was not accepted (``result.errors``) is kept as typed in ``draft.pending``, so going back
    or saving for later loses nothing; it is checked again when the page is sent forward.
    """
    draft.pending = {
        **{name: raw for name, raw in draft.pending.items() if name not in page_fields},
        **{name: result.raw[name] for name in result.errors if result.raw.get(name)},
    }
    answers = {name: value for name, value in draft.answers.items() if name not in page_fields}
    for name, value in result.values.items():
        upload = result.uploads.get(name)
        if upload is not None:
            for old in [f for f in draft.files if f.field_name == name]:
                draft.files.remove(old)
            stored = DraftFile(
                field_name=name,
                filename=value["filename"],
                content_type=value["content_type"],
                size=value["size"],
                sha256=value["sha256"],
                created_at=now,
                **blobs.keep(session, upload.content),
            )
            draft.files.append(stored)
            session.flush()
            value = {**value, "draft_file_id": stored.id}
        answers[name] = value
    kept_files = {value.get("draft_file_id") for value in answers.values() if isinstance(value, dict)}
    for old in [f for f in draft.files if f.id not in kept_files and f.field_name in page_fields]:
        draft.files.remove(old)
    draft.answers = answers
    draft.updated_at = now


def mark_saved(draft: Draft, now: datetime, ttl: timedelta) -> None:
    """The resident asked to continue later: the draft is kept for ``ttl`` from now."""
    draft.saved_at = now
    draft.expires_at = now + ttl


class FormIncomplete(Exception):
    """The answers are not complete or no longer valid; ``result`` says where."""

    def __init__(self, result: FormResult) -> None:
        super().__init__("form incomplete")
        self.result = result


@dataclass(frozen=True)
class Filed:
    submission: Submission
    #: False when this draft had already been submitted (a repeated post) and the first filing is returned
    new: bool


def allocate_reference(session: Session, prefix: str, year: int) -> str:
    """The next reference of ``year``, allocated in the caller's transaction, so it is gap-free.

    The counter row is locked by the UPDATE until the transaction ends; a rolled-back filing gives its
    number back.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(ReferenceCounter).values(prefix=prefix, year=year, last=0).on_conflict_do_nothing())
    sequence = session.scalar(
        update(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .values(last=ReferenceCounter.last + 1)
        .returning(ReferenceCounter.last)
    )
    assert sequence is not None
    return format_reference(prefix, year, sequence)


def submit(
    session: Session,
    draft: Draft,
    *,
    follow_token: str,
    prefix: str,
    translate: Callable[[str, str], str],
    now: datetime,
) -> Filed:
    """File ``draft`` as a case: submission, snapshot, attachments, reference and first event, or nothing.

    Raises :class:`FormIncomplete` when an answer is missing or no longer valid. A draft that was
    already filed returns that filing (``new`` False), also when two requests race: the unique
    ``draft_key`` lets exactly one insert win.
    """
    if draft.submission_id is not None:
        existing = session.get(Submission, draft.submission_id)
        assert existing is not None
        return Filed(existing, new=False)
    version = draft.form_version
    definition = definition_of(version)
    checked = validate_answers(definition, draft.answers, now.astimezone(SWEDEN).date())
    if not checked.ok:
        raise FormIncomplete(checked)
    try:
        with session.begin_nested():
            submission = _file(session, draft, definition, checked.answers, follow_token, prefix, translate, now)
    except IntegrityError:
        existing = session.scalar(select(Submission).where(Submission.draft_key == draft.token_hash))
        if existing is None:
            raise
        return Filed(existing, new=False)
    draft.submission_id = submission.id
    draft.answers = {}
    draft.files.clear()
    return Filed(submission, new=True)


def _file(
    session: Session,
    draft: Draft,
    definition: FormDefinition,
    answers: Mapping[str, Any],
    follow_token: str,
    prefix: str,
    translate: Callable[[str, str], str],
    now: datetime,
) -> Submission:
    reference = allocate_reference(session, prefix, now.astimezone(SWEDEN).year)
    files = {f.id: f for f in draft.files}
    attachments = []
    clean_answers = dict(answers)
    for name, value in answers.items():
        if isinstance(value, dict) and "draft_file_id" in value:
            stored = files[value["draft_file_id"]]
            attachments.append(
                Attachment(
                    field_name=name,
                    filename=stored.filename,
                    content_type=stored.content_type,
                    size=stored.size,
                    sha256=stored.sha256,
                    # The same bytes: the attachment takes over the draft file's row bytes or store key.
                    content=stored.content,
                    storage_key=stored.storage_key,
                )
            )
            clean_answers[name] = {key: v for key, v in value.items() if key != "draft_file_id"}
    snapshot = build_snapshot(
        definition,
        clean_answers,
        locale=draft.locale,
        translate=translate,
        reference=reference,
        submitted_at=now,
        form_version=draft.form_version.number,
        attachments=[
            {
                "field": a.field_name,
                "filename": a.filename,
                "size": a.size,
                "sha256": a.sha256,
                "content_type": a.content_type,
            }
            for a in attachments
        ],
    )
    email = next(
        (
            value
            for name, value in prune(definition, clean_answers).items()
            if definition.fields[name].type.name == "email"
        ),
        None,
    )
    submission = Submission(
        reference=reference,
        eservice_id=draft.form_version.eservice_id,
        form_version_id=draft.form_version_id,
        draft_key=draft.token_hash,
        locale=draft.locale,
        submitted_at=now,
        status=Submission.RECEIVED,
        snapshot=snapshot,
        follow_token_hash=token_hash(follow_token),
        email=email,
        search_text=search_text_of(snapshot),
        attachments=attachments,
        events=[CaseEvent(at=now, kind=CaseEvent.RECEIVED, data={"reference": reference})],
    )
    session.add(submission)
    session.flush()
    return submission


def search_text_of(snapshot: Mapping[str, Any]) -> str:
    """The reference and every answer as shown, folded for case- and diacritic-free search."""
    parts = [str(snapshot["reference"])]
    for page in snapshot["pages"]:
        for field in page["fields"]:
            parts.extend(str(text) for text in field["display"].values() if text)
            if isinstance(field["value"], str):
                parts.append(field["value"])  # 12-digit personnummer, e-mail as stored
    return fold(" ".join(parts))


def find_by_follow_token(session: Session, token: str) -> Submission | None:
    return session.scalar(select(Submission).where(Submission.follow_token_hash == token_hash(token)))


def purge_expired_drafts(session: Session, now: datetime) -> int:
    """Delete drafts past their expiry (their files go with them); returns how many."""
    expired = session.scalars(select(Draft).where(Draft.expires_at <= now)).all()
    for draft in expired:
        session.delete(draft)
    return len(expired)

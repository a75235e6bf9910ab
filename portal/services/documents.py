"""Uploaded documents: storage, upload, and the extraction job's state.

A file is stored content-addressed (``<UPLOAD_FOLDER>/ab/cd/<sha256>``, no
extension, outside ``static/``) and its ``Document`` row is committed before
the extraction task is enqueued, so nothing is lost if the queue is. The row
owns the job's state::

    queued --begin_reading--> reading --finish_reading--> needs_review
                                 |                    \\-> failed ("could not read")
                                 \\-- worker died: sweep() puts it back to queued
                                     (after MAX_ATTEMPTS: failed, still reviewable)
    failed for want of OCR (ocr_unavailable, timeout) --retry_failed_readings-->
        queued, once a consumer's own Tesseract answers (MAX_ATTEMPTS in all)

Every transition is a conditional UPDATE on the current state, so a task
delivered twice, or a sweeper racing a slow worker, changes the row once.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy import select, update

from intake import badge
from portal.extensions import db
from portal.models import (ApiToken, Credential, Document, Extraction, Person, User, Verification, VerificationImport,
                           utcnow)
from portal.policies.file_names import EXTENSIONS, display_name
from portal.services import api_tokens, audit, learning, upload_quota

log = logging.getLogger(__name__)

# What the pipeline reads. GIF/BMP/WebP are sniffed but not certificates.
ACCEPTED_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/tiff": "TIFF",
    "image/heic": "HEIC",
    # Open Badges and verifiable credentials stated as text: given these types
    # only when the file is a badge (intake.badge.badge_media_type).
    badge.SVG: "badge (SVG)",
    badge.JSON: "badge (JSON)",
    badge.JWT: "credential (JWT)",
}
# What a browser could run script from: always sent back as bytes to save, never drawn.
ACTIVE_TYPES = {badge.SVG}
# What the isolated reader draws as a page image for the review screen: all but the text badges.
RENDERED_TYPES = ACCEPTED_TYPES.keys() - set(badge.TEXT_BADGE_TYPES)
# The file picker offers what is accepted, by extension and by media type.
ACCEPT_ATTRIBUTE = ",".join([ext for media in ACCEPTED_TYPES for ext in EXTENSIONS[media]] + list(ACCEPTED_TYPES))
MAX_ATTEMPTS = 3
# A reading that has not finished after this long lost its worker. The
# extraction itself is killed at EXTRACT_TIMEOUT, so this leaves a margin.
EXTRACT_TIMEOUT = 120
STUCK_AFTER = timedelta(minutes=10)
# A queued row whose task never arrived (queue flushed, crash between commit
# and enqueue) is enqueued again after this long.
LOST_IN_QUEUE_AFTER = timedelta(minutes=15)
# An interrupted reading is put on the queue's schedule this far ahead, not
# on the queue itself: an idle worker of the consumer that is exiting would
# take it at once (RedisHuey's BRPOP is served as the push lands) and die
# with it. By then that consumer is gone and the next one's scheduler moves
# it to the queue (jobs.documents.extract_later).
REQUEUE_INTERRUPTED_DELAY = 10
# Failures that say nothing about the file: no Tesseract on the consumer,
# or OCR too slow (a busy machine). Read again once OCR works.
RETRY_WHEN_OCR_WORKS = ("ocr_unavailable", "timeout")
PREVIEW_PAGES = 3
CHUNK = 1024 * 1024


class UploadRefused(Exception):
    """An upload the portal will not store, with a message for the person."""

    def __init__(self, code: str, message: str, existing: Document | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.existing = existing


# --------------------------------------------------------------------------- storage


def upload_root() -> Path:
    root = Path(current_app.config["UPLOAD_FOLDER"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def stored_path(sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a sha256 hex digest")
    return upload_root() / sha256[:2] / sha256[2:4] / sha256


def max_upload_bytes() -> int:
    return int(current_app.config.get("MAX_UPLOAD_BYTES") or current_app.config["MAX_CONTENT_LENGTH"])


def _limit_mb() -> str:
    return f"{max_upload_bytes() / (1024 * 1024):.0f} MB"


@dataclass
class StoredFile:
    sha256: str
    size: int
    path: Path
    media_type: str | None


def store(stream: IO[bytes]) -> StoredFile:
    """Copy ``stream`` into the store (hashing as it goes) and sniff its type.

    Refuses empty and oversize files before anything is kept.
    """
    from intake import sniff

    root = upload_root()
    (root / "tmp").mkdir(exist_ok=True)
    limit = max_upload_bytes()
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(dir=root / "tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadRefused("too_large", f"This file is larger than the {_limit_mb()} limit.")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadRefused("empty", "This file is empty.")
        media_type = sniff(tmp_name) or badge.badge_media_type(tmp_name)
        sha = digest.hexdigest()
        final = stored_path(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, final)
            final.chmod(0o640)
        return StoredFile(sha, size, final, media_type)
    except BaseException as exc:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise UploadRefused("disk_full", "The portal has no room left to store files, so this one was "
                                "not saved (nothing was kept). Try again later; the administrators are "
                                "told by the health check.") from exc
        raise


def safe_name(name: str | None) -> str:
    """A display name for an uploaded file: no path, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return name[:200] or "document"


def download_name(document: Document) -> str:
    """The shown name (the sniffed type's extension), safe in a header."""
    stem, dot, ext = display_name(safe_name(document.original_name), document.media_type).rpartition(".")
    stem = re.sub(r'[<>:"/\\|?*;]+', "_", stem if dot else ext).strip("_ ") or "document"
    return stem + (f".{ext}" if dot else "")


# --------------------------------------------------------------------------- upload


def duplicate_of(person_id: int, sha256: str) -> Document | None:
    """This person's earlier upload of the same bytes, if any (not rejected ones)."""
    return db.session.scalar(
        select(Document)
        .where(Document.person_id == person_id, Document.sha256 == sha256, Document.state != "rejected")
        .order_by(Document.id)
        .limit(1)
    )


def _check_quota(uploader_is, size: int | None = None) -> None:
    message = upload_quota.refusal(uploader_is, size) if uploader_is is not None else None
    if message:
        raise UploadRefused("quota", message)


def upload(
    stream: IO[bytes],
    filename: str | None,
    person: Person,
    uploader: User | None,
    credential_type_id: int | None = None,
    renews: Credential | None = None,
    source: str = "portal",
    api_token: ApiToken | None = None,
) -> Document:
    """Store a file for ``person`` and queue it for reading.

    Raises ``UploadRefused`` (too large, empty, wrong type, duplicate, over
    the uploader's quota) with a message for the uploader. The row is
    committed before the task is enqueued; the task only carries the id.
    """
    uploader_is = upload_quota.uploads_of(uploader, api_token)
    _check_quota(uploader_is)  # over the hour's files or the day's bytes: refused before anything is stored
    stored = store(stream)
    if stored.media_type not in ACCEPTED_TYPES:
        _forget_if_unused(stored)
        kinds = ", ".join(ACCEPTED_TYPES.values())
        raise UploadRefused("wrong_type", f"This is not a certificate file we can read. Upload a {kinds}.")
    existing = duplicate_of(person.id, stored.sha256)
    if existing is not None:
        raise UploadRefused(
            "duplicate",
            f"You already uploaded this file on {existing.created_at:%d %b %Y} "
            f"(“{existing.display_name}”).",
            existing=existing,
        )
    try:
        _check_quota(uploader_is, stored.size)  # the day's bytes, now that the size is known
    except UploadRefused:
        _forget_if_unused(stored)
        raise
    if renews is not None:
        if renews.person_id != person.id:
            raise UploadRefused("wrong_credential", "That credential belongs to someone else.")
        credential_type_id = renews.credential_type_id
    now = utcnow()
    document = Document(
        sha256=stored.sha256,
        original_name=safe_name(filename),
        media_type=stored.media_type,
        size_bytes=stored.size,
        person_id=person.id,
        uploaded_by_id=uploader.id if uploader else None,
        api_token_id=api_token.id if api_token else None,
        source=source,
        renews_credential_id=renews.id if renews else None,
        credential_type_id=credential_type_id,
        state="queued",
        queued_at=now,
    )
    db.session.add(document)
    db.session.flush()
    audit.record(
        "document.uploaded", document, actor=uploader,
        after=audit.snapshot(document, ("original_name", "media_type", "size_bytes", "sha256", "person_id",
                                        "credential_type_id", "renews_credential_id")),
    )
    if api_token is not None:  # the upload is audited as its uploader; say which integration sent it
        token = api_tokens.actor_label(api_token)
        audit.record("document.uploaded_via_api", document, after={"token": token}, actor=token)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        _forget_if_unused(stored)  # no row points at the file: do not keep it
        raise
    enqueue(document.id)
    return document


def _forget_if_unused(stored: StoredFile) -> None:
    """Drop a refused upload's file, unless the same bytes are kept for a document, a roster import
    or as a check's evidence (the store is content-addressed: a roster CSV or a badge given for a
    check, sent again as a certificate, is the same file)."""
    for digest in (Document.sha256, VerificationImport.sha256, Verification.evidence_sha256):
        if db.session.scalar(select(digest).where(digest == stored.sha256).limit(1)) is not None:
            return
    stored.path.unlink(missing_ok=True)


def enqueue(document_id: int, delay: int | None = None) -> None:
    from jobs.documents import extract_document, extract_later

    if delay:
        extract_later(document_id, delay)
    else:
        extract_document(document_id)


# --------------------------------------------------------------------------- the job


def begin_reading(document_id: int) -> Document | None:
    """queued -> reading, once. None when the row is not queued any more."""
    now = utcnow()
    result = db.session.execute(
        update(Document)
        .where(Document.id == document_id, Document.state == "queued")
        .values(state="reading", started_at=now, attempts=Document.attempts + 1,
                version=Document.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.get(Document, document_id, populate_existing=True)


def read(document_id: int) -> Document | None:
    """The extraction task's body: read the file in an isolated process, once.

    The reader is handed what reviewers taught (``learning.for_reading``):
    the hints of the issuer of the credential the uploader named, or else
    every taught issuer's hints, of which it applies those of the issuer it
    reads to the pages it has read.
    """
    import intake

    document = begin_reading(document_id)
    if document is None:
        return None
    path = str(stored_path(document.sha256))
    try:
        hints, taught = learning.for_reading(document)
        result = intake.extract_isolated(path, hints or None, timeout=EXTRACT_TIMEOUT, taught=taught)
    except Exception as exc:  # never leave a document "reading" because of a bug
        log.exception("reading document %s failed", document_id)
        db.session.rollback()
        fail(document_id, "internal", f"The document could not be processed ({type(exc).__name__}).")
        return db.session.get(Document, document_id)
    return _store_reading(document_id, result, result.hints_used)


def _store_reading(document_id: int, result, hints_used: int) -> Document | None:
    """finish_reading, tried twice (a conflicting write, a dropped connection),
    then the document is failed rather than left "reading" for the sweeper."""
    for attempt in (1, 2):
        try:
            return finish_reading(document_id, result, hints_used=hints_used)
        except Exception as exc:
            log.exception("storing the reading of document %s failed (attempt %s)", document_id, attempt)
            db.session.rollback()
            error = exc
    fail(document_id, "internal", f"The reading could not be stored ({type(error).__name__}).")
    return db.session.get(Document, document_id)


def finish_reading(document_id: int, result, hints_used: int = 0) -> Document | None:
    """Store what was read; reading -> needs_review, or failed with the error."""
    document = db.session.get(Document, document_id, populate_existing=True)
    if document is None or document.state != "reading":
        return None
    data = result.to_dict()
    fields = {k: data.get(k) for k in ("issuer", "holder_name", "license_number", "credential_type",
                                       "issue_date", "expiry_date", "expiry_predicted", "issuer_code",
                                       "credential_type_code", "rotations", "codes",  # QR/barcodes, for verification
                                       # how the dates were read, for the reviewer (intake.model.Extraction)
                                       "date_order", "date_order_reason", "ambiguous")}
    error = data.get("error") or None
    extraction = Extraction(
        document_id=document.id,
        fields=fields,
        confidence=data.get("confidence") or {},
        evidence=data.get("evidence") or {},
        method=data.get("method"),
        pages=data.get("pages") or None,
        seconds=data.get("seconds"),
        error_code=error["code"] if error else None,
        error_message=error["message"] if error else None,
        hints_used=hints_used,
    )
    db.session.add(extraction)
    before = audit.snapshot(document, ("state", "credential_type_id"))
    document.pages = extraction.pages
    document.finished_at = utcnow()
    if error:
        document.state = "failed"
        document.last_error_code, document.last_error = error["code"], error["message"]
    else:
        document.state = "needs_review"
        document.last_error_code = document.last_error = None
        if document.credential_type_id is None:
            document.credential_type_id = learning.proposed_type_id(fields)
    audit.record("document.read", document, actor="system", before=before,
                 after={**audit.snapshot(document, ("state", "credential_type_id")),
                        "error": error, "hints_used": hints_used})
    db.session.commit()
    if not error:
        # After the commit, in no transaction: drawing a page may take as long
        # as the isolated reader allows, and must not hold the write lock.
        cache_previews(document, fields.get("rotations") or [])
    return document


def fail(document_id: int, code: str, message: str) -> None:
    """Mark a document that cannot be read after all (kept for review)."""
    document = db.session.get(Document, document_id, populate_existing=True)
    if document is None or document.state not in ("queued", "reading"):
        return
    before = audit.snapshot(document, ("state",))
    document.state = "failed"
    document.finished_at = utcnow()
    document.last_error_code, document.last_error = code, message
    db.session.add(Extraction(document_id=document.id, error_code=code, error_message=message))
    audit.record("document.read", document, actor="system", before=before,
                 after={"state": "failed", "error": {"code": code, "message": message}})
    db.session.commit()


# --------------------------------------------------------------------------- sweeper


def sweep(now=None) -> dict[str, list[int]]:
    """Recover work a dead worker or a lost task left behind.

    A document "reading" for longer than STUCK_AFTER goes back to "queued"
    (or to "failed" after MAX_ATTEMPTS) and is enqueued again; a document
    "queued" for longer than LOST_IN_QUEUE_AFTER is enqueued again. Each
    recovery is a conditional UPDATE, so two sweepers recover a row once.
    """
    now = now or utcnow()
    recovered, gave_up, requeued = [], [], []
    stuck = db.session.scalars(
        select(Document.id).where(Document.state == "reading", Document.started_at < now - STUCK_AFTER)
    ).all()
    for document_id in stuck:
        document = db.session.get(Document, document_id)
        if document.attempts >= MAX_ATTEMPTS:
            changed = _move(document_id, "reading", Document.started_at < now - STUCK_AFTER, state="failed", finished_at=now,
                            last_error_code="worker_lost",
                            last_error=f"Reading stopped {document.attempts} times without finishing "
                                       "(the worker died). Review the document by hand.")
            if changed:
                db.session.add(Extraction(document_id=document_id, error_code="worker_lost",
                                          error_message="The reading worker died repeatedly."))
                audit.record("document.recovered", document, actor="system", before={"state": "reading"},
                             after={"state": "failed", "attempts": document.attempts})
                gave_up.append(document_id)
        elif _move(document_id, "reading", Document.started_at < now - STUCK_AFTER, state="queued", queued_at=now, started_at=None,
                   last_error_code="worker_lost", last_error="The worker reading this document stopped."):
            audit.record("document.recovered", document, actor="system", before={"state": "reading"},
                         after={"state": "queued", "attempts": document.attempts})
            recovered.append(document_id)
    db.session.commit()
    lost = db.session.scalars(
        select(Document.id).where(Document.state == "queued", Document.queued_at < now - LOST_IN_QUEUE_AFTER)
    ).all()
    for document_id in lost:
        if _move(document_id, "queued", Document.queued_at < now - LOST_IN_QUEUE_AFTER, queued_at=now):
            requeued.append(document_id)
    db.session.commit()
    for document_id in recovered + requeued:
        enqueue(document_id)
    return {"recovered": recovered, "failed": gave_up, "requeued": requeued}


def retry_failed_readings(now=None) -> list[int]:
    """failed -> queued (and enqueued) for readings that failed for want of
    OCR, while a document has readings left (MAX_ATTEMPTS in all). Call it
    where a consumer's own Tesseract answers; each retry is audited and the
    failed reading's Extraction row stays."""
    now = now or utcnow()
    retryable = (Document.last_error_code.in_(RETRY_WHEN_OCR_WORKS), Document.attempts < MAX_ATTEMPTS)
    candidates = db.session.scalars(select(Document).where(Document.state == "failed", *retryable)).all()
    retried = []
    for document in candidates:
        code, reading = document.last_error_code, document.attempts + 1
        note = (f"Read again (reading {reading} of {MAX_ATTEMPTS}) now that text recognition works; "
                f"the last reading failed: {document.last_error}")
        if _move(document.id, "failed", *retryable, state="queued", queued_at=now, started_at=None,
                 finished_at=None, last_error=note[:2000]):
            audit.record("document.retried", document, actor="system",
                         before={"state": "failed", "error_code": code},
                         after={"state": "queued", "reading": reading, "of": MAX_ATTEMPTS})
            retried.append(document.id)
    db.session.commit()
    for document_id in retried:
        enqueue(document_id)
    return retried


def requeue_interrupted(document_id: int) -> bool:
    """reading -> queued (and scheduled) for a reading its consumer interrupted."""
    now = utcnow()
    moved = _move(document_id, "reading", state="queued", queued_at=now, started_at=None,
                  last_error_code="interrupted", last_error="The consumer stopped while reading this document.")
    db.session.commit()
    if moved:
        enqueue(document_id, delay=REQUEUE_INTERRUPTED_DELAY)
    return moved


def _move(document_id: int, from_state: str, *conditions, **values) -> bool:
    """Change a row only if it is still in ``from_state`` (and ``conditions``)."""
    result = db.session.execute(
        update(Document)
        .where(Document.id == document_id, Document.state == from_state, *conditions)
        .values(version=Document.version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return result.rowcount == 1


# --------------------------------------------------------------------------- previews


def preview_path(document: Document, page: int) -> Path:
    folder = Path(current_app.instance_path) / "page-cache" / document.sha256[:2]
    return folder / f"{document.sha256}-p{page}.png"


def rotations(document: Document) -> list[int]:
    extraction = document.latest_extraction
    return list((extraction.fields or {}).get("rotations") or []) if extraction else []


def preview_timeout() -> float:
    return float(current_app.config.get("PREVIEW_TIMEOUT", 30))


def cache_previews(document: Document, turns: list[int]) -> None:
    """Render the first pages for the review screen (in the job, not the web),
    then record ``preview_state``: "ready", or "failed" when a page could not
    be drawn within the reader's limits (the review works without it)."""
    if document.media_type not in RENDERED_TYPES:
        return  # a badge stated as text (an SVG among them) is never drawn: no preview
    pages = min(document.pages or 1, PREVIEW_PAGES)
    state = "ready"
    for page in range(1, pages + 1):
        try:
            preview(document, page, turns)
        except Exception as exc:
            log.warning("could not render page %s of document %s: %s", page, document.id, exc)
            state = "failed"
            break
    # The version is left alone: a preview is no change to what a reviewer
    # decides on, so a review page opened while it was drawn stays current.
    db.session.execute(
        update(Document).where(Document.id == document.id)
        .values(preview_state=state)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.expire(document)


def preview(document: Document, page: int, turns: list[int] | None = None) -> Path:
    """The cached PNG of ``page`` (rendered once, with the reading's rotation,
    by the isolated reader under its memory and time limits)."""
    import intake

    target = preview_path(document, page)
    if target.exists():
        return target
    turns = rotations(document) if turns is None else turns
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        intake.render_isolated(str(stored_path(document.sha256)), page, tmp, dpi=110,
                               rotation=turns[page - 1] if page <= len(turns) else 0,
                               max_side=1400, timeout=preview_timeout())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def served_type(document: Document) -> str:
    """The Content-Type a download is sent with: bytes to save for anything a browser could run."""
    known = document.media_type in ACCEPTED_TYPES and document.media_type not in ACTIVE_TYPES
    return document.media_type if known else "application/octet-stream"


def can_preview(document: Document) -> bool:
    """Only files the pipeline read without trouble, and whose pages could be
    drawn in time, are rendered on demand."""
    extraction = document.latest_extraction
    return (document.media_type in RENDERED_TYPES and bool(extraction) and extraction.error_code is None
            and document.preview_state != "failed")


# --------------------------------------------------------------------------- queries


def recent_for_person(person_id: int, limit: int = 10) -> list[Document]:
    return list(db.session.scalars(
        select(Document).where(Document.person_id == person_id).order_by(Document.created_at.desc()).limit(limit)
    ))


def same_file_elsewhere(document: Document) -> list[Document]:
    """Other documents with the same bytes (any person)."""
    return list(db.session.scalars(
        select(Document).where(Document.sha256 == document.sha256, Document.id != document.id).order_by(Document.id)
    ))

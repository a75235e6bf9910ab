"""How much one uploader may send: files per hour and bytes per day.

Counted from the documents they stored (every accepted upload is a row), so
all web workers and the API agree without counters of their own. The
windows roll (the last hour, the last 24 hours). A setting of 0 turns that
limit off. Reviewers' own additions (registry.add_manual) are not uploads.
"""
from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Document, utcnow

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _wait(oldest, window: timedelta, now) -> str:
    minutes = max(1, math.ceil((oldest + window - now).total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes < 120 else f"{round(minutes / 60)} hours"


def uploads_of(uploader, api_token):
    """The condition naming an uploader's documents: a signed-in user's, else
    an API token's; None for neither (nothing to count)."""
    if uploader is not None:
        return Document.uploaded_by_id == uploader.id
    return Document.api_token_id == api_token.id if api_token is not None else None


def refusal(uploader_is, size: int | None = None) -> str | None:
    """Why the uploader (``uploader_is``: a condition naming their documents)
    may not upload now, as a sentence; None when they may. Without ``size``
    (before the file is stored): too many files in the last hour, or the day's
    bytes already spent; with it: those bytes would pass the day's budget."""
    now = utcnow()
    if size is None:
        return _too_many_files(uploader_is, now) or _too_many_bytes(uploader_is, 0, now)
    return _too_many_bytes(uploader_is, size, now)


def _too_many_files(uploader_is, now) -> str | None:
    per_hour = int(current_app.config["UPLOADS_PER_HOUR"])
    if not per_hour:
        return None
    count, oldest = db.session.execute(
        select(func.count(), func.min(Document.created_at)).where(uploader_is, Document.created_at > now - HOUR)
    ).one()
    if count < per_hour:
        return None
    return (f"You have uploaded {count} files in the last hour, the most the portal takes; "
            f"try again in {_wait(oldest, HOUR, now)}. Nothing was kept.")


def _too_many_bytes(uploader_is, size: int, now) -> str | None:
    per_day = int(current_app.config["UPLOAD_BYTES_PER_DAY"])
    if not per_day:
        return None
    used, oldest = db.session.execute(
        select(func.coalesce(func.sum(Document.size_bytes), 0), func.min(Document.created_at))
        .where(uploader_is, Document.created_at > now - DAY)
    ).one()
    if used + size <= per_day:
        return None
    return (f"This file would take your uploads past the {_mb(per_day)} a day the portal takes "
            f"({_mb(used)} in the last 24 hours); try again in {_wait(oldest or now, DAY, now)}, "
            "or send a smaller scan. Nothing was kept.")

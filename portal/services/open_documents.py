"""Which open document counts for a credential type: the one rule, in SQL.

A document still on its way to a decision (``OPEN_STATES``: queued, being
read, waiting for review, unreadable, parked for a new type) counts for the
type it is for: the type named at upload or proposed by its reading
(``Document.credential_type_id``), or, when it names none, the type of the
credential it renews. One type per document, whoever asks: the compliance
engine (a requirement "waiting for review"), the employee's overview, the
reminder scan and sender (a holder's reminder waits while a document for
its type does) and the review queue's type filter (``documents``, any state).
"""
from __future__ import annotations

from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from portal.extensions import db
from portal.models import Credential, Document
from portal.models.documents import OPEN_STATES

RENEWED = aliased(Credential, name="renewed_by_document")
# The type a document is for (select or compare it in ``documents`` / ``open_documents``).
TYPE_ID = func.coalesce(Document.credential_type_id, RENEWED.credential_type_id)


def documents(*columns) -> Select:
    """``select(*columns)`` over documents, where ``TYPE_ID`` may be selected or compared."""
    return select(*columns).select_from(Document).outerjoin(RENEWED, RENEWED.id == Document.renews_credential_id)


def open_documents(*columns) -> Select:
    """``documents(*columns)`` still on their way to a decision."""
    return documents(*columns).where(Document.state.in_(OPEN_STATES))


def open_for(person_id, type_id) -> ColumnElement[bool]:
    """SQL: ``person_id`` has an open document counting for ``type_id`` (columns
    of the enclosing query, which this EXISTS correlates to)."""
    return (open_documents(literal(1)).where(Document.person_id == person_id, TYPE_ID == type_id)
            .correlate_except(Document, RENEWED).exists())


def pending_types(*where) -> dict[int, set[int]]:
    """Person id -> the types their open documents count for (``where``: which documents)."""
    pending: dict[int, set[int]] = {}
    for person_id, type_id in db.session.execute(open_documents(Document.person_id, TYPE_ID).where(*where)):
        if type_id is not None:
            pending.setdefault(person_id, set()).add(type_id)
    return pending

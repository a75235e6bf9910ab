"""The HR reviewer's work: the queue, claims, and confirm / correct / reject.

Confirming a document creates the registry record (or renews one: the older
active record of the same type for the same person is superseded, which is
how a renewal is verified and its reminders stop). Every field the reviewer
changed from what the pipeline read is recorded on the decision's audit
event, and a job turns it into an ``IssuerHint`` so the next document from
that issuer is read better (``portal.services.learning`` keeps what reviewers teach).

Two reviewers cannot both decide one document: decisions check the version
the reviewer saw (and the ORM's version column checks it again at UPDATE
time), so the second gets ``ReviewConflict`` and nothing is written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.errors import Invalid
from portal.extensions import db
from portal.models import (
    Credential,
    CredentialType,
    Document,
    Extraction,
    Notification,
    Person,
    User,
    utcnow,
)
from portal.policies import notification_keys
from portal.policies.dates import predicted_expiry
from portal.routing import parse_id
from portal.services import audit, learning, open_documents
from portal.services import documents as document_service
from portal.services.paging import page_of
from portal.services.word_search import each_word_in

CLAIM_TTL = timedelta(minutes=30)
LOW_CONFIDENCE = 0.75
# Waiting for a new type stays decidable: once the type exists, any reviewer finishes it.
DECIDABLE = ("needs_review", "failed", "type_requested")

QUEUE_STATES = {
    "open": ("Open", ("needs_review", "failed")),
    "needs_review": ("Waiting for review", ("needs_review",)),
    "failed": ("Could not read", ("failed",)),
    "type_requested": ("New type requested", ("type_requested",)),
    "processing": ("Being read", ("queued", "reading")),
    "confirmed": ("Confirmed", ("confirmed",)),
    "rejected": ("Rejected", ("rejected",)),
}


class ReviewConflict(Exception):
    """Someone else decided or claimed the document first."""


CONCURRENT_DECISION = ("Another reviewer decided this document at the same moment. "
                       "Nothing was changed; reload to see their decision.")


def read_type_id(document: Document) -> int | None:
    """The type the reading proposes (the type's confidence badge is about that one)."""
    fields = learning.read_fields(document)
    return learning.proposed_type_id(fields) if fields else None


# --------------------------------------------------------------------------- queue


@dataclass
class QueueFilters:
    state: str = "open"
    department_id: int | None = None
    credential_type_id: int | None = None
    low_confidence: bool = False
    sort: str = "oldest"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "QueueFilters":
        def as_int(name):
            return parse_id(args.get(name))

        state = args.get("state") or "open"
        return cls(
            state=state if state in QUEUE_STATES or state == "all" else "open",
            department_id=as_int("department"),
            credential_type_id=as_int("type"),
            low_confidence=args.get("low") in ("1", "on", "true"),
            sort="newest" if args.get("sort") == "newest" else "oldest",
            page=max(1, as_int("page") or 1),
        )


@dataclass
class QueuePage:
    documents: list[Document]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)


def min_confidence(document: Document) -> float | None:
    extraction = document.latest_extraction
    return None if extraction is None else extraction.min_confidence


def is_low_confidence(document: Document) -> bool:
    value = min_confidence(document)
    return document.state == "failed" or (value is not None and value < LOW_CONFIDENCE)


def _low_confidence_clause():
    """SQL for is_low_confidence: failed, or the latest extraction's least
    sure reviewed field under LOW_CONFIDENCE."""
    latest = (select(func.max(Extraction.id)).where(Extraction.document_id == Document.id)
              .correlate(Document).scalar_subquery())
    unsure = exists().where(Extraction.id == latest, Extraction.min_confidence < LOW_CONFIDENCE)
    return or_(Document.state == "failed", unsure)


def queue(filters: QueueFilters, page_size: int = 25) -> QueuePage:
    query = open_documents.documents(Document).join(Person, Person.id == Document.person_id)
    if filters.state != "all":
        query = query.where(Document.state.in_(QUEUE_STATES[filters.state][1]))
    if filters.department_id:
        query = query.where(Person.department_id == filters.department_id)
    if filters.credential_type_id:
        query = query.where(open_documents.TYPE_ID == filters.credential_type_id)  # a renewal is of its record's type
    if filters.low_confidence:
        query = query.where(_low_confidence_clause())
    order = Document.created_at.asc() if filters.sort == "oldest" else Document.created_at.desc()
    query = query.order_by(order, Document.id).options(
        selectinload(Document.extractions), selectinload(Document.person).selectinload(Person.department),
        selectinload(Document.claimed_by),
    )
    listed = page_of(query, filters.page, page_size)  # a page past the end shows the last one
    return QueuePage(listed.rows, listed.total, listed.page, listed.pages, state_counts())


def state_counts() -> dict[str, int]:
    by_state = dict(db.session.execute(select(Document.state, func.count()).group_by(Document.state)).all())
    return {key: sum(by_state.get(s, 0) for s in states) for key, (_, states) in QUEUE_STATES.items()}


def next_in_queue(after: Document) -> Document | None:
    """The oldest open document other than ``after`` that nobody else holds."""
    cutoff = utcnow() - CLAIM_TTL
    return db.session.scalar(
        select(Document)
        .where(Document.state.in_(("needs_review", "failed")), Document.id != after.id,
               or_(Document.claimed_by_id.is_(None), Document.claimed_at < cutoff))
        .order_by(Document.created_at, Document.id).limit(1)
    )


# --------------------------------------------------------------------------- claims


def claim_holder(document: Document, now=None) -> User | None:
    """Who holds a live claim on the document, if anyone."""
    now = now or utcnow()
    if document.claimed_by_id and document.claimed_at and document.claimed_at > now - CLAIM_TTL:
        return document.claimed_by
    return None


def claim(document: Document, reviewer: User) -> None:
    """Mark the document as being reviewed by ``reviewer`` (for CLAIM_TTL)."""
    now = utcnow()
    if document.state not in DECIDABLE:
        raise ReviewConflict(f"This document is {_state_words(document)}; there is nothing to review.")
    result = db.session.execute(
        update(Document)
        .where(Document.id == document.id, Document.state.in_(DECIDABLE),
               or_(Document.claimed_by_id.is_(None), Document.claimed_by_id == reviewer.id,
                   Document.claimed_at < now - CLAIM_TTL))
        .values(claimed_by_id=reviewer.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(document)
        holder = claim_holder(document)
        raise ReviewConflict(f"{holder.display_name if holder else 'Another reviewer'} is already reviewing "
                             "this document.")
    audit.record("document.claimed", document, actor=reviewer, after={"claimed_by": reviewer.email})
    db.session.commit()
    db.session.refresh(document)


def release(document: Document, reviewer: User) -> None:
    if document.claimed_by_id != reviewer.id:
        return
    db.session.execute(
        update(Document).where(Document.id == document.id, Document.claimed_by_id == reviewer.id)
        .values(claimed_by_id=None, claimed_at=None).execution_options(synchronize_session=False)
    )
    audit.record("document.released", document, actor=reviewer, before={"claimed_by": reviewer.email})
    db.session.commit()
    db.session.refresh(document)


def read_error_sentence(document: Document) -> str:
    """Why the pipeline could not read the document, as a sentence for a
    reviewer (the pipeline's own wording per error code, not the parser's
    raw message such as "PDFium: Data format error")."""
    from intake.errors import MESSAGES

    return MESSAGES.get(document.last_error_code or "") or document.last_error or "The reason was not recorded."


def _state_words(document: Document) -> str:
    return {"confirmed": "already confirmed", "rejected": "already rejected", "queued": "still queued",
            "reading": "still being read"}.get(document.state, document.state)


def _check_decidable(document: Document, reviewer: User, expected_version: int | None) -> None:
    if document.state not in DECIDABLE:
        who = document.reviewed_by.display_name if document.reviewed_by else "another reviewer"
        raise ReviewConflict(f"This document was {_state_words(document)} by {who}. Nothing was changed.")
    if expected_version is not None and document.version != expected_version:
        raise ReviewConflict("This document changed after you opened it. Reload to see the change.")
    holder = claim_holder(document)
    if holder is not None and holder.id != reviewer.id:
        raise ReviewConflict(f"{holder.display_name} is reviewing this document.")


# --------------------------------------------------------------------------- the form


FIELD_LABELS = {
    "holder_name": "Name on the document",
    "license_number": "License / certificate number",
    "issue_date": "Issued on",
    "expiry_date": "Expires on",
}


def proposed_values(document: Document) -> dict[str, Any]:
    """What the form starts with: the pipeline's reading, the uploader, the type."""
    extraction = document.latest_extraction
    fields = dict(extraction.fields or {}) if extraction else {}
    return {
        "person_id": document.person_id,
        "credential_type_id": document.credential_type_id,
        "holder_name": fields.get("holder_name") or "",
        "license_number": fields.get("license_number") or "",
        "issue_date": fields.get("issue_date") or "",
        "expiry_date": "" if fields.get("expiry_predicted") else (fields.get("expiry_date") or ""),
    }


def parse_date(text: str | None) -> date | None:
    text = (text or "").strip()
    return date.fromisoformat(text) if text else None


def validate(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean the review form: (values, errors by field)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "holder_name": (form.get("holder_name") or "").strip()[:200],
        "license_number": (form.get("license_number") or "").strip()[:120] or None,
    }
    for name in ("person_id", "credential_type_id"):
        values[name] = parse_id(form.get(name))
    if values["person_id"] is None or db.session.get(Person, values["person_id"]) is None:
        errors["person_id"] = "Choose the person this credential belongs to."
    ctype = db.session.get(CredentialType, values["credential_type_id"]) if values["credential_type_id"] else None
    if ctype is None:
        errors["credential_type_id"] = "Choose the credential type."
    for name in ("issue_date", "expiry_date"):
        try:
            values[name] = parse_date(form.get(name))
        except ValueError:
            errors[name] = "Enter a date as YYYY-MM-DD."
    if not errors.get("issue_date") and not errors.get("expiry_date"):
        # contradictions between the dates are confirmation checks (portal.policies.confirmation)
        if ctype is not None and ctype.expires and values["expiry_date"] is None and values["issue_date"] is None:
            errors["expiry_date"] = "Enter the expiry date (or the issue date, to predict it)."
    return values, errors


def corrections(document: Document, values: dict[str, Any]) -> dict[str, Any]:
    """The fields the reviewer changed from what the pipeline read."""
    extraction = document.latest_extraction
    read = dict(extraction.fields or {}) if extraction else {}
    changed = {}
    for name in ("holder_name", "license_number", "issue_date", "expiry_date"):
        new = values.get(name)
        new = new.isoformat() if isinstance(new, date) else (new or None)
        old = read.get(name) or None
        if name == "expiry_date" and read.get("expiry_predicted") and new is None:
            continue
        if (new or "") != (old or ""):
            changed[name] = new
    return changed


# --------------------------------------------------------------------------- decisions


def confirm(document: Document, reviewer: User, form: dict[str, Any], expected_version: int | None) -> Credential:
    """Create (or renew) the credential the document proves.

    Raises ``Invalid`` with errors per field, or ``ReviewConflict``.
    """
    _check_decidable(document, reviewer, expected_version)
    values, errors = validate(form)
    if errors:
        raise Invalid.each(errors)
    from portal.services import checks

    clearance = checks.clear(form, checks.evaluate(values, document))
    ctype = db.session.get(CredentialType, values["credential_type_id"])
    expires, predicted = values["expiry_date"], False
    if expires is None and ctype.expires:
        expires, predicted = predicted_expiry(values["issue_date"], ctype.validity_months), True
    changed = corrections(document, values)
    before = {**audit.snapshot(document, ("state", "person_id", "credential_type_id")),
              "read": {k: (document.latest_extraction.fields or {}).get(k) for k in FIELD_LABELS}
              if document.latest_extraction else None}
    now = utcnow()
    credential = Credential(
        person_id=values["person_id"], credential_type_id=ctype.id, license_number=values["license_number"],
        issued_on=values["issue_date"], expires_on=expires, expiry_predicted=predicted, state="active",
        source="document", verified=True, verified_by_id=reviewer.id, verified_at=now,
        source_document_id=document.id,
    )
    try:
        document.state = "confirmed"
        document.person_id = values["person_id"]
        document.credential_type_id = ctype.id
        document.reviewed_by_id, document.reviewed_at = reviewer.id, now
        document.claimed_by_id = document.claimed_at = None
        db.session.flush()  # the version check: a second reviewer's UPDATE matches no row
        db.session.add(credential)
        db.session.flush()
        document.credential_id = credential.id
        learning.learn_type_choice(document, ctype.id, reviewer)
        # kept as history: the newer record stays current, whatever the upload said it renews
        superseded = supersede_older(credential, None if clearance.as_history else document.renews_credential_id)
        audit.record("credential.created", credential, actor=reviewer,
                     after=audit.snapshot(credential, CREDENTIAL_FIELDS))
        audit.record("document.confirmed", document, actor=reviewer, before=before, after={
            **audit.snapshot(document, ("state", "person_id", "credential_type_id", "credential_id")),
            "values": {k: values[k] for k in FIELD_LABELS}, "corrections": changed,
            "superseded": [c.id for c in superseded], **clearance.audit(credential.state == "superseded"),
        })
        _emit_confirmed(credential)
        _notify_confirmed(document, credential)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ReviewConflict(CONCURRENT_DECISION) from None
    if any(name in learning.HINT_FIELDS for name in changed):
        from jobs.documents import learn_from_review

        learn_from_review(document.id)
    return credential


CREDENTIAL_FIELDS = ("person_id", "credential_type_id", "license_number", "issued_on", "expires_on",
                     "expiry_predicted", "state", "source", "verified", "source_document_id", "superseded_by_id",
                     "notes")


def supersede_older(credential: Credential, renews_id: int | None = None) -> list[Credential]:
    """Make ``credential`` the active record of its type for its person.

    Active records of the same type that expire no later than the new one
    (and the record the upload said it renews) become "superseded" by it.
    If an active record expires later, the new one is an older certificate:
    it is kept as history, superseded by that record.
    """
    others = list(db.session.scalars(
        select(Credential).where(
            Credential.person_id == credential.person_id, Credential.id != credential.id,
            or_(and_(Credential.credential_type_id == credential.credential_type_id, Credential.state == "active"),
                Credential.id == (renews_id or -1)),
        )
    ))
    newest = credential.expires_on or date.max
    later = [c for c in others if c.state == "active" and (c.expires_on or date.max) > newest
             and c.id != renews_id and c.credential_type_id == credential.credential_type_id]
    if later:
        keeper = max(later, key=lambda c: c.expires_on or date.max)
        credential.state, credential.superseded_by_id = "superseded", keeper.id
        return []
    superseded = []
    for old in others:
        if old.state == "superseded" and old.superseded_by_id:
            continue
        before = audit.snapshot(old, ("state", "superseded_by_id"))
        old.state, old.superseded_by_id = "superseded", credential.id
        audit.record("credential.superseded", old, before=before,
                     after=audit.snapshot(old, ("state", "superseded_by_id")))
        superseded.append(old)
    return superseded


def _emit_confirmed(credential: Credential) -> None:
    from portal.services import webhooks

    webhooks.emit("credential.confirmed", f"credential.confirmed:{credential.id}", {
        "credential_id": credential.id, "person_id": credential.person_id,
        "credential_type_id": credential.credential_type_id, "license_number": credential.license_number,
        "issued_on": credential.issued_on, "expires_on": credential.expires_on,
        "source_document_id": credential.source_document_id,
    })


def reject(document: Document, reviewer: User, reason: str, expected_version: int | None) -> Notification | None:
    """Refuse the document with a reason the employee sees and is told about."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise Invalid.each({"reason": "Say why, in a few words the employee will understand."})
    return _decide(document, reviewer, expected_version, "document.rejected", ("state", "reject_reason"), {
        "state": "rejected", "reject_reason": reason[:2000], "reviewed_by_id": reviewer.id, "reviewed_at": utcnow(),
    }, then=lambda: _notify_rejected(document))


def _decide(document: Document, reviewer: User, expected_version: int | None, action: str,
            audited: tuple[str, ...], changes: dict[str, Any], then=None):
    """A reviewer's decision that is not a confirmation: ``changes`` made to the
    document, its claim released, audited as ``action`` (before/after of the
    ``audited`` fields), and ``then()`` (whose result is returned) in the same
    transaction. A decision made meanwhile by someone else: ReviewConflict."""
    _check_decidable(document, reviewer, expected_version)
    before = audit.snapshot(document, audited)
    try:
        for name, value in changes.items():
            setattr(document, name, value)
        document.claimed_by_id = document.claimed_at = None
        db.session.flush()
        audit.record(action, document, actor=reviewer, before=before, after=audit.snapshot(document, audited))
        result = then() if then else None
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ReviewConflict(CONCURRENT_DECISION) from None
    return result


def _notify_confirmed(document: Document, credential: Credential) -> Notification | None:
    """Tell the employee what was recorded from their upload, dates spelled out."""
    from portal.policies.date_reading import spelled
    from portal.services import mailer

    person = credential.person
    email = person.email or (person.user.email if person.user else None)
    if not email:
        return None
    ctype = db.session.get(CredentialType, credential.credential_type_id)
    parts = [ctype.name] + ([f"number {credential.license_number}"] if credential.license_number else [])
    if credential.issued_on:
        parts.append(f"issued {spelled(credential.issued_on)}")
    parts.append(f"valid until {spelled(credential.expires_on)}" + (" (predicted)" if credential.expiry_predicted
                                                                   else "") if credential.expires_on
                 else "with no expiry")
    where = (" It is kept in your history; your newer record stays current."
             if credential.state == "superseded" else "")
    return mailer.queue(Notification(
        unique_key=notification_keys.confirmed_document(document.id),
        kind="review", step="confirmed", person_id=person.id, document_id=document.id,
        credential_type_id=ctype.id, recipient_person_id=person.id, recipient_email=email,
        subject=f"Your certificate “{document.display_name}” was confirmed",
        context={
            "document_id": document.id, "document_name": document.display_name, "person_name": person.full_name,
            "message": f"HR confirmed “{document.display_name}” and recorded: {', '.join(parts)}.{where}",
            "action_url": mailer.public_url("me.credentials"),
        },
    ))


def _notify_rejected(document: Document) -> Notification | None:
    """A "review" Notification for the employee; the mailer sends it after commit."""
    from portal.services import mailer

    person = document.person
    email = person.email or (person.user.email if person.user else None)
    if not email:
        return None
    return mailer.queue(Notification(
        unique_key=notification_keys.rejected_document(document.id, document.version),
        kind="review", step="rejected", person_id=person.id, document_id=document.id,
        credential_type_id=document.credential_type_id, recipient_person_id=person.id, recipient_email=email,
        subject=f"Your upload “{document.display_name}” was not accepted",
        context={
            "document_id": document.id, "document_name": document.display_name, "person_name": person.full_name,
            "reason": document.reject_reason,
            "message": f"HR could not accept “{document.display_name}”: {document.reject_reason} "
                       "Please upload a corrected or clearer copy.",
            "action_url": mailer.public_url("me.document", document_id=document.id),
        },
    ))


TYPE_REQUEST_MAX = 300


def request_type(document: Document, reviewer: User, form: dict[str, Any], expected_version: int | None) -> None:
    """Park the document until an administrator adds the credential type it
    needs: it waits in "type_requested" (its own queue state, still open for
    the employee) with what was asked for, instead of failing Confirm."""
    name = (form.get("type_name") or "").strip()
    issuer = (form.get("issuer_name") or "").strip()
    if len(name) < 2:
        raise Invalid.each({"type_name": "Name the credential type as the document does."})
    _decide(document, reviewer, expected_version, "document.type_requested", ("state", "type_request"), {
        "state": "type_requested", "type_request": (f"{name} ({issuer})" if issuer else name)[:TYPE_REQUEST_MAX],
    })


def waiting_for_types() -> list[Document]:
    """Documents parked until their credential type is added (for the taxonomy page)."""
    return list(db.session.scalars(select(Document).where(Document.state == "type_requested")
                                   .order_by(Document.created_at, Document.id)
                                   .options(selectinload(Document.person))))


# --------------------------------------------------------------------------- warnings


def warnings(document: Document, license_number: str | None = None) -> list[dict[str, Any]]:
    """Things the reviewer should know before confirming."""
    found = []
    number = (license_number or "").strip()
    if number:
        for cred in db.session.scalars(
            select(Credential).where(func.lower(Credential.license_number) == number.lower(),
                                     Credential.source_document_id.is_distinct_from(document.id))
            .order_by(Credential.id).limit(5)
        ):
            found.append({"kind": "license", "credential": cred,
                          "text": f"License number {cred.license_number} is already in the registry "
                                  f"for {cred.person.full_name} ({cred.credential_type.name}, {cred.state})."})
    for other in document_service.same_file_elsewhere(document)[:5]:
        found.append({"kind": "file", "document": other,
                      "text": f"The same file was uploaded for {other.person.full_name} on "
                              f"{other.created_at:%d %b %Y} ({other.state.replace('_', ' ')})."})
    return found


def person_by_id(person_id: int | None) -> Person | None:
    """The person a reviewer picked or a reading proposes, if there is one
    (reviewers see everyone)."""
    return db.session.get(Person, person_id) if person_id else None


def reread(row):
    """``row`` as the database holds it now: after a ``ReviewConflict`` the
    page shows the change that won."""
    db.session.refresh(row)
    return row


def people_matching(text: str, limit: int = 8) -> list[Person]:
    clauses = each_word_in(text, Person.first_name, Person.last_name, Person.employee_id, Person.email, most=4)
    if not clauses:
        return []
    query = select(Person).where(Person.active, *clauses)
    return list(db.session.scalars(query.order_by(Person.last_name, Person.first_name).limit(limit)))


def suggested_person(document: Document) -> Person | None:
    """A person whose name matches the name read, when it is not the uploader."""
    extraction = document.latest_extraction
    name = ((extraction.fields or {}).get("holder_name") if extraction else None) or ""
    if not name or learning.fold_name(name) == learning.fold_name(document.person.full_name):
        return None
    parts = learning.fold_name(name).split()
    if len(parts) < 2:
        return None
    candidates = people_matching(f"{parts[0]} {parts[-1]}", limit=2)
    return candidates[0] if len(candidates) == 1 and candidates[0].id != document.person_id else None

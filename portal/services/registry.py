"""The registry: search confirmed credentials, their history, and HR's hand edits.

Records added or edited by hand are ``source="manual"`` and ``verified=False``
until a reviewer confirms a document for them: the registry always says which
records were checked against a certificate. Hand entries pass the review's
confirmation checks (``portal.services.checks``), cleared the same way: a tick
and a reason per check, "add to history" for a record older than the current one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.errors import Invalid
from portal.extensions import db
from portal.models import AuditEvent, Credential, CredentialType, Document, Issuer, Person, User, utcnow
from portal.policies.confirmation import Outcome
from portal.policies.dates import predicted_expiry
from portal.policies.verification import STATUSES as VERIFICATION_STATUSES
from portal.services import audit, checks, open_documents
from portal.services import documents as document_service
from portal.services.paging import page_of
from portal.services.word_search import each_word_in
from portal.routing import parse_id
from portal.services.review import CREDENTIAL_FIELDS, ReviewConflict, parse_date, supersede_older
from portal.services.scoping import scope_people

SORTS = {
    "expires": (Credential.expires_on.asc().nulls_last(), "Expiry (soonest first)"),
    "-expires": (Credential.expires_on.desc().nulls_last(), "Expiry (latest first)"),
    "name": ((Person.last_name.asc(), Person.first_name.asc()), "Name"),
    "type": (CredentialType.name.asc(), "Credential type"),
    "-updated": (Credential.updated_at.desc(), "Recently changed"),
}
RECORD_FILTERS = {
    "active": "Current records",
    "superseded": "Superseded (history)",
    "revoked": "Revoked",
    "all": "All records",
}


@dataclass
class CredentialSearch:
    q: str = ""
    credential_type_id: int | None = None
    department_id: int | None = None
    record: str = "active"
    expiry: str = ""  # "", "expired", "90" (within 90 days), "none"
    unverified: bool = False
    verification: str = ""  # a verification standing (portal.policies.verification.STATUSES)
    sort: str = "expires"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "CredentialSearch":
        def as_int(name):
            return parse_id(args.get(name))

        record = args.get("record") or "active"
        sort = args.get("sort") or "expires"
        expiry = args.get("expiry") or ""
        return cls(
            q=(args.get("q") or "").strip()[:100],
            credential_type_id=as_int("type"),
            department_id=as_int("department"),
            record=record if record in RECORD_FILTERS else "active",
            expiry=expiry if expiry in ("expired", "30", "90", "none") else "",
            unverified=args.get("unverified") in ("1", "on", "true"),
            verification=args.get("verification") if args.get("verification") in VERIFICATION_STATUSES else "",
            sort=sort if sort in SORTS else "expires",
            page=max(1, as_int("page") or 1),
        )


@dataclass
class ResultPage:
    credentials: list[Credential]
    total: int
    page: int
    pages: int


def search_query(search: CredentialSearch, user: User, on: date | None = None) -> Select:
    on = on or utcnow().date()
    query = (select(Credential).join(Person, Person.id == Credential.person_id)
             .join(CredentialType, CredentialType.id == Credential.credential_type_id)
             .join(Issuer, Issuer.id == CredentialType.issuer_id))
    query = scope_people(query, user, Credential.person_id)
    query = query.where(*each_word_in(
        search.q, Person.first_name, Person.last_name, Person.employee_id, Credential.license_number,
        Issuer.name, Issuer.code, CredentialType.name, CredentialType.code))
    if search.credential_type_id:
        query = query.where(Credential.credential_type_id == search.credential_type_id)
    if search.department_id:
        query = query.where(Person.department_id == search.department_id)
    if search.record != "all":
        query = query.where(Credential.state == search.record)
    if search.expiry == "expired":
        query = query.where(Credential.expires_on < on)
    elif search.expiry in ("30", "90"):
        from datetime import timedelta

        query = query.where(Credential.expires_on >= on, Credential.expires_on <= on + timedelta(days=int(search.expiry)))
    elif search.expiry == "none":
        query = query.where(Credential.expires_on.is_(None))
    if search.unverified:
        query = query.where(Credential.verified.is_(False))
    if search.verification:
        from portal.services.verification import status_clause

        query = query.where(status_clause(search.verification, on))
    return query


def search(search: CredentialSearch, user: User, page_size: int = 25) -> ResultPage:
    order = SORTS[search.sort][0]
    order = order if isinstance(order, tuple) else (order,)
    listed = page_of(
        search_query(search, user).order_by(*order, Credential.id)
        .options(selectinload(Credential.person).selectinload(Person.department),
                 selectinload(Credential.credential_type).selectinload(CredentialType.issuer)),
        search.page, page_size)
    return ResultPage(listed.rows, listed.total, listed.page, listed.pages)


# --------------------------------------------------------------------------- one person, one record


def person_credentials(person: Person) -> list[Credential]:
    """Every record the person holds, current first, history after."""
    rows = db.session.scalars(
        select(Credential).where(Credential.person_id == person.id)
        .options(selectinload(Credential.credential_type).selectinload(CredentialType.issuer))
        .order_by(Credential.state != "active", Credential.expires_on.desc().nulls_first(), Credential.id.desc())
    ).all()
    return list(rows)


def versions(credential: Credential) -> list[Credential]:
    """The chain of records this one belongs to, newest first (renewals and what they replaced)."""
    chain = {credential.id: credential}
    newer = credential
    while newer.superseded_by_id and newer.superseded_by_id not in chain:
        newer = db.session.get(Credential, newer.superseded_by_id)
        chain[newer.id] = newer
    frontier = [credential.id]
    while frontier:
        older = db.session.scalars(
            select(Credential).where(Credential.superseded_by_id.in_(frontier), Credential.id.not_in(list(chain)))
        ).all()
        frontier = [c.id for c in older]
        chain.update({c.id: c for c in older})
    return sorted(chain.values(), key=lambda c: (c.expires_on or date.max, c.id), reverse=True)


def documents_for(credential: Credential) -> list[Document]:
    return list(db.session.scalars(
        select(Document).where(or_(Document.credential_id == credential.id,
                                   Document.id == (credential.source_document_id or -1),
                                   Document.renews_credential_id == credential.id))
        .order_by(Document.created_at.desc())
    ))


def audit_trail(credential: Credential, limit: int = 100) -> list[AuditEvent]:
    document_ids = [str(d.id) for d in documents_for(credential)]
    return list(db.session.scalars(
        select(AuditEvent).where(or_(
            (AuditEvent.entity_type == "Credential") & (AuditEvent.entity_id == str(credential.id)),
            (AuditEvent.entity_type == "Document") & (AuditEvent.entity_id.in_(document_ids or ["-"])),
        )).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)
    ))


# --------------------------------------------------------------------------- by hand


def validate(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "license_number": (form.get("license_number") or "").strip()[:120] or None,
        "notes": (form.get("notes") or "").strip()[:2000] or None,
    }
    for name in ("person_id", "credential_type_id"):
        values[name] = parse_id(form.get(name))
    if not values["person_id"] or db.session.get(Person, values["person_id"]) is None:
        errors["person_id"] = "Choose the person."
    ctype = db.session.get(CredentialType, values["credential_type_id"]) if values["credential_type_id"] else None
    if ctype is None:
        errors["credential_type_id"] = "Choose the credential type."
    for name in ("issued_on", "expires_on"):
        try:
            values[name] = parse_date(form.get(name))
        except ValueError:
            errors[name] = "Enter a date as YYYY-MM-DD."
    if not errors.get("issued_on") and not errors.get("expires_on"):
        # contradictions between the dates are confirmation checks (portal.policies.confirmation)
        if ctype is not None and ctype.expires and not values["expires_on"] and not values["issued_on"]:
            errors["expires_on"] = "Enter the expiry date, or the issue date to predict it."
    values["expiry_predicted"] = False
    if not errors and ctype is not None and ctype.expires and values["expires_on"] is None:
        values["expires_on"] = predicted_expiry(values["issued_on"], ctype.validity_months)
        values["expiry_predicted"] = True
    return values, errors


# The check fields (the review form's names) for the registry form's.
CHECKED_AS = {"issued_on": "issue_date", "expires_on": "expiry_date"}
# What each check field's checks look at: an edit is checked again on what it changes.
CHECK_INPUTS = {"license_number": {"license_number", "credential_type_id"},
                "issue_date": {"issued_on", "expires_on", "credential_type_id"},
                "expiry_date": {"issued_on", "expires_on", "credential_type_id"}}


def check(values: dict[str, Any], editing: Credential | None = None, changed: set[str] | None = None) -> Outcome:
    """The confirmation checks over a hand entry (the predicted expiry included: an estimate can be expired too).

    ``changed``: for an edit, only the checks on what the edit changes (adding
    a note to an old record does not ask again whether it is expired).
    """
    outcome = checks.evaluate({CHECKED_AS.get(k, k): v for k, v in values.items()}, editing=editing)
    if changed is None:
        return outcome
    return Outcome([c for c in outcome.checks if CHECK_INPUTS.get(c.field, set()) & changed])


def add_manual(actor: User, form: dict[str, Any], file: IO[bytes] | None = None,
               filename: str | None = None) -> Credential:
    """HR adds a record by hand (unverified), optionally with its document."""
    values, errors = validate(form)
    if errors:
        raise Invalid.each(errors)
    clearance = checks.clear(form, check(values))
    person = db.session.get(Person, values["person_id"])
    stored = None
    if file is not None and filename:
        try:
            stored = document_service.store(file)
        except document_service.UploadRefused as refused:
            raise Invalid.each({"file": refused.message}) from None
        if stored.media_type not in document_service.ACCEPTED_TYPES:
            raise Invalid.each({"file": "Attach a PDF, PNG, JPEG, TIFF or HEIC file."})
    credential = Credential(source="manual", verified=False, state="active", **values)
    db.session.add(credential)
    db.session.flush()
    if stored is not None:
        document = Document(
            sha256=stored.sha256, original_name=document_service.safe_name(filename), media_type=stored.media_type,
            size_bytes=stored.size, person_id=person.id, uploaded_by_id=actor.id, source="portal",
            credential_type_id=credential.credential_type_id, state="confirmed", credential_id=credential.id,
            reviewed_by_id=actor.id, reviewed_at=utcnow(),
        )
        db.session.add(document)
        db.session.flush()
        credential.source_document_id = document.id
        audit.record("document.attached", document, actor=actor,
                     after=audit.snapshot(document, ("original_name", "media_type", "sha256", "credential_id")))
    supersede_older(credential)
    audit.record("credential.created", credential, actor=actor, after={
        **audit.snapshot(credential, CREDENTIAL_FIELDS), **_checked(clearance, credential.state == "superseded")})
    db.session.commit()
    return credential


EDITABLE = ("credential_type_id", "license_number", "issued_on", "expires_on", "expiry_predicted", "notes")


def edit(actor: User, credential: Credential, form: dict[str, Any], expected_version: int | None) -> Credential:
    """Change a record by hand; the audit event keeps before and after."""
    if expected_version is not None and credential.version != expected_version:
        raise ReviewConflict("This record changed after you opened it. Reload to see the change.")
    values, errors = validate({**form, "person_id": credential.person_id})
    if errors:
        raise Invalid.each(errors)
    changed = {name for name in EDITABLE if getattr(credential, name) != values[name]}
    clearance = checks.clear(form, check(values, editing=credential, changed=changed))
    before = audit.snapshot(credential, EDITABLE + ("verified", "state", "superseded_by_id"))
    for name in EDITABLE:
        setattr(credential, name, values[name])
    if credential.state == "active" and ("credential_type_id" in changed or clearance.as_history):
        # now (or again) the current record of its type, or history behind a newer one
        supersede_older(credential)
    after = audit.snapshot(credential, EDITABLE + ("verified", "state", "superseded_by_id"))
    changed_before, changed_after = audit.changed(before, after)
    if not changed_after:
        return credential
    # Facts a reviewer checked against a document were changed by hand.
    if credential.verified and set(changed_after) & {"credential_type_id", "license_number", "issued_on",
                                                    "expires_on"}:
        credential.verified = False
        changed_before["verified"], changed_after["verified"] = True, False
    try:
        audit.record("credential.edited", credential, actor=actor, before=changed_before,
                     after={**changed_after, **_checked(clearance, clearance.as_history)})
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ReviewConflict("Someone else changed this record at the same time. Reload to see their change.") from None
    return credential


def _checked(clearance: checks.Clearance, as_history: bool) -> dict[str, Any]:
    """The clearance for the audit event, when there was anything to clear."""
    return clearance.audit(as_history) if clearance.outcome.checks or as_history else {}


def revoke(actor: User, credential: Credential, reason: str, expected_version: int | None) -> None:
    if expected_version is not None and credential.version != expected_version:
        raise ReviewConflict("This record changed after you opened it. Reload to see the change.")
    if not (reason or "").strip():
        raise Invalid.each({"reason": "Say why the record is withdrawn."})
    before = audit.snapshot(credential, ("state", "notes"))
    credential.state = "revoked"
    credential.notes = ((credential.notes or "") + f"\nRevoked: {reason.strip()}").strip()
    audit.record("credential.revoked", credential, actor=actor, before=before,
                 after=audit.snapshot(credential, ("state", "notes")))
    db.session.commit()


# --------------------------------------------------------------------------- a person's overview


@dataclass
class OverviewRow:
    """One credential type on a person's page: its state and what to do next."""

    credential_type: CredentialType
    status: str  # valid, expiring, in_grace, expired, missing, pending_review, rejected
    credential: Credential | None = None
    required: bool = False
    sources: list[str] | None = None
    expires_on: date | None = None
    expiry_predicted: bool = False
    days_left: int | None = None
    pending: Document | None = None
    rejected: Document | None = None

    @property
    def action(self) -> str:
        """The next step, in words: upload, renew, wait, or nothing."""
        if self.pending is not None:
            return "wait"
        if self.credential is None:
            return "upload"
        if self.status in ("expiring", "in_grace", "expired", "rejected"):
            return "renew"
        return "none"


@dataclass
class Overview:
    rows: list[OverviewRow]
    history: list[Credential]
    open_documents: list[Document]
    rejected_documents: list[Document]

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows:
            if row.required:
                counts[row.status] = counts.get(row.status, 0) + 1
        return counts

    @property
    def required_rows(self) -> list[OverviewRow]:
        return [r for r in self.rows if r.required]

    @property
    def other_rows(self) -> list[OverviewRow]:
        return [r for r in self.rows if not r.required]


def person_overview(person: Person, on: date | None = None) -> Overview:
    """Everything the person holds and needs, with a state and next action each."""
    from portal.models import Project
    from portal.services import compliance

    on = on or utcnow().date()
    records = person_credentials(person)
    by_id = {c.id: c for c in records}
    docs, type_of = [], {}  # the type each document is for: services.open_documents.TYPE_ID
    for doc, type_id in db.session.execute(open_documents.documents(Document, open_documents.TYPE_ID)
                                           .where(Document.person_id == person.id)
                                           .order_by(Document.created_at.desc())):
        docs.append(doc)
        type_of[doc.id] = type_id
    open_docs = [d for d in docs if d.is_open]

    pending_by_type = {}
    for doc in reversed(open_docs):
        if type_of[doc.id]:
            pending_by_type[type_of[doc.id]] = doc
    rejected_by_type = {}
    for doc in docs:
        if doc.state == "rejected" and type_of[doc.id] and type_of[doc.id] not in rejected_by_type:
            rejected_by_type[type_of[doc.id]] = doc

    policies = compliance.load_policies()
    states = compliance.person_states(person.id, on)
    types = {t.id: t for t in db.session.scalars(
        select(CredentialType).where(CredentialType.id.in_(
            [s.credential_type_id for s in states] + [c.credential_type_id for c in records]))
        .options(selectinload(CredentialType.issuer))
    )}
    role_name = person.job_role.name if person.job_role else "your role"
    project_ids = {pid for s in states for kind, pid in s.sources if kind == "project"}
    projects = {p.id: p.name for p in db.session.scalars(select(Project).where(Project.id.in_(project_ids)))} \
        if project_ids else {}

    rows, seen = [], set()
    for state in states:
        ctype = types[state.credential_type_id]
        credential = by_id.get(state.credential_id) if state.credential_id else None
        status = "valid" if str(state.status) == "compliant" else str(state.status)
        rejected = _newer_rejection(rejected_by_type.get(ctype.id), credential)
        rows.append(OverviewRow(
            credential_type=ctype, status=status, credential=credential, required=True,
            sources=[role_name if kind == "role" else projects.get(pid, "a project") for kind, pid in state.sources],
            expires_on=state.expires_on, expiry_predicted=state.expiry_predicted, days_left=state.days_left,
            pending=pending_by_type.get(ctype.id), rejected=rejected,
        ))
        seen.add(ctype.id)
    for credential in records:
        if credential.state != "active" or credential.credential_type_id in seen:
            continue
        seen.add(credential.credential_type_id)
        status = compliance.credential_display_state(credential, on, policies)
        expires = credential.expires_on or predicted_expiry(credential.issued_on,
                                                            credential.credential_type.validity_months)
        rows.append(OverviewRow(
            credential_type=credential.credential_type, status=status, credential=credential,
            expires_on=expires, expiry_predicted=credential.expiry_predicted or credential.expires_on is None,
            days_left=(expires - on).days if expires else None,
            pending=pending_by_type.get(credential.credential_type_id),
            rejected=_newer_rejection(rejected_by_type.get(credential.credential_type_id), credential),
        ))
    order = {"expired": 0, "missing": 1, "in_grace": 2, "pending_review": 3, "expiring": 4, "valid": 5}
    rows.sort(key=lambda r: (not r.required, order.get(r.status, 6), r.credential_type.name))
    history = [c for c in records if c.state != "active"]
    recent_rejections = [d for d in docs if d.state == "rejected"][:5]
    return Overview(rows, history, open_docs, recent_rejections)


def _newer_rejection(document: Document | None, credential: Credential | None) -> Document | None:
    if document is None:
        return None
    if credential is not None and credential.created_at and document.reviewed_at \
            and document.reviewed_at < credential.created_at:
        return None
    return document

"""Verification: whether a credential was checked against its source, how, and when next.

A ``Verification`` is one check, kept for ever as evidence (a failed check
never deletes or changes the credential itself). ``VerificationState`` is the
credential's current standing, one row per credential, kept beside the
credential rather than on it so a background check never bumps the
credential's optimistic-lock version under a reviewer's open edit form.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, Timestamped, utcnow
from portal.models.credentials import Credential
from portal.models.people import Person

# What one check concluded.
#   verified       the source (or a signature chaining to a trusted root) vouches for it
#   integrity_only the document is intact and signed, but the signer is not trusted here
#   unverifiable   nothing here can check it (no method, source down, no document)
#   failed         the check says no: altered, revoked, expired proof, excluded, bad check digit
OUTCOMES = ("verified", "integrity_only", "unverifiable", "failed")
METHODS = ("pdf_signature", "open_badge", "verifiable_credential", "code", "identifier",
           "lookup", "roster", "exclusion")
IMPORT_KINDS = ("roster", "exclusion")


class Verification(Base):
    __tablename__ = "verifications"
    __table_args__ = (Index("ix_verifications_credential_checked", "credential_id", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"))
    document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id"))
    import_id: Mapped[Optional[int]] = mapped_column(ForeignKey("verification_imports.id"))
    method: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(200))  # who vouched: signer, issuer DID, list name
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)  # one plain sentence for people
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The stored file given for this check only (a badge, a signed PDF): the
    # upload store keeps a file while any row names it.
    evidence_sha256: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    credential: Mapped[Credential] = relationship()


class VerificationState(Base):
    """A credential's verification standing: the last conclusive check and when it is due.

    A row with no outcome is a credential never checked whose first check met
    a source that was down: it only carries ``retry_at``, so the hourly job
    asks that source again then rather than every hour (it reads "not checked").
    """

    __tablename__ = "verification_states"

    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    outcome: Mapped[Optional[str]] = mapped_column(String(16))
    method: Mapped[Optional[str]] = mapped_column(String(32))
    verification_id: Mapped[Optional[int]] = mapped_column(ForeignKey("verifications.id"))
    checked_at: Mapped[Optional[datetime]]
    next_due: Mapped[Optional[date]] = mapped_column(index=True)
    # Set while a source is down: the job tries again then, the outcome stays.
    retry_at: Mapped[Optional[datetime]]


class VerificationPolicy(Timestamped, Base):
    """How a credential type is verified; a row with no type is the default.

    ``methods`` name verifiers in order (e.g. ``["pdf_signature", "identifier:npi"]``),
    ``reverify_days`` how long a check stands (None: it stands until the
    credential changes), ``required`` whether a requirement met by an
    unverified credential counts as not met.
    """

    __tablename__ = "verification_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_type_id: Mapped[Optional[int]] = mapped_column(ForeignKey("credential_types.id"), unique=True)
    methods: Mapped[list[Any]] = mapped_column(default=list)
    reverify_days: Mapped[Optional[int]]
    required: Mapped[bool] = mapped_column(default=False)


class TrustRoot(Timestamped, Base):
    """A root certificate the admin trusts for signed PDFs (PEM)."""

    __tablename__ = "verification_trust_roots"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    pem: Mapped[str] = mapped_column(Text)


# Where an import stands: received (file stored, columns known) -> queued ->
# running -> done | failed. ``processed`` rows are applied and committed with
# their checks, so a run taken up again starts after them.
IMPORT_STATES = ("queued", "running", "done", "failed")


class VerificationImport(Base):
    """A roster or exclusion file as it was imported: kept as evidence."""

    __tablename__ = "verification_imports"
    __table_args__ = (Index("ix_verification_imports_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="queued", server_default="done")
    processed: Mapped[int] = mapped_column(default=0, server_default="0")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # ``attempts`` when an admin last asked to try a failed import again: the
    # sweeper's give-up counts the tries since.
    retried_after: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[Optional[str]] = mapped_column(Text)
    queued_at: Mapped[Optional[datetime]]
    started_at: Mapped[Optional[datetime]]
    progress_at: Mapped[Optional[datetime]]  # the last committed batch: a run silent for long is lost
    finished_at: Mapped[Optional[datetime]]
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(default=0)
    matched: Mapped[int] = mapped_column(default=0)
    alerts: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


class ExclusionMatch(Base):
    """A person found on an exclusion list: marks the person until cleared."""

    __tablename__ = "exclusion_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("verification_imports.id"))
    score: Mapped[float]
    row: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fingerprint: Mapped[str] = mapped_column(String(64))
    cleared_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()

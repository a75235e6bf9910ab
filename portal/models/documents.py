"""Uploaded documents, what the pipeline read from them, and reviewer hints."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, Timestamped, utcnow
from portal.models.people import Person, User

# queued -> reading -> needs_review -> confirmed | rejected
#                  \-> failed ("could not read": still reviewable, never dropped)
# A reviewer whose catalogue lacks the document's type parks it in
# "type_requested" (needs_review -> type_requested -> confirmed) until the type exists.
DOCUMENT_STATES = ("queued", "reading", "needs_review", "failed", "type_requested", "confirmed", "rejected")
OPEN_STATES = ("queued", "reading", "needs_review", "failed", "type_requested")
# The fields a reviewer confirms; the least sure of them rates an extraction.
REVIEWED_FIELDS = ("holder_name", "license_number", "credential_type", "issue_date", "expiry_date", "issuer")


def confidence_floor(confidence: dict[str, Any] | None) -> Optional[float]:
    """The lowest confidence among the reviewed fields (None: none rated)."""
    values = [value for name, value in (confidence or {}).items()
              if name in REVIEWED_FIELDS and isinstance(value, (int, float))]
    return float(min(values)) if values else None


class Document(Timestamped, Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_state_created", "state", "created_at"),
        Index("ix_documents_person_sha", "person_id", "sha256"),
        # the upload quota counts an uploader's recent documents
        Index("ix_documents_uploader_created", "uploaded_by_id", "created_at"),
        Index("ix_documents_token_created", "api_token_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[Optional[str]] = mapped_column(String(100))  # sniffed, not trusted
    size_bytes: Mapped[int]
    pages: Mapped[Optional[int]]
    # active_history: the compliance hook refreshes the holder it had too.
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True, active_history=True)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # the API token that sent it (source "api"): whose upload quota it counts in
    api_token_id: Mapped[Optional[int]] = mapped_column(ForeignKey("api_tokens.id"))
    source: Mapped[str] = mapped_column(String(16), default="portal")  # portal | api | import
    # The credential this upload renews, when the employee said so.
    renews_credential_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("credentials.id", use_alter=True, name="fk_documents_renews_credential_id_credentials")
    )
    # The credential type this document is for: said by the uploader ("renew
    # this one", "upload for this requirement") or proposed by the pipeline.
    credential_type_id: Mapped[Optional[int]] = mapped_column(ForeignKey("credential_types.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    # Job state lives here, not in the queue: Huey forgets tasks lost in a crash.
    attempts: Mapped[int] = mapped_column(default=0)
    queued_at: Mapped[Optional[datetime]]
    started_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]
    last_error_code: Mapped[Optional[str]] = mapped_column(String(64))
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    # Page images for review: None (not drawn yet), "ready", or "failed" (a
    # page could not be drawn within the isolated reader's limits).
    preview_state: Mapped[Optional[str]] = mapped_column(String(16))
    claimed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[Optional[datetime]]
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[Optional[datetime]]
    reject_reason: Mapped[Optional[str]] = mapped_column(Text)
    # The credential type (and issuer) a reviewer asked an administrator to add, in words.
    type_request: Mapped[Optional[str]] = mapped_column(String(300))
    credential_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("credentials.id", use_alter=True, name="fk_documents_credential_id_credentials")
    )
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    uploaded_by: Mapped[Optional[User]] = relationship(foreign_keys=[uploaded_by_id])
    claimed_by: Mapped[Optional[User]] = relationship(foreign_keys=[claimed_by_id])
    reviewed_by: Mapped[Optional[User]] = relationship(foreign_keys=[reviewed_by_id])
    extractions: Mapped[list["Extraction"]] = relationship(
        back_populates="document", order_by="Extraction.id"
    )

    @property
    def display_name(self) -> str:
        """The uploaded name with the extension of what the file really is."""
        from portal.policies.file_names import display_name

        return display_name(self.original_name, self.media_type)

    @property
    def is_open(self) -> bool:
        """Still on its way to a decision (what the employee sees as in progress)."""
        return self.state in OPEN_STATES

    @property
    def latest_extraction(self) -> Optional["Extraction"]:
        return self.extractions[-1] if self.extractions else None

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.state}>"


class Extraction(Base):
    """One run of the intake pipeline over a document."""

    __tablename__ = "extractions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    confidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    method: Mapped[Optional[str]] = mapped_column(String(16))
    pages: Mapped[Optional[int]]
    seconds: Mapped[Optional[float]]
    error_code: Mapped[Optional[str]] = mapped_column(String(64))
    error_message: Mapped[Optional[str]] = mapped_column(Text)
    hints_used: Mapped[int] = mapped_column(default=0)
    # confidence_floor(confidence), kept by the ORM so the review queue can
    # filter low-confidence documents in SQL rather than reading every one.
    min_confidence: Mapped[Optional[float]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="extractions")


@event.listens_for(Extraction, "before_insert")
@event.listens_for(Extraction, "before_update")
def _rate_extraction(_mapper, _connection, extraction: Extraction) -> None:
    extraction.min_confidence = confidence_floor(extraction.confidence)


class IssuerHint(Base):
    """What a reviewer's correction taught the pipeline about an issuer."""

    __tablename__ = "issuer_hints"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_key: Mapped[str] = mapped_column(String(200), index=True)  # normalised issuer name
    field: Mapped[str] = mapped_column(String(40))
    hint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id"))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LearnedTypeName(Base):
    """The credential type reviewers confirmed for a type name the pipeline
    read on one issuer's documents, when it proposed another (or none): the
    next document reading the same name is proposed the confirmed type."""

    __tablename__ = "learned_type_names"
    __table_args__ = (UniqueConstraint("issuer_key", "read_name", name="uq_learned_type_names_issuer_read"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_key: Mapped[str] = mapped_column(String(200))  # as for IssuerHint; "" when no issuer was read
    read_name: Mapped[str] = mapped_column(String(300))  # folded
    credential_type_id: Mapped[int] = mapped_column(ForeignKey("credential_types.id", ondelete="CASCADE"))
    document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""The registry: confirmed credentials held by people."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, Timestamped, utcnow
from portal.models.people import Person, User
from portal.models.taxonomy import CredentialType

# Record states. "active" is the current record for that person and type;
# "superseded" was replaced by a renewal; "revoked" was withdrawn by HR.
RECORD_STATES = ("active", "superseded", "revoked")
# Where the record came from: a reviewed document, HR's hand, or an import.
SOURCES = ("document", "manual", "import", "api")


class Credential(Timestamped, Base):
    __tablename__ = "credentials"
    __table_args__ = (
        Index("ix_credentials_person_type_state", "person_id", "credential_type_id", "state"),
        Index("ix_credentials_state_expires", "state", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # active_history: the compliance hook refreshes the holder it had too.
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True, active_history=True)
    credential_type_id: Mapped[int] = mapped_column(ForeignKey("credential_types.id"), index=True)
    license_number: Mapped[Optional[str]] = mapped_column(String(120), index=True)
    issued_on: Mapped[Optional[date]]
    expires_on: Mapped[Optional[date]]
    # True when expires_on was computed from the type's validity, not printed.
    expiry_predicted: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="active")
    source: Mapped[str] = mapped_column(String(16), default="document")
    # Verified means a reviewer confirmed it against a document.
    verified: Mapped[bool] = mapped_column(default=False)
    verified_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[Optional[datetime]]
    source_document_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("documents.id", use_alter=True, name="fk_credentials_source_document_id_documents")
    )
    superseded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("credentials.id"))
    notes: Mapped[Optional[str]] = mapped_column(Text)
    # Optimistic locking: concurrent edits fail instead of overwriting.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    person: Mapped[Person] = relationship()
    credential_type: Mapped[CredentialType] = relationship()
    verified_by: Mapped[Optional[User]] = relationship()
    superseded_by: Mapped[Optional["Credential"]] = relationship(remote_side=[id])
    ce_activities: Mapped[list["CeActivity"]] = relationship(
        back_populates="credential", order_by="CeActivity.completed_on"
    )

    def __repr__(self) -> str:
        return f"<Credential {self.id} {self.credential_type_id} person={self.person_id}>"


class CeActivity(Timestamped, Base):
    """Continuing-education hours logged against a credential's cycle."""

    __tablename__ = "ce_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    # active_history: the compliance hook refreshes the holder it had too.
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), index=True, active_history=True)
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[Optional[str]] = mapped_column(String(200))
    hours: Mapped[float]
    completed_on: Mapped[date]
    logged_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    credential: Mapped[Credential] = relationship(back_populates="ce_activities")


class UsedRenewalLink(Base):
    """A renewal link that has been used: the primary key on its nonce is what
    makes a link work once, however many requests use it at the same moment
    (checking for an earlier use and then recording this one let two in)."""

    __tablename__ = "used_renewal_links"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"), index=True)
    used_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[datetime] = mapped_column(default=utcnow)

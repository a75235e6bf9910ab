"""The credential taxonomy: governing bodies and the credentials they grant."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, Timestamped

CATEGORIES = ("license", "certification", "training")
RENEWAL_MECHANISMS = ("course", "exam", "ce", "application", "none")


class Issuer(Timestamped, Base):
    """A governing body: licensing board, certification body or employer."""

    __tablename__ = "issuers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    country: Mapped[Optional[str]] = mapped_column(String(8))
    locale: Mapped[str] = mapped_column(String(8), default="US")  # US | UK | EU date order
    renewal_url: Mapped[Optional[str]] = mapped_column(String(500))
    verification_url: Mapped[Optional[str]] = mapped_column(String(500))
    license_number_patterns: Mapped[list[Any]] = mapped_column(default=list)

    credential_types: Mapped[list["CredentialType"]] = relationship(back_populates="issuer")

    def __repr__(self) -> str:
        return f"<Issuer {self.code}>"


class CredentialType(Timestamped, Base):
    __tablename__ = "credential_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    category: Mapped[str] = mapped_column(String(20), default="certification")
    renewal_mechanism: Mapped[str] = mapped_column(String(20), default="course")
    validity_months: Mapped[Optional[int]]  # None: never expires
    ce_hours: Mapped[Optional[float]]  # CE/CPE hours per renewal cycle
    jurisdiction: Mapped[Optional[str]] = mapped_column(String(32))
    renewal_lead_days: Mapped[Optional[int]]  # how long a renewal takes at the issuer
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)

    issuer: Mapped[Issuer] = relationship(back_populates="credential_types")

    @property
    def expires(self) -> bool:
        return self.validity_months is not None

    def __repr__(self) -> str:
        return f"<CredentialType {self.code}>"

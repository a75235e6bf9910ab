"""What the pages' filters and pickers offer, in the order they show it:
departments by name, credential types by issuer then name, issuers by name."""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import CredentialType, Department, Issuer


def departments() -> list[Department]:
    return db.session.scalars(select(Department).order_by(Department.name)).all()


def credential_types(active_only: bool = False) -> list[CredentialType]:
    """Types by issuer name, then name (``active_only``: the ones a reviewer may still pick)."""
    query = select(CredentialType).join(Issuer)
    if active_only:
        query = query.where(CredentialType.active)
    return db.session.scalars(query.order_by(Issuer.name, CredentialType.name)).all()


def issuers() -> list[Issuer]:
    return db.session.scalars(select(Issuer).order_by(Issuer.name)).all()

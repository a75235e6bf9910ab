"""A credential's display state in SQL, to list records by how they read on a day.

``record_status`` (portal.policies.compliance) in date comparisons: with E the
expiry (printed, or ``validity_months`` after issue when none is printed),
W the policy's first reminder and G its grace, a record reads
  expired   when E <= on - (G + 1)
  in_grace  when on - (G + 1) < E <= on - 1
  expiring  when on - 1 < E <= on + W
  valid     when E > on + W, or there is no E.
Policies and validities differ per type, so the clause is one branch per
(W, G, validity) group of types; tests compare it with the Python rule.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import and_, false, or_, select

from portal.extensions import db
from portal.models import Credential, CredentialType
from portal.policies.dates import add_months, predicted_expiry
from portal.services.compliance import PolicyBook


def _latest_issue_for(expiry_limit: date, months: int) -> date:
    """The last issue date whose predicted expiry is on or before ``expiry_limit``
    (the prediction never decreases with the issue date, so every issue date
    up to it qualifies)."""
    issued = add_months(expiry_limit, -months) - timedelta(days=3)
    while predicted_expiry(issued + timedelta(days=1), months) <= expiry_limit:
        issued += timedelta(days=1)
    return issued


def _expires_by(limit: date, months: int | None):
    """SQL: the record's expiry E exists and E <= ``limit``."""
    printed = and_(Credential.expires_on.is_not(None), Credential.expires_on <= limit)
    if months is None:
        return printed
    predicted = and_(Credential.expires_on.is_(None), Credential.issued_on.is_not(None),
                     Credential.issued_on <= _latest_issue_for(limit, months))
    return or_(printed, predicted)


def _state_for_group(state: str, on: date, warn: int, grace: int, months: int | None):
    expired_by = on - timedelta(days=grace + 1)
    lapsed_by = on - timedelta(days=1)
    warned_by = on + timedelta(days=warn)
    if state == "expired":
        return _expires_by(expired_by, months)
    if state == "in_grace":
        return and_(_expires_by(lapsed_by, months), ~_expires_by(expired_by, months))
    if state == "expiring":
        return and_(_expires_by(warned_by, months), ~_expires_by(lapsed_by, months))
    return ~_expires_by(warned_by, months)  # valid: no expiry, or one beyond the first reminder


def state_clause(state: str, on: date, policies: PolicyBook):
    """SQL for "the record reads ``state`` on ``on``" (valid, expiring, in_grace, expired)."""
    groups: dict[tuple[int, int, int | None], list[int]] = defaultdict(list)
    for type_id, months in db.session.execute(select(CredentialType.id, CredentialType.validity_months)):
        policy = policies(type_id)
        groups[(policy.first_reminder_days, policy.grace_days, months)].append(type_id)
    branches = [and_(Credential.credential_type_id.in_(type_ids), _state_for_group(state, on, *key))
                for key, type_ids in groups.items()]
    return and_(Credential.state.not_in(("superseded", "revoked")), or_(false(), *branches))

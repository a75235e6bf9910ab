"""Credentials in the registry and how each reads today."""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import selectinload

from portal.api import schemas
from portal.api.auth import scope
from portal.api.common import documented_errors, make_blueprint, not_found, paginate
from portal.extensions import db
from portal.models import Credential, CredentialType, Person, today
from portal.policies.dates import add_months, predicted_expiry
from portal.services.compliance import PolicyBook, credential_display_state, load_policies

blp = make_blueprint("api_credentials", __name__, "The credential registry.")


def _with_state(credentials, policies) -> list[Credential]:
    on = today()
    for credential in credentials:
        credential.state_today = credential_display_state(credential, on, policies)
    return credentials


@blp.route("", methods=["GET"])
@blp.arguments(schemas.CredentialArgs, location="query")
@blp.response(200, schemas.CredentialsPage)
@documented_errors(blp)
@scope("credentials:read")
def list_credentials(args):
    """List credentials

    Filter by person (`employee_id`), `credential_type` (code), `state` as it
    reads today (valid, expiring, in_grace, expired, superseded, revoked),
    `record_state` (default active), `source`, and an expiry window
    (`expires_after`, `expires_before`, inclusive). Ordered by expiry.
    """
    query = (
        select(Credential)
        .join(Person, Credential.person_id == Person.id)
        .join(CredentialType, Credential.credential_type_id == CredentialType.id)
        .options(selectinload(Credential.person),
                 selectinload(Credential.credential_type).selectinload(CredentialType.issuer))
        .order_by(Credential.expires_on.is_(None), Credential.expires_on, Credential.id)
    )
    state = args.get("state")
    if state in ("superseded", "revoked"):
        query = query.where(Credential.state == state)
    elif args.get("record_state"):
        query = query.where(Credential.state == args["record_state"])
    if args.get("employee_id"):
        query = query.where(Person.employee_id == args["employee_id"])
    if args.get("credential_type"):
        query = query.where(CredentialType.code == args["credential_type"])
    if args.get("source"):
        query = query.where(Credential.source == args["source"])
    if args.get("expires_after"):
        query = query.where(Credential.expires_on >= args["expires_after"])
    if args.get("expires_before"):
        query = query.where(Credential.expires_on <= args["expires_before"])
    page, per_page = args["page"], args["per_page"]
    policies = load_policies()
    if state and state not in ("superseded", "revoked"):
        query = query.where(state_clause(state, today(), policies))
    result = paginate(query, page, per_page)
    total, items = result["total"], _with_state(result["items"], policies)
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "pages": max(1, math.ceil(total / per_page))}


# --- the display state in SQL ------------------------------------------------
# ``record_status`` (portal.policies.compliance) in date comparisons: with E the
# expiry (printed, or ``validity_months`` after issue when none is printed),
# W the policy's first reminder and G its grace, a record reads
#   expired   when E <= on - (G + 1)
#   in_grace  when on - (G + 1) < E <= on - 1
#   expiring  when on - 1 < E <= on + W
#   valid     when E > on + W, or there is no E.
# Policies and validities differ per type, so the clause is one branch per
# (W, G, validity) group of types; tests compare it with the Python rule.

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


@blp.route("/<int:credential_id>", methods=["GET"])
@blp.response(200, schemas.CredentialOut)
@documented_errors(blp, 404)
@scope("credentials:read")
def get_credential(credential_id: int):
    """One credential"""
    credential = db.session.get(Credential, credential_id)
    if credential is None:
        raise not_found("credential", credential_id)
    return _with_state([credential], load_policies())[0]


BLUEPRINTS = [(blp, "/credentials")]

"""Credentials in the registry and how each reads today."""
from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.api import schemas
from portal.api.auth import scope
from portal.api.common import documented_errors, make_blueprint, not_found, paginate
from portal.extensions import db
from portal.models import Credential, CredentialType, Person, today
from portal.services.compliance import credential_display_state, load_policies

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
        # How a record reads today depends on its type's policy: evaluate in
        # Python, then page (bounded by the other filters).
        rows = [c for c in _with_state(db.session.scalars(query).all(), policies) if c.state_today == state]
        total = len(rows)
        items = rows[(page - 1) * per_page: page * per_page]
    else:
        result = paginate(query, page, per_page)
        total, items = result["total"], _with_state(result["items"], policies)
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "pages": max(1, math.ceil(total / per_page))}


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

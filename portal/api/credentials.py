"""Credentials in the registry and how each reads today."""
from __future__ import annotations

from portal.api import schemas
from portal.api.auth import scope
from portal.api.common import documented_errors, make_blueprint, not_found, page_answer
from portal.models import Credential, today
from portal.services import api_lists
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
    policies = load_policies()
    listed = api_lists.credentials(args, args["page"], args["per_page"], policies)
    return page_answer(listed, args["per_page"], _with_state(listed.rows, policies))


@blp.route("/<int:credential_id>", methods=["GET"])
@blp.response(200, schemas.CredentialOut)
@documented_errors(blp, 404)
@scope("credentials:read")
def get_credential(credential_id: int):
    """One credential"""
    credential = api_lists.credential_by_id(credential_id)
    if credential is None:
        raise not_found("credential", credential_id)
    return _with_state([credential], load_policies())[0]


BLUEPRINTS = [(blp, "/credentials")]

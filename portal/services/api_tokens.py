"""API tokens: created and revoked by admins, stored as SHA-256, shown once.

A token is ``cw_`` + 43 URL-safe characters (256 random bits). Only its hash is
stored, so a database leak gives no working token; the first characters are
kept as a ``prefix`` so admins can tell tokens apart in lists and logs.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import API_SCOPES, ApiToken, utcnow
from portal.services import audit

TOKEN_PREFIX = "cw_"
PREFIX_LENGTH = 10
# Writing last_used_at on every call would make each read a write; a minute
# of precision is plenty for "is this integration still in use".
LAST_USED_PRECISION = timedelta(minutes=1)
SCOPE_LABELS = {
    "people:read": "Read people, departments and job roles",
    "people:write": "Create, update and deactivate people (HRIS sync)",
    "projects:read": "Read projects, requirements and assignments",
    "projects:write": "Create and update projects, requirements and assignments (staffing sync)",
    "credentials:read": "Read credentials and their states",
    "credentials:write": "Reserved for writing credential records",
    "documents:write": "Upload certificate files into the review queue",
    "compliance:read": "Read compliance of people, teams and projects",
}
TOKEN_FIELDS = ("name", "prefix", "scopes", "expires_at", "revoked_at")


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(name: str, scopes: Iterable[str], actor=None,
                 expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Make a token; returns the row and the secret, which is never shown again."""
    name = (name or "").strip()
    scopes = set(scopes)
    errors = {}
    if not name:
        errors["name"] = "Give the token a name that says which system uses it."
    elif len(name) > 120:
        errors["name"] = "Keep the name under 120 characters."
    elif db.session.scalar(select(ApiToken.id).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))):
        errors["name"] = "An active token already has this name (audit events name tokens by it)."
    unknown = scopes - set(API_SCOPES)
    if unknown:
        errors["scopes"] = f"Unknown scopes: {', '.join(sorted(unknown))}."
    elif not scopes:
        errors["scopes"] = "Choose at least one scope."
    if expires_at is not None and expires_at <= utcnow():
        errors["expires_at"] = "Choose an expiry date in the future."
    if errors:
        raise Invalid.each(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:PREFIX_LENGTH],
        scopes=[s for s in API_SCOPES if s in scopes],
        created_by_id=getattr(actor, "id", None),
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.created", token, after=audit.snapshot(token, TOKEN_FIELDS), actor=actor)
    db.session.commit()
    return token, secret


def revoke_token(token: ApiToken, actor=None) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    audit.record("api_token.revoked", token, before={"revoked_at": None},
                 after={"revoked_at": token.revoked_at}, actor=actor)
    db.session.commit()


def authenticate(secret: str | None) -> ApiToken | None:
    """The live token for ``secret``, or None (unknown, revoked or expired)."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = hash_token(secret)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup is by hash, so timing reveals nothing about the secret; the
    # constant-time compare guards against a collation that ignores case.
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    now = utcnow()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    return token


def touch(token: ApiToken) -> None:
    """Record use, at most once a minute per token (its own small commit)."""
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
        db.session.commit()


def actor_label(token: ApiToken) -> str:
    return f"api:{token.name}"


def list_tokens() -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    ))

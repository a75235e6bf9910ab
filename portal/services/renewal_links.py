"""Signed links to upload the renewal of exactly one credential.

A link carries the credential, its holder and a nonce, signed with the app's
secret and a salt used for nothing else, so no other signed value of the
portal can pass for one. It expires after ``RENEWAL_LINK_MAX_AGE_DAYS`` and
works once: a use is claimed by inserting its nonce into
``used_renewal_links`` (primary key) in the transaction that stores the
upload, so of simultaneous uses exactly one commits; the use is also
audited (``renewal_link.used``).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Credential, Document, UsedRenewalLink, User
from portal.services import audit, documents

SALT = "credwatch.renewal-link.v1"
USED_ACTION = "renewal_link.used"
ENTITY = "RenewalLink"


class LinkProblem(Exception):
    """Why a link cannot be used: ``code`` is tampered, expired, used,
    wrong_user, renewed or gone; ``credential`` when known."""

    def __init__(self, code: str, credential: Credential | None = None, used_at: datetime | None = None):
        super().__init__(code)
        self.code = code
        self.credential = credential
        self.used_at = used_at


@dataclass
class RenewalLink:
    credential: Credential
    nonce: str
    issued_at: datetime


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def max_age() -> timedelta:
    return timedelta(days=int(current_app.config.get("RENEWAL_LINK_MAX_AGE_DAYS", 45)))


def make_token(credential_id: int, person_id: int, nonce: str | None = None) -> str:
    return _serializer().dumps({"c": credential_id, "p": person_id, "n": nonce or secrets.token_urlsafe(12)})


def url_for_credential(credential_id: int, person_id: int, nonce: str | None = None) -> str:
    from portal.services.mailer import public_url

    token = make_token(credential_id, person_id, nonce)
    return public_url("renew.link", token=token)


def _used_at(nonce: str) -> datetime | None:
    return db.session.scalar(select(UsedRenewalLink.used_at).where(UsedRenewalLink.nonce == nonce[:64]))


def check(token: str, user: User) -> RenewalLink:
    """The link's credential if ``user`` may use it now; LinkProblem otherwise."""
    try:
        payload, issued = _serializer().loads(token, max_age=int(max_age().total_seconds()),
                                              return_timestamp=True)
    except SignatureExpired as expired:
        credential = None
        if isinstance(expired.payload, (bytes, str)):
            try:
                data = _serializer().loads_unsafe(token)[1]
                credential = db.session.get(Credential, int(data["c"])) if data else None
            except Exception:
                credential = None
        if credential is not None and credential.person_id != user.person_id:
            credential = None  # say nothing about someone else's credential
        raise LinkProblem("expired", credential) from expired
    except BadSignature as bad:
        raise LinkProblem("tampered") from bad
    try:
        credential_id, person_id, nonce = int(payload["c"]), int(payload["p"]), str(payload["n"])
    except (KeyError, TypeError, ValueError) as bad:
        raise LinkProblem("tampered") from bad
    if user.person_id != person_id:
        raise LinkProblem("wrong_user")
    credential = db.session.get(Credential, credential_id)
    if credential is None or credential.person_id != person_id:
        raise LinkProblem("gone")
    used = _used_at(nonce)
    if used is not None:
        raise LinkProblem("used", credential, used_at=used)
    if credential.state != "active":
        raise LinkProblem("renewed", credential)
    return RenewalLink(credential=credential, nonce=nonce, issued_at=issued)


def claim(link: RenewalLink, user: User) -> None:
    """Take the link for this use, in the caller's transaction (flushed now).

    A simultaneous use holding the same nonce makes this raise
    ``LinkProblem("used")`` (after waiting for that use to commit); the
    transaction is rolled back. Claim before storing anything, so the
    losing request leaves nothing behind.
    """
    db.session.add(UsedRenewalLink(nonce=link.nonce[:64], credential_id=link.credential.id, used_by_id=user.id))
    try:
        db.session.flush()
    except IntegrityError as taken:
        db.session.rollback()
        raise LinkProblem("used", link.credential) from taken


def upload_renewal(link: RenewalLink, user: User, stream: IO[bytes], filename: str | None) -> Document:
    """The renewed certificate uploaded through the link, and the link used up
    (committed). A refused upload (``documents.UploadRefused``) rolls the
    claim back with it: the link stays usable."""
    claim(link, user)
    try:
        document = documents.upload(stream, filename, user.person, user, renews=link.credential)
    except documents.UploadRefused:
        db.session.rollback()
        raise
    mark_used(link, user, document.id)
    db.session.commit()
    return document


def mark_used(link: RenewalLink, user: User, document_id: int | None) -> None:
    """Audit the use (in the caller's transaction, after ``claim``)."""
    audit.record(USED_ACTION, None, entity_type=ENTITY, entity_id=link.nonce[:64], actor=user,
                 after={"credential_id": link.credential.id, "document_id": document_id})


__all__ = ["LinkProblem", "RenewalLink", "SALT", "check", "claim", "make_token", "mark_used", "max_age",
           "upload_renewal", "url_for_credential"]

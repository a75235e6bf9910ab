"""Accounts: sign-in checks and user creation."""
from __future__ import annotations

import secrets
from functools import lru_cache

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.models import User, utcnow
from portal.services import audit



@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Hash of a random password, checked when the email is unknown, so a wrong
    email takes as long as a wrong password (no account discovery by timing)."""
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def create_user(email: str, password: str, roles, person=None, actor=None) -> User:
    user = User(email=email.strip().lower(), person=person)
    user.roles = roles
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", user, after={"email": user.email, "roles": sorted(user.roles)}, actor=actor)
    return user

"""Accounts: sign-in checks, logins for people, roles and passwords."""
from __future__ import annotations

import secrets
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Person, User, utcnow
from portal.services import audit
from portal.services.paging import Page, page_of



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


def sign_out_everywhere(user: User) -> None:
    """End every session and remember cookie of ``user``, on the server.

    Cookies are signed, not stored, so deleting them in one browser leaves a
    copied cookie working; the session version inside them is what we can
    revoke. Signing out therefore signs that account out on every device.
    """
    user.session_version += 1
    db.session.commit()


def create_user(email: str, password: str, roles, person=None, actor=None) -> User:
    user = User(email=email.strip().lower(), person=person)
    user.roles = roles
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", user, after={"email": user.email, "roles": sorted(user.roles)}, actor=actor)
    return user


# --- access management (admin) and passwords (everyone) --------------------

MIN_PASSWORD_LENGTH = 10
SET_PASSWORD_SALT = "credwatch-set-password"
SET_PASSWORD_MAX_AGE = 7 * 24 * 3600


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if password.strip() != password or not password.strip():
        return "Passwords cannot start or end with spaces."
    return None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SET_PASSWORD_SALT)


def set_password_token(user: User) -> str:
    # The session version is inside: setting a password bumps it, so a link
    # works once, and a password change elsewhere voids links sent before.
    return _serializer().dumps({"u": user.id, "v": user.session_version})


def user_for_token(token: str) -> User:
    try:
        data = _serializer().loads(token, max_age=SET_PASSWORD_MAX_AGE)
    except SignatureExpired:
        raise Invalid("This link has expired. Ask an administrator for a new one.")
    except BadSignature:
        raise Invalid("This link is not valid. Check that you copied all of it.")
    user = db.session.get(User, data.get("u"))
    if user is None or user.session_version != data.get("v") or not user.active:
        raise Invalid("This link has already been used or is no longer valid.")
    return user


def _change_password(user: User, new_password: str, actor) -> None:
    problem = password_problem(new_password)
    if problem:
        raise Invalid(problem, "password")
    user.set_password(new_password)
    user.session_version += 1  # other sessions and old links stop working
    audit.record("user.password_changed", user, actor=actor)


def set_password_with_token(token: str, new_password: str) -> User:
    user = user_for_token(token)
    _change_password(user, new_password, actor=user)
    db.session.commit()
    return user


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise Invalid("That is not your current password.", "current_password")
    _change_password(user, new_password, actor=user)
    db.session.commit()


def grant_access(person: Person, roles, actor) -> tuple[User, str]:
    """Give a person a login; returns the user and a set-password link token.

    The person gets an email with the link (sent after this commits); the
    admin sees it too, to pass on when email is not set up yet.
    """
    if person.user is not None:
        raise Invalid(f"{person.full_name} can already sign in.")
    if not person.email:
        raise Invalid(f"{person.full_name} has no email address in the HR record.")
    if find_user_by_email(person.email):
        raise Invalid(f"Another account already uses {person.email}.")
    roles = set(roles) | {"employee"}
    user = create_user(person.email, secrets.token_urlsafe(32), roles, person=person, actor=actor)
    token = set_password_token(user)
    _send_invite(user, token)
    db.session.commit()
    return user, token


def _send_invite(user: User, token: str) -> None:
    from portal.models import Notification
    from portal.policies import notification_keys
    from portal.services import mailer

    link = mailer.public_url("account.set_password", token=token)
    mailer.queue(Notification(
        unique_key=notification_keys.invitation(user.id, user.session_version),
        kind="invite",
        person_id=user.person_id,
        recipient_person_id=user.person_id,
        recipient_email=user.email,
        subject="Your Credwatch account is ready",
        context={
            "message": "An administrator gave you access to Credwatch, where you keep your licenses "
                       "and certifications up to date. Choose your password to sign in; the link "
                       "works once and for seven days.",
            "action_url": link,
            "action_label": "Choose my password",
        },
    ))


def update_access(user: User, roles, active: bool, actor) -> None:
    roles = set(roles)
    if not roles:
        raise Invalid("Choose at least one role.", "roles")
    if user.id == getattr(actor, "id", None) and ("admin" not in roles or not active):
        raise Invalid("You cannot remove your own administrator access.", "roles")
    before = {"roles": sorted(user.roles), "active": user.active}
    user.roles = roles
    if user.active != active:
        user.active = active
        user.session_version += 1  # a deactivated user is signed out everywhere
    after = {"roles": sorted(user.roles), "active": user.active}
    if before != after:
        audit.record("user.access_changed", user, before=before, after=after, actor=actor)
    db.session.commit()


def people_and_logins(q: str, with_login: bool, page: int, per_page: int) -> Page:
    """People (those who can sign in first, then by name) matching ``q`` in
    their name, email or employee id; only those with a login if asked."""
    query = select(Person).outerjoin(User, User.person_id == Person.id)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(
            func.lower(Person.first_name + " " + Person.last_name).like(like),
            func.lower(Person.email).like(like),
            func.lower(Person.employee_id).like(like),
        ))
    if with_login:
        query = query.where(User.id.is_not(None))
    return page_of(query.order_by(User.id.is_(None), Person.last_name, Person.first_name), page, per_page)

"""What each user may see. Every object fetch in a view goes through here.

Org-wide roles (HR reviewers, compliance, admins) see everyone; a manager sees
themself and their whole reporting line; an employee sees only themself.
Anything else is answered with 404, so ids cannot be probed.
"""
from __future__ import annotations

from typing import TypeVar

from flask import abort
from sqlalchemy import Select, literal, select

from portal.extensions import db
from portal.models import Credential, Document, Person, User
from portal.policies.access import sees_everyone

T = TypeVar("T")


def reporting_line_ids(manager_person_id: int) -> Select:
    """Ids of everyone below ``manager_person_id``, at any depth (one query)."""
    line = select(Person.id).where(Person.manager_id == manager_person_id).cte(
        "reporting_line", recursive=True
    )
    line = line.union_all(select(Person.id).where(Person.manager_id == line.c.id))
    return select(line.c.id)


def visible_person_ids(user: User) -> Select | None:
    """A subquery of visible person ids, or None meaning "everyone"."""
    if sees_everyone(user.roles):
        return None
    if user.person_id is None:
        return select(literal(-1))
    own = select(literal(user.person_id))
    if user.has_role("manager"):
        return own.union(reporting_line_ids(user.person_id))
    return own


def scope_people(query: Select, user: User, person_column=Person.id) -> Select:
    """Restrict ``query`` to rows whose ``person_column`` the user may see."""
    visible = visible_person_ids(user)
    if visible is None:
        return query
    return query.where(person_column.in_(visible))


def can_see_person(user: User, person_id: int | None) -> bool:
    if person_id is None:
        return sees_everyone(user.roles)
    if sees_everyone(user.roles) or person_id == user.person_id:
        return True
    visible = visible_person_ids(user)
    return db.session.scalar(select(literal(True)).where(literal(person_id).in_(visible))) is True


def get_or_404(model: type[T], object_id: int, user: User) -> T:
    """Fetch one object the user may see, or answer 404."""
    obj = get_row_or_404(model, object_id)
    person_id = obj.id if isinstance(obj, Person) else getattr(obj, "person_id", None)
    if not can_see_person(user, person_id):
        abort(404)
    return obj


def get_row_or_404(model: type[T], object_id: int) -> T:
    """Fetch a row that is no person's record to scope (an account, a token,
    a webhook, an email, a set-up row), on a page whose role gate decides who
    may see it, or answer 404."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def get_person_or_404(person_id: int, user: User) -> Person:
    return get_or_404(Person, person_id, user)


def get_credential_or_404(credential_id: int, user: User) -> Credential:
    return get_or_404(Credential, credential_id, user)


def get_document_or_404(document_id: int, user: User) -> Document:
    return get_or_404(Document, document_id, user)

"""What the reminder scan and the sender know about the organisation.

``policies`` reads the stored reminder policies as plain
``portal.policies.reminders.PolicyFacts`` (the scan, the sender and the rule
share them; ``types_clause`` is a policy's types in SQL); ``load`` reads the
rest of the organisation the same way (``ScanFacts``) for the pure rule, the
dry run and the tests.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Credential,
    CredentialType,
    Document,
    Notification,
    Person,
    ReminderPolicy,
    RequirementSnapshot,
    User,
)
from portal.models.reminders import DEFAULT_ESCALATION, DEFAULT_OFFSETS
from portal.policies import reminders as rules
from portal.services import open_documents

RS = RequirementSnapshot


def policies() -> list[rules.PolicyFacts]:
    """The stored reminder policies as the rule reads them: each per-type
    override, then the organisation default (built-in values when none is
    stored) for every other type."""
    rows = list(db.session.scalars(select(ReminderPolicy)))
    overrides = [r for r in rows if r.credential_type_id is not None]
    default = next((r for r in rows if r.credential_type_id is None), None)
    found = [_policy(r, frozenset({r.credential_type_id}), frozenset()) for r in overrides]
    found.append(_policy(default, None, frozenset(r.credential_type_id for r in overrides)))
    return found


def _policy(row: ReminderPolicy | None, type_ids: frozenset[int] | None, excluded: frozenset[int]) -> rules.PolicyFacts:
    return rules.PolicyFacts(
        type_ids=type_ids, excluded=excluded,
        offsets=tuple(int(o) for o in (row.offsets if row else DEFAULT_OFFSETS) or ()),
        grace_days=int(row.grace_days if row and row.grace_days is not None else 30),
        escalation=tuple((row.escalation if row else DEFAULT_ESCALATION) or ()),
        allow_digest=bool(row and row.allow_digest))


def types_clause(policy: rules.PolicyFacts, column):
    """The credential types ``policy`` governs, as a clause on ``column``.

    Always an IN list, even for "every other type": the leading column of
    the (type, date) indexes, so each step is an index range per type."""
    if policy.type_ids is not None:
        return column.in_(sorted(policy.type_ids))
    return column.in_(select(CredentialType.id).where(CredentialType.id.not_in(sorted(policy.excluded)))
                      if policy.excluded else select(CredentialType.id))


def catchup_days() -> int:
    return int(current_app.config.get("REMINDER_CATCHUP_DAYS", rules.DEFAULT_CATCHUP_DAYS))


def load() -> rules.ScanFacts:
    """Everything ``rules.pick`` reads, for the whole organisation (the dry run, the tests).

    The scan itself never loads this: it asks the same questions in SQL.
    """
    people = {p.id: rules.PersonFacts(p.id, bool(p.active), p.email, p.manager_id, p.notification_channel or "email")
              for p in db.session.scalars(select(Person))}
    staff = []
    for user in db.session.scalars(select(User)):
        person = people.get(user.person_id) if user.person_id else None
        staff.append(rules.StaffFacts(
            user.id, user.person_id, (person.email if person and person.email else user.email),
            frozenset(user.roles_text.split()), bool(user.active) and (person is None or person.active)))
    required = [rules.RequiredFacts(r.person_id, r.credential_type_id, r.credential_id, r.expires_on, r.lapses_on,
                                    bool(r.pending), r.evaluated_on) for r in db.session.scalars(select(RS))]
    credentials = [rules.CredentialFacts(c.id, c.person_id, c.credential_type_id, c.state, c.expires_on)
                   for c in db.session.scalars(select(Credential))]
    documents = [rules.OpenDocumentFacts(person_id, type_id) for person_id, type_id in db.session.execute(
        open_documents.open_documents(Document.person_id, open_documents.TYPE_ID))]
    written = [rules.WrittenFacts(n.id, n.unique_key, n.kind, n.step, n.person_id, n.credential_type_id, n.due_on)
               for n in db.session.scalars(select(Notification))]
    return rules.ScanFacts(policies(), people, staff, required, credentials,
                           documents, written, catchup_days())

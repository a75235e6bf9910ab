"""What the reminder scan and the sender know about the organisation.

``PolicyScope`` wraps a stored reminder policy for the SQL scan; ``load``
reads the same facts as plain values (``portal.policies.reminders.ScanFacts``)
for the pure rule, the dry run and the tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

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
from portal.models.documents import OPEN_STATES
from portal.models.reminders import DEFAULT_ESCALATION, DEFAULT_OFFSETS
from portal.policies import reminders as rules

RS = RequirementSnapshot


@dataclass
class PolicyScope:
    """One reminder policy and the credential types it governs."""

    row: ReminderPolicy | None
    type_ids: list[int] | None  # None: every type not in ``excluded``
    excluded: list[int]

    @property
    def offsets(self):
        return self.row.offsets if self.row else DEFAULT_OFFSETS

    @property
    def grace_days(self) -> int:
        return int(self.row.grace_days if self.row and self.row.grace_days is not None else 30)

    @property
    def escalation(self):
        return self.row.escalation if self.row else DEFAULT_ESCALATION

    @property
    def allow_digest(self) -> bool:
        return bool(self.row and self.row.allow_digest)

    @cached_property
    def _ladders(self) -> dict[str, list[rules.Step]]:
        return rules.ladder(self.offsets, self.grace_days, self.escalation)

    def ladders(self) -> dict[str, list[rules.Step]]:
        return self._ladders

    def types_clause(self, column):
        # Always an IN list, even for "every other type": the leading column of
        # the (type, date) indexes, so each step is an index range per type.
        if self.type_ids is not None:
            return column.in_(self.type_ids)
        return column.in_(select(CredentialType.id).where(CredentialType.id.not_in(self.excluded))
                          if self.excluded else select(CredentialType.id))

    def as_facts(self) -> rules.PolicyFacts:
        return rules.PolicyFacts(
            type_ids=frozenset(self.type_ids) if self.type_ids is not None else None,
            excluded=frozenset(self.excluded), offsets=tuple(int(o) for o in self.offsets or ()),
            grace_days=self.grace_days, escalation=tuple(self.escalation or ()), allow_digest=self.allow_digest)


def policy_scopes() -> list[PolicyScope]:
    rows = list(db.session.scalars(select(ReminderPolicy)))
    overrides = [r for r in rows if r.credential_type_id is not None]
    default = next((r for r in rows if r.credential_type_id is None), None)
    scopes = [PolicyScope(r, [r.credential_type_id], []) for r in overrides]
    scopes.append(PolicyScope(default, None, [r.credential_type_id for r in overrides]))
    return scopes


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
    renewed_type = {c.id: c.type_id for c in credentials}
    documents = [rules.OpenDocumentFacts(d.person_id, d.credential_type_id, d.renews_credential_id,
                                         renewed_type.get(d.renews_credential_id))
                 for d in db.session.scalars(select(Document).where(Document.state.in_(OPEN_STATES)))]
    written = [rules.WrittenFacts(n.id, n.unique_key, n.kind, n.step, n.person_id, n.credential_type_id, n.due_on)
               for n in db.session.scalars(select(Notification))]
    return rules.ScanFacts([s.as_facts() for s in policy_scopes()], people, staff, required, credentials,
                           documents, written, catchup_days())

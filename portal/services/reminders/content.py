"""What a reminder, escalation or missing-requirement email says, and whether it is still worth sending.

Registered as mail types in ``portal.services.mail_types``; the mailer calls
``preload`` once per batch, then ``credential_context`` / ``missing_context``,
``expiry_calendar`` and the still-wanted checks per row. Whether a row is
still worth sending is decided by ``portal.policies.reminders``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from portal.database import unindexed
from portal.extensions import db
from portal.models import (
    Credential,
    CredentialType,
    Document,
    Issuer,
    Notification,
    Person,
    RequirementSnapshot,
    today,
    utcnow,
)
from portal.policies import reminders as rules
from portal.services import mailer, open_documents
from portal.services.reminders import facts

RS = RequirementSnapshot


@dataclass
class Loaded:
    """What a batch of reminder / escalation / missing rows needs, loaded with a
    fixed number of queries (see ``preload``)."""

    people: dict[int, Person]
    credentials: dict[int, Credential] = field(default_factory=dict)
    types: dict[int, CredentialType] = field(default_factory=dict)
    issuers: dict[int, Issuer] = field(default_factory=dict)
    policies: list[rules.PolicyFacts] = field(default_factory=list)
    # (person, type) -> the holders' active records
    held: dict[tuple[int, int], list[rules.CredentialFacts]] = field(default_factory=dict)
    # person -> the holders' documents waiting for review
    documents: dict[int, list[rules.OpenDocumentFacts]] = field(default_factory=dict)
    snapshot_expiry: dict[int, date] = field(default_factory=dict)

    def policy_for(self, type_id: int | None) -> rules.PolicyFacts:
        return rules.policy_for(self.policies, type_id) or self.policies[-1]

    def has_open_document(self, credential: Credential) -> bool:
        return rules.has_open_document(self.documents.get(credential.person_id, ()), credential.person_id,
                                       credential.credential_type_id)

    def newer_on_record(self, credential: Credential) -> bool:
        return rules.newer_on_record(
            _credential_facts(credential), self.held.get((credential.person_id, credential.credential_type_id), ()))


def held_credentials(holder_ids):
    """The active credentials of the batch's holders, found by the person index
    (``unindexed`` state: without statistics the state index read every
    active credential, 1.2-1.5 s a batch at 1,000,000 on SQLite)."""
    return select(Credential.id, Credential.person_id, Credential.credential_type_id, Credential.expires_on).where(
        Credential.person_id.in_(holder_ids), unindexed(Credential.state) == "active")


def preload(rows: list[Notification], batch: mailer.Batch) -> Loaded:
    """Credentials, types, issuers, policies, held records and open documents for
    ``rows``: seven queries at most, however many rows."""
    loaded = Loaded(people=batch.people)
    credential_ids = {r.credential_id for r in rows if r.credential_id}
    if credential_ids:
        loaded.credentials = {c.id: c for c in db.session.scalars(
            select(Credential).where(Credential.id.in_(credential_ids)))}
    type_ids = {r.credential_type_id for r in rows if r.credential_type_id}
    type_ids |= {c.credential_type_id for c in loaded.credentials.values()}
    if type_ids:
        loaded.types = {t.id: t for t in db.session.scalars(
            select(CredentialType).where(CredentialType.id.in_(type_ids)))}
    issuer_ids = {t.issuer_id for t in loaded.types.values() if t.issuer_id}
    if issuer_ids:
        loaded.issuers = {i.id: i for i in db.session.scalars(select(Issuer).where(Issuer.id.in_(issuer_ids)))}
    loaded.policies = facts.policies()
    holder_ids = {r.person_id for r in rows if r.person_id}
    if holder_ids:
        for cid, pid, tid, expires in db.session.execute(held_credentials(holder_ids)):
            loaded.held.setdefault((pid, tid), []).append(rules.CredentialFacts(cid, pid, tid, "active", expires))
        for pid, tid in db.session.execute(open_documents.open_documents(Document.person_id, open_documents.TYPE_ID)
                                           .where(Document.person_id.in_(holder_ids))):
            loaded.documents.setdefault(pid, []).append(rules.OpenDocumentFacts(pid, tid))
    undated = [c.id for c in loaded.credentials.values() if c.expires_on is None]
    if undated:
        loaded.snapshot_expiry = dict(db.session.execute(
            select(RS.credential_id, RS.expires_on).where(RS.credential_id.in_(undated))).all())
    return loaded


def _step_for(notification: Notification, policy: rules.PolicyFacts) -> rules.Step:
    audience, _, name = (notification.step or "employee:").partition(":")
    for step in policy.ladders().get(audience, ()):
        if step.name == name:
            return step
    return rules.Step(audience, 0, name)


def _loaded(notification: Notification, batch: mailer.Batch) -> Loaded:
    return batch.loaded[notification.kind]


def _holder_and_type(notification: Notification, loaded: Loaded):
    holder = loaded.people.get(notification.person_id) if notification.person_id else None
    ctype = loaded.types.get(notification.credential_type_id)
    issuer = loaded.issuers.get(ctype.issuer_id) if ctype and ctype.issuer_id else None
    return holder, ctype, issuer


def credential_context(notification: Notification, batch: mailer.Batch) -> dict[str, Any]:
    loaded = _loaded(notification, batch)
    credential = loaded.credentials[notification.credential_id]
    holder, ctype, issuer = _holder_and_type(notification, loaded)
    policy = loaded.policy_for(notification.credential_type_id)
    step = _step_for(notification, policy)
    on = notification.due_on or today()
    expires = credential.expires_on or loaded.snapshot_expiry.get(credential.id)
    to_holder = step.audience == "employee"
    ctx = {
        "audience": step.audience,
        "to_holder": to_holder,
        "holder_name": holder.full_name if holder else "",
        "first_name": holder.first_name if holder else "",
        "type_name": ctype.name if ctype else "credential",
        "issuer_name": issuer.name if issuer else "",
        "license_number": credential.license_number,
        "expires_on": expires,
        "expired": expires is not None and expires < on,
        "grace_days": policy.grace_days,
        "grace_left": rules.grace_left(expires, on, policy.grace_days) if expires else None,
        "when": rules.when_phrase(expires, on) if expires else "",
        "renewal_url": issuer.renewal_url if issuer else None,
        "credential_url": mailer.public_url("registry.credential", credential_id=credential.id),
        "pending_review": loaded.has_open_document(credential),
        "step_name": step.name,
    }
    if expires is not None:
        ctx["subject"] = rules.subject(step, ctx["type_name"], ctx["holder_name"], expires, on,
                                       policy.grace_days)
    if to_holder:
        from portal.services import renewal_links

        ctx["upload_url"] = renewal_links.url_for_credential(
            credential.id, credential.person_id, nonce=f"notification-{notification.id}")
    else:
        ctx["person_url"] = mailer.public_url("registry.person", person_id=credential.person_id)
    return ctx


def missing_context(notification: Notification, batch: mailer.Batch) -> dict[str, Any]:
    holder, ctype, issuer = _holder_and_type(notification, _loaded(notification, batch))
    audience = (notification.step or "employee").partition(":")[0]
    type_name = ctype.name if ctype else "credential"
    holder_name = holder.full_name if holder else ""
    return {
        "audience": audience,
        "to_holder": audience == "employee",
        "holder_name": holder_name,
        "first_name": holder.first_name if holder else "",
        "type_name": type_name,
        "subject": rules.missing_subject(audience, type_name, holder_name),
        "upload_url": mailer.public_url("me.upload", type=notification.credential_type_id),
        "person_url": mailer.public_url("registry.person", person_id=notification.person_id),
        "renewal_url": issuer.renewal_url if issuer else None,
    }


def expiry_calendar(notification: Notification, ctx: dict) -> list[tuple[str, str, bytes]]:
    """An all-day .ics event on the expiry date, so people can put it in their calendar."""
    expires = ctx.get("expires_on")
    if not isinstance(expires, date):
        return []
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Credwatch//Reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = Event()
    whose = "" if ctx.get("to_holder") else f"{ctx.get('holder_name')}: "
    entry.add("uid", f"credential-{notification.credential_id}-expiry@{mailer.mail_domain()}")
    entry.add("summary", f"{whose}{ctx.get('type_name')} expires")
    entry.add("dtstart", expires)
    entry.add("dtend", expires + timedelta(days=1))
    entry.add("dtstamp", utcnow())
    entry.add("description", f"Renew before this date. Details: {ctx.get('credential_url', '')}")
    entry.add("transp", "TRANSPARENT")
    calendar.add_component(entry)
    return [("expiry.ics", "text/calendar", calendar.to_ical())]


def still_wanted_credential(notification: Notification, batch: mailer.Batch) -> str | None:
    loaded = _loaded(notification, batch)
    credential = loaded.credentials.get(notification.credential_id)
    return rules.credential_notice_unwanted(
        notification.kind, _credential_facts(credential), _person_facts(loaded.people.get(notification.person_id)),
        newer=credential is not None and loaded.newer_on_record(credential),
        open_document=credential is not None and loaded.has_open_document(credential))


def still_wanted_missing(notification: Notification, batch: mailer.Batch) -> str | None:
    loaded = _loaded(notification, batch)
    return rules.missing_notice_unwanted(
        _person_facts(loaded.people.get(notification.person_id)),
        now_held=bool(loaded.held.get((notification.person_id, notification.credential_type_id))))


def _credential_facts(credential: Credential | None) -> rules.CredentialFacts | None:
    if credential is None:
        return None
    return rules.CredentialFacts(credential.id, credential.person_id, credential.credential_type_id,
                                 credential.state, credential.expires_on)


def _person_facts(person: Person | None) -> rules.PersonFacts | None:
    if person is None:
        return None
    return rules.PersonFacts(person.id, bool(person.active), person.email, person.manager_id)

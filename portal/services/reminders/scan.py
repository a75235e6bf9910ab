"""The daily scan: the rule of ``portal.policies.reminders.pick``, in SQL.

``scan(on)`` writes one ``Notification`` per (credential or missing
requirement, recipient, step) whose step is current on ``on``. Each step of
each policy is one ``INSERT ... SELECT`` over an indexed date range:
required credentials and missing requirements come from the compliance
snapshot (``requirement_states``), other credentials a person holds from
``credentials (state, expires_on)``. A unique key per row (formats in
``portal.policies.notification_keys``; a NOT EXISTS on it) makes a second
scan of the same day add nothing. This is the documented bulk path for
creating notifications (``mailer.queue_selected``); every other one goes
through ``mailer.queue`` / ``queue_many``.

Who is told:
- required credentials: the holder, their manager, HR (users with the
  reviewer role) and compliance (users with the compliance role), per the
  ladder. These are compliance reminders: always sent by email.
- credentials no requirement asks for: the holder only; when the type's
  policy allows a digest and the holder chose it, the row is written as
  ``skipped`` and the weekly digest carries it instead.
- missing requirements: the holder, then manager and HR 14 and 30 days after
  the requirement was first seen missing (recorded by a ``missing-seen`` row
  that is never sent), whether or not the holder could be told. Once it is
  held again that record is closed, and a later gap is a new episode.
- leavers (inactive people) get nothing and nobody is told about them.
A document waiting for review pauses the holder's reminders (not escalations).

The dry run does not run these statements: it asks ``rules.pick`` over the
loaded facts, and tests/reminders/test_scan_agrees_with_the_rule.py checks
that both pick the same rows.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, literal, null, or_, select, update
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import Credential, Notification, Person, RequirementSnapshot, User, today
from portal.policies import notification_keys as keys
from portal.policies import reminders as rules
from portal.policies.reminders import SEEN_KIND
from portal.services import mailer, open_documents
from portal.services.reminders import facts

RS = RequirementSnapshot
# Aliases made once: building them per query costs more than running the query.
HOLDER = aliased(Person, name="holder")
BOSS = aliased(Person, name="boss")
STAFF = aliased(User, name="staff")
STAFF_PERSON = aliased(Person, name="staff_person")
NEWER = aliased(Credential, name="newer")
EARLIER = aliased(Notification, name="earlier")
CLOSED = aliased(Notification, name="closed")


def sql_join(*parts):
    """``notification_keys``' join, in SQL: strings become literals, other columns text."""
    pieces = [literal(part) if isinstance(part, str)
              else part if isinstance(getattr(part, "type", None), String) else cast(part, String)
              for part in parts]
    expression = pieces[0]
    for piece in pieces[1:]:
        expression = expression + piece
    return expression


def _recipient(audience: str, holder):
    """(from/join builder, recipient person id, email, key token, extra where clauses)."""
    if audience == "employee":
        return (lambda q: q), holder.id, holder.email, keys.person_token(holder.id, sql_join), [
            holder.email.is_not(None)]
    if audience == "manager":
        boss = BOSS
        return (lambda q: q.join(boss, boss.id == holder.manager_id)), boss.id, boss.email, (
            keys.person_token(boss.id, sql_join)), [boss.active, boss.email.is_not(None)]
    role = rules.ROLE_FOR_AUDIENCE[audience]
    user, staff_person = STAFF, STAFF_PERSON
    email = func.coalesce(staff_person.email, user.email)

    def join(q):
        return (q.join(user, (literal(" ") + user.roles_text + literal(" ")).like(f"% {role} %"))
                .outerjoin(staff_person, staff_person.id == user.person_id))

    return join, user.person_id, email, keys.user_token(user.id, sql_join), [
        user.active, or_(staff_person.id.is_(None), staff_person.active)]


def _not_yet_written(key):
    return ~exists().where(Notification.unique_key == key)


def _required_selection(policy: rules.PolicyFacts, window: rules.Window, on: date):
    """Required credentials (snapshot) whose ``window.step`` is current on ``on``."""
    step = window.step
    holder = HOLDER
    join, rid, email, token, where = _recipient(step.audience, holder)
    key = keys.credential_step(step.kind, RS.credential_id, token, step.label, sql_join)
    # lapses_on is expires_on + 1 and indexed with the type.
    query = join(select().select_from(RS).join(holder, holder.id == RS.person_id)).where(
        holder.active, RS.credential_id.is_not(None),
        RS.lapses_on > on + timedelta(days=window.low + 1),
        RS.lapses_on <= on + timedelta(days=window.high + 1),
        facts.types_clause(policy, RS.credential_type_id), *where, _not_yet_written(key),
    )
    if step.audience == "employee":
        query = query.where(~RS.pending)
    columns = dict(
        unique_key=key, kind=literal(step.kind), step=literal(step.label), person_id=RS.person_id,
        credential_id=RS.credential_id, credential_type_id=RS.credential_type_id,
        recipient_person_id=rid, recipient_email=email, state=literal("pending"),
    )
    return query, columns


def _optional_selection(policy: rules.PolicyFacts, window: rules.Window, on: date):
    """Credentials nobody requires of the holder: the holder's own reminders."""
    step = window.step
    holder, newer = HOLDER, NEWER
    key = keys.credential_step("reminder", Credential.id, keys.person_token(holder.id, sql_join), step.label,
                               sql_join)
    query = select().select_from(Credential).join(holder, holder.id == Credential.person_id).where(
        Credential.state == "active",
        Credential.expires_on > on + timedelta(days=window.low),
        Credential.expires_on <= on + timedelta(days=window.high),
        facts.types_clause(policy, Credential.credential_type_id),
        holder.active, holder.email.is_not(None),
        ~exists().where(RS.person_id == Credential.person_id,
                        RS.credential_type_id == Credential.credential_type_id),
        # a later record of the same type (a renewal not yet marked superseded)
        ~exists().where(newer.person_id == Credential.person_id,
                        newer.credential_type_id == Credential.credential_type_id,
                        newer.state == "active", newer.id != Credential.id,
                        or_(newer.expires_on.is_(None), newer.expires_on > Credential.expires_on)),
        ~open_documents.open_for(Credential.person_id, Credential.credential_type_id),
        _not_yet_written(key),
    )
    state = literal("pending")
    if policy.allow_digest:
        state = case((holder.notification_channel == "digest", literal("skipped")), else_=literal("pending"))
    columns = dict(
        unique_key=key, kind=literal("reminder"), step=literal(step.label), person_id=Credential.person_id,
        credential_id=Credential.id, credential_type_id=Credential.credential_type_id,
        recipient_person_id=holder.id, recipient_email=holder.email, state=state,
    )
    return query, columns


def _seen_selection(on: date):
    """A record of the day a requirement was first seen missing (a row of kind
    ``missing-seen``, never sent): the manager's and HR's steps count from it,
    whether or not the employee could be told (no email, a document in review).
    Rows seen missing before the scan ran first use the snapshot's evaluation date."""
    holder = HOLDER
    key = keys.missing_seen(RS.person_id, RS.credential_type_id, sql_join)
    query = select().select_from(RS).join(holder, holder.id == RS.person_id).where(
        holder.active, RS.credential_id.is_(None), _not_yet_written(key))
    first_seen = case((RS.evaluated_on < on, RS.evaluated_on), else_=literal(on))
    columns = dict(
        unique_key=key, kind=literal(SEEN_KIND), step=literal("seen"), person_id=RS.person_id,
        credential_id=null(), credential_type_id=RS.credential_type_id, recipient_person_id=null(),
        recipient_email=func.coalesce(holder.email, literal("")), state=literal("skipped"),
        due_on=first_seen,
    )
    return query, columns


def close_missing_episodes() -> int:
    """Close the record of a requirement seen missing once it is held (or no
    longer required): renamed and marked ``closed``, it frees the keys, so
    if the requirement goes missing again (a new assignment, a revoked
    credential) that is a new episode, told and escalated from its own day."""
    still_missing = exists().where(RS.person_id == Notification.person_id,
                                   RS.credential_type_id == Notification.credential_type_id,
                                   RS.credential_id.is_(None))
    return db.session.execute(
        update(Notification)
        .where(Notification.kind == SEEN_KIND, Notification.step == "seen", ~still_missing)
        .values(step="closed", unique_key=sql_join(Notification.unique_key, keys.CLOSED_SUFFIX, Notification.id))
        .execution_options(synchronize_session=False)
    ).rowcount


def _closed_episodes(subject=RS):
    return select(func.count()).where(
        CLOSED.kind == SEEN_KIND, CLOSED.step == "closed", CLOSED.person_id == subject.person_id,
        CLOSED.credential_type_id == subject.credential_type_id,
    ).scalar_subquery()


def _episode_tag(subject=RS):
    """``keys.episode_tag`` in SQL: nothing for a first episode, ":ep2"... for later ones."""
    closed = _closed_episodes(subject)
    return case((closed == 0, literal(keys.episode_tag(0))), else_=literal(":ep") + cast(closed + 1, String))


def _missing_selection(audience: str, days: int, on: date):
    holder, earlier = HOLDER, EARLIER
    join, rid, email, token, where = _recipient(audience, holder)
    name = keys.missing_step_name(audience, days)
    key = keys.missing_step(RS.person_id, RS.credential_type_id, _episode_tag(), token, name, sql_join)
    query = join(select().select_from(RS).join(holder, holder.id == RS.person_id)).where(
        holder.active, RS.credential_id.is_(None), *where, _not_yet_written(key),
    )
    if audience == "employee":
        query = query.where(~RS.pending)
    else:
        # escalate ``days`` after this episode was first seen missing (or, for
        # rows from before that was recorded, first told to the holder), if
        # still missing
        query = query.where(exists().where(
            earlier.person_id == RS.person_id, earlier.credential_type_id == RS.credential_type_id,
            or_(and_(earlier.kind == SEEN_KIND, earlier.step == "seen"),
                and_(earlier.kind == "missing", earlier.step == "employee:missing", _closed_episodes() == 0)),
            earlier.due_on <= on - timedelta(days=days)))
    columns = dict(
        unique_key=key, kind=literal("missing"), step=literal(name), person_id=RS.person_id,
        credential_id=null(), credential_type_id=RS.credential_type_id,
        recipient_person_id=rid, recipient_email=email, state=literal("pending"),
    )
    return query, columns


def selections(on: date):
    """Every (audience, query, columns) the scan runs for ``on``, in ``rules.pick``'s order."""
    found = []
    for policy in facts.policies():
        for audience, steps in policy.ladders().items():
            for window in rules.windows(steps, facts.catchup_days()):
                found.append((audience, *_required_selection(policy, window, on)))
                if audience == "employee":
                    found.append((audience, *_optional_selection(policy, window, on)))
    found.append(("employee", *_seen_selection(on)))
    for audience, days in rules.MISSING_LADDER:
        found.append((audience, *_missing_selection(audience, days, on)))
    return found


@dataclass
class ScanResult:
    on: date
    created: Counter = field(default_factory=Counter)  # "kind/audience" -> rows
    planned: list[rules.Pick] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    statements: int = 0
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.created.values())

    def as_dict(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "created": dict(self.created), "sent": self.sent,
                "dry_run": self.dry_run}


def scan(on: date | None = None, dry_run: bool = False) -> ScanResult:
    """Write (or, dry, list) the notifications due on ``on``. Commits unless dry."""
    on = on or today()
    result = ScanResult(on=on, dry_run=dry_run)
    if dry_run:
        for picked in rules.pick(facts.load(), on):
            if picked.state == "pending" and picked.kind != SEEN_KIND:
                result.planned.append(picked)
                result.created[f"{picked.kind}/{picked.audience}"] += 1
        return result
    close_missing_episodes()
    result.statements += 1
    for audience, query, columns in selections(on):
        result.statements += 1
        created = mailer.queue_selected(query, {"due_on": literal(on), **columns})
        if created and columns["kind"].value != SEEN_KIND:
            result.created[f"{columns['kind'].value}/{audience}"] += created
    db.session.commit()
    return result

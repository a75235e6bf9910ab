"""The daily reminder scan and the weekly digests.

``scan(on)`` writes one ``Notification`` per (credential or missing
requirement, recipient, step) whose step is current on ``on`` — see
``portal.policies.reminders`` for the ladders and the catch-up rule — and
``run_daily`` then hands them to the mailer. Each step of each policy is one
``INSERT ... SELECT`` over an indexed date range: required credentials and
missing requirements come from the compliance snapshot
(``requirement_states``), other credentials a person holds from
``credentials (state, expires_on)``. A unique key per row (and a NOT EXISTS on
it) makes a second scan of the same day add nothing.

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
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import String, and_, case, cast, exists, func, literal, null, or_, select, update
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Credential,
    CredentialType,
    Document,
    Issuer,
    Notification,
    Person,
    ReminderPolicy,
    RequirementSnapshot,
    User,
    today,
    utcnow,
)
from portal.models.documents import OPEN_STATES
from portal.models.reminders import DEFAULT_ESCALATION, DEFAULT_OFFSETS
from portal.policies import reminders as rules
from portal.services import audit, mailer

RS = RequirementSnapshot
# Aliases made once: building them per query costs more than running the query.
HOLDER = aliased(Person, name="holder")
BOSS = aliased(Person, name="boss")
STAFF = aliased(User, name="staff")
STAFF_PERSON = aliased(Person, name="staff_person")
NEWER = aliased(Credential, name="newer")
RENEWED = aliased(Credential, name="renewed")
EARLIER = aliased(Notification, name="earlier")
CLOSED = aliased(Notification, name="closed")
ROLE_FOR_AUDIENCE = {"hr": "reviewer", "compliance": "compliance"}
INSERT_COLUMNS = ("unique_key", "kind", "step", "person_id", "credential_id", "credential_type_id",
                  "recipient_person_id", "recipient_email", "due_on", "state", "attempts",
                  "next_attempt_at", "context", "created_at")


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


def policy_scopes() -> list[PolicyScope]:
    rows = list(db.session.scalars(select(ReminderPolicy)))
    overrides = [r for r in rows if r.credential_type_id is not None]
    default = next((r for r in rows if r.credential_type_id is None), None)
    scopes = [PolicyScope(r, [r.credential_type_id], []) for r in overrides]
    scopes.append(PolicyScope(default, None, [r.credential_type_id for r in overrides]))
    return scopes


def catchup_days() -> int:
    return int(current_app.config.get("REMINDER_CATCHUP_DAYS", rules.DEFAULT_CATCHUP_DAYS))


# --------------------------------------------------------------------------- selections

@dataclass(frozen=True)
class Planned:
    """One notification the scan would write (for --dry-run and tests)."""

    kind: str
    step: str
    audience: str
    recipient_email: str
    person_id: int
    credential_id: int | None
    credential_type_id: int
    expires_on: date | None


def _key(prefix: str, subject_id, recipient_token, step_name: str):
    return (literal(prefix) + cast(subject_id, String) + literal(":to:") + recipient_token
            + literal(":" + step_name))


def _recipient(audience: str, holder):
    """(from/join builder, recipient person id, email, key token, extra where clauses)."""
    if audience == "employee":
        return (lambda q: q), holder.id, holder.email, literal("p") + cast(holder.id, String), [
            holder.email.is_not(None)]
    if audience == "manager":
        boss = BOSS
        return (lambda q: q.join(boss, boss.id == holder.manager_id)), boss.id, boss.email, (
            literal("p") + cast(boss.id, String)), [boss.active, boss.email.is_not(None)]
    role = ROLE_FOR_AUDIENCE[audience]
    user, staff_person = STAFF, STAFF_PERSON
    email = func.coalesce(staff_person.email, user.email)

    def join(q):
        return (q.join(user, (literal(" ") + user.roles_text + literal(" ")).like(f"% {role} %"))
                .outerjoin(staff_person, staff_person.id == user.person_id))

    return join, user.person_id, email, literal("u") + cast(user.id, String), [
        user.active, or_(staff_person.id.is_(None), staff_person.active)]


def _not_yet_written(key):
    return ~exists().where(Notification.unique_key == key)


def _open_document_for(person_id, type_id, credential_id):
    renewed = RENEWED
    return exists().where(
        Document.person_id == person_id, Document.state.in_(OPEN_STATES),
        or_(Document.renews_credential_id == credential_id,
            Document.credential_type_id == type_id,
            and_(Document.renews_credential_id == renewed.id, renewed.credential_type_id == type_id)),
    ).correlate_except(Document, renewed)


def _required_selection(scope: PolicyScope, window: rules.Window, on: date):
    """Required credentials (snapshot) whose ``window.step`` is current on ``on``."""
    step = window.step
    holder = HOLDER
    join, rid, email, token, where = _recipient(step.audience, holder)
    key = _key(f"{step.kind}:cred:", RS.credential_id, token, step.label)
    # lapses_on is expires_on + 1 and indexed with the type.
    query = join(select().select_from(RS).join(holder, holder.id == RS.person_id)).where(
        holder.active, RS.credential_id.is_not(None),
        RS.lapses_on > on + timedelta(days=window.low + 1),
        RS.lapses_on <= on + timedelta(days=window.high + 1),
        scope.types_clause(RS.credential_type_id), *where, _not_yet_written(key),
    )
    if step.audience == "employee":
        query = query.where(~RS.pending)
    columns = dict(
        unique_key=key, kind=literal(step.kind), step=literal(step.label), person_id=RS.person_id,
        credential_id=RS.credential_id, credential_type_id=RS.credential_type_id,
        recipient_person_id=rid, recipient_email=email, state=literal("pending"),
    )
    return query, columns, RS.expires_on


def _optional_selection(scope: PolicyScope, window: rules.Window, on: date):
    """Credentials nobody requires of the holder: the holder's own reminders."""
    step = window.step
    holder, newer = HOLDER, NEWER
    key = _key("reminder:cred:", Credential.id, literal("p") + cast(holder.id, String), step.label)
    query = select().select_from(Credential).join(holder, holder.id == Credential.person_id).where(
        Credential.state == "active",
        Credential.expires_on > on + timedelta(days=window.low),
        Credential.expires_on <= on + timedelta(days=window.high),
        scope.types_clause(Credential.credential_type_id),
        holder.active, holder.email.is_not(None),
        ~exists().where(RS.person_id == Credential.person_id,
                        RS.credential_type_id == Credential.credential_type_id),
        # a later record of the same type (a renewal not yet marked superseded)
        ~exists().where(newer.person_id == Credential.person_id,
                        newer.credential_type_id == Credential.credential_type_id,
                        newer.state == "active", newer.id != Credential.id,
                        or_(newer.expires_on.is_(None), newer.expires_on > Credential.expires_on)),
        ~_open_document_for(Credential.person_id, Credential.credential_type_id, Credential.id),
        _not_yet_written(key),
    )
    state = literal("pending")
    if scope.allow_digest:
        state = case((holder.notification_channel == "digest", literal("skipped")), else_=literal("pending"))
    columns = dict(
        unique_key=key, kind=literal("reminder"), step=literal(step.label), person_id=Credential.person_id,
        credential_id=Credential.id, credential_type_id=Credential.credential_type_id,
        recipient_person_id=holder.id, recipient_email=holder.email, state=state,
    )
    return query, columns, Credential.expires_on


SEEN_KIND = "missing-seen"


def _seen_key(subject=RS):
    return (literal("missing:person:") + cast(subject.person_id, String) + literal(":type:")
            + cast(subject.credential_type_id, String) + literal(":seen"))


def _seen_selection(on: date):
    """A record of the day a requirement was first seen missing (a row of kind
    ``missing-seen``, never sent): the manager's and HR's steps count from it,
    whether or not the employee could be told (no email, a document in review).
    Rows seen missing before the scan ran first use the snapshot's evaluation date."""
    holder = HOLDER
    key = _seen_key()
    query = select().select_from(RS).join(holder, holder.id == RS.person_id).where(
        holder.active, RS.credential_id.is_(None), _not_yet_written(key))
    first_seen = case((RS.evaluated_on < on, RS.evaluated_on), else_=literal(on))
    columns = dict(
        unique_key=key, kind=literal(SEEN_KIND), step=literal("seen"), person_id=RS.person_id,
        credential_id=null(), credential_type_id=RS.credential_type_id, recipient_person_id=null(),
        recipient_email=func.coalesce(holder.email, literal("")), state=literal("skipped"),
        due_on=first_seen,
    )
    return query, columns, null()


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
        .values(step="closed", unique_key=Notification.unique_key + literal(":closed:") + cast(Notification.id, String))
        .execution_options(synchronize_session=False)
    ).rowcount


def _closed_episodes(subject=RS):
    return select(func.count()).where(
        CLOSED.kind == SEEN_KIND, CLOSED.step == "closed", CLOSED.person_id == subject.person_id,
        CLOSED.credential_type_id == subject.credential_type_id,
    ).scalar_subquery()


def _episode_tag(subject=RS):
    """Nothing for a requirement's first missing episode (the keys written
    before episodes were counted), ":ep2", ":ep3"... for later ones."""
    closed = _closed_episodes(subject)
    return case((closed == 0, literal("")), else_=literal(":ep") + cast(closed + 1, String))


def _missing_selection(audience: str, days: int, on: date):
    holder, earlier = HOLDER, EARLIER
    join, rid, email, token, where = _recipient(audience, holder)
    name = f"{audience}:missing" if days == 0 else f"{audience}:missing-d{days}"
    key = (literal("missing:person:") + cast(RS.person_id, String) + literal(":type:")
           + cast(RS.credential_type_id, String) + _episode_tag() + literal(":to:") + token + literal(":" + name))
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
    return query, columns, null()


def selections(on: date):
    """Every (audience, query, columns, expires column) the scan runs for ``on``."""
    found = []
    for scope in policy_scopes():
        for audience, steps in scope.ladders().items():
            for window in rules.windows(steps, catchup_days()):
                found.append((audience, *_required_selection(scope, window, on)))
                if audience == "employee":
                    found.append((audience, *_optional_selection(scope, window, on)))
    found.append(("employee", *_seen_selection(on)))
    for audience, days in rules.MISSING_LADDER:
        found.append((audience, *_missing_selection(audience, days, on)))
    return found


# --------------------------------------------------------------------------- the scan

@dataclass
class ScanResult:
    on: date
    created: Counter = field(default_factory=Counter)  # "kind/audience" -> rows
    planned: list[Planned] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    statements: int = 0
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.created.values())

    def as_dict(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "created": dict(self.created), "sent": self.sent,
                "dry_run": self.dry_run}


def _insert(session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(Notification)


def scan(on: date | None = None, dry_run: bool = False) -> ScanResult:
    """Write (or, dry, list) the notifications due on ``on``. Commits unless dry."""
    on = on or today()
    result = ScanResult(on=on, dry_run=dry_run)
    now = utcnow()
    if not dry_run:
        close_missing_episodes()
        result.statements += 1
    for audience, query, columns, expires in selections(on):
        result.statements += 1
        if dry_run:
            rows = db.session.execute(query.add_columns(
                columns["kind"].label("kind"), columns["step"].label("step"),
                columns["recipient_email"].label("email"), columns["person_id"].label("person_id"),
                columns["credential_id"].label("credential_id"),
                columns["credential_type_id"].label("type_id"), expires.label("expires_on"),
                columns["state"].label("state"))).all()
            for row in rows:
                if row.state != "pending":
                    continue
                result.planned.append(Planned(row.kind, row.step, audience, row.email, row.person_id,
                                              row.credential_id, row.type_id, row.expires_on))
                result.created[f"{row.kind}/{audience}"] += 1
            continue
        values = {"due_on": literal(on), **columns}
        values.update(attempts=literal(0), next_attempt_at=literal(now),
                      context=cast(literal("{}"), Notification.__table__.c.context.type),
                      created_at=literal(now))
        select_ = query.add_columns(*(values[name].label(name) for name in INSERT_COLUMNS))
        statement = _insert(db.session).from_select(list(INSERT_COLUMNS), select_)
        statement = statement.on_conflict_do_nothing(index_elements=["unique_key"])
        # rowcount is -1 for INSERT ... SELECT on some drivers: count what came back
        created = len(db.session.execute(statement.returning(Notification.id)).all())
        if created and columns["kind"].value != SEEN_KIND:
            result.created[f"{columns['kind'].value}/{audience}"] += created
    if not dry_run:
        db.session.commit()
    return result


def run_daily(on: date | None = None, send: bool = True) -> ScanResult:
    """The daily job: scan, tell webhooks, then send what is due."""
    on = on or today()
    before = db.session.scalar(select(func.max(Notification.id))) or 0
    result = scan(on)
    emit_webhooks(before, on)
    if send:
        result.sent = mailer.send_pending(limit=None)
    return result


# --------------------------------------------------------------------------- schedule

SCHEDULE_ENTITY = "ReminderSchedule"
SCAN_ACTION = "reminders.daily_scan"
DIGEST_ACTION = "reminders.weekly_digest"


def _ran(action: str, key: str) -> bool:
    return db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.entity_type == SCHEDULE_ENTITY, AuditEvent.entity_id == key,
        AuditEvent.action == action).limit(1)) is not None


def _record_run(action: str, key: str, after: dict) -> None:
    audit.record(action, None, entity_type=SCHEDULE_ENTITY, entity_id=key, after=after, actor="scheduler")
    db.session.commit()


def run_scheduled_scan(now: datetime | None = None) -> dict | None:
    """The periodic task's body (checked every few minutes): run the daily scan
    for the local date once REMINDER_TIME has come in REMINDER_TIMEZONE, if it
    has not run for that date (recorded as an audit event). None: not due."""
    config = current_app.config
    on = rules.scheduled_date(now or utcnow(), config["REMINDER_TIME"], config["REMINDER_TIMEZONE"])
    if on is None or _ran(SCAN_ACTION, on.isoformat()):
        return None
    result = run_daily(on).as_dict()
    _record_run(SCAN_ACTION, on.isoformat(), {"created": result["created"], "sent": result["sent"]})
    return result


def run_scheduled_digests(now: datetime | None = None) -> int | None:
    """Weekly digests on DIGEST_WEEKDAY (crontab numbering) at REMINDER_TIME
    local time, once per ISO week. None: not due."""
    config = current_app.config
    on = rules.scheduled_date(now or utcnow(), config["REMINDER_TIME"], config["REMINDER_TIMEZONE"],
                              cron_weekday=int(config.get("DIGEST_WEEKDAY", 1)))
    if on is None or _ran(DIGEST_ACTION, _week_key(on)):
        return None
    written = run_weekly_digests(on)
    _record_run(DIGEST_ACTION, _week_key(on), {"digests": written, "on": on.isoformat()})
    return written


def emit_webhooks(after_id: int, on: date) -> int:
    """credential.expiring / credential.expired / requirement.missing, once per step."""
    try:
        from portal.models import Webhook
        from portal.services import webhooks
    except ImportError:
        return 0
    if not db.session.scalar(select(func.count(Webhook.id)).where(Webhook.active.is_(True))):
        return 0
    emitted = 0
    rows = db.session.execute(
        select(Notification.kind, Notification.step, Notification.person_id, Notification.credential_id,
               Notification.credential_type_id, Credential.expires_on)
        .outerjoin(Credential, Credential.id == Notification.credential_id)
        .where(Notification.id > after_id,
               Notification.kind.in_(("reminder", "escalation", "missing", SEEN_KIND)))
        .distinct()
    ).all()
    for kind, step, person_id, credential_id, type_id, expires_on in rows:
        payload = {"person_id": person_id, "credential_type_id": type_id, "credential_id": credential_id,
                   "expires_on": expires_on, "step": step, "as_of": on}
        if kind in ("missing", SEEN_KIND):
            event, key = "requirement.missing", f"requirement.missing:{person_id}:{type_id}"
        elif expires_on is not None and expires_on < on:
            event, key = "credential.expired", f"credential.expired:{credential_id}"
        else:
            event, key = "credential.expiring", f"credential.expiring:{credential_id}:{step.partition(':')[2]}"
        emitted += len(webhooks.emit(event, key, payload))
    db.session.commit()
    return emitted


# --------------------------------------------------------------------------- rendering

@dataclass
class Loaded:
    """What a batch of reminder / escalation / missing rows needs, loaded with a
    fixed number of queries (see ``preload``)."""

    people: dict[int, Person]
    credentials: dict[int, Credential] = field(default_factory=dict)
    types: dict[int, CredentialType] = field(default_factory=dict)
    issuers: dict[int, Issuer] = field(default_factory=dict)
    scopes: list[PolicyScope] = field(default_factory=list)
    # (person, type) -> [(credential id, expires_on)] of active records
    held: dict[tuple[int, int], list[tuple[int, date | None]]] = field(default_factory=dict)
    # open documents: (person, type it is for or renews) and credential ids being renewed
    open_for_type: set[tuple[int, int]] = field(default_factory=set)
    open_for_credential: set[tuple[int, int]] = field(default_factory=set)
    snapshot_expiry: dict[int, date] = field(default_factory=dict)

    def scope_for(self, type_id: int | None) -> PolicyScope:
        return next((s for s in self.scopes if s.type_ids and type_id in s.type_ids), self.scopes[-1])

    def has_open_document(self, credential: Credential) -> bool:
        return ((credential.person_id, credential.id) in self.open_for_credential
                or (credential.person_id, credential.credential_type_id) in self.open_for_type)

    def newer_on_record(self, credential: Credential) -> bool:
        """A later active record of the same type (a renewal not yet marked superseded)."""
        if credential.expires_on is None:
            return False
        return any(other_id != credential.id and (expires is None or expires > credential.expires_on)
                   for other_id, expires in self.held.get((credential.person_id, credential.credential_type_id), ()))


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
    loaded.scopes = policy_scopes()
    holder_ids = {r.person_id for r in rows if r.person_id}
    if holder_ids:
        for cid, pid, tid, expires in db.session.execute(
                select(Credential.id, Credential.person_id, Credential.credential_type_id, Credential.expires_on)
                .where(Credential.person_id.in_(holder_ids), Credential.state == "active")):
            loaded.held.setdefault((pid, tid), []).append((cid, expires))
        renewed = RENEWED
        for pid, tid, renews_id, renewed_tid in db.session.execute(
                select(Document.person_id, Document.credential_type_id, Document.renews_credential_id,
                       renewed.credential_type_id)
                .outerjoin(renewed, renewed.id == Document.renews_credential_id)
                .where(Document.person_id.in_(holder_ids), Document.state.in_(OPEN_STATES))):
            if renews_id:
                loaded.open_for_credential.add((pid, renews_id))
            for type_id in (tid, renewed_tid):
                if type_id:
                    loaded.open_for_type.add((pid, type_id))
    undated = [c.id for c in loaded.credentials.values() if c.expires_on is None]
    if undated:
        loaded.snapshot_expiry = dict(db.session.execute(
            select(RS.credential_id, RS.expires_on).where(RS.credential_id.in_(undated))).all())
    return loaded


def _step_for(notification: Notification, scope: PolicyScope) -> rules.Step:
    audience, _, name = (notification.step or "employee:").partition(":")
    for step in scope.ladders().get(audience, ()):
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


def _credential_context(notification: Notification, batch: mailer.Batch) -> dict[str, Any]:
    loaded = _loaded(notification, batch)
    credential = loaded.credentials[notification.credential_id]
    holder, ctype, issuer = _holder_and_type(notification, loaded)
    scope = loaded.scope_for(notification.credential_type_id)
    step = _step_for(notification, scope)
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
        "grace_days": scope.grace_days,
        "grace_left": rules.grace_left(expires, on, scope.grace_days) if expires else None,
        "when": rules.when_phrase(expires, on) if expires else "",
        "renewal_url": issuer.renewal_url if issuer else None,
        "credential_url": mailer.public_url("registry.credential", f"/credentials/{credential.id}",
                                            credential_id=credential.id),
        "pending_review": loaded.has_open_document(credential),
        "step_name": step.name,
    }
    if expires is not None:
        ctx["subject"] = rules.subject(step, ctx["type_name"], ctx["holder_name"], expires, on,
                                       scope.grace_days)
    if to_holder:
        from portal.services import renewal_links

        ctx["upload_url"] = renewal_links.url_for_credential(
            credential.id, credential.person_id, nonce=f"notification-{notification.id}")
    else:
        ctx["person_url"] = mailer.public_url("registry.person", f"/people/{credential.person_id}",
                                              person_id=credential.person_id)
    return ctx


def _missing_context(notification: Notification, batch: mailer.Batch) -> dict[str, Any]:
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
        "upload_url": mailer.public_url("me.upload", f"/me/upload?type={notification.credential_type_id}",
                                        type=notification.credential_type_id),
        "person_url": mailer.public_url("registry.person", f"/people/{notification.person_id}",
                                        person_id=notification.person_id),
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
    entry.add("uid", f"credential-{notification.credential_id}-expiry@{mailer._mail_domain()}")
    entry.add("summary", f"{whose}{ctx.get('type_name')} expires")
    entry.add("dtstart", expires)
    entry.add("dtend", expires + timedelta(days=1))
    entry.add("dtstamp", utcnow())
    entry.add("description", f"Renew before this date. Details: {ctx.get('credential_url', '')}")
    entry.add("transp", "TRANSPARENT")
    calendar.add_component(entry)
    return [("expiry.ics", "text/calendar", calendar.to_ical())]


def _still_wanted_credential(notification: Notification, batch: mailer.Batch) -> str | None:
    loaded = _loaded(notification, batch)
    credential = loaded.credentials.get(notification.credential_id)
    holder = loaded.people.get(notification.person_id) if notification.person_id else None
    if credential is None or credential.state != "active":
        return "The credential was renewed or withdrawn before this was sent."
    if holder is None or not holder.active:
        return "The holder has left."
    if loaded.newer_on_record(credential):
        return "A renewed credential is on record."
    if notification.kind == "reminder" and loaded.has_open_document(credential):
        return "A renewal is waiting for review."
    return None


def _still_wanted_missing(notification: Notification, batch: mailer.Batch) -> str | None:
    loaded = _loaded(notification, batch)
    holder = loaded.people.get(notification.person_id)
    if holder is None or not holder.active:
        return "The holder has left."
    if loaded.held.get((notification.person_id, notification.credential_type_id)):
        return "The credential is now on record."
    return None


mailer.PRELOADERS.update(reminder=preload, escalation=preload, missing=preload)
mailer.CONTEXT_BUILDERS.update(reminder=_credential_context, escalation=_credential_context,
                               missing=_missing_context)
mailer.ATTACHMENT_BUILDERS.update(reminder=expiry_calendar, escalation=expiry_calendar)
mailer.STILL_WANTED_CHECKS.update(reminder=_still_wanted_credential, escalation=_still_wanted_credential,
                                  missing=_still_wanted_missing)


# --------------------------------------------------------------------------- weekly digests

DIGEST_HORIZON_DAYS = 30
DIGEST_LIST_LIMIT = 25


def _digest_rows(person_ids, on: date) -> dict[str, Any]:
    """Upcoming expiries and open escalations among ``person_ids`` (None: everyone)."""
    from portal.services.compliance_snapshot import status_expression

    holder = aliased(Person, name="holder")
    status = status_expression(on).label("status")
    base = (select(holder.id, holder.first_name, holder.last_name, CredentialType.name, RS.expires_on, status)
            .join(holder, holder.id == RS.person_id).join(CredentialType, CredentialType.id == RS.credential_type_id)
            .where(holder.active))
    if person_ids is not None:
        base = base.where(RS.person_id.in_(person_ids))
    upcoming = db.session.execute(
        base.where(RS.expires_on >= on, RS.expires_on <= on + timedelta(days=DIGEST_HORIZON_DAYS))
        .order_by(RS.expires_on).limit(DIGEST_LIST_LIMIT)).all()
    open_rows = db.session.execute(
        base.where(or_(RS.credential_id.is_(None), RS.lapses_on <= on))
        .order_by(RS.expires_on.is_(None), RS.expires_on).limit(DIGEST_LIST_LIMIT)).all()
    counts_query = select(status, func.count()).select_from(RS).join(holder, holder.id == RS.person_id) \
        .where(holder.active).group_by(status)
    if person_ids is not None:
        counts_query = counts_query.where(RS.person_id.in_(person_ids))
    counts = {s: n for s, n in db.session.execute(counts_query)}

    def item(row):
        return {"person_id": row[0], "name": f"{row[1]} {row[2]}", "type_name": row[3],
                "expires_on": row[4].isoformat() if row[4] else None, "status": row[5]}

    return {"upcoming": [item(r) for r in upcoming], "open": [item(r) for r in open_rows],
            "counts": counts, "horizon_days": DIGEST_HORIZON_DAYS}


def _week_key(on: date) -> str:
    year, week, _ = on.isocalendar()
    return f"{year}-W{week:02d}"


def run_weekly_digests(on: date | None = None) -> int:
    """One digest per manager (their reporting line), per HR reviewer and
    compliance officer (everyone), and per employee who chose the digest for
    optional reminders. Idempotent per ISO week. Returns digests written."""
    from portal.database import settled_ids
    from portal.services.scoping import reporting_line_ids

    on = on or today()
    week = _week_key(on)
    written = 0
    managers = db.session.execute(
        select(Person).where(Person.active, Person.email.is_not(None),
                             exists().where(aliased(Person, name="report").manager_id == Person.id))
    ).scalars().all()
    for manager in managers:
        line = settled_ids(select(Person.id).where(Person.id.in_(reporting_line_ids(manager.id))))
        data = _digest_rows(line, on)
        written += _queue_digest(f"digest:{week}:manager:p{manager.id}", manager.id, manager.email,
                                 "manager", data, on, f"Your team’s credentials — week {week[-2:]}")
    for user in db.session.scalars(select(User).where(User.active)):
        if not user.has_role("reviewer", "compliance"):
            continue
        person = user.person
        if person is not None and not person.active:
            continue
        data = _digest_rows(None, on)
        data["failing_addresses"] = db.session.scalar(
            select(func.count(Person.id)).where(Person.email_failing_since.is_not(None), Person.active))
        written += _queue_digest(f"digest:{week}:org:u{user.id}", user.person_id,
                                 (person.email if person and person.email else user.email), "org", data, on,
                                 f"Organisation credentials — week {week[-2:]}")
    for person in db.session.scalars(select(Person).where(
            Person.active, Person.notification_channel == "digest", Person.email.is_not(None))):
        held = db.session.execute(
            select(CredentialType.name, Credential.expires_on)
            .join(CredentialType, CredentialType.id == Credential.credential_type_id)
            .where(Credential.person_id == person.id, Credential.state == "active",
                   Credential.expires_on <= on + timedelta(days=90))
            .order_by(Credential.expires_on)).all()
        if not held:
            continue
        data = {"own": [{"type_name": n, "expires_on": e.isoformat()} for n, e in held]}
        written += _queue_digest(f"digest:{week}:own:p{person.id}", person.id, person.email, "own", data, on,
                                 "Your credentials this week")
    db.session.commit()
    return written


def _queue_digest(key, person_id, email, audience, data, on, subject) -> int:
    if not email:
        return 0
    if audience != "own" and not data.get("upcoming") and not data.get("open"):
        return 0
    notification = Notification(
        unique_key=key, kind="digest", step=f"{audience}:weekly", person_id=person_id,
        recipient_person_id=person_id, recipient_email=email, due_on=on, subject=subject,
        context=dict(data, audience=audience, as_of=on.isoformat()),
    )
    return 1 if mailer.queue(notification) is notification else 0

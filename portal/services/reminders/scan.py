"""The daily scan: the rule of ``portal.policies.reminders.pick``, in SQL.

``scan(on)`` writes one ``Notification`` per (credential or missing
requirement, recipient, step) whose step is current on ``on``. Each step of
each policy is one ``INSERT ... SELECT`` over an indexed date range:
required credentials and missing requirements come from the compliance
snapshot (``requirement_states``), other credentials a person holds from
``credentials (state, expires_on)``. A unique key per row (formats in
``portal.policies.notification_keys``; the insert's ON CONFLICT DO NOTHING
on its unique index) makes a second scan of the same day add nothing. This is the documented bulk path for
creating notifications (``mailer.queue_selected``); every other one goes
through ``mailer.queue`` / ``queue_many``.

Each scan is recorded (``ReminderScan``). The next one, with the same
policies, reads only the part of each window that rows entered since that
scan's day, the missing requirements whose escalation delay ran out since,
and the people changed since it started (see ``since_last_scan``): its cost
follows what is due and what changed, not the registry. Without such a scan
to start from, it reads every window whole.

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

import functools
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterator

from sqlalchemy import String, and_, case, cast, exists, func, literal, null, or_, select, text, tuple_, union, update
from sqlalchemy.orm import aliased

from portal.database import unindexed
from portal.extensions import db
from portal.models import (
    Credential,
    CredentialType,
    Notification,
    Person,
    ReminderChange,
    ReminderScan,
    RequirementSnapshot,
    User,
    today,
    utcnow,
)
from portal.models.reminders import MISSING_KINDS
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


def _a_missing_record(table: str = "notifications"):
    """A missing requirement's record (``table``: the notifications or an
    alias), as the partial indexes on those records word it: SQLite uses a
    partial index only when the query repeats its condition; a bound
    parameter does not match it."""
    return text(f"{table}.{MISSING_KINDS}")


def _active(holder):
    """The holder is active, as a test the people index does not answer:
    without statistics SQLite would walk every active person and look up
    their rows, where the snapshot's date or person index reads a few."""
    return func.coalesce(holder.active, literal(False))


def _held(column, people):
    return column.is_not(None) if people is None else unindexed(column).is_not(None)


def _required_selection(policy: rules.PolicyFacts, window: rules.Window, on: date,
                        days: tuple[int, int] | None = None, people: list[int] | None = None):
    """Required credentials (snapshot) whose ``window.step`` is current on ``on``:
    those with days left in ``days`` (a part of the window; all of it by
    default), of ``people`` only if given."""
    step = window.step
    low, high = days or (window.low, window.high)
    holder = HOLDER
    join, rid, email, token, where = _recipient(step.audience, holder)
    key = keys.credential_step(step.kind, RS.credential_id, token, step.label, sql_join)
    # lapses_on is expires_on + 1 and indexed with the type.
    type_id = RS.credential_type_id if people is None else unindexed(RS.credential_type_id)
    query = join(select().select_from(RS).join(holder, holder.id == RS.person_id)).where(
        _active(holder), _held(RS.credential_id, people),
        RS.lapses_on > on + timedelta(days=low + 1),
        RS.lapses_on <= on + timedelta(days=high + 1),
        facts.types_clause(policy, type_id), *where,
    )
    if people is not None:
        query = query.where(RS.person_id.in_(people))
    if step.audience == "employee":
        query = query.where(~RS.pending)
    columns = dict(
        unique_key=key, kind=literal(step.kind), step=literal(step.label), person_id=RS.person_id,
        credential_id=RS.credential_id, credential_type_id=RS.credential_type_id,
        recipient_person_id=rid, recipient_email=email, state=literal("pending"),
    )
    return query, columns


def unrequired_types() -> tuple[int, ...]:
    """The credential types no snapshot row asks for (one probe of the
    snapshot's (type, lapses_on) index per type)."""
    return tuple(db.session.scalars(select(CredentialType.id).where(
        ~exists().where(RS.credential_type_id == CredentialType.id)).order_by(CredentialType.id)))


def _optional_selection(policy: rules.PolicyFacts, window: rules.Window, on: date,
                        days: tuple[int, int] | None = None, people: list[int] | None = None,
                        unrequired: tuple[int, ...] = ()):
    """Credentials nobody requires of the holder: the holder's own reminders
    (days left in ``days``, of ``people``, as for ``_required_selection``).
    A credential of one of the ``unrequired`` types (``unrequired_types``)
    is not looked up in the snapshot: no row there is of its type."""
    step = window.step
    low, high = days or (window.low, window.high)
    holder, newer = HOLDER, NEWER
    key = keys.credential_step("reminder", Credential.id, keys.person_token(holder.id, sql_join), step.label,
                               sql_join)
    state_ = Credential.state if people is None else unindexed(Credential.state)
    type_id = Credential.credential_type_id if people is None else unindexed(Credential.credential_type_id)
    query = select().select_from(Credential).join(holder, holder.id == Credential.person_id).where(
        state_ == "active",
        Credential.expires_on > on + timedelta(days=low),
        Credential.expires_on <= on + timedelta(days=high),
        facts.types_clause(policy, type_id),
        _active(holder), holder.email.is_not(None),
        _not_required(type_id, unrequired),
        # a later record of the same type (a renewal not yet marked superseded)
        ~exists().where(newer.person_id == Credential.person_id,
                        newer.credential_type_id == Credential.credential_type_id,
                        newer.state == "active", newer.id != Credential.id,
                        or_(newer.expires_on.is_(None), newer.expires_on > Credential.expires_on)),
        ~open_documents.open_for(Credential.person_id, Credential.credential_type_id),
    )
    if people is not None:
        query = query.where(Credential.person_id.in_(people))
    elif days is not None and high - low <= REQUIRED_DUE_DAYS:
        query = query.where(_not_required_due(policy, on, low, high))
    state = literal("pending")
    if policy.allow_digest:
        state = case((holder.notification_channel == "digest", literal("skipped")), else_=literal("pending"))
    columns = dict(
        unique_key=key, kind=literal("reminder"), step=literal(step.label), person_id=Credential.person_id,
        credential_id=Credential.id, credential_type_id=Credential.credential_type_id,
        recipient_person_id=holder.id, recipient_email=holder.email, state=state,
    )
    return query, columns


def _not_required(type_id, unrequired: tuple[int, ...]):
    """No snapshot row asks the holder for this credential's type."""
    asked = ~exists().where(RS.person_id == Credential.person_id,
                            RS.credential_type_id == Credential.credential_type_id)
    return or_(type_id.in_(unrequired), asked) if unrequired else asked


# The next day's part of a window is a day or a few (the gap since the scan
# before); past this many days the set below may outgrow what PostgreSQL
# hashes in work_mem, and the plain NOT EXISTS alone reads less.
REQUIRED_DUE_DAYS = 7


def _not_required_due(policy: rules.PolicyFacts, on: date, low: int, high: int):
    """Leaves out, before the snapshot is probed row by row, the credentials
    whose requirement's snapshot row lapses in the same days (lapses_on is
    expires_on + 1): about half of a day's credentials are required, and
    probing the snapshot for each read an index page and a row. One range of
    the snapshot's (type, lapses_on) index, hashed once per statement. The
    NOT EXISTS stays the rule (a row held by another credential, a predicted
    expiry); this only narrows what it is asked about."""
    return tuple_(Credential.person_id, Credential.credential_type_id).not_in(
        select(RS.person_id, RS.credential_type_id).where(
            RS.lapses_on > on + timedelta(days=low + 1), RS.lapses_on <= on + timedelta(days=high + 1),
            facts.types_clause(policy, RS.credential_type_id)))


def _seen_selection(on: date, people: list[int] | None = None):
    """A record of the day a requirement was first seen missing (a row of kind
    ``missing-seen``, never sent): the manager's and HR's steps count from it,
    whether or not the employee could be told (no email, a document in review).
    Rows seen missing before the scan ran first use the snapshot's evaluation date."""
    holder = HOLDER
    key = keys.missing_seen(RS.person_id, RS.credential_type_id, sql_join)
    query = select().select_from(RS).join(holder, holder.id == RS.person_id).where(
        _active(holder), _missing(people))
    if people is not None:
        query = query.where(RS.person_id.in_(people))
    first_seen = case((RS.evaluated_on < on, RS.evaluated_on), else_=literal(on))
    columns = dict(
        unique_key=key, kind=literal(SEEN_KIND), step=literal("seen"), person_id=RS.person_id,
        credential_id=null(), credential_type_id=RS.credential_type_id, recipient_person_id=null(),
        recipient_email=func.coalesce(holder.email, literal("")), state=literal("skipped"),
        due_on=first_seen,
    )
    return query, columns


def _missing(people):
    return RS.credential_id.is_(None) if people is None else unindexed(RS.credential_id).is_(None)


def close_missing_episodes(people: list[int] | None = None) -> int:
    """Close the record of a requirement seen missing once it is held (or no
    longer required): renamed and marked ``closed``, it frees the keys, so
    if the requirement goes missing again (a new assignment, a revoked
    credential) that is a new episode, told and escalated from its own day.
    Only ``people``'s records, if given."""
    still_missing = exists().where(RS.person_id == Notification.person_id,
                                   RS.credential_type_id == Notification.credential_type_id,
                                   RS.credential_id.is_(None))
    if people is None:
        where = [Notification.kind == SEEN_KIND, Notification.step == "seen"]
    else:
        where = [unindexed(Notification.kind) == SEEN_KIND, unindexed(Notification.step) == "seen",
                 _a_missing_record(), Notification.person_id.in_(people)]
    return db.session.execute(
        update(Notification)
        .where(*where, ~still_missing)
        .values(step="closed", unique_key=sql_join(Notification.unique_key, keys.CLOSED_SUFFIX, Notification.id))
        .execution_options(synchronize_session=False)
    ).rowcount


def _closed_episodes(subject=RS):
    # Correlated to ``subject`` however deep it is nested: inside the
    # escalations' EXISTS it would otherwise count every closed episode of
    # the organisation (a scan of the notifications, and not the rule's count).
    return select(func.count()).where(
        _a_missing_record("closed"),
        CLOSED.kind == SEEN_KIND, CLOSED.step == "closed", CLOSED.person_id == subject.person_id,
        CLOSED.credential_type_id == subject.credential_type_id,
    ).correlate_except(CLOSED).scalar_subquery()


def _episode_tag(subject=RS):
    """``keys.episode_tag`` in SQL: nothing for a first episode, ":ep2"... for later ones."""
    closed = _closed_episodes(subject)
    return case((closed == 0, literal(keys.episode_tag(0))), else_=literal(":ep") + cast(closed + 1, String))


def _first_notices(on: date, after: date):
    """(person, type) of the records escalations count from whose day is in
    (``after``, ``on``]: the missing requirements whose escalation ``days``
    later came due between two scans."""
    def records(kind, step):
        return select(Notification.person_id, Notification.credential_type_id).where(
            _a_missing_record(),
            Notification.kind == kind, Notification.step == step,
            Notification.due_on > after, Notification.due_on <= on)
    return union(records(SEEN_KIND, "seen"), records("missing", "employee:missing")).subquery("first_notices")


def _missing_selection(audience: str, days: int, on: date, people: list[int] | None = None,
                       due_after: date | None = None):
    """The missing-requirement ladder's step for ``audience``: of ``people``
    only, or only where the record it counts from fell due after ``due_after``
    (for an escalation), if given."""
    holder, earlier = HOLDER, EARLIER
    join, rid, email, token, where = _recipient(audience, holder)
    name = keys.missing_step_name(audience, days)
    key = keys.missing_step(RS.person_id, RS.credential_type_id, _episode_tag(), token, name, sql_join)
    base = select().select_from(RS)
    if due_after is not None:
        first = _first_notices(on - timedelta(days=days), due_after - timedelta(days=days))
        base = select().select_from(first).join(RS, and_(RS.person_id == first.c.person_id,
                                                         RS.credential_type_id == first.c.credential_type_id))
    query = join(base.join(holder, holder.id == RS.person_id)).where(
        _active(holder), _missing(people), *where,
    )
    if people is not None:
        query = query.where(RS.person_id.in_(people))
    if audience == "employee":
        query = query.where(~RS.pending)
    else:
        # escalate ``days`` after this episode was first seen missing (or, for
        # rows from before that was recorded, first told to the holder), if
        # still missing
        query = query.where(exists().where(
            _a_missing_record("earlier"),
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


# --------------------------------------------------------------------------- what changed since the last scan
#
# A scan S on day p writes every row eligible then. The next scan, on day
# ``on``, with the same policies (``fingerprint``), need only look at:
# - rows whose days left entered a step's window between p and ``on`` (an
#   index range of the day's gap per window), and escalations of missing
#   requirements whose record's day crossed their delay;
# - rows of people changed since S started (``people.updated_at``, and
#   ``ReminderChange``: credentials, documents, snapshot rows), and for the
#   manager, of people whose manager changed;
# - for HR and compliance, every row, when a staff account (or its person)
#   changed.
# Any row eligible now outside these was eligible at S, unchanged, and has
# its key. Changes are looked for from CHANGE_MARGIN before S started, for
# a transaction that was still open while S ran (it could commit after
# S read). Without such a previous scan, or with too many changes, the scan
# reads every window whole.

CHANGE_MARGIN = timedelta(hours=1)
MAX_CHANGED_PEOPLE = 20_000
PEOPLE_PER_STATEMENT = 900  # under SQLite's bound-parameter limit
SQLITE_SCAN_CACHE_KIB = 64 * 1024


def fingerprint() -> str:
    """What the windows depend on: the policies, the catch-up days and the types."""
    types = db.session.scalars(select(CredentialType.id).order_by(CredentialType.id)).all()
    described = repr((facts.policies(), facts.catchup_days(), types))
    return hashlib.sha256(described.encode()).hexdigest()


@dataclass
class Since:
    """What changed since the previous scan (``on``: its day)."""

    on: date
    changed: list[int]  # people whose own rows changed
    reports: list[int]  # people (not changed) whose manager changed
    staff: frozenset[str]  # audiences whose staff accounts changed: read whole

    def people(self, audience: str) -> list[int]:
        return sorted(set(self.changed) | set(self.reports)) if audience == "manager" else self.changed

    def days(self, window: rules.Window, on: date) -> tuple[int, int] | None:
        """The part of ``window`` (days left) that rows entered since ``self.on``."""
        gap = (on - self.on).days
        low, high = (max(window.low, window.high - gap), window.high) if gap > 0 else (
            window.low, min(window.high, window.low - gap))
        return (low, high) if low < high else None


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), PEOPLE_PER_STATEMENT):
        yield ids[start:start + PEOPLE_PER_STATEMENT]


def since_last_scan(fingerprint_: str, now: datetime) -> Since | None:
    """What changed since the last scan, or None: read everything."""
    last = db.session.scalars(select(ReminderScan).order_by(ReminderScan.id.desc()).limit(1)).first()
    if last is None or last.fingerprint != fingerprint_ or last.started_at > now:
        return None
    after = last.started_at - CHANGE_MARGIN
    changed = set(db.session.scalars(select(ReminderChange.person_id).where(ReminderChange.changed_at >= after)))
    changed |= set(db.session.scalars(select(Person.id).where(Person.updated_at >= after)))
    if len(changed) > MAX_CHANGED_PEOPLE:
        return None
    reports: set[int] = set()
    for chunk in _chunks(sorted(changed)):
        reports |= set(db.session.scalars(select(Person.id).where(Person.manager_id.in_(chunk))))
    reports -= changed
    if len(changed) + len(reports) > MAX_CHANGED_PEOPLE:
        return None
    staff = set()
    for user_id, person_id, roles, created, updated in db.session.execute(
            select(User.id, User.person_id, User.roles_text, User.created_at, User.updated_at)
            .where(or_(*((literal(" ") + User.roles_text + literal(" ")).like(f"% {role} %")
                         for role in rules.ROLE_FOR_AUDIENCE.values())))):
        if created >= after or updated >= after or person_id in changed:
            staff |= {audience for audience, role in rules.ROLE_FOR_AUDIENCE.items() if role in roles.split()}
    return Since(last.on, sorted(changed), sorted(reports), frozenset(staff))


def selections(on: date, since: Since | None = None):
    """Every (audience, query, columns) the scan runs for ``on``, in ``rules.pick``'s order
    (``since``: only what came due or changed since the previous scan)."""
    found = []
    optional = functools.partial(_optional_selection, unrequired=unrequired_types())
    for policy in facts.policies():
        for audience, steps in policy.ladders().items():
            for window in rules.windows(steps, facts.catchup_days()):
                kinds = [_required_selection]
                if audience == "employee":
                    kinds.append(optional)
                for selection in kinds:
                    if since is None or audience in since.staff:
                        found.append((audience, *selection(policy, window, on)))
                        continue
                    days = since.days(window, on)
                    if days is not None:
                        found.append((audience, *selection(policy, window, on, days=days)))
                    for chunk in _chunks(since.people(audience)):
                        found.append((audience, *selection(policy, window, on, people=chunk)))
    if since is None:
        found.append(("employee", *_seen_selection(on)))
    else:
        found.extend(("employee", *_seen_selection(on, chunk)) for chunk in _chunks(since.changed))
    for audience, days in rules.MISSING_LADDER:
        if since is None or audience in since.staff:
            found.append((audience, *_missing_selection(audience, days, on)))
            continue
        if days and on > since.on:
            found.append((audience, *_missing_selection(audience, days, on, due_after=since.on)))
        found.extend((audience, *_missing_selection(audience, days, on, people=chunk))
                     for chunk in _chunks(since.people(audience)))
    return found


@dataclass
class ScanResult:
    on: date
    created: Counter = field(default_factory=Counter)  # "kind/audience" -> rows
    planned: list[rules.Pick] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    statements: int = 0
    dry_run: bool = False
    full: bool = True  # read every window whole (no previous scan to start from)

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
    started = utcnow()
    fingerprint_ = fingerprint()
    since = since_last_scan(fingerprint_, started)
    result.full = since is None
    connection = db.session.connection()
    raw, sqlite_cache = connection.connection.dbapi_connection, None  # the raw one outlives the commit
    if connection.dialect.name == "postgresql":
        # Every statement reads a few rows by index and probes the keys of
        # each: without statistics the planner may hash whole tables instead.
        db.session.execute(text("SET LOCAL enable_hashjoin = off"))
        db.session.execute(text("SET LOCAL enable_mergejoin = off"))
        # The driver prepares a statement run five times, and the server may
        # then plan it once for any dates: a step's statement runs once per
        # window, with the next day's one-day ranges after the first scan's
        # whole windows, and a plan for unknown dates read 1.6x as much.
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    elif connection.dialect.name == "sqlite":
        # The day's rows land all over the notifications' indexes: with
        # SQLite's default 2 MB of cache each page is read and spilled again.
        sqlite_cache = raw.execute("PRAGMA cache_size").fetchone()[0]
        raw.execute(f"PRAGMA cache_size = -{SQLITE_SCAN_CACHE_KIB}")
    try:
        _write(on, since, result)
        db.session.add(ReminderScan(on=on, started_at=started, fingerprint=fingerprint_, full=result.full))
        db.session.commit()
    finally:
        if sqlite_cache is not None:
            raw.execute(f"PRAGMA cache_size = {int(sqlite_cache)}")
    return result


def _write(on: date, since: Since | None, result: ScanResult) -> None:
    if since is None:
        close_missing_episodes()
        result.statements += 1
    else:
        for chunk in _chunks(since.changed):
            close_missing_episodes(chunk)
            result.statements += 1
    for audience, query, columns in selections(on, since):
        result.statements += 1
        created = mailer.queue_selected(query, {"due_on": literal(on), **columns})
        if created and columns["kind"].value != SEEN_KIND:
            result.created[f"{columns['kind'].value}/{audience}"] += created

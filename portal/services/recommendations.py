"""Renew-now lists and learned validity, from the database.

The ranking rules live in ``portal.policies.recommendations``; this module
gathers the facts they need in a fixed number of queries: the candidates'
states from the compliance snapshot, the credential types with their
issuers, CE hours logged per credential, project names and escalations
already sent. When only the first places are wanted (an organisation has
tens of thousands of candidates), a slim first pass ranks by slack and only
the rows that can make those places become full recommendations.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, and_, case, or_, select, text, true, union_all

from portal.extensions import db
from portal.models import Credential, CredentialType, Notification, Person, Project, today
from portal.models import RequirementSnapshot as RS
from portal.models.reminders import ESCALATIONS
from portal.policies.compliance import Status
from portal.policies.recommendations import (
    RENEWABLE,
    SLACK_THRESHOLD_DAYS,
    Recommendation,
    RenewalFacts,
    needs_renewal,
    ValiditySuggestion,
    learn_validity,
    rank,
    recommend,
)
from portal.services import compliance_rollup
from portal.services.compliance_snapshot import status_expression
from portal.services.renewal_slack import Slack, renewal_slack
from portal.services.team import STATUS_BY_VALUE, snapshot_states


@dataclass(frozen=True)
class RenewalRow:
    recommendation: Recommendation
    person_name: str
    credential_type_name: str
    issuer_name: str


@dataclass(frozen=True)
class RenewList:
    rows: list[RenewalRow]  # most urgent first, up to the limit asked for
    total: int  # recommendations in all


def renew_now(person_ids: Select | list[int], on: date | None = None, limit: int | None = None,
              whole_org: bool = False) -> RenewList:
    """The ranked renew-now list for a set of people (a team or one person;
    ``whole_org`` when they are every active person)."""
    on = on or today()
    slack = renewal_slack()
    types, lead_days = slack.types, slack.lead_days
    if not types:
        return RenewList([], 0)

    # Only rows that can need action are read: inside their warning window, or
    # expiring before the latest day their renewal (lead time plus every CE
    # hour) could still start with slack to spare.
    latest_start = {type_id: on + timedelta(days=slack.most_days(type_id) + SLACK_THRESHOLD_DAYS) for type_id in types}
    # Snapshot rows exist for active people only: the whole organisation
    # needs no person filter.
    candidates = [
        true() if whole_org else RS.person_id.in_(person_ids), RS.credential_id.is_not(None),
        RS.expires_on.is_not(None),
        or_(RS.warn_from <= on, RS.expires_on <= case(latest_start, value=RS.credential_type_id,
                                                      else_=on + timedelta(days=SLACK_THRESHOLD_DAYS))),
    ]
    # Only a list cut to its first places needs the slim pass (and its
    # total); a whole list is counted as it is built.
    cut = _organisation_shortlist(on, limit, slack) if limit is not None and whole_org else None
    if cut is None and limit is not None:
        slack.log(select(RS.credential_id).where(*candidates))
        cut = _shortlist(candidates, on, limit, slack)
    total, shortlist = cut or (None, [])
    # The listed rows' credentials as a subquery: an organisation's whole
    # list has tens of thousands, too many to send back as a list of ids.
    credential_ids = select(RS.credential_id).where(*candidates, *shortlist)
    if cut is None:
        slack.log(credential_ids)
    ce_logged = slack.ce_logged
    states = snapshot_states(candidates + shortlist, on) if total != 0 else {}
    if not states:
        return RenewList([], 0)
    escalations: dict[int, list[str]] = {}
    for credential_id, step in db.session.execute(
        select(Notification.credential_id, Notification.step)
        # the partial index's own condition, which SQLite needs to use it
        .where(text(f"notifications.{ESCALATIONS}"), Notification.credential_id.in_(credential_ids))
        .order_by(Notification.created_at)
    ):
        escalations.setdefault(credential_id, []).append(step or "escalation")
    project_ids = {src[1] for ps in states.values() for s in ps for src in s.sources if src[0] == "project"}
    project_names = dict(db.session.execute(
        select(Project.id, Project.name).where(Project.id.in_(project_ids))
    ).all())

    recommendations = []
    for person_id, person_states in states.items():
        for state in person_states:
            if state.credential_id is None:
                continue
            _, _, ce_hours, _, renewal_url = types[state.credential_type_id]
            facts = RenewalFacts(
                renewal_lead_days=lead_days(state.credential_type_id),
                ce_hours_required=ce_hours,
                ce_hours_logged=ce_logged.get(state.credential_id, 0.0),
                projects=tuple(sorted(project_names[src[1]] for src in state.sources
                                      if src[0] == "project" and src[1] in project_names)),
                escalation_steps=tuple(escalations.get(state.credential_id, ())),
                renewal_url=renewal_url,
            )
            rec = recommend(person_id, state, facts)
            if rec is not None:
                recommendations.append(rec)
    ranked = rank(recommendations)
    total = len(ranked) if total is None else total
    if limit is not None:
        ranked = ranked[:limit]
    names = dict(
        (pid, f"{first} {last}") for pid, first, last in db.session.execute(
            select(Person.id, Person.first_name, Person.last_name)
            .where(Person.id.in_({r.person_id for r in ranked}))
        )
    )
    return RenewList([RenewalRow(r, names.get(r.person_id, "?"), types[r.credential_type_id][0],
                                 types[r.credential_type_id][3]) for r in ranked], total)


def _shortlist(candidates: list, on: date, limit: int, slack_of: Slack) -> tuple[int, list]:
    """How many candidates need renewing, and a filter keeping only those
    that can make the first ``limit`` places.

    A team has hundreds of candidates, an organisation tens of thousands;
    building every one's full recommendation to show the first two hundred
    costs seconds. A slim pass over (row, type, credential, expiry, state)
    computes each slack — the ranking's first key — and keeps the rows whose
    slack is at most the limit-th smallest; ties at the boundary all stay, so
    the ranking's later keys still decide between them.
    """
    needing = _needing(db.session.execute(_slim_rows(on).where(*candidates)), on, slack_of)
    total = len(needing)
    if total <= limit:
        return total, []
    boundary = heapq.nsmallest(limit, (slack for slack, _ in needing))[-1]
    return total, [RS.id.in_([row_id for slack, row_id in needing if slack <= boundary])]


def _slim_rows(on: date) -> Select:
    return select(RS.id, RS.credential_type_id, RS.credential_id, RS.expires_on, status_expression(on))


def _needing(rows, on: date, slack_of: Slack) -> list[tuple[int, int]]:
    """(slack, row id) of the slim rows that need renewing."""
    needing = []
    for row_id, type_id, credential_id, expires_on, status in rows:
        slack = slack_of(type_id, credential_id, (expires_on - on).days)
        if needs_renewal(STATUS_BY_VALUE[status], slack):
            needing.append((slack, row_id))
    return needing


def _organisation_shortlist(on: date, limit: int, slack_of: Slack) -> tuple[int, list] | None:
    """``_shortlist`` for the whole organisation, reading only the rows
    that can be listed or counted, not every candidate (None when the
    organisation's roll-up is not current for ``on``, or too few need
    renewing to tell the first places this way: use ``_shortlist``).

    The first places are read as ``_first_by_slack`` finds them. The total
    is the roll-up's: its rows expiring, in grace or expired (each needs
    renewing) plus its compliant rows already too late to renew in time
    (counted per person as their roll-up is written).
    """
    tally = compliance_rollup.tally_for(None, on, whole_org=True)
    if tally is None:
        return None
    type_ids = sorted(slack_of.types)
    shortlist = _first_by_slack(on, limit, slack_of, type_ids)
    if shortlist is None:
        return None
    renewable = sum(tally["states"][str(status)] for status in RENEWABLE)
    return renewable + tally["renew_late"], [RS.id.in_(shortlist)]


def _first_by_slack(on: date, limit: int, slack_of: Slack, type_ids: list[int]) -> list[int] | None:
    """The rows (ids) needing renewal whose slack is at most the ``limit``-th
    smallest of all, ties included (None when fewer need renewing).

    Within a type, rows come in lapse-day order along its (type, lapse day)
    index, and a row's slack is its days left less at least the type's lead
    and at most ``slack_of.most_days``: so each type is read a page at a
    time, from the most overdue, and a type is done once the slack its next
    row could have is above the ``limit``-th smallest slack read so far.
    Every row that can make the first places is then read, and only a few
    pages beyond them: the types whose rows are least urgent stop after one
    page, however many rows they have.
    """
    # Built once: each page is a WHERE on the same columns (building the
    # state's CASE per type and round costs more than running the queries).
    slim, settled = _slim_rows(on), ~_pending_review(on)
    page = max(4, -(-2 * limit // max(1, len(type_ids))))
    wanted = {type_id: page for type_id in type_ids}  # rows to read next, per type still open
    done_reading = dict.fromkeys(type_ids, 0)
    least_next = {}  # per type: the least slack its next unread row could have
    needing: list[tuple[int, int]] = []
    while wanted:
        pages = [slim.where(RS.credential_type_id == type_id, RS.lapses_on.is_not(None), settled)
                 .order_by(RS.lapses_on, RS.id).offset(done_reading[type_id]).limit(size).subquery()
                 for type_id, size in wanted.items()]
        rows = _read_pages(pages)
        slack_of.log([row.credential_id for row in rows if slack_of.takes_ce(row.credential_type_id)])
        needing.extend(_needing(rows, on, slack_of))
        by_type: dict[int, list] = {}
        for row in rows:
            by_type.setdefault(row.credential_type_id, []).append(row)
        for type_id, size in wanted.items():
            got = by_type.get(type_id, [])
            done_reading[type_id] += len(got)
            if len(got) < size:
                least_next.pop(type_id, None)  # no row left
            else:
                least_next[type_id] = (got[-1].expires_on - on).days - slack_of.most_days(type_id)
        boundary = heapq.nsmallest(limit, (slack for slack, _ in needing))[-1] if len(needing) >= limit else None
        wanted = {type_id: 2 * wanted.get(type_id, page) for type_id, least in least_next.items()
                  if boundary is None or least <= boundary}
    if len(needing) < limit:
        return None
    return [row_id for slack, row_id in needing if slack <= boundary]


# SQLite refuses a compound SELECT of more than 500 terms
# (SQLITE_MAX_COMPOUND_SELECT), so an organisation with more credential types
# than this reads a round's pages in several statements.
PAGES_PER_STATEMENT = 400


def _read_pages(pages: list) -> list:
    """The rows of every page, read ``PAGES_PER_STATEMENT`` pages a statement."""
    rows = []
    for start in range(0, len(pages), PAGES_PER_STATEMENT):
        chunk = pages[start:start + PAGES_PER_STATEMENT]
        rows.extend(db.session.execute(union_all(*(select(page) for page in chunk))).all())
    return rows


def _pending_review(on: date):
    """SQL: the row's state on ``on`` is "waiting for review" (a document
    pending for a requirement that needs attention)."""
    return status_expression(on) == str(Status.PENDING_REVIEW)


def learned_validity(type_ids: list[int] | None = None) -> dict[int, ValiditySuggestion]:
    """Suggested validity (months) for credential types that have none set,
    learned from confirmed records with both an issue and a printed expiry."""
    query = (
        select(Credential.credential_type_id, Credential.issued_on, Credential.expires_on)
        .join(CredentialType, CredentialType.id == Credential.credential_type_id)
        .where(
            CredentialType.validity_months.is_(None),
            Credential.verified,
            Credential.state != "revoked",
            and_(Credential.issued_on.is_not(None), Credential.expires_on.is_not(None)),
            Credential.expiry_predicted.is_(False),
        )
    )
    if type_ids is not None:
        query = query.where(Credential.credential_type_id.in_(type_ids))
    pairs: dict[int, list] = {}
    for type_id, issued, expires in db.session.execute(query):
        pairs.setdefault(type_id, []).append((issued, expires))
    out = {}
    for type_id, type_pairs in pairs.items():
        suggestion = learn_validity(type_pairs)
        if suggestion is not None:
            out[type_id] = suggestion
    return out

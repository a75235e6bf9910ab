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

from sqlalchemy import Select, and_, case, func, or_, select

from portal.extensions import db
from portal.models import CeActivity, Credential, CredentialType, Issuer, Notification, Person, Project, today
from portal.models import RequirementSnapshot as RS
from portal.policies.recommendations import (
    SLACK_THRESHOLD_DAYS,
    Recommendation,
    RenewalFacts,
    ce_days_needed,
    ce_hours_to_earn,
    needs_renewal,
    slack_days,
    ValiditySuggestion,
    learn_validity,
    rank,
    recommend,
)
from portal.services import compliance
from portal.services.compliance_snapshot import status_expression
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


def renew_now(person_ids: Select | list[int], on: date | None = None, limit: int | None = None) -> RenewList:
    """The ranked renew-now list for a set of people (a team or one person)."""
    on = on or today()
    policies = compliance.load_policies()
    types = {
        tid: (name, lead, ce_hours, issuer_name, renewal_url)
        for tid, name, lead, ce_hours, issuer_name, renewal_url in db.session.execute(
            select(CredentialType.id, CredentialType.name, CredentialType.renewal_lead_days,
                   CredentialType.ce_hours, Issuer.name, Issuer.renewal_url)
            .join(Issuer, Issuer.id == CredentialType.issuer_id)
        )
    }
    if not types:
        return RenewList([], 0)

    def lead_days(type_id: int) -> int:
        policy_lead = policies(type_id).renewal_lead_days
        return policy_lead if policy_lead is not None else (types[type_id][1] or 0)

    # Only rows that can need action are read: inside their warning window, or
    # expiring before the latest day their renewal (lead time plus every CE
    # hour) could still start with slack to spare.
    latest_start = {
        type_id: on + timedelta(days=lead_days(type_id) + ce_days_needed(values[2] or 0) + SLACK_THRESHOLD_DAYS)
        for type_id, values in types.items()
    }
    candidates = [
        RS.person_id.in_(person_ids), RS.credential_id.is_not(None), RS.expires_on.is_not(None),
        or_(RS.warn_from <= on, RS.expires_on <= case(latest_start, value=RS.credential_type_id,
                                                      else_=on + timedelta(days=SLACK_THRESHOLD_DAYS))),
    ]
    # The candidates' credentials as a subquery: an organisation has tens of
    # thousands, too many to send back as a list of ids.
    credential_ids = select(RS.credential_id).where(*candidates)
    ce_logged = ce_hours_logged(credential_ids)

    def slack_of(type_id: int, credential_id: int, days_left: int) -> int:
        to_earn = ce_hours_to_earn(types[type_id][2], ce_logged.get(credential_id, 0.0))
        return slack_days(days_left, lead_days(type_id), to_earn)

    # Only a list cut to its first places needs the slim pass (and its
    # total); a whole list is counted as it is built.
    total, shortlist = _shortlist(candidates, on, limit, slack_of) if limit is not None else (None, [])
    states = snapshot_states(candidates + shortlist, on) if total != 0 else {}
    if not states:
        return RenewList([], 0)
    escalations: dict[int, list[str]] = {}
    for credential_id, step in db.session.execute(
        select(Notification.credential_id, Notification.step)
        .where(Notification.kind == "escalation", Notification.credential_id.in_(credential_ids))
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


def _shortlist(candidates: list, on: date, limit: int, slack_of) -> tuple[int, list]:
    """How many candidates need renewing, and a filter keeping only those
    that can make the first ``limit`` places.

    An organisation has tens of thousands of candidates; building every
    one's full recommendation to show the first two hundred costs seconds.
    A slim pass over (row, type, credential, expiry, state) computes each
    slack — the ranking's first key — and keeps the rows whose slack is at
    most the limit-th smallest; ties at the boundary all stay, so the
    ranking's later keys still decide between them.
    """
    slacks = []
    for row_id, type_id, credential_id, expires_on, status in db.session.execute(
        select(RS.id, RS.credential_type_id, RS.credential_id, RS.expires_on, status_expression(on))
        .where(*candidates)
    ):
        slack = slack_of(type_id, credential_id, (expires_on - on).days)
        if needs_renewal(STATUS_BY_VALUE[status], slack):
            slacks.append((slack, row_id))
    total = len(slacks)
    if total <= limit:
        return total, []
    boundary = heapq.nsmallest(limit, (slack for slack, _ in slacks))[-1]
    return total, [RS.id.in_([row_id for slack, row_id in slacks if slack <= boundary])]


def ce_hours_logged(credential_ids) -> dict[int, float]:
    """CE hours logged against each credential's current cycle (on or after
    its issue date, or all of them when the issue date is unknown)."""
    rows = db.session.execute(
        select(CeActivity.credential_id, func.sum(CeActivity.hours))
        .join(Credential, Credential.id == CeActivity.credential_id)
        .where(
            CeActivity.credential_id.in_(credential_ids),
            or_(Credential.issued_on.is_(None), CeActivity.completed_on >= Credential.issued_on),
        )
        .group_by(CeActivity.credential_id)
    )
    return {cid: float(total or 0) for cid, total in rows}


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

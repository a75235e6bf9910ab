"""The matrix and headline read from the snapshot in SQL agree with the
engine evaluated person by person in Python, for every sort, state filter
and page, on today and on later days."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import today
from portal.policies.compliance import SEVERITY, Status, summarise
from portal.services import compliance
from portal.services import team as team_service
from tests.support import factories

DAYS_AHEAD = (0, 25, 120)


@pytest.fixture
def mixed_team(org, grow_team):
    """Nurses in every state, plus a pending document on a lapsed credential,
    one on a valid one, and a credential that never expires."""
    people = grow_team(13)
    factories.document(people[2], credential_type_id=org.bls.id)  # expired + pending -> pending review
    factories.document(people[0], credential_type_id=org.bls.id)  # valid + pending -> still compliant
    forever = factories.credential_type("Orientation", code="ORIENT", validity_months=None)
    factories.requirement(forever, job_role_=org.role)
    for person in people[::2]:
        factories.credential(person, forever, expires_on=None)
    db.session.commit()
    return people


def _oracle(org, on):
    scope = team_service.resolve_scope(org.manager_user)
    ids = db.session.scalars(scope.person_ids).all()
    states = {pid: s for pid, s in compliance.people_states(ids, on).items() if s}
    return scope, states


def _name_key(person):
    return (person.last_name, person.first_name, person.id)


@pytest.mark.parametrize("days", DAYS_AHEAD)
def test_headline_counts_match_the_engine(org, mixed_team, days):
    on = today() + timedelta(days=days)
    scope, states = _oracle(org, on)
    expected = summarise(states)
    headline = team_service.team_headline(scope, on)
    assert headline.requirements == expected.total
    assert headline.percent_compliant == expected.percent_compliant
    assert headline.percent_people_compliant == expected.percent_people_compliant
    assert headline.missing == expected.count(Status.MISSING)
    assert headline.in_grace == expected.count(Status.IN_GRACE)
    assert headline.expired == expected.count(Status.EXPIRED) + expected.count(Status.IN_GRACE)
    assert headline.pending == expected.count(Status.PENDING_REVIEW)
    if days == 0:
        assert headline.pending == 1  # the lapsed one only; the valid one stays compliant
    flat = [s for person_states in states.values() for s in person_states]
    for window, got in ((30, headline.expiring_30), (90, headline.expiring_90)):
        assert got == sum(1 for s in flat if s.credential_id is not None and s.days_left is not None
                          and 0 <= s.days_left <= window)


@pytest.mark.parametrize("days", DAYS_AHEAD)
@pytest.mark.parametrize("sort", sorted(team_service.SORTS))
@pytest.mark.parametrize("state", [None, "expired", "missing", "expiring", "compliant", "pending_review"])
def test_matrix_order_and_filter_match_the_engine(org, mixed_team, sort, state, days):
    on = today() + timedelta(days=days)
    scope, states = _oracle(org, on)
    people = {p.id: p for p in [org.employee, *mixed_team]}
    chosen = [pid for pid, s in states.items() if state is None or any(str(x.status) == state for x in s)]

    def first_expiry(pid):
        dates = [s.expires_on for s in states[pid] if s.expires_on is not None]
        return (not dates, min(dates) if dates else None)

    keys = {
        "name": lambda pid: _name_key(people[pid]),
        "department": lambda pid: (False, org.department.name, *_name_key(people[pid])),
        "days": lambda pid: (*first_expiry(pid), *_name_key(people[pid])),
        "worst": lambda pid: (min(SEVERITY.index(s.status) for s in states[pid]), *first_expiry(pid),
                              *_name_key(people[pid])),
    }
    expected = sorted(chosen, key=keys[sort])

    shown = []
    page, pages = 1, None
    while pages is None or page <= pages:
        matrix = team_service.build_matrix(scope, team_service.MatrixFilter(state=state, sort=sort, page=page),
                                           on=on, page_size=4)
        assert matrix.matching == len(expected)
        pages = matrix.pages
        shown += [row.person_id for row in matrix.rows]
        page += 1
    assert shown == expected


def test_a_page_past_the_end_shows_the_last_page(org, mixed_team):
    scope = team_service.resolve_scope(org.manager_user)
    matrix = team_service.build_matrix(scope, team_service.MatrixFilter(page=99), page_size=5)
    assert matrix.page == matrix.pages == 3  # Erin + 13 nurses
    assert len(matrix.rows) == 4 and matrix.matching == 14


def test_an_empty_filter_is_one_empty_page(org, mixed_team):
    scope = team_service.resolve_scope(org.manager_user)
    matrix = team_service.build_matrix(scope, team_service.MatrixFilter(state="in_grace", page=3), page_size=5)
    assert (matrix.rows, matrix.matching, matrix.page, matrix.pages) == ([], 0, 1, 1)

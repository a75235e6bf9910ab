"""Credentials through the API: the ``state`` filter is SQL that agrees with
the Python rule for every record, and pages in SQL."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Credential, ReminderPolicy, today
from portal.services.compliance import credential_display_state, load_policies
from tests.support import factories as f


@pytest.fixture
def registry(app, org):
    """Records around every boundary, under three policies and two validities."""
    on = today()
    db.session.query(ReminderPolicy).delete()
    f.default_policy(offsets=[60, 30, 7], grace_days=30)
    plain = f.credential_type("Plain", validity_months=None)            # default policy
    strict = f.credential_type("Strict", validity_months=None)
    predicted = f.credential_type("Predicted", validity_months=24)       # expiry from the issue date
    db.session.flush()
    db.session.add(ReminderPolicy(credential_type_id=strict.id, offsets=[90], grace_days=0))
    person = f.person()
    offsets = [-400, -32, -31, -30, -29, -2, -1, 0, 1, 6, 7, 8, 29, 30, 59, 60, 61, 89, 90, 91, 400]
    for days in offsets:
        for ctype in (plain, strict):
            f.credential(person, ctype, expires_on=on + timedelta(days=days), issued_on=on - timedelta(days=900))
        # Predicted: issued 24 months before a date near the boundaries; month ends clamp.
        issued = on + timedelta(days=days)
        issued = date(issued.year - 2, issued.month, min(issued.day, 28))
        f.credential(person, predicted, expires_on=None, issued_on=issued)
    for ctype in (plain, predicted):
        f.credential(person, ctype, expires_on=None, issued_on=None)    # never expires
    f.credential(person, plain, expires_on=on - timedelta(days=500), state="superseded")
    db.session.commit()
    return on


def _ids(client, headers, **params):
    ids, page = [], 1
    while True:
        response = client.get("/api/v1/credentials", query_string={**params, "page": page, "per_page": 7},
                              headers=headers)
        assert response.status_code == 200, response.json
        ids += [item["id"] for item in response.json["items"]]
        assert all(item["state"] == params["state"] for item in response.json["items"]) if "state" in params else True
        if page >= response.json["pages"]:
            return ids, response.json["total"]
        page += 1


@pytest.mark.parametrize("state", ["valid", "expiring", "in_grace", "expired"])
def test_the_state_filter_agrees_with_the_rule_for_every_record(client, api_headers, registry, state):
    policies = load_policies()
    expected = sorted(c.id for c in db.session.scalars(select(Credential).where(Credential.state == "active"))
                      if credential_display_state(c, registry, policies) == state)
    ids, total = _ids(client, api_headers, state=state)
    assert expected, f"the fixture has no {state} record"
    assert sorted(ids) == expected and total == len(expected)


def test_the_state_filter_pages_in_sql(client, api_headers, registry, count_queries):
    with count_queries() as queries:
        response = client.get("/api/v1/credentials", query_string={"state": "expiring", "per_page": 2},
                              headers=api_headers)
    assert response.status_code == 200 and len(response.json["items"]) == 2
    assert response.json["total"] > 2
    # The records come from one LIMITed query, not from loading every match.
    main = [q for q in queries.statements if q.lstrip().upper().startswith("SELECT CREDENTIALS.")]
    assert len(main) == 1 and "LIMIT" in main[0].upper(), queries.statements


def test_superseded_records_keep_their_own_state(client, api_headers, registry):
    ids, total = _ids(client, api_headers, state="superseded")
    assert total == 1
    assert _ids(client, api_headers, state="valid", record_state="superseded") == ([], 0)


def test_latest_issue_date_for_a_predicted_expiry_handles_month_ends():
    from portal.services.display_states import _latest_issue_for
    from portal.policies.dates import predicted_expiry

    assert _latest_issue_for(date(2025, 2, 28), 1) == date(2025, 1, 31)     # Jan 29-31 + 1 month clamp to Feb 28
    assert _latest_issue_for(date(2025, 2, 28), 12) == date(2024, 2, 29)
    day = date(2023, 1, 1)
    while day < date(2026, 1, 1):
        for months in (1, 12, 24, 36):
            issued = _latest_issue_for(day, months)
            assert predicted_expiry(issued, months) <= day < predicted_expiry(issued + timedelta(days=1), months)
        day += timedelta(days=1)

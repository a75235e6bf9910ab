from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import today
from tests.support import factories


@pytest.fixture
def grow_team(org):
    """grow_team(n) adds n nurses under the org's manager, with a mix of
    valid, expiring, lapsed and missing BLS credentials, and a project."""

    def grow(n: int):
        project = factories.project(code=f"GROW{n}", name="Ward contract")
        acls = factories.credential_type("ACLS Provider", code=f"ACLS-{n}")
        factories.requirement(acls, project=project, lead_days=60)
        people = []
        for i in range(n):
            person = factories.person("Nurse", f"N{i:04d}", manager=org.manager, department=org.department,
                                      job_role=org.role)
            kind = i % 4
            if kind == 0:
                factories.credential(person, org.bls, expires_on=today() + timedelta(days=400))
            elif kind == 1:
                factories.credential(person, org.bls, expires_on=today() + timedelta(days=20))
            elif kind == 2:
                factories.credential(person, org.bls, expires_on=today() - timedelta(days=100))
            if i % 3 == 0:
                factories.assignment(project, person, starts_on=today() - timedelta(days=5),
                                     ends_on=today() + timedelta(days=200))
                factories.credential(person, acls, expires_on=today() + timedelta(days=100))
            people.append(person)
        db.session.commit()
        return people

    return grow

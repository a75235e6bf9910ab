"""Who sees whom: the rule every object fetch goes through."""
from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound

from portal.extensions import db
from portal.services import scoping
from tests.support import factories


@pytest.mark.parametrize(
    "viewer, target, visible",
    [
        ("employee_user", "employee", True),
        ("employee_user", "manager", False),
        ("employee_user", "outsider", False),
        ("manager_user", "manager", True),
        ("manager_user", "employee", True),
        ("manager_user", "director", False),
        ("manager_user", "outsider", False),
        ("reviewer_user", "outsider", True),
        ("admin_user", "employee", True),
        ("compliance_user", "outsider", True),
        ("outsider_user", "employee", False),
    ],
)
def test_can_see_person(org, viewer, target, visible):
    user = getattr(org, viewer)
    person = getattr(org, target)
    assert scoping.can_see_person(user, person.id) is visible


def test_reporting_line_is_every_level_below(org):
    # The director sees the manager and, through them, the employee.
    director_user = factories.user(org.director, ("employee", "manager"))
    deep = factories.person("Deep", "Report", manager=org.employee)
    db.session.commit()
    for target in (org.manager, org.employee, deep):
        assert scoping.can_see_person(director_user, target.id)
    assert not scoping.can_see_person(director_user, org.outsider.id)


def test_get_or_404_hides_other_peoples_credentials(org):
    foreign = factories.credential(org.outsider, org.bls)
    db.session.commit()
    with pytest.raises(NotFound):
        scoping.get_credential_or_404(foreign.id, org.employee_user)
    assert scoping.get_credential_or_404(foreign.id, org.reviewer_user) is foreign


def test_missing_object_is_404_not_500(org):
    with pytest.raises(NotFound):
        scoping.get_document_or_404(999999, org.admin_user)


def test_user_without_person_sees_nobody(org):
    lonely = factories.user(None, ("employee", "manager"))
    db.session.commit()
    assert not scoping.can_see_person(lonely, org.employee.id)

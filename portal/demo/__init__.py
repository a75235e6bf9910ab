"""A deterministic demo organisation that makes every page worth a look.

``seed(today)`` runs each step module's ``seed(ctx)`` in order. Steps owned by
other areas (documents in review, notifications...) are listed by name in STEPS.
Everything random comes from one seeded generator, so the same ``today``
always gives the same organisation.
"""
from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from portal.database import refresh_planner_statistics
from portal.services import compliance_rollup
from portal.extensions import db

DEMO_PASSWORD = "credwatch-demo"
DEMO_ACCOUNTS = (
    ("employee@credwatch.demo", "Employee — Sam Rivera, RN on the ICU team"),
    ("reviewer@credwatch.demo", "HR reviewer — Priya Shah"),
    ("manager@credwatch.demo", "Manager — Maria Okafor, Director of Nursing"),
    ("admin@credwatch.demo", "Administrator — Alex Morgan"),
    ("compliance@credwatch.demo", "Compliance officer — Jordan Lee"),
)

# Order matters: later steps use what earlier ones made.
STEPS = [
    "portal.demo.taxonomy",
    "portal.demo.organisation",
    "portal.demo.credentials",
    "portal.demo.documents",
    "portal.demo.compliance",
    "portal.demo.integrations",
    "portal.demo.verification",
    "portal.demo.reminders",
]


@dataclass
class SeedContext:
    today: date
    rng: random.Random
    made: dict = field(default_factory=dict)  # what steps share: people by key, types by code


def database_is_empty() -> bool:
    from portal.models import Person, User

    return not db.session.scalar(select(func.count(User.id))) and not db.session.scalar(
        select(func.count(Person.id))
    )


def seed(today: date, seed_value: int = 2026) -> dict[str, int]:
    ctx = SeedContext(today=today, rng=random.Random(seed_value))
    for name in STEPS:
        importlib.import_module(name).seed(ctx)
        db.session.flush()
    db.session.commit()
    # The seed's commits kept the snapshot and each person's roll-up; the
    # department and organisation tallies are summed once here, as the nightly job would.
    compliance_rollup.rebuild_tallies()
    db.session.commit()
    refresh_planner_statistics()
    return counts()


def counts() -> dict[str, int]:
    from portal.models import Credential, CredentialType, Person, Project, Requirement

    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Person, CredentialType, Credential, Requirement, Project)
    }

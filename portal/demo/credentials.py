"""Demo step: 500+ credentials spread over every state a page can show.

For each person's required credentials the outcome is drawn from a fixed
mix: valid, expiring within 90 days, in grace, expired, or missing. Some
valid ones carry the superseded record they renewed, and some people hold
extra credentials their role does not demand.
"""
from __future__ import annotations

import string
from datetime import timedelta

from portal.extensions import db
from portal.models import Credential, Requirement, utcnow

# outcome: weight
MIX = (("valid", 62), ("expiring", 14), ("in_grace", 5), ("expired", 8), ("missing", 11))
EXTRA_BY_DEPARTMENT = {
    "IT & Security": ["AWS-CLF", "COMPTIA-NETPLUS", "MS-AZ900", "GIAC-GSEC"],
    "Nursing": ["AHA-PALS", "ARC-FACPRAED"],
    "Facilities & Electrical": ["ARC-FACPRAED", "OSHA-10-GI"],
    "Project Office": ["PMI-ACP", "AWS-CLF"],
    "Food Services": ["ARC-FACPRAED", "SERVSAFE-ALC"],
    "UK Site Services": ["SJA-EFAW"],
}


def license_number(rng, type_code: str) -> str:
    digits = lambda n: "".join(rng.choice(string.digits) for _ in range(n))  # noqa: E731
    alnum = lambda n: "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))  # noqa: E731
    prefix = type_code.split("-")[0]
    if prefix in ("NY", "TX", "CA"):
        return digits(6)
    if prefix in ("AHA", "ARC"):
        return alnum(12)
    if prefix == "COMPTIA":
        return "COMP" + digits(12)
    # The shapes the issuer directory knows (its licence-number patterns), so
    # the demo's identifier checks pass where a real card's number would.
    if prefix == "AWS":
        return alnum(16)
    if prefix == "MS":
        hexa = lambda n: "".join(rng.choice("0123456789ABCDEF") for _ in range(n))  # noqa: E731
        return hexa(6) + "-" + hexa(6)
    if prefix == "CISCO":
        return "CSCO" + digits(8)
    if prefix == "GIAC":
        return digits(5)
    if prefix in ("NCCCO", "SERVSAFE", "CSCS"):
        return digits(8)
    if prefix in ("PMI", "ISC2", "ISACA"):
        return digits(7)
    if prefix == "OSHA":
        return digits(2) + "-" + digits(9)
    if prefix in ("NMC",):
        return digits(2) + "A" + digits(4) + "E"
    return alnum(3) + digits(6)


def add_months(day, months: int):
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
            31, 31, 30, 31, 30, 31][month - 1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def _dates_for(ctx, ctype, outcome):
    rng, today = ctx.rng, ctx.today
    if ctype.validity_months is None:
        return today - timedelta(days=rng.randint(30, 2000)), None
    offsets = {
        "valid": (91, max(120, ctype.validity_months * 30 - 30)),
        "expiring": (1, 90),
        "in_grace": (-25, -1),
        "expired": (-400, -35),
    }
    low, high = offsets[outcome]
    expires = today + timedelta(days=rng.randint(low, high))
    # Printed expiries are the day before the anniversary of issue.
    issued = add_months(expires, -ctype.validity_months) + timedelta(days=1)
    return issued, expires


def _credential(ctx, person, ctype, issued, expires, state="active"):
    reviewer = ctx.made.get("reviewer_user")
    credential = Credential(
        person=person, credential_type=ctype, license_number=license_number(ctx.rng, ctype.code),
        issued_on=issued, expires_on=expires, state=state, source="document", verified=True,
        verified_by=reviewer, verified_at=utcnow(),
    )
    db.session.add(credential)
    return credential


def seed(ctx) -> None:
    from sqlalchemy import select

    from portal.models import User

    ctx.made["reviewer_user"] = db.session.scalar(select(User).where(User.email == "reviewer@credwatch.demo"))
    types = ctx.made["types"]
    by_role: dict[int, list] = {}
    for req in db.session.scalars(select(Requirement).where(Requirement.job_role_id.is_not(None))):
        by_role.setdefault(req.job_role_id, []).append(req.credential_type)
    outcomes, weights = zip(*MIX)
    for person in ctx.made["people"]:
        for ctype in sorted(by_role.get(person.job_role_id, []), key=lambda t: t.code):
            outcome = ctx.rng.choices(outcomes, weights)[0]
            if person.email == "employee@credwatch.demo":
                # Sam's page shows one of each: ACLS expiring, BLS valid, RN valid.
                outcome = {"AHA-ACLS": "expiring"}.get(ctype.code, "valid")
            if outcome == "missing":
                continue
            issued, expires = _dates_for(ctx, ctype, outcome)
            current = _credential(ctx, person, ctype, issued, expires)
            if expires and outcome == "valid" and ctx.rng.random() < 0.5:
                old_expires = issued - timedelta(days=1)
                old_issued = add_months(old_expires, -ctype.validity_months) + timedelta(days=1)
                old = _credential(ctx, person, ctype, old_issued, old_expires, state="superseded")
                old.superseded_by = current
        extras = EXTRA_BY_DEPARTMENT.get(person.department.name if person.department else "", [])
        for code in extras:
            if code in types and ctx.rng.random() < 0.6:
                outcome = ctx.rng.choices(outcomes[:4], weights[:4])[0]
                issued, expires = _dates_for(ctx, types[code], outcome)
                _credential(ctx, person, types[code], issued, expires)

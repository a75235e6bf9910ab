"""Demo step: CE hours logged against credentials, and a type whose validity
the admin has not set yet but confirmed records reveal (a learned-validity
suggestion on the taxonomy page)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import CeActivity, Credential, CredentialType, Issuer, utcnow
from portal.policies.dates import predicted_expiry

CE_TITLES = (
    ("Annual regulatory update", "Northgate Learning"),
    ("Incident response tabletop", "SANS Institute"),
    ("Ethics in practice webinar", "Professional Association"),
    ("Leading teams through change", "PMI Chapter"),
    ("Cloud security fundamentals", "Coursera"),
    ("National Electrical Code changes", "IAEI Chapter"),
    ("Clinical documentation workshop", "Royal College"),
    ("Conference: two-day track", "Regional Conference"),
)


def seed(ctx) -> None:
    rng, today = ctx.rng, ctx.today
    # CE hours against current credentials of types that need them: most
    # holders part-way, some done, some with nothing logged yet.
    rows = db.session.execute(
        select(Credential, CredentialType.ce_hours)
        .join(CredentialType, CredentialType.id == Credential.credential_type_id)
        .where(Credential.state == "active", CredentialType.ce_hours.is_not(None),
               Credential.issued_on.is_not(None))
        .order_by(Credential.id)
    ).all()
    for credential, required in rows:
        share = rng.choice((0.0, 0.25, 0.5, 0.5, 0.75, 0.9, 1.0, 1.1))
        target = round(required * share * 4) / 4
        logged = 0.0
        start = credential.issued_on
        span = max(1, (today - start).days)
        while logged < target:
            hours = min(target - logged, rng.choice((1.0, 2.0, 3.0, 4.0, 6.0, 8.0)))
            title, provider = rng.choice(CE_TITLES)
            db.session.add(CeActivity(
                credential=credential, title=title, provider=provider, hours=hours,
                completed_on=start + timedelta(days=rng.randint(0, span)),
            ))
            logged += hours

    # An in-house refresher whose validity nobody entered: 12 months on
    # every confirmed certificate, so the taxonomy page offers "12 months".
    issuer = Issuer(code="NORTHGATE-EDU", name="Northgate Health Education", country="US",
                    renewal_url="https://learning.northgate.example/refreshers")
    refresher = CredentialType(code="NORTHGATE-IC", name="Infection Control Annual Refresher", issuer=issuer,
                               category="training", renewal_mechanism="course", validity_months=None)
    db.session.add_all([issuer, refresher])
    reviewer = ctx.made.get("reviewer_user")
    nurses = [p for p in ctx.made["people"]
              if p.department is not None and p.department.name == "Nursing"][:12]
    for person in nurses:
        issued = today - timedelta(days=rng.randint(20, 330))
        db.session.add(Credential(
            person=person, credential_type=refresher, license_number=f"IC-{person.employee_id}",
            issued_on=issued, expires_on=predicted_expiry(issued, 12), state="active", source="document",
            verified=True, verified_by=reviewer, verified_at=utcnow(),
        ))
    ctx.made["types"][refresher.code] = refresher

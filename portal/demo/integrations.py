"""Demo step: an HRIS token (no secret anywhere), a webhook with a delivery
log worth reading, remembered import mappings, and a few imported
credentials waiting for their holders' certificates."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    ApiToken,
    Credential,
    CredentialType,
    ImportMapping,
    User,
    Webhook,
    WebhookDelivery,
    utcnow,
)


def seed(ctx) -> None:
    now = utcnow()
    admin = db.session.scalar(select(User).where(User.email == "admin@credwatch.demo"))
    admin_id = admin.id if admin else None
    # Tokens: random secrets nobody ever sees; only their hashes are stored.
    for name, scopes, used_hours_ago, revoked in (
        ("Workday HRIS sync", ["people:read", "people:write"], 3, False),
        ("Staffing planner", ["projects:read", "projects:write", "compliance:read"], 26, False),
        ("Old payroll export", ["people:read"], None, True),
    ):
        secret = "cw_" + secrets.token_urlsafe(32)
        db.session.add(ApiToken(
            name=name, token_hash=hashlib.sha256(secret.encode()).hexdigest(), prefix=secret[:10],
            scopes=scopes, created_by_id=admin_id, created_at=now - timedelta(days=40),
            last_used_at=now - timedelta(hours=used_hours_ago) if used_hours_ago else None,
            revoked_at=now - timedelta(days=5) if revoked else None,
        ))
    # A ".invalid" host never resolves (RFC 6761): nothing leaves the machine,
    # the demo keeps the default refusal of private addresses, and the hook can
    # still be edited, tested (the log shows "Name or service not known") or
    # pointed at a real receiver.
    hook = Webhook(url="https://hris.example.invalid/hooks",
                   events=["credential.confirmed", "credential.expiring", "credential.expired"],
                   secret="whsec_" + secrets.token_urlsafe(32), active=True, created_by_id=admin_id)
    db.session.add(hook)
    db.session.flush()
    credentials = db.session.scalars(select(Credential).order_by(Credential.id).limit(12)).all()
    states = ["delivered"] * 8 + ["retry", "failed", "delivered", "delivered"]
    for i, (credential, state) in enumerate(zip(credentials, states)):
        event = "credential.expiring" if i % 3 else "credential.confirmed"
        when = now - timedelta(hours=6 * (len(states) - i))
        db.session.add(WebhookDelivery(
            webhook_id=hook.id, event=event, event_key=f"{event}:{credential.id}:demo",
            payload={"credential_id": credential.id, "person_id": credential.person_id},
            state=state, attempts={"delivered": 1, "retry": 3, "failed": 8}[state],
            response_status={"delivered": 200, "retry": 503, "failed": 500}[state],
            last_error={"delivered": None, "retry": "HTTP 503 Service Unavailable",
                        "failed": "HTTP 500 Internal Server Error"}[state],
            created_at=when, delivered_at=when + timedelta(seconds=1) if state == "delivered" else None,
            # A retry falls due in the future; the demo's receiver does not exist,
            # so leave it parked for an admin to look at.
            next_attempt_at=now + timedelta(days=365) if state == "retry" else None,
        ))
    db.session.add_all([
        ImportMapping(kind="people", updated_by_id=admin_id, mapping={
            "employee_id": "Employee ID", "first_name": "First Name", "last_name": "Last Name",
            "email": "Work Email", "job_role_name": "Job Title", "department": "Department",
            "manager_employee_id": "Manager ID", "hired_on": "Hire Date"}),
        ImportMapping(kind="credentials", updated_by_id=admin_id, mapping={
            "full_name": "Name", "credential_type": "Certification", "license_number": "Cert #",
            "expires_on": "Expiry"}),
    ])
    # A few legacy records imported from HR's spreadsheet, not yet confirmed.
    people = [p for p in ctx.made.get("people", []) if p.email][5:11]
    types = db.session.scalars(select(CredentialType).where(CredentialType.code.in_(
        ["ARC-FACPRAED", "OSHA-10-GI", "AHA-PALS"]))).all()
    if types:
        for i, person in enumerate(people):
            ctype = types[i % len(types)]
            held = db.session.scalar(select(Credential.id).where(
                Credential.person_id == person.id, Credential.credential_type_id == ctype.id))
            if held:
                continue
            db.session.add(Credential(
                person_id=person.id, credential_type_id=ctype.id, source="import", verified=False,
                state="active", license_number=f"XL-{ctx.rng.randint(10000, 99999)}",
                issued_on=ctx.today - timedelta(days=300 + 40 * i),
                expires_on=ctx.today + timedelta(days=60 + 45 * i),
                notes="Imported from HR training tracker.xlsx",
            ))

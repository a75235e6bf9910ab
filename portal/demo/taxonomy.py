"""Demo step: the taxonomy from the issuer directory, and reminder policies."""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import CredentialType, ReminderPolicy
from portal.services.taxonomy import sync_from_directory


def seed(ctx) -> None:
    sync_from_directory(actor="demo")
    ctx.made["types"] = {t.code: t for t in db.session.scalars(select(CredentialType))}
    db.session.add(ReminderPolicy(credential_type_id=None))  # organisation default
    # State nursing licenses: boards take weeks, and no grace to practise.
    for code in ("NY-RN", "NY-LPN"):
        db.session.add(ReminderPolicy(
            credential_type=ctx.made["types"][code],
            offsets=[120, 90, 60, 30, 14, 7, 0],
            grace_days=0,
            escalation=[
                {"days_before": 60, "notify": "manager"},
                {"days_before": 14, "notify": "hr"},
                {"days_before": 0, "notify": "compliance"},
            ],
            renewal_lead_days=45,
        ))
    db.session.add(ReminderPolicy(
        credential_type=ctx.made["types"]["SERVSAFE-FH"],
        offsets=[30, 7, 0], grace_days=14, allow_digest=True,
        escalation=[{"days_before": 0, "notify": "manager"}],
    ))

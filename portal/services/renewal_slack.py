"""The renew-now list's slack rule, from the database: each held
credential's days left less its type's renewal lead (its policy's or else
the type's) and the time to earn the CE hours its current cycle still
lacks (``portal.policies.recommendations``). The renew-now pages rank by
it; the compliance roll-ups count, per person, the compliant requirements
whose slack is already too short.
"""
from __future__ import annotations

from sqlalchemy import func, or_, select

from portal.extensions import db
from portal.models import CeActivity, Credential, CredentialType, Issuer
from portal.policies.recommendations import ce_days_needed, ce_hours_to_earn, slack_days
from portal.services import compliance


class Slack:
    """Each candidate's slack: days left less its type's renewal lead and the
    time to earn the CE hours its credential still lacks."""

    def __init__(self, types: dict, lead_days):
        self.types, self.lead_days = types, lead_days
        self.ce_logged: dict[int, float] = {}  # by credential, for the credentials logged so far

    def takes_ce(self, type_id: int) -> bool:
        """Whether CE hours logged can change a type's slack."""
        return bool(self.types[type_id][2])

    def __call__(self, type_id: int, credential_id: int, days_left: int) -> int:
        to_earn = ce_hours_to_earn(self.types[type_id][2], self.ce_logged.get(credential_id, 0.0))
        return slack_days(days_left, self.lead_days(type_id), to_earn)

    def most_days(self, type_id: int) -> int:
        """The most a type's slack falls short of its days left (no CE hour logged)."""
        return self.lead_days(type_id) + ce_days_needed(self.types[type_id][2] or 0)

    def log(self, credential_ids) -> None:
        """Read the CE hours logged against these credentials (ids or a subquery)."""
        self.ce_logged.update(ce_hours_logged(credential_ids))


def renewal_slack() -> Slack:
    """The slack rule over the credential types (with their issuers) and
    the renewal lead each takes, its policy's or else the type's."""
    policies = compliance.load_policies()
    types = {
        tid: (name, lead, ce_hours, issuer_name, renewal_url)
        for tid, name, lead, ce_hours, issuer_name, renewal_url in db.session.execute(
            select(CredentialType.id, CredentialType.name, CredentialType.renewal_lead_days,
                   CredentialType.ce_hours, Issuer.name, Issuer.renewal_url)
            .join(Issuer, Issuer.id == CredentialType.issuer_id)
        )
    }

    def lead(type_id: int) -> int:
        policy_lead = policies(type_id).renewal_lead_days
        return policy_lead if policy_lead is not None else (types[type_id][1] or 0)

    leads = {type_id: lead(type_id) for type_id in types}  # asked once per row: looked up, not worked out
    return Slack(types, leads.__getitem__)


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

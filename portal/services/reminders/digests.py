"""The weekly digests: a manager's reporting line, the organisation for HR
and compliance, and an employee's own credentials for those who chose it."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from portal.database import settled_ids
from portal.extensions import db
from portal.models import Credential, CredentialType, Notification, Person, RequirementSnapshot, User, today
from portal.policies import notification_keys as keys
from portal.services import mailer
from portal.services.compliance_snapshot import status_expression
from portal.services.scoping import reporting_line_ids

RS = RequirementSnapshot


DIGEST_HORIZON_DAYS = 30
DIGEST_LIST_LIMIT = 25


def _digest_rows(person_ids, on: date) -> dict[str, Any]:
    """Upcoming expiries and open escalations among ``person_ids`` (None: everyone)."""
    holder = aliased(Person, name="holder")
    status = status_expression(on).label("status")
    base = (select(holder.id, holder.first_name, holder.last_name, CredentialType.name, RS.expires_on, status)
            .join(holder, holder.id == RS.person_id).join(CredentialType, CredentialType.id == RS.credential_type_id)
            .where(holder.active))
    if person_ids is not None:
        base = base.where(RS.person_id.in_(person_ids))
    upcoming = db.session.execute(
        base.where(RS.expires_on >= on, RS.expires_on <= on + timedelta(days=DIGEST_HORIZON_DAYS))
        .order_by(RS.expires_on).limit(DIGEST_LIST_LIMIT)).all()
    open_rows = db.session.execute(
        base.where(or_(RS.credential_id.is_(None), RS.lapses_on <= on))
        .order_by(RS.expires_on.is_(None), RS.expires_on).limit(DIGEST_LIST_LIMIT)).all()
    counts_query = select(status, func.count()).select_from(RS).join(holder, holder.id == RS.person_id) \
        .where(holder.active).group_by(status)
    if person_ids is not None:
        counts_query = counts_query.where(RS.person_id.in_(person_ids))
    counts = {s: n for s, n in db.session.execute(counts_query)}

    def item(row):
        return {"person_id": row[0], "name": f"{row[1]} {row[2]}", "type_name": row[3],
                "expires_on": row[4].isoformat() if row[4] else None, "status": row[5]}

    return {"upcoming": [item(r) for r in upcoming], "open": [item(r) for r in open_rows],
            "counts": counts, "horizon_days": DIGEST_HORIZON_DAYS}


def week_key(on: date) -> str:
    year, week, _ = on.isocalendar()
    return f"{year}-W{week:02d}"


def run_weekly_digests(on: date | None = None) -> int:
    """One digest per manager (their reporting line), per HR reviewer and
    compliance officer (everyone), and per employee who chose the digest for
    optional reminders. Idempotent per ISO week. Returns digests written."""
    on = on or today()
    week = week_key(on)
    digests = []
    managers = db.session.execute(
        select(Person).where(Person.active, Person.email.is_not(None),
                             exists().where(aliased(Person, name="report").manager_id == Person.id))
    ).scalars().all()
    for manager in managers:
        line = settled_ids(select(Person.id).where(Person.id.in_(reporting_line_ids(manager.id))))
        data = _digest_rows(line, on)
        digests.append(_digest(keys.digest(week, "manager", keys.person_token(manager.id)), manager.id,
                               manager.email, "manager", data, on, f"Your team’s credentials — week {week[-2:]}"))
    org_data = None  # the same for every HR reviewer and compliance officer: read once
    for user in db.session.scalars(select(User).options(selectinload(User.person)).where(User.active)):
        if not user.has_role("reviewer", "compliance"):
            continue
        person = user.person
        if person is not None and not person.active:
            continue
        if org_data is None:
            org_data = _digest_rows(None, on)
            org_data["failing_addresses"] = db.session.scalar(
                select(func.count(Person.id)).where(Person.email_failing_since.is_not(None), Person.active))
        digests.append(_digest(keys.digest(week, "org", keys.user_token(user.id)), user.person_id,
                               (person.email if person and person.email else user.email), "org", org_data, on,
                               f"Organisation credentials — week {week[-2:]}"))
    chose_digest = list(db.session.scalars(select(Person).where(
        Person.active, Person.notification_channel == "digest", Person.email.is_not(None))))
    held: dict[int, list[dict[str, str]]] = {}
    if chose_digest:
        for person_id, name, expires_on in db.session.execute(
                select(Credential.person_id, CredentialType.name, Credential.expires_on)
                .join(CredentialType, CredentialType.id == Credential.credential_type_id)
                .where(Credential.person_id.in_([p.id for p in chose_digest]), Credential.state == "active",
                       Credential.expires_on <= on + timedelta(days=90))
                .order_by(Credential.person_id, Credential.expires_on)):
            held.setdefault(person_id, []).append({"type_name": name, "expires_on": expires_on.isoformat()})
    for person in chose_digest:
        if person.id in held:
            digests.append(_digest(keys.digest(week, "own", keys.person_token(person.id)), person.id, person.email,
                                   "own", {"own": held[person.id]}, on, "Your credentials this week"))
    written = len(mailer.queue_many(d for d in digests if d is not None))
    db.session.commit()
    return written


def _digest(key, person_id, email, audience, data, on, subject) -> Notification | None:
    """The digest's row, or None when there is nothing to send (or nobody to send it to)."""
    if not email:
        return None
    if audience != "own" and not data.get("upcoming") and not data.get("open"):
        return None
    return Notification(
        unique_key=key, kind="digest", step=f"{audience}:weekly", person_id=person_id,
        recipient_person_id=person_id, recipient_email=email, due_on=on, subject=subject,
        context=dict(data, audience=audience, as_of=on.isoformat()),
    )

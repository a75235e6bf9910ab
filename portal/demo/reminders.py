"""Demo step: run the day's reminder scan so the Outbox holds real emails.

The scan writes the reminders, escalations and missing-requirement notices
due on the demo's "today" (catch-up gives each person their most recent
step), sends them to the instance's outbox folder, writes this week's digests
and marks one address as refused, so the HR notice has something to show.
"""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Person


def seed(ctx) -> None:
    from portal.services import mailer, reminders

    db.session.commit()  # the compliance snapshot is refreshed on commit; the scan reads it
    reminders.scan(ctx.today)
    reminders.run_weekly_digests(ctx.today)
    mailer.send_pending(limit=None)
    bounced = db.session.scalars(
        select(Person).where(Person.active, Person.email.is_not(None), Person.manager_id.is_not(None))
        .order_by(Person.id.desc()).limit(1)
    ).first()
    if bounced is not None:
        mailer.mark_address_failing(bounced.email, "550 5.1.1 <%s>: Recipient address rejected: "
                                    "User unknown in virtual mailbox table" % bounced.email)
    db.session.commit()

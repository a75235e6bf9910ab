"""What the admin Outbox lists: the emails the portal wrote or sent, by state,
and the people whose address keeps failing."""
from __future__ import annotations

from sqlalchemy import Select, func, or_, select

from portal.extensions import db
from portal.models import Notification, Person
from portal.policies.reminders import SEEN_KIND
from portal.services.paging import Page, page_of

# The filter's choices, in the order the page lists them.
STATE_FILTERS = ("sent", "pending", "retry", "sending", "delivering", "unknown", "failed", "skipped")


def _messages() -> Select:
    return select(Notification).where(Notification.kind != SEEN_KIND)  # records of what was seen are not mail


def messages(state: str | None, q: str, page: int, per_page: int) -> Page:
    """Newest first, in one state (None: any) and matching ``q`` in the recipient or subject."""
    query = _messages()
    if state:
        query = query.where(Notification.state == state)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(Notification.recipient_email).like(like),
                                func.lower(Notification.subject).like(like)))
    return page_of(query.order_by(Notification.id.desc()), page, per_page)


def state_counts() -> dict[str, int]:
    query = _messages().with_only_columns(Notification.state, func.count()).group_by(Notification.state)
    return dict(db.session.execute(query).all())


def failing_people() -> list[Person]:
    """People whose address was refused for good, most recent first."""
    return db.session.scalars(
        select(Person).where(Person.email_failing_since.is_not(None)).order_by(Person.email_failing_since.desc())
    ).all()

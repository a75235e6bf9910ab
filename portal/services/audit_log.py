"""Reading the audit trail: filters and paging for the audit log page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str = ""
    entity_id: str = ""
    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None


@dataclass
class AuditPage:
    events: list[AuditEvent]
    page: int
    pages: int
    total: int


def entity_types() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)))


def _filtered(query, f: AuditFilter):
    if f.entity_type:
        query = query.where(AuditEvent.entity_type == f.entity_type)
    if f.entity_id:
        query = query.where(AuditEvent.entity_id == f.entity_id)
    if f.action:
        query = query.where(AuditEvent.action.like(f"%{f.action}%"))
    if f.actor:
        query = query.where(AuditEvent.actor_label.ilike(f"%{f.actor}%"))
    if f.since:
        query = query.where(AuditEvent.occurred_at >= datetime.combine(f.since, time.min, timezone.utc))
    if f.until:
        query = query.where(
            AuditEvent.occurred_at < datetime.combine(f.until + timedelta(days=1), time.min, timezone.utc)
        )
    return query


def search(f: AuditFilter, page: int = 1, per_page: int = 50) -> AuditPage:
    total = db.session.scalar(_filtered(select(func.count(AuditEvent.id)), f)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    events = db.session.scalars(
        _filtered(select(AuditEvent), f)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return AuditPage(events=list(events), page=page, pages=pages, total=total)


def changes(event: AuditEvent) -> list[tuple[str, object, object]]:
    """(field, before, after) rows for display, in a stable order."""
    before, after = event.before or {}, event.after or {}
    keys = list(dict.fromkeys([*after.keys(), *before.keys()]))
    return [(k, before.get(k), after.get(k)) for k in keys]


__all__ = ["AuditFilter", "AuditPage", "changes", "entity_types", "search"]

"""Reading the audit trail: filters and paging for the audit log page."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import islice

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, CredentialType, Person


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str = ""
    entity_id: str = ""
    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None
    person_id: int | None = None  # events on the person, their credentials and their documents


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
    if f.person_id:
        from sqlalchemy import String, cast, or_

        from portal.models import Credential, Document

        query = query.where(or_(
            (AuditEvent.entity_type == "Person") & (AuditEvent.entity_id == str(f.person_id)),
            (AuditEvent.entity_type == "Credential") & AuditEvent.entity_id.in_(
                select(cast(Credential.id, String)).where(Credential.person_id == f.person_id)),
            (AuditEvent.entity_type == "Document") & AuditEvent.entity_id.in_(
                select(cast(Document.id, String)).where(Document.person_id == f.person_id)),
        ))
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


FIELD_WORDS = {"expires_on": "expiry", "expiry_date": "expiry", "issued_on": "issue date", "issue_date": "issue date",
               "license_number": "number", "person_id": "person", "credential_type_id": "type",
               "superseded_by_id": "superseded by", "reject_reason": "reason", "claimed_by": "reviewer"}
SKIPPED = {"read", "values", "corrections", "checks", "version"}


# Fields whose ids are shown as names, and the model each names.
NAMED_FIELDS = {"person_id": Person, "credential_type_id": CredentialType}


def _word(key: str, value, names: dict) -> str:
    from portal.policies.date_reading import as_date

    if isinstance(value, bool):
        return "yes" if value else "no"
    day = as_date(value) if isinstance(value, str) and len(value) == 10 else None
    if day:
        return f"{day.day} {day:%b %Y}"
    if value in (None, "", [], {}):
        return "nothing"
    return names.get((key, value), str(value)) if isinstance(value, (int, str)) else str(value)


def names_for(events: Iterable[AuditEvent]) -> dict[tuple[str, int], str]:
    """Names for the ids the events mention (people, types), one query per kind for all the events."""
    wanted: dict[str, set[int]] = {key: set() for key in NAMED_FIELDS}
    for event in events:
        for side in (event.before or {}, event.after or {}):
            for key, ids in wanted.items():
                value = side.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    ids.add(value)
    found = {}
    for key, ids in wanted.items():
        if ids:
            model = NAMED_FIELDS[key]
            for row in db.session.scalars(select(model).where(model.id.in_(ids))):
                found[(key, row.id)] = getattr(row, "full_name", None) or row.name
    return found


def describe(event: AuditEvent, names: dict[tuple[str, int], str] | None = None) -> str:
    """One plain sentence: who did what, and what changed from what to what.

    ``names``: from ``names_for`` over the page being shown (else this event's own are looked up).
    """
    names = names_for([event]) if names is None else names
    verb = event.action.split(".", 1)[-1].replace("_", " ")
    thing = event.entity_type.lower() if event.entity_type else "record"
    what = f"{event.actor_label} {verb} {thing}{' ' + event.entity_id if event.entity_id else ''}"
    parts = []
    for key, before, after in changes(event):
        if key in SKIPPED or before == after or isinstance(after, (dict, list)) and key != "superseded":
            continue
        label = FIELD_WORDS.get(key, key.replace("_", " "))
        if key == "superseded" and after:
            parts.append(f"superseding record {', '.join(map(str, after))}")
        elif key == "superseded":
            continue
        elif before is None:
            parts.append(f"{label} {_word(key, after, names)}")
        else:
            parts.append(f"{label} from {_word(key, before, names)} to {_word(key, after, names)}")
    if (event.after or {}).get("override_reason"):
        parts.append(f"accepted because: {event.after['override_reason']}")
    return what + (": " + "; ".join(parts) if parts else "") + "."


EXPORT_CHUNK = 500  # events described per batch of name look-ups
EXPORT_HEADER = ("When (UTC)", "Who", "Action", "Entity", "Entity id", "What happened", "Reason", "Address")


def export_rows(f: AuditFilter, limit: int = 100_000):
    events = db.session.scalars(_filtered(select(AuditEvent), f)
                                .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit))
    while chunk := list(islice(events, EXPORT_CHUNK)):
        names = names_for(chunk)
        for e in chunk:
            yield (e.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), e.actor_label, e.action, e.entity_type,
                   e.entity_id or "", describe(e, names), e.reason or "", e.ip_address or "")


__all__ = ["AuditFilter", "AuditPage", "changes", "describe", "entity_types", "export_rows", "names_for", "search"]

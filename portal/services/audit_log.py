"""Reading the audit trail: filters and paging for the audit log page."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import islice

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import AuditEvent, Credential, CredentialType, Document, Issuer, Person, User
from portal.policies.date_reading import as_date
from portal.services.paging import page_of
from portal.services.word_search import each_word_in


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


def _acted_by(typed: str):
    """Events whose actor is what was typed: part of the label (an email, "api:…", "system")
    or of the person's name behind the login ("Priya Shah", "shah"), as the page shows them."""
    named = (select(User.id).join(Person, Person.id == User.person_id)
             .where(*each_word_in(typed, Person.first_name, Person.last_name)))
    return or_(AuditEvent.actor_label.ilike(f"%{typed}%"), AuditEvent.actor_user_id.in_(named))


def _filtered(query, f: AuditFilter):
    if f.entity_type:
        query = query.where(AuditEvent.entity_type == f.entity_type)
    if f.entity_id:
        query = query.where(AuditEvent.entity_id == f.entity_id)
    if f.action:
        query = query.where(AuditEvent.action.like(f"%{f.action}%"))
    if f.actor:
        query = query.where(_acted_by(f.actor))
    if f.person_id:
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
    listed = page_of(_filtered(select(AuditEvent), f).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()),
                     page, per_page)
    return AuditPage(events=listed.rows, page=listed.page, pages=listed.pages, total=listed.total)


def changes(event: AuditEvent) -> list[tuple[str, object, object]]:
    """(field, before, after) rows for display, in a stable order."""
    before, after = event.before or {}, event.after or {}
    keys = list(dict.fromkeys([*after.keys(), *before.keys()]))
    return [(k, before.get(k), after.get(k)) for k in keys]


FIELD_WORDS = {"expires_on": "expiry", "expiry_date": "expiry", "issued_on": "issue date", "issue_date": "issue date",
               "license_number": "number", "person_id": "person", "credential_type_id": "type",
               "superseded_by_id": "superseded by", "reject_reason": "reason", "claimed_by": "reviewer",
               "credential_id": "credential", "source_document_id": "from document",
               "renews_credential_id": "renewing", "issuer_id": "issuer", "type_request": "type asked for"}
# Kept on the event for the machine (the chain, the reading, the form), not said to people.
SKIPPED = {"read", "values", "corrections", "checks", "version", "sha256", "chain_hash", "override_reason",
           "recorded_as"}


# Fields that hold the id of a row, and the kind of row each names.
NAMED_FIELDS = {"person_id": "Person", "credential_type_id": "CredentialType", "issuer_id": "Issuer",
                "credential_id": "Credential", "superseded_by_id": "Credential", "renews_credential_id": "Credential",
                "superseded": "Credential", "source_document_id": "Document", "document_id": "Document"}


STATE_WORDS = {"needs_review": "waiting for review", "failed": "could not read", "type_requested": "new type requested"}


def _word(key: str, value, names: dict) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    day = as_date(value) if isinstance(value, str) and len(value) == 10 else None
    if day:
        return _day(day)
    if value in (None, "", [], {}):
        return "nothing"
    if key == "state" and isinstance(value, str):
        return STATE_WORDS.get(value, value.replace("_", " "))
    kind = NAMED_FIELDS.get(key)
    if isinstance(value, list):
        return ", ".join(_word(key, v, names) for v in value)
    if kind and isinstance(value, int):
        return names.get((kind, value), f"{kind.lower()} {value}")
    return str(value)


def _day(day: date) -> str:
    """"2 Feb 2023": short, and never read in the wrong order."""
    return f"{day.day} {day:%b %Y}"


def _labels(kind: str, ids: set[int]) -> dict[int, str]:
    """How a row of this kind is named in a sentence (one query for all the ids)."""
    if kind == "Person":
        return {p.id: p.full_name for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}
    if kind in ("CredentialType", "Issuer"):
        model = CredentialType if kind == "CredentialType" else Issuer
        return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())
    if kind == "User":
        # with their people: a user's display name is their person's
        users = db.session.scalars(select(User).where(User.id.in_(ids)).options(selectinload(User.person)))
        return {u.id: u.display_name for u in users}
    if kind == "Credential":
        rows = db.session.execute(
            select(Credential.id, CredentialType.name, Credential.expires_on, Person.first_name, Person.last_name)
            .join(CredentialType, CredentialType.id == Credential.credential_type_id)
            .join(Person, Person.id == Credential.person_id).where(Credential.id.in_(ids)))
        return {i: f"{name} of {first} {last}, valid to {_day(expires) if expires else 'no expiry'}"
                for i, name, expires, first, last in rows}
    if kind == "Document":
        return {d.id: d.display_name for d in db.session.scalars(select(Document).where(Document.id.in_(ids)))}
    return {}


def names_for(events: Iterable[AuditEvent]) -> dict[tuple[str, int], str]:
    """Names for the rows the events mention (who acted, what changed, the ids
    in their fields), one query per kind for all the events."""
    wanted: dict[str, set[int]] = {}

    def want(kind: str, value) -> None:
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, int) and not isinstance(v, bool):
                wanted.setdefault(kind, set()).add(v)
            elif isinstance(v, str) and v.isdigit():
                wanted.setdefault(kind, set()).add(int(v))

    for event in events:
        if event.actor_user_id:
            want("User", event.actor_user_id)
        if event.entity_id:
            want(event.entity_type, event.entity_id)
        for side in (event.before or {}, event.after or {}):
            for key, kind in NAMED_FIELDS.items():
                if key in side:
                    want(kind, side[key])
    found = {}
    for kind, ids in wanted.items():
        for row_id, label in _labels(kind, ids).items():
            found[(kind, row_id)] = label
    return found


ENTITY_WORDS = {"CredentialType": "credential type", "IssuerHint": "issuer hint", "ApiToken": "API token"}


def actor_name(event: AuditEvent, names: dict[tuple[str, int], str]) -> str:
    """The person who acted, by name (the label, an email or "system", otherwise)."""
    return names.get(("User", event.actor_user_id), event.actor_label) if event.actor_user_id else event.actor_label


def entity_name(event: AuditEvent, names: dict[tuple[str, int], str]) -> str:
    """"credential ACLS Provider of Sam Rivera, valid to 22 Jan 2027", "document card.png", "issuer hint code:aha"."""
    thing = ENTITY_WORDS.get(event.entity_type, (event.entity_type or "record").lower())
    if not event.entity_id:
        return thing
    label = names.get((event.entity_type, int(event.entity_id))) if event.entity_id.isdigit() else None
    return f"{thing} {label or event.entity_id}"


def describe(event: AuditEvent, names: dict[tuple[str, int], str] | None = None) -> str:
    """One plain sentence: who did what, and what changed from what to what.

    ``names``: from ``names_for`` over the page being shown (else this event's own are looked up).
    """
    names = names_for([event]) if names is None else names
    verb = event.action.split(".", 1)[-1].replace("_", " ")
    what = f"{actor_name(event, names)} {verb} {entity_name(event, names)}"
    parts = []
    for key, before, after in changes(event):
        if key in SKIPPED or before == after or isinstance(after, dict):
            continue
        if isinstance(after, list) and key not in NAMED_FIELDS:
            continue
        label = FIELD_WORDS.get(key, key.replace("_", " "))
        if key == "superseded":
            if after:
                parts.append(f"superseding {_word(key, after, names)}")
        elif before is None:
            parts.append(f"{label} {_word(key, after, names)}")
        else:
            parts.append(f"{label} from {_word(key, before, names)} to {_word(key, after, names)}")
    after = event.after or {}
    if after.get("recorded_as") == "history":
        parts.append("kept as history behind the newer record")
    accepted = [c.get("message") for c in after.get("checks") or () if isinstance(c, dict) and c.get("overridden")]
    if accepted:
        parts.append("accepted after a look: " + " ".join(m for m in accepted if m).rstrip("."))
    if after.get("override_reason"):
        parts.append(f"because: {after['override_reason']}")
    return what + (": " + "; ".join(parts) if parts else "") + "."


EXPORT_CHUNK = 500  # events described per batch of name look-ups
EXPORT_HEADER = ("When (UTC)", "Who", "Action", "Entity", "Entity id", "What happened", "Reason", "Address")


def export_rows(f: AuditFilter, limit: int = 100_000):
    events = db.session.scalars(_filtered(select(AuditEvent), f)
                                .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit))
    while chunk := list(islice(events, EXPORT_CHUNK)):
        names = names_for(chunk)
        for e in chunk:
            yield (e.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), actor_name(e, names), e.action, e.entity_type,
                   e.entity_id or "", describe(e, names), e.reason or "", e.ip_address or "")


__all__ = ["AuditFilter", "AuditPage", "actor_name", "changes", "describe", "entity_name", "entity_types",
           "export_rows", "names_for", "search"]

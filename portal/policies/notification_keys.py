"""Every notification's unique key, written in one place.

A key names what a notification is about, who it is to and which step it
is; the database's unique index on it is what makes a second scan, a retried
job or a double click add nothing. Formats are stable: changing one would
send every step again.

Each function takes its parts and a ``join``: the default joins Python
values into a string; the scan passes one that builds the same text in SQL
(``portal.services.reminders.scan``), so the two cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

Join = Callable[..., Any]


def text(*parts: Any) -> str:
    return "".join(str(part) for part in parts)


def person_token(person_id: Any, join: Join = text) -> Any:
    """A recipient who is a person: ``p7``."""
    return join("p", person_id)


def user_token(user_id: Any, join: Join = text) -> Any:
    """A recipient who is a staff account (HR, compliance): ``u3``."""
    return join("u", user_id)


def credential_step(kind: str, credential_id: Any, recipient: Any, step_label: str, join: Join = text) -> Any:
    """A reminder or escalation step: ``reminder:cred:42:to:p7:employee:d30``."""
    return join(f"{kind}:cred:", credential_id, ":to:", recipient, ":" + step_label)


def missing_seen(person_id: Any, type_id: Any, join: Join = text) -> Any:
    """The record of the day a requirement was first seen missing: ``missing:person:7:type:3:seen``."""
    return join("missing:person:", person_id, ":type:", type_id, ":seen")


CLOSED_SUFFIX = ":closed:"  # + the row's id: a closed episode frees the "seen" key


def episode_tag(closed_episodes: int) -> str:
    """Nothing for a requirement's first missing episode, ``:ep2``, ``:ep3``... for later ones."""
    return "" if closed_episodes == 0 else f":ep{closed_episodes + 1}"


def missing_step_name(audience: str, days: int) -> str:
    return f"{audience}:missing" if days == 0 else f"{audience}:missing-d{days}"


def missing_step(person_id: Any, type_id: Any, episode: Any, recipient: Any, step_name: str,
                 join: Join = text) -> Any:
    """A missing-requirement notice: ``missing:person:7:type:3:to:p7:employee:missing``."""
    return join("missing:person:", person_id, ":type:", type_id, episode, ":to:", recipient, ":" + step_name)


def digest(week: str, audience: str, recipient: str) -> str:
    """A weekly digest: ``digest:2026-W14:manager:p7``."""
    return f"digest:{week}:{audience}:{recipient}"


def invitation(user_id: int, session_version: int) -> str:
    return f"invite:user:{user_id}:v{session_version}"


def rejected_document(document_id: int, version: Any) -> str:
    return f"review:document:{document_id}:rejected:v{version}"


def confirmed_document(document_id: int) -> str:
    """"HR confirmed your certificate": once per document (a document is confirmed once)."""
    return f"review:document:{document_id}:confirmed"


def upload_request(credential_id: int) -> str:
    """"Please upload your certificate" for an imported, unverified credential."""
    return f"request:upload:cred:{credential_id}"


def verification_change(verification_id: int, email: str) -> str:
    """A re-verification that moved a credential's standing, to one person it concerns."""
    return f"verification:{verification_id}:to:{email}"[:200]


__all__ = [
    "CLOSED_SUFFIX", "credential_step", "digest", "episode_tag", "invitation", "missing_seen", "missing_step",
    "missing_step_name", "person_token", "rejected_document", "text", "upload_request", "user_token", "verification_change",
]

"""Board lookup APIs: ask a licensing board's service whether a licence is in good standing.

Sources are configured, none is enabled by default (``VERIFICATION_LOOKUPS``)::

    VERIFICATION_LOOKUPS = {
        "ohio-bon": {"url": "https://lookup.example/api/licenses?number={number}&last={last_name}",
                     "types": ["OH-RN"], "timeout": 5, "retries": 2, "per_minute": 30,
                     "adapter": "json_status"},
    }

An adapter turns the answer into a ``Check``; ``json_status`` reads a JSON
object with ``status`` (and optional ``name``, ``expires_on``, ``discipline``).
Timeouts, 5xx and 429 raise SourceUnavailable through ``http``: the standing
stays and the job asks again later. Sites whose terms forbid automated use are
never scraped: a source is an API the board offers.
"""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import quote

from flask import current_app

from portal.services.verification import http
from portal.services.verification.base import Check, Subject, verifier

METHOD = "lookup"
GOOD_STANDING = ("active", "clear", "current", "valid", "in good standing")


def json_status(name: str, answer: Any, subject: Subject) -> Check:
    if not isinstance(answer, dict) or not answer.get("status"):
        return Check(METHOD, name, "unverifiable", f"{name} answered without a licence status.",
                     {"answer": str(answer)[:300]})
    status = str(answer["status"]).strip()
    discipline = answer.get("discipline")
    evidence = {"status": status, "name": answer.get("name"), "expires_on": answer.get("expires_on"),
                "discipline": discipline or "none"}
    if status.lower() in GOOD_STANDING and not discipline:
        return Check(METHOD, name, "verified", f"{name} reports the licence as {status}.", evidence)
    return Check(METHOD, name, "failed", f"{name} reports the licence as {status}"
                 + (f" with discipline ({discipline})." if discipline else "."), evidence)


ADAPTERS: dict[str, Callable[[str, Any, Subject], Check]] = {"json_status": json_status}


def sources_for(type_code: str) -> list[tuple[str, dict]]:
    configured = current_app.config.get("VERIFICATION_LOOKUPS") or {}
    return [(name, cfg) for name, cfg in configured.items() if type_code in (cfg.get("types") or [])]


@verifier(METHOD)
def check(subject: Subject) -> Check | None:
    credential = subject.credential
    if not credential.license_number:
        return None
    sources = sources_for(credential.credential_type.code)
    if not sources:
        return None
    name, cfg = sources[0]
    url = cfg["url"].format(number=quote(credential.license_number, safe=""),
                            last_name=quote(credential.person.last_name or "", safe=""))
    try:
        answer = http.get_json(url, source=name, timeout=cfg.get("timeout"), retries=cfg.get("retries"),
                               per_minute=cfg.get("per_minute"))
    except http.Refused as refused:
        if "404" in str(refused):
            return Check(METHOD, name, "failed", f"{name} does not know this licence number.", {"url": url})
        return Check(METHOD, name, "unverifiable", f"{name} refused the lookup: {refused}.", {"url": url})
    return ADAPTERS[cfg.get("adapter", "json_status")](name, answer, subject)

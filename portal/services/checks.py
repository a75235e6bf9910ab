"""The facts the confirmation checks need, gathered from the registry.

The rules are in ``portal.policies.confirmation``; this module only looks
things up (the person, the type, the records a confirmation would replace,
other people holding the same number) and hands them over. The review page,
the decision itself, hand edits on the registry and credential imports all
call ``evaluate``; a confirmation or a hand edit gets past them only through
``clear`` (a tick per check, a reason, "add to history"), audited by
``Clearance.audit``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Credential, CredentialType, Document, Person, utcnow
from portal.policies import confirmation
from portal.policies.confirmation import Facts, Outcome, Replaced
from portal.policies.date_reading import ambiguous_dates, spelled
from portal.policies.date_reading import as_date as _as_date


def replaced_records(person_id: int, credential_type_id: int, renews_id: int | None = None,
                     exclude_document_id: int | None = None,
                     exclude_credential_id: int | None = None) -> list[Credential]:
    """Records a new one of this type for this person would supersede."""
    clauses = [(Credential.credential_type_id == credential_type_id) & (Credential.state == "active")]
    if renews_id:
        clauses.append((Credential.id == renews_id) & (Credential.state == "active"))
    query = select(Credential).where(Credential.person_id == person_id, or_(*clauses))
    if exclude_document_id:
        query = query.where(Credential.source_document_id.is_distinct_from(exclude_document_id))
    if exclude_credential_id:
        query = query.where(Credential.id != exclude_credential_id)
    return list(db.session.scalars(query.order_by(Credential.id)))


def record_label(credential: Credential) -> str:
    valid = f"valid to {spelled(credential.expires_on)}" if credential.expires_on else "with no expiry"
    return f"{credential.credential_type.name} {valid}"


def people_with_number(number: str | None, person_id: int | None, ctype: CredentialType | None) -> list[str]:
    """Names of other people with a record of this number (from the same issuer, when known)."""
    number = (number or "").strip()
    if not number:
        return []
    query = (select(Person.first_name, Person.last_name).join(Credential, Credential.person_id == Person.id)
             .where(func.lower(Credential.license_number) == number.lower(), Credential.state != "revoked"))
    if person_id:
        query = query.where(Person.id != person_id)
    if ctype is not None:
        query = query.join(CredentialType, CredentialType.id == Credential.credential_type_id).where(
            CredentialType.issuer_id == ctype.issuer_id)
    return sorted({f"{first} {last}" for first, last in db.session.execute(query.limit(20))})


def facts(values: dict[str, Any], document: Document | None = None, today: date | None = None,
          editing: Credential | None = None) -> Facts:
    """``editing``: the record a hand edit changes (it replaces nothing but, when current, others of its type)."""
    person = db.session.get(Person, values["person_id"]) if values.get("person_id") else None
    ctype = db.session.get(CredentialType, values["credential_type_id"]) if values.get("credential_type_id") else None
    kept_as_history = editing is not None and editing.state != "active"
    replaces = []
    if person is not None and ctype is not None and not kept_as_history:
        renews = document.renews_credential_id if document is not None else None
        replaces = [Replaced(record_label(c), c.expires_on) for c in replaced_records(
            person.id, ctype.id, renews, document.id if document is not None else None,
            editing.id if editing is not None else None)]
    return Facts(
        today=today or utcnow().date(),
        holder_name=_holder_name(values, document),
        person_given=person.first_name if person else "",
        person_surname=person.last_name if person else "",
        person_former_names=tuple(person.former_names or ()) if person else (),
        issue_date=_as_date(values.get("issue_date")),
        expiry_date=_as_date(values.get("expiry_date")),
        type_name=ctype.name if ctype else None,
        validity_months=ctype.validity_months if ctype else None,
        license_number=values.get("license_number"),
        number_patterns=tuple((ctype.issuer.license_number_patterns or ()) if ctype else ()),
        issuer_name=ctype.issuer.name if ctype else None,
        replaces=replaces,
        same_number_people=people_with_number(values.get("license_number"),
                                              person.id if person else None, ctype),
        kept_as_history=kept_as_history,
        ambiguous_dates=_ambiguous(document, values),
    )


def _holder_name(values: dict[str, Any], document: Document | None) -> str:
    """The name as entered, or as read when the reviewer emptied the field:
    clearing the name must not clear the check that it is the person's."""
    entered = str(values.get("holder_name") or "").strip()
    if entered or document is None:
        return entered
    extraction = document.latest_extraction
    return str((extraction.fields or {}).get("holder_name") or "") if extraction and not extraction.error_code else ""


def _ambiguous(document: Document | None, values: dict[str, Any]):
    extraction = document.latest_extraction if document is not None else None
    if extraction is None or extraction.error_code:
        return []
    printed = {name: (ev or {}).get("text") for name, ev in (extraction.evidence or {}).items()
               if isinstance(ev, dict)}
    return ambiguous_dates(extraction.fields, values, printed)


def evaluate(values: dict[str, Any], document: Document | None = None, today: date | None = None,
             editing: Credential | None = None) -> Outcome:
    """The confirmation checks for these values (as typed or as read)."""
    return confirmation.evaluate(facts(values, document, today, editing))


OVERRIDE_REASON_MIN = 5


@dataclass(frozen=True)
class Clearance:
    """How the checks were got past: the ticks, "add to history", and the reason when one was needed."""

    outcome: Outcome
    overridden: frozenset[str]
    as_history: bool
    reason: str | None

    def audit(self, recorded_as_history: bool) -> dict[str, Any]:
        """What the audit event keeps (``audit_log.describe`` says it in words)."""
        return {
            "recorded_as": "history" if recorded_as_history else "current",
            "checks": [{"code": c.code, "message": c.message, "overridden": c.code in self.overridden}
                       for c in self.outcome.checks if c.severity != confirmation.NOTICE],
            **({"override_reason": self.reason} if self.reason else {}),
        }


def _form_list(form, name: str) -> list[str]:
    if hasattr(form, "getlist"):
        return [v for v in form.getlist(name) if v]
    value = form.get(name)
    return [v for v in (value if isinstance(value, (list, tuple)) else [value]) if v]


def clear(form: dict[str, Any], outcome: Outcome) -> Clearance:
    """Whether the form gets past the checks; ``Invalid`` (with the outcome as detail) while any is in the way.

    Each check that stops needs its own tick (``override`` = its code) and a
    stated reason; a record older than the current one only goes in with
    ``record_as=history``. Errors are keyed by the check's field.
    """
    as_history = form.get("record_as") == "history" and outcome.offers_history
    present = {c.code for c in outcome.checks if c.overridable}
    overridden = set(_form_list(form, "override")) & present
    reasoned = {c.code for c in outcome.checks if c.needs_reason} & overridden
    reason = (form.get("override_reason") or "").strip()[:1000]
    errors: dict[str, str] = {}
    for check in outcome.blocking(overridden, as_history):
        errors[check.field] = f"{errors[check.field]} {check.message}" if check.field in errors else check.message
    if (reasoned or as_history) and len(reason) < OVERRIDE_REASON_MIN:
        errors["override_reason"] = "Say why you accept this, in a few words (it is kept in the audit log)."
    if errors:
        raise Invalid.each(errors, outcome)
    return Clearance(outcome, frozenset(overridden), as_history, reason if reasoned or as_history else None)


IMPORT_CHECKS = ("issued_in_future", "expiry_beyond_validity", "number_pattern", "older_than_current")


def import_warnings(values: dict[str, Any], ctype: CredentialType, current: dict[str, Any] | None,
                    today: date | None = None) -> list[str]:
    """The confirmation checks that apply to a spreadsheet row, as row warnings.

    No queries (an import checks tens of thousands of rows): the row's own
    dates and number, and the active record it would update.
    """
    replaces = [Replaced(f"the current record valid to {spelled(current.get('expires_on'))}",
                         current.get("expires_on"))] if current and current.get("expires_on") else []
    found = confirmation.evaluate(Facts(
        today=today or utcnow().date(), issue_date=_as_date(values.get("issued_on")),
        expiry_date=_as_date(values.get("expires_on")), type_name=ctype.name,
        validity_months=ctype.validity_months, license_number=values.get("license_number"),
        number_patterns=tuple(ctype.issuer.license_number_patterns or ()), issuer_name=ctype.issuer.name,
        replaces=replaces))
    return [c.message for c in found.checks if c.code in IMPORT_CHECKS]

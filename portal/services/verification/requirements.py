"""Where a type's verification policy says "required", an unverified credential
does not meet a requirement (``portal.policies.verification.meets_requirement``).

The compliance engine asks which of the credentials it loaded must be left
out; the snapshot is refreshed when a standing or a policy changes.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from portal.extensions import db
from portal.models import VerificationPolicy, VerificationState
from portal.policies.verification import meets_requirement


def required_types() -> tuple[bool, set[int], set[int]]:
    """(default requires, types that require, types whose own policy does not)."""
    default, requiring, exempt = False, set(), set()
    for type_id, required in db.session.execute(select(VerificationPolicy.credential_type_id,
                                                       VerificationPolicy.required)):
        if type_id is None:
            default = bool(required)
        elif required:
            requiring.add(type_id)
        else:
            exempt.add(type_id)
    return default, requiring, exempt


def not_meeting(held: Iterable[tuple[int, int]]) -> set[int]:
    """Of (credential id, type id) pairs, the credentials that may not meet a requirement."""
    default, requiring, exempt = required_types()
    if not default and not requiring:
        return set()
    candidates = [cid for cid, type_id in held
                  if type_id in requiring or (default and type_id not in exempt)]
    outcomes: dict[int, str] = {}
    for start in range(0, len(candidates), 900):
        chunk = candidates[start:start + 900]
        outcomes.update(db.session.execute(select(VerificationState.credential_id, VerificationState.outcome)
                                           .where(VerificationState.credential_id.in_(chunk))).all())
    return {cid for cid in candidates if not meets_requirement(outcomes.get(cid), True)}


def standing_changed(person_id: int) -> None:
    """The person's requirement states are refreshed with the caller's commit."""
    from portal.services.compliance_snapshot import mark_dirty

    mark_dirty(people=[person_id])


def policy_changed(credential_type_id: int | None) -> None:
    from portal.services.compliance_snapshot import mark_dirty

    mark_dirty(types=[credential_type_id] if credential_type_id is not None else None,
               everyone=credential_type_id is None)

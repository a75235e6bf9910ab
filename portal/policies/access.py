"""Who may see and do what, as plain rules over role names."""
from __future__ import annotations

from collections.abc import Iterable

# Roles that see every person in the organisation.
ORG_WIDE_ROLES = frozenset({"admin", "reviewer", "compliance"})
REVIEW_ROLES = ("reviewer", "admin")
ADMIN_ROLES = ("admin",)
COMPLIANCE_VIEW_ROLES = ("manager", "reviewer", "compliance", "admin")

# Where each role lands after signing in, most powerful first.
LANDING_ENDPOINTS = (
    ("admin", "admin.setup"),
    ("reviewer", "review.queue"),
    ("compliance", "team.overview"),
    ("manager", "team.overview"),
    ("employee", "me.credentials"),
)


def sees_everyone(roles: Iterable[str]) -> bool:
    return bool(ORG_WIDE_ROLES.intersection(roles))


def landing_endpoints(roles: Iterable[str]) -> list[str]:
    roles = set(roles)
    return [endpoint for role, endpoint in LANDING_ENDPOINTS if role in roles]

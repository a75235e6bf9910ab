"""Navigation per role, gathered from what each blueprint declares.

A blueprint module adds entries with ``nav_item(...)`` at import time; the
layout shows the ones the current user's roles allow, in order.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset[str]
    order: int
    icon: str = ""


_ITEMS: list[NavItem] = []


def nav_item(label: str, endpoint: str, roles: tuple[str, ...], order: int = 50, icon: str = "") -> None:
    item = NavItem(label, endpoint, frozenset(roles), order, icon)
    if item not in _ITEMS:
        _ITEMS.append(item)


# Admin sections the Setup page links to: in the bar only for people who
# can open them but not Setup (a compliance officer's audit log).
SETUP_SECTIONS = frozenset({"outbox.index", "integrations.imports_page", "account.users", "audit.log",
                            "verification.admin_page"})
# Personal settings live in the menu under the user's name.
USER_MENU = frozenset({"notifications.preferences"})


def _allowed(user) -> list[NavItem]:
    return sorted(
        (i for i in _ITEMS if user.roles & i.roles),
        key=lambda i: (i.order, i.label),
    )


def nav_for(user) -> list[NavItem]:
    """The main navigation bar."""
    items = [i for i in _allowed(user) if i.endpoint not in USER_MENU]
    if any(i.endpoint == "admin.setup" for i in items):
        items = [i for i in items if i.endpoint not in SETUP_SECTIONS]
    return items


def user_menu_for(user) -> list[NavItem]:
    """Entries in the menu under the user's name."""
    return [i for i in _allowed(user) if i.endpoint in USER_MENU]

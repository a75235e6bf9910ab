"""Navigation per role, gathered from what each blueprint declares.

A blueprint module adds entries with ``nav_item(...)`` at import time; the
layout shows the ones the current user's roles allow, in order.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app


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


def nav_for(user) -> list[NavItem]:
    endpoints = current_app.view_functions
    return sorted(
        (i for i in _ITEMS if i.endpoint in endpoints and user.roles & i.roles),
        key=lambda i: (i.order, i.label),
    )

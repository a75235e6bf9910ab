"""One page of a list query: its rows, where it is, and how many there are."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from portal.extensions import db


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    page: int       # 1-based; a page past the end shows the last one (unless not clamped)
    pages: int      # at least 1, so an empty list is "page 1 of 1"
    total: int


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def page_of(query: Select, page: int, per_page: int, clamp: bool = True) -> Page:
    """The ``page``-th ``per_page`` rows of ``query`` (ordered by the caller),
    counted without its ordering. ``clamp``: a page past the end is the last
    one (pages a person reads); else it is empty (an API client pages on
    until nothing comes back)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = page_count(total, per_page)
    if clamp:
        page = min(max(1, page), pages)
    rows = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(rows, page, pages, total)

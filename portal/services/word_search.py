"""Search boxes where each typed word may match a different column ("priya shah", "shah 3jd9")."""
from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_

MOST_WORDS = 5  # words of a search box looked at; more only slow the query


def each_word_in(text: str | None, *columns, most: int = MOST_WORDS) -> list[ColumnElement[bool]]:
    """One clause per typed word (case-insensitive, anywhere in the value): found in one of ``columns``.

    All of them go into ``where(...)``; no words typed gives no clauses.
    """
    words = (text or "").lower().split()[:most]
    return [or_(*(func.lower(column).like(f"%{word}%") for column in columns)) for word in words]


__all__ = ["MOST_WORDS", "each_word_in"]

"""The one error type for input a use case refuses.

Every service raises ``Invalid`` for a bad form, file or request, so a view
catches one type and shows each message next to its field (``errors`` maps a
field name, or ``"form"`` for the whole form, to its message). Plain Python:
policies, services, jobs and the API all use it.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Invalid(ValueError):
    """Refused input: a plain message, and the form field it is about (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None, *,
                 errors: Mapping[str, str] | None = None, detail: Any = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors: dict[str, str] = dict(errors) if errors else {field or "form": message}
        # What a page shows beside the messages: a policy file's problems with
        # their lines, the confirmation checks that stopped a review...
        self.detail = detail

    @classmethod
    def each(cls, errors: Mapping[str, str], detail: Any = None) -> "Invalid":
        """Several fields refused at once, a message per field."""
        field = next(iter(errors)) if len(errors) == 1 else None
        return cls("; ".join(errors.values()), field, errors=errors, detail=detail)

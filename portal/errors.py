"""The one validation error type: a message for people, and the field it concerns."""
from __future__ import annotations


class Invalid(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

"""URL converters shared by the portal and the API."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

# Primary keys are 32-bit integers on PostgreSQL; anything larger cannot be a
# row and must not reach the database (where it is an error, not a miss).
MAX_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` that matches only ids a database row can have: a larger
    number does not match the route, so it is a plain 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def openapi_schema(converter: DatabaseIdConverter) -> dict:
    return {"type": "integer", "minimum": converter.min or 0, "maximum": converter.max}


def db_id(value) -> int:
    """An id from a query or form value, for ``args.get(name, type=db_id)``:
    raises ValueError unless it is a whole number a row id can be."""
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError(f"{value!r} is not a record id")
    return number


def parse_id(value) -> int | None:
    """A record id from a query or form value, else None."""
    try:
        return db_id(value)
    except (TypeError, ValueError):
        return None

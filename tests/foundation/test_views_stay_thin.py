"""Views stay thin (CONTRIBUTING.md, "Who commits"): views and API routes ask
services what to list, count or look up; they touch no session and build no
query themselves. Object fetches go through ``portal.services.scoping``."""
from __future__ import annotations

import ast

from tests.support.view_modules import dotted, findings, names

QUERY_CALLS = {"execute", "scalars", "scalar"}  # a session's (or connection's) ways to run a query


def _query(node: ast.AST) -> str | None:
    """What makes ``node`` a query of the view's own, in words, or None."""
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id == "db":
            return f"uses {dotted(node)}"
        if isinstance(node.value, ast.Name) and node.value.id == "func":
            return f"builds SQL with {dotted(node)}"
        if node.attr == "query":
            return f"queries with {dotted(node)}"
    if isinstance(node, ast.Call):
        called = node.func
        if isinstance(called, ast.Name) and called.id == "select":
            return "builds a query with select()"
        if isinstance(called, ast.Attribute) and called.attr in QUERY_CALLS:
            return f"runs a query with {dotted(called)}()"
    if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
        return f"imports {names(node.names)} from {node.module}"
    if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "sqlalchemy" for a in node.names):
        return f"imports {names(node.names)}"
    return None


def test_views_and_api_routes_run_no_query_themselves():
    found = findings(_query)
    assert found == [], ("Views and API routes call services for what they list, count or look up, "
                         "and fetch objects through portal.services.scoping; move these into a service:\n  "
                         + "\n  ".join(found))


def test_the_check_names_every_way_a_view_could_query():
    lines = [
        "from sqlalchemy import select", "import sqlalchemy.orm", "db.session.get(Person, 1)",
        "Person.query.all()", "func.count()", "select(Person)", "session.execute(q)", "rows.scalars(q)",
        "conn.scalar(q)",
    ]
    named = [_query_in(line) for line in lines]
    assert all(named), dict(zip(lines, named))
    assert _query_in("services.registry.search(args)") == [] and _query_in("from portal.services import x") == []


def _query_in(line: str) -> list[str]:
    return [what for node in ast.walk(ast.parse(line)) if (what := _query(node))]

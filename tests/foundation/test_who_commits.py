"""Who commits (CONTRIBUTING.md): services end their transactions; views and
API routes call them and never commit or roll back themselves."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VIEW_PACKAGES = ("portal/blueprints", "portal/api")


def _transaction_calls(path: Path) -> list[str]:
    """``db.session.commit()`` / ``.rollback()`` calls in one module, as 'file:line'."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("commit", "rollback") and ast.unparse(node.func.value) == "db.session"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_view_or_api_route_ends_a_transaction_itself():
    modules = [p for package in VIEW_PACKAGES for p in sorted((ROOT / package).glob("*.py"))]
    assert len(modules) > 20  # the views were found
    assert [call for path in modules for call in _transaction_calls(path)] == []

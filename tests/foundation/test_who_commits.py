"""Who commits (CONTRIBUTING.md): services end their transactions; views and
API routes call them and never commit or roll back themselves."""
from __future__ import annotations

import ast

from tests.support.view_modules import dotted, findings


def _transaction_call(node: ast.AST) -> str | None:
    """``db.session.commit()`` / ``.rollback()``."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("commit", "rollback") and dotted(node.func.value) == "db.session"):
        return dotted(node.func)
    return None


def test_no_view_or_api_route_ends_a_transaction_itself():
    assert findings(_transaction_call) == []

"""The view and API route modules, parsed: what the foundation tests that
hold views to the house's conventions walk (who commits, views stay thin)."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parents[2]
VIEW_PACKAGES = ("portal/blueprints", "portal/api")


def view_modules() -> list[Path]:
    modules = [p for package in VIEW_PACKAGES for p in sorted((ROOT / package).glob("*.py"))]
    assert len(modules) > 20  # the views were found
    return modules


def findings(check: Callable[[ast.AST], str | None]) -> list[str]:
    """'file:line what' for each line of a view module where ``check`` names
    something (it answers what it found, or None), in file and line order."""
    found = []
    for path in view_modules():
        by_line: dict[int, list[str]] = {}
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            what = check(node)
            if what and what not in by_line.setdefault(node.lineno, []):
                by_line[node.lineno].append(what)
        found += [f"{path.relative_to(ROOT)}:{line} {'; '.join(whats)}"
                  for line, whats in sorted(by_line.items()) if whats]
    return found


def dotted(node: ast.AST) -> str:
    return ast.unparse(node)


def names(items: Iterable[ast.alias]) -> str:
    return ", ".join(a.name for a in items)

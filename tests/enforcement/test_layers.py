"""Enforcement's layers: ``rules/`` stays pure (no database, web, I/O or clock), the system folder
has the shape every system shares, and the staff pages and the API routes reach enforcement data
only through ``enforcement.service`` (no models, no SQLAlchemy)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENFORCEMENT = Path(__file__).resolve().parents[2] / "src" / "minsheng" / "enforcement"
WEB = ENFORCEMENT.parent / "web"
IMPURE = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "typer",
    "requests",
    "httpx",
    "minsheng.core.db",
    "minsheng.enforcement.models",
    "minsheng.enforcement.service",
)
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}
RULES = sorted((ENFORCEMENT / "rules").rglob("*.py"))
PAGES_AND_ROUTES = [
    WEB / "staff_enforcement.py",
    WEB / "staff_enforcement_reports.py",
    WEB / "render.py",
    ENFORCEMENT / "routes.py",
]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_system_folder_has_the_shared_shape() -> None:
    names = {p.name for p in ENFORCEMENT.iterdir() if not p.name.startswith(("_", "."))}
    assert names == {
        "models.py",
        "schemas.py",
        "errors.py",
        "routes.py",
        "cli",
        "demo.py",
        "data",
        "rules",
        "service",
    }
    assert {p.stem for p in RULES} >= {"base", "decision", "inputs", "grading", "planning"}


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_rules_import_nothing_impure(path: Path) -> None:
    bad = sorted(n for n in _imports(_tree(path)) if n.startswith(IMPURE))
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_rules_read_no_clock_and_open_no_file(path: Path) -> None:
    for node in ast.walk(_tree(path)):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            assert (f.value.id, f.attr) not in CLOCK_CALLS, f"{path.name}:{node.lineno} reads clock"
        assert not (isinstance(f, ast.Name) and f.id == "open"), f"{path.name}:{node.lineno}"


@pytest.mark.parametrize("path", PAGES_AND_ROUTES, ids=lambda p: p.name)
def test_pages_and_routes_use_the_service_only(path: Path) -> None:
    bad = sorted(
        n
        for n in _imports(_tree(path))
        if n.startswith(("sqlalchemy", "minsheng.enforcement.models"))
    )
    assert not bad, f"{path.name} imports {bad}"

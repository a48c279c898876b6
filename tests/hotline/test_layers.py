"""The hotline's layers: ``rules/`` stays pure (no database, web, I/O or clock), and the web pages
and the API routes reach hotline data only through ``hotline.service``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HOTLINE = Path(__file__).resolve().parents[2] / "src" / "minsheng" / "hotline"
WEB = HOTLINE.parent / "web"
IMPURE = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "typer",
    "requests",
    "httpx",
    "minsheng.core.db",
    "minsheng.hotline.models",
    "minsheng.hotline.service",
)
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}
RULES = sorted((HOTLINE / "rules").rglob("*.py"))


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


def test_rules_package_holds_the_topics() -> None:
    names = {p.stem for p in RULES}
    assert {"routing", "compliance", "risk", "erlang", "planning", "kpi", "snapshot"} <= names


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


@pytest.mark.parametrize(
    "path",
    [WEB / "staff_hotline.py", WEB / "public.py", HOTLINE / "routes.py"],
    ids=lambda p: p.name,
)
def test_pages_and_routes_use_the_service_only(path: Path) -> None:
    names = _imports(_tree(path))
    bad = sorted(
        n
        for n in names
        if n.startswith(("sqlalchemy", "minsheng.hotline.models"))
        or (n.startswith("minsheng.hotline.") and path.parent == WEB and ".service" not in n)
    )
    assert not bad, f"{path.name} imports {bad}"

"""Layering rules: systems never import each other, and rules.py modules stay pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "minsheng"
SYSTEMS = ("hotline", "certification", "enforcement")
IMPURE = ("sqlalchemy", "fastapi", "starlette", "typer", "minsheng.core.db", "requests", "httpx")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("system", SYSTEMS)
def test_systems_do_not_import_each_other(system: str) -> None:
    others = [s for s in SYSTEMS if s != system]
    for path in (SRC / system).rglob("*.py"):
        for name in imports_of(path):
            for other in others:
                assert not name.startswith(f"minsheng.{other}"), f"{path} imports {name}"


def test_core_imports_no_system() -> None:
    for path in (SRC / "core").rglob("*.py"):
        for name in imports_of(path):
            assert not any(name.startswith(f"minsheng.{s}") for s in SYSTEMS), f"{path}: {name}"


@pytest.mark.parametrize("system", SYSTEMS)
def test_rules_are_pure(system: str) -> None:
    modules = {*(SRC / system).rglob("rules*.py"), *(SRC / system).glob("rules/**/*.py")}
    assert modules, f"no rules modules found in {system}"
    for path in sorted(modules):
        for name in imports_of(path):
            assert not name.startswith(IMPURE), f"{path} imports {name}"

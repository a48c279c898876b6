"""Layering rules, checked on the source text.

- Every system folder has the same shape (models, schemas, errors, routes, cli, demo, data/,
  rules/ and service/; the hotline also has its engine/, sim/ and sip/ sub-systems).
- Systems never import each other; the core imports no system.
- ``rules/**`` and the hotline's queueing engine are pure: no database, web, CLI or network
  library, no file I/O and no reading of the clock.
- Web pages and API routes reach data only through services: no model or SQLAlchemy imports.

Relative imports are resolved to absolute names, so ``from ..models import X`` is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "minsheng"
SYSTEMS = ("hotline", "certification", "enforcement")
SHAPE = {
    "__init__.py",
    "models.py",
    "schemas.py",
    "errors.py",
    "routes",
    "cli",
    "demo.py",
    "data",
    "rules",
    "service",
}
EXTRA = {"hotline": {"engine", "sim", "sip"}}
IMPURE = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "typer",
    "minsheng.core.db",
    "minsheng.core.audit",
    "requests",
    "httpx",
    "socket",
    "subprocess",
    "urllib.request",
    "importlib.resources",
    "sippy",
)
SESSION_TYPE = {"sqlalchemy.orm", "sqlalchemy.orm.Session"}
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}
CLOCK_NAMES = {"utcnow", "now_utc"}


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved against the file's package."""
    return imports_in(
        path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"
    )


def imports_in(source: str, module: str, *, is_package: bool = False) -> set[str]:
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def pure_files() -> list[Path]:
    files = [p for s in SYSTEMS for p in (SRC / s / "rules").rglob("*.py")]
    return files + list((SRC / "hotline" / "engine").rglob("*.py"))


def layer_files() -> list[Path]:
    """The web pages and every system's API routes."""
    files = list((SRC / "web").rglob("*.py"))
    for system in SYSTEMS:
        files += list((SRC / system).glob("routes.py"))
        files += list((SRC / system / "routes").rglob("*.py"))
    return files


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_system_has_the_same_shape(system: str) -> None:
    names = {
        p.name.removesuffix(".py") if p.name in ("routes.py", "cli.py") else p.name
        for p in (SRC / system).iterdir()
        if p.name != "__pycache__"
    }
    assert names == SHAPE | EXTRA.get(system, set())
    assert (SRC / system / "rules" / "__init__.py").is_file()
    assert (SRC / system / "service" / "__init__.py").is_file()


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


@pytest.mark.parametrize("path", pure_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_rules_and_engine_are_pure(path: Path) -> None:
    for name in imports_of(path):
        assert not name.startswith(IMPURE), f"{path} imports {name}"
        assert not name.endswith((".models", ".service", ".routes", ".cli")), name
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                assert (func.value.id, func.attr) not in CLOCK_CALLS, f"{path} reads the clock"
            if isinstance(func, ast.Name):
                assert func.id not in CLOCK_NAMES, f"{path} reads the clock"
                assert func.id != "open", f"{path} opens a file"


@pytest.mark.parametrize("path", layer_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_pages_and_routes_reach_data_through_services(path: Path) -> None:
    # A page may hold the request's session to hand it to services, but never query with it.
    for name in imports_of(path) - SESSION_TYPE:
        assert not name.startswith("sqlalchemy"), f"{path} imports {name}"
        assert ".models" not in name, f"{path} imports {name}"


def test_relative_imports_are_resolved() -> None:
    found = imports_in("from ..models import Hotline\n", "minsheng.hotline.rules.routing")
    assert "minsheng.hotline.models" in found
    found = imports_in("from . import erlang\n", "minsheng.hotline.rules", is_package=True)
    assert "minsheng.hotline.rules.erlang" in found

"""The web package is app-level composition: no system (and not the core) imports it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_architecture import SRC, imports_of


@pytest.mark.parametrize("package", ["core", "hotline", "certification", "enforcement"])
def test_nothing_below_the_app_imports_the_web_pages(package: str) -> None:
    for path in (SRC / package).rglob("*.py"):
        for name in imports_of(path):
            assert not name.startswith("minsheng.web"), f"{path} imports {name}"


def test_the_app_mounts_the_web_router() -> None:
    app_py = (SRC / "app.py").read_text(encoding="utf-8")
    assert "app.include_router(web_router)" in app_py
    assert Path(SRC / "web" / "static" / "htmx.min.js").is_file()

"""Fixtures of the web tests: the real app served by uvicorn on a free loopback port (against
the test database), and Debian's Chromium driven headless by Playwright (no browser download).

Browser tests save a screenshot of every page they visit under ``test-output/screenshots/``.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.auth import create_user
from minsheng.core.config import Settings
from tests.conftest import free_port

CHROMIUM = os.environ.get("MINSHENG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
StaffLogin = Callable[[str, str], tuple[TestClient, str]]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


class LiveServer:
    """uvicorn running ``create_app(settings)`` in a thread."""

    def __init__(self, settings: Settings) -> None:
        from minsheng.app import create_app

        self.app = create_app(settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.state.engine.dispose()


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run .ci/provision.d/chromium.sh "
            "(apt-get install chromium)"
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh browser context (no cookies) on a phone-sized screen, with the server's URL."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 412, "height": 915}, locale="zh-CN"
    )
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def shot() -> Callable[[Page, str], Path]:
    """``shot(page, "name")`` saves a full-page screenshot and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(pg: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return take


def csrf_of(html: str) -> str:
    """The CSRF token a staff page carries in its forms."""
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def login_token(session_factory: sessionmaker[Session]) -> Callable[[str], str]:
    """``login_token("hotline")`` → the clear API token of a new staff user of that role."""

    def make(role: str) -> str:
        with session_factory() as s:
            _user, token = create_user(s, name=f"{role}-{uuid.uuid4().hex[:6]}", role=role)
            s.commit()
        return token

    return make


@pytest.fixture
def staff_login(client: TestClient, login_token: Callable[[str], str]) -> StaffLogin:
    """``staff_login("enforcement", "/staff/enforcement")`` → the test client logged in as a new
    user of that role, and the CSRF token of that page (which must answer 200)."""

    def login(role: str, page: str) -> tuple[TestClient, str]:
        token = login_token(role)
        client.post("/staff/login", data={"token": token})
        client.headers["Authorization"] = f"Bearer {token}"  # the JSON API takes bearer only
        answer = client.get(page)
        assert answer.status_code == 200, answer.text
        return client, csrf_of(answer.text)

    return login


@pytest.fixture
def cert_demo(session_factory: sessionmaker[Session], settings: Settings) -> dict[str, Any]:
    """The certification system's own demo data (real reference data, demo bodies and
    certificates, one revoked), committed so that the served app sees it."""
    from minsheng.certification import demo

    with session_factory() as s:
        loaded = demo.load(s, settings)
        s.commit()
    return loaded


@pytest.fixture
def hotline_demo(session_factory: sessionmaker[Session], settings: Settings) -> dict[str, Any]:
    """The hotline system's demo directory with two days of calls pushed through the engine."""
    from minsheng.hotline import demo

    with session_factory() as s:
        loaded = demo.load(s, settings=settings, days=2, calls_per_day=300)
        s.commit()
    return loaded

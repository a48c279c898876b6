"""Chinese first: every page a person reads is Chinese, English only on request.

The crawl logs in as an admin on a database holding all three systems' demo data, follows every
local link from the home page and the staff start page (and a few form answers: a scam ad, a
missed verification, ambiguous places), strips the markup and fails on any English word that is
not an allow-listed name (12356, API, KPI …). ``<code>`` holds identifiers (rule ids, certificate
numbers, credit codes) and is not prose; an element marked ``lang="en"`` (the language switch)
is English on purpose.
"""

from __future__ import annotations

import html
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from fastapi.testclient import TestClient

from minsheng.core import i18n
from minsheng.core.auth import create_user
from minsheng.core.config import Settings
from minsheng.core.db import make_engine, make_sessionmaker
from tests.conftest import TEST_SECRET, Cli, frozen_clock, is_postgres

# Names and abbreviations that are English letters in Chinese text too.
ALLOWED = {
    "API",
    "KPI",
    "CSV",
    "Excel",
    "PDF",
    "QR",
    "SIP",
    "ID",
    "HTTP",
    "JSON",
    "AHT",
    "ASA",
    "SLA",
    "SL",
    "Erlang",
    "CP-SAT",
    "GB",
    "T",
    "GBK",
    "UTF",
    "WebRTC",
    "htmx",
    "chinesecalendar",
}
# A token with a digit is an identifier (GD-01, QS-2021.1, city-440300), not a word.
IDENTIFIER = re.compile(r"[A-Za-z0-9_.:-]*[0-9][A-Za-z0-9_.:-]*")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")
SKIP_BLOCKS = re.compile(
    r"<(script|style|code|kbd|samp|svg|datalist|option)\b[^>]*>.*?</\1>", re.S | re.I
)
ENGLISH_MARKED = re.compile(r"<(\w+)\b[^>]*\blang=\"en\"[^>]*>.*?</\1>", re.S)
TAG = re.compile(r"<[^>]+>")
HREF = re.compile(r'href="(/[^"]*)"')
NOT_PAGES = ("/static/", "/lang/", "/docs", "/openapi.json", "/staff/logout", "/api/")
# Exports are files (CSV, Excel), not pages: tests/web/test_lists.py reads them back.
NOT_FILES = re.compile(r"/export/")
MAX_PAGES = 400


def english_words(page: str) -> set[str]:
    body = page.split("<body", 1)[-1].split(">", 1)[-1]
    body = SKIP_BLOCKS.sub(" ", body)
    body = ENGLISH_MARKED.sub(" ", body)
    text = IDENTIFIER.sub(" ", html.unescape(TAG.sub(" ", body)))
    return {w for w in WORD.findall(text) if w not in ALLOWED}


@pytest.fixture(scope="module")
def demo_app(
    migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The app on a database holding the demo data of all three systems, an admin logged in."""
    if is_postgres():
        pytest.skip("the crawl reads pages, not SQL: once on SQLite is enough")
    from minsheng.app import create_app

    var_dir = tmp_path_factory.mktemp("i18n")
    path = var_dir / "demo.db"
    shutil.copyfile(migrated_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", secret_key=TEST_SECRET, var_dir=var_dir)
    # Module-scoped: set up before the test's own frozen clock starts, so under the clock CI asks
    # for (MINSHENG_TEST_NOW) the data and the login session must be made at that moment too.
    with frozen_clock():
        result = Cli(settings)("demo", "load")
        assert result.exit_code == 0, result.output
        engine = make_engine(settings)
        with make_sessionmaker(engine)() as s:
            _user, token = create_user(s, name=f"管理员{uuid.uuid4().int % 10_000}", role="admin")
            s.commit()
        engine.dispose()
        app = create_app(settings)
        client = TestClient(app)
        client.__enter__()
        client.headers["Accept"] = "text/html"
        assert client.post("/staff/login", data={"token": token}).status_code == 200
    try:
        yield client
    finally:
        client.__exit__(None, None, None)
        app.state.engine.dispose()


def crawl(client: TestClient, starts: list[str], within: str = "/") -> dict[str, str]:
    """Every local HTML page reachable from ``starts`` (and under ``within``): url → its HTML."""
    seen: dict[str, str] = {}
    shapes: dict[tuple[str, tuple[str, ...]], int] = {}
    queue = list(starts)
    while queue and len(seen) < MAX_PAGES:
        url = urldefrag(queue.pop(0))[0]
        if url in seen or url.startswith(NOT_PAGES) or not url.startswith(within):
            continue
        if NOT_FILES.search(url):
            continue
        # Two pages of each shape (path and query names) are enough: the rest differ in data.
        parts = urlsplit(url)
        shape = (
            re.sub(r"/\d+|/[0-9a-f]{32}|/[A-Z0-9-]{8,}", "/N", parts.path),
            tuple(sorted(k.split("=")[0] for k in parts.query.split("&") if k)),
        )
        shapes[shape] = shapes.get(shape, 0) + 1
        if shapes[shape] > 2:
            continue
        answer = client.get(url)
        if "text/html" not in answer.headers.get("content-type", ""):
            seen[url] = ""
            continue
        seen[url] = answer.text
        queue.extend(html.unescape(link) for link in HREF.findall(answer.text))
    return seen


def test_chinese_pages_carry_no_english(demo_app: TestClient) -> None:
    pages = crawl(demo_app, ["/", "/staff", "/no-such-page", "/certificates/v/" + "0" * 32])
    pages["POST /ads/check"] = demo_app.post(
        "/ads/check",
        data={"text": "政府主推，零基础包拿证，7天拿证，不过包退，原劳动部颁发，上岗必备"},
    ).text
    pages["POST /certificates/verify"] = demo_app.post(
        "/certificates/verify", data={"name": "张三", "number": "S000046460100245000001"}
    ).text
    pages["POST /certificates/verify (bad)"] = demo_app.post(
        "/certificates/verify", data={"name": "张", "number": "x"}
    ).text
    for place in ("南山区", "鼓楼区", "广东省深圳市南山区", "浦东", "琼中", "没有这个地方"):
        pages[f"/hotline?city={place}"] = demo_app.get("/hotline", params={"city": place}).text
    assert len(pages) > 30, sorted(pages)
    found: dict[str, set[str]] = {}
    for url, page in pages.items():
        words = english_words(page)
        if words:
            found.setdefault(url.split("?")[0], set()).update(words)
    assert not found, "English on Chinese pages:\n" + "\n".join(
        f"{url}: {' '.join(sorted(words))}" for url, words in sorted(found.items())
    )


def test_english_on_request(demo_app: TestClient) -> None:
    page = demo_app.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    assert '<html lang="en">' in page.text
    assert "Certificate check" in page.text
    page = demo_app.get("/", headers={"Accept-Language": "en;q=0.5,zh-CN;q=0.9"})
    assert '<html lang="zh-CN">' in page.text
    switched = demo_app.get("/lang/en", params={"next": "/hotline"}, follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/hotline"
    demo_app.cookies.set(i18n.LANG_COOKIE, "en")
    try:
        assert '<html lang="en">' in demo_app.get("/hotline").text
    finally:
        demo_app.cookies.delete(i18n.LANG_COOKIE)
    assert '<html lang="zh-CN">' in demo_app.get("/hotline").text


def test_the_catalogues_are_the_source(tmp_path: Path) -> None:
    for locale in i18n.LOCALES:
        assert i18n.po_path(locale).exists(), locale
    assert i18n.chinese("error.CertificateNotFound") == "没有这张证书。"
    assert i18n.message("error.CertificateNotFound", locale="en") == "No such certificate."
    assert i18n.message("no.such.key", "fallback {n}", n=3) == "fallback 3"

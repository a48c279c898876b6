"""English on request for the hotline's staff pages and the staff frame (issue 18 item 1).

Two checks. The catalogue check runs Babel's own extractors over the hotline staff templates, the
shared list macros, the staff start and login pages (``_()``) and the hotline page modules
(``N_``, ``gettext``, ``localise``), so a text added to a page without its English fails here
and the list of texts cannot drift from the pages. The page check logs in on the demo database,
asks for English, opens every hotline staff page the routes declare (a path with a parameter
through a link another page shows, or a demo call's), takes out the stored data the pages show
(hotline, counsellor, user and place names) and fails on any Chinese left in the text, the
buttons' and fields' labels and the hints.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from minsheng.core import i18n, regions
from minsheng.core.auth import list_users
from minsheng.core.db import make_sessionmaker
from minsheng.hotline import service as hotline_service
from minsheng.web import routes
from minsheng.web.staff_hotline_seat import SEAT_WORDS
from tests.web.test_i18n import crawl, demo_app  # noqa: F401 (the demo database, an admin in)
from tests.web.test_staff_hotline_seat import (  # noqa: F401 (a user with a browser seat)
    seat_login,
    settings,
)

WEB = Path(routes.__file__).parent
TEMPLATES = [
    WEB / "templates" / "staff" / "index.html",
    WEB / "templates" / "login.html",
    WEB / "templates" / "_listing.html",
    *sorted((WEB / "templates" / "staff" / "hotline").glob("*.html")),
]
MODULES = [
    *sorted(WEB.glob("staff_hotline*.py")),
    WEB / "live_board.py",
    WEB / "render.py",
]
JINJA = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trim_blocks": "true"}
PYTHON_KEYWORDS: dict[str, Any] = {"N_": None, "gettext": None, "localise": None}
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
SKIP = re.compile(r"<(script|style|code|svg)\b[^>]*>.*?</\1>", re.S | re.I)
# the language switch names Chinese in Chinese, on purpose
CHINESE_MARKED = re.compile(r'<(\w+)\b[^>]*\blang="zh-CN"[^>]*>.*?</\1>', re.S)
READ_ATTRS = re.compile(r'\b(?:aria-label|placeholder|title)="([^"]*)"')
TAG = re.compile(r"<[^>]+>")
CODE = re.compile(r"<code>.*?</code>")
SEAT_SCRIPT = WEB / "static" / "seat.js"
SeatLogin = Callable[..., tuple[TestClient, str, str]]
JS_CHINESE = re.compile(r'"([^"\n]*[\u4e00-\u9fff][^"\n]*)"')


def extracted() -> dict[str, str]:
    """Every message id of the hotline staff pages → the file it is in."""
    ids: dict[str, str] = {}
    for path in TEMPLATES:
        for _line, msgid, _notes, _ctx in extract_from_file(
            "jinja2.ext:babel_extract", path, keywords={"_": None}, options=JINJA
        ):
            ids.setdefault(str(msgid), path.name)
    for path in MODULES:
        for _line, msgid, _notes, _ctx in extract_from_file(
            "python", path, keywords=PYTHON_KEYWORDS
        ):
            ids.setdefault(str(msgid), path.name)
    return ids


def english() -> Catalog:
    with i18n.po_path(i18n.ENGLISH).open("rb") as fh:
        return read_po(fh, locale=i18n.ENGLISH)


def test_every_text_of_the_hotline_staff_pages_has_its_english() -> None:
    ids = extracted()
    # the extractors found the pages' words (an extractor reading nothing would pass anything)
    assert {"实时看板", "签入接听", "查询", "空闲", "新来电：{place} {state}"} <= set(ids)
    catalogue = english()
    translations = {m: str(e.string) for m in ids if (e := catalogue.get(m)) and e.string}
    missing = sorted(f"{where}: {m}" for m, where in ids.items() if m not in translations)
    assert not missing, "no English for:\n" + "\n".join(missing)
    for msgid, translated in translations.items():
        # a translation naming a value its Chinese does not give would break the page
        assert set(PLACEHOLDER.findall(translated)) <= set(PLACEHOLDER.findall(msgid)), msgid
        # English, but for a command line quoted as it is typed
        assert not CJK.search(CODE.sub("", translated)), msgid


def test_the_seat_script_shows_only_words_its_page_gives() -> None:
    """seat.js looks each sentence up in the page's #seat-words (SEAT_WORDS, translated by the
    catalogue): a sentence written into the script alone would stay Chinese in English."""
    in_script = {
        m
        for line in SEAT_SCRIPT.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith(("//", "/*"))
        for m in JS_CHINESE.findall(line)
    }
    assert in_script, "the script's sentences were not found"
    assert in_script == set(SEAT_WORDS)


def hotline_pages() -> Iterator[tuple[str, re.Pattern[str]]]:
    """The hotline staff pages (GET routes answering HTML), each with the pattern of its URL."""

    def walk(found: list[Any]) -> Iterator[Any]:
        for route in found:
            if hasattr(route, "path") and hasattr(route, "methods"):
                yield route
            else:  # an included router
                inner = getattr(route, "original_router", None) or route
                yield from walk(list(getattr(inner, "routes", [])))

    for route in walk(list(routes.router.routes)):
        path = route.path
        if not path.startswith("/staff/hotline") or "GET" not in route.methods:
            continue
        if "{fmt}" in path or path.endswith("/audio"):  # files: Excel, PDF, CSV, WAV
            continue
        yield path, route.path_regex


def data_strings(client: TestClient) -> list[str]:
    """The stored names the pages show as they are: hotlines, counsellors, users, places."""
    app: Any = client.app
    with make_sessionmaker(app.state.engine)() as s:
        names = {h.name for h in hotline_service.list_hotlines(s)}
        names |= {c.name for c in hotline_service.list_counsellors(s)}
        names |= {u.name for u in list_users(s)}
    names |= {r.name for r in regions.table().all()}
    return sorted((n for n in names if n), key=len, reverse=True)


def chinese_left(page: str, data: list[str]) -> list[str]:
    body = page.split("<body", 1)[-1]
    body = CHINESE_MARKED.sub(" ", SKIP.sub(" ", body))
    said = " ".join([TAG.sub(" ", body), *READ_ATTRS.findall(body)])
    said = html.unescape(said)
    for name in data:
        said = said.replace(name, " ")
    return [said[max(0, m.start() - 15) : m.end() + 15] for m in CJK.finditer(said)]


def test_hotline_staff_pages_in_english(demo_app: TestClient) -> None:  # noqa: F811
    client = demo_app
    pages = dict(hotline_pages())
    assert "/staff/hotline/seat" in pages and "/staff/hotline/recordings/{call_ref}" in pages
    app: Any = client.app
    with make_sessionmaker(app.state.engine)() as s:
        # the demo has no recordings; the player's page asks for a reason before any file is read
        call_ref = hotline_service.list_calls(s, limit=1)[0].call_ref
    starts = [p for p in pages if "{" not in p] + [f"/staff/hotline/recordings/{call_ref}"]
    assert client.get("/lang/en", params={"next": "/staff"}).status_code in (200, 303)
    try:
        first = client.get("/staff/hotline", params={"lang": "en"})
        assert '<html lang="en">' in first.text
        seen = crawl(client, starts, within="/staff/hotline")
        seen["/staff"] = client.get("/staff").text
    finally:
        client.cookies.delete(i18n.LANG_COOKIE)
    # every page the routes declare was read
    unread = [
        p for p, regex in pages.items() if not any(regex.match(u.split("?")[0]) for u in seen)
    ]
    assert not unread, unread
    data = data_strings(client)
    found = {url: left for url, page in seen.items() if page and (left := chinese_left(page, data))}
    assert not found, "Chinese on English pages:\n" + "\n".join(
        f"{url}: {' | '.join(left[:6])}" for url, left in sorted(found.items())
    )
    # and the same pages stay Chinese for everyone else
    assert "实时看板" in client.get("/staff/hotline").text


def test_the_seat_page_in_english(seat_login: SeatLogin) -> None:  # noqa: F811
    """The browser seat as its counsellor sees it (the demo's admin has no seat): English but
    for the names, and the sentences its script shows given in English too."""
    client, _csrf, user = seat_login()
    page = client.get("/staff/hotline/seat", params={"lang": "en"}).text
    assert 'id="seat-signin"' in page
    left = chinese_left(page, [user, "咨询员c1", "国家心理援助热线"])
    assert not left, left
    given = json.loads(html.unescape(page.split('id="seat-words">', 1)[1].split("</script>")[0]))
    assert set(given) == set(SEAT_WORDS)
    assert not [text for text in given.values() if CJK.search(text)]
    chinese = client.get("/staff/hotline/seat").text
    words = json.loads(html.unescape(chinese.split('id="seat-words">', 1)[1].split("</script>")[0]))
    assert all(key == text for key, text in words.items())  # Chinese: the script's own text

"""English for the certification and enforcement staff pages (issue 18 item 1).

Two checks that cannot drift from the pages:

- **the catalogue is complete**: Babel's extractor reads every ``_()`` of the
  ``staff/certification`` and ``staff/enforcement`` templates and every marked label of their
  page modules (``N_``, ``gettext``, ``localise``); each needs a non-empty English entry with the
  same placeholders (a missing ``%(n)s`` would break the page). The rule base's and the levels'
  words, which the pages translate as they show them, are checked the same way;
- **the pages are English**: every HTML page of those two routers, reached by following links from
  their start pages on a database holding the demo data, is fetched with ``?lang=en``; the text
  of its ``<title>``, sub-navigation and main part may hold Chinese only inside data — anything
  stored in the database, region names, the rule base's legal texts. The same check on the
  Chinese pages must fail on every page, so the test proves it sees the pages' own words.

Output of the shared macros (``_listing.html``'s filter form, count, export links and pager;
``macros.html``'s certificate card) belongs to branch i18n_a and is left out here.
"""

from __future__ import annotations

import ast
import html
import importlib
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlencode, urlsplit, urlunsplit

from babel.messages.extract import extract
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select, text

from minsheng.certification.rules.numbering import LEVELS
from minsheng.core import i18n, regions, timeutil
from minsheng.enforcement.rules.base import MITIGATING_FACTORS, items_of
from minsheng.enforcement.service import catalog
from tests.web.test_i18n import demo_app  # noqa: F401  (the module's fixture, shared)

WEB = Path(i18n.__file__).resolve().parents[1] / "web"
TEMPLATES = [
    *sorted((WEB / "templates" / "staff" / "certification").glob("*.html")),
    *sorted((WEB / "templates" / "staff" / "enforcement").glob("*.html")),
]
MODULES = sorted([*WEB.glob("staff_certification*.py"), *WEB.glob("staff_enforcement*.py")])
KEYWORDS: dict[str, Any] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "localise": None,
}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
PREFIXES = ("/staff/certification", "/staff/enforcement")

CJK = re.compile(r"[\u4e00-\u9fff]+")
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")
# Scripts and styles (not read by anyone).
SHARED = re.compile(r"<(script|style)\b.*?</\1>", re.S)
# Chinese on purpose: an official document, literal column names (``lang="zh-CN"``).
CHINESE_MARKED = re.compile(r"<(\w+)\b[^>]*\blang=\"zh-CN\"[^>]*>.*?</\1>", re.S)
TAG = re.compile(r"<[^>]+>")
HREF = re.compile(r'href="(/[^"]*)"')
# Asked with what one types (``starts`` gives the question), never linked.
ASKED_BY_HTMX = {"/staff/enforcement/party-picker"}
NOT_PAGES = re.compile(r"/export/|/pdf$|\.csv$")


def _messages(path: Path, method: str, options: dict[str, str] | None = None) -> Iterator[str]:
    with path.open("rb") as fh:
        for _lineno, message, _comments, _context in extract(
            method, fh, keywords=KEYWORDS, options=options or {}
        ):
            yield message if isinstance(message, str) else message[0]


def catalogue_ids() -> dict[str, str]:
    """Every message id of the two systems' staff pages → where it is used."""
    ids: dict[str, str] = {}
    for path in TEMPLATES:
        for message in _messages(path, "jinja2.ext:babel_extract", JINJA_OPTIONS):
            ids.setdefault(message, path.name)
    for path in MODULES:
        for message in _messages(path, "python"):
            ids.setdefault(message, path.name)
    rulebase = catalog.rulebase()
    for name, table in (
        ("rule base: tiers", rulebase.tier_labels),
        ("rule base: domains", rulebase.domains),
        ("rule base: aggravating", rulebase.aggravating),
        ("rules/base.py: MITIGATING_FACTORS", MITIGATING_FACTORS),
        ("rules/numbering.py: LEVELS", LEVELS),
    ):
        for label in table.values():
            ids.setdefault(label, name)
    return ids


def test_every_message_of_the_pages_has_english() -> None:
    ids = catalogue_ids()
    # The extractor really read the pages (a few hundred sentences, not an empty list).
    assert len(ids) > 400, len(ids)
    assert "案件 #%(id)s" in ids and "证书列表" in ids
    english = i18n.translations(i18n.ENGLISH)
    missing, bad = [], []
    for msgid, where in sorted(ids.items()):
        text = english.gettext(msgid)
        if not CJK.search(msgid):
            continue  # "{outcome}（{tier}）"-like frames still need an entry, checked below
        if text == msgid or not text.strip():
            missing.append(f"{where}: {msgid}")
        elif set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(msgid)):
            bad.append(f"{where}: {msgid} → {text}")
    assert not missing, "no English for:\n" + "\n".join(missing)
    assert not bad, "placeholders differ:\n" + "\n".join(bad)
    assert english.gettext("{outcome}（{tier}）") == "{outcome} ({tier})"


# The pages ------------------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value[:1] in "[{":
            try:
                yield from _strings(json.loads(value))
                return
            except ValueError:
                pass
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)
    elif hasattr(value, "__dataclass_fields__"):
        yield from _strings(vars(value))


def data_corpus(client: TestClient) -> str:
    """Everything Chinese the pages may show as data, joined: every text stored in the
    database, the region names, and the rule base's own texts (items, legal bases, the rule
    set's name and status) that stay as the rule set states them."""
    texts: set[str] = set()
    engine = client.app.state.engine  # type: ignore[attr-defined]
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                texts.update(t for t in _strings(list(row)) if CJK.search(t))
    texts.update(r.name for r in regions.table().all())
    rulebase = catalog.rulebase()
    texts.update(_strings([i.to_dict() for i in items_of(rulebase, None)]))
    texts.update(_strings(rulebase.status_dict()))
    texts.update(rule_texts())
    return "\x00".join(sorted(texts))


def rule_texts() -> Iterator[str]:
    """The enforcement rules' own Chinese: legal sources and citations, rule sets' names, the
    working-day calendar's source (the rules and data files, read as written)."""
    enforcement = WEB.parent / "enforcement"
    for path in [*(enforcement / "rules").glob("*.py"), enforcement / "service" / "calendar.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield node.value
    for path in (enforcement / "data").glob("*.json"):
        yield from _strings(json.loads(path.read_text(encoding="utf-8")))


def page_text(page: str) -> str:
    """The title, the sub-navigation and the main part of a page as plain text, without the
    shared macros' output."""
    title = page.split("<title>", 1)[-1].split("</title>", 1)[0]
    body = page.split("</header>", 1)[-1].split("<footer", 1)[0]
    body = CHINESE_MARKED.sub(" ", SHARED.sub(" ", body))
    return html.unescape(TAG.sub(" ", title + " " + body))


def chinese_outside_data(page: str, corpus: str) -> set[str]:
    return {run for run in CJK.findall(page_text(page)) if run not in corpus}


def page_routes() -> set[str]:
    """The HTML pages of the two systems' page modules (GET, not a file download)."""
    paths = set()
    for path in MODULES:
        module = importlib.import_module(f"minsheng.web.{path.stem}")
        for route in module.router.routes:
            if not isinstance(route, APIRoute) or "GET" not in (route.methods or ()):
                continue
            if route.path.startswith(PREFIXES) and not NOT_PAGES.search(route.path):
                paths.add(route.path)
    return paths


def _route_of(path: str, routes: Iterable[str]) -> str | None:
    for route in sorted(routes, key=lambda r: r.count("{")):  # /bodies/new before /bodies/{no}
        pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(route))
        if re.fullmatch(pattern, path):
            return route
    return None


def _english(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("lang", "en")])))


def crawl(client: TestClient, routes: set[str], starts: list[str]) -> dict[str, tuple[str, str]]:
    """The first two pages of each route reached from the start pages, in Chinese:
    ``"<route> #<n>"`` → (url, html)."""
    queue = [*starts, *(p for p in routes if "{" not in p and p not in ASKED_BY_HTMX)]
    seen: set[str] = set()
    found: dict[str, list[tuple[str, str]]] = {}
    while queue:
        url = urldefrag(queue.pop(0))[0]
        path = urlsplit(url).path
        route = _route_of(path, routes)
        if url in seen or route is None or len(found.get(route, [])) >= 2:
            continue
        seen.add(url)
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        found.setdefault(route, []).append((url, answer.text))
        queue.extend(html.unescape(link) for link in HREF.findall(answer.text))
    return {f"{route} #{n}": page for route, pages in found.items() for n, page in enumerate(pages)}


def walk_a_case(client: TestClient) -> list[str]:
    """A new case walked to its first document (the demo's cases are old and have none): the
    document pages to start from."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        party = conn.execute(
            text("SELECT id FROM enf_parties WHERE category = 'shop' ORDER BY id LIMIT 1")
        ).scalar_one()
        officers = conn.scalars(
            text(
                "SELECT i.code FROM enf_inspectors i JOIN enf_officer_certs c"
                " ON c.inspector_id = i.id ORDER BY i.id LIMIT 2"
            )
        ).all()
    page = client.get("/staff/enforcement").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    day = timeutil.today().isoformat()
    opened = client.post(
        "/staff/enforcement/cases",
        data={
            "csrf_token": csrf,
            "party_id": str(party),
            "item": "ZD-01",
            "discovery": "patrol",
            "occurred_on": day,
            "discovered_on": day,
            "officers": ", ".join(officers),
        },
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    case = opened.headers["location"]
    facts = {"csrf_token": csrf, "harm": "minor", "officers": ", ".join(officers)}
    assert client.post(f"{case}/facts", data=facts).status_code == 200
    decided = client.post(f"{case}/decide", data={"csrf_token": csrf, "fine_yuan": "100"})
    assert decided.status_code == 200, decided.text
    step = "prior-notice" if 'id="case-status">拟处罚' in decided.text else "serve"
    page = client.post(f"{case}/{step}", data={"csrf_token": csrf}).text
    documents = re.findall(r'href="(/staff/enforcement/documents/\d+)"', page)
    assert documents, page
    return documents


def party_picker(client: TestClient) -> str:
    """The party picker is asked by htmx as one types (no link leads there): ask it for a
    party of the demo data."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        party = conn.execute(text("SELECT name FROM enf_parties ORDER BY id LIMIT 1")).scalar_one()
    return "/staff/enforcement/party-picker?" + urlencode({"party_q": party[:2]})


def test_the_staff_pages_read_in_english(demo_app: TestClient) -> None:  # noqa: F811
    routes = page_routes()
    assert {"/staff/certification", "/staff/enforcement/cases/{case_id}"} <= routes
    starts = [*walk_a_case(demo_app), party_picker(demo_app)]
    chinese_pages = crawl(demo_app, routes, starts)
    reached = {key.split(" #")[0] for key in chinese_pages}
    assert reached == routes, f"not reached from the start pages: {sorted(routes - reached)}"
    corpus = data_corpus(demo_app)
    untranslated: dict[str, set[str]] = {}
    for _key, (url, chinese) in sorted(chinese_pages.items()):
        # The check sees the pages' own words: in Chinese, every page has some.
        assert chinese_outside_data(chinese, corpus), f"{url}: no page text found in Chinese"
        english = demo_app.get(_english(url))
        assert english.status_code == 200, url
        # A whole page says it is English; the party picker is a fragment of one.
        assert '<html lang="en">' in english.text or "<html" not in english.text, url
        words = chinese_outside_data(english.text, corpus)
        if words:
            untranslated[url] = words
    assert not untranslated, "Chinese on English pages:\n" + "\n".join(
        f"{url}: {' '.join(sorted(words))}" for url, words in sorted(untranslated.items())
    )

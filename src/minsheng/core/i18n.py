"""The one message catalogue: what people read, Chinese first, English second.

Catalogues are gettext ``.po`` files under ``minsheng/locale/<locale>/LC_MESSAGES/messages.po``
(``zh_CN`` and ``en``), read through Babel. Two kinds of message id live in them:

- **keys** for text the code produces, named by what produced it: ``error.<ErrorName>`` (the
  Chinese ``message`` of an API error body and the headline of an error page),
  ``validation.<pydantic error type>`` (a form field's message), ``rule.<system>.<rule id>``
  (why a rule decided: a scam-ad hit, an issuance refusal, a compliance problem, planning
  advice, a decision's reason), ``label.<...>`` (names such as simulator variants);
- **Chinese source text** for the words of the templates (``{{ _("证书查询") }}`` or
  ``{% trans %}``): Chinese is the source, so the ``zh_CN`` catalogue leaves those entries empty
  and the ``en`` catalogue translates them.

The ``.po`` files are the committed source. At first use each one is compiled in memory
(Babel's ``read_po``/``write_mo``), so a clean clone, an editable install and CI need no build
step; ``make messages`` writes the ``.mo`` files beside them for packagers (they are gitignored
and, when present and newer than their ``.po``, loaded instead).

The locale of a request: ``?lang=en`` / ``?lang=zh`` (remembered in the ``minsheng_lang``
cookie by ``/lang/<code>``), else that cookie, else ``Accept-Language`` — English only when the
browser prefers it to Chinese; Chinese otherwise. ``current_locale`` holds it for the request.
"""

from __future__ import annotations

import io
import re
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"
CHINESE = "zh_CN"
ENGLISH = "en"
LOCALES = (CHINESE, ENGLISH)
LANG_COOKIE = "minsheng_lang"
HTML_LANG = {CHINESE: "zh-CN", ENGLISH: "en"}

current_locale: ContextVar[str] = ContextVar("minsheng_locale", default=CHINESE)


def normalise(code: str | None) -> str | None:
    """``zh``, ``zh-CN``, ``zh_Hans`` → ``zh_CN``; ``en``, ``en-GB`` → ``en``; else None."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    if primary == "zh":
        return CHINESE
    if primary == "en":
        return ENGLISH
    return None


def negotiate(accept_language: str | None) -> str:
    """Chinese unless the browser ranks English above every Chinese variant."""
    best: dict[str, float] = {}
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        locale = normalise(tag)
        if locale is None:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best[locale] = max(best.get(locale, 0.0), q)
    if best.get(ENGLISH, 0.0) > best.get(CHINESE, 0.0):
        return ENGLISH
    return CHINESE


def request_locale(
    query_lang: str | None, cookie_lang: str | None, accept_language: str | None
) -> str:
    return normalise(query_lang) or normalise(cookie_lang) or negotiate(accept_language)


@contextmanager
def using(locale: str) -> Iterator[None]:
    """Run a block in ``locale`` (a CLI command, a test)."""
    token = current_locale.set(normalise(locale) or CHINESE)
    try:
        yield
    finally:
        current_locale.reset(token)


# Loading ------------------------------------------------------------------------------------


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of ``locale`` (the ``.mo`` when it is up to date, else the ``.po``
    compiled in memory), cached for the process."""
    po = po_path(locale)
    mo = po.with_suffix(".mo")
    if mo.exists() and po.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            return GNUTranslations(fh)
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return GNUTranslations(buffer)


def _lookup(msgid: str, locale: str | None = None) -> str | None:
    """The translation of ``msgid`` in ``locale`` (the request's by default), or None."""
    found = translations(locale or current_locale.get()).gettext(msgid)
    return found if found != msgid else None


def has(msgid: str, locale: str | None = None) -> bool:
    return _lookup(msgid, locale) is not None


class _Params(dict[str, Any]):
    """Format parameters where a name the text uses but the caller did not give stays ``{name}``
    (a catalogue entry never crashes a page)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _format(text: str, params: Mapping[str, Any]) -> str:
    if not params or "{" not in text:
        return text
    try:
        return string.Formatter().vformat(text, (), _Params(params))
    except (ValueError, IndexError, AttributeError):
        return text


def gettext(text: str) -> str:
    """Template text: Chinese source, translated for English readers."""
    return translations(current_locale.get()).gettext(text)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def N_(text: str) -> str:
    """Marks Chinese source text where it is defined (a module's label table) so the catalogue
    extractor finds it; it is translated where it is shown (``gettext``, ``localise``, ``_()``
    in a template), in the reader's locale of that request."""
    return text


def localise(text: str, **params: Any) -> str:
    """Chinese source text built in Python (a page title, a notice, a chart's caption) in the
    reader's language, its ``{name}`` placeholders filled from ``params``."""
    return _format(gettext(text), params)


def localise_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """A table of Chinese labels (``N_``-marked) in the reader's language, for one request."""
    return {key: gettext(text) for key, text in labels.items()}


def message(
    key: str, default: str | None = None, *, locale: str | None = None, **params: Any
) -> str:
    """The text of a catalogue key in the request's locale (or ``locale``), formatted with
    ``params``; ``default`` (else the key itself) when the catalogue has no such entry."""
    found = _lookup(key, locale)
    if found is None:
        if default is None:
            return key
        return _format(default, params)
    return _format(found, params)


def chinese(key: str, default: str | None = None, **params: Any) -> str:
    return message(key, default, locale=CHINESE, **params)


# Errors -------------------------------------------------------------------------------------

STATUS_KEYS = {
    400: "status.400",
    401: "status.401",
    403: "status.403",
    404: "status.404",
    405: "status.405",
    409: "status.409",
    413: "status.413",
    422: "status.422",
    429: "status.429",
    500: "status.500",
    503: "status.503",
}


def error_message(
    name: str,
    status_code: int,
    *,
    bases: tuple[str, ...] = (),
    locale: str | None = CHINESE,
    **params: Any,
) -> str:
    """What an error means for a person, keyed ``error.<Name>``, then the error's base classes
    (``error.NotFound``), then its HTTP status: the Chinese ``message`` of an API error body, and
    the explanation of an error page (in the request's locale when ``locale`` is None)."""
    for candidate in (name, *bases):
        key = f"error.{candidate}"
        found = _lookup(key, locale)
        if found is not None:
            return _format(found, params)
    return message(STATUS_KEYS.get(status_code, "status.400"), "出错了", locale=locale)


def status_title(status_code: int, locale: str | None = None) -> str:
    return message(STATUS_KEYS.get(status_code, "status.400"), "出错了", locale=locale)


VALUE_ERRORS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(regex))
    for key, regex in (
        ("validation.date_range", r"date must be between (?P<min>\S+) and (?P<max>\S+)"),
        ("validation.utc_offset", r"UTC offset must be within .*"),
        ("validation.aware", r"time must carry a UTC offset.*"),
        (
            "validation.bidi",
            r"bidirectional control (?P<char>U\+[0-9A-F]+) at position (?P<position>\d+) .*",
        ),
        (
            "validation.control",
            r"control character (?P<char>U\+[0-9A-F]+) at position (?P<position>\d+) .*",
        ),
    )
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def validation_message(error: Mapping[str, Any], locale: str | None = None) -> str:
    """A pydantic error (one item of ``ValidationError.errors()``) in the reader's language:
    keyed ``validation.<type>`` with the error's ``ctx`` as parameters. A validator's own words
    (``value_error``) are matched against ``VALUE_ERRORS`` (core.validation's sentences); Chinese
    ones are shown as written."""
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    if kind == "value_error":
        raw = str(ctx.get("error", "")) or str(error.get("msg", ""))
        raw = raw.removeprefix("Value error, ")
        for key, regex in VALUE_ERRORS:
            m = regex.fullmatch(raw)
            if m is not None:
                return message(key, raw, locale=locale, **m.groupdict())
        if CJK.search(raw):
            return raw
        if (locale or current_locale.get()) == ENGLISH:
            return raw
        return message("validation.value_error", raw, locale=locale)
    if "expected" in ctx:
        ctx["expected"] = str(ctx["expected"]).replace("' or '", "'、'")
    return message(f"validation.{kind}", str(error.get("msg", "")), locale=locale, **ctx)


# The request's locale -----------------------------------------------------------------------


class LocaleMiddleware:
    """Pure ASGI middleware: sets ``current_locale`` for the request from ``?lang=``, the
    ``minsheng_lang`` cookie or ``Accept-Language`` (Chinese unless English is preferred)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = current_locale.set(locale_of_scope(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            current_locale.reset(token)


def locale_of_scope(scope: Mapping[str, Any]) -> str:
    from http.cookies import CookieError, SimpleCookie
    from urllib.parse import parse_qs

    query = parse_qs(bytes(scope.get("query_string") or b"").decode("latin-1"))
    query_lang = next(iter(query.get("lang") or []), None)
    headers = {
        bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1")
        for k, v in scope.get("headers") or ()
    }
    cookie_lang = None
    if "cookie" in headers:
        try:
            jar: SimpleCookie = SimpleCookie(headers["cookie"])
        except CookieError:
            jar = SimpleCookie()
        if LANG_COOKIE in jar:
            cookie_lang = jar[LANG_COOKIE].value
    return request_locale(query_lang, cookie_lang, headers.get("accept-language"))

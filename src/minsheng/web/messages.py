"""From what the systems say to what a person reads: the pages' side of the message catalogue.

The systems' rules and services keep their English texts (the API's ``detail``, the logs, the
tests read them) and name the rule or error that produced each one. At the render boundary the
pages look the rule id or error name up in the catalogue (:mod:`minsheng.core.i18n`), in the
reader's language. Where a rule's English text carries values (a seat count, a level, a date),
``PATTERNS`` says how to read them out of it, and the catalogue entry of the same key places
them in the Chinese sentence (``{seats} 个坐席`` …). A text that no key matches is shown as it
came, which the page test (tests/web/test_i18n.py) reports as English on a Chinese page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from minsheng.core import i18n, timeutil
from minsheng.core.errors import DomainError

CJK = re.compile(r"[\u4e00-\u9fff]")
# A Chinese sentence followed by its English gloss: "表单已过期…，请刷新页面后重试 (CSRF token …)".
TRAILING_GLOSS = re.compile(r"\s*[（(][^（）()\u4e00-\u9fff]*[)）]\s*$")

# English texts of the rules → catalogue key; named groups become the entry's parameters.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(regex))
    for key, regex in (
        # certification: issuance refusals (rules/issuance.py)
        ("rule.level.exists", r"level (?P<level>\S+) does not exist \(1–5\)"),
        ("rule.issued_on.not_future", r"issue date is in the future"),
        ("rule.number.province", r"(?P<code>\S+) is not a province"),
        ("rule.number.site", r"the evaluation site code is 6 digits"),
        ("rule.occupation.exists", r"(?P<code>\S+) is not in the occupational classification"),
        (
            "rule.occupation.major_group",
            r"(?P<code>\S+) (?P<name>.+?) is in major group (?P<group>\d+); skill certificates "
            r"cover groups 3–6",
        ),
        (
            "rule.occupation.not_access_qualification",
            r"(?P<name>.+?) is the access-type qualification “(?P<qualification>.+?)” .*",
        ),
        (
            "rule.occupation.not_level_qualification",
            r"(?P<name>.+?) is under the level-type skill qualification "
            r"“(?P<qualification>.+?)” .*",
        ),
        (
            "rule.standard.covers_level",
            r"no national skill standard of (?P<name>.+?) covers level (?P<level>\d+) "
            r"\(covered: (?P<covered>.*)\)",
        ),
        ("rule.body.filed", r"(?P<filing>\S+) is not a filed evaluation body"),
        ("rule.body.active", r"the body is (?P<status>\w+)"),
        ("rule.body.filing_dates", r"the body's filing runs (?P<start>\S+) to (?P<end>\S+)"),
        (
            "rule.body.province",
            r"a body filed with province (?P<province>\S+) issues only there",
        ),
        (
            "rule.body.scope",
            r"the body is not filed for (?P<code>\S+) at level (?P<level>\d+)",
        ),
        # certification: the scam-ad checker's findings (rules/adscan.py)
        ("rule.claim.level", r"level (?P<level>\d+) does not exist: .*"),
        ("rule.claim.no_standard", r"occupation (?P<code>\S+) has no national skill standard.*"),
        ("rule.claim.body_inactive", r"the body is (?P<status>\w+)"),
        ("note.adscan.eight_grade", r"八级工: the 新八级工 ladder .*"),
        ("note.adscan.has_standard", r"occupation (?P<code>\S+) has a national skill standard"),
        ("note.adscan.filed_bodies", r"the ad refers to filed evaluation bodies in general.*"),
        ("note.adscan.body_active", r"the issuing body named in the ad is filed and active"),
        # hotline: the official minimums (rules/compliance.py)
        ("rule.hotline.min_seats", r"(?P<seats>\d+) seat\(s\): at least (?P<min>\d+) required"),
        (
            "rule.hotline.min_hours",
            r"open (?P<hours>[\d.]+) h on (?P<days>.+): at least (?P<min>[\d.]+) h a day",
        ),
        ("rule.hotline.connected", r"not connected to 12356"),
        ("rule.hotline.connect_deadline", r"connected (?P<when>\S+), after the deadline .*"),
        # enforcement: the reasons of a decision (rules/decision.py), in the order they arise
        (
            "reason.enf.item",
            r"item (?P<item>\S+) \((?P<description>.*)\) under rule version (?P<version>\S+)",
        ),
        (
            "reason.enf.commitment_first",
            r"credit commitment signed on (?P<day>\S+) was breached, but it records no earlier "
            r"violation of (?P<item>\S+) .*",
        ),
        (
            "reason.enf.under_14",
            r"《行政处罚法》第三十条: (?P<age>\d+) years old \(under 14\) on (?P<day>\S+) .*",
        ),
        ("reason.enf.incapable", r"《行政处罚法》第三十一条: unable to recognise .*"),
        (
            "reason.enf.no_fault_exception",
            r"no subjective fault proven, but .* yields to (?P<law>.+?) \(.*",
        ),
        ("reason.enf.no_fault", r"《行政处罚法》第三十三条第二款: evidence sufficient .*"),
        (
            "reason.enf.repeat_minor",
            r"a repeat \((?P<n>\d+) earlier violation\(s\)\) that the 裁量基准 still counts as "
            r"轻微 \((?P<source>.+), adopted (?P<day>\S+)\)",
        ),
        ("reason.enf.minor", r"《行政处罚法》第三十三条第一款第一句: minor, corrected in time.*"),
        (
            "reason.enf.repeat_commitment",
            r"再犯必罚: violation while a credit commitment signed after an earlier violation was "
            r"valid \(signed (?P<day>\S+), valid until (?P<day2>\S+)\)",
        ),
        (
            "reason.enf.repeat_priors",
            r"再犯必罚: (?P<n>\d+) earlier violation\(s\) of (?P<item>\S+) within "
            r"(?P<days>\d+) days \(last on (?P<day>\S+)\)",
        ),
        (
            "reason.enf.repeat_not_minor",
            r"not 轻微 under the 裁量基准 \((?P<source>.+), adopted (?P<day>\S+)\): .*",
        ),
        ("reason.enf.repeat_no_exemption", r"a repeat is never exempted under 首违免罚 .*"),
        (
            "reason.enf.first",
            r"首违: no violation of (?P<item>\S+) within (?P<days>\d+) days before",
        ),
        ("reason.enf.first_exempt", r"首违免罚: first violation, minor harm, .*"),
        ("reason.enf.first_needs_commitment", r"首违免罚 needs a signed credit commitment.*"),
        (
            "reason.enf.not_exemptible",
            r"item (?P<item>\S+) is not on the exemption list: (?P<conditions>.*)",
        ),
        ("reason.enf.not_corrected", r"not corrected in time: no exemption"),
        ("reason.enf.aggravating_no_exemption", r"aggravating factors present: no exemption"),
        ("reason.enf.harm_not_minor", r"harm (?P<harm>\w+): not a minor violation"),
        ("reason.enf.base_tier", r"harm (?P<harm>\w+): base tier (?P<tier>\w+)"),
        (
            "reason.enf.many_priors",
            r"多次实施、屡教不改: two or more earlier violations, one tier up",
        ),
        (
            "reason.enf.aggravating",
            r"aggravating factors (?P<factors>.+): (?P<n>\d+) tier\(s\) up",
        ),
        (
            "reason.enf.mitigation",
            r"《行政处罚法》第三十二条/第三十条 (?P<what>\S+) \(mandatory, on every path\): "
            r"(?P<grounds>.*) — tier (?P<tier>\w+) → (?P<tier2>\w+)",
        ),
        (
            "reason.enf.limited",
            r"《行政处罚法》第三十一条: not wholly unable .* next band (?P<range>\[.*\])",
        ),
        ("reason.enf.multiple", r"fine = multiple × (?P<of>\S+) \((?P<base>\S+) yuan\)"),
        (
            "reason.enf.fine",
            r"tier (?P<tier>\w+): fine (?P<range>\[.*\]|none) yuan, inside the statutory range",
        ),
        (
            "reason.enf.time_limit",
            r"《行政处罚法》第三十六条: discovered (?P<day>\S+), more than (?P<years>\d+) years "
            r"after the violation ended on (?P<day2>\S+) .*",
        ),
        (
            "reason.enf.not_punishable",
            r"no rule in force on (?P<day>\S+) made item (?P<item>\S+) punishable .*",
        ),
        (
            "reason.enf.lighter_version",
            r"《行政处罚法》第三十七条 从旧兼从轻: version (?P<version>\S+) \(from (?P<day>\S+)\) "
            r"is lighter than (?P<version2>\S+) .*",
        ),
        # enforcement: the points of a credit grade (rules/grading.py)
        (
            "note.grade.passed",
            r"(?P<n>\d+) passed × (?P<each>-?\d+), capped at (?P<cap>-?\d+)",
        ),
        ("note.grade.failed", r"(?P<n>\d+)/(?P<total>\d+) failed × (?P<weight>-?\d+)"),
        ("note.grade.not_inspected", r"not inspected last year"),
        ("note.grade.fine", r"fine (?P<yuan>\d+) yuan"),
        (
            "note.grade.fines_total",
            r"(?P<yuan>\d+) yuan: (?P<each>-?\d+) per 10,000, capped at (?P<cap>-?\d+)",
        ),
        ("note.grade.forces", r"(?P<label>.+): forces (?P<grade>\S+)"),
        ("note.grade.band", r"(?P<points>-?\d+) points → (?P<grade>\S+)"),
        ("note.demo", r"(?P<label>.+) \(demo\)"),
        # ID numbers (core/idnumber.py) and certificate numbers (rules/numbering.py)
        ("detail.id.15", r"15-digit numbers \(pre-1999 format\) are not accepted.*"),
        ("detail.length", r"must be (?P<n>\d+) characters, got (?P<got>\d+)"),
        ("detail.id.digits", r"the first 17 characters must be digits and the last a digit or X"),
        ("detail.id.birth_invalid", r"birth date (?P<raw>\S+) is not a real date"),
        ("detail.id.birth_future", r"birth date (?P<day>\S+) is in the future"),
        ("detail.id.birth_early", r"birth date (?P<day>\S+) is implausibly early"),
        (
            "detail.id.check",
            r"check character is (?P<got>\S+), expected (?P<expected>\S+) \(ISO 7064\)",
        ),
        ("detail.cert.kind", r"position 1 must be Y \(employer\) or S .*"),
        ("detail.cert.digits", r"positions 2–22 must be digits"),
        (
            "detail.cert.province",
            r"positions 6–7: (?P<code>\S+) is not a province code \(GB/T 2260\)",
        ),
        ("detail.cert.level", r"position 16: level (?P<level>\S+) does not exist \(1–5\)"),
        ("detail.cert.serial", r"positions 17–22: the serial starts at 000001"),
        (
            "detail.ad.too_large",
            r"the ad has (?P<n>\d+) characters; at most (?P<max>\d+) are scanned \(split it\)",
        ),
        # certification: the import summary's row problems (service/imports.py)
        ("detail.import.duplicate", r"duplicate of line (?P<line>\d+)"),
        ("detail.import.name_length", r"1–50 characters required"),
        ("detail.import.control", r"control characters \(tab, line break, …\) are not allowed"),
        ("detail.import.occupation", r"'?(?P<code>[^']*)'? is not in the classification"),
        ("detail.import.level", r"level must be 1–5"),
        (
            "detail.import.level_differs",
            r"level (?P<level>\S+) differs from the number's level (?P<expected>\S+)",
        ),
        ("detail.import.body", r"'?(?P<code>[^']*)'? is not a filed body"),
        ("detail.import.body_differs", r"the number's body type and code differ from the body's"),
        ("detail.import.year", r"year differs from the number's year (?P<year>\d+)"),
        ("detail.import.date", r"not a date YYYY-MM-DD"),
        ("detail.import.status", r"status must be one of (?P<statuses>.*)"),
        ("detail.import.columns", r"missing columns: (?P<columns>.*)"),
        ("detail.import.exists", r"certificate (?P<number>\S+) is already in the registry"),
        ("detail.import.too_large", r"the file has (?P<n>[\d,]+) bytes; at most (?P<max>[\d,]+).*"),
        (
            "detail.import.field_too_long",
            r"line (?P<line>\d+), field (?P<field>.+): longer than (?P<max>\d+) characters",
        ),
        # details the forms meet most
        (
            "detail.fine.outside_tier",
            r"fine (?P<fine>\d+) yuan is outside the (?P<tier>\w+) range \[(?P<low>\d+), "
            r"(?P<high>\d+)\] of item (?P<item>\S+) \((?P<version>[^)]*)\)",
        ),
        (
            "detail.fine.outside_statutory",
            r"(?:fine )?(?P<fine>\d+) yuan is outside the statutory range \[(?P<low>\d+), "
            r"(?P<high>\d+)\]",
        ),
        ("detail.date.future", r"(?P<day>\d{4}-\d{2}-\d{2}) is in the future"),
        ("detail.period.reversed", r"the (?:period|shift) ends before it starts"),
        ("detail.month", r"month must be 1(?:–| to )12"),
        ("detail.year", r"not a year: '(?P<value>.*)'"),
        (
            "detail.case.step",
            r"case (?P<case>\d+) is (?P<case_status>\w+); (?P<case_step>\w+) needs it to be "
            r"(?P<case_need>.+)",
        ),
        ("detail.verify.two_fields", r"give any two of id_number, name and number"),
        ("detail.hotline.state_by_hand", r"state '(?P<state>[^']*)' cannot be set by hand"),
        ("detail.sim.no_scenario", r"no shipped scenario '(?P<name>[^']*)'"),
        ("detail.sim.empty_directory", r"the directory is empty: run `minsheng demo load`.*"),
        # hotline: seat planning advice (rules/planning.py)
        (
            "advice.hotline.add_seats_minimum",
            r"add (?P<n>\d+) seats? (?P<spans>.+?) (?P<days>every day|on weekdays|at weekends|"
            r"on [A-Z].*?) \(official minimum of (?P<min>\d+) seats\)",
        ),
        (
            "advice.hotline.add_seats",
            r"add (?P<n>\d+) seats? (?P<spans>.+?) (?P<days>every day|on weekdays|at weekends|"
            r"on [A-Z].*)",
        ),
        (
            "advice.hotline.enough",
            r"(?P<n>\d+) seats? meets? the target in every open half hour",
        ),
        (
            "advice.hotline.extend_hours",
            r"open at least (?P<min>[\d.]+) hours (?P<days>every day|on weekdays|at weekends|"
            r"on [A-Z].*?) \(now (?P<now>[\d.]+) h; official minimum\)",
        ),
    )
)
TIERS = {
    "exempt": "不予处罚",
    "reduced": "减轻处罚",
    "lighter": "从轻处罚",
    "standard": "一般",
    "heavier": "从重处罚",
}
HARMS = {
    "none": "无危害后果",
    "minor": "危害后果轻微",
    "general": "危害后果一般",
    "serious": "危害后果严重",
}

WEEKDAYS = {
    "mon": "周一",
    "tue": "周二",
    "wed": "周三",
    "thu": "周四",
    "fri": "周五",
    "sat": "周六",
    "sun": "周日",
    "every day": "每天",
}
STATUS_WORDS = {"active": "有效", "suspended": "暂停", "revoked": "已撤销", "open": "长期"}


def _params(groups: Mapping[str, str | None]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in groups.items():
        text = value or ""
        if name == "days":
            text = _days(text)
        elif name == "spans":
            text = re.sub(r",? and |, ", "、", text)
        elif name in ("status", "end"):
            text = STATUS_WORDS.get(text, text)
            text = _day(text) if name == "end" else text
        elif name.startswith("tier"):
            text = TIERS.get(text, text)
        elif name == "harm":
            text = HARMS.get(text, text)
        elif name.startswith("day") or name == "start":
            text = _day(text)
        elif name == "range":
            text = _range(text)
        elif name.startswith("case_") and name != "case":
            text = _case_words(name, text)
        elif name == "when":
            text = _when(text)
        out[name] = text
    return out


def _case_words(name: str, text: str) -> str:
    """A case's status or step by its label on the case page."""
    from minsheng.web.staff_enforcement import STATUS_LABEL, STEP_LABEL

    labels = STEP_LABEL if name == "case_step" else STATUS_LABEL
    return "或".join(f"“{labels.get(w, w)}”" for w in text.split(" or "))


def _days(text: str) -> str:
    """``every day``, ``on weekdays``, ``on Mon–Wed``, ``mon, tue`` → 每天、工作日、周一至周三 …"""
    text = text.strip()
    fixed = {"every day": "每天", "on weekdays": "周一至周五", "at weekends": "周六、周日"}
    if text in fixed:
        return fixed[text]
    text = text.removeprefix("on ").lower()
    if "–" in text:
        first, _, last = text.partition("–")
        return f"{WEEKDAYS.get(first.strip(), first)}至{WEEKDAYS.get(last.strip(), last)}"
    return "、".join(WEEKDAYS.get(d.strip(), d.strip()) for d in text.split(","))


def _day(text: str) -> str:
    try:
        return str(timeutil.date_cn(date.fromisoformat(text)))
    except ValueError:
        return text


def _range(text: str) -> str:
    m = re.fullmatch(r"\[(\S+), (\S+)\]", text)
    if m is None:
        return "无" if text == "none" else text
    low, high = m.groups()
    return f"{low}–{high} 元" if low != high else f"{low} 元"


def _when(text: str) -> str:
    try:
        return str(timeutil.datetime_cn(datetime.fromisoformat(text)))
    except ValueError:
        return text


def translate(text: Any) -> str:
    """A rule's English text in the reader's language (the text itself when no key fits)."""
    if text is None:
        return ""
    said = str(text)
    if i18n.current_locale.get() == i18n.ENGLISH and not CJK.search(said):
        return said
    for key, regex in PATTERNS:
        m = regex.fullmatch(said.strip())
        if m is not None and i18n.has(key):
            return i18n.message(key, **_params(m.groupdict()))
    if i18n.has(said):
        return i18n.message(said)
    if "; " in said:
        # Several checks joined by "; " (an ID number's problems): each in turn, when every
        # one of them is known.
        pieces = said.split("; ")
        parts = [translate(piece) for piece in pieces]
        if all(part != piece for part, piece in zip(parts, pieces, strict=True)):
            return "；".join(parts)
    return said


def rule_reason(item: Mapping[str, Any] | Any) -> str:
    """Why a rule decided, in the reader's language: ``rule.<rule id>`` from the catalogue with
    the values read from the rule's English ``reason``."""
    if isinstance(item, Mapping):
        rule = str(item.get("rule") or "")
        reason = str(item.get("reason") or "")
    else:
        rule = str(getattr(item, "rule", "") or "")
        reason = str(getattr(item, "reason", "") or "")
    key = f"rule.{rule}"
    for pattern_key, regex in PATTERNS:
        if pattern_key == key:
            m = regex.fullmatch(reason.strip())
            if m is not None:
                return i18n.message(key, reason, **_params(m.groupdict()))
    translated = translate(reason)
    if translated != reason or not rule or not i18n.has(key):
        return translated
    return i18n.message(key, reason)


def text_of_key(key: str, default: str | None = None, **params: Any) -> str:
    return i18n.message(key, default, **params)


def error_bases(exc: DomainError) -> tuple[str, ...]:
    """The error's base classes up to DomainError (``NotFound``, ``DomainError``): catalogue
    fallbacks for an error that has no entry of its own."""
    names: list[str] = []
    for cls in type(exc).__mro__[1:]:
        names.append(cls.__name__)
        if cls is DomainError:
            break
    return tuple(names)


def error_text(name: str, status_code: int, detail: str, *, bases: Iterable[str] = ()) -> str:
    """What an error page or a form shows for an error: a detail already written in Chinese
    (its English gloss dropped), a rule text the catalogue knows, else the catalogue's entry for
    the error's name (then its bases, then its status)."""
    english = i18n.current_locale.get() == i18n.ENGLISH
    if detail and CJK.search(detail):
        if english and i18n.has(f"error.{name}"):
            return i18n.message(f"error.{name}")
        return TRAILING_GLOSS.sub("", detail)
    if english:
        return detail or i18n.status_title(status_code)
    translated = translate(detail)
    if translated != detail:
        return translated
    return i18n.error_message(name, status_code, bases=tuple(bases), locale=None)


def field_label(loc: Iterable[Any]) -> str:
    """A form field's name as people call it (``field.<name>``), for messages naming no field
    the form shows."""
    parts = [str(p) for p in loc if str(p) not in ("body", "query", "path", "form")]
    if not parts:
        return ""
    labels = [
        f"第 {int(p) + 1} 项" if p.isdigit() else i18n.message(f"field.{p}", p) for p in parts
    ]
    return "·".join(labels)


VARIANT_PATTERNS = (
    ("label.variant.rollover", re.compile(r"rollover-(?P<n>\d+)s")),
    ("label.variant.seats", re.compile(r"(?P<word>one|two|three|four|five|six|\d+)-seats?")),
)
NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6"}


def variant_label(name: str) -> str:
    """A simulator variant or scenario name (``rollover-30s``, ``city-only``) for people."""
    if i18n.has(f"label.variant.{name}"):
        return i18n.message(f"label.variant.{name}")
    for key, regex in VARIANT_PATTERNS:
        m = regex.fullmatch(name)
        if m is not None:
            params = {k: NUMBER_WORDS.get(v, v) for k, v in m.groupdict().items()}
            return i18n.message(key, name, **params)
    return name

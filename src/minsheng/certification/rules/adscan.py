"""Pure rules of the scam-ad scanner for certificate advertising.

The text is normalised (NFKC, so full-width letters and digits become ASCII; traditional
characters to simplified with OpenCC ``t2s``; lower case; separators, punctuation, symbols and
emoji dropped) while keeping, for every normalised character, the offset of the original
character it came from. Patterns run on the normalised text and every hit is reported with the
span ``[start, end)`` in the ORIGINAL text.

Lexicon sources: the MOHRSS warning list quoted by Xinhua on 2024-12-25 ("政府主推", "×××部",
"原×××部", "代考", "包过", "不过包退", "速成", "上岗必须", "×天拿证", "零基础包拿证", "挂靠",
"挂证", "轻松月入过万", "高薪入职", "内部推荐"); 人社部函〔2022〕25号 (misuse of
"中华人民共和国/中国/国家/全国", "职业资格", "岗位合格证", "专项职业能力", ministry names,
"不限年龄/不限专业/无门槛"); 广告法 Art. 9 (superlatives "国家级/最高级/最佳") and Art. 24 with
local SAMR notices ("保过", "协议就业", "100%通过", "官方指定", "命题组"). Registry-backed
claims (an occupation without a national standard, a body that is not filed, a level that does
not exist) come from a ``Registry`` the caller passes.

Not scams (issue 13, item 13): the seed's own advice "认准经过人社部门备案的机构" — filing with the
人社部门 is what a lawful body does, so "备案" is no ministry claim and "备案的评价机构" is no body
name; the 新八级工 ladder (人社部《关于健全完善新时代技能人才职业技能等级制度的意见（试行）》,
人社部发〔2022〕14号, March 2022 — number from a secondary source: 学徒工、初级工、中级工、高级工、
技师、高级技师、特级技师、首席技师) and the old 八级工 of the 1950s, so "八级工" is no bogus level;
and the access-type occupations of the 2021 catalogue (危险货物、化学品运输从业人员,
道路运输从业人员, 特种作业人员, 建筑施工特种作业人员, 特种设备安全管理和作业人员 — named in
the MOHRSS release on the 2021 catalogue and, in part, in the seed), for which "上岗必须持证"
is true.

Cost (issue 12, item 2): every pattern is linear in the text — literals, alternations of
literals and bounded repetitions only (``{m,n}`` with small n, never nested), which
``tests/certification/rules/test_adscan_cost.py`` checks on the parsed patterns, so no input
makes the backtracking engine quadratic; at most ``MAX_HITS_PER_RULE`` hits of a rule are
reported (the score has saturated long before), overlaps are looked up in an array, not a list,
and the caller may pass a ``budget`` callable that the scan calls between steps and that raises
to stop it (the service gives it a time limit; rules have no clock).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

RULE_VERSION = "adscan-2026-12"
MAX_AD_CHARS = 20_000
MAX_HITS_PER_RULE = 20
MAX_BODY_CLAIMS = 50
CN_NUM = "零〇一二两三四五六七八九十百"


@dataclass(frozen=True)
class Normalized:
    text: str
    origin: tuple[int, ...]  # origin[i] = offset in the original text of normalised char i

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1


@lru_cache(maxsize=1)
def _t2s() -> Callable[[str], str]:
    import opencc

    converter = opencc.OpenCC("t2s")
    return converter.convert


def _keep(ch: str) -> bool:
    """Letters, digits and ``%`` survive; separators, punctuation, symbols, emoji do not."""
    if ch == "%":
        return True
    cat = unicodedata.category(ch)
    return cat[0] in "LN"


def normalize(text: str) -> Normalized:
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).lower():
            if _keep(c):
                out.append(c)
                origin.append(i)
    joined = "".join(out)
    converted = _t2s()(joined)
    if len(converted) != len(joined):
        # Phrase conversion changed the length: fall back to one character at a time so the
        # offsets stay aligned.
        converted = "".join(_t2s()(c)[:1] or c for c in joined)
    return Normalized(converted, tuple(origin))


@dataclass(frozen=True)
class Pattern:
    rule: str
    regex: re.Pattern[str]
    weight: float
    reason: str


MINISTRIES = (
    "人力资源和社会保障部|人力资源社会保障部|人社部|劳动和社会保障部|劳动保障部|劳动部|人事部|"
    "教育部|工业和信息化部|工信部|商务部|民政部|文化和旅游部|文化部|卫生部|卫生健康委|卫健委|"
    "农业农村部|农业部|住房和城乡建设部|住建部|建设部|交通运输部|交通部|公安部|司法部|财政部|"
    "应急管理部|生态环境部|自然资源部|科技部|国资委|发改委|信息产业部"
)

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "gov.endorsed",
        re.compile(r"政府(主推|推荐|扶持|指定|授权)|官方(指定|授权|认证)|国家(主推|推荐|指定)"),
        0.6,
        "claims government endorsement; skill certificates are issued by filed bodies, "
        "not promoted by the government (MOHRSS warning list)",
    ),
    Pattern(
        "ministry.former",
        re.compile(rf"原({MINISTRIES})"),
        0.7,
        "invokes a former ministry (原×××部) — a typical fake-certificate claim",
    ),
    Pattern(
        "ministry.named",
        re.compile(rf"({MINISTRIES})(颁发|颁证|发证|认证|认可|直属|官方|主管|统一|证书|权威)"),
        0.6,
        "claims a ministry issues or backs the certificate (×××部); ministries do not issue "
        "skill-level certificates",
    ),
    Pattern(
        "exam.proxy",
        re.compile(r"代考|替考|枪手|包过|保过|不过包退|不过退款|不过全额退|百分百通过|100%通过"),
        0.8,
        "promises a pass or a proxy examinee (代考/包过/不过包退)",
    ),
    Pattern(
        "fast.cert",
        re.compile(
            rf"速成|(?:[0-9]{{1,4}}|[{CN_NUM}]{{1,4}})(?:天|日|周|个月)(?:即可|就能|就可|快速|速|包|轻松)?"
            r"(拿证|下证|取证|出证|领证)"
        ),
        0.6,
        "promises a certificate within days (速成/×天拿证)",
    ),
    Pattern(
        "zero.basis",
        re.compile(r"零基础(也|都)?(能|可|包)?(包)?(拿证|考证|通过|取证|下证)"),
        0.7,
        "promises a certificate without any basis (零基础包拿证)",
    ),
    Pattern(
        "mandatory.claim",
        re.compile(r"上岗必(须|备)|持证上岗必(须|备)|必须持证上岗|无证(不能|不得)上岗"),
        0.5,
        "claims the certificate is required to work (上岗必须); outside the access-type "
        "occupations of the catalogue no certificate is required",
    ),
    Pattern(
        "cert.renting",
        re.compile(r"挂靠|挂证|证书出租|租证|躺赚"),
        0.8,
        "offers certificate renting (挂靠/挂证) — illegal",
    ),
    Pattern(
        "income.promise",
        re.compile(
            r"(轻松)?月入(过万|上万|[0-9]{1,4}万|[一二两三四五六七八九十]{1,4}万)"
            r"|年(入|赚|薪)[0-9]{1,4}万"
            rf"|一年[{CN_NUM}0-9]{{1,6}}万|一年[{CN_NUM}0-9]{{1,6}}(?:至|到)[{CN_NUM}0-9]{{1,6}}万"
        ),
        0.5,
        "promises an income (轻松月入过万)",
    ),
    Pattern(
        "job.promise",
        re.compile(r"高薪(入职|就业|工作|岗位)|包就业|包分配|协议就业|推荐就业"),
        0.5,
        "promises a job (高薪入职/协议就业)",
    ),
    Pattern(
        "insider",
        re.compile(r"内部(推荐|渠道|名额|指标)|内推|命题组|考试原题|真题押中"),
        0.6,
        "claims inside access (内部推荐/命题组)",
    ),
    Pattern(
        "no.threshold",
        re.compile(r"不限(年龄|专业|学历)|无门槛|免考|免试|无需考试|不用考试"),
        0.4,
        "claims no entry requirements (不限年龄/不限专业/无门槛) — 人社部函〔2022〕25号",
    ),
    Pattern(
        "superlative",
        re.compile(r"国家级|最高级|最佳|最权威|全国通用|全国认可|终身有效"),
        0.3,
        "superlatives banned in advertising (广告法 Art. 9) or unverifiable validity claims",
    ),
    Pattern(
        "title.misuse",
        re.compile(
            r"(中华人民共和国|国家|全国|中国|中华)[\u4e00-\u9fff]{0,6}(职业资格|岗位合格)证"
        ),
        0.3,
        "national-sounding 职业资格/岗位合格 title (人社部函〔2022〕25号); check the catalogue",
    ),
    Pattern(
        "success.bait",
        re.compile(r"喜报|上岸率|通过率(高达)?[0-9]{1,3}%"),
        0.2,
        "pass-rate bait (喜报/通过率)",
    ),
)

ANY_MINISTRY_RE = re.compile(r"部(颁发|颁证|发证|直发|权威认证)")
MINISTRY_REASON = (
    "claims a ministry issues or backs the certificate (×××部); ministries do not issue "
    "skill-level certificates"
)
LEVEL_RE = re.compile(
    rf"(?<![0-9{CN_NUM}])([0-9]{{1,3}}|[{CN_NUM}]{{1,3}})级(证|证书|技能|职业|工|资格|技师)"
)
# The 新八级工 ladder and the old 八级工: "N级工" up to eight is a real grade (see the docstring).
EIGHT_GRADE_MAX = 8
# Access-type (准入类) skill qualifications of the 2021 catalogue: the certificate IS required.
ACCESS_TYPE_RE = re.compile(
    r"特种作业|特种设备|危险货物|危险化学品|化学品运输|道路运输从业|建筑施工特种"
)
CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
CN_DIGITS.update({"七": 7, "八": 8, "九": 9})
BODY_CLAIM_RE = re.compile(
    r"(中心|协会|学会|研究院|学院|公司|集团|委员会|机构)(演示)?(颁发|发证|认定|评价|颁证|出具)"
)
BODY_NAME_MAX = 30


class Registry(Protocol):
    """What the scanner needs to know from the registry (the service implements it)."""

    def occupation_names(self) -> Iterable[tuple[str, str]]:
        """(normalised name, code) of every occupation, longest names first."""

    def has_standard(self, code: str) -> bool: ...

    def body_status(self, normalised_name: str) -> str | None:
        """``active``/``suspended``/``revoked`` for a filed body of that name, else None."""


@dataclass(frozen=True)
class Hit:
    text: str
    start: int
    end: int
    rule: str
    reason: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "rule": self.rule,
            "reason": self.reason,
        }


@dataclass
class ScanResult:
    risk: str
    score: float
    hits: list[Hit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "risk": self.risk,
            "score": self.score,
            "rule_version": RULE_VERSION,
            "hits": [h.to_dict() for h in self.hits],
            "notes": self.notes,
        }


def _cn_int(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if len(text) == 1 and text in CN_DIGITS:
        return CN_DIGITS[text]
    return None


def risk_of(score: float) -> str:
    if score >= 0.8:
        return "high"
    if score >= 0.5:
        return "medium"
    if score > 0:
        return "low"
    return "none"


def _no_budget() -> None:
    return None


def scan(
    original: str,
    registry: Registry | None = None,
    budget: Callable[[], None] | None = None,
) -> ScanResult:
    """Scan one ad. ``len(original)`` must not exceed ``MAX_AD_CHARS`` (the caller checks).
    ``budget`` is called between steps; it raises to stop a scan that takes too long."""
    tick = budget or _no_budget
    norm = normalize(original)
    tick()
    text = norm.text
    hits: list[Hit] = []
    notes: dict[str, None] = {}  # ordered, without repeats
    per_rule: dict[str, int] = {}

    def add(start: int, end: int, rule: str, reason: str, weight: float) -> None:
        if per_rule.get(rule, 0) >= MAX_HITS_PER_RULE:
            return
        per_rule[rule] = per_rule.get(rule, 0) + 1
        s, e = norm.span(start, end)
        hits.append(Hit(original[s:e], s, e, rule, reason, weight))

    access_type = ACCESS_TYPE_RE.search(text) is not None
    for pat in PATTERNS:
        if pat.rule == "mandatory.claim" and access_type:
            if pat.regex.search(text):
                notes[
                    "the ad is about an access-type (准入类) qualification of the 2021 catalogue "
                    "(特种作业 and the like): a certificate is required to work there"
                ] = None
            continue
        for m in pat.regex.finditer(text):
            add(m.start(), m.end(), pat.rule, pat.reason, pat.weight)
            if per_rule.get(pat.rule, 0) >= MAX_HITS_PER_RULE:
                break
        tick()
    # Where a named ministry was already reported (per normalised character).
    named = bytearray(len(original) + 1)  # indexed by offsets in the original text
    for h in hits:
        if h.rule.startswith("ministry."):
            for i in range(h.start, h.end):
                named[i] = 1
    for m in ANY_MINISTRY_RE.finditer(text):
        # The "any ministry" family: a ministry we do not list by name (×××部颁发). Without
        # word boundaries in Chinese we take the three characters before 部 as its name.
        if per_rule.get("ministry.named", 0) >= MAX_HITS_PER_RULE:
            break
        s, e = norm.span(max(0, m.start() - 3), m.end())
        if not any(named[s:e]):
            add(max(0, m.start() - 3), m.end(), "ministry.named", MINISTRY_REASON, 0.6)
    tick()
    for m in LEVEL_RE.finditer(text):
        value = _cn_int(m.group(1))
        if value is None or 1 <= value <= 5:
            continue
        if m.group(2) == "工" and 1 <= value <= EIGHT_GRADE_MAX:
            notes["八级工: the 新八级工 ladder (人社部发〔2022〕14号) has eight grades"] = None
            continue
        add(
            m.start(),
            m.end(),
            "claim.level",
            f"level {value} does not exist: skill levels run from 5 (初级) to 1 (高级技师), "
            "and the 新八级工 ladder (学徒工 … 首席技师) names its grades",
            0.6,
        )
        if per_rule.get("claim.level", 0) >= MAX_HITS_PER_RULE:
            break
    tick()
    if registry is not None:
        taken = bytearray(len(text) + 1)
        for n, (name, code) in enumerate(registry.occupation_names()):
            if n % 100 == 0:
                tick()
            at = text.find(name)
            while at >= 0:
                if not taken[at]:  # else a longer occupation name already covers this place
                    taken[at : at + len(name)] = b"\x01" * len(name)
                    if not registry.has_standard(code):
                        add(
                            at,
                            at + len(name),
                            "claim.no_standard",
                            f"occupation {code} has no national skill standard on file, so no "
                            "skill-level certificate can be issued for it yet",
                            0.4,
                        )
                    else:
                        notes[f"occupation {code} has a national skill standard"] = None
                at = text.find(name, at + len(name))
        statuses: dict[str, str | None] = {}
        for k, m in enumerate(BODY_CLAIM_RE.finditer(text)):
            if k >= MAX_BODY_CLAIMS:
                break
            tick()
            # The name ends at the organisation word; it starts after 由/经 when the ad says
            # "由…颁发", else at most BODY_NAME_MAX characters back.
            end = m.end(2) if m.group(2) else m.end(1)
            start = max(0, m.start() - BODY_NAME_MAX)
            for marker in ("由", "经"):
                cut = text.rfind(marker, start, m.start())
                if cut >= 0:
                    start = max(start, cut + 1)
            name = text[start:end]
            if "备案" in name:
                # "经人社部门备案的评价机构颁发": the seed's advice, a kind of body, not a name.
                notes["the ad refers to filed evaluation bodies in general (备案的评价机构)"] = None
                continue
            if name not in statuses:
                statuses[name] = registry.body_status(name)
            status = statuses[name]
            if status is None:
                # Report the shortest plausible name: up to 12 characters before the word.
                s0 = max(start, m.start() - 12)
                add(
                    s0,
                    m.end(1),
                    "claim.body_not_filed",
                    "the issuing body named in the ad is not a filed evaluation body",
                    0.6,
                )
            elif status != "active":
                add(start, end, "claim.body_inactive", f"the body is {status}", 0.7)
            else:
                notes["the issuing body named in the ad is filed and active"] = None
    hits.sort(key=lambda h: (h.start, h.end))
    remaining = 1.0
    for h in hits:
        remaining *= 1.0 - h.weight
    score = round(1.0 - remaining, 3)
    return ScanResult(risk=risk_of(score), score=score, hits=hits, notes=list(notes))

"""Issue 12, item 2: the ad scanner is linear in its input.

Deterministic checks, no timed assertions: every pattern, parsed, uses only bounded repetition
(at most ``MAX_REPEAT``) and never a repetition inside a repetition, so the backtracking engine
does a bounded amount of work per starting position; the worst inputs of 20,000 characters of
each kind scan under the scanner's own budget mechanism with a step counter; and the hits
reported are capped. The time of each worst case, against the old patterns, is in
``bench/adscan_worst.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pytest

from minsheng.certification.rules import adscan

try:  # Python ≥ 3.11
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MAX_REPEAT = 8
REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT}


def repeat_problems(items: Iterable[tuple[Any, Any]], inside_repeat: bool = False) -> list[str]:
    """What makes a parsed pattern super-linear: unbounded or large repetitions, nested ones."""
    problems: list[str] = []
    for op, arg in items:
        if op in REPEATS:
            low, high, sub = arg
            if high == sre_constants.MAXREPEAT or high > MAX_REPEAT:
                problems.append(f"repetition {{{low},{high}}} is unbounded or too large")
            if inside_repeat:
                problems.append("repetition nested in a repetition")
            problems += repeat_problems(sub, inside_repeat=True)
        elif op == sre_constants.SUBPATTERN:
            problems += repeat_problems(arg[-1], inside_repeat)
        elif op == sre_constants.BRANCH:
            for branch in arg[1]:
                problems += repeat_problems(branch, inside_repeat)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            problems += repeat_problems(arg[1], inside_repeat)
    return problems


def all_patterns() -> list[tuple[str, re.Pattern[str]]]:
    named = [(p.rule, p.regex) for p in adscan.PATTERNS]
    return [
        *named,
        ("any_ministry", adscan.ANY_MINISTRY_RE),
        ("level", adscan.LEVEL_RE),
        ("body_claim", adscan.BODY_CLAIM_RE),
        ("access_type", adscan.ACCESS_TYPE_RE),
    ]


@pytest.mark.parametrize(("rule", "regex"), all_patterns(), ids=[r for r, _ in all_patterns()])
def test_every_pattern_is_linear(rule: str, regex: re.Pattern[str]) -> None:
    assert repeat_problems(sre_parse.parse(regex.pattern)) == []


def test_the_checker_catches_the_old_patterns() -> None:
    old_fast = r"速成|([0-9]+|[零一二])(天|日)(拿证)"
    old_income = r"一年[0-9]+(至|到)?[0-9]*万"
    assert repeat_problems(sre_parse.parse(old_fast))
    assert repeat_problems(sre_parse.parse(old_income))
    assert repeat_problems(sre_parse.parse(r"(a{1,3})+"))


class ManyNames:
    """A registry with many occupations, one of them repeated all over the worst input."""

    def occupation_names(self) -> Iterable[tuple[str, str]]:
        yield ("碳排放管理员", "4-09-07-04")
        for i in range(1500):
            yield (f"职业名称{i:04d}号", f"4-01-01-{i % 100:02d}")

    def has_standard(self, code: str) -> bool:
        return code != "4-09-07-04"

    def body_status(self, normalised_name: str) -> str | None:
        return None


N = adscan.MAX_AD_CHARS
WORST = {
    "digits": "7" * N,
    "tian": "天" * N,
    "digits_then_tian": "7" * (N - 3) + "天拿证",
    "separators": "，。 -_/\\|" * (N // 9),
    "emoji": "😀" * N,
    "mixed": ("一年" + "1" * 40 + "万" + "八级证书" + "人社部颁发" + "中心颁发" + "碳排放管理员")
    * (N // 66),
    "cn_numbers": "一二三四五六七八九十" * (N // 10),
    "ministry": ("原人社部颁发" + "工信部颁发证书") * (N // 13),
}


class Steps:
    """The scanner's budget hook, counting the steps between which it may stop a scan."""

    def __init__(self, limit: int) -> None:
        self.count, self.limit = 0, limit

    def __call__(self) -> None:
        self.count += 1
        if self.count > self.limit:
            raise RuntimeError("over budget")


@pytest.mark.parametrize("kind", list(WORST))
def test_worst_inputs_scan_with_capped_hits(kind: str) -> None:
    text = WORST[kind][:N]
    assert len(text) <= N
    steps = Steps(limit=200)
    result = adscan.scan(text, ManyNames(), steps)
    per_rule: dict[str, int] = {}
    for hit in result.hits:
        per_rule[hit.rule] = per_rule.get(hit.rule, 0) + 1
    assert all(n <= adscan.MAX_HITS_PER_RULE for n in per_rule.values())
    assert len(result.notes) <= 10
    assert 0 < steps.count <= 200


def test_the_budget_stops_a_scan() -> None:
    with pytest.raises(RuntimeError, match="over budget"):
        adscan.scan(WORST["mixed"], ManyNames(), Steps(limit=3))

"""The decision rules of 承诺+执法: the mandatory articles of the 行政处罚法 first, then
首违免罚, 再犯必罚, the Art. 36 time limit and Art. 37 lighter-law selection over a rule base
versioned by date.

Pure: plain dataclasses in, a ``Decision`` out that names the rule (``rule_id``, see ``RULES``), the
item, the rule version, the status of the rule set (official or demo), the tier, the fine range and
every reason. No database, no I/O; the rule base is parsed from a dict that the caller has read
(``service/catalog.py`` reads the shipped JSON).

Legal sources — 《中华人民共和国行政处罚法》(2021年1月22日第十三届全国人大常委会第二十五次会议修订,
2021年7月15日起施行), article texts as quoted in ``docs/enforcement.md`` (checked against the
国家法律法规数据库 text as transcribed by LawRefBook/Laws, commit 2f4c5c2, 2025-04-19):

* Art. 30: under 14 → 不予行政处罚, 责令监护人加以管教; 14 to 18 → 应当从轻或者减轻 (mandatory).
  Age is counted in 周岁 from the birth date (from the ID number) to the day of the act; a 周岁 is
  reached the day after the birthday (as 法释〔2006〕1号 第二条 counts it for criminal cases — its
  use for administrative penalties is our reading, unverified).
* Art. 31: unable to recognise or control the conduct → 不予行政处罚, 责令监护人严加看管和治疗;
  not wholly unable → 可以从轻或者减轻 (discretionary: the range is widened to include the lighter
  band, the officer chooses).
* Art. 32: 应当从轻或者减轻 for any of (一)–(五) — on every path, also for a repeat and with
  aggravating factors: the tier reached otherwise goes one band down.
* Art. 33(1) sentence 1: 违法行为轻微并及时改正，没有造成危害后果的，不予行政处罚 —
  mandatory and with no first-violation condition; what is 轻微 for a repeat is the rule
  base's ``minor_violation`` setting (the 裁量基准, Art. 34), cited and dated there, never code.
* Art. 33(1) sentence 2: 初次违法且危害后果轻微并及时改正的，可以不予行政处罚 — here only
  when the item is on the exemption list and the party signs (or has signed) a credit
  commitment, as in 琼山分局's "首违免罚，信用承诺".
* Art. 33(2): 当事人有证据足以证明没有主观过错的，不予行政处罚 unless a 法律 or 行政法规
  says otherwise (the item's ``no_fault_exception``).
* Art. 33(3): every 不予行政处罚 carries the education given.
* Art. 36: not punished if undiscovered for 2 years (5 where life, health or financial safety was
  harmed), counted from the end of a continuing violation.
* Art. 37: the rule in force when the violation happened applies, unless a later one is lighter.
* SAMR 国市监法〔2025〕10号 (2025-01-27): "首违" = no same-type violation within 2 years (the
  look-back window, a setting). 再犯 needs an earlier *violation*: a commitment signed in advance
  (a campaign, no violation) does not make a first violation a repeat; a commitment signed in a
  case or to repair credit records one.
* Art. 5 过罚相当 and the local 裁量基准: tiers 不予/减轻/从轻/一般/从重 with fine bands inside the
  statutory range; a repeat is at least 一般, moved up one tier per aggravating factor.

"Same type" is read as "same rule item" (the literature flags the ambiguity; the item is the
narrowest reading and the one a party can foresee).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import partial
from typing import Any

from minsheng.core.errors import InvalidInput
from minsheng.enforcement.errors import FineOutOfRange, InvalidDate, ItemNotApplicable
from minsheng.enforcement.rules.base import (
    DEFAULT_MINOR,
    LAW,
    MITIGATING_FACTORS,
    MITIGATION_NEEDS_BASIS,
    TIER_ORDER,
    TIER_RANK,
    Harm,
    Item,
    MentalState,
    MinorDefinition,
    Outcome,
    PartyKind,
    Range,
    RuleBase,
    RuleVersion,
    Tier,
)

__all__ = [
    "RULES",
    "Harm",
    "Item",
    "MentalState",
    "Outcome",
    "PartyKind",
    "RuleBase",
    "Tier",
]


# --------------------------------------------------------------------------------------------
# The rules a decision can name (rule id → its source). docs/enforcement.md has the same table
# with the file and the test of each.

RULES: Mapping[str, str] = {
    "ART36-TIME-LIMIT": f"{LAW}第三十六条（二年/五年内未被发现的，不再给予行政处罚）",
    "ART37-NOT-PUNISHABLE": f"{LAW}第三十七条（适用违法行为发生时的规定）",
    "ART30-UNDER-14": f"{LAW}第三十条（不满十四周岁的未成年人，不予行政处罚）",
    "ART31-INCAPABLE": f"{LAW}第三十一条（不能辨认或者不能控制自己行为时，不予行政处罚）",
    "ART33-2-NO-FAULT": f"{LAW}第三十三条第二款（有证据足以证明没有主观过错，不予行政处罚）",
    "ART33-1-MINOR": f"{LAW}第三十三条第一款第一句（轻微、及时改正、没有造成危害后果，"
    "不予行政处罚）",
    "ART33-1-FIRST": f"{LAW}第三十三条第一款第二句（初次违法、危害后果轻微、及时改正，可以不予"
    "行政处罚）；首违免罚清单与信用承诺（裁量基准）",
    "PENALTY-FIRST": "裁量基准（过罚相当，《行政处罚法》第五条）：首次违法，按危害后果定档",
    "PENALTY-REPEAT": "裁量基准：再犯必罚（两年内同一事项再次违法，"
    "国市监法〔2025〕10号定义“首违”）",
}
MANDATORY_MITIGATION = "应当从轻或者减轻"


# --------------------------------------------------------------------------------------------
# Inputs and outputs


@dataclass(frozen=True)
class Violation:
    item: str
    occurred_on: date
    discovered_on: date
    harm: Harm
    corrected_in_time: bool
    aggravating: tuple[str, ...] = ()
    mitigating: tuple[str, ...] = ()
    ended_on: date | None = None  # a continuing violation's last day (Art. 36)
    endangers_safety: bool = False  # life, health or financial safety harmed (5-year limit)
    no_fault_proven: bool = False  # Art. 33(2): evidence sufficient to prove no subjective fault
    mental_state: MentalState = MentalState.NORMAL  # Art. 31
    mitigating_basis: tuple[str, ...] = ()  # Art. 32(五): the provisions relied on
    fine_base_yuan: int | None = None  # the amount a multiple-based fine multiplies


@dataclass(frozen=True)
class PriorViolation:
    item: str
    occurred_on: date
    penalised: bool


@dataclass(frozen=True)
class CommitmentRef:
    """A signed commitment covering one item, or a whole domain when ``item`` is None.

    ``after_violation``: signed in a case or to repair credit (so an earlier violation exists);
    False for one signed in advance (a campaign): breaking it is not by itself a 再犯.
    ``violation_item``: the item of that earlier violation (default: the committed item); only a
    breach of the same item is a 再犯 ("same type" = same item, as for the history)."""

    signed_on: date
    valid_until: date
    item: str | None = None
    domain: str | None = None
    ref: str | None = None  # e.g. the commitment's database id, echoed in the reasons
    after_violation: bool = False
    violation_item: str | None = None

    def records_earlier_violation_of(self, item: Item) -> bool:
        return self.after_violation and (self.violation_item or self.item) == item.id

    def covers(self, item: Item) -> bool:
        if self.item is not None:
            return self.item == item.id
        return self.domain == item.domain


@dataclass(frozen=True)
class DecisionInput:
    party_kind: PartyKind
    violation: Violation
    history: tuple[PriorViolation, ...] = ()
    commitments: tuple[CommitmentRef, ...] = ()
    signs_commitment_now: bool = False
    decided_on: date | None = None  # defaults to the discovery date
    lookback_days: int = 730
    party_birth_date: date | None = None  # persons: from the ID number (Art. 30)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    tier: Tier | None
    fine_range_yuan: Range | None
    item: str
    rule_version: str
    reasons: tuple[str, ...]
    legal_basis: str = ""
    repeat: bool = False
    breached_commitment: str | None = None
    commitment_required: bool = False
    education: str | None = None
    factors: Mapping[str, Any] = field(default_factory=dict)
    rule_id: str = ""
    rule_set: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "tier": self.tier.value if self.tier else None,
            "fine_range_yuan": list(self.fine_range_yuan) if self.fine_range_yuan else None,
            "item": self.item,
            "rule_id": self.rule_id,
            "rule_source": RULES.get(self.rule_id, ""),
            "rule_version": self.rule_version,
            "rule_set": dict(self.rule_set),
            "reasons": list(self.reasons),
            "legal_basis": self.legal_basis,
            "repeat": self.repeat,
            "breached_commitment": self.breached_commitment,
            "commitment_required": self.commitment_required,
            "education": self.education,
            "factors": dict(self.factors),
        }


# --------------------------------------------------------------------------------------------
# Decisions


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return day.replace(year=year, day=min(day.day, last))


def age_on(birth: date, day: date) -> int:
    """Full 周岁 on ``day``, reached the day after the birthday (as 法释〔2006〕1号 第二条)."""
    years = day.year - birth.year
    if (day.month, day.day) <= (birth.month, birth.day):
        years -= 1
    return max(years, 0)


def check_dates(violation: Violation, decided_on: date, today: date) -> None:
    """Dates in order and not in the future, each refusal naming its field."""
    v = violation
    for name, value in (
        ("violation.occurred_on", v.occurred_on),
        ("violation.ended_on", v.ended_on),
        ("violation.discovered_on", v.discovered_on),
        ("decided_on", decided_on),
    ):
        if value is not None and value > today:
            raise InvalidDate(f"{value.isoformat()} is in the future", field=name)
    if v.ended_on is not None and v.ended_on < v.occurred_on:
        raise InvalidDate("the violation cannot end before it began", field="violation.ended_on")
    if v.discovered_on < v.occurred_on:
        raise InvalidDate(
            "the violation cannot be discovered before it happened", field="violation.discovered_on"
        )
    if decided_on < v.discovered_on:
        raise InvalidDate("a decision cannot precede the discovery", field="decided_on")


def check_factors(rulebase: RuleBase, inp: DecisionInput) -> None:
    """Factor names known, Art. 32(五) cited, person-only inputs only for persons."""
    violation = inp.violation
    for name in violation.aggravating:
        if name not in rulebase.aggravating:
            known = ", ".join(sorted(rulebase.aggravating))
            raise InvalidInput(
                f"unknown aggravating factor {name!r}; known: {known}",
                field="violation.aggravating",
            )
    for name in violation.mitigating:
        if name not in MITIGATING_FACTORS:
            known = ", ".join(sorted(MITIGATING_FACTORS))
            raise InvalidInput(
                f"unknown mitigating factor {name!r}; known: {known}",
                field="violation.mitigating",
            )
    needs_basis = MITIGATION_NEEDS_BASIS in violation.mitigating
    if needs_basis and not any(b.strip() for b in violation.mitigating_basis):
        raise InvalidInput(
            "第三十二条第五项 needs the 法律、法规、规章 provision relied on",
            field="violation.mitigating_basis",
        )
    if violation.mitigating_basis and not needs_basis:
        raise InvalidInput(
            f"a provision is given only with the mitigating factor {MITIGATION_NEEDS_BASIS}",
            field="violation.mitigating_basis",
        )
    if inp.party_kind is PartyKind.ORGANISATION:
        if inp.party_birth_date is not None:
            raise InvalidInput("an organisation has no birth date", field="party.birth_date")
        if violation.mental_state is not MentalState.NORMAL:
            raise InvalidInput("第三十一条 applies to persons only", field="violation.mental_state")
    if inp.party_birth_date is not None and inp.party_birth_date > violation.occurred_on:
        raise InvalidDate("born after the violation", field="party.birth_date")
    if violation.fine_base_yuan is not None and violation.fine_base_yuan < 0:
        raise InvalidInput("must not be negative", field="violation.fine_base_yuan")


def _show(fine: Range | None) -> str:
    return f"[{fine[0]}, {fine[1]}]" if fine else "none"


def _move_up(tier: Tier, steps: int) -> Tier:
    return TIER_ORDER[min(TIER_RANK[tier] + steps, TIER_RANK[Tier.HEAVIER])]


def _one_down(tier: Tier) -> Tier:
    """从轻或者减轻 by one band: 从重→一般→从轻→减轻 (减轻 stays 减轻)."""
    return TIER_ORDER[max(TIER_RANK[tier] - 1, TIER_RANK[Tier.REDUCED])]


BASE_TIER = {
    Harm.NONE: Tier.LIGHTER,
    Harm.MINOR: Tier.LIGHTER,
    Harm.GENERAL: Tier.STANDARD,
    Harm.SERIOUS: Tier.HEAVIER,
}


def _education(item: Item, extra: str = "") -> str:
    return (
        f"已对当事人开展普法教育：告知其行为违反{item.legal_basis}，责令改正，"
        "并告知再次违法将依法处罚（不罚≠不管，《行政处罚法》第三十三条第三款）。" + extra
    )


def decide_under(
    version: RuleVersion, inp: DecisionInput, *, minor: MinorDefinition = DEFAULT_MINOR
) -> Decision:
    """The decision under one rule version (no time-limit or version choice here)."""
    v = inp.violation
    item = version.items.get(v.item)
    if item is None:
        return Decision(
            outcome=Outcome.NO_PENALTY,
            tier=Tier.EXEMPT,
            fine_range_yuan=None,
            item=v.item,
            rule_version=version.version,
            rule_id="ART37-NOT-PUNISHABLE",
            reasons=(
                f"rule version {version.version} has no item {v.item}: the act is not "
                "punishable under it (《行政处罚法》第四条、第三十七条)",
            ),
        )
    kind = inp.party_kind
    if not item.applies_to(kind.value):
        raise ItemNotApplicable(
            f"item {item.id} applies only to "
            + "/".join(item.parties)
            + f", not to a {kind.value}",
            field="party.type",
        )
    window_start = v.occurred_on - timedelta(days=inp.lookback_days)
    priors = sorted(
        (
            h
            for h in inp.history
            if h.item == item.id and window_start <= h.occurred_on < v.occurred_on
        ),
        key=lambda h: h.occurred_on,
    )
    # A breach is a violation after the signing day and up to the last valid day; a commitment
    # signed on or after the violation's day was signed in answer to it ("has signed").
    breached = sorted(
        (
            c
            for c in inp.commitments
            if c.covers(item) and c.signed_on < v.occurred_on <= c.valid_until
        ),
        key=lambda c: (
            not c.records_earlier_violation_of(item),
            c.signed_on,
            c.valid_until,
            c.ref or "",
        ),
    )
    # 再犯 needs an earlier violation: one in the window, or the one a breached case/repair
    # commitment was signed for.
    repeat_breaches = [c for c in breached if c.records_earlier_violation_of(item)]
    repeat = bool(priors or repeat_breaches)
    earlier = max(len(priors), 1 if repeat_breaches else 0)
    has_commitment = inp.signs_commitment_now or any(
        c.covers(item) and c.signed_on >= v.occurred_on for c in inp.commitments
    )
    age = age_on(inp.party_birth_date, v.occurred_on) if inp.party_birth_date else None
    aggravating = sorted(set(v.aggravating))
    mitigating = sorted(set(v.mitigating))
    factors: dict[str, Any] = {
        "party_kind": kind.value,
        "harm": v.harm.value,
        "corrected_in_time": v.corrected_in_time,
        "aggravating": aggravating,
        "mitigating": mitigating,
        "mitigating_basis": list(v.mitigating_basis),
        "prior_violations_in_window": len(priors),
        "lookback_days": inp.lookback_days,
        "commitment_breached": bool(breached),
        "commitment_signed": has_commitment,
        "repeat": repeat,
        "age_at_violation": age,
        "mental_state": v.mental_state.value,
        "no_fault_proven": v.no_fault_proven,
    }
    if item.multiple is not None:
        factors["fine_base_yuan"] = v.fine_base_yuan
        factors["fine_multiple_of"] = item.multiple.of
    reasons: list[str] = [
        f"item {item.id} ({item.description}) under rule version {version.version}"
    ]
    breach_ref = (breached[0].ref or breached[0].signed_on.isoformat()) if breached else None
    make = partial(
        Decision,
        item=item.id,
        rule_version=version.version,
        legal_basis=item.legal_basis,
        factors=factors,
        repeat=repeat,
        breached_commitment=breach_ref,
    )

    def exempt(rule_id: str, why: str, extra: str = "", **kw: Any) -> Decision:
        reasons.append(why)
        return make(
            outcome=Outcome.NO_PENALTY,
            tier=Tier.EXEMPT,
            fine_range_yuan=None,
            reasons=tuple(reasons),
            education=_education(item, extra),
            rule_id=rule_id,
            **kw,
        )

    if breached and not repeat_breaches:
        c = breached[0]
        reasons.append(
            f"credit commitment signed on {c.signed_on.isoformat()} was breached, but it records "
            f"no earlier violation of {item.id} (signed in advance, or after another item): "
            "recorded, but a first violation is not 再犯"
        )

    # Mandatory articles first: they hold on every path, whatever the history.
    if age is not None and age < 14:
        return exempt(
            "ART30-UNDER-14",
            f"《行政处罚法》第三十条: {age} years old (under 14) on {v.occurred_on.isoformat()} — "
            "not punished",
            "已责令其监护人加以管教。",
        )
    if v.mental_state is MentalState.INCAPABLE:
        return exempt(
            "ART31-INCAPABLE",
            "《行政处罚法》第三十一条: unable to recognise or control the conduct at the time "
            "(精神病人、智力残疾人) — not punished",
            "已责令其监护人严加看管和治疗。",
        )
    if v.no_fault_proven:
        if item.no_fault_exception:
            reasons.append(
                "no subjective fault proven, but 《行政处罚法》第三十三条第二款 yields to "
                f"{item.no_fault_exception} (法律、行政法规另有规定的，从其规定)"
            )
        else:
            return exempt(
                "ART33-2-NO-FAULT",
                "《行政处罚法》第三十三条第二款: evidence sufficient to prove no subjective fault "
                "— not punished",
            )
    is_minor = minor.is_minor(aggravating=bool(aggravating), priors=earlier)
    factors["minor_violation"] = is_minor
    if is_minor and v.corrected_in_time and v.harm is Harm.NONE:
        if repeat:
            reasons.append(
                f"a repeat ({earlier} earlier violation(s)) that the 裁量基准 still counts as "
                f"轻微 ({minor.source}, adopted {minor.adopted_on.isoformat()})"
            )
        return exempt(
            "ART33-1-MINOR",
            "《行政处罚法》第三十三条第一款第一句: minor, corrected in time, no harmful "
            "consequence — not punished (mandatory, whatever the history)",
        )
    if repeat:
        if breached and repeat_breaches:
            c = repeat_breaches[0]
            reasons.append(
                "再犯必罚: violation while a credit commitment signed after an earlier violation "
                f"was valid (signed {c.signed_on.isoformat()}, valid until "
                f"{c.valid_until.isoformat()})"
            )
        if priors:
            reasons.append(
                f"再犯必罚: {len(priors)} earlier violation(s) of {item.id} within "
                f"{inp.lookback_days} days (last on {priors[-1].occurred_on.isoformat()})"
            )
        if v.harm is Harm.NONE and v.corrected_in_time:
            reasons.append(
                f"not 轻微 under the 裁量基准 ({minor.source}, adopted "
                f"{minor.adopted_on.isoformat()}): 第三十三条第一款第一句 does not apply"
            )
        reasons.append("a repeat is never exempted under 首违免罚 and starts at the 一般 tier")
    else:
        reasons.append(f"首违: no violation of {item.id} within {inp.lookback_days} days before")
        clean = not aggravating
        if v.harm is Harm.MINOR and v.corrected_in_time and clean and item.exemptible:
            if has_commitment:
                return exempt(
                    "ART33-1-FIRST",
                    "首违免罚: first violation, minor harm, corrected in time, on the exemption "
                    "list, credit commitment signed (《行政处罚法》第三十三条第一款第二句)",
                    commitment_required=True,
                )
            reasons.append(
                "首违免罚 needs a signed credit commitment; none signed, so no exemption"
            )
        elif v.harm is Harm.MINOR and v.corrected_in_time and clean:
            reasons.append(
                f"item {item.id} is not on the exemption list: {item.exemption_conditions}"
            )
        else:
            if not v.corrected_in_time:
                reasons.append("not corrected in time: no exemption")
            if not clean:
                reasons.append("aggravating factors present: no exemption")
            if v.harm in (Harm.GENERAL, Harm.SERIOUS):
                reasons.append(f"harm {v.harm.value}: not a minor violation")

    # The penalty: base tier, repeat floor, aggravation, then mitigation (never skipped).
    tier = BASE_TIER[v.harm]
    reasons.append(f"harm {v.harm.value}: base tier {tier.value}")
    steps = len(aggravating)
    if repeat:
        if TIER_RANK[tier] < TIER_RANK[Tier.STANDARD]:
            tier = Tier.STANDARD
        if earlier >= 2:
            steps += 1
            reasons.append("多次实施、屡教不改: two or more earlier violations, one tier up")
    if aggravating:
        reasons.append(
            f"aggravating factors {', '.join(aggravating)}: {len(aggravating)} tier(s) up"
        )
    tier = _move_up(tier, steps)
    grounds = [MITIGATING_FACTORS[m] for m in mitigating]
    if MITIGATION_NEEDS_BASIS in mitigating:
        grounds.append("依据：" + "；".join(b.strip() for b in v.mitigating_basis if b.strip()))
    if age is not None and 14 <= age < 18:
        grounds.append(f"已满十四周岁不满十八周岁（{age}周岁，第三十条）")
    if grounds:
        before = tier
        tier = _one_down(tier)
        reasons.append(
            f"《行政处罚法》第三十二条/第三十条 {MANDATORY_MITIGATION} (mandatory, on every path): "
            + "; ".join(grounds)
            + f" — tier {before.value} → {tier.value}"
        )
        factors["mandatory_mitigation"] = True
    base = v.fine_base_yuan
    fine = item.range_for(tier, kind, base)
    assert fine is not None
    if v.mental_state is MentalState.LIMITED:
        lower = item.range_for(_one_down(tier), kind, base)
        assert lower is not None
        fine = (min(lower[0], fine[0]), fine[1])
        factors["discretionary_mitigation"] = "第三十一条"
        reasons.append(
            "《行政处罚法》第三十一条: not wholly unable to recognise or control the conduct — "
            "可以从轻或者减轻 (discretionary): the range reaches down to the next band "
            f"{_show(lower)}"
        )
    if item.multiple is not None:
        reasons.append(f"fine = multiple × {item.multiple.of} ({base} yuan)")
    reasons.append(f"tier {tier.value}: fine {_show(fine)} yuan, inside the statutory range")
    return make(
        outcome=Outcome.PENALTY,
        tier=tier,
        fine_range_yuan=fine,
        reasons=tuple(reasons),
        rule_id="PENALTY-REPEAT" if repeat else "PENALTY-FIRST",
    )


def _lightness(d: Decision) -> tuple[int, int, int, int]:
    outcome_rank = 0 if d.outcome is not Outcome.PENALTY else 1
    fine = d.fine_range_yuan or (0, 0)
    return (outcome_rank, fine[1], fine[0], TIER_RANK[d.tier] if d.tier else 0)


def decide(rulebase: RuleBase, inp: DecisionInput, *, today: date) -> Decision:
    """Decide one violation: time limit, then the version in force or a lighter later one."""
    return replace(_decide(rulebase, inp, today=today), rule_set=rulebase.status_dict())


def _decide(rulebase: RuleBase, inp: DecisionInput, *, today: date) -> Decision:
    v = inp.violation
    decided_on = inp.decided_on or v.discovered_on
    check_dates(v, decided_on, today)
    rulebase.require_item(v.item, field_name="violation.item")
    check_factors(rulebase, inp)
    if inp.lookback_days < 1:
        raise InvalidInput("the look-back window must be at least one day", field="lookback_days")

    end = v.ended_on or v.occurred_on
    years = 5 if v.endangers_safety else 2
    deadline = add_years(end, years)
    if v.discovered_on > deadline:
        version = rulebase.in_force(v.occurred_on) or rulebase.versions[0]
        item = rulebase.require_item(v.item)
        return Decision(
            outcome=Outcome.TIME_BARRED,
            tier=None,
            fine_range_yuan=None,
            item=v.item,
            rule_version=version.version,
            legal_basis=item.legal_basis,
            rule_id="ART36-TIME-LIMIT",
            reasons=(
                f"《行政处罚法》第三十六条: discovered {v.discovered_on.isoformat()}, more than "
                f"{years} years after the violation ended on {end.isoformat()} — not punished",
            ),
            factors={"ended_on": end.isoformat(), "limit_years": years},
        )

    at_time = rulebase.in_force(v.occurred_on)
    if at_time is None or v.item not in at_time.items:
        return Decision(
            outcome=Outcome.NO_PENALTY,
            tier=Tier.EXEMPT,
            fine_range_yuan=None,
            item=v.item,
            rule_version=at_time.version if at_time else "none",
            rule_id="ART37-NOT-PUNISHABLE",
            reasons=(
                f"no rule in force on {v.occurred_on.isoformat()} made item {v.item} punishable "
                "(法不溯及既往, 《行政处罚法》第三十七条)",
            ),
        )
    minor = rulebase.minor
    best = decide_under(at_time, inp, minor=minor)
    for later in rulebase.versions:
        # A later version that carries the very same item (inherited unchanged) cannot be
        # lighter, so only versions that changed or repealed the item are tried.
        if (
            at_time.effective_from < later.effective_from <= decided_on
            and later.items.get(v.item) is not at_time.items[v.item]
        ):
            candidate = decide_under(later, inp, minor=minor)
            if _lightness(candidate) < _lightness(best):
                best = replace(
                    candidate,
                    reasons=(
                        *candidate.reasons,
                        f"《行政处罚法》第三十七条 从旧兼从轻: version {later.version} (from "
                        f"{later.effective_from.isoformat()}) is lighter than {at_time.version} "
                        "in force when the violation happened",
                    ),
                )
    return best


def check_fine(decision: Decision, fine_yuan: int | None) -> int | None:
    """The officer's fine, refused when outside the decided range (过罚相当)."""
    if decision.outcome is not Outcome.PENALTY:
        if fine_yuan:
            raise FineOutOfRange(
                f"outcome {decision.outcome.value} allows no fine, got {fine_yuan}",
                field="fine_yuan",
            )
        return None
    assert decision.fine_range_yuan is not None
    low, high = decision.fine_range_yuan
    if fine_yuan is None:
        raise FineOutOfRange(
            f"a penalty needs a fine between {low} and {high} yuan (0 = warning only when the "
            "range starts at 0)",
            field="fine_yuan",
        )
    if not low <= fine_yuan <= high:
        raise FineOutOfRange(
            f"fine {fine_yuan} yuan is outside the {decision.tier} range [{low}, {high}] of "
            f"item {decision.item} ({decision.rule_version})",
            field="fine_yuan",
        )
    return fine_yuan

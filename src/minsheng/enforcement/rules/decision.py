"""The decision rules of 承诺+执法: 首违免罚, 再犯必罚, the Art. 36 time limit and Art. 37
lighter-law selection over a rule base versioned by date.

Pure: plain dataclasses in, a ``Decision`` out that names the item, the rule version, the tier,
the fine range and every reason. No database, no I/O; the rule base is parsed from a dict that the
caller has read (``service/catalog.py`` reads the shipped JSON).

Legal sources (see ``data/PROVENANCE.md``):

* 《行政处罚法》(2021) Art. 33: a minor violation corrected in time with no harmful consequence is
  not punished (mandatory); a first violation with minor harm corrected in time may be exempted —
  here only when the item is on the exemption list and the party signs (or has signed) a credit
  commitment, as in 琼山分局's "首违免罚，信用承诺". Every exemption records the education given.
* SAMR 国市监法〔2025〕10号: "首违" = no same-type violation by the party within 2 years (the
  look-back window, a setting); no leniency for repeats ("再犯必罚").
* Art. 36: not punished if undiscovered for 2 years (5 where life, health or financial safety was
  harmed), counted from the end of a continuing violation.
* Art. 37: the rule in force when the violation happened applies, unless a later one is lighter.
* Art. 5 过罚相当 and the local 裁量基准: tiers 不予/减轻/从轻/一般/从重 with fine bands inside the
  statutory range; a repeat is at least 一般, moved up one tier per aggravating factor.

"Same type" is read as "same rule item" (the literature flags the ambiguity; the item is the
narrowest reading and the one a party can foresee).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any

from minsheng.core.errors import InvalidInput
from minsheng.enforcement.errors import FineOutOfRange, InvalidDate, ItemNotApplicable
from minsheng.enforcement.rules.base import (
    MITIGATING_FACTORS,
    TIER_ORDER,
    TIER_RANK,
    Harm,
    Item,
    Outcome,
    PartyKind,
    Range,
    RuleBase,
    RuleVersion,
    Tier,
)

__all__ = [
    "Harm",
    "Item",
    "Outcome",
    "PartyKind",
    "RuleBase",
    "Tier",
]


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


@dataclass(frozen=True)
class PriorViolation:
    item: str
    occurred_on: date
    penalised: bool


@dataclass(frozen=True)
class CommitmentRef:
    """A signed commitment covering one item, or a whole domain when ``item`` is None."""

    signed_on: date
    valid_until: date
    item: str | None = None
    domain: str | None = None
    ref: str | None = None  # e.g. the commitment's database id, echoed in the reasons

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "tier": self.tier.value if self.tier else None,
            "fine_range_yuan": list(self.fine_range_yuan) if self.fine_range_yuan else None,
            "item": self.item,
            "rule_version": self.rule_version,
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


def _check_factors(rulebase: RuleBase, violation: Violation) -> None:
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


def _show(fine: Range | None) -> str:
    return f"[{fine[0]}, {fine[1]}]" if fine else "none"


def _move_up(tier: Tier, steps: int) -> Tier:
    return TIER_ORDER[min(TIER_RANK[tier] + steps, TIER_RANK[Tier.HEAVIER])]


BASE_TIER = {
    Harm.NONE: Tier.LIGHTER,
    Harm.MINOR: Tier.LIGHTER,
    Harm.GENERAL: Tier.STANDARD,
    Harm.SERIOUS: Tier.HEAVIER,
}


def _education(item: Item) -> str:
    return (
        f"已对当事人开展普法教育：告知其行为违反{item.legal_basis}，责令改正，"
        "并告知再次违法将依法处罚（不罚≠不管）。"
    )


def decide_under(version: RuleVersion, inp: DecisionInput) -> Decision:
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
            reasons=(
                f"rule version {version.version} has no item {v.item}: the act is not "
                "punishable under it (《行政处罚法》第四条、第三十七条)",
            ),
        )
    kind = inp.party_kind
    if kind.value not in item.statutory:
        raise ItemNotApplicable(
            f"item {item.id} applies only to "
            + "/".join(sorted(item.statutory))
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
        key=lambda c: (c.signed_on, c.valid_until, c.ref or ""),
    )
    has_commitment = inp.signs_commitment_now or any(
        c.covers(item) and c.signed_on >= v.occurred_on for c in inp.commitments
    )
    factors: dict[str, Any] = {
        "party_kind": kind.value,
        "harm": v.harm.value,
        "corrected_in_time": v.corrected_in_time,
        "aggravating": sorted(set(v.aggravating)),
        "mitigating": sorted(set(v.mitigating)),
        "prior_violations_in_window": len(priors),
        "lookback_days": inp.lookback_days,
        "commitment_breached": bool(breached),
        "commitment_signed": has_commitment,
    }
    reasons: list[str] = [
        f"item {item.id} ({item.description}) under rule version {version.version}"
    ]
    aggravating_steps = len(set(v.aggravating))
    make = partial(
        Decision,
        item=item.id,
        rule_version=version.version,
        legal_basis=item.legal_basis,
        factors=factors,
    )

    if priors or breached:
        # 再犯必罚: never an exemption, at least 一般, moved up for aggravating factors.
        tier = BASE_TIER[v.harm]
        if TIER_RANK[tier] < TIER_RANK[Tier.STANDARD]:
            tier = Tier.STANDARD
        if breached:
            c = breached[0]
            reasons.append(
                "再犯必罚: violation while a credit commitment for this item was valid "
                f"(signed {c.signed_on.isoformat()}, valid until {c.valid_until.isoformat()})"
            )
        if priors:
            reasons.append(
                f"再犯必罚: {len(priors)} earlier violation(s) of {item.id} within "
                f"{inp.lookback_days} days (last on {priors[-1].occurred_on.isoformat()})"
            )
        reasons.append("a repeat is never exempted and starts at the 一般 tier")
        steps = aggravating_steps
        if len(priors) >= 2:
            steps += 1
            reasons.append("多次实施、屡教不改: two or more earlier violations, one tier up")
        if aggravating_steps:
            reasons.append(
                f"aggravating factors {', '.join(sorted(set(v.aggravating)))}: "
                f"{aggravating_steps} tier(s) up"
            )
        tier = _move_up(tier, steps)
        fine = item.range_for(tier, kind)
        reasons.append(f"tier {tier.value}: fine {_show(fine)} yuan, inside the statutory range")
        return make(
            outcome=Outcome.PENALTY,
            tier=tier,
            fine_range_yuan=fine,
            reasons=tuple(reasons),
            repeat=True,
            breached_commitment=(breached[0].ref or breached[0].signed_on.isoformat())
            if breached
            else None,
        )

    reasons.append(f"首违: no violation of {item.id} within {inp.lookback_days} days before")
    clean = not v.aggravating
    if v.harm is Harm.NONE and v.corrected_in_time and clean:
        reasons.append(
            "《行政处罚法》第三十三条第一款: minor, corrected in time, no harmful consequence — "
            "not punished"
        )
        if not has_commitment:
            reasons.append("a credit commitment is recommended but not required for this ground")
        return make(
            outcome=Outcome.NO_PENALTY,
            tier=Tier.EXEMPT,
            fine_range_yuan=None,
            reasons=tuple(reasons),
            education=_education(item),
        )
    if v.harm is Harm.MINOR and v.corrected_in_time and clean and item.exemptible:
        if has_commitment:
            reasons.append(
                "首违免罚: first violation, minor harm, corrected in time, on the exemption list, "
                "credit commitment signed (《行政处罚法》第三十三条第一款第二句)"
            )
            return make(
                outcome=Outcome.NO_PENALTY,
                tier=Tier.EXEMPT,
                fine_range_yuan=None,
                reasons=tuple(reasons),
                commitment_required=True,
                education=_education(item),
            )
        reasons.append("首违免罚 needs a signed credit commitment; none signed, so no exemption")
    elif v.harm is Harm.MINOR and v.corrected_in_time and clean:
        reasons.append(f"item {item.id} is not on the exemption list: {item.exemption_conditions}")
    else:
        if not v.corrected_in_time:
            reasons.append("not corrected in time: no exemption")
        if not clean:
            reasons.append("aggravating factors present: no exemption")
        if v.harm in (Harm.GENERAL, Harm.SERIOUS):
            reasons.append(f"harm {v.harm.value}: not a minor violation")
    tier = _move_up(BASE_TIER[v.harm], aggravating_steps)
    reasons.append(f"harm {v.harm.value}: base tier {BASE_TIER[v.harm].value}")
    if aggravating_steps:
        reasons.append(f"aggravating factors: {aggravating_steps} tier(s) up")
    if v.mitigating and not aggravating_steps:
        # Art. 32: 应当从轻或者减轻; a first violation with a mitigating ground goes to 减轻
        # when its base tier is already the lowest band, otherwise one band down.
        tier = Tier.REDUCED if tier is Tier.LIGHTER else TIER_ORDER[TIER_RANK[tier] - 1]
        reasons.append(
            "mitigating factors (《行政处罚法》第三十二条): "
            + "; ".join(MITIGATING_FACTORS[m] for m in sorted(set(v.mitigating)))
        )
    fine = item.range_for(tier, kind)
    reasons.append(f"tier {tier.value}: fine {_show(fine)} yuan")
    return make(
        outcome=Outcome.PENALTY,
        tier=tier,
        fine_range_yuan=fine,
        reasons=tuple(reasons),
    )


def _lightness(d: Decision) -> tuple[int, int, int, int]:
    outcome_rank = 0 if d.outcome is not Outcome.PENALTY else 1
    fine = d.fine_range_yuan or (0, 0)
    return (outcome_rank, fine[1], fine[0], TIER_RANK[d.tier] if d.tier else 0)


def decide(rulebase: RuleBase, inp: DecisionInput, *, today: date) -> Decision:
    """Decide one violation: time limit, then the version in force or a lighter later one."""
    v = inp.violation
    decided_on = inp.decided_on or v.discovered_on
    check_dates(v, decided_on, today)
    rulebase.require_item(v.item, field_name="violation.item")
    _check_factors(rulebase, v)
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
            reasons=(
                f"no rule in force on {v.occurred_on.isoformat()} made item {v.item} punishable "
                "(法不溯及既往, 《行政处罚法》第三十七条)",
            ),
        )
    best = decide_under(at_time, inp)
    for later in rulebase.versions:
        # A later version that carries the very same item (inherited unchanged) cannot be
        # lighter, so only versions that changed or repealed the item are tried.
        if (
            at_time.effective_from < later.effective_from <= decided_on
            and later.items.get(v.item) is not at_time.items[v.item]
        ):
            candidate = decide_under(later, inp)
            if _lightness(candidate) < _lightness(best):
                best = Decision(
                    outcome=candidate.outcome,
                    tier=candidate.tier,
                    fine_range_yuan=candidate.fine_range_yuan,
                    item=candidate.item,
                    rule_version=candidate.rule_version,
                    reasons=(
                        *candidate.reasons,
                        f"《行政处罚法》第三十七条 从旧兼从轻: version {later.version} (from "
                        f"{later.effective_from.isoformat()}) is lighter than {at_time.version} "
                        "in force when the violation happened",
                    ),
                    legal_basis=candidate.legal_basis,
                    repeat=candidate.repeat,
                    breached_commitment=candidate.breached_commitment,
                    commitment_required=candidate.commitment_required,
                    education=candidate.education,
                    factors=candidate.factors,
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

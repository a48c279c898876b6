"""Decision rules: 首违免罚, 再犯必罚, Art. 36 and Art. 37, fine ranges, and their invariants."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsheng.core.errors import InvalidInput
from minsheng.enforcement.errors import (
    FineOutOfRange,
    InvalidDate,
    InvalidRuleBase,
    ItemNotApplicable,
    UnknownItem,
)
from minsheng.enforcement.rules import decision as rules
from minsheng.enforcement.rules import inputs as rules_input
from minsheng.enforcement.rules.base import (
    TIER_RANK,
    Harm,
    Outcome,
    PartyKind,
    Tier,
    parse_rulebase,
)
from minsheng.enforcement.service import catalog
from tests.enforcement.factories import decide_json

TODAY = date(2026, 11, 27)
RB = catalog.rulebase()


def run(data: dict[str, Any], lookback: int = 730) -> rules.Decision:
    return rules.decide(
        RB, rules_input.parse_decision_input(data, lookback_days=lookback), today=TODAY
    )


class TestFirstViolation:
    def test_minor_corrected_with_commitment_is_exempt_with_education(self) -> None:
        d = run(decide_json())
        assert d.outcome is Outcome.NO_PENALTY
        assert d.tier is Tier.EXEMPT
        assert d.fine_range_yuan is None
        assert d.item == "ZD-01"
        assert d.rule_version == "QS-2025.1"
        assert d.education and "普法教育" in d.education
        assert any("首违免罚" in r for r in d.reasons)

    def test_without_commitment_no_exemption_but_lighter_tier(self) -> None:
        d = run(decide_json(signs_commitment_now=False))
        assert d.outcome is Outcome.PENALTY
        assert d.tier is Tier.LIGHTER
        assert d.fine_range_yuan == (100, 300)
        assert any("commitment" in r for r in d.reasons)

    def test_commitment_signed_after_the_violation_counts_as_signed(self) -> None:
        data = decide_json(
            signs_commitment_now=False,
            commitments=[{"item": "ZD-01", "signed_on": "2025-05-02", "valid_until": "2027-05-02"}],
        )
        assert run(data).outcome is Outcome.NO_PENALTY

    def test_no_harm_corrected_is_not_punished_even_without_commitment(self) -> None:
        d = run(decide_json(harm="none", signs_commitment_now=False))
        assert d.outcome is Outcome.NO_PENALTY
        assert any("第三十三条第一款" in r for r in d.reasons)

    def test_item_not_on_the_exemption_list(self) -> None:
        data = decide_json(item="GC-01")
        d = run(data)
        assert d.outcome is Outcome.PENALTY
        assert d.tier is Tier.LIGHTER
        assert d.fine_range_yuan == (10000, 30000)

    def test_not_corrected_in_time_is_penalised(self) -> None:
        d = run(decide_json(corrected_in_time=False))
        assert d.outcome is Outcome.PENALTY

    def test_harm_sets_the_base_tier_and_aggravating_moves_up(self) -> None:
        assert run(decide_json(harm="general")).tier is Tier.STANDARD
        assert run(decide_json(harm="serious")).tier is Tier.HEAVIER
        d = run(decide_json(harm="general", aggravating=["obstructed_inspection"]))
        assert d.tier is Tier.HEAVIER

    def test_mitigating_factor_reduces_below_minimum(self) -> None:
        data = decide_json(corrected_in_time=False)
        data["violation"]["mitigating"] = ["eliminated_harm"]
        d = run(data)
        assert d.tier is Tier.REDUCED
        assert d.fine_range_yuan == (0, 100)


class TestRepeat:
    def test_violation_during_a_valid_commitment_is_penalised(self) -> None:
        data = decide_json(
            commitments=[
                {"item": "ZD-01", "signed_on": "2024-06-01", "valid_until": "2026-06-01", "id": 7}
            ]
        )
        d = run(data)
        assert d.outcome is Outcome.PENALTY
        assert d.tier is Tier.STANDARD
        assert d.repeat
        assert d.breached_commitment == "7"
        assert any("再犯必罚" in r for r in d.reasons)

    def test_domain_commitment_covers_every_item_of_the_domain(self) -> None:
        data = decide_json(
            item="GC-02",
            commitments=[
                {"domain": "construction", "signed_on": "2024-06-01", "valid_until": "2026-06-01"}
            ],
        )
        assert run(data).repeat

    def test_expired_commitment_is_not_a_breach(self) -> None:
        data = decide_json(
            commitments=[{"item": "ZD-01", "signed_on": "2022-01-01", "valid_until": "2024-01-01"}]
        )
        assert run(data).outcome is Outcome.NO_PENALTY

    def test_prior_violation_in_window(self) -> None:
        data = decide_json(
            history=[{"item": "ZD-01", "occurred_on": "2024-01-01", "penalised": False}]
        )
        d = run(data)
        assert d.outcome is Outcome.PENALTY
        assert d.repeat

    def test_prior_outside_window_or_other_item_is_ignored(self) -> None:
        data = decide_json(
            history=[
                {"item": "ZD-01", "occurred_on": "2023-04-30", "penalised": True},
                {"item": "ZD-02", "occurred_on": "2025-01-01", "penalised": True},
            ]
        )
        assert run(data).outcome is Outcome.NO_PENALTY
        assert run(data, lookback=3 * 365).outcome is Outcome.PENALTY

    def test_two_priors_move_one_tier_up(self) -> None:
        data = decide_json(
            history=[
                {"item": "ZD-01", "occurred_on": "2024-01-01", "penalised": False},
                {"item": "ZD-01", "occurred_on": "2024-09-01", "penalised": True},
            ]
        )
        d = run(data)
        assert d.tier is Tier.HEAVIER
        assert d.fine_range_yuan == (600, 1000)

    def test_repeat_with_no_harm_is_still_penalised(self) -> None:
        data = decide_json(
            harm="none",
            history=[{"item": "ZD-01", "occurred_on": "2024-01-01", "penalised": False}],
        )
        assert run(data).outcome is Outcome.PENALTY


class TestTimeAndVersions:
    def test_time_barred_after_two_years(self) -> None:
        d = run(decide_json(occurred_on="2023-01-01", discovered_on="2025-01-02"))
        assert d.outcome is Outcome.TIME_BARRED
        assert d.fine_range_yuan is None
        assert any("第三十六条" in r for r in d.reasons)

    def test_continuing_violation_counts_from_its_end(self) -> None:
        data = decide_json(occurred_on="2022-01-01", discovered_on="2025-01-02")
        data["violation"]["ended_on"] = "2024-12-01"
        assert run(data).outcome is not Outcome.TIME_BARRED

    def test_five_years_when_safety_was_endangered(self) -> None:
        data = decide_json(occurred_on="2021-09-01", discovered_on="2025-01-02")
        assert run(data).outcome is Outcome.TIME_BARRED
        data["violation"]["endangers_safety"] = True
        assert run(data).outcome is not Outcome.TIME_BARRED

    def test_later_lighter_version_applies(self) -> None:
        data = decide_json(
            item="LJ-01",
            occurred_on="2025-01-05",
            discovered_on="2025-01-06",
            harm="general",
            corrected_in_time=False,
        )
        data["party"] = {"type": "person"}
        at_the_time = run({**data, "decided_on": "2025-02-01"})
        assert at_the_time.rule_version == "QS-2021.1"
        assert at_the_time.fine_range_yuan == (100, 200)
        later = run({**data, "decided_on": "2025-04-01"})
        assert later.rule_version == "QS-2025.1"
        assert later.fine_range_yuan == (80, 150)
        assert any("第三十七条" in r for r in later.reasons)

    def test_no_rule_in_force_at_the_time(self) -> None:
        d = run(decide_json(occurred_on="2020-01-01", discovered_on="2021-01-01"))
        assert d.outcome is Outcome.NO_PENALTY
        assert d.rule_version == "none"


class TestBadInput:
    @pytest.mark.parametrize(
        ("change", "error", "field"),
        [
            ({"item": "XX-99"}, UnknownItem, "violation.item"),
            ({"occurred_on": "2030-01-01"}, InvalidDate, "violation.occurred_on"),
            ({"discovered_on": "2025-04-01"}, InvalidDate, "violation.discovered_on"),
            ({"occurred_on": "2025-13-01"}, InvalidDate, "violation.occurred_on"),
            ({"harm": "huge"}, InvalidInput, "violation.harm"),
            ({"aggravating": ["bad_mood"]}, InvalidInput, "violation.aggravating"),
            ({"corrected_in_time": "yes"}, InvalidInput, "violation.corrected_in_time"),
        ],
    )
    def test_refused_with_field(self, change: dict[str, Any], error: type, field: str) -> None:
        with pytest.raises(error) as info:
            run(decide_json(**change))
        assert info.value.field == field

    def test_decision_before_discovery(self) -> None:
        with pytest.raises(InvalidDate) as info:
            run(decide_json(decided_on="2025-04-01"))
        assert info.value.field == "decided_on"

    def test_item_for_organisations_only(self) -> None:
        data = decide_json(item="GC-01")
        data["party"] = {"type": "person"}
        with pytest.raises(ItemNotApplicable):
            run(data)

    def test_fine_outside_range_is_refused(self) -> None:
        d = run(decide_json(signs_commitment_now=False))
        assert rules.check_fine(d, 100) == 100
        assert rules.check_fine(d, 300) == 300
        for bad in (99, 301, None):
            with pytest.raises(FineOutOfRange):
                rules.check_fine(d, bad)
        exempt = run(decide_json())
        assert rules.check_fine(exempt, None) is None
        with pytest.raises(FineOutOfRange):
            rules.check_fine(exempt, 50)

    def test_rulebase_band_outside_statutory_range_is_refused(self) -> None:
        data = catalog.read_json("rulebase.json")
        broken = copy.deepcopy(data)
        broken["versions"][0]["items"][0]["tiers"]["heavier"]["person"] = [600, 5000]
        with pytest.raises(InvalidRuleBase):
            parse_rulebase(broken)
        falling = copy.deepcopy(data)
        falling["versions"][0]["items"][0]["tiers"]["standard"]["person"] = [100, 200]
        falling["versions"][0]["items"][0]["tiers"]["lighter"]["person"] = [300, 400]
        with pytest.raises(InvalidRuleBase):
            parse_rulebase(falling)


# --------------------------------------------------------------------------------------------
# Properties

ITEMS = [(i, k) for i in sorted({i for v in RB.versions for i in v.items}) for k in PartyKind]
APPLICABLE = [(i, k) for i, k in ITEMS if k.value in (RB.latest_item(i) or object()).statutory]  # type: ignore[union-attr]


@st.composite
def violations(draw: st.DrawFn) -> tuple[PartyKind, rules.Violation]:
    item, kind = draw(st.sampled_from(APPLICABLE))
    occurred = draw(st.dates(min_value=date(2021, 7, 15), max_value=date(2026, 10, 1)))
    discovered = occurred + timedelta(days=draw(st.integers(0, 900)))
    if discovered > TODAY:
        discovered = TODAY
    return kind, rules.Violation(
        item=item,
        occurred_on=occurred,
        discovered_on=discovered,
        harm=draw(st.sampled_from(list(Harm))),
        corrected_in_time=draw(st.booleans()),
        aggravating=tuple(draw(st.sets(st.sampled_from(sorted(RB.aggravating)), max_size=3))),
        mitigating=tuple(
            draw(st.sets(st.sampled_from(["eliminated_harm", "coerced"]), max_size=1))
        ),
        endangers_safety=draw(st.booleans()),
    )


@settings(max_examples=200, deadline=None)
@given(violations(), st.booleans(), st.integers(1, 729), st.booleans())
def test_repeat_is_never_lighter_than_first(
    case: tuple[PartyKind, rules.Violation], signs: bool, days_before: int, via_commitment: bool
) -> None:
    kind, v = case
    first = rules.decide(
        RB,
        rules.DecisionInput(party_kind=kind, violation=v, signs_commitment_now=signs),
        today=TODAY,
    )
    earlier = v.occurred_on - timedelta(days=days_before)
    if via_commitment:
        extra: dict[str, Any] = {
            "commitments": (
                rules.CommitmentRef(
                    signed_on=earlier, valid_until=v.occurred_on + timedelta(days=1), item=v.item
                ),
            )
        }
    else:
        extra = {
            "history": (rules.PriorViolation(item=v.item, occurred_on=earlier, penalised=True),)
        }
    repeat = rules.decide(
        RB,
        rules.DecisionInput(party_kind=kind, violation=v, signs_commitment_now=signs, **extra),
        today=TODAY,
    )
    if first.outcome is Outcome.TIME_BARRED:
        assert repeat.outcome is Outcome.TIME_BARRED
        return
    if first.rule_version == "none":
        return
    assert repeat.outcome is Outcome.PENALTY
    assert repeat.tier is not None
    assert TIER_RANK[repeat.tier] >= TIER_RANK[Tier.STANDARD]
    if first.outcome is Outcome.PENALTY:
        assert first.tier is not None
        assert TIER_RANK[repeat.tier] >= TIER_RANK[first.tier]
        assert repeat.fine_range_yuan is not None
        assert first.fine_range_yuan is not None
        assert repeat.fine_range_yuan[0] >= first.fine_range_yuan[0]
        assert repeat.fine_range_yuan[1] >= first.fine_range_yuan[1]


@settings(max_examples=200, deadline=None)
@given(violations(), st.booleans(), st.lists(st.integers(1, 1500), max_size=4))
def test_fine_range_is_inside_the_statutory_range(
    case: tuple[PartyKind, rules.Violation], signs: bool, prior_days: list[int]
) -> None:
    kind, v = case
    history = tuple(
        rules.PriorViolation(
            item=v.item, occurred_on=v.occurred_on - timedelta(days=d), penalised=True
        )
        for d in prior_days
    )
    d = rules.decide(
        RB,
        rules.DecisionInput(
            party_kind=kind, violation=v, history=history, signs_commitment_now=signs
        ),
        today=TODAY,
    )
    if d.outcome is not Outcome.PENALTY:
        assert d.fine_range_yuan is None
        return
    assert d.fine_range_yuan is not None
    low, high = d.fine_range_yuan
    statutory = RB.latest_item(v.item).statutory[kind.value]  # type: ignore[union-attr]
    assert 0 <= low <= high <= statutory[1]
    if d.tier is not Tier.REDUCED:
        assert statutory[0] <= low
    assert rules.check_fine(d, low) == low
    assert rules.check_fine(d, high) == high
    with pytest.raises(FineOutOfRange):
        rules.check_fine(d, high + 1)


@settings(max_examples=200, deadline=None)
@given(violations(), st.lists(st.integers(1, 1500), max_size=4), st.randoms(use_true_random=False))
def test_decision_depends_only_on_its_inputs(
    case: tuple[PartyKind, rules.Violation], prior_days: list[int], rnd: Any
) -> None:
    kind, v = case
    history = [
        rules.PriorViolation(
            item=v.item, occurred_on=v.occurred_on - timedelta(days=d), penalised=False
        )
        for d in prior_days
    ]
    commitments = [
        rules.CommitmentRef(
            signed_on=v.occurred_on - timedelta(days=d + 1),
            valid_until=v.occurred_on + timedelta(days=d),
            item=v.item,
            ref=str(d),
        )
        for d in prior_days
    ]

    def run() -> rules.Decision:
        inp = rules.DecisionInput(
            party_kind=kind, violation=v, history=tuple(history), commitments=tuple(commitments)
        )
        return rules.decide(RB, inp, today=TODAY)

    a = run()
    assert run() == a
    rnd.shuffle(history)
    rnd.shuffle(commitments)
    b = run()
    assert a.to_dict() == b.to_dict()

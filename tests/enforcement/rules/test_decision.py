"""Decision rules: 首违免罚, 再犯必罚, Art. 36 and Art. 37, fine ranges, and their invariants."""

from __future__ import annotations

import copy
from dataclasses import replace
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
    def test_violation_during_a_commitment_signed_in_a_case_is_penalised(self) -> None:
        data = decide_json(
            commitments=[
                {
                    "item": "ZD-01",
                    "signed_on": "2024-06-01",
                    "valid_until": "2026-06-01",
                    "id": 7,
                    "kind": "case",
                }
            ]
        )
        d = run(data)
        assert d.outcome is Outcome.PENALTY
        assert d.tier is Tier.STANDARD
        assert d.repeat
        assert d.rule_id == "PENALTY-REPEAT"
        assert d.breached_commitment == "7"
        assert any("再犯必罚" in r for r in d.reasons)

    def test_commitment_signed_in_advance_makes_no_repeat(self) -> None:
        # Issue item 4: a campaign commitment (no violation before it) and a first minor
        # violation: a first violation on the 首违免罚 path, the breach recorded.
        data = decide_json(
            commitments=[
                {
                    "item": "ZD-01",
                    "signed_on": "2024-06-01",
                    "valid_until": "2026-06-01",
                    "id": 7,
                    "kind": "proactive",
                }
            ]
        )
        d = run(data)
        assert not d.repeat
        assert d.outcome is Outcome.NO_PENALTY
        assert d.rule_id == "ART33-1-FIRST"
        assert d.breached_commitment == "7"
        assert any("not 再犯" in r for r in d.reasons)
        # Without a new commitment it is a first-violation penalty (从轻), never 再犯必罚.
        d = run({**data, "signs_commitment_now": False})
        assert (d.outcome, d.tier, d.repeat, d.rule_id) == (
            Outcome.PENALTY,
            Tier.LIGHTER,
            False,
            "PENALTY-FIRST",
        )

    def test_domain_commitment_covers_every_item_of_the_domain(self) -> None:
        commitment = {
            "domain": "construction",
            "signed_on": "2024-06-01",
            "valid_until": "2026-06-01",
            "kind": "repair",
            "violation_item": "GC-02",
        }
        d = run(decide_json(item="GC-02", commitments=[commitment]))
        assert d.repeat and d.breached_commitment
        # Breaking it with another item is a breach, but no earlier violation of that item.
        other = run(decide_json(item="GC-03", commitments=[commitment]))
        assert other.breached_commitment and not other.repeat
        assert any("not 再犯" in r for r in other.reasons)

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

    def test_repeat_without_harm_corrected_is_not_punished(self) -> None:
        # Issue item 1: Art. 33(1) first sentence holds whatever the history.
        data = decide_json(
            harm="none",
            signs_commitment_now=False,
            history=[{"item": "ZD-01", "occurred_on": "2024-01-01", "penalised": True}],
        )
        d = run(data)
        assert d.outcome is Outcome.NO_PENALTY
        assert d.rule_id == "ART33-1-MINOR"
        assert d.repeat
        assert d.education and "第三十三条第三款" in d.education
        assert any(RB.minor.source in r for r in d.reasons)

    def test_what_is_minor_for_a_repeat_is_the_rule_base_setting(self) -> None:
        two = [
            {"item": "ZD-01", "occurred_on": "2024-01-01", "penalised": True},
            {"item": "ZD-01", "occurred_on": "2024-09-01", "penalised": True},
        ]
        data = decide_json(harm="none", signs_commitment_now=False, history=two)
        assert RB.minor.repeat_max_priors == 1
        d = run(data)
        assert d.outcome is Outcome.PENALTY
        assert any("not 轻微" in r for r in d.reasons)
        raw = catalog.read_json("rulebase.json")
        raw["minor_violation"]["repeat_max_priors"] = None
        lenient = parse_rulebase(raw)
        inp = rules_input.parse_decision_input(data, lookback_days=730)
        assert rules.decide(lenient, inp, today=TODAY).outcome is Outcome.NO_PENALTY
        raw["minor_violation"]["repeat_max_priors"] = 0
        strict = parse_rulebase(raw)
        one = decide_json(harm="none", signs_commitment_now=False, history=two[:1])
        inp = rules_input.parse_decision_input(one, lookback_days=730)
        assert rules.decide(strict, inp, today=TODAY).outcome is Outcome.PENALTY
        del raw["minor_violation"]["source"]
        with pytest.raises(InvalidRuleBase):
            parse_rulebase(raw)

    def test_no_harm_with_aggravating_factor_is_not_minor(self) -> None:
        d = run(decide_json(harm="none", aggravating=["obstructed_inspection"]))
        assert d.outcome is Outcome.PENALTY


def born(years_before: int, day: str = "2025-05-01", shift: int = 0) -> str:
    d = date.fromisoformat(day)
    return (d.replace(year=d.year - years_before) + timedelta(days=shift)).isoformat()


def as_person(data: dict[str, Any], **party: Any) -> dict[str, Any]:
    data["party"] = {"type": "person", **party}
    data["violation"]["item"] = "ZD-02"
    return data


class TestMandatoryArticles:
    """Issue item 2: Art. 30, 31 and 33(2); every outcome named, education recorded."""

    def test_under_14_is_not_punished_even_for_a_serious_repeat(self) -> None:
        data = as_person(
            decide_json(
                harm="serious",
                corrected_in_time=False,
                history=[{"item": "ZD-02", "occurred_on": "2024-01-01", "penalised": True}],
            ),
            birth_date=born(13, shift=-10),
        )
        d = run(data)
        assert (d.outcome, d.rule_id) == (Outcome.NO_PENALTY, "ART30-UNDER-14")
        assert d.education and "监护人加以管教" in d.education
        assert d.factors["age_at_violation"] == 13

    def test_fourteen_is_reached_the_day_after_the_birthday(self) -> None:
        on_birthday = run(as_person(decide_json(harm="general"), birth_date=born(14)))
        assert on_birthday.rule_id == "ART30-UNDER-14"
        day_after = run(as_person(decide_json(harm="general"), birth_date=born(14, shift=-1)))
        assert day_after.outcome is Outcome.PENALTY
        assert day_after.factors["age_at_violation"] == 14

    def test_14_to_18_is_mitigated_by_law(self) -> None:
        adult = run(as_person(decide_json(harm="general"), birth_date=born(30)))
        minor = run(as_person(decide_json(harm="general"), birth_date=born(16)))
        assert adult.tier is Tier.STANDARD
        assert minor.tier is Tier.LIGHTER
        assert any("第三十条" in r for r in minor.reasons)
        eighteen = run(as_person(decide_json(harm="general"), birth_date=born(18, shift=-1)))
        assert eighteen.tier is Tier.STANDARD

    def test_age_from_the_id_number(self) -> None:
        from tests.enforcement.factories import id_number

        number = id_number(born=born(13).replace("-", ""))
        d = run(as_person(decide_json(), id_number=number))
        assert d.rule_id == "ART30-UNDER-14"
        assert number not in str(d.to_dict())
        with pytest.raises(InvalidInput) as info:
            run(as_person(decide_json(), id_number=number, birth_date="1990-01-01"))
        assert info.value.field == "party.birth_date"

    def test_mental_illness_unable_to_control_is_not_punished(self) -> None:
        data = as_person(decide_json(harm="serious"), birth_date=born(40))
        data["violation"]["mental_state"] = "incapable"
        d = run(data)
        assert (d.outcome, d.rule_id) == (Outcome.NO_PENALTY, "ART31-INCAPABLE")
        assert d.education and "严加看管和治疗" in d.education

    def test_limited_capacity_widens_the_range_down(self) -> None:
        data = as_person(decide_json(harm="general"), birth_date=born(40))
        normal = run(data)
        data["violation"]["mental_state"] = "limited"
        limited = run(data)
        assert normal.fine_range_yuan is not None and limited.fine_range_yuan is not None
        assert limited.tier is normal.tier
        assert limited.fine_range_yuan[1] == normal.fine_range_yuan[1]
        assert limited.fine_range_yuan[0] < normal.fine_range_yuan[0]
        assert limited.factors["discretionary_mitigation"] == "第三十一条"

    def test_person_only_inputs_refused_for_organisations(self) -> None:
        data = decide_json()
        data["violation"]["mental_state"] = "limited"
        with pytest.raises(InvalidInput) as info:
            run(data)
        assert info.value.field == "violation.mental_state"
        data = decide_json()
        data["party"]["birth_date"] = "1990-01-01"
        with pytest.raises(InvalidInput) as info:
            run(data)
        assert info.value.field == "party.birth_date"

    def test_no_subjective_fault_is_not_punished_even_for_a_repeat(self) -> None:
        data = decide_json(
            harm="general",
            history=[{"item": "ZD-01", "occurred_on": "2024-01-01", "penalised": True}],
        )
        data["violation"]["no_fault_proven"] = True
        d = run(data)
        assert (d.outcome, d.rule_id) == (Outcome.NO_PENALTY, "ART33-2-NO-FAULT")

    def test_no_fault_yields_to_a_law_that_says_otherwise(self) -> None:
        raw = catalog.read_json("rulebase.json")
        raw["versions"][0]["items"][0]["no_fault_exception"] = "某行政法规第X条（测试）"
        raw["versions"] = raw["versions"][:1]
        rb = parse_rulebase(raw)
        data = decide_json(harm="general")
        data["violation"]["no_fault_proven"] = True
        d = rules.decide(rb, rules_input.parse_decision_input(data, lookback_days=730), today=TODAY)
        assert d.outcome is Outcome.PENALTY
        assert any("从其规定" in r for r in d.reasons)


class TestMitigation:
    """Issue item 3: Art. 32 is mandatory on every path, (五) included."""

    @pytest.mark.parametrize("factor", ["eliminated_harm", "coerced", "confessed", "meritorious"])
    def test_every_factor_on_the_repeat_path_with_aggravation(self, factor: str) -> None:
        data = decide_json(
            harm="general",
            aggravating=["public_complaints"],
            history=[{"item": "ZD-01", "occurred_on": "2024-01-01", "penalised": True}],
        )
        without = run(data)
        data["violation"]["mitigating"] = [factor]
        with_it = run(data)
        assert without.tier is Tier.HEAVIER
        assert with_it.tier is Tier.STANDARD
        assert with_it.repeat and with_it.rule_id == "PENALTY-REPEAT"
        assert any("第三十二条" in r for r in with_it.reasons)

    def test_other_statutory_ground_needs_its_provision(self) -> None:
        data = decide_json(harm="general")
        data["violation"]["mitigating"] = ["other_statutory"]
        with pytest.raises(InvalidInput) as info:
            run(data)
        assert info.value.field == "violation.mitigating_basis"
        data["violation"]["mitigating_basis"] = ["《某规章》第十条（测试）"]
        d = run(data)
        assert d.tier is Tier.LIGHTER
        assert any("《某规章》第十条" in r for r in d.reasons)
        data["violation"]["mitigating"] = []
        with pytest.raises(InvalidInput):
            run(data)


class TestRuleData:
    def test_every_decision_names_its_rule_and_the_rule_set_status(self) -> None:
        d = run(decide_json()).to_dict()
        assert d["rule_id"] == "ART33-1-FIRST"
        assert "第三十三条第一款第二句" in d["rule_source"]
        assert d["rule_version"] == "QS-2025.1"
        assert d["rule_set"]["status"] == "demo"
        assert "演示" in d["rule_set"]["label"]

    def test_an_official_rule_base_must_name_its_source(self) -> None:
        raw = catalog.read_json("rulebase.json")
        raw["demo"] = False
        raw["source"] = ""
        with pytest.raises(InvalidRuleBase):
            parse_rulebase(raw)
        raw["source"] = "琼山分局裁量基准（测试）"
        assert parse_rulebase(raw).status_dict()["status"] == "official"
        del raw["demo"]
        with pytest.raises(InvalidRuleBase):
            parse_rulebase(raw)

    def test_farmland_fine_is_a_multiple_of_the_reclamation_fee(self) -> None:
        data = as_person(decide_json(harm="general", corrected_in_time=False), birth_date=born(40))
        data["violation"]["item"] = "GD-01"
        with pytest.raises(InvalidInput) as info:
            run(data)
        assert info.value.field == "violation.fine_base_yuan"
        data["violation"]["fine_base_yuan"] = 10000
        d = run(data)
        assert d.tier is Tier.STANDARD
        assert d.fine_range_yuan == (13000, 16000)
        data["violation"]["fine_base_yuan"] = 20000
        assert run(data).fine_range_yuan == (26000, 32000)
        assert "耕地开垦费" in RB.latest_item("GD-01").to_dict()["fine_multiple"]["of"]  # type: ignore[union-attr]

    def test_legal_bases_fixed(self) -> None:
        gc02 = RB.latest_item("GC-02")
        zd01 = RB.latest_item("ZD-01")
        assert gc02 is not None and zd01 is not None
        assert "第十七条" not in gc02.legal_basis.split("不再引用")[0].replace("第十七条（涂写", "")
        assert "待核实" in gc02.legal_basis
        assert "Shenyang" in zd01.ranges_source and "NOT the national" in zd01.ranges_source


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
        mitigating=tuple(draw(st.sets(st.sampled_from(ART32), max_size=2))),
        endangers_safety=draw(st.booleans()),
        fine_base_yuan=draw(st.integers(0, 60000)),
    )


ART32 = ["eliminated_harm", "coerced", "confessed", "meritorious"]


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
                    signed_on=earlier,
                    valid_until=v.occurred_on + timedelta(days=1),
                    item=v.item,
                    after_violation=True,
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
    assert repeat.repeat
    if repeat.outcome is not Outcome.PENALTY:
        # Only a mandatory article exempts a repeat, and it exempts the first violation too.
        assert repeat.rule_id in {"ART33-1-MINOR", "ART33-2-NO-FAULT"}
        assert first.outcome is Outcome.NO_PENALTY
        return
    assert repeat.tier is not None
    if not v.mitigating:
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
    statutory = RB.latest_item(v.item).statutory_for(kind, v.fine_base_yuan)  # type: ignore[union-attr]
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


def _heaviness(d: rules.Decision) -> tuple[int, int, int]:
    if d.outcome is not Outcome.PENALTY:
        return (0, 0, 0)
    assert d.fine_range_yuan is not None
    return (1, d.fine_range_yuan[1], d.fine_range_yuan[0])


@settings(max_examples=300, deadline=None)
@given(
    violations(),
    st.sampled_from(ART32),
    st.lists(st.integers(1, 729), max_size=3),
    st.booleans(),
    st.booleans(),
)
def test_an_art32_factor_never_makes_it_heavier(
    case: tuple[PartyKind, rules.Violation],
    factor: str,
    prior_days: list[int],
    signs: bool,
    via_commitment: bool,
) -> None:
    """Issue item 3: on every path (first, repeat, aggravated) a mitigating factor never yields
    a heavier outcome, and a penalty with it is strictly lighter in tier."""
    kind, v = case
    history = tuple(
        rules.PriorViolation(
            item=v.item, occurred_on=v.occurred_on - timedelta(days=d), penalised=True
        )
        for d in prior_days
    )
    commitments = (
        (
            rules.CommitmentRef(
                signed_on=v.occurred_on - timedelta(days=30),
                valid_until=v.occurred_on + timedelta(days=30),
                item=v.item,
                after_violation=True,
            ),
        )
        if via_commitment
        else ()
    )

    def run_with(mitigating: tuple[str, ...]) -> rules.Decision:
        inp = rules.DecisionInput(
            party_kind=kind,
            violation=replace(v, mitigating=mitigating),
            history=history,
            commitments=commitments,
            signs_commitment_now=signs,
        )
        return rules.decide(RB, inp, today=TODAY)

    base = tuple(m for m in v.mitigating if m != factor)
    without = run_with(())
    others = run_with(base)
    with_it = run_with((*base, factor))
    assert _heaviness(with_it) <= _heaviness(others) <= _heaviness(without)
    if without.outcome is Outcome.PENALTY and with_it.outcome is Outcome.PENALTY:
        assert without.tier is not None and with_it.tier is not None
        assert TIER_RANK[with_it.tier] < TIER_RANK[without.tier] or without.tier is Tier.REDUCED


@settings(max_examples=300, deadline=None)
@given(
    violations(),
    st.lists(st.integers(1, 729), max_size=1),
    st.lists(st.tuples(st.integers(1, 729), st.booleans()), max_size=3),
    st.booleans(),
)
def test_no_harm_corrected_minor_is_never_punished(
    case: tuple[PartyKind, rules.Violation],
    prior_days: list[int],
    commitment_days: list[tuple[int, bool]],
    signs: bool,
) -> None:
    """Issue item 1: 轻微 (per the rule base: no aggravating factor, at most the set number of
    earlier violations), corrected in time, no harm — never punished, whatever the commitments."""
    kind, v = case
    v = replace(v, harm=Harm.NONE, corrected_in_time=True, aggravating=())
    assert RB.minor.repeat_max_priors is not None
    history = tuple(
        rules.PriorViolation(
            item=v.item, occurred_on=v.occurred_on - timedelta(days=d), penalised=True
        )
        for d in prior_days[: RB.minor.repeat_max_priors]
    )
    commitments = tuple(
        rules.CommitmentRef(
            signed_on=v.occurred_on - timedelta(days=d),
            valid_until=v.occurred_on + timedelta(days=d),
            item=v.item,
            after_violation=after,
        )
        for d, after in commitment_days
    )
    d = rules.decide(
        RB,
        rules.DecisionInput(
            party_kind=kind,
            violation=v,
            history=history,
            commitments=commitments,
            signs_commitment_now=signs,
        ),
        today=TODAY,
    )
    assert d.outcome is not Outcome.PENALTY
    if d.outcome is Outcome.NO_PENALTY and d.rule_version != "none":
        assert d.education


@settings(max_examples=200, deadline=None)
@given(violations(), st.integers(14, 17), st.booleans())
def test_a_minor_of_14_to_18_is_never_heavier_than_an_adult(
    case: tuple[PartyKind, rules.Violation], age: int, repeat: bool
) -> None:
    _, v = case
    if not RB.latest_item(v.item).applies_to("person"):  # type: ignore[union-attr]
        return
    history = (
        (
            rules.PriorViolation(
                item=v.item, occurred_on=v.occurred_on - timedelta(days=10), penalised=True
            ),
        )
        if repeat
        else ()
    )

    def at(years: int) -> rules.Decision:
        birth = v.occurred_on.replace(year=v.occurred_on.year - years - 1, month=1, day=1)
        inp = rules.DecisionInput(
            party_kind=PartyKind.PERSON, violation=v, history=history, party_birth_date=birth
        )
        return rules.decide(RB, inp, today=TODAY)

    young, adult = at(age), at(30)
    assert _heaviness(young) <= _heaviness(adult)

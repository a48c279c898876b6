"""Pure rules: the skill-upgrade subsidy under the shipped national rule sets."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from minsheng.certification import service
from minsheng.certification.rules import subsidy
from minsheng.certification.rules.subsidy import PreviousClaim, SubsidyApplication

# The national sets are data (data/subsidy_rule_sets.json); the rules under test are the logic.
NATIONAL = tuple(r for r in service.subsidy_rule_sets() if r.province is None)


def decide(
    application: SubsidyApplication, rule_sets: tuple[subsidy.SubsidyRuleSet, ...] = NATIONAL
) -> subsidy.SubsidyDecision:
    return subsidy.decide(application, rule_sets)


def app(**kw: object) -> SubsidyApplication:
    base: dict[str, object] = {
        "insured_months": 14,
        "category": subsidy.ENTERPRISE_EMPLOYEE,
        "province_code": "44",
        "occupation_code": "4-09-07-04",
        "level": 4,
        "issued_on": date(2024, 3, 1),
        "applied_on": date(2024, 6, 1),
    }
    base.update(kw)
    return SubsidyApplication(**base)  # type: ignore[arg-type]


def failed(decision: subsidy.SubsidyDecision) -> set[str]:
    return {r["rule"] for r in decision.reasons if not r["ok"]}


class TestSubsidy:
    def test_level_caps(self) -> None:
        for level, cap in ((5, 1000), (4, 1500), (3, 2000)):
            d = decide(app(level=level))
            assert d.eligible and d.max_amount_yuan == cap and d.rule_set == "national-2024"
        for level in (2, 1):
            d = decide(app(level=level))
            assert not d.eligible and failed(d) == {"certificate.level"}

    def test_insurance_months_by_date(self) -> None:
        d2018 = decide(
            app(insured_months=20, issued_on=date(2018, 3, 1), applied_on=date(2018, 6, 1))
        )
        assert d2018.rule_set == "national-2017" and failed(d2018) == {"applicant.insured_months"}
        d2019 = decide(
            app(insured_months=12, issued_on=date(2019, 3, 1), applied_on=date(2019, 6, 1))
        )
        assert d2019.rule_set == "national-2019" and d2019.eligible

    def test_benefit_recipients_from_2022_04_25(self) -> None:
        before = decide(
            app(
                insured_months=0,
                category=subsidy.UNEMPLOYMENT_BENEFIT,
                issued_on=date(2022, 1, 1),
                applied_on=date(2022, 4, 24),
            )
        )
        after = decide(
            app(
                insured_months=0,
                category=subsidy.UNEMPLOYMENT_BENEFIT,
                issued_on=date(2022, 1, 1),
                applied_on=date(2022, 4, 25),
            )
        )
        assert not before.eligible and after.eligible and after.rule_set == "national-2022"

    def test_twelve_month_deadline(self) -> None:
        assert decide(app(applied_on=date(2025, 3, 1))).eligible
        late = decide(app(applied_on=date(2025, 3, 2)))
        assert failed(late) == {"application.deadline"}

    def test_once_per_occupation_level_and_no_lower_after_higher(self) -> None:
        same = decide(app(previous_claims=(PreviousClaim("4-09-07-04", 4, date(2023, 5, 1)),)))
        assert "claims.once_per_occupation_level" in failed(same)
        lower = decide(app(previous_claims=(PreviousClaim("4-09-07-04", 3, date(2023, 5, 1)),)))
        assert failed(lower) == {"claims.no_lower_after_higher"}
        other = decide(app(previous_claims=(PreviousClaim("4-03-02-10", 3, date(2023, 5, 1)),)))
        assert other.eligible

    def test_three_claims_per_year(self) -> None:
        prev = tuple(PreviousClaim(f"4-03-02-1{i}", 4, date(2024, 2, 1 + i)) for i in range(3))
        assert failed(decide(app(previous_claims=prev))) == {"claims.per_year"}
        assert decide(app(previous_claims=prev[:2])).eligible

    def test_province_override_wins(self) -> None:
        override = subsidy.SubsidyRuleSet(
            name="p-46",
            valid_from=date(2024, 1, 1),
            valid_to=None,
            province="46",
            min_insured_months=12,
            benefit_recipients_eligible=True,
            caps_yuan={5: 800, 4: 1200, 3: 1600},
            apply_within_months=12,
            certificates_from=date(2017, 1, 1),
            max_claims_per_year=3,
            no_lower_after_higher=True,
            source="test",
        )
        sets = (*NATIONAL, override)
        d46 = decide(app(province_code="46"), sets)
        d44 = decide(app(province_code="44"), sets)
        assert (d46.rule_set, d46.max_amount_yuan) == ("p-46", 1200)
        assert (d44.rule_set, d44.max_amount_yuan) == ("national-2024", 1500)

    def test_no_rule_set_before_2017(self) -> None:
        d = decide(app(applied_on=date(2016, 6, 1), issued_on=date(2016, 1, 1)))
        assert d.rule_set == "none" and not d.eligible

    @given(st.integers(0, 120), st.integers(1, 5), st.integers(0, 400))
    def test_amount_never_exceeds_cap(self, months: int, level: int, delay: int) -> None:
        issued = date(2024, 3, 1)
        d = decide(
            app(
                insured_months=months,
                level=level,
                issued_on=issued,
                applied_on=date.fromordinal(issued.toordinal() + delay),
            )
        )
        assert d.max_amount_yuan <= {5: 1000, 4: 1500, 3: 2000}.get(level, 0)
        assert d.eligible == all(r["ok"] for r in d.reasons)
        if d.eligible:
            assert months >= 12 and level >= 3


class TestLawfulSubsidy:
    """Issue 13, item 12: who may claim, sets that end, no set in force, no double claim."""

    def test_only_employees_and_benefit_recipients(self) -> None:
        other = decide(app(category=subsidy.OTHER, insured_months=60))
        assert not other.eligible and failed(other) == {"applicant.category"}
        assert "企业在职职工" in other.reasons[0]["detail"]
        assert decide(app(category=subsidy.ENTERPRISE_EMPLOYEE)).eligible
        benefit = decide(app(category=subsidy.UNEMPLOYMENT_BENEFIT, insured_months=0))
        assert benefit.eligible

    def test_benefit_recipients_before_2022_are_not_employees(self) -> None:
        d = decide(
            app(
                category=subsidy.UNEMPLOYMENT_BENEFIT,
                insured_months=40,
                issued_on=date(2021, 1, 1),
                applied_on=date(2021, 6, 1),
            )
        )
        assert failed(d) == {"applicant.category"}

    def test_the_2024_set_ends_on_2024_12_31(self) -> None:
        last = decide(app(issued_on=date(2024, 12, 1), applied_on=date(2024, 12, 31)))
        first = decide(app(issued_on=date(2024, 12, 1), applied_on=date(2025, 1, 1)))
        assert (last.rule_set, first.rule_set) == ("national-2024", "national-2025")

    def test_outside_every_set_is_no_rule_set_in_force(self) -> None:
        # No national document for 2026 was found: the 2025 set does not decide 2026.
        d = decide(app(issued_on=date(2025, 11, 1), applied_on=date(2026, 1, 2)))
        assert d.outcome == subsidy.NO_RULE_SET == "no_rule_set_in_force"
        assert d.rule_set == "none" and not d.eligible and d.max_amount_yuan == 0
        assert failed(d) == {"rule_set.in_force"}
        out = d.to_dict()
        assert out["outcome"] == "no_rule_set_in_force" and out["rule_version"]
        gap = decide(app(issued_on=date(2018, 6, 1), applied_on=date(2019, 1, 1)))
        assert gap.rule_set == "national-2019"

    def test_no_double_claim_with_the_training_subsidy(self) -> None:
        d = decide(app(training_subsidy_same_training=True))
        assert failed(d) == {"claims.no_double_with_training_subsidy"}
        assert "不得重复享受" in next(
            r["detail"] for r in d.reasons if r["rule"] == "claims.no_double_with_training_subsidy"
        )
        assert decide(app(training_subsidy_same_training=False)).eligible

    def test_2025_one_claim_a_year_and_two_more_for_urgent_occupations(self) -> None:
        prev = (PreviousClaim("4-03-02-10", 5, date(2025, 2, 1)),)
        base = {"issued_on": date(2025, 3, 1), "applied_on": date(2025, 6, 1)}
        d = decide(app(previous_claims=prev, **base))
        assert d.rule_set == "national-2025" and failed(d) == {"claims.per_year"}
        assert decide(app(previous_claims=prev, urgent_occupation=True, **base)).eligible

    def test_demo_sets_decide_only_when_allowed(self) -> None:
        demo_set = next(r for r in service.subsidy_rule_sets() if r.demo)
        sets = (*NATIONAL, demo_set)
        off = subsidy.decide(app(province_code="46"), sets)
        on = subsidy.decide(app(province_code="46"), sets, allow_demo=True)
        assert (off.rule_set, off.to_dict()["rule_set_status"]) == ("national-2024", "official")
        assert (on.rule_set, on.to_dict()["rule_set_status"]) == (demo_set.name, "demo")

    def test_every_decision_names_its_rule_version(self) -> None:
        assert decide(app()).to_dict()["rule_version"] == subsidy.RULE_VERSION

"""Pure rules: who may issue which certificate (issuance-2026-12) and occupation eligibility."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from minsheng.certification.rules import issuance


def occ(**kw: object) -> issuance.OccupationFacts:
    base: dict[str, object] = {
        "code": "4-09-07-04",
        "name": "碳排放管理员",
        "major_group": 4,
        "access_qualification": None,
        "standard_levels": frozenset({5, 4, 3}),
    }
    base.update(kw)
    return issuance.OccupationFacts(**base)  # type: ignore[arg-type]


def body_facts(**kw: object) -> issuance.BodyFacts:
    base: dict[str, object] = {
        "filing_no": "S0000-46-0001",
        "body_type": "S",
        "code": "0000",
        "province_code": "46",
        "status": "active",
        "valid_from": date(2022, 1, 1),
        "valid_to": None,
        "scope": frozenset({("4-09-07-04", 4), ("4-09-07-04", 3)}),
    }
    base.update(kw)
    return issuance.BodyFacts(**base)  # type: ignore[arg-type]


def facts(**kw: object) -> issuance.IssuanceFacts:
    base: dict[str, object] = {
        "occupation_code": "4-09-07-04",
        "occupation": occ(),
        "body_filing_no": "S0000-46-0001",
        "body": body_facts(),
        "level": 4,
        "issued_on": date(2024, 5, 1),
        "today": date(2024, 6, 1),
        "id_errors": (),
        "province_code": "46",
        "site_code": "460100",
    }
    base.update(kw)
    return issuance.IssuanceFacts(**base)  # type: ignore[arg-type]


class TestIssuance:
    def test_all_rules_pass(self) -> None:
        decision = issuance.check_issuance(facts())
        assert decision.allowed and decision.failures == ()
        assert decision.rule_set == "issuance-2026-12"

    def test_refusal_names_every_failed_rule(self) -> None:
        decision = issuance.check_issuance(
            facts(
                occupation=occ(
                    major_group=2, access_qualification="焊工", standard_levels=frozenset()
                ),
                body=body_facts(status="suspended", valid_to=date(2023, 12, 31), scope=frozenset()),
                id_errors=("check character is 1, expected X (ISO 7064)",),
            )
        )
        got = {f.rule for f in decision.failures}
        assert got == {
            "occupation.major_group",
            "occupation.not_access_qualification",
            "standard.covers_level",
            "body.active",
            "body.filing_dates",
            "body.scope",
            "holder.id_number",
        }

    def test_provincial_body_issues_in_its_province(self) -> None:
        decision = issuance.check_issuance(facts(province_code="44"))
        assert [f.rule for f in decision.failures] == ["body.province"]

    def test_unknown_occupation_and_body(self) -> None:
        decision = issuance.check_issuance(facts(occupation=None, body=None))
        assert {f.rule for f in decision.failures} == {"occupation.exists", "body.filed"}

    def test_level_outside_standard(self) -> None:
        decision = issuance.check_issuance(facts(level=1))
        assert "standard.covers_level" in {f.rule for f in decision.failures}

    def test_future_date_and_bad_level(self) -> None:
        decision = issuance.check_issuance(facts(issued_on=date(2030, 1, 1), level=7))
        assert {"issued_on.not_future", "level.exists"} <= {f.rule for f in decision.failures}

    @given(st.integers(1, 8), st.booleans(), st.sets(st.integers(1, 5)))
    def test_eligibility_matches_the_three_conditions(
        self, group: int, access: bool, levels: set[int]
    ) -> None:
        eligible = issuance.certificate_eligible(group, "x" if access else None, frozenset(levels))
        assert eligible == (3 <= group <= 6 and not access and bool(levels))


class TestLevelTypeCatalogueEntries:
    """Issue 13, item 11: an occupation under a 水平评价类 skill qualification kept in the 2021
    catalogue gets no 职业技能等级证书 from a social evaluation body (conservative, 待核实)."""

    def test_refused_with_the_rule_named(self) -> None:
        decision = issuance.check_issuance(
            facts(occupation=occ(level_qualification="应急救援员", name="应急救援员"))
        )
        assert not decision.allowed
        assert [f.rule for f in decision.failures] == ["occupation.not_level_qualification"]
        assert "待核实" in decision.failures[0].reason
        assert decision.rule_set == issuance.ISSUANCE_RULE_SET

    def test_eligibility_says_why(self) -> None:
        levels = frozenset({5, 4})
        assert issuance.certificate_eligible(3, None, levels)
        assert not issuance.certificate_eligible(3, None, levels, "森林消防员")
        reasons = issuance.eligibility_reasons(3, None, levels, "森林消防员")
        assert any("level-type skill entry" in r for r in reasons)

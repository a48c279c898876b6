"""Credit publication and repair: the rule set in force on the decision date (发改委令第36号 from
2026-04-01, the 2023 trial rules before), periods by severity, repair conditions, expiry."""

from __future__ import annotations

from datetime import date

import pytest

from minsheng.enforcement.errors import InvalidRuleBase, NoCreditRuleSet
from minsheng.enforcement.rules import credit as c
from minsheng.enforcement.service import catalog

RULES = c.parse_credit_rules(catalog.read_json("credit.json"))


class TestRuleSetInForce:
    def test_the_2026_order_from_1_april_2026(self) -> None:
        rs = RULES.in_force(date(2026, 4, 1))
        assert rs.id == "ndrc-2025-36"
        assert "第36号" in rs.document
        assert RULES.in_force(date(2026, 3, 31)).id == "ndrc-2023-58"

    def test_before_every_rule_set_there_is_none_never_the_nearest(self) -> None:
        with pytest.raises(NoCreditRuleSet):
            RULES.in_force(date(2023, 4, 30))

    def test_overlapping_rule_sets_are_refused(self) -> None:
        data = catalog.read_json("credit.json")
        data["rule_sets"][0]["effective_until"] = "2026-04-01"
        with pytest.raises(InvalidRuleBase):
            c.parse_credit_rules(data)


class TestPeriods:
    RS = RULES.in_force(date(2026, 12, 1))

    def test_minor_is_not_published_and_may_be_repaired_at_once(self) -> None:
        pub = c.publication(self.RS, c.Severity.MINOR, date(2026, 12, 1))
        assert not pub.published
        assert pub.status() is c.RecordStatus.UNPUBLISHED
        assert pub.min_until == date(2026, 12, 1)

    def test_general_three_months_to_one_year(self) -> None:
        pub = c.publication(self.RS, c.Severity.GENERAL, date(2026, 11, 30))
        assert (pub.min_until, pub.max_until) == (date(2027, 2, 28), date(2027, 11, 30))

    def test_serious_one_to_three_years(self) -> None:
        pub = c.publication(self.RS, c.Severity.SERIOUS, date(2026, 5, 10))
        assert (pub.min_until, pub.max_until) == (date(2027, 5, 10), date(2029, 5, 10))

    def test_under_the_2023_rules_serious_minimum_was_six_months(self) -> None:
        old = RULES.in_force(date(2025, 1, 15))
        pub = c.publication(old, c.Severity.SERIOUS, date(2025, 1, 15))
        assert pub.min_until == date(2025, 7, 15)
        assert old.status == "待核实"

    def test_expiry_at_the_maximum(self) -> None:
        s = c.RecordStatus.PUBLISHED
        assert c.status_on(s, date(2027, 11, 30), date(2027, 11, 30)) is s
        assert c.status_on(s, date(2027, 11, 30), date(2027, 12, 1)) is c.RecordStatus.EXPIRED
        assert c.status_on(c.RecordStatus.REPAIRED, date(2027, 1, 1), date(2028, 1, 1)) is (
            c.RecordStatus.REPAIRED
        )


class TestSeverity:
    def test_art_51_amounts_are_minor_other_fines_general_serious_by_designation(self) -> None:
        assert c.classify(RULES, party_kind="person", fine=200) is c.Severity.MINOR
        assert c.classify(RULES, party_kind="person", fine=201) is c.Severity.GENERAL
        assert c.classify(RULES, party_kind="organisation", fine=3000) is c.Severity.MINOR
        assert c.classify(RULES, party_kind="organisation", fine=50, serious=True) is (
            c.Severity.SERIOUS
        )


class TestRepair:
    def test_every_condition_is_required(self) -> None:
        ok = {"corrected": True, "fulfilled": True, "committed": True}
        assert c.repair_unmet(min_until=date(2027, 3, 1), today=date(2027, 3, 1), **ok) == []
        early = c.repair_unmet(min_until=date(2027, 3, 1), today=date(2027, 2, 28), **ok)
        assert early and "最短公示期限" in early[0]
        for missing in ok:
            unmet = c.repair_unmet(
                min_until=date(2027, 3, 1), today=date(2027, 3, 2), **(ok | {missing: False})
            )
            assert len(unmet) == 1

    def test_add_months_keeps_month_ends(self) -> None:
        assert c.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
        assert c.add_months(date(2026, 12, 1), 3) == date(2027, 3, 1)
        assert c.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)

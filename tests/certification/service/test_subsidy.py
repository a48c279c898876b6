"""The skill-upgrade subsidy service: shipped rule sets, recorded claims, statistics."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy.orm import Session

from minsheng.certification import demo, service
from minsheng.certification.schemas import SubsidyRequest
from minsheng.core.config import Settings


class TestRuleSets:
    def test_national_and_provincial_sets_come_from_the_data_file(self) -> None:
        sets = service.subsidy_rule_sets()
        national = sorted((r for r in sets if r.province is None), key=lambda r: r.valid_from)
        assert [r.name for r in national] == [
            "national-2017",
            "national-2019",
            "national-2022",
            "national-2024",
        ]
        assert [r.name for r in sets if r.province == "46"] == ["demo-46-2024"]
        # Every national set names its documents; one in force on every day from 2017-01-01.
        assert all(r.documents for r in national)
        assert national[2].documents[0].number == "人社部发〔2022〕23号"
        assert national[2].documents[0].issued_on == date(2022, 4, 25)
        for earlier, later in itertools.pairwise(national):
            assert earlier.valid_to is not None
            assert later.valid_from == earlier.valid_to + timedelta(days=1)
        assert national[0].valid_from == date(2017, 1, 1) and national[-1].valid_to is None
        assert national[0].caps_yuan == {5: 1000, 4: 1500, 3: 2000}

    def test_a_decision_names_the_shipped_set_and_its_source(self) -> None:
        req = SubsidyRequest.model_validate(
            {
                "applicant": {"insured_months": 40, "province_code": "44"},
                "certificate": {
                    "occupation_code": "4-09-07-04",
                    "level": 5,
                    "issued_on": "2018-03-01",
                },
                "applied_on": "2018-06-01",
            }
        )
        decision = service.decide_subsidy(req)
        assert (decision["rule_set"], decision["max_amount_yuan"]) == ("national-2017", 1000)
        assert decision["source"] == "国发〔2017〕28号; 人社部发〔2017〕40号"
        listed = [service.rule_set_to_dict(r) for r in service.subsidy_rule_sets()]
        assert listed[0]["documents"][0] == {
            "number": "国发〔2017〕28号",
            "issued_on": None,
            "note": "",
        }


class TestSubsidy:
    def test_statistics(self, session: Session, settings: Settings) -> None:
        demo.load(session, settings)
        stats = service.subsidy_statistics(session, start=date(2024, 1, 1), end=date(2025, 12, 31))
        assert stats["people"] == 3 and stats["yuan"] == 800 + 1200 + 2000
        assert {p["province_code"] for p in stats["provinces"]} == {"44", "46"}

"""The skill-upgrade subsidy service: shipped rule sets, recorded claims, statistics."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from minsheng.certification import demo, service
from minsheng.certification.errors import ImplausibleDate
from minsheng.certification.models import SubsidyClaim
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
            "national-2025",
        ]
        assert [r.name for r in sets if r.province == "46"] == ["demo-46-2024"]
        # Every national set names its documents; one in force on every day from 2017-01-01.
        assert all(r.documents for r in national)
        assert national[2].documents[0].number == "人社部发〔2022〕23号"
        assert national[2].documents[0].issued_on == date(2022, 4, 25)
        for earlier, later in itertools.pairwise(national):
            assert earlier.valid_to is not None
            assert later.valid_from == earlier.valid_to + timedelta(days=1)
        # National sets end on the date their document says: none runs open-ended.
        assert national[0].valid_from == date(2017, 1, 1)
        assert national[-1].valid_to == date(2025, 12, 31)
        assert [r.valid_to for r in national[-2:]] == [date(2024, 12, 31), date(2025, 12, 31)]
        assert national[0].caps_yuan == {5: 1000, 4: 1500, 3: 2000}

    def test_a_decision_names_the_shipped_set_and_its_source(self) -> None:
        req = SubsidyRequest.model_validate(
            {
                "applicant": {
                    "insured_months": 40,
                    "category": "enterprise_employee",
                    "province_code": "44",
                },
                "certificate": {
                    "occupation_code": "4-09-07-04",
                    "level": 5,
                    "issued_on": "2018-03-01",
                },
                "applied_on": "2018-06-01",
                "training_subsidy_same_training": False,
            }
        )
        decision = service.decide_subsidy(req, Settings())
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
        # Demo rules off (the default): the Hainan demo set does not decide, the national does.
        demo.load(session, settings)
        stats = service.subsidy_statistics(session, start=date(2024, 1, 1), end=date(2025, 12, 31))
        assert stats["people"] == 3 and stats["yuan"] == 1000 + 1500 + 2000
        assert {p["province_code"] for p in stats["provinces"]} == {"44", "46"}

    def test_statistics_with_demo_rules(self, session: Session, settings: Settings) -> None:
        demo.load(session, settings.model_copy(update={"allow_demo_rules": True}))
        stats = service.subsidy_statistics(session, start=date(2024, 1, 1), end=date(2025, 12, 31))
        assert stats["yuan"] == 800 + 1200 + 2000


def hainan_request(**changes: object) -> SubsidyRequest:
    data: dict[str, object] = {
        "applicant": {
            "insured_months": 20,
            "category": "enterprise_employee",
            "province_code": "46",
        },
        "certificate": {"occupation_code": "4-09-07-04", "level": 4, "issued_on": "2024-03-01"},
        "applied_on": "2024-05-01",
        "training_subsidy_same_training": False,
    }
    data.update(changes)
    return SubsidyRequest.model_validate(data)


class TestDemoRules:
    def test_settings_default_to_no_demo_rules(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("MINSHENG_ALLOW_DEMO_RULES", raising=False)
        assert Settings().allow_demo_rules is False
        monkeypatch.setenv("MINSHENG_ALLOW_DEMO_RULES", "1")
        assert Settings().allow_demo_rules is True

    def test_the_demo_hainan_set_is_off_by_default(self) -> None:
        decision = service.decide_subsidy(hainan_request(), Settings(allow_demo_rules=False))
        assert decision["rule_set"] == "national-2024"
        assert decision["rule_set_status"] == "official" and decision["max_amount_yuan"] == 1500

    def test_allowed_it_decides_and_says_demo(self) -> None:
        decision = service.decide_subsidy(hainan_request(), Settings(allow_demo_rules=True))
        assert decision["rule_set"] == "demo-46-2024" and decision["max_amount_yuan"] == 1200
        assert decision["rule_set_status"] == "demo" and "演示" in decision["rule_set_label"]

    def test_a_demo_decision_is_recorded_as_demo(
        self, session: Session, settings: Settings
    ) -> None:
        allowed = settings.model_copy(update={"allow_demo_rules": True})
        req = hainan_request(
            applicant={
                "insured_months": 20,
                "category": "enterprise_employee",
                "province_code": "46",
                "id_number": "11010519491231002X",
            }
        )
        out = service.record_subsidy_claim(session, req, allowed, actor="t")
        claim = session.get(SubsidyClaim, out["claim_id"])
        assert claim is not None and claim.demo is True and claim.rule_set == "demo-46-2024"

    def test_every_shipped_set_says_official_or_demo(self) -> None:
        listed = [service.rule_set_to_dict(r) for r in service.subsidy_rule_sets()]
        assert {r["name"]: r["status"] for r in listed if r["status"] == "demo"} == {
            "demo-46-2024": "demo"
        }


class TestImplausibleSubsidyDates:
    @pytest.mark.parametrize(
        ("where", "value"),
        [("issued_on", "9999-11-30"), ("applied_on", "0001-01-01"), ("paid_on", "9999-12-31")],
    )
    def test_refused_by_name(self, where: str, value: str) -> None:
        req = hainan_request()
        data = req.model_dump(mode="json")
        if where == "issued_on":
            data["certificate"]["issued_on"] = value
        elif where == "applied_on":
            data["applied_on"] = value
        else:
            data["previous_claims"] = [
                {"occupation_code": "4-09-07-04", "level": 5, "paid_on": value}
            ]
        with pytest.raises(ImplausibleDate):
            service.decide_subsidy(SubsidyRequest.model_validate(data), Settings())

"""Reference data service: occupations, the qualification catalogue, skill standards."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.certification import service
from minsheng.certification.errors import (
    DuplicateOccupation,
    ImplausibleDate,
    ImportRejected,
    InvalidOccupationCode,
    OccupationNotFound,
)
from minsheng.certification.models import Occupation
from minsheng.certification.schemas import OccupationCreate
from tests.certification import factories as f


class TestReference:
    def test_catalogue_counts(self, session: Session) -> None:
        service.load_reference(session)
        occupations = list(session.scalars(select(Occupation)))
        # The final 2022 edition: 1,639 occupations (8 major / 79 medium / 450 small groups; the
        # group levels are not shipped, see PROVENANCE.md).
        assert len(occupations) == 1639
        codes = {o.code for o in occupations}
        added = {"4-04-05-09", "4-04-05-10", "4-04-05-11", "6-04-06-07", "6-09-03-05"}
        added |= {"2-02-32-00", "4-05-02-00", "7-01-00-00", "7-04-00-00", "8-00-00-00"}
        assert added <= codes
        assert not {"2-02-32-01", "2-02-32-02", "4-05-02-01", "4-05-02-02", "6-20-03-00"} & codes
        assert {o.major_group for o in occupations} == set(range(1, 9))
        assert sum(o.green for o in occupations) == 134
        assert sum(o.digital for o in occupations) == 95  # official 97: see PROVENANCE.md
        assert sum(o.green and o.digital for o in occupations) == 23
        catalogue = service.list_qualifications(session)
        assert len(catalogue) == 72
        professional = [q for q in catalogue if q["category"] == "professional"]
        assert len(professional) == 59
        assert sum(q["type"] == "access" for q in professional) == 33
        # idempotent
        assert service.load_reference(session) == {"occupations": 0, "qualifications": 0}

    def test_occupation_view(self, session: Session) -> None:
        f.reference(session)
        twin = service.get_occupation(session, "4-04-05-10").to_dict()
        assert twin["name"] == "数字孪生应用技术员" and twin["major_group"] == 4
        assert twin["skill_certificate_eligible"] is True
        carbon = service.get_occupation(session, f.CARBON).to_dict()
        assert carbon["green"] is True and carbon["digital"] is False
        assert carbon["definition"]
        welder = service.get_occupation(session, "6-18-02-04").to_dict()
        assert welder["access_qualification"] == "焊工"
        assert welder["skill_certificate_eligible"] is False
        assert any("access-type" in r for r in welder["reasons"])
        assert service.get_occupation(session, "4-13-01-05").to_dict()["digital"] is True
        # Every occupation under a 水平评价类 skill entry kept in the 2021 catalogue (应急救援员,
        # 3-02-03-08, among them) is named and not eligible for a skill-level certificate.
        level_skill = [
            (q["name"], code)
            for q in service.list_qualifications(session)
            if q["category"] == "skill" and q["type"] == "level"
            for code in q["occupation_codes"]
        ]
        assert ("应急救援员", "3-02-03-08") in level_skill
        for name, code in level_skill:
            view = service.get_occupation(session, code).to_dict()
            assert view["level_qualification"] == name
            assert view["skill_certificate_eligible"] is False
        with pytest.raises(OccupationNotFound):
            service.get_occupation(session, "4-99-99-99")
        with pytest.raises(InvalidOccupationCode):
            service.get_occupation(session, "abc")

    def test_catalogue_grows(self, session: Session) -> None:
        data = OccupationCreate(
            code="4-04-05-13",
            name="生成式人工智能系统应用员",
            digital=True,
            added_on=date(2024, 7, 31),
            source="MOHRSS announcement (test)",
        )
        service.add_occupation(session, data, actor="test")
        with pytest.raises(DuplicateOccupation):
            service.add_occupation(session, data, actor="test")
        view = service.get_occupation(session, "4-04-05-13").to_dict()
        assert view["added_on"] == "2024-07-31" and view["edition"] == "2024"

    def test_standards_import_is_all_or_nothing(self, session: Session) -> None:
        service.load_reference(session)
        text = (
            "code,occupation_code,name,issue_number,issued_on,levels\n"
            "S1,4-03-02-10,调饮师,2021-1,2021-01-01,5;4;3\n"
            "S2,9-99-99-99,x,1,2021-13-01,7\n"
        )
        with pytest.raises(ImportRejected) as err:
            service.import_standards(session, text, actor="t")
        fields = {(r["line"], r["field"]) for r in err.value.extra["rows"]}
        assert fields == {(3, "occupation_code"), (3, "issued_on"), (3, "levels")}
        assert service.list_standards(session) == []


class TestSearchesAndDates:
    """Issue 12, item 16: LIKE wildcards are literal; implausible dates are refused by name."""

    def test_wildcards_in_occupation_search_are_literal(self, session: Session) -> None:
        f.reference(session)
        assert service.list_occupations(session, "%") == []
        assert service.list_occupations(session, "_") == []
        assert service.list_occupations(session, "碳排放%") == []
        assert [o.code for o in service.list_occupations(session, "碳排放管理")] == [f.CARBON]

    def test_wildcards_in_body_search_are_literal(self, session: Session) -> None:
        f.reference(session)
        f.body(session)
        assert service.list_bodies(session, "%") == []
        assert service.list_bodies(session, "测试_业") == []
        assert len(service.list_bodies(session, "测试职业")) == 1

    def test_an_implausible_added_on_is_refused(self, session: Session) -> None:
        data = OccupationCreate(
            code="4-04-05-14",
            name="测试职业名称",
            added_on=date(1, 1, 1),
            source="test source",
        )
        with pytest.raises(ImplausibleDate) as err:
            service.add_occupation(session, data, actor="t")
        assert err.value.field == "added_on"

"""The services behind the clerk's pages (issue 18, item 7): pickers by name or code, a body's
scope changed and audited, the public registry found by occupation name, the province's name,
and the subsidy decisions listed and broken down by level, month and province."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.certification import demo, service
from minsheng.certification.errors import BodyNotFound, OccupationNotFound
from minsheng.certification.models import BodyScope
from minsheng.certification.schemas import BodyScopeChange
from minsheng.core.audit import AuditEntry
from minsheng.core.config import Settings
from minsheng.core.errors import InvalidInput
from minsheng.core.scope import parse_scope
from tests.certification import factories as f

GUANGDONG = parse_scope("440000", None)
HAINAN = parse_scope("460000", None)


class TestPickers:
    def test_occupations_by_name_or_code_prefix(self, session: Session) -> None:
        f.reference(session)
        assert {"code": f.CARBON, "name": "碳排放管理员"} in service.pick_occupations(
            session, "碳排放"
        )
        by_code = service.pick_occupations(session, "4-09-07")
        assert by_code and all(o["code"].startswith("4-09-07") for o in by_code)
        assert service.pick_occupations(session, "") == []
        assert service.pick_occupations(session, "没有这种职业") == []

    def test_a_name_resolves_to_its_code_and_an_unknown_one_is_named(
        self, session: Session
    ) -> None:
        f.reference(session)
        assert service.resolve_occupation(session, "碳排放管理员") == f.CARBON
        assert service.resolve_occupation(session, f" {f.CARBON} ") == f.CARBON
        with pytest.raises(OccupationNotFound) as err:
            service.resolve_occupation(session, "碳排放")  # a part is not a name
        assert err.value.field == "occupation_code"

    def test_bodies_by_occupation_name_within_the_scope(self, session: Session) -> None:
        f.reference(session)
        b = f.body(session)
        found = service.pick_bodies(session, "碳排放", scope=HAINAN)
        assert [x["filing_no"] for x in found] == [b.filing_no]
        assert service.pick_bodies(session, "碳排放", scope=GUANGDONG) == []
        assert service.pick_bodies(session, "", occupation_code=f.TWIN) == []

    def test_sites_by_name_or_code_within_the_scope(self) -> None:
        haikou = service.pick_sites("海口")
        assert {
            "code": "460100",
            "name": "海口市",
            "province_code": "46",
            "province": "海南省",
        } in (haikou)
        assert all(s["code"].startswith("4601") for s in service.pick_sites("4601"))
        assert service.pick_sites("海口", scope=GUANGDONG) == []
        assert service.pick_sites("") == []


class TestBodies:
    def test_the_public_registry_finds_bodies_by_occupation_name(self, session: Session) -> None:
        f.reference(session)
        b = f.body(session)
        assert [x.filing_no for x in service.list_bodies(session, "碳排放管理")] == [b.filing_no]
        view = service.list_body_views(session, "碳排放管理")[0]
        assert (view["province_name"], view["filed_with_name"]) == (
            "海南省",
            "海南省人力资源社会保障部门",
        )
        assert service.filed_with_name("0001", None) == "人力资源社会保障部"

    def test_staff_lists_are_the_scope_s_and_filter_by_status(self, session: Session) -> None:
        f.reference(session)
        hainan = f.body(session)
        f.body(session, name="广东测试评价中心", province_code="44")
        every = {b.filing_no for b in service.list_bodies(session, "")}
        mine = {b.filing_no for b in service.list_bodies(session, "", scope=HAINAN)}
        assert mine == {hainan.filing_no} and len(every) == 2
        assert service.list_bodies(session, "", scope=HAINAN, status="suspended") == []

    def test_a_scope_change_replaces_the_pairs_and_is_audited(self, session: Session) -> None:
        f.reference(session)
        b = f.body(session)  # CARBON 5, 4, 3
        change = BodyScopeChange.model_validate(
            {
                "scope": [
                    {"occupation_code": f.CARBON, "levels": [4, 3, 2]},
                    {"occupation_code": f.TWIN, "levels": [4]},
                ],
                "reason": "备案变更",
            }
        )
        service.update_body_scope(session, b.filing_no, change, actor="user:t", scope=HAINAN)
        pairs = set(
            session.execute(
                select(BodyScope.occupation_code, BodyScope.level).where(BodyScope.body_id == b.id)
            )
        )
        assert pairs == {(f.CARBON, 4), (f.CARBON, 3), (f.CARBON, 2), (f.TWIN, 4)}
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "body.scope")).one()
        assert entry.actor == "user:t"
        assert entry.detail == {
            "added": [f"{f.TWIN}/4", f"{f.CARBON}/2"],  # sorted by code
            "removed": [f"{f.CARBON}/5"],
            "reason": "备案变更",
        }

    def test_a_bad_scope_change_changes_nothing(self, session: Session) -> None:
        f.reference(session)
        b = f.body(session)
        before = service.body_to_dict(session, b)["scope"]
        unknown = BodyScopeChange.model_validate(
            {"scope": [{"occupation_code": "4-99-99-99", "levels": [4]}], "reason": "变更"}
        )
        with pytest.raises(InvalidInput) as err:
            service.update_body_scope(session, b.filing_no, unknown, actor="t")
        assert err.value.field == "scope.0.occupation_code"
        ok = BodyScopeChange.model_validate(
            {"scope": [{"occupation_code": f.CARBON, "levels": [4]}], "reason": "变更"}
        )
        with pytest.raises(BodyNotFound):  # another province's body: as if it did not exist
            service.update_body_scope(session, b.filing_no, ok, actor="t", scope=GUANGDONG)
        assert service.body_to_dict(session, b)["scope"] == before
        with pytest.raises(ValidationError):
            BodyScopeChange.model_validate({"scope": [], "reason": "变更"})


class TestSubsidyLists:
    def test_decisions_listed_newest_first_within_the_scope(
        self, session: Session, settings: Settings
    ) -> None:
        demo.load(session, settings)
        period = {"start": date(2024, 1, 1), "end": date(2025, 12, 31)}
        every = service.list_subsidy_claims(session, **period)
        assert every["total"] == len(every["claims"]) > 0
        days = [c["applied_on"] for c in every["claims"]]
        assert days == sorted(days, reverse=True)
        assert all(c["rule_set"] for c in every["claims"])
        mine = service.list_subsidy_claims(session, **period, scope=HAINAN)
        assert mine["total"] > 0 and {c["province_code"] for c in mine["claims"]} == {"46"}
        paid = service.list_subsidy_claims(session, **period, eligible=True)
        assert all(c["eligible"] and c["amount_yuan"] > 0 for c in paid["claims"])
        page = service.list_subsidy_claims(session, **period, limit=1, offset=1)
        assert page["claims"] == every["claims"][1:2]

    def test_breakdown_by_level_month_and_province_adds_up(
        self, session: Session, settings: Settings
    ) -> None:
        demo.load(session, settings)
        start, end = date(2024, 1, 1), date(2025, 12, 31)
        totals = service.subsidy_statistics(session, start=start, end=end)
        out = service.subsidy_breakdown(session, start=start, end=end)
        for part in ("by_level", "by_month", "by_province"):
            assert sum(r["yuan"] for r in out[part]) == totals["yuan"]
            assert sum(r["claims"] for r in out[part]) == totals["claims"]
        assert all(len(r["month"]) == 7 for r in out["by_month"])
        mine = service.subsidy_breakdown(session, start=start, end=end, scope=GUANGDONG)
        assert {r["province_code"] for r in mine["by_province"]} <= {"44"}
        with pytest.raises(InvalidInput):
            service.subsidy_breakdown(session, start=end, end=start)

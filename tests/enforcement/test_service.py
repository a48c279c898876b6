"""Services: parties, commitments, the case workflow (首违免罚 then 再犯必罚), evidence, grading,
planning and statistics, on the test database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core.audit import AuditEntry
from minsheng.core.creditcode import InvalidCreditCode
from minsheng.core.errors import InvalidInput, NotFound
from minsheng.core.idnumber import InvalidIdNumber
from minsheng.enforcement import schemas, service
from minsheng.enforcement.errors import (
    CaseStepOutOfOrder,
    DepartureWithoutReason,
    DuplicateConflictOfInterest,
    DuplicateInspector,
    DuplicateParty,
    FineOutOfRange,
    GradeNotFound,
    InvalidDate,
    UnknownItem,
)
from minsheng.enforcement.models import (
    Case,
    CaseEvent,
    Commitment,
    Decision,
    EvidenceBlob,
    Grade,
    Party,
)
from tests.conftest import count
from tests.enforcement import factories as f

TODAY = date(2026, 11, 27)
ACTOR = "user:tester"  # the audit actor; the officers below are case data


class TestParties:
    def test_person_id_is_kept_only_as_hash_and_mask(self, session: Session) -> None:
        number = f.id_number(7)
        p = f.person(session, id_number=number, name="符海南")
        assert p.id_hash and len(p.id_hash) == 64
        assert p.id_masked == number[:6] + "********" + number[-4:]
        row = session.execute(select(Party.__table__)).one()
        assert number not in [str(v) for v in row]
        out = service.party_dict(p)
        assert out["name"] == "符*南"
        assert number not in str(out)
        found = service.get_party_by_identifier(session, key=f.KEY, id_number=number.lower())
        assert found.id == p.id

    def test_organisation_by_credit_code(self, session: Session) -> None:
        code = f.credit_code(3)
        p = f.organisation(session, credit_code=code)
        assert service.get_party_by_identifier(session, key=f.KEY, credit_code=code).id == p.id
        with pytest.raises(DuplicateParty):
            f.organisation(session, credit_code=code)

    def test_bad_identifiers_are_refused_and_nothing_written(self, session: Session) -> None:
        with pytest.raises(InvalidCreditCode):
            f.organisation(session, credit_code="91110000600037341A")
        with pytest.raises(InvalidIdNumber):
            f.person(session, id_number="460107198001010011")
        with pytest.raises(InvalidInput) as info:
            f.person(session, id_number=None)
        assert info.value.field == "id_number"
        with pytest.raises(InvalidDate):
            f.organisation(session, registered_on=date(2099, 1, 1))
        assert count(session, Party) == 0


def first_case(session: Session, party: Party, officer: str = "王执法", **kw: object) -> Case:
    args: dict[str, object] = {
        "party_id": party.id,
        "item": "ZD-01",
        "discovery": "patrol",
        "occurred_on": date(2026, 3, 2),
        "discovered_on": date(2026, 3, 2),
        "facts": "货物摆出门外 2 米",
    }
    args.update(kw)
    args.setdefault("filed_on", args["discovered_on"])
    args.setdefault("officers", f.officers(session))
    data = schemas.CaseOpen.model_validate(args)
    return service.open_case(session, data, officer=officer, actor=ACTOR)


def facts(session: Session, case: Case, officer: str = "x", **kw: object) -> Case:
    kw.setdefault("officers", service.procedure_dict(session, case)["investigators"])
    data = schemas.CaseFacts.model_validate(kw)
    return service.record_facts(session, case.id, data, officer=officer, actor=ACTOR)


def decide(
    session: Session, case: Case, officer: str = "王执法", **kw: object
) -> service.DecideResult:
    data = schemas.CaseDecide.model_validate(kw)
    return service.decide_case(
        session,
        case.id,
        data,
        officer=officer,
        actor=ACTOR,
        lookback_days=730,
        valid_days=730,
        today=TODAY,
    )


def serve(session: Session, case: Case, on: date | None = None) -> object:
    data = schemas.Service(served_on=on)
    return service.serve(session, case.id, data, officer="x", actor=ACTOR, today=TODAY)


def to_decision(session: Session, case: Case, notice_on: date, fine: int | None = None) -> object:
    """事先告知 → the party waives its statement → the penalty decision (address given)."""
    service.pre_notify(
        session,
        case.id,
        schemas.PriorNotice(notice_on=notice_on),
        officer="x",
        actor=ACTOR,
        today=TODAY,
    )
    service.record_statement(
        session,
        case.id,
        schemas.Statement(stated_on=notice_on, waived=True),
        officer="x",
        actor=ACTOR,
        today=TODAY,
    )
    return service.decide_final(
        session,
        case.id,
        schemas.FinalDecision(
            decided_on=notice_on, fine_yuan=fine, party_address="海口市琼山区府城镇测试路1号"
        ),
        officer="x",
        actor=ACTOR,
        today=TODAY,
    )


def rectify(session: Session, case: Case, by: date) -> Case:
    data = schemas.Rectification(rectify_by=by)
    return service.order_rectification(session, case.id, data, officer="x", actor=ACTOR)


def check(session: Session, case: Case, rectified: bool, on: date | None = None) -> Case:
    data = schemas.RectificationCheck(rectified=rectified, checked_on=on)
    return service.check_rectification(
        session, case.id, data, officer="x", actor=ACTOR, today=TODAY
    )


def evidence(session: Session, case: Case, name: str, content: bytes, max_bytes: int) -> object:
    return service.add_evidence(
        session,
        case.id,
        filename=name,
        content=content,
        officer="x",
        actor=ACTOR,
        max_bytes=max_bytes,
    )


def commit(session: Session, **kw: object) -> Commitment:
    data = schemas.CommitmentCreate.model_validate(kw)
    return service.sign_commitment(
        session, data, officer="x", actor=ACTOR, valid_days=730, today=TODAY
    )


class TestCaseWorkflow:
    def test_first_violation_exemption_then_repeat_penalty(self, session: Session) -> None:
        shop = f.organisation(session)
        case = first_case(session, shop)
        ev = evidence(session, case, "photo.jpg", b"jpeg-bytes", 1000)
        facts(session, case, officer="王执法", harm="minor", corrected_in_time=True)
        first = decide(session, case, sign_commitment=True, decided_on=date(2026, 3, 3))
        assert first.decision.outcome == "no_penalty"
        assert first.decision.education
        assert first.commitment is not None
        assert first.commitment.kind == "case"
        assert first.commitment.case_id == case.id
        serve(session, case, date(2026, 3, 3))
        docs = service.list_documents(session, case_id=case.id)
        assert [d.kind for d in docs] == ["commitment", "no_penalty_decision"]
        rectify(session, case, date(2026, 3, 5))
        check(session, case, True, date(2026, 3, 5))
        service.close_case(session, case.id, officer="王执法", actor=ACTOR)
        shown = service.case_dict(session, case)
        assert [e["step"] for e in shown["events"]] == [
            "open",
            "evidence",
            "facts",
            "decide",
            "serve",
            "rectify",
            "check",
            "close",
        ]
        assert shown["evidence"][0]["sha256"] == ev.sha256

        again = first_case(
            session, shop, occurred_on=date(2026, 9, 1), discovered_on=date(2026, 9, 1)
        )
        facts(
            session,
            again,
            officer="李执法",
            harm="minor",
            corrected_in_time=True,
            aggravating=["continued_after_order"],
        )
        with pytest.raises(DepartureWithoutReason):
            decide(session, again, fine_yuan=100, decided_on=date(2026, 9, 2))
        second = decide(session, again, fine_yuan=800, decided_on=date(2026, 9, 2))
        d = second.decision
        assert d.outcome == "penalty"
        assert d.tier == "heavier"
        assert d.repeat
        assert d.breached_commitment_id == first.commitment.id
        assert (d.fine_min, d.fine_max, d.fine_yuan) == (600, 1000, 800)
        assert d.rule_version == "QS-2025.1"
        actions = set(session.scalars(select(AuditEntry.action)))
        assert {"case.open", "case.decide", "commitment.sign", "case.close"} <= actions
        # The officer is case data; the audit row names who acted.
        assert set(session.scalars(select(AuditEntry.actor))) == {ACTOR, "test"}
        steps = {e["step"]: e["officer"] for e in service.case_dict(session, again)["events"]}
        assert steps == {"open": "王执法", "facts": "李执法", "propose": "王执法"}
        assert again.status == "proposed"

    def test_refused_decision_writes_nothing(self, session: Session) -> None:
        shop = f.organisation(session)
        case = first_case(session, shop)
        facts(session, case, harm="general", corrected_in_time=False)
        session.commit()
        before = (count(session, Decision), count(session, CaseEvent), count(session, AuditEntry))
        with pytest.raises(FineOutOfRange):
            decide(session, case, fine_yuan=5000, sign_commitment=True)
        session.rollback()
        after = (count(session, Decision), count(session, CaseEvent), count(session, AuditEntry))
        assert before == after
        assert count(session, Commitment) == 0
        assert session.get(Case, case.id).status == "facts_recorded"  # type: ignore[union-attr]

    def test_time_barred_case_closes_after_the_decision(self, session: Session) -> None:
        case = first_case(
            session,
            f.organisation(session),
            occurred_on=date(2023, 1, 10),
            discovered_on=date(2026, 3, 1),
        )
        facts(session, case, harm="general", corrected_in_time=False)
        result = decide(session, case)
        assert result.decision.outcome == "time_barred"
        assert result.decision.fine_yuan is None
        assert service.close_case(session, case.id, officer="x", actor=ACTOR).status == "closed"

    def test_steps_out_of_order_are_refused(self, session: Session) -> None:
        case = first_case(session, f.organisation(session))
        with pytest.raises(CaseStepOutOfOrder):
            decide(session, case)
        with pytest.raises(CaseStepOutOfOrder):
            serve(session, case)
        with pytest.raises(CaseStepOutOfOrder):
            service.close_case(session, case.id, officer="x", actor=ACTOR)

    def test_failed_check_needs_a_new_deadline_before_closing(self, session: Session) -> None:
        case = first_case(session, f.organisation(session))
        facts(session, case, harm="general", corrected_in_time=False)
        decide(session, case, fine_yuan=400, decided_on=date(2026, 3, 3))
        to_decision(session, case, date(2026, 3, 4))
        serve(session, case, date(2026, 3, 4))
        rectify(session, case, date(2026, 3, 10))
        check(session, case, False)
        with pytest.raises(CaseStepOutOfOrder):
            service.close_case(session, case.id, officer="x", actor=ACTOR)
        rectify(session, case, date(2026, 4, 10))
        check(session, case, True)
        assert service.close_case(session, case.id, officer="x", actor=ACTOR).status == "closed"

    def test_bad_case_input(self, session: Session) -> None:
        shop = f.organisation(session)
        with pytest.raises(UnknownItem):
            first_case(session, shop, item="ZZ-1")
        with pytest.raises(InvalidDate):
            first_case(session, shop, discovered_on=date(2026, 3, 1))
        with pytest.raises(InvalidDate):
            first_case(session, shop, occurred_on=date(2099, 1, 1), discovered_on=date(2099, 1, 2))
        with pytest.raises(InvalidInput):
            first_case(session, f.person(session), item="GC-01")
        with pytest.raises(InvalidInput):
            first_case(session, shop, discovery="rumour")

    def test_evidence_is_deduplicated_by_hash(self, session: Session) -> None:
        case = first_case(session, f.organisation(session))
        a = evidence(session, case, "a.jpg", b"same", 10)
        b = evidence(session, case, "b.jpg", b"same", 10)
        assert a.sha256 == b.sha256  # type: ignore[attr-defined]
        assert count(session, EvidenceBlob) == 1
        assert service.get_evidence(session, a.sha256.upper()) == b"same"  # type: ignore[attr-defined]
        with pytest.raises(NotFound):
            service.get_evidence(session, "0" * 64)
        with pytest.raises(InvalidInput):
            evidence(session, case, "c", b"x" * 11, 10)

    def test_hearing_offered_for_large_fines(self, session: Session) -> None:
        firm = f.organisation(session, category="construction_firm")
        case = first_case(session, firm, item="GC-01")
        facts(session, case, harm="serious", corrected_in_time=False)
        decide(session, case, fine_yuan=100000, decided_on=date(2026, 3, 3))
        proc = service.pre_notify(
            session,
            case.id,
            schemas.PriorNotice(notice_on=date(2026, 3, 3)),
            officer="x",
            actor=ACTOR,
            today=TODAY,
        )
        assert proc.hearing_available
        (notice,) = service.list_documents(session, case_id=case.id)
        rights = dict(service.sections(notice))["当事人的权利"]
        assert "听证" in rights


class TestCommitments:
    def test_sign_and_validate(self, session: Session) -> None:
        p = f.person(session, category="farmer")
        c = commit(session, party_id=p.id, domain="farmland", signed_on=date(2026, 1, 1))
        assert c.valid_until == date(2028, 1, 1)
        assert len(c.promises) == 4
        with pytest.raises(InvalidInput):
            commit(session, party_id=p.id, domain="space")
        with pytest.raises(InvalidInput):
            commit(session, party_id=p.id, domain="garbage", item="GD-01")
        with pytest.raises(InvalidDate):
            commit(
                session,
                party_id=p.id,
                domain="farmland",
                signed_on=date(2026, 1, 1),
                valid_until=date(2025, 1, 1),
            )


class TestSupervision:
    def test_summaries_count_the_years_routine_inspections_only(self, session: Session) -> None:
        firm, quiet = (f.organisation(session, category="construction_firm") for _ in range(2))
        service.add_inspector(session, schemas.InspectorCreate(code="B1", name="B1"), actor="x")
        service.add_inspector(session, schemas.InspectorCreate(code="B2", name="B2"), actor="x")
        visits = [
            (date(2025, 1, 1), True, "routine"),
            (date(2025, 12, 31), False, "routine"),
            (date(2025, 7, 1), False, "campaign"),  # not routine: not counted
            (date(2024, 12, 31), False, "routine"),  # the year before: not counted
            (date(2026, 1, 1), False, "routine"),  # the grading year itself: not counted
        ]
        for day, passed, kind in visits:
            data = schemas.InspectionCreate(
                party_id=firm.id,
                inspected_on=day,
                passed=passed,
                items=["GC-01"],
                inspectors=["B1", "B2"],
                kind=kind,
            )
            service.record_inspection(session, data, actor="x")
        summaries = service.summaries_for_year(session, 2026)
        assert (summaries[firm.id].inspections, summaries[firm.id].inspections_failed) == (2, 1)
        assert (summaries[quiet.id].inspections, summaries[quiet.id].inspections_failed) == (0, 0)
        service.grade_year(session, 2026, actor="x")
        # Written through the driver on SQLite: read back like any other row.
        graded = service.get_grade(session, firm.id, 2026)
        assert graded.graded_at.tzinfo is not None
        assert service.grade_dict(graded)["breakdown"]

    def test_grade_from_records_and_plan(self, session: Session) -> None:
        firms = [f.organisation(session, category="construction_firm") for _ in range(6)]
        for code in ("A1", "A2", "A3"):
            service.add_inspector(session, schemas.InspectorCreate(code=code, name=code), actor="x")
        with pytest.raises(DuplicateInspector):
            service.add_inspector(
                session, schemas.InspectorCreate(code="A1", name="又一个"), actor="x"
            )
        conflict = schemas.ConflictCreate(inspector="A1", party_id=firms[0].id, reason="亲属")
        service.add_conflict(session, conflict, actor="x")
        with pytest.raises(DuplicateConflictOfInterest):
            service.add_conflict(session, conflict, actor="x")

        def inspect(party_id: int, day: date, inspectors: list[str]) -> None:
            data = schemas.InspectionCreate(
                party_id=party_id,
                inspected_on=day,
                passed=True,
                items=["GC-01"],
                inspectors=inspectors,
            )
            service.record_inspection(session, data, actor="x")

        with pytest.raises(InvalidInput):
            inspect(firms[0].id, date(2025, 5, 1), ["A1", "A2"])
        for i in range(3):
            inspect(firms[1].id, date(2025, 5, 1 + i), ["A2", "A3"])
        for party_id, kind in ((firms[1].id, "award"), (firms[2].id, "serious_accident")):
            record = schemas.IndustryRecordCreate(
                party_id=party_id, kind=kind, recorded_on=date(2025, 6, 1)
            )
            service.add_industry_record(session, record, actor="x")
        result = service.grade_year(session, 2026, actor="x")
        assert result["firms"] == 6
        assert service.get_grade(session, firms[1].id, 2026).grade == "A"
        assert service.get_grade(session, firms[2].id, 2026).grade == "D"
        assert service.get_grade(session, firms[3].id, 2026).grade == "B"
        service.grade_year(session, 2026, actor="x")  # regrading replaces
        assert count(session, Grade) == 6
        assert service.grade_dict(service.get_grade(session, firms[1].id, 2026))["breakdown"]
        with pytest.raises(GradeNotFound):
            service.get_grade(session, firms[1].id, 2030)
        assert service.grade_years(session) == [2026]
        counts = service.count_grades(session, 2026)
        assert sum(counts.values()) == 6
        assert counts["A"] >= 1
        assert counts["D"] >= 1
        listed = service.list_grades(session, 2026, grade="D")
        assert [row["party_id"] for row in listed] == [firms[2].id]
        assert service.grades_of_party(session, firms[1].id)[0]["grade"] == "A"
        p1 = service.plan(session, year=2026, seed=3).to_dict()
        p2 = service.plan(session, year=2026, seed=3).to_dict()
        assert p1 == p2
        for v in p1["visits"]:
            if v["target"] == firms[0].id:
                assert "A1" not in v["inspectors"]
            if v["target"] == firms[1].id:
                # rotation: last year's inspectors A2 and A3 are avoided when the pool allows
                assert len(v["inspectors"]) == 2

    def test_stats_from_records(self, session: Session) -> None:
        shop = f.organisation(session)
        case = first_case(session, shop)
        facts(session, case, harm="minor", corrected_in_time=True)
        decide(session, case, sign_commitment=True, decided_on=date(2026, 3, 3))
        serve(session, case, date(2026, 3, 3))  # the exemption counts once served
        other = f.organisation(session)
        commit(session, party_id=other.id, item="ZD-01", signed_on=date(2026, 1, 1))
        again = first_case(
            session, shop, occurred_on=date(2026, 6, 1), discovered_on=date(2026, 6, 1)
        )
        facts(session, again, harm="minor", corrected_in_time=True)
        decide(session, again, fine_yuan=300, decided_on=date(2026, 6, 2))
        # A proposal (拟处罚) is no penalty: counted apart until decided and served.
        proposed = service.compute_stats(session)["decisions"]
        assert (proposed["penalties"], proposed["pending"]["proposals"]) == (0, 1)
        to_decision(session, again, date(2026, 6, 2))
        serve(session, again, date(2026, 6, 2))
        data = service.compute_stats(session)
        assert data["commitments"]["total"] == 2
        assert data["violated_after_commitment"]["count"] == 1
        assert data["violated_after_commitment"]["percent"] == "50.00%"
        assert data["street_shops"]["penalised_again"]["count"] == 1
        assert data["street_vendors"]["commitments"] == 0
        assert data["compound_property_managers"]["with_commitments"] == 0
        assert data["decisions"] == {
            "exemptions": 1,
            "penalties": 1,
            "repeat_penalties": 1,
            "time_barred": 0,
            "pending": {"proposals": 0, "awaiting_service": 0, "cancelled": 0},
        }
        assert data["fines"]["total_yuan"] == 300
        window = service.compute_stats(session, start=date(2026, 4, 1), end=date(2026, 12, 31))
        assert window["commitments"]["total"] == 0
        assert window["decisions"]["penalties"] == 1
        with pytest.raises(InvalidInput):
            service.compute_stats(session, start=date(2026, 2, 1), end=date(2026, 1, 1))


class TestMandatoryArticlesThroughCases:
    """Issue 13 items 1–4 through the stored facts: CaseFacts → case → DecisionInput."""

    def test_birth_date_from_the_id_number_gives_art30(self, session: Session) -> None:
        number = f.id_number(born="20130101")
        child = f.person(session, id_number=number)
        assert child.birth_date == date(2013, 1, 1)
        case = first_case(session, child, item="ZD-02")
        facts(session, case, harm="general", corrected_in_time=False)
        result = decide(session, case, decided_on=date(2026, 3, 3))
        d = service.decision_dict(result.decision)
        assert (d["outcome"], d["rule_id"]) == ("no_penalty", "ART30-UNDER-14")
        assert d["rule_set"]["status"] == "demo"
        assert "第三十条" in d["rule_source"]
        assert number not in str(service.case_dict(session, case))

    def test_teenager_mitigated_on_the_repeat_path(self, session: Session) -> None:
        teen = f.person(session, id_number=f.id_number(born="20100101"))
        first = first_case(session, teen, item="ZD-02")
        facts(session, first, harm="general", corrected_in_time=False)
        decide(session, first, fine_yuan=100, decided_on=date(2026, 3, 3))
        to_decision(session, first, date(2026, 3, 3))
        serve(session, first, date(2026, 3, 3))  # an earlier violation once decided and served
        again = first_case(
            session,
            teen,
            item="ZD-02",
            occurred_on=date(2026, 6, 1),
            discovered_on=date(2026, 6, 1),
        )
        facts(session, again, harm="general", corrected_in_time=False, mitigating=["confessed"])
        d = decide(session, again, fine_yuan=50, decided_on=date(2026, 6, 2)).decision
        assert d.repeat and d.rule_id == "PENALTY-REPEAT"
        assert d.tier == "lighter"  # the repeat floor 一般, one band down (Art. 32 and 30 together)
        assert d.factors["age_at_violation"] == 16

    def test_stored_facts_reach_the_rules(self, session: Session) -> None:
        p = f.person(session)
        case = first_case(session, p, item="ZD-02")
        facts(session, case, harm="serious", corrected_in_time=False, mental_state="incapable")
        d = decide(session, case, decided_on=date(2026, 3, 3)).decision
        assert d.rule_id == "ART31-INCAPABLE"
        other = first_case(session, p, item="ZD-02", occurred_on=date(2026, 3, 1))
        facts(session, other, harm="general", corrected_in_time=True, no_fault_proven=True)
        assert decide(session, other, decided_on=date(2026, 3, 3)).decision.rule_id == (
            "ART33-2-NO-FAULT"
        )

    def test_campaign_commitment_then_first_violation_is_not_a_repeat(
        self, session: Session
    ) -> None:
        shop = f.organisation(session)
        commit(session, party_id=shop.id, item="ZD-01", signed_on=date(2026, 1, 1))
        case = first_case(session, shop)
        facts(session, case, harm="minor", corrected_in_time=True)
        d = decide(session, case, sign_commitment=True, decided_on=date(2026, 3, 3)).decision
        assert (d.outcome, d.repeat, d.rule_id) == ("no_penalty", False, "ART33-1-FIRST")
        assert d.breached_commitment_id is not None

    def test_notice_marks_demo_values_and_names_the_rule(self, session: Session) -> None:
        firm = f.organisation(session, category="construction_firm")
        case = first_case(session, firm, item="GC-01")
        facts(session, case, harm="serious", corrected_in_time=False)
        decide(session, case, fine_yuan=100000, decided_on=date(2026, 3, 3))
        service.pre_notify(
            session,
            case.id,
            schemas.PriorNotice(notice_on=date(2026, 3, 3)),
            officer="x",
            actor=ACTOR,
            today=TODAY,
        )
        (notice,) = service.list_documents(session, case_id=case.id)
        assert notice.content["rule_id"] == "PENALTY-FIRST"
        assert notice.content["rule_set"]["status"] == "demo"
        printed = dict(service.sections(notice))
        assert "演示规则" in printed["规则状态"]
        statement, hearing = printed["当事人的权利"].split("\n")[:2]
        assert statement.startswith("陈述") and hearing.startswith("听证")
        assert "演示值" in statement and "演示/未核实" in hearing

    def test_facts_refusals_name_their_field(self, session: Session) -> None:
        farmer = f.person(session, category="farmer")
        case = first_case(session, farmer, item="GD-01")
        with pytest.raises(InvalidInput) as info:
            facts(session, case, harm="general", corrected_in_time=False)
        assert info.value.field == "fine_base_yuan"
        facts(session, case, harm="general", corrected_in_time=False, fine_base_yuan=8000)
        d = decide(session, case, fine_yuan=12000, decided_on=date(2026, 3, 3)).decision
        assert (d.fine_min, d.fine_max) == (10400, 12800)
        shop = f.organisation(session)
        other = first_case(session, shop)
        with pytest.raises(InvalidInput) as info:
            facts(session, other, harm="minor", corrected_in_time=True, mental_state="limited")
        assert info.value.field == "mental_state"
        with pytest.raises(InvalidInput) as info:
            facts(
                session, other, harm="minor", corrected_in_time=True, mitigating=["other_statutory"]
            )
        assert info.value.field == "mitigating_basis"


class TestReads:
    def test_lists_and_counts_for_the_pages(self, session: Session) -> None:
        shop = f.organisation(session, name="琼山区椰香水果店")
        vendor = f.person(session, name="符海南")
        first_case(session, shop)
        case = first_case(session, vendor, item="ZD-02")
        facts(session, case, harm="minor", corrected_in_time=True)
        decide(session, case, sign_commitment=True, decided_on=date(2026, 3, 3))
        assert service.count_parties(session) == 2
        assert [p.id for p in service.list_parties(session)] == [vendor.id, shop.id]
        assert [p.id for p in service.list_parties(session, q="椰香")] == [shop.id]
        assert [p.id for p in service.list_parties(session, q=shop.credit_code.lower())] == [
            shop.id
        ]
        assert service.count_cases_by_status(session) == {"open": 1, "decided": 1}
        rows = service.list_case_rows(session)
        assert [r["id"] for r in rows] == [case.id, case.id - 1]
        assert rows[0]["party_name"] == "符*南"  # a person's name is masked
        assert rows[0]["outcome"] == "no_penalty"
        assert rows[1]["party_name"] == "琼山区椰香水果店"
        assert rows[1]["outcome"] is None
        assert [r["id"] for r in service.list_case_rows(session, party_id=shop.id)] == [case.id - 1]
        assert service.party_names(session, {shop.id}) == {shop.id: "琼山区椰香水果店"}

"""Services: parties, commitments, the case workflow (首违免罚 then 再犯必罚), evidence, grading,
planning and statistics, on the test database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core.audit import AuditEntry
from minsheng.core.errors import InvalidInput
from minsheng.core.idnumber import InvalidIdNumber
from minsheng.enforcement import service, stats, supervision
from minsheng.enforcement.errors import (
    CaseStepOutOfOrder,
    DuplicateParty,
    FineOutOfRange,
    InvalidCreditCode,
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
        found = service.find_party(session, key=f.KEY, id_number=number.lower())
        assert found.id == p.id

    def test_organisation_by_credit_code(self, session: Session) -> None:
        code = f.credit_code(3)
        p = f.organisation(session, credit_code=code)
        assert service.find_party(session, key=f.KEY, credit_code=code).id == p.id
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


def first_case(session: Session, party: Party, **kw: object) -> Case:
    args = {
        "party_id": party.id,
        "item_id": "ZD-01",
        "discovery": "patrol",
        "occurred_on": date(2026, 3, 2),
        "discovered_on": date(2026, 3, 2),
        "officer": "王执法",
        "facts": "货物摆出门外 2 米",
    }
    args.update(kw)
    return service.open_case(session, **args)  # type: ignore[arg-type]


def decide(session: Session, case: Case, **kw: object) -> service.DecideResult:
    args = {"officer": "王执法", "lookback_days": 730, "valid_days": 730, "today": TODAY}
    args.update(kw)
    return service.decide_case(session, case.id, **args)  # type: ignore[arg-type]


class TestCaseWorkflow:
    def test_first_violation_exemption_then_repeat_penalty(self, session: Session) -> None:
        shop = f.organisation(session)
        case = first_case(session, shop)
        ev = service.add_evidence(
            session,
            case.id,
            filename="photo.jpg",
            content=b"jpeg-bytes",
            officer="王执法",
            max_bytes=1000,
        )
        service.record_facts(
            session, case.id, harm="minor", corrected_in_time=True, officer="王执法"
        )
        first = decide(session, case, signs_commitment=True, decided_on=date(2026, 3, 3))
        assert first.decision.outcome == "no_penalty"
        assert first.decision.education
        assert first.commitment is not None
        assert first.commitment.kind == "case"
        assert first.commitment.case_id == case.id
        notice = service.notify(session, case.id, officer="王执法")
        assert any("陈述、申辩" in r for r in notice["rights"])
        service.order_rectification(session, case.id, rectify_by=date(2026, 3, 5), officer="王执法")
        service.check_rectification(
            session,
            case.id,
            rectified=True,
            checked_on=date(2026, 3, 5),
            officer="王执法",
            today=TODAY,
        )
        service.close_case(session, case.id, officer="王执法")
        shown = service.case_dict(session, case)
        assert [e["step"] for e in shown["events"]] == [
            "open",
            "evidence",
            "facts",
            "decide",
            "notify",
            "rectify",
            "check",
            "close",
        ]
        assert shown["evidence"][0]["sha256"] == ev.sha256

        again = first_case(
            session, shop, occurred_on=date(2026, 9, 1), discovered_on=date(2026, 9, 1)
        )
        service.record_facts(
            session,
            again.id,
            harm="minor",
            corrected_in_time=True,
            officer="李执法",
            aggravating=["continued_after_order"],
        )
        with pytest.raises(FineOutOfRange):
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

    def test_refused_decision_writes_nothing(self, session: Session) -> None:
        shop = f.organisation(session)
        case = first_case(session, shop)
        service.record_facts(session, case.id, harm="general", corrected_in_time=False, officer="x")
        session.commit()
        before = (count(session, Decision), count(session, CaseEvent), count(session, AuditEntry))
        with pytest.raises(FineOutOfRange):
            decide(session, case, fine_yuan=5000, signs_commitment=True)
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
        service.record_facts(session, case.id, harm="general", corrected_in_time=False, officer="x")
        result = decide(session, case)
        assert result.decision.outcome == "time_barred"
        assert result.decision.fine_yuan is None
        assert service.close_case(session, case.id, officer="x").status == "closed"

    def test_steps_out_of_order_are_refused(self, session: Session) -> None:
        case = first_case(session, f.organisation(session))
        with pytest.raises(CaseStepOutOfOrder):
            decide(session, case)
        with pytest.raises(CaseStepOutOfOrder):
            service.notify(session, case.id, officer="x")
        with pytest.raises(CaseStepOutOfOrder):
            service.close_case(session, case.id, officer="x")

    def test_failed_check_needs_a_new_deadline_before_closing(self, session: Session) -> None:
        case = first_case(session, f.organisation(session))
        service.record_facts(session, case.id, harm="general", corrected_in_time=False, officer="x")
        decide(session, case, fine_yuan=400)
        service.notify(session, case.id, officer="x")
        service.order_rectification(session, case.id, rectify_by=date(2026, 3, 10), officer="x")
        service.check_rectification(session, case.id, rectified=False, officer="x", today=TODAY)
        with pytest.raises(CaseStepOutOfOrder):
            service.close_case(session, case.id, officer="x")
        service.order_rectification(session, case.id, rectify_by=date(2026, 4, 10), officer="x")
        service.check_rectification(session, case.id, rectified=True, officer="x", today=TODAY)
        assert service.close_case(session, case.id, officer="x").status == "closed"

    def test_bad_case_input(self, session: Session) -> None:
        shop = f.organisation(session)
        with pytest.raises(UnknownItem):
            first_case(session, shop, item_id="ZZ-1")
        with pytest.raises(InvalidDate):
            first_case(session, shop, discovered_on=date(2026, 3, 1))
        with pytest.raises(InvalidDate):
            first_case(session, shop, occurred_on=date(2099, 1, 1), discovered_on=date(2099, 1, 2))
        with pytest.raises(InvalidInput):
            first_case(session, f.person(session), item_id="GC-01")
        with pytest.raises(InvalidInput):
            first_case(session, shop, discovery="rumour")

    def test_evidence_is_deduplicated_by_hash(self, session: Session) -> None:
        case = first_case(session, f.organisation(session))
        a = service.add_evidence(
            session, case.id, filename="a.jpg", content=b"same", officer="x", max_bytes=10
        )
        b = service.add_evidence(
            session, case.id, filename="b.jpg", content=b"same", officer="x", max_bytes=10
        )
        assert a.sha256 == b.sha256
        assert count(session, EvidenceBlob) == 1
        with pytest.raises(InvalidInput):
            service.add_evidence(
                session, case.id, filename="c", content=b"x" * 11, officer="x", max_bytes=10
            )

    def test_hearing_offered_for_large_fines(self, session: Session) -> None:
        firm = f.organisation(session, category="construction_firm")
        case = first_case(session, firm, item_id="GC-01")
        service.record_facts(session, case.id, harm="serious", corrected_in_time=False, officer="x")
        decide(session, case, fine_yuan=100000)
        notice = service.notify(session, case.id, officer="x")
        assert notice["hearing_available"]
        assert any("听证" in r for r in notice["rights"])


class TestCommitments:
    def test_sign_and_validate(self, session: Session) -> None:
        p = f.person(session, category="farmer")
        c = service.sign_commitment(
            session,
            party_id=p.id,
            domain="farmland",
            officer="x",
            valid_days=730,
            signed_on=date(2026, 1, 1),
            today=TODAY,
        )
        assert c.valid_until == date(2028, 1, 1)
        assert len(c.promises) == 4
        with pytest.raises(InvalidInput):
            service.sign_commitment(
                session, party_id=p.id, domain="space", officer="x", valid_days=1
            )
        with pytest.raises(InvalidInput):
            service.sign_commitment(
                session, party_id=p.id, domain="garbage", item_id="GD-01", officer="x", valid_days=1
            )
        with pytest.raises(InvalidDate):
            service.sign_commitment(
                session,
                party_id=p.id,
                domain="farmland",
                officer="x",
                valid_days=1,
                signed_on=date(2026, 1, 1),
                valid_until=date(2025, 1, 1),
                today=TODAY,
            )


class TestSupervision:
    def test_grade_from_records_and_plan(self, session: Session) -> None:
        firms = [f.organisation(session, category="construction_firm") for _ in range(6)]
        for code in ("A1", "A2", "A3"):
            supervision.add_inspector(session, code=code, name=code, actor="x")
        supervision.add_conflict(
            session, inspector_code="A1", party_id=firms[0].id, reason="亲属", actor="x"
        )
        with pytest.raises(InvalidInput):
            supervision.record_inspection(
                session,
                party_id=firms[0].id,
                inspected_on=date(2025, 5, 1),
                passed=True,
                items=["GC-01"],
                inspectors=["A1", "A2"],
                actor="x",
            )
        for i in range(3):
            supervision.record_inspection(
                session,
                party_id=firms[1].id,
                inspected_on=date(2025, 5, 1 + i),
                passed=True,
                items=["GC-01"],
                inspectors=["A2", "A3"],
                actor="x",
            )
        supervision.add_industry_record(
            session, party_id=firms[1].id, kind="award", recorded_on=date(2025, 6, 1), actor="x"
        )
        supervision.add_industry_record(
            session,
            party_id=firms[2].id,
            kind="serious_accident",
            recorded_on=date(2025, 6, 1),
            actor="x",
        )
        result = supervision.grade_year(session, 2026, actor="x")
        assert result["firms"] == 6
        assert supervision.grade_of(session, firms[1].id, 2026)["grade"] == "A"
        assert supervision.grade_of(session, firms[2].id, 2026)["grade"] == "D"
        assert supervision.grade_of(session, firms[3].id, 2026)["grade"] == "B"
        supervision.grade_year(session, 2026, actor="x")  # regrading replaces
        assert count(session, Grade) == 6
        p1 = supervision.plan(session, year=2026, seed=3).to_dict()
        p2 = supervision.plan(session, year=2026, seed=3).to_dict()
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
        service.record_facts(session, case.id, harm="minor", corrected_in_time=True, officer="x")
        decide(session, case, signs_commitment=True, decided_on=date(2026, 3, 3))
        other = f.organisation(session)
        service.sign_commitment(
            session,
            party_id=other.id,
            item_id="ZD-01",
            domain=None,
            officer="x",
            valid_days=730,
            signed_on=date(2026, 1, 1),
            today=TODAY,
        )
        again = first_case(
            session, shop, occurred_on=date(2026, 6, 1), discovered_on=date(2026, 6, 1)
        )
        service.record_facts(session, again.id, harm="minor", corrected_in_time=True, officer="x")
        decide(session, again, fine_yuan=300, decided_on=date(2026, 6, 2))
        data = stats.compute(session)
        assert data["commitments"]["total"] == 2
        assert data["violated_after_commitment"]["count"] == 1
        assert data["violated_after_commitment"]["percent"] == "50.00%"
        assert data["street_shops"]["penalised_again"]["count"] == 1
        assert data["decisions"] == {
            "exemptions": 1,
            "penalties": 1,
            "repeat_penalties": 1,
            "time_barred": 0,
        }
        assert data["fines"]["total_yuan"] == 300
        window = stats.compute(session, start=date(2026, 4, 1), end=date(2026, 12, 31))
        assert window["commitments"]["total"] == 0
        assert window["decisions"]["penalties"] == 1
        with pytest.raises(InvalidInput):
            stats.compute(session, start=date(2026, 2, 1), end=date(2026, 1, 1))

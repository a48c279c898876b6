"""The 行政处罚 procedure on the test database: a penalty case through 事先告知, hearing, 法制审核,
decision and 送达 in the law's order (each out-of-order step refused by name), Art. 45 (no heavier
penalty), Art. 60 (90 days, extensions), documents with every Art. 59 item (the printed sections;
the PDF in test_printing.py), 文号 without gaps or duplicates under concurrency, credit
publication, repair, expiry and objections."""

from __future__ import annotations

import re
import threading
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.audit import AuditEntry
from minsheng.core.errors import InvalidInput
from minsheng.enforcement import schemas, service
from minsheng.enforcement.errors import (
    CaseStepOutOfOrder,
    HearingNoticeTooShort,
    HearingRequestLate,
    HeavierPenaltyAfterStatement,
    LegalReviewRequired,
    ObjectionAlreadyReviewed,
    PresiderIsInvestigator,
    PriorNoticeMissing,
    RepairNotAllowed,
    ReviewerNotQualified,
    StatementPeriodRunning,
    TooFewOfficers,
)
from minsheng.enforcement.models import Case, Document, Grade, Party
from minsheng.enforcement.service import documents
from tests.enforcement import factories as f

TODAY = date(2026, 11, 27)
ACTOR = "user:tester"
ADDRESS = "海口市琼山区府城街道文庄路8号"


def open_case(
    session: Session, party: Party, officers: list[str], item: str, on: date, **kw: object
) -> Case:
    data = schemas.CaseOpen.model_validate(
        {
            "party_id": party.id,
            "item": item,
            "discovery": "inspection",
            "occurred_on": on,
            "discovered_on": on,
            "filed_on": on,
            "facts": "施工现场未设置围挡，扬尘污染周边道路",
            "officers": officers,
            **kw,
        }
    )
    return service.open_case(session, data, officer="王执法", actor=ACTOR, today=TODAY)


def facts(session: Session, case: Case, officers: list[str], harm: str) -> None:
    data = schemas.CaseFacts(harm=harm, corrected_in_time=False, officers=officers)
    service.record_facts(session, case.id, data, officer="王执法", actor=ACTOR, today=TODAY)


def propose(session: Session, case: Case, fine: int, on: date, **kw: object) -> None:
    data = schemas.CaseDecide.model_validate({"fine_yuan": fine, "decided_on": on, **kw})
    service.decide_case(
        session,
        case.id,
        data,
        officer="王执法",
        actor=ACTOR,
        lookback_days=730,
        valid_days=730,
        today=TODAY,
    )


def step(fn: object, session: Session, case: Case, data: object) -> object:
    return fn(session, case.id, data, officer="王执法", actor=ACTOR, today=TODAY)  # type: ignore[operator]


def final(session: Session, case: Case, on: date, **kw: object) -> object:
    data = schemas.FinalDecision.model_validate({"decided_on": on, **kw})
    return step(service.decide_final, session, case, data)


def texts(doc: Document) -> str:
    return "\n".join(f"{h}：{t}" for h, t in service.sections(doc))


def art59_items(doc: Document, party: Party, fine: int) -> dict[str, list[str]]:
    """Each item of 《行政处罚法》第五十九条 and the words that show it on the document."""
    return {
        "（一）当事人的姓名或者名称、地址": [party.name, ADDRESS],
        "（二）违法事实和证据": ["施工现场未设置围挡", "现场照片.jpg"],
        "（三）行政处罚的种类和依据": [f"罚款{fine:,}元", doc.content["legal_basis"][:12]],
        "（四）履行方式和期限": ["自收到本决定书之日起15日内", "缴纳"],
        "（五）复议、诉讼的途径和期限": ["六十日内", "申请行政复议", "六个月内", "提起行政诉讼"],
        "（六）机关名称和日期；印章": [documents.bureau()["name"], "（印章）", "2026年6月26日"],
    }


class TestPenaltyProcedure:
    def test_a_hearing_case_in_the_law_s_order(self, session: Session) -> None:
        firm = f.organisation(session, category="construction_firm", name="海南测试建设有限公司")
        team = f.officers(session)
        presider = f.officers(session, 1, prefix="H")[0]
        (reviewer,) = f.officers(session, 1, legal=True, prefix="L")
        (unqualified,) = f.officers(session, 1, prefix="U")
        case = open_case(session, firm, team, "GC-01", date(2026, 6, 1))
        service.add_evidence(
            session,
            case.id,
            filename="现场照片.jpg",
            content=b"jpeg",
            officer="王执法",
            actor=ACTOR,
            max_bytes=100,
        )
        facts(session, case, team, "serious")
        propose(session, case, 100000, date(2026, 6, 2))
        assert case.status == "proposed"
        with pytest.raises(CaseStepOutOfOrder):  # no decision before the 事先告知书
            final(session, case, date(2026, 6, 3))
        # 事先告知 on Wed 3 June: statement and hearing request until Wed 10 June (5 working days)
        proc = step(
            service.pre_notify, session, case, schemas.PriorNotice(notice_on=date(2026, 6, 3))
        )
        assert proc.hearing_available  # type: ignore[attr-defined]
        assert proc.hearing_request_due == date(2026, 6, 10)  # type: ignore[attr-defined]
        with pytest.raises(StatementPeriodRunning):
            final(session, case, date(2026, 6, 5), party_address=ADDRESS)
        with pytest.raises(HearingRequestLate):
            step(
                service.request_hearing,
                session,
                case,
                schemas.HearingRequest(requested_on=date(2026, 6, 11)),
            )
        step(
            service.request_hearing,
            session,
            case,
            schemas.HearingRequest(requested_on=date(2026, 6, 10)),
        )
        with pytest.raises(PresiderIsInvestigator):
            step(
                service.schedule_hearing,
                session,
                case,
                schemas.HearingSchedule(
                    notified_on=date(2026, 6, 11),
                    hearing_on=date(2026, 6, 25),
                    place="执法局听证室",
                    presider=team[0],
                ),
            )
        with pytest.raises(
            HearingNoticeTooShort
        ):  # 7 working days (端午 Fri 19 June off): after Tue 23 June
            step(
                service.schedule_hearing,
                session,
                case,
                schemas.HearingSchedule(
                    notified_on=date(2026, 6, 11),
                    hearing_on=date(2026, 6, 23),
                    place="执法局听证室",
                    presider=presider,
                ),
            )
        step(
            service.schedule_hearing,
            session,
            case,
            schemas.HearingSchedule(
                notified_on=date(2026, 6, 11),
                hearing_on=date(2026, 6, 24),
                place="执法局听证室",
                presider=presider,
            ),
        )
        with pytest.raises(CaseStepOutOfOrder):
            final(session, case, date(2026, 6, 24), party_address=ADDRESS)
        step(
            service.hold_hearing,
            session,
            case,
            schemas.HearingHeld(attended=True, record="当事人对事实无异议，请求从轻处罚"),
        )
        with pytest.raises(LegalReviewRequired):  # heard: Art. 58(二)
            final(session, case, date(2026, 6, 26), party_address=ADDRESS)
        for who in (team[0], unqualified):
            with pytest.raises(ReviewerNotQualified):
                step(
                    service.legal_review,
                    session,
                    case,
                    schemas.LegalReview(reviewer=who, passed=True, note="x"),
                )
        step(
            service.legal_review,
            session,
            case,
            schemas.LegalReview(
                reviewer=reviewer, passed=True, note="主体合法，事实清楚，证据充分，程序合法"
            ),
        )
        with pytest.raises(HeavierPenaltyAfterStatement):
            final(session, case, date(2026, 6, 26), party_address=ADDRESS, fine_yuan=100001)
        with pytest.raises(InvalidInput) as no_address:
            final(session, case, date(2026, 6, 26))
        assert no_address.value.field == "party_address"
        decision = final(session, case, date(2026, 6, 26), party_address=ADDRESS, fine_yuan=90000)
        assert decision.fine_yuan == 90000  # type: ignore[attr-defined]
        assert case.status == "decided"
        # 送达 within 7 working days (Art. 61): by Tue 7 July; a later service is flagged
        step(service.serve, session, case, schemas.Service(served_on=date(2026, 7, 8)))
        shown = service.case_dict(session, case)
        serve_event = shown["events"][-1]
        assert serve_event["step"] == "serve"
        assert serve_event["detail"]["due"] == "2026-07-07"
        assert serve_event["detail"]["late"] is True
        assert [e["step"] for e in shown["events"]] == [
            "open",
            "evidence",
            "facts",
            "propose",
            "pre_notify",
            "hearing_request",
            "hearing_schedule",
            "hearing",
            "legal_review",
            "decide",
            "serve",
        ]
        assert shown["events"][0]["detail"]["cert_nos"]  # the officers' 执法证号
        assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", shown["events"][0]["at_cn"])
        kinds = [d["kind"] for d in shown["documents"]]
        assert kinds == ["prior_notice", "penalty_decision"]
        # Every Art. 59 item in the printed sections (the PDF: test_printing.py).
        doc = service.list_documents(session, case_id=case.id)[1]
        html_text = texts(doc)
        for item, words in art59_items(doc, firm, 90000).items():
            for word in words:
                assert word in html_text, (item, word)
        notice = service.list_documents(session, case_id=case.id)[0]
        notice_text = texts(notice)
        for needed in (
            "拟作出的行政处罚",
            "罚款100,000元",
            "违法事实",
            "依据",
            "陈述、申辩",
            "听证",
        ):
            assert needed in notice_text
        assert (
            "2026年6月10日" in notice_text
        )  # the hearing-request deadline, written the Chinese way

    def test_no_heavier_penalty_because_the_party_argued(self, session: Session) -> None:
        shop = f.organisation(session)
        team = f.officers(session)
        case = open_case(session, shop, team, "ZD-01", date(2026, 6, 1))
        facts(session, case, team, "general")
        propose(session, case, 400, date(2026, 6, 1))
        step(service.pre_notify, session, case, schemas.PriorNotice(notice_on=date(2026, 6, 1)))
        step(
            service.record_statement,
            session,
            case,
            schemas.Statement(
                stated_on=date(2026, 6, 2), statement="摆放时间很短", review="理由不成立，不予采纳"
            ),
        )
        with pytest.raises(HeavierPenaltyAfterStatement):
            final(session, case, date(2026, 6, 3), party_address=ADDRESS, fine_yuan=500)
        # New facts found and recorded: a higher fine is possible, but only after a new notice.
        step(
            service.record_statement,
            session,
            case,
            schemas.Statement(
                stated_on=date(2026, 6, 2),
                waived=True,
                new_facts="复查发现占道面积达 20 平方米",
            ),
        )
        with pytest.raises(PriorNoticeMissing):
            final(session, case, date(2026, 6, 3), party_address=ADDRESS, fine_yuan=500)
        with pytest.raises(InvalidInput):  # never above the statutory maximum
            step(
                service.pre_notify,
                session,
                case,
                schemas.PriorNotice(notice_on=date(2026, 6, 3), fine_yuan=1001),
            )
        proc = step(
            service.pre_notify,
            session,
            case,
            schemas.PriorNotice(notice_on=date(2026, 6, 3), fine_yuan=500),
        )
        assert proc.proposed_fine == 500  # type: ignore[attr-defined]
        with pytest.raises(StatementPeriodRunning):  # the party is heard again
            final(session, case, date(2026, 6, 4), party_address=ADDRESS, fine_yuan=500)
        step(
            service.record_statement,
            session,
            case,
            schemas.Statement(stated_on=date(2026, 6, 4), waived=True),
        )
        decision = final(session, case, date(2026, 6, 4), party_address=ADDRESS, fine_yuan=500)
        assert decision.fine_yuan == 500  # type: ignore[attr-defined]
        notices = [
            d for d in service.list_documents(session, case_id=case.id) if d.kind == "prior_notice"
        ]
        assert [d.content["fine_yuan"] for d in notices] == [400, 500]

    def test_a_statement_is_reviewed(self, session: Session) -> None:
        shop = f.organisation(session)
        team = f.officers(session)
        case = open_case(session, shop, team, "ZD-01", date(2026, 6, 1))
        facts(session, case, team, "general")
        propose(session, case, 400, date(2026, 6, 1))
        with pytest.raises(CaseStepOutOfOrder):
            step(service.record_statement, session, case, schemas.Statement(waived=True))
        step(service.pre_notify, session, case, schemas.PriorNotice(notice_on=date(2026, 6, 1)))
        with pytest.raises(InvalidInput) as err:
            step(
                service.record_statement,
                session,
                case,
                schemas.Statement(stated_on=date(2026, 6, 2), statement="不服"),
            )
        assert err.value.field == "review"

    def test_two_certified_officers_on_every_investigation_step(self, session: Session) -> None:
        shop = f.organisation(session)
        (one,) = f.officers(session, 1)
        with pytest.raises(TooFewOfficers):
            open_case(session, shop, [one], "ZD-01", date(2026, 6, 1))
        team = f.officers(session)
        case = open_case(session, shop, team, "ZD-01", date(2026, 6, 1))
        with pytest.raises(TooFewOfficers):
            facts(session, case, [one], "minor")
        evidence = {"filename": "p.jpg", "content": b"x", "officer": "x", "actor": ACTOR}
        with pytest.raises(TooFewOfficers):  # collecting evidence is an investigation step
            service.add_evidence(session, case.id, max_bytes=10, officers=[one], **evidence)
        service.add_evidence(session, case.id, max_bytes=10, today=TODAY, **evidence)
        event = service.case_dict(session, case)["events"][-1]
        assert event["step"] == "evidence"
        assert event["detail"]["officers"] == sorted(team)  # the investigators by default
        assert len(event["detail"]["cert_nos"]) == 2

    def test_a_no_penalty_case_skips_the_penalty_steps_but_records_education(
        self, session: Session
    ) -> None:
        shop = f.organisation(session)
        team = f.officers(session)
        case = open_case(session, shop, team, "ZD-01", date(2026, 6, 1))
        data = schemas.CaseFacts(harm="none", corrected_in_time=True, officers=team)
        service.record_facts(session, case.id, data, officer="x", actor=ACTOR, today=TODAY)
        result = service.decide_case(
            session,
            case.id,
            schemas.CaseDecide(decided_on=date(2026, 6, 1)),
            officer="x",
            actor=ACTOR,
            lookback_days=730,
            valid_days=730,
            today=TODAY,
        )
        assert result.decision.outcome == "no_penalty"
        assert case.status == "decided"
        (doc,) = service.list_documents(session, case_id=case.id)
        assert doc.kind == "no_penalty_decision"
        text = texts(doc)
        assert "不予行政处罚" in text and "教育" in text and "六十日内" in text
        with pytest.raises(CaseStepOutOfOrder):
            step(service.pre_notify, session, case, schemas.PriorNotice())


class TestNinetyDays:
    def test_late_cases_are_flagged_and_extensions_recorded(self, session: Session) -> None:
        shop = f.organisation(session)
        team = f.officers(session)
        case = open_case(session, shop, team, "ZD-01", date(2026, 6, 1))
        assert service.late_cases(session, today=date(2026, 8, 30)) == []
        late = service.late_cases(session, today=date(2026, 9, 1))
        assert [(c["case_id"], c["decision_due"], c["days_over"]) for c in late] == [
            (case.id, "2026-08-30", 2)
        ]
        service.extend(
            session,
            case.id,
            schemas.Extension(days=30, basis="案情复杂，经负责人批准延长", approved_by="李局长"),
            officer="王执法",
            actor=ACTOR,
        )
        assert service.late_cases(session, today=date(2026, 9, 1)) == []
        shown = service.procedure_dict(session, case, today=date(2026, 9, 1))
        assert shown["decision_due"] == "2026-09-29"
        assert shown["extensions"][0]["approved_by"] == "李局长"


def issue_one(session: Session, on: date) -> Document:
    return documents.issue(
        session,
        "rectification",
        content={
            "party": {"name": "测试", "identifier": "x", "address": ADDRESS},
            "violation": "占道经营",
            "rectify_by": on.isoformat(),
            "rectify_by_cn": "x",
        },
        issued_on=on,
        officer="x",
        actor=ACTOR,
    )


class TestDocumentNumbers:
    def test_sequence_per_bureau_and_year(self, session: Session) -> None:
        a = issue_one(session, date(2026, 12, 30))
        b = issue_one(session, date(2026, 12, 31))
        c = issue_one(session, date(2027, 1, 1))
        abbr = documents.bureau()["abbreviation"]
        assert (a.seq, b.seq, c.seq) == (1, 2, 1)
        assert a.number == f"{abbr}改〔2026〕1号"
        assert c.number == f"{abbr}改〔2027〕1号"

    def test_no_gaps_and_no_duplicates_under_concurrency(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        errors: list[BaseException] = []
        barrier = threading.Barrier(8)

        def work(i: int) -> None:
            try:
                barrier.wait()
                for k in range(4):
                    with session_factory() as s:
                        issue_one(s, date(2026, 5, 1))
                        if (i + k) % 3 == 0:
                            s.rollback()  # a refused step returns its number
                        else:
                            s.commit()
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with session_factory() as s:
            seqs = sorted(s.scalars(select(Document.seq).where(Document.year == 2026)))
            numbers = list(s.scalars(select(Document.number)))
        committed = sum(1 for i in range(8) for k in range(4) if (i + k) % 3 != 0)
        assert seqs == list(range(1, committed + 1))
        assert len(set(numbers)) == len(numbers)


class TestCredit:
    def decided_case(self, session: Session, serious: bool = False) -> tuple[Party, Case]:
        shop = f.organisation(session)
        team = f.officers(session)
        case = open_case(session, shop, team, "GC-03", date(2026, 6, 1))
        facts(session, case, team, "general")
        propose(session, case, 20000, date(2026, 6, 1))
        step(service.pre_notify, session, case, schemas.PriorNotice(notice_on=date(2026, 6, 1)))
        step(
            service.record_statement,
            session,
            case,
            schemas.Statement(waived=True, stated_on=date(2026, 6, 1)),
        )
        final(
            session,
            case,
            date(2026, 6, 2),
            party_address=ADDRESS,
            serious=serious,
            serious_reason="扬尘污染致周边学校停课" if serious else None,
        )
        step(service.serve, session, case, schemas.Service(served_on=date(2026, 6, 2)))
        return shop, case

    def test_publication_repair_and_expiry(self, session: Session) -> None:
        shop, case = self.decided_case(session)
        (rec,) = service.list_records(session, party_id=shop.id)
        shown = service.record_dict(rec, today=TODAY)
        assert (shown["severity"], shown["rule_set"]) == ("general", "ndrc-2025-36")
        assert (shown["min_until"], shown["max_until"]) == ("2026-09-02", "2027-06-02")
        assert shown["status"] == "published"
        with pytest.raises(RepairNotAllowed) as refused:
            service.repair(session, rec.id, actor=ACTOR, today=TODAY)
        assert "纠正" in refused.value.detail and "履行" in refused.value.detail
        service.order_rectification(
            session,
            case.id,
            schemas.Rectification(rectify_by=date(2026, 6, 10)),
            officer="x",
            actor=ACTOR,
            today=TODAY,
        )
        service.check_rectification(
            session,
            case.id,
            schemas.RectificationCheck(rectified=True, checked_on=date(2026, 6, 9)),
            officer="x",
            actor=ACTOR,
            today=TODAY,
        )
        step(
            service.record_fulfilment,
            session,
            case,
            schemas.Fulfilment(fulfilled_on=date(2026, 6, 5)),
        )
        service.sign_commitment(
            session,
            schemas.CommitmentCreate(party_id=shop.id, item="GC-03", signed_on=date(2026, 6, 9)),
            officer="x",
            actor=ACTOR,
            valid_days=730,
            kind="repair",
            today=TODAY,
        )
        with pytest.raises(RepairNotAllowed) as early:
            service.repair(session, rec.id, actor=ACTOR, today=date(2026, 9, 1))
        assert "最短公示期限" in early.value.detail
        section = service.credit_section(session, shop.id, today=date(2026, 9, 2))
        assert section["records"][0]["repair_unmet"] == []
        service.repair(session, rec.id, actor=ACTOR, today=date(2026, 9, 2))
        assert service.record_dict(rec, today=TODAY)["status"] == "repaired"
        kinds = {d.kind for d in session.scalars(select(Document))}
        assert {"rectification", "commitment", "penalty_decision"} <= kinds
        actions = set(session.scalars(select(AuditEntry.action)))
        assert {"credit.record", "credit.repair"} <= actions

    def test_expiry_at_the_maximum_period(self, session: Session) -> None:
        shop, _case = self.decided_case(session, serious=True)
        (rec,) = service.list_records(session, party_id=shop.id)
        assert rec.severity == "serious"
        assert rec.max_until == date(2029, 6, 2)
        assert service.expire_due(session, actor=ACTOR, today=date(2029, 6, 2)) == []
        assert service.expire_due(session, actor=ACTOR, today=date(2029, 6, 3)) == [rec.id]
        assert rec.status == "expired"

    def test_objection_to_a_record_and_to_a_grade(self, session: Session) -> None:
        shop, _case = self.decided_case(session)
        (rec,) = service.list_records(session, party_id=shop.id)
        obj = service.file_objection(
            session,
            schemas.ObjectionCreate(
                party_id=shop.id,
                target="credit_record",
                target_id=rec.id,
                grounds="已整改，罚款已缴",
            ),
            actor=ACTOR,
            today=TODAY,
        )
        review = schemas.ObjectionReview(upheld=True, outcome="经复核，记录有误，予以撤回")
        with pytest.raises(InvalidInput):  # the deciding officer may not review it
            service.review_objection(
                session, obj.id, review, reviewer="王执法", actor=ACTOR, today=TODAY
            )
        service.review_objection(
            session, obj.id, review, reviewer="赵法制", actor=ACTOR, today=TODAY
        )
        assert rec.status == "withdrawn"
        with pytest.raises(ObjectionAlreadyReviewed):
            service.review_objection(
                session, obj.id, review, reviewer="赵法制", actor=ACTOR, today=TODAY
            )
        grade = Grade(
            party_id=shop.id, year=2026, grade="C", points=70, breakdown="[]", rule_version="t"
        )
        session.add(grade)
        session.flush()
        other = f.organisation(session)
        with pytest.raises(InvalidInput):  # not the party's grade
            service.file_objection(
                session,
                schemas.ObjectionCreate(
                    party_id=other.id, target="grade", target_id=grade.id, grounds="x"
                ),
                actor=ACTOR,
                today=TODAY,
            )
        g = service.file_objection(
            session,
            schemas.ObjectionCreate(
                party_id=shop.id, target="grade", target_id=grade.id, grounds="检查记录重复计算"
            ),
            actor=ACTOR,
            today=TODAY,
        )
        with pytest.raises(InvalidInput):
            service.review_objection(
                session,
                g.id,
                schemas.ObjectionReview(upheld=True, outcome="成立"),
                reviewer="赵法制",
                actor=ACTOR,
                today=TODAY,
            )
        service.review_objection(
            session,
            g.id,
            schemas.ObjectionReview(
                upheld=True, outcome="重复计算一次检查，更正为 B 级", revised_grade="B"
            ),
            reviewer="赵法制",
            actor=ACTOR,
            today=TODAY,
        )
        section = service.credit_section(session, shop.id, today=TODAY)
        assert [(o["status"], o["revised_grade"]) for o in section["objections"]] == [
            ("upheld", None),
            ("upheld", "B"),
        ]
        actions = [
            a for a in session.scalars(select(AuditEntry.action)) if a.startswith("objection")
        ]
        assert actions == [
            "objection.file",
            "objection.review",
            "objection.file",
            "objection.review",
        ]

    def test_no_record_before_every_credit_rule_set(self, session: Session) -> None:
        shop = f.organisation(session)
        team = f.officers(session)
        case = open_case(session, shop, team, "ZD-01", date(2023, 3, 1))
        facts(session, case, team, "general")
        propose(session, case, 400, date(2023, 3, 1))
        step(service.pre_notify, session, case, schemas.PriorNotice(notice_on=date(2023, 3, 1)))
        step(
            service.record_statement,
            session,
            case,
            schemas.Statement(waived=True, stated_on=date(2023, 3, 1)),
        )
        final(session, case, date(2023, 3, 2), party_address=ADDRESS)
        assert service.list_records(session, party_id=shop.id) == []
        assert "credit.no_rule_set" in set(session.scalars(select(AuditEntry.action)))

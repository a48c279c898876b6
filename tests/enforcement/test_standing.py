"""Proposals are not decisions (issue 13, go-live blocker): the statistics and the prior-violation
history count a penalty only once it is decided and served, never a proposal (拟处罚) or a
cancelled case; a 不予处罚 counts as a violation only under 第三十三条第一款 (rules/history.py).
Also the data migration enforcement_0004 that turns existing proposals into ``proposed`` rows."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from minsheng.core import migrate
from minsheng.core.config import Settings
from minsheng.core.db import make_engine
from minsheng.enforcement import schemas, service
from minsheng.enforcement.errors import CaseStepOutOfOrder
from minsheng.enforcement.models import Case, CreditRecord, Decision, Party
from minsheng.enforcement.rules import history
from minsheng.enforcement.rules.decision import RULES as DECISION_RULES
from tests.conftest import PG_URL, TEST_SECRET, Cli, create_scratch_pg, drop_scratch_pg, is_postgres
from tests.enforcement import factories as f

TODAY = date(2026, 11, 27)
ACTOR = "user:tester"
OFFICER = "王执法"
ADDRESS = "海口市琼山区府城街道文庄路8号"


def open_case(
    session: Session, party: Party, team: list[str], on: date, item: str = "GC-01"
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
            "officers": team,
        }
    )
    return service.open_case(session, data, officer=OFFICER, actor=ACTOR, today=TODAY)


def facts(session: Session, case: Case, team: list[str], harm: str, **kw: object) -> None:
    data = schemas.CaseFacts.model_validate(
        {"harm": harm, "corrected_in_time": False, "officers": team, **kw}
    )
    service.record_facts(session, case.id, data, officer=OFFICER, actor=ACTOR, today=TODAY)


def engine(session: Session, case: Case, on: date, fine: int | None = None) -> Decision:
    data = schemas.CaseDecide.model_validate({"fine_yuan": fine, "decided_on": on})
    return service.decide_case(
        session,
        case.id,
        data,
        officer=OFFICER,
        actor=ACTOR,
        lookback_days=730,
        valid_days=730,
        today=TODAY,
    ).decision


def step(fn: object, session: Session, case: Case, data: object) -> object:
    return fn(session, case.id, data, officer=OFFICER, actor=ACTOR, today=TODAY)  # type: ignore[operator]


def notify_and_decide(session: Session, case: Case, notice: date, decided: date) -> None:
    """事先告知, the party waives the statement, then the decision (a small fine: no hearing)."""
    step(service.pre_notify, session, case, schemas.PriorNotice(notice_on=notice))
    step(service.record_statement, session, case, schemas.Statement(waived=True, stated_on=notice))
    step(
        service.decide_final,
        session,
        case,
        schemas.FinalDecision(decided_on=decided, party_address=ADDRESS),
    )


def serve(session: Session, case: Case, on: date) -> None:
    step(service.serve, session, case, schemas.Service(served_on=on, how="in_person"))


def penalties(session: Session) -> dict[str, object]:
    return service.compute_stats(session)["decisions"]  # type: ignore[no-any-return]


def window(session: Session, case: Case) -> tuple[bool, int]:
    """Whether the engine sees a repeat for a new violation of the case's party and item (a
    general harm, not corrected: a penalty either way); and how many earlier violations."""
    party = service.get_party(session, case.party_id)
    team = service.get_procedure(session, case.id).investigators
    later = open_case(session, party, team, date(2026, 9, 1), item=case.item_id)
    facts(session, later, team, "general")
    d = engine(session, later, date(2026, 9, 2))
    return d.repeat, int(d.factors["prior_violations_in_window"])


@pytest.fixture
def team(session: Session) -> list[str]:
    return f.officers(session)


class TestProposalIsNoDecision:
    def test_stats_count_a_penalty_only_once_decided_and_served(
        self, session: Session, team: list[str]
    ) -> None:
        firm = f.organisation(session, category="construction_firm", name="测试建设有限公司")
        case = open_case(session, firm, team, date(2026, 6, 1))
        facts(session, case, team, "general")
        proposal = engine(session, case, date(2026, 6, 2))
        assert (proposal.outcome, proposal.stage) == ("penalty", "proposed")
        before = penalties(session)
        assert before["penalties"] == 0
        assert before["pending"] == {"proposals": 1, "awaiting_service": 0, "cancelled": 0}

        notify_and_decide(session, case, date(2026, 6, 3), date(2026, 6, 12))
        assert proposal.stage == "decided"
        decided = penalties(session)
        assert decided["penalties"] == 0  # decided, not yet served
        assert decided["pending"] == {"proposals": 0, "awaiting_service": 1, "cancelled": 0}

        serve(session, case, date(2026, 6, 12))
        served = penalties(session)
        assert served["penalties"] == 1
        assert served["pending"] == {"proposals": 0, "awaiting_service": 0, "cancelled": 0}
        assert service.compute_stats(session)["fines"]["count"] == 1

    def test_a_proposed_earlier_case_is_no_prior_violation(
        self, session: Session, team: list[str]
    ) -> None:
        firm = f.organisation(session, category="construction_firm", name="测试建设二公司")
        first = open_case(session, firm, team, date(2026, 6, 1))
        facts(session, first, team, "general")
        engine(session, first, date(2026, 6, 2))
        repeat, priors = window(session, first)
        assert (repeat, priors) == (False, 0)  # a proposal only: not 再犯

    def test_a_served_earlier_penalty_is_a_prior_violation(
        self, session: Session, team: list[str]
    ) -> None:
        firm = f.organisation(session, category="construction_firm", name="测试建设三公司")
        first = open_case(session, firm, team, date(2026, 6, 1))
        facts(session, first, team, "general")
        engine(session, first, date(2026, 6, 2))
        notify_and_decide(session, first, date(2026, 6, 3), date(2026, 6, 12))
        # Decided but not yet served: not yet a prior violation.
        assert window(session, first) == (False, 0)

    def test_after_service_the_earlier_penalty_makes_a_repeat(
        self, session: Session, team: list[str]
    ) -> None:
        firm = f.organisation(session, category="construction_firm", name="测试建设四公司")
        first = open_case(session, firm, team, date(2026, 6, 1))
        facts(session, first, team, "general")
        engine(session, first, date(2026, 6, 2))
        notify_and_decide(session, first, date(2026, 6, 3), date(2026, 6, 12))
        serve(session, first, date(2026, 6, 12))
        assert window(session, first) == (True, 1)


class TestCancelled:
    def test_a_withdrawn_proposal_counts_nowhere(self, session: Session, team: list[str]) -> None:
        firm = f.organisation(session, category="construction_firm", name="测试建设五公司")
        case = open_case(session, firm, team, date(2026, 6, 1))
        facts(session, case, team, "general")
        proposal = engine(session, case, date(2026, 6, 2))
        with pytest.raises(CaseStepOutOfOrder):  # revoked needs a decision
            step(
                service.cancel_case,
                session,
                case,
                schemas.CaseCancel(reason="revoked", note="复议撤销"),
            )
        step(
            service.cancel_case,
            session,
            case,
            schemas.CaseCancel(
                reason="withdrawn", note="立案对象错误", cancelled_on=date(2026, 6, 5)
            ),
        )
        assert (case.status, case.cancel_reason, proposal.stage) == (
            "cancelled",
            "withdrawn",
            "withdrawn",
        )
        assert penalties(session)["pending"] == {
            "proposals": 0,
            "awaiting_service": 0,
            "cancelled": 1,
        }
        assert window(session, case) == (False, 0)
        events = service.case_dict(session, case)["events"]
        assert events[-1]["step"] == "cancel"
        assert events[-1]["detail"]["previous_status"] == "proposed"

    def test_a_revoked_decision_leaves_stats_history_and_publication(
        self, session: Session, team: list[str]
    ) -> None:
        firm = f.organisation(session, category="construction_firm", name="测试建设六公司")
        case = open_case(session, firm, team, date(2026, 6, 1))
        facts(session, case, team, "general")
        engine(session, case, date(2026, 6, 2))
        notify_and_decide(session, case, date(2026, 6, 3), date(2026, 6, 12))
        serve(session, case, date(2026, 6, 12))
        assert penalties(session)["penalties"] == 1
        with pytest.raises(CaseStepOutOfOrder):  # withdrawn only before a decision
            step(
                service.cancel_case,
                session,
                case,
                schemas.CaseCancel(reason="withdrawn", note="x"),
            )
        step(
            service.cancel_case,
            session,
            case,
            schemas.CaseCancel(
                reason="revoked", note="行政复议决定撤销", cancelled_on=date(2026, 8, 1)
            ),
        )
        assert penalties(session)["penalties"] == 0
        record = session.scalar(select(CreditRecord).where(CreditRecord.case_id == case.id))
        assert record is not None
        assert (record.status, record.ended_on) == ("withdrawn", date(2026, 8, 1))
        assert window(session, case) == (False, 0)


class TestNoPenaltyHistory:
    """第三十三条第一款 exemptions count as violations; non-liability ones do not."""

    def _exempt_then_later(
        self, session: Session, team: list[str], **facts_kw: object
    ) -> tuple[Decision, tuple[bool, int]]:
        person = f.person(session, name="符测试", address=ADDRESS)
        case = open_case(session, person, team, date(2026, 3, 2), item="ZD-02")
        facts(session, case, team, facts_kw.pop("harm", "none"), **facts_kw)
        d = engine(session, case, date(2026, 3, 3))
        assert (d.outcome, d.stage) == ("no_penalty", "decided")
        assert window(session, case) == (False, 0)  # decided, not served: nothing yet
        serve(session, case, date(2026, 3, 4))
        return d, window(session, case)

    def test_minor_no_harm_exemption_counts(self, session: Session, team: list[str]) -> None:
        d, later = self._exempt_then_later(session, team, harm="none", corrected_in_time=True)
        assert d.rule_id == "ART33-1-MINOR"
        assert later == (True, 1)

    def test_no_fault_exemption_does_not_count(self, session: Session, team: list[str]) -> None:
        d, later = self._exempt_then_later(session, team, harm="general", no_fault_proven=True)
        assert d.rule_id == "ART33-2-NO-FAULT"
        assert later == (False, 0)


class TestStandingRule:
    """rules/history.py on every stage × status × outcome."""

    def test_table(self) -> None:
        def s(stage: str, status: str, outcome: str, rule: str = "") -> tuple[bool, bool, str]:
            r = history.standing(stage=stage, case_status=status, outcome=outcome, rule_id=rule)
            return r.decision, r.violation, r.rule_id

        assert s("proposed", "pre_notified", "penalty") == (False, False, "HIST-PROPOSAL")
        assert s("decided", "decided", "penalty") == (False, False, "HIST-NOT-SERVED")
        assert s("decided", "notified", "penalty") == (True, True, "HIST-PENALTY")
        assert s("decided", "closed", "penalty") == (True, True, "HIST-PENALTY")
        assert s("withdrawn", "cancelled", "penalty") == (False, False, "HIST-CANCELLED")
        assert s("decided", "cancelled", "penalty") == (False, False, "HIST-CANCELLED")
        for rule in ("ART33-1-MINOR", "ART33-1-FIRST"):
            counted = (True, True, "HIST-NO-PENALTY-33-1")
            assert s("decided", "closed", "no_penalty", rule) == counted
        for rule in ("ART30-UNDER-14", "ART31-INCAPABLE", "ART33-2-NO-FAULT", ""):
            assert s("decided", "closed", "no_penalty", rule)[:2] == (True, False)
        for rule in ("ART36-TIME-LIMIT", "ART37-NOT-PUNISHABLE"):
            assert s("decided", "closed", "time_barred", rule)[:2] == (True, False)

    def test_every_no_penalty_rule_is_classified(self) -> None:
        # A new 不予处罚 rule must be placed on one side deliberately.
        not_liable = {"ART30-UNDER-14", "ART31-INCAPABLE", "ART33-2-NO-FAULT"}
        barred = {"ART36-TIME-LIMIT", "ART37-NOT-PUNISHABLE"}
        penalty = {"PENALTY-FIRST", "PENALTY-REPEAT"}
        assert set(DECISION_RULES) == history.NO_PENALTY_COUNTS | not_liable | barred | penalty


# The data migration ---------------------------------------------------------------------------


@pytest.fixture
def fresh_settings(tmp_path: Path) -> Iterator[Settings]:
    if is_postgres():
        url = create_scratch_pg(PG_URL, "p")
        yield Settings(database_url=url, secret_key=TEST_SECRET)
        drop_scratch_pg(url)
    else:
        yield Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", secret_key=TEST_SECRET)


def test_migration_turns_existing_proposals_into_proposals(fresh_settings: Settings) -> None:
    migrate.upgrade(fresh_settings, "enforcement_0003")
    eng = make_engine(fresh_settings)
    now = "2026-06-01 00:00:00"
    with eng.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO enf_parties (id, kind, category, name, registered_on, demo,"
                " created_at) VALUES (1, 'organisation', 'shop', '某店', '2020-01-01', false, :now)"
            ),
            {"now": now},
        )
        for cid, status, outcome in (
            (1, "pre_notified", "penalty"),
            (2, "closed", "penalty"),
            (3, "closed", "no_penalty"),
        ):
            conn.execute(
                text(
                    "INSERT INTO enf_cases (id, party_id, item_id, domain, discovery, status,"
                    " occurred_on, discovered_on, facts, endangers_safety, aggravating,"
                    " mitigating, officer, created_at) VALUES (:id, 1, 'ZD-01', 'roadside',"
                    " 'patrol', :status, '2026-05-01', '2026-05-01', '', false, '[]', '[]',"
                    " 'x', :now)"
                ),
                {"id": cid, "status": status, "now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO enf_decisions (case_id, outcome, item_id, rule_version,"
                    " legal_basis, repeat, reasons, factors, decided_on, officer, created_at)"
                    " VALUES (:id, :outcome, 'ZD-01', 'v', '', false, '[]', '{}', '2026-05-02',"
                    " 'x', :now)"
                ),
                {"id": cid, "outcome": outcome, "now": now},
            )
    migrate.upgrade(fresh_settings)
    with eng.connect() as conn:
        stages = dict(conn.execute(text("SELECT case_id, stage FROM enf_decisions")).all())
    assert stages == {1: "proposed", 2: "decided", 3: "decided"}
    migrate.downgrade(fresh_settings, "enforcement_0003")
    eng.dispose()


# Through the CLI and the API ------------------------------------------------------------------


def test_cli_stats_and_cancel(cli: Cli) -> None:
    def ok(*args: str) -> dict[str, Any]:
        r = cli("enforcement", *args)
        assert r.exit_code == 0, r.output
        return json.loads(r.stdout)  # type: ignore[no-any-return]

    party = ok(
        "parties",
        "add",
        "--kind",
        "organisation",
        "--category",
        "shop",
        "--name",
        "琼山区测试杂货店",
        "--credit-code",
        f.credit_code(),
        "--registered-on",
        "2020-01-01",
    )["id"]
    for n, code in enumerate(("S1", "S2")):
        ok("inspectors", "add", code, code)
        cert = {"inspector": code, "cert_no": f"4601003{n}", "valid_until": "2099-12-31"}
        ok("officers", "cert", "--body", json.dumps(cert))
    common = ["--officer", "王", "--officers", "S1", "--officers", "S2"]
    day = ["--occurred-on", "2026-06-01", "--discovered-on", "2026-06-01"]
    case = ok(
        "cases",
        "open",
        "--party",
        str(party),
        "--item",
        "ZD-01",
        "--discovery",
        "patrol",
        *day,
        "--filed-on",
        "2026-06-01",
        *common,
    )["id"]
    ok("cases", "facts", str(case), "--harm", "general", "--not-corrected", *common)
    ok(
        "cases",
        "decide",
        str(case),
        "--fine",
        "400",
        "--decided-on",
        "2026-06-01",
        "--officer",
        "王",
    )
    text = cli("enforcement", "stats").stdout
    assert "0 penalties" in text and "1 proposals" in text
    stats = ok("stats", "--json")
    assert stats["decisions"]["penalties"] == 0
    assert stats["decisions"]["pending"]["proposals"] == 1
    bad = cli(
        "enforcement",
        "cases",
        "cancel",
        str(case),
        "--officer",
        "王",
        "--reason",
        "revoked",
        "--note",
        "x",
    )
    assert bad.exit_code != 0 and "CaseStepOutOfOrder" in bad.output
    done = ok(
        "cases",
        "cancel",
        str(case),
        "--officer",
        "王",
        "--reason",
        "withdrawn",
        "--note",
        "当事人认定错误",
        "--on",
        "2026-06-03",
    )
    assert done == {"case_id": case, "status": "cancelled", "cancel_reason": "withdrawn"}
    stats = ok("stats", "--json")
    assert stats["decisions"]["pending"] == {"proposals": 0, "awaiting_service": 0, "cancelled": 1}


def test_api_cancel(client: TestClient, staff_token: Callable[[str], dict[str, str]]) -> None:
    h = staff_token("enforcement")
    api = "/api/enforcement"
    party = client.post(
        f"{api}/parties",
        json={
            "kind": "organisation",
            "category": "shop",
            "name": "测试粮店",
            "credit_code": f.credit_code(),
        },
        headers=h,
    ).json()["id"]
    officers = []
    for n in range(2):
        code = f"A{f.credit_code()[-6:-1]}{n}"
        client.post(f"{api}/inspectors", json={"code": code, "name": "执法员"}, headers=h)
        client.post(
            f"{api}/officer-certs",
            json={"inspector": code, "cert_no": f"K{code}", "valid_until": "2099-12-31"},
            headers=h,
        )
        officers.append(code)
    case = client.post(
        f"{api}/cases",
        json={
            "party_id": party,
            "item": "ZD-01",
            "discovery": "patrol",
            "occurred_on": "2026-06-01",
            "discovered_on": "2026-06-01",
            "filed_on": "2026-06-01",
            "officers": officers,
        },
        headers=h,
    ).json()["id"]
    r = client.post(
        f"{api}/cases/{case}/cancel", json={"reason": "transferred", "note": "涉嫌犯罪"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    r = client.post(
        f"{api}/cases/{case}/cancel", json={"reason": "withdrawn", "note": "x"}, headers=h
    )
    assert (r.status_code, r.json()["error"]) == (409, "CaseStepOutOfOrder")
    r = client.post(f"{api}/cases/{case}/cancel", json={"reason": "other", "note": "x"}, headers=h)
    assert r.status_code == 422
    stats = client.get(f"{api}/stats", headers=h).json()
    assert stats["decisions"]["pending"]["cancelled"] == 0  # no engine result: nothing to count

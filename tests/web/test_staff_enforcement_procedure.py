"""Staff pages for the hearing steps, extensions of the Art. 60 period and cancellation (issue 13
item 5): Chinese forms on the case page, through the same services as the API, refused without
the CSRF token, refusals named beside the form, every step audited."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import timeutil
from minsheng.core.audit import AuditEntry
from minsheng.enforcement import schemas, service
from tests.enforcement import factories as f
from tests.web.conftest import StaffLogin


def notified_case(session_factory: sessionmaker[Session], notice_on: date) -> tuple[int, str]:
    """A construction firm's GC-01 case proposed at 100,000 yuan (hearing threshold reached)
    and notified on ``notice_on``; returns the case id and a presiding officer's code."""
    with session_factory() as s:
        firm = f.organisation(
            s, category="construction_firm", name="琼山区测试建设公司", address="海口市琼山区1号"
        )
        team = f.officers(s)
        (presider,) = f.officers(s, 1, prefix="H")
        on = notice_on - timedelta(days=2)
        case = service.open_case(
            s,
            schemas.CaseOpen.model_validate(
                {
                    "party_id": firm.id,
                    "item": "GC-01",
                    "discovery": "inspection",
                    "occurred_on": on,
                    "discovered_on": on,
                    "filed_on": on,
                    "facts": "施工现场未设置围挡",
                    "officers": team,
                }
            ),
            officer="王执法",
            actor="test",
        )
        service.record_facts(
            s,
            case.id,
            schemas.CaseFacts(harm="serious", corrected_in_time=False, officers=team),
            officer="王执法",
            actor="test",
        )
        service.decide_case(
            s,
            case.id,
            schemas.CaseDecide(fine_yuan=100000, decided_on=on),
            officer="王执法",
            actor="test",
            lookback_days=730,
            valid_days=730,
        )
        service.pre_notify(
            s, case.id, schemas.PriorNotice(notice_on=notice_on), officer="王执法", actor="test"
        )
        s.commit()
        return case.id, presider


def test_hearing_steps_and_an_extension_on_the_case_page(
    staff_login: StaffLogin, session_factory: sessionmaker[Session]
) -> None:
    notice = timeutil.today() - timedelta(days=30)
    case_id, presider = notified_case(session_factory, notice)
    client, csrf = staff_login("enforcement", "/staff/enforcement")
    base = f"/staff/enforcement/cases/{case_id}"
    page = client.get(base).text
    assert 'id="hearing-request-form"' in page and "当事人申请听证" in page
    assert 'id="extension-form"' in page and 'id="cancel-form"' in page

    forged = client.post(f"{base}/hearing-request", data={"requested_on": notice.isoformat()})
    assert forged.status_code == 403

    page = client.post(
        f"{base}/hearing-request", data={"csrf_token": csrf, "requested_on": notice.isoformat()}
    ).text
    assert "已申请听证" in page and 'id="hearing-schedule-form"' in page

    hearing_on = notice + timedelta(days=21)
    bad = client.post(
        f"{base}/hearing-schedule",
        data={
            "csrf_token": csrf,
            "notified_on": notice.isoformat(),
            "hearing_on": (notice + timedelta(days=1)).isoformat(),
            "place": "琼山区执法局听证室",
            "presider": presider,
        },
    )
    assert bad.status_code == 422  # less than 7 working days' notice, named on the page
    assert re.search(r'id="e-hearing_on" class="error" >[^<]*fewer than 7 working days', bad.text)
    page = client.post(
        f"{base}/hearing-schedule",
        data={
            "csrf_token": csrf,
            "notified_on": notice.isoformat(),
            "hearing_on": hearing_on.isoformat(),
            "place": "琼山区执法局听证室",
            "presider": presider,
        },
    ).text
    assert "已通知听证" in page and 'id="hearing-form"' in page

    page = client.post(
        f"{base}/hearing",
        data={
            "csrf_token": csrf,
            "attended": "true",
            "record": "当事人到场陈述，对事实无异议",
            "held_on": hearing_on.isoformat(),
        },
    ).text
    assert re.search(r'id="case-status">已听证<', page)

    missing = client.post(f"{base}/extension", data={"csrf_token": csrf, "days": "30"})
    assert missing.status_code == 422
    page = client.post(
        f"{base}/extension",
        data={
            "csrf_token": csrf,
            "days": "30",
            "basis": "本机关行政处罚程序规定（示例）",
            "approved_by": "局负责人",
        },
    ).text
    assert "含延长 1 次" in page
    assert "延长办案期限" in re.findall(r"<li><strong>([^<]+)</strong>", page)

    with session_factory() as s:
        actions = set(
            s.scalars(select(AuditEntry.action).where(AuditEntry.record_id == str(case_id)))
        )
    assert {"case.hearing_request", "case.hearing_schedule", "case.hearing", "case.extend"} <= (
        actions
    )


def test_cancelling_a_proposed_case_from_its_page(
    staff_login: StaffLogin, session_factory: sessionmaker[Session], client: TestClient
) -> None:
    notice = timeutil.today() - timedelta(days=10)
    case_id, _ = notified_case(session_factory, notice)
    logged_in, csrf = staff_login("enforcement", "/staff/enforcement")
    base = f"/staff/enforcement/cases/{case_id}"
    listed = logged_in.get("/staff/enforcement").text
    assert "拟处罚（未决定）：" in listed  # the cases table does not show a proposal as a penalty
    page = logged_in.get(base).text
    assert "拟处罚（尚未作出决定" in page
    assert "撤销立案" in page and "决定被依法变更" not in page  # before the decision
    refused = logged_in.post(
        f"{base}/cancel", data={"csrf_token": csrf, "reason": "revoked", "cancel_note": "x"}
    )
    assert refused.status_code == 409
    page = logged_in.post(
        f"{base}/cancel",
        data={"csrf_token": csrf, "reason": "withdrawn", "cancel_note": "当事人认定错误"},
    ).text
    assert re.search(r'id="case-status">已撤销', page)
    assert 'id="cancelled"' in page and "不计入决定统计和违法记录" in page
    assert 'id="cancel-form"' not in page
    stats = logged_in.get("/api/enforcement/stats").json()
    assert stats["decisions"]["pending"]["cancelled"] == 1
    assert stats["decisions"]["penalties"] == 0

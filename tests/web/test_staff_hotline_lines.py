"""The staff directory page (热线目录): each line's recording setting shown and switched with a
reason (audited), only for the lines of the staff member's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import audit
from minsheng.core.auth import create_user
from minsheng.core.scope import parse_scope
from minsheng.hotline import service
from tests.hotline.factories import small_directory
from tests.web.conftest import StaffLogin, csrf_of


def _load(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        service.import_hotlines(s, small_directory(), actor="test")
        s.commit()


def _row(html: str, hotline_id: str) -> str:
    return html.split(f'<tr id="line-{hotline_id}">')[1].split("</tr>")[0]


def test_the_recording_setting_is_shown_and_switched_with_a_reason(
    staff_login: StaffLogin, session_factory: sessionmaker[Session]
) -> None:
    _load(session_factory)
    client, csrf = staff_login("hotline", "/staff/hotline/lines")
    page = client.get("/staff/hotline/lines")
    assert "不录音" in _row(page.text, "gd") and "开启录音" in _row(page.text, "gd")
    switched = client.post(
        "/staff/hotline/lines/gd/recording",
        data={"csrf_token": csrf, "recording": "on", "reason": "开展录音质控"},
    )
    assert switched.status_code == 200, switched.text
    assert "通话录音已开启" in switched.text
    assert "关闭录音" in _row(switched.text, "gd")
    assert "不录音" in _row(switched.text, "bj")  # control: the other lines did not change
    no_csrf = client.post("/staff/hotline/lines/gd/recording", data={"recording": "off"})
    assert no_csrf.status_code == 403
    with session_factory() as s:
        assert service.get_hotline(s, "gd").recording is True
        (entry,) = [
            e for e in audit.list_entries(s, table="hotline_hotlines")
            if e.action == "hotline.recording.setting"
        ]  # fmt: skip
    assert entry.record_id == "gd"
    assert entry.detail["reason"] == "开展录音质控"
    assert entry.actor.startswith("user:hotline-")


def test_a_provincial_user_sees_and_switches_only_its_own_lines(
    client: Any, session_factory: sessionmaker[Session]
) -> None:
    _load(session_factory)
    with session_factory() as s:
        _user, token = create_user(
            s, name="gd-staff", role="hotline", scope=parse_scope("440000", None)
        )
        s.commit()
    client.post("/staff/login", data={"token": token})
    page = client.get("/staff/hotline/lines")
    assert page.status_code == 200
    assert 'id="line-gd"' in page.text and 'id="line-sz"' in page.text
    assert 'id="line-bj"' not in page.text and 'id="line-national"' not in page.text
    csrf = csrf_of(page.text)
    for other in ("bj", "national"):
        refused = client.post(
            f"/staff/hotline/lines/{other}/recording", data={"csrf_token": csrf, "recording": "on"}
        )
        assert refused.status_code == 404
    form = {"csrf_token": csrf, "recording": "on"}
    ok = client.post("/staff/hotline/lines/sz/recording", data=form)
    assert ok.status_code == 200
    with session_factory() as s:
        assert {h.id: h.recording for h in service.list_hotlines(s)} == {
            "bj": False, "gd": False, "national": False, "sz": True,
        }  # fmt: skip

"""Each hotline's own recording setting: in the directory, defaulted from the platform for new
lines, changed by the CLI (audited), scoped, and what the SIP call control answers from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from minsheng.core import audit
from minsheng.core.config import Settings
from minsheng.core.scope import parse_scope
from minsheng.hotline import service
from minsheng.hotline.errors import HotlineNotFound
from minsheng.hotline.sip.engine_control import EngineCallControl
from minsheng.hotline.sip.seats import SeatBook
from tests.conftest import Cli
from tests.hotline.factories import hotline_row, small_directory


class TestDirectory:
    def test_new_lines_take_the_platform_default_and_stored_lines_keep_theirs(
        self, session: Session
    ) -> None:
        service.import_hotlines(session, small_directory(), actor="test", default_recording=True)
        assert {h.id: h.recording for h in service.list_hotlines(session)} == dict.fromkeys(
            ("bj", "gd", "national", "sz"), True
        )
        service.set_hotline_recording(session, "sz", False, actor="test")
        rows = [hotline_row("sz", "city", ["440300"]), hotline_row("new", "city", ["440100"])]
        service.import_hotlines(session, rows, actor="test", default_recording=False)
        assert service.get_hotline(session, "sz").recording is False  # kept
        assert service.get_hotline(session, "new").recording is False  # the default
        rows = [hotline_row("sz", "city", ["440300"], recording=True)]
        service.import_hotlines(session, rows, actor="test")
        assert service.get_hotline(session, "sz").recording is True  # the row says so
        exported = {d["id"]: d["recording"] for d in service.export_hotlines(session)}
        assert exported["sz"] is True and exported["new"] is False
        assert service.directory_snapshot(session).hotlines[-1].recording is True  # sz
        assert service.recording_settings(session)["new"] is False

    def test_a_change_is_audited_and_scoped(self, session: Session) -> None:
        service.import_hotlines(session, small_directory(), actor="test")
        service.set_hotline_recording(session, "gd", True, actor="user:a", reason="质控要求")
        (entry,) = [
            e for e in audit.list_entries(session, table="hotline_hotlines")
            if e.action == "hotline.recording.setting"
        ]  # fmt: skip
        assert (entry.actor, entry.record_id) == ("user:a", "gd")
        assert entry.detail == {"recording": True, "before": False, "reason": "质控要求"}
        guangdong = parse_scope("440000", None)
        service.set_hotline_recording(session, "sz", True, actor="user:b", scope=guangdong)
        for other in ("bj", "national"):  # another province's line, the national backup
            with pytest.raises(HotlineNotFound):
                service.set_hotline_recording(session, other, True, actor="user:b", scope=guangdong)
        assert service.get_hotline(session, "bj").recording is False
        assert [h.id for h in service.list_hotlines(session, scope=guangdong)] == ["gd", "sz"]


def test_the_cli_sets_lists_and_audits(cli: Cli, tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "dir.json"
    path.write_text(json.dumps(small_directory(), ensure_ascii=False), encoding="utf-8")
    assert cli("hotline", "import", str(path)).exit_code == 0
    result = cli("hotline", "recording", "set", "gd", "--on", "--reason", "开展录音质控")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"hotline_id": "gd", "recording": True}
    listed = {d["id"]: d["recording"] for d in json.loads(cli("hotline", "list").stdout)}
    assert listed == {"bj": False, "gd": True, "national": False, "sz": False}
    assert cli("hotline", "recording", "set", "gd", "--off").exit_code == 0
    unknown = cli("hotline", "recording", "set", "nowhere", "--on")
    assert unknown.exit_code != 0
    assert "HotlineNotFound" in unknown.output
    from minsheng.core.db import make_engine, make_sessionmaker

    engine = make_engine(settings)
    try:
        with make_sessionmaker(engine)() as s:
            changes = [
                (e.detail["recording"], e.actor)
                for e in audit.list_entries(s, table="hotline_hotlines")
                if e.action == "hotline.recording.setting"
            ]
    finally:
        engine.dispose()
    assert sorted(changes) == [(False, audit.cli_actor()), (True, audit.cli_actor())]


def test_the_call_control_answers_from_the_lines_and_takes_changes(
    session: Session, settings: Settings
) -> None:
    rows = [*small_directory()[:3], hotline_row("national", "national", [], recording=True)]
    service.import_hotlines(session, rows, actor="test")
    from minsheng.hotline.schemas import CounsellorCreate

    for cid, line in (("c-gd", "gd"), ("c-nat", "national")):
        data = CounsellorCreate(id=cid, name=cid, hotline_id=line)
        service.create_counsellor(session, data, actor="test")
    control = EngineCallControl(
        service.directory_snapshot(session),
        SeatBook([]),
        settings=settings,
        record=lambda _record: None,
    )
    assert (control.records("national"), control.records("gd")) == (True, False)
    assert control.records(None) is False and control.records("unknown") is False
    assert control.seat_hotline("c-nat") == "national"
    assert control.seat_hotline("nobody") is None
    control.set_recording({"gd": True, "national": False})
    assert (control.records("national"), control.records("gd")) == (False, True)

"""``minsheng hotline …`` end to end on the test database."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli
from tests.hotline.factories import hotline_row, small_directory


def write(tmp_path: Path, rows: object) -> str:
    path = tmp_path / "dir.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_import_route_export(cli: Cli, tmp_path: Path) -> None:
    r = cli("hotline", "import", write(tmp_path, small_directory()))
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["created"] == 4
    r = cli("hotline", "route", "13800138000", "--at", "2025-06-04T12:00", "--json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert body["caller"]["masked"] == "138****8000"
    assert body["caller"]["province"] == {"code": "110000", "name": "北京市"}
    assert [s["hotline_id"] for s in body["steps"]] == ["bj", "national"]
    r = cli("hotline", "route", "19912345678", "--json")
    assert json.loads(r.stdout)["caller"]["location_source"] == "unknown"
    r = cli(
        "hotline",
        "route",
        "13800138000",
        "--dialled",
        "0755-25629459",
        "--at",
        "2025-06-04T12:00",
        "--json",
    )
    assert json.loads(r.stdout)["steps"][0]["rule"] == "legacy_number"
    out = tmp_path / "out.json"
    assert cli("hotline", "export", "-o", str(out)).exit_code == 0
    assert len(json.loads(out.read_text())) == 4


def test_bad_import_is_one_json_error_line(cli: Cli, tmp_path: Path) -> None:
    rows = [hotline_row("a", "city", ["440300"]), hotline_row("b", "city", ["440300"])]
    r = cli("hotline", "import", write(tmp_path, rows))
    assert r.exit_code == 1
    err = json.loads(r.stderr.strip())
    assert err["error"] == "OverlappingRegions"
    assert "'a'" in err["detail"] and "'b'" in err["detail"]
    r = cli("hotline", "import", write(tmp_path, [hotline_row("c", hours="26:00-27:00")]))
    assert json.loads(r.stderr)["field"] == "rows[0].hours.mon"
    assert json.loads(cli("hotline", "export").stdout) == []
    r = cli("hotline", "route", "not-a-number")
    assert r.exit_code == 1 and json.loads(r.stderr)["error"] == "InvalidNumber"


def test_compliance_kpi_calls_purge(cli: Cli, tmp_path: Path) -> None:
    cli(
        "hotline",
        "import",
        write(tmp_path, [*small_directory(), hotline_row("x", "city", ["440100"], seats=1)]),
    )
    r = cli("hotline", "compliance", "--json")
    report = json.loads(r.stdout)
    assert {
        "hotline_id": "x",
        "level": "city",
        "ok": False,
        "problems": ["1 seat(s): at least 2 required"],
    } in report["hotlines"]
    assert cli("hotline", "compliance").exit_code == 0
    r = cli("hotline", "kpi", "--from", "2025-06-01", "--to", "2025-06-08", "--by", "day", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["total"]["offered"] == 0
    r = cli("hotline", "kpi", "--from", "2025-06-01", "--to", "2025-06-08", "--by", "week")
    assert r.exit_code == 1 and json.loads(r.stderr)["field"] == "by"
    assert json.loads(cli("hotline", "calls").stdout) == []
    assert json.loads(cli("hotline", "purge").stdout)["deleted"] == 0


def test_counsellors_and_followups(cli: Cli, tmp_path: Path) -> None:
    cli("hotline", "import", write(tmp_path, small_directory()))
    r = cli(
        "hotline",
        "counsellor",
        "add",
        "c1",
        "--name",
        "张*",
        "--hotline",
        "sz",
        "--skill",
        "crisis",
    )
    assert r.exit_code == 0, r.output
    r = cli("hotline", "counsellor", "add", "c1", "--name", "张*", "--hotline", "gd")
    assert json.loads(r.stderr)["error"] == "CounsellorOnTwoHotlines"
    assert len(json.loads(cli("hotline", "counsellor", "list", "--hotline", "sz").stdout)) == 1
    assert (
        json.loads(cli("hotline", "counsellor", "state", "c1", "break").stdout)["state"] == "break"
    )
    r = cli("hotline", "counsellor", "state", "c1", "talking")
    assert json.loads(r.stderr)["field"] == "state"
    r = cli(
        "hotline",
        "assess",
        "nope",
        "--counsellor",
        "c1",
        "--ideation",
        "mild",
        "--hopelessness",
        "none",
    )
    assert json.loads(r.stderr)["error"] == "CallNotFound"
    r = cli(
        "hotline",
        "assess",
        "nope",
        "--counsellor",
        "c1",
        "--ideation",
        "very",
        "--hopelessness",
        "none",
    )
    assert json.loads(r.stderr)["field"] == "suicidal_ideation"
    assert json.loads(cli("hotline", "followup", "list", "--overdue").stdout) == []

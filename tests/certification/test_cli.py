"""``minsheng certs …`` end to end on the test database."""

from __future__ import annotations

import json
from pathlib import Path

from tests.certification import factories as f
from tests.conftest import Cli


def test_occupation_json(cli: Cli) -> None:
    r = cli("certs", "occupation", "4-09-07-04", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert {
        "code",
        "name",
        "major_group",
        "definition",
        "green",
        "digital",
        "skill_certificate_eligible",
        "reasons",
    } <= set(data)
    assert data["green"] is True and data["major_group"] == 4
    bad = cli("certs", "occupation", "1-2")
    assert bad.exit_code == 1 and json.loads(bad.stderr)["error"] == "InvalidOccupationCode"


def test_number_decode_exits_zero_either_way(cli: Cli) -> None:
    ok = cli("certs", "number", "decode", "S000046460100244000001", "--json")
    bad = cli("certs", "number", "decode", "nonsense", "--json")
    assert ok.exit_code == bad.exit_code == 0
    assert json.loads(ok.stdout)["valid"] and not json.loads(bad.stdout)["valid"]


def test_demo_verify_scan_and_subsidy(cli: Cli, tmp_path: Path) -> None:
    loaded = json.loads(cli("demo", "load", "certification").stdout)["certification"]
    number = loaded["certificates"][0]
    r = cli("certs", "verify", "--name", "张伟", "--number", number, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["found"] and out["certificates"][0]["level"] == 4
    assert set(out["certificates"][0]) >= {
        "number",
        "name_masked",
        "id_masked",
        "occupation_code",
        "occupation",
        "level",
        "body",
        "issued_on",
        "status",
    }
    miss = cli("certs", "verify", "--name", "张三", "--number", number)
    assert json.loads(miss.stdout) == {"found": False, "certificates": []}
    usage = cli("certs", "verify", "--name", "张伟")
    assert usage.exit_code == 2
    ad = cli("certs", "scan-ad", "-", "--json", input="七天拿证，挂证躺赚\n")
    assert json.loads(ad.stdout)["risk"] == "high"
    req = tmp_path / "s.json"
    req.write_text(
        json.dumps(
            {
                "applicant": {
                    "insured_months": 40,
                    "category": "enterprise_employee",
                    "province_code": "44",
                },
                "certificate": {"occupation_code": f.CARBON, "level": 5, "issued_on": "2018-02-01"},
                "applied_on": "2018-05-01",
                "training_subsidy_same_training": False,
                "previous_claims": [],
            }
        )
    )
    dec = json.loads(cli("certs", "subsidy", "decide", str(req), "--json").stdout)
    assert dec == dec | {"eligible": True, "max_amount_yuan": 1000, "rule_set": "national-2017"}
    stats = json.loads(
        cli("certs", "subsidy", "stats", "--start", "2024-01-01", "--end", "2025-12-31").stdout
    )
    assert stats["people"] == 3


def test_import_reports_lines(cli: Cli, tmp_path: Path) -> None:
    cli("demo", "load", "certification")
    path = tmp_path / "c.csv"
    path.write_text(
        "number,name,id_number,occupation_code,level,body_code,issued_on\n"
        f"Y990144440300253000500,赵六,{f.make_id()},4-04-05-10,3,Y9901,2025-01-02\n"
        "Y99014444030025300050,孙八,1,4-04-05-10,3,Y9901,2025-01-02\n",
        encoding="utf-8",
    )
    r = cli("certs", "import", str(path))
    assert r.exit_code == 1
    err = json.loads(r.stderr)
    assert err["error"] == "ImportRejected" and {x["line"] for x in err["rows"]} == {3}
    path.write_text(
        path.read_text(encoding="utf-8").splitlines(keepends=True)[0]
        + path.read_text(encoding="utf-8").splitlines(keepends=True)[1],
        encoding="utf-8",
    )
    ok = cli("certs", "import", str(path))
    assert ok.exit_code == 0 and json.loads(ok.stdout)["imported"] == 1


def test_reference_commands(cli: Cli, tmp_path: Path) -> None:
    added = cli(
        "certs", "reference", "add-occupation", "4-04-05-13", "生成式人工智能系统应用员",
        "--added-on", "2024-07-31", "--source", "MOHRSS announcement", "--digital",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["digital"] is True
    std = tmp_path / "std.csv"
    std.write_text(
        "code,occupation_code,name,issue_number,issued_on,levels\n"
        "T-1,4-04-05-13,生成式人工智能系统应用员（测试）,T1,2025-01-01,4;3\n",
        encoding="utf-8",
    )
    assert json.loads(cli("certs", "reference", "import-standards", str(std)).stdout) == {
        "imported": 1
    }
    view = json.loads(cli("certs", "occupation", "4-04-05-13").stdout)
    assert view["skill_certificate_eligible"] is True and view["standard_levels"] == [3, 4]
    again = cli("certs", "reference", "import-standards", str(std))
    assert again.exit_code == 1 and json.loads(again.stderr)["rows"][0]["field"] == "code"

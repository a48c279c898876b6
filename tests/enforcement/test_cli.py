"""The ``minsheng enforcement`` commands: JSON shapes, error lines, reproducible plans."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import audit
from minsheng.core.audit import AuditEntry
from tests.conftest import Cli
from tests.enforcement.factories import credit_code, decide_json, id_number


def test_items_json(cli: Cli) -> None:
    r = cli("enforcement", "items", "--domain", "construction", "--json")
    assert r.exit_code == 0, r.output
    items = json.loads(r.stdout)
    assert [i["id"] for i in items] == ["GC-01", "GC-02", "GC-03"]
    first = items[0]
    assert set(first) >= {"id", "domain", "description", "legal_basis", "exemptible", "tiers"}
    assert first["tiers"]["heavier"]["organisation"] == [60000, 100000]


def test_decide_json(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_text(json.dumps(decide_json()), encoding="utf-8")
    r = cli("enforcement", "decide", str(path), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert {k: out[k] for k in ("outcome", "tier", "fine_range_yuan", "item", "rule_version")} == {
        "outcome": "no_penalty",
        "tier": "exempt",
        "fine_range_yuan": None,
        "item": "ZD-01",
        "rule_version": "QS-2025.1",
    }
    assert out["reasons"]
    repeat = decide_json(
        history=[{"item": "ZD-01", "occurred_on": "2025-01-01", "penalised": False}]
    )
    r = cli("enforcement", "decide", "-", "--json", input=json.dumps(repeat))
    assert json.loads(r.stdout)["fine_range_yuan"] == [300, 600]


def test_decide_text_names_the_rule_and_the_demo_rule_set(cli: Cli) -> None:
    r = cli("enforcement", "decide", "-", input=json.dumps(decide_json(harm="none")))
    assert r.exit_code == 0, r.output
    assert "ART33-1-MINOR" in r.stdout
    assert "演示规则" in r.stdout and "(demo)" in r.stdout
    person = decide_json(item="ZD-02")
    person["party"] = {"type": "person", "birth_date": "2012-01-01"}
    r = cli("enforcement", "decide", "-", "--json", input=json.dumps(person))
    assert json.loads(r.stdout)["rule_id"] == "ART30-UNDER-14"


def test_items_say_the_rule_set_is_demo(cli: Cli) -> None:
    text = cli("enforcement", "items", "--domain", "farmland").stdout
    assert text.splitlines()[0].startswith("演示规则")
    items = json.loads(cli("enforcement", "items", "--json").stdout)
    assert {i["rule_set"]["status"] for i in items} == {"demo"}
    gd01 = next(i for i in items if i["id"] == "GD-01")
    assert gd01["fine_multiple"]["of"] == "占用基本农田的耕地开垦费"
    assert "未核实" in gd01["legal_basis"]


def test_decide_errors_are_one_json_line(cli: Cli) -> None:
    r = cli("enforcement", "decide", "-", input=json.dumps(decide_json(item="XX")))
    assert r.exit_code == 1
    err = json.loads(r.stderr.strip())
    assert err["error"] == "UnknownItem"
    assert err["field"] == "violation.item"
    r = cli("enforcement", "decide", "-", input="{not json")
    assert json.loads(r.stderr.strip())["error"] == "InvalidInput"


def test_grade_explain(cli: Cli) -> None:
    summary = {
        "inspections": 4,
        "inspections_failed": 1,
        "penalties": [{"tier": "standard", "fine_yuan": 30000}],
        "industry_records": [{"kind": "serious_accident", "note": "2 deaths"}],
        "new_entrant": False,
    }
    r = cli("enforcement", "grade", "explain", "-", "--json", input=json.dumps(summary))
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["grade"] == "D"
    assert out["rule_version"]
    assert out["rule_set"]["status"] == "demo"
    assert out["breakdown"][0]["item"] == "base"


def test_party_case_and_plan_commands(cli: Cli) -> None:
    r = cli(
        "enforcement",
        "parties",
        "add",
        "--kind",
        "organisation",
        "--category",
        "construction_firm",
        "--name",
        "海南测试建设",
        "--credit-code",
        credit_code(),
        "--registered-on",
        "2020-01-01",
    )
    assert r.exit_code == 0, r.output
    party = json.loads(r.stdout)["id"]
    for code in ("Q1", "Q2", "Q3"):
        assert cli("enforcement", "inspectors", "add", code, code).exit_code == 0
    r = cli(
        "enforcement",
        "cases",
        "open",
        "--party",
        str(party),
        "--item",
        "GC-02",
        "--discovery",
        "inspection",
        "--occurred-on",
        "2026-02-01",
        "--discovered-on",
        "2026-02-01",
        "--officer",
        "王",
    )
    assert r.exit_code == 0, r.output
    case = json.loads(r.stdout)["id"]
    r = cli("enforcement", "cases", "decide", str(case), "--officer", "王")
    assert json.loads(r.stderr.strip())["error"] == "CaseStepOutOfOrder"
    assert cli("enforcement", "grade", "--year", "2026").exit_code == 0
    a = cli("enforcement", "plan", "--year", "2026", "--seed", "11", "--json")
    b = cli("enforcement", "plan", "--year", "2026", "--seed", "11", "--json")
    assert a.exit_code == 0, a.output
    assert a.stdout == b.stdout
    assert json.loads(a.stdout)["burden"]["firms"] == 1
    bad = cli(
        "enforcement",
        "parties",
        "add",
        "--kind",
        "organisation",
        "--category",
        "shop",
        "--name",
        "x",
        "--credit-code",
        "123",
    )
    assert json.loads(bad.stderr.strip())["error"] == "InvalidCreditCode"


def test_officer_is_case_data_and_the_audit_names_the_os_user(
    cli: Cli, session_factory: sessionmaker[Session]
) -> None:
    r = cli(
        "enforcement",
        "parties",
        "add",
        "--kind",
        "organisation",
        "--category",
        "shop",
        "--name",
        "琼山区测试商店",
        "--credit-code",
        credit_code(),
        "--registered-on",
        "2020-01-01",
    )
    assert r.exit_code == 0, r.output
    party = json.loads(r.stdout)["id"]
    r = cli(
        "enforcement",
        "cases",
        "open",
        "--party",
        str(party),
        "--item",
        "ZD-01",
        "--discovery",
        "patrol",
        "--occurred-on",
        "2026-02-01",
        "--discovered-on",
        "2026-02-01",
        "--officer",
        "王海",
    )
    assert r.exit_code == 0, r.output
    case = json.loads(r.stdout)["id"]
    shown = json.loads(cli("enforcement", "cases", "show", str(case)).stdout)
    assert shown["officer"] == "王海"
    assert [e["officer"] for e in shown["events"]] == ["王海"]
    with session_factory() as s:
        actors = set(s.scalars(select(AuditEntry.actor)))
    assert actors == {audit.cli_actor()}
    # A malformed option is refused by the API's schema, naming the field.
    bad = cli("enforcement", "inspectors", "add", "X" * 21, "名")
    assert bad.exit_code == 1
    assert json.loads(bad.stderr.strip())["field"] == "code"


def test_case_facts_options_reach_the_decision(cli: Cli) -> None:
    r = cli(
        "enforcement", "parties", "add", "--kind", "person", "--category", "farmer",
        "--name", "符农户", "--id-number", id_number(),
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    party = json.loads(r.stdout)["id"]
    r = cli(
        "enforcement", "cases", "open", "--party", str(party), "--item", "GD-01",
        "--discovery", "patrol", "--occurred-on", "2026-02-01", "--discovered-on", "2026-02-02",
        "--officer", "王",
    )  # fmt: skip
    case = json.loads(r.stdout)["id"]
    r = cli(
        "enforcement", "cases", "facts", str(case), "--harm", "general", "--officer", "王",
        "--mental-state", "limited", "--fine-base", "10000",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["mental_state"] == "limited"
    r = cli("enforcement", "cases", "decide", str(case), "--officer", "王", "--fine", "12000",
            "--decided-on", "2026-02-03")  # fmt: skip
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["fine_range_yuan"] == [
        10000,
        16000,
    ]  # 一般 1.3–1.6× reaching down to 从轻 (第三十一条)
    assert out["rule_set"]["status"] == "demo"

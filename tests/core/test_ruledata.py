"""Which rule data is demo (issue 13 item 9): each system answers, the app composes, and
``minsheng serve`` refuses demo rules unless MINSHENG_ALLOW_DEMO_RULES=1."""

from __future__ import annotations

import json

import pytest

from minsheng.app import check_rule_data, rule_data_status
from minsheng.core.config import Settings
from minsheng.core.ruledata import DemoRulesRefused, Kind, RuleData, check_allowed
from tests.conftest import Cli


def test_every_system_answers() -> None:
    items = rule_data_status()
    assert {r.system for r in items} == {"hotline", "certification", "enforcement"}
    enforcement = [r for r in items if r.system == "enforcement"]
    assert any(r.demo and r.kind is Kind.RULES for r in enforcement)
    directory = next(r for r in items if "example hotline directory" in r.name)
    assert directory.demo and directory.kind is Kind.DATA
    assert not any(r.demo for r in items if r.system == "hotline" and r.kind is Kind.RULES)
    assert any(r.demo for r in items if r.system == "certification" and r.kind is Kind.RULES)


def test_demo_rules_refused_unless_allowed() -> None:
    with pytest.raises(DemoRulesRefused) as info:
        check_rule_data(Settings(allow_demo_rules=False))
    assert "enforcement" in info.value.detail
    assert check_rule_data(Settings(allow_demo_rules=True))
    only_data = [RuleData("x", "example", "1", Kind.DATA, True, "invented")]
    assert check_allowed(only_data, allow_demo_rules=False) == []


def test_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINSHENG_ALLOW_DEMO_RULES", "1")
    assert Settings().allow_demo_rules
    monkeypatch.setenv("MINSHENG_ALLOW_DEMO_RULES", "0")
    assert not Settings().allow_demo_rules


def test_serve_refuses_demo_rules(cli: Cli) -> None:
    r = cli("serve", "--port", "1")
    assert r.exit_code == 2
    assert "refusing to serve" in r.output
    assert "MINSHENG_ALLOW_DEMO_RULES=1" in r.output


def test_rule_data_command(cli: Cli) -> None:
    r = cli("rule-data", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert any(row["demo"] for row in rows)
    labels = {row["label"] for row in rows}
    assert "演示规则（非正式依据）" in labels and "正式规则" in labels
    text = cli("rule-data")
    assert "演示数据（不作决定）" in text.stdout

"""The demo data reproduces the article's figures from records (golden test), idempotently."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Cli


@pytest.mark.demo("enforcement")
def test_demo_stats_reproduce_the_article(cli: Cli) -> None:
    again = cli("demo", "load", "enforcement")
    assert json.loads(again.stdout)["enforcement"] == {"skipped": "demo data present"}
    r = cli("enforcement", "stats", "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["commitments"]["total"] == 12059
    assert s["violated_after_commitment"]["percent"] == "4.95%"
    assert s["street_shops"]["commitments"] == 1766
    assert s["street_shops"]["penalised_again"]["count"] == 141
    assert round(s["street_shops"]["penalised_again"]["rate"] * 100) == 8
    # 1,766 is 沿街商户 only; 流动商贩 are counted apart (their story is the 7 vending points).
    assert s["street_vendors"]["commitments"] > 0
    assert s["commitments"]["by_domain"]["roadside"] == 1766 + s["street_vendors"]["commitments"]
    assert s["street_vendors"]["vending_points"] == 7
    # 125 小区物业: the property managers of residential compounds who signed.
    assert s["compound_property_managers"]["with_commitments"] == 125
    assert s["compound_property_managers"]["compounds_managed"] >= 125
    assert s["sites"] == {
        "garbage_sorting_rooms": 100,
        "model_compounds": 88,
        "compounds_rectified": 37,
        "vending_points": 7,
    }
    # 再犯 needs an earlier violation: breaches of commitments signed in advance are first
    # violations (penalised, not as repeats).
    assert 0 < s["decisions"]["repeat_penalties"] < s["violated_after_commitment"]["count"]
    # Graded firms: D firms are inspected more often than B firms.
    per = s["inspections_per_firm_by_grade"]
    assert per["D"]["per_firm"] > per["B"]["per_firm"]

"""The simulator: scenario checks, determinism, conservation of calls, variants, CLI, and the
Erlang C validation on the real engine."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from minsheng.hotline.engine import CallRecord, Outcome
from minsheng.hotline.rules import erlang
from minsheng.hotline.sim import report, runner
from minsheng.hotline.sim import scenario as sc
from tests.conftest import Cli

SCENARIOS = Path(__file__).resolve().parents[2] / "src/minsheng/hotline/sim/scenarios"

SMALL: dict[str, Any] = {
    "name": "small",
    "duration_h": 6,
    "start": "2026-11-30T16:00:00+08:00",
    "seed": 5,
    "demand": {"bj": 400, "tj": 150},
    "unknown_share": 0.05,
    "hotlines": [
        {"id": "bj", "level": "city", "regions": ["110100"], "seats": 3},
        {"id": "tj", "level": "city", "regions": ["120100"], "seats": 2, "hours": "08:00-20:00"},
        {"id": "hb", "level": "province", "regions": ["130000"], "seats": 2},
        {"id": "nat", "level": "national", "seats": 3},
    ],
    "variants": [
        {"name": "city-only", "routing": {"mode": "city_only"}},
        {"name": "more-bj", "extra_seats": {"bj": 3}},
    ],
}

BAD_VARIANT = {"variants": [{"name": "x", "routing": {"step_timeout_s": -1}}]}
BAD_ROSTER = {"rosters": {"bj": [{"from": "25:00", "to": "08:00", "seats": 2}]}}


def run(raw: dict[str, Any]) -> list[runner.VariantResult]:
    s = sc.parse(raw)
    assert s.hotlines is not None
    return runner.run(s, s.hotlines)


class TestScenario:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"routing": {"mode": "sideways"}}, "routing.mode"),
            ({"pickup_s": 30, "offer_timeout_s": 20}, "pickup_s"),
            ({"handling": {"mean_s": 0}}, "handling.mean_s"),
            ({"crisis_share": 1.5}, "crisis_share"),
            ({"hourly_profile": [1] * 23}, "hourly_profile"),
            (BAD_VARIANT, "variants[0].routing.step_timeout_s"),
            (BAD_ROSTER, "rosters.bj[0].from"),
            ({"start": "tomorrow"}, "start"),
            ({"directory": "cloud"}, "directory"),
        ],
    )  # fmt: skip
    def test_refused_with_field(self, change: dict[str, Any], field: str) -> None:
        with pytest.raises(sc.ScenarioError) as info:
            sc.parse({**SMALL, **change})
        assert info.value.field == field

    def test_unknown_hotline_is_named(self) -> None:
        s = sc.parse({**SMALL, "demand": {"bj": 10, "atlantis": 5}})
        assert s.hotlines is not None
        with pytest.raises(sc.UnknownScenarioHotline) as info:
            runner.run(s, s.hotlines)
        assert info.value.field == "demand.atlantis" and "atlantis" in info.value.detail

    def test_unknown_hotline_in_a_variant(self) -> None:
        s = sc.parse({**SMALL, "variants": [{"name": "v", "extra_seats": {"ghost": 1}}]})
        assert s.hotlines is not None
        with pytest.raises(sc.UnknownScenarioHotline) as info:
            sc.check_against(s, s.hotlines)
        assert info.value.field == "variants[v].extra_seats.ghost"

    def test_variant_selection(self) -> None:
        s = sc.parse(SMALL, variant_names=["city-only"])
        assert [v.name for v in s.variants] == ["city-only"]
        with pytest.raises(sc.ScenarioError) as info:
            sc.parse(SMALL, variant_names=["nope"])
        assert info.value.field == "variant"

    def test_variants_inherit_the_base(self) -> None:
        s = sc.parse({**SMALL, "pickup_s": 3})
        assert [v.pickup_s for v in s.variants] == [3, 3, 3]
        assert s.variants[1].routing.mode == "city_only"
        assert s.variants[2].extra_seats == {"bj": 3}

    def test_synthetic_directory(self) -> None:
        s = sc.parse({"calls_per_day": 100, "directory": "synthetic", "synthetic_lines": 500})
        assert s.hotlines is not None and len(s.hotlines) == 500
        assert len({h.id for h in s.hotlines}) == 500
        levels = [h.level.value for h in s.hotlines]
        assert levels.count("national") == 1 and levels.count("province") == 31
        with pytest.raises(sc.ScenarioError) as info:
            sc.parse({"calls_per_day": 1, "directory": "synthetic", "synthetic_lines": -1})
        assert info.value.field == "synthetic_lines"

    def test_shipped_scenarios_parse(self) -> None:
        for path in SCENARIOS.glob("*.yaml"):
            s = sc.parse(sc.load_file(path))
            assert len(s.variants) >= 2, path


class TestRun:
    def test_same_seed_same_result(self) -> None:
        a = [r.kpis for r in run(SMALL)]
        b = [r.kpis for r in run(SMALL)]
        assert a == b
        c = [r.kpis for r in run({**SMALL, "seed": 6})]
        assert a != c

    def test_every_call_is_accounted_for(self) -> None:
        for r in run(SMALL):
            n = r.kpis["national"]
            assert n["offered"] == r.calls > 100
            assert n["answered"] + n["abandoned"] + n["no_answer"] == n["offered"]
            assert sum(p["offered"] for p in r.kpis["provinces"]) == r.calls
            assert sum(h["offered"] for h in r.kpis["by_hour"]) == r.calls

    def test_events_are_counted_as_a_discrete_event_simulator_counts_them(self) -> None:
        # Every caller answered at once, no patience: each call's step and ring timers are
        # dropped as void at the answer, and the engine hands over its Ring and its Recorded;
        # the timed events (arrival, pickup, end of talk, end of wrap-up, rosters) fire.
        raw = {
            **SMALL,
            "demand": {"bj": 200},
            "unknown_share": 0,
            "patience": {"distribution": "none"},
            "hotlines": [{"id": "bj", "level": "city", "regions": ["110100"], "seats": 40}],
            "variants": [],
        }
        [r] = run(raw)
        n = r.kpis["national"]
        assert n["answered"] == r.calls > 80 and n["rollovers"] == 0
        assert r.events - r.timed_events == 4 * r.calls
        assert r.timed_events >= 4 * r.calls

    def test_variants_see_the_same_callers(self) -> None:
        base, city_only, more = run(SMALL)
        assert base.calls == city_only.calls == more.calls
        assert city_only.kpis["national"]["rollovers"] == 0
        assert base.kpis["national"]["rollovers"] > 0
        # More seats at the busy line: fewer callers give up there.
        assert more.kpis["national"]["abandoned"] < base.kpis["national"]["abandoned"]

    def test_closed_line_rolls_over(self) -> None:
        # tj closes at 20:00: its evening callers go to the province... tj is in 天津, whose
        # province has no line, so they reach the national backup.
        [base] = run({**SMALL, "variants": []})
        nat = next(h for h in base.kpis["hotlines"] if h["key"] == "nat")
        assert nat["offered"] > 0
        assert base.kpis["national"]["rollovers"] > 0

    def test_plan_seats_variant_adds_seat_hours(self) -> None:
        raw = {**SMALL, "variants": [{"name": "plan", "extra_seats": "plan"}]}
        base, plan = run(raw)
        assert plan.plan_seats_added > 0 and base.plan_seats_added == 0
        assert plan.kpis["national"]["answer_rate"] >= base.kpis["national"]["answer_rate"]

    def test_rosters_and_no_patience(self) -> None:
        raw = {
            **SMALL,
            "patience": {"distribution": "none"},
            "rosters": {"bj": [{"from": "16:00", "to": "22:00", "seats": 1}]},
            "variants": [],
        }
        [r] = run(raw)
        assert r.kpis["national"]["abandoned"] == 0


def single_queue(seats: int, patience: dict[str, Any], seed: int) -> list[CallRecord]:
    """200 hours of one hotline as a textbook queue: Poisson arrivals of 100 calls per half hour,
    exponential 180 s calls, no wrap-up, instant pickup, no rollover; records after a 2-hour
    warm-up, in arrival order."""
    raw = {
        "name": "single-queue",
        "duration_h": 200,
        "seed": seed,
        "demand": {"solo": 4800},
        "unknown_share": 0.0,
        "hourly_profile": [1] * 24,
        "handling": {"distribution": "exponential", "mean_s": 180},
        "patience": patience,
        "crisis_share": 0.0,
        "pickup_s": 0,
        "wrapup_s": 0,
        "offer_timeout_s": 1e9,
        "routing": {"mode": "city_only", "city_only_wait_s": 1e9},
        "service_level_s": 20,
        "hotlines": [{"id": "solo", "level": "city", "regions": ["110100"], "seats": seats}],
    }
    s = sc.parse(raw)
    assert s.hotlines is not None
    records: list[CallRecord] = []
    runner.run_variant(s, s.base, s.hotlines, on_record=records.append)
    records.sort(key=lambda r: r.arrived_at)
    return [r for r in records if r.arrived_at >= 7200]


def batch_means(values: list[float], batches: int = 20) -> tuple[float, float]:
    """Mean and standard error from ``batches`` consecutive batches (waits are correlated)."""
    size = len(values) // batches
    means = [statistics.mean(values[i * size : (i + 1) * size]) for i in range(batches)]
    return statistics.mean(means), statistics.stdev(means) / batches**0.5


@pytest.mark.slow
def test_erlang_c_validation_on_the_real_engine() -> None:
    """No abandonment: the engine is an M/M/14 queue, so Erlang C must hold.

    Tolerance (stated): over 200 simulated hours (~40,000 calls, 2-hour warm-up dropped, 20
    batches) the simulated service level and average speed of answer lie within 3 batch-means
    standard errors of Erlang C (SL 0.888, ASA 7.84 s), and within 0.03 and 25% respectively.
    """
    records = single_queue(14, {"distribution": "none"}, seed=1)
    assert {r.outcome for r in records} == {Outcome.ANSWERED}
    theory = erlang.evaluate(seats=14, calls=100, interval_s=1800, aht_s=180, target_s=20)
    asa, se_asa = batch_means([r.wait_s for r in records])
    sl, se_sl = batch_means([float(r.wait_s <= 20) for r in records])
    assert abs(asa - theory.asa_s) <= 3 * se_asa
    assert abs(sl - theory.service_level) <= 3 * se_sl
    assert abs(asa - theory.asa_s) <= 0.25 * theory.asa_s
    assert abs(sl - theory.service_level) <= 0.03


@pytest.mark.slow
def test_erlang_a_validation_on_the_real_engine() -> None:
    """Exponential patience (mean 300 s) on 13 seats: the engine is M/M/13+M, so Erlang A must
    hold: abandonment 2.50%, service level (answered within 20 s of all offered) 0.858, mean wait
    of all callers 7.49 s; same tolerance as the Erlang C test (3 batch-means standard errors,
    and within 0.01, 0.03 and 25%)."""
    records = single_queue(13, {"distribution": "exponential", "mean_s": 300}, seed=1)
    theory = erlang.evaluate(
        seats=13, calls=100, interval_s=1800, aht_s=180, target_s=20, patience_s=300
    )
    assert theory.abandon_rate is not None
    abandoned = [float(r.outcome is Outcome.ABANDONED) for r in records]
    within = [float(r.outcome is Outcome.ANSWERED and r.wait_s <= 20) for r in records]
    ab, se_ab = batch_means(abandoned)
    sl, se_sl = batch_means(within)
    wait, se_wait = batch_means([r.wait_s for r in records])
    assert (
        abs(ab - theory.abandon_rate) <= max(3 * se_ab, 1e-9)
        and abs(ab - theory.abandon_rate) <= 0.01
    )
    assert abs(sl - theory.service_level) <= 3 * se_sl and abs(sl - theory.service_level) <= 0.03
    assert (
        abs(wait - theory.asa_s) <= 3 * se_wait and abs(wait - theory.asa_s) <= 0.25 * theory.asa_s
    )


class TestReport:
    def test_table_and_chart(self, tmp_path: Path) -> None:
        results = run(SMALL)
        text = report.table(results)
        assert text.splitlines()[0].startswith("variant")
        assert [line.split()[0] for line in text.splitlines()[2:]] == [
            "base",
            "city-only",
            "more-bj",
        ]
        svg = report.svg_chart(results, "small <test>")
        assert svg.startswith("<svg") and svg.count("<polyline") == 3
        assert "small &lt;test&gt;" in svg

    def test_progress_bar(self) -> None:
        import io

        out = io.StringIO()
        bar = report.ProgressBar(out, width=10)
        for x in (0.0, 0.5, 0.5, 1.0):
            bar("v", x)
        assert out.getvalue().count("\r") == 3 and out.getvalue().endswith("100%\n")


class TestCli:
    def test_simulate_shipped_scenario_json_and_chart(self, cli: Cli, tmp_path: Path) -> None:
        chart = tmp_path / "one.svg"
        r = cli(
            "hotline", "simulate", "one_hotline", "--json", "--chart", str(chart), "--seed", "3"
        )
        assert r.exit_code == 0, r.output
        data = json.loads(r.stdout)
        assert data["seed"] == 3
        assert [row["variant"] for row in data["comparison"]] == [
            "four-seats",
            "city-only",
            "plan-seats",
        ]
        v = data["variants"][0]
        assert {"national", "provinces", "hotlines", "by_hour"} <= set(v)
        assert chart.read_text().startswith("<svg")

    def test_simulate_file_with_variant_filter(self, cli: Cli, tmp_path: Path) -> None:
        path = tmp_path / "s.json"
        path.write_text(json.dumps(SMALL))
        r = cli("hotline", "simulate", str(path), "--variant", "city-only", "--no-progress")
        assert r.exit_code == 0, r.output
        assert "city-only" in r.stdout and "more-bj" not in r.stdout

    def test_simulate_errors(self, cli: Cli, tmp_path: Path) -> None:
        missing = cli("hotline", "simulate", "no_such_scenario")
        assert missing.exit_code == 1
        assert json.loads(missing.stderr)["field"] == "scenario"
        path = tmp_path / "bad.yaml"
        path.write_text("name: [unclosed\n")
        assert json.loads(cli("hotline", "simulate", str(path)).stderr)["error"] == "ScenarioError"

    def test_simulate_on_an_empty_database_directory(self, cli: Cli, tmp_path: Path) -> None:
        path = tmp_path / "db.json"
        path.write_text(json.dumps({"calls_per_day": 100, "directory": "database"}))
        r = cli("hotline", "simulate", str(path))
        assert r.exit_code == 1
        assert json.loads(r.stderr)["field"] == "hotlines"

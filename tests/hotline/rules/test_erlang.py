"""Erlang C and Erlang A: reference values, independent re-derivations, invariants, bad input."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsheng.hotline.rules import erlang
from minsheng.hotline.rules.erlang import Load, Target
from tests.conftest import Cli

REF = {"calls": 100, "interval_s": 1800, "aht_s": 180, "target_s": 20}


class TestReferenceValues:
    """The issue's figures (also pyworkforce 0.5.x's on the same inputs, times in minutes)."""

    def test_erlang_c_reference(self) -> None:
        r = erlang.staff(**REF, service_level=0.8)
        assert r.model == "C"
        assert r.seats == 14
        assert r.service_level == pytest.approx(0.88835, abs=5e-6)
        assert r.p_wait == pytest.approx(0.17413, abs=5e-6)
        assert r.asa_s == pytest.approx(7.84, abs=5e-3)
        assert r.occupancy == pytest.approx(10 / 14)
        assert r.abandon_rate is None

    def test_shrinkage_gives_positions(self) -> None:
        r = erlang.staff(**REF, service_level=0.8, shrinkage=0.3)
        assert (r.seats, r.positions) == (14, 20)  # 14 / 0.7 is exactly 20, not 21

    def test_erlang_a_reference(self) -> None:
        r = erlang.staff(**REF, service_level=0.8, patience_s=300)
        assert r.model == "A"
        assert r.seats == 13
        assert r.service_level == pytest.approx(0.858, abs=5e-4)
        assert r.abandon_rate == pytest.approx(0.0250, abs=5e-5)

    def test_erlang_a_pyworkforce_snapshot_at_14(self) -> None:
        # pyworkforce's regression test: ErlangA(100, 3, 20/60, 30, 5)._metrics(14), in minutes
        p = erlang.evaluate(seats=14, **REF, patience_s=300)
        assert p.p_wait == pytest.approx(0.14526, abs=5e-6)
        assert p.abandon_rate == pytest.approx(0.013984, abs=5e-7)
        assert p.occupancy == pytest.approx(0.704297, abs=5e-7)
        assert p.asa_s == pytest.approx(0.069919 * 60, abs=5e-5)
        assert p.service_level == pytest.approx(0.916792, abs=5e-7)

    def test_12356_sizing_from_the_reference_notes(self) -> None:
        # 18-minute calls at 5 calls/h: 4 seats for 80% in 30 s; the mandated 2 seats give 36.6%.
        load = {"calls": 5, "interval_s": 3600, "aht_s": 1080, "target_s": 30}
        assert erlang.staff(**load, service_level=0.8).seats == 4
        two = erlang.evaluate(seats=2, **load)
        assert two.service_level == pytest.approx(0.366, abs=5e-4)

    def test_max_occupancy_can_decide(self) -> None:
        r = erlang.staff(**REF, service_level=0.5, max_occupancy=0.6)
        assert r.seats == math.ceil(10 / 0.6)
        assert r.decided_by == "max_occupancy"


def brute_force_c(seats: int, traffic: Fraction) -> Fraction:
    """Erlang C from its textbook definition, in exact rational arithmetic."""
    terms = [traffic**k / math.factorial(k) for k in range(seats)]
    top = traffic**seats / math.factorial(seats) * Fraction(seats) / (seats - traffic)
    return top / (sum(terms) + top)


class TestErlangCIndependently:
    @pytest.mark.parametrize(
        ("seats", "traffic"),
        [(1, Fraction(1, 2)), (2, Fraction(3, 2)), (14, Fraction(10)), (30, Fraction(571, 20))],
    )
    def test_against_exact_formula(self, seats: int, traffic: Fraction) -> None:
        assert erlang.erlang_c(seats, float(traffic)) == pytest.approx(
            float(brute_force_c(seats, traffic)), rel=1e-12
        )

    def test_mm1_closed_form(self) -> None:
        # One seat: P(wait) = rho, ASA = rho / (mu - lambda), SL = 1 - rho e^{-(mu-lambda) t}.
        load = Load(calls=30, interval_s=3600, aht_s=60)  # rho = 0.5
        p = erlang.evaluate_c(1, load, 10)
        assert p.p_wait == pytest.approx(0.5)
        assert p.asa_s == pytest.approx(0.5 / (1 / 60 - 30 / 3600))
        assert p.service_level == pytest.approx(1 - 0.5 * math.exp(-(1 / 60 - 1 / 120) * 10))

    def test_erlang_b_against_exact_formula(self) -> None:
        a = Fraction(7)
        exact = (a**9 / math.factorial(9)) / sum(a**k / math.factorial(k) for k in range(10))
        assert erlang.erlang_b(9, 7.0) == pytest.approx(float(exact), rel=1e-12)
        assert math.exp(erlang.log_erlang_b(9, 7.0)) == pytest.approx(float(exact), rel=1e-12)


def solve_birth_death(seats: int, lam: float, mu: float, theta: float, size: int) -> list[float]:
    """Stationary law of the truncated M/M/n+M chain by Gaussian elimination on pi Q = 0."""
    q = [[0.0] * size for _ in range(size)]
    for k in range(size):
        if k + 1 < size:
            q[k][k + 1] = lam
        if k > 0:
            q[k][k - 1] = min(k, seats) * mu + max(k - seats, 0) * theta
        q[k][k] = -sum(q[k])
    # Solve Q^T pi = 0 with the last equation replaced by sum(pi) = 1.
    m = [[q[j][i] for j in range(size)] + [0.0] for i in range(size)]
    m[-1] = [1.0] * size + [1.0]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(size):
            if r != col and m[r][col] != 0.0:
                f = m[r][col] / m[col][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col], strict=True)]
    return [m[i][-1] / m[i][i] for i in range(size)]


def hypoexponential_served(seats: int, mu: float, theta: float, ahead: int, t: float) -> float:
    """P(answered by t | ``ahead`` callers ahead) from the closed form with distinct rates."""
    rates = [seats * mu + i * theta for i in range(ahead + 1)]
    total = 0.0
    for i, r in enumerate(rates):
        c = math.prod(rk / (rk - r) for k, rk in enumerate(rates) if k != i)
        total += c * r * (1 - math.exp(-(r + theta) * t)) / (r + theta)
    return total


class TestErlangAIndependently:
    def test_stationary_metrics_against_solved_chain(self) -> None:
        seats, lam, mu, theta = 3, 1 / 40, 1 / 100, 1 / 60  # overloaded: A = 2.5 on 3 seats
        pi = solve_birth_death(seats, lam, mu, theta, 80)
        p = erlang.evaluate_a(seats, Load(calls=lam * 3600, interval_s=3600, aht_s=100), 20, 60)
        assert p.p_wait == pytest.approx(sum(pi[seats:]), rel=1e-9)
        mean_q = sum((k - seats) * x for k, x in enumerate(pi) if k >= seats)
        assert p.abandon_rate == pytest.approx(theta * mean_q / lam, rel=1e-9)
        assert p.asa_s == pytest.approx(mean_q / lam, rel=1e-9)

    def test_overloaded_erlang_a_is_still_stable(self) -> None:
        seats, lam, mu, theta = 2, 1 / 20, 1 / 100, 1 / 120  # A = 5 on 2 seats
        pi = solve_birth_death(seats, lam, mu, theta, 200)
        p = erlang.evaluate_a(seats, Load(calls=lam * 3600, interval_s=3600, aht_s=100), 30, 120)
        assert p.p_wait == pytest.approx(sum(pi[seats:]), rel=1e-9)
        assert p.occupancy < 1

    @pytest.mark.parametrize("ahead", [0, 1, 3, 6])
    def test_tagged_caller_against_closed_form(self, ahead: int) -> None:
        seats, mu, theta, t = 4, 1 / 300, 1 / 90, 45.0
        start = [0.0] * (ahead + 1)
        start[ahead] = 1.0
        got = erlang.answered_within(seats, mu, theta, t, start)
        assert got == pytest.approx(hypoexponential_served(seats, mu, theta, ahead, t), rel=1e-9)

    def test_long_horizon_does_not_underflow(self) -> None:
        # rate x target far beyond 745, where exp(-x) underflows: log-space Poisson weights.
        got = erlang.answered_within(2000, 1 / 10, 1 / 60, 30.0, [1.0])
        assert got == pytest.approx(200 / (200 + 1 / 60) * (1 - math.exp(-(200 + 1 / 60) * 30)))

    def test_infinite_patience_limit_is_erlang_c(self) -> None:
        load = Load(calls=100, interval_s=1800, aht_s=180)
        for seats in (12, 15, 20):
            a = erlang.evaluate_a(seats, load, 20, 1e9)
            c = erlang.evaluate_c(seats, load, 20)
            assert a.p_wait == pytest.approx(c.p_wait, abs=1e-5)
            assert a.service_level == pytest.approx(c.service_level, abs=1e-5)
            assert a.asa_s == pytest.approx(c.asa_s, rel=1e-4)


class TestLargeSystems:
    def test_ten_thousand_seats_erlang_c(self) -> None:
        r = erlang.size_c(Load(calls=95_000, interval_s=1800, aht_s=180), Target(20, 0.8))
        assert 9500 < r.seats < 9600
        assert all(math.isfinite(x) for x in (r.service_level, r.p_wait, r.asa_s))
        p = erlang.evaluate_c(10_000, Load(calls=95_000, interval_s=1800, aht_s=180), 20)
        assert 0 <= p.p_wait < 1e-3 and p.service_level > 0.999

    def test_ten_thousand_seats_erlang_a(self) -> None:
        p = erlang.evaluate_a(10_000, Load(calls=98_000, interval_s=1800, aht_s=180), 20, 300)
        assert all(math.isfinite(x) for x in (p.service_level, p.p_wait, p.asa_s))
        assert 0 <= p.p_wait <= 1 and 0 <= p.service_level <= 1

    def test_log_b_where_b_underflows(self) -> None:
        assert erlang.erlang_b(10_000, 1.0) == 0.0
        # B(n, 1) = (1/n!) / sum_{k<=n} 1/k!  and the sum is e to double precision.
        expected = -math.lgamma(10_001) - 1.0
        assert erlang.log_erlang_b(10_000, 1.0) == pytest.approx(expected, rel=1e-12)


loads = st.builds(
    Load,
    calls=st.floats(0.5, 400),
    interval_s=st.sampled_from([900.0, 1800.0, 3600.0]),
    aht_s=st.floats(30, 2400),
)


class TestInvariants:
    @settings(max_examples=60, deadline=None)
    @given(load=loads, target_s=st.floats(1, 120), sl=st.floats(0.05, 0.99))
    def test_erlang_c_size_is_minimal(self, load: Load, target_s: float, sl: float) -> None:
        r = erlang.size_c(load, Target(target_s, sl))
        assert r.service_level >= sl and r.seats > load.traffic
        if r.seats - 1 > load.traffic:
            assert erlang.evaluate_c(r.seats - 1, load, target_s).service_level < sl

    @settings(max_examples=300, deadline=None)
    @given(
        load=st.builds(
            Load,
            calls=st.floats(0, 5000),
            interval_s=st.sampled_from([900.0, 1800.0, 3600.0]),
            aht_s=st.floats(1, 3000),
        ),
        target_s=st.floats(0.001, 600),
        sl=st.floats(1e-6, 1 - 1e-9),
        occ=st.sampled_from([1.0, 0.95, 0.8, 0.5]),
        shrinkage=st.sampled_from([0.0, 0.3, 0.35]),
    )
    def test_size_c_is_the_plain_scan_to_the_last_bit(
        self, load: Load, target_s: float, sl: float, occ: float, shrinkage: float
    ) -> None:
        # size_c skips exp where a seat count surely fails: it must answer exactly as the plain
        # scan from the first admissible count, with evaluate_c's figures to the last bit.
        target = Target(target_s, sl, max_occupancy=occ, shrinkage=shrinkage)
        got = erlang.size_c(load, target)
        if load.calls == 0:
            assert got.seats == 0
            return
        stable = math.floor(load.traffic) + 1
        by_occupancy = math.ceil(load.traffic / occ - 1e-9)
        n = max(stable, by_occupancy)
        a, scale, goal = load.traffic, target_s / load.aht_s, 1.0 - sl
        while erlang.erlang_c(n, a) * math.exp(-(n - a) * scale) > goal:
            n += 1
        p = erlang.evaluate_c(n, load, target_s)
        assert got.seats == n
        assert got.positions == math.ceil(n / (1 - shrinkage) - 1e-9)
        figures = (p.service_level, p.p_wait, p.asa_s, p.occupancy, p.traffic_erlangs)
        assert (got.service_level, got.p_wait, got.asa_s, got.occupancy, got.traffic_erlangs) == (
            figures
        )
        forced = n == max(stable, by_occupancy) and by_occupancy > stable
        assert got.decided_by == ("max_occupancy" if forced else "service_level")

    @settings(max_examples=30, deadline=None)
    @given(
        calls=st.lists(st.floats(0, 500), max_size=20),
        occ=st.floats(0.5, 1.0),
        sl=st.floats(0.05, 0.99),
    )
    def test_batch_matches_one_by_one(self, calls: list[float], occ: float, sl: float) -> None:
        target = Target(30, sl, max_occupancy=occ)
        many = erlang.seats_c_many(calls, 1800, 1080, target)
        assert many == [erlang.size_c(Load(c, 1800, 1080), target).seats for c in calls]

    @settings(max_examples=40, deadline=None)
    @given(load=loads, patience=st.floats(20, 1200), sl=st.floats(0.05, 0.95))
    def test_erlang_a_size_is_minimal(self, load: Load, patience: float, sl: float) -> None:
        target = Target(30, sl, max_abandon=0.05)
        r = erlang.size_a(load, target, patience)
        assert r.service_level >= sl and (r.abandon_rate or 0) <= 0.05
        if r.seats > 1:
            assert not erlang.meets(erlang.evaluate_a(r.seats - 1, load, 30, patience), target)

    @settings(max_examples=40, deadline=None)
    @given(load=loads, patience=st.floats(20, 1200), seats=st.integers(1, 40))
    def test_more_seats_never_worse(self, load: Load, patience: float, seats: int) -> None:
        a, b = (erlang.evaluate_a(n, load, 30, patience) for n in (seats, seats + 1))
        assert b.service_level >= a.service_level - 1e-9
        assert (b.abandon_rate or 0) <= (a.abandon_rate or 0) + 1e-12
        for p in (a, b):
            assert 0 <= p.p_wait <= 1 + 1e-12 and 0 <= p.service_level <= 1
            assert 0 <= (p.abandon_rate or 0) <= 1 and p.asa_s >= 0


class TestBadInput:
    @pytest.mark.parametrize(
        ("change", "error", "field"),
        [
            ({"aht_s": 0}, "NonPositiveTime", "aht_s"),
            ({"interval_s": -1800}, "NonPositiveTime", "interval_s"),
            ({"target_s": 0}, "NonPositiveTime", "target_s"),
            # validate()'s bounds hold on size_c's fast path too (it once let these through).
            ({"interval_s": 1e-4}, "NonPositiveTime", "interval_s"),
            ({"aht_s": 1e7}, "NonPositiveTime", "aht_s"),
            ({"target_s": 1e7}, "NonPositiveTime", "target_s"),
            ({"calls": math.inf}, "NegativeCalls", "calls"),
            ({"calls": 1e12}, "PlanningInputError", "calls"),
            ({"service_level": 1.0}, "FractionOutOfRange", "service_level"),
            ({"service_level": 0.0}, "FractionOutOfRange", "service_level"),
            ({"shrinkage": 1.0}, "FractionOutOfRange", "shrinkage"),
            ({"max_occupancy": 0.0}, "FractionOutOfRange", "max_occupancy"),
            ({"calls": -1}, "NegativeCalls", "calls"),
            ({"calls": math.nan}, "NegativeCalls", "calls"),
            ({"patience_s": -5}, "NonPositiveTime", "patience_s"),
            ({"max_abandon": 0.05}, "PlanningInputError", "max_abandon"),
        ],
    )
    def test_refused_with_name_and_field(
        self, change: dict[str, float], error: str, field: str
    ) -> None:
        args: dict[str, float] = {**REF, "service_level": 0.8, **change}
        with pytest.raises(erlang.PlanningInputError) as info:
            erlang.staff(**args)  # type: ignore[arg-type]
        assert info.value.name == error and info.value.field == field

    @pytest.mark.parametrize("seats", [5, 10])
    def test_unstable_load_names_first_stable_seats(self, seats: int) -> None:
        with pytest.raises(erlang.LoadAtOrAboveCapacity) as info:
            erlang.evaluate(seats=seats, **REF)
        assert info.value.stable_from_seats == 11
        assert "11 seats" in info.value.detail

    def test_no_calls_needs_no_seats(self) -> None:
        r = erlang.staff(calls=0, interval_s=1800, aht_s=1080, target_s=30, service_level=0.8)
        assert (r.seats, r.service_level, r.decided_by) == (0, 1.0, "no_calls")


class TestCli:
    def test_json_output(self, cli: Cli) -> None:
        r = cli(
            "hotline", "erlang", "--calls", "100", "--interval-s", "1800", "--aht-s", "180",
            "--target-s", "20", "--service-level", "0.8", "--shrinkage", "0.3", "--json",
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        data = json.loads(r.stdout)
        assert {"model", "seats", "service_level", "p_wait", "asa_s", "occupancy"} <= set(data)
        assert (data["model"], data["seats"], data["positions"]) == ("C", 14, 20)
        assert data["abandon_rate"] is None
        assert round(data["asa_s"], 2) == 7.84

    def test_erlang_a_json(self, cli: Cli) -> None:
        r = cli(
            "hotline", "erlang", "--calls", "100", "--interval-s", "1800", "--aht-s", "180",
            "--target-s", "20", "--service-level", "0.8", "--patience-s", "300", "--json",
        )  # fmt: skip
        data = json.loads(r.stdout)
        assert (data["model"], data["seats"]) == ("A", 13)
        assert round(data["abandon_rate"], 4) == 0.025

    def test_unstable_seats_is_one_error_line(self, cli: Cli) -> None:
        r = cli(
            "hotline", "erlang", "--calls", "100", "--interval-s", "1800", "--aht-s", "180",
            "--target-s", "20", "--service-level", "0.8", "--seats", "9", "--json",
        )  # fmt: skip
        assert r.exit_code == 1
        err = json.loads(r.stderr.strip())
        assert err["error"] == "LoadAtOrAboveCapacity" and err["stable_from_seats"] == 11

    def test_bad_service_level(self, cli: Cli) -> None:
        r = cli(
            "hotline", "erlang", "--calls", "100", "--interval-s", "1800", "--aht-s", "180",
            "--target-s", "20", "--service-level", "1.5", "--json",
        )  # fmt: skip
        assert r.exit_code == 1
        err = json.loads(r.stderr.strip())
        assert (err["error"], err["field"]) == ("FractionOutOfRange", "service_level")

    def test_text_output(self, cli: Cli) -> None:
        r = cli(
            "hotline", "erlang", "--calls", "100", "--interval-s", "1800", "--aht-s", "180",
            "--target-s", "20", "--service-level", "0.8", "--seats", "16",
        )  # fmt: skip
        assert r.exit_code == 0
        assert "seats needed: 14" in r.stdout and "with 16 seats" in r.stdout

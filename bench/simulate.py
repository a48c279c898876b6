"""Benchmark: a national day of >= 100,000 calls over 500 hotlines through the simulator (the real
routing rules and queueing engine in virtual time; target <= 30 s), side by side with a plain SimPy
model of ONE queue of the same size (same calls, same total seats, same handling and patience).

Prints simulated events per CPU second for both and their ratio, calls per CPU second, and peak
memory. An event is counted the same way on both sides: every entry processed off an event queue
(SimPy: each ``env.step()``, its zero-delay events — a process's start and end, a granted request,
a condition, a release — and the patience timeout of a caller served meanwhile included; the
simulator: every entry taken off the world's heap, the engine's timer heap — fired or dropped as
void — and the engine's queue of events handed to the simulator: ``runner.VariantResult``). The
timed events alone (SimPy's ``Timeout``s against the simulator's world events and fired timers)
are compared as well, and calls per CPU second, which compares the same simulated day.
Run: .venv/bin/python bench/simulate.py [--quick]   (SimPy: pip install -e ".[bench]")
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sys
import time
import tracemalloc
from dataclasses import replace

from minsheng.hotline.rules.snapshot import HotlineInfo, Level
from minsheng.hotline.sim import runner
from minsheng.hotline.sim import scenario as sc


def national(calls: int, lines: int, seed: int) -> tuple[sc.Scenario, tuple[HotlineInfo, ...]]:
    raw = {
        "name": "bench-national-day",
        "start": "2026-11-30T00:00:00+08:00",
        "duration_h": 24,
        "seed": seed,
        "directory": "synthetic",
        "synthetic_lines": lines,
        "calls_per_day": calls,
        "unknown_share": 0.03,
        "handling": {"distribution": "lognormal", "mean_s": 1080, "cv": 0.8},
        "patience": {"distribution": "exponential", "mean_s": 180},
        "crisis_share": 0.05,
    }
    s = sc.parse(raw)
    assert s.hotlines is not None
    # Seats sized for the load (about 1,250 Erlangs on average at 100,000 18-minute calls a day,
    # twice that at the evening peak): 5 per city line, 10 per provincial line, 30 at the backup.
    per_level = {Level.CITY: 5, Level.PROVINCE: 10, Level.NATIONAL: 30}
    scale = calls / 100_000
    hotlines = tuple(
        replace(h, seats=max(2, round(per_level[h.level] * scale))) for h in s.hotlines
    )
    return s, hotlines


def simpy_single_queue(
    calls: int, seats: int, profile: tuple[float, ...], seed: int, *, count_timed: bool = False
) -> tuple[int, int, float, float, int]:
    """One M(t)/G/seats+M queue in SimPy: returns (calls, events, wall s, CPU s, answered);
    with ``count_timed`` (an untimed run: the check costs time) the events are only the
    ``Timeout``s processed."""
    import simpy  # type: ignore[import-untyped]

    rng = random.Random(seed)
    env = simpy.Environment()
    counsellors = simpy.Resource(env, capacity=seats)
    total = sum(profile)
    rates = [calls * w / total / 3600 for w in profile]
    sigma2 = math.log(1 + 0.8**2)
    mu = math.log(1080) - sigma2 / 2
    answered = 0
    offered = 0

    def caller(env: simpy.Environment) -> object:
        nonlocal answered
        patience = rng.expovariate(1 / 180)
        with counsellors.request() as req:
            got = yield req | env.timeout(patience)
            if req in got:
                answered += 1
                yield env.timeout(rng.lognormvariate(mu, math.sqrt(sigma2)))

    def arrivals(env: simpy.Environment) -> object:
        nonlocal offered
        t = 0.0
        while True:
            # Piecewise-constant hourly rate, as in the simulator.
            need = rng.expovariate(1.0)
            while t < 86400:
                rate = rates[int(t // 3600)]
                seg_end = (t // 3600 + 1) * 3600
                if rate > 0 and t + need / rate < seg_end:
                    t += need / rate
                    break
                need -= rate * (seg_end - t)
                t = seg_end
            if t >= 86400:
                return
            yield env.timeout(t - env.now)
            offered += 1
            env.process(caller(env))

    env.process(arrivals(env))
    events = 0
    if count_timed:
        queue = env._queue  # (time, priority, id, event): the head is what step() takes next
        while env.peek() < math.inf:
            events += isinstance(queue[0][3], simpy.Timeout)
            env.step()
        return offered, events, 0.0, 0.0, answered
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    while env.peek() < math.inf:
        env.step()
        events += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return offered, events, wall, cpu, answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 calls instead of 100,000")
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--seed", type=int, default=12356)
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds, the two alternating; each keeps its best"
    )
    args = parser.parse_args()
    calls = 10_000 if args.quick else args.calls
    scenario, hotlines = national(calls, args.lines, args.seed)
    seats = sum(h.seats for h in hotlines)
    print(f"directory: {len(hotlines)} synthetic hotlines, {seats} seats in all")

    with open("/proc/loadavg") as f:
        load_before = " ".join(f.read().split()[:3])
    # The machine is shared: the simulator and SimPy run in turn, round after round, and each
    # keeps its best CPU time (the results are the same every round: same seed).
    cpu = s_cpu = wall = math.inf
    try:
        import simpy  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        print("baseline simpy not installed: pip install -e '.[bench]'", file=sys.stderr)
        sys.exit(2)
    for _ in range(args.repeat):
        cpu0 = time.process_time()
        result = runner.run_variant(scenario, scenario.base, hotlines)
        cpu = min(cpu, time.process_time() - cpu0)
        offered, events, s_wall, s_round, answered = simpy_single_queue(
            calls, seats, scenario.profile, args.seed
        )
        if s_round < s_cpu:
            s_cpu, wall = s_round, s_wall
    _, s_timed, _, _, _ = simpy_single_queue(
        calls, seats, scenario.profile, args.seed, count_timed=True
    )
    n = result.kpis["national"]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"minsheng simulator (rules + engine): {result.calls:,} calls in {result.wall_s:.2f} s "
        f"wall (last round), {cpu:.2f} s CPU (best of {args.repeat}; the machine is shared: "
        "CPU time is the steadier figure)"
    )
    print(
        f"  {result.events:,} events ({result.events / result.calls:.2f} a call; timed: "
        f"{result.timed_events:,}), {result.events / result.wall_s:,.0f} events/s, "
        f"{result.calls / result.wall_s:,.0f} calls/s (target: whole day <= 30 s)"
    )
    print(
        f"  answer rate {n['answer_rate']:.1%}, ASA {n['asa_s']} s, "
        f"abandonment {n['abandonment_rate']:.1%}, rollovers {n['rollovers']:,}"
    )
    print(f"  peak RSS of the process so far: {rss_mb:.0f} MB")
    tracemalloc.start()
    runner.run_variant(scenario, scenario.base, hotlines)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  peak Python memory of one run (tracemalloc, second run): {peak / 1e6:.0f} MB")

    print(
        f"SimPy single queue ({seats} seats): {offered:,} calls in {wall:.2f} s wall, "
        f"{s_cpu:.2f} s CPU (best of {args.repeat})"
    )
    print(
        f"  {events:,} events ({events / offered:.2f} a call; timed: {s_timed:,}), "
        f"{events / wall:,.0f} events/s, {offered / wall:,.0f} calls/s, "
        f"answer rate {answered / offered:.1%}"
    )
    ours_e, base_e = result.events / cpu, events / s_cpu
    ours_c, base_c = result.calls / cpu, offered / s_cpu
    ours_t, base_t = result.timed_events / cpu, s_timed / s_cpu
    print(
        f"per CPU second: minsheng {ours_e:,.0f} events/s, {ours_c:,.0f} calls/s; "
        f"SimPy {base_e:,.0f} events/s, {base_c:,.0f} calls/s"
    )
    print(f"ratio events/s (CPU): minsheng / SimPy = {ours_e / base_e:.2f}")
    print(f"ratio timed events/s (CPU): minsheng / SimPy = {ours_t / base_t:.2f}")
    print(f"ratio calls/s (CPU):  minsheng / SimPy = {ours_c / base_c:.2f}")
    print(
        "  (before session 7 the simulator counted only its timed events against all of "
        f"SimPy's: {ours_t / base_e:.2f})"
    )
    import _table  # the table row of docs/performance.md (bench/report.py)

    for unit, ours, base, goal in (("events", ours_e, base_e, 0.7), ("calls", ours_c, base_c, 0)):
        _table.row(
            __file__,
            f"Simulator: {result.calls:,} calls, {result.events:,} events, {unit} per CPU s",
            f"{ours:,.0f} {unit} per CPU s ({cpu:.2f} s CPU, best of {args.repeat})",
            f"SimPy single queue: {base:,.0f} {unit} per CPU s ({s_cpu:.2f} s CPU)",
            ours / base,
            target=f"≥ {goal} of SimPy" if goal else "",
            met=ours / base >= goal if goal else None,
            load=[float(x) for x in load_before.split()],
        )


if __name__ == "__main__":
    main()

"""Benchmark: Erlang C sizing of 500 hotlines x 48 half hours (target <= 1 s), side by side with
pyworkforce's ErlangC on the same inputs (baseline; `pip install -e ".[bench]"`).

Loads follow a 12356-like daily shape (peak 18:00-22:00, quiet small hours) around a random daily
volume per hotline; handling time 18 minutes, answer within 30 s, 80% service level. pyworkforce
works in minutes, minsheng in seconds: the inputs are converted and the seat counts compared one by
one. Run: .venv/bin/python bench/erlang.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from minsheng.hotline.rules.erlang import Load, Target, seats_c_many, size_c

# Share of a day's calls per hour, shaped on Beijing's report (peak 18:00-22:00, >60% at night).
HOURLY = [3, 2, 1.5, 1, 1, 1, 1.5, 2, 3, 3.5, 4, 4, 4, 4, 4.5, 5, 5.5, 6, 8, 9, 9, 8, 6, 4]


def make_inputs(hotlines: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    total = sum(HOURLY)
    calls: list[float] = []
    for _ in range(hotlines):
        daily = rng.uniform(40, 400)  # calls a day on one line
        for half in range(48):
            calls.append(daily * HOURLY[half // 2] / total / 2)
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 hotlines instead of 500")
    parser.add_argument("--hotlines", type=int, default=500)
    args = parser.parse_args()
    hotlines = 50 if args.quick else args.hotlines
    aht_s, interval_s, target_s, sl = 1080.0, 1800.0, 30.0, 0.8
    calls = make_inputs(hotlines, seed=12356)
    target = Target(target_s=target_s, service_level=sl)

    t0 = time.perf_counter()
    ours = [size_c(Load(c, interval_s, aht_s), target).seats for c in calls]
    t_ours = time.perf_counter() - t0
    print(f"minsheng erlang.size_c: {len(calls)} sizings ({hotlines} hotlines x 48 half hours)")
    print(f"  time {t_ours:.3f} s, {len(calls) / t_ours:,.0f} sizings/s (target <= 1 s)")
    t0 = time.perf_counter()
    batch = seats_c_many(calls, interval_s, aht_s, target)
    t_batch = time.perf_counter() - t0
    assert batch == ours
    print(f"minsheng erlang.seats_c_many (one call, seat counts only): {t_batch:.3f} s")

    try:
        from pyworkforce.queuing import ErlangC  # type: ignore[import-untyped]
    except ImportError:
        print("baseline pyworkforce not installed: pip install -e '.[bench]'", file=sys.stderr)
        sys.exit(2)
    t0 = time.perf_counter()
    theirs = []
    for c in calls:
        e = ErlangC(transactions=c, aht=aht_s / 60, asa=target_s / 60, interval=interval_s / 60)
        theirs.append(e.required_positions(service_level=sl)["raw_positions"])
    t_theirs = time.perf_counter() - t0
    print(f"pyworkforce ErlangC.required_positions: {len(calls)} sizings")
    print(f"  time {t_theirs:.3f} s, {len(calls) / t_theirs:,.0f} sizings/s")
    print(f"ratio: minsheng size_c is {t_theirs / t_ours:.1f}x the speed of pyworkforce")
    print(f"ratio: minsheng seats_c_many is {t_theirs / t_batch:.1f}x the speed of pyworkforce")

    same = sum(a == b for a, b in zip(ours, theirs, strict=True))
    print(f"same seat count on {same} of {len(calls)} inputs")
    shown = 0
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        if a != b and shown < 20:
            shown += 1
            traffic = calls[i] * aht_s / interval_s
            print(
                f"  differs: {calls[i]:.3f} calls, A={traffic:.3f}: minsheng {a}, pyworkforce {b}"
            )


if __name__ == "__main__":
    main()

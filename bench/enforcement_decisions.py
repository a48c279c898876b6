"""Benchmark: decisions per second of the rule engine (target ≥ 10,000/s).

100,000 random but valid violations over every item of the demo rule base, each with 0–3 earlier
violations and 0–1 commitments (so first violations, breaches, repeats, Art. 36 time limits and
Art. 37 version choices all occur), decided by ``rules.decide`` with the shipped rule base.

Printed beside it, measured in the same run:
* baseline "inputs only": building the same ``DecisionInput`` objects without deciding (the floor
  any caller pays);
* the CLI/API path: parsing the ``decide`` JSON dict and deciding.

    .venv/bin/python bench/enforcement_decisions.py            # 100,000 decisions
    .venv/bin/python bench/enforcement_decisions.py --quick    # 10,000
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from datetime import date, timedelta
from typing import Any

import _table
from minsheng.enforcement.rules import decision as rules
from minsheng.enforcement.rules import inputs as rules_input
from minsheng.enforcement.rules.base import Harm, PartyKind
from minsheng.enforcement.service import catalog

TODAY = date(2026, 11, 27)


def make_raw(
    rng: random.Random, items: list[tuple[str, str]], factors: list[str]
) -> dict[str, Any]:
    item, kind = rng.choice(items)
    occurred = date(2021, 8, 1) + timedelta(days=rng.randrange(1900))
    discovered = min(occurred + timedelta(days=rng.choice((0, 1, 30, 400, 800))), TODAY)
    history = [
        {
            "item": item if rng.random() < 0.7 else rng.choice(items)[0],
            "occurred_on": (occurred - timedelta(days=rng.randrange(1, 1200))).isoformat(),
            "penalised": rng.random() < 0.5,
        }
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3)))
    ]
    commitments = []
    if rng.random() < 0.4:
        signed = occurred - timedelta(days=rng.randrange(-10, 900))
        commitments.append(
            {
                "item": item,
                "signed_on": signed.isoformat(),
                "valid_until": (signed + timedelta(days=730)).isoformat(),
            }
        )
    return {
        "party": {"type": kind},
        "violation": {
            "item": item,
            "occurred_on": occurred.isoformat(),
            "discovered_on": discovered.isoformat(),
            "harm": rng.choice([h.value for h in Harm]),
            "corrected_in_time": rng.random() < 0.6,
            "aggravating": rng.sample(factors, rng.choice((0, 0, 0, 1, 2))),
            "endangers_safety": rng.random() < 0.1,
        },
        "history": history,
        "commitments": commitments,
        "signs_commitment_now": rng.random() < 0.7,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 decisions")
    parser.add_argument("-n", type=int, default=None)
    args = parser.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    rb = catalog.rulebase()
    items = [
        (i.id, k.value) for i in rb.current_items() for k in PartyKind if k.value in i.statutory
    ]
    rng = random.Random(11)
    raws = [make_raw(rng, items, sorted(rb.aggravating)) for _ in range(n)]

    load = _table.machine_load()
    t0 = time.perf_counter()
    inputs = [rules_input.parse_decision_input(r, lookback_days=730) for r in raws]
    parse_time = time.perf_counter() - t0

    t0, c0 = time.perf_counter(), time.process_time()
    outcomes: Counter[tuple[str, str | None]] = Counter()
    for inp in inputs:
        d = rules.decide(rb, inp, today=TODAY)
        outcomes[(d.outcome.value, d.tier.value if d.tier else None)] += 1
    decide_time = time.perf_counter() - t0
    decide_cpu = time.process_time() - c0

    t0 = time.perf_counter()
    for r in raws:
        rules.decide(rb, rules_input.parse_decision_input(r, lookback_days=730), today=TODAY)
    full_time = time.perf_counter() - t0

    print(f"decisions: {n:,} over {len(items)} item/party combinations")
    print(f"outcomes: {dict(sorted(outcomes.items(), key=lambda kv: -kv[1]))}")
    print(f"baseline, inputs only (parse JSON → DecisionInput): {n / parse_time:,.0f}/s")
    print(
        f"rules.decide on built inputs: {n / decide_time:,.0f} decisions/s "
        f"wall, {n / decide_cpu:,.0f}/s CPU ({decide_time / n * 1e6:.1f} µs each); "
        "target ≥ 10,000/s: "
        f"{'met' if n / decide_time >= 10_000 else 'NOT met'} on wall time, "
        f"{'met' if n / decide_cpu >= 10_000 else 'NOT met'} on CPU time"
    )
    print(f"CLI/API path, parse + decide: {n / full_time:,.0f} decisions/s")
    _table.row(
        __file__,
        f"Penalty decisions (`rules.decide`), {n:,} random violations",
        f"{n / decide_time:,.0f} decisions/s wall, {n / decide_cpu:,.0f}/s CPU",
        f"building the same inputs only (parse JSON → `DecisionInput`): {n / parse_time:,.0f}/s",
        (n / decide_time) / (n / parse_time),
        ratio_note="decide rate / parse rate",
        target="≥ 10,000 decisions/s, judged on CPU time",
        met=n / decide_cpu >= 10_000,
        load=load,
    )


if __name__ == "__main__":
    main()

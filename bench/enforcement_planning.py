"""Benchmark: plan a year of 双随机 inspections for 200,000 firms (target ≤ 5 s, byte-identical
for the same seed).

Targets: 200,000 construction-site firms with grades A 20 %, B 50 %, C 20 %, D 10 % (demo mix);
roster: 300 inspectors, 2,000 recorded conflicts of interest, and last year's inspectors for a
third of the firms (rotation). The plan is made twice with the same seed and serialised to JSON;
the two byte strings must be equal (their SHA-256 is printed), and a third run with another seed
must differ.

Baseline, measured in the same run: the same firms planned *without grades* — every firm under the
policy's ``ungraded`` line and, to compare burden, one visit per item (no 综合查一次).

    .venv/bin/python bench/enforcement_planning.py            # 200,000 firms
    .venv/bin/python bench/enforcement_planning.py --quick    # 20,000 firms
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import random
import time

import _table
from minsheng.enforcement.rules.planning import (
    GRADES,
    GradePolicy,
    Inspector,
    PlanItem,
    Target,
    plan_year,
)
from minsheng.enforcement.service import catalog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 firms")
    parser.add_argument("--firms", type=int, default=None)
    args = parser.parse_args()
    n = args.firms or (20_000 if args.quick else 200_000)
    rng = random.Random(2025)
    grades = rng.choices(GRADES, weights=(20, 50, 20, 10), k=n)
    targets = [Target(id=i + 1, domain="construction", grade=g) for i, g in enumerate(grades)]
    conflicts: dict[int, set[int]] = {}
    for _ in range(2_000):
        conflicts.setdefault(rng.randrange(300), set()).add(rng.randrange(1, n + 1))
    roster = [
        Inspector(id=i, code=f"QS-ZF-{i:03d}", conflicts=frozenset(conflicts.get(i, set())))
        for i in range(300)
    ]
    previous = {t.id: frozenset(rng.sample(range(300), 2)) for t in targets if rng.random() < 1 / 3}
    policy = catalog.planning_policy()

    def run(seed: int) -> tuple[float, float, float, bytes, int]:
        t0, c0 = time.perf_counter(), time.process_time()
        plan = plan_year(policy, targets, roster, year=2026, seed=seed, previous=previous)
        planned = time.perf_counter() - t0
        blob = json.dumps(plan.to_dict(), ensure_ascii=False, sort_keys=True).encode()
        return planned, time.perf_counter() - t0, time.process_time() - c0, blob, len(plan.visits)

    load = _table.machine_load()
    p1, t1, cpu1, blob1, visits = run(42)
    p2, t2, cpu2, blob2, _ = run(42)
    blob3 = run(43)[3]
    same = blob1 == blob2
    burden = json.loads(blob1)["burden"]

    ungraded_line = policy.ungraded
    flat = dataclasses.replace(
        policy,
        per_grade=dict.fromkeys(GRADES, GradePolicy(ungraded_line.share, ungraded_line.visits)),
        # one visit per item: every item is its own "domain" of one item
        items={
            "construction": tuple(
                PlanItem(id=i.id, kind="key") for i in policy.items["construction"]
            )
        },
    )
    t0 = time.perf_counter()
    baseline = plan_year(flat, targets, roster, year=2026, seed=42, previous=previous)
    base_time = time.perf_counter() - t0
    item_visits_without_combining = sum(len(v.items) for v in baseline.visits)

    print(f"firms: {n:,}; inspectors: {len(roster)}; grades: {burden['firms_by_grade']}")
    print(
        f"graded plan: {visits:,} visits ({burden['combined_visits']:,} combined, "
        f"{burden['item_checks']:,} item checks); per firm by grade "
        f"{burden['visits_per_firm_by_grade']}"
    )
    print(
        f"time: plan {p1:.2f} s, plan + JSON {t1:.2f} s wall / {cpu1:.2f} s CPU "
        f"(second run {p2:.2f} s, {t2:.2f} s wall / {cpu2:.2f} s CPU)"
    )
    limit = 5 * n / 200_000
    print(
        f"target ≤ 5 s for 200,000 firms: {'met' if t1 <= limit else 'NOT met'} on wall time, "
        f"{'met' if cpu1 <= limit else 'NOT met'} on CPU time"
    )
    print(
        f"same seed byte-identical: {same} (sha256 {hashlib.sha256(blob1).hexdigest()[:16]}…, "
        f"{len(blob1):,} bytes); other seed differs: {blob1 != blob3}"
    )
    print(
        f"baseline without grades ({ungraded_line.share:.0%} of firms × {ungraded_line.visits} "
        f"rounds): {len(baseline.visits):,} firm-visits, {item_visits_without_combining:,} "
        f"visits with one item per visit, planned in {base_time:.2f} s"
    )
    print(
        f"burden: {visits:,} graded combined visits vs {item_visits_without_combining:,} "
        f"ungraded single-item visits ({1 - visits / item_visits_without_combining:.1%} fewer)"
    )
    _table.row(
        __file__,
        f"Inspection plan for a year (`plan_year`), {n:,} graded firms, 300 inspectors",
        f"plan {p1:.2f} s wall; plan + JSON {t1:.2f} s wall, {cpu1:.2f} s CPU; same seed "
        f"byte-identical: {same}",
        f"the same firms planned without grades: {base_time:.2f} s wall",
        base_time / p1,
        ratio_note="baseline time / plan time",
        target=f"≤ {limit:g} s"
        + (" (5 s for 200,000, scaled)" if n != 200_000 else "")
        + ", judged on CPU time",
        met=cpu1 <= limit and same,
        load=load,
    )
    if not same:
        raise SystemExit("plans for the same seed differ")


if __name__ == "__main__":
    main()

"""Yearly inspection plans: 双随机 by grade, rotation, caps and 综合查一次.

Pure and reproducible: the same targets, inspectors, policy, year and seed give the same plan,
byte for byte (``random.Random(seed)`` is specified to be reproducible for a given seed; every
collection is sorted before it is drawn from).

* Targets are drawn at random per grade, the share and visits per year set by grade (Daqing:
  A ≤ 5 %, B 5–20 %, C 21–60 %, D 61–100 %); A firms are still drawn (不免抽).
* Each visit gets ``min_inspectors`` (≥ 2) inspectors drawn at random, none with a recorded conflict
  of interest with the target, and, where the pool allows, none who inspected the target earlier
  in the plan or last year (rotation).
* Visits per firm are capped per year (国办发〔2024〕54号); complaint-triggered (个案) checks
  are not planned here and are exempt from the cap.
* 综合查一次: every item due for a target in a month is checked on one combined visit; "general"
  items are checked at most ``max_per_year`` times, "key" items on every visit.
* The burden is compared with planning without grades and without combining (the policy's
  ``ungraded`` line: every firm treated alike and one visit per item).

Working days are Monday–Friday; public holidays are not modelled.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from minsheng.core.errors import InvalidInput
from minsheng.enforcement.errors import InsufficientInspectors, InvalidRuleBase

GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class GradePolicy:
    share: float
    visits: int


@dataclass(frozen=True)
class PlanItem:
    id: str
    kind: str  # "key" (every visit) or "general" (capped per year)
    max_per_year: int | None = None


@dataclass(frozen=True)
class Policy:
    version: str
    per_grade: Mapping[str, GradePolicy]
    default_grade: str
    ungraded: GradePolicy
    min_inspectors: int
    cap_per_firm_per_year: int
    items: Mapping[str, tuple[PlanItem, ...]]


def parse_policy(data: Mapping[str, Any]) -> Policy:
    per_grade = {}
    for g in GRADES:
        raw = data["per_grade"][g]
        share = float(raw["share"])
        if not 0 <= share <= 1 or int(raw["visits"]) < 1:
            raise InvalidRuleBase(f"grade {g}: share in [0, 1] and visits ≥ 1")
        per_grade[g] = GradePolicy(share=share, visits=int(raw["visits"]))
    if int(data["min_inspectors"]) < 2:
        raise InvalidRuleBase("双随机 needs at least 2 inspectors per visit")
    items = {
        domain: tuple(
            PlanItem(id=i["id"], kind=i["kind"], max_per_year=i.get("max_per_year"))
            for i in raw_items
        )
        for domain, raw_items in data["items"].items()
    }
    return Policy(
        version=str(data["version"]),
        per_grade=per_grade,
        default_grade=str(data["default_grade"]),
        ungraded=GradePolicy(
            share=float(data["ungraded"]["share"]), visits=int(data["ungraded"]["visits"])
        ),
        min_inspectors=int(data["min_inspectors"]),
        cap_per_firm_per_year=int(data["cap_per_firm_per_year"]),
        items=items,
    )


@dataclass(frozen=True)
class Target:
    id: int
    domain: str
    grade: str | None  # None: not graded yet, the policy's default grade applies


@dataclass(frozen=True)
class Inspector:
    id: int
    code: str
    conflicts: frozenset[int] = frozenset()  # target ids


@dataclass(frozen=True)
class Visit:
    on: date
    target: int
    grade: str
    inspectors: tuple[str, ...]
    items: tuple[str, ...]

    @property
    def combined(self) -> bool:
        return len(self.items) > 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.on.isoformat(),
            "target": self.target,
            "grade": self.grade,
            "inspectors": list(self.inspectors),
            "items": list(self.items),
            "combined": self.combined,
        }


@dataclass(frozen=True)
class Plan:
    year: int
    seed: int
    policy_version: str
    visits: tuple[Visit, ...]
    burden: Mapping[str, Any]

    def to_dict(self, month: int | None = None) -> dict[str, Any]:
        visits = [v for v in self.visits if month is None or v.on.month == month]
        return {
            "year": self.year,
            "month": month,
            "seed": self.seed,
            "policy_version": self.policy_version,
            "visit_count": len(visits),
            "visits": [v.to_dict() for v in visits],
            "burden": dict(self.burden),
        }


def workdays(year: int, month: int) -> list[date]:
    days = calendar.monthrange(year, month)[1]
    return [d for d in (date(year, month, i) for i in range(1, days + 1)) if d.weekday() < 5]


def _sample_size(share: float, n: int) -> int:
    # Round half up, so that e.g. 5 % of 30 firms is 2 (1.5 → 2) and a grade is never skipped
    # entirely when it has firms and a non-zero share (不免抽).
    k = int(share * n + 0.5)
    if share > 0 and n > 0:
        k = max(k, 1)
    return min(k, n)


def _months_for(visits: int, rng: random.Random) -> list[int]:
    """``visits`` distinct months spread over the year with a random phase."""
    phase = rng.random()
    return sorted({int((k + phase) * 12 / visits) + 1 for k in range(visits)})


def _draw_inspectors(
    rng: random.Random,
    pool: Sequence[Inspector],
    target: int,
    avoid: set[int],
    need: int,
) -> list[Inspector]:
    chosen: list[Inspector] = []
    taken: set[int] = set()
    # Fast path: rejection sampling (the pool is usually much larger than the exclusions).
    for _ in range(need * 20):
        cand = pool[rng.randrange(len(pool))]
        if cand.id in taken or cand.id in avoid or target in cand.conflicts:
            continue
        chosen.append(cand)
        taken.add(cand.id)
        if len(chosen) == need:
            return chosen
    # Slow path: draw from the explicit list, relaxing rotation before giving up.
    for relax in (False, True):
        eligible = [
            i
            for i in pool
            if i.id not in taken and target not in i.conflicts and (relax or i.id not in avoid)
        ]
        while eligible and len(chosen) < need:
            cand = eligible.pop(rng.randrange(len(eligible)))
            chosen.append(cand)
            taken.add(cand.id)
        if len(chosen) == need:
            return chosen
    raise InsufficientInspectors(
        f"target {target}: fewer than {need} inspectors without a conflict of interest",
        field="inspectors",
    )


def plan_year(
    policy: Policy,
    targets: Iterable[Target],
    inspectors: Iterable[Inspector],
    *,
    year: int,
    seed: int,
    previous: Mapping[int, frozenset[int]] | None = None,
) -> Plan:
    """The year's routine visits. ``previous`` maps a target to last year's inspector ids."""
    if not 1900 <= year <= 9999:
        raise InvalidInput("year out of range", field="year")
    pool = sorted(inspectors, key=lambda i: i.id)
    if len(pool) < policy.min_inspectors:
        raise InsufficientInspectors(
            f"{len(pool)} inspector(s) on the roster; a visit needs {policy.min_inspectors}",
            field="inspectors",
        )
    by_grade: dict[str, list[Target]] = {g: [] for g in GRADES}
    for t in targets:
        g = t.grade or policy.default_grade
        if g not in by_grade:
            raise InvalidInput(f"target {t.id}: unknown grade {g!r}", field="grade")
        by_grade[g].append(t)
    rng = random.Random(seed)  # noqa: S311  (reproducibility is the point, not secrecy)
    days = {m: workdays(year, m) for m in range(1, 13)}
    previous = previous or {}
    visits: list[Visit] = []
    stats: dict[str, Any] = {"firms": {}, "selected": {}, "visits": {}}
    item_checks = 0
    for g in GRADES:
        group = sorted(by_grade[g], key=lambda t: t.id)
        gp = policy.per_grade[g]
        k = _sample_size(gp.share, len(group))
        selected = sorted(rng.sample(group, k), key=lambda t: t.id)
        n_visits = min(gp.visits, policy.cap_per_firm_per_year, 12)
        stats["firms"][g] = len(group)
        stats["selected"][g] = k
        grade_visits = 0
        for t in selected:
            domain_items = policy.items.get(t.domain, ())
            if not domain_items:
                raise InvalidInput(
                    f"target {t.id}: no inspection items for {t.domain}", field="domain"
                )
            avoid = set(previous.get(t.id, frozenset()))
            done: dict[str, int] = {}
            for month in _months_for(n_visits, rng):
                due = []
                for it in domain_items:
                    capped = it.kind == "general" and it.max_per_year is not None
                    if capped and done.get(it.id, 0) >= (it.max_per_year or 0):
                        continue
                    due.append(it.id)
                    done[it.id] = done.get(it.id, 0) + 1
                team = _draw_inspectors(rng, pool, t.id, avoid, policy.min_inspectors)
                avoid.update(i.id for i in team)
                visits.append(
                    Visit(
                        on=rng.choice(days[month]),
                        target=t.id,
                        grade=g,
                        inspectors=tuple(sorted(i.code for i in team)),
                        items=tuple(due),
                    )
                )
                item_checks += len(due)
                grade_visits += 1
        stats["visits"][g] = grade_visits
    visits.sort(key=lambda v: (v.on, v.target))
    total_firms = sum(stats["firms"].values())
    # Without grades: every firm under the same policy, one visit per item (no 综合查一次).
    ug = policy.ungraded
    ungraded_firm_visits = 0
    for g in GRADES:
        for t in by_grade[g]:
            ungraded_firm_visits += len(policy.items.get(t.domain, ()))
    ungraded = int(
        ug.share * ungraded_firm_visits * min(ug.visits, policy.cap_per_firm_per_year) + 0.5
    )
    planned = len(visits)
    burden = {
        "firms": total_firms,
        "firms_by_grade": stats["firms"],
        "selected_by_grade": stats["selected"],
        "visits_by_grade": stats["visits"],
        "visits_per_firm_by_grade": {
            g: round(stats["visits"][g] / stats["firms"][g], 3) if stats["firms"][g] else 0.0
            for g in GRADES
        },
        "visits": planned,
        "item_checks": item_checks,
        "combined_visits": sum(1 for v in visits if v.combined),
        "visits_without_combining": item_checks,
        "visits_without_grading": ungraded,
        "reduction_vs_ungraded": round(1 - planned / ungraded, 4) if ungraded else 0.0,
    }
    return Plan(
        year=year, seed=seed, policy_version=policy.version, visits=tuple(visits), burden=burden
    )

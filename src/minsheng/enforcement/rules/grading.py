"""Yearly A/B/C/D grading of construction-site firms (信用分级分类执法监管).

Pure. A firm's previous-year summary (routine inspections, administrative penalties, industry
supervision records) is scored with a points table kept as data (``data/grading.json``):

    points = base + inspection score + good records (capped) − bad records − penalty deductions

and the points fall into bands (A ≥ 90, B ≥ 75, C ≥ 60, else D by default). Triggers such as a
serious accident force D whatever the points; a new entrant (or a firm with no records at all)
gets the table's default grade. Every grade comes with a breakdown, item by item.

Sources: the Jiangsu city's annual construction grade and its forced-D triggers, the Shenzhen
bands, 住建部《建筑市场信用管理暂行办法》 for good and bad records (reference notes §1, §4).
Findings are normalised per inspection (failed ÷ inspections) because more inspections of a firm
find more violations (the detection-bias pitfall of the reference notes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from minsheng.core.errors import InvalidInput
from minsheng.enforcement.errors import InvalidRuleBase

GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class RecordKind:
    kind: str
    label: str
    points: int = 0
    force: str | None = None


@dataclass(frozen=True)
class PointsTable:
    version: str
    base_points: int
    new_entrant_grade: str
    new_entrant_note: str
    points_per_pass: int
    pass_points_cap: int
    failure_rate_weight: int
    tier_points: Mapping[str, int]
    per_10000_yuan: int
    fine_points_cap: int
    records: Mapping[str, RecordKind]
    good_points_cap: int
    bands: tuple[tuple[str, int | None], ...]
    demo: bool = True
    source: str = ""

    def status_dict(self) -> dict[str, Any]:
        """The status every grade carries: official with its source, or demo."""
        return {
            "name": self.version,
            "status": "demo" if self.demo else "official",
            "label": "演示规则（非正式评级依据）" if self.demo else "正式规则",
            "source": self.source,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "base_points": self.base_points,
            "new_entrant_grade": self.new_entrant_grade,
            "points_per_pass": self.points_per_pass,
            "pass_points_cap": self.pass_points_cap,
            "failure_rate_weight": self.failure_rate_weight,
            "tier_points": dict(self.tier_points),
            "per_10000_yuan": self.per_10000_yuan,
            "fine_points_cap": self.fine_points_cap,
            "records": {
                k: {"label": r.label, "points": r.points, "force": r.force}
                for k, r in self.records.items()
            },
            "good_points_cap": self.good_points_cap,
            "bands": [{"grade": g, "min_points": m} for g, m in self.bands],
        }


def parse_points_table(data: Mapping[str, Any]) -> PointsTable:
    bands = tuple((str(b["grade"]), b["min_points"]) for b in data["bands"])
    if [g for g, _ in bands] != list(GRADES):
        raise InvalidRuleBase("grading bands must be A, B, C, D in that order")
    mins = [m for _, m in bands[:-1]]
    if bands[-1][1] is not None or any(m is None for m in mins) or mins != sorted(mins)[::-1]:
        raise InvalidRuleBase("band minimums must fall from A to C, and D has none")
    records = {}
    for kind, raw in data["industry_records"].items():
        force = raw.get("force")
        if force is not None and force not in GRADES:
            raise InvalidRuleBase(f"record {kind}: force must be a grade")
        records[kind] = RecordKind(
            kind=kind, label=str(raw["label"]), points=int(raw.get("points", 0)), force=force
        )
    entrant = data["new_entrant"]["grade"]
    if entrant not in GRADES:
        raise InvalidRuleBase("new_entrant.grade must be A, B, C or D")
    return PointsTable(
        version=str(data["version"]),
        base_points=int(data["base_points"]),
        new_entrant_grade=entrant,
        new_entrant_note=str(data["new_entrant"].get("note", "")),
        points_per_pass=int(data["inspections"]["points_per_pass"]),
        pass_points_cap=int(data["inspections"]["pass_points_cap"]),
        failure_rate_weight=int(data["inspections"]["failure_rate_weight"]),
        tier_points={k: int(v) for k, v in data["penalties"]["per_tier"].items()},
        per_10000_yuan=int(data["penalties"]["per_10000_yuan"]),
        fine_points_cap=int(data["penalties"]["fine_points_cap"]),
        records=records,
        good_points_cap=int(data["good_points_cap"]),
        bands=bands,
        demo=bool(data.get("demo", True)),
        source=str(data.get("source", "")),
    )


@dataclass(frozen=True)
class Penalty:
    tier: str
    fine_yuan: int


@dataclass(frozen=True)
class IndustryRecord:
    kind: str
    note: str = ""


@dataclass(frozen=True)
class Summary:
    """One firm's previous year."""

    inspections: int = 0
    inspections_failed: int = 0
    penalties: tuple[Penalty, ...] = ()
    industry_records: tuple[IndustryRecord, ...] = ()
    new_entrant: bool = False


@dataclass(frozen=True)
class GradeResult:
    grade: str
    points: int
    breakdown: tuple[Mapping[str, Any], ...]
    rule_version: str
    forced_by: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "points": self.points,
            "breakdown": [dict(b) for b in self.breakdown],
            "rule_version": self.rule_version,
            "forced_by": list(self.forced_by),
        }


def check_summary(table: PointsTable, s: Summary) -> None:
    if s.inspections < 0:
        raise InvalidInput("must be zero or more", field="inspections")
    if not 0 <= s.inspections_failed <= s.inspections:
        raise InvalidInput(
            "must be between 0 and the number of inspections", field="inspections_failed"
        )
    for i, p in enumerate(s.penalties):
        if p.tier not in table.tier_points:
            known = ", ".join(table.tier_points)
            raise InvalidInput(f"unknown tier {p.tier!r}; known: {known}", field=f"penalties[{i}]")
        if p.fine_yuan < 0:
            raise InvalidInput("a fine cannot be negative", field=f"penalties[{i}].fine_yuan")
    for i, r in enumerate(s.industry_records):
        if r.kind not in table.records:
            known = ", ".join(table.records)
            raise InvalidInput(
                f"unknown record kind {r.kind!r}; known: {known}",
                field=f"industry_records[{i}].kind",
            )


def band(table: PointsTable, points: int) -> str:
    for grade, minimum in table.bands:
        if minimum is None or points >= minimum:
            return grade
    return GRADES[-1]


def grade(table: PointsTable, s: Summary, *, check: bool = True) -> GradeResult:
    """Grade one firm; the breakdown lists every line that moved its points.

    ``check=False`` skips the input checks for summaries built from stored records, which were
    checked when they were recorded (the bulk yearly grading).
    """
    if check:
        check_summary(table, s)
    breakdown: list[dict[str, Any]] = [
        {"item": "base", "points": table.base_points, "note": "基础分"}
    ]
    no_records = s.inspections == 0 and not s.penalties and not s.industry_records
    if s.new_entrant or no_records:
        why = "new entrant" if s.new_entrant else "no records last year"
        breakdown.append(
            {
                "item": "new_entrant",
                "points": 0,
                "note": f"{why}: default grade {table.new_entrant_grade}. {table.new_entrant_note}",
            }
        )
        # A new entrant's own serious records still count: a forced D is never waived.
        if not any(table.records[r.kind].force is not None for r in s.industry_records):
            return GradeResult(
                grade=table.new_entrant_grade,
                points=table.base_points,
                breakdown=tuple(breakdown),
                rule_version=table.version,
            )
    points = table.base_points
    if s.inspections:
        passed = s.inspections - s.inspections_failed
        bonus = min(passed * table.points_per_pass, table.pass_points_cap)
        rate = s.inspections_failed / s.inspections
        # Integer points keep grades reproducible; round half away from zero.
        malus = -int(rate * table.failure_rate_weight + 0.5)
        points += bonus + malus
        breakdown.append(
            {
                "item": "inspections_passed",
                "points": bonus,
                "note": f"{passed} passed × {table.points_per_pass}, capped at "
                f"{table.pass_points_cap}",
            }
        )
        breakdown.append(
            {
                "item": "inspection_failure_rate",
                "points": malus,
                "note": f"{s.inspections_failed}/{s.inspections} failed × "
                f"{table.failure_rate_weight}",
            }
        )
    else:
        breakdown.append({"item": "inspections", "points": 0, "note": "not inspected last year"})
    fines = 0
    for p in s.penalties:
        pts = table.tier_points[p.tier]
        fines += p.fine_yuan
        points += pts
        breakdown.append(
            {"item": f"penalty:{p.tier}", "points": pts, "note": f"fine {p.fine_yuan} yuan"}
        )
    if fines:
        fine_pts = max(table.per_10000_yuan * (fines // 10000), table.fine_points_cap)
        points += fine_pts
        breakdown.append(
            {
                "item": "fines_total",
                "points": fine_pts,
                "note": f"{fines} yuan: {table.per_10000_yuan} per 10,000, capped at "
                f"{table.fine_points_cap}",
            }
        )
    good = 0
    forced: list[str] = []
    for r in s.industry_records:
        kind = table.records[r.kind]
        if kind.force is not None:
            forced.append(r.kind)
            breakdown.append(
                {
                    "item": f"record:{r.kind}",
                    "points": 0,
                    "note": f"{kind.label}: forces {kind.force}",
                }
            )
            continue
        pts = kind.points
        if pts > 0:
            pts = max(0, min(pts, table.good_points_cap - good))
            good += pts
        points += pts
        breakdown.append(
            {
                "item": f"record:{r.kind}",
                "points": pts,
                "note": kind.label + (f" ({r.note})" if r.note else ""),
            }
        )
    result = band(table, points)
    breakdown.append({"item": "band", "points": points, "note": f"{points} points → {result}"})
    if forced:
        worst = max((table.records[k].force or "D" for k in forced), key=GRADES.index)
        if GRADES.index(worst) > GRADES.index(result):
            result = worst
        breakdown.append(
            {"item": "forced", "points": 0, "note": f"{', '.join(forced)} → grade {result}"}
        )
    return GradeResult(
        grade=result,
        points=points,
        breakdown=tuple(breakdown),
        rule_version=table.version,
        forced_by=tuple(forced),
    )


# No firm is inspected or fined more than this in a year; larger numbers are typing errors.
MAX_COUNT = 100_000


def parse_summary(raw: Any) -> Summary:
    """The ``grade explain`` JSON as a ``Summary``."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("the input must be a JSON object", field=None)

    def count(key: str) -> int:
        value = raw.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) > MAX_COUNT:
            raise InvalidInput(f"must be a whole number up to {MAX_COUNT}", field=key)
        return value

    def items(key: str) -> list[Any]:
        value = raw.get(key) or []
        if not isinstance(value, list):
            raise InvalidInput("must be a list", field=key)
        return value

    penalties: list[Penalty] = []
    for i, p in enumerate(items("penalties")):
        fine = p.get("fine_yuan") if isinstance(p, Mapping) else None
        if (
            not isinstance(fine, int)
            or isinstance(fine, bool)
            or abs(fine) > 10**12
            or not isinstance(p.get("tier"), str)
        ):
            raise InvalidInput("needs tier (text) and fine_yuan (integer)", field=f"penalties[{i}]")
        penalties.append(Penalty(tier=p["tier"], fine_yuan=fine))
    records: list[IndustryRecord] = []
    for i, r in enumerate(items("industry_records")):
        if not isinstance(r, Mapping) or not isinstance(r.get("kind"), str):
            raise InvalidInput("needs kind", field=f"industry_records[{i}]")
        records.append(IndustryRecord(kind=r["kind"], note=str(r.get("note", ""))))
    new_entrant = raw.get("new_entrant", False)
    if not isinstance(new_entrant, bool):
        raise InvalidInput("must be true or false", field="new_entrant")
    return Summary(
        inspections=count("inspections"),
        inspections_failed=count("inspections_failed"),
        penalties=tuple(penalties),
        industry_records=tuple(records),
        new_entrant=new_entrant,
    )


def grade_all(table: PointsTable, summaries: Sequence[Summary]) -> list[GradeResult]:
    return [grade(table, s) for s in summaries]

"""What a simulation prints: the side-by-side comparison table, a progress bar and an SVG chart of
the answer rate by hour for every variant (hand-written SVG: no plotting dependency)."""

from __future__ import annotations

import sys
from typing import Any, TextIO
from xml.sax.saxutils import escape

from minsheng.hotline.sim.runner import VariantResult

COLUMNS = (
    ("variant", "variant"),
    ("calls", "calls"),
    ("answer", "answer_rate"),
    ("in-prov", "answered_in_home_province_rate"),
    ("ASA s", "asa_s"),
    ("SL", "service_level"),
    ("abandon", "abandonment_rate"),
    ("last resort", "no_answer"),
    ("rollovers", "rollovers"),
    ("+seat-h", "plan_seat_hours_added"),
)
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def comparison_rows(results: list[VariantResult]) -> list[dict[str, Any]]:
    """One row per variant with the national KPIs that matter for the comparison."""
    rows = []
    for r in results:
        n = r.kpis["national"]
        rows.append(
            {
                "variant": r.name,
                "calls": r.calls,
                "answer_rate": n["answer_rate"],
                "answered_in_home_province_rate": n["answered_in_home_province_rate"],
                "asa_s": n["asa_s"],
                "service_level": n["service_level"],
                "abandonment_rate": n["abandonment_rate"],
                "no_answer": n["no_answer"],
                "rollovers": n["rollovers"],
                "plan_seat_hours_added": r.plan_seats_added / 2,
            }
        )
    return rows


def _cell(value: Any, key: str) -> str:
    if value is None:
        return "-"
    if key.endswith("rate") or key == "service_level":
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def table(results: list[VariantResult]) -> str:
    """The comparison as a plain-text table."""
    rows = comparison_rows(results)
    cells = [[h for h, _ in COLUMNS]] + [[_cell(r[k], k) for _, k in COLUMNS] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = []
    for j, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(parts))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


class ProgressBar:
    """A one-line progress bar on a stream (stderr), redrawn in place."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self._last: tuple[str, int] | None = None

    def __call__(self, name: str, fraction: float) -> None:
        filled = round(fraction * self.width)
        key = (name, filled)
        if key == self._last and fraction < 1.0:
            return
        self._last = key
        bar = "#" * filled + "." * (self.width - filled)
        end = "\n" if fraction >= 1.0 else ""
        self.stream.write(f"\r{name:<16.16} [{bar}] {fraction:4.0%}{end}")
        self.stream.flush()


def svg_chart(results: list[VariantResult], title: str) -> str:
    """A line chart of the answer rate by Beijing hour of arrival, one line per variant."""
    w, h = 760, 420
    left, right, top, bottom = 60, 170, 40, 50
    pw, ph = w - left - right, h - top - bottom
    rates = [[row["answer_rate"] for row in r.kpis["by_hour"]] for r in results]
    known = [x for series in rates for x in series if x is not None]
    low = min(known, default=0.0)
    floor = max(0.0, min(0.9, int(low * 10) / 10))  # zoom in, but on a round 10% line

    def x_of(hour: int) -> float:
        return left + pw * (hour + 0.5) / 24

    def y_of(rate: float) -> float:
        return top + ph * (1 - (rate - floor) / (1 - floor))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{left}" y="24" font-size="15">{escape(title)}</text>',
    ]
    steps = 5
    for i in range(steps + 1):
        rate = floor + (1 - floor) * i / steps
        y = y_of(rate)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{rate:.0%}</text>'
        )
    for hour in range(0, 24, 3):
        x = x_of(hour)
        out.append(
            f'<text x="{x:.1f}" y="{top + ph + 18}" text-anchor="middle">{hour:02d}:00</text>'
        )
    out.append(
        f'<text x="{left + pw / 2}" y="{h - 10}" text-anchor="middle">'
        "hour of arrival (Beijing)</text>"
    )
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    for k, (r, series) in enumerate(zip(results, rates, strict=True)):
        color = PALETTE[k % len(PALETTE)]
        points = [
            f"{x_of(hour):.1f},{y_of(rate):.1f}"
            for hour, rate in enumerate(series)
            if rate is not None
        ]
        if points:
            out.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                f'points="{" ".join(points)}"><title>{escape(r.name)}</title></polyline>'
            )
        ly = top + 16 + 20 * k
        out.append(
            f'<line x1="{left + pw + 14}" y1="{ly - 4}" x2="{left + pw + 38}" y2="{ly - 4}" '
            f'stroke="{color}" stroke-width="3"/>'
            f'<text x="{left + pw + 44}" y="{ly}">{escape(r.name)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"

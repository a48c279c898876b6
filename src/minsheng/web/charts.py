"""Charts as inline SVG, drawn on the server from the same numbers the API returns.

No JavaScript chart library: a page embeds the SVG, which prints, works offline and is readable
by screen readers (``role="img"`` with a ``<title>`` and ``<desc>``; every chart on a page is also
followed by its numbers in a table). Pure functions: numbers in, markup out.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#1f6feb", "#d4380d", "#389e0d", "#8c5ae8", "#d48806", "#08979c")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str = ""


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 × 10^k)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10**exp
        if top >= value - 1e-12:
            return float(top)
    return float(10 ** (exp + 1))


def _integer_max(value: float, ticks: int = 4) -> float:
    """An axis maximum at or above ``value`` whose ``ticks`` steps are whole numbers (seats,
    calls): 3 seats → 4 (ticks 0 1 2 3 4), 9 → 12, 130 → 200."""
    if value <= ticks:
        return float(ticks)
    step = math.ceil(_nice_max(value / ticks))
    while step * ticks < value:
        step += 1
    return float(step * ticks)


def _steps(top: float) -> int:
    """How many grid steps make round ticks up to ``top``: 2.5 → 5 (0.5 each, not 0.625),
    2 → 4 (0.5), 1 → 5 (0.2), 5 → 5 (1)."""
    if top <= 0:
        return 4
    mantissa = top / 10 ** math.floor(math.log10(top))
    return 4 if math.isclose(mantissa, 2) or math.isclose(mantissa, 8) else 5


def _text_width(text: str, font_px: float = 12) -> float:
    """Rough width of a label in the chart's font: a CJK character is a full em, others half."""
    return sum(font_px if ord(ch) > 0x2E7F else font_px * 0.6 for ch in text)


def _fmt_default(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:.2f}"


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str = "",
    y_max: float | None = None,
    fmt: Callable[[float], str] = _fmt_default,
    width: int = 640,
    height: int = 260,
    show_values: bool | None = None,
    integer: bool = False,
    empty: str = "",
) -> Markup:
    """Grouped vertical bars: one group per category, one bar per series (None = no bar).

    ``integer``: the axis ticks are whole numbers (counts of seats or calls). ``empty``: when
    no series has any value (no data at all), this sentence (e.g. 该时段无来电) replaces the chart.
    Category labels that would overlap are turned 45° (and, past that, only every n-th drawn),
    the plot growing downwards to fit them.
    """
    n_cat = max(len(categories), 1)
    n_ser = max(len(series), 1)
    values = [v for s in series for v in s.values if v is not None]
    if empty and not values:
        return Markup(f'<p class="chart-empty" role="note">{escape(empty)}</p>')  # noqa: S704
    peak = max(values, default=0.0)
    if y_max is not None:
        top = y_max
    elif integer:
        top = _integer_max(peak)
    else:
        top = _nice_max(peak)
    left, right, top_pad, bottom = 56, 12, 28 if len(series) > 1 else 12, 42
    plot_w = width - left - right
    group_w = plot_w / n_cat
    widest = max((_text_width(c) for c in categories), default=0.0)
    rotate = widest > group_w * 0.9
    label_every = max(1, math.ceil(n_cat / 24))
    if rotate:
        # a label turned 45° needs about 0.7 of its length below the axis; labels 16 px apart
        bottom = min(int(widest * 0.72) + 24, height // 2)
        # the first label reaches left of the axis: make room for it
        left = max(left, int(widest * 0.72 - group_w / 2) + 4)
        plot_w = width - left - right
        group_w = plot_w / n_cat
        label_every = max(label_every, math.ceil(16 / group_w))
    plot_h = height - top_pad - bottom
    bar_w = max(1.0, group_w * 0.8 / n_ser)
    if show_values is None:
        show_values = n_cat * n_ser <= 16
    # Deterministic ids (the same data draws the same SVG), distinct for different charts.
    digest = hashlib.sha1(f"{title}|{categories}|{series}".encode(), usedforsecurity=False)
    uid = f"chart-{digest.hexdigest()[:10]}"
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{uid}-t {uid}-d" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(description or title)}</desc>',
    ]
    # Horizontal grid lines with their values on the left axis.
    steps = 4 if integer else _steps(top)
    for i in range(steps + 1):
        tick = top * i / steps
        y = top_pad + plot_h - plot_h * i / steps
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
            f"{escape(fmt(tick))}</text>"
        )
    for ci, cat in enumerate(categories):
        gx = left + ci * group_w + group_w * 0.1
        for si, s in enumerate(series):
            v = s.values[ci] if ci < len(s.values) else None
            if v is None:
                continue
            h = 0.0 if top == 0 else min(plot_h, plot_h * max(v, 0.0) / top)
            x = gx + si * bar_w
            y = top_pad + plot_h - h
            color = s.color or PALETTE[si % len(PALETTE)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{escape(color)}"><title>{escape(cat)} · {escape(s.name)}: '
                f"{escape(fmt(v))}</title></rect>"
            )
            if show_values:
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                    f'class="value">{escape(fmt(v))}</text>'
                )
        if ci % label_every == 0:
            cx = left + ci * group_w + group_w / 2
            ly = height - bottom + 16
            if rotate:
                parts.append(
                    f'<text x="{cx:.1f}" y="{ly}" text-anchor="end" class="axis" '
                    f'transform="rotate(-45 {cx:.1f} {ly})">{escape(cat)}</text>'
                )
            else:
                parts.append(
                    f'<text x="{cx:.1f}" y="{ly}" text-anchor="middle" '
                    f'class="axis">{escape(cat)}</text>'
                )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top_pad + plot_h}" '
        f'y2="{top_pad + plot_h}" class="baseline"/>'
    )
    if len(series) > 1:
        x = left
        for si, s in enumerate(series):
            color = s.color or PALETTE[si % len(PALETTE)]
            parts.append(
                f'<rect x="{x}" y="6" width="12" height="12" fill="{escape(color)}"/>'
                f'<text x="{x + 16}" y="16" class="legend">{escape(s.name)}</text>'
            )
            x += 24 + 13 * len(s.name)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


def percent(v: float) -> str:
    pct = v * 100
    return f"{pct:.0f}%" if abs(pct - round(pct)) < 0.05 else f"{pct:.1f}%"


def seconds(v: float) -> str:
    return f"{v:.0f}s"

"""Inline SVG charts: well-formed, accessible, escaped, and bars proportional to the data."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from minsheng.web.charts import Series, bar_chart, percent

NS = {"s": "http://www.w3.org/2000/svg"}


def bars(svg: str) -> list[float]:
    root = ET.fromstring(svg)
    return [
        float(r.get("height", "0"))
        for r in root.findall("s:rect", NS)
        if r.find("s:title", NS) is not None
    ]


def test_a_chart_is_an_accessible_svg_image() -> None:
    svg = str(
        bar_chart(["0时", "1时"], [Series("接听率", [0.5, 1.0])], title="接听率", fmt=percent)
    )
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.find("s:title", NS) is not None
    assert root.find("s:title", NS).text == "接听率"  # type: ignore[union-attr]


def test_text_is_escaped() -> None:
    svg = str(bar_chart(["<b>"], [Series("a&b", [1])], title="<script>x</script>"))
    assert "<script>" not in svg
    ET.fromstring(svg)


def test_missing_values_draw_no_bar() -> None:
    svg = str(bar_chart(["a", "b", "c"], [Series("x", [1, None, 3])], title="t"))
    assert len(bars(svg)) == 2


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=30))
def test_bar_heights_are_proportional(values: list[float]) -> None:
    svg = str(bar_chart([str(i) for i in range(len(values))], [Series("v", values)], title="t"))
    heights = bars(svg)
    assert len(heights) == len(values)
    top, tallest = max(values), max(heights)
    for v, h in zip(values, heights, strict=True):
        assert h >= 0
        if top > 0:
            # heights are written to 0.1 px
            assert abs(h - tallest * v / top) <= 0.11


def test_grouped_series_have_a_legend() -> None:
    svg = str(bar_chart(["a", "b"], [Series("现状", [1, 2]), Series("建议", [2, 3])], title="比较"))
    assert "现状" in svg and "建议" in svg
    assert len(bars(svg)) == 4


def test_counts_get_whole_number_ticks() -> None:
    # issue 18: the seats axis showed 2.50 — a count's ticks are whole numbers
    svg = str(bar_chart(["a", "b"], [Series("坐席", [3, 9])], title="坐席", integer=True))
    ticks = [t.text for t in ET.fromstring(svg).findall("s:text[@class='axis']", NS)][:5]
    assert ticks == ["0", "3", "6", "9", "12"]
    assert all("." not in (t or "") for t in ticks)


def test_long_labels_are_turned_instead_of_overlapping() -> None:
    names = [f"第{i}号心理援助热线" for i in range(30)]
    svg = str(bar_chart(names, [Series("v", [1] * 30)], title="t", integer=True))
    labels = [
        t for t in ET.fromstring(svg).findall("s:text[@class='axis']", NS) if t.get("transform")
    ]
    assert labels and all(t.get("transform", "").startswith("rotate(-45") for t in labels)
    # turned labels 16 px apart at least: with 30 groups in ~570 px every label fits or thins
    xs = [float(t.get("x", "0")) for t in labels]
    assert all(b - a >= 16 for a, b in itertools.pairwise(xs))
    short = str(bar_chart(["00", "01"], [Series("v", [1, 2])], title="t"))
    assert "rotate(" not in short


def test_a_chart_without_data_says_so() -> None:
    empty = str(
        bar_chart(["00", "01"], [Series("v", [None, None])], title="t", empty="该时段无来电")
    )
    assert "<svg" not in empty and "该时段无来电" in empty
    zero = str(bar_chart(["00"], [Series("v", [0.0])], title="t", empty="该时段无来电"))
    assert "<svg" in zero  # a measured zero is data: it is drawn


def test_ticks_are_round_numbers() -> None:
    # the inspection plan's chart read 0.62 and 1.88 on a 2.5 axis
    svg = str(bar_chart(["A", "B"], [Series("频次", [0.06, 2.4])], title="频次"))
    ticks = [t.text for t in ET.fromstring(svg).findall("s:text[@class='axis']", NS)][:6]
    assert ticks == ["0", "0.50", "1", "1.50", "2", "2.50"]

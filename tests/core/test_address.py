"""Reading a typed place down to the county (core.address): the examples of issue 18."""

from __future__ import annotations

import pytest

from minsheng.core import address


def codes(text: str) -> list[str]:
    return [r.code for r in address.resolve(text)]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("广东省深圳市南山区", "440305"),
        ("深圳市南山区", "440305"),
        ("深圳南山", "440305"),
        ("广东省深圳市南山区粤海街道科技园", "440305"),
        ("中国广东省深圳市", "440300"),
        ("深圳", "440300"),
        ("浦东", "310115"),
        ("上海市浦东新区", "310115"),
        ("上海", "310100"),
        ("琼中", "469030"),
        ("琼中黎族苗族自治县", "469030"),
        ("黔东南", "522600"),
        ("乌鲁木齐", "650100"),
        ("南京鼓楼", "320106"),
        ("北京市朝阳区", "110105"),
    ],
)
def test_one_place(typed: str, code: str) -> None:
    assert codes(typed) == [code]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("南山区", {"230404", "440305"}),  # 鹤岗 and 深圳: ask, never pick the first
        ("鼓楼区", {"320106", "320302", "350102", "410204"}),
        ("朝阳", {"110105", "211300", "220104"}),
    ],
)
def test_a_shared_name_gives_every_place(typed: str, expected: set[str]) -> None:
    assert set(codes(typed)) == expected


def test_nothing_matches() -> None:
    assert codes("没有这个地方") == []
    assert codes("   ") == []


def test_short_forms() -> None:
    assert address.forms("琼中黎族苗族自治县") == {"琼中黎族苗族自治县", "琼中"}
    assert "内蒙古" in address.forms("内蒙古自治区")
    assert "浦东" in address.forms("浦东新区")
    assert address.forms("城区") == {"城区"}  # a one-character short form would match anything


def test_label_names_the_province_and_city() -> None:
    (nanshan,) = address.resolve("深圳市南山区")
    assert address.label(nanshan) == "广东省深圳市南山区"
    (pudong,) = address.resolve("浦东")
    assert address.label(pudong) == "上海市浦东新区"

"""GB/T 2260 lookups by code and name, and parent/child navigation."""

from __future__ import annotations

import pytest

from minsheng.core import regions
from minsheng.core.errors import RegionNotFound


@pytest.fixture(scope="module")
def t() -> regions.RegionTable:
    return regions.table()


class TestLookup:
    def test_by_county_code(self, t: regions.RegionTable) -> None:
        r = t.lookup("440305")
        assert (r.name, r.level) == ("南山区", "county")
        d = regions.describe(r)
        assert d["city"] == {"code": "440300", "name": "深圳市"}
        assert d["province"] == {"code": "440000", "name": "广东省"}

    def test_combined_province_city_string(self, t: regions.RegionTable) -> None:
        assert t.lookup("广东省深圳市").code == "440300"

    def test_geocoder_form_with_two_cities(self, t: regions.RegionTable) -> None:
        found = t.lookup_all("海南省海口市、三亚市")
        assert [r.code for r in found] == ["460100", "460200"]
        assert t.lookup("海南省海口市、三亚市").code == "460100"

    def test_province_name_and_short_name(self, t: regions.RegionTable) -> None:
        assert t.lookup("江苏省").code == "320000"
        assert t.lookup("内蒙古呼和浩特市").code == "150100"

    def test_municipality_is_one_city(self, t: regions.RegionTable) -> None:
        bj = t.lookup("北京市")
        assert bj.level == "province"
        assert regions.describe(bj)["city"] == {"code": "110100", "name": "北京市"}
        assert [c.code for c in t.cities("110000")] == ["110100"]
        chaoyang = t.lookup("110105")
        assert t.city_of(chaoyang) is not None
        assert t.city_of(chaoyang).name == "北京市"  # type: ignore[union-attr]

    def test_county_directly_under_province_has_no_city(self, t: regions.RegionTable) -> None:
        xiantao = t.lookup("429004")
        assert xiantao.name == "仙桃市"
        assert t.city_of(xiantao) is None
        assert t.province_of(xiantao).code == "420000"  # type: ignore[union-attr]

    def test_unknown_raises_named_error(self, t: regions.RegionTable) -> None:
        with pytest.raises(RegionNotFound) as err:
            t.lookup("火星")
        assert err.value.field == "code_or_name"
        with pytest.raises(RegionNotFound):
            t.lookup("999999")

    def test_historical_code_known_but_not_current(self, t: regions.RegionTable) -> None:
        r = t.lookup("110103")
        assert r.name == "崇文区" and not r.current


class TestNavigation:
    def test_mainland_provinces(self, t: regions.RegionTable) -> None:
        mainland = [p for p in t.provinces() if int(p.code[:2]) < 70]
        assert len(mainland) == 31

    def test_children_of_city_are_counties(self, t: regions.RegionTable) -> None:
        kids = t.children("440300")
        assert kids and all(k.level == "county" for k in kids)
        assert "南山区" in {k.name for k in kids}

    def test_children_of_province_are_cities(self, t: regions.RegionTable) -> None:
        names = {r.name for r in t.children("460000") if r.level == "city"}
        assert {"海口市", "三亚市", "三沙市", "儋州市"} <= names

    def test_prefecture_count_is_plausible(self, t: regions.RegionTable) -> None:
        # 333 prefecture-level divisions + 4 municipalities in 2024; allow for data releases
        mainland = [c for c in t.cities() if int(c.code[:2]) < 70]
        assert 330 <= len(mainland) <= 345

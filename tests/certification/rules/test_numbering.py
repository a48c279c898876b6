"""Pure rules: certificate numbers (人社鉴发〔2019〕2号)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from minsheng.certification.rules import numbering


class TestNumbers:
    def test_decodes_every_position(self) -> None:
        d = numbering.decode_number("Y000123440300195000001")
        assert d.valid and d.errors == []
        assert (d.issuer_type, d.body_code, d.province_code) == ("Y", "0001", "23")
        assert (d.site_code, d.year, d.level, d.serial) == ("440300", 2019, 5, "000001")

    def test_lowercase_and_spaces_are_normalised(self) -> None:
        assert numbering.decode_number(" s000046460100244000001 ").valid

    def test_inner_spaces_full_width_and_dashes_are_normalised(self) -> None:
        number = "S000046460100244000001"
        full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)  # Ｓ０００…
        typed = [
            "S0000 4646 0100 2440 00001",
            "S0000\u300046460100\t244000001",
            full_width,
            "s0000-46-460100-24-4-000001",
            "S0000—46460100244000001",
        ]
        for text in typed:
            assert numbering.normalize_number(text) == number, text
            assert numbering.decode_number(text).valid
        # Letters and digits other than the separators are kept: a wrong number stays wrong.
        assert not numbering.decode_number("S0000.46460100244000001").valid

    def test_bad_numbers_name_their_errors(self) -> None:
        assert "must be 22 characters, got 5" in numbering.decode_number("Y1234").errors
        assert any("Y (employer)" in e for e in numbering.decode_number("X" + "0" * 21).errors)
        bad_level = numbering.decode_number("S000046460100246000001")
        assert not bad_level.valid and any("level 6" in e for e in bad_level.errors)
        bad_prov = numbering.decode_number("S000099460100244000001")
        assert any("province" in e for e in bad_prov.errors)
        assert any("000001" in e for e in numbering.decode_number("S000046460100244000000").errors)
        assert any("digits" in e for e in numbering.decode_number("S00004646010024400000A").errors)

    @given(
        st.sampled_from("YS"),
        st.integers(0, 9999),
        st.sampled_from(sorted(numbering.PROVINCE_CODES)),
        st.integers(0, 999_999),
        st.integers(2019, 2099),
        st.integers(1, 5),
        st.integers(1, 999_999),
    )
    def test_compose_then_decode_round_trips(
        self, t: str, body: int, prov: str, site: int, year: int, level: int, serial: int
    ) -> None:
        prefix = numbering.number_prefix(
            issuer_type=t,
            body_code=f"{body:04d}",
            province_code=prov,
            site_code=f"{site:06d}",
            year=year,
            level=level,
        )
        number = numbering.compose_number(prefix, serial)
        assert numbering.NUMBER_RE.match(number)
        d = numbering.decode_number(number)
        assert d.valid and d.level == level and d.year == year and int(d.serial or 0) == serial

"""GB 11643-1999 checks: checksum, dates, normalisation, 15-digit refusal, region warnings."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minsheng.core import idnumber
from minsheng.core.idnumber import InvalidIdNumber

ANNEX_A = "11010519491231002X"


def make_id(prefix17: str) -> str:
    return prefix17 + idnumber.check_character(prefix17)


class TestCheck:
    def test_annex_a_vector_is_valid(self) -> None:
        r = idnumber.check(ANNEX_A)
        assert r.valid
        assert r.normalized == ANNEX_A
        assert r.birth_date == date(1949, 12, 31)
        assert r.sex == "F"
        assert r.region is not None and r.region.code == "110105"
        assert r.errors == [] and r.warnings == []

    def test_lowercase_x_is_normalised(self) -> None:
        r = idnumber.check("11010519491231002x")
        assert r.valid and r.normalized == ANNEX_A

    def test_full_width_digits_are_normalised_and_other_scripts_refused(self) -> None:
        wide = "".join(chr(ord(c) + 0xFEE0) for c in ANNEX_A[:17]) + "ｘ"
        result = idnumber.check(wide, today=date(2024, 1, 1))
        assert result.valid and result.normalized == ANNEX_A
        arabic = "".join(chr(0x660 + int(c)) for c in ANNEX_A[:17]) + "X"  # ٠١٢…
        assert not idnumber.check(arabic, today=date(2024, 1, 1)).valid

    def test_wrong_check_character(self) -> None:
        r = idnumber.check("110105194912310021")
        assert not r.valid
        assert any("check character is 1, expected X" in e for e in r.errors)

    def test_thirtieth_of_february(self) -> None:
        r = idnumber.check(make_id("11010519900230001"))
        assert not r.valid
        assert any("19900230 is not a real date" in e for e in r.errors)

    def test_future_birth_date(self) -> None:
        r = idnumber.check(make_id("11010520300101001"), today=date(2026, 11, 27))
        assert not r.valid
        assert any("in the future" in e for e in r.errors)

    def test_fifteen_digits_refused_with_reason(self) -> None:
        r = idnumber.check("110105491231002")
        assert not r.valid
        assert "15-digit" in r.errors[0]

    @pytest.mark.parametrize("bad", ["", "abc", "1101051949123100", "11010519491231002Y"])
    def test_malformed(self, bad: str) -> None:
        assert not idnumber.check(bad).valid

    def test_unknown_region_is_a_warning_not_an_error(self) -> None:
        r = idnumber.check(make_id("99999919900101001"))
        assert r.valid
        assert r.warnings and "999999" in r.warnings[0]

    def test_historical_region_is_a_warning(self) -> None:
        r = idnumber.check(make_id("11010319800101001"))  # 崇文区, merged in 2010
        assert r.valid
        assert any("no longer in use" in w for w in r.warnings)

    def test_male_sequence(self) -> None:
        assert idnumber.check(make_id("44030519800101001")).sex == "M"

    def test_validate_raises_named_error(self) -> None:
        with pytest.raises(InvalidIdNumber) as err:
            idnumber.validate("110105194912310021", field_name="holder.id")
        assert err.value.field == "holder.id"

    @given(
        st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
        st.integers(0, 999),
    )
    def test_every_computed_check_character_validates(self, born: date, seq: int) -> None:
        number = make_id(f"440305{born:%Y%m%d}{seq:03d}")
        assert idnumber.check(number).valid

    @given(st.integers(0, 16), st.integers(1, 9))
    def test_any_single_digit_change_is_caught(self, pos: int, delta: int) -> None:
        digits = list(ANNEX_A)
        digits[pos] = str((int(digits[pos]) + delta) % 10)
        # MOD 11-2 catches every single-digit substitution
        assert not idnumber.check("".join(digits)).valid

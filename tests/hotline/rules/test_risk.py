"""Suicide-risk rating of a call (pure; hypothesis for monotonicity)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from minsheng.hotline.rules import risk
from minsheng.hotline.rules.risk import RiskLevel


class TestRisk:
    def test_levels(self) -> None:
        assert risk.assess_risk(RiskLevel.SEVERE, RiskLevel.NONE)[0] == "high"
        assert risk.assess_risk(RiskLevel.MODERATE, RiskLevel.MODERATE)[0] == "high"
        assert risk.assess_risk(RiskLevel.MILD, RiskLevel.NONE)[0] == "medium"
        assert risk.assess_risk(RiskLevel.NONE, RiskLevel.SEVERE)[0] == "medium"
        assert risk.assess_risk(RiskLevel.NONE, RiskLevel.MILD) == ("low", "risk.low")

    @given(
        st.sampled_from(list(RiskLevel)),
        st.sampled_from(list(RiskLevel)),
        st.sampled_from(list(RiskLevel)),
    )
    def test_monotone(self, a: RiskLevel, b: RiskLevel, h: RiskLevel) -> None:
        order = {"low": 0, "medium": 1, "high": 2}
        rank = list(RiskLevel)
        lo, hi = sorted((a, b), key=rank.index)
        assert order[risk.assess_risk(lo, h)[0]] <= order[risk.assess_risk(hi, h)[0]]

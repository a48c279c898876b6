"""Records are kept at least three years, and the follow-up interval says it is local policy
(issue 13, item 14)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from minsheng.core.config import Settings
from minsheng.hotline import service
from minsheng.hotline.rules import risk


@pytest.mark.parametrize("days", [1, 365, 3 * 365])
def test_a_retention_under_three_years_is_refused(days: int) -> None:
    with pytest.raises(ValidationError, match="hotline_retention_days"):
        Settings(hotline_retention_days=days)


def test_three_years_and_more_are_accepted() -> None:
    assert Settings(hotline_retention_days=3 * 365 + 1).hotline_retention_days == 1096
    assert Settings().hotline_retention_days >= 3 * 365 + 1


def test_the_follow_up_interval_is_listed_as_demo_policy() -> None:
    entries = [r for r in service.rule_data_status() if "follow-up" in r.name]
    assert len(entries) == 1
    assert entries[0].demo
    assert risk.FOLLOW_UP_POLICY["status"] == "demo"

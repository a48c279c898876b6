"""The default follow-up intervals (24 h / 72 h) are local policy, demo values: every follow-up
the API and CLI list says so, and so does the monthly report's definition of 逾期回访 (issue 13
item 14)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from minsheng.hotline import service
from minsheng.hotline.models import FollowUp
from minsheng.hotline.rules import risk
from minsheng.hotline.service.monthly import DEFINITIONS


def test_every_listed_follow_up_names_the_demo_policy() -> None:
    now = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # 00:30 Beijing on 2 December
    item = FollowUp(id=1, task="回访", due_at=now - timedelta(hours=1), done_at=None)
    out = service.followup_dict(item, "C-1", now)
    assert out["overdue"] is True
    assert out["due_policy"] == risk.FOLLOW_UP_POLICY["label"]
    assert "演示" in out["due_policy"] and "本地" in out["due_policy"]


def test_the_monthly_report_says_the_interval_is_local_demo_policy() -> None:
    text = DEFINITIONS["followups_overdue"]
    assert "本地政策" in text and "演示值" in text
    assert f"{risk.FOLLOW_UP_HOURS['high']}小时" in text
    assert f"{risk.FOLLOW_UP_HOURS['medium']}小时" in text

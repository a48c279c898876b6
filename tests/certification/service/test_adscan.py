"""The scam-ad scanner over the registry."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from minsheng.certification import demo, service
from minsheng.certification.errors import (
    AdScanOverBudget,
    AdTooLarge,
)
from minsheng.core.config import Settings


class TestAdScan:
    def test_scan_uses_the_registry(self, session: Session, settings: Settings) -> None:
        demo.load(session, settings)
        honest = (
            "海南民生职业技能评价中心（演示）开展碳排放管理员职业技能等级认定（四级），"
            "合格者由海南民生职业技能评价中心（演示）颁发证书，可在技能人才评价工作网查询。"
        )
        assert service.scan_ad(session, honest)["risk"] in ("none", "low")
        scam = service.scan_ad(session, "由中华职业技能鉴定中心颁发，包过")
        assert "claim.body_not_filed" in {h["rule"] for h in scam["hits"]}

    def test_a_megabyte_ad_is_refused(self, session: Session) -> None:
        with pytest.raises(AdTooLarge):
            service.scan_ad(session, "包过" * 500_000)


class TestBudget:
    def test_a_scan_past_its_budget_is_stopped_with_a_named_error(self, session: Session) -> None:
        with pytest.raises(AdScanOverBudget) as err:
            service.scan_ad(session, "零基础包拿证" * 100, budget_s=-1.0)  # already spent
        assert err.value.status_code == 503

    def test_the_worst_input_scans_within_the_default_budget(self, session: Session) -> None:
        # Through the service's own 2-second budget (it raises past it): not a timed assertion,
        # the figures are in bench/adscan_worst.py.
        result = service.scan_ad(session, "7" * 19_997 + "天拿证", budget_s=2.0)
        assert result["risk"] in ("medium", "high")

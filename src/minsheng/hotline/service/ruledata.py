"""Which hotline rule data is official and which is demo (issue 13 item 9): the routing rules
and the 12356 minimums come from the national notice; the example directory is demo *data*
(invented lines), not rules, and never blocks serving. Asked by ``minsheng.app`` at startup."""

from __future__ import annotations

from minsheng.core.ruledata import Kind, RuleData
from minsheng.hotline.rules import risk, routing


def rule_data_status() -> list[RuleData]:
    return [
        RuleData(
            system="hotline",
            name="12356 routing and minimums (rules/routing.py, rules/compliance.py)",
            version=routing.RULES_VERSION,
            kind=Kind.RULES,
            demo=False,
            source="国家卫生健康委《关于推进“12356”全国统一心理援助热线建设的通知》（2024-12-25）",
        ),
        RuleData(
            system="hotline",
            name="crisis risk rules (rules/risk.py)",
            version=risk.RISK_RULES_VERSION,
            kind=Kind.RULES,
            demo=False,
            source="《心理援助热线技术指南（试行）》（国卫办疾控函〔2021〕15号）",
        ),
        RuleData(
            system="hotline",
            name="example hotline directory (data/example-directory.json)",
            version="example",
            kind=Kind.DATA,
            demo=True,
            source="invented example lines for demonstrations; a deployment imports its own",
        ),
    ]

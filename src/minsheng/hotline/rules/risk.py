"""Suicide-risk rating of a 12356 call and the follow-up it calls for. Pure.

Source: 《心理援助热线技术指南（试行）》国卫办疾控函〔2021〕15号 asks counsellors to rate
自杀意念强度 and 无望感程度 on a suicide-risk call; the combination below is the project's (see
``assess_risk``).
Decisions carry ``RISK_RULES_VERSION`` and the name of the rule that decided.
"""

from __future__ import annotations

from enum import StrEnum


class RiskLevel(StrEnum):
    """Four-point rating used for both scales (无/轻/中/重)."""

    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


_RANK = {RiskLevel.NONE: 0, RiskLevel.MILD: 1, RiskLevel.MODERATE: 2, RiskLevel.SEVERE: 3}
RISK_RULES_VERSION = "12356-risk/2021-15.v1"
# How soon a follow-up is due after a crisis assessment. The 2021 guideline asks for follow-up of
# high-risk callers but sets no interval: 24 h / 72 h is a demo placeholder for the hotline's own
# (local) policy, listed as demo rule data by ``service.rule_data_status``.
FOLLOW_UP_HOURS = {"high": 24, "medium": 72}
FOLLOW_UP_POLICY = {
    "status": "demo",
    "label": "演示规则（非正式依据）：随访时限应由本地热线规定",
    "source": "placeholder; 国卫办疾控函〔2021〕15号 sets no follow-up interval",
}


def assess_risk(ideation: RiskLevel, hopelessness: RiskLevel) -> tuple[str, str]:
    """Overall suicide risk from the two ratings the 2021 technical guideline asks counsellors to
    make on a suicide-risk call (自杀意念强度 and 无望感程度; 国卫办疾控函〔2021〕15号).

    The guideline names the two ratings but no formula; this combination is the project's, kept
    conservative: ``high`` when ideation is severe, or both are at least moderate; ``medium`` when
    ideation is at least mild or hopelessness is severe; else ``low``. Returns ``(risk, rule)``.
    High and medium risk call for a follow-up within ``FOLLOW_UP_HOURS``.
    """
    i, h = _RANK[ideation], _RANK[hopelessness]
    if i == 3:
        return "high", "risk.severe_ideation"
    if i >= 2 and h >= 2:
        return "high", "risk.ideation_and_hopelessness"
    if i >= 1:
        return "medium", "risk.some_ideation"
    if h == 3:
        return "medium", "risk.severe_hopelessness"
    return "low", "risk.low"

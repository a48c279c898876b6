"""Which earlier cases count: as a decision in the statistics and the credit grading, and as a
prior violation in the 再犯 / 初次违法 tests of ``rules/decision.py``. Pure (plain values in, a
verdict naming its rule out).

The engine's result for a penalty is a *proposal*: 《行政处罚法》第四十四条 and 第六十二条 forbid
the decision before the party was told the proposed penalty and heard (陈述、申辩, a hearing where
asked), and 第五十八条 before the 法制审核 of a 重大 case. A proposal is therefore never a
decision nor an established violation; it may still change (第四十五条 复核) or fall (第五十七条
第三项 违法事实不能成立). The rules (ids as listed in docs/rules.md):

* ``HIST-PROPOSAL``: a proposal (stage ``proposed``) counts nowhere.
* ``HIST-NOT-SERVED``: a decision counts once it is *served* (送达, 第六十一条): the 决定书 binds
  the party from service, and the time limits of review and suit run from it (第五十九条第五项;
  《行政复议法》第二十条、《行政诉讼法》第四十六条 "自知道或者应当知道…之日起"). Counting from
  service rather than from signature is our reading (待核实 by the bureau's legal office).
* ``HIST-CANCELLED``: a cancelled case (撤销立案, 移送司法机关 under 第五十七条第四项) or a decision
  revoked (被依法变更、撤销、确认违法或者确认无效, 第四十八条第二款) never counts.
* ``HIST-PENALTY``: a served penalty decision counts as a violation.
* ``HIST-NO-PENALTY-33-1``: a served 不予行政处罚 under 第三十三条第一款 counts as a violation:
  the article itself calls the act a 违法行为 ("违法行为轻微并及时改正…"), and its second sentence
  makes 初次违法 (not 初次处罚) the condition of the discretionary exemption, so an earlier exempted
  violation ends "初次"; 国市监法〔2025〕10号 likewise defines 首违 by violations, not penalties.
* ``HIST-NO-PENALTY-NOT-LIABLE``: no other 不予处罚 counts. 第五十七条第一项 punishes only
  "确有应受行政处罚的违法行为"; the party is not liable under 第三十条 (under 14), 第三十一条
  (unable to recognise or control the conduct) or 第三十三条第二款 (no fault proven); under
  第三十六条 the act "不再给予行政处罚" and under 第三十七条 the law now in force does not regard
  it as illegal. A 不予处罚 without a recorded rule id (recorded before rule ids existed) is read
  in the party's favour and does not count. Where the law says a non-liable act counts later, it
  would say so in the item's own law: none of the shipped items does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from minsheng.enforcement.rules.base import LAW, DecisionStage, Outcome, Status

# A case in one of these statuses has had its decision served (送达) or is past it.
SERVED_STATUSES: frozenset[str] = frozenset(
    {
        Status.NOTIFIED.value,
        Status.RECTIFICATION_ORDERED.value,
        Status.CHECKED.value,
        Status.CLOSED.value,
    }
)

# The 不予处罚 rule ids (``rules/decision.py`` RULES) whose decision still records a violation.
NO_PENALTY_COUNTS: frozenset[str] = frozenset({"ART33-1-MINOR", "ART33-1-FIRST"})

RULES: Mapping[str, str] = {
    "HIST-PROPOSAL": f"{LAW}第四十四条、第五十八条、第六十二条（告知、听取陈述申辩、"
    "法制审核前不得作出决定：拟处罚不是决定）",
    "HIST-NOT-SERVED": f"{LAW}第六十一条（决定书送达）；送达前不计入（本系统解读，待核实）",
    "HIST-CANCELLED": f"{LAW}第四十八条第二款（决定被变更、撤销、确认违法或者确认无效）、"
    "第五十七条第四项（移送司法机关）；撤销立案",
    "HIST-PENALTY": f"{LAW}第五十七条第一项（确有应受行政处罚的违法行为，作出行政处罚决定）",
    "HIST-NO-PENALTY-33-1": f"{LAW}第三十三条第一款（“违法行为轻微…”“初次违法…”：不予处罚的"
    "仍是违法行为）；国市监法〔2025〕10号（首违以违法行为计）",
    "HIST-NO-PENALTY-NOT-LIABLE": f"{LAW}第三十条、第三十一条、第三十三条第二款、第三十六条、"
    "第三十七条、第五十七条第一项（不承担行政处罚责任的，不计为违法行为）",
}


@dataclass(frozen=True)
class Standing:
    """Whether an earlier case's decision counts as a decision, and as a violation."""

    decision: bool  # counts in the decision statistics and the grading
    violation: bool  # counts as a prior violation (再犯 / 初次违法)
    rule_id: str


def standing(*, stage: str, case_status: str, outcome: str, rule_id: str) -> Standing:
    """The standing of one decision row, from its stage, its case's status, outcome and rule."""
    if stage == DecisionStage.WITHDRAWN or case_status == Status.CANCELLED:
        return Standing(False, False, "HIST-CANCELLED")
    if stage == DecisionStage.PROPOSED:
        return Standing(False, False, "HIST-PROPOSAL")
    if case_status not in SERVED_STATUSES:
        return Standing(False, False, "HIST-NOT-SERVED")
    if outcome == Outcome.PENALTY:
        return Standing(True, True, "HIST-PENALTY")
    if outcome == Outcome.NO_PENALTY and rule_id in NO_PENALTY_COUNTS:
        return Standing(True, True, "HIST-NO-PENALTY-33-1")
    return Standing(True, False, "HIST-NO-PENALTY-NOT-LIABLE")

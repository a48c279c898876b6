"""Which decision rows count (``rules/history.py``): the prior violations of a party for the
再犯 / 初次违法 tests, and the rows the statistics and the grading count. A proposal, a decision
not yet served and a cancelled case count nowhere. Reads only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.enforcement.models import Case, Decision
from minsheng.enforcement.rules import history


def _standing(stage: str, status: str, outcome: str, rule_id: str) -> history.Standing:
    return history.standing(stage=stage, case_status=status, outcome=outcome, rule_id=rule_id)


def prior_violations(session: Session, case: Case) -> list[tuple[str, date, str]]:
    """The party's other cases that count as violations (item, occurred_on, outcome), earlier
    than this one."""
    rows = session.execute(
        select(
            Decision.stage,
            Case.status,
            Decision.outcome,
            Decision.rule_id,
            Case.item_id,
            Case.occurred_on,
        )
        .join(Decision, Decision.case_id == Case.id)
        .where(
            Case.party_id == case.party_id,
            Case.id != case.id,
            Case.occurred_on < case.occurred_on,
        )
        .order_by(Case.occurred_on, Case.id)
    ).all()
    return [
        (item, occurred, outcome)
        for stage, status, outcome, rule_id, item, occurred in rows
        if _standing(stage, status, outcome, rule_id).violation
    ]


def violation_case_ids(session: Session, case_ids: Iterable[int]) -> set[int]:
    """Of ``case_ids``, the cases whose decision counts as a violation."""
    ids = list(case_ids)
    if not ids:
        return set()
    rows = session.execute(
        select(Decision.stage, Case.status, Decision.outcome, Decision.rule_id, Case.id)
        .join(Decision, Decision.case_id == Case.id)
        .where(Case.id.in_(ids))
    ).all()
    return {
        cid
        for stage, status, outcome, rule_id, cid in rows
        if _standing(stage, status, outcome, rule_id).violation
    }

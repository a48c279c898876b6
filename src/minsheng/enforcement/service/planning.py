"""The yearly 双随机 inspection plan: hands the graded firms, the inspector roster and last year's
inspectors (for rotation) to the pure ``rules.planning``. Reads only."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core.scope import Scope
from minsheng.enforcement.models import Conflict, Grade, Inspection, Inspector, Party
from minsheng.enforcement.rules import planning as rules_planning
from minsheng.enforcement.rules.base import Category
from minsheng.enforcement.service import catalog
from minsheng.enforcement.service.calendar import holiday_calendar
from minsheng.enforcement.service.scoping import party_filter


def plan(
    session: Session, *, year: int, seed: int, scope: Scope = Scope.ALL
) -> rules_planning.Plan:
    """The year's 双随机 plan for the construction-site firms (of the scope's bureau), by their
    grade for ``year``."""
    grades = dict(
        session.execute(select(Grade.party_id, Grade.grade).where(Grade.year == year)).all()
    )
    firm_ids = session.scalars(
        select(Party.id).where(
            Party.category == Category.CONSTRUCTION_FIRM.value,
            Party.registered_on <= date(year, 12, 31),
            party_filter(scope),
        )
    ).all()
    targets = [
        rules_planning.Target(id=p, domain="construction", grade=grades.get(p)) for p in firm_ids
    ]
    conflicts: dict[int, set[int]] = defaultdict(set)
    for inspector_id, party_id in session.execute(select(Conflict.inspector_id, Conflict.party_id)):
        conflicts[inspector_id].add(party_id)
    roster = [
        rules_planning.Inspector(id=i, code=c, conflicts=frozenset(conflicts.get(i, ())))
        for i, c in session.execute(
            select(Inspector.id, Inspector.code).where(Inspector.active.is_(True))
        )
    ]
    code_to_id = {i.code: i.id for i in roster}
    previous: dict[int, set[int]] = defaultdict(set)
    for party_id, names in session.execute(
        select(Inspection.party_id, Inspection.inspectors).where(
            Inspection.inspected_on.between(date(year - 1, 1, 1), date(year - 1, 12, 31))
        )
    ):
        previous[party_id].update(code_to_id[n] for n in names if n in code_to_id)
    return rules_planning.plan_year(
        catalog.planning_policy(),
        targets,
        roster,
        year=year,
        seed=seed,
        previous={k: frozenset(v) for k, v in previous.items()},
        holidays=holiday_calendar(),
    )

"""Demo data of the enforcement system, loaded by ``minsheng demo load`` (idempotently).

Generated record by record (fixed seed) so that ``minsheng enforcement stats`` reproduces the
figures 琼山分局 reported (人民日报海外版/新华信用, December 2024): 12,059 commitments of which
4.95 % were followed by a violation; 1,766 with 沿街商户 (street shops, and only them), 8 %
penalised again; the 物业 of 125 residential compounds (小区物业: the property managers of
residential compounds); 100 garbage-sorting rooms, 88 model compounds, 37 compounds rectified;
7 vending points (公益便民疏导点, the article's answer to 流动商贩 — street vendors are not part of
the 1,766). Those totals are the only targets; everything else is invented and marked demo:

* the split of the 12,059 letters over signers (沿街商户 1,766 and 小区物业 125 are from the
  article; 流动商贩 120, construction 412 and farmland 9,636 are invented to make up the total)
  and of the 597 breaches (沿街商户 141 = 8 % of 1,766; vendors 10; garbage 9; construction 31;
  farmland 406);
* every first-violation case is decided by the real rule engine (首违免罚 with a commitment), and
  every later violation within validity too — 再犯必罚 where the commitment was signed in a case
  (an earlier violation), a first-violation penalty where it was signed in advance (issue 13
  item 4) — nothing is written as an outcome directly;
* farmland fines are multiples of the 耕地开垦费 of the plot: the fee per case is invented;
* construction firms get a year (2024) of inspections and industry records and are then graded
  for 2025 by the real grading service.

Rows are inserted in bulk (``insert().returning`` with parameter order) so a load takes seconds on
SQLite; individual steps are in ``enf_case_events`` and one audit row records the load.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from minsheng.core import audit, creditcode, privacy
from minsheng.core.config import get_settings
from minsheng.core.idnumber import check_character
from minsheng.core.timeutil import BEIJING
from minsheng.enforcement import service
from minsheng.enforcement.models import (
    Case,
    CaseEvent,
    Commitment,
    Conflict,
    Decision,
    IndustryRecord,
    Inspection,
    Inspector,
    OfficerCert,
    Party,
    Site,
)
from minsheng.enforcement.rules import decision as rules
from minsheng.enforcement.rules.base import STANDARD_PROMISES, Harm, Outcome, PartyKind, Status
from minsheng.enforcement.service import ID_PURPOSE, catalog

AS_OF = date(2024, 12, 20)  # the article's date: figures are "截至目前"
SEED = 20241220
OFFICER = "demo-officer"  # the officer named on the demo cases (case data)
ACTOR = audit.system_actor("demo")  # who the audit log says loaded them
VALID_DAYS = 730

# domain, category, party kind, item of first violations, commitments, breaches, share of
# commitments signed in a 首违免罚 case (the rest signed proactively)
PLAN: tuple[tuple[str, str, PartyKind, str, int, int, float], ...] = (
    ("roadside", "shop", PartyKind.ORGANISATION, "ZD-01", 1766, 141, 0.6),
    ("roadside", "street_vendor", PartyKind.PERSON, "ZD-02", 120, 10, 0.6),
    ("garbage", "property_company", PartyKind.ORGANISATION, "LJ-02", 125, 9, 0.248),
    ("construction", "construction_firm", PartyKind.ORGANISATION, "GC-02", 412, 31, 0.3),
    ("farmland", "farmer", PartyKind.PERSON, "GD-01", 9636, 406, 0.3),
)
CONSTRUCTION_ITEMS = ("GC-01", "GC-02", "GC-03")
COMPOUNDS = 160
GARBAGE_ROOMS = 100
MODEL_COMPOUNDS = 88
GARBAGE_UNRECTIFIED = 3  # of the 40 garbage cases ordered to rectify, 37 passed the check
VENDING_POINTS = 7
INSPECTORS = 24
# Cumulative odds of one industry record per firm in 2024 (demo).
RECORD_ODDS = (
    (0.08, "award"),
    (0.20, "safety_standard_site"),
    (0.30, "complaint_upheld"),
    (0.36, "safety_hazard_order"),
    (0.38, "wage_arrears"),
    (0.385, "serious_accident"),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高符吉云邢冯"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华海南琼山文昌"
SHOPS = ("便利店", "水果店", "五金店", "小吃店", "粉店", "茶店", "汽修店", "建材店", "服装店")


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BEIJING).astimezone(UTC)


def _person_id(rng: random.Random, used: set[str]) -> tuple[str, date]:
    while True:
        born = date(1955, 1, 1) + timedelta(days=rng.randrange(365 * 45))
        first17 = f"460107{born:%Y%m%d}{rng.randrange(1000):03d}"
        number = first17 + check_character(first17)
        if number not in used:
            used.add(number)
            return number, born


def _credit_code(rng: random.Random, prefix: str, used: set[str]) -> str:
    alphabet = creditcode.ALPHABET
    while True:
        body = "MA5T" + "".join(rng.choice(alphabet[:-1]) for _ in range(4))
        code = creditcode.with_check(prefix + creditcode.org_code(body))
        if code not in used:
            used.add(code)
            return code


def _ids(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(stmt, list(rows)).all())


def _reclamation_fee(rng: random.Random) -> int:
    """An invented 耕地开垦费 for a demo plot (yuan): the amount GD-01's fine multiplies."""
    return 500 * rng.randint(4, 40)


def _fine(rng: random.Random, fine_range: tuple[int, int]) -> int:
    low, high = fine_range
    steps = (high - low) // 50
    return low + 50 * rng.randint(0, steps) if steps else low


def load(session: Session) -> dict[str, Any]:
    """Load this system's demo data unless present; returns what was loaded."""
    if session.scalar(select(Party.id).where(Party.demo.is_(True)).limit(1)) is not None:
        return {"skipped": "demo data present"}
    settings = get_settings()
    key = settings.hmac_key
    rulebase = catalog.rulebase()
    rng = random.Random(SEED)  # noqa: S311  (reproducible demo data, not secrets)
    used_ids: set[str] = set()
    used_codes: set[str] = set()

    # Parties -------------------------------------------------------------------------------
    party_rows: list[dict[str, Any]] = []
    groups: list[tuple[int, int]] = []  # (start, count) in party_rows per PLAN line
    for domain, category, kind, _item, count, _breaches, _share in PLAN:
        groups.append((len(party_rows), count))
        for _ in range(count):
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", *GIVEN))
            row: dict[str, Any] = {
                "kind": kind.value,
                "category": category,
                "demo": True,
                "credit_code": None,
                "id_hash": None,
                "id_masked": None,
                "birth_date": None,
                "registered_on": date(2015, 1, 1) + timedelta(days=rng.randrange(3650)),
            }
            if kind is PartyKind.PERSON:
                number, row["birth_date"] = _person_id(rng, used_ids)
                row["id_hash"] = privacy.keyed_hash(number, key, purpose=ID_PURPOSE)
                row["id_masked"] = privacy.mask_id(number)
                row["name"] = name
            else:
                prefix = "92460107" if category == "shop" else "91460107"
                row["credit_code"] = _credit_code(rng, prefix, used_codes)
                row["name"] = {
                    "shop": f"琼山区{name}{rng.choice(SHOPS)}",
                    "property_company": f"海南{name}物业服务有限公司",
                    "construction_firm": f"海南{name}建设工程有限公司",
                }[category]
            party_rows.append(row)
        del domain
    party_ids = _ids(session, Party, party_rows)
    birth_of = {
        pid: row["birth_date"]
        for pid, row in zip(party_ids, party_rows, strict=True)
        if row["birth_date"]
    }

    # Sites ---------------------------------------------------------------------------------
    garbage_start, garbage_count = groups[2]
    companies = party_ids[garbage_start : garbage_start + garbage_count]
    compound_owner = list(companies) + [
        rng.choice(companies) for _ in range(COMPOUNDS - len(companies))
    ]
    model_set = set(rng.sample(range(COMPOUNDS), MODEL_COMPOUNDS))
    site_rows: list[dict[str, Any]] = []
    for i, owner in enumerate(compound_owner):
        site_rows.append(
            {
                "kind": "compound",
                "name": f"琼山区第{i + 1}小区",
                "party_id": owner,
                "opened_on": date(2010, 1, 1),
                "model_since": date(2023, 6, 1) + timedelta(days=rng.randrange(540))
                if i in model_set
                else None,
            }
        )
    for i in range(GARBAGE_ROOMS):
        site_rows.append(
            {
                "kind": "garbage_room",
                "name": f"生活垃圾分类屋{i + 1:03d}",
                "party_id": compound_owner[i % COMPOUNDS],
                "opened_on": date(2023, 3, 1) + timedelta(days=rng.randrange(600)),
                "model_since": None,
            }
        )
    for i in range(VENDING_POINTS):
        site_rows.append(
            {
                "kind": "vending_point",
                "name": f"公益便民疏导点{i + 1}",
                "party_id": None,
                "opened_on": date(2023, 5, 1) + timedelta(days=rng.randrange(500)),
                "model_since": None,
            }
        )
    site_ids = _ids(session, Site, site_rows)
    compound_ids = site_ids[:COMPOUNDS]

    # Commitments, first-violation cases and breaches ----------------------------------------
    span = (date(2024, 9, 30) - date(2023, 1, 1)).days
    first_cases: list[dict[str, Any]] = []  # case rows
    first_meta: list[tuple[int, date]] = []  # (party index, decision and signing day)
    commitment_rows: list[dict[str, Any]] = []
    commitment_first: list[int | None] = []  # index into first_cases
    breach_plan: list[tuple[int, int]] = []  # (commitment index, plan line)
    rect_compounds = iter(rng.sample(compound_ids, 40))
    for line, (domain, _cat, _kind, item, count, breaches, share) in enumerate(PLAN):
        start, _ = groups[line]
        breach_set = set(rng.sample(range(count), breaches))
        n_first = round(count * share)
        for j in range(count):
            pidx = start + j
            signed = date(2023, 1, 1) + timedelta(days=rng.randrange(span))
            first_index = None
            if j < n_first:
                occurred = signed - timedelta(days=rng.randint(1, 6))
                site = next(rect_compounds) if domain == "garbage" else None
                first_index = len(first_cases)
                first_cases.append(
                    {
                        "party_id": party_ids[pidx],
                        "site_id": site,
                        "item_id": item,
                        "domain": domain,
                        "discovery": rng.choice(("patrol", "patrol", "complaint", "inspection")),
                        "status": Status.CLOSED.value,
                        "occurred_on": occurred,
                        "ended_on": None,
                        "discovered_on": occurred + timedelta(days=rng.randint(0, 1)),
                        "facts": "演示：首次被发现，现场责令改正",
                        "harm": Harm.MINOR.value,
                        "corrected_in_time": True,
                        "endangers_safety": False,
                        "aggravating": [],
                        "mitigating": [],
                        "mitigating_basis": [],
                        "no_fault_proven": False,
                        "mental_state": "normal",
                        "fine_base_yuan": _reclamation_fee(rng) if domain == "farmland" else None,
                        "rectify_by": signed + timedelta(days=7) if site else None,
                        "rectified": True if site else None,
                        "officer": OFFICER,
                        "created_at": _at(occurred),
                        "closed_at": _at(signed + timedelta(days=8 if site else 1), 16),
                    }
                )
                first_meta.append((pidx, signed))
            commitment_rows.append(
                {
                    "party_id": party_ids[pidx],
                    "domain": domain,
                    # Construction firms commit for the whole domain, the others for the item.
                    "item_id": None if domain == "construction" else item,
                    "kind": "case" if first_index is not None else "proactive",
                    "promises": list(STANDARD_PROMISES),
                    "consent_publish": rng.random() < 0.9,
                    "signed_on": signed,
                    "valid_until": signed + timedelta(days=VALID_DAYS),
                    "case_id": None,
                    "officer": OFFICER,
                    "created_at": _at(signed, 11),
                }
            )
            commitment_first.append(first_index)
            if j in breach_set:
                breach_plan.append((len(commitment_rows) - 1, line))
    first_ids = _ids(session, Case, first_cases)
    for row, first_index in zip(commitment_rows, commitment_first, strict=True):
        if first_index is not None:
            row["case_id"] = first_ids[first_index]
    commitment_ids = _ids(session, Commitment, commitment_rows)

    decision_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []

    def decide(case_row: dict[str, Any], case_id: int, inp: rules.DecisionInput) -> rules.Decision:
        result = rules.decide(rulebase, inp, today=AS_OF)
        fine = _fine(rng, result.fine_range_yuan) if result.fine_range_yuan else None
        decided_on = inp.decided_on or case_row["discovered_on"]
        decision_rows.append(
            {
                "case_id": case_id,
                "outcome": result.outcome.value,
                "tier": result.tier.value if result.tier else None,
                "fine_min": result.fine_range_yuan[0] if result.fine_range_yuan else None,
                "fine_max": result.fine_range_yuan[1] if result.fine_range_yuan else None,
                "fine_yuan": fine,
                "item_id": result.item,
                "rule_id": result.rule_id,
                "rule_version": result.rule_version,
                "rule_set": dict(result.rule_set),
                "legal_basis": result.legal_basis,
                "repeat": result.repeat,
                "breached_commitment_id": int(result.breached_commitment)
                if result.breached_commitment
                else None,
                "reasons": list(result.reasons),
                "factors": dict(result.factors),
                "education": result.education,
                "decided_on": decided_on,
                "officer": OFFICER,
                "created_at": _at(decided_on, 15),
            }
        )
        steps = [
            ("open", case_row["discovered_on"], {"item": case_row["item_id"]}),
            ("facts", case_row["discovered_on"], {"harm": case_row["harm"]}),
            ("decide", decided_on, {"outcome": result.outcome.value, "fine_yuan": fine}),
            ("notify", decided_on, {}),
        ]
        if case_row["rectify_by"] is not None:
            steps.append(
                ("rectify", decided_on, {"rectify_by": case_row["rectify_by"].isoformat()})
            )
            if case_row["rectified"] is not None:
                steps.append(
                    ("check", case_row["rectify_by"], {"rectified": case_row["rectified"]})
                )
        if case_row["status"] == Status.CLOSED.value:
            steps.append(("close", case_row["closed_at"].astimezone(BEIJING).date(), {}))
        for hour, (step, day, detail) in enumerate(steps, start=9):
            event_rows.append(
                {
                    "case_id": case_id,
                    "step": step,
                    "at": _at(day, hour),
                    "officer": OFFICER,
                    "detail": detail,
                }
            )
        return result

    for case_row, case_id, (pidx, signed) in zip(first_cases, first_ids, first_meta, strict=True):
        inp = rules.DecisionInput(
            party_kind=PartyKind(party_rows[pidx]["kind"]),
            violation=rules.Violation(
                item=case_row["item_id"],
                occurred_on=case_row["occurred_on"],
                discovered_on=case_row["discovered_on"],
                harm=Harm.MINOR,
                corrected_in_time=True,
                fine_base_yuan=case_row["fine_base_yuan"],
            ),
            party_birth_date=party_rows[pidx]["birth_date"],
            signs_commitment_now=True,
            decided_on=signed,
            lookback_days=settings.enf_lookback_days,
        )
        result = decide(case_row, case_id, inp)
        assert result.outcome is Outcome.NO_PENALTY, result.reasons

    # Breaches: a violation within validity, decided by the same engine.
    first_by_party = {first_cases[i]["party_id"]: first_cases[i] for i in range(len(first_cases))}
    breach_cases: list[dict[str, Any]] = []
    breach_inputs: list[rules.DecisionInput] = []
    garbage_breaches = 0
    for cidx, line in breach_plan:
        domain, _cat, kind, item, _count, _b, _s = PLAN[line]
        c = commitment_rows[cidx]
        latest = AS_OF - timedelta(days=12)
        occurred = c["signed_on"] + timedelta(
            days=rng.randint(15, max(16, (latest - c["signed_on"]).days))
        )
        occurred = min(occurred, latest)
        discovered = occurred + timedelta(days=rng.randint(0, 2))
        decided_on = discovered + timedelta(days=rng.randint(1, 7))
        violation_item = rng.choice(CONSTRUCTION_ITEMS) if domain == "construction" else item
        site = None
        rectify_by = rectified = None
        status = Status.CLOSED.value
        if domain == "garbage":
            site = next(rect_compounds)
            rectify_by = decided_on + timedelta(days=3)
            garbage_breaches += 1
            rectified = garbage_breaches > GARBAGE_UNRECTIFIED
            status = Status.CLOSED.value if rectified else Status.CHECKED.value
        harm = rng.choice((Harm.MINOR, Harm.MINOR, Harm.GENERAL))
        fee = _reclamation_fee(rng) if domain == "farmland" else None
        aggravating = ["public_complaints"] if rng.random() < 0.15 else []
        first = first_by_party.get(c["party_id"])
        history = (
            (
                rules.PriorViolation(
                    item=first["item_id"], occurred_on=first["occurred_on"], penalised=False
                ),
            )
            if first
            else ()
        )
        breach_cases.append(
            {
                "party_id": c["party_id"],
                "site_id": site,
                "item_id": violation_item,
                "domain": domain,
                "discovery": rng.choice(("patrol", "complaint", "inspection")),
                "status": status,
                "occurred_on": occurred,
                "ended_on": None,
                "discovered_on": discovered,
                "facts": "演示：签订承诺书后再次违法",
                "harm": harm.value,
                "corrected_in_time": rng.random() < 0.5,
                "endangers_safety": False,
                "aggravating": aggravating,
                "mitigating": [],
                "mitigating_basis": [],
                "no_fault_proven": False,
                "mental_state": "normal",
                "fine_base_yuan": fee,
                "rectify_by": rectify_by,
                "rectified": rectified,
                "officer": OFFICER,
                "created_at": _at(discovered),
                "closed_at": _at(decided_on + timedelta(days=5), 16)
                if status == Status.CLOSED.value
                else None,
            }
        )
        breach_inputs.append(
            rules.DecisionInput(
                party_kind=kind,
                violation=rules.Violation(
                    item=violation_item,
                    occurred_on=occurred,
                    discovered_on=discovered,
                    harm=harm,
                    corrected_in_time=breach_cases[-1]["corrected_in_time"],
                    aggravating=tuple(aggravating),
                    fine_base_yuan=fee,
                ),
                party_birth_date=birth_of.get(c["party_id"]),
                history=history,
                commitments=(
                    rules.CommitmentRef(
                        signed_on=c["signed_on"],
                        valid_until=c["valid_until"],
                        item=c["item_id"],
                        domain=None if c["item_id"] else domain,
                        ref=str(commitment_ids[cidx]),
                        after_violation=c["kind"] != "proactive",
                        violation_item=first["item_id"] if first else None,
                    ),
                ),
                decided_on=decided_on,
                lookback_days=settings.enf_lookback_days,
            )
        )
    breach_ids = _ids(session, Case, breach_cases)
    for case_row, case_id, inp in zip(breach_cases, breach_ids, breach_inputs, strict=True):
        result = decide(case_row, case_id, inp)
        assert result.outcome is Outcome.PENALTY, result.reasons
        # 再犯 only after an earlier violation (the case the commitment was signed in).
        assert result.repeat is any(h.item == inp.violation.item for h in inp.history), (
            result.reasons
        )
    session.execute(insert(Decision), decision_rows)
    session.execute(insert(CaseEvent), event_rows)

    # Inspectors, a year of construction inspections and industry records, then grades -------
    inspector_rows = [
        {
            "code": f"QS-ZF-{i + 1:02d}",
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "active": True,
        }
        for i in range(INSPECTORS)
    ]
    inspector_ids = _ids(session, Inspector, inspector_rows)
    codes = [r["code"] for r in inspector_rows]
    # Their 执法证 (《行政处罚法》第四十二条), so that new cases can be opened by two of them; the
    # first one also holds the 法律职业资格 (法制审核 reviewer, 第五十八条). Demo numbers.
    session.execute(
        insert(OfficerCert),
        [
            {
                "inspector_id": inspector_id,
                "cert_no": f"DEMO{n + 1:06d}",
                "valid_until": date(2030, 12, 31),
                "legal_qualified": n == 0,
            }
            for n, inspector_id in enumerate(inspector_ids)
        ],
    )
    con_start, con_count = groups[3]
    firms = party_ids[con_start : con_start + con_count]
    conflicts = {(rng.randrange(INSPECTORS), rng.choice(firms)) for _ in range(6)}
    session.execute(
        insert(Conflict),
        [
            {"inspector_id": inspector_ids[i], "party_id": f, "reason": "演示：近亲属在该企业任职"}
            for i, f in sorted(conflicts)
        ],
    )
    conflicted = {(codes[i], f) for i, f in conflicts}
    # 2023: routine inspections drawn at random (before grading), then grades for 2024.
    quality = {f: rng.random() for f in firms}
    inspection_rows = []
    for f in firms:
        for _ in range(rng.choice((0, 1, 2, 2, 3))):
            team = rng.sample(codes, 2)
            while any((code, f) in conflicted for code in team):
                team = rng.sample(codes, 2)
            inspection_rows.append(
                {
                    "party_id": f,
                    "inspected_on": date(2023, 1, 2) + timedelta(days=rng.randrange(360)),
                    "kind": "routine",
                    "passed": rng.random() < 0.55 + 0.45 * quality[f],
                    "items": list(CONSTRUCTION_ITEMS),
                    "inspectors": sorted(str(code) for code in team),
                }
            )
    session.execute(insert(Inspection), inspection_rows)
    session.flush()
    service.grade_year(session, 2024, actor=ACTOR)
    # 2024: the visits of the real 双随机 plan up to the demo date, with their results.
    plan_2024 = service.plan(session, year=2024, seed=SEED)
    visits_2024 = [
        {
            "party_id": v.target,
            "inspected_on": v.on,
            "kind": "routine",
            "passed": rng.random() < 0.55 + 0.45 * quality[v.target],
            "items": list(v.items),
            "inspectors": list(v.inspectors),
        }
        for v in plan_2024.visits
        if v.on <= AS_OF
    ]
    if visits_2024:
        session.execute(insert(Inspection), visits_2024)
    record_rows = []
    for f in firms:
        roll = rng.random()
        record_kind = next((k for limit, k in RECORD_ODDS if roll < limit), None)
        if record_kind:
            record_rows.append(
                {
                    "party_id": f,
                    "recorded_on": date(2024, 1, 5) + timedelta(days=rng.randrange(350)),
                    "kind": record_kind,
                    "note": "demo",
                }
            )
    if record_rows:
        session.execute(insert(IndustryRecord), record_rows)
    session.flush()
    graded = service.grade_year(session, 2025, actor=ACTOR)
    audit.record(
        session,
        actor=ACTOR,
        action="demo.load",
        table=Party.__tablename__,
        record_id="demo",
        detail={"parties": len(party_ids), "commitments": len(commitment_ids)},
    )
    return {
        "parties": len(party_ids),
        "commitments": len(commitment_ids),
        "cases": len(first_ids) + len(breach_ids),
        "sites": len(site_ids),
        "inspectors": len(inspector_ids),
        "inspections": len(inspection_rows) + len(visits_2024),
        "grades_2025": graded["by_grade"],
        "as_of": AS_OF.isoformat(),
    }

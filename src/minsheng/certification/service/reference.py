"""Reference data in the database: the occupational classification, the qualification catalogue
and the national skill standards — loading the shipped files, importing standards from CSV, adding
occupations published after 2022, and the occupation lookup with its certificate eligibility.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from minsheng.certification.errors import (
    DuplicateOccupation,
    ImplausibleDate,
    ImportRejected,
    InvalidOccupationCode,
    OccupationNotFound,
)
from minsheng.certification.models import Occupation, Qualification, SkillStandard
from minsheng.certification.rules import dates, issuance
from minsheng.certification.rules.numbering import LEVELS
from minsheng.certification.schemas import OccupationCreate
from minsheng.core import audit

CATALOGUE_EDITION = "2021"


def data_text(name: str) -> str:
    return resources.files("minsheng.certification").joinpath("data", name).read_text("utf-8")


def load_reference(session: Session) -> dict[str, int]:
    """Load the shipped occupations and catalogue unless present (idempotent)."""
    loaded = {"occupations": 0, "qualifications": 0}
    if not session.scalar(select(func.count()).select_from(Occupation)):
        rows = [
            {
                "code": r["code"],
                "name": r["name"],
                "major_group": int(r["major_group"]),
                "definition": r["definition"],
                "green": r["green"] == "true",
                "digital": r["digital"] == "true",
                "edition": "2022",
                "added_on": None,
                "source": r["source"][:300],
            }
            for r in csv.DictReader(io.StringIO(data_text("occupations.csv")))
        ]
        session.execute(insert(Occupation), rows)
        loaded["occupations"] = len(rows)
    if not session.scalar(select(func.count()).select_from(Qualification)):
        qrows = [
            {
                "edition": CATALOGUE_EDITION,
                "seq": int(r["seq"]),
                "category": r["category"],
                "name": r["name"],
                "kind": r["type"],
                "authority": r["authority"],
                "occupation_codes": [c for c in r["occupation_codes"].split(";") if c],
                "confidence": r["confidence"],
            }
            for r in csv.DictReader(io.StringIO(data_text("qualification_catalogue_2021.csv")))
        ]
        session.execute(insert(Qualification), qrows)
        loaded["qualifications"] = len(qrows)
    session.flush()
    return loaded


def load_demo_standards(session: Session) -> int:
    if session.scalar(select(func.count()).select_from(SkillStandard).where(SkillStandard.demo)):
        return 0
    return import_standards(session, data_text("skill_standards_demo.csv"), actor="demo")


@dataclass(frozen=True)
class OccupationView:
    occupation: Occupation
    access_qualification: str | None
    standard_levels: frozenset[int]
    level_qualification: str | None = None

    def facts(self) -> issuance.OccupationFacts:
        o = self.occupation
        return issuance.OccupationFacts(
            code=o.code,
            name=o.name,
            major_group=o.major_group,
            access_qualification=self.access_qualification,
            standard_levels=self.standard_levels,
            level_qualification=self.level_qualification,
        )

    def to_dict(self) -> dict[str, Any]:
        o = self.occupation
        return {
            "code": o.code,
            "name": o.name,
            "major_group": o.major_group,
            "definition": o.definition,
            "green": o.green,
            "digital": o.digital,
            "edition": o.edition,
            "added_on": o.added_on.isoformat() if o.added_on else None,
            "access_qualification": self.access_qualification,
            "level_qualification": self.level_qualification,
            "standard_levels": sorted(self.standard_levels),
            "skill_certificate_eligible": issuance.certificate_eligible(
                o.major_group,
                self.access_qualification,
                self.standard_levels,
                self.level_qualification,
            ),
            "reasons": issuance.eligibility_reasons(
                o.major_group,
                self.access_qualification,
                self.standard_levels,
                self.level_qualification,
            ),
            "source": o.source,
        }


def access_qualifications(session: Session, kind: str = "access") -> dict[str, str]:
    """occupation code → name of the catalogue entry of ``kind`` covering it: ``access``
    (准入类, any category) or ``level`` (水平评价类 skill entries)."""
    out: dict[str, str] = {}
    stmt = select(Qualification).where(Qualification.kind == kind)
    if kind == "level":
        stmt = stmt.where(Qualification.category == "skill")
    for q in session.scalars(stmt):
        for code in q.occupation_codes:
            out[code] = q.name
    return out


def standard_levels(session: Session, code: str) -> frozenset[int]:
    levels: set[int] = set()
    for lv in session.scalars(
        select(SkillStandard.levels).where(SkillStandard.occupation_code == code)
    ):
        levels.update(lv)
    return frozenset(levels)


def find_occupation(session: Session, code: str) -> OccupationView | None:
    occ = session.get(Occupation, code)
    if occ is None:
        return None
    return OccupationView(
        occupation=occ,
        access_qualification=access_qualifications(session).get(code),
        standard_levels=standard_levels(session, code),
        level_qualification=access_qualifications(session, "level").get(code),
    )


def get_occupation(session: Session, code: str) -> OccupationView:
    code = code.strip()
    if not issuance.OCCUPATION_CODE_RE.match(code):
        raise InvalidOccupationCode(
            f"{code!r} is not an occupation code like 4-04-05-10", field="code"
        )
    load_reference(session)
    view = find_occupation(session, code)
    if view is None:
        raise OccupationNotFound(f"occupation {code} is not in the classification", field="code")
    return view


def list_occupations(session: Session, query: str, limit: int = 50) -> list[Occupation]:
    """Occupations whose name contains ``query``, by code."""
    load_reference(session)
    stmt = (
        select(Occupation)
        .where(Occupation.name.contains(query.strip(), autoescape=True))
        .limit(limit)
    )
    return list(session.scalars(stmt.order_by(Occupation.code)))


def occupation_summary(occ: Occupation) -> dict[str, Any]:
    """One line of an occupation search (API and CLI)."""
    return {"code": occ.code, "name": occ.name, "green": occ.green, "digital": occ.digital}


def occupation_names(session: Session, codes: set[str]) -> dict[str, str]:
    """code → name for the given occupation codes (unknown codes are left out)."""
    if not codes:
        return {}
    stmt = select(Occupation.code, Occupation.name).where(Occupation.code.in_(sorted(codes)))
    return {code: name for code, name in session.execute(stmt)}


def add_occupation(session: Session, data: OccupationCreate, *, actor: str) -> Occupation:
    """Add an occupation published after the 2022 edition (the catalogue grows)."""
    load_reference(session)
    problem = dates.date_problem(data.added_on)
    if problem:
        raise ImplausibleDate(problem, field="added_on")
    if session.get(Occupation, data.code) is not None:
        raise DuplicateOccupation(f"occupation {data.code} already exists", field="code")
    occ = Occupation(
        code=data.code,
        name=data.name.strip(),
        major_group=int(data.code[0]),
        definition=data.definition,
        green=data.green,
        digital=data.digital,
        edition=str(data.added_on.year),
        added_on=data.added_on,
        source=data.source[:300],
    )
    session.add(occ)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="occupation.add",
        table=Occupation.__tablename__,
        record_id=occ.code,
    )
    return occ


STANDARD_FIELDS = ("code", "occupation_code", "name", "issue_number", "issued_on", "levels")


def import_standards(session: Session, text: str, *, actor: str) -> int:
    """Import national skill standards from CSV (columns ``code, occupation_code, name,
    issue_number, issued_on, levels[, demo]``; levels like ``5;4;3``). All or nothing."""
    load_reference(session)
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in STANDARD_FIELDS if f not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected(
            [{"line": 1, "field": missing[0], "reason": f"missing columns: {missing}"}], 0
        )
    known = set(session.scalars(select(Occupation.code)))
    existing = set(session.scalars(select(SkillStandard.code)))
    bad: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for line, r in enumerate(reader, start=2):
        errs: list[tuple[str, str]] = []
        code = (r.get("code") or "").strip()
        if not code or len(code) > 40:
            errs.append(("code", "1–40 characters required"))
        elif code in existing:
            errs.append(("code", f"standard {code} already exists"))
        occ = (r.get("occupation_code") or "").strip()
        if occ not in known:
            errs.append(("occupation_code", f"{occ!r} is not in the classification"))
        try:
            issued = date.fromisoformat((r.get("issued_on") or "").strip())
        except ValueError:
            errs.append(("issued_on", "not a date YYYY-MM-DD"))
            issued = date.min
        try:
            levels = sorted({int(v) for v in (r.get("levels") or "").split(";") if v.strip()})
        except ValueError:
            levels = []
        if not levels or any(v not in LEVELS for v in levels):
            errs.append(("levels", "levels must be 1–5 separated by ';'"))
        for fld, reason in errs:
            bad.append({"line": line, "field": fld, "reason": reason})
        if not errs:
            existing.add(code)
            rows.append(
                {
                    "code": code,
                    "occupation_code": occ,
                    "name": (r.get("name") or "").strip()[:200],
                    "issue_number": (r.get("issue_number") or "").strip()[:60],
                    "issued_on": issued,
                    "levels": levels,
                    "demo": (r.get("demo") or "").strip().lower() == "true",
                }
            )
    if bad:
        raise ImportRejected(bad, len(rows) + len({b["line"] for b in bad}))
    if rows:
        session.execute(insert(SkillStandard), rows)
        audit.record(
            session,
            actor=actor,
            action="standards.import",
            table="cert_standards",
            record_id="-",
            detail={"rows": len(rows)},
        )
    session.flush()
    return len(rows)


def list_standards(session: Session, occupation_code: str | None = None) -> list[dict[str, Any]]:
    """The national skill standards on file (all, or one occupation's), by code."""
    stmt = select(SkillStandard).order_by(SkillStandard.code)
    if occupation_code:
        stmt = stmt.where(SkillStandard.occupation_code == occupation_code)
    return [
        {
            "code": s.code,
            "occupation_code": s.occupation_code,
            "name": s.name,
            "issue_number": s.issue_number,
            "issued_on": s.issued_on.isoformat(),
            "levels": s.levels,
            "demo": s.demo,
        }
        for s in session.scalars(stmt)
    ]


def list_qualifications(session: Session) -> list[dict[str, Any]]:
    """The National Vocational Qualification Catalogue (2021), in its order."""
    load_reference(session)
    return [
        {
            "seq": q.seq,
            "category": q.category,
            "name": q.name,
            "type": q.kind,
            "authority": q.authority,
            "occupation_codes": q.occupation_codes,
        }
        for q in session.scalars(select(Qualification).order_by(Qualification.seq))
    ]

"""Demo data of the certification system, loaded by ``minsheng demo load`` (idempotently).

Loads the real reference data (occupations, the 2021 catalogue), the demo skill standards, two
demo bodies (names end in （演示）), a few certificates for made-up people (ID numbers with valid
check characters but invented) including a revoked one, and demo subsidy claims.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.certification import service
from minsheng.certification.models import Body, SubsidyClaim
from minsheng.certification.schemas import (
    BodyCreate,
    CertificateIssue,
    CertificateStatusChange,
    SubsidyRequest,
)
from minsheng.core import audit
from minsheng.core.config import Settings, get_settings
from minsheng.core.idnumber import check_character

DEMO_ACTOR = audit.system_actor("demo")


def demo_id(first17: str) -> str:
    return first17 + check_character(first17)


BODIES = [
    {
        "name": "海南民生职业技能评价中心（演示）",
        "body_type": "S",
        "code": "0000",
        "province_code": "46",
        "valid_from": "2022-01-01",
        "scope": [
            {"occupation_code": "4-09-07-04", "levels": [5, 4, 3, 2, 1]},
            {"occupation_code": "4-03-02-10", "levels": [5, 4, 3]},
            {"occupation_code": "4-14-01-02", "levels": [5, 4]},
        ],
    },
    {
        "name": "民生数字技术有限公司（演示）",
        "body_type": "Y",
        "code": "9901",
        "valid_from": "2023-01-01",
        "scope": [{"occupation_code": "4-04-05-10", "levels": [4, 3, 2]}],
    },
]

CERTIFICATES = [
    ("张伟", demo_id("46010519900307123"), "4-09-07-04", 4, 0, "460100", date(2024, 5, 10)),
    ("章丽怡", demo_id("11010519850612284"), "4-03-02-10", 5, 0, "460100", date(2024, 6, 1)),
    ("李娜", demo_id("44030519920101002"), "4-04-05-10", 3, 1, "440300", date(2025, 3, 18)),
    ("王强", demo_id("46000019880808101"), "4-09-07-04", 3, 0, "460100", date(2024, 9, 9)),
]


def load(session: Session, settings: Settings | None = None) -> dict[str, Any]:
    """Load this system's demo data unless present; returns what was loaded."""
    settings = settings or get_settings()
    loaded: dict[str, Any] = service.load_reference(session)
    loaded["standards"] = service.load_demo_standards(session)
    if session.scalar(select(Body.id).where(Body.demo.is_(True)).limit(1)) is not None:
        return loaded
    bodies = [
        service.create_body(session, BodyCreate.model_validate(b), actor=DEMO_ACTOR, demo=True)
        for b in BODIES
    ]
    numbers = []
    for name, idn, occ, level, body_i, site, issued in CERTIFICATES:
        cert = service.issue_certificate(
            session,
            CertificateIssue(
                name=name,
                id_number=idn,
                occupation_code=occ,
                level=level,
                body=bodies[body_i].filing_no,
                province_code=site[:2],
                site_code=site,
                issued_on=issued,
            ),
            settings,
            actor=DEMO_ACTOR,
        )
        numbers.append(cert.number)
    revoke = CertificateStatusChange(status="revoked", reason="以他人代考方式取得（演示数据）")
    service.update_certificate_status(session, numbers[-1], revoke, actor=DEMO_ACTOR)
    loaded["bodies"] = [b.filing_no for b in bodies]
    loaded["certificates"] = numbers
    if not session.scalar(select(SubsidyClaim.id).limit(1)):
        for i, (name, idn, occ, level, _b, site, issued) in enumerate(CERTIFICATES[:3]):
            del name
            req = SubsidyRequest.model_validate(
                {
                    "applicant": {
                        "insured_months": 24 + i * 12,
                        "category": "enterprise_employee",
                        "province_code": site[:2],
                        "id_number": idn,
                    },
                    "certificate": {
                        "occupation_code": occ,
                        "level": level,
                        "issued_on": issued.isoformat(),
                    },
                    "applied_on": date(issued.year, issued.month, 28).isoformat(),
                    "training_subsidy_same_training": False,
                }
            )
            service.record_subsidy_claim(session, req, settings, actor=DEMO_ACTOR, demo=True)
    loaded["verify_example"] = {"name": "张伟", "number": numbers[0]}
    return loaded

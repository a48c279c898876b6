"""Builders for certification tests: bodies, issue requests and valid made-up ID numbers."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from minsheng.certification import service
from minsheng.certification.models import Body
from minsheng.certification.schemas import BodyCreate, CertificateIssue
from minsheng.core.idnumber import check_character

CARBON = "4-09-07-04"  # 碳排放管理员, demo standard levels 5–1
TWIN = "4-04-05-10"  # 数字孪生应用技术员, demo standard levels 4–1


def make_id(first17: str = "11010519900307123") -> str:
    return first17 + check_character(first17)


def reference(session: Session) -> None:
    service.load_reference(session)
    service.load_demo_standards(session)


def body(session: Session, **overrides: Any) -> Body:
    data: dict[str, Any] = {
        "name": "测试职业技能评价中心",
        "body_type": "S",
        "code": "0000",
        "province_code": "46",
        "valid_from": "2022-01-01",
        "scope": [{"occupation_code": CARBON, "levels": [5, 4, 3]}],
    }
    data.update(overrides)
    return service.create_body(session, BodyCreate.model_validate(data), actor="test")


def issue_request(body_filing_no: str, **overrides: Any) -> CertificateIssue:
    data: dict[str, Any] = {
        "name": "张伟",
        "id_number": make_id(),
        "occupation_code": CARBON,
        "level": 4,
        "body": body_filing_no,
        "province_code": "46",
        "site_code": "460100",
        "issued_on": date(2024, 5, 10),
    }
    data.update(overrides)
    return CertificateIssue.model_validate(data)

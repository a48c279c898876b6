"""The documents a bureau issues and prints: 行政处罚事先告知书, 行政处罚决定书, 不予行政处罚决定书,
信用承诺书 and 责令改正通知书, each with its 文号 and the content it was printed from.

文号: the bureau's abbreviation, the kind's mark, 〔year〕 and a sequence per bureau and year
(``琼山综执罚决〔2026〕12号``). The sequence is taken with one ``UPDATE … SET last = last + 1
RETURNING last`` on the bureau's row for the year: PostgreSQL holds that row locked until the
transaction ends, so two transactions never get the same number, and a rolled-back transaction
returns its number with it (no gaps). The first number of a year inserts the row inside a
savepoint; a concurrent first insert loses on the primary key and retries the update.

``sections(document)`` gives the ordered (heading, text) pairs that both the HTML page and the PDF
print, so the two never differ. Flush, never commit.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minsheng.core import audit, timeutil
from minsheng.core.scope import Scope
from minsheng.enforcement.errors import DocumentNotFound
from minsheng.enforcement.models import Document, DocumentSequence
from minsheng.enforcement.service import catalog
from minsheng.enforcement.service.scoping import case_id_in_scope


@lru_cache(maxsize=1)
def settings() -> dict[str, Any]:
    """``data/procedure.json``: the bureau, document kinds, 重大 policy, payment period."""
    data: dict[str, Any] = catalog.read_json("procedure.json")
    return data


def bureau() -> dict[str, str]:
    return dict(settings()["bureau"])


def kind_title(kind: str) -> str:
    return str(settings()["document_kinds"][kind]["title"])


def allocate_number(session: Session, bureau_abbr: str, year: int) -> int:
    """The next sequence number of ``bureau_abbr`` in ``year``: no gaps, no duplicates."""
    stmt = (
        update(DocumentSequence)
        .where(DocumentSequence.bureau == bureau_abbr, DocumentSequence.year == year)
        .values(last=DocumentSequence.last + 1)
        .returning(DocumentSequence.last)
    )
    for _ in range(3):
        seq = session.execute(stmt).scalar_one_or_none()
        if seq is not None:
            return int(seq)
        try:
            with session.begin_nested():
                session.add(DocumentSequence(bureau=bureau_abbr, year=year, last=1))
            return 1
        except IntegrityError:
            continue  # another transaction created the year's row first: take the next number
    raise RuntimeError("could not allocate a document number")  # pragma: no cover


def issue(
    session: Session,
    kind: str,
    *,
    content: dict[str, Any],
    issued_on: date,
    officer: str,
    actor: str,
    case_id: int | None = None,
    commitment_id: int | None = None,
) -> Document:
    """Number and record a document. ``content`` holds everything it prints."""
    b = bureau()
    mark = settings()["document_kinds"][kind]["mark"]
    seq = allocate_number(session, b["abbreviation"], issued_on.year)
    number = f"{b['abbreviation']}{mark}〔{issued_on.year}〕{seq}号"
    doc = Document(
        case_id=case_id,
        commitment_id=commitment_id,
        kind=kind,
        bureau=b["abbreviation"],
        year=issued_on.year,
        seq=seq,
        number=number,
        issued_on=issued_on,
        content={
            **content,
            "title": kind_title(kind),
            "bureau": b["name"],
            "bureau_status": b["status"],
            "bureau_source": b["source"],
        },
        officer=officer,
    )
    audit.add_and_record(
        session,
        doc,
        actor=actor,
        action=f"document.{kind}",
        detail={"number": number, "case_id": case_id, "commitment_id": commitment_id},
    )
    return doc


def get_document(session: Session, document_id: int, *, scope: Scope = Scope.ALL) -> Document:
    """The document; DocumentNotFound when missing or its case is outside the scope."""
    doc = session.get(Document, document_id)
    if doc is None or not case_id_in_scope(session, doc.case_id, scope):
        raise DocumentNotFound(f"no document {document_id}", field="document_id")
    return doc


def list_documents(session: Session, *, case_id: int, scope: Scope = Scope.ALL) -> list[Document]:
    if not case_id_in_scope(session, case_id, scope):
        return []
    return list(
        session.scalars(select(Document).where(Document.case_id == case_id).order_by(Document.id))
    )


def document_dict(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "kind": doc.kind,
        "title": doc.content.get("title", doc.kind),
        "number": doc.number,
        "issued_on": doc.issued_on.isoformat(),
        "issued_on_cn": timeutil.date_cn(doc.issued_on),
        "case_id": doc.case_id,
        "commitment_id": doc.commitment_id,
        "officer": doc.officer,
        "sections": [{"heading": h, "text": t} for h, t in sections(doc)],
    }


def _yuan(n: int | None) -> str:
    return "—" if n is None else f"{n:,}元"


def remedies_text(content: dict[str, Any]) -> str:
    """Art. 59(五): 申请行政复议、提起行政诉讼的途径和期限 (行政复议法 Art. 20: 60 days; 行政诉讼法
    Art. 46: 6 months)."""
    return (
        f"如不服本决定，可以自知道或者应当知道本决定之日起六十日内向{content['reconsideration_body']}"
        "申请行政复议（《中华人民共和国行政复议法》第二十条），或者自知道或者应当知道本决定之日起"
        f"六个月内向{content['court']}提起行政诉讼（《中华人民共和国行政诉讼法》第四十六条）。"
    )


def sections(doc: Document) -> list[tuple[str, str]]:
    """The printed document, in order: (heading, text) pairs; the first is the title line."""
    c = doc.content
    out: list[tuple[str, str]] = [(c["title"], f"文号：{doc.number}")]
    party = c.get("party", {})
    if party:
        out.append(("当事人", f"{party['name']}（{party['identifier']}）"))
        out.append(("地址", party.get("address") or "（未登记）"))
    kind = doc.kind
    if kind in ("prior_notice", "penalty_decision", "no_penalty_decision"):
        out.append(("违法事实", c["facts"] or "（见案卷）"))
        out.append(("证据", "；".join(c["evidence"]) or "现场检查笔录"))
    if kind == "prior_notice":
        out.append(("拟作出的行政处罚", f"罚款{_yuan(c['fine_yuan'])}"))
        out.append(("理由", "；".join(c["reasons"])))
        out.append(("依据", c["legal_basis"]))
        out.append(("当事人的权利", "\n".join(c["rights"])))
    elif kind == "penalty_decision":
        out.append(
            ("行政处罚的种类和依据", f"罚款{_yuan(c['fine_yuan'])}。依据：{c['legal_basis']}")
        )
        out.append(("裁量理由", "；".join(c["reasons"])))
        if c.get("statement"):
            out.append(("陈述、申辩及听证", c["statement"]))
        out.append(("履行方式和期限", c["performance"]))
        out.append(("救济途径和期限", remedies_text(c)))
    elif kind == "no_penalty_decision":
        out.append(("决定", f"不予行政处罚。依据：{c['legal_basis']}"))
        out.append(("理由", "；".join(c["reasons"])))
        out.append(
            ("教育", c.get("education") or "已对当事人进行教育（《行政处罚法》第三十三条第三款）")
        )
        out.append(("救济途径和期限", remedies_text(c)))
    elif kind == "rectification":
        out.append(("违法行为", c["violation"]))
        out.append(("责令改正", f"请于{c['rectify_by_cn']}前改正上述违法行为。"))
        out.append(
            (
                "依据",
                "《中华人民共和国行政处罚法》第二十八条第一款：行政机关实施行政处罚时，"
                "应当责令当事人改正或者限期改正违法行为。",
            )
        )
    elif kind == "commitment":
        out.append(("承诺事项", c["scope"]))
        out.append(("承诺内容", "\n".join(f"{i}. {p}" for i, p in enumerate(c["promises"], 1))))
        out.append(("有效期", f"{c['signed_on_cn']}至{c['valid_until_cn']}"))
        out.append(("公开", "同意向社会公开本承诺" if c["consent_publish"] else "不同意公开"))
    status = c.get("rule_status")
    if status:
        out.append(("规则状态", status))
    out.append(("作出机关", f"{c['bureau']}（印章）"))
    out.append(("日期", timeutil.date_cn(doc.issued_on)))
    if c.get("bureau_status") == "demo":
        out.append(("说明", f"演示数据：{c['bureau_source']}"))
    return out

"""Unverified sources say so, with one word, 待核实, in the data, in what the API returns and in
the docs (issue 13 item 4): the 15 days to pay (Art. 67), the 2023 credit-repair periods and the
objection procedure."""

from __future__ import annotations

from pathlib import Path

from minsheng.enforcement.service import credit, documents

DOCS = Path(__file__).resolve().parent.parent.parent / "docs" / "enforcement.md"
MARK = "待核实"


def test_payment_period_is_marked() -> None:
    s = documents.settings()
    assert s["payment_status"] == MARK
    assert MARK in s["payment_source"] and "第六十七条" in s["payment_source"]


def test_2023_credit_periods_are_marked() -> None:
    (old,) = [r for r in credit.credit_rules().rule_sets if r.id == "ndrc-2023-58"]
    assert old.status == MARK
    assert old.periods_source.startswith(MARK)


def test_objection_procedure_is_marked() -> None:
    rules = credit.credit_rules()
    assert rules.objection_status == MARK
    assert rules.objection_source.startswith(MARK)


def test_the_docs_mark_the_same_three() -> None:
    rows = [line for line in DOCS.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    for needle in ("第六十七条", "发改委令2023年第58号", "Objection to a record"):
        (row,) = [r for r in rows if needle in r]
        assert MARK in row, needle

"""Credit publication and repair (信用修复) of 行政处罚 records, per the national rules in force on
the decision date.

Pure: rule sets are parsed from a dict (``data/credit.json``), dates passed in.

* 《信用修复管理办法》, 国家发展和改革委员会令第36号 (signed 2025-11-20), in force from 2026-04-01:
  失信信息 classed 轻微/一般/严重; 轻微 原则上不予公示 (at most 3 months if the department
  publishes it, repair once the penalty is performed); 一般 3 months – 1 year; 严重 1 – 3 years;
  counted from the date of the 文书. Repair after the minimum period when all hold: the minimum
  period reached, the 失信行为 corrected and the penalty fully performed, a public 信用承诺, other
  conditions of law. At the maximum the record stops being published automatically. (Wording
  verified against reproductions of the NDRC release; article numbers unverified.)
* Before it: 《失信行为纠正后的信用信息修复管理办法（试行）》, 发改委令2023年第58号, in force
  2023-05-01 until replaced; its periods are unverified here, the set carries the 2019 NDRC
  notice's (发改办财金〔2019〕527号, secondary) and is marked ``待核实``.
* A decision dated before every rule set gets no record (NoCreditRuleSet), never the nearest one.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from minsheng.enforcement.errors import InvalidRuleBase, NoCreditRuleSet


class Severity(StrEnum):
    MINOR = "minor"  # 轻微
    GENERAL = "general"  # 一般
    SERIOUS = "serious"  # 严重


SEVERITY_LABELS = {Severity.MINOR: "轻微", Severity.GENERAL: "一般", Severity.SERIOUS: "严重"}


class RecordStatus(StrEnum):
    UNPUBLISHED = "unpublished"  # 不予公示
    PUBLISHED = "published"  # 公示中
    REPAIRED = "repaired"  # 信用修复，提前终止公示
    EXPIRED = "expired"  # 最长公示期届满，自动停止公示
    WITHDRAWN = "withdrawn"  # 异议成立，撤回


RECORD_STATUS_LABELS = {
    RecordStatus.UNPUBLISHED: "不予公示",
    RecordStatus.PUBLISHED: "公示中",
    RecordStatus.REPAIRED: "已信用修复",
    RecordStatus.EXPIRED: "公示期满，已停止公示",
    RecordStatus.WITHDRAWN: "异议成立，已撤回",
}


@dataclass(frozen=True)
class ClassRule:
    publish: bool
    min_months: int
    max_months: int


@dataclass(frozen=True)
class RuleSet:
    id: str
    title: str
    document: str
    effective_from: date
    effective_until: date | None
    status: str
    periods_source: str
    classes: Mapping[Severity, ClassRule]
    repair_conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreditRules:
    rule_sets: tuple[RuleSet, ...]
    minor_fine_at_most: Mapping[str, int]
    severity_source: str
    objection_source: str
    objection_status: str = "待核实"  # the objection procedure's source is not verified

    def in_force(self, on: date) -> RuleSet:
        for rs in self.rule_sets:
            if rs.effective_from <= on and (rs.effective_until is None or on <= rs.effective_until):
                return rs
        raise NoCreditRuleSet(
            f"no credit-repair rule set in force on {on.isoformat()}", field="decided_on"
        )


def parse_credit_rules(data: Mapping[str, Any]) -> CreditRules:
    sets = []
    for raw in data["rule_sets"]:
        classes = {}
        for sev in Severity:
            c = raw["classes"][sev.value]
            rule = ClassRule(bool(c["publish"]), int(c["min_months"]), int(c["max_months"]))
            if rule.min_months > rule.max_months:
                raise InvalidRuleBase(f"{raw['id']}.{sev.value}: minimum above maximum")
            classes[sev] = rule
        until = raw.get("effective_until")
        sets.append(
            RuleSet(
                id=str(raw["id"]),
                title=str(raw["title"]),
                document=str(raw["document"]),
                effective_from=date.fromisoformat(raw["effective_from"]),
                effective_until=date.fromisoformat(until) if until else None,
                status=str(raw["status"]),
                periods_source=str(raw["periods_source"]),
                classes=classes,
                repair_conditions=tuple(raw.get("repair_conditions", ())),
            )
        )
    sets.sort(key=lambda s: s.effective_from)
    for a, b in itertools.pairwise(sets):
        if a.effective_until is None or a.effective_until >= b.effective_from:
            raise InvalidRuleBase(f"credit rule sets {a.id} and {b.id} overlap")
    sev = data["severity"]
    return CreditRules(
        rule_sets=tuple(sets),
        minor_fine_at_most={k: int(v) for k, v in sev["minor_fine_at_most_yuan"].items()},
        severity_source=str(sev["source"]),
        objection_source=str(data["objection"]["source"]),
        objection_status=str(data["objection"]["status"]),
    )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def classify(
    rules: CreditRules, *, party_kind: str, fine: int | None, serious: bool = False
) -> Severity:
    """Severity of a penalty record: 严重 only when designated (with a reason, by the service);
    a warning or a fine within the Art. 51 on-the-spot amounts is 轻微; other fines 一般. The
    mapping is a local setting (``severity.source``), not national law."""
    if serious:
        return Severity.SERIOUS
    if fine is None or fine <= rules.minor_fine_at_most.get(party_kind, 0):
        return Severity.MINOR
    return Severity.GENERAL


@dataclass(frozen=True)
class Publication:
    rule_set: str
    severity: Severity
    published: bool
    min_until: date | None  # repair may be applied for from this day
    max_until: date | None  # publication stops automatically after this day

    def status(self) -> RecordStatus:
        return RecordStatus.PUBLISHED if self.published else RecordStatus.UNPUBLISHED


def publication(rule_set: RuleSet, severity: Severity, decided_on: date) -> Publication:
    """Whether and how long a record is published, from the 文书 date (发改委令第36号)."""
    c = rule_set.classes[severity]
    return Publication(
        rule_set=rule_set.id,
        severity=severity,
        published=c.publish,
        min_until=add_months(decided_on, c.min_months),
        max_until=add_months(decided_on, c.max_months) if c.publish else None,
    )


def status_on(status: RecordStatus, max_until: date | None, today: date) -> RecordStatus:
    """最长公示期届满后，相关信息自动停止公示."""
    if status is RecordStatus.PUBLISHED and max_until is not None and today > max_until:
        return RecordStatus.EXPIRED
    return status


def repair_unmet(
    *,
    min_until: date | None,
    today: date,
    corrected: bool,
    fulfilled: bool,
    committed: bool,
) -> list[str]:
    """The repair conditions (all required) a party does not meet yet; empty: repair allowed.
    For 轻微 records the minimum is 0 months: 法定责任履行完毕即可申请修复."""
    unmet: list[str] = []
    if min_until is not None and today < min_until:
        unmet.append(f"未达到最短公示期限（{min_until.isoformat()}起可申请）")
    if not corrected:
        unmet.append("失信行为尚未纠正（整改未经复查通过）")
    if not fulfilled:
        unmet.append("行政处罚规定的义务尚未完全履行")
    if not committed:
        unmet.append("尚未公开作出信用承诺")
    return unmet


def labels(values: Sequence[Severity]) -> list[str]:
    return [SEVERITY_LABELS[v] for v in values]

"""The rule base of 承诺+执法 as data: violation items with their legal basis, exemption
conditions and discretion tiers (不予/减轻/从轻/一般/从重) with fine bands per party kind, in
versions dated by the day they take effect (《行政处罚法》第三十七条 needs the version in force on
the day of the violation, and any lighter later one).

Pure: parsed from a dict (``service/catalog.py`` reads ``data/rulebase.json``); parsing refuses
bands outside the statutory range (过罚相当). The enums of the system (party kinds and categories,
how a case was found, its status, harm, outcome, tier) live here, the one place models, services,
pages and the CLI import them from.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from minsheng.core.errors import InvalidInput
from minsheng.enforcement.errors import InvalidRuleBase, UnknownItem


class PartyKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class Category(StrEnum):
    STREET_VENDOR = "street_vendor"
    SHOP = "shop"
    FARMER = "farmer"
    PROPERTY_COMPANY = "property_company"
    CONSTRUCTION_FIRM = "construction_firm"
    OTHER = "other"


class Discovery(StrEnum):
    PATROL = "patrol"
    COMPLAINT = "complaint"
    INSPECTION = "inspection"


class Status(StrEnum):
    """A case's step in the 行政处罚法 order (``rules/procedure.py``): open → facts_recorded →
    proposed → pre_notified (事先告知) [→ hearing_requested → hearing_scheduled → heard] →
    decided → notified (送达) → rectification_ordered → checked → closed. A 不予处罚 or
    time-barred case goes from facts_recorded straight to decided. ``cancelled``: the case was
    withdrawn (撤销立案), transferred to the judicial organs (第五十七条第四项) or its decision
    revoked (第四十八条第二款); it never counts as a decision or a violation."""

    OPEN = "open"
    FACTS_RECORDED = "facts_recorded"
    PROPOSED = "proposed"
    PRE_NOTIFIED = "pre_notified"
    HEARING_REQUESTED = "hearing_requested"
    HEARING_SCHEDULED = "hearing_scheduled"
    HEARD = "heard"
    DECIDED = "decided"
    NOTIFIED = "notified"
    RECTIFICATION_ORDERED = "rectification_ordered"
    CHECKED = "checked"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class DecisionStage(StrEnum):
    """Where the engine's result stands (``enf_decisions.stage``): a penalty is ``proposed``
    until the 行政处罚决定 is made after 事先告知, statement, hearing and 法制审核 (《行政处罚法》
    第四十四条、第六十二条: no decision before them); ``decided`` once made (a 不予处罚 or
    time-barred outcome is decided at once); ``withdrawn`` when its case is cancelled or the
    decision revoked. Only a decided *and served* decision counts (``rules/history.py``)."""

    PROPOSED = "proposed"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


class Harm(StrEnum):
    """The harmful consequence (危害后果): none at all (《行政处罚法》第三十三条第一款第一句), minor
    (第二句), general, serious."""

    NONE = "none"
    MINOR = "minor"
    GENERAL = "general"
    SERIOUS = "serious"


class MentalState(StrEnum):
    """《行政处罚法》第三十一条 (精神病人、智力残疾人): at the time of the act the party was able
    to recognise and control their conduct (``normal``; also an intermittent illness while lucid,
    which the article punishes normally), unable (``incapable``: 不予行政处罚, guardian ordered to
    watch and treat), or had not wholly lost that ability (``limited``: 可以从轻或者减轻)."""

    NORMAL = "normal"
    INCAPABLE = "incapable"
    LIMITED = "limited"


class RuleSetStatus(StrEnum):
    OFFICIAL = "official"
    DEMO = "demo"


class Outcome(StrEnum):
    NO_PENALTY = "no_penalty"
    PENALTY = "penalty"
    TIME_BARRED = "time_barred"


class Tier(StrEnum):
    EXEMPT = "exempt"  # 不予处罚
    REDUCED = "reduced"  # 减轻处罚 (below the statutory minimum, Art. 32)
    LIGHTER = "lighter"  # 从轻处罚 (low band)
    STANDARD = "standard"  # 一般 (middle band)
    HEAVIER = "heavier"  # 从重处罚 (high band)


TIER_ORDER: tuple[Tier, ...] = (
    Tier.EXEMPT,
    Tier.REDUCED,
    Tier.LIGHTER,
    Tier.STANDARD,
    Tier.HEAVIER,
)
TIER_RANK = {t: i for i, t in enumerate(TIER_ORDER)}
PENALTY_TIERS = (Tier.LIGHTER, Tier.STANDARD, Tier.HEAVIER)

# The four standard promises of a 信用承诺书 (Zhuhai sample letter; 《经营主体信用承诺实施指南》).
STANDARD_PROMISES = {
    "materials_true": "所提供的材料真实、准确、完整",
    "obey_law_accept_inspection": "严格遵守法律法规，自觉接受行政执法部门的监督检查",
    "accept_liability": "违反承诺的，自愿承担相应法律责任并接受惩戒",
    "accept_public_supervision": "自愿接受社会监督",
}

# 《行政处罚法》(2021年1月22日修订, 2021年7月15日施行) 第三十二条: 当事人有下列情形之一，
# 应当从轻或者减轻行政处罚 — all five items; (五) needs the citation of the 法律、法规、规章
# provision (``Violation.mitigating_basis``), since the law leaves that list open.
MITIGATING_FACTORS = {
    "eliminated_harm": "主动消除或者减轻违法行为危害后果（第三十二条第一项）",
    "coerced": "受他人胁迫或者诱骗实施违法行为（第三十二条第二项）",
    "confessed": "主动供述行政机关尚未掌握的违法行为（第三十二条第三项）",
    "meritorious": "配合行政机关查处违法行为有立功表现（第三十二条第四项）",
    "other_statutory": "法律、法规、规章规定其他应当从轻或者减轻行政处罚的（第三十二条第五项）",
}
MITIGATION_NEEDS_BASIS = "other_statutory"

LAW = "《中华人民共和国行政处罚法》（2021年1月22日修订，2021年7月15日起施行）"

Range = tuple[int, int]


# --------------------------------------------------------------------------------------------
# The rule base


MultipleRange = tuple[Decimal, Decimal]


@dataclass(frozen=True)
class FineMultiple:
    """A fine set as a multiple of an amount the case establishes (e.g. 耕地开垦费): the statute's
    multiples and the tiers' multiples per party kind; yuan = multiple × base, rounded half up."""

    of: str
    statutory: Mapping[str, MultipleRange]
    tiers: Mapping[Tier, Mapping[str, MultipleRange]]

    @staticmethod
    def yuan(multiples: MultipleRange, base_yuan: int) -> Range:
        low, high = (
            int((m * base_yuan).to_integral_value(rounding=ROUND_HALF_UP)) for m in multiples
        )
        return (low, high)


@dataclass(frozen=True)
class Item:
    """One violation item of the 裁量基准: its legal basis and fine bands per party kind (in yuan,
    or as multiples of a base amount the case establishes: ``multiple``)."""

    id: str
    domain: str
    description: str
    legal_basis: str
    exemptible: bool
    exemption_conditions: str
    statutory: Mapping[str, Range]
    tiers: Mapping[Tier, Mapping[str, Range]]
    ranges_source: str = ""
    # 《行政处罚法》第三十三条第二款: 法律、行政法规另有规定的，从其规定 — the citation of the
    # 法律 or 行政法规 provision that makes this item punishable without subjective fault
    # ("" = none).
    no_fault_exception: str = ""
    multiple: FineMultiple | None = None
    parties: tuple[str, ...] = ()

    def applies_to(self, kind: str) -> bool:
        return kind in self.parties

    def statutory_for(self, kind: PartyKind, base_yuan: int | None = None) -> Range:
        if self.multiple is not None:
            return FineMultiple.yuan(self.multiple.statutory[kind.value], _need_base(base_yuan))
        return self.statutory[kind.value]

    def range_for(self, tier: Tier, kind: PartyKind, base_yuan: int | None = None) -> Range | None:
        """The fine band of a tier; 减轻 is anything from 0 up to the statutory minimum."""
        if tier is Tier.EXEMPT:
            return None
        statutory = self.statutory_for(kind, base_yuan)
        if tier is Tier.REDUCED:
            return (0, statutory[0])
        if self.multiple is not None:
            return FineMultiple.yuan(self.multiple.tiers[tier][kind.value], _need_base(base_yuan))
        return self.tiers[tier][kind.value]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "domain": self.domain,
            "description": self.description,
            "legal_basis": self.legal_basis,
            "exemptible": self.exemptible,
            "exemption_conditions": self.exemption_conditions,
            "parties": list(self.parties),
            "statutory_range_yuan": {k: list(v) for k, v in self.statutory.items()},
            "tiers": {
                t.value: {k: list(v) for k, v in self.tiers[t].items()}
                for t in PENALTY_TIERS
                if t in self.tiers
            },
            "ranges_source": self.ranges_source,
            "no_fault_exception": self.no_fault_exception or None,
        }
        if self.multiple is not None:
            out["fine_multiple"] = {
                "of": self.multiple.of,
                "statutory": {k: [str(a), str(b)] for k, (a, b) in self.multiple.statutory.items()},
                "tiers": {
                    t.value: {k: [str(a), str(b)] for k, (a, b) in self.multiple.tiers[t].items()}
                    for t in PENALTY_TIERS
                },
            }
        return out


def _need_base(base_yuan: int | None) -> int:
    if base_yuan is None:
        raise InvalidInput(
            "this item's fine is a multiple of an amount: give it in yuan",
            field="violation.fine_base_yuan",
        )
    return base_yuan


@dataclass(frozen=True)
class MinorDefinition:
    """What counts as 违法行为轻微 (《行政处罚法》第三十三条第一款) under the bureau's 裁量基准: the
    law leaves it to the 裁量基准 (第三十四条: 应当向社会公布). A violation is 轻微 when no
    aggravating factor is present (if ``aggravating_excludes``) and it is a first violation or a
    repeat with at most ``repeat_max_priors`` earlier violations of the item in the look-back
    window (None: any number). Cited and dated; ``demo`` when not a published rule."""

    aggravating_excludes: bool
    repeat_max_priors: int | None
    adopted_on: date
    source: str
    demo: bool

    def is_minor(self, *, aggravating: bool, priors: int) -> bool:
        if aggravating and self.aggravating_excludes:
            return False
        return priors == 0 or self.repeat_max_priors is None or priors <= self.repeat_max_priors

    def to_dict(self) -> dict[str, Any]:
        return {
            "aggravating_excludes": self.aggravating_excludes,
            "repeat_max_priors": self.repeat_max_priors,
            "adopted_on": self.adopted_on.isoformat(),
            "source": self.source,
            "demo": self.demo,
        }


@dataclass(frozen=True)
class RuleVersion:
    version: str
    effective_from: date
    source: str
    items: Mapping[str, Item]


DEFAULT_MINOR = MinorDefinition(
    aggravating_excludes=True,
    repeat_max_priors=0,
    adopted_on=date(2021, 7, 15),
    source="default: a repeat is never 轻微 unless the rule base says otherwise",
    demo=True,
)


@dataclass(frozen=True)
class RuleBase:
    name: str
    demo: bool
    domains: Mapping[str, str]
    tier_labels: Mapping[str, str]
    aggravating: Mapping[str, str]
    procedure: Mapping[str, Any]
    versions: tuple[RuleVersion, ...]  # sorted by effective_from
    source: str = ""
    minor: MinorDefinition = DEFAULT_MINOR
    status_note: str = ""

    @property
    def status(self) -> RuleSetStatus:
        return RuleSetStatus.DEMO if self.demo else RuleSetStatus.OFFICIAL

    def status_dict(self) -> dict[str, Any]:
        """The status every decision carries: official with its source, or demo."""
        return {
            "name": self.name,
            "status": self.status.value,
            "label": "演示规则（非正式执法依据）" if self.demo else "正式规则",
            "source": self.source,
        }

    def in_force(self, on: date) -> RuleVersion | None:
        found = None
        for version in self.versions:
            if version.effective_from <= on:
                found = version
        return found

    def latest_item(self, item_id: str) -> Item | None:
        for version in reversed(self.versions):
            if item_id in version.items:
                return version.items[item_id]
        return None

    def current_items(self, on: date | None = None) -> list[Item]:
        version = self.in_force(on) if on else self.versions[-1]
        return sorted(version.items.values(), key=lambda i: i.id) if version else []

    def require_item(self, item_id: str, *, field_name: str = "item") -> Item:
        item = self.latest_item(item_id)
        if item is None:
            known = ", ".join(sorted({i for v in self.versions for i in v.items}))
            raise UnknownItem(f"unknown rule item {item_id!r}; known: {known}", field=field_name)
        return item


def _range(value: Any, where: str) -> Range:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int) and v >= 0 for v in value)
        or value[0] > value[1]
    ):
        raise InvalidRuleBase(f"{where}: a range must be [low, high] with 0 <= low <= high")
    return (int(value[0]), int(value[1]))


def _multiple(value: Any, where: str) -> MultipleRange:
    try:
        low, high = (Decimal(str(v)) for v in value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidRuleBase(f"{where}: a multiple range is [low, high] of numbers") from None
    if not low.is_finite() or not high.is_finite() or not (0 <= low <= high):
        raise InvalidRuleBase(f"{where}: a multiple range must be 0 <= low <= high")
    return (low, high)


Band = TypeVar("Band", Range, MultipleRange)


def _tier_bands(
    item_id: str,
    statutory: Mapping[str, Band],
    raw_tiers: Mapping[str, Any],
    parse: Callable[[Any, str], Band],
    outside: Callable[[Tier, str, Band, Any, Any], str],
) -> dict[Tier, dict[str, Band]]:
    """Each penalty tier's band per party kind (fixed yuan or multiples of a fee), checked:
    过罚相当 — every band lies inside the statutory one — and heavier tiers never allow a lower
    fine than lighter ones (so 再犯 ≥ 首违 holds)."""
    tiers: dict[Tier, dict[str, Band]] = {}
    for tier in PENALTY_TIERS:
        bands = raw_tiers.get(tier.value)
        if bands is None:
            raise InvalidRuleBase(f"item {item_id}: tier {tier.value} missing")
        tiers[tier] = {}
        for kind, (low, high) in statutory.items():
            if kind not in bands:
                raise InvalidRuleBase(f"item {item_id}: tier {tier.value} has no {kind} band")
            band = parse(bands[kind], f"{item_id}.{tier.value}.{kind}")
            if band[0] < low or band[1] > high:
                raise InvalidRuleBase(outside(tier, kind, band, low, high))
            tiers[tier][kind] = band
    for kind in statutory:
        rising = [tiers[t][kind] for t in PENALTY_TIERS]
        if any(a[0] > b[0] or a[1] > b[1] for a, b in itertools.pairwise(rising)):
            raise InvalidRuleBase(f"item {item_id}: {kind} bands must rise from lighter to heavier")
    return tiers


def _parse_multiple(item_id: str, raw: Mapping[str, Any]) -> FineMultiple:
    statutory = {k: _multiple(v, f"{item_id}.multiple.{k}") for k, v in raw["statutory"].items()}
    if not statutory or not set(statutory) <= {k.value for k in PartyKind}:
        raise InvalidRuleBase(f"item {item_id}: multiples must be for person/organisation")
    tiers = _tier_bands(
        item_id,
        statutory,
        raw["tiers"],
        _multiple,
        lambda tier, kind, band, low, high: (
            f"item {item_id}: {tier.value} multiples {band} for {kind} are outside "
            f"the statutory multiples {(low, high)}"
        ),
    )
    return FineMultiple(of=str(raw["of"]), statutory=statutory, tiers=tiers)


def _parse_item(raw: Mapping[str, Any], domains: Mapping[str, str]) -> Item:
    item_id = str(raw["id"])
    if raw["domain"] not in domains:
        raise InvalidRuleBase(f"item {item_id}: unknown domain {raw['domain']!r}")
    if "fine_multiple" in raw:
        multiple = _parse_multiple(item_id, raw["fine_multiple"])
        return Item(
            id=item_id,
            domain=str(raw["domain"]),
            description=str(raw["description"]),
            legal_basis=str(raw["legal_basis"]),
            exemptible=bool(raw["exemptible"]),
            exemption_conditions=str(raw.get("exemption_conditions", "")),
            statutory={},
            tiers={},
            ranges_source=str(raw.get("ranges_source", "")),
            no_fault_exception=str(raw.get("no_fault_exception") or ""),
            multiple=multiple,
            parties=tuple(sorted(multiple.statutory)),
        )
    statutory = {
        k: _range(v, f"{item_id}.statutory.{k}") for k, v in raw["statutory_range_yuan"].items()
    }
    if not statutory or not set(statutory) <= {k.value for k in PartyKind}:
        raise InvalidRuleBase(f"item {item_id}: statutory ranges must be for person/organisation")
    tiers = _tier_bands(
        item_id,
        statutory,
        raw["tiers"],
        _range,
        lambda tier, kind, band, low, high: (
            f"item {item_id}: {tier.value} band {list(band)} for {kind} is outside "
            f"the statutory range {[low, high]}"
        ),
    )
    return Item(
        id=item_id,
        domain=str(raw["domain"]),
        description=str(raw["description"]),
        legal_basis=str(raw["legal_basis"]),
        exemptible=bool(raw["exemptible"]),
        exemption_conditions=str(raw.get("exemption_conditions", "")),
        statutory=statutory,
        tiers=tiers,
        ranges_source=str(raw.get("ranges_source", "")),
        no_fault_exception=str(raw.get("no_fault_exception") or ""),
        parties=tuple(sorted(statutory)),
    )


def _parse_minor(raw: Mapping[str, Any] | None) -> MinorDefinition:
    if raw is None:
        return DEFAULT_MINOR
    limit = raw.get("repeat_max_priors")
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise InvalidRuleBase("minor_violation.repeat_max_priors must be a count or null")
    if not raw.get("source") or not raw.get("adopted_on"):
        raise InvalidRuleBase("minor_violation needs its source and adopted_on date")
    return MinorDefinition(
        aggravating_excludes=bool(raw.get("aggravating_excludes", True)),
        repeat_max_priors=limit,
        adopted_on=date.fromisoformat(str(raw["adopted_on"])),
        source=str(raw["source"]),
        demo=bool(raw.get("demo", True)),
    )


def parse_rulebase(data: Mapping[str, Any]) -> RuleBase:
    """Parse and check a rule base (the shape of ``data/rulebase.json``).

    A version may ``inherit`` an earlier one: it then holds that version's items, replaced or
    added by its own (``"repealed": [ids]`` removes items).
    """
    domains = dict(data["domains"])
    by_name: dict[str, RuleVersion] = {}
    versions: list[RuleVersion] = []
    for raw in data["versions"]:
        items: dict[str, Item] = {}
        if raw.get("inherit"):
            if raw["inherit"] not in by_name:
                raise InvalidRuleBase(f"version {raw['version']}: unknown parent {raw['inherit']}")
            items.update(by_name[raw["inherit"]].items)
        for item_id in raw.get("repealed", []):
            items.pop(item_id, None)
        for raw_item in raw["items"]:
            item = _parse_item(raw_item, domains)
            items[item.id] = item
        version = RuleVersion(
            version=str(raw["version"]),
            effective_from=date.fromisoformat(raw["effective_from"]),
            source=str(raw.get("source", "")),
            items=items,
        )
        if version.version in by_name:
            raise InvalidRuleBase(f"version {version.version} defined twice")
        by_name[version.version] = version
        versions.append(version)
    versions.sort(key=lambda v: v.effective_from)
    if len({v.effective_from for v in versions}) != len(versions):
        raise InvalidRuleBase("two versions take effect on the same day")
    demo = data.get("demo")
    if not isinstance(demo, bool):
        raise InvalidRuleBase("the rule base must say whether it is demo data (demo: true/false)")
    if not demo and not data.get("source"):
        raise InvalidRuleBase("an official rule base names its source (document, number, date)")
    return RuleBase(
        name=str(data.get("name", "")),
        demo=demo,
        domains=domains,
        tier_labels=dict(data.get("tiers", {})),
        aggravating=dict(data.get("aggravating_factors", {})),
        procedure=dict(data.get("procedure", {})),
        versions=tuple(versions),
        source=str(data.get("source", "")),
        minor=_parse_minor(data.get("minor_violation")),
        status_note=str(data.get("note", "")),
    )


def items_of(rulebase: RuleBase, domain: str | None = None) -> Sequence[Item]:
    if domain is not None and domain not in rulebase.domains:
        known = ", ".join(rulebase.domains)
        raise InvalidInput(f"unknown domain {domain!r}; known: {known}", field="domain")
    return [i for i in rulebase.current_items() if domain is None or i.domain == domain]

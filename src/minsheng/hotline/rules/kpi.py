"""Key performance indicators of the hotline, computed from call facts (pure; no database).

Definitions (also in docs/hotline.md), over the calls that *arrived* in the period:

- ``offered``: calls offered (at a hotline: calls that reached it at any routing step).
- ``answered``, ``abandoned`` (the caller hung up first), ``no_answer`` (given to the last resort).
- ``answer_rate`` = answered ÷ offered (接听率 in the notice).
- ``answered_in_home_province_rate`` = answered by a line of the caller's own province ÷ answered
  calls whose province is known (SAMHSA's in-state answer rate; target ≥ 90 %).
- ``asa_s`` (average speed of answer) = mean of (answer time − original arrival) over answered
  calls.
- ``abandonment_rate`` = abandoned ÷ offered.
- ``service_level`` = answered within T ÷ answered (Asterisk SL); ``service_level_with_abandoned``
  = (answered within T + abandoned within T) ÷ (answered + abandoned) (Asterisk SL2).
- ``longest_wait_s``: the longest time any call waited (answered or not) from original arrival.
- ``rollovers``: routing steps passed on (timeout or no counsellor); ``calls_rolled_over``: calls
  with at least one rollover.
- ``crisis``: calls flagged crisis.

Rates are None when their denominator is zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CallFact:
    """One call (or one call's step at one hotline, for the by-hotline view)."""

    group: str
    outcome: str  # answered | abandoned | no_answer (at a hotline: also "passed_on")
    wait_s: float
    home_known: bool
    home_answered: bool
    rollovers: int
    crisis: bool


@dataclass
class Acc:
    """Running totals of one group (or of all): :func:`aggregate` fills one per group."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    no_answer: int = 0
    passed_on: int = 0
    answered_wait: float = 0.0
    answered_within: int = 0
    abandoned_within: int = 0
    home_known: int = 0
    home_answered: int = 0
    longest_wait: float = 0.0
    rollovers: int = 0
    rolled_calls: int = 0
    crisis: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, f: CallFact, threshold_s: float) -> None:
        self.count(
            f.outcome, f.wait_s, f.home_known, f.home_answered, f.rollovers, f.crisis, threshold_s
        )

    def count(
        self,
        outcome: str,
        wait_s: float,
        home_known: bool,
        home_answered: bool,
        rollovers: int,
        crisis: bool,
        threshold_s: float,
    ) -> None:
        """:meth:`add` without building a fact (the simulator counts each call as it ends)."""
        self.offered += 1
        if wait_s > self.longest_wait:
            self.longest_wait = wait_s
        if rollovers:
            self.rollovers += rollovers
            self.rolled_calls += rollovers > 0
        self.crisis += crisis
        if outcome == "answered":
            self.answered += 1
            self.answered_wait += wait_s
            self.answered_within += wait_s <= threshold_s
            if home_known:
                self.home_known += 1
                self.home_answered += home_answered
        elif outcome == "abandoned":
            self.abandoned += 1
            self.abandoned_within += wait_s <= threshold_s
        elif outcome == "no_answer":
            self.no_answer += 1
        else:
            self.passed_on += 1

    def result(self, key: str) -> dict[str, Any]:
        def rate(num: int, den: int) -> float | None:
            return round(num / den, 4) if den else None

        handled = self.answered + self.abandoned
        return {
            "key": key,
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "no_answer": self.no_answer,
            "passed_on": self.passed_on,
            "answer_rate": rate(self.answered, self.offered),
            "answered_in_home_province_rate": rate(self.home_answered, self.home_known),
            "asa_s": round(self.answered_wait / self.answered, 1) if self.answered else None,
            "abandonment_rate": rate(self.abandoned, self.offered),
            "service_level": rate(self.answered_within, self.answered),
            "service_level_with_abandoned": rate(
                self.answered_within + self.abandoned_within, handled
            ),
            "longest_wait_s": round(self.longest_wait, 1),
            "rollovers": self.rollovers,
            "calls_rolled_over": self.rolled_calls,
            "crisis": self.crisis,
        }


def aggregate(facts: list[CallFact], threshold_s: float) -> dict[str, Any]:
    """``{"groups": [...], "total": {...}}``; groups sorted by key."""
    groups: dict[str, Acc] = {}
    total = Acc()
    for f in facts:
        groups.setdefault(f.group, Acc()).add(f, threshold_s)
        total.add(f, threshold_s)
    return {
        "groups": [groups[k].result(k) for k in sorted(groups)],
        "total": total.result("total"),
    }

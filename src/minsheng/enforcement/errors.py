"""Refusals of the enforcement system.

Hierarchy (all under ``minsheng.core.errors``)::

    DomainError
    ├── NotFound (404)
    │   ├── PartyNotFound, CaseNotFound, CommitmentNotFound, InspectorNotFound,
    │   │   GradeNotFound
    │   └── UnknownItem              ── a rule item id that no rule version knows
    ├── Conflict (409)
    │   ├── DuplicateParty           ── same credit code or ID number registered twice
    │   ├── DuplicateInspector, DuplicateConflictOfInterest ── recorded twice
    │   ├── CaseStepOutOfOrder       ── e.g. a notice before the decision
    │   └── InsufficientInspectors   ── fewer than 2 inspectors free of conflicts for a target
    └── InvalidInput (422)
        ├── InvalidDate              ── in the future, or out of order
        ├── FineOutOfRange           ── outside the decided tier's range (过罚相当)
        ├── ItemNotApplicable        ── e.g. an organisations-only item for a person
        ├── InvalidRuleBase          ── rule data breaking its own invariants
        └── EvidenceTooLarge

A malformed credit code is ``core.creditcode.InvalidCreditCode`` (the code is a shared type, as the
resident ID number is).
"""

from __future__ import annotations

from minsheng.core.errors import Conflict, InvalidInput, NotFound


class PartyNotFound(NotFound):
    pass


class CaseNotFound(NotFound):
    pass


class CommitmentNotFound(NotFound):
    pass


class InspectorNotFound(NotFound):
    pass


class GradeNotFound(NotFound):
    pass


class UnknownItem(NotFound):
    pass


class DuplicateParty(Conflict):
    pass


class CaseStepOutOfOrder(Conflict):
    pass


class InsufficientInspectors(Conflict):
    pass


class InvalidDate(InvalidInput):
    pass


class FineOutOfRange(InvalidInput):
    pass


class ItemNotApplicable(InvalidInput):
    pass


class InvalidRuleBase(InvalidInput):
    pass


class EvidenceTooLarge(InvalidInput):
    pass


class DuplicateInspector(Conflict):
    pass


class DuplicateConflictOfInterest(Conflict):
    pass

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


# The 行政处罚 procedure (《行政处罚法》 Arts. 42, 44, 45, 58, 60–65) -------------------------
# Conflict (409): the step is refused in the case's present state.
#   PriorNoticeMissing, StatementPeriodRunning, HearingPending, LegalReviewRequired,
#   HearingRequestLate, RepairNotAllowed, ObjectionAlreadyReviewed, NoCreditRuleSet
# InvalidInput (422): the step's content breaks a rule.
#   TooFewOfficers, OfficerNotCertified, DepartureWithoutReason, HeavierPenaltyAfterStatement,
#   HearingNoticeTooShort, PresiderIsInvestigator, ReviewerNotQualified
# NotFound (404): DocumentNotFound, CreditRecordNotFound, ObjectionNotFound


class PriorNoticeMissing(CaseStepOutOfOrder):
    """Art. 44, 62: no penalty decision before the 行政处罚事先告知书."""


class StatementPeriodRunning(CaseStepOutOfOrder):
    """Art. 45, 62: the statement (or hearing-request) period has not ended and the party has
    neither stated nor waived."""


class HearingPending(CaseStepOutOfOrder):
    """Art. 63–65: a requested hearing must be held (or abandoned) before the decision."""


class LegalReviewRequired(CaseStepOutOfOrder):
    """Art. 58: a 重大 decision needs a passed 法制审核 first."""


class HearingRequestLate(CaseStepOutOfOrder):
    """Art. 64(一): the request came after the 5 working days."""


class RepairNotAllowed(Conflict):
    """信用修复 conditions not met (发改委令第36号)."""


class ObjectionAlreadyReviewed(Conflict):
    pass


class NoCreditRuleSet(Conflict):
    pass


class TooFewOfficers(InvalidInput):
    """Art. 42: at least two certified officers."""


class OfficerNotCertified(InvalidInput):
    """Art. 42, 76(五): an officer without a valid 执法证."""


class DepartureWithoutReason(InvalidInput):
    """A fine outside the engine's proposed band needs a recorded reason."""


class HeavierPenaltyAfterStatement(InvalidInput):
    """Art. 45 para. 2: 不得因当事人陈述、申辩而给予更重的处罚."""


class HearingNoticeTooShort(InvalidInput):
    """Art. 64(二): the party is notified at least 7 working days before the hearing."""


class PresiderIsInvestigator(InvalidInput):
    """Art. 64(四): the hearing is presided over by someone not investigating the case."""


class ReviewerNotQualified(InvalidInput):
    """Art. 58: the 法制审核 reviewer is not an investigator of the case and holds the
    法律职业资格."""


class DocumentNotFound(NotFound):
    pass


class CreditRecordNotFound(NotFound):
    pass


class ObjectionNotFound(NotFound):
    pass

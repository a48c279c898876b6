"""Refusals of the hotline system.

Hierarchy::

    DomainError
    ├── NotFound
    │   ├── HotlineNotFound
    │   ├── CounsellorNotFound
    │   ├── CallNotFound
    │   ├── FollowUpNotFound
    │   ├── NodeNotFound             a SIP cluster node (hotline_sip_nodes)
    │   ├── LiveCallNotFound         no node holds a call with this SIP Call-ID
    │   ├── ShiftNotFound
    │   └── SeatNotLinked            the staff user works no counsellor's browser seat
    ├── Conflict
    │   ├── DuplicateHotline
    │   ├── OverlappingRegions       two hotlines of one level claim the same region
    │   ├── CounsellorOnTwoHotlines
    │   ├── CounsellorNotEligible    lacks the qualification or training the line requires
    │   ├── ShiftBreaksRule          a shift against the working-time, rest or availability rules
    │   └── SeatUserTaken            the staff user already works another counsellor's seat
    ├── Forbidden
    │   └── SeatDisabled             a disabled counsellor or staff user gets no SIP credential
    ├── NodeUnreachable (502)    the SIP node that holds a call or seat did not answer
    └── InvalidInput
        ├── InvalidNumber            a caller number that is not a phone number at all
        ├── InvalidHours             an impossible opening-hours string
        ├── InvalidHotline           any other bad hotline field
        ├── InvalidImport            a bad import file; ``extra["problems"]`` lists every row
        └── InvalidRoster            a roster request that cannot be solved as given
"""

from __future__ import annotations

from minsheng.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class HotlineNotFound(NotFound):
    pass


class CounsellorNotFound(NotFound):
    pass


class CallNotFound(NotFound):
    pass


class FollowUpNotFound(NotFound):
    pass


class NodeNotFound(NotFound):
    pass


class LiveCallNotFound(NotFound):
    pass


class NodeUnreachable(DomainError):
    status_code = 502


class DuplicateHotline(Conflict):
    pass


class OverlappingRegions(Conflict):
    pass


class CounsellorOnTwoHotlines(Conflict):
    pass


class InvalidNumber(InvalidInput):
    pass


class InvalidHours(InvalidInput):
    pass


class InvalidHotline(InvalidInput):
    pass


class InvalidImport(InvalidInput):
    pass


class ShiftNotFound(NotFound):
    pass


class CounsellorNotEligible(Conflict):
    pass


class ShiftBreaksRule(Conflict):
    pass


class InvalidRoster(InvalidInput):
    pass


class SeatNotLinked(NotFound):
    """The signed-in staff user works no counsellor's browser seat."""


class SeatDisabled(Forbidden):
    """The counsellor (or their staff user) is disabled: no SIP credential."""


class SeatUserTaken(Conflict):
    pass

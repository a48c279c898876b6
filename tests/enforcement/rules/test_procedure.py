"""The pure procedure checks of 《行政处罚法》 (2021): Art. 42 officers, the engine's proposal and
departures, Art. 44/45/62 notice and statement, Art. 45 no heavier penalty, Art. 58 法制审核,
Art. 60 ninety days, Art. 64 hearing periods and presiding officer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minsheng.enforcement.errors import (
    DepartureWithoutReason,
    FineOutOfRange,
    HearingNoticeTooShort,
    HearingPending,
    HearingRequestLate,
    HeavierPenaltyAfterStatement,
    LegalReviewRequired,
    OfficerNotCertified,
    PresiderIsInvestigator,
    PriorNoticeMissing,
    ReviewerNotQualified,
    StatementPeriodRunning,
    TooFewOfficers,
)
from minsheng.enforcement.rules import procedure as p
from minsheng.enforcement.rules import workdays as wd

DAY = date(2026, 6, 1)
A = p.Officer("E1", "46010001", date(2099, 1, 1))
B = p.Officer("E2", "46010002", date(2099, 1, 1))


class TestOfficers:
    def test_two_certified_officers(self) -> None:
        assert p.check_officers([A, B], DAY) == ("46010001", "46010002")

    def test_one_officer_or_the_same_one_twice_is_refused(self) -> None:
        with pytest.raises(TooFewOfficers):
            p.check_officers([A], DAY)
        with pytest.raises(TooFewOfficers):
            p.check_officers([A, A], DAY)

    def test_no_or_expired_certificate_is_refused(self) -> None:
        with pytest.raises(OfficerNotCertified):
            p.check_officers([A, p.Officer("E3", None, None)], DAY)
        with pytest.raises(OfficerNotCertified):
            p.check_officers([A, replace(B, cert_valid_until=date(2026, 5, 31))], DAY)


class TestProposal:
    def test_inside_the_band_needs_no_reason(self) -> None:
        assert p.proposed_fine((300, 600), (0, 1000), 450, None) == (450, False)
        assert p.proposed_fine((300, 600), (0, 1000), None, None) == (300, False)

    def test_a_departure_needs_a_recorded_reason(self) -> None:
        with pytest.raises(DepartureWithoutReason):
            p.proposed_fine((300, 600), (0, 1000), 800, None)
        with pytest.raises(DepartureWithoutReason):
            p.proposed_fine((300, 600), (0, 1000), 100, "  ")
        assert p.proposed_fine((300, 600), (0, 1000), 800, "占道面积大，影响消防通道") == (
            800,
            True,
        )

    def test_above_the_statutory_maximum_is_refused_whatever_the_reason(self) -> None:
        with pytest.raises(FineOutOfRange):
            p.proposed_fine((300, 600), (0, 1000), 1001, "any reason")


def state(**kw: object) -> p.ProcedureState:
    base = p.ProcedureState(
        notice_on=date(2026, 6, 1),
        statement_due=date(2026, 6, 4),
        hearing_request_due=None,
        statement_on=None,
        statement_waived=False,
        hearing_requested=False,
        hearing_result=None,
        major=False,
        review_passed=None,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


class TestReadyToDecide:
    def test_no_decision_without_the_prior_notice(self) -> None:
        with pytest.raises(PriorNoticeMissing):
            p.check_ready_to_decide(state(notice_on=None), date(2026, 7, 1))

    def test_not_while_the_statement_period_runs(self) -> None:
        with pytest.raises(StatementPeriodRunning):
            p.check_ready_to_decide(state(), date(2026, 6, 4))
        p.check_ready_to_decide(state(), date(2026, 6, 5))
        # …unless the party stated or expressly waived (Art. 62)
        p.check_ready_to_decide(state(statement_waived=True), date(2026, 6, 1))
        p.check_ready_to_decide(state(statement_on=date(2026, 6, 2)), date(2026, 6, 2))

    def test_the_hearing_request_period_also_holds_the_decision(self) -> None:
        s = state(hearing_request_due=date(2026, 6, 8))
        with pytest.raises(StatementPeriodRunning):
            p.check_ready_to_decide(s, date(2026, 6, 6))

    def test_a_requested_hearing_comes_first(self) -> None:
        with pytest.raises(HearingPending):
            p.check_ready_to_decide(
                state(statement_waived=True, hearing_requested=True), date(2026, 7, 1)
            )

    def test_a_major_decision_needs_a_passed_review(self) -> None:
        for passed in (None, False):
            with pytest.raises(LegalReviewRequired):
                p.check_ready_to_decide(
                    state(statement_waived=True, major=True, review_passed=passed), DAY
                )
        p.check_ready_to_decide(state(statement_waived=True, major=True, review_passed=True), DAY)


class TestNoHeavierPenalty:
    @given(proposed=st.integers(0, 10**6), final=st.integers(0, 10**6))
    def test_never_above_the_notified_fine(self, proposed: int, final: int) -> None:
        if final > proposed:
            with pytest.raises(HeavierPenaltyAfterStatement):
                p.check_final_fine(proposed, final, None)
            # New facts may justify more, but only through a new notice (Art. 44).
            with pytest.raises(PriorNoticeMissing):
                p.check_final_fine(proposed, final, "听证中查明违法所得另有 2 万元")
        else:
            p.check_final_fine(proposed, final, None)
            p.check_final_fine(proposed, final, "新事实")


class TestHearing:
    def test_request_within_five_working_days(self) -> None:
        cal = wd.WEEKENDS_ONLY
        p.check_hearing_request(cal, date(2026, 6, 1), date(2026, 6, 8))  # Mon → next Mon
        with pytest.raises(HearingRequestLate):
            p.check_hearing_request(cal, date(2026, 6, 1), date(2026, 6, 9))

    def test_notice_seven_working_days_before(self) -> None:
        cal = wd.WEEKENDS_ONLY
        # Notified Mon 1 June: the seventh working day is Wed 10 June; hold it after that.
        with pytest.raises(HearingNoticeTooShort):
            p.check_hearing_notice(cal, date(2026, 6, 1), date(2026, 6, 10))
        assert p.check_hearing_notice(cal, date(2026, 6, 1), date(2026, 6, 11)).on == date(
            2026, 6, 10
        )

    def test_the_presiding_officer_did_not_investigate(self) -> None:
        with pytest.raises(PresiderIsInvestigator):
            p.check_presider("E1", ["E1", "E2"])
        p.check_presider("H9", ["E1", "E2"])


class TestLegalReview:
    POLICY = p.MajorPolicy({"person": 10000, "organisation": 100000}, "test", "demo")

    def test_which_decisions_are_major(self) -> None:
        assert p.major_reasons(self.POLICY, party_kind="person", fine=9999, heard=False) == []
        assert p.major_reasons(self.POLICY, party_kind="person", fine=10000, heard=False)
        heard = p.major_reasons(self.POLICY, party_kind="organisation", fine=500, heard=True)
        assert heard == ["直接关系当事人重大权益，经过听证程序（第五十八条第二项）"]
        flagged = p.major_reasons(
            self.POLICY, party_kind="organisation", fine=500, heard=False, flags=["complex"]
        )
        assert "第五十八条第三项" in flagged[0]

    def test_the_reviewer_is_no_investigator_and_legally_qualified(self) -> None:
        reviewer = p.Officer("L1", "46019999", date(2099, 1, 1), legal_qualified=True)
        p.check_reviewer(reviewer, ["E1", "E2"])
        with pytest.raises(ReviewerNotQualified):
            p.check_reviewer(reviewer, ["L1", "E2"])
        with pytest.raises(ReviewerNotQualified):
            p.check_reviewer(replace(reviewer, legal_qualified=False), ["E1"])


class TestNinetyDays:
    def test_calendar_days_from_filing_plus_extensions(self) -> None:
        assert p.decision_due(date(2026, 9, 1), 0) == date(2026, 11, 30)
        assert p.decision_due(date(2026, 9, 1), 30) == date(2026, 12, 30)
        assert not p.running_late(date(2026, 9, 1), 0, date(2026, 11, 30), decided=False)
        assert p.running_late(date(2026, 9, 1), 0, date(2026, 12, 1), decided=False)
        assert not p.running_late(date(2026, 9, 1), 0, date(2026, 12, 1), decided=True)
        assert not p.running_late(date(2026, 9, 1), 30, date(2026, 12, 1), decided=False)

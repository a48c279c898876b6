"""The queueing engine in virtual time: states, priority, skills, rollover, and no lost call."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minsheng.hotline.engine import (
    CallEnded,
    CallState,
    CounsellorState,
    EndedBy,
    Engine,
    EngineError,
    EngineSettings,
    Event,
    Outcome,
    Recorded,
    Ring,
    RolledOver,
    StepResult,
    VirtualClock,
)
from minsheng.hotline.rules.snapshot import CounsellorInfo, Directory, HotlineInfo, Level, Step

CITY = HotlineInfo("gd-sz", "深圳市心理援助热线", Level.CITY, regions=("440300",))
PROV = HotlineInfo("gd", "广东省心理援助热线", Level.PROVINCE, regions=("440000",))
NAT = HotlineInfo("national", "国家备用热线", Level.NATIONAL)
ROUTE = (
    Step("gd-sz", 30, "city_line", Level.CITY),
    Step("gd", 30, "province_line", Level.PROVINCE),
    Step("national", 300, "national_backup", Level.NATIONAL),
)


def make(
    counsellors: list[CounsellorInfo] | None = None, **kw: Any
) -> tuple[Engine, VirtualClock, list[Event]]:
    clock = VirtualClock(1_000.0)
    events: list[Event] = []
    directory = Directory((CITY, PROV, NAT), tuple(counsellors or ()))
    engine = Engine(directory, EngineSettings(**kw), clock=clock, listener=events.append)
    return engine, clock, events


def c(cid: str, hotline: str = "gd-sz", *skills: str) -> CounsellorInfo:
    return CounsellorInfo(cid, hotline, frozenset(skills))


def rings(events: list[Event]) -> list[tuple[str, str]]:
    return [(e.call_id, e.counsellor_id) for e in events if isinstance(e, Ring)]


class TestCounsellors:
    def test_longest_idle_gets_the_call(self) -> None:
        engine, clock, events = make([c("a"), c("b")])
        engine.counsellor_login("a")
        clock.set(1_010)
        engine.counsellor_login("b")
        call = engine.offer_call(ROUTE)
        assert rings(events) == [(call, "a")]

    def test_answer_talk_wrapup_then_available_and_recorded(self) -> None:
        engine, clock, _ = make([c("a")], wrapup_s=60)
        engine.counsellor_login("a")
        call = engine.offer_call(ROUTE)
        clock.set(1_005)
        engine.answer(call)
        assert engine.counsellor_state("a") is CounsellorState.TALKING
        clock.set(1_605)
        engine.call_ended(call)
        assert engine.counsellor_state("a") is CounsellorState.WRAPUP
        assert engine.drain_records() == []  # the record waits for the wrap-up
        engine.advance(1_665)
        assert engine.counsellor_state("a") is CounsellorState.AVAILABLE
        [rec] = engine.drain_records()
        assert rec.outcome is Outcome.ANSWERED
        assert (rec.wait_s, rec.talk_s, rec.wrapup_s) == (5, 600, 60)
        assert (rec.hotline_id, rec.counsellor_id, rec.rollovers) == ("gd-sz", "a", 0)

    def test_missed_offers_put_counsellor_on_break(self) -> None:
        engine, _clock, _ = make([c("a"), c("b")], max_no_answer=2, offer_timeout_s=10)
        engine.counsellor_login("a")
        engine.counsellor_login("b")
        engine.set_state("b", CounsellorState.BREAK)
        call = engine.offer_call(ROUTE)
        engine.advance(1_010)  # rings out once; a rests 10 s before the next offer
        assert engine.counsellor_state("a") is CounsellorState.AVAILABLE
        engine.advance(1_020)  # offered again to a (the only one)
        assert engine.counsellor_state("a") is CounsellorState.RINGING
        engine.no_answer(call)
        assert engine.counsellor_state("a") is CounsellorState.BREAK
        assert engine.call_state(call) is CallState.WAITING

    def test_refusing_seat_does_not_spin_and_call_tries_others(self) -> None:
        engine, _, events = make([c("a"), c("b")], offer_retry_delay_s=10)
        engine.counsellor_login("a")
        engine.counsellor_login("b")
        call = engine.offer_call(ROUTE)
        engine.reject(call)  # a is busy (486)
        assert rings(events) == [(call, "a"), (call, "b")]
        engine.reject(call)  # b too: nobody is offered the call for 10 s
        assert len(rings(events)) == 2
        engine.advance(1_010)
        assert rings(events)[-1] == (call, "a")

    def test_wrong_transitions_raise_and_change_nothing(self) -> None:
        engine, _, _ = make([c("a")])
        call = engine.offer_call(ROUTE[2:])
        with pytest.raises(EngineError):
            engine.answer(call)
        with pytest.raises(EngineError):
            engine.call_ended(call)
        with pytest.raises(EngineError):
            engine.answer("nope")
        with pytest.raises(EngineError):
            engine.add_counsellor(c("x", "unknown"))
        with pytest.raises(EngineError):
            engine.add_counsellor(c("a", "gd"))  # one hotline per counsellor
        engine.check_invariants()
        assert engine.call_state(call) is CallState.WAITING


class TestQueue:
    def test_crisis_goes_ahead_even_when_marked_while_waiting(self) -> None:
        engine, clock, events = make([c("a", "national")])
        engine.counsellor_login("a")
        first = engine.offer_call(ROUTE[2:])  # rings a
        ordinary = engine.offer_call(ROUTE[2:])
        clock.set(1_001)
        late = engine.offer_call(ROUTE[2:])
        assert [q.call_id for q in engine.queue_snapshot("national")] == [ordinary, late]
        engine.mark_crisis(late)
        assert [q.call_id for q in engine.queue_snapshot("national")] == [late, ordinary]
        info = engine.queue_position(ordinary)
        assert info is not None
        assert info.position == 2
        assert info.expected_wait_s > 0
        engine.answer(first)
        engine.call_ended(first)
        engine.set_state("a", CounsellorState.AVAILABLE)  # ends wrap-up early
        assert rings(events)[-1] == (late, "a")

    def test_skill_wait_then_anyone(self) -> None:
        engine, _clock, events = make([c("a"), c("y", "gd-sz", "youth")], skill_wait_s=60)
        engine.counsellor_login("a")
        engine.counsellor_login("y")
        engine.set_state("y", CounsellorState.BREAK)
        call = engine.offer_call([Step("gd-sz", 300, "city_line")], skill="youth")
        assert rings(events) == []  # a is free but lacks the skill
        engine.advance(1_060)
        assert rings(events) == [(call, "a")]

    def test_skill_match_preferred(self) -> None:
        engine, _, events = make([c("a"), c("y", "gd-sz", "youth")])
        engine.counsellor_login("a")
        engine.counsellor_login("y")
        call = engine.offer_call(ROUTE, skill="youth")
        assert rings(events) == [(call, "y")]


class TestRollover:
    def test_city_to_province_to_national_keeps_arrival(self) -> None:
        staff = [c("a"), c("p", "gd"), c("n", "national")]
        engine, clock, events = make(staff, offer_timeout_s=100)
        for cid in ("a", "p", "n"):
            engine.counsellor_login(cid)
        engine.set_state("a", CounsellorState.BREAK)
        engine.counsellor_login("a")
        blocker = engine.offer_call(ROUTE[:1])
        engine.answer(blocker)  # the city's only counsellor is busy
        call = engine.offer_call(ROUTE)
        engine.advance(1_030)
        assert [e for e in events if isinstance(e, RolledOver)][-1].to_hotline_id == "gd"
        assert rings(events)[-1] == (call, "p")
        engine.advance(1_060)  # province step times out while ringing
        assert rings(events)[-1] == (call, "n")
        clock.set(1_070)
        engine.answer(call)
        engine.call_ended(call)
        engine.advance(2_000)
        rec = next(r for r in engine.drain_records() if r.call_id == call)
        assert rec.arrived_at == 1_000
        assert rec.wait_s == 70
        assert [a.result for a in rec.attempts] == [
            StepResult.TIMEOUT,
            StepResult.TIMEOUT,
            StepResult.ANSWERED,
        ]
        assert rec.rollovers == 2
        assert rec.hotline_id == "national"

    def test_unstaffed_steps_are_passed_over_at_once(self) -> None:
        engine, _, events = make([c("n", "national")])
        engine.counsellor_login("n")
        call = engine.offer_call(ROUTE)
        assert rings(events) == [(call, "n")]

    def test_last_resort_after_last_step(self) -> None:
        engine, _, events = make()
        call = engine.offer_call(ROUTE)
        engine.advance(1_299)
        assert engine.call_state(call) is CallState.WAITING  # the last step waits its timeout
        engine.advance(1_300)
        ended = [e for e in events if isinstance(e, CallEnded)]
        assert ended == [CallEnded(1_300, call, Outcome.NO_ANSWER, True)]
        [rec] = engine.drain_records()
        assert rec.last_resort

    def test_abandon_while_ringing_frees_counsellor(self) -> None:
        engine, _, _ = make([c("a")])
        engine.counsellor_login("a")
        call = engine.offer_call(ROUTE)
        engine.caller_hangup(call)
        assert engine.counsellor_state("a") is CounsellorState.AVAILABLE
        [rec] = engine.drain_records()
        assert rec.outcome is Outcome.ABANDONED

    def test_listener_may_call_back_into_engine(self) -> None:
        clock = VirtualClock(0)
        engine: Engine

        def answer_at_once(event: Event) -> None:
            if isinstance(event, Ring):
                engine.answer(event.call_id)

        engine = Engine(
            Directory((CITY, PROV, NAT), (c("a"),)), clock=clock, listener=answer_at_once
        )
        engine.counsellor_login("a")
        call = engine.offer_call(ROUTE)
        assert engine.call_state(call) is CallState.TALKING


# the property: no call is ever lost -----------------------------------------------------------
STAFF = [
    c("a1"),
    c("a2", "gd-sz", "youth"),
    c("p1", "gd", "crisis"),
    c("p2", "gd"),
    c("n1", "national"),
]
ops = st.one_of(
    st.tuples(st.just("offer"), st.integers(0, 3), st.booleans(), st.sampled_from([None, "youth"])),
    st.tuples(
        st.sampled_from(["answer", "reject", "no_answer", "hangup", "ended", "crisis"]),
        st.integers(0, 30),
    ),
    st.tuples(st.sampled_from(["login", "logout", "break"]), st.integers(0, len(STAFF) - 1)),
    st.tuples(st.just("wait"), st.floats(0, 400)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, max_size=60))
def test_no_call_is_ever_lost(script: list[tuple[Any, ...]]) -> None:
    engine, clock, events = make(STAFF, wrapup_s=20, offer_timeout_s=15, skill_wait_s=40)
    offered: list[str] = []
    for op in script:
        kind = op[0]
        try:
            if kind == "offer":
                offered.append(engine.offer_call(ROUTE[op[1] :], crisis=op[2], skill=op[3]))
            elif kind == "wait":
                clock.set(clock.now + op[1])
                engine.advance()
            elif kind in ("login", "logout", "break"):
                cid = STAFF[op[1]].id
                state = {"login": "available", "logout": "offline", "break": "break"}[kind]
                engine.set_state(cid, CounsellorState(state))
            elif offered:
                call = offered[op[1] % len(offered)]
                {
                    "answer": engine.answer,
                    "reject": engine.reject,
                    "no_answer": engine.no_answer,
                    "hangup": engine.caller_hangup,
                    "ended": engine.call_ended,
                    "crisis": engine.mark_crisis,
                }[kind](call)
        except EngineError:
            pass  # an impossible request for this state; it must have changed nothing
        engine.check_invariants()
    # Every caller eventually hangs up or is answered and finishes; then time runs out.
    for call in list(engine.active_call_ids()):
        if engine.call_state(call) is CallState.TALKING:
            engine.call_ended(call)
    for cid in (s.id for s in STAFF):
        engine.set_state(cid, CounsellorState.OFFLINE)
    clock.set(clock.now + 10_000)
    engine.advance()
    engine.check_invariants()
    assert engine.active_call_ids() == []
    records = [e.record for e in events if isinstance(e, Recorded)]
    assert sorted(r.call_id for r in records) == sorted(offered)  # each exactly once
    for r in records:
        assert r.outcome in set(Outcome)
        assert r.wait_s >= 0
        assert r.talk_s >= 0
        assert (r.answered_at is not None) == (r.outcome is Outcome.ANSWERED)
        assert r.last_resort == (r.outcome is Outcome.NO_ANSWER)
        assert r.attempts[0].entered_at == r.arrived_at if r.attempts else r.last_resort


class TestEndedBy:
    """Each record says who ended the call; the SIP front tells the engine."""

    def talking(self) -> tuple[Engine, VirtualClock, str]:
        engine, clock, _ = make([c("a")], wrapup_s=0)
        engine.counsellor_login("a")
        call = engine.offer_call(ROUTE)
        engine.answer(call)
        return engine, clock, call

    @pytest.mark.parametrize("by", list(EndedBy))
    def test_call_ended_says_who(self, by: EndedBy) -> None:
        engine, _, call = self.talking()
        engine.call_ended(call, by=by)
        [rec] = engine.drain_records()
        assert (rec.outcome, rec.ended_by) == (Outcome.ANSWERED, by)

    def test_call_ended_without_saying_who_records_none(self) -> None:
        engine, _, call = self.talking()
        engine.call_ended(call)
        [rec] = engine.drain_records()
        assert rec.ended_by is None

    def test_call_ended_rejects_an_unknown_party(self) -> None:
        engine, _, call = self.talking()
        with pytest.raises(ValueError):
            engine.call_ended(call, by="nobody")
        assert engine.call_state(call) is CallState.TALKING  # nothing changed

    def test_caller_hangup_talking_waiting_ringing(self) -> None:
        engine, _, call = self.talking()
        engine.caller_hangup(call)
        waiting = engine.offer_call(ROUTE)  # "a" is busy until the records drain: it waits
        engine.caller_hangup(waiting)
        recs = engine.drain_records()
        assert [(r.outcome, r.ended_by) for r in recs] == [
            (Outcome.ANSWERED, EndedBy.CALLER),
            (Outcome.ABANDONED, EndedBy.CALLER),
        ]

    def test_system_hangup_in_any_state(self) -> None:
        engine, _, talking = self.talking()
        waiting = engine.offer_call(ROUTE)
        engine.system_hangup(talking)  # "a" is free at once (no wrap-up): rings the waiting one
        assert engine.call_state(waiting) is CallState.RINGING
        engine.system_hangup(waiting)
        assert engine.counsellor_state("a") is CounsellorState.AVAILABLE
        recs = engine.drain_records()
        assert [(r.outcome, r.ended_by) for r in recs] == [
            (Outcome.ANSWERED, EndedBy.SYSTEM),
            (Outcome.ABANDONED, EndedBy.SYSTEM),
        ]

    def test_last_resort_is_ended_by_the_system(self) -> None:
        engine, _, _ = make()
        engine.offer_call(ROUTE)
        engine.advance(1_300)
        [rec] = engine.drain_records()
        assert (rec.outcome, rec.last_resort, rec.ended_by) == (
            Outcome.NO_ANSWER,
            True,
            EndedBy.SYSTEM,
        )


class TestStates:
    def test_logout_while_talking_waits_for_wrapup(self) -> None:
        engine, clock, _ = make([c("a")], wrapup_s=30)
        engine.counsellor_login("a")
        call = engine.offer_call(ROUTE)
        engine.answer(call)
        engine.counsellor_logout("a")
        assert engine.counsellor_state("a") is CounsellorState.TALKING
        clock.set(1_100)
        engine.call_ended(call)
        assert engine.counsellor_state("a") is CounsellorState.WRAPUP
        engine.advance(1_130)
        assert engine.counsellor_state("a") is CounsellorState.OFFLINE
        [rec] = engine.drain_records()
        assert rec.wrapup_s == 30

    def test_break_while_ringing_requeues_and_rolls_over(self) -> None:
        engine, _, events = make([c("a"), c("p", "gd")])
        engine.counsellor_login("a")
        engine.counsellor_login("p")
        call = engine.offer_call(ROUTE)
        assert rings(events)[-1] == (call, "a")
        engine.set_state("a", CounsellorState.BREAK)  # nobody left at the city line
        assert rings(events)[-1] == (call, "p")
        assert engine.status()["gd-sz"] == {"waiting": 0, "available": 0, "staffed": 0}

    def test_expected_wait_grows_with_position(self) -> None:
        engine, _, _ = make([c("n", "national")])
        engine.counsellor_login("n")
        calls = [engine.offer_call(ROUTE[2:]) for _ in range(4)]
        infos = [engine.queue_position(x) for x in calls[1:]]
        assert [i.position for i in infos if i] == [1, 2, 3]
        waits = [i.expected_wait_s for i in infos if i]
        assert waits == sorted(waits)
        assert waits[0] > 0
        assert engine.queue_position(calls[0]) is None  # ringing


def test_open_intervals_merge_round_the_clock_days() -> None:
    from datetime import datetime

    from minsheng.core.timeutil import BEIJING
    from minsheng.hotline.sim.traffic import open_intervals

    start = datetime(2025, 6, 2, tzinfo=BEIJING).timestamp()
    assert open_intervals(NAT, start, 3) == [(start, start + 3 * 86400)]
    night = HotlineInfo("x", "x", Level.CITY, hours=dict.fromkeys(CITY.hours, "08:00-02:00"))
    spans = open_intervals(night, start, 2)
    assert spans == [(start + 8 * 3600, start + 26 * 3600), (start + 32 * 3600, start + 50 * 3600)]

"""The SIP server's call control without SIP: a fake B2BUA and a hand-driven clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsheng.core.errors import InvalidInput
from minsheng.hotline.sip import directory as directory_mod
from minsheng.hotline.sip.acd import AcdSettings, DirectoryCallControl, SeatState, locate
from minsheng.hotline.sip.b2bua import split_called
from minsheng.hotline.sip.control import InboundCall, Party, QueueInfo, SeatOutcome, SeatTarget
from minsheng.hotline.sip.records import SipCallRecord


@dataclass
class FakeSip:
    """Records what the control asked of the B2BUA."""

    rings: list[tuple[str, str]] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    queued: list[tuple[str, int]] = field(default_factory=list)
    ended: list[tuple[str, int]] = field(default_factory=list)

    def ring(self, call_id: str, seat: SeatTarget, ring_timeout_s: float) -> None:
        self.rings.append((call_id, seat.counsellor_id))

    def stop_ringing(self, call_id: str) -> None:
        self.stopped.append(call_id)

    def queued_(self, call_id: str, info: QueueInfo) -> None:
        self.queued.append((call_id, info.position))

    def end(self, call_id: str, code: int, reason: str) -> None:
        self.ended.append((call_id, code))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_directory(*, seats: int = 2, static: bool = True) -> directory_mod.Directory:
    counsellors: list[dict[str, Any]] = []
    for i in range(1, seats + 1):
        row: dict[str, Any] = {"id": f"c{i}", "hotline": "gd", "sip_password": "pw"}
        if static:
            row["contact"] = f"sip:c{i}@127.0.0.1:{6000 + i}"
        counsellors.append(row)
    return directory_mod.load(
        {
            "hotlines": [
                {"id": "sz", "level": "city", "regions": ["440300"], "legacy_numbers": ["0755-1"]},
                {"id": "gd", "level": "province", "regions": ["440000"]},
                {"id": "nat", "level": "national"},
            ],
            "counsellors": counsellors,
        }
    )


def inbound(call_id: str, *, caller: str = "13800138000", called: str = "12356", **kw: Any) -> Any:
    defaults: dict[str, Any] = {
        "caller_source": "from",
        "origin_area": "440300",
        "origin_source": "header",
        "crisis": False,
        "skill": None,
        "arrived_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    defaults.update(kw)
    return InboundCall(call_id=call_id, caller=caller, called=called, **defaults)


def make_control(
    directory: directory_mod.Directory, **settings_kw: Any
) -> tuple[DirectoryCallControl, FakeSip, Clock, list[SipCallRecord]]:
    clock = Clock()
    records: list[SipCallRecord] = []
    control = DirectoryCallControl(
        directory,
        hmac_key=b"k",
        record=records.append,
        settings=AcdSettings(**settings_kw),
        clock=clock,
    )
    fake = FakeSip()
    fake.queued = []
    actions: Any = type(
        "Actions",
        (),
        {
            "ring": lambda _s, c, seat, t: fake.ring(c, seat, t),
            "stop_ringing": lambda _s, c: fake.stop_ringing(c),
            "queued": lambda _s, c, info: fake.queued_(c, info),
            "end": lambda _s, c, code, reason: fake.end(c, code, reason),
        },
    )()
    control.attach(actions)
    return control, fake, clock, records


class TestCalledNumber:
    NUMBERS = frozenset({"12356", "075525629459"})

    @pytest.mark.parametrize(
        ("called", "expected"),
        [
            ("12356", ("12356", "")),
            ("075512356", ("12356", "0755")),
            ("01012356", ("12356", "010")),
            ("0755-25629459", ("075525629459", "")),
            ("12345", None),
            ("9912356", None),
        ],
    )
    def test_split(self, called: str, expected: tuple[str, str] | None) -> None:
        assert split_called(called, self.NUMBERS, True) == expected

    def test_prefix_off(self) -> None:
        assert split_called("075512356", self.NUMBERS, False) is None


class TestLocate:
    def test_area_code_from_the_carrier(self) -> None:
        loc = locate(inbound("a", origin_area="0755"))
        assert (loc.source, loc.province_code, loc.city_code) == ("carrier", "440000", "440300")

    def test_number_when_no_area(self) -> None:
        loc = locate(inbound("a", origin_area=None))
        assert (loc.source, loc.city_code) == ("number", "110100")

    def test_unknown_is_never_refused(self) -> None:
        loc = locate(inbound("a", caller="19912345678", origin_area=None))
        assert loc.source == "unknown"


class TestDirectory:
    def test_needs_a_national_line(self) -> None:
        with pytest.raises(InvalidInput, match="national"):
            directory_mod.load({"hotlines": [{"id": "a", "level": "city"}]})

    def test_names_the_bad_row(self) -> None:
        data = {
            "hotlines": [{"id": "n", "level": "national"}],
            "counsellors": [{"id": "c", "hotline": "nope", "sip_password": "x"}],
        }
        with pytest.raises(InvalidInput, match=r"counsellors\[0\]: unknown hotline") as err:
            directory_mod.load(data)
        assert err.value.field == "hotline"

    def test_seat_needs_a_way_in(self) -> None:
        data = {
            "hotlines": [{"id": "n", "level": "national"}],
            "counsellors": [{"id": "c", "hotline": "n"}],
        }
        with pytest.raises(InvalidInput, match="static contact or a sip_password"):
            directory_mod.load(data)

    def test_numbers_include_legacy(self) -> None:
        assert make_directory().numbers() == frozenset({"12356", "07551"})


class TestQueueing:
    def test_steps_city_province_national_and_rollover(self) -> None:
        control, fake, clock, records = make_control(make_directory(), step_timeout_s=30)
        control.call_arrived(inbound("a"))
        # nobody on the city line: queued there first
        assert fake.rings == [] and fake.queued == [("a", 1)]
        clock.now += 30
        control.tick()
        assert fake.rings == [("a", "c1")]
        control.seat_answered("a", "c1")
        control.call_ended("a", Party.CALLER)
        (rec,) = records
        assert [(s.hotline_id, s.result) for s in rec.steps] == [
            ("sz", "rolled_over"),
            ("gd", "answered"),
        ]
        assert rec.wait_s == 30

    def test_legacy_number_goes_to_its_own_line_first(self) -> None:
        control, _fake, _clock, _records = make_control(make_directory())
        control.call_arrived(inbound("a", called="07551", origin_area="110000"))
        assert control.calls["a"].steps[0].hotline_id == "sz"
        assert control.calls["a"].record.location_source == "legacy_number"

    def test_longest_idle_seat_first(self) -> None:
        control, fake, clock, _records = make_control(make_directory(), step_timeout_s=1)
        control.call_arrived(inbound("a", origin_area="440000"))
        control.seat_answered("a", "c1")
        control.call_ended("a", Party.CALLER)
        clock.now += 100
        control.tick()  # c1 leaves wrap-up now, so c2 has been idle longer
        control.call_arrived(inbound("b", origin_area="440000"))
        assert fake.rings[-1] == ("b", "c2")

    def test_crisis_goes_ahead_also_when_marked_while_waiting(self) -> None:
        control, fake, _clock, records = make_control(make_directory(static=False))
        for cid in ("a", "b", "c"):
            control.call_arrived(inbound(cid, origin_area="440000"))
        control.call_arrived(inbound("d", origin_area="440000", crisis=True))
        assert [w["sip_call_id"] for w in control.waiting_calls()] == ["d", "a", "b", "c"]
        assert control.mark_crisis("c") is True
        assert control.mark_crisis("zzz") is False
        assert [w["sip_call_id"] for w in control.waiting_calls()] == ["d", "c", "a", "b"]
        control.register_contact("c1", SeatTarget("c1", "127.0.0.1", 7000, "c1"), 300)
        assert fake.rings == [("d", "c1")]
        control.seat_failed("d", "c1", SeatOutcome.BUSY)
        # d already tried c1 in this step, so c1 goes to the next crisis call; d gets c2
        control.register_contact("c2", SeatTarget("c2", "127.0.0.1", 7001, "c2"), 300)
        assert fake.rings[1:] == [("c", "c1"), ("d", "c2")]
        assert records == []

    def test_seat_goes_on_break_after_missed_offers(self) -> None:
        control, _fake, _clock, _records = make_control(
            make_directory(seats=1), max_no_answer=2, step_timeout_s=100
        )
        for cid in ("a", "b"):
            control.call_arrived(inbound(cid, origin_area="440000"))
            control.seat_failed(cid, "c1", SeatOutcome.NO_ANSWER)
        assert control.seat_states() == {"c1": str(SeatState.BREAK)}

    def test_last_step_timeout_ends_the_call_with_480(self) -> None:
        control, fake, clock, records = make_control(make_directory(seats=0), step_timeout_s=5)
        control.call_arrived(inbound("a"))
        for _ in range(3):
            clock.now += 5
            control.tick()
        assert fake.ended == [("a", 480)]
        (rec,) = records
        assert (rec.outcome, rec.ended_by) == ("no_answer", "system")
        assert [s.result for s in rec.steps] == ["rolled_over", "rolled_over", "no_answer"]


EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["arrive", "answer", "fail", "hangup", "cancel", "tick", "register"]),
        st.integers(0, 5),
        st.integers(0, 30),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(EVENTS)
def test_no_call_is_ever_lost(events: list[tuple[str, int, int]]) -> None:
    """Whatever happens, every call that arrived ends with exactly one record once time runs
    out, with an outcome of answered, abandoned or no_answer."""
    control, fake, clock, records = make_control(
        make_directory(seats=3, static=False), step_timeout_s=10
    )
    arrived: list[str] = []
    for kind, n, dt in events:
        clock.now += dt / 10
        ringing = [c for c, s in fake.rings if c in control.calls and control.calls[c].seat_id]
        if kind == "arrive":
            cid = f"call{len(arrived)}"
            arrived.append(cid)
            control.call_arrived(inbound(cid, origin_area=["440300", "440000", None][n % 3]))
        elif kind == "register":
            user = f"c{n % 3 + 1}"
            target = SeatTarget(user, "127.0.0.1", 7000 + n, user) if n < 4 else None
            control.register_contact(user, target, 300)
        elif kind == "answer" and ringing:
            cid = ringing[n % len(ringing)]
            control.seat_answered(cid, control.calls[cid].seat_id or "")
        elif kind == "fail" and ringing:
            cid = ringing[n % len(ringing)]
            control.seat_failed(cid, control.calls[cid].seat_id or "", SeatOutcome.BUSY)
        elif kind in ("hangup", "cancel") and control.calls:
            cid = sorted(control.calls)[n % len(control.calls)]
            by = Party.CALLER if kind == "cancel" or n % 2 else Party.COUNSELLOR
            if by == Party.COUNSELLOR and control.calls[cid].answered_at is None:
                by = Party.CALLER
            control.call_ended(cid, by)
        else:
            control.tick()
    # time runs out: every waiting call rolls over to its end; talking calls are hung up
    for _ in range(5):
        clock.now += 10
        control.tick()
    for cid in list(control.calls):
        control.call_ended(cid, Party.CALLER)
    assert sorted(r.sip_call_id for r in records) == sorted(arrived)
    assert {r.outcome for r in records} <= {"answered", "abandoned", "no_answer"}
    for rec in records:
        assert rec.ended_at is not None
        assert (rec.outcome == "answered") == (rec.counsellor_id is not None)

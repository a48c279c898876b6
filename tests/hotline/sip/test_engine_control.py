"""The SIP server's call control on the real engine, without SIP: a fake B2BUA, a virtual clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from minsheng.core.config import Settings
from minsheng.core.errors import InvalidInput
from minsheng.hotline.engine import CallRecord, VirtualClock
from minsheng.hotline.rules.snapshot import CounsellorInfo, Directory, HotlineInfo, Level
from minsheng.hotline.sip import seats as seats_mod
from minsheng.hotline.sip.b2bua import split_called
from minsheng.hotline.sip.control import (
    Credentials,
    InboundCall,
    Party,
    QueueInfo,
    SeatOutcome,
    SeatTarget,
)
from minsheng.hotline.sip.engine_control import EngineCallControl, call_ref
from minsheng.hotline.sip.server import hotline_numbers
from tests.conftest import TEST_SECRET

CONNECTED = datetime(2025, 4, 1, tzinfo=UTC)
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC).timestamp()  # 10:00 in Beijing


@dataclass
class FakeSip:
    rings: list[tuple[str, str, int]] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    queued: list[tuple[str, QueueInfo]] = field(default_factory=list)
    ended: list[tuple[str, int]] = field(default_factory=list)

    def ring(self, call_id: str, seat: SeatTarget, ring_timeout_s: float) -> None:
        self.rings.append((call_id, seat.counsellor_id, seat.port))

    def stop_ringing(self, call_id: str) -> None:
        self.stopped.append(call_id)

    def queued_(self, call_id: str, info: QueueInfo) -> None:
        self.queued.append((call_id, info))

    def end(self, call_id: str, code: int, reason: str) -> None:
        self.ended.append((call_id, code))


class Actions:
    def __init__(self, fake: FakeSip) -> None:
        self.fake = fake

    def ring(self, call_id: str, seat: SeatTarget, ring_timeout_s: float) -> None:
        self.fake.ring(call_id, seat, ring_timeout_s)

    def stop_ringing(self, call_id: str) -> None:
        self.fake.stop_ringing(call_id)

    def queued(self, call_id: str, info: QueueInfo) -> None:
        self.fake.queued_(call_id, info)

    def end(self, call_id: str, code: int, reason: str) -> None:
        self.fake.end(call_id, code, reason)


def directory() -> Directory:
    return Directory(
        hotlines=(
            HotlineInfo(
                "sz", "深圳", Level.CITY, ("440300",), ("0755-25629459",), connected_at=CONNECTED
            ),
            HotlineInfo("gd", "广东", Level.PROVINCE, ("440000",), connected_at=CONNECTED),
            HotlineInfo("nat", "国家", Level.NATIONAL, connected_at=CONNECTED),
        ),
        counsellors=(
            CounsellorInfo("sz1", "sz"),
            CounsellorInfo("gd1", "gd"),
            CounsellorInfo("gd2", "gd"),
        ),
    )


SEATS = [
    {"counsellor_id": "sz1", "sip_password": "pw-sz1"},
    {"counsellor_id": "gd1", "contact": "sip:gd1@127.0.0.1:7001"},
    {"counsellor_id": "gd2", "contact": "sip:gd2@127.0.0.1:7002"},
]


@pytest.fixture
def world(tmp_path: Any) -> tuple[EngineCallControl, FakeSip, VirtualClock, list[CallRecord]]:
    settings = Settings(
        secret_key=TEST_SECRET,
        var_dir=tmp_path,
        hotline_wrapup_s=0,
        hotline_offer_timeout_s=10,
        hotline_step_timeout_s=30,
        hotline_backup_timeout_s=30,
    )
    clock = VirtualClock(START)
    records: list[CallRecord] = []
    book = seats_mod.load(SEATS, {"sz1", "gd1", "gd2"})
    control = EngineCallControl(
        directory(), book, settings=settings, record=records.append, clock=clock
    )
    fake = FakeSip()
    control.attach(Actions(fake))
    return control, fake, clock, records


def inbound(call_id: str, clock: VirtualClock, **kw: Any) -> InboundCall:
    values: dict[str, Any] = {
        "caller": "13800138000",
        "caller_source": "from",
        "called": "12356",
        "origin_area": "0755",
        "origin_source": "called_prefix",
        "crisis": False,
        "skill": None,
        "arrived_at": datetime.fromtimestamp(clock(), UTC),
    }
    values.update(kw)
    return InboundCall(call_id=call_id, **values)


World = tuple[EngineCallControl, FakeSip, VirtualClock, list[CallRecord]]


class TestCalls:
    def test_unstaffed_city_line_then_the_province_answers(self, world: World) -> None:
        control, fake, clock, records = world
        assert control.call_arrived(inbound("a@h", clock)).accepted
        assert fake.rings == [("a@h", "gd1", 7001)]  # shenzhen has nobody logged in
        assert control.seat_answered("a@h", "gd1") is True
        clock.set(START + 42)
        control.call_ended("a@h", Party.CALLER)
        (rec,) = records
        assert (rec.call_id, rec.outcome, rec.counsellor_id) == ("a@h", "answered", "gd1")
        assert [a.hotline_id for a in rec.attempts] == ["sz", "gd"]
        assert rec.talk_s == 42
        assert rec.tag.caller_masked == "138****8000"
        assert rec.tag.location_source == "carrier"
        assert "13800138000" not in repr(rec.tag)

    def test_busy_seat_rests_and_the_next_is_rung(self, world: World) -> None:
        control, fake, clock, _records = world
        control.call_arrived(inbound("a", clock))
        control.seat_failed("a", "gd1", SeatOutcome.BUSY)
        assert [r[1] for r in fake.rings] == ["gd1", "gd2"]
        control.seat_failed("a", "gd1", SeatOutcome.BUSY)  # stale: ignored
        assert [r[1] for r in fake.rings] == ["gd1", "gd2"]
        control.seat_failed("a", "gd2", SeatOutcome.DECLINED)
        assert [r[1] for r in fake.rings] == ["gd1", "gd2"]  # both rest, the call waits
        clock.set(START + 10)  # hotline_offer_retry_delay_s
        control.tick()
        assert [r[1] for r in fake.rings] == ["gd1", "gd2", "gd1"]

    def test_ring_out_is_the_engines_and_a_late_200_is_refused(self, world: World) -> None:
        control, fake, clock, _records = world
        control.call_arrived(inbound("a", clock))
        clock.set(START + 10)
        control.tick()
        assert fake.stopped == ["a"]  # the engine's ring timer CANCELled gd1
        assert fake.rings[-1][:2] == ("a", "gd2")
        assert control.seat_answered("a", "gd1") is False

    def test_legacy_number_and_queue_announcements(self, world: World) -> None:
        control, fake, clock, _records = world
        control.call_arrived(inbound("a", clock, called="075525629459", origin_area=None))
        control.call_arrived(inbound("b", clock))
        control.call_arrived(inbound("c", clock, origin_area=None, caller="02087654321"))
        # a (legacy number of the unstaffed city line → province) and b ring gd1 and gd2;
        # c, from a Guangzhou landline, waits at the province line
        assert [r[:2] for r in fake.rings] == [("a", "gd1"), ("b", "gd2")]
        assert [(q[0], q[1].position) for q in fake.queued] == [("c", 1)]
        assert control.mark_crisis("nope") is False
        (waiting,) = control.waiting_calls()
        assert (waiting["sip_call_id"], waiting["caller"]) == ("c", "020****4321")

    def test_register_logs_in_and_unregister_logs_out(self, world: World) -> None:
        control, fake, clock, records = world
        control.register_contact("sz1", SeatTarget("sz1", "127.0.0.1", 7100, "sz1"), 300)
        assert control.seat_states()["sz1"] == "available"
        control.call_arrived(inbound("a", clock))
        assert fake.rings == [("a", "sz1", 7100)]
        control.seat_failed("a", "sz1", SeatOutcome.NO_ANSWER)
        control.register_contact("sz1", None, 0)
        assert control.seat_states()["sz1"] == "offline"
        # the call left the now unstaffed city line at once for the province
        assert fake.rings[-1][:2] == ("a", "gd1")
        del records

    def test_last_resort_ends_the_call_with_480(self, world: World) -> None:
        control, fake, clock, records = world
        control.register_contact("sz1", SeatTarget("sz1", "127.0.0.1", 7100, "sz1"), 300)
        for cid in ("x", "y", "z"):  # sz1, gd1 and gd2 busy ringing
            control.call_arrived(inbound(cid, clock))
        control.call_arrived(inbound("late", clock))
        for t in range(1, 200):
            clock.set(START + t)
            control.tick()
        assert ("late", 480) in fake.ended
        rec = next(r for r in records if r.call_id == "late")
        assert (rec.outcome, rec.last_resort) == ("no_answer", True)

    def test_crisis_mark_while_waiting(self, world: World) -> None:
        control, fake, clock, _records = world
        for cid in ("a", "b", "c", "d"):
            control.call_arrived(inbound(cid, clock))
        assert [w["sip_call_id"] for w in control.waiting_calls()] == ["c", "d"]
        assert control.mark_crisis("d") is True
        assert [w["sip_call_id"] for w in control.waiting_calls()] == ["d", "c"]
        assert control.waiting_calls()[0]["crisis"] is True
        control.seat_failed("a", "gd1", SeatOutcome.NO_ANSWER)
        clock.set(START + 10)  # gd1 rests, then takes d ahead of a and c, who came earlier
        control.tick()
        assert fake.rings[-1][:2] == ("d", "gd1")

    def test_close_ends_calls_and_flushes_every_record(self, tmp_path: Any) -> None:
        settings = Settings(secret_key=TEST_SECRET, var_dir=tmp_path, hotline_wrapup_s=600)
        clock = VirtualClock(START)
        records: list[CallRecord] = []
        control = EngineCallControl(
            directory(), seats_mod.load(SEATS, {"sz1", "gd1", "gd2"}),
            settings=settings, record=records.append, clock=clock,
        )  # fmt: skip
        fake = FakeSip()
        control.attach(Actions(fake))
        control.call_arrived(inbound("done", clock))
        control.seat_answered("done", "gd1")
        control.call_ended("done", Party.COUNSELLOR)
        assert records == []  # gd1 is in wrap-up: the record waits for its end
        control.call_arrived(inbound("talking", clock))
        control.seat_answered("talking", "gd2")
        control.call_arrived(inbound("waiting", clock))
        control.close()
        assert sorted(r.call_id for r in records) == ["done", "talking", "waiting"]
        assert ("talking", 503) in fake.ended and ("waiting", 503) in fake.ended
        # the counsellor's BYE, then the shutdown's teardown of the calls still up
        assert {r.call_id: str(r.ended_by) for r in records} == {
            "done": "counsellor",
            "talking": "system",
            "waiting": "system",
        }

    def test_who_hung_up_reaches_the_record(self, world: World) -> None:
        control, _fake, clock, records = world
        control.call_arrived(inbound("by-caller", clock))
        control.call_ended("by-caller", Party.CALLER)  # CANCEL while the seat rings
        control.call_arrived(inbound("by-watchdog", clock))
        assert control.seat_answered("by-watchdog", control.ringing["by-watchdog"])
        control.call_ended("by-watchdog", Party.SYSTEM)
        ended = {r.call_id: (str(r.outcome), str(r.ended_by)) for r in records}
        assert ended["by-caller"] == ("abandoned", "caller")
        assert ended["by-watchdog"] == ("answered", "system")

    def test_long_call_ids_are_hashed_for_the_record(self) -> None:
        long_id = "x" * 150 + "@host"
        assert call_ref(long_id).startswith("sha256:")
        assert len(call_ref(long_id)) <= 100
        assert call_ref("short@host") == "short@host"


class TestNumbers:
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

    def test_prefix_can_be_turned_off(self) -> None:
        assert split_called("075512356", self.NUMBERS, False) is None

    def test_directory_numbers(self) -> None:
        assert hotline_numbers(directory()) == frozenset({"12356", "075525629459"})


class TestSeatsFile:
    def test_valid(self) -> None:
        ha1 = Credentials.ha1_of("c2", "12356", "pw-12345")
        book = seats_mod.load(
            [
                {"counsellor_id": "c1", "sip_password": "pw-12345"},
                {"counsellor_id": "c2", "sip_user": "phone-2", "sip_ha1": ha1},
                {"counsellor_id": "c3", "contact": "sip:c3@10.0.0.3;transport=UDP"},
            ],
            {"c1", "c2", "c3"},
        )
        assert book.credentials("phone-2") == Credentials(None, ha1)
        contact = book.by_counsellor["c3"].contact
        assert contact is not None
        assert (contact.host, contact.port, contact.transport) == ("10.0.0.3", 5060, "udp")

    @pytest.mark.parametrize(
        ("rows", "field"),
        [
            ([{"counsellor_id": "zz", "sip_password": "pw-1234"}], "seats[0].counsellor_id"),
            ([{"counsellor_id": "c1"}], "seats[0].sip_password"),
            ([{"counsellor_id": "c1", "sip_ha1": "nothex"}], "seats[0].sip_ha1"),
            ([{"counsellor_id": "c1", "contact": "tel:123"}], "seats[0].contact"),
            ([{"counsellor_id": "c1", "contact": "sip:a@b;transport=tcp"}], "seats[0].contact"),
            (
                [
                    {"counsellor_id": "c1", "sip_password": "pw-1234"},
                    {"counsellor_id": "c2", "sip_user": "c1", "sip_password": "pw-1234"},
                ],
                "seats[1].sip_user",
            ),
            ([{"counsellor_id": "c1", "colour": "red"}], "seats[0]"),
            # a browser seat is a counsellor's, behind the seat front (a static contact)
            (
                [{"counsellor_id": "c1", "sip_password": "pw-1", "browser": True}],
                "seats[0].browser",
            ),
            ([{"counsellor_id": "c1", "contact": "sip:c1@h", "browser": 1}], "seats[0].browser"),
            ([{"supervisor": "s1", "contact": "sip:s1@h", "browser": True}], "seats[0].browser"),
        ],
    )
    def test_refused_with_the_field(self, rows: list[dict[str, Any]], field: str) -> None:
        with pytest.raises(InvalidInput) as err:
            seats_mod.load(rows, {"c1", "c2"})
        assert err.value.field == field


class TestBrowserSeat:
    def test_signed_in_from_the_page_not_when_the_server_starts(self, tmp_path: Any) -> None:
        """A single node: a browser seat waits for 签入 on the staff page (the app forwards it
        as a seat state); a plain static seat is signed in at once."""
        rows = [
            {"counsellor_id": "gd1", "contact": "sip:gd1@127.0.0.1:7001", "browser": True},
            {"counsellor_id": "gd2", "contact": "sip:gd2@127.0.0.1:7002"},
        ]
        book = seats_mod.load(rows, {"sz1", "gd1", "gd2"})
        assert (book.by_counsellor["gd1"].browser, book.by_counsellor["gd2"].browser) == (
            True,
            False,
        )
        settings = Settings(secret_key=TEST_SECRET, var_dir=tmp_path, hotline_wrapup_s=0)
        clock = VirtualClock(START)
        control = EngineCallControl(directory(), book, settings=settings, record=list().append,
                                    clock=clock)  # fmt: skip
        fake = FakeSip()
        control.attach(Actions(fake))
        assert control.seat_states() == {"sz1": "offline", "gd1": "offline", "gd2": "available"}
        assert control.set_seat_state("gd2", "offline") == "offline"
        assert control.set_seat_state("gd1", "available") == "available"  # 签入 on the page
        control.call_arrived(inbound("a", clock, origin_area="020"))
        assert [ring[:2] for ring in fake.rings] == [("a", "gd1")]


class TestMediaViews:
    """What the media mode asks the control: the prompt folder and the spoken queue position."""

    def test_preview_names_the_first_line_and_changes_nothing(self, world: World) -> None:
        control, fake, clock, _records = world
        preview = control.preview(inbound("a", clock))
        assert (preview.hotline_id, preview.local_closed) == ("sz", False)
        assert fake.rings == [] and control.active_calls == 0  # nothing offered yet

    def test_queue_info_follows_the_queue(self, world: World) -> None:
        control, fake, clock, _records = world
        for cid in ("a", "b", "c", "d"):  # a and b ring gd1 and gd2; c and d wait at gd
            control.call_arrived(inbound(cid, clock, origin_area=None, caller="02087654321"))
        assert control.queue_info("a") is None  # ringing, not waiting
        c, d = control.queue_info("c"), control.queue_info("d")
        assert c is not None and d is not None
        assert (c.hotline_id, c.position, d.position) == ("gd", 1, 2)
        assert d.expected_wait_s is not None and d.expected_wait_s > 0
        control.call_ended("c", Party.CALLER)
        d = control.queue_info("d")
        assert d is not None and d.position == 1  # moved up when c hung up
        assert control.queue_info("nope") is None
        assert len(fake.rings) == 2

    def test_handover_facts_give_the_region_and_the_crisis_mark(self, world: World) -> None:
        control, _fake, clock, _records = world
        control.call_arrived(inbound("a", clock, crisis=True))  # origin 0755: Shenzhen
        facts = control.handover_facts("a")
        assert facts is not None
        assert (facts.city_code, facts.province_code, facts.crisis) == ("440300", "440000", True)
        assert control.handover_facts("nope") is None

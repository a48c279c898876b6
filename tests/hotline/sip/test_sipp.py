"""End-to-end SIP tests: ``minsheng hotline sip serve`` between sipp callers and sipp seats.

Each test loads a directory into the test database, starts its own server and sipp instances on
free ports of 127.0.0.1, and checks sipp's exit code (0 only when every call of its scenario went
as scripted), the call records in the database (keyed by the SIP Call-ID) and the SIP detail
records.
"""

from __future__ import annotations

import itertools
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import audit, i18n
from minsheng.hotline.models import SeatState
from minsheng.hotline.sip.control import Credentials
from tests.hotline.sip.conftest import (
    NATIONAL,
    ServerFactory,
    SippFactory,
    free_port,
    hotline,
    static_seat,
)


def counsellor(cid: str, hotline_id: str = "national") -> dict[str, Any]:
    return {"id": cid, "hotline_id": hotline_id}


def one_seat(sip_server: ServerFactory, seat_port: int, **kwargs: Any) -> Any:
    return sip_server([NATIONAL], [counsellor("c1")], [static_seat("c1", seat_port)], **kwargs)


def no_seat(sip_server: ServerFactory, **kwargs: Any) -> Any:
    """Nobody logged in: the only counsellor's softphone never registered."""
    seats = [{"counsellor_id": "c1", "sip_password": "pw-c1"}]
    return sip_server([NATIONAL], [counsellor("c1")], seats, **kwargs)


class TestAnsweredCall:
    def test_caller_hangs_up(self, sip_server: ServerFactory, sipp: SippFactory) -> None:
        seat_port = free_port()
        server = one_seat(sip_server, seat_port)
        seat = sipp("seat_answers", server, port=seat_port)
        caller = sipp.caller(server, hold_ms=300, extra=["-cid_str", "answered-%u@%s"])
        assert caller.wait() == 0, caller.errors()
        assert seat.wait() == 0, seat.errors()
        (record,) = server.wait_records(1)
        assert record["call_ref"] == "answered-1@127.0.0.1"
        assert record["outcome"] == "answered"
        assert (record["hotline_id"], record["counsellor_id"]) == ("national", "c1")
        assert record["caller"] == "138****8000"
        assert record["location_source"] == "number"
        assert record["dialled"] == "12356"
        assert record["talk_s"] >= 0.25
        assert record["ended_by"] == "caller"  # the caller's BYE, in the database
        assert "13800138000" not in json.dumps(record)
        (detail,) = server.details(1)
        assert detail["sip_call_id"] == "answered-1@127.0.0.1"
        assert detail["ended_by"] == "caller"
        assert [(s["counsellor_id"], s["outcome"]) for s in detail["seats"]] == [("c1", "answered")]

    def test_counsellor_hangs_up(self, sip_server: ServerFactory, sipp: SippFactory) -> None:
        seat_port = free_port()
        server = one_seat(sip_server, seat_port)
        seat = sipp("seat_hangs_up", server, port=seat_port, hold_ms=300)
        caller = sipp.caller(server, "caller_hears_bye")
        assert caller.wait() == 0, caller.errors()
        assert seat.wait() == 0, seat.errors()
        (record,) = server.wait_records(1)
        assert record["outcome"] == "answered"
        assert record["talk_s"] >= 0.25
        assert record["ended_by"] == "counsellor"  # the seat's BYE, in the database
        assert server.details(1)[0]["ended_by"] == "counsellor"


class TestCallerGivesUp:
    def test_cancel_while_queued(self, sip_server: ServerFactory, sipp: SippFactory) -> None:
        server = no_seat(sip_server, env={"MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "30"})
        caller = sipp.caller(server, "caller_cancel_queued", hold_ms=300)
        assert caller.wait() == 0, caller.errors()
        (record,) = server.wait_records(1)
        assert record["outcome"] == "abandoned"
        assert record["offers"] == 0
        assert record["attempts"][0]["result"] == "abandoned"
        assert record["ended_by"] == "caller"  # the CANCEL, in the database
        assert server.details(1)[0]["ended_by"] == "caller"

    def test_cancel_while_a_seat_rings(self, sip_server: ServerFactory, sipp: SippFactory) -> None:
        seat_port = free_port()
        server = one_seat(sip_server, seat_port, env={"MINSHENG_HOTLINE_OFFER_TIMEOUT_S": "10"})
        seat = sipp("seat_rings", server, port=seat_port)
        caller = sipp.caller(server, "caller_cancel_ringing", hold_ms=300)
        assert caller.wait() == 0, caller.errors()
        # the B2BUA CANCELs the seat's leg, which the seat scenario requires
        assert seat.wait() == 0, seat.errors()
        (record,) = server.wait_records(1)
        assert (record["outcome"], record["offers"], record["ended_by"]) == (
            "abandoned",
            1,
            "caller",
        )
        assert [s["outcome"] for s in server.details(1)[0]["seats"]] == ["cancelled"]


class TestSeatHunting:
    def two_seats(self, sip_server: ServerFactory, p1: int, p2: int) -> Any:
        return sip_server(
            [NATIONAL],
            [counsellor("c1"), counsellor("c2")],
            [static_seat("c1", p1), static_seat("c2", p2)],
            env={"MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "10"},
        )

    def test_seat_that_never_answers_is_skipped(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        p1, p2 = free_port(), free_port()
        server = self.two_seats(sip_server, p1, p2)
        ringing = sipp("seat_rings", server, port=p1)
        answering = sipp("seat_answers", server, port=p2)
        caller = sipp.caller(server, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert ringing.wait() == 0, ringing.errors()
        assert answering.wait() == 0, answering.errors()
        (record,) = server.wait_records(1)
        assert (record["counsellor_id"], record["offers"]) == ("c2", 2)
        assert record["wait_s"] >= 0.9  # c1 rang for its whole ring time first
        seats = [(s["counsellor_id"], s["outcome"]) for s in server.details(1)[0]["seats"]]
        assert seats == [("c1", "no_answer"), ("c2", "answered")]

    def test_busy_seat_is_skipped(self, sip_server: ServerFactory, sipp: SippFactory) -> None:
        p1, p2 = free_port(), free_port()
        server = self.two_seats(sip_server, p1, p2)
        busy = sipp("seat_busy", server, port=p1)
        answering = sipp("seat_answers", server, port=p2)
        caller = sipp.caller(server, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert busy.wait() == 0, busy.errors()
        assert answering.wait() == 0, answering.errors()
        (record,) = server.wait_records(1)
        assert (record["counsellor_id"], record["offers"]) == ("c2", 2)
        seats = server.details(1)[0]["seats"]
        assert [(s["outcome"], s.get("sip_code")) for s in seats] == [
            ("busy", 486),
            ("answered", 200),
        ]

    def test_unreachable_seat_is_skipped(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        # The dead seat's port stays bound to a socket that never replies (a phone gone off the
        # network), so that nothing else started meanwhile (a sipp's media socket, another
        # server) can take the port and answer for it, as a freed port could be.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
            silent.bind(("127.0.0.1", 0))
            dead, p2 = int(silent.getsockname()[1]), free_port()
            server = self.two_seats(sip_server, dead, p2)
            answering = sipp("seat_answers", server, port=p2)
            caller = sipp.caller(server, hold_ms=100)
            assert caller.wait() == 0, caller.errors()
            assert answering.wait() == 0, answering.errors()
        server.wait_records(1)
        seats = server.details(1)[0]["seats"]
        assert [s["outcome"] for s in seats] == ["unreachable", "answered"]


class TestRollover:
    def test_city_line_with_nobody_logged_in_rolls_over_to_the_province(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        province_seat = free_port()
        server = sip_server(
            [
                hotline("shenzhen", "city", ["440300"], legacy_numbers=["0755-25629459"]),
                hotline("guangdong", "province", ["440000"]),
                NATIONAL,
            ],
            [counsellor("sz1", "shenzhen"), counsellor("gd1", "guangdong")],
            [
                {"counsellor_id": "sz1", "sip_password": "pw-sz1"},  # never registers
                static_seat("gd1", province_seat),
            ],
        )
        seat = sipp("seat_answers", server, port=province_seat, calls=2)
        # a Beijing mobile calling from Shenzhen: the area code dialled in front decides
        caller = sipp.caller(server, service="075512356", hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        # the old local number of the Shenzhen line still works and goes there first
        legacy = sipp.caller(server, service="075525629459", hold_ms=100)
        assert legacy.wait() == 0, legacy.errors()
        assert seat.wait() == 0, seat.errors()
        first, second = server.wait_records(2)
        assert (first["location_source"], first["city_code"]) == ("carrier", "440300")
        assert [(a["hotline_id"], a["result"]) for a in first["attempts"]] == [
            ("shenzhen", "unstaffed"),
            ("guangdong", "answered"),
        ]
        assert (first["hotline_id"], first["rollovers"]) == ("guangdong", 1)
        assert second["location_source"] == "legacy_number"
        assert second["attempts"][0]["hotline_id"] == "shenzhen"
        assert second["hotline_id"] == "guangdong"

    def test_nobody_anywhere_ends_with_480_and_a_record(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        server = no_seat(sip_server, env={"MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "1"})
        caller = sipp.caller(server, "caller_unanswered")
        assert caller.wait() == 0, caller.errors()
        (record,) = server.wait_records(1)
        assert (record["outcome"], record["last_resort"]) == ("no_answer", True)
        assert record["ended_by"] == "system"
        (detail,) = server.details(1)
        assert (detail["ended_by"], detail["final_code"]) == ("system", 480)


class TestRegistration:
    def test_softphone_registers_with_digest_and_takes_the_call(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        phone_port = free_port()
        ha1 = Credentials.ha1_of("c9", "12356", "s3cret")
        server = sip_server(
            [NATIONAL], [counsellor("c9")], [{"counsellor_id": "c9", "sip_ha1": ha1}]
        )
        keys = {"contact_port": str(phone_port), "expires": "300"}
        wrong = sipp("register", server, service="c9", keys=keys, extra=["-au", "c9", "-ap", "no"])
        assert wrong.wait() != 0  # 403, not the 200 the scenario wants
        register = sipp(
            "register", server, service="c9", keys=keys, extra=["-au", "c9", "-ap", "s3cret"]
        )
        assert register.wait() == 0, register.errors()
        phone = sipp("seat_answers", server, port=phone_port)
        caller = sipp.caller(server, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert phone.wait() == 0, phone.errors()
        (record,) = server.wait_records(1)
        assert record["counsellor_id"] == "c9"
        # logging out (Expires: 0) takes the seat out of the queue: the next call waits
        keys["expires"] = "0"
        logout = sipp(
            "register", server, service="c9", keys=keys, extra=["-au", "c9", "-ap", "s3cret"]
        )
        assert logout.wait() == 0, logout.errors()
        queued = sipp.caller(server, "caller_cancel_queued", hold_ms=200)
        assert queued.wait() == 0, queued.errors()
        # What the phone did is the seat's history (compliance is computed from it): signed in
        # by REGISTER, talking, wrap-up, free again, signed out by the unREGISTER.
        states = wait_for(lambda: _ended_offline(seat_states(server.sessions, "c9")), 10.0)
        assert [s.state for s in states] == [
            "available",
            "talking",
            "wrapup",
            "available",
            "offline",
        ]
        assert {s.source for s in states} == {"sip"}
        assert all(a.to_at == b.from_at for a, b in itertools.pairwise(states))
        assert states[-1].to_at is None
        talking = states[1]
        assert talking.to_at is not None
        assert (talking.to_at - talking.from_at).total_seconds() >= 0.09  # the 100 ms call


class TestCrisis:
    def test_crisis_header_is_recorded(self, sip_server: ServerFactory, sipp: SippFactory) -> None:
        seat_port = free_port()
        server = one_seat(sip_server, seat_port)
        seat = sipp("seat_answers", server, port=seat_port)
        caller = sipp.caller(server, crisis=True, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert seat.wait() == 0, seat.errors()
        (record,) = server.wait_records(1)
        assert record["crisis"] is True

    def test_staff_mark_a_waiting_call_as_crisis(
        self,
        sip_server: ServerFactory,
        sipp: SippFactory,
        staff_token: Callable[[str], dict[str, str]],
        session_factory: sessionmaker[Session],
    ) -> None:
        server = no_seat(sip_server, control=True, env={"MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "30"})
        base = f"http://127.0.0.1:{server.control_port}"
        token = staff_token("hotline")["Authorization"].removeprefix("Bearer ")
        caller = sipp.caller(
            server, "caller_cancel_queued", hold_ms=2500, extra=["-cid_str", "waiting-%u@%s"]
        )

        def waiting() -> list[dict[str, Any]]:
            status, body = _http("GET", f"{base}/status", token)
            assert status == 200
            return list(body["waiting"])

        (entry,) = wait_for(waiting)
        assert (entry["sip_call_id"], entry["caller"]) == ("waiting-1@127.0.0.1", "138****8000")
        assert entry["crisis"] is False
        url = f"{base}/calls/waiting-1@127.0.0.1/crisis"
        assert _http("POST", url, None)[0] == 401
        clerk = staff_token("certification")["Authorization"].removeprefix("Bearer ")
        assert _http("POST", url, clerk)[0] == 403
        assert _http("POST", f"{base}/calls/nope@127.0.0.1/crisis", token)[0] == 404
        # a path the node does not serve: the same error body as every other (Chinese message)
        for method in ("GET", "POST"):
            status, body = _http(method, f"{base}/nowhere", token)
            assert (status, body["error"], body["field"]) == (404, "NotFound", "path")
            assert body["message"] == i18n.error_message("NotFound", 404)
        status, body = _http("POST", url, token)
        assert (status, body["crisis"]) == (200, True)
        assert waiting()[0]["crisis"] is True
        assert caller.wait() == 0, caller.errors()
        (record,) = server.wait_records(1)
        assert (record["crisis"], record["outcome"]) == (True, "abandoned")
        with session_factory() as session:
            actions = [e.action for e in audit.list_entries(session, table="hotline_sip_call")]
        assert actions == ["hotline.sip.crisis"]


class TestRobustness:
    def test_malformed_messages_then_a_good_call(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        seat_port = free_port()
        server = one_seat(sip_server, seat_port)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(1.0)
        sock.bind(("127.0.0.1", 0))
        me = sock.getsockname()[1]
        sock.sendto(b"\x00\xffnot SIP at all, just bytes on the wire\r\n\r\n" * 3,
                    ("127.0.0.1", server.port))  # fmt: skip
        no_contact = (
            f"INVITE sip:12356@127.0.0.1:{server.port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-bad-1\r\n"
            "From: <sip:13800138000@127.0.0.1>;tag=bad1\r\n"
            f"To: <sip:12356@127.0.0.1:{server.port}>\r\n"
            "Call-ID: malformed-1@127.0.0.1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()
        sock.sendto(no_contact, ("127.0.0.1", server.port))
        reply, _ = sock.recvfrom(4096)
        assert reply.startswith(b"SIP/2.0 400")
        bad_cseq = no_contact.replace(b"CSeq: 1 INVITE", b"CSeq: banana").replace(
            b"malformed-1", b"malformed-2"
        )
        sock.sendto(bad_cseq, ("127.0.0.1", server.port))
        try:
            reply, _ = sock.recvfrom(4096)
            assert reply.startswith(b"SIP/2.0 400")
        except TimeoutError:
            pass  # dropped is acceptable too
        wrong_number = no_contact.replace(b"INVITE sip:12356", b"INVITE sip:110").replace(
            b"Max-Forwards", b"Contact: <sip:x@127.0.0.1:9>\r\nMax-Forwards"
        )
        sock.sendto(wrong_number, ("127.0.0.1", server.port))
        reply, _ = sock.recvfrom(4096)
        assert reply.startswith(b"SIP/2.0 404")
        sock.close()
        seat = sipp("seat_answers", server, port=seat_port)
        caller = sipp.caller(server, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert seat.wait() == 0, seat.errors()
        assert server.process.poll() is None
        assert len(server.wait_records(1)) == 1

    def test_restart_keeps_every_finished_call(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        seat_port = free_port()
        # a long wrap-up keeps finished calls' records in the engine until the stop flushes them
        server = one_seat(
            sip_server,
            seat_port,
            env={
                "MINSHENG_HOTLINE_WRAPUP_S": "600",
                "MINSHENG_HOTLINE_SIP_RECORD_WRITER": "process",
            },
        )
        seat = sipp("seat_answers", server, port=seat_port)
        caller = sipp.caller(server, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert seat.wait() == 0, seat.errors()
        assert server.records() == []  # the counsellor is in wrap-up
        assert "1 call records written, 0 lost" in server.stop()
        restarted = sip_server.start(
            [static_seat("c1", seat_port)],
            port=server.port,
            env={"MINSHENG_HOTLINE_SIP_RECORD_WRITER": "process"},
        )
        seat = sipp("seat_answers", restarted, port=seat_port)
        caller = sipp.caller(restarted, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert seat.wait() == 0, seat.errors()
        records = restarted.wait_records(2, timeout=40)
        assert [r["outcome"] for r in records] == ["answered", "answered"]
        assert records[0]["wrapup_s"] > 0


class TestLoad:
    def test_a_thousand_calls_without_a_failure(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        seat_port = free_port()
        ids = [f"c{i:02d}" for i in range(30)]
        # production-like ring and step times: the short test timers would turn the latency of
        # a loaded machine into ring-outs
        server = sip_server(
            [NATIONAL],
            [counsellor(c) for c in ids],
            [static_seat(c, seat_port) for c in ids],
            env={
                "MINSHENG_HOTLINE_OFFER_TIMEOUT_S": "20",
                "MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "60",
                "MINSHENG_HOTLINE_SIP_NO_REPLY_S": "2",
                "MINSHENG_HOTLINE_SIP_RECORD_WRITER": "process",
            },
        )
        seats = sipp("seat_answers", server, port=seat_port, calls=1000)
        callers = sipp.caller(server, calls=1000, rate=100, extra=["-l", "100"])
        assert callers.wait(timeout=150) == 0, callers.errors()
        assert seats.wait(timeout=30) == 0, seats.errors()
        records = server.wait_records(1000, timeout=20)
        assert len(records) == 1000
        assert {r["outcome"] for r in records} == {"answered"}
        assert len(server.details(1000, timeout=30)) == 1000
        assert len({r["call_ref"] for r in records}) == 1000


def seat_states(sessions: sessionmaker[Session], counsellor_id: str) -> list[SeatState]:
    with sessions() as session:
        return list(
            session.scalars(
                select(SeatState)
                .where(SeatState.counsellor_id == counsellor_id)
                .order_by(SeatState.from_at, SeatState.id)
            )
        )


def _ended_offline(states: list[SeatState]) -> list[SeatState] | None:
    return states if states and states[-1].state == "offline" else None


def _http(method: str, url: str, token: str | None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")

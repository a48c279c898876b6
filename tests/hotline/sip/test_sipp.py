"""End-to-end SIP tests: ``minsheng hotline sip serve`` between sipp callers and sipp seats.

Each test starts its own server and sipp instances on free ports of 127.0.0.1; sipp's exit code
is 0 only when every call of its scenario went as scripted, and the call records the server wrote
are checked field by field.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import audit
from minsheng.core.config import Settings
from tests.hotline.sip.conftest import ServerFactory, SippFactory, directory, free_port

NATIONAL = {"id": "national", "level": "national"}


def seat(cid: str, port: int, hotline: str = "national") -> dict[str, Any]:
    return {"id": cid, "hotline": hotline, "contact": f"sip:{cid}@127.0.0.1:{port}"}


def one_seat_server(sip_server: ServerFactory, seat_port: int, **kwargs: Any) -> Any:
    return sip_server(directory([NATIONAL], [seat("c1", seat_port)]), **kwargs)


class TestAnsweredCall:
    def test_caller_hangs_up(self, sip_server: ServerFactory, sipp: SippFactory) -> None:
        seat_port = free_port()
        server = one_seat_server(sip_server, seat_port)
        counsellor = sipp("seat_answers", server, port=seat_port)
        caller = sipp.caller(server, hold_ms=200, extra=["-cid_str", "answered-%u@%s"])
        assert caller.wait() == 0, caller.errors()
        assert counsellor.wait() == 0, counsellor.errors()
        (record,) = server.wait_records(1)
        assert record["sip_call_id"] == "answered-1@127.0.0.1"
        assert record["outcome"] == "answered"
        assert record["ended_by"] == "caller"
        assert record["counsellor_id"] == "c1"
        assert record["hotline_id"] == "national"
        assert record["caller_masked"] == "138****8000"
        assert "13800138000" not in json.dumps(record)
        assert record["talk_s"] >= 0.15
        assert [s["outcome"] for s in record["seats"]] == ["answered"]

    def test_counsellor_hangs_up(self, sip_server: ServerFactory, sipp: SippFactory) -> None:
        seat_port = free_port()
        server = one_seat_server(sip_server, seat_port)
        counsellor = sipp("seat_hangs_up", server, port=seat_port, hold_ms=200)
        caller = sipp.caller(server, "caller_hears_bye")
        assert caller.wait() == 0, caller.errors()
        assert counsellor.wait() == 0, counsellor.errors()
        (record,) = server.wait_records(1)
        assert record["outcome"] == "answered"
        assert record["ended_by"] == "counsellor"


class TestCallerGivesUp:
    def test_cancel_while_queued(self, sip_server: ServerFactory, sipp: SippFactory) -> None:
        # the only counsellor has a softphone that never registered: nobody is logged in
        offline = {"id": "c1", "hotline": "national", "sip_password": "pw"}
        server = sip_server(directory([NATIONAL], [offline]))
        caller = sipp.caller(server, "caller_cancel_queued", hold_ms=300)
        assert caller.wait() == 0, caller.errors()
        (record,) = server.wait_records(1)
        assert record["outcome"] == "abandoned"
        assert record["ended_by"] == "caller"
        assert record["seats"] == []
        assert record["steps"][0]["result"] == "abandoned"

    def test_cancel_while_a_seat_rings(self, sip_server: ServerFactory, sipp: SippFactory) -> None:
        seat_port = free_port()
        server = one_seat_server(
            sip_server, seat_port, env={"MINSHENG_HOTLINE_OFFER_TIMEOUT_S": "10"}
        )
        counsellor = sipp("seat_rings", server, port=seat_port)
        caller = sipp.caller(server, "caller_cancel_ringing", hold_ms=300)
        assert caller.wait() == 0, caller.errors()
        # the B2BUA CANCELs the seat's leg, which the seat scenario requires
        assert counsellor.wait() == 0, counsellor.errors()
        (record,) = server.wait_records(1)
        assert record["outcome"] == "abandoned"
        assert [s["outcome"] for s in record["seats"]] == ["cancelled"]


class TestSeatHunting:
    def test_seat_that_never_answers_is_skipped(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        p1, p2 = free_port(), free_port()
        server = sip_server(directory([NATIONAL], [seat("c1", p1), seat("c2", p2)]))
        ringing = sipp("seat_rings", server, port=p1)
        answering = sipp("seat_answers", server, port=p2)
        caller = sipp.caller(server, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert ringing.wait() == 0, ringing.errors()
        assert answering.wait() == 0, answering.errors()
        (record,) = server.wait_records(1)
        assert [(s["counsellor_id"], s["outcome"]) for s in record["seats"]] == [
            ("c1", "no_answer"),
            ("c2", "answered"),
        ]
        assert record["counsellor_id"] == "c2"

    def test_busy_seat_is_skipped(self, sip_server: ServerFactory, sipp: SippFactory) -> None:
        p1, p2 = free_port(), free_port()
        server = sip_server(directory([NATIONAL], [seat("c1", p1), seat("c2", p2)]))
        busy = sipp("seat_busy", server, port=p1)
        answering = sipp("seat_answers", server, port=p2)
        caller = sipp.caller(server, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert busy.wait() == 0, busy.errors()
        assert answering.wait() == 0, answering.errors()
        (record,) = server.wait_records(1)
        assert [(s["counsellor_id"], s["outcome"]) for s in record["seats"]] == [
            ("c1", "busy"),
            ("c2", "answered"),
        ]

    def test_unreachable_seat_is_skipped(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        dead, p2 = free_port(), free_port()  # nothing listens on ``dead``
        server = sip_server(directory([NATIONAL], [seat("c1", dead), seat("c2", p2)]))
        answering = sipp("seat_answers", server, port=p2)
        caller = sipp.caller(server, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert answering.wait() == 0, answering.errors()
        (record,) = server.wait_records(1)
        assert [s["outcome"] for s in record["seats"]] == ["unreachable", "answered"]


class TestRollover:
    def test_city_line_with_nobody_logged_in_rolls_over_to_the_province(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        province_seat = free_port()
        data = directory(
            [
                {"id": "shenzhen", "level": "city", "regions": ["440300"]},
                {"id": "guangdong", "level": "province", "regions": ["440000"]},
                NATIONAL,
            ],
            [
                {"id": "sz1", "hotline": "shenzhen", "sip_password": "pw"},  # not registered
                seat("gd1", province_seat, "guangdong"),
            ],
        )
        server = sip_server(data, env={"MINSHENG_HOTLINE_STEP_TIMEOUT_S": "1"})
        counsellor = sipp("seat_answers", server, port=province_seat)
        # a Beijing mobile calling from Shenzhen: the area code dialled in front decides
        caller = sipp.caller(server, service="075512356", hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert counsellor.wait() == 0, counsellor.errors()
        (record,) = server.wait_records(1)
        assert record["location_source"] == "carrier"
        assert record["city_code"] == "440300"
        assert [(s["hotline_id"], s["result"]) for s in record["steps"]] == [
            ("shenzhen", "rolled_over"),
            ("guangdong", "answered"),
        ]
        assert record["hotline_id"] == "guangdong"
        assert record["wait_s"] >= 0.9  # the arrival time survives the rollover

    def test_nobody_anywhere_ends_with_480_and_a_record(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        offline = {"id": "c1", "hotline": "national", "sip_password": "pw"}
        server = sip_server(
            directory([NATIONAL], [offline]), env={"MINSHENG_HOTLINE_STEP_TIMEOUT_S": "1"}
        )
        caller = sipp.caller(server, "caller_unanswered")
        assert caller.wait() == 0, caller.errors()
        (record,) = server.wait_records(1)
        assert record["outcome"] == "no_answer"
        assert record["ended_by"] == "system"


class TestRegistration:
    def test_softphone_registers_with_digest_and_takes_the_call(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        phone_port = free_port()
        softphone = {"id": "c9", "hotline": "national", "sip_user": "c9", "sip_password": "s3cret"}
        server = sip_server(directory([NATIONAL], [softphone]))
        wrong = sipp(
            "register", server, service="c9",
            keys={"contact_port": str(phone_port), "expires": "300"},
            extra=["-au", "c9", "-ap", "wrong"],
        )  # fmt: skip
        assert wrong.wait() != 0  # 403, not the 200 the scenario wants
        register = sipp(
            "register", server, service="c9",
            keys={"contact_port": str(phone_port), "expires": "300"},
            extra=["-au", "c9", "-ap", "s3cret"],
        )  # fmt: skip
        assert register.wait() == 0, register.errors()
        phone = sipp("seat_answers", server, port=phone_port)
        caller = sipp.caller(server, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert phone.wait() == 0, phone.errors()
        (record,) = server.wait_records(1)
        assert record["counsellor_id"] == "c9"


class TestCrisis:
    def test_crisis_header_is_recorded(self, sip_server: ServerFactory, sipp: SippFactory) -> None:
        seat_port = free_port()
        server = one_seat_server(sip_server, seat_port)
        counsellor = sipp("seat_answers", server, port=seat_port)
        caller = sipp.caller(server, crisis=True, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert counsellor.wait() == 0, counsellor.errors()
        (record,) = server.wait_records(1)
        assert record["crisis"] is True
        assert record["crisis_source"] == "header"


class TestStaffEndpoint:
    def test_staff_mark_a_waiting_call_as_crisis(
        self,
        sip_server: ServerFactory,
        sipp: SippFactory,
        settings: Settings,
        staff_token: Callable[[str], dict[str, str]],
        session_factory: sessionmaker[Session],
    ) -> None:
        offline = {"id": "c1", "hotline": "national", "sip_password": "pw"}
        server = sip_server(
            directory([NATIONAL], [offline]),
            control=True,
            env={
                "MINSHENG_DATABASE_URL": settings.effective_database_url,
                "MINSHENG_HOTLINE_STEP_TIMEOUT_S": "30",
            },
        )
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
        assert entry["sip_call_id"] == "waiting-1@127.0.0.1"
        assert entry["caller"] == "138****8000"
        assert entry["crisis"] is False
        assert _http("POST", f"{base}/calls/waiting-1@127.0.0.1/crisis", None)[0] == 401
        clerk = staff_token("certification")["Authorization"].removeprefix("Bearer ")
        assert _http("POST", f"{base}/calls/waiting-1@127.0.0.1/crisis", clerk)[0] == 403
        assert _http("POST", f"{base}/calls/nope@127.0.0.1/crisis", token)[0] == 404
        status, body = _http("POST", f"{base}/calls/waiting-1@127.0.0.1/crisis", token)
        assert (status, body["crisis"]) == (200, True)
        assert waiting()[0]["crisis"] is True
        assert caller.wait() == 0, caller.errors()
        (record,) = server.wait_records(1)
        assert (record["crisis"], record["crisis_source"]) == (True, "staff")
        assert record["outcome"] == "abandoned"
        with session_factory() as session:
            actions = [e.action for e in audit.list_entries(session, table="hotline_sip_call")]
        assert actions == ["hotline.sip.crisis"]


class TestRobustness:
    def test_malformed_messages_then_a_good_call(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        seat_port = free_port()
        server = one_seat_server(sip_server, seat_port)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(1.0)
        sock.bind(("127.0.0.1", 0))
        me = sock.getsockname()[1]
        garbage = b"\x00\xffthis is not SIP at all, just bytes on the wire\r\n\r\n" * 3
        sock.sendto(garbage, ("127.0.0.1", server.port))
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
        sock.close()
        counsellor = sipp("seat_answers", server, port=seat_port)
        caller = sipp.caller(server, hold_ms=100)
        assert caller.wait() == 0, caller.errors()
        assert counsellor.wait() == 0, counsellor.errors()
        assert server.process.poll() is None
        assert len(server.wait_records(1)) == 1

    def test_restart_keeps_every_finished_call(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        seat_port = free_port()
        server = one_seat_server(sip_server, seat_port)
        counsellor = sipp("seat_answers", server, port=seat_port, calls=20)
        caller = sipp.caller(server, calls=20, rate=50)
        assert caller.wait() == 0, caller.errors()
        assert counsellor.wait() == 0, counsellor.errors()
        # stop at once, without waiting for the writer: the shutdown must drain it
        server.stop()
        restarted = one_seat_server(sip_server, seat_port, port=server.port)
        counsellor = sipp("seat_answers", restarted, port=seat_port)
        caller = sipp.caller(restarted)
        assert caller.wait() == 0, caller.errors()
        assert counsellor.wait() == 0, counsellor.errors()
        records = restarted.wait_records(21)
        assert len(records) == 21
        assert all(r["outcome"] == "answered" for r in records)


class TestLoad:
    def test_a_thousand_calls_without_a_failure(
        self, sip_server: ServerFactory, sipp: SippFactory
    ) -> None:
        seat_port = free_port()
        counsellors = [seat(f"c{i}", seat_port) for i in range(30)]
        server = sip_server(directory([NATIONAL], counsellors))
        seats = sipp("seat_answers", server, port=seat_port, calls=1000)
        callers = sipp.caller(server, calls=1000, rate=150, extra=["-l", "100"])
        assert callers.wait(timeout=90) == 0, callers.errors()
        assert seats.wait(timeout=30) == 0, seats.errors()
        records = server.wait_records(1000, timeout=20)
        assert len(records) == 1000
        assert {r["outcome"] for r in records} == {"answered"}
        assert len({r["sip_call_id"] for r in records}) == 1000


def _http(method: str, url: str, token: str | None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def wait_for(predicate: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")

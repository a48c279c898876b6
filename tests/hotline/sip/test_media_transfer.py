"""Hand-over to 120: a counsellor's call handed to a stand-in emergency service that connects.

The staff endpoint's ``POST /calls/{id}/transfer`` INVITEs the region's gateway (a sipp stand-in
that checks the caller's location and crisis headers), and when it answers rtpengine's seat side
is pointed at it and the counsellor's leg is ended: the caller is now talking to 120. sipp as the
caller, the counsellor's seat and 120; a real rtpengine.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import audit
from minsheng.hotline.sip.transfer import Gateways
from tests.hotline.sip.conftest import NATIONAL, ServerFactory, SippFactory, free_port, static_seat
from tests.hotline.sip.media_support import Rtpengine, media_env, wait_for


def _http(method: str, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


class TestGateways:
    def test_city_then_province_then_everywhere(self) -> None:
        gateways = Gateways.parse(
            json.dumps(
                {
                    "440300": {"120": "sip:120@10.0.0.3:5070"},
                    "440000": {"120": "sip:120@10.0.0.4", "110": "sip:110@10.0.0.5"},
                    "*": {"119": "sip:fire@10.0.0.9:5999"},
                }
            )
        )
        sz = gateways.lookup("120", "440300", "440000")
        assert sz is not None and (sz.host, sz.port, sz.user) == ("10.0.0.3", 5070, "120")
        gz = gateways.lookup("120", "440100", "440000")
        assert gz is not None and (gz.host, gz.port) == ("10.0.0.4", 5060)
        fire = gateways.lookup("119", None, None)
        assert fire is not None and fire.user == "fire"
        assert gateways.lookup("110", "110000", "110000") is None

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("[1]", "object"),
            ('{"4403": {}}', "region code"),
            ('{"*": {"999": "sip:x@y"}}', "110, 119 or 120"),
            ('{"*": {"120": "http://x"}}', "not a SIP address"),
            ("{", "not JSON"),
        ],
    )
    def test_bad_settings_are_named(self, text: str, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            Gateways.parse(text)


class TestHandOver:
    def test_counsellor_hands_the_caller_to_120(
        self,
        sip_server: ServerFactory,
        sipp: SippFactory,
        rtpengine: Rtpengine,
        staff_token: Callable[[str], dict[str, str]],
        session_factory: sessionmaker[Session],
    ) -> None:
        seat_port, gateway_port = free_port(), free_port()
        gateways = {"440300": {"120": f"sip:120@127.0.0.1:{gateway_port}"}}
        server = sip_server(
            [NATIONAL],
            [{"id": "c1", "hotline_id": "national"}],
            [static_seat("c1", seat_port)],
            env={
                **media_env(rtpengine, None),
                "MINSHENG_HOTLINE_EMERGENCY_GATEWAYS": json.dumps(gateways),
            },
            control=True,
        )
        token = staff_token("hotline")["Authorization"].removeprefix("Bearer ")
        base = f"http://127.0.0.1:{server.control_port}"
        seat = sipp("seat_answers", server, port=seat_port)  # the counsellor is BYE'd at hand-over
        emergency = sipp(
            "emergency_answers", server, port=gateway_port, hold_ms=500, extra=["-trace_logs"]
        )
        caller = sipp.caller(  # a Shenzhen caller marked crisis, who stays until BYE
            server, "caller_hears_bye", origin="0755", crisis=True, extra=["-cid_str", "xfer-%u"]
        )

        def talking() -> bool:
            return bool(_http("GET", f"{base}/status", token)[1]["seats"]["c1"] == "talking")

        assert wait_for(talking)
        assert _http("POST", f"{base}/calls/nope/transfer", token, {"to": "120"})[0] == 404
        status, body = _http("POST", f"{base}/calls/xfer-1/transfer", token, {"to": "999"})
        assert (status, body["field"]) == (422, "to")
        status, body = _http("POST", f"{base}/calls/xfer-1/transfer", token, {"to": "120"})
        assert (status, body["to"]) == (200, "120")
        assert seat.wait() == 0, seat.errors()  # the counsellor left
        assert emergency.wait() == 0, emergency.errors()  # 120 got location + crisis, answered
        logged = "".join(p.read_text() for p in emergency.workdir.glob("*_logs.log"))
        assert "location=440300 crisis=1" in logged  # Shenzhen (area code 0755), crisis
        assert caller.wait() == 0, caller.errors()  # and the caller talked to 120 until its BYE
        assert wait_for(lambda: len(server.details()) == 1)
        (detail,) = server.details()
        transfer = detail["transfer"]
        assert (transfer["to"], transfer["connected"], transfer["sip_code"]) == ("120", True, 200)
        assert transfer["by"].startswith("user:")
        assert wait_for(lambda: rtpengine.calls() == [])
        (record,) = server.wait_records(1)
        assert (record["outcome"], record["crisis"]) == ("answered", True)
        with session_factory() as session:
            actions = [e.action for e in audit.list_entries(session, table="hotline_sip_call")]
        assert actions == ["hotline.sip.transfer"]


@pytest.fixture
def hold_only(tmp_path: Path, default_prompts: Path) -> Path:
    """Prompts with only the hold prompt: no greeting, so the call reaches the seat at once."""
    root = tmp_path / "hold-prompts"
    (root / "default").mkdir(parents=True)
    shutil.copy(default_prompts / "default" / "hold.wav", root / "default" / "hold.wav")
    return root


class TestAttendedHandOver:
    def start(
        self, sip_server: ServerFactory, rtpengine: Rtpengine, prompts: Path
    ) -> tuple[Any, int, int]:
        seat_port, gateway_port = free_port(), free_port()
        gateways = {"440300": {"120": f"sip:120@127.0.0.1:{gateway_port}"}}
        server = sip_server(
            [NATIONAL],
            [{"id": "c1", "hotline_id": "national"}],
            [static_seat("c1", seat_port)],
            env={
                **media_env(rtpengine, prompts),
                "MINSHENG_HOTLINE_EMERGENCY_GATEWAYS": json.dumps(gateways),
            },
            control=True,
        )
        return server, seat_port, gateway_port

    def test_the_counsellor_consults_120_then_joins_the_caller_to_it(
        self,
        sip_server: ServerFactory,
        sipp: SippFactory,
        rtpengine: Rtpengine,
        hold_only: Path,
        staff_token: Callable[[str], dict[str, str]],
        session_factory: sessionmaker[Session],
    ) -> None:
        server, seat_port, gateway_port = self.start(sip_server, rtpengine, hold_only)
        token = staff_token("hotline")["Authorization"].removeprefix("Bearer ")
        base = f"http://127.0.0.1:{server.control_port}"
        seat = sipp("seat_consults", server, port=seat_port)
        emergency = sipp(
            "emergency_consulted", server, port=gateway_port, hold_ms=500, extra=["-trace_logs"]
        )
        caller = sipp.caller(
            server, "caller_hears_bye", origin="0755", crisis=True, extra=["-cid_str", "att-%u"]
        )

        def call_row() -> dict[str, Any] | None:
            rows = _http("GET", f"{base}/status", token)[1].get("calls", [])
            return next((r for r in rows if r["sip_call_id"] == "att-1"), None)

        assert wait_for(lambda: (row := call_row()) is not None and row["state"] == "talking")
        early = _http("POST", f"{base}/calls/att-1/transfer/complete", token, {})
        assert early[0] == 404  # no consultation yet
        status, body = _http(
            "POST", f"{base}/calls/att-1/transfer", token, {"to": "120", "attended": True}
        )
        assert (status, body["attended"]) == (200, True), body
        # 120 answers the counsellor; the caller is on hold meanwhile
        assert wait_for(lambda: bool((row := call_row()) and row["consulted"]))
        status, body = _http("POST", f"{base}/calls/att-1/transfer/complete", token, {})
        assert (status, body["connected"]) == (200, True), body
        assert seat.wait() == 0, seat.errors()  # re-INVITEd to the consultation, then let go
        assert emergency.wait() == 0, emergency.errors()  # re-INVITEd to the caller's media
        logged = "".join(p.read_text() for p in emergency.workdir.glob("*_logs.log"))
        assert "location=440300 crisis=1" in logged
        assert caller.wait() == 0, caller.errors()  # the caller talked to 120 until its BYE
        assert wait_for(lambda: len(server.details()) == 1)
        (detail,) = server.details()
        transfer = detail["transfer"]
        assert (transfer["attended"], transfer["consulted"], transfer["connected"]) == (
            True,
            True,
            True,
        )
        assert "hold" in detail["media"]["heard"]  # the caller heard the hold prompt
        (record,) = server.wait_records(1)
        assert record["media"] == "anchored handover:120:connected"
        assert wait_for(lambda: rtpengine.calls() == [])
        with session_factory() as session:
            actions = [e.action for e in audit.list_entries(session, table="hotline_sip_call")]
        assert sorted(actions) == ["hotline.sip.transfer", "hotline.sip.transfer_complete"]

    def test_the_counsellor_returns_to_the_caller(
        self,
        sip_server: ServerFactory,
        sipp: SippFactory,
        rtpengine: Rtpengine,
        hold_only: Path,
        staff_token: Callable[[str], dict[str, str]],
    ) -> None:
        server, seat_port, gateway_port = self.start(sip_server, rtpengine, hold_only)
        token = staff_token("hotline")["Authorization"].removeprefix("Bearer ")
        base = f"http://127.0.0.1:{server.control_port}"
        seat = sipp("seat_consults_returns", server, port=seat_port)
        emergency = sipp("emergency_consulted_dropped", server, port=gateway_port)
        caller = sipp.caller(server, origin="0755", hold_ms=8_000, extra=["-cid_str", "ret-%u"])

        def call_row() -> dict[str, Any] | None:
            rows = _http("GET", f"{base}/status", token)[1].get("calls", [])
            return next((r for r in rows if r["sip_call_id"] == "ret-1"), None)

        assert wait_for(lambda: (row := call_row()) is not None and row["state"] == "talking")
        status, _ = _http(
            "POST", f"{base}/calls/ret-1/transfer", token, {"to": "120", "attended": True}
        )
        assert status == 200
        assert wait_for(lambda: bool((row := call_row()) and row["consulted"]))
        status, body = _http("POST", f"{base}/calls/ret-1/transfer/return", token, {})
        assert (status, body["returned"]) == (200, True), body
        assert emergency.wait() == 0, emergency.errors()  # 120 let go (BYE)
        row = call_row()
        assert row is not None and (row["consulting"], row["transfer"]) == (False, "120")
        assert caller.wait() == 0, caller.errors()  # the caller stayed with the counsellor
        assert seat.wait() == 0, seat.errors()  # moved back to rtpengine, then the caller's BYE
        assert wait_for(lambda: len(server.details()) == 1)
        (detail,) = server.details()
        transfer = detail["transfer"]
        assert (transfer["consulted"], transfer["connected"], transfer["returned_by"]) == (
            True,
            False,
            "counsellor",
        )
        assert detail["ended_by"] == "caller"
        (record,) = server.wait_records(1)
        assert record["outcome"] == "answered"  # the counsellor's part, to its end
        assert record["media"] == "anchored handover:120:returned"
        assert wait_for(lambda: rtpengine.calls() == [])

"""A caller's re-INVITE (hold, unhold, a codec change by the carrier) in media mode, while the
call waits in the queue and while it is in conversation: rtpengine answers it on the caller's
leg (200 with our SDP: the direction answering the offer's, our origin with its version raised),
a codec the call was not answered with gets 488 and the call goes on; the counsellor's leg is
not touched. sipp checks every answer (scenarios/caller_reinvite.xml)."""

from __future__ import annotations

import time

from minsheng.hotline.sip.media import offer_direction, reanswer
from tests.hotline.sip.conftest import ServerFactory, SippFactory, free_port
from tests.hotline.sip.media_support import Rtpengine, wait_for
from tests.hotline.sip.test_media import media_server


def test_reinvites_are_answered_while_waiting_and_while_talking(
    sip_server: ServerFactory, sipp: SippFactory, rtpengine: Rtpengine
) -> None:
    seat_port = free_port()
    env = {"MINSHENG_HOTLINE_WRAPUP_S": "0"}
    server = media_server(sip_server, rtpengine, [seat_port], env=env)
    seat = sipp("seat_answers", server, port=seat_port)  # takes the first call only
    talking = sipp.caller(server, "caller_reinvite", number="13700137000", hold_ms=3000)
    time.sleep(0.5)
    waiting = sipp.caller(server, "caller_reinvite", number="13900139000", hold_ms=200)
    assert waiting.wait(timeout=30) == 0, waiting.errors()
    assert talking.wait(timeout=30) == 0, talking.errors()
    assert seat.wait(timeout=30) == 0, seat.errors()  # it saw no re-INVITE: only BYE
    records = {r["caller"]: r for r in server.wait_records(2)}
    assert records["137****7000"]["outcome"] == "answered"
    assert records["139****9000"]["outcome"] == "abandoned"  # hung up while still waiting
    details = server.details(2)
    steps = sorted(
        [(r["state"], r["direction"], r["code"]) for r in d["media"]["reinvites"]] for d in details
    )
    assert steps == [
        [("talking", "sendonly", 200), ("talking", "sendrecv", 200), ("talking", "sendrecv", 488)],
        [("waiting", "sendonly", 200), ("waiting", "sendrecv", 200), ("waiting", "sendrecv", 488)],
    ]
    assert wait_for(lambda: rtpengine.calls() == [])


class TestReanswer:
    FIRST = (
        "v=0\r\no=minsheng 1 1 IN IP4 127.0.0.1\r\ns=-\r\nm=audio 30000 RTP/AVP 0\r\na=sendrecv\r\n"
    )

    def test_direction_answers_the_offer_and_the_origin_stays_ours(self) -> None:
        from_rtpengine = self.FIRST.replace("o=minsheng 1 1", "o=user1 99 77")
        held = reanswer(from_rtpengine, self.FIRST, "v=0\r\na=sendonly\r\n")
        assert "a=recvonly" in held and "a=sendrecv" not in held
        assert "o=minsheng 1 2 IN IP4 127.0.0.1" in held  # changed: version + 1
        back = reanswer(from_rtpengine, held, "v=0\r\nc=IN IP4 127.0.0.1\r\n")
        assert "a=sendrecv" in back and "o=minsheng 1 3 " in back
        same = reanswer(from_rtpengine, back, "v=0\r\na=sendrecv\r\n")
        assert same == back  # nothing changed: the same version

    def test_old_style_hold_and_no_direction(self) -> None:
        assert offer_direction("c=IN IP4 0.0.0.0\r\n") == "sendonly"
        assert offer_direction("a=inactive\r\n") == "inactive"
        bare = self.FIRST.replace("a=sendrecv\r\n", "")
        assert reanswer(bare, self.FIRST, "a=inactive\r\n").endswith("a=inactive\r\n")

"""Supervision on real audio: a supervisor's baresip phone listens, whispers and joins.

Caller, counsellor and supervisor are baresip phones on 127.0.0.1; rtpengine relays the call;
the supervisor's phone is a static contact of the seats file (``{"supervisor": ...}``). Each phone
starts with a silent microphone and the test makes one party speak at a time (baresip's ``ausrc``
command switches its microphone to a file mid-call), so what each phone heard can be searched for
each sentence by normalised cross-correlation (sip/phones.py), with the controls that must fail:
in listen nobody hears the supervisor; in whisper the caller does not.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import audit
from minsheng.hotline.sip.prompts import DEFAULT_FOLDER
from tests.hotline.sip.conftest import NATIONAL, ServerFactory, SipServer, static_seat
from tests.hotline.sip.media_support import Rtpengine, media_env
from tests.hotline.sip.phones import Phone, free_port_pair, match, silence, write_wav
from tests.hotline.sip.test_media_audio import (
    HEARD,
    NOT_HEARD,
    caller_account,
    phones,  # noqa: F401  (fixture)
    speak,
    status,
    until,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def short_prompts(tmp_path: Path, default_prompts: Path) -> Path:
    """Short greeting and crisis key prompts, so the call reaches the counsellor in seconds."""
    root = tmp_path / "prompts"
    root.mkdir()
    (root / DEFAULT_FOLDER).symlink_to(default_prompts / DEFAULT_FOLDER)
    (root / "national").mkdir()
    speak(root / "national" / "greeting.wav", "您好。")
    speak(root / "national" / "crisis_key.wav", "请按一。")
    return root


def post(server: SipServer, token: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.control_port}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


class Call:
    """A caller on the line with counsellor c1, and a supervisor phone ready to be rung."""

    def __init__(
        self,
        tmp_path: Path,
        sip_server: ServerFactory,
        rtpengine: Rtpengine,
        prompts: Path,
        make_phone: Callable[..., Phone],
        token: str,
    ) -> None:
        self.tmp_path = tmp_path
        seat_port, sup_port = free_port_pair(), free_port_pair()
        quiet = silence(60)
        self.seat = make_phone("seat", quiet, "<sip:c1@127.0.0.1>;regint=0;answermode=auto",
                           port=seat_port)  # fmt: skip
        self.supervisor = make_phone(
            "supervisor", quiet, "<sip:sup1@127.0.0.1>;regint=0;answermode=auto", port=sup_port
        )
        self.seat.start()
        self.supervisor.start()
        self.server = start_server_with_supervisor(
            sip_server, rtpengine, prompts, seat_port, sup_port
        )
        self.token = token
        self.caller = make_phone("caller", quiet, caller_account("13912345678"))
        self.caller.start(f"/dial sip:12356@127.0.0.1:{self.server.port}")
        self.sip_call_id = until(self._talking, timeout=30)

    def _talking(self) -> str | None:
        rows = status(self.server, self.token).get("calls", [])
        return next((r["sip_call_id"] for r in rows if r["state"] == "talking"), None)

    def say(self, phone: Phone, name: str, text: str) -> np.ndarray:
        """``phone`` speaks ``text`` now (its microphone switched to the sentence, then silence)."""
        sentence = speak(self.tmp_path / f"{name}.wav", text)
        mic = write_wav(self.tmp_path / f"{name}-mic.wav", np.concatenate([sentence, silence(40)]))
        phone.command("ausrc", f"aufile,{mic}")
        time.sleep(len(sentence) / 8000 + 0.8)  # let it be said and travel (not an assertion)
        return sentence

    def supervise(self, mode: str) -> None:
        code, body = post(
            self.server,
            self.token,
            f"/calls/{self.sip_call_id}/supervise",
            {"mode": mode, "supervisor": "sup1", "reason": "新咨询员督导"},
        )
        assert code == 200, body
        # connected, and (whisper, join) the counsellor's phone took its re-INVITE
        until(lambda: any(s["ready"] for s in status(self.server, self.token)["supervised"]))

    def unsupervised(self) -> bool:
        """No supervision, and the counsellor's phone is back on rtpengine."""
        rows = status(self.server, self.token)["calls"]
        return any(r["supervised"] is None and r["reinvite"] is None for r in rows)

    def hang_up(self) -> None:
        self.caller.command("hangup")
        self.caller.wait_hangup(timeout=15)
        self.seat.wait_hangup(timeout=15)


def start_server_with_supervisor(
    sip_server: ServerFactory, rtpengine: Rtpengine, prompts: Path, seat_port: int, sup_port: int
) -> SipServer:
    return sip_server(
        [NATIONAL],
        [{"id": "c1", "hotline_id": "national"}],
        [
            static_seat("c1", seat_port),
            {"supervisor": "sup1", "contact": f"sip:sup1@127.0.0.1:{sup_port}"},
        ],
        env={
            **media_env(rtpengine, prompts),
            "MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "120",
            "MINSHENG_HOTLINE_SIP_NO_REPLY_S": "2",
        },
        control=True,
    )


@pytest.fixture
def call(
    tmp_path: Path,
    sip_server: ServerFactory,
    rtpengine: Rtpengine,
    short_prompts: Path,
    phones: Callable[..., Phone],  # noqa: F811
    staff_token: Callable[[str], dict[str, str]],
) -> Call:
    token = staff_token("hotline")["Authorization"].removeprefix("Bearer ")
    return Call(tmp_path, sip_server, rtpengine, short_prompts, phones, token)


class TestSupervision:
    def test_listen_hears_both_sides_and_nobody_hears_the_supervisor(
        self, call: Call, rtpengine: Rtpengine, session_factory: sessionmaker[Session]
    ) -> None:
        code, body = post(call.server, call.token, f"/calls/{call.sip_call_id}/supervise",
                          {"mode": "listen", "supervisor": "sup1"})  # fmt: skip
        assert (code, body["field"]) == (422, "reason")  # no reason, no listening
        call.supervise("listen")
        a = call.say(call.caller, "a", "我这几天一直睡不好。")
        b = call.say(call.seat, "b", "请你慢慢告诉我发生了什么。")
        c = call.say(call.supervisor, "c", "督导正在旁听这个电话。")
        call.hang_up()
        call.supervisor.wait_hangup(timeout=15)  # the call's end hangs up the supervisor too
        supervisor, caller, seat = call.supervisor.heard(), call.caller.heard(), call.seat.heard()
        assert match(supervisor, a)[0] > HEARD, "the supervisor heard the caller"
        assert match(supervisor, b)[0] > HEARD, "the supervisor heard the counsellor"
        assert match(caller, b)[0] > HEARD  # the call itself goes on as before
        assert match(seat, a)[0] > HEARD
        # controls: in listen nobody hears the supervisor, and the supervisor not itself
        assert match(caller, c)[0] < NOT_HEARD
        assert match(seat, c)[0] < NOT_HEARD
        assert match(supervisor, c)[0] < NOT_HEARD
        assert wait_gone(rtpengine)
        detail = until(lambda: next(iter(call.server.details()), None))
        (entry,) = detail["supervision"]
        assert (entry["mode"], entry["supervisor"], entry["connected"]) == ("listen", "sup1", True)
        (record,) = call.server.wait_records(1, timeout=15)
        assert record["media"] == "anchored supervised:listen"  # the records table says so
        with session_factory() as session:
            rows = audit.list_entries(session, table="hotline_sip_call")
        (row,) = [r for r in rows if r.action == "hotline.sip.supervise"]
        assert row.record_id == call.sip_call_id
        assert "新咨询员督导" in json.dumps(row.detail, ensure_ascii=False)

    def test_whisper_reaches_the_counsellor_only_then_join_reaches_both(
        self, call: Call, rtpengine: Rtpengine
    ) -> None:
        call.supervise("whisper")
        a = call.say(call.caller, "a", "我这几天一直睡不好。")
        b = call.say(call.seat, "b", "请你慢慢告诉我发生了什么。")
        c = call.say(call.supervisor, "c", "先问问他有没有伤害自己的想法。")
        code, _ = post(call.server, call.token, f"/calls/{call.sip_call_id}/unsupervise", {})
        assert code == 200
        until(lambda: call.supervisor.calls_ended() >= 1, timeout=15)
        until(call.unsupervised)
        b2 = call.say(call.seat, "b2", "我一直在听，你说吧。")  # the call as before
        call.supervise("join")
        d = call.say(call.supervisor, "d", "你好，我是督导，我们都在。")
        call.hang_up()
        call.supervisor.wait_hangup(timeout=15, calls=2)
        supervisor, caller, seat = call.supervisor.heard(), call.caller.heard(), call.seat.heard()
        assert match(supervisor, a)[0] > HEARD
        assert match(supervisor, b)[0] > HEARD
        assert match(seat, a)[0] > HEARD
        assert match(caller, b)[0] > HEARD
        assert match(seat, c)[0] > HEARD, "the counsellor heard the whisper"
        assert match(caller, c)[0] < NOT_HEARD, "the caller did not hear the whisper"
        assert match(caller, b2)[0] > HEARD  # after the whisper: back on rtpengine alone
        assert match(caller, d)[0] > HEARD, "join: the caller hears the supervisor"
        assert match(seat, d)[0] > HEARD, "join: the counsellor too"
        # the counsellor's phone got one stream throughout: the bridge continued the caller's
        # stream as rtpengine relayed it (issue 14: a new SSRC behind the old one's sequence
        # numbers was dropped whole by baresip's jitter buffer: "dropping ... (Connection timed
        # out)"), and never interleaved with rtpengine's after a whisper
        assert "SSRC changed" not in call.seat.log(), call.seat.log()[-3000:]
        assert wait_gone(rtpengine)
        detail = until(lambda: next(iter(call.server.details()), None))
        assert [s["mode"] for s in detail["supervision"]] == ["whisper", "join"]
        assert [s["ended_by"] for s in detail["supervision"]] == ["staff", "call_ended"]
        (record,) = call.server.wait_records(1, timeout=15)
        assert record["media"] == "anchored supervised:whisper,join"


def wait_gone(rtpengine: Rtpengine) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if rtpengine.calls() == []:
            return True
        time.sleep(0.1)
    return False

"""What callers and counsellors hear, asserted on real audio.

``minsheng hotline sip serve --rtpengine`` with a real rtpengine, baresip phones as the caller
(and as a counsellor's seat) and sipp where audio does not matter, all on 127.0.0.1. What a phone
heard is its ``sndfile`` dump; a prompt "was heard" when its waveform is found in the dump by
normalised cross-correlation (G.711 on the way costs ~0.01), and each test has a control
comparison that must fail (a prompt that was not played, the other number, the phone's own voice).
"""

from __future__ import annotations

import json
import time
import urllib.request
import wave
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import audit
from minsheng.hotline.sip.prompts import DEFAULT_FOLDER, _run
from minsheng.hotline.sip.recording import file_name, new_key
from tests.conftest import Cli
from tests.hotline.sip.conftest import (
    NATIONAL,
    ServerFactory,
    SippFactory,
    SipServer,
    free_port,
    static_seat,
)
from tests.hotline.sip.media_support import Rtpengine, media_env, wait_for
from tests.hotline.sip.phones import (
    BARESIP,
    Phone,
    free_port_pair,
    match,
    read_wav,
    silence,
    write_wav,
)

HEARD = 0.9  # a prompt that was played scores ~0.99; anything else stays far below
NOT_HEARD = 0.6


def speak(path: Path, text: str) -> np.ndarray:
    """Mandarin test speech, 8 kHz (espeak-ng + sox, as the prompts are made)."""
    raw = path.with_suffix(".raw.wav")
    _run("espeak-ng", "-v", "cmn", "-w", str(raw), text)
    _run("sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(path),
         "gain", "-n", "-3")  # fmt: skip
    return read_wav(path)


@pytest.fixture
def prompts(tmp_path: Path, default_prompts: Path) -> Path:
    """The national defaults, and the national line's own (shorter) greeting and notice."""
    root = tmp_path / "prompts"
    root.mkdir()
    (root / DEFAULT_FOLDER).symlink_to(default_prompts / DEFAULT_FOLDER)
    (root / "national").mkdir()
    speak(root / "national" / "greeting.wav", "您好，这里是心理援助热线。")
    speak(root / "national" / "recording_notice.wav", "本次通话将被录音。")
    return root


@pytest.fixture
def phones(tmp_path: Path) -> Iterator[Callable[..., Phone]]:
    if BARESIP is None:
        pytest.fail("baresip is not installed (Debian baresip-core; sudo make provision)")
    made: list[Phone] = []

    def make(name: str, microphone: np.ndarray, account: str, port: int | None = None) -> Phone:
        folder = tmp_path / f"phone-{name}"
        folder.mkdir()
        phone = Phone(
            name=name,
            folder=folder,
            sip_port=port or free_port_pair(),
            ctrl_port=free_port(),
            rtp_base=free_port_pair() & ~0xFF,
            microphone=write_wav(folder / "microphone.wav", microphone),
            account=account,
        )
        made.append(phone)
        return phone

    yield make
    for phone in made:
        phone.stop()


def caller_account(number: str) -> str:
    return f"<sip:{number}@127.0.0.1>;regint=0"


def status(server: SipServer, token: str) -> dict[str, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{server.control_port}/status")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        return dict(json.loads(response.read()))


def until(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def start_server(
    sip_server: ServerFactory,
    rtpengine: Rtpengine,
    prompts: Path,
    seat_port: int,
    *,
    recording: bool = False,
    **env: str,
) -> SipServer:
    return sip_server(
        [{**NATIONAL, "recording": recording}],
        [{"id": "c1", "hotline_id": "national"}],
        [static_seat("c1", seat_port)],
        env={
            **media_env(rtpengine, prompts),
            "MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "120",
            "MINSHENG_HOTLINE_OFFER_TIMEOUT_S": "5",
            "MINSHENG_HOTLINE_SIP_NO_REPLY_S": "2",
            **env,
        },
        control=True,
    )


def piece(prompts: Path, name: str) -> np.ndarray:
    return read_wav(prompts / DEFAULT_FOLDER / f"{name}.wav")


def heard_after(heard: np.ndarray, at: int, needle: np.ndarray, slack: int = 800) -> float:
    """How well ``needle`` matches the audio starting near sample ``at``."""
    return match(heard[max(0, at - slack) : at + len(needle) + slack], needle)[0]


class TestWhatTheCallerHears:
    def test_greeting_then_spoken_queue_position(
        self,
        sip_server: ServerFactory,
        sipp: SippFactory,
        rtpengine: Rtpengine,
        prompts: Path,
        phones: Callable[..., Phone],
        staff_token: Callable[[str], dict[str, str]],
    ) -> None:
        seat_port = free_port()
        server = start_server(sip_server, rtpengine, prompts, seat_port)
        token = staff_token("hotline")["Authorization"].removeprefix("Bearer ")
        sipp("seat_answers", server, port=seat_port)
        # the first caller talks to c1 for the whole test; two more wait ahead of the phone
        sipp.caller(server, hold_ms=60_000)
        sipp.caller(server, calls=2, rate=20, hold_ms=60_000)
        time.sleep(0.3)
        caller = phones("caller", silence(19), caller_account("13912345678"))
        caller.start(f"/dial sip:12356@127.0.0.1:{server.port}")
        waiting = until(lambda: len(status(server, token)["waiting"]) == 3 or None)
        assert waiting
        caller.wait_hangup(timeout=40)  # its microphone file ends: it hangs up
        heard = caller.heard()

        greeting = read_wav(prompts / "national" / "greeting.wav")
        score, at_greeting = match(heard, greeting)
        assert score > HEARD, f"greeting {score:.3f}"
        # control: the national default greeting (replaced by the line's own) was not played
        assert match(heard, piece(prompts, "greeting"))[0] < NOT_HEARD
        assert match(heard, piece(prompts, "closed"))[0] < NOT_HEARD
        assert match(heard, piece(prompts, "crisis_key"))[0] > HEARD

        # "您前面还有" + 两 + "位": two callers ahead, spoken from the digit prompts
        ahead = piece(prompts, "ahead")
        score, at_ahead = match(heard, ahead)
        assert score > HEARD, f"ahead {score:.3f}"
        assert at_ahead > at_greeting
        number_at = at_ahead + len(ahead)
        assert heard_after(heard, number_at, piece(prompts, "liang")) > HEARD
        for other in ("d3", "d1", "d0"):  # control: the other numbers were not said
            assert heard_after(heard, number_at, piece(prompts, other)) < NOT_HEARD, other
        people_at = number_at + len(piece(prompts, "liang"))
        assert heard_after(heard, people_at, piece(prompts, "people")) > HEARD
        detail = until(
            lambda: next((d for d in server.details() if d["media"]["heard"][-1:] != []), None)
        )
        assert detail


class TestConversation:
    def test_seat_and_caller_hear_each_other_and_the_call_is_recorded(
        self,
        sip_server: ServerFactory,
        rtpengine: Rtpengine,
        prompts: Path,
        phones: Callable[..., Phone],
        tmp_path: Path,
        cli: Cli,
        session_factory: sessionmaker[Session],
    ) -> None:
        caller_says = speak(tmp_path / "a.wav", "我最近睡不着，想找人聊聊。")
        counsellor_says = speak(tmp_path / "b.wav", "你好，我是心理咨询员，请慢慢说。")
        seat_port = free_port_pair()
        seat = phones(
            "seat",
            np.concatenate([silence(0.5), counsellor_says, silence(9)]),
            "<sip:c1@127.0.0.1>;regint=0;answermode=auto",
            port=seat_port,
        )
        seat.start()
        key = new_key()
        recordings = tmp_path / "recordings"
        server = start_server(
            sip_server,
            rtpengine,
            prompts,
            seat_port,
            recording=True,  # the national line records its calls
            MINSHENG_HOTLINE_RECORDING_KEY=key,
            MINSHENG_HOTLINE_RECORDINGS_DIR=str(recordings),
        )
        # greeting, recording notice and crisis key prompt come first (about 11 s)
        caller = phones(
            "caller",
            np.concatenate([silence(17), caller_says, silence(1.5)]),
            caller_account("13912345678"),
        )
        caller.start(f"/dial sip:12356@127.0.0.1:{server.port}")
        caller.wait_hangup(timeout=45)
        seat.wait_hangup(timeout=10)
        (record,) = server.wait_records(1, timeout=15)
        assert (record["outcome"], record["counsellor_id"]) == ("answered", "c1")
        caller_heard, seat_heard = caller.heard(), seat.heard()
        score_b, at_b = match(caller_heard, counsellor_says)
        score_a, _ = match(seat_heard, caller_says)
        assert score_b > HEARD, f"caller heard the counsellor: {score_b:.3f}"
        assert score_a > HEARD, f"counsellor heard the caller: {score_a:.3f}"
        # controls: nobody hears their own voice back, the seat never hears the prompts
        assert match(seat_heard, counsellor_says)[0] < NOT_HEARD
        assert match(caller_heard, caller_says)[0] < NOT_HEARD
        assert match(seat_heard, piece(prompts, "crisis_key"))[0] < NOT_HEARD
        greeting = read_wav(prompts / "national" / "greeting.wav")
        score_g, at_g = match(caller_heard, greeting)
        assert score_g > HEARD
        notice = read_wav(prompts / "national" / "recording_notice.wav")
        score_n, at_n = match(caller_heard, notice)
        assert score_n > HEARD
        assert at_g < at_n < at_b  # greeting, recording notice, then the counsellor
        assert rtpengine.calls() == []

        # the recording: encrypted at rest, both voices in it, played back with an audit entry
        stored = recordings / file_name(record["call_ref"])
        assert wait_for(stored.is_file, timeout=15)
        blob = stored.read_bytes()
        assert b"RIFF" not in blob[:64]
        assert not list((rtpengine.spool / "pcaps").glob("*.pcap"))  # no clear audio left
        out = tmp_path / "played.wav"
        env = {
            "MINSHENG_HOTLINE_RECORDING_KEY": key,
            "MINSHENG_HOTLINE_RECORDINGS_DIR": str(recordings),
        }
        cli.env.update(env)
        result = cli(
            "hotline", "recording", "play", record["call_ref"], "--out", str(out),
            "--reason", "督导复核",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        with wave.open(str(out), "rb") as w:
            assert (w.getnchannels(), w.getframerate()) == (2, 8000)
            frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float)
        left, right = frames[0::2], frames[1::2]
        assert match(left, caller_says)[0] > HEARD  # the caller, on the left
        assert match(right, counsellor_says)[0] > HEARD  # the counsellor, on the right
        assert match(left, counsellor_says)[0] < NOT_HEARD  # control
        assert match(right, piece(prompts, "crisis_key"))[0] < NOT_HEARD  # prompts not recorded
        with session_factory() as session:
            entries = audit.list_entries(session, table="hotline_calls")
        plays = [e for e in entries if e.action == "hotline.recording.play"]
        assert [e.record_id for e in plays] == [record["call_ref"]]
        cli.env["MINSHENG_HOTLINE_RECORDING_KEY"] = new_key()
        wrong = cli(
            "hotline", "recording", "play", record["call_ref"], "--out", str(out),
            "--reason", "x",
        )  # fmt: skip
        assert wrong.exit_code != 0  # another key does not open it


class TestCrisisKey:
    def test_dtmf_1_while_queued_goes_ahead_of_an_earlier_call(
        self,
        sip_server: ServerFactory,
        sipp: SippFactory,
        rtpengine: Rtpengine,
        prompts: Path,
        phones: Callable[..., Phone],
        staff_token: Callable[[str], dict[str, str]],
    ) -> None:
        seat_port = free_port()
        server = start_server(
            sip_server, rtpengine, prompts, seat_port, MINSHENG_HOTLINE_WRAPUP_S="0"
        )
        token = staff_token("hotline")["Authorization"].removeprefix("Bearer ")
        seat = sipp("seat_answers", server, port=seat_port, calls=3)
        sipp.caller(server, hold_ms=12_000)  # talks to c1 first
        earlier = sipp.caller(server, number="13700137000", hold_ms=22_000)  # ordinary, waits
        time.sleep(0.3)
        caller = phones("caller", silence(16), caller_account("13912345678"))
        caller.start(f"/dial sip:12356@127.0.0.1:{server.port}")

        def phone_waiting() -> dict[str, Any] | None:
            rows = status(server, token)["waiting"]
            return next((w for w in rows if w["caller"] == "139****5678"), None)

        entry = until(phone_waiting)
        assert (entry["position"], entry["crisis"]) == (2, False)
        caller.command("sndcode", "1")  # RFC 4733 telephone-event, detected by rtpengine
        entry = until(lambda: (w := phone_waiting()) and w["crisis"] and w)
        assert entry["position"] == 1  # ahead of the earlier ordinary call at once
        caller.wait_hangup(timeout=40)
        assert earlier.wait(timeout=60) == 0, earlier.errors()
        assert seat.wait(timeout=30) == 0, seat.errors()
        records = {r["caller"]: r for r in server.wait_records(3, timeout=15)}
        crisis, ordinary = records["139****5678"], records["137****7000"]
        assert (crisis["outcome"], crisis["crisis"]) == ("answered", True)
        assert (ordinary["outcome"], ordinary["crisis"]) == ("answered", False)
        assert ordinary["arrived_at"] < crisis["arrived_at"]  # it called first ...

        def answered_at(record: dict[str, Any]) -> datetime:
            return datetime.fromisoformat(record["arrived_at"]) + timedelta(
                seconds=record["wait_s"]
            )

        assert answered_at(crisis) < answered_at(ordinary)  # ... and was answered second
        # the acknowledgement ("已为您优先转接…") starts at once; c1 answering may cut its end
        ack_start = piece(prompts, "crisis_ack")[:12000]
        assert match(caller.heard(), ack_start)[0] > HEARD
        (detail,) = [d for d in server.details() if d["media"]["dtmf_crisis"]]
        assert detail["answered"] is True

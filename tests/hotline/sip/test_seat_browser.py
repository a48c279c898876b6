"""A counsellor answers 12356 in the browser: the seat page in real Chromium, through Kamailio's
WebSocket and rtpengine, with real audio both ways (docs/hotline-seat.md).

Everything runs on 127.0.0.1 with free ports: the app (uvicorn), ``minsheng hotline sip serve``
in media mode with its rtpengine, the seat front (Kamailio with the generated config) with its own
rtpengine bridging DTLS-SRTP to RTP, a baresip caller, and headless Chromium whose microphone is
a WAV file (``--use-file-for-fake-audio-capture``). What the browser heard is tapped from the
remote track with Web Audio (an init script of the test, not of the page); what the caller heard
is its baresip dump. A voice "was heard" when normalised cross-correlation finds it (> 0.9); the
controls (nobody hears their own voice, the seat never hears the other side's words it was not
sent) must score low.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import audit
from minsheng.core.auth import create_user
from minsheng.core.config import Settings
from minsheng.core.db import make_engine, make_sessionmaker, session_scope
from minsheng.core.errors import Forbidden
from minsheng.core.scope import Scope
from minsheng.hotline import service
from minsheng.hotline.errors import LiveCallNotFound
from minsheng.hotline.models import Assessment, Call
from minsheng.hotline.rules import seat as seat_rules
from minsheng.hotline.service import cluster as cluster_service
from minsheng.hotline.sip import seatfront
from minsheng.hotline.sip.prompts import DEFAULT_FOLDER
from tests.conftest import (
    TEST_SECRET,
    copy_pg_database,
    drop_scratch_pg,
    frozen_clock,
    is_postgres,
)
from tests.hotline.sip.conftest import (
    NATIONAL,
    ServerFactory,
    SippFactory,
    SipServer,
    _udp_port_bound,
    free_port,
)
from tests.hotline.sip.media_support import Rtpengine, media_env, running_rtpengine
from tests.hotline.sip.phones import (
    BARESIP,
    Phone,
    free_port_pair,
    match,
    match_pieces,
    silence,
    write_wav,
)
from tests.hotline.sip.test_media_audio import (
    HEARD,
    NOT_HEARD,
    caller_account,
    speak,
    status,
    until,
)
from tests.processes import stop_group
from tests.web import axe
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, LiveServer

KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"

# Taps every remote audio track into Web Audio and keeps the samples (mono floats) so the test can
# read what the seat heard. The page itself plays the track in its <audio> element.
TAP = """
(() => {
  window.__heard = [];
  window.__rate = 0;
  const Native = window.RTCPeerConnection;
  function Tapped(...args) {
    const pc = new Native(...args);
    pc.addEventListener("track", (event) => {
      const stream = event.streams[0] || new MediaStream([event.track]);
      const ctx = new AudioContext({ sampleRate: 48000 });
      window.__rate = ctx.sampleRate;
      const source = ctx.createMediaStreamSource(stream);
      const tap = ctx.createScriptProcessor(4096, 1, 1);
      tap.onaudioprocess = (e) => {
        window.__heard.push(new Float32Array(e.inputBuffer.getChannelData(0)));
      };
      const silent = ctx.createGain();
      silent.gain.value = 0;
      source.connect(tap); tap.connect(silent); silent.connect(ctx.destination);
      window.__tapctx = ctx;
    });
    return pc;
  }
  Tapped.prototype = Native.prototype;
  window.RTCPeerConnection = Tapped;
  // keeps the page's WebSockets so that the test can cut them (a lost network)
  window.__sockets = [];
  const NativeSocket = window.WebSocket;
  function Kept(...args) {
    const socket = new NativeSocket(...args);
    window.__sockets.push(socket);
    return socket;
  }
  Kept.prototype = NativeSocket.prototype;
  Object.assign(Kept, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.WebSocket = Kept;
  // Chromium's voice processing (echo cancellation, noise suppression, gain control) reshapes
  // the waveform; the test switches it off so the microphone file arrives as it is (the page
  // asks for plain {audio: true}, processing on, as a counsellor's headset needs).
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => gum({
    ...constraints,
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
})();
"""

# The heard samples as 16-bit little-endian PCM, base64 (one string, not a huge JSON array).
READ_TAP = """
() => {
  const parts = window.__heard;
  let n = 0; for (const p of parts) n += p.length;
  const out = new Int16Array(n); let i = 0;
  for (const p of parts) for (const v of p) out[i++] = Math.max(-1, Math.min(1, v)) * 32767;
  const bytes = new Uint8Array(out.buffer); let s = "";
  for (let j = 0; j < bytes.length; j += 8192) {
    s += String.fromCharCode(...bytes.subarray(j, j + 8192));
  }
  return [window.__rate, btoa(s)];
}
"""


def _tcp_listening(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@dataclass
class SeatFront:
    udp: int
    ws: int
    folder: Path
    process: subprocess.Popen[str]

    def log(self) -> str:
        path = self.folder / "kamailio.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        stop_group(self.process)


def start_front(
    tmp: Path, settings: Settings, rtpengine: Rtpengine, node_port: int, ws: int, origin: str
) -> SeatFront:
    folder = tmp / "front"
    folder.mkdir()
    (folder / "run").mkdir()
    udp = free_port()
    options = seatfront.SeatFrontOptions(
        sip=seatfront.Address("127.0.0.1", udp),
        rtpengine=seatfront.Address("127.0.0.1", rtpengine.ng_port),
        nodes=(seatfront.Address("127.0.0.1", node_port),),
        secret=seat_rules.seat_secret(settings.hmac_key),
        ctl_socket=str(folder / "ctl"),
        ws=seatfront.Address("127.0.0.1", ws),
        origins=(origin,),
        realm=settings.hotline_sip_realm,
        children=1,
    )
    cfg = folder / "kamailio.cfg"
    cfg.write_text(seatfront.render_cfg(options), encoding="utf-8")
    with (folder / "kamailio.log").open("w") as log:
        process = subprocess.Popen(
            [KAMAILIO, "-f", str(cfg), "-DD", "-E", "-Y", str(folder / "run")],
            stdout=log,
            stderr=log,
            text=True,
            start_new_session=True,
        )
    front = SeatFront(udp, ws, folder, process)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not _udp_port_bound(udp):
            assert process.poll() is None, front.log()[-3000:]
            time.sleep(0.05)
        assert _tcp_listening(ws), front.log()[-3000:]
    except BaseException:
        front.stop()  # never leave a Kamailio behind
        raise
    return front


@dataclass
class Rig:
    server: SipServer
    front: SeatFront
    live: LiveServer
    context: BrowserContext
    page: Page
    caller: Callable[..., Phone]
    counsellor_says: np.ndarray
    caller_says: np.ndarray
    sessions: sessionmaker[Session]
    token: str
    settings: Settings
    user: str
    gateway_port: int
    folder: Path

    def new_records(self, before: int, count: int) -> list[dict[str, Any]]:
        """The call records stored since ``before`` were, once ``count`` more are stored."""
        return self.server.wait_records(before + count, timeout=15)[before:]

    def seat_state(self) -> str:
        """c1's state on the node (its staff endpoint's /status)."""
        return str(status(self.server, self.token)["seats"]["c1"])

    def heard_by_seat(self) -> np.ndarray:
        rate, data = self.page.evaluate(READ_TAP)
        samples = np.frombuffer(base64.b64decode(data), dtype="<i2").astype(np.float64)
        step = rate // 8000
        assert step >= 1 and rate % 8000 == 0, rate
        # the track is G.711 from 8 kHz, upsampled: nothing above 4 kHz, so every step-th
        # sample is the 8 kHz signal again
        return samples[::step]


@pytest.fixture(scope="module")
def rig(
    tmp_path_factory: pytest.TempPathFactory,
    migrated_template: str,
    default_prompts: Path,
) -> Iterator[Rig]:
    """One set of running servers and one browser page for every test of the module (each
    test leaves the seat signed out, with no call up)."""
    if BARESIP is None:
        pytest.fail("baresip is not installed (Debian baresip-core; sudo make provision)")
    if not Path(KAMAILIO).exists():
        pytest.fail("kamailio is not installed (.ci/tools)")
    tmp_path = tmp_path_factory.mktemp("seat")
    stack: list[Callable[[], Any]] = []
    try:
        if is_postgres():
            database_url = copy_pg_database(migrated_template, "seat")
            stack.append(lambda: drop_scratch_pg(database_url))
        else:
            shutil.copyfile(migrated_template, tmp_path / "test.db")
            database_url = f"sqlite:///{tmp_path / 'test.db'}"
        settings = Settings(
            database_url=database_url, secret_key=TEST_SECRET, var_dir=tmp_path / "var"
        )
        engine = make_engine(settings)
        stack.append(engine.dispose)
        session_factory = make_sessionmaker(engine)
        # prompts: the national line's greeting and crisis-key prompt are short tones, so the seat
        # rings about a second after the caller dials
        prompts = tmp_path / "prompts"
        (prompts / "national").mkdir(parents=True)
        (prompts / DEFAULT_FOLDER).symlink_to(default_prompts / DEFAULT_FOLDER)
        tone = 2000 * np.sin(np.arange(2400) * 2 * np.pi * 440 / 8000)
        for name in ("greeting", "crisis_key"):
            write_wav(prompts / "national" / f"{name}.wav", tone)
        counsellor_says = speak(tmp_path / "counsellor.wav", "你好，我是心理咨询员，请慢慢说。")
        caller_says = speak(tmp_path / "caller.wav", "我最近睡不着，想找人聊聊。")
        microphone = write_wav(
            tmp_path / "seat-microphone.wav",
            np.concatenate([silence(0.5), counsellor_says, silence(1.5)]),
        )

        node_rtp = next(running_rtpengine(_mkdir(tmp_path / "rtp-node")))
        stack.append(node_rtp.stop)
        front_rtp = next(running_rtpengine(_mkdir(tmp_path / "rtp-front")))
        stack.append(front_rtp.stop)

        ws_port, node_port, control_port = free_port(), free_port(), free_port()
        gateway_port = free_port()
        settings.hotline_seat_ws_url = f"ws://127.0.0.1:{ws_port}"
        # a single node, no cluster: the app forwards the page's sign-in and hand-overs here
        settings.hotline_seat_node_control = f"127.0.0.1:{control_port}"
        live = LiveServer(settings)
        front = start_front(tmp_path, settings, front_rtp, node_port, ws_port, live.url)
        stack.append(front.stop)
        live.start()
        stack.append(live.stop)

        factory = ServerFactory(tmp_path, settings, session_factory)
        stack.append(factory.close)
        factory.load([NATIONAL], [{"id": "c1", "hotline_id": "national"}])
        server = factory.start(
            [
                {
                    "counsellor_id": "c1",
                    "contact": f"sip:c1@127.0.0.1:{front.udp}",
                    "browser": True,
                }
            ],
            env={
                **media_env(node_rtp, prompts),
                "MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "120",
                "MINSHENG_HOTLINE_OFFER_TIMEOUT_S": "20",
                "MINSHENG_HOTLINE_SIP_NO_REPLY_S": "3",
                "MINSHENG_HOTLINE_EMERGENCY_GATEWAYS": json.dumps(
                    {"*": {"120": f"sip:120@127.0.0.1:{gateway_port}"}}
                ),
            },
            control=True,
            port=node_port,
            control_port=control_port,
        )

        name = f"hotline-{uuid.uuid4().hex[:6]}"
        with frozen_clock(), session_scope(session_factory) as s:
            _user, token = create_user(s, name=name, role="hotline")
            service.link_seat_user(s, "c1", name, actor="test")

        # its own Playwright, stopped at the end of the test: one sync Playwright at a time per
        # process, so the web tests' session-wide browser can start after this one
        playwright = sync_playwright().start()
        stack.append(playwright.stop)
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={microphone}",
                "--autoplay-policy=no-user-gesture-required",
                "--allow-loopback-in-peer-connection",
            ],
        )
        stack.append(chromium.close)
        context = chromium.new_context(
            base_url=live.url, viewport={"width": 900, "height": 1100}, locale="zh-CN"
        )
        context.set_default_timeout(15_000)
        # a loaded machine (CI) can take seconds more to greet, queue and ring: no expectation
        # of the page may depend on the machine being fast
        expect.set_options(timeout=15_000)
        stack.append(lambda: expect.set_options(timeout=None))
        context.add_init_script(TAP)
        page = context.new_page()
        page.on("pageerror", lambda e: print("pageerror:", e))  # shown when a test fails
        page.goto("/staff/login")
        page.get_by_label("访问令牌").fill(token)
        page.get_by_role("button", name="登录").click()
        page.goto("/staff/hotline/seat")

        phones: list[Phone] = []
        stack.append(lambda: [p.stop() for p in phones])

        def caller(microphone: np.ndarray, dial: str = "12356") -> Phone:
            folder = tmp_path / f"caller{len(phones)}"
            folder.mkdir()
            phone = Phone(
                name=folder.name,
                folder=folder,
                sip_port=free_port_pair(),
                ctrl_port=free_port(),
                rtp_base=free_port_pair() & ~0xFF,
                microphone=write_wav(folder / "microphone.wav", microphone),
                account=caller_account("13912345678"),
            )
            phones.append(phone)
            phone.start(f"/dial sip:{dial}@127.0.0.1:{server.port}")
            return phone

        yield Rig(
            server, front, live, context, page, caller, counsellor_says, caller_says,
            session_factory, token, settings, name, gateway_port, tmp_path,
        )  # fmt: skip
    finally:
        for stop in reversed(stack):
            try:
                stop()
            except Exception:
                continue


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def shot(page: Page, name: str) -> None:
    """A screenshot for the docs of a page state, which axe-core checks first (no violation)."""
    axe.check(page, name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(rig: Rig) -> None:
    page = rig.page
    page.get_by_role("button", name="签入接听").click()
    expect(page.locator("#seat-status")).to_have_text("已签入，等待来电")
    assert until(lambda: rig.seat_state() == "available", timeout=10), rig.seat_state()


def sign_out(rig: Rig) -> None:
    rig.page.get_by_role("button", name="签出").click()
    expect(rig.page.locator("#seat-status")).to_have_text("已签出")
    assert until(lambda: rig.seat_state() == "offline", timeout=10), rig.seat_state()


def test_a_browser_seat_is_available_only_while_signed_in_on_the_page(rig: Rig) -> None:
    """A single ``sip serve`` (no cluster): the seat is not offered calls until the counsellor
    signs in on the page, and is out again after 签出, or when the page is left or closed."""
    page = rig.page
    assert rig.seat_state() == "offline"
    sign_in(rig)
    page.get_by_role("button", name="小休").click()
    expect(page.locator("#seat-status")).to_have_text("小休")
    assert until(lambda: rig.seat_state() == "break", timeout=10), rig.seat_state()
    sign_out(rig)
    sign_in(rig)
    page.goto("/staff/hotline/seat")  # leaving the page signs the seat out
    assert until(lambda: rig.seat_state() == "offline", timeout=10), rig.seat_state()
    other = rig.context.new_page()  # a second tab, signed in, then closed
    other.goto("/staff/hotline/seat")
    other.get_by_role("button", name="签入接听").click()
    expect(other.locator("#seat-status")).to_have_text("已签入，等待来电")
    assert until(lambda: rig.seat_state() == "available", timeout=10), rig.seat_state()
    other.close(run_before_unload=True)
    assert until(lambda: rig.seat_state() == "offline", timeout=10), rig.seat_state()
    with rig.sessions() as s:
        changes = [
            (e.actor, (e.detail or {}).get("state"))
            for e in audit.list_entries(s, table="hotline_counsellors")
            if e.action == "hotline.sip.seat_state"
        ]
    # each change was made on the node for the counsellor's staff user, and audited there
    assert len(changes) == 7, changes  # in, break, out, in, left, in (2nd tab), closed
    assert {actor for actor, _ in changes} == {f"user:{rig.user}"}
    assert sorted(state for _, state in changes) == ["available"] * 3 + ["break"] + ["offline"] * 3


def test_the_seat_rings_answers_from_the_keyboard_and_both_sides_hear_each_other(
    rig: Rig,
) -> None:
    page = rig.page
    before = len(rig.server.records())
    sign_in(rig)
    shot(page, "seat-signed-in")
    caller = rig.caller(np.concatenate([silence(6), rig.caller_says, silence(2)]))
    alert = page.locator("#seat-alert")
    expect(alert).to_be_visible()
    expect(page.locator("#seat-alert-title")).to_have_text("来电振铃")
    expect(page.locator("#seat-caller")).to_have_text("139****5678")
    expect(page.locator("#seat-announce")).to_contain_text("新来电，号码 139****5678")
    expect(page.locator("#seat-answer")).to_be_focused()
    shot(page, "seat-ringing")
    page.keyboard.press("Enter")  # keyboard only: the answer button has the focus
    expect(page.locator("#seat-status")).to_have_text("通话中")
    expect(page.locator("#seat-hangup")).to_be_focused()
    shot(page, "seat-talking")
    caller.wait_hangup(timeout=30)  # its microphone file ends: the caller hangs up
    expect(page.locator("#seat-last")).to_contain_text("对方挂断")
    expect(page.locator("#seat-status")).to_have_text("已签入，等待来电")

    (record,) = rig.new_records(before, 1)
    assert (record["outcome"], record["counsellor_id"]) == ("answered", "c1")
    assert record["ended_by"] == "caller"

    # wrap-up in the page: the call's notes and crisis assessment, for this very call
    expect(page.locator("#seat-wrapup")).to_be_visible()
    expect(page.locator("#wrapup-suicidal_ideation")).to_be_focused()
    page.locator("#wrapup-suicidal_ideation").select_option("moderate")
    page.locator("#wrapup-hopelessness").select_option("severe")
    page.get_by_label("通话小结", exact=True).fill("来电者失眠两周，情绪低落，已约定回访。")
    page.get_by_role("button", name="提交评估").click()
    expect(page.locator("#wrapup-result")).to_contain_text("已记录：高风险（规则 risk.")
    shot(page, "seat-wrapup")
    with rig.sessions() as s:
        call_id = s.scalar(select(Call.id).where(Call.call_ref == record["call_ref"]))
        (assessment,) = s.scalars(select(Assessment).where(Assessment.call_id == call_id)).all()
        assert assessment.call_id == call_id
        assert (assessment.counsellor_id, assessment.risk) == ("c1", "high")
        assert assessment.notes.startswith("来电者失眠两周")

    seat_heard, caller_heard = rig.heard_by_seat(), caller.heard()
    # the browser's jitter buffer shifts its playout on a loaded host: found piece by piece
    score_a = match_pieces(seat_heard, rig.caller_says)
    score_b, _ = match(caller_heard, rig.counsellor_says)
    write_wav(rig.front.folder / "seat-heard.wav", seat_heard)
    assert score_a > HEARD, f"the seat heard the caller: {score_a:.3f} (caller heard {score_b:.3f})"
    assert score_b > HEARD, f"the caller heard the seat: {score_b:.3f}"
    # controls: nobody hears their own voice back
    own_seat, own_caller = (
        match(seat_heard, rig.counsellor_says)[0],
        match(caller_heard, rig.caller_says)[0],
    )
    print(f"seat heard caller {score_a:.3f}, caller heard seat {score_b:.3f}; "
          f"controls {own_seat:.3f} {own_caller:.3f}")  # fmt: skip
    assert own_seat < NOT_HEARD
    assert own_caller < NOT_HEARD
    sign_out(rig)


def test_the_seat_hands_a_call_over_to_120_with_its_assessment(rig: Rig) -> None:
    """转接 120 from the page: confirmed from the keyboard, forwarded by the app to the node
    holding the call (only for the counsellor on that call), the assessment sent along; the
    stand-in 120 answers and the caller is its; the records say who handed over and that it
    connected."""
    page = rig.page
    sipp = SippFactory(rig.folder)
    try:
        emergency = sipp("emergency_assessed", rig.server, port=rig.gateway_port, hold_ms=1500,
                         extra=["-trace_logs"])  # fmt: skip
        before, details_before = len(rig.server.records()), len(rig.server.details())
        sign_in(rig)
        caller = rig.caller(silence(40))
        expect(page.locator("#seat-answer")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#seat-status")).to_have_text("通话中")
        expect(page.locator("#seat-transfer")).to_be_enabled()
        (talking,) = [c for c in status(rig.server, rig.token)["calls"] if c["state"] == "talking"]
        sip_call_id = talking["sip_call_id"]

        # the node refuses a hand-over for another counsellor, or outside the user's region
        node = rig.settings.hotline_seat_node_control
        with rig.sessions() as s:
            for who, scope, error in (
                ("c2", Scope.ALL, Forbidden),
                (None, Scope(region="110000"), LiveCallNotFound),
            ):
                with pytest.raises(error):
                    cluster_service.forward_transfer(
                        s, sip_call_id, to="120", counsellor_id=who, secret=TEST_SECRET,
                        actor="user:someone", scope=scope, single=node,
                    )  # fmt: skip

        # the counsellor's assessment, then 转接 120 directly, confirmed with the keyboard
        page.locator("#transfer-suicidal_ideation").select_option("severe")
        page.locator("#transfer-hopelessness").select_option("moderate")
        page.locator("#transfer-attended").uncheck()
        page.get_by_role("button", name="转接 120").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#transfer-question")).to_contain_text("确认将来电转接至 120（直接转接")
        expect(page.locator("#transfer-yes")).to_be_focused()
        page.keyboard.press("Escape")  # not yet: back on the button
        expect(page.get_by_role("button", name="转接 120")).to_be_focused()
        page.keyboard.press("Enter")
        shot(page, "seat-transfer-confirm")
        page.keyboard.press("Enter")
        expect(page.locator("#seat-last")).to_contain_text("已转接至 120", timeout=20_000)

        assert emergency.wait() == 0, emergency.errors()  # 120 answered, talked, hung up
        logged = "".join(p.read_text() for p in emergency.workdir.glob("*_logs.log"))
        assert "risk=high;rule=risk.severe_ideation" in logged, logged[-500:]
        caller.wait_hangup(timeout=20)  # the caller talked to 120 until it hung up
        (record,) = rig.new_records(before, 1)
        assert (record["outcome"], record["counsellor_id"]) == ("answered", "c1")
        assert record["ended_by"] == "counsellor"  # the counsellor's part ends at the hand-over
        detail = rig.server.details(details_before + 1)[details_before]
        transfer = detail["transfer"]
        assert (transfer["to"], transfer["connected"], transfer["sip_code"]) == ("120", True, 200)
        assert transfer["by"] == f"user:{rig.user}"
        with rig.sessions() as s:
            (entry,) = [e for e in audit.list_entries(s, table="hotline_sip_call")
                        if e.action == "hotline.sip.transfer"]  # fmt: skip
        assert (entry.actor, entry.record_id) == (f"user:{rig.user}", sip_call_id)

        # the wrap-up starts from what was sent with the hand-over
        expect(page.locator("#wrapup-handover")).to_have_value("120")
        expect(page.locator("#wrapup-suicidal_ideation")).to_have_value("severe")
        sign_out(rig)
    finally:
        sipp.close()


def test_the_seat_consults_120_then_joins_the_caller_to_it(rig: Rig) -> None:
    """The attended hand-over from the page: the browser's call is re-INVITEd (through Kamailio
    and rtpengine) to the consultation while the caller hears the hold prompt; 转入来电者 joins
    the caller to 120 and ends the seat's leg."""
    page = rig.page
    sipp = SippFactory(rig.folder)
    try:
        emergency = sipp("emergency_consulted", rig.server, port=rig.gateway_port, hold_ms=500,
                         extra=["-trace_logs"])  # fmt: skip
        details_before = len(rig.server.details())
        sign_in(rig)
        rig.caller(silence(40), dial="075512356")  # a Shenzhen caller (area code 0755)
        expect(page.locator("#seat-answer")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#seat-status")).to_have_text("通话中")
        (talking,) = [c for c in status(rig.server, rig.token)["calls"] if c["state"] == "talking"]
        sip_call_id = talking["sip_call_id"]
        page.locator("#transfer-attended").check()  # consult first (the page's default)
        page.get_by_role("button", name="转接 120").click()
        expect(page.locator("#transfer-question")).to_contain_text("先与对方沟通")
        page.keyboard.press("Enter")
        expect(page.locator("#transfer-complete")).to_be_focused()

        def consulted() -> bool:
            rows = status(rig.server, rig.token)["calls"]
            return any(r["sip_call_id"] == sip_call_id and r["consulted"] for r in rows)

        assert until(consulted, timeout=20)
        expect(page.locator("#seat-status")).to_have_text("通话中")  # the page kept its call
        page.keyboard.press("Enter")  # 转入来电者
        expect(page.locator("#seat-last")).to_contain_text("已转接至 120", timeout=20_000)
        assert emergency.wait() == 0, emergency.errors()
        logged = "".join(p.read_text() for p in emergency.workdir.glob("*_logs.log"))
        assert "location=440300" in logged
        detail = rig.server.details(details_before + 1)[details_before]
        transfer = detail["transfer"]
        assert (transfer["attended"], transfer["consulted"], transfer["connected"]) == (
            True, True, True,
        )  # fmt: skip
        assert "hold" in detail["media"]["heard"]
        with rig.sessions() as s:
            steps = {(e.action, e.actor) for e in audit.list_entries(s, table="hotline_sip_call")
                     if e.record_id == sip_call_id}  # fmt: skip
        user = f"user:{rig.user}"
        assert steps == {("hotline.sip.transfer", user), ("hotline.sip.transfer_complete", user)}
        sign_out(rig)
    finally:
        sipp.close()


# Registers a JsSIP user agent with the given credential and answers how it went.
TRY_REGISTER = """
([ws, uri, user, password]) => new Promise((resolve) => {
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(ws)], uri: uri, authorization_user: user,
    password: password, register: true, register_expires: 60,
  });
  ua.on("registered", () => { ua.stop(); resolve("registered"); });
  ua.on("registrationFailed", (e) => { ua.stop(); resolve("failed " + e.cause); });
  ua.start();
})
"""


def try_register(rig: Rig, cred: seat_rules.SeatCredential, as_user: str = "c1") -> str:
    ws = rig.settings.hotline_seat_ws_url
    answer: str = rig.page.evaluate(
        TRY_REGISTER, [ws, f"sip:{as_user}@127.0.0.1", cred.username, cred.password]
    )
    return answer


def test_only_a_live_credential_registers_and_hang_up_and_a_closed_tab_end_the_call(
    rig: Rig,
) -> None:
    page = rig.page
    secret = seat_rules.seat_secret(rig.settings.hmac_key)
    now = int(time.time())
    # Kamailio decides: a fresh credential registers; an expired one, one made with another
    # key, and c1's credential used for c2's address are refused
    fresh = seat_rules.issue(secret, "c1", now_unix=now, ttl_s=120)
    assert try_register(rig, fresh) == "registered"
    expired = seat_rules.issue(secret, "c1", now_unix=now - 600, ttl_s=300)
    assert try_register(rig, expired).startswith("failed")
    forged = seat_rules.issue(seat_rules.seat_secret(b"another key"), "c1", now_unix=now, ttl_s=60)
    assert try_register(rig, forged).startswith("failed")
    assert try_register(rig, fresh, as_user="c2").startswith("failed")

    # the counsellor hangs up from the keyboard
    before = len(rig.server.records())
    sign_in(rig)
    rig.caller(np.concatenate([silence(20)]))
    expect(page.locator("#seat-answer")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#seat-status")).to_have_text("通话中")
    page.keyboard.press("Enter")  # the focus moved to 挂断
    expect(page.locator("#seat-last")).to_contain_text("本坐席挂断")
    (record,) = rig.new_records(before, 1)
    assert (record["outcome"], record["ended_by"]) == ("answered", "counsellor")

    # the seat's connection is lost in the middle of a call (no goodbye from the page, only its
    # WebSocket closing): Kamailio ends the call on both sides; the seat is not stuck talking
    rig.caller(np.concatenate([silence(25)]))
    expect(page.locator("#seat-answer")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#seat-status")).to_have_text("通话中")
    assert until(lambda: rig.seat_state() == "talking", timeout=10), rig.seat_state()
    page.evaluate("window.__sockets.forEach((s) => s.close())")
    records = rig.new_records(before, 2)
    assert len(records) == 2, records
    assert (records[1]["outcome"], records[1]["ended_by"]) == ("answered", "counsellor")
    assert until(lambda: status(rig.server, rig.token)["seats"]["c1"] != "talking", timeout=10)
    assert "closed in a call" in rig.front.log()

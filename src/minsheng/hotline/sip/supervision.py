"""Supervision (督导) of a call in conversation: listen, whisper, join — who hears whom; SDP.

A supervisor's phone is rung by the B2BUA (its registered or static contact in the seats file,
``{"supervisor": "sup-01", ...}``) and, once it answers, gets the call's audio:

* **listen** (监听): the supervisor hears the caller and the counsellor; nobody hears the
  supervisor (its audio reaches the mixer and is dropped there; every mode offers the phone
  ``sendrecv``, as a phone offered ``sendonly`` may play nothing — baresip 1.0 does not). The
  call's own
  path is not touched: rtpengine copies each side's media (``subscribe request`` /
  ``subscribe answer`` per side, ``unsubscribe`` at the end) to two ports of the mixer, which
  sums them for the supervisor's one audio stream (rtpengine 10.5 copies but does not mix).
* **whisper** (耳语): the counsellor hears the caller and the supervisor; the caller hears only
  the counsellor. The mixer is put in the counsellor's path: rtpengine's seat side is pointed at
  the mixer (an ``answer`` with ``port-latching``, as a hand-over does; the caller's leg is never
  re-INVITEd) and the counsellor's phone is re-INVITEd to the mixer.
* **join** (强插): as whisper, and the caller hears the supervisor too (a three-way call).

When the supervisor hangs up (or staff stop it, or the call ends) rtpengine's seat side is
pointed back at the counsellor's phone, the counsellor is re-INVITEd back to rtpengine, the
subscriptions are removed and the mixer's ports closed. The recording (rtpengine pcap) keeps
what rtpengine relays: in whisper the counsellor's side without the supervisor, in join with.
"""

from __future__ import annotations

import re
from enum import StrEnum

from minsheng.hotline.sip.media import offered_codecs


class Mode(StrEnum):
    LISTEN = "listen"
    WHISPER = "whisper"
    JOIN = "join"


LABELS = {Mode.LISTEN: "监听", Mode.WHISPER: "耳语", Mode.JOIN: "强插"}

# output port → the inputs mixed into it (ports: caller, counsellor, supervisor)
MATRIX: dict[Mode, dict[str, tuple[str, ...]]] = {
    Mode.LISTEN: {"supervisor": ("caller", "counsellor")},
    Mode.WHISPER: {
        "supervisor": ("caller", "counsellor"),
        "counsellor": ("caller", "supervisor"),
        "caller": ("counsellor",),
    },
    Mode.JOIN: {
        "supervisor": ("caller", "counsellor"),
        "counsellor": ("caller", "supervisor"),
        "caller": ("counsellor", "supervisor"),
    },
}

PORTS = ("caller", "counsellor", "supervisor")

# whisper and join: output port → the input whose stream it continues (Mixer.set_follow), i.e.
# the stream that party's phone received before it was moved to the bridge
FOLLOW = {"counsellor": "caller", "caller": "counsellor"}

_C_LINE = re.compile(r"^c=IN IP[46] (\S+)\s*$", re.MULTILINE)
_M_LINE = re.compile(r"^m=audio (\d+)", re.MULTILINE)
_O_LINE = re.compile(r"^(o=\S+ \S+ )(\d+)( .*)$", re.MULTILINE)
_DIRECTION = re.compile(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$", re.MULTILINE)


def sdp_address(sdp: str) -> tuple[str, int] | None:
    """Where an SDP's (first) audio stream is received: its c= address and m=audio port."""
    c, m = _C_LINE.search(sdp), _M_LINE.search(sdp)
    if c is None or m is None or int(m.group(1)) == 0:
        return None
    return c.group(1), int(m.group(1))


def g711_payload(sdp: str) -> int | None:
    """The G.711 payload type the call uses (0 PCMU or 8 PCMA), or None (the mixer needs G.711)."""
    for codec in offered_codecs(sdp):
        if codec.name.lower() in ("pcmu", "pcma"):
            return codec.payload
        if codec.name.lower() != "telephone-event":
            return None
    return None


def mixer_sdp(host: str, port: int, payload_type: int, direction: str, version: int = 1) -> str:
    """An SDP for one mixer port: the call's G.711 codec (and telephone-event 101)."""
    name = "PCMU" if payload_type == 0 else "PCMA"
    family = "IP6" if ":" in host else "IP4"
    lines = [
        "v=0",
        f"o=minsheng-mixer {port} {version} IN {family} {host}",
        "s=minsheng",
        f"c=IN {family} {host}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {payload_type} 101",
        f"a=rtpmap:{payload_type} {name}/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        f"a={direction}",
    ]
    return "\r\n".join(lines) + "\r\n"


def readdress(sdp: str, host: str, port: int, version: int) -> str:
    """The same SDP received at ``host:port`` instead, its o= version raised (a re-INVITE
    offers the counsellor the same session, moved)."""
    sdp = _C_LINE.sub(f"c=IN {'IP6' if ':' in host else 'IP4'} {host}", sdp)
    sdp = _M_LINE.sub(f"m=audio {port}", sdp, count=1)
    sdp = re.sub(r"^a=rtcp:\d+.*\r?\n", "", sdp, flags=re.MULTILINE)
    return _O_LINE.sub(lambda m: f"{m.group(1)}{version}{m.group(3)}", sdp, count=1)


def with_version(sdp: str, version: int) -> str:
    return _O_LINE.sub(lambda m: f"{m.group(1)}{version}{m.group(3)}", sdp, count=1)


def sdp_version(sdp: str) -> int:
    match = _O_LINE.search(sdp)
    return int(match.group(2)) if match else 1


def answer_direction(offer: str) -> str:
    """The direction answering an offer: sendonly ↔ recvonly."""
    match = _DIRECTION.search(offer)
    direction = match.group(1) if match else "sendrecv"
    return {"sendonly": "recvonly", "recvonly": "sendonly"}.get(direction, direction)

"""Media anchored in rtpengine: one rtpengine call per caller, driven over the ng protocol.

How a call's media is set up (measured on rtpengine 10.5, userspace; docs/hotline-media.md):

* The caller's INVITE SDP goes to rtpengine as an ``offer`` (tag ``caller``), with every codec
  stripped but the one the caller will be answered with (PCMU, else PCMA, else the caller's
  first) and ``telephone-event``. rtpengine answers with the SDP offered to the seats later.
* The platform answers the caller at once (200 OK) with rtpengine's SDP, obtained by an
  ``answer`` (tag ``seat``) carrying a placeholder SDP (127.0.0.1:9, discard) until a seat exists.
  Prompts are then ``play media`` to the caller; nothing else reaches the caller meanwhile.
* A seat is INVITEd with the offer's SDP; its 200 is given to rtpengine as a second ``answer``
  with ``port-latching``, which keeps the ports the caller already sends to: the caller's leg
  needs no re-INVITE and the seat is bridged the moment it answers.
* ``delete`` (``delete-delay = 0``) on every end of a call and every failure, so no session is
  left behind (an unanswered session would otherwise stay until rtpengine's offer timeout).
* A caller's re-INVITE (hold, unhold, a carrier moving its media) is answered by rtpengine, the
  caller's leg only: its SDP is offered again (the call's codec kept, else 488) and
  answered with what the seat side has now (the placeholder while waiting, the counsellor's
  SDP while talking); rtpengine keeps its ports on both sides (measured), so the counsellor's leg
  is not touched. The 200 carries our first SDP's origin (version + 1 when it changed) and the
  direction answering the offer's (sendonly → recvonly).

:class:`MediaRelay` wraps the ng client with these steps; every failure raises
:class:`~minsheng.hotline.sip.ngproto.NgError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from minsheng.hotline.sip.ngproto import NgClient, NgError

CALLER_TAG = "caller"
SEAT_TAG = "seat"

_MLINE = re.compile(r"^m=audio\s+\d+\s+\S+\s+([0-9 ]+)\s*$", re.MULTILINE)
_RTPMAP = re.compile(r"^a=rtpmap:(\d+)\s+([^/\s]+)/(\d+)(?:/(\d+))?\s*$", re.MULTILINE)
_STATIC = {0: ("PCMU", 8000), 8: ("PCMA", 8000), 9: ("G722", 8000), 18: ("G729", 8000)}
_ORIGIN = re.compile(r"^o=(\S+ \S+) (\d+) (.*?)\s*$", re.MULTILINE)
_DIRECTION = re.compile(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$", re.MULTILINE)
_HOLD_ADDRESS = re.compile(r"^c=IN IP4 0\.0\.0\.0\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Codec:
    payload: int
    name: str
    rate: int


def offered_codecs(sdp: str) -> list[Codec]:
    """The audio codecs of an SDP offer, in the offer's order."""
    match = _MLINE.search(sdp)
    if match is None:
        return []
    rtpmap = {int(m[1]): (m[2], int(m[3])) for m in _RTPMAP.finditer(sdp)}
    codecs = []
    for text in match.group(1).split():
        pt = int(text)
        name, rate = rtpmap.get(pt) or _STATIC.get(pt, ("", 0))
        if name:
            codecs.append(Codec(pt, name, rate))
    return codecs


def choose_codec(codecs: list[Codec]) -> Codec | None:
    """The codec the caller is answered with: PCMU, else PCMA, else the first audio codec."""
    audio = [c for c in codecs if c.name.lower() != "telephone-event"]
    for wanted in ("pcmu", "pcma"):
        for codec in audio:
            if codec.name.lower() == wanted:
                return codec
    return audio[0] if audio else None


def placeholder_answer(codec: Codec, dtmf: Codec | None) -> str:
    """The SDP standing for "no seat yet": the chosen codec at 127.0.0.1:9 (discard)."""
    payloads = [codec] + ([dtmf] if dtmf else [])
    lines = [
        "v=0",
        "o=minsheng 1 1 IN IP4 127.0.0.1",
        "s=minsheng",
        "c=IN IP4 127.0.0.1",
        "t=0 0",
        "m=audio 9 RTP/AVP " + " ".join(str(c.payload) for c in payloads),
        *(f"a=rtpmap:{c.payload} {c.name}/{c.rate}" for c in payloads),
    ]
    if dtmf:
        lines.append(f"a=fmtp:{dtmf.payload} 0-16")
    lines.append("a=sendrecv")
    return "\r\n".join(lines) + "\r\n"


def offer_direction(sdp: str) -> str:
    """The direction an offer asks for; ``c=0.0.0.0`` (RFC 2543 hold) counts as sendonly."""
    match = _DIRECTION.search(sdp)
    if match:
        return match.group(1)
    return "sendonly" if _HOLD_ADDRESS.search(sdp) else "sendrecv"


def reanswer(answer: str, previous: str, offer: str) -> str:
    """rtpengine's answer to a caller's re-INVITE made fit to send: the direction answering
    the offer's, and the origin of the SDP the caller had from us before, its version raised by
    one when anything else changed (RFC 3264 §8: same origin, version + 1 on a change)."""
    direction = {"sendonly": "recvonly", "recvonly": "sendonly"}.get(
        offer_direction(offer), offer_direction(offer)
    )
    if _DIRECTION.search(answer):
        answer = _DIRECTION.sub(f"a={direction}", answer)
    else:
        answer = answer.rstrip("\r\n") + f"\r\na={direction}\r\n"
    old = _ORIGIN.search(previous)
    if old is None:
        return answer
    same = _ORIGIN.sub(lambda m: f"o={old.group(1)} {old.group(2)} {old.group(3)}", answer, 1)
    if same == previous:
        return same
    version = int(old.group(2)) + 1
    return _ORIGIN.sub(lambda m: f"o={old.group(1)} {version} {old.group(3)}", answer, 1)


@dataclass
class CallerMedia:
    """What the caller's leg needs: rtpengine's SDP for the caller and for the seats."""

    caller_sdp: str  # the SDP the caller has from us now (the 200, or the latest re-INVITE's)
    seat_sdp: str
    codec: str = "PCMU"  # the codec the caller was answered with

    @property
    def caller_port(self) -> int:
        """rtpengine's RTP port facing the caller (in its SDP for the caller)."""
        match = re.search(r"^m=audio\s+(\d+)", self.caller_sdp, re.MULTILINE)
        return int(match.group(1)) if match else 0


class MediaRelay:
    """The B2BUA's use of one rtpengine (call from the SIP thread)."""

    def __init__(self, client: NgClient) -> None:
        self.client = client
        self.live: set[str] = set()  # rtpengine calls this process created and has not deleted
        self.errors = 0
        self.seat_answers: dict[str, str] = {}  # call → the seat side's SDP rtpengine has now

    @classmethod
    def connect(cls, address: str, *, timeout_s: float = 0.5) -> MediaRelay:
        host, _, port = address.rpartition(":")
        return cls(NgClient(host.strip("[]"), int(port), timeout_s=timeout_s))

    def close(self) -> None:
        self.client.close()

    def anchor(self, call_id: str, offer_sdp: str) -> CallerMedia:
        """Offer the caller's SDP, answer it with the placeholder; raises NgError or ValueError."""
        codecs = offered_codecs(offer_sdp)
        codec = choose_codec(codecs)
        if codec is None:
            raise ValueError("the caller's SDP offers no audio codec")
        dtmf = next((c for c in codecs if c.name.lower() == "telephone-event"), None)
        keep = [codec.name] + (["telephone-event"] if dtmf else [])
        self.live.add(call_id)
        try:
            offer = self.client.request(
                "offer",
                call_id=call_id,
                from_tag=CALLER_TAG,
                sdp=offer_sdp,
                flags=["trust-address"],
                codec={"strip": ["all"], "except": keep},
            )
            answer = self.client.request(
                "answer",
                call_id=call_id,
                from_tag=CALLER_TAG,
                to_tag=SEAT_TAG,
                sdp=placeholder_answer(codec, dtmf),
                flags=["trust-address"],
            )
        except NgError:
            self.errors += 1
            self.delete(call_id)
            raise
        self.seat_answers[call_id] = placeholder_answer(codec, dtmf)
        return CallerMedia(
            caller_sdp=str(answer["sdp"]), seat_sdp=str(offer["sdp"]), codec=codec.name
        )

    def seat_answered(self, call_id: str, answer_sdp: str) -> None:
        """Point the seat side at the seat's SDP, keeping the ports the caller already uses."""
        self.client.request(
            "answer",
            call_id=call_id,
            from_tag=CALLER_TAG,
            to_tag=SEAT_TAG,
            sdp=answer_sdp,
            flags=["trust-address", "port-latching"],
        )
        self.seat_answers[call_id] = answer_sdp

    def caller_reoffer(self, call_id: str, media: CallerMedia, offer_sdp: str) -> str:
        """A caller's re-INVITE: its new SDP offered again, answered with the seat side as it
        is; returns the SDP for the caller's 200 (and keeps it in ``media``). ValueError when the
        offer drops the call's codec (488), NgError when rtpengine refuses."""
        codecs = offered_codecs(offer_sdp)
        if not any(c.name.lower() == media.codec.lower() for c in codecs):
            raise ValueError(f"the re-INVITE does not offer the call's codec {media.codec}")
        dtmf = any(c.name.lower() == "telephone-event" for c in codecs)
        keep = [media.codec] + (["telephone-event"] if dtmf else [])
        self.client.request(
            "offer",
            call_id=call_id,
            from_tag=CALLER_TAG,
            sdp=offer_sdp,
            flags=["trust-address", "port-latching"],
            codec={"strip": ["all"], "except": keep},
        )
        answer = self.client.request(
            "answer",
            call_id=call_id,
            from_tag=CALLER_TAG,
            to_tag=SEAT_TAG,
            sdp=self.seat_answers.get(call_id, ""),
            flags=["trust-address", "port-latching"],
        )
        media.caller_sdp = reanswer(str(answer["sdp"]), media.caller_sdp, offer_sdp)
        return media.caller_sdp

    def play(self, call_id: str, path: str) -> float:
        """Play a WAV file to the caller; returns its duration in seconds."""
        answer = self.client.request("play media", call_id=call_id, from_tag=CALLER_TAG, file=path)
        return float(answer.get("duration", 0)) / 1000.0

    def start_recording(self, call_id: str) -> None:
        """rtpengine writes what both sides send to its recording-dir until the delete."""
        self.client.request("start recording", call_id=call_id)

    def stop(self, call_id: str) -> None:
        self.client.request("stop media", call_id=call_id, from_tag=CALLER_TAG)

    def delete(self, call_id: str) -> bool:
        """Delete the call's session at once; False when rtpengine did not (it may be down)."""
        self.live.discard(call_id)
        self.seat_answers.pop(call_id, None)
        try:
            self.client.request("delete", call_id=call_id, delete_delay=0)
        except NgError as exc:
            # "Call-ID not found" is fine (never created, or rtpengine restarted); anything else
            # (no answer) is counted: rtpengine's own timeouts will reap it.
            if "unknown call" not in str(exc).lower() and "not found" not in str(exc).lower():
                self.errors += 1
                return False
        return True

    def subscribe(self, call_id: str, from_tag: str, to_tag: str) -> str:
        """Ask for a copy of what ``from_tag`` sends (``subscribe request``); returns
        rtpengine's sendonly offer for the subscriber."""
        answer = self.client.request(
            "subscribe request", call_id=call_id, from_tag=from_tag, to_tag=to_tag
        )
        return str(answer["sdp"])

    def subscribe_answer(self, call_id: str, to_tag: str, sdp: str) -> None:
        """Start the copy towards the subscriber's answer SDP."""
        self.client.request(
            "subscribe answer", call_id=call_id, to_tag=to_tag, sdp=sdp, flags=["allow transcoding"]
        )

    def unsubscribe(self, call_id: str, to_tag: str) -> None:
        self.client.request("unsubscribe", call_id=call_id, to_tag=to_tag)

    def list_calls(self, limit: int = 32) -> list[str]:
        """The call ids rtpengine holds (ng ``list`` answers at most ``limit``)."""
        answer = self.client.request("list", limit=limit)
        return [str(c) for c in answer.get("calls", [])]

"""What changed on the hotline's live board since the browser last drew it, as one short
sentence for a polite live region ("新来电：广东省 排队中"), in the reader's language (the
place stays as stored).

The board refreshes every few seconds by swapping only its tables (keyboard focus stays where it
was); a screen reader is told only what changed, never the whole board again. The browser sends
back what it was shown (``seen``: one key per call up on the SIP nodes, its state and whether it
is a crisis call); this pure function compares it with the calls now up. No key leaves the
server's own vocabulary: a call is named by a digest of its SIP Call-ID, not the Call-ID.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from minsheng.core import i18n

MAX_SAID = 4  # more changes than this at once are summed up ("等 5 项变化")


def call_key(sip_call_id: str) -> str:
    """A short stable id of a live call, usable as an HTML id and in ``seen``."""
    return "c" + hashlib.sha1(sip_call_id.encode(), usedforsecurity=False).hexdigest()[:12]


def seen_of(calls: Sequence[Mapping[str, Any]]) -> str:
    """``seen`` for the calls a board shows: ``key:state[:crisis]`` joined by spaces."""
    return " ".join(f"{c['key']}:{c['state']}{':crisis' if c.get('crisis') else ''}" for c in calls)


def _parse(seen: str) -> dict[str, tuple[str, bool]]:
    out: dict[str, tuple[str, bool]] = {}
    for part in seen.split()[:500]:
        key, _, rest = part.partition(":")
        state, _, crisis = rest.partition(":")
        out[key] = (state, crisis == "crisis")
    return out


def changes(
    seen: str | None,
    calls: Sequence[Mapping[str, Any]],
    *,
    place: Callable[[Mapping[str, Any]], str],
    state_label: Mapping[str, str],
) -> str:
    """The sentence announcing what changed between ``seen`` and ``calls`` ("" when nothing did
    or when the browser had nothing yet, as on a first drawing)."""
    if seen is None:
        return ""
    before = _parse(seen)
    said: list[str] = []
    for c in calls:
        label = state_label.get(c["state"], c["state"])
        old = before.get(c["key"])
        if old is None and c.get("crisis"):
            said.append(i18n.localise("危机来电：{place} {state}", place=place(c), state=label))
        elif old is None:
            said.append(i18n.localise("新来电：{place} {state}", place=place(c), state=label))
        elif c.get("crisis") and not old[1]:
            said.append(i18n.localise("危机来电：{place} {state}", place=place(c), state=label))
        elif old[0] != c["state"]:
            said.append(i18n.localise("{place}来电：{state}", place=place(c), state=label))
    gone = len(set(before) - {c["key"] for c in calls})
    if gone:
        said.append(i18n.localise("{n} 通来电已离开队列", n=gone))
    joiner = i18n.gettext("；")
    if len(said) > MAX_SAID:
        return joiner.join(said[:MAX_SAID]) + joiner + i18n.localise("等 {n} 项变化", n=len(said))
    return joiner.join(said)

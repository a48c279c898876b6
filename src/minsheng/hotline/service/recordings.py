"""Call recordings for staff: which calls have one, and playing one — decrypted in memory, never
written decrypted to disk, each playback audited with its reason.

The recordings are AES-256-GCM files written by the SIP server's recorder (sip/recording.py) under
``HOTLINE_RECORDINGS_DIR``, named by a hash of the call reference. A staff member asks to play one
with a reason: :func:`open_recording` audits that (``hotline.recording.play``) and returns a
*grant*, a short-lived token signed with the application's secret key, bound to the call and to
the staff member; the audio player's requests carry it and :func:`read_recording` checks it before
decrypting (a browser fetches an audio file several times, by ranges: one reason, one audit
entry, then the grant). Grants last :data:`GRANT_S` seconds.

A recording belongs to the line that answered the call (whose setting made it): a staff member
scoped to a province or city lists, plays and downloads only the recordings of calls answered by
a line in their scope (``scoping.hotline_in_scope``) — not those of their callers answered by
the national backup or another province's line. Out of scope answers like missing
(CallNotFound, 404), as every other scoped read.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import audit
from minsheng.core.config import Settings
from minsheng.core.errors import Forbidden, InvalidInput, NotFound
from minsheng.core.scope import Scope
from minsheng.hotline.errors import CallNotFound
from minsheng.hotline.models import Call
from minsheng.hotline.service.scoping import hotline_filter, hotline_ids_in_scope
from minsheng.hotline.sip.recording import decrypt, file_name, parse_key

GRANT_S = 15 * 60


def recordings_dir(settings: Settings) -> Path:
    if settings.hotline_recordings_dir:
        return Path(settings.hotline_recordings_dir)
    return settings.var_dir / "recordings"


def _key(settings: Settings) -> bytes:
    if not settings.hotline_recording_key:
        raise InvalidInput(
            "recordings cannot be played without MINSHENG_HOTLINE_RECORDING_KEY",
            field="hotline_recording_key",
        )
    try:
        return parse_key(settings.hotline_recording_key)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="hotline_recording_key") from exc


def has_recording(settings: Settings, call_ref: str) -> bool:
    return (recordings_dir(settings) / file_name(call_ref)).is_file()


def recorded_calls(
    session: Session,
    settings: Settings,
    *,
    hotline_id: str | None = None,
    scope: Scope = Scope.ALL,
    limit: int = 200,
) -> list[Call]:
    """The latest answered calls that have a recording, answered by a line in the scope."""
    stmt = (
        select(Call)
        .where(Call.outcome == "answered")
        .where(hotline_filter(session, scope, Call.hotline_id))
        .order_by(Call.arrived_at.desc())
        .limit(limit)
    )
    if hotline_id:
        stmt = stmt.where(Call.hotline_id == hotline_id)
    return [c for c in session.scalars(stmt) if has_recording(settings, c.call_ref)]


def get_recorded_call(session: Session, call_ref: str, *, scope: Scope = Scope.ALL) -> Call:
    """The call whose recording is asked for; CallNotFound when missing or answered by a line
    outside the scope."""
    call = session.scalar(select(Call).where(Call.call_ref == call_ref))
    ids = hotline_ids_in_scope(session, scope)
    if call is None or (ids is not None and call.hotline_id not in ids):
        raise CallNotFound(f"no call {call_ref!r}", field="call_ref")
    return call


def _sign(settings: Settings, call_ref: str, actor: str, expires: int) -> str:
    message = f"recording|{call_ref}|{actor}|{expires}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def open_recording(
    session: Session,
    settings: Settings,
    call_ref: str,
    *,
    reason: str,
    actor: str,
    now: datetime,
    scope: Scope = Scope.ALL,
) -> tuple[Call, str]:
    """Audit a playback (with its reason) and return the call and a grant for the player."""
    call = get_recorded_call(session, call_ref, scope=scope)
    if not reason.strip():
        raise InvalidInput("say why the recording is played", field="reason")
    if not has_recording(settings, call_ref):
        raise NotFound("no recording for this call", field="call_ref")
    _key(settings)
    audit.record(
        session,
        actor=actor,
        action="hotline.recording.play",
        table="hotline_calls",
        record_id=call_ref,
        detail={"reason": reason.strip()[:500], "via": "web"},
    )
    expires = int(now.timestamp()) + GRANT_S
    return call, f"{expires}.{_sign(settings, call_ref, actor, expires)}"


def read_recording(
    session: Session,
    settings: Settings,
    call_ref: str,
    *,
    grant: str,
    actor: str,
    now: datetime,
    scope: Scope = Scope.ALL,
) -> bytes:
    """The decrypted WAV (stereo: caller left, counsellor right), in memory, for a valid grant
    and a call in the scope (checked again: a scope narrowed after the grant applies at once)."""
    get_recorded_call(session, call_ref, scope=scope)
    expires_text, _, signature = grant.partition(".")
    if not expires_text.isdigit() or not hmac.compare_digest(
        signature, _sign(settings, call_ref, actor, int(expires_text))
    ):
        raise Forbidden("play the recording from its page, with a reason", field="grant")
    if int(expires_text) < now.timestamp():
        raise Forbidden("the permission to play this recording has expired", field="grant")
    path = recordings_dir(settings) / file_name(call_ref)
    if not path.is_file():
        raise NotFound("no recording for this call", field="call_ref")
    try:
        return decrypt(path.read_bytes(), _key(settings), call_ref)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="call_ref") from exc

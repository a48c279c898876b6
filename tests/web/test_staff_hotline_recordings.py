"""The staff page's recording player: listed, played with a reason (audited), decrypted in
memory for the one who asked, never without the grant, never for another role."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core import audit
from minsheng.core.config import Settings
from minsheng.hotline import service
from minsheng.hotline.sip.recording import encrypt, file_name, new_key, parse_key
from tests.web.conftest import StaffLogin

KEY = new_key()


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "hotline_recording_key": KEY,
            "hotline_recordings_dir": str(tmp_path / "recordings"),
        }
    )


def stereo_wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(range(256)) * 64)
    return out.getvalue()


@pytest.fixture
def recorded(
    settings: Settings, session_factory: sessionmaker[Session], hotline_demo: dict[str, Any]
) -> tuple[str, bytes]:
    """One answered demo call with an encrypted recording (as the SIP recorder stores it)."""
    with session_factory() as s:
        call = service.list_calls(s, outcome="answered", limit=1)[0]
        ref = call.call_ref
    folder = Path(settings.hotline_recordings_dir)
    folder.mkdir()
    wav = stereo_wav()
    (folder / file_name(ref)).write_bytes(encrypt(wav, parse_key(KEY), ref))
    return ref, wav


def test_a_recording_is_played_with_a_reason_and_audited(
    staff_login: StaffLogin,
    recorded: tuple[str, bytes],
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    ref, wav = recorded
    client, _ = staff_login("hotline", "/staff/hotline")
    listing = client.get("/staff/hotline/recordings")
    assert listing.status_code == 200
    assert listing.text.count(">回放</a>") == 1  # only the call that has a recording
    page = client.get(f"/staff/hotline/recordings/{ref}")
    assert page.status_code == 200
    assert "回放事由" in page.text and "<audio" not in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    no_reason = client.post(f"/staff/hotline/recordings/{ref}", data={"csrf_token": csrf})
    assert no_reason.status_code == 422
    assert "<audio" not in no_reason.text
    played = client.post(
        f"/staff/hotline/recordings/{ref}", data={"csrf_token": csrf, "reason": "督导复核"}
    )
    assert played.status_code == 200, played.text
    src = played.text.split('<audio id="recording-player" controls preload="auto" src="')[1]
    src = src.split('"')[0].replace("&amp;", "&")
    audio = client.get(src)
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/wav"
    assert audio.headers["cache-control"] == "no-store"
    assert audio.content == wav  # decrypted on the fly
    download = client.get(src + "&download=true")
    assert download.headers["content-disposition"].startswith("attachment")
    # nothing decrypted on disk: only the encrypted file is there
    files = list(Path(settings.hotline_recordings_dir).iterdir())
    assert [f.name for f in files] == [file_name(ref)]
    assert b"RIFF" not in files[0].read_bytes()[:64]
    # without the grant, or with a forged one, no audio
    assert client.get(f"/staff/hotline/recordings/{ref}/audio").status_code == 403
    forged = src.rsplit("=", 1)[0] + "=1.00"
    assert client.get(forged).status_code == 403
    with session_factory() as s:
        plays = [
            e
            for e in audit.list_entries(s, table="hotline_calls")
            if e.action == "hotline.recording.play"
        ]
    assert [(e.record_id, e.detail["reason"]) for e in plays] == [(ref, "督导复核")]


def test_the_grant_is_the_asker_s_and_other_roles_get_nothing(
    staff_login: StaffLogin, recorded: tuple[str, bytes], login_token: Callable[[str], str]
) -> None:
    ref, _wav = recorded
    staff, _ = staff_login("hotline", "/staff/hotline")
    page = staff.get(f"/staff/hotline/recordings/{ref}")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    played = staff.post(
        f"/staff/hotline/recordings/{ref}", data={"csrf_token": csrf, "reason": "质量抽查"}
    )
    src = played.text.split('src="/staff/hotline/recordings/')[1].split('"')[0]
    src = "/staff/hotline/recordings/" + src.replace("&amp;", "&")
    # another hotline user cannot use this grant
    other = login_token("hotline")
    staff.cookies.clear()
    staff.headers["Authorization"] = f"Bearer {other}"
    assert staff.get("/staff/hotline/recordings").status_code == 200  # a hotline user, but
    assert staff.get(src).status_code == 403  # the grant is not theirs
    # a certification user cannot even see the list
    staff.headers["Authorization"] = f"Bearer {login_token('certification')}"
    assert staff.get("/staff/hotline/recordings").status_code == 403
    assert staff.get(src).status_code == 403


def test_a_provincial_user_hears_only_the_recordings_of_its_own_lines(
    client: Any,
    recorded: tuple[str, bytes],
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    """Scoped to Guangdong: the recordings of calls answered by Guangdong's lines only — not
    those answered by another line, even for a caller located in Guangdong (the recording
    belongs to the line that answered); out of scope answers 404 for list, page, play and audio."""
    from minsheng.core.auth import create_user
    from minsheng.core.scope import parse_scope

    with session_factory() as s:
        gd_lines = {h.id for h in service.list_hotlines(s, region="440000")} - {
            h.id for h in service.list_hotlines(s, level="national")
        }
        answered = service.list_calls(s, outcome="answered", limit=2000)
        own = next(c for c in answered if c.hotline_id in gd_lines)
        other = next(c for c in answered if c.hotline_id not in gd_lines)
        other.province_code = "440000"  # a Guangdong caller, answered by another line
        own_ref, other_ref = own.call_ref, other.call_ref
        _user, token = create_user(
            s, name="gd-hotline", role="hotline", scope=parse_scope("440000", None)
        )
        s.commit()
    folder = Path(settings.hotline_recordings_dir)
    wav = stereo_wav()
    for ref in (own_ref, other_ref):
        (folder / file_name(ref)).write_bytes(encrypt(wav, parse_key(KEY), ref))
    client.post("/staff/login", data={"token": token})
    listing = client.get("/staff/hotline/recordings")
    assert listing.status_code == 200
    assert own_ref in listing.text and other_ref not in listing.text
    page = client.get(f"/staff/hotline/recordings/{own_ref}")
    assert page.status_code == 200
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    played = client.post(
        f"/staff/hotline/recordings/{own_ref}", data={"csrf_token": csrf, "reason": "督导复核"}
    )
    assert "<audio" in played.text
    src = played.text.split('<audio id="recording-player" controls preload="auto" src="')[1]
    src = src.split('"')[0].replace("&amp;", "&")
    assert client.get(src).content == wav
    # another line's call: 404 everywhere, like a call that does not exist, and no audit entry
    assert client.get(f"/staff/hotline/recordings/{other_ref}").status_code == 404
    refused = client.post(
        f"/staff/hotline/recordings/{other_ref}", data={"csrf_token": csrf, "reason": "x"}
    )
    assert refused.status_code == 404
    stolen = src.replace(quote(own_ref, safe=""), quote(other_ref, safe=""))
    assert client.get(stolen).status_code == 404
    assert client.get(stolen + "&download=true").status_code == 404
    with session_factory() as s:
        plays = [
            e.record_id
            for e in audit.list_entries(s, table="hotline_calls")
            if e.action == "hotline.recording.play"
        ]
    assert plays == [own_ref]
    # control: national staff hear the other line's recording
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {_national_token(session_factory)}"
    assert other_ref in client.get("/staff/hotline/recordings").text
    assert client.get(f"/staff/hotline/recordings/{other_ref}").status_code == 200


def _national_token(session_factory: sessionmaker[Session]) -> str:
    from minsheng.core.auth import create_user

    with session_factory() as s:
        _user, token = create_user(s, name="nat-hotline", role="hotline")
        s.commit()
    return token

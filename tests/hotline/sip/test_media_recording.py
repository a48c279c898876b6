"""Recording follows the line that answers: each hotline's own setting, the notice first.

The real ``minsheng hotline sip serve --rtpengine`` with sipp callers and seats. Two provinces
and the national backup: Guangdong's line does not record and answers its callers; Hunan's line
does not record and has nobody signed in, so its callers roll over to the national backup, which
records. The prompts are short tones in each line's own folder (what matters here is which
prompt is played when, not what it says; the audio tests hear real speech).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from minsheng.hotline.sip.recording import new_key
from tests.hotline.sip.conftest import ServerFactory, SippFactory, free_port, hotline, static_seat
from tests.hotline.sip.media_support import Rtpengine, media_env, wait_for
from tests.hotline.sip.phones import write_wav

NOTICE_S = 1.5


def tone(path: Path, seconds: float, hz: float) -> None:
    t = np.arange(int(seconds * 8000)) / 8000
    write_wav(path, 8000 * np.sin(2 * np.pi * hz * t))


def short_prompts(root: Path, lines: list[str]) -> Path:
    for line in lines:
        folder = root / line
        folder.mkdir(parents=True)
        tone(folder / "greeting.wav", 0.5, 440)
        tone(folder / "crisis_key.wav", 0.5, 550)
        tone(folder / "recording_notice.wav", NOTICE_S, 660)
    return root


class TestRecordingFollowsTheAnsweringLine:
    def test_notice_and_recording_only_where_the_answering_line_records(
        self, sip_server: ServerFactory, sipp: SippFactory, rtpengine: Rtpengine, tmp_path: Path
    ) -> None:
        gd_port, nat_port = free_port(), free_port()
        server = sip_server(
            [
                hotline("gd", "province", ["440000"], recording=False),
                hotline("hn", "province", ["430000"], recording=False),
                hotline("national", "national", recording=True),
            ],
            [
                {"id": "g1", "hotline_id": "gd"},
                {"id": "h1", "hotline_id": "hn"},  # not signed in: Hunan's callers roll over
                {"id": "n1", "hotline_id": "national"},
            ],
            [static_seat("g1", gd_port), static_seat("n1", nat_port)],
            env={
                **media_env(rtpengine, short_prompts(tmp_path / "prompts", ["gd", "hn"])),
                "MINSHENG_HOTLINE_RECORDING_KEY": new_key(),
                "MINSHENG_HOTLINE_RECORDINGS_DIR": str(tmp_path / "recordings"),
                "MINSHENG_HOTLINE_OFFER_TIMEOUT_S": "8",
                "MINSHENG_HOTLINE_STEP_TIMEOUT_S": "20",
                "MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "20",
            },
        )
        gd_seat = sipp("seat_answers", server, port=gd_port)
        nat_seat = sipp("seat_answers", server, port=nat_port)
        gd_caller = sipp.caller(server, origin="0755", hold_ms=5000)  # Shenzhen → Guangdong
        hn_caller = sipp.caller(server, origin="0731", hold_ms=7000)  # Changsha → Hunan → 国家
        for process in (gd_caller, hn_caller, gd_seat, nat_seat):
            assert process.wait(timeout=60) == 0, process.errors()
        records = {r["hotline_id"]: r for r in server.wait_records(2, timeout=15)}
        details = {d["origin_area"]: d for d in server.details(2)}

        # Guangdong's line answered and does not record: no notice, no recording
        gd, gd_detail = records["gd"], details["0755"]
        assert (gd["outcome"], gd["counsellor_id"]) == ("answered", "g1")
        assert gd_detail["media"]["heard"][:2] == ["greeting", "crisis_key"]
        assert "recording_notice" not in gd_detail["media"]["heard"]
        assert gd_detail["media"]["recorded"] is False
        assert "recorded" not in (gd["media"] or "")

        # the Hunan caller's first line does not record, so its greeting had no notice; the
        # national backup that answered does: the notice was played when the call went there,
        # the seat rang only once it was over, and the conversation was recorded
        nat, hn_detail = records["national"], details["0731"]
        assert (nat["outcome"], nat["counsellor_id"]) == ("answered", "n1")
        heard = hn_detail["media"]["heard"]
        assert heard[:3] == ["greeting", "crisis_key", "recording_notice"], heard
        assert hn_detail["media"]["recorded"] is True
        assert "recording_skipped" not in hn_detail["media"]
        assert "recorded" in nat["media"]
        arrived = datetime.fromisoformat(hn_detail["arrived_at"])
        rung = datetime.fromisoformat(hn_detail["seats"][0]["at"])
        assert (rung - arrived).total_seconds() >= 0.5 + 0.5 + NOTICE_S  # after the notice
        assert wait_for(lambda: rtpengine.calls() == [])

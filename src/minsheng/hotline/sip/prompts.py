"""What a caller hears while waiting: the prompt files, their texts, and spoken numbers.

Prompts live in a folder (setting ``HOTLINE_PROMPTS_DIR``, default ``var/prompts``) with one
sub-folder per hotline (its id) holding the hotline's own recordings, and ``default/`` with the
national defaults; a file missing in a hotline's folder is taken from ``default/``. Every file is
an 8 kHz mono 16-bit WAV named after its prompt (``greeting.wav``, ``d3.wav`` …). The defaults
are generated, never committed: ``minsheng hotline prompts build`` speaks :data:`TEXTS` with
espeak-ng (Mandarin voice ``cmn``) and converts with sox; comfort audio is synthesised by sox.

Numbers are spoken from digit prompts (``d0``–``d9``, ``liang`` 两, ``shi`` 十, ``bai`` 百,
``qian`` 千) assembled with the sentence pieces into one WAV per distinct announcement, cached
beside the prompts: rtpengine plays one file per ``play media``, and joining WAV frames of the
same format is a few microseconds of Python, so nothing runs sox at call time.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Iterable
from math import ceil
from pathlib import Path

DEFAULT_FOLDER = "default"
CACHE_FOLDER = ".cache"
RATE = 8000

# Text of every spoken prompt (Chinese; numbers written as characters so espeak reads them
# digit by digit: 一二三五六 is "yao er san wu liu" on the phone, not "twelve thousand ...").
TEXTS: dict[str, str] = {
    "greeting": "您好，这里是一二三五六心理援助热线。您的个人信息和通话内容将严格保密。",
    "recording_notice": "为保证服务质量，本次通话将被录音。",
    "crisis_key": "如有自伤或自杀的危险，请按一。",
    "please_wait": "心理咨询员正在接听其他来电，请您稍候。",
    "ahead": "您前面还有",
    "people": "位。",
    "next": "您是下一位，请稍候。",
    "wait_about": "预计等待约",
    "minutes": "分钟。",
    "crisis_ack": "已为您优先转接，请不要挂机。",
    "hold": "正在为您联系紧急救援服务，请不要挂机。",
    "closed": "本地热线现在不在服务时间，正在为您转接其他热线，请稍候。",
    "last_resort": (
        "很抱歉，心理咨询员暂时都在忙。如果您有紧急危险，请拨打一一零或一二零。"
        "请稍后再拨打一二三五六。再见。"
    ),
    "d0": "零",
    "d1": "一",
    "d2": "二",
    "d3": "三",
    "d4": "四",
    "d5": "五",
    "d6": "六",
    "d7": "七",
    "d8": "八",
    "d9": "九",
    "liang": "两",
    "shi": "十",
    "bai": "百",
    "qian": "千",
}
COMFORT = "comfort"  # synthesised: a soft two-tone chime, then silence (sox synth)


def number_pieces(n: int) -> list[str]:
    """The digit prompts that speak ``n`` in Chinese: 3 → d3, 12 → shi d2, 205 → liang bai d0 d5.

    Counts above 9999 are spoken as 9999 (a queue never gets there). Two alone, and in front of
    百/千, is 两 (两位, 两百), as people say it.
    """
    n = max(0, min(n, 9999))
    if n == 0:
        return ["d0"]
    if n == 2:
        return ["liang"]
    if 10 <= n < 20:
        return ["shi"] + ([f"d{n % 10}"] if n % 10 else [])
    units = [(1000, "qian"), (100, "bai"), (10, "shi"), (1, "")]
    pieces: list[str] = []
    pending_zero = False
    for value, unit in units:
        digit = (n // value) % 10
        if digit == 0:
            if pieces:
                pending_zero = True
            continue
        if pending_zero:
            pieces.append("d0")
            pending_zero = False
        word = "liang" if digit == 2 and unit in ("qian", "bai") else f"d{digit}"
        pieces.append(word)
        if unit:
            pieces.append(unit)
    return pieces


def position_pieces(position: int, expected_wait_s: float | None) -> list[str]:
    """ "您前面还有3位，预计等待约2分钟" as prompt names; position 1 is the next caller."""
    ahead = max(0, position - 1)
    pieces = ["next"] if ahead == 0 else ["ahead", *number_pieces(ahead), "people"]
    if expected_wait_s is not None and expected_wait_s > 0:
        minutes = max(1, ceil(expected_wait_s / 60))
        pieces += ["wait_about", *number_pieces(minutes), "minutes"]
    return pieces


class PromptSet:
    """Finds prompt files (a hotline's own, else the default) and assembles announcements."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str, hotline_id: str | None = None) -> Path | None:
        for folder in ((hotline_id,) if hotline_id else ()) + (DEFAULT_FOLDER,):
            candidate = self.root / folder / f"{name}.wav"
            if candidate.is_file():
                return candidate
        return None

    def available(self) -> bool:
        return self.path("greeting") is not None

    def assemble(self, names: Iterable[str], hotline_id: str | None = None) -> Path | None:
        """One WAV made of the named prompts in order (cached); None if a piece is missing."""
        paths = [self.path(n, hotline_id) for n in names]
        if not paths or any(p is None for p in paths):
            return None
        files = [p for p in paths if p is not None]
        if len(files) == 1:
            return files[0]
        key = hashlib.sha256(
            "|".join(f"{p}:{p.stat().st_mtime_ns}" for p in files).encode()
        ).hexdigest()[:32]
        target = self.root / CACHE_FOLDER / f"{key}.wav"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            concatenate(files, target)
        return target


def concatenate(files: list[Path], target: Path) -> None:
    """Join WAV files of one format into ``target`` (written atomically)."""
    params = None
    frames: list[bytes] = []
    for path in files:
        with wave.open(str(path), "rb") as w:
            shape = (w.getnchannels(), w.getsampwidth(), w.getframerate())
            if params is None:
                params = shape
            elif shape != params:
                raise ValueError(f"{path} is {shape}, not {params} like the other prompts")
            frames.append(w.readframes(w.getnframes()))
    assert params is not None
    tmp = target.with_suffix(f".{id(frames)}.tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(params[0])
        out.setsampwidth(params[1])
        out.setframerate(params[2])
        out.writeframes(b"".join(frames))
    tmp.replace(target)


def missing_tools() -> list[str]:
    return [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]


def _run(tool: str, *args: str) -> None:
    """Run espeak-ng or sox (resolved on PATH) on our own arguments; raise if it fails."""
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"{tool} is not installed (Debian: apt-get install espeak-ng sox)")
    subprocess.run([path, *args], check=True, capture_output=True)  # noqa: S603 (no shell)


def build_defaults(root: Path, *, force: bool = False, voice: str = "cmn") -> list[Path]:
    """Generate the default prompts into ``root/default`` with espeak-ng and sox.

    Existing files are kept unless ``force``. Returns the files written.
    """
    missing = missing_tools()
    if missing:
        tools = ", ".join(missing)
        raise RuntimeError(f"missing {tools} (Debian: apt-get install espeak-ng sox)")
    folder = root / DEFAULT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in TEXTS.items():
            target = folder / f"{name}.wav"
            if target.exists() and not force:
                continue
            raw = Path(tmp) / f"{name}.raw.wav"
            _run("espeak-ng", "-v", voice, "-w", str(raw), text)
            _to_phone(raw, target)
            written.append(target)
        target = folder / f"{COMFORT}.wav"
        if force or not target.exists():
            raw = Path(tmp) / "comfort.raw.wav"
            # two soft chimes (E5, then C5) fading out, then quiet: 8 s that loop calmly
            _run(
                "sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(raw),
                "synth", "1.2", "sine", "659.25", "fade", "q", "0.05", "1.2", "1.0",
                ":", "synth", "1.6", "sine", "523.25", "fade", "q", "0.05", "1.6", "1.4",
                ":", "synth", "5.2", "sine", "0", "vol", "0",
            )  # fmt: skip
            _to_phone(raw, target, gain_db=-12)
            written.append(target)
    # cached announcements were made of the old files
    shutil.rmtree(root / CACHE_FOLDER, ignore_errors=True)
    return written


def _to_phone(source: Path, target: Path, *, gain_db: int = -3) -> None:
    """8 kHz, mono, 16-bit signed WAV, normalised to ``gain_db`` dBFS (sox)."""
    tmp = target.with_suffix(".tmp.wav")
    _run(
        "sox", str(source), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
        str(tmp), "gain", "-n", str(gain_db),
    )  # fmt: skip
    tmp.replace(target)

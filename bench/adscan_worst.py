"""Worst-case inputs for the scam-ad scanner (issue 12, item 2): 20,000 characters of each kind,
scanned by today's ``rules.adscan.scan`` (with a 1,500-occupation registry), against the
baseline of the patterns the scanner had before (unbounded ``[0-9]+`` runs before 天/级/万,
which backtrack quadratically on digit runs).

    .venv/bin/python bench/adscan_worst.py            # every case, old patterns capped at 30 s
    .venv/bin/python bench/adscan_worst.py --quick    # skip the old patterns

Prints one line per case: characters, today's scan time, the old patterns' time.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Iterable

import _table
from minsheng.certification.rules import adscan

CN_NUM = adscan.CN_NUM
# The patterns as they were before the fix (adscan-2024-12), for the baseline.
OLD = [
    re.compile(
        rf"速成|([0-9]+|[{CN_NUM}]+)(天|日|周|个月)(即可|就能|就可|快速|速|包|轻松)?"
        r"(拿证|下证|取证|出证|领证)"
    ),
    re.compile(
        r"(轻松)?月入(过万|上万|[0-9]+万|[一二两三四五六七八九十]+万)|年(入|赚|薪)[0-9]+万"
        rf"|一年[{CN_NUM}0-9]+(至|到|-)?[{CN_NUM}0-9]*万"
    ),
    re.compile(r"喜报|上岸率|通过率(高达)?[0-9]+%"),
    re.compile(rf"([0-9]+|[{CN_NUM}]+)级(证|证书|技能|职业|工|资格|技师)"),
]

N = adscan.MAX_AD_CHARS
CASES = {
    "digits": "7" * N,
    "天": "天" * N,
    "digits + 天拿证": "7" * (N - 3) + "天拿证",
    "一年 + digits": "一年" + "1" * (N - 2),
    "separators": ("，。 -_/\\|" * N)[:N],
    "emoji": "😀" * N,
    "mixed": (("一年" + "1" * 40 + "万八级证书人社部颁发中心颁发碳排放管理员") * N)[:N],
    "中文数字": ("一二三四五六七八九十" * N)[:N],
}


class Registry:
    def occupation_names(self) -> Iterable[tuple[str, str]]:
        yield ("碳排放管理员", "4-09-07-04")
        for i in range(1500):
            yield (f"职业名称{i:04d}号", f"4-01-01-{i % 100:02d}")

    def has_standard(self, code: str) -> bool:
        return True

    def body_status(self, normalised_name: str) -> str | None:
        return None


def old_patterns(text: str, cap_s: float) -> float | None:
    """Seconds the old patterns took on the normalised text, or None past ``cap_s`` (checked
    between patterns: one pattern alone may run longer)."""
    norm = adscan.normalize(text).text
    start = time.perf_counter()
    for regex in OLD:
        for _ in regex.finditer(norm):
            pass
        if time.perf_counter() - start > cap_s:
            return None
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the old patterns")
    parser.add_argument("--cap", type=float, default=30.0, help="give up on old patterns (s)")
    args = parser.parse_args()
    adscan.scan("warm-up 预热", Registry())
    print(f"{'case':<18} {'chars':>6} {'scan now (s)':>13} {'old patterns (s)':>17}")
    load = _table.machine_load()
    times: dict[str, tuple[float, float | str | None]] = {}
    for name, text in CASES.items():
        start = time.perf_counter()
        adscan.scan(text, Registry())
        now = time.perf_counter() - start
        old = "skipped" if args.quick else old_patterns(text, args.cap)
        shown = old if isinstance(old, str) else f">{args.cap:g}" if old is None else f"{old:.3f}"
        print(f"{name:<18} {len(text):>6} {now:>13.3f} {shown:>17}")
        times[name] = (now, old)
    worst = max(times, key=lambda name: times[name][0])
    now, old = times[worst]
    if isinstance(old, str):
        baseline, ratio = "old patterns: not run (`--quick` skips them)", None
    elif old is None:
        baseline, ratio = f"old patterns on the same case: over {args.cap:g} s (cap)", None
    else:
        baseline, ratio = f"old patterns on the same case: {old:.3f} s", old / now
    _table.row(
        __file__,
        f"Scam-ad scan, slowest of {len(CASES)} worst-case inputs of {N:,} characters ({worst})",
        f"{now:.3f} s wall",
        baseline,
        ratio,
        ratio_note="old time / new time" if ratio else "",
        load=load,
    )


if __name__ == "__main__":
    main()

"""CPU of the supervision mixer (sip/mixer.py): N supervised calls in whisper, each with three
G.711 streams at 50 packets/s arriving and three mixed streams leaving.

The streams are sent from a child process (so their cost is not counted); this process only runs
the mixer, and its CPU time over the measurement is printed per supervised call, with how many
packets each output sent (a step is "ok" when every output sent at least 95 % of the packets it
should have: the mixer kept up).

    .venv/bin/python bench/sip_mixer.py                      # 1, 10, 25, 50 supervised calls
    .venv/bin/python bench/sip_mixer.py --steps 5 --seconds 5
    .venv/bin/python bench/sip_mixer.py --quick              # 1 and 10 supervised calls, 4 s

Baseline in the same run: one supervised call, whose CPU per call the larger steps are compared
with (the mixer's cost should grow no faster than the calls it mixes).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import _table
from minsheng.hotline.sip import supervision as sv
from minsheng.hotline.sip.mixer import Mixer

SENDER = r"""
import json, math, socket, struct, sys, time
targets = json.loads(sys.argv[1]); seconds = float(sys.argv[2])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = bytes((int(60 + 40 * math.sin(i / 5)) & 0x7F) | 0x80 for i in range(160))
start = time.monotonic(); seq = 0
while time.monotonic() - start < seconds:
    header = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, seq * 160, 42)
    for port in targets:
        sock.sendto(header + payload, ("127.0.0.1", port))
    seq += 1
    time.sleep(max(0.0, start + seq * 0.02 - time.monotonic()))
"""


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def step(calls: int, seconds: float) -> dict[str, object]:
    mixer = Mixer("127.0.0.1")
    sinks = []
    targets = []
    try:
        import socket

        for n in range(calls):
            key = f"call{n}"
            bridge = mixer.open(key, sv.PORTS, 0)
            for name in sv.PORTS:
                sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sink.bind(("127.0.0.1", 0))
                sinks.append(sink)
                mixer.set_dest(key, name, sink.getsockname())
                targets.append(bridge.port(name))
            mixer.set_matrix(key, sv.MATRIX[sv.Mode.WHISPER])
        sender = subprocess.Popen([sys.executable, "-c", SENDER, json.dumps(targets), str(seconds)])
        time.sleep(0.5)  # let the streams start
        t0, c0 = time.monotonic(), cpu()
        sent0 = sum(p["sent"] for b in mixer.bridges.values() for p in b.stats().values())
        got0 = sum(p["received"] for b in mixer.bridges.values() for p in b.stats().values())
        time.sleep(seconds - 1.0)
        t1, c1 = time.monotonic(), cpu()
        sent1 = sum(p["sent"] for b in mixer.bridges.values() for p in b.stats().values())
        got1 = sum(p["received"] for b in mixer.bridges.values() for p in b.stats().values())
        sender.wait(timeout=seconds + 10)
    finally:
        mixer.close()
        for sink in sinks:
            sink.close()
    share = (c1 - c0) / (t1 - t0)
    expected = calls * 3 * (t1 - t0) / 0.02
    return {
        "calls": calls,
        "cpu_share": share,
        "cpu_per_call": share / calls,
        "sent_ratio": (sent1 - sent0) / expected,
        "received_ratio": (got1 - got0) / expected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="1,10,25,50")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--quick", action="store_true", help="steps 1,10 of 4 s")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.seconds = "1,10", 4.0
    print("supervision mixer, whisper (3 streams in, 3 mixes out per call, 50 packets/s each):")
    load = _table.machine_load()
    results = []
    for calls in (int(s) for s in args.steps.split(",")):
        r = step(calls, args.seconds)
        results.append(r)
        ok = "ok  " if float(str(r["sent_ratio"])) >= 0.95 else "FAIL"
        print(
            f"  {calls:4d} supervised calls: {ok} mixer CPU {float(str(r['cpu_share'])):.1%} of a"
            f" core ({float(str(r['cpu_per_call'])):.2%} per call), outputs sent"
            f" {float(str(r['sent_ratio'])):.0%} of the expected packets (received"
            f" {float(str(r['received_ratio'])):.0%})"
        )
    first, last = results[0], results[-1]
    per_call = float(str(last["cpu_per_call"]))
    _table.row(
        __file__,
        f"Supervision mixer, whisper, {last['calls']} supervised calls (3 streams in, 3 mixes "
        f"out each, 50 packets/s), {args.seconds:g} s",
        f"{per_call:.2%} of a core per call; outputs sent {float(str(last['sent_ratio'])):.0%} "
        "of the expected packets",
        f"{first['calls']} supervised call(s): {float(str(first['cpu_per_call'])):.2%} of a core "
        "per call",
        per_call / float(str(first["cpu_per_call"])),
        ratio_note="CPU per call / the baseline's",
        target="every output sends ≥ 95 % of its packets",
        met=float(str(last["sent_ratio"])) >= 0.95,
        load=load,
    )


if __name__ == "__main__":
    main()

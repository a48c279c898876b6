"""Call records written by the SIP server, off the SIP thread, and never lost on a clean restart.

The SIP thread must not wait for a disk or a database, so finished calls go into a queue that a
writer thread drains in batches. Stopping the server (SIGTERM/SIGINT) drains the queue before the
process exits, so a restart loses no record of a finished call. Sinks:

* :class:`JsonlRecordSink` — one JSON object per line, flushed and fsync'ed per batch;
* any callable taking a batch (the hotline service, once it stores call records).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class StepRecord:
    """One hotline tried for a call."""

    hotline_id: str
    rule: str
    started_at: datetime
    ended_at: datetime | None = None
    result: str = ""  # answered | rolled_over | abandoned | no_answer


@dataclass
class SeatAttempt:
    """One seat rung for a call."""

    counsellor_id: str
    hotline_id: str
    started_at: datetime
    outcome: str = ""  # answered | busy | declined | no_answer | unreachable | failed | cancelled


@dataclass
class SipCallRecord:
    """Everything kept about one call that reached the SIP server."""

    sip_call_id: str
    arrived_at: datetime
    caller_hash: str
    caller_masked: str
    called: str
    location_source: str
    province_code: str | None
    city_code: str | None
    crisis: bool
    crisis_source: str | None = None  # header | staff
    steps: list[StepRecord] = field(default_factory=list)
    seats: list[SeatAttempt] = field(default_factory=list)
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    hotline_id: str | None = None
    counsellor_id: str | None = None
    outcome: str = ""  # answered | abandoned | no_answer
    ended_by: str | None = None  # caller | counsellor | system
    wait_s: float | None = None
    talk_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        def convert(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: convert(v) for k, v in value.items()}
            if isinstance(value, list):
                return [convert(v) for v in value]
            return value

        result: dict[str, Any] = convert(asdict(self))
        return result


BatchWriter = Callable[[Sequence[SipCallRecord]], None]


class RecordWriter:
    """A queue of finished calls drained by a writer thread into ``sink``."""

    def __init__(self, sink: BatchWriter, *, batch: int = 200) -> None:
        self.sink = sink
        self.batch = batch
        self.written = 0
        self.failed = 0
        self._queue: queue.Queue[SipCallRecord | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sip-records", daemon=True)
        self._thread.start()

    def put(self, record: SipCallRecord) -> None:
        self._queue.put(record)

    def close(self) -> None:
        """Write everything queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            pending = [first]
            while len(pending) < self.batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                pending.append(item)
            self._write(pending)

    def _write(self, pending: list[SipCallRecord]) -> None:
        try:
            self.sink(pending)
            self.written += len(pending)
        except Exception:
            # Keep serving calls; the failure is counted and logged (records carry no clear
            # caller number, so the log does not leak one).
            self.failed += len(pending)
            log.exception("could not write %d call records", len(pending))


class JsonlRecordSink:
    """Append records to a JSON-lines file, flushed and fsync'ed after every batch."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path

    def __call__(self, records: Sequence[SipCallRecord]) -> None:
        lines = "".join(
            json.dumps(r.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
            for r in records
        )
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every record in a JSON-lines file (for the CLI and the tests)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]

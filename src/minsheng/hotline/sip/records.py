"""Call records of the SIP server, written off the SIP thread and never lost on a clean restart.

Two kinds: the hotline's call records (the engine's, stored with ``service.save_records``, keyed by
the SIP Call-ID) and the SIP detail records (one JSON line per call: who hung up, each seat rung
and the SIP answer it gave). The SIP thread must not wait for a disk or a database, so both go
into queues that writer threads drain in batches (one transaction a batch). Stopping the server
(SIGTERM/SIGINT) ends the calls still up, then drains the queues before the process exits, so a
restart loses no record of a finished call. A batch the database refuses is retried with a
growing pause; only after the last try is it given up, and that is logged.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.db import session_scope
from minsheng.hotline import service
from minsheng.hotline.engine import CallRecord

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_PAUSES_S = (0.2, 1.0, 5.0)


class RecordWriter(Generic[T]):
    """A queue of finished calls drained by a writer thread into ``sink``."""

    def __init__(self, sink: Callable[[Sequence[T]], None], *, batch: int = 500) -> None:
        self.sink = sink
        self.batch = batch
        self.written = 0
        self.lost = 0
        self._queue: queue.Queue[T | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sip-records", daemon=True)
        self._thread.start()

    def put(self, record: T) -> None:
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

    def _write(self, pending: list[T]) -> None:
        for pause in (*RETRY_PAUSES_S, None):
            try:
                self.sink(pending)
            except Exception:
                if pause is None:
                    # Records hold no clear caller number, so the log leaks none.
                    self.lost += len(pending)
                    log.exception("gave up writing %d call records", len(pending))
                    return
                log.warning("writing %d call records failed; retrying", len(pending))
                time.sleep(pause)
            else:
                self.written += len(pending)
                return


def database_sink(sessions: sessionmaker[Session]) -> Callable[[Sequence[CallRecord]], None]:
    """Persist a batch through the hotline service in one transaction."""

    def write(records: Sequence[CallRecord]) -> None:
        with session_scope(sessions) as session:
            service.save_records(session, records)

    return write


def jsonl_sink(path: Path) -> Callable[[Sequence[dict[str, Any]]], None]:
    """Append JSON objects to a JSON-lines file, flushed and fsync'ed after every batch."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(rows: Sequence[dict[str, Any]]) -> None:
        text = "".join(
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows
        )
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    return write


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]

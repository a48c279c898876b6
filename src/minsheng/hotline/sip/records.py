"""Call records of the SIP server, written off the SIP thread and never lost on a clean restart.

Two kinds: the hotline's call records (the engine's, stored with ``service.save_records_bulk``,
keyed by the SIP Call-ID) and the SIP detail records (one JSON line per call: who hung up, each
seat rung and the SIP answer it gave). The SIP thread must not wait for a disk or a database, so
both go into queues that writers drain in batches (one transaction a batch); the call records
from a child process by default, so that their ORM work does not hold the interpreter lock the
SIP thread needs. The SIP thread does not hand records over one by one: a :class:`Batcher`
collects them and passes a whole list every tenth of a second, so that the writer threads wake
(and take the interpreter lock) a few times a second rather than once or twice per call.
The seat states the engine reports (signed in, talking, wrap-up, break, signed out:
:class:`SeatChange`) travel with the call records, in order, and are stored through
``service.record_seat_states`` (source ``sip``), so compliance is judged on what happened on the
phones. Stopping the server (SIGTERM/SIGINT) ends the calls still up, then drains the
queues before the process exits, so a restart loses no record of a finished call. A batch the
database refuses is retried with a growing pause; only after the last try is it given up, and
that is logged.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.db import session_scope
from minsheng.hotline import service
from minsheng.hotline.engine import CallRecord

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_PAUSES_S = (0.2, 1.0, 5.0)


@dataclass(frozen=True, slots=True)
class SeatChange:
    """A counsellor's seat entered ``state`` (an engine state) at ``at`` (epoch seconds).

    A cluster node's change names the node, the seat's partition and the node's epoch of the
    partition's lease: it is stored only while that lease holds (``service/leases.py``)."""

    counsellor_id: str
    state: str
    at: float
    partition: str | None = None
    node: str | None = None
    epoch: int = 0


class Batcher(Generic[T]):
    """Collects records on the SIP thread; ``flush`` (from a SIP-thread timer) hands them over in
    one ``put_many``, and so does an ``add`` that fills a batch."""

    def __init__(self, put_many: Callable[[list[T]], None], *, max_items: int = 500) -> None:
        self.put_many = put_many
        self.max_items = max_items
        self._items: list[T] = []

    def put(self, item: T) -> None:
        self._items.append(item)
        if len(self._items) >= self.max_items:
            self.flush()

    def flush(self) -> None:
        if self._items:
            items, self._items = self._items, []
            self.put_many(items)


def _drain(
    get_nowait: Callable[[], list[T] | None], first: list[T], batch: int
) -> tuple[list[T], bool]:
    """``first`` and whatever else is queued (up to about ``batch``); True once ``None`` came."""
    pending = list(first)
    while len(pending) < batch:
        try:
            item = get_nowait()
        except queue.Empty:
            break
        if item is None:
            return pending, True
        pending.extend(item)
    return pending, False


class RecordWriter(Generic[T]):
    """A queue of finished calls drained by a writer thread into ``sink``."""

    def __init__(self, sink: Callable[[Sequence[T]], None], *, batch: int = 500) -> None:
        self.sink = sink
        self.batch = batch
        self.written = 0
        self.lost = 0
        self._queue: queue.Queue[list[T] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sip-records", daemon=True)
        self._thread.start()

    def put(self, record: T) -> None:
        self._queue.put([record])

    def put_many(self, records: list[T]) -> None:
        self._queue.put(records)

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
            pending, stop = _drain(self._queue.get_nowait, first, self.batch)
            self._write(pending)

    def _write(self, pending: list[T]) -> None:
        if write_with_retry(self.sink, pending):
            self.written += _records_in(pending)
        else:
            self.lost += _records_in(pending)


def _records_in(pending: Sequence[object]) -> int:
    """What the written/lost counters count: records, not the seat states riding with them."""
    return sum(1 for item in pending if not isinstance(item, SeatChange))


def write_with_retry(sink: Callable[[Sequence[T]], None], pending: list[T]) -> bool:
    """Write one batch, retrying with a growing pause; False once the last try failed."""
    for pause in (*RETRY_PAUSES_S, None):
        try:
            sink(pending)
        except Exception:
            if pause is None:
                # Records hold no clear caller number, so the log leaks none.
                log.exception("gave up writing %d call records", len(pending))
                return False
            log.warning("writing %d call records failed; retrying", len(pending))
            time.sleep(pause)
        else:
            return True
    return False  # pragma: no cover - the loop always returns


class ProcessRecordWriter:
    """Like :class:`RecordWriter` into the database, but in a process of its own.

    Storing a record through the ORM costs about a millisecond of Python; in a thread it would
    hold the interpreter lock the SIP thread needs, so the records are pickled to a child process
    that owns its own database connection. ``close`` waits until the child has written
    everything.
    """

    def __init__(self, database_url: str, *, batch: int = 500) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._queue: Any = ctx.Queue()
        self._written: Any = ctx.Value("q", 0)
        self._lost: Any = ctx.Value("q", 0)
        self._process = ctx.Process(
            target=_database_writer_main,
            args=(database_url, self._queue, self._written, self._lost, batch),
            name="sip-records",
            daemon=True,
        )
        self._process.start()

    @property
    def written(self) -> int:
        return int(self._written.value)

    @property
    def lost(self) -> int:
        return int(self._lost.value)

    def put(self, record: CallRecord | SeatChange) -> None:
        self._queue.put([record])

    def put_many(self, records: list[CallRecord | SeatChange]) -> None:
        self._queue.put(records)

    def close(self) -> None:
        self._queue.put(None)
        self._process.join()
        self._queue.close()
        self._queue.join_thread()


def _database_writer_main(url: str, q: Any, written: Any, lost: Any, batch: int) -> None:
    """The writer process: drain the queue into the database until ``None`` arrives."""
    import signal

    from minsheng.core.config import Settings
    from minsheng.core.db import make_engine, make_sessionmaker
    from minsheng.core.privacy import install_log_redaction

    install_log_redaction()  # a spawned process: its log records are masked as well
    # Ctrl-C reaches the whole process group: the parent drives the shutdown, not the child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    engine = make_engine(Settings(database_url=url))
    sink = database_sink(make_sessionmaker(engine))
    parent = os.getppid()
    stop = False
    while not stop:
        try:
            item = q.get(timeout=1.0)
        except queue.Empty:
            # a server killed outright (kill -9) never sends None: everything it queued is
            # written by now, and the writer goes too instead of waiting for ever
            if os.getppid() != parent:
                break
            continue
        if item is None:
            break
        pending, stop = _drain(q.get_nowait, item, batch)
        counter = written if write_with_retry(sink, pending) else lost
        with counter.get_lock():
            counter.value += _records_in(pending)
    engine.dispose()


def database_sink(
    sessions: sessionmaker[Session],
) -> Callable[[Sequence[CallRecord | SeatChange]], None]:
    """Persist a batch through the hotline service in one transaction: the call records, and
    the seat states in the order they happened."""

    def write(items: Sequence[CallRecord | SeatChange]) -> None:
        from minsheng.hotline.service import cluster as cluster_service

        records = [r for r in items if isinstance(r, CallRecord)]
        changes = [c for c in items if isinstance(c, SeatChange)]
        with session_scope(sessions) as session:
            held: set[tuple[str, str, int]] = set()
            fenced = sorted({c.partition for c in changes if c.node and c.partition})
            if fenced:
                # the leases first, as a node's agent takes them (then marks calls lost): the
                # same order in both transactions, so neither waits for the other in a circle
                from minsheng.hotline.service import leases

                held = leases.lock_shared(session, fenced)
            if records:
                # a call a standby recorded lost while its node lived on: this record wins
                # a call a node recorded abandoned when Kamailio moved it here: this one wins
                refs = [r.call_id for r in records]
                cluster_service.lock_call_records(session)
                moved = [r.call_id for r in records if str(r.outcome) != "abandoned"]
                cluster_service.supersede_lost(session, refs, abandoned=moved)
                # Kamailio moved a call to the standby while this node still had it (it answered
                # late on a stalled machine, kamailio.py): one record per call; another one
                # stored already stays, this one is left out, logged, rather than failing the batch
                twice = cluster_service.recorded_calls(session, refs)
                for ref in sorted(twice):
                    log.warning("call %s is recorded already (another node); record left out", ref)
                records = [r for r in records if r.call_id not in twice]
                service.save_records_bulk(session, records)
                # a cluster node's live rows of these calls go in the same transaction, so a
                # node that dies leaves every call either stored or listed as up (then lost)
                cluster_service.forget_live_calls(session, [r.call_id for r in records])
            store_seat_changes(session, changes, held=held if fenced else None)

    return write


def store_seat_changes(
    session: Session,
    changes: Sequence[SeatChange],
    *,
    held: set[tuple[str, str, int]] | None = None,
) -> None:
    """Seat states in the order they happened, stored together through
    ``service.record_seat_states`` (one batch: a few statements, not a few per change). A seat
    of the SIP seat file that the directory does not know, or a time before the state it has
    (the wall clock stepped back), is logged and skipped: it must not cost the batch's call
    records.

    A cluster node's change (``node`` set) is stored only while the node holds the lease of the
    seat's partition in its epoch (``service/leases.py``), and the newest becomes the seat's
    current state (``hotline_counsellors.state``) unless that is newer. The leases' rows (for
    sharing; ``held``, when the caller locked them already) and then the counsellors' rows are
    locked first, each in id order: a node taking a lease waits for this batch, and a state
    staff set in the main app at the same moment (which updates the counsellor's row) comes
    wholly before or after it."""
    if not changes:
        return
    fenced = [c for c in changes if c.node is not None and c.partition is not None]
    if fenced and held is None:
        from minsheng.hotline.service import leases

        held = leases.lock_shared(session, sorted({str(c.partition) for c in fenced}))
    held = held or set()
    stored: list[SeatChange] = []
    for change in changes:
        if change.node is not None and (change.partition, change.node, change.epoch) not in held:
            log.info(
                "seat state of %s from %s not stored: it does not hold partition %s (epoch %d)",
                change.counsellor_id, change.node, change.partition, change.epoch,
            )  # fmt: skip
            continue
        stored.append(change)
    if fenced:
        from minsheng.hotline.service import leases

        newest = {
            c.counsellor_id: (c.state, datetime.fromtimestamp(c.at, UTC))
            for c in stored
            if c.node is not None
        }
        leases.store_current_states(session, newest)
    refused = service.record_seat_states(
        session,
        [(c.counsellor_id, c.state, datetime.fromtimestamp(c.at, UTC)) for c in stored],
        source="sip",
    )
    for index, exc in refused:
        log.warning("seat state of %s not stored: %s", stored[index].counsellor_id, exc)


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

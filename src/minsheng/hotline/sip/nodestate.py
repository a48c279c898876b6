"""A B2BUA node of the cluster (``minsheng hotline sip serve --node ID``): what it holds, what it
publishes, and how its standby takes a partition over.

* **What it holds**: the queues of the hotlines of the partitions it is primary or standby of
  (:func:`cluster.node_directory`); every call keeps only the steps of those hotlines.
* **Seats**: counsellors register with Kamailio (usrloc in PostgreSQL); the node reads the shared
  ``location`` table every second and logs in the counsellors of its *active* partitions that
  have a registration (and logs out those whose registration is gone). A counsellor on a break
  stays on the break across a takeover (the seat state is in ``hotline_counsellors``).
* **Seat states are stored by one node per partition**: every change (login, break, talking,
  wrap-up, logout) goes with the call records to the record writer, tagged with the node's epoch
  of the partition's *lease* (``service/leases.py``), and is stored only while that lease holds.
  The agent takes or keeps the leases of the active partitions every second: the primary's at
  once, a standby's once the primary's heartbeat is older than :data:`DEAD_AFTER_S`; until then
  a standby keeps its changes and stores them (in the new epoch) when the lease is its own, and
  on taking a partition over it loads the seats' stored states (a break stays a break).
* **Active partitions**: those it is primary of, and a standby partition from the moment Kamailio
  sends it a call of that partition (``X-Partition``: the primary failed its OPTIONS probe or
  drains) until the primary is back and the standby has no call of it left.
* **Publishing** (:class:`NodeAgent`, a thread): every second the heartbeat and counters, the
  calls it holds (waiting, ringing, talking: ``hotline_sip_live_calls``) and the seat states of
  its active partitions. The main app's live board reads them.
* **Takeover**: when a standby partition is active and the primary's heartbeat is older than
  :data:`DEAD_AFTER_S`, the primary's live calls of that partition become call records with
  outcome ``lost`` (the last state the primary published).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine

from minsheng.core.config import Settings
from minsheng.core.db import session_scope
from minsheng.hotline.engine import (
    Attempt,
    CallEnded,
    CallRecord,
    CallState,
    CounsellorState,
    Event,
    Recorded,
    Ring,
    StepResult,
)
from minsheng.hotline.rules.snapshot import Directory, Level, Step
from minsheng.hotline.sip import cluster as cluster_rules
from minsheng.hotline.sip.control import Admission, InboundCall, SeatTarget
from minsheng.hotline.sip.engine_control import EngineCallControl, call_ref
from minsheng.hotline.sip.records import SeatChange
from minsheng.hotline.sip.seats import SeatBook, parse_contact

log = logging.getLogger(__name__)

PUBLISH_EVERY_S = 1.0  # heartbeat, counters, seat states, registrations
CALLS_EVERY_S = 0.05  # live calls: looked at this often, written when something changed
DEAD_AFTER_S = 3.0
GONE_FOR_S = 60.0


@dataclass
class _Live:
    partition: str | None
    arrived_at: datetime
    hotline_id: str | None = None
    counsellor_id: str | None = None
    answered_at: float | None = None


@dataclass(frozen=True)
class Handover:
    """The part of a call one node served before handing it on (header ``X-Handover``):
    ``partition=national;from=n1;arrived=<epoch>;attempts=<hotline>,<rule>,<level>,<entered>,
    <left>,<result>|...``. The node that ends the call stores one record with all of it."""

    partition: str
    from_node: str
    arrived_at: float
    attempts: tuple[Attempt, ...]

    def format(self) -> str:
        parts = [
            ",".join(
                (
                    a.hotline_id,
                    a.rule,
                    str(a.level),
                    f"{a.entered_at:.3f}",
                    f"{a.left_at:.3f}" if a.left_at is not None else "",
                    str(a.result or ""),
                )
            )
            for a in self.attempts
        ]
        return (
            f"partition={self.partition};from={self.from_node};arrived={self.arrived_at:.3f};"
            f"attempts={'|'.join(parts)}"
        )

    @classmethod
    def parse(cls, text: str) -> Handover | None:
        fields = dict(p.partition("=")[::2] for p in text.strip().split(";"))
        try:
            attempts = []
            for item in filter(None, fields.get("attempts", "").split("|")):
                hid, rule, level, entered, left, result = item.split(",")
                attempts.append(
                    Attempt(
                        hid,
                        rule,
                        Level(level),
                        float(entered),
                        float(left) if left else None,
                        StepResult(result) if result else None,
                    )
                )
            return cls(fields["partition"], fields.get("from", ""), float(fields["arrived"]),
                       tuple(attempts))  # fmt: skip
        except (KeyError, ValueError):
            return None

    def merge(self, record: CallRecord) -> CallRecord:
        """The whole call: this earlier part, then the record of the node that ended it."""
        earlier = record.arrived_at - self.arrived_at
        return replace(
            record,
            arrived_at=self.arrived_at,
            wait_s=record.wait_s + max(0.0, earlier),
            attempts=[*self.attempts, *record.attempts],
        )


class _NothingHere(Exception):
    def __init__(self, target: str | None, handover: Handover) -> None:
        super().__init__(target)
        self.target = target
        self.handover = handover


class NodeCallControl(EngineCallControl):
    """The engine call control of one cluster node (runs on the SIP thread, like its parent)."""

    def __init__(
        self,
        directory: Directory,
        seats: SeatBook,
        *,
        settings: Settings,
        record: Callable[[CallRecord], None],
        cluster: cluster_rules.ClusterInfo,
        node_id: str,
        seat_change: Callable[[SeatChange], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cluster = cluster
        self.node_id = node_id
        local = cluster_rules.node_directory(directory, cluster, node_id)
        super().__init__(
            local,
            seats,
            settings=settings,
            record=record,
            seat_state=self._seat_state_changed if seat_change is not None else None,
            clock=clock,
        )
        self.seat_change = seat_change
        self.leases: dict[str, int] = {}  # partition → epoch of its lease this node holds
        self.pending: dict[str, list[SeatChange]] = {}  # partition → changes awaiting the lease
        self._muted = False
        self._seen_registered: set[str] = set()  # counsellors registered at the last sync
        self.held = frozenset(h.id for h in local.hotlines)
        primary, standby = cluster.partitions_of(node_id)
        self.primary_ids = {p.id for p in primary}
        self.standby_ids = {p.id for p in standby}
        self.active: set[str] = set(self.primary_ids)
        self.partition_of_counsellor = {
            c.id: cluster.partition_of_hotline(
                next(h for h in local.hotlines if h.id == c.hotline_id)
            ).id
            for c in local.counsellors
        }
        self.live: dict[str, _Live] = {}
        self.partition_of_hotline = {
            h.id: cluster.partition_of_hotline(h).id for h in local.hotlines
        }
        self.handover_to: dict[str, str] = {}  # call → partition it goes on to after its steps
        self.prior: dict[str, Handover] = {}  # call → its earlier part on another node
        self.handovers = 0
        self.changes = 0  # bumped on the SIP thread whenever a live call changes
        self.handed_over: list[str] = []
        self.registered: dict[str, SeatTarget] = {}  # counsellor → contact from `location`
        self.stored_states: dict[str, str] = {}  # counsellor → state in the database
        self.takeovers = 0

    # calls -------------------------------------------------------------------------------------
    def _active_hotlines(self) -> frozenset[str]:
        return frozenset(h for h, p in self.partition_of_hotline.items() if p in self.active)

    def plan(
        self, call: InboundCall, steps: tuple[Step, ...]
    ) -> tuple[tuple[Step, ...], str | None, Handover | None]:
        """(the steps served here, the partition to hand the call to after them, the earlier
        part of the call on another node)."""
        prior = Handover.parse(call.handover) if call.handover else None
        partition = prior.partition if prior else call.partition
        if partition in self.standby_ids and partition not in self.active:
            self.activate(partition)
        done = {a.hotline_id for a in prior.attempts} if prior else set()
        here = self._active_hotlines()
        todo = [s for s in steps if s.hotline_id not in done]
        mine = tuple(s for s in todo if s.hotline_id in here)
        last = max((i for i, s in enumerate(todo) if s.hotline_id in here), default=-1)
        later = [s for s in todo[last + 1 :] if s.hotline_id not in here]
        target = None
        if later:
            hotline = self.index.hotlines.get(later[0].hotline_id)
            if hotline is not None:
                target = self.cluster.partition_of_hotline(hotline).id
        return mine, target, prior

    def call_arrived(self, call: InboundCall) -> Admission:
        try:
            return super().call_arrived(call)
        except _NothingHere as nothing:
            ref = call_ref(call.call_id)
            self._forget(ref)
            self.handed_over.append(ref)
            if nothing.target is None:
                return Admission.refuse(480, "Temporarily Unavailable")
            self.handovers += 1
            header = nothing.handover.format()
            return Admission.refuse(302, "Moved Temporarily", {"X-Handover": header})

    def route_steps(self, call: InboundCall, ref: str, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        mine, target, prior = self.plan(call, steps)
        if not mine:
            # none of the call's steps is served here: straight on to the next partition
            arrived = call.arrived_at.timestamp()
            handover = Handover(
                target or "",
                self.node_id,
                prior.arrived_at if prior else arrived,
                prior.attempts if prior else (),
            )
            raise _NothingHere(target, handover)
        partition = prior.partition if prior else call.partition
        self.live[ref] = _Live(partition, call.arrived_at)
        self.changes += 1
        if target is not None:
            self.handover_to[ref] = target
        if prior is not None:
            self.prior[ref] = prior
        return mine

    def mark_crisis(self, call_id: str) -> bool:
        self.changes += 1
        return super().mark_crisis(call_id)

    def seat_answered(self, call_id: str, counsellor_id: str) -> bool:
        ok = super().seat_answered(call_id, counsellor_id)
        live = self.live.get(call_ref(call_id))
        if ok and live is not None:
            live.counsellor_id = counsellor_id
            live.answered_at = self.clock()
            self.changes += 1
        return ok

    def _on_event(self, event: Event) -> None:
        self.changes += 1
        if isinstance(event, Ring):
            live = self.live.get(event.call_id)
            if live is not None:
                live.hotline_id = event.hotline_id
                live.counsellor_id = event.counsellor_id
        elif isinstance(event, CallEnded) and event.last_resort:
            if event.call_id in self.handover_to:
                return  # not the last resort: the call goes on at another node (below)
        elif isinstance(event, Recorded):
            ref = event.record.call_id
            target = self.handover_to.pop(ref, None)
            if target is not None and event.record.last_resort:
                self._hand_over(ref, target, event.record)
                return
            prior = self.prior.pop(ref, None)
            if prior is not None:
                event = Recorded(event.at, prior.merge(event.record))
        super()._on_event(event)

    def _hand_over(self, ref: str, target: str, record: CallRecord) -> None:
        """The steps here are over: answer 302 with X-Handover; Kamailio sends the call to the
        node of ``target``, which continues it and stores the one record of the whole call."""
        assert self.actions is not None
        prior = self.prior.pop(ref, None)
        whole = prior.merge(record) if prior is not None else record
        header = Handover(target, self.node_id, whole.arrived_at, tuple(whole.attempts)).format()
        sip_id = self.sip_ids.get(ref)
        self._forget(ref)
        self.handed_over.append(ref)
        self.handovers += 1
        if sip_id is not None:
            self.actions.end(sip_id, 302, "Moved Temporarily", {"X-Handover": header})

    def _forget(self, ref: str) -> None:
        super()._forget(ref)
        self.changes += 1
        self.live.pop(ref, None)
        self.handover_to.pop(ref, None)
        self.prior.pop(ref, None)

    # partitions and seats ----------------------------------------------------------------------
    def activate(self, partition: str) -> None:
        """Take a standby partition: log in its registered counsellors at once."""
        log.warning("node %s takes partition %s over", self.node_id, partition)
        self.active.add(partition)
        self.takeovers += 1
        for cid, part in self.partition_of_counsellor.items():
            static = self.seats.by_counsellor.get(cid)
            if part == partition and static is not None and static.contact is not None:
                self.contacts[cid] = static.contact
                if not static.browser:  # a browser seat signs in on the staff page
                    self._login_as_stored(cid)
        self._sync_seats(taken=partition)

    def release_idle(self, primary_alive: dict[str, bool]) -> list[str]:
        """Hand standby partitions back once their primary is alive and none of their calls is
        left here. Returns them: their leases are to be given up (their seats' states are the
        primary's to store again; the logouts here are not stored)."""
        released = []
        for pid in sorted(self.active & self.standby_ids):
            if not primary_alive.get(pid, False):
                continue
            if any(lv.partition == pid for lv in self.live.values()):
                continue
            log.warning("node %s hands partition %s back", self.node_id, pid)
            self.active.discard(pid)
            self.leases.pop(pid, None)
            self.pending.pop(pid, None)
            released.append(pid)
            for cid, part in self.partition_of_counsellor.items():
                if part == pid:
                    self._quietly(self.engine.counsellor_logout, cid)
                    self.contacts.pop(cid, None)
        return released

    # seat states and the leases of their partitions --------------------------------------------
    def _login_as_stored(self, cid: str) -> None:
        """Log a seat in, in the state stored for it (a break stays a break): one change."""
        before = self.engine.counsellor_state(cid)
        self._muted = True
        try:
            self._quietly(self.engine.counsellor_login, cid)
            if self.stored_states.get(cid) == "break":
                self._quietly(self.engine.set_state, cid, CounsellorState.BREAK)
        finally:
            self._muted = False
        after = self.engine.counsellor_state(cid)
        if after is not before:
            self._seat_state_changed(cid, str(after), self.clock())

    def _seat_state_changed(self, counsellor_id: str, state: str, at: float) -> None:
        """A seat state from the engine: to the writer under the partition's lease, kept until
        the lease is this node's, or dropped (a seat of a partition this node does not serve)."""
        if self._muted or self.seat_change is None:
            return
        part = self.partition_of_counsellor.get(counsellor_id)
        if part is None:
            return
        change = SeatChange(counsellor_id, state, at, part, self.node_id, self.leases.get(part, 0))
        if part in self.leases:
            self.seat_change(change)
        elif part in self.active:
            self.pending.setdefault(part, []).append(change)

    def lease_update(self, held: dict[str, int], stored: dict[str, str]) -> None:
        """The leases this node holds after the agent's claim (committed), and the seats' stored
        states read in the same transaction. A lease newly held stores the changes kept for it;
        a standby partition's lease newly held is a takeover: its seats take their stored
        states (a break set on the primary just before it died stays a break)."""
        self.stored_states = {**self.stored_states, **stored}
        for pid in list(self.leases):
            if pid not in held:
                log.warning("node %s no longer holds the lease of %s", self.node_id, pid)
                del self.leases[pid]
        for pid, epoch in held.items():
            if self.leases.get(pid) == epoch or pid not in self.active:
                continue
            self.leases[pid] = epoch
            kept = self.pending.pop(pid, [])
            if self.seat_change is not None:
                for change in kept:
                    self.seat_change(replace(change, epoch=epoch))
            if pid not in self.standby_ids:
                continue
            # a seat that did more here than log in at the takeover keeps its state here
            changed = {c.counsellor_id for c in kept if c.state != "available"}
            for cid, part in self.partition_of_counsellor.items():
                if part != pid or cid in changed:
                    continue
                state = self.engine.counsellor_state(cid)
                if stored.get(cid) == "break" and state is CounsellorState.AVAILABLE:
                    self._quietly(self.engine.set_state, cid, CounsellorState.BREAK)

    def update_registrations(
        self, registered: dict[str, SeatTarget], stored_states: dict[str, str]
    ) -> None:
        """The newest ``location`` rows and stored seat states (from the agent thread)."""
        self.registered = registered
        self.stored_states = stored_states
        self._sync_seats()

    def _sync_seats(self, taken: str | None = None) -> None:
        """Log in the counsellors of the active partitions whose registration is new (or all
        registered ones of the partition ``taken`` over), out those whose registration is gone.
        A counsellor staff signed out stays out while the same registration lasts."""
        for cid, part in self.partition_of_counsellor.items():
            static = self.seats.by_counsellor.get(cid)
            if static is not None and static.contact is not None:
                continue  # static seats are logged in by the parent from the start
            target = self.registered.get(cid)
            state = self.engine.counsellor_state(cid)
            if part not in self.active or target is None:
                if state is not CounsellorState.OFFLINE and part in self.active:
                    self.contacts.pop(cid, None)
                    self._quietly(self.engine.counsellor_logout, cid)
                continue
            self.contacts[cid] = target
            fresh = cid not in self._seen_registered or part == taken
            if state is CounsellorState.OFFLINE and fresh:
                self._login_as_stored(cid)
        self._seen_registered = set(self.registered)

    def attach(self, actions: Any) -> None:
        super().attach(actions)
        # Static seats of standby partitions wait for a takeover.
        for cid, part in self.partition_of_counsellor.items():
            if part not in self.active and cid in self.contacts:
                self._quietly(self.engine.counsellor_logout, cid)

    # what the agent publishes ------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Active partitions, leases held, counters (called on the SIP thread)."""
        return {
            "active": sorted(self.active),
            "leases": dict(self.leases),
            "takeovers": self.takeovers,
            "handovers": self.handovers,
        }

    def live_calls_and_handovers(self) -> tuple[list[dict[str, Any]], list[str]]:
        """The live calls, and the calls handed on since the last time (their record is the
        next node's to write)."""
        handed, self.handed_over = self.handed_over, []
        return self.live_calls(), handed

    def live_calls(self) -> list[dict[str, Any]]:
        """The calls up here: waiting, ringing or talking (called on the SIP thread)."""
        waiting = {}
        for hotline in self.index.hotlines:
            for info in self.engine.queue_snapshot(hotline):
                waiting[info.call_id] = info
        calls = []
        for ref, live in self.live.items():
            tag = self.tags.get(ref)
            if tag is None:
                continue
            state = self._state(ref)
            queued = waiting.get(ref)
            label = (
                {
                    CallState.WAITING: "waiting",
                    CallState.RINGING: "ringing",
                    CallState.TALKING: "talking",
                }.get(state, "ended")
                if state is not None
                else "ended"
            )
            calls.append(
                {
                    "call_ref": ref,
                    "sip_call_id": self.sip_ids.get(ref, ref)[:300],
                    "partition_id": live.partition,
                    "state": label,
                    "hotline_id": queued.hotline_id if queued else live.hotline_id,
                    "province_code": tag.province_code,
                    "city_code": tag.city_code,
                    "position": queued.position if queued else None,
                    "expected_wait_s": queued.expected_wait_s if queued else None,
                    "crisis": ref in self.crisis,
                    "skill": None,
                    "counsellor_id": live.counsellor_id if label != "waiting" else None,
                    "caller_hash": tag.caller_hash,
                    "caller_masked": tag.caller_masked,
                    "location_source": tag.location_source,
                    "rule_version": tag.rule_version,
                    "dialled": tag.dialled,
                    "arrived_at": live.arrived_at,
                    "answered_at": _dt(live.answered_at) if live.answered_at else None,
                    "media": self.media_notes.get(ref),
                }
            )
        return calls


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def contact_target(counsellor_id: str, uri: str) -> SeatTarget | None:
    """A ``location`` contact (``sip:user@host:port;transport=UDP``) as a seat target."""
    uri = uri.strip().strip("<>")
    try:
        return parse_contact(uri.split(">")[0], counsellor_id)
    except ValueError:
        return None


class NodeAgent:
    """The node's publishing thread (see the module docstring). Everything it learns from the
    databases it hands to the SIP thread; everything it publishes it takes from there."""

    def __init__(
        self,
        *,
        node_id: str,
        sessions: Any,
        kamailio_url: str | None,
        control: NodeCallControl,
        counters: Callable[[], dict[str, Any]],
        set_draining: Callable[[bool], None],
        interval_s: float = PUBLISH_EVERY_S,
    ) -> None:
        self.node_id = node_id
        self.sessions = sessions
        self.control = control
        self.counters = counters
        self.set_draining = set_draining
        self.interval_s = interval_s
        self.kamailio = create_engine(kamailio_url, pool_size=1) if kamailio_url else None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.lost_marked = 0
        self.errors = 0
        self._direct = False
        self._published: dict[str, dict[str, Any]] = {}
        self._gone: dict[str, float] = {}  # ended calls whose record is not stored yet

    def start(self) -> None:
        for name, target in (("sip-node-agent", self._run), ("sip-node-calls", self._run_calls)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.kamailio is not None:
            self.kamailio.dispose()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.step()
            except Exception:  # a database hiccup must not stop the node: try again
                self.errors += 1
                log.exception("node agent step failed")

    def _run_calls(self) -> None:
        # A call's row is written within a few hundredths of a second of its arrival, answer or
        # end, so that a node dying leaves as few calls unaccounted as possible. The SIP thread
        # only bumps a counter (no lock, no wake-up); this thread looks at it.
        seen = -1
        while not self._stop.wait(CALLS_EVERY_S):
            changes = self.control.changes
            if changes == seen:
                continue
            try:
                self.publish_calls()
                seen = changes
            except Exception:
                self.errors += 1
                log.exception("publishing live calls failed")

    def publish_calls(self) -> None:
        from minsheng.hotline.service import cluster as cluster_service

        calls, handed_over = self._on_sip_thread(self.control.live_calls_and_handovers)
        current = {c["call_ref"]: c for c in calls}
        changed = [c for ref, c in current.items() if self._published.get(ref) != c]
        now = time.monotonic()
        for ref in self._published:
            if ref not in current:
                self._gone.setdefault(ref, now)
        # a call whose record never comes (the writer gave up) does not stay listed for ever
        force = set(handed_over) | {r for r, t in self._gone.items() if now - t > GONE_FOR_S}
        gone = [r for r in self._gone if r not in current]
        if changed or gone or force:
            with session_scope(self.sessions) as session:
                left = cluster_service.publish_calls(
                    session,
                    self.node_id,
                    now=datetime.now(UTC),
                    changed=changed,
                    gone=gone,
                    force=force,
                )
            self._gone = {r: self._gone[r] for r in left if r not in force}
        self._published = current

    def _on_sip_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._direct:  # the first step, on the SIP thread before its loop runs
            return fn(*args)
        from sippy.Core.EventDispatcher import ED2

        return ED2.callFromThreadSync(fn, *args)

    def first_step(self) -> None:
        """One step on the calling (SIP) thread before the loop starts: registrations and seat
        states are in place before the first call."""
        self._direct = True
        try:
            self.publish_calls()
            self.step()
        finally:
            self._direct = False

    def registrations(self) -> dict[str, SeatTarget]:
        if self.kamailio is None:
            return {}
        from minsheng.hotline.sip.kamailio import registered_contacts

        with self.kamailio.connect() as conn:
            rows = registered_contacts(conn)
        book = self.control.seats.by_user
        found: dict[str, SeatTarget] = {}
        for user, uri in rows.items():
            seat = book.get(user)
            if seat is None or seat.counsellor_id not in self.control.partition_of_counsellor:
                continue
            target = contact_target(seat.counsellor_id, uri)
            if target is not None:
                found[seat.counsellor_id] = target
        return found

    def step(self) -> None:
        from minsheng.hotline.service import cluster as cluster_service
        from minsheng.hotline.service import leases

        with session_scope(self.sessions) as session:
            cluster_service.beat(session, self.node_id, datetime.now(UTC))
        registered = self.registrations()
        hotlines = list(self.control.partition_of_hotline)
        snap = self._on_sip_thread(self.control.snapshot)
        counters = {
            **self._on_sip_thread(self.counters),
            "takeovers": snap["takeovers"],
            "handovers": snap["handovers"],
        }
        # the heartbeat in a transaction of its own: it never waits for a lock
        with session_scope(self.sessions) as session:
            draining = cluster_service.publish(
                session,
                self.node_id,
                now=datetime.now(UTC),
                counters=counters,
                active_partitions=snap["active"],
                seats={},
            )
        now = datetime.now(UTC)
        with session_scope(self.sessions) as session:
            # the leases (their rows stay locked to the end of this transaction, so the seats'
            # stored states read next are those of the lease taken); the seat states are the
            # record writer's to store, under these leases
            held = leases.claim(
                session,
                self.node_id,
                snap["active"],
                snap["leases"],
                now=now,
                dead_after_s=DEAD_AFTER_S,
            )
            stored = leases.seat_states_of_hotlines(session, hotlines)
            alive: dict[str, bool] = {}
            nodes = {n.id: n for n in cluster_service.list_nodes(session)}
            for pid in sorted(self.control.standby_ids):
                primary = nodes.get(self.control.cluster.partition(pid).primary)
                if primary is None:
                    continue
                age = (now - primary.heartbeat_at).total_seconds() if primary.heartbeat_at else None
                dead = age is None or age > DEAD_AFTER_S
                alive[pid] = not dead and not primary.draining
                if dead:
                    self.lost_marked += cluster_service.mark_lost(session, primary.id, [pid], now)
        self._on_sip_thread(self.control.update_registrations, registered, stored)
        self._on_sip_thread(self.control.lease_update, held, stored)
        self._on_sip_thread(self.set_draining, draining)
        released = self._on_sip_thread(self.control.release_idle, alive)
        if released:
            with session_scope(self.sessions) as session:
                leases.release(session, self.node_id, released)


# Staff actions forwarded by the main app ------------------------------------------------------
# The main app forwards a staff user's action (crisis mark, seat state) to the node that owns the
# call or the seat. It signs it with the deployment's secret key (every node and the app share
# it): header X-Minsheng-Forward: "<unix time>;<actor>;<hex HMAC-SHA256>" over time, actor,
# method, path and body. A signature older than FORWARD_WINDOW_S is refused.
FORWARD_HEADER = "X-Minsheng-Forward"
FORWARD_WINDOW_S = 60


def sign_forward(secret: str, actor: str, method: str, path: str, body: bytes, now: float) -> str:
    import hashlib
    import hmac

    stamp = str(int(now))
    message = f"{stamp}\n{actor}\n{method}\n{path}\n".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{stamp};{actor};{digest}"


def verify_forward(
    secret: str, header: str, method: str, path: str, body: bytes, now: float
) -> str | None:
    """The forwarded actor when the signature is good and fresh, else None."""
    import hmac

    parts = header.split(";")
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    stamp, actor, _digest = parts
    if abs(now - int(stamp)) > FORWARD_WINDOW_S:
        return None
    expected = sign_forward(secret, actor, method, path, body, float(stamp))
    return actor if hmac.compare_digest(expected, header) else None

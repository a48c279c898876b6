"""Who writes a SIP partition's seat states: one node at a time, fenced by an epoch.

A partition's seats are logged in on its primary and, after a takeover, on its standby; for a
while (Kamailio moved the calls before the primary's heartbeat was old enough, or the standby
still finishes calls after the primary came back) both may have them logged in. Their seat
states — logins, breaks, talking, wrap-up — are stored by exactly one of them: the node holding
the partition's *lease* (``hotline_sip_partitions.owner_node_id``) in the lease's *epoch*.

* A node takes the lease of a partition it serves when the lease is free, is its own, or its
  holder's heartbeat is older than ``dead_after_s``; taking it from another holder (or from
  itself in an earlier life) counts the epoch up.
* Every seat-state write carries (node, epoch) and is made only while the row says so, in the
  same transaction, with the row locked (``FOR SHARE``): a take (``FOR UPDATE``) waits for it,
  and a write after a take is refused. So a node that was presumed dead and wakes up cannot write
  over the standby's states, and two nodes never record the same seat.
* A standby that hands a partition back releases the lease; the primary takes it at its next
  second.

Functions take a session and flush; the node agent (``sip/nodestate.py``) and the record writer
(``sip/records.py``) call them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from minsheng.hotline.models import Counsellor, SipNode, SipPartition


def claim(
    session: Session,
    node_id: str,
    wanted: Iterable[str],
    held: dict[str, int],
    *,
    now: datetime,
    dead_after_s: float,
) -> dict[str, int]:
    """Take or keep the leases of ``wanted`` partitions (those the node serves now); ``held`` is
    what the node believes it holds (partition → epoch). Returns the leases it holds after this
    (partition → epoch); the rows stay locked until the transaction ends."""
    ids = sorted(set(wanted))
    if not ids:
        return {}
    rows = session.scalars(
        select(SipPartition)
        .where(SipPartition.id.in_(ids))
        .order_by(SipPartition.id)
        .with_for_update()
    ).all()
    owners = {r.owner_node_id for r in rows if r.owner_node_id and r.owner_node_id != node_id}
    beats: dict[str, datetime | None] = {}
    if owners:
        found = session.execute(
            select(SipNode.id, SipNode.heartbeat_at).where(SipNode.id.in_(owners))
        )
        beats = {str(nid): beat for nid, beat in found}
    limit = now - timedelta(seconds=dead_after_s)
    result: dict[str, int] = {}
    for row in rows:
        owner = row.owner_node_id
        if owner == node_id and held.get(row.id) == row.owner_epoch:
            row.owner_at = now  # kept
        elif owner is None or owner == node_id or _dead(beats.get(owner), limit):
            row.owner_node_id = node_id
            row.owner_epoch += 1
            row.owner_at = now
        else:
            continue  # another node, alive, holds it
        result[row.id] = row.owner_epoch
    session.flush()
    return result


def _dead(heartbeat: datetime | None, limit: datetime) -> bool:
    return heartbeat is None or heartbeat < limit


def release(session: Session, node_id: str, partition_ids: Iterable[str]) -> int:
    """Give leases up (a standby handing partitions back). Returns how many it held."""
    ids = list(partition_ids)
    if not ids:
        return 0
    done = session.execute(
        update(SipPartition)
        .where(SipPartition.id.in_(ids), SipPartition.owner_node_id == node_id)
        .values(owner_node_id=None)
    )
    session.flush()
    return int(getattr(done, "rowcount", 0) or 0)


def lock_shared(session: Session, partition_ids: list[str]) -> set[tuple[str, str, int]]:
    """Lock partitions' lease rows for sharing, in id order, until the transaction ends (no take
    slips in before the writes that follow); returns their leases as (partition, node, epoch)."""
    rows = session.execute(
        select(SipPartition.id, SipPartition.owner_node_id, SipPartition.owner_epoch)
        .where(SipPartition.id.in_(partition_ids))
        .order_by(SipPartition.id)
        .with_for_update(read=True)
    )
    return {(str(pid), str(owner), int(epoch)) for pid, owner, epoch in rows if owner}


def leases(session: Session) -> dict[str, tuple[str | None, int]]:
    """Every partition's lease: partition → (holder, epoch)."""
    rows = session.execute(
        select(SipPartition.id, SipPartition.owner_node_id, SipPartition.owner_epoch)
    )
    return {str(pid): (owner, int(epoch)) for pid, owner, epoch in rows}


def store_current_states(session: Session, newest: dict[str, tuple[str, datetime]]) -> None:
    """Each counsellor's newest state from a node (counsellor → (state, since)) becomes the
    current one (``hotline_counsellors.state``) unless the stored one is newer. The rows are
    locked in id order first, until the transaction ends: seat states written by a node and one
    set by staff in the main app (which updates the row) never interleave."""
    if not newest:
        return
    rows = session.execute(
        select(Counsellor.id, Counsellor.state_at)
        .where(Counsellor.id.in_(sorted(newest)))
        .order_by(Counsellor.id)
        .with_for_update()
    )
    changed = [
        {"id": cid, "state": newest[cid][0], "state_at": newest[cid][1]}
        for cid, since in rows
        if since is None or since <= newest[cid][1]
    ]
    if changed:
        session.execute(update(Counsellor), changed)  # by primary key, one statement
    session.flush()


def seat_states_of_hotlines(session: Session, hotline_ids: Iterable[str]) -> dict[str, str]:
    """The stored state of every counsellor of these hotlines (a node reads those of the
    partitions it holds every second: by hotline, one short query whatever the seat count)."""
    ids = sorted(set(hotline_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Counsellor.id, Counsellor.state).where(Counsellor.hotline_id.in_(ids))
    )
    return {str(cid): str(state) for cid, state in rows}

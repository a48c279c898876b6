"""The SIP cluster in the database: nodes and partitions, what each node publishes every second
(heartbeat, counters, live calls, seat states), and the calls lost with a node.

See docs/hotline-scale.md. Functions take a session, flush and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from minsheng.core import audit
from minsheng.core.db import utcnow
from minsheng.core.errors import Conflict, DomainError, Forbidden, InvalidInput
from minsheng.core.scope import Scope
from minsheng.hotline.errors import LiveCallNotFound, NodeNotFound, NodeUnreachable
from minsheng.hotline.models import (
    Call,
    CallAttempt,
    Counsellor,
    SipLiveCall,
    SipNode,
    SipPartition,
)
from minsheng.hotline.service.scoping import live_call_filter, live_call_in_scope
from minsheng.hotline.sip import cluster as cluster_rules

LOST = "lost"
LIVE_STATES = ("waiting", "ringing", "talking")
# PostgreSQL advisory lock key (a constant the platform uses for nothing else): "minshen" in
# ASCII, then 01 for the call records of the cluster's nodes.
RECORDS_LOCK = 0x6D696E7368656E01


def lock_call_records(session: Session) -> None:
    """Serialise the writers of the cluster's call records until this transaction ends: a
    standby recording a dead node's calls lost (``mark_lost``) and a node's record writer
    storing its calls (which drops such lost records first, ``supersede_lost``). Without it a
    lost record committed between the writer's supersede and its insert stayed, and the real
    (answered) record of a call Kamailio had moved to the standby was left out (seen in CI:
    six calls answered on the standby recorded as lost). PostgreSQL only: SQLite serialises
    writers already, and a cluster runs on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECORDS_LOCK})


def _address(text: Any, field: str) -> tuple[str, int]:
    if not isinstance(text, str) or text.count(":") != 1:
        raise InvalidInput(f"{field}: host:port expected, got {text!r}", field=field)
    host, _, port = text.partition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInput(f"{field}: host:port expected, got {text!r}", field=field)
    return host, int(port)


def load_cluster(session: Session, data: Any, *, actor: str) -> dict[str, int]:
    """Replace the nodes and partitions with ``data`` (all or nothing)::

    {"nodes": [{"id": "n1", "sip": "10.0.0.1:5060", "control": "10.0.0.1:5070"}, ...],
     "partitions": [{"id": "south", "name": "华南", "provinces": ["440000"], "primary": "n1",
                     "standby": "n2"}, {"id": "national", "national": true, ...}]}
    """
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise InvalidInput("the cluster file is an object with nodes and partitions", field="nodes")
    if not isinstance(data.get("partitions"), list):
        raise InvalidInput("the cluster file lists partitions", field="partitions")
    nodes: list[cluster_rules.NodeInfo] = []
    for i, row in enumerate(data["nodes"]):
        where = f"nodes[{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not row["id"]:
            raise InvalidInput(f"{where}: a node has an id", field=f"{where}.id")
        host, port = _address(row.get("sip"), f"{where}.sip")
        control = row.get("control")
        if control is not None:
            _address(control, f"{where}.control")
        nodes.append(cluster_rules.NodeInfo(row["id"], host, port, control))
    partitions: list[cluster_rules.PartitionInfo] = []
    for i, row in enumerate(data["partitions"]):
        where = f"partitions[{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not row["id"]:
            raise InvalidInput(f"{where}: a partition has an id", field=f"{where}.id")
        provinces = row.get("provinces", [])
        if not isinstance(provinces, list) or not all(isinstance(p, str) for p in provinces):
            raise InvalidInput(f"{where}: provinces is a list of codes", field=f"{where}.provinces")
        partitions.append(
            cluster_rules.PartitionInfo(
                id=row["id"],
                set_id=i + 1,
                primary=str(row.get("primary", "")),
                standby=row.get("standby"),
                provinces=tuple(provinces),
                national=bool(row.get("national", False)),
                name=str(row.get("name", "")),
            )
        )
    info = cluster_rules.ClusterInfo.build(nodes, partitions)
    problems = cluster_rules.check(info)
    if problems:
        raise InvalidInput("; ".join(problems), field="partitions")
    session.execute(delete(SipPartition))
    session.execute(delete(SipNode))
    session.flush()
    for n in nodes:
        session.add(
            SipNode(
                id=n.id,
                sip_address=f"{n.sip_host}:{n.sip_port}",
                control_address=n.control,
                draining=False,
                counters={},
                active_partitions=[],
            )
        )
    session.flush()
    for p in partitions:
        session.add(
            SipPartition(
                id=p.id,
                name=p.name,
                provinces=list(p.provinces),
                national=p.national,
                set_id=p.set_id,
                primary_node_id=p.primary,
                standby_node_id=p.standby,
            )
        )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="hotline.sip.cluster_load",
        table="hotline_sip_partitions",
        record_id="*",
        detail={"nodes": len(nodes), "partitions": len(partitions)},
    )
    return {"nodes": len(nodes), "partitions": len(partitions)}


def cluster_info(session: Session) -> cluster_rules.ClusterInfo:
    nodes = []
    for n in session.scalars(select(SipNode).order_by(SipNode.id)):
        host, port = _address(n.sip_address, "sip_address")
        nodes.append(cluster_rules.NodeInfo(n.id, host, port, n.control_address, n.draining))
    partitions = [
        cluster_rules.PartitionInfo(
            id=p.id,
            set_id=p.set_id,
            primary=p.primary_node_id,
            standby=p.standby_node_id,
            provinces=tuple(p.provinces),
            national=p.national,
            name=p.name,
        )
        for p in session.scalars(select(SipPartition).order_by(SipPartition.set_id))
    ]
    return cluster_rules.ClusterInfo.build(nodes, partitions)


def get_node(session: Session, node_id: str) -> SipNode:
    node = session.get(SipNode, node_id)
    if node is None:
        raise NodeNotFound(f"no SIP node {node_id!r}", field="node")
    return node


def list_nodes(session: Session) -> list[SipNode]:
    return list(session.scalars(select(SipNode).order_by(SipNode.id)))


def node_dict(n: SipNode, now: datetime) -> dict[str, Any]:
    age = (now - n.heartbeat_at).total_seconds() if n.heartbeat_at else None
    return {
        "id": n.id,
        "sip": n.sip_address,
        "control": n.control_address,
        "draining": n.draining,
        "alive": age is not None and age < 3.0,
        "heartbeat_age_s": round(age, 1) if age is not None else None,
        "active_partitions": n.active_partitions,
        "counters": n.counters,
    }


def set_draining(session: Session, node_id: str, draining: bool, *, actor: str) -> SipNode:
    node = get_node(session, node_id)
    node.draining = draining
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="hotline.sip.drain" if draining else "hotline.sip.undrain",
        table="hotline_sip_nodes",
        record_id=node_id,
    )
    return node


def node_started(session: Session, node_id: str, now: datetime) -> int:
    """A node (re)starts: it is not draining, and calls it still listed from a previous life are
    lost (the process that held them is gone). Returns how many were recorded lost."""
    node = get_node(session, node_id)
    node.started_at = now
    node.heartbeat_at = now
    node.draining = False
    session.flush()
    return mark_lost(session, node_id, None, now)


def beat(session: Session, node_id: str, now: datetime) -> None:
    """Only the heartbeat: the first thing a node's agent writes each second, before it asks its
    SIP thread anything, so that a node busy with calls is not taken for dead."""
    session.execute(update(SipNode).where(SipNode.id == node_id).values(heartbeat_at=now))


def publish(
    session: Session,
    node_id: str,
    *,
    now: datetime,
    counters: dict[str, Any],
    active_partitions: list[str],
    seats: dict[str, str],
) -> bool:
    """One second of a node's state: heartbeat and counters, and the seat states of the
    partitions it serves. Returns whether the node is asked to drain."""
    node = get_node(session, node_id)
    node.heartbeat_at = now
    node.counters = counters
    node.active_partitions = active_partitions
    for state, ids in _group(seats).items():
        session.execute(
            update(Counsellor)
            .where(Counsellor.id.in_(ids), Counsellor.state != state)
            .values(state=state, state_at=now)
        )
    session.flush()
    return node.draining


def publish_calls(
    session: Session,
    node_id: str,
    *,
    now: datetime,
    changed: list[dict[str, Any]],
    gone: list[str],
    force: Iterable[str] = (),
) -> list[str]:
    """The node's live calls that changed (new, another state or queue position) since its last
    publication, and those it no longer holds. A call's row stays until its record is stored
    (the record writer removes it in the same transaction), so that a node dying leaves no call
    unaccounted; rows in ``force`` go regardless (their record is not this node's to write).
    Returns the gone calls whose rows are still there."""
    refs = [c["call_ref"] for c in changed]
    stored: set[str] = set()
    if gone:
        stored = set(session.scalars(select(Call.call_ref).where(Call.call_ref.in_(gone))))
    drop = [r for r in gone if r in stored] + list(force)
    if drop:
        session.execute(
            delete(SipLiveCall).where(
                SipLiveCall.node_id == node_id, SipLiveCall.call_ref.in_(drop)
            )
        )
    if refs:
        # whichever node listed them: a call Kamailio moved here from a node that went silent
        # is this node's now (its row, not a lost one of the silent node)
        session.execute(delete(SipLiveCall).where(SipLiveCall.call_ref.in_(refs)))
    if changed:
        recorded = set(session.scalars(select(Call.call_ref).where(Call.call_ref.in_(refs))))
        rows = [
            {**c, "node_id": node_id, "updated_at": now}
            for c in changed
            if c["call_ref"] not in recorded
        ]
        if rows:
            session.execute(insert(SipLiveCall), rows)
    session.flush()
    return [r for r in gone if r not in stored]


def forget_live_calls(session: Session, call_refs: list[str]) -> None:
    """The records of these calls are stored: their live rows go (whichever node wrote them)."""
    if call_refs:
        session.execute(delete(SipLiveCall).where(SipLiveCall.call_ref.in_(call_refs)))


def recorded_calls(session: Session, call_refs: list[str]) -> set[str]:
    """Those of these calls whose record is stored already."""
    if not call_refs:
        return set()
    return set(session.scalars(select(Call.call_ref).where(Call.call_ref.in_(call_refs))))


def supersede_lost(session: Session, call_refs: list[str], *, abandoned: Iterable[str] = ()) -> int:
    """Drop the ``lost`` records of these calls: their node was presumed dead (its heartbeat
    late, e.g. on a machine out of CPU) but lived on and finished them, and its records are the
    truth. Also the ``abandoned`` records of the calls in ``abandoned``: Kamailio gave up on a
    silent node and moved the call to another, which records it — the first node saw the
    front's CANCEL as the caller leaving. Called by the record writer before it stores them.
    Returns how many it dropped."""
    if not call_refs:
        return 0
    moved = set(abandoned)
    rows = session.execute(
        select(Call.id, Call.call_ref, Call.outcome).where(
            Call.call_ref.in_(call_refs), Call.outcome.in_((LOST, "abandoned"))
        )
    )
    ids = [cid for cid, ref, outcome in rows if outcome == LOST or ref in moved]
    if not ids:
        return 0
    session.execute(delete(CallAttempt).where(CallAttempt.call_id.in_(ids)))
    session.execute(delete(Call).where(Call.id.in_(ids)))
    session.flush()
    audit.record(
        session,
        actor=audit.system_actor("sip-records"),
        action="hotline.sip.lost_superseded",
        table="hotline_calls",
        record_id="*",
        detail={"calls": len(ids)},
    )
    return len(ids)


def _group(seats: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for cid, state in seats.items():
        out.setdefault(state, []).append(cid)
    return out


def seat_states(session: Session, counsellor_ids: Iterable[str]) -> dict[str, str]:
    ids = list(counsellor_ids)
    if not ids:
        return {}
    rows = session.execute(select(Counsellor.id, Counsellor.state).where(Counsellor.id.in_(ids)))
    return {str(cid): str(state) for cid, state in rows}


def mark_lost(
    session: Session, node_id: str, partition_ids: list[str] | None, now: datetime
) -> int:
    """Turn a dead node's live calls (of the given partitions, or all) into call records with
    outcome ``lost``, ended by the system, with the last state the node published."""
    lock_call_records(session)
    stmt = select(SipLiveCall).where(SipLiveCall.node_id == node_id)
    if partition_ids is not None:
        stmt = stmt.where(SipLiveCall.partition_id.in_(partition_ids))
    rows = list(session.scalars(stmt))
    if not rows:
        return 0
    node = session.get(SipNode, node_id)
    last_sign = node.heartbeat_at if node is not None else None
    existing = set(
        session.scalars(select(Call.call_ref).where(Call.call_ref.in_([r.call_ref for r in rows])))
    )
    for r in rows:
        if r.call_ref not in existing:
            ended = max(r.updated_at, last_sign) if last_sign is not None else r.updated_at
            wait_end = r.answered_at or ended
            call = Call(
                call_ref=r.call_ref,
                caller_hash=r.caller_hash,
                caller_masked=r.caller_masked,
                dialled=r.dialled,
                arrived_at=r.arrived_at,
                ended_at=ended,
                location_source=r.location_source,
                province_code=r.province_code,
                city_code=r.city_code,
                rule_version=r.rule_version,
                outcome=LOST,
                ended_by="system",
                crisis=r.crisis,
                skill=r.skill,
                last_resort=False,
                hotline_id=r.hotline_id,
                counsellor_id=r.counsellor_id,
                answered_at=r.answered_at,
                wait_s=max(0.0, (wait_end - r.arrived_at).total_seconds()),
                talk_s=(
                    max(0.0, (ended - r.answered_at).total_seconds()) if r.answered_at else 0.0
                ),
                wrapup_s=0.0,
                offers=1 if r.state in ("ringing", "talking") else 0,
                rollovers=0,
            )
            call.attempts = [
                CallAttempt(
                    seq=0,
                    hotline_id=r.hotline_id or "",
                    level="",
                    rule=f"lost_with_node:{node_id}:{r.state}",
                    entered_at=r.arrived_at,
                    left_at=ended,
                    result=LOST,
                )
            ]
            session.add(call)
        session.delete(r)
    session.flush()
    audit.record(
        session,
        actor=audit.system_actor("sip-takeover"),
        action="hotline.sip.calls_lost",
        table="hotline_sip_live_calls",
        record_id=node_id,
        detail={"calls": len(rows), "partitions": partition_ids},
    )
    return len(rows)


def live_calls(
    session: Session,
    *,
    province_code: str | None = None,
    hotline_id: str | None = None,
    states: tuple[str, ...] = LIVE_STATES,
    fresh_s: float = 5.0,
    now: datetime | None = None,
    scope: Scope = Scope.ALL,
) -> list[SipLiveCall]:
    """Calls up on the nodes alive (heartbeat in the last ``fresh_s`` seconds), crisis calls
    first, then oldest first."""
    now = now or utcnow()
    alive = select(SipNode.id).where(SipNode.heartbeat_at >= now - timedelta(seconds=fresh_s))
    stmt = select(SipLiveCall).where(
        SipLiveCall.state.in_(states),
        SipLiveCall.node_id.in_(alive),
        live_call_filter(session, scope),
    )
    if province_code:
        stmt = stmt.where(SipLiveCall.province_code == province_code)
    if hotline_id:
        stmt = stmt.where(SipLiveCall.hotline_id == hotline_id)
    return list(session.scalars(stmt.order_by(SipLiveCall.crisis.desc(), SipLiveCall.arrived_at)))


def live_call_dict(c: SipLiveCall) -> dict[str, Any]:
    return {
        "sip_call_id": c.sip_call_id,
        "node": c.node_id,
        "partition": c.partition_id,
        "state": c.state,
        "hotline_id": c.hotline_id,
        "province_code": c.province_code,
        "position": c.position,
        "expected_wait_s": c.expected_wait_s,
        "crisis": c.crisis,
        "caller": c.caller_masked,
        "counsellor_id": c.counsellor_id,
        "arrived_at": c.arrived_at.isoformat(),
        "media": c.media,
    }


def find_live_call(session: Session, sip_call_id: str) -> SipLiveCall | None:
    return session.scalars(
        select(SipLiveCall).where(SipLiveCall.sip_call_id == sip_call_id).limit(1)
    ).first()


def node_of_counsellor(session: Session, counsellor_id: str) -> SipNode | None:
    """The node serving the counsellor's partition now (active, alive), if any."""
    c = session.get(Counsellor, counsellor_id)
    if c is None:
        return None
    info = cluster_info(session)
    if not info.partitions:
        return None
    from minsheng.hotline.service.directory import directory_snapshot

    hotline = next((h for h in directory_snapshot(session).hotlines if h.id == c.hotline_id), None)
    if hotline is None:
        return None
    pid = info.partition_of_hotline(hotline).id
    now = utcnow()
    for n in list_nodes(session):
        if pid in (n.active_partitions or []) and node_dict(n, now)["alive"]:
            return n
    return None


# staff actions on the node that holds the call or the seat ------------------------------------
@dataclass(frozen=True)
class SingleNode:
    """The one SIP node of a deployment without a cluster (``HOTLINE_SEAT_NODE_CONTROL``)."""

    control_address: str
    id: str = "single"


def single_node(address: str) -> SingleNode | None:
    if not address.strip():
        return None
    _address(address.strip(), "hotline_seat_node_control")
    return SingleNode(address.strip())


def _forward(
    node: SipNode | SingleNode, secret: str, actor: str, path: str, body: dict[str, Any] | None
) -> Any:
    """POST a staff action to a node's staff endpoint, signed for ``actor`` (see nodestate)."""
    import json
    import time
    import urllib.error
    import urllib.request

    from minsheng.hotline.sip.nodestate import FORWARD_HEADER, sign_forward

    if not node.control_address:
        raise NodeUnreachable(f"node {node.id} has no staff endpoint", field="node")
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(
        f"http://{node.control_address}{path}",
        data=data,
        method="POST",
        headers={
            FORWARD_HEADER: sign_forward(secret, actor, "POST", path, data, time.time()),
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310 (our node)
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:300]
        if exc.code == 404:
            raise LiveCallNotFound(f"node {node.id}: {detail}", field="sip_call_id") from None
        refusal = _node_refusal(exc.code, detail)
        if refusal is not None:
            raise refusal from None
        raise NodeUnreachable(
            f"node {node.id} answered {exc.code}: {detail}", field="node"
        ) from None
    except OSError as exc:
        raise NodeUnreachable(f"node {node.id} not reachable: {exc}", field="node") from None


def _node_refusal(code: int, text: str) -> DomainError | None:
    """The node's own refusal of the action (not your call, not now, bad input), passed on with
    its reason; anything else is the node failing."""
    import json

    kinds: dict[int, type[DomainError]] = {403: Forbidden, 409: Conflict, 422: InvalidInput}
    kind = kinds.get(code)
    if kind is None:
        return None
    try:
        body = json.loads(text)
        detail, field = str(body.get("detail") or text), body.get("field")
    except (ValueError, AttributeError):
        detail, field = text, None
    return kind(detail, field=field if isinstance(field, str) else None)


def forward_crisis(
    session: Session, sip_call_id: str, *, secret: str, actor: str, scope: Scope = Scope.ALL
) -> dict[str, Any]:
    """Mark a call waiting on any node as crisis: the node that holds it does it."""
    from urllib.parse import quote

    live = find_live_call(session, sip_call_id)
    if live is None or not live_call_in_scope(session, live, scope):
        raise LiveCallNotFound(
            "no call with this SIP Call-ID waits on any node", field="sip_call_id"
        )
    node = get_node(session, live.node_id)
    answer = _forward(node, secret, actor, f"/calls/{quote(sip_call_id, safe='')}/crisis", None)
    return {"node": node.id, **answer}


def forward_seat_state(
    session: Session,
    counsellor_id: str,
    state: str,
    *,
    secret: str,
    actor: str,
    single: str = "",
) -> dict[str, Any] | None:
    """Change a seat's state on the node serving its partition, or without a cluster on the
    ``single`` node (host:port of its staff endpoint); None when no node serves it (then the
    state is only stored)."""
    from urllib.parse import quote

    node: SipNode | SingleNode | None = node_of_counsellor(session, counsellor_id)
    if node is None and not cluster_info(session).partitions:
        node = single_node(single)
    if node is None:
        return None
    path = f"/counsellors/{quote(counsellor_id, safe='')}/state"
    return {"node": node.id, **_forward(node, secret, actor, path, {"state": state})}


SUPERVISION_MODES = ("listen", "whisper", "join")


def forward_supervise(
    session: Session,
    sip_call_id: str,
    *,
    mode: str,
    supervisor: str,
    reason: str,
    secret: str,
    actor: str,
    scope: Scope = Scope.ALL,
) -> dict[str, Any]:
    """Ring a supervisor's phone into a call in conversation on the node that holds it
    (listen, whisper or join; sip/supervision.py). The node audits it, with the reason. A call
    outside ``scope`` is not found."""
    from urllib.parse import quote

    if mode not in SUPERVISION_MODES:
        raise InvalidInput("mode must be listen, whisper or join", field="mode")
    if not reason.strip():
        raise InvalidInput("a supervision needs a reason", field="reason")
    if not supervisor.strip():
        raise InvalidInput("name the supervisor whose phone is rung", field="supervisor")
    live = find_live_call(session, sip_call_id)
    if live is None or live.state != "talking" or not live_call_in_scope(session, live, scope):
        raise LiveCallNotFound("no call in conversation with this SIP Call-ID", field="sip_call_id")
    node = get_node(session, live.node_id)
    body = {"mode": mode, "supervisor": supervisor.strip(), "reason": reason.strip()}
    path = f"/calls/{quote(sip_call_id, safe='')}/supervise"
    return {"node": node.id, **_forward(node, secret, actor, path, body)}


def forward_unsupervise(
    session: Session, sip_call_id: str, *, secret: str, actor: str, scope: Scope = Scope.ALL
) -> dict[str, Any]:
    """End the supervision of a call (the supervisor's phone is hung up; audited by the node)."""
    from urllib.parse import quote

    live = find_live_call(session, sip_call_id)
    if live is None or not live_call_in_scope(session, live, scope):
        raise LiveCallNotFound("no call with this SIP Call-ID on any node", field="sip_call_id")
    node = get_node(session, live.node_id)
    path = f"/calls/{quote(sip_call_id, safe='')}/unsupervise"
    return {"node": node.id, **_forward(node, secret, actor, path, None)}


HANDOVER_NUMBERS = ("110", "119", "120")
HANDOVER_STEPS = ("start", "complete", "return")


def forward_transfer(
    session: Session,
    sip_call_id: str,
    *,
    step: str = "start",
    to: str = "",
    attended: bool = False,
    assessment: dict[str, str] | None = None,
    counsellor_id: str | None,
    secret: str,
    actor: str,
    scope: Scope = Scope.ALL,
    single: str = "",
) -> dict[str, Any]:
    """Hand a call in conversation over to 110/119/120 on the node that holds it (blind or
    attended: ``start``, then ``complete`` or ``return``), with the counsellor's crisis
    assessment sent along. ``counsellor_id``: the seat page's counsellor, who may act only on
    the call in conversation with them (the node checks it); None for a duty supervisor, who
    may act on any call in ``scope`` (the node checks the caller's region). The node audits it
    under ``actor``. Without a cluster the call is on the ``single`` node."""
    from urllib.parse import quote

    if step not in HANDOVER_STEPS:
        raise InvalidInput("step must be start, complete or return", field="step")
    if step == "start" and to not in HANDOVER_NUMBERS:
        raise InvalidInput("to must be 110, 119 or 120", field="to")
    live = find_live_call(session, sip_call_id)
    node: SipNode | SingleNode | None = None
    if live is not None and live.state == "talking" and live_call_in_scope(session, live, scope):
        node = get_node(session, live.node_id)
    elif live is None and not cluster_info(session).partitions:
        node = single_node(single)  # no cluster: the single node (its own checks of the call)
    if node is None:
        raise LiveCallNotFound("no call in conversation with this SIP Call-ID", field="sip_call_id")
    only = {"counsellor": counsellor_id, "region": scope.region}
    path = f"/calls/{quote(sip_call_id, safe='')}/transfer"
    body: dict[str, Any] = {"only": only}
    if step == "start":
        body |= {"to": to, "attended": attended}
        if assessment:
            body["assessment"] = assessment
    else:
        path += f"/{step}"
    return {"node": node.id, **_forward(node, secret, actor, path, body)}

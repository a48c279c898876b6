"""The hotline's live figures for /metrics (``core.metrics``), read at scrape time: calls waiting
on the SIP nodes alive, counsellors (seats) by state, and today's answer rate (Beijing day)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.core.db import utcnow
from minsheng.core.metrics import Gauge
from minsheng.core.timeutil import BEIJING
from minsheng.hotline.engine.types import CounsellorState, Outcome
from minsheng.hotline.models import Call, Counsellor, SipLiveCall, SipNode


def gauges(session: Session, *, now: datetime | None = None, fresh_s: float = 5.0) -> list[Gauge]:
    now = now or utcnow()
    alive = select(SipNode.id).where(SipNode.heartbeat_at >= now - timedelta(seconds=fresh_s))
    waiting = session.scalar(
        select(func.count())
        .select_from(SipLiveCall)
        .where(SipLiveCall.state == "waiting", SipLiveCall.node_id.in_(alive))
    )
    out = [
        Gauge("minsheng_hotline_waiting_calls", "Calls waiting in queue on live SIP nodes",
              float(waiting or 0)),
    ]  # fmt: skip
    seats = dict(
        session.execute(select(Counsellor.state, func.count()).group_by(Counsellor.state)).all()
    )
    for state in sorted({s.value for s in CounsellorState} | set(seats)):
        out.append(
            Gauge("minsheng_hotline_seats", "Counsellors by seat state",
                  float(seats.get(state, 0)), (("state", state),))
        )  # fmt: skip
    local = now.astimezone(BEIJING)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    total, answered = session.execute(
        select(func.count(), func.count().filter(Call.outcome == Outcome.ANSWERED.value)).where(
            Call.arrived_at >= midnight
        )
    ).one()
    out.append(
        Gauge("minsheng_hotline_calls_today", "Calls arrived since 00:00 Beijing time",
              float(total or 0))
    )  # fmt: skip
    out.append(
        Gauge("minsheng_hotline_answer_rate_today",
              "Share of today's calls (Beijing) answered; 0 before the first call",
              float(answered or 0) / total if total else 0.0)
    )  # fmt: skip
    return out

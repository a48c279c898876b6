"""Database models of the hotline system (tables prefixed ``hotline_``).

- ``hotline_hotlines``: the directory of lines (slug id, level, regions, hours, seats, whether
  the line records its calls...).
- ``hotline_counsellors``: counsellors, each on exactly one hotline, with skills and state.
- ``hotline_calls`` and ``hotline_call_attempts``: one record per call and per routing step. The
  caller's number is kept only as a keyed hash and a masked form.
- ``hotline_assessments`` and ``hotline_followups``: crisis risk assessments with hand-over, and
  follow-up tasks with a due time.
- ``hotline_shifts``: the roster (排班): one row per shift of a counsellor (or an open shift still
  to fill) on a hotline, with its break.
- ``hotline_seat_states``: what the engine recorded of each counsellor's seat (signed in,
  on break, offline) from when to when: the facts that compliance is judged on.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minsheng.core.db import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class Hotline(Base):
    __tablename__ = "hotline_hotlines"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    legacy_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    hours: Mapped[dict[str, str]] = mapped_column(JSON)
    seats: Mapped[int] = mapped_column(Integer)
    sip_uri: Mapped[str | None] = mapped_column(String(300))
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whether this line records its answered calls (the recording notice is played first);
    # new lines take the platform's HOTLINE_RECORDING (docs/hotline-media.md, Recording).
    recording: Mapped[bool] = mapped_column(Boolean, default=False)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    counsellors: Mapped[list[Counsellor]] = relationship(back_populates="hotline")


class Counsellor(Base):
    __tablename__ = "hotline_counsellors"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    hotline_id: Mapped[str] = mapped_column(
        ForeignKey("hotline_hotlines.id", ondelete="CASCADE"), index=True
    )
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    qualification: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16), default="offline")
    state_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # The register (issue 19): ``qualification_kind`` is a key of rules.workforce.QUALIFICATIONS;
    # ``qualification`` above stays the free-text description.
    qualification_kind: Mapped[str | None] = mapped_column(String(32))
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    certificate_date: Mapped[date | None] = mapped_column(Date)
    training_hours: Mapped[float] = mapped_column(Float, default=0.0)
    supervision_hours_month: Mapped[float] = mapped_column(Float, default=0.0)
    dialects: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    weekly_hours_max: Mapped[float] = mapped_column(Float, default=40.0)
    # {"mon": ["08:00-20:00"], ...} in Beijing time; NULL: available at any time
    availability: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    # The staff user (``core_users.name``) who answers this counsellor's calls in the browser
    # seat (issue 16); NULL: no browser seat.
    staff_user: Mapped[str | None] = mapped_column(String(100), unique=True, index=True)

    hotline: Mapped[Hotline] = relationship(back_populates="counsellors")


class Call(Base):
    __tablename__ = "hotline_calls"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_ref: Mapped[str] = mapped_column(String(100), unique=True)
    caller_hash: Mapped[str] = mapped_column(String(64), index=True)
    caller_masked: Mapped[str] = mapped_column(String(32))
    dialled: Mapped[str | None] = mapped_column(String(32))
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location_source: Mapped[str] = mapped_column(String(16))
    province_code: Mapped[str | None] = mapped_column(String(6), index=True)
    city_code: Mapped[str | None] = mapped_column(String(6))
    rule_version: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    # who hung up: caller | counsellor | system; NULL when the front did not say (simulations)
    ended_by: Mapped[str | None] = mapped_column(String(16))
    # media mode: "anchored recorded supervised:listen handover:120:connected" (sip/b2bua.py)
    media: Mapped[str | None] = mapped_column(String(200))
    crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    skill: Mapped[str | None] = mapped_column(String(32))
    last_resort: Mapped[bool] = mapped_column(Boolean, default=False)
    hotline_id: Mapped[str | None] = mapped_column(String(64), index=True)
    hotline_province_code: Mapped[str | None] = mapped_column(String(6))
    counsellor_id: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wait_s: Mapped[float] = mapped_column(Float)
    talk_s: Mapped[float] = mapped_column(Float, default=0.0)
    wrapup_s: Mapped[float] = mapped_column(Float, default=0.0)
    offers: Mapped[int] = mapped_column(Integer, default=0)
    rollovers: Mapped[int] = mapped_column(Integer, default=0)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)

    attempts: Mapped[list[CallAttempt]] = relationship(
        back_populates="call",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CallAttempt.seq",
    )


class CallAttempt(Base):
    __tablename__ = "hotline_call_attempts"
    __table_args__ = (UniqueConstraint("call_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("hotline_calls.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    hotline_id: Mapped[str] = mapped_column(String(64), index=True)
    level: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(String(16))

    call: Mapped[Call] = relationship(back_populates="attempts")


class Assessment(Base):
    """A suicide-risk assessment of a call, per the 2021 technical guideline: strength of suicidal
    ideation and level of hopelessness, the derived risk, and any hand-over to 110/119/120."""

    __tablename__ = "hotline_assessments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("hotline_calls.id", ondelete="CASCADE"), index=True
    )
    counsellor_id: Mapped[str] = mapped_column(String(64))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    suicidal_ideation: Mapped[str] = mapped_column(String(16))
    hopelessness: Mapped[str] = mapped_column(String(16))
    risk: Mapped[str] = mapped_column(String(16))
    risk_rule: Mapped[str] = mapped_column(String(64))
    handover_to: Mapped[str | None] = mapped_column(String(8))
    handover_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class FollowUp(Base):
    __tablename__ = "hotline_followups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("hotline_calls.id", ondelete="CASCADE"), index=True
    )
    assessment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("hotline_assessments.id", ondelete="CASCADE")
    )
    task: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# SIP cluster (docs/hotline-scale.md): B2BUA nodes behind Kamailio, partitions of provinces, and
# what every node publishes each second for the live view and for a standby taking over.
class SipNode(Base):
    """One ``minsheng hotline sip serve --node ID`` process: where it listens, its staff endpoint,
    whether it is draining, and what it last published (heartbeat, counters)."""

    __tablename__ = "hotline_sip_nodes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sip_address: Mapped[str] = mapped_column(String(100))  # host:port (UDP)
    control_address: Mapped[str | None] = mapped_column(String(100))  # host:port (HTTP)
    draining: Mapped[bool] = mapped_column(Boolean, default=False)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active_partitions: Mapped[list[str]] = mapped_column(JSON, default=list)


class SipPartition(Base):
    """A set of provinces whose hotlines' queues live on one node (the primary), with a standby
    that takes the partition's calls when the primary stops answering. The partition marked
    ``national`` holds the national backup and every call Kamailio cannot place."""

    __tablename__ = "hotline_sip_partitions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    provinces: Mapped[list[str]] = mapped_column(JSON, default=list)  # GB/T 2260 province codes
    national: Mapped[bool] = mapped_column(Boolean, default=False)
    set_id: Mapped[int] = mapped_column(Integer, unique=True)  # Kamailio dispatcher set
    primary_node_id: Mapped[str] = mapped_column(ForeignKey("hotline_sip_nodes.id"))
    standby_node_id: Mapped[str | None] = mapped_column(ForeignKey("hotline_sip_nodes.id"))
    # The lease on the partition's seat states: only the node named here, in its epoch, writes
    # them (service/leases.py). A node takes the lease when it is free or its holder's heartbeat
    # stopped; every take counts the epoch up, so a write of an older holder is refused.
    owner_node_id: Mapped[str | None] = mapped_column(String(64), default=None)
    owner_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    owner_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class SipLiveCall(Base):
    """A call up on a node (waiting, ringing or talking), as the node last published it (every
    second). When the node dies the standby turns its rows into ``lost`` call records."""

    __tablename__ = "hotline_sip_live_calls"

    call_ref: Mapped[str] = mapped_column(String(100), primary_key=True)
    sip_call_id: Mapped[str] = mapped_column(String(300))
    node_id: Mapped[str] = mapped_column(String(64), index=True)
    partition_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    hotline_id: Mapped[str | None] = mapped_column(String(64), index=True)
    province_code: Mapped[str | None] = mapped_column(String(6), index=True)
    city_code: Mapped[str | None] = mapped_column(String(6))
    position: Mapped[int | None] = mapped_column(Integer)
    expected_wait_s: Mapped[float | None] = mapped_column(Float)
    crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    skill: Mapped[str | None] = mapped_column(String(32))
    counsellor_id: Mapped[str | None] = mapped_column(String(64))
    caller_hash: Mapped[str] = mapped_column(String(64))
    caller_masked: Mapped[str] = mapped_column(String(32))
    location_source: Mapped[str] = mapped_column(String(16))
    rule_version: Mapped[str] = mapped_column(String(64))
    dialled: Mapped[str | None] = mapped_column(String(32))
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    media: Mapped[str | None] = mapped_column(String(200))  # as hotline_calls.media, so far


class Shift(Base):
    """One shift of the roster: ``counsellor_id`` NULL is an open shift nobody could take."""

    __tablename__ = "hotline_shifts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hotline_id: Mapped[str] = mapped_column(
        ForeignKey("hotline_hotlines.id", ondelete="CASCADE"), index=True
    )
    counsellor_id: Mapped[str | None] = mapped_column(
        ForeignKey("hotline_counsellors.id", ondelete="SET NULL"), index=True
    )
    day: Mapped[date] = mapped_column(Date, index=True)  # Beijing date of the start
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    break_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    break_end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))  # manual | generated
    rule_version: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)


class SeatState(Base):
    """A counsellor's seat state from ``from_at`` until ``to_at`` (NULL: still in it)."""

    __tablename__ = "hotline_seat_states"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    counsellor_id: Mapped[str] = mapped_column(
        ForeignKey("hotline_counsellors.id", ondelete="CASCADE"), index=True
    )
    hotline_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16))
    from_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    to_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    source: Mapped[str] = mapped_column(String(16))  # engine | manual | demo

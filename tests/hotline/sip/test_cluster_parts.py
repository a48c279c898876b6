"""The SIP cluster's parts without a running cluster: partitions, the partition map Kamailio
uses, its generated configuration, the hand-over header, forwarding signatures, and what nodes
publish and the takeover records (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core import regions
from minsheng.core.audit import AuditEntry
from minsheng.core.config import Settings
from minsheng.core.errors import InvalidInput
from minsheng.hotline.engine import (
    Attempt,
    CallRecord,
    CounsellorState,
    Outcome,
    StepResult,
    VirtualClock,
)
from minsheng.hotline.models import Call, Counsellor, SeatState
from minsheng.hotline.rules import routing
from minsheng.hotline.rules.snapshot import Level, Step
from minsheng.hotline.service import cluster as cluster_service
from minsheng.hotline.service import leases
from minsheng.hotline.sip import kamailio
from minsheng.hotline.sip import seats as seats_mod
from minsheng.hotline.sip.cluster import ClusterInfo, NodeInfo, PartitionInfo, check, local_steps
from minsheng.hotline.sip.control import SeatTarget
from minsheng.hotline.sip.nodestate import (
    Handover,
    NodeCallControl,
    sign_forward,
    verify_forward,
)
from minsheng.hotline.sip.records import SeatChange, store_seat_changes
from tests.conftest import TEST_SECRET, Cli
from tests.hotline.factories import CLUSTER_LAYOUT as LAYOUT
from tests.hotline.factories import live_row, load_guangdong_cluster


def info() -> ClusterInfo:
    return ClusterInfo.build(
        [NodeInfo("n1", "127.0.0.1", 5061), NodeInfo("n2", "127.0.0.1", 5062)],
        [
            PartitionInfo("south", 1, "n1", "n2", ("440000", "450000")),
            PartitionInfo("north", 2, "n2", "n1", ("110000",)),
            PartitionInfo("national", 3, "n2", "n1", (), national=True),
        ],
    )


class TestPartitions:
    def test_provinces_and_the_national_partition(self) -> None:
        c = info()
        assert c.partition_of_province("440300").id == "south"
        assert c.partition_of_province("110000").id == "north"
        assert c.partition_of_province("310000").id == "national"  # not named: national
        assert c.partition_of_province(None).id == "national"
        assert [p.id for p in c.partitions_of("n1")[0]] == ["south"]
        assert [p.id for p in c.partitions_of("n1")[1]] == ["north", "national"]

    def test_layout_problems_are_named(self) -> None:
        bad = ClusterInfo.build(
            [NodeInfo("n1", "h", 1)],
            [
                PartitionInfo("a", 1, "n1", "n1", ("440000",)),
                PartitionInfo("b", 2, "nx", None, ("440000", "4403")),
            ],
        )
        problems = "\n".join(check(bad))
        assert "exactly one partition must be national" in problems
        assert "the standby is the primary" in problems
        assert "unknown primary node 'nx'" in problems
        assert "province 440000 is in partitions a and b" in problems
        assert "'4403' is not a province code" in problems
        assert check(info()) == []

    def test_a_node_keeps_the_steps_of_its_own_hotlines(self) -> None:
        steps = (
            Step("gd-sz", 30, "city_line", Level.CITY),
            Step("gd", 30, "province_line", Level.PROVINCE),
            Step("national", 300, "national_backup"),
        )
        assert [s.hotline_id for s in local_steps(steps, frozenset({"gd-sz", "gd"}))] == [
            "gd-sz",
            "gd",
        ]


class TestPartitionMap:
    def test_kamailio_places_every_number_as_the_routing_rules_do(self) -> None:
        c = info()
        table = regions.table()
        rows = kamailio.partition_map(c, table)
        trees: dict[str, dict[str, str]] = {}
        for r in rows:
            trees.setdefault(r.tree, {})[r.prefix] = r.partition
        assert len(rows) < 10_000  # 130,000 geocoding ranges reduced

        def longest(tree: dict[str, str], number: str) -> str:
            for n in range(len(number), 0, -1):
                if number[:n] in tree:
                    return tree[number[:n]]
            return "national"

        rng = random.Random(12356)
        for _ in range(3000):
            mobile = "1" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=9))
            location = routing.locate(table, routing.parse_caller(mobile))
            code = location.province.code if location.province else None
            assert longest(trees["mobile"], mobile) == c.partition_of_province(code).id, mobile
        areas = {"0755": "south", "020": "south", "0771": "south", "010": "north",
                 "021": "national", "0871": "national"}  # fmt: skip
        for area, expected in areas.items():
            assert longest(trees["area"], area) == expected, area
            found = routing.origin_location(table, area)
            assert found is not None
            assert c.partition_of_province(found[0].code).id == expected
        assert trees["region"] == {"44": "south", "45": "south", "11": "north"}

    def test_reduction_keeps_every_answer(self) -> None:
        entries = {"13": "a", "130": "a", "131": "b", "1310": "b", "1311": "a", "14": "n"}
        reduced = kamailio._reduce(entries, "n")

        def answer(table: dict[str, str], number: str) -> str:
            for n in range(len(number), 0, -1):
                if number[:n] in table:
                    return table[number[:n]]
            return "n"

        for number in ("1300", "1310", "1311", "1319", "1399", "1400", "1500", "2"):
            assert answer(reduced, number) == answer(entries, number), number
        assert "130" not in reduced and "1310" not in reduced and "14" not in reduced

    def test_the_generated_config_is_valid_kamailio(self, tmp_path: Path) -> None:
        binary = shutil.which("kamailio") or "/usr/sbin/kamailio"
        if not Path(binary).exists():
            pytest.fail("kamailio is not installed (.ci/provision.d/kamailio.sh)")
        c = info()
        (tmp_path / "dispatcher.list").write_text(kamailio.dispatcher_list(c))
        options = kamailio.KamailioOptions(
            listen_host="127.0.0.1",
            listen_port=25999,
            db_url="postgres://u:p@127.0.0.1:5432/kam",
            dispatcher_file=str(tmp_path / "dispatcher.list"),
            ctl_socket=str(tmp_path / "ctl"),
        )
        cfg = kamailio.render_cfg(c, {"075525629459": "south"}, "abc", options)
        assert 'case "075525629459":' in cfg
        assert 'ds_ping_interval", 1' in cfg and 'ds_probing_mode", 1' in cfg
        # probes and a dialog's requests wait 2 s (a slow node is not dead); a new call's
        # branch 1 s, and 1.2 s of silence after a provisional answer (the node repeats it),
        # then the next node; a branch timeout alone marks no node inactive
        assert 'fr_timer", 2000' in cfg and "t_set_fr(1200, 1000);" in cfg
        assert "ds_mark_dst" not in cfg
        (tmp_path / "kamailio.cfg").write_text(cfg)
        result = subprocess.run(
            [binary, "-c", "-f", str(tmp_path / "kamailio.cfg"), "-Y", str(tmp_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert "config file ok" in result.stdout + result.stderr

    def test_dispatcher_sets_put_the_primary_first(self) -> None:
        lines = kamailio.dispatcher_list(info()).splitlines()[1:]
        assert lines[:2] == [
            "1 sip:127.0.0.1:5061 0 10 duid=n1",
            "1 sip:127.0.0.1:5062 0 5 duid=n2",
        ]
        assert kamailio.kamailio_db_url("postgresql+psycopg://pg:s3@db.local:5433/kam") == (
            "postgres://pg:s3@db.local:5433/kam"
        )


class TestHandover:
    def test_the_header_carries_the_earlier_steps_into_one_record(self) -> None:
        earlier = Handover(
            "national",
            "n1",
            1000.0,
            (Attempt("gd", "province_line", Level.PROVINCE, 1000.0, 1030.0, StepResult.TIMEOUT),),
        )
        parsed = Handover.parse(earlier.format())
        assert parsed == earlier
        record = CallRecord(
            call_id="c1",
            tag=None,
            arrived_at=1030.2,
            ended_at=1100.0,
            outcome=Outcome.ANSWERED,
            crisis=False,
            skill=None,
            last_resort=False,
            attempts=[
                Attempt(
                    "national",
                    "national_backup",
                    Level.NATIONAL,
                    1030.2,
                    1040.0,
                    StepResult.ANSWERED,
                )
            ],
            wait_s=9.8,
        )
        whole = earlier.merge(record)
        assert whole.arrived_at == 1000.0
        assert whole.wait_s == pytest.approx(40.0)
        assert [a.hotline_id for a in whole.attempts] == ["gd", "national"]
        assert whole.rollovers == 1
        assert Handover.parse("garbage") is None


class TestForwardSignature:
    def test_only_a_fresh_signature_of_the_same_request_passes(self) -> None:
        header = sign_forward("k", "user:wang", "POST", "/calls/x/crisis", b"{}", 1000.0)
        assert verify_forward("k", header, "POST", "/calls/x/crisis", b"{}", 1010.0) == "user:wang"
        assert verify_forward("k", header, "POST", "/calls/y/crisis", b"{}", 1010.0) is None
        assert verify_forward("other", header, "POST", "/calls/x/crisis", b"{}", 1010.0) is None
        assert verify_forward("k", header, "POST", "/calls/x/crisis", b"{}", 1100.0) is None
        forged = header.replace("user:wang", "user:admin")
        assert verify_forward("k", forged, "POST", "/calls/x/crisis", b"{}", 1010.0) is None


class TestPublishedState:
    @pytest.fixture
    def loaded(self, session: Session) -> Session:
        return load_guangdong_cluster(session)

    def test_a_dead_nodes_calls_become_lost_records(self, loaded: Session) -> None:
        s = loaded
        now = datetime(2026, 12, 1, 8, 1, tzinfo=UTC)
        cluster_service.publish(s, "n1", now=now, counters={}, active_partitions=["south"],
                                seats={"gd-01": "talking"})  # fmt: skip
        cluster_service.publish_calls(
            s, "n1", now=now, changed=[live_row("a"), live_row("b", state="waiting",
                                       counsellor_id=None, answered_at=None)], gone=[]
        )  # fmt: skip
        assert cluster_service.seat_states(s, ["gd-01"]) == {"gd-01": "talking"}
        assert cluster_service.mark_lost(s, "n1", ["north"], now) == 0
        assert cluster_service.mark_lost(s, "n1", ["south"], now) == 2
        calls = {c.call_ref: c for c in s.scalars(select(Call))}
        assert {c.outcome for c in calls.values()} == {"lost"}
        a, b = calls["a"], calls["b"]
        assert (a.ended_by, a.counsellor_id, a.talk_s, a.wait_s) == ("system", "gd-01", 55.0, 5.0)
        assert (b.counsellor_id, b.wait_s, b.talk_s) == (None, 60.0, 0.0)
        assert a.attempts[0].rule == "lost_with_node:n1:talking"
        assert cluster_service.live_calls(s, now=now) == []
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "hotline.sip.calls_lost"))
        assert entry.first() is not None
        # n1 was only late (its heartbeat), lived on and stores call a: its record wins
        assert cluster_service.supersede_lost(s, ["a", "other"]) == 1
        assert {c.call_ref for c in s.scalars(select(Call))} == {"b"}
        # Kamailio moved call b to n2 after n1 fell silent, and n1 took its CANCEL for the
        # caller leaving: n2's record of b wins over an abandoned one, not over another kind
        s.scalars(select(Call).where(Call.call_ref == "b")).one().outcome = "abandoned"
        s.flush()
        assert cluster_service.supersede_lost(s, ["b"]) == 0
        assert cluster_service.recorded_calls(s, ["b", "c"]) == {"b"}
        assert cluster_service.supersede_lost(s, ["b"], abandoned=["b"]) == 1
        assert cluster_service.recorded_calls(s, ["b", "c"]) == set()

    def test_the_live_view_lists_calls_of_nodes_alive(self, loaded: Session) -> None:
        s = loaded
        now = datetime(2026, 12, 1, 8, 1, tzinfo=UTC)
        for node in ("n1", "n2"):
            cluster_service.publish(s, node, now=now, counters={}, active_partitions=[], seats={})
        cluster_service.publish_calls(s, "n1", now=now, changed=[live_row("a")], gone=[])
        cluster_service.publish_calls(
            s, "n2", now=now, gone=[],
            changed=[live_row("b", province_code="110000", crisis=True, state="waiting")],
        )  # fmt: skip
        listed = cluster_service.live_calls(s, now=now + timedelta(seconds=1))
        assert [c.call_ref for c in listed] == ["b", "a"]  # crisis first
        assert [c.call_ref for c in cluster_service.live_calls(
            s, province_code="110000", now=now)] == ["b"]  # fmt: skip
        # a node silent for more than 5 s: its calls are not shown as live
        assert cluster_service.live_calls(s, now=now + timedelta(seconds=6)) == []
        # a call that ended stays listed until its record is stored (then the writer drops it)
        assert cluster_service.publish_calls(s, "n1", now=now, changed=[], gone=["a"]) == ["a"]
        cluster_service.forget_live_calls(s, ["a"])
        assert [c.call_ref for c in cluster_service.live_calls(s, now=now)] == ["b"]

    def test_a_bad_layout_is_refused_whole(self, session: Session) -> None:
        bad = json.loads(json.dumps(LAYOUT))
        bad["partitions"][1]["provinces"] = ["440000"]
        with pytest.raises(InvalidInput, match="province 440000 is in partitions south and north"):
            cluster_service.load_cluster(session, bad, actor="test")
        with pytest.raises(InvalidInput, match="host:port"):
            cluster_service.load_cluster(
                session, {**LAYOUT, "nodes": [{"id": "n1", "sip": "nowhere"}]}, actor="test"
            )


def test_cli_loads_the_cluster_and_shows_its_status(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps(LAYOUT))
    result = cli("hotline", "sip", "cluster-load", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"nodes": 2, "partitions": 3}
    status = cli("hotline", "sip", "status")
    assert status.exit_code == 0, status.output
    nodes = json.loads(status.output)["nodes"]
    assert [(n["id"], n["alive"], n["draining"]) for n in nodes] == [
        ("n1", False, False),
        ("n2", False, False),
    ]
    drained = cli("hotline", "sip", "drain", "n1")
    assert drained.exit_code == 0, drained.output
    assert json.loads(drained.output)["draining"] is True  # the node itself is not running
    assert json.loads(cli("hotline", "sip", "status").output)["nodes"][0]["draining"] is True


class TestSeatStateLeases:
    """A partition's seat states are stored by one node at a time: the holder of its lease."""

    at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

    @pytest.fixture
    def loaded(self, session: Session) -> Session:
        load_guangdong_cluster(session, ("gd-01", "gd-02"))
        for node in ("n1", "n2"):
            cluster_service.publish(
                session, node, now=self.at, counters={}, active_partitions=[], seats={}
            )
        return session

    def store(self, s: Session, *changes: SeatChange) -> None:
        store_seat_changes(s, changes)
        s.flush()

    def history(self, s: Session, cid: str) -> list[tuple[str, str]]:
        rows = s.scalars(
            select(SeatState).where(SeatState.counsellor_id == cid).order_by(SeatState.from_at)
        )
        return [(r.state, r.source) for r in rows]

    def test_only_the_lease_holder_in_its_epoch_writes(self, loaded: Session) -> None:
        s = loaded
        # the seats' changes come after their creation (whatever the clock said then)
        created = s.scalars(select(SeatState.from_at)).all() or [
            c.state_at for c in s.scalars(select(Counsellor))
        ]
        t0 = max(created).timestamp()
        claim = lambda node, held, now: leases.claim(  # noqa: E731
            s, node, ["south"], held, now=now, dead_after_s=3.0
        )
        assert claim("n1", {}, self.at) == {"south": 1}
        assert claim("n1", {"south": 1}, self.at) == {"south": 1}  # kept, same epoch
        # n2 (standby, serving the partition's calls) cannot take it while n1 beats
        assert claim("n2", {}, self.at + timedelta(seconds=2)) == {}
        self.store(
            s,
            SeatChange("gd-01", "available", t0 + 1, "south", "n1", 1),
            SeatChange("gd-01", "break", t0 + 2, "south", "n1", 1),
            SeatChange("gd-01", "available", t0 + 2.5, "south", "n2", 1),  # not n2's
        )
        assert self.history(s, "gd-01") == [("available", "sip"), ("break", "sip")]
        assert cluster_service.seat_states(s, ["gd-01"]) == {"gd-01": "break"}
        assert leases.seat_states_of_hotlines(s, ["gd-province"]) == {
            "gd-01": "break", "gd-02": "offline",
        }  # fmt: skip
        # n1's heartbeat stops: n2 takes the lease in a new epoch, loads the break
        beat = self.at + timedelta(seconds=4)
        cluster_service.publish(s, "n2", now=beat, counters={}, active_partitions=[], seats={})
        assert claim("n2", {}, beat) == {"south": 2}
        self.store(
            s,
            SeatChange("gd-01", "available", t0 + 5, "south", "n1", 1),  # n1 woke up: refused
            SeatChange("gd-02", "available", t0 + 5, "south", "n2", 2),
        )
        assert self.history(s, "gd-01") == [("available", "sip"), ("break", "sip")]
        assert self.history(s, "gd-02") == [("available", "sip")]
        assert claim("n1", {"south": 1}, self.at + timedelta(seconds=5)) == {}  # n2 is alive
        # n2 hands the partition back: n1 takes it again (in a new epoch)
        assert leases.release(s, "n2", ["south"]) == 1
        assert claim("n1", {"south": 1}, self.at + timedelta(seconds=6)) == {"south": 3}
        assert leases.leases(s)["south"] == ("n1", 3)
        # the same state twice is one row; an older time than the seat's state changes nothing
        self.store(
            s,
            SeatChange("gd-02", "available", t0 + 7, "south", "n1", 3),
            SeatChange("gd-02", "talking", t0 + 8, "south", "n1", 3),
        )
        assert self.history(s, "gd-02") == [("available", "sip"), ("talking", "sip")]
        assert cluster_service.seat_states(s, ["gd-02"]) == {"gd-02": "talking"}


def node_control(changes: list[SeatChange]) -> NodeCallControl:
    """n2: primary of north and national, standby of south (its static seats gd1, gd2)."""
    from tests.hotline.sip.test_engine_control import SEATS, START, Actions, FakeSip, directory

    clock = VirtualClock(START)
    control = NodeCallControl(
        directory(),
        seats_mod.load(SEATS, {"sz1", "gd1", "gd2"}),
        settings=Settings(secret_key=TEST_SECRET, hotline_wrapup_s=0),
        record=lambda record: None,
        cluster=info(),
        node_id="n2",
        seat_change=changes.append,
        clock=clock,
    )
    control.attach(Actions(FakeSip()))
    return control


def test_a_standby_keeps_its_seat_states_until_it_holds_the_lease() -> None:
    changes: list[SeatChange] = []
    control = node_control(changes)
    assert changes == []  # the standby partition's static seats: logged out here, not stored
    control.update_registrations({}, {"gd1": "break"})
    control.activate("south")  # Kamailio sent a south call: the primary stopped answering
    assert control.engine.counsellor_state("gd1") is CounsellorState.BREAK
    assert changes == []  # kept: n1 may still hold the lease
    # the lease is n2's (epoch 4); the states stored meanwhile say gd2 went on a break too
    control.lease_update({"south": 4}, {"gd1": "break", "gd2": "break"})
    assert [(c.counsellor_id, c.state, c.node, c.epoch) for c in changes] == [
        ("gd1", "break", "n2", 4),
        ("gd2", "available", "n2", 4),
        ("gd2", "break", "n2", 4),
    ]
    assert control.engine.counsellor_state("gd2") is CounsellorState.BREAK
    control.set_seat_state("gd1", "available")
    assert (changes[-1].counsellor_id, changes[-1].state, changes[-1].epoch) == (
        "gd1", "available", 4,
    )  # fmt: skip
    # the lease taken away (n2 was presumed dead): its changes wait again
    control.lease_update({}, {})
    control.set_seat_state("gd1", "break")
    assert len(changes) == 4 and control.pending["south"][-1].state == "break"
    # the primary is back and nothing of south is up here: handed back, logouts not stored
    assert control.release_idle({"south": True}) == ["south"]
    assert control.engine.counsellor_state("gd1") is CounsellorState.OFFLINE
    assert len(changes) == 4 and control.pending == {}


def test_a_seat_staff_signed_out_stays_out_while_its_registration_lasts() -> None:
    control = node_control([])
    phone = SeatTarget("sz1", "127.0.0.1", 7009, "sz1")
    control.update_registrations({"sz1": phone}, {})
    assert control.engine.counsellor_state("sz1") is CounsellorState.OFFLINE  # south is n1's
    control.activate("south")  # taken over: its registered counsellors are logged in
    assert control.engine.counsellor_state("sz1") is CounsellorState.AVAILABLE
    control.set_seat_state("sz1", "offline")  # staff on the live board (forwarded)
    control.update_registrations({"sz1": phone}, {"sz1": "available"})
    assert control.engine.counsellor_state("sz1") is CounsellorState.OFFLINE
    control.update_registrations({}, {})  # the phone unregisters, then registers again
    control.update_registrations({"sz1": phone}, {})
    assert control.engine.counsellor_state("sz1") is CounsellorState.AVAILABLE

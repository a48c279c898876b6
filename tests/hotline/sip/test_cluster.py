"""The SIP cluster end to end: Kamailio (generated config) in front of two B2BUA nodes, shared
state in PostgreSQL, sipp as carriers and as counsellors' phones registered through Kamailio.

Layout (docs/hotline-scale.md): partition ``south`` (Guangdong) on n1 with n2 as standby,
``north`` (Beijing) and ``national`` on n2 with n1 as standby. The nodes and Kamailio share
PostgreSQL whatever database the run uses: a server test (.ci/tools), it runs once in CI, in the
SQLite pass, on a PostgreSQL cluster it starts itself (``.ci/pg.sh`` on a free port; as root), or
on the run's own PostgreSQL when ``MINSHENG_TEST_DATABASE_URL`` points at one.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.config import Settings
from minsheng.core.db import make_engine, make_sessionmaker, session_scope
from minsheng.hotline import service
from minsheng.hotline.models import Call, SeatState, SipLiveCall, SipNode
from minsheng.hotline.schemas import CounsellorCreate
from minsheng.hotline.service import cluster as cluster_service
from minsheng.hotline.service import leases
from tests.conftest import (
    PG_URL,
    REPO,
    TEST_SECRET,
    Cli,
    create_scratch_pg,
    drop_scratch_pg,
    free_port_block,
    is_postgres,
)
from tests.hotline.sip.conftest import (
    FAST_ENV,
    NATIONAL,
    SCENARIOS,
    SIPP,
    _udp_port_bound,
    free_port,
    hotline,
)
from tests.processes import kill_group, stop_group

KAMAILIO = shutil.which("kamailio") or (
    "/usr/sbin/kamailio" if Path("/usr/sbin/kamailio").exists() else None
)

pytestmark = [pytest.mark.slow]

SOUTH = [f"gd-{i:02d}" for i in range(1, 13)]
NORTH = [f"bj-{i:02d}" for i in range(1, 4)]
NATIONAL_SEATS = ["nat-01", "nat-02"]
CLUSTER_ENV = {
    **FAST_ENV,
    "MINSHENG_HOTLINE_STEP_TIMEOUT_S": "3",
    "MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "3",
    "MINSHENG_HOTLINE_OFFER_TIMEOUT_S": "2",
    "MINSHENG_HOTLINE_MAX_NO_ANSWER": "100",
}


def password(user: str) -> str:
    return f"pw-{user}"


@dataclass
class Node:
    id: str
    port: int
    control_port: int
    process: subprocess.Popen[str] | None = None


@dataclass
class Cluster:
    tmp: Path
    settings: Settings
    sessions: sessionmaker[Session]
    kamailio_db: str
    kamailio_port: int
    nodes: dict[str, Node]
    seat_ports: dict[str, int]
    kamailio: subprocess.Popen[str] | None = None
    sipps: list[subprocess.Popen[str]] = field(default_factory=list)
    workdirs: dict[int, Path] = field(default_factory=dict)
    counter: int = 0

    # processes ---------------------------------------------------------------------------------
    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            **os.environ,
            "MINSHENG_DATABASE_URL": self.settings.effective_database_url,
            "MINSHENG_SECRET_KEY": TEST_SECRET,
            "MINSHENG_VAR_DIR": str(self.settings.var_dir),
            "MINSHENG_HOTLINE_SIP_DETAILS": str(self.tmp / "sip-details.jsonl"),
            **CLUSTER_ENV,
            **(extra or {}),
        }

    def stop_node(self, node_id: str) -> None:
        process = self.nodes[node_id].process
        assert process is not None
        stop_group(process, timeout=30)

    def restart_with_breaks(
        self, users: list[str], nodes: tuple[str, ...], env: dict[str, str] | None = None
    ) -> None:
        """Stop the nodes (each owns its seats' states while it runs), put ``users`` on a break
        in the database, start the nodes again: they load the breaks."""
        for node in nodes:
            self.stop_node(node)
        with session_scope(self.sessions) as session:
            for user in users:
                service.set_counsellor_state(session, user, "break", actor="test")
        for node in nodes:
            self.start_node(node, env)
        self.wait_nodes_probed()

    def start_node(self, node_id: str, env: dict[str, str] | None = None) -> None:
        node = self.nodes[node_id]
        args = [
            sys.executable, "-c", "from minsheng.cli import main; main()",
            "hotline", "sip", "serve", "--node", node_id,
            "--listen", f"127.0.0.1:{node.port}",
            "--control", f"127.0.0.1:{node.control_port}",
            "--seats", str(self.tmp / "seats.json"),
            "--kamailio-db", self.kamailio_db,
        ]  # fmt: skip
        # the node's log goes to a file: a pipe nobody reads would fill up and stop the node
        log_path = self.tmp / f"node-{node_id}.log"
        with log_path.open("a") as log:
            process = subprocess.Popen(
                args,
                env=self.env(env),
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                start_new_session=True,  # stopped as a group (tests/processes.py)
            )
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening" not in line:
            kill_group(process)
            process.communicate(timeout=10)
            raise AssertionError(f"node {node_id} did not start: {line}{log_path.read_text()}")
        node.process = process

    def kill_node(self, node_id: str) -> None:
        process = self.nodes[node_id].process
        assert process is not None
        kill_group(process)
        process.communicate(timeout=10)  # reaps it and closes its pipes

    def start_kamailio(self) -> None:
        run = self.tmp / "kamailio-run"
        run.mkdir(exist_ok=True)
        cfg = self.tmp / "kamailio" / "kamailio.cfg"
        with open(self.tmp / "kamailio.log", "w") as log:
            self.kamailio = subprocess.Popen(
                [str(KAMAILIO), "-f", str(cfg), "-DD", "-E", "-m", "1024", "-Y", str(run)],
                stdout=subprocess.DEVNULL,
                stderr=log,
                text=True,
                start_new_session=True,  # its worker processes are stopped with it
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _udp_port_bound(self.kamailio_port):
            assert self.kamailio.poll() is None, (self.tmp / "kamailio.log").read_text()
            time.sleep(0.05)

    def wait_nodes_probed(self, timeout: float = 15.0) -> None:
        """Until Kamailio's dispatcher has seen every node answer its OPTIONS."""
        ctl = self.tmp / "kamailio" / "kamailio_ctl"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run(
                ["kamcmd", "-s", str(ctl), "dispatcher.list"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            flags = [ln.split(":", 1)[1].strip() for ln in out.splitlines() if "FLAGS" in ln]
            if flags and all(f.startswith("A") for f in flags):
                return
            time.sleep(0.2)
        raise AssertionError(f"dispatcher never saw every node alive: {out}")

    def dispatcher_flags(self) -> dict[str, str]:
        ctl = self.tmp / "kamailio" / "kamailio_ctl"
        out = subprocess.run(
            ["kamcmd", "-s", str(ctl), "dispatcher.list"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        result: dict[str, str] = {}
        uri = ""
        for line in out.splitlines():
            if "URI:" in line:
                uri = line.split("URI:", 1)[1].strip()
            elif "FLAGS:" in line:
                result[uri] = line.split("FLAGS:", 1)[1].strip()
        return result

    def sipp(self, scenario: str, *args: str, port: int | None = None) -> subprocess.Popen[str]:
        self.counter += 1
        workdir = self.tmp / f"sipp{self.counter}-{scenario}"
        workdir.mkdir()
        port = port or free_port()
        cmd = [
            str(SIPP), *([f"127.0.0.1:{self.kamailio_port}"] if "-sn" not in args else []),
            "-sf", str(SCENARIOS / f"{scenario}.xml"),
            "-i", "127.0.0.1", "-p", str(port), "-cp", str(free_port()),
            "-mp", str(free_port_block(4)),  # audio, and video two above it
            "-nostdin", "-trace_err", "-timeout", "120s", "-timeout_error", *args,
        ]  # fmt: skip
        process = subprocess.Popen(
            cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
        )
        self.sipps.append(process)
        self.workdirs[process.pid] = workdir
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None and not _udp_port_bound(port):
            time.sleep(0.02)
        return process

    def seat_phones(self) -> None:
        """One sipp answering for every counsellor of a partition (their registered contact)."""
        for port in self.seat_ports.values():
            self.sipp("seat_answers", port=port)

    def register_all(self) -> None:
        users = self.tmp / "users.csv"
        lines = ["SEQUENTIAL"]
        for group, port in self.seat_ports.items():
            for user in GROUPS[group]:
                auth = f"[authentication username={user} password={password(user)}]"
                lines.append(f"{user};{auth};{port}")
        users.write_text("\n".join(lines) + "\n")
        count = len(lines) - 1
        p = self.sipp("register_many", "-inf", str(users), "-m", str(count), "-r", "50")
        assert p.wait(timeout=60) == 0, "registration through Kamailio failed"

    def call(self, caller: str, *, origin: str = "", dialled: str = "12356", calls: int = 1,
             rate: float = 10, hold_ms: int = 300, cid: str = "c-%u@t",
             extra: tuple[str, ...] = ()) -> subprocess.Popen[str]:  # fmt: skip
        return self.sipp(
            "caller_proxy",
            "-s", dialled, "-key", "caller", caller, "-key", "origin", origin,
            "-key", "crisis", "0", "-m", str(calls), "-r", str(rate), "-d", str(hold_ms),
            "-cid_str", cid, *extra,
        )  # fmt: skip

    def errors(self, process: subprocess.Popen[str]) -> str:
        """What a sipp instance logged about its failed calls (for assertion messages)."""
        workdir = self.workdirs.get(process.pid)
        if workdir is None:
            return ""
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in workdir.glob("*errors.log"))

    def close(self) -> None:
        for p in self.sipps:
            if p.poll() is None:
                p.kill()
                p.wait()
        for node in self.nodes.values():
            if node.process is not None and node.process.returncode is None:
                stop_group(node.process)
        if self.kamailio is not None:
            stop_group(self.kamailio, timeout=10)

    # database ----------------------------------------------------------------------------------
    def records(self, prefix: str) -> dict[str, Call]:
        with self.sessions() as s:
            rows = s.scalars(select(Call).where(Call.call_ref.like(f"{prefix}%"))).all()
            return {c.call_ref: c for c in rows}

    def wait_records(self, prefix: str, count: int, timeout: float = 20.0) -> dict[str, Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.records(prefix)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        return self.records(prefix)

    def settled_records(self, prefix: str, count: int, timeout: float = 30.0) -> dict[str, Call]:
        """Records until ``count`` are there or none has come for two seconds."""
        deadline = time.monotonic() + timeout
        found = self.records(prefix)
        quiet_since = time.monotonic()
        while time.monotonic() < deadline and len(found) < count:
            time.sleep(0.2)
            now = self.records(prefix)
            if len(now) != len(found):
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 2.0:
                break
            found = now
        return found

    def log_lines(self, *words: str) -> list[str]:
        """The nodes' log lines holding any of ``words`` (for a failure's message)."""
        lines = []
        for path in sorted(self.tmp.glob("node-*.log")):
            lines += [f"{path.stem}: {ln}" for ln in path.read_text().splitlines()
                      if any(w in ln for w in words)]  # fmt: skip
        return lines[-40:]

    def live(self, node_id: str | None = None) -> list[SipLiveCall]:
        with self.sessions() as s:
            stmt = select(SipLiveCall)
            if node_id:
                stmt = stmt.where(SipLiveCall.node_id == node_id)
            return list(s.scalars(stmt))

    def node_status(self, node_id: str) -> dict[str, Any]:
        """What a node says of itself (its staff endpoint, as the main app would ask)."""
        import urllib.request

        from minsheng.hotline.sip.nodestate import FORWARD_HEADER, sign_forward

        sign = sign_forward(TEST_SECRET, "user:test", "GET", "/status", b"", time.time())
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.nodes[node_id].control_port}/status",
            headers={FORWARD_HEADER: sign},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            result: dict[str, Any] = json.loads(resp.read())
        return result

    def seat_history(self, counsellor_id: str) -> list[SeatState]:
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(SeatState)
                    .where(SeatState.counsellor_id == counsellor_id)
                    .order_by(SeatState.from_at, SeatState.id)
                )
            )

    def node_row(self, node_id: str) -> SipNode:
        with self.sessions() as s:
            node = s.get(SipNode, node_id)
            assert node is not None
            s.expunge(node)
            return node


GROUPS = {"south": SOUTH, "north": NORTH, "national": NATIONAL_SEATS}


def wait_for(predicate: Any, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="session")
def cluster_pg() -> Iterator[tuple[str, str]]:
    """(a PostgreSQL URL to create databases beside, a migrated template database's name)."""
    from minsheng.core import migrate

    started = None
    if is_postgres():
        base = PG_URL
    else:
        data = Path(tempfile.mkdtemp(prefix="minsheng-cluster-pg-")) / "data"
        out = subprocess.run(
            [str(REPO / ".ci" / "pg.sh"), "start", str(data), str(free_port())],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            pytest.fail(f"cannot start PostgreSQL for the cluster tests: {out.stderr[-500:]}")
        base = out.stdout.strip().split("=", 1)[1]
        started = data
    template = create_scratch_pg(base, "cluster_tpl")
    migrate.upgrade(Settings(database_url=template, secret_key=TEST_SECRET))
    try:
        yield base, make_url(template).database or ""
    finally:
        drop_scratch_pg(template)
        if started is not None:
            subprocess.run([str(REPO / ".ci" / "pg.sh"), "stop", str(started)], check=False)
            shutil.rmtree(started.parent, ignore_errors=True)


def database_from_template(base: str, template: str, label: str) -> str:
    from sqlalchemy import create_engine, text

    url = make_url(base)
    name = f"{url.database}_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def cluster(tmp_path: Path, cluster_pg: tuple[str, str]) -> Iterator[Cluster]:
    if SIPP is None or KAMAILIO is None:
        pytest.fail("sipp and kamailio are needed (make provision)")
    base, template = cluster_pg
    main_db = database_from_template(base, template, "cluster")
    settings = Settings(database_url=main_db, secret_key=TEST_SECRET, var_dir=tmp_path / "var")
    engine = make_engine(settings)
    session_factory = make_sessionmaker(engine)
    try:
        yield from _cluster(tmp_path, base, settings, session_factory)
    finally:
        engine.dispose()
        drop_scratch_pg(main_db)


def _cluster(
    tmp_path: Path, base: str, settings: Settings, session_factory: sessionmaker[Session]
) -> Iterator[Cluster]:
    kamailio_db = create_scratch_pg(base, "kam")
    lines = [
        hotline("gd-province", "province", ["440000"], legacy_numbers=["020-12345678"]),
        hotline("bj-province", "province", ["110000"]),
        NATIONAL,
    ]
    with session_scope(session_factory) as session:
        service.import_hotlines(session, lines, actor="test")
        for group, hid in (("south", "gd-province"), ("north", "bj-province"),
                           ("national", "national")):  # fmt: skip
            for user in GROUPS[group]:
                data = CounsellorCreate(id=user, name=f"咨询员{user}", hotline_id=hid)
                service.create_counsellor(session, data, actor="test")
    nodes = {n: Node(n, free_port(), free_port()) for n in ("n1", "n2")}
    layout = {
        "nodes": [
            {"id": n.id, "sip": f"127.0.0.1:{n.port}", "control": f"127.0.0.1:{n.control_port}"}
            for n in nodes.values()
        ],
        "partitions": [
            {"id": "south", "provinces": ["440000"], "primary": "n1", "standby": "n2"},
            {"id": "north", "provinces": ["110000"], "primary": "n2", "standby": "n1"},
            {"id": "national", "national": True, "primary": "n2", "standby": "n1"},
        ],
    }
    with session_scope(session_factory) as session:
        cluster_service.load_cluster(session, layout, actor="test")
    seats = [{"counsellor_id": u, "sip_password": password(u)} for g in GROUPS.values() for u in g]
    (tmp_path / "seats.json").write_text(json.dumps(seats))
    kamailio_port = free_port()
    cli = Cli(settings)
    result = cli(
        "hotline", "sip", "kamailio-config",
        "--out", str(tmp_path / "kamailio"), "--seats", str(tmp_path / "seats.json"),
        "--listen", f"127.0.0.1:{kamailio_port}", "--kamailio-db", kamailio_db,
        # one worker: two workers may pass a node's 180 on after its 200 (legal on UDP, and
        # phones ignore it, but sipp's scripted caller does not)
        "--children", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    c = Cluster(
        tmp_path,
        settings,
        session_factory,
        kamailio_db,
        kamailio_port,
        nodes,
        {g: free_port() for g in GROUPS},
    )
    try:
        c.start_kamailio()
        c.register_all()
        c.seat_phones()
        c.start_node("n1")
        c.start_node("n2")
        c.wait_nodes_probed()
        yield c
    finally:
        c.close()
        drop_scratch_pg(kamailio_db)


def _rtts(workdir_glob: Path) -> list[float]:
    """Per-call response times (ms) sipp wrote with -trace_rtt."""
    values: list[float] = []
    for path in workdir_glob.parent.glob(workdir_glob.name):
        for f in path.glob("*_rtt.csv"):
            with f.open() as fh:
                for row in csv.reader(fh, delimiter=";"):
                    if len(row) >= 2 and row[1].replace(".", "", 1).isdigit():
                        values.append(float(row[1]))
    return values


def _failures(tmp: Path) -> dict[str, str]:
    """Call-ID → the request whose answer the failed sipp caller was waiting for."""
    import re

    found: dict[str, str] = {}
    for log in tmp.glob("sipp*-caller_proxy/*errors.log"):
        text = log.read_text(errors="replace")
        for m in re.finditer(r"Aborting call .*?Call-Id '([^']+)'.*?CSeq: \d+ (\w+)", text, re.S):
            found.setdefault(m.group(1), m.group(2))
    return found


class TestCluster:
    def test_partitions_land_on_their_nodes(self, cluster: Cluster) -> None:
        south = cluster.call("13800138000", origin="0755", calls=2, cid="gd-%u@t")
        north = cluster.call("13800138000", dialled="01012356", calls=2, cid="bj-%u@t")
        legacy = cluster.call("13900000000", dialled="02012345678", calls=1, cid="lg-%u@t")
        assert south.wait(60) == 0, cluster.errors(south)
        assert north.wait(60) == 0, cluster.errors(north)
        assert legacy.wait(60) == 0, cluster.errors(legacy)
        gd = cluster.wait_records("gd-", 2)
        bj = cluster.wait_records("bj-", 2)
        lg = cluster.wait_records("lg-", 1)
        assert {(c.hotline_id, c.outcome) for c in gd.values()} == {("gd-province", "answered")}
        assert all(c.counsellor_id in SOUTH for c in gd.values())
        assert {(c.hotline_id, c.outcome) for c in bj.values()} == {("bj-province", "answered")}
        assert {c.hotline_id for c in lg.values()} == {"gd-province"}
        # each partition's calls reached its own node (the counters the nodes publish)
        wait_for(lambda: cluster.node_row("n1").counters.get("invites") == 3, what="n1 invites")
        wait_for(lambda: cluster.node_row("n2").counters.get("invites") == 2, what="n2 invites")

    def test_national_backup_on_the_other_node(self, cluster: Cluster) -> None:
        # every Guangdong counsellor on a break: the province step times out on n1 and the call
        # goes on to the national backup, held by n2; one record holds both steps
        cluster.restart_with_breaks(SOUTH, ("n1",))
        caller = cluster.call("13800138000", origin="0755", cid="ho-%u@t")
        assert caller.wait(60) == 0, cluster.errors(caller)
        (record,) = cluster.wait_records("ho-", 1).values()
        assert (record.outcome, record.hotline_id) == ("answered", "national")
        assert record.counsellor_id in NATIONAL_SEATS
        assert record.rollovers == 1
        assert record.wait_s >= 2.5  # the Guangdong step's 3 s on n1 count in the record

    def test_kill_a_node_under_load(self, cluster: Cluster) -> None:
        # staff put a Guangdong counsellor on a break (the main app forwards it to n1, which
        # holds the partition's lease and stores the seat's states)
        with session_scope(cluster.sessions) as session:
            service.set_counsellor_state(session, "gd-12", "break", actor="test")
            answer = cluster_service.forward_seat_state(
                session, "gd-12", "break", secret=TEST_SECRET, actor="user:test"
            )
        assert answer == {"node": "n1", "counsellor_id": "gd-12", "state": "break"}
        assert cluster.node_status("n1")["seats"]["gd-12"] == "break"
        # three long calls up on n1 when it dies: recorded lost with their last state
        long = cluster.call("13800138000", origin="0755", calls=3, rate=20, hold_ms=60000,
                            cid="long-%u@t")  # fmt: skip
        wait_for(lambda: sum(c.state == "talking" for c in cluster.live("n1")) == 3,
                 what="three talking calls published by n1")  # fmt: skip
        load = cluster.call(
            "13800138000", origin="0755", calls=160, rate=20, hold_ms=200, cid="load-%u@t",
            extra=("-trace_rtt", "-rtt_freq", "1"),
        )  # fmt: skip
        time.sleep(3.0)
        killed_at = time.time()
        cluster.kill_node("n1")
        load.wait(120)
        long.kill()
        # calls in progress on n1 are recorded lost once the standby sees n1's heartbeat stop
        lost = cluster.wait_records("long-", 3)
        assert {c.outcome for c in lost.values()} == {"lost"}
        assert all(c.ended_by == "system" and c.counsellor_id in SOUTH for c in lost.values())
        # no new call failed: every load call is answered, or was up on n1 when it died
        records = cluster.settled_records("load-", 160)
        failed = [r for r in records.values() if r.outcome != "answered"]
        assert {r.outcome for r in failed} <= {"lost"}, [(r.call_ref, r.outcome) for r in failed]
        # and only answered ones: a call waiting or ringing on n1 went on to n2 (n1 fell silent:
        # no more provisional answers, so Kamailio gave up on it after 1.2 s)
        stages = _failures(cluster.tmp)
        unanswered = [r.call_ref for r in failed if r.answered_at is None]
        assert not unanswered, (unanswered, {c: stages.get(c) for c in unanswered},
                                cluster.log_lines("recorded already", "lost"))  # fmt: skip
        unrecorded = {f"load-{i}@t" for i in range(1, 161)} - set(records)
        # What a node's death can leave unrecorded (docs/hotline-scale.md): a call it had not
        # yet published (its first hundredths of a second), or one that had just ended with its
        # record still in the node's writer. Their callers had been answered by n1: they failed
        # at their BYE or not at all; none failed before being answered.
        assert all(stages.get(cid, "BYE") == "BYE" for cid in unrecorded), (unrecorded, stages)
        # (a lost call that had been answered failed at its BYE, or had just ended with its record
        # still in n1's writer: recorded lost in its last published state)
        assert all(stages.get(r.call_ref, "BYE") == "BYE" for r in failed), stages
        # (a bound, not a count: at 20 calls/s, about the calls of the node's last half second)
        assert len(unrecorded) <= 10, unrecorded
        new_failures = [cid for cid, stage in stages.items() if stage != "BYE"]
        assert new_failures == [], new_failures
        after = [r for r in records.values() if r.arrived_at.timestamp() > killed_at + 0.2]
        assert after and all(r.outcome == "answered" for r in after)
        # the standby took the partition and rang the counsellors' phones (no new REGISTER)
        assert any(r.counsellor_id in SOUTH for r in after)
        assert "south" in cluster.node_row("n2").active_partitions
        # the longest a caller waited for the answer during the kill (sipp's response times): a
        # bound, not a speed figure (bench/sip_cluster.py --only-failover measures the gap). A
        # call n1 had just taken waits Kamailio's 1.2 s branch timer, then n2's answer, which
        # took 0.84 s on a slow CI host while n2 took the partition over; without the timer the
        # caller waited until hanging up (10 s and more).
        assert max(_rtts(cluster.tmp / "sipp*-caller_proxy")) < 3000
        assert cluster.dispatcher_flags()[f"sip:127.0.0.1:{cluster.nodes['n1'].port}"][0] == "I"
        # the standby holds the partition's lease now (a new epoch) and went on with the seats'
        # stored states: the counsellor on a break stayed on it and took no call
        with cluster.sessions() as s:
            owner, epoch = leases.leases(s)["south"]
        assert owner == "n2" and epoch >= 2
        assert cluster.node_status("n2")["seats"]["gd-12"] == "break"
        assert all(r.counsellor_id != "gd-12" for r in after)
        # every seat recorded once: its history moves from state to state, without gaps,
        # overlaps or the same state twice (n1 and n2 never both wrote it)
        for user in SOUTH:
            rows = cluster.seat_history(user)
            for a, b in itertools.pairwise(rows):
                assert a.to_at == b.from_at and a.state != b.state, [
                    (r.state, r.source, r.from_at) for r in rows
                ]
            assert rows and rows[-1].to_at is None
        assert cluster.seat_history("gd-12")[-1].state == "break"
        assert any(r.source == "sip" and r.state == "talking" and r.from_at.timestamp() > killed_at
                   for u in SOUTH for r in cluster.seat_history(u))  # fmt: skip

    def test_drained_node_finishes_its_calls_and_gets_no_new_one(self, cluster: Cluster) -> None:
        settings = cluster.settings
        first = cluster.call("13800138000", origin="0755", calls=1, hold_ms=4000, cid="old-%u@t")
        wait_for(lambda: len(cluster.live("n1")) == 1, what="the call on n1")
        result = Cli(settings)("hotline", "sip", "drain", "n1")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["node_answer"]["draining"] is True
        uri = f"sip:127.0.0.1:{cluster.nodes['n1'].port}"
        wait_for(lambda: cluster.dispatcher_flags()[uri][0] == "I", what="n1 inactive")
        # the one call n1 took, in the counters it publishes every second
        wait_for(lambda: cluster.node_row("n1").counters.get("invites") == 1, what="n1 counters")
        new = cluster.call("13800138000", origin="0755", calls=10, rate=10, cid="new-%u@t")
        assert new.wait(60) == 0, cluster.errors(new)
        assert first.wait(60) == 0, cluster.errors(first)
        (old,) = cluster.wait_records("old-", 1).values()
        assert (old.outcome, old.ended_by) == ("answered", "caller")
        news = cluster.wait_records("new-", 10)
        assert {c.outcome for c in news.values()} == {"answered"}
        done = datetime.now(UTC)
        beat = lambda: cluster.node_row("n1").heartbeat_at  # noqa: E731
        wait_for(lambda: (beat() or done) > done, what="a publication of n1 after the calls")
        assert cluster.node_row("n1").counters["invites"] == 1  # no new call reached n1
        assert cluster.node_row("n1").draining

    def test_live_board_lists_waiting_calls_of_every_node_and_marks_crisis(
        self, cluster: Cluster
    ) -> None:
        settings = cluster.settings
        # nobody answers in either partition: every counsellor on a break, long queue steps
        slow = {"MINSHENG_HOTLINE_STEP_TIMEOUT_S": "60", "MINSHENG_HOTLINE_BACKUP_TIMEOUT_S": "60"}
        cluster.restart_with_breaks(SOUTH + NORTH + NATIONAL_SEATS, ("n1", "n2"), slow)
        south = cluster.sipp(
            "caller_cancel_queued", "-s", "12356", "-key", "caller", "13800138000",
            "-key", "origin", "0755", "-key", "crisis", "0", "-m", "1", "-d", "8000",
            "-cid_str", "wgd-%u@t",
        )  # fmt: skip
        north = cluster.sipp(
            "caller_cancel_queued", "-s", "01012356", "-key", "caller", "13800138000",
            "-key", "origin", "", "-key", "crisis", "0", "-m", "1", "-d", "8000",
            "-cid_str", "wbj-%u@t",
        )  # fmt: skip
        wait_for(lambda: len(cluster.live()) == 2, what="two waiting calls published")
        from fastapi.testclient import TestClient

        from minsheng.app import create_app

        app = create_app(settings)
        with TestClient(app) as client:
            from minsheng.core.auth import create_user

            with cluster.sessions() as s:
                _api_user, api_token = create_user(s, name="api-staff", role="hotline")
                s.commit()
            headers = {"Authorization": f"Bearer {api_token}"}
            board = client.get("/api/hotline/live/calls", headers=headers)
            assert board.status_code == 200, board.text
            calls = {c["sip_call_id"]: c for c in board.json()}
            assert set(calls) == {"wgd-1@t", "wbj-1@t"}
            assert {calls["wgd-1@t"]["node"], calls["wbj-1@t"]["node"]} == {"n1", "n2"}
            only_gd = client.get("/api/hotline/live/calls?province=440000", headers=headers)
            assert [c["sip_call_id"] for c in only_gd.json()] == ["wgd-1@t"]
            # the staff live board (the page) lists both and marks the Guangdong call crisis
            with cluster.sessions() as s:
                _user, token = create_user(s, name="board-staff", role="hotline")
                s.commit()
            client.post("/staff/login", data={"token": token})
            page = client.get("/staff/hotline/live", params={"province": ""})
            assert page.status_code == 200
            assert page.text.count("138****8000") == 2
            assert ">n1<" in page.text and ">n2<" in page.text
            csrf = re.search(
                r'name="csrf_token" value="([0-9a-f]+)"', client.get("/staff/hotline").text
            )
            assert csrf
            marked = client.post(
                "/staff/hotline/calls/wgd-1@t/crisis",
                data={"csrf_token": csrf.group(1), "hotline": "", "province": ""},
                headers={"HX-Request": "true"},
            )
            assert marked.status_code == 200, marked.text
            api_mark = client.post("/api/hotline/live/calls/wgd-1@t/crisis", headers=headers)
            assert api_mark.status_code == 200, api_mark.text
            assert api_mark.json()["node"] == "n1"
            # a seat state changed on the board: the node serving the seat applies it
            assert cluster.node_status("n2")["seats"]["bj-02"] == "break"
            signed_out = client.post(
                "/staff/hotline/counsellors/bj-02/state",
                data={"csrf_token": csrf.group(1), "state": "offline", "hotline": ""},
                headers={"HX-Request": "true"},
            )
            assert signed_out.status_code == 200, signed_out.text
            assert cluster.node_status("n2")["seats"]["bj-02"] == "offline"
        app.state.engine.dispose()
        wait_for(
            lambda: any(c.crisis for c in cluster.live("n1")), what="n1 publishing the crisis mark"
        )
        south.wait(60)
        north.wait(60)

"""``minsheng hotline sip serve``: the B2BUA, its call control, its record writer, a staff endpoint.

Threads: the SIP event loop runs on the main thread (sippy's dispatcher wants it there for its
signals); the record writer and the staff HTTP endpoint run on their own threads and reach the
call logic only through ``ED2.callFromThreadSync``. SIGTERM and SIGINT stop the loop, then every
queued record of a finished call is written before the process exits.

Staff endpoint (bearer token of a ``hotline`` or ``admin`` user, as for the API):

* ``GET /status`` — waiting calls (masked numbers), seat states, counters;
* ``POST /calls/{sip_call_id}/crisis`` — mark a waiting call as crisis (audited);
* ``POST /calls/{sip_call_id}/supervise`` ``{"mode": "listen"|"whisper"|"join", "supervisor":
  id, "reason": …}`` — ring a supervisor's phone into a call in conversation (audited, with the
  reason); ``POST /calls/{sip_call_id}/unsupervise`` ends it (docs/hotline-media.md);
* ``POST /calls/{sip_call_id}/transfer`` ``{"to": "110"|"119"|"120", "attended": bool,
  "assessment": {"suicidal_ideation": …, "hopelessness": …}}`` — hand a call in conversation
  over to an emergency service (audited; docs/hotline-media.md), then
  ``POST /calls/{sip_call_id}/transfer/complete`` or ``/transfer/return`` (attended). Forwarded
  by the seat page for its counsellor, with ``"only": {"counsellor": id, "region": code}``: the
  node refuses another counsellor's call or one outside the region (docs/hotline-seat.md);
* ``POST /counsellors/{id}/state`` ``{"state": "available"|"break"|"offline"}`` — log a seat in or
  out of the queue, e.g. a static seat back from the automatic break (audited).
"""

from __future__ import annotations

import gc
import json
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from minsheng.core import audit, auth, i18n
from minsheng.core.config import Settings
from minsheng.core.db import make_engine, make_sessionmaker, session_scope
from minsheng.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from minsheng.core.scope import Scope
from minsheng.hotline import service
from minsheng.hotline.engine import CallRecord, EngineError, UnknownCounsellor
from minsheng.hotline.rules import risk, routing
from minsheng.hotline.rules.risk import RiskLevel
from minsheng.hotline.rules.snapshot import Directory
from minsheng.hotline.service import cluster as cluster_service
from minsheng.hotline.sip import seats as seats_mod
from minsheng.hotline.sip import stack
from minsheng.hotline.sip import supervision as sv
from minsheng.hotline.sip.b2bua import B2BUA, B2BUAConfig
from minsheng.hotline.sip.cluster import ClusterInfo
from minsheng.hotline.sip.control import HandoverFacts
from minsheng.hotline.sip.engine_control import EngineCallControl, call_ref
from minsheng.hotline.sip.kamailio import PROVISIONAL_EVERY_S
from minsheng.hotline.sip.media import MediaRelay
from minsheng.hotline.sip.nodestate import (
    FORWARD_HEADER,
    NodeAgent,
    NodeCallControl,
    verify_forward,
)
from minsheng.hotline.sip.prompts import PromptSet
from minsheng.hotline.sip.recording import Job, Recorder, parse_key
from minsheng.hotline.sip.records import (
    Batcher,
    ProcessRecordWriter,
    RecordWriter,
    SeatChange,
    database_sink,
    jsonl_sink,
)
from minsheng.hotline.sip.seats import SeatBook
from minsheng.hotline.sip.transfer import EMERGENCY_NUMBERS, Gateways

log = logging.getLogger(__name__)

HOTLINE_NUMBER = "12356"


@dataclass(frozen=True)
class _Forwarded:
    """A staff user's action forwarded by the main app: audited under that user's actor."""

    actor: str


@dataclass(frozen=True)
class ServeOptions:
    listen: stack.ListenAddress
    control: stack.ListenAddress | None
    log: str = "none"
    rtpengine: stack.ListenAddress | None = None  # ng address; None: signalling only
    dtmf_listen: stack.ListenAddress | None = None  # where rtpengine sends its DTMF log
    node: str | None = None  # cluster node id (docs/hotline-scale.md)
    kamailio_db: str | None = None  # SQLAlchemy URL of Kamailio's database (usrloc)


def recordings_dir(settings: Settings) -> Path:
    if settings.hotline_recordings_dir:
        return Path(settings.hotline_recordings_dir)
    return settings.var_dir / "recordings"


def recording_key(settings: Settings) -> bytes:
    if not settings.hotline_recording_key:
        raise InvalidInput(
            "recording needs MINSHENG_HOTLINE_RECORDING_KEY (minsheng hotline recording keygen)",
            field="hotline_recording_key",
        )
    try:
        return parse_key(settings.hotline_recording_key)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="hotline_recording_key") from exc


def prompts_dir(settings: Settings) -> Path:
    if settings.hotline_prompts_dir:
        return Path(settings.hotline_prompts_dir)
    return settings.var_dir / "prompts"


def details_path(settings: Settings) -> Path:
    if settings.hotline_sip_details:
        return Path(settings.hotline_sip_details)
    return settings.var_dir / "sip-details.jsonl"


def hotline_numbers(directory: Directory) -> frozenset[str]:
    """12356 and every legacy number of the directory (digits only)."""
    numbers = {HOTLINE_NUMBER}
    for h in directory.hotlines:
        numbers.update(routing.legacy_key(n) for n in h.legacy_numbers)
    return frozenset(numbers)


@dataclass(frozen=True)
class CallLimits:
    """Which calls a forwarded staff action may touch: the seat page's counsellor only acts on
    the call in conversation with that counsellor; a regional user only in the region."""

    counsellor: str | None = None
    region: str | None = None


def _only(body: dict[str, Any]) -> CallLimits | None:
    """``{"only": {"counsellor": "c1", "region": "440300"}}`` of a forwarded action."""
    only = body.get("only")
    if only is None:
        return None
    if not isinstance(only, dict):
        raise InvalidInput("only is an object", field="only")
    counsellor, region = only.get("counsellor"), only.get("region")
    if counsellor is not None and not isinstance(counsellor, str):
        raise InvalidInput("only.counsellor is a counsellor id", field="only")
    if region is not None and not (isinstance(region, str) and len(region) == 6):
        raise InvalidInput("only.region is a 6-digit region code", field="only")
    return CallLimits(counsellor, region)


def _assessment(data: Any) -> str | None:
    """The counsellor's crisis assessment (two ratings) as the ``X-Crisis-Assessment`` header
    the emergency service receives: the risk, the rule and version that decided it, the
    ratings (``rules.risk``)."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise InvalidInput("assessment is an object", field="assessment")
    try:
        ideation = RiskLevel(str(data.get("suicidal_ideation", "")))
        hopelessness = RiskLevel(str(data.get("hopelessness", "")))
    except ValueError as exc:
        raise InvalidInput(
            "assessment: suicidal_ideation and hopelessness are none, mild, moderate or severe",
            field="assessment",
        ) from exc
    level, rule = risk.assess_risk(ideation, hopelessness)
    return (
        f"risk={level};rule={rule};version={risk.RISK_RULES_VERSION};"
        f"ideation={ideation};hopelessness={hopelessness}"
    )


class SipServer:
    """One SIP server process: build, then :meth:`run` (blocks until SIGTERM/SIGINT)."""

    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        seats: SeatBook,
        options: ServeOptions,
        cluster: ClusterInfo | None = None,
    ) -> None:
        stack.configure_sippy(log=options.log)
        self.settings = settings
        self.options = options
        self.db = make_engine(settings)
        self.sessions = make_sessionmaker(self.db)
        self.writer: ProcessRecordWriter | RecordWriter[CallRecord | SeatChange]
        if settings.hotline_sip_record_writer == "process":
            self.writer = ProcessRecordWriter(settings.effective_database_url)
        else:
            self.writer = RecordWriter(database_sink(self.sessions))
        self.details_path = details_path(settings)
        self.details = RecordWriter(jsonl_sink(self.details_path))
        # The SIP thread hands records over in lists, a few times a second (see records.py).
        self.record_batch: Batcher[CallRecord | SeatChange] = Batcher(self.writer.put_many)
        self.detail_batch: Batcher[dict[str, Any]] = Batcher(self.details.put_many)
        self._flusher: Any = None
        self.control: EngineCallControl
        self.agent: NodeAgent | None = None
        if options.node is not None and cluster is not None:
            self.control = NodeCallControl(
                directory,
                seats,
                settings=settings,
                record=self.record_batch.put,
                cluster=cluster,
                node_id=options.node,
                # seat states as well, each under the lease of its partition (nodestate.py)
                seat_change=self.record_batch.put,
            )
        else:
            # The seat states (signed in, talking, wrap-up, break, out) go with the call records,
            # in order, to service.record_seat_state: compliance from what the phones did.
            self.control = EngineCallControl(
                directory,
                seats,
                settings=settings,
                record=self.record_batch.put,
                seat_state=self._seat_changed,
            )
        self.media: MediaRelay | None = None
        self.prompts: PromptSet | None = None
        self.recorder: Recorder | None = None
        if options.rtpengine is not None:
            self.media = MediaRelay.connect(str(options.rtpengine))
            self.prompts = PromptSet(prompts_dir(settings))
            # A recorder runs when a line records (or new lines will: the platform default), or
            # when it is configured, so that a line turned on later records without a restart.
            wants = settings.hotline_recording or any(h.recording for h in directory.hotlines)
            configured = bool(settings.hotline_recording_spool and settings.hotline_recording_key)
            if wants or configured:
                if not settings.hotline_recording_spool:
                    raise InvalidInput(
                        "recording needs MINSHENG_HOTLINE_RECORDING_SPOOL (rtpengine's "
                        "recording-dir, recording-method = pcap)",
                        field="hotline_recording_spool",
                    )
                self.recorder = Recorder(
                    Path(settings.hotline_recording_spool),
                    recordings_dir(settings),
                    recording_key(settings),
                )
        self._dtmf_sock: socket.socket | None = None
        try:
            self.gateways = Gateways.parse(settings.hotline_emergency_gateways)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="hotline_emergency_gateways") from exc
        self.b2bua = B2BUA(
            self.control,
            B2BUAConfig(
                hotline_numbers=hotline_numbers(directory),
                origin_header=settings.hotline_sip_origin_header.lower(),
                crisis_header=settings.hotline_sip_crisis_header.lower(),
                skill_header=settings.hotline_sip_skill_header.lower(),
                no_reply_s=settings.hotline_sip_no_reply_s,
                max_call_s=settings.hotline_sip_max_call_s,
                realm=settings.hotline_sip_realm,
                announce_interval_s=settings.hotline_announce_interval_s,
                record=self.recorder is not None,
                # a node behind Kamailio shows it still holds each unanswered call
                provisional_every_s=PROVISIONAL_EVERY_S
                if isinstance(self.control, NodeCallControl)
                else None,
            ),
            details=self.detail_batch.put,
            media=self.media,
            prompts=self.prompts,
            recorded=self._recorded if self.recorder is not None else None,
        )
        self._http: ThreadingHTTPServer | None = None
        self._stopping = threading.Event()
        self.recording_refresh_s = 60.0

    @classmethod
    def from_database(
        cls, settings: Settings, seats_path: Path, options: ServeOptions
    ) -> SipServer:
        """The directory (hotlines, counsellors) from the database, the seats from their file."""
        engine = make_engine(settings)
        cluster = None
        try:
            with session_scope(make_sessionmaker(engine)) as session:
                directory = service.directory_snapshot(session)
                if options.node is not None:
                    cluster = cluster_service.cluster_info(session)
                    cluster_service.node_started(session, options.node, datetime.now(UTC))
        finally:
            engine.dispose()
        book = seats_mod.load_file(seats_path, {c.id for c in directory.counsellors})
        return cls(settings, directory, book, options, cluster)

    def run(self, ready: Callable[[], None] | None = None) -> None:
        from sippy.Core.EventDispatcher import ED2

        self.b2bua.start(self.options.listen)
        self._flusher = stack.call_every(0.1, self._flush_batches)
        # Everything loaded so far lives as long as the process: keep it out of the collector's
        # scans, and collect the young generation less often (sippy makes many short-lived
        # objects per message), so that collections do not stall the signalling.
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        for signum in (signal.SIGTERM, signal.SIGINT):
            ED2.regSignal(signum, stack.stop_loop)
        if self.options.control is not None:
            self._start_http(self.options.control)
        if self.options.dtmf_listen is not None:
            self._start_dtmf(self.options.dtmf_listen)
        if self.recorder is not None:
            threading.Thread(
                target=self._refresh_recording, name="sip-recording-settings", daemon=True
            ).start()
        if isinstance(self.control, NodeCallControl) and self.options.node is not None:
            self.agent = NodeAgent(
                node_id=self.options.node,
                sessions=self.sessions,
                kamailio_url=self.options.kamailio_db,
                control=self.control,
                counters=self._counters,
                set_draining=self.set_draining,
            )
            self.agent.first_step()
            self.agent.start()
        if ready is not None:
            ready()
        try:
            stack.run_loop()
        finally:
            self._stopping.set()
            if self.agent is not None:
                self.agent.stop()
            if self._http is not None:
                self._http.shutdown()
            if self._dtmf_sock is not None:
                self._dtmf_sock.close()
            self.b2bua.shutdown()
            if self._flusher is not None:
                self._flusher.cancel()
            self._flush_batches()  # the records of the calls the shutdown ended
            self.writer.close()
            self.details.close()
            if self.media is not None:
                self.media.close()
            if self.b2bua.mixer is not None:
                self.b2bua.mixer.close()
            if self.recorder is not None:
                self.recorder.close()
            self.db.dispose()

    def _seat_changed(self, counsellor_id: str, state: str, at: float) -> None:
        self.record_batch.put(SeatChange(counsellor_id, state, at))

    def _recorded(self, sip_call_id: str, caller_port: int) -> None:
        assert self.recorder is not None
        self.recorder.put(Job(sip_call_id, call_ref(sip_call_id), caller_port))

    def _refresh_recording(self) -> None:
        """Re-read the lines' recording settings (changed by staff or the CLI) every
        ``recording_refresh_s`` and hand them to the call control on the SIP thread."""
        while not self._stopping.wait(self.recording_refresh_s):
            try:
                with session_scope(self.sessions) as session:
                    flags = service.recording_settings(session)
            except Exception:  # the database away for a moment: keep the settings we have
                log.warning("cannot read the hotlines' recording settings", exc_info=True)
                continue
            stack.call_soon(self.control.set_recording, flags)

    def media_warning(self) -> str | None:
        """A line for the operator when rtpengine or the prompts are missing (calls still work)."""
        if self.media is None:
            return None
        problems = []
        if not self.media.client.ping():
            problems.append(f"rtpengine at {self.options.rtpengine} does not answer ng ping")
        if self.prompts is not None and not self.prompts.available():
            problems.append(
                f"no prompts in {self.prompts.root} (run: minsheng hotline prompts build)"
            )
        return "; ".join(problems) or None

    # rtpengine's DTMF log --------------------------------------------------------------------
    def _start_dtmf(self, address: stack.ListenAddress) -> None:
        """Receive rtpengine's DTMF log (one JSON object per UDP datagram, ``dtmf-log-dest``)."""
        sock = socket.socket(socket.AF_INET6 if ":" in address.host else socket.AF_INET,
                             socket.SOCK_DGRAM)  # fmt: skip
        sock.bind((address.host, address.port))
        self._dtmf_sock = sock
        b2bua = self.b2bua

        def receive() -> None:
            while True:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return  # closed at shutdown
                try:
                    event = json.loads(data)
                    call_id, tag, digit = event["callid"], event["source_tag"], int(event["event"])
                except (ValueError, KeyError, TypeError):
                    continue
                stack.call_soon(b2bua.dtmf, str(call_id), str(tag), digit)

        threading.Thread(target=receive, name="sip-dtmf", daemon=True).start()

    def _flush_batches(self) -> None:
        self.detail_batch.flush()
        self.record_batch.flush()

    # staff endpoint --------------------------------------------------------------------------
    def _start_http(self, address: stack.ListenAddress) -> None:
        server = self
        # Reader sessions to authenticate, a writer's session only for the audit entry written
        # after the action: a writer's transaction (BEGIN IMMEDIATE) around the whole request
        # held SQLite's write lock across the node's call control and chopped a browser seat's
        # audio (heard 0.55 in 2 runs of 3; 3 of 3 without it).
        sessions = self.sessions
        audit_sessions = make_sessionmaker(self.db, write=True)

        class Handler(BaseHTTPRequestHandler):
            _audit: list[dict[str, Any]]

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _not_found(self) -> None:
                """A path the node does not serve: the body of every other error."""
                self._send(404, NotFound(f"no such path: {self.path}", field="path").to_dict())

            def _principal(self, session: Any) -> auth.Principal | _Forwarded:
                forwarded = self.headers.get(FORWARD_HEADER)
                if forwarded:
                    # a staff action forwarded (and signed) by the main app
                    actor = verify_forward(
                        server.settings.secret_key,
                        forwarded,
                        self.command,
                        self.path,
                        self._raw_body(),
                        time.time(),
                    )
                    if actor is None:
                        raise Unauthorized("bad or stale forwarding signature", field="forward")
                    return _Forwarded(actor)
                header = self.headers.get("Authorization", "")
                token = header[7:].strip() if header.lower().startswith("bearer ") else None
                principal = auth.authenticate(session, token)
                auth.check_role(principal, (auth.Role.HOTLINE, auth.Role.ADMIN))
                return principal

            def _handle(self, fn: Callable[[Any], tuple[int, dict[str, Any]]]) -> None:
                """Who asks (a reader's transaction, ended before the action), the action on the
                node's call control (no transaction open: a slow one holds nothing), then its
                audit entry in a writer's transaction of its own (BEGIN IMMEDIATE: it waits for
                the write lock instead of failing as a reader's transaction upgraded after
                another writer's commit would, which dropped the connection without an answer).
                An unexpected error answers 500 in the shape of every error body."""
                try:
                    with session_scope(sessions) as session:
                        principal = self._principal(session)
                    entries: list[dict[str, Any]] = []
                    self._audit = entries
                    status, body = fn(principal)
                    if entries:
                        # BEGIN IMMEDIATE waits up to the busy timeout for the write lock
                        with session_scope(audit_sessions) as session:
                            for entry in entries:
                                audit.record(session, **entry)
                except DomainError as exc:
                    status, body = exc.status_code, exc.to_dict()
                except Exception:
                    log.exception("staff endpoint %s %s failed", self.command, self.path)
                    status = 500
                    body = {
                        "error": "InternalError",
                        "detail": "the node could not complete the request",
                        "field": None,
                        "message": i18n.error_message("InternalError", 500),
                    }
                self._send(status, body)

            def _record(self, principal: Any, **entry: Any) -> None:
                self._audit.append({"actor": principal.actor, **entry})

            def do_GET(self) -> None:
                if self.path != "/status":
                    self._not_found()
                    return

                def status(principal: Any) -> tuple[int, dict[str, Any]]:
                    return 200, server.status()

                self._handle(status)

            def do_POST(self) -> None:
                parts = self.path.strip("/").split("/")
                if len(parts) == 3 and parts[0] == "calls" and parts[2] == "crisis":
                    self._crisis(unquote(parts[1]))
                elif len(parts) == 3 and parts[0] == "calls" and parts[2] == "transfer":
                    self._transfer(unquote(parts[1]))
                elif parts[:1] == ["calls"] and parts[2:] in (["transfer", "complete"],
                                                              ["transfer", "return"]):  # fmt: skip
                    self._transfer_step(unquote(parts[1]), parts[3])
                elif len(parts) == 3 and parts[0] == "calls" and parts[2] == "supervise":
                    self._supervise(unquote(parts[1]))
                elif len(parts) == 3 and parts[0] == "calls" and parts[2] == "unsupervise":
                    self._unsupervise(unquote(parts[1]))
                elif len(parts) == 3 and parts[0] == "counsellors" and parts[2] == "state":
                    self._seat_state(unquote(parts[1]))
                elif parts == ["drain"]:
                    self._drain()
                else:
                    self._not_found()

            def _raw_body(self) -> bytes:
                cached: bytes | None = getattr(self, "_raw", None)
                if cached is None:
                    length = int(self.headers.get("Content-Length") or 0)
                    cached = self.rfile.read(length) if length else b""
                    self._raw = cached
                return cached

            def _body(self) -> dict[str, Any]:
                try:
                    data = json.loads(self._raw_body() or b"{}")
                except ValueError as exc:
                    raise InvalidInput("the body is not JSON", field="body") from exc
                if not isinstance(data, dict):
                    raise InvalidInput("the body is a JSON object", field="body")
                return data

            def _crisis(self, call_id: str) -> None:
                def crisis(principal: Any) -> tuple[int, dict[str, Any]]:
                    if not server.mark_crisis(call_id):
                        raise NotFound("no waiting call with this SIP Call-ID", field="sip_call_id")
                    self._record(
                        principal,
                        action="hotline.sip.crisis",
                        table="hotline_sip_call",
                        record_id=call_id,
                    )
                    return 200, {"sip_call_id": call_id, "crisis": True}

                self._handle(crisis)

            def _transfer(self, call_id: str) -> None:
                def transfer(principal: Any) -> tuple[int, dict[str, Any]]:
                    body = self._body()
                    to = str(body.get("to", ""))
                    if to not in EMERGENCY_NUMBERS:
                        raise InvalidInput("to must be 110, 119 or 120", field="to")
                    attended = bool(body.get("attended", False))
                    result = server.transfer(
                        call_id,
                        to,
                        principal.actor,
                        attended=attended,
                        only=_only(body),
                        assessment=_assessment(body.get("assessment")),
                    )
                    self._record(
                        principal,
                        action="hotline.sip.transfer",
                        table="hotline_sip_call",
                        record_id=call_id,
                        detail=result,
                    )
                    return 200, result

                self._handle(transfer)

            def _transfer_step(self, call_id: str, step: str) -> None:
                def transfer_step(principal: Any) -> tuple[int, dict[str, Any]]:
                    result = server.transfer_step(call_id, step, only=_only(self._body()))
                    self._record(
                        principal,
                        action=f"hotline.sip.transfer_{step}",
                        table="hotline_sip_call",
                        record_id=call_id,
                        detail=result,
                    )
                    return 200, {"sip_call_id": call_id, **result}

                self._handle(transfer_step)

            def _supervise(self, call_id: str) -> None:
                def supervise(principal: Any) -> tuple[int, dict[str, Any]]:
                    body = self._body()
                    try:
                        mode = sv.Mode(str(body.get("mode", "")))
                    except ValueError as exc:
                        raise InvalidInput(
                            "mode must be listen, whisper or join", field="mode"
                        ) from exc
                    reason = str(body.get("reason") or "").strip()
                    if not reason:
                        raise InvalidInput("a supervision needs a reason", field="reason")
                    supervisor = str(body.get("supervisor") or "")
                    result = server.supervise(call_id, mode, supervisor, principal.actor)
                    self._record(
                        principal,
                        action="hotline.sip.supervise",
                        table="hotline_sip_call",
                        record_id=call_id,
                        detail={**result, "reason": reason[:500]},
                    )
                    return 200, {"sip_call_id": call_id, **result}

                self._handle(supervise)

            def _unsupervise(self, call_id: str) -> None:
                def unsupervise(principal: Any) -> tuple[int, dict[str, Any]]:
                    if not server.unsupervise(call_id):
                        raise NotFound("no supervision of this call", field="sip_call_id")
                    self._record(
                        principal,
                        action="hotline.sip.unsupervise",
                        table="hotline_sip_call",
                        record_id=call_id,
                    )
                    return 200, {"sip_call_id": call_id, "supervised": False}

                self._handle(unsupervise)

            def _drain(self) -> None:
                def drain(principal: Any) -> tuple[int, dict[str, Any]]:
                    on = bool(self._body().get("drain", True))
                    from sippy.Core.EventDispatcher import ED2

                    ED2.callFromThreadSync(server.set_draining, on)
                    self._record(
                        principal,
                        action="hotline.sip.drain" if on else "hotline.sip.undrain",
                        table="hotline_sip_nodes",
                        record_id=server.options.node or "-",
                    )
                    return 200, {"node": server.options.node, "draining": on}

                self._handle(drain)

            def _seat_state(self, counsellor_id: str) -> None:
                def change(principal: Any) -> tuple[int, dict[str, Any]]:
                    state = self._body().get("state")
                    if state not in ("available", "break", "offline"):
                        raise InvalidInput(
                            "state must be available, break or offline", field="state"
                        )
                    now = server.set_seat_state(counsellor_id, state)
                    self._record(
                        principal,
                        action="hotline.sip.seat_state",
                        table="hotline_counsellors",
                        record_id=counsellor_id,
                        detail={"state": state},
                    )
                    return 200, {"counsellor_id": counsellor_id, "state": now}

                self._handle(change)

        self._http = ThreadingHTTPServer((address.host, address.port), Handler)
        threading.Thread(target=self._http.serve_forever, name="sip-staff", daemon=True).start()

    def _counters(self) -> dict[str, Any]:
        """Counters published by a cluster node (called on the SIP thread)."""
        return {
            "calls_in_progress": self.control.active_calls,
            "waiting": sum(
                len(self.control.engine.queue_snapshot(h)) for h in self.control.index.hotlines
            ),
            "finished": self.control.finished,
            "records_written": self.writer.written,
            "records_lost": self.writer.lost,
            "draining": self.b2bua.options_code[0] != 200,
            **self.b2bua.stats,
        }

    def set_draining(self, draining: bool) -> None:
        """Drain (answer the front's OPTIONS 503: Kamailio sends no new call) or serve again.
        Calls already here go on to their end. Call on the SIP thread."""
        self.b2bua.options_code = (503, "Draining") if draining else (200, "OK")

    def status(self) -> dict[str, Any]:
        from sippy.Core.EventDispatcher import ED2

        def snapshot() -> dict[str, Any]:
            return {
                "node": self.options.node,
                "draining": self.b2bua.options_code[0] != 200,
                "waiting": self.control.waiting_calls(),
                "seats": self.control.seat_states(),
                "calls_in_progress": self.control.active_calls,
                "finished": self.control.finished,
                "records_written": self.writer.written,
                "records_lost": self.writer.lost,
                "sip": dict(self.b2bua.stats),
                **({"media": self.media_status()} if self.media is not None else {}),
                **(
                    {"supervised": self.b2bua.supervised(), "calls": self.b2bua.media_calls()}
                    if self.media is not None
                    else {}
                ),
            }

        result: dict[str, Any] = ED2.callFromThreadSync(snapshot)
        return result

    def _check_call(self, call_id: str, only: CallLimits | None) -> HandoverFacts:
        """The facts of a call in conversation, refused when ``only`` says the forwarding user
        may not act on it: another counsellor's call (403), a call outside the user's region
        (404, as if it were not there). Call on the SIP thread."""
        facts = self.control.handover_facts(call_id)
        if facts is None:
            raise NotFound("no call in conversation with this SIP Call-ID", field="sip_call_id")
        if only is not None:
            call = self.b2bua.calls.get(call_id)
            if only.counsellor is not None and (
                call is None or not call.answered or call.seat_id != only.counsellor
            ):
                raise Forbidden("this call is not in conversation with you", field="sip_call_id")
            if not Scope(region=only.region).covers_region(facts.city_code or facts.province_code):
                raise NotFound("no call in conversation with this SIP Call-ID in your region",
                               field="sip_call_id")  # fmt: skip
        return facts

    def transfer(
        self,
        call_id: str,
        to: str,
        actor: str,
        *,
        attended: bool = False,
        only: CallLimits | None = None,
        assessment: str | None = None,
    ) -> dict[str, Any]:
        """Start handing a call in conversation over to 110/119/120 (the region's gateway):
        blind (the caller is joined when it answers) or attended (the counsellor consults it
        first while the caller hears the hold prompt; then ``transfer_step``). ``only``: the
        limits of a forwarded seat or supervisor action; ``assessment``: the counsellor's
        crisis assessment, sent along as ``X-Crisis-Assessment``."""
        from sippy.Core.EventDispatcher import ED2

        def start() -> dict[str, Any]:
            facts = self._check_call(call_id, only)
            target = self.gateways.lookup(to, facts.city_code, facts.province_code)
            if target is None:
                raise Conflict(f"no gateway for {to} in the caller's region", field="to")
            location = facts.city_code or facts.province_code or ""
            headers = {"X-Caller-Location": location, "X-Crisis": "1" if facts.crisis else "0"}
            if assessment:
                headers["X-Crisis-Assessment"] = assessment
            try:
                if attended:
                    self.b2bua.consult(call_id, to, target, headers, actor)
                else:
                    self.b2bua.transfer(call_id, to, target, headers, actor)
            except LookupError as exc:
                raise NotFound(str(exc), field="sip_call_id") from exc
            except ValueError as exc:
                raise Conflict(str(exc), field="sip_call_id") from exc
            return {
                "sip_call_id": call_id,
                "to": to,
                "location": location,
                "ringing": True,
                "attended": attended,
                **({"assessment": assessment} if assessment else {}),
            }

        result: dict[str, Any] = ED2.callFromThreadSync(start)
        return result

    def transfer_step(
        self, call_id: str, step: str, *, only: CallLimits | None = None
    ) -> dict[str, Any]:
        """Complete an attended hand-over (join the caller to the service) or return to the
        caller (the service's leg ends)."""
        from sippy.Core.EventDispatcher import ED2

        def run() -> dict[str, Any]:
            if only is not None:
                self._check_call(call_id, only)
            try:
                if step == "complete":
                    return self.b2bua.complete_transfer(call_id)
                call = self.b2bua.calls.get(call_id)
                if call is None or call.consult is None:
                    raise LookupError("no consultation of this call is under way")
                return self.b2bua.return_to_caller(call, "counsellor")
            except LookupError as exc:
                raise NotFound(str(exc), field="sip_call_id") from exc
            except ValueError as exc:
                raise Conflict(str(exc), field="sip_call_id") from exc

        result: dict[str, Any] = ED2.callFromThreadSync(run)
        return result

    def supervise(self, call_id: str, mode: sv.Mode, supervisor: str, actor: str) -> dict[str, Any]:
        """Ring a supervisor's phone into a call in conversation (sip/supervision.py)."""
        from sippy.Core.EventDispatcher import ED2

        def start() -> dict[str, Any]:
            target = self.control.supervisor_phone(supervisor)
            if target is None:
                raise Conflict(
                    f"supervisor {supervisor!r} has no phone registered (seats file)",
                    field="supervisor",
                )
            try:
                return self.b2bua.supervise(call_id, mode, target, actor)
            except LookupError as exc:
                raise NotFound(str(exc), field="sip_call_id") from exc
            except ValueError as exc:
                raise Conflict(str(exc), field="sip_call_id") from exc

        result: dict[str, Any] = ED2.callFromThreadSync(start)
        return result

    def unsupervise(self, call_id: str) -> bool:
        from sippy.Core.EventDispatcher import ED2

        def stop() -> bool:
            call = self.b2bua.calls.get(call_id)
            return call is not None and self.b2bua.end_supervision(call, "staff")

        return bool(ED2.callFromThreadSync(stop))

    def media_status(self) -> dict[str, int]:
        assert self.media is not None
        recorder = self.recorder
        return {
            "sessions": len(self.media.live),
            "ng_errors": self.media.errors,
            **self.b2bua.media_stats,
            **(
                {"recordings_stored": recorder.stored, "recordings_failed": recorder.failed}
                if recorder is not None
                else {}
            ),
        }

    def set_seat_state(self, counsellor_id: str, state: str) -> str:
        from sippy.Core.EventDispatcher import ED2

        try:
            return str(ED2.callFromThreadSync(self.control.set_seat_state, counsellor_id, state))
        except UnknownCounsellor as exc:
            raise NotFound(str(exc), field="counsellor_id") from exc
        except EngineError as exc:
            raise Conflict(str(exc), field="state") from exc

    def mark_crisis(self, call_id: str) -> bool:
        from sippy.Core.EventDispatcher import ED2

        return bool(ED2.callFromThreadSync(self.control.mark_crisis, call_id))

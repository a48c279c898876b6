"""Settings for the whole platform, read from the environment with the ``MINSHENG_`` prefix.

Nothing here connects to anything: the app factory and the CLI build engines from a ``Settings``
object, so tests can hand in their own.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_var_dir() -> Path:
    """Where local state lives unless ``MINSHENG_VAR_DIR`` says otherwise: the user's data
    directory (``$XDG_DATA_HOME/minsheng``, else ``~/.local/share/minsheng``), so that every
    command finds the same database wherever it is run from."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "minsheng"


class Settings(BaseSettings):
    """Every setting of the platform. Systems add their own fields here with a system prefix."""

    model_config = SettingsConfigDict(env_prefix="MINSHENG_", extra="ignore")

    var_dir: Path = Field(
        default_factory=default_var_dir,
        description="Local state (SQLite file, key); default ~/.local/share/minsheng",
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means the SQLite file minsheng.db in var_dir"
    )
    secret_key: str = Field(
        "",
        description=(
            "Key for keyed hashes (HMAC-SHA256) of ID and phone numbers. Empty means a random key "
            "kept in secret.key in var_dir, created on first use; production sets it explicitly."
        ),
    )
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(1, ge=1, description="`minsheng serve` worker processes")
    access_log: bool = Field(
        False, description="`minsheng serve` logs a line per request (nginx keeps one anyway)"
    )
    log_format: str = Field(
        "text", pattern="^(text|json)$", description="Logs as text or one JSON object per line"
    )
    sql_echo: bool = False
    allow_demo_rules: bool = Field(
        False,
        description=(
            "Allow rule data marked demo (placeholders, not law) to decide; every result "
            "it decides is labelled demo. MINSHENG_ALLOW_DEMO_RULES=1"
        ),
    )
    sqlite_busy_timeout_s: float = Field(
        30.0, gt=0, description="SQLite: how long a writer waits for the write lock"
    )

    # security (docs/security.md) -------------------------------------------------------------
    public_base_url: str = Field(
        "",
        description=(
            "Scheme, host and optional path prefix of the public site (https://example.gov.cn); "
            "verification links and QR codes are built from it, never from the Host header. "
            "Empty means http://HOST:PORT of these settings."
        ),
    )
    trusted_proxies: str = Field(
        "",
        description=(
            "Comma-separated addresses or networks (10.0.0.0/8) of reverse proxies whose "
            "X-Forwarded-For is believed; empty (the default) believes no one"
        ),
    )
    max_body_bytes: int = Field(
        512 * 1024,
        ge=1024,
        description=(
            "Largest request body (JSON, forms) outside uploads; the largest legitimate one is "
            "a 20,000-character ad, ~180 KB form-encoded"
        ),
    )
    max_upload_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024,
        description="Largest body of an import or evidence upload (paths in core.limits)",
    )
    redis_url: str = Field(
        "",
        description=(
            "Redis shared by every worker and machine (redis://host:6379/0): rate-limit windows "
            "and lookup counts; empty means each process counts alone"
        ),
    )
    metrics_token: str = Field(
        "",
        description=(
            "Bearer token Prometheus sends for /metrics; empty means only admins' API tokens "
            "(docs/deployment.md)"
        ),
    )
    token_lifetime_days: int = Field(90, ge=1, description="API tokens expire after this")
    web_session_minutes: int = Field(
        8 * 60, ge=1, description="A staff page login lasts this long (revoked at logout)"
    )

    # hotline -------------------------------------------------------------------------------
    hotline_step_timeout_s: int = Field(30, ge=1, description="Ring time per routing step")
    hotline_wrapup_s: int = Field(60, ge=0, description="Wrap-up after each call")
    hotline_max_no_answer: int = Field(3, ge=1, description="Missed offers before auto-break")
    hotline_skill_wait_s: int = Field(60, ge=0, description="Wait for a skill before anyone")
    hotline_retention_days: int = Field(
        3 * 366,
        ge=3 * 365 + 1,
        description=(
            "Call-record retention in days: at least three years (《心理援助热线技术指南（试行）》"
            "国卫办疾控函〔2021〕15号 keeps records ≥3 years), so a shorter value is refused"
        ),
    )
    hotline_offer_timeout_s: int = Field(20, ge=1, description="Ring time per counsellor offer")
    hotline_offer_retry_delay_s: int = Field(
        10, ge=0, description="No new offer to a counsellor this soon after a refused one"
    )
    hotline_backup_timeout_s: int = Field(
        300, ge=1, description="Wait at the national backup before the last resort"
    )
    hotline_service_level_s: int = Field(30, ge=1, description="Service-level threshold T")
    hotline_sip_listen: str = Field("127.0.0.1:5060", description="SIP B2BUA address (UDP)")
    hotline_sip_control: str = Field(
        "127.0.0.1:5070", description="SIP server's staff HTTP endpoint; empty turns it off"
    )
    hotline_sip_details: str = Field(
        "", description="SIP detail records; empty: var/sip-details.jsonl"
    )
    hotline_sip_record_writer: str = Field(
        "process",
        pattern="^(process|thread)$",
        description="Store call records from a child process (faster) or a thread",
    )
    hotline_sip_max_call_s: float = Field(
        4 * 3600.0, gt=0, description="Watchdog: a call is torn down after this long"
    )
    hotline_sip_no_reply_s: float = Field(2.0, gt=0, description="Seat silent → unreachable")
    hotline_sip_origin_header: str = Field("X-Origin-Area", description="Carrier origin area")
    hotline_sip_crisis_header: str = Field("X-Crisis", description="IVR crisis mark (1/yes/true)")
    hotline_sip_skill_header: str = Field("X-Skill", description="Requested skill")
    hotline_sip_realm: str = Field("12356", description="Digest realm for softphone REGISTER")
    hotline_sip_rtpengine: str = Field(
        "",
        description="rtpengine ng address (host:port) anchoring the media; empty: signalling only",
    )
    hotline_sip_dtmf_listen: str = Field(
        "", description="UDP host:port receiving rtpengine's DTMF log (its dtmf-log-dest)"
    )
    hotline_prompts_dir: str = Field(
        "", description="Prompt folders (default/ and one per hotline); empty: var/prompts"
    )
    hotline_announce_interval_s: float = Field(
        30.0, gt=0, description="Queue position spoken to a waiting caller at most this often"
    )
    hotline_recording: bool = Field(
        False,
        description=(
            "Default of a new hotline's recording setting (each line's own setting decides "
            "whether its answered calls are recorded; the recording notice is played first)"
        ),
    )
    hotline_recording_key: str = Field(
        "", description="AES-256 key of the recordings (hex or base64; recording keygen)"
    )
    hotline_recording_spool: str = Field(
        "", description="rtpengine's recording-dir (recording-method = pcap)"
    )
    hotline_emergency_gateways: str = Field(
        "", description="Emergency gateways (JSON): region code or * → {110|119|120: SIP address}"
    )
    hotline_recordings_dir: str = Field(
        "", description="Encrypted recordings; empty: var/recordings"
    )
    hotline_seat_ws_url: str = Field(
        "",
        description=(
            "Kamailio's SIP-over-WebSocket address the browser seat connects to "
            "(wss://host:port in production, ws:// only on 127.0.0.1); empty: no browser seat"
        ),
    )
    hotline_seat_credential_ttl_s: int = Field(
        300, ge=60, le=86400, description="Lifetime of a browser seat's SIP credential"
    )
    hotline_seat_node_control: str = Field(
        "",
        description=(
            "Staff endpoint (host:port) of the single SIP node serving the browser seats when "
            "no cluster is loaded: the seat page's sign-in and hand-overs are forwarded there"
        ),
    )
    hotline_seat_tls_certificate: str = Field(
        "", description="Certificate (PEM) of Kamailio's wss:// listener for the browser seat"
    )
    hotline_seat_tls_private_key: str = Field(
        "", description="Private key (PEM) of that certificate"
    )

    # certification -------------------------------------------------------------------------
    cert_verify_rate_per_client: int = Field(30, ge=1, description="Lookups/minute per client")
    cert_verify_rate_per_subject: int = Field(
        10, ge=1, description="Lookups/minute per certificate number and per ID number"
    )
    cert_verify_rate_per_name: int = Field(
        20, ge=1, description="Lookups/minute per name (many people share a name)"
    )
    cert_verify_daily_per_number: int = Field(
        20, ge=1, description="Lookups/day (Beijing) per certificate number"
    )
    cert_verify_daily_per_id: int = Field(20, ge=1, description="Lookups/day per ID number")
    cert_verify_daily_per_name: int = Field(50, ge=1, description="Lookups/day per name")
    cert_verify_daily_per_client: int = Field(300, ge=1, description="Lookups/day per client")
    cert_verify_log_retention_days: int = Field(180, ge=1, description="Lookup-log retention")
    cert_verify_rate_store: str = Field(
        "auto",
        pattern="^(auto|memory|database|redis)$",
        description=(
            "Rate-limit counters: per process (memory), shared in the database (database) or in "
            "Redis (redis: MINSHENG_REDIS_URL); auto is redis when MINSHENG_REDIS_URL is set, "
            "else memory"
        ),
    )
    cert_verify_log_flush_s: float = Field(
        1.0, ge=0, description="Lookup-log write-behind delay; 0 writes in the request"
    )
    cert_verify_log_batch: int = Field(500, ge=1, description="Lookup-log rows per flush")
    cert_adscan_budget_s: float = Field(
        2.0, gt=0, description="An ad scan is stopped (503) after this many seconds"
    )

    # enforcement ---------------------------------------------------------------------------
    enf_lookback_days: int = Field(730, ge=1, description="首违 look-back window")
    enf_commitment_valid_days: int = Field(730, ge=1, description="Default commitment validity")
    enf_evidence_max_bytes: int = Field(10 * 1024 * 1024, ge=1, description="Per evidence file")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'minsheng.db').as_posix()}"

    @field_validator("public_base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError("public_base_url must look like https://host[:port][/prefix]")
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ip_network(part.strip(), strict=False)  # raises ValueError on a bad entry
        return value

    @property
    def effective_public_base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(
            ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        )

    @cached_property
    def hmac_key(self) -> bytes:
        """The key for keyed hashes; a random one is created once in var_dir when unset."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.var_dir / "secret.key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return path.read_text().strip().encode()


def get_settings() -> Settings:
    """Settings from the environment (a new object each call, so tests can change env)."""
    return Settings()

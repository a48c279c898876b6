"""Setting up sippy (the RFC 3261 stack under the B2BUA) and running its event loop.

sippy is built around one process-wide event dispatcher (``ED2``) that runs callbacks, timers and
received datagrams on a single thread. Everything SIP-related in this package runs on that thread,
so the call logic needs no locks; other threads (the record writer, the control endpoint) hand work
to it with :func:`call_soon`.

Two measured defects of sippy 2.5.0 are worked around here (see docs/hotline-sip.md):

* its UDP server starts three receive/send workers by default, which can put a 180 on the wire
  after the 200 of the same call; one worker keeps the order;
* a Contact with an upper-case ``;transport=UDP`` (sipp and many phones send it) makes the BYE it
  later sends fail with "unsupported transport"; transports are normalised to lower case when URLs
  are parsed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_configured = False


def configure_sippy(*, log: str = "none", log_file: str | None = None) -> None:
    """Apply the process-wide sippy settings once. Must run before sippy modules are used.

    ``log`` is sippy's message log back end: ``none``, ``stderr``, ``syslog`` or ``file``.
    """
    global _configured
    if _configured:
        return
    # sippy's logger reads these when it is created; "none" keeps every SIP message out of stderr
    # (and out of the logs, where caller numbers would otherwise appear in clear).
    if log == "file":
        os.environ["SIPLOG_BEND"] = "file"
        if log_file:
            os.environ["SIPLOG_LOGFILE_FILE"] = log_file
    else:
        os.environ["SIPLOG_BEND"] = log

    from sippy.SipLogger import SipLogger
    from sippy.SipURL import SipURL
    from sippy.Udp_server import Udp_server_opts

    from minsheng.core.privacy import redact

    # sippy writes its message log itself (not through logging): mask numbers there too.
    original_format = SipLogger.format

    def redacted_format(self: Any, args: Any, kwargs: Any) -> str:
        return redact(original_format(self, args, kwargs))

    SipLogger.format = redacted_format

    Udp_server_opts.nworkers = 1

    original_set_params = SipURL.setParams

    def set_params_lower_transport(self: Any, params: Any) -> None:
        original_set_params(self, params)
        if isinstance(self.transport, str):
            self.transport = self.transport.lower()

    SipURL.setParams = set_params_lower_transport
    _configured = True


@dataclass(frozen=True)
class ListenAddress:
    """Where the B2BUA listens (UDP)."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> ListenAddress:
        """Parse ``host:port`` (``[v6]:port`` for IPv6); the port defaults to 5060."""
        text = text.strip()
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            port_text = rest.lstrip(":")
        elif text.count(":") == 1:
            host, _, port_text = text.partition(":")
        else:
            host, port_text = text, ""
        if not host:
            raise ValueError(f"no host in listen address {text!r}")
        port = int(port_text) if port_text else 5060
        if not 0 < port < 65536:
            raise ValueError(f"port out of range in listen address {text!r}")
        return cls(host, port)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def make_global_config(listen: ListenAddress, *, user_agent: str) -> dict[str, Any]:
    """sippy's per-process configuration dictionary, before the transaction manager is added."""
    from sippy.SipConf import SipConf
    from sippy.SipLogger import SipLogger

    SipConf.my_uaname = user_agent
    # Contacts and Vias the B2BUA writes must name the address it really listens on.
    SipConf.my_address = listen.host
    SipConf.my_port = listen.port
    return {
        "_sip_address": listen.host,
        "_sip_port": listen.port,
        "_sip_logger": SipLogger("minsheng-sip"),
    }


def call_soon(fn: Callable[..., object], *args: object) -> None:
    """Run ``fn(*args)`` on the SIP thread (safe from any thread)."""
    from sippy.Core.EventDispatcher import ED2

    ED2.callFromThread(fn, *args)


def call_later(delay_s: float, fn: Callable[..., object], *args: object) -> Any:
    """Run ``fn(*args)`` on the SIP thread after ``delay_s``; returns a handle with ``cancel()``.

    Only call it from the SIP thread.
    """
    from sippy.Time.Timeout import Timeout

    return Timeout(fn, delay_s, 1, *args)


def call_every(interval_s: float, fn: Callable[..., object]) -> Any:
    """Run ``fn()`` on the SIP thread every ``interval_s`` seconds (from the SIP thread)."""
    from sippy.Time.Timeout import Timeout

    return Timeout(fn, interval_s, -1)


def run_loop() -> None:
    """Run the SIP event loop on this thread until :func:`stop_loop`."""
    from sippy.Core.EventDispatcher import ED2

    ED2.loop()


def stop_loop() -> None:
    """Make :func:`run_loop` return (call from the SIP thread, or through :func:`call_soon`)."""
    from sippy.Core.EventDispatcher import ED2

    ED2.breakLoop()

"""Rate-limit counters behind one small interface, so the store can be swapped (in-process now;
a shared store such as Redis later) without touching the lookup that uses it.

A ``Limit`` is one counter: a key (a keyed hash with a kind prefix, never clear personal data),
a fixed window in seconds and the most events allowed in it. ``RateStore.take`` counts one event
against several limits at once, all or nothing: when any of them is already full it counts
nothing and returns that limit, so a refused request never extends a block and never eats the
allowance of the other keys.

Windows are aligned on Beijing midnight (a day cap resets at 00:00 in China; minute windows
are unaffected, 8 h being a whole number of minutes).

Stores:

- ``MemoryRateStore``: a dict per process. With several worker processes each has its own
  counters, so the effective limit is the setting times the number of workers.
- ``DatabaseRateStore``: one row per key in ``cert_rate_windows`` (window start and count), in
  the request's transaction; shared by every process using the database.
- ``RedisRateStore``: one Redis key per key and window (``MINSHENG_REDIS_URL``), counted by one
  Lua script (all or nothing, atomic in Redis) and expiring with its window; shared by every
  worker of every machine using that Redis. When Redis does not answer, the lookup is counted in
  this process's memory instead (the limits hold per process, as without Redis) and Redis is
  tried again a few seconds later.

A new store implements ``take`` (and ``purge`` if it keeps anything that outlives a window).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, select, text

from minsheng.certification.models import RateWindow

log = logging.getLogger(__name__)

BEIJING_OFFSET_S = 8 * 3600
MINUTE = 60
DAY = 86_400


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` events per ``window_s`` seconds for ``key``; ``kind`` names it."""

    key: str
    window_s: int
    limit: int
    kind: str


def window_start(now_s: int, window_s: int) -> int:
    """Start (epoch seconds) of the window holding ``now_s``, aligned on Beijing midnight."""
    return (now_s + BEIJING_OFFSET_S) // window_s * window_s - BEIJING_OFFSET_S


def retry_after(limit: Limit, now_s: int) -> int:
    """Seconds until the window of ``limit`` ends (at least one)."""
    return max(1, window_start(now_s, limit.window_s) + limit.window_s - now_s)


class RateStore(Protocol):
    def take(self, limits: Sequence[Limit], now_s: int) -> Limit | None:
        """Count one event against every limit, or — when one is full — count nothing and
        return the first full one."""


class MemoryRateStore:
    """Counters in this process. Memory: one entry per key seen in its current window (about
    200 bytes); entries of ended windows are dropped when the table reaches ``sweep_at`` keys, and
    the next sweep waits until it has doubled, so sweeping stays amortised O(1) a request even
    when most keys are live (day windows)."""

    def __init__(self, sweep_at: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int, int]] = {}  # key → (window start, length, n)
        self._min_sweep = self._sweep_at = sweep_at
        self.sweeps = 0

    def _current(self, limit: Limit, now_s: int) -> int:
        entry = self._counts.get(limit.key)
        start = window_start(now_s, limit.window_s)
        return entry[2] if entry is not None and entry[0] == start else 0

    def take(self, limits: Sequence[Limit], now_s: int) -> Limit | None:
        with self._lock:
            for lim in limits:
                if self._current(lim, now_s) >= lim.limit:
                    return lim
            for lim in limits:
                start = window_start(now_s, lim.window_s)
                self._counts[lim.key] = (start, lim.window_s, self._current(lim, now_s) + 1)
            if len(self._counts) >= self._sweep_at:
                self._counts = {k: v for k, v in self._counts.items() if v[0] + v[1] > now_s}
                self._sweep_at = max(self._min_sweep, 2 * len(self._counts))
                self.sweeps += 1
        return None

    def __len__(self) -> int:
        return len(self._counts)


# One statement, the same on SQLite (≥ 3.35) and PostgreSQL: count one event for a key in its
# current window (a new window starts again at one); run once for all keys (executemany).
UPSERT_SQL = text(
    "INSERT INTO cert_rate_windows (key, window_start, count) VALUES (:key, :window, 1) "
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN cert_rate_windows.window_start = excluded.window_start "
    "THEN cert_rate_windows.count + 1 ELSE 1 END, "
    "window_start = excluded.window_start"
)


class DatabaseRateStore:
    """Counters in ``cert_rate_windows``, in the caller's transaction (one SELECT for all keys,
    then one executemany of the upsert when none is full)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def take(self, limits: Sequence[Limit], now_s: int) -> Limit | None:
        rows = self.conn.execute(
            select(RateWindow.key, RateWindow.window_start, RateWindow.count).where(
                RateWindow.key.in_([lim.key for lim in limits])
            )
        )
        stored = {key: (int(start), int(count)) for key, start, count in rows}
        for lim in limits:
            start, count = stored.get(lim.key, (-1, 0))
            if start == window_start(now_s, lim.window_s) and count >= lim.limit:
                return lim
        self.conn.execute(
            UPSERT_SQL,
            [{"key": lim.key, "window": window_start(now_s, lim.window_s)} for lim in limits],
        )
        return None


# KEYS: one key per limit and window; ARGV: the limits, then each key's seconds to live. Checks
# every key first and counts nothing when one is full (returns its position, 1-based), else
# counts one on each and returns 0. Redis runs a script alone, so two workers never both take
# the last place of a window.
TAKE_SCRIPT = """
local n = #KEYS
for i = 1, n do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count >= tonumber(ARGV[i]) then return i end
end
for i = 1, n do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[n + i]) end
end
return 0
"""


class RedisRateStore:
    """Counters in Redis, shared by every process and machine using it (see the module doc).

    A key is ``<prefix><limit key>:<window start>`` and lives until its window ends (plus a
    second); nothing needs purging. ``fallback`` counts when Redis fails: per process, like the
    memory store, and logged once per outage (the address only, never a key)."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "minsheng:rl:",
        timeout_s: float = 0.5,
        retry_after_s: float = 5.0,
        client: Any = None,
    ) -> None:
        import redis

        self.client = client or redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self.prefix = prefix
        self.script = self.client.register_script(TAKE_SCRIPT)
        self.fallback = MemoryRateStore()
        self.retry_after_s = retry_after_s
        self._down_until = 0.0
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)

    def take(self, limits: Sequence[Limit], now_s: int) -> Limit | None:
        if self._down_until and time.monotonic() < self._down_until:
            return self.fallback.take(limits, now_s)
        keys, ttls = [], []
        for lim in limits:
            start = window_start(now_s, lim.window_s)
            keys.append(f"{self.prefix}{lim.key}:{start}")
            ttls.append(max(1, start + lim.window_s - now_s) + 1)
        try:
            full = int(self.script(keys=keys, args=[lim.limit for lim in limits] + ttls))
        except self._errors as exc:
            if not self._down_until:
                log.warning("rate limits: Redis unavailable (%s); counting per process", exc)
            self._down_until = time.monotonic() + self.retry_after_s
            return self.fallback.take(limits, now_s)
        if self._down_until:
            log.warning("rate limits: Redis answers again; counting shared")
            self._down_until = 0.0
        return limits[full - 1] if full else None

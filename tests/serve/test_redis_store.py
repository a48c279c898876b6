"""Rate-limit windows in Redis (``RedisRateStore``): shared by every store on the same Redis (as
by several workers and machines), all or nothing, expiring with their window, and counted per
process while Redis does not answer."""

from __future__ import annotations

import logging

import pytest

from minsheng.certification.service.ratelimit import (
    DAY,
    MINUTE,
    Limit,
    RedisRateStore,
    window_start,
)
from tests.conftest import free_port

NOW = 1_780_000_000  # a fixed instant: the store takes the time it is given


def limits(name: str, per_minute: int = 3, per_day: int = 5) -> list[Limit]:
    return [
        Limit(f"n:{name}", MINUTE, per_minute, "number"),
        Limit(f"nd:{name}", DAY, per_day, "number_day"),
    ]


def test_two_stores_on_one_redis_share_the_windows(redis_url: str) -> None:
    worker_a, worker_b = RedisRateStore(redis_url), RedisRateStore(redis_url)
    taken = [(worker_a if i % 2 else worker_b).take(limits("x"), NOW) for i in range(3)]
    assert taken == [None, None, None]
    refused = worker_a.take(limits("x"), NOW)
    assert refused is not None
    assert refused.kind == "number"
    assert worker_b.take(limits("y"), NOW) is None  # another key is not affected


def test_a_refused_lookup_counts_nothing(redis_url: str) -> None:
    store = RedisRateStore(redis_url)
    both = [Limit("c:me", MINUTE, 1, "client"), Limit("n:z", MINUTE, 5, "number")]
    assert store.take(both, NOW) is None
    assert store.take(both, NOW) == both[0]
    count = store.client.get(f"minsheng:rl:n:z:{window_start(NOW, MINUTE)}")
    assert int(count) == 1  # the refused take did not count against the number


def test_a_new_window_starts_again_and_keys_expire_with_their_window(redis_url: str) -> None:
    store = RedisRateStore(redis_url)
    for _ in range(3):
        assert store.take(limits("w"), NOW) is None
    assert store.take(limits("w"), NOW) is not None
    next_minute = window_start(NOW, MINUTE) + MINUTE
    assert store.take(limits("w"), next_minute) is None  # the day cap (5) still has room
    key = f"minsheng:rl:n:w:{window_start(NOW, MINUTE)}"
    ttl = store.client.ttl(key)
    assert 0 < ttl <= MINUTE + 1


def test_without_redis_each_process_counts_alone_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    store = RedisRateStore(nobody, timeout_s=0.2)
    with caplog.at_level(logging.WARNING, logger="minsheng.certification.service.ratelimit"):
        taken = [store.take(limits("v"), NOW) for _ in range(4)]
    assert taken[:3] == [None, None, None]
    assert taken[3] is not None  # the limit still holds, in this process
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1  # once per outage, not once per lookup

"""Issue item 7, second half: what held 9 GB during the schemathesis run.

A replay of generated requests under tracemalloc stalled on slow operations, so the loops whose
length depends on input were measured one by one: the Erlang A queue law
(``hotline.rules.erlang._queue_distribution``) grows its list of queue states until caller
patience thins the queue; with ``patience_s=1e12`` that takes millions of states (the process
passed 380 MB in seconds and kept computing), and larger loads grow it without bound. Times are
now capped at one week and the queue law at ``MAX_QUEUE_STATES``: such a request is a named 422
at once, and the server's memory stays put.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.auth import create_user
from tests.security.conftest import Served

MB = 1024 * 1024


def test_an_unbounded_patience_is_refused_without_growing_the_server(
    serve: Callable[..., Served], session_factory: sessionmaker[Session]
) -> None:
    server = serve()
    with session_factory() as s:
        _user, token = create_user(s, name="planner", role="hotline")
        s.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    base = "/api/hotline/planning/erlang?interval_s=1800&aht_s=1080&target_s=30&service_level=0.8"
    before = server.rss_bytes()
    for query in (
        "&calls=100&seats=10&patience_s=1e12",
        "&calls=10000000&patience_s=600000",
        "&calls=100000&patience_s=600&target_s=600000",
    ):
        reply = server.call("GET", base + query, headers=bearer, timeout=120)
        assert reply.status == 422, reply.body
        assert reply.json()["field"] in ("patience_s", "target_s", "calls")
    assert server.rss_bytes() - before < 50 * MB

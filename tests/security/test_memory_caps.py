"""Issue item 7, second half: what held 9 GB during the schemathesis run.

Found by replaying generated requests under tracemalloc: the Erlang A queue law
(``hotline.erlang._queue_distribution``) grew its list of queue states until patience thinned the
queue; with a patience of 10¹² seconds that never happened, and the list (and the server) grew
without bound while one request ran. Times are now capped at one week and the queue law at
``MAX_QUEUE_STATES``: such a request is a named 422 at once, and the server's memory stays put.
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
        assert reply.json()["field"] in ("patience_s", "target_s")
    assert server.rss_bytes() - before < 50 * MB

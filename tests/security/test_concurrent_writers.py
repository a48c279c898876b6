"""Issue item 3: writers wait their turn on SQLite and no failure comes back as plain text.

Before: a deferred BEGIN upgraded to a writer at its first write and failed at once with
"database is locked" (111 of 300 concurrent API writes, a plain-text 500). Now writers start with
BEGIN IMMEDIATE and wait up to the busy timeout; anything left is the standard error body.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.auth import User, create_user
from minsheng.core.config import Settings
from minsheng.core.idnumber import check_character
from minsheng.enforcement.models import Party
from tests.conftest import Cli
from tests.security.conftest import BIN, Served

THREADS = 4
WRITES = 50
CLI_LOOPS = 2
CLI_WRITES = 4


def person_id(thread: int, seq: int) -> str:
    first17 = f"460107198{thread}0101{seq:03d}"
    return first17 + check_character(first17)


# SQLite's locking is the subject, not the clock: CI runs it once, in the SQLite pass
@pytest.mark.server
def test_api_and_cli_writers_at_once_all_land(
    serve: Callable[..., Served], session_factory: sessionmaker[Session]
) -> None:
    server = serve()
    with session_factory() as s:
        _user, token = create_user(s, name="writer", role="enforcement")
        s.commit()
    headers = {"Authorization": f"Bearer {token}"}

    def api_writer(thread: int) -> list[tuple[int, str, bytes]]:
        replies = []
        for seq in range(WRITES):
            reply = server.call(
                "POST",
                "/api/enforcement/parties",
                json_body={
                    "kind": "person",
                    "category": "street_vendor",
                    "name": "符海南",
                    "id_number": person_id(thread, seq),
                },
                headers=headers,
            )
            replies.append((reply.status, reply.headers.get("content-type", ""), reply.body))
        return replies

    def cli_writer(loop: int) -> list[subprocess.CompletedProcess[str]]:
        return [
            subprocess.run(
                [str(BIN / "minsheng"), "users", "create", f"cli-{loop}-{i}", "--role", "hotline"],
                env=server.env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            for i in range(CLI_WRITES)
        ]

    with ThreadPoolExecutor(THREADS + CLI_LOOPS) as pool:
        api = [pool.submit(api_writer, t) for t in range(THREADS)]
        cli = [pool.submit(cli_writer, k) for k in range(CLI_LOOPS)]
        api_replies = [r for f in api for r in f.result()]
        cli_runs = [r for f in cli for r in f.result()]

    failures = [(status, body[:200]) for status, _ct, body in api_replies if status != 201]
    assert failures == []
    assert {ct for _s, ct, _b in api_replies} == {"application/json"}
    assert [(r.returncode, r.stderr) for r in cli_runs if r.returncode != 0] == []
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Party)) == THREADS * WRITES
        cli_users = s.scalar(select(func.count()).select_from(User).where(User.name.like("cli-%")))
        assert cli_users == CLI_LOOPS * CLI_WRITES


def test_a_lock_wait_that_runs_out_is_a_503_body_not_plain_text(
    settings: Settings, staff_token: Callable[[str], dict[str, str]]
) -> None:
    """Hold the write lock longer than the busy timeout: the API answers with the standard
    body (503 DatabaseBusy) and the CLI with its one JSON line, never a traceback."""
    if not settings.effective_database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL writers wait on row locks; there is no busy timeout to run out")
    from minsheng.app import create_app

    headers = staff_token("enforcement")
    impatient = settings.model_copy(update={"sqlite_busy_timeout_s": 0.2})
    app = create_app(impatient)
    blocker = sqlite3.connect(
        settings.effective_database_url.removeprefix("sqlite:///"), isolation_level=None
    )
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with TestClient(app) as client:
            reply = client.post(
                "/api/enforcement/parties",
                json={
                    "kind": "person",
                    "category": "street_vendor",
                    "name": "符海南",
                    "id_number": person_id(9, 1),
                },
                headers=headers,
            )
        cli = Cli(impatient)
        cli.env["MINSHENG_SQLITE_BUSY_TIMEOUT_S"] = "0.2"
        ran = cli("users", "create", "late", "--role", "hotline")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        app.state.engine.dispose()
    assert reply.status_code == 503
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert body["error"] == "DatabaseBusy" and set(body) >= {"error", "detail", "field"}
    assert reply.headers["retry-after"] == "1"
    assert ran.exit_code == 1
    assert json.loads(ran.output.strip().splitlines()[-1])["error"] == "DatabaseBusy"

"""The documented deployment on one machine (docs/deployment.md): nginx in front of two
``minsheng serve`` processes sharing PostgreSQL and Redis, the proxy header believed only from
nginx's address.

- a rate limit holds across both apps: nginx alternates between them, and the lookups of one
  name are refused after the limit whichever app answers;
- a client's own ``X-Forwarded-For`` does not make it someone else (nginx overwrites it);
- killing one app under load fails no request beyond those in flight (nginx passes a request
  that found the app gone to the other one).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from minsheng.certification.service.ratelimit import MINUTE, window_start
from minsheng.core import migrate
from minsheng.core.config import Settings
from tests.conftest import TEST_SECRET, create_scratch_pg, drop_scratch_pg, free_port
from tests.processes import stop_group
from tests.serve.conftest import wait_port

BIN = Path(sys.executable).parent
PER_NAME = 5
NGINX_CONF = """
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
{upstream}
}}
"""


def nginx_site(ports: list[int], listen: int) -> str:
    """The http block of docs/deployment.md with its addresses filled in."""
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports)
    return f"""
  upstream minsheng {{
{servers}
    keepalive 16;
  }}
  server {{
    listen 127.0.0.1:{listen};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_next_upstream error timeout http_502 http_503;
    location / {{ proxy_pass http://minsheng; }}
    location = /api/certification/verify {{
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_pass http://minsheng;
    }}
    location = /metrics {{ deny all; }}
  }}
"""


@dataclass
class Deployment:
    port: int
    apps: dict[int, subprocess.Popen[str]]

    def verify(self, name: str, number: str, headers: dict[str, str] | None = None) -> int:
        body = json.dumps({"name": name, "number": number}, ensure_ascii=False).encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(
                "POST",
                "/api/certification/verify",
                body=body,
                headers={"Content-Type": "application/json", **(headers or {})},
            )
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()


def number(i: int) -> str:
    return f"S000111000001244{i + 1:06d}"  # well formed, held by nobody here


@pytest.fixture
def deployment(tmp_path: Path, pg_base: str, redis_url: str) -> Iterator[Deployment]:
    database = create_scratch_pg(pg_base, "serve")
    migrate.upgrade(Settings(database_url=database, secret_key=TEST_SECRET))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINSHENG_")}
    env.update(
        MINSHENG_DATABASE_URL=database,
        MINSHENG_REDIS_URL=redis_url,
        MINSHENG_TRUSTED_PROXIES="127.0.0.1",  # nginx's address, and only it
        MINSHENG_SECRET_KEY=TEST_SECRET,
        MINSHENG_VAR_DIR=str(tmp_path / "var"),
        MINSHENG_ALLOW_DEMO_RULES="1",
        MINSHENG_CERT_VERIFY_RATE_PER_NAME=str(PER_NAME),
        MINSHENG_CERT_VERIFY_DAILY_PER_NAME="1000",
        MINSHENG_CERT_VERIFY_RATE_PER_CLIENT="100000",
        MINSHENG_CERT_VERIFY_DAILY_PER_CLIENT="100000",
    )
    apps: dict[int, subprocess.Popen[str]] = {}
    started: list[subprocess.Popen[str]] = []
    try:
        for _ in range(2):
            port = free_port()
            apps[port] = subprocess.Popen(
                [str(BIN / "minsheng"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                start_new_session=True,
            )  # fmt: skip
            started.append(apps[port])
        listen = free_port()
        conf = tmp_path / "nginx.conf"
        user = "user root;" if os.geteuid() == 0 else ""
        conf.write_text(
            NGINX_CONF.format(user=user, dir=tmp_path, upstream=nginx_site(list(apps), listen))
        )
        nginx = subprocess.Popen(
            ["nginx", "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        started.append(nginx)
        for port, proc in apps.items():
            wait_port(port, proc, timeout=60)
        wait_port(listen, nginx)
        yield Deployment(listen, apps)
    finally:
        for proc in started:
            stop_group(proc)
        drop_scratch_pg(database)


def test_a_limit_holds_across_both_apps(deployment: Deployment) -> None:
    for attempt in range(3):
        name = f"测试{attempt}"
        before = window_start(int(time.time()), MINUTE)
        statuses = [deployment.verify(name, number(i)) for i in range(PER_NAME + 3)]
        if window_start(int(time.time()), MINUTE) != before:
            continue  # a minute began during the burst: its counts started again; once more
        # nginx alternated between the apps: each alone would have answered all eight.
        assert statuses == [200] * PER_NAME + [429] * 3
        # Another name is not affected, and a forged X-Forwarded-For changes nothing: nginx
        # overwrites it and the apps believe the header only from nginx.
        forged = {"X-Forwarded-For": "203.0.113.9"}
        assert deployment.verify(name, number(99), headers=forged) == 429
        assert deployment.verify(name + "乙", number(99), headers=forged) == 200
        return
    pytest.fail("three bursts in a row each straddled a minute")


def test_killing_one_app_fails_no_request_beyond_those_in_flight(
    deployment: Deployment,
) -> None:
    results: list[int | str] = []
    stop = threading.Event()
    lock = threading.Lock()
    clients = 3

    def client(k: int) -> None:
        i = 0
        while not stop.is_set():
            try:
                status: int | str = deployment.verify(f"客户{k}-{i}", number(i))
            except OSError as exc:
                status = type(exc).__name__
            with lock:
                results.append(status)
            i += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 30
        while len(results) < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = next(iter(deployment.apps.values()))
        os.killpg(victim.pid, signal.SIGKILL)
        with lock:
            at_kill = len(results)
        deadline = time.monotonic() + 30
        while len(results) < at_kill + 60 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    failed = [r for r in results if r != 200]
    assert len(results) >= at_kill + 60, "the surviving app stopped answering"
    assert len(failed) <= clients, failed  # at most the one request each client had in flight
    assert results[-30:] == [200] * 30

"""Prometheus metrics: ``GET /metrics`` in the text format, for operators (docs/deployment.md).

- HTTP requests and their latency per *route template* (``/api/certification/v/{token}``),
  method and status; a path no route matched is counted as ``unmatched``, so no raw path (with
  a token or a number in it) ever becomes a label;
- what the systems count through :func:`counter` (verification hits, misses and refusals,
  imported rows);
- gauges read at scrape time from the database through the sources the app registers with
  :func:`add_gauge_source` (the hotline's waiting calls, seats by state, today's answer rate),
  and the database pool.

Access: ``Authorization: Bearer <MINSHENG_METRICS_TOKEN>`` or an admin's API token; nginx denies
``/metrics`` from outside. With several worker processes (``minsheng serve --workers N``),
``PROMETHEUS_MULTIPROC_DIR`` makes the workers of one machine write their counters to files that
one scrape sums (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The counters live in this registry (not prometheus-client's global one), so that the app
# decides what /metrics shows; in multiprocess mode they are written to files as well.
REGISTRY = CollectorRegistry(auto_describe=True)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "minsheng_http_requests_total",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "minsheng_http_request_duration_seconds",
    "Time from the request to the end of the answer, by method and route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)


def counter(name: str, documentation: str, labels: Iterable[str] = ()) -> Counter:
    """A counter of a system (``minsheng_<system>_..._total``), shown at /metrics."""
    return Counter(name, documentation, list(labels), registry=REGISTRY)


@dataclass(frozen=True)
class Gauge:
    """One value read at scrape time: ``name{labels} value``."""

    name: str
    documentation: str
    value: float
    labels: tuple[tuple[str, str], ...] = ()


GaugeSource = Callable[[Session], list[Gauge]]


def add_gauge_source(app_state: Any, source: GaugeSource) -> None:
    """Read ``source(session)`` at every scrape of this app (a system's live figures)."""
    sources: list[GaugeSource] = getattr(app_state, "metrics_gauge_sources", [])
    sources.append(source)
    app_state.metrics_gauge_sources = sources


def route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


class MetricsMiddleware:
    """Counts every HTTP request and its latency by route template (plain ASGI: a few
    microseconds a request; the labelled children are kept, not looked up each time)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._requests: dict[tuple[str, str, int], Any] = {}
        self._latency: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            method = str(scope.get("method", ""))
            route = route_label(scope)
            key = (method, route, status)
            child = self._requests.get(key)
            if child is None:
                child = self._requests[key] = HTTP_REQUESTS.labels(method, route, str(status))
            child.inc()
            timer = self._latency.get(key[:2])
            if timer is None:
                timer = self._latency[key[:2]] = HTTP_LATENCY.labels(method, route)
            timer.observe(time.perf_counter() - start)


class _ScrapeCollector(Collector):
    """The gauges read at scrape time: the database pool and the systems' sources."""

    def __init__(self, engine: Engine, sources: list[GaugeSource], factory: Any) -> None:
        self.engine, self.sources, self.factory = engine, sources, factory

    def collect(self) -> Iterator[Metric]:
        pool = self.engine.pool
        for attr, doc in (
            ("checkedout", "Database connections in use"),
            ("checkedin", "Database connections idle in the pool"),
            ("size", "Database pool size"),
            ("overflow", "Database connections over the pool size"),
        ):
            method = getattr(pool, attr, None)
            if callable(method):
                yield GaugeMetricFamily(f"minsheng_db_pool_{attr}", doc, value=float(method()))
        if not self.sources:
            return
        families: dict[str, GaugeMetricFamily] = {}
        with self.factory() as session:
            for source in self.sources:
                for g in source(session):
                    family = families.get(g.name)
                    if family is None:
                        family = families[g.name] = GaugeMetricFamily(
                            g.name, g.documentation, labels=[k for k, _ in g.labels]
                        )
                    family.add_metric([v for _, v in g.labels], g.value)
        yield from families.values()


def exposition(app_state: Any) -> bytes:
    """The text of /metrics for one app: counters (summed over the workers in multiprocess
    mode), then the gauges read now."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward(REGISTRY))
    sources: list[GaugeSource] = getattr(app_state, "metrics_gauge_sources", [])
    registry.register(_ScrapeCollector(app_state.engine, sources, app_state.sessionmaker))
    return generate_latest(registry)


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


async def _allowed(request: Request) -> None:
    """The metrics token, or an admin's API token (``core.web.require_role``)."""
    from minsheng.core.auth import Role
    from minsheng.core.web import bearer_token, require_role

    token = bearer_token(request)
    expected: str = request.app.state.settings.metrics_token
    if token and expected and hmac.compare_digest(token.encode(), expected.encode()):
        return
    await require_role(Role.ADMIN)(request)


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request, _: Annotated[None, Depends(_allowed)]) -> Response:
    return Response(exposition(request.app.state), media_type=CONTENT_TYPE_LATEST)

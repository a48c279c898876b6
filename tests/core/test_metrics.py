"""/metrics (core.metrics): protected, labelled by route template (never the raw path), with the
verification outcomes, the database pool and the hotline's gauges."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from minsheng.core.config import Settings

TOKEN = "scrape-token-for-the-test"


@pytest.fixture
def scraped(settings: Settings) -> Iterator[TestClient]:
    from minsheng.app import create_app

    app = create_app(settings.model_copy(update={"metrics_token": TOKEN}))
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


def value(text: str, prefix: str) -> float:
    """The value of the first sample line starting with ``prefix`` (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def scrape(client: TestClient) -> str:
    reply = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    return reply.text


def test_metrics_need_the_token_or_an_admin(
    scraped: TestClient, staff_token: Callable[[str], dict[str, str]]
) -> None:
    assert scraped.get("/metrics").status_code == 401
    assert scraped.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert scraped.get("/metrics", headers=staff_token("hotline")).status_code == 403
    assert scraped.get("/metrics", headers=staff_token("admin")).status_code == 200


def test_requests_are_counted_by_route_template_and_lookups_by_outcome(
    scraped: TestClient,
) -> None:
    before = scrape(scraped)
    verify = (
        'minsheng_http_requests_total{method="POST",route="/api/certification/verify",status="200"}'
    )
    miss = 'minsheng_cert_verifications_total{outcome="miss"}'
    for _ in range(3):
        reply = scraped.post(
            "/api/certification/verify",
            json={"name": "王伟", "number": "S000111000001244000001"},
        )
        assert reply.json() == {"found": False, "certificates": []}
    secret = "0123456789abcdef0123456789abcdef"
    assert scraped.get(f"/api/certification/v/{secret}").status_code == 200
    assert scraped.get("/no/such/110105199001010021").status_code == 404
    after = scrape(scraped)
    assert value(after, verify) - value(before, verify) == 3
    assert value(after, miss) - value(before, miss) == 3
    assert 'route="/api/certification/v/{token}"' in after
    assert 'route="unmatched",status="404"' in after
    assert secret not in after
    assert "110105199001010021" not in after
    assert "minsheng_http_request_duration_seconds_bucket" in after


def test_the_pool_and_the_hotline_gauges_are_read_at_scrape_time(scraped: TestClient) -> None:
    text = scrape(scraped)
    assert "minsheng_db_pool_checkedout" in text
    assert 'minsheng_hotline_seats{state="available"}' in text
    assert "minsheng_hotline_waiting_calls 0.0" in text
    assert "minsheng_hotline_answer_rate_today" in text

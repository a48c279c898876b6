"""Certification test fixtures: the lookup log is written only when a test flushes it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from minsheng.certification import service_verify


@pytest.fixture(autouse=True)
def _deterministic_lookup_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The background writer would write another test's buffered rows at a random moment
    # (on PostgreSQL, into the next test's emptied tables); tests flush explicitly instead.
    monkeypatch.setattr(service_verify, "background_flush", False)
    yield
    service_verify.discard_pending_log()

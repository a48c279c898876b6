"""JSON logs (MINSHENG_LOG_FORMAT=json): one object per line, redacted like every log."""

from __future__ import annotations

import json
import logging
import logging.config

import pytest

from minsheng.core import audit, privacy

ID = "110105199001010021"
PHONE = "13912345678"


def test_a_record_is_one_json_line_without_numbers_in_clear() -> None:
    formatter = privacy.JsonFormatter()
    record = logging.LogRecord(
        "minsheng.test", logging.WARNING, __file__, 1, "caller %s gave %s", (PHONE, ID), None
    )
    token = audit.current_request_id.set("req-7")
    try:
        line = formatter.format(record)
    finally:
        audit.current_request_id.reset(token)
    assert "\n" not in line
    out = json.loads(line)
    assert out["level"] == "WARNING"
    assert out["logger"] == "minsheng.test"
    assert out["request_id"] == "req-7"
    assert out["message"] == "caller 139****5678 gave 110105********0021"
    assert out["time"].endswith("+00:00")


def test_tracebacks_are_redacted_in_the_json_line() -> None:
    formatter = privacy.JsonFormatter()
    try:
        raise RuntimeError(f"broke on {ID}")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "minsheng.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    out = json.loads(formatter.format(record))
    assert "RuntimeError" in out["exception"]
    assert ID not in out["exception"]


@pytest.mark.parametrize("json_lines", [False, True])
def test_uvicorn_config_uses_the_json_formatter_on_request(json_lines: bool) -> None:
    config = privacy.uvicorn_log_config(json_lines=json_lines)
    formatters = {h["formatter"] for h in config["handlers"].values()}
    assert (formatters == {"json"}) is json_lines
    assert all(h["filters"] == ["redact"] for h in config["handlers"].values())

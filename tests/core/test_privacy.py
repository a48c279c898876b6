"""Masks, keyed hashes and log redaction."""

from __future__ import annotations

import logging

import pytest

from minsheng.core import privacy


def test_mask_id() -> None:
    assert privacy.mask_id("110105194912311234") == "110105********1234"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("008613800138000", "138****8000"),
    ],
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert privacy.mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("章子怡", "章*怡"), ("欧阳娜娜", "欧**娜"), ("王", "*")]
)
def test_mask_name(name: str, masked: str) -> None:
    assert privacy.mask_name(name) == masked


def test_keyed_hash_depends_on_key_and_purpose() -> None:
    a = privacy.keyed_hash("13800138000", b"k1", purpose="phone")
    assert a == privacy.keyed_hash("13800138000", b"k1", purpose="phone")
    assert a != privacy.keyed_hash("13800138000", b"k2", purpose="phone")
    assert a != privacy.keyed_hash("13800138000", b"k1", purpose="id")
    assert "13800138000" not in a


@pytest.mark.parametrize("key", [b"k1", b"", bytes(range(64)), bytes(range(200))])
def test_keyed_hasher_equals_keyed_hash(key: bytes) -> None:
    """The bulk hasher (two SHA-256 states keyed once) is HMAC-SHA256 for every key length,
    including keys longer than SHA-256's 64-byte block (hashed first, as RFC 2104 says)."""
    hasher = privacy.keyed_hasher(key, purpose="id")
    for value in ("110105199003071234", "", "张三", "x" * 1000):
        assert hasher(value) == privacy.keyed_hash(value, key, purpose="id")


def test_log_filter_redacts(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("minsheng.test")
    logger.addFilter(privacy.RedactingFilter())
    with caplog.at_level(logging.INFO, logger="minsheng.test"):
        logger.info("caller %s id %s", "13800138000", "11010519491231002X")
    assert "13800138000" not in caplog.text
    assert "11010519491231002X" not in caplog.text
    assert "138****8000" in caplog.text and "110105********002X" in caplog.text

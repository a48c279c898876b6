"""Personal-data protection: keyed hashes for matching, masks for display, a log filter.

ID and phone numbers are matched by HMAC-SHA256 under the platform's secret key (never stored or
logged in clear where a hash will do) and shown masked: ID ``110105********1234``, phone
``138****8000``, name ``张*`` / ``章*怡``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re


def keyed_hash(value: str, key: bytes, *, purpose: str) -> str:
    """HMAC-SHA256 of a normalised value; ``purpose`` separates e.g. ID from phone hashes."""
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def mask_id(number: str) -> str:
    text = number.strip().upper()
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def phone_digits(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
            return digits[len(prefix) :]
    return digits


def mask_phone(number: str) -> str:
    digits = phone_digits(number)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str) -> str:
    text = name.strip()
    if len(text) <= 1:
        return "*" * len(text)
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


_ID_RE = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def redact(text: str) -> str:
    """Mask anything that looks like an ID or mobile number inside free text."""
    text = _ID_RE.sub(lambda m: m.group(1) + "********" + m.group(2)[-4:], text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


class RedactingFilter(logging.Filter):
    """A last line of defence: log records never carry an ID or mobile number in clear."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


def install_log_redaction() -> None:
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for f in root.filters):
        root.addFilter(RedactingFilter())
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())

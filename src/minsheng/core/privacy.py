"""Personal-data protection: keyed hashes for matching, masks for display, a log filter.

ID and phone numbers are matched by HMAC-SHA256 under the platform's secret key (never stored or
logged in clear where a hash will do) and shown masked: ID ``110105********1234``, phone
``138****8000``, name ``张*`` / ``章*怡``.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from typing import Any


def keyed_hash(value: str, key: bytes, *, purpose: str) -> str:
    """HMAC-SHA256 of a normalised value; ``purpose`` separates e.g. ID from phone hashes."""
    # hmac.digest: the one-shot C implementation, the same value as hmac.new(...).hexdigest().
    return hmac.digest(key, f"{purpose}:{value}".encode(), "sha256").hex()


def keyed_hasher(key: bytes, *, purpose: str) -> Callable[[str], str]:
    """``keyed_hash`` under one key and purpose for many values (a bulk import's hundreds of
    thousands of ID numbers). HMAC-SHA256 as RFC 2104 defines it, H((K ⊕ opad) ‖ H((K ⊕ ipad)
    ‖ m)), with both padded-key states hashed once here (as ``hmac.HMAC`` keeps them): a value
    then costs two state copies and four C calls, 1.8 µs against 2.9 µs for a copy of a keyed
    ``hmac.new`` object (its Python wrapper) and more for the one-shot ``hmac.digest``, which
    keys itself on every call. The same digest as ``keyed_hash`` for every value (tested)."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(f"{purpose}:".encode())
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def digest(value: str) -> str:
        state = inner.copy()
        state.update(value.encode())
        result = outer.copy()
        result.update(state.digest())
        return result.hexdigest()

    return digest


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


_ID_RE = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")
_OLD_ID_RE = re.compile(r"(?<!\d)(\d{6})\d{6}(\d{3})(?!\d)")  # 15-digit IDs before 1999
# A mobile number, also with +86 / 0086 / 86 in front and with spaces or dashes inside.
_PHONE_RE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[- ]?)?(1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)")


def redact(text: str) -> str:
    """Mask anything that looks like an ID or mobile number inside free text."""
    # Phones first: a 0086-prefixed mobile number is as long as an old 15-digit ID.
    text = _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(2), text)
    text = _ID_RE.sub(lambda m: m.group(1) + "********" + m.group(2)[-4:], text)
    return _OLD_ID_RE.sub(lambda m: m.group(1) + "******" + m.group(2), text)


def redact_record(record: logging.LogRecord) -> None:
    """Mask ID and phone numbers in a record's message, arguments, traceback and stack.

    Arguments are redacted one by one where that suffices, so formatters that read
    ``record.args`` themselves (uvicorn's access log) keep working; otherwise the whole message
    replaces ``msg`` and ``args`` is dropped.
    """
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: logging reports it itself
        return
    if redact(message) != message:
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(_redact_arg(a) for a in args)
        elif isinstance(args, dict):
            record.args = {k: _redact_arg(v) for k, v in args.items()}
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        else:
            record.msg = redact(str(record.msg))
        try:
            clean = redact(record.getMessage()) == record.getMessage()
        except Exception:
            clean = False
        if not clean:
            record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _redact_arg(value: object) -> object:
    text = value if isinstance(value, str) else str(value)
    masked = redact(text)
    return masked if masked != text else value


_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Installed on every handler (uvicorn's included, see ``uvicorn_log_config``): a record
    never leaves the process with an ID or mobile number in clear."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_FACTORY_MARK = "_minsheng_redacting"


def install_log_redaction() -> None:
    """Redact every log record this process creates, whichever logger and handler it goes to.

    A record factory masks each record as it is made (after the level check, so unlogged
    records cost nothing); the filter on the existing handlers catches records made before or
    by other factories. Idempotent.
    """
    previous = logging.getLogRecordFactory()
    if not getattr(previous, _FACTORY_MARK, False):

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            redact_record(record)
            return record

        setattr(factory, _FACTORY_MARK, True)
        logging.setLogRecordFactory(factory)
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers += [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``MINSHENG_LOG_FORMAT=json``): time (UTC, ISO 8601), level,
    logger, message, the request id when there is one, and the traceback; redacted like every
    record (the redaction runs before any formatter, and once more here on the final text)."""

    def format(self, record: logging.LogRecord) -> str:
        from datetime import UTC, datetime

        from minsheng.core.audit import current_request_id

        redact_record(record)
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        rid = current_request_id.get()
        if rid:
            out["request_id"] = rid
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            out["exception"] = redact(record.exc_text)
        return json.dumps(out, ensure_ascii=False)


def uvicorn_log_config(*, json_lines: bool = False) -> dict[str, Any]:
    """uvicorn's own logging configuration with the redacting filter on each of its handlers
    (access and error logs) and a root handler, for ``uvicorn.run(log_config=...)``; with
    ``json_lines`` every handler writes ``JsonFormatter`` lines."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": "minsheng.core.privacy.RedactingFilter"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    if json_lines:
        config["formatters"] = {"json": {"()": "minsheng.core.privacy.JsonFormatter"}}
        for handler in config["handlers"].values():
            handler["formatter"] = "json"
    return config

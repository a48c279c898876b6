"""The one error type for domain failures, and how it is rendered.

Hierarchy (each system adds its own subclasses in its ``errors.py``)::

    DomainError (400)
    ├── NotFound (404)            ── RegionNotFound, UserNotFound, ...
    ├── Conflict (409)            ── DuplicateUser, ...
    ├── InvalidInput (422)        ── a value broke a rule (names the field); PlaceAmbiguous
    ├── Unauthorized (401)
    ├── Forbidden (403)
    ├── TooManyRequests (429)
    └── DatabaseNotMigrated (503)  ── the tables are missing: run `minsheng db upgrade`

Every failure renders as ``{"error": <class name>, "detail": <English text>, "field": <name or
null>, "message": <Chinese text from the catalogue>}``:
as the HTTP body (with the class's status), and as one line of the same JSON on stderr for the CLI.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from minsheng.core import i18n


class DomainError(Exception):
    """A refusal the user can act on. Subclasses set ``status_code``."""

    status_code: ClassVar[int] = 400

    def __init__(
        self, detail: str, *, field: str | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra or {}

    @property
    def name(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        """The English ``detail`` for developers and, from the message catalogue (keyed by the
        error's name, then its bases, then its status), the Chinese ``message`` for people."""
        bases = tuple(
            cls.__name__ for cls in type(self).__mro__[1:] if issubclass(cls, DomainError)
        )
        body: dict[str, Any] = {
            "error": self.name,
            "detail": self.detail,
            "field": self.field,
            "message": i18n.error_message(self.name, self.status_code, bases=bases),
        }
        body.update(self.extra)
        return body

    def to_line(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class InvalidInput(DomainError):
    status_code = 422


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after_s: int, field: str | None = None) -> None:
        super().__init__(detail, field=field, extra={"retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s


class DatabaseNotMigrated(DomainError):
    """The database has no tables (or an old schema): the one fix is ``minsheng db upgrade``."""

    status_code = 503

    def __init__(self, location: str) -> None:
        super().__init__(
            f"the database {location} is not migrated: run `minsheng db upgrade`",
            extra={"message": "数据库尚未初始化或版本过旧，请先运行 `minsheng db upgrade`"},
        )


class RegionNotFound(NotFound):
    pass


class UserNotFound(NotFound):
    pass


class DuplicateUser(Conflict):
    pass


class InvalidRole(InvalidInput):
    pass


class PlaceAmbiguous(InvalidInput):
    """A place name that several regions share (南山区, 鼓楼区): ``choices`` lists them."""


def error_body(
    name: str, detail: str, field: str | None = None, *, status_code: int = 400
) -> dict[str, Any]:
    """The error body for failures that are not DomainErrors (framework 404s, 422s), with the
    Chinese ``message`` of the catalogue (``error.<name>``, else the status)."""
    return {
        "error": name,
        "detail": detail,
        "field": field,
        "message": i18n.error_message(name, status_code),
    }

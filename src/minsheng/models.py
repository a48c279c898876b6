"""Every model of the platform, imported so that ``Base.metadata`` is complete (for Alembic and
the migration tests)."""

from __future__ import annotations

from minsheng.certification import models as certification_models
from minsheng.core.audit import AuditEntry
from minsheng.core.auth import User, WebSession
from minsheng.core.db import Base
from minsheng.enforcement import models as enforcement_models
from minsheng.hotline import models as hotline_models

__all__ = [
    "AuditEntry",
    "Base",
    "User",
    "WebSession",
    "certification_models",
    "enforcement_models",
    "hotline_models",
]

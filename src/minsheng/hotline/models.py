"""Database models of the hotline system (tables prefixed ``hotline_``)."""

from __future__ import annotations

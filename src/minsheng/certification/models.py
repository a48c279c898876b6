"""Database models of the certification system (tables prefixed ``cert_``)."""

from __future__ import annotations

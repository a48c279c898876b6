"""Database models of the enforcement system (tables prefixed ``enf_``)."""

from __future__ import annotations

"""The shipped reference data (``data/*.json``), read once per process.

Kept apart from the rules so that ``rules/`` stays pure: this module does the file I/O and hands
parsed, checked objects to them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from minsheng.enforcement.rules import base as rules_base
from minsheng.enforcement.rules import grading as rules_grading
from minsheng.enforcement.rules import planning as rules_planning


def read_json(name: str) -> Any:
    with (
        resources.files("minsheng.enforcement").joinpath("data", name).open(encoding="utf-8") as fh
    ):
        return json.load(fh)


@lru_cache(maxsize=1)
def rulebase() -> rules_base.RuleBase:
    return rules_base.parse_rulebase(read_json("rulebase.json"))


@lru_cache(maxsize=1)
def grading_table() -> rules_grading.PointsTable:
    return rules_grading.parse_points_table(read_json("grading.json"))


@lru_cache(maxsize=1)
def planning_policy() -> rules_planning.Policy:
    return rules_planning.parse_policy(read_json("planning.json"))

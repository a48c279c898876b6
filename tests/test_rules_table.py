"""docs/rules.md cannot rot: every rule id the three systems can emit (collected from the rules
modules themselves — their ``RULES`` registries, the ids passed to ``Failure``/``check``/
``Pattern``/``add``, the risk rules, the statutory periods and the named refusals of the
enforcement procedure) has a row, and every row names files and tests that exist."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from minsheng.enforcement.rules import decision, history, workdays
from minsheng.hotline.rules import planning, roster, routing, workforce

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "minsheng"
TABLE = ROOT / "docs" / "rules.md"

# Generic input checks are not rules with a legal source: they are listed in each system's
# errors section instead.
GENERIC_ERRORS = {"InvalidInput", "InvalidRuleBase", "InvalidDate", "ValueError", "UnknownItem"}


def _calls(path: Path) -> Iterator[ast.Call]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            yield node


def _str_arg(call: ast.Call, index: int) -> str | None:
    if len(call.args) > index:
        arg = call.args[index]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
    return None


def _ids_passed(path: Path, func: str, index: int) -> set[str]:
    out = set()
    for call in _calls(path):
        if isinstance(call.func, ast.Name) and call.func.id == func:
            value = _str_arg(call, index)
            if value is not None:
                out.add(value)
    return out


def _dict_values(path: Path, key: str) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(k, ast.Constant)
                    and k.value == key
                    and isinstance(v, ast.Constant)
                    and isinstance(v.value, str)
                ):
                    out.add(v.value)
    return out


def _strings(path: Path, pattern: str) -> set[str]:
    rx = re.compile(pattern)
    return {
        node.value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and rx.match(node.value)
    }


def _raised(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Raise)
            and isinstance(node.exc, ast.Call)
            and isinstance(node.exc.func, ast.Name)
        ):
            out.add(node.exc.func.id)
    return out - GENERIC_ERRORS


def emitted_rule_ids() -> dict[str, set[str]]:
    cert = SRC / "certification" / "rules"
    enf = SRC / "enforcement" / "rules"
    return {
        "hotline": set(routing.RULES)
        | set(roster.RULES)
        | set(workforce.RULES)
        | set(planning.RULES)
        | _strings(SRC / "hotline" / "rules" / "risk.py", r"^risk\.[a-z_]+$"),
        "certification": _ids_passed(cert / "issuance.py", "Failure", 0)
        | _ids_passed(cert / "subsidy.py", "check", 0)
        | _dict_values(cert / "subsidy.py", "rule")
        | _ids_passed(cert / "adscan.py", "Pattern", 0)
        | _ids_passed(cert / "adscan.py", "add", 2),
        "enforcement": set(decision.RULES)
        | set(history.RULES)
        | set(workdays.STATUTORY_PERIODS)
        | _raised(enf / "procedure.py")
        | _raised(enf / "credit.py")
        | _raised(enf / "planning.py"),
    }


ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|(.*)\|\s*$")


def table_rows() -> list[tuple[str, list[str]]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            rows.append((m.group(1), [c.strip() for c in m.group(2).split("|")]))
    return rows


def test_the_collectors_find_rules_in_every_system() -> None:
    ids = emitted_rule_ids()
    # A collector that silently found nothing would make the table test pass vacuously.
    assert {"city_line", "risk.low", "official-minimum"} <= ids["hotline"]
    assert {"occupation.not_level_qualification", "claims.per_year", "insider"} <= ids[
        "certification"
    ]
    assert {"ART33-1-MINOR", "HIST-PROPOSAL", "service", "PriorNoticeMissing"} <= ids["enforcement"]


def test_every_emitted_rule_id_has_a_row() -> None:
    listed: dict[str, set[str]] = {}
    for rule_id, cells in table_rows():
        listed.setdefault(cells[0], set()).add(rule_id)
    for system, ids in emitted_rule_ids().items():
        missing = sorted(ids - listed.get(system, set()))
        assert not missing, f"docs/rules.md lacks rows for {system} rule ids {missing}"


def test_every_row_names_a_source_status_and_existing_files_and_tests() -> None:
    rows = table_rows()
    assert len(rows) >= 90
    for rule_id, cells in rows:
        assert len(cells) == 5, f"{rule_id}: system | decision | source | file | test"
        _system, made, source, files, tests = cells
        assert made and source, rule_id
        assert re.search(r"verified|待核实|local policy|demo|house rule", source), (
            f"{rule_id}: the source must say verified, 待核实, local policy, demo or house rule"
        )
        paths = re.findall(r"`([^`]+)`", files)
        assert paths, f"{rule_id}: no file"
        for p in paths:
            assert (ROOT / p).is_file(), f"{rule_id}: no file {p}"
        refs = re.findall(r"`([^`]+)`", tests)
        assert refs, f"{rule_id}: no test"
        for ref in refs:
            path, *names = ref.split("::")
            test_file = ROOT / path
            assert test_file.is_file(), f"{rule_id}: no test file {path}"
            text = test_file.read_text(encoding="utf-8")
            for name in names:
                assert re.search(rf"^\s*(def|class) {re.escape(name)}\b", text, re.M), (
                    f"{rule_id}: {path} has no {name}"
                )

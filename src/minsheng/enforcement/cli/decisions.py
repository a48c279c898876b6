"""Rule commands that need no database: the items in force and a trial decision."""

from __future__ import annotations

from typing import Annotated

import typer

from minsheng.core import timeutil
from minsheng.core.cli_support import echo_json
from minsheng.core.config import get_settings
from minsheng.enforcement.cli.common import Json, read_json
from minsheng.enforcement.rules import base as rules_base
from minsheng.enforcement.rules import decision as rules
from minsheng.enforcement.rules import inputs as rules_input
from minsheng.enforcement.service import catalog


def items(
    domain: Annotated[
        str | None, typer.Option(help="roadside, garbage, farmland, construction")
    ] = None,
    as_json: Json = False,
) -> None:
    """List the rule items in force (id, domain, legal basis, exemptible, tiers)."""
    rulebase = catalog.rulebase()
    found = rules_base.items_of(rulebase, domain)
    status = rulebase.status_dict()
    if as_json:
        echo_json([{**i.to_dict(), "rule_set": status} for i in found])
        return
    typer.echo(f"{status['label']} ({status['status']}): {status['name']}")
    for i in found:
        flag = "首违可免罚" if i.exemptible else "不适用首违免罚"
        typer.echo(f"{i.id}  [{i.domain}] {i.description}  ({flag}; {i.legal_basis})")


def decide(
    file: Annotated[str, typer.Argument(help="Decision input JSON, or - for stdin")],
    as_json: Json = False,
) -> None:
    """Try the decision rules on one violation, without a case."""
    settings = get_settings()
    inp = rules_input.parse_decision_input(
        read_json(file), lookback_days=settings.enf_lookback_days
    )
    result = rules.decide(catalog.rulebase(), inp, today=timeutil.today())
    if as_json:
        echo_json(result.to_dict())
        return
    fine = result.fine_range_yuan
    typer.echo(
        f"{result.outcome.value} ({result.tier.value if result.tier else '-'}"
        f"{f', {fine[0]}–{fine[1]} yuan' if fine else ''}) by {result.item} {result.rule_version}"
    )
    status = result.rule_set.get("status")
    typer.echo(
        f"rule {result.rule_id}: {rules.RULES.get(result.rule_id, '')}\n"
        f"rule set: {result.rule_set.get('label')} ({status}) {result.rule_set.get('name')}"
    )
    for reason in result.reasons:
        typer.echo(f"  - {reason}")

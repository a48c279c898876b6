"""``minsheng enforcement …``: the enforcement system's commands, one module per topic.

Case steps and commitments take ``--officer`` (the officer named on the case step, as case data);
the audit log names the operating-system user (``cli:<user>``). Options are validated by the same
schemas as the API (``parse_model``). Rule commands (``items``, ``decide``, ``grade explain``)
need no database.
"""

from __future__ import annotations

import typer

from minsheng.enforcement.cli import cases, decisions, grading, parties, supervision

HELP = (
    "Credit-commitment enforcement (承诺+执法): parties, commitments, cases, first- "
    "violation exemption, repeat penalties, grading, inspection plans and statistics."
)
app = typer.Typer(help=HELP, no_args_is_help=True)
app.command("items")(decisions.items)
app.command("decide")(decisions.decide)
app.add_typer(parties.parties_app, name="parties")
app.add_typer(parties.commitments_app, name="commitments")
app.add_typer(cases.cases_app, name="cases")
app.add_typer(supervision.inspectors_app, name="inspectors")
app.add_typer(supervision.records_app, name="records")
app.add_typer(grading.grade_app, name="grade")
app.command("plan")(grading.plan)
app.command("stats")(grading.stats_command)

__all__ = ["app"]

"""The simulator as a service: the shipped scenarios, and one set-up of a run shared by the
``hotline simulate`` command and the staff page (scenario file → overrides → the directory from
the database when the scenario lists no hotlines, refused when that directory is empty → the run).

Reading scenario files is I/O, so it lives here and not in ``rules/``; the run itself is
``sim.runner`` on the real routing rules and engine, in virtual time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from minsheng.hotline.service.directory import directory_snapshot
from minsheng.hotline.sim import report, runner
from minsheng.hotline.sim import scenario as sim_scenario

SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


def shipped_scenarios() -> dict[str, Path]:
    """The scenarios shipped with the simulator, by name (file name without its suffix)."""
    folder = resources.files("minsheng.hotline.sim") / "scenarios"
    return {
        p.name.rsplit(".", 1)[0]: Path(str(p))
        for p in folder.iterdir()
        if p.is_file() and p.name.endswith(SCENARIO_SUFFIXES)
    }


def scenario_path(name: str) -> Path:
    """A scenario file given by path, else the shipped scenario of that name."""
    path = Path(name)
    if path.exists():
        return path
    shipped = shipped_scenarios()
    if name in shipped:
        return shipped[name]
    raise sim_scenario.ScenarioError(
        f"no scenario file {name!r} and no shipped scenario of that name "
        f"(shipped: {', '.join(sorted(shipped))})",
        field="scenario",
    )


@dataclass(frozen=True)
class SimulationRun:
    """A scenario as run, and the results of its variants (in the scenario's order)."""

    scenario: sim_scenario.Scenario
    results: list[runner.VariantResult]

    def comparison_rows(self) -> list[dict[str, Any]]:
        return report.comparison_rows(self.results)

    def to_dict(self, *, chart: Path | None = None) -> dict[str, Any]:
        s = self.scenario
        return {
            "scenario": s.name,
            "seed": s.seed,
            "start": s.start.isoformat(),
            "duration_h": s.duration_s / 3600,
            "comparison": self.comparison_rows(),
            "variants": [r.to_dict() for r in self.results],
            "chart": str(chart) if chart is not None else None,
        }


@dataclass(frozen=True)
class PreparedRun:
    """A scenario checked and ready to run, with the hotlines it runs on (its own, else the
    database's directory): ``run`` needs no database session any more."""

    scenario: sim_scenario.Scenario
    hotlines: Any

    def run(self, progress: Callable[[str, float], None] | None = None) -> SimulationRun:
        return SimulationRun(
            self.scenario, runner.run(self.scenario, self.hotlines, progress=progress)
        )


def prepare_simulation(
    session: Session, path: Path, *, seed: int | None = None, variants: list[str] | None = None
) -> PreparedRun:
    """Read and check the scenario at ``path`` (``seed`` overrides its own; ``variants`` picks
    some). Without hotlines of its own the scenario runs on the directory in the database; an
    empty directory is refused with a hint instead of simulating nothing."""
    raw = sim_scenario.load_file(path)
    raw = sim_scenario.with_overrides(raw, seed=seed)
    parsed = sim_scenario.parse(raw, variant_names=variants or None)
    hotlines = parsed.hotlines
    if hotlines is None:
        hotlines = directory_snapshot(session).hotlines
        if not hotlines:
            raise sim_scenario.ScenarioError(
                "the directory is empty: run `minsheng demo load` or list hotlines in the scenario",
                field="hotlines",
            )
    sim_scenario.check_against(parsed, hotlines)
    return PreparedRun(parsed, hotlines)


def simulate(
    session: Session,
    path: Path,
    *,
    seed: int | None = None,
    variants: list[str] | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> SimulationRun:
    """Run the scenario file at ``path`` (see ``prepare_simulation``)."""
    return prepare_simulation(session, path, seed=seed, variants=variants).run(progress)

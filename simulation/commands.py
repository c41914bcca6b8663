"""What each command of `run.py` does: load, check, run, write, and return the folder written.

The command line (`simulation.cli`) parses the arguments, calls these and turns their errors
into exit statuses; each returns the folder it wrote, or None when it writes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import sys
import tempfile
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from simulation.errors import ScenarioError
from simulation.scenario import DEFAULT_SCENARIO, load_scenario, parse_override

DEFAULT_BACKCAST = DEFAULT_SCENARIO.with_name("backcast_2015.toml")


class OutputClosed(Exception):
    """Whoever read the standard output stopped reading (`run.py variables | head`)."""


def say(line: object = "") -> None:
    """Print a line to the standard output. Only a broken pipe here means the reader went away;
    one from elsewhere (a worker's pipe) is a real failure and is not mistaken for it."""
    try:
        print(line)
    except BrokenPipeError:
        raise OutputClosed from None


def flush() -> None:
    """Push out what is buffered for the standard output (a closed reader is found here when
    all of it fit in the buffer)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise OutputClosed from None


# --- before anything runs ---------------------------------------------------------------------


def check_out(root: str | Path, option: str = "--out") -> Path:
    """A results root must be a folder that exists or can be made, and can be written to:
    checked before a simulation starts, not after it has run.

    The check is a real write, not `os.access`, which says yes to root everywhere (even in
    /proc) and knows nothing of read-only mounts or names too long: the folder is made if
    needed, a file is written in it and deleted, and every folder the check made is removed
    again, so a run that fails later leaves nothing behind."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise ScenarioError("command line", option, "a folder", f"{root} is a file")
    ancestor = root
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise ScenarioError("command line", option, "a folder", f"{ancestor} is a file")
    made = [root, *root.parents][: len(root.parents) - len(ancestor.parents)]  # deepest first
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".write-check-") as probe:
            probe.write(b"x")
            probe.flush()
    except OSError as exc:
        raise ScenarioError(
            "command line", option, "a folder you may write to", f"{root}: {exc.strerror or exc}"
        ) from None
    finally:
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()
    return root


def warn(scenario: Any) -> None:
    """Print what in a valid scenario looks like a mistake (the report lists it too)."""
    from simulation.checks import suspect_inputs

    for message in suspect_inputs(scenario):
        print(f"warning: {scenario.name}: {message}", file=sys.stderr)


def check_memory(scenarios: list[Any], workers: int) -> None:
    """Refuse before synthesising anything what would not fit in memory, runs in parallel
    taking their share each."""
    from simulation.checks import ensure_fits

    for scenario in scenarios:
        ensure_fits(scenario, workers=workers)


def _workers(requested: int | None, jobs: int) -> int:
    """The workers asked for, else all cores but no more than jobs."""
    from simulation.experiments.runner import default_workers

    return requested or default_workers(jobs)


def _pool(workers: int) -> AbstractContextManager[Any]:
    """A process pool of `workers` (as `_workers` resolves them), or none for one."""
    from simulation.experiments.runner import make_executor

    executor = make_executor(workers)
    return executor if executor is not None else nullcontext()


# --- the commands ------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> Path:
    from simulation.experiments import replicate

    check_out(args.out)
    overrides = dict(parse_override(text) for text in args.overrides)
    scenario = load_scenario(args.scenario, overrides, origin="--set")
    count = args.replicates or scenario.replicates
    workers = _workers(args.workers, count)
    warn(scenario)
    check_memory([scenario], workers)
    with _pool(workers) as executor:
        results = replicate(scenario, count, args.seed, executor)
    return results.write(args.out, fmt=args.format)


def compare(args: argparse.Namespace) -> Path:
    from simulation.experiments import compare as compare_scenarios
    from simulation.experiments.compare import check_comparable

    check_out(args.out)
    scenarios = [load_scenario(path, origin="--set") for path in args.scenarios]
    check_comparable(scenarios)
    count = args.replicates or 10
    workers = _workers(args.workers, count * len(scenarios))
    for scenario in scenarios:
        warn(scenario)
    check_memory(scenarios, workers)
    with _pool(workers) as executor:
        comparison = compare_scenarios(scenarios, count, args.seed, executor)
    return comparison.write(args.out, fmt=args.format)


def calibrate(args: argparse.Namespace) -> Path:
    from simulation.experiments.calibrate import calibrate as fit_scenario
    from simulation.experiments.calibrate import read_calibration
    from simulation.output import write_calibration

    check_out(args.out)
    scenario = load_scenario(args.scenario, origin="--set")
    spec_file = args.calibration or str(Path(args.scenario).with_name("calibration.toml"))
    spec = read_calibration(spec_file, scenario)

    def progress(evaluation: int, loss: float) -> None:
        if sys.stderr.isatty():
            print(f"\revaluation {evaluation}: loss {loss:.6g}", end="", file=sys.stderr)

    with _pool(_workers(args.workers, len(spec.seeds))) as executor:
        fit = fit_scenario(scenario, spec, executor, progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return write_calibration(fit, spec, args.scenario, args.out)


def backcast(args: argparse.Namespace) -> Path:
    from simulation.experiments.calibrate import backcast as score
    from simulation.experiments.observations import check_last_year, read_observations
    from simulation.experiments.replicate import replicate_seeds
    from simulation.output import write_backcast

    check_last_year(args.last_year, "command line", "--last-year")
    check_out(args.out)
    scenario = load_scenario(args.scenario, origin="--set")
    path = args.observations or str(Path(args.scenario).with_name("observations.csv"))
    observations = read_observations(path, scenario.districts.names, args.last_year)
    seeds = replicate_seeds(scenario.seed, args.replicates)
    with _pool(_workers(args.workers, len(seeds))) as executor:
        result = score(scenario, observations, seeds, executor)
    return write_backcast(result, path, args.out)


def sweep(args: argparse.Namespace) -> Path:
    from simulation.experiments.runner import executor_for
    from simulation.experiments.sweep import execute, prepare
    from simulation.experiments.sweepfile import load_sweep

    kind = args.executor or ("dask" if args.scheduler else "process")
    if args.scheduler and kind != "dask":
        raise ScenarioError(
            "command line", "--scheduler", "--executor dask with a scheduler", f"--executor {kind}"
        )
    sweep_file = load_sweep(args.sweep)
    folder = Path(args.out) if args.out else Path("results") / "sweeps" / sweep_file.name
    check_out(folder)  # a sweep being resumed is written to as well
    plan = prepare(sweep_file, folder)
    words = ["python", "run.py", "sweep", args.sweep, "--out", str(folder)]
    if not plan.pending:  # finished already: no workers to start
        summary = execute(plan, command=shlex.join(words))
    else:
        workers = _workers(args.workers, len(plan.pending))
        if not args.scheduler:  # a scheduler's workers are on other machines
            check_memory([sweep_file.base], 1 if kind == "serial" else workers)
        with executor_for(kind, workers, args.scheduler) as (executor, capacity):
            summary = execute(plan, executor, capacity=capacity, command=shlex.join(words))
    print(f"{sweep_file.name}: {summary.line()}", file=sys.stderr)
    return summary.folder


def analyze(args: argparse.Namespace) -> Path:
    from simulation.experiments.analyze import analyze_folder

    if Path(args.folder).is_dir():  # else reading it says what is wrong; nothing to make here
        check_out(args.folder, "folder")
    return analyze_folder(args.folder, args.method, args.format)


def reproduce(args: argparse.Namespace) -> None:
    """Rerun a results folder from its manifest alone and say whether its tables match."""
    from simulation.reproduce import reproduce as rerun

    verdict = rerun(args.folder)
    for line in verdict.lines():
        say(line)
    if not verdict.identical:
        raise SystemExit(1)


def variables(args: argparse.Namespace) -> None:
    from simulation.variables import VARIABLES

    rows = [
        (
            v.name,
            v.unit,
            {"both": "districts, ALL", "city": "ALL", "districts": "districts"}[v.scope],
            v.doc,
        )
        for v in VARIABLES.values()
    ]
    _print_table(("variable", "unit", "rows", "meaning"), rows)


def params(args: argparse.Namespace) -> None:
    from simulation.config import ASSUMED, declared_parameters
    from simulation.results import jsonable

    rows = []
    for p in declared_parameters():
        default = p["default"]
        shown = (
            default
            if isinstance(default, str)
            else json.dumps(jsonable(default), ensure_ascii=False)
        )
        source = "assumed" if p["source"] == ASSUMED else f"sourced: {p['source']}"
        series = " (may be a year series)" if p["series"] else ""
        rows.append((p["key"], p["unit"], shown, source, p["doc"] + series))
    _print_table(("parameter", "unit", "default", "default is", "meaning"), rows)


def _print_table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Tab-separated, a header first: readable, and easy to paste into a spreadsheet."""
    say("\t".join(header))
    for row in rows:
        say("\t".join(str(cell) for cell in row))


COMMANDS = {
    "run": run,
    "compare": compare,
    "calibrate": calibrate,
    "backcast": backcast,
    "sweep": sweep,
    "analyze": analyze,
    "reproduce": reproduce,
    "variables": variables,
    "params": params,
}

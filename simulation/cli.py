"""The command line: argument parsing, exit codes and where files go; nothing else.

    python run.py                                  # the Guangzhou default scenario
    python run.py run SCENARIO [--seed N] [--replicates R] [--set key.path=value ...]
    python run.py SCENARIO                         # shorthand for `run SCENARIO`
    python run.py compare A.toml B.toml [...] [--replicates R] [--seed N] [--workers N]
    python run.py sweep SWEEP.toml [--workers N] [--executor serial|process|dask]
                                   [--scheduler ADDRESS] [--out DIR]
    python run.py analyze SWEEP_FOLDER [--method sobol|morris|rbd_fast|pawn]

Exit status: 0 success, 2 a user error (one line on stderr), 1 anything else, 130 interrupted.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from simulation.errors import AccountError, MissingExtraError, ScenarioError
from simulation.experiments.analyze import METHODS as ANALYSES
from simulation.experiments.evaluate import DEFAULT_SCENARIO
from simulation.experiments.runner import EXECUTORS
from simulation.scenario import load_scenario, parse_override

COMMANDS = ("run", "compare", "calibrate", "backcast", "sweep", "analyze")
DEFAULT_BACKCAST = DEFAULT_SCENARIO.with_name("backcast_2015.toml")
FORMATS = ("png", "svg", "pdf")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ScenarioError("command line", self.prog, "valid arguments (see --help)", message)


def _count(what: str) -> Callable[[str], int]:
    """A positive whole number of `what`, as an argparse type."""

    def parse(text: str) -> int:
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            raise argparse.ArgumentTypeError(
                f"invalid value {text!r} ({what}: a whole number >= 1)"
            )
        return int(text)

    return parse


def _seed(text: str) -> int:
    """`--seed`: a non-negative integer, as numpy's generators need."""
    if not (text.isascii() and text.isdigit()) or int(text) >= 2**63:
        raise argparse.ArgumentTypeError(f"invalid value {text!r} (a non-negative integer)")
    return int(text)


def _common(parser: argparse.ArgumentParser, *, replicates_help: str) -> None:
    parser.add_argument("--seed", type=_seed, help="replace the scenario's seed")
    parser.add_argument(
        "--replicates", type=_count("replicates"), metavar="R", help=replicates_help
    )
    parser.add_argument(
        "--workers",
        type=_count("workers"),
        metavar="N",
        help="processes to run replicates in (default: all cores, at most one per run)",
    )
    parser.add_argument("--out", default="results", help="results root folder (default: results)")
    parser.add_argument(
        "--format", choices=FORMATS, default="png", help="figure format (default: png)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="run.py", description="Simulate settlement and people-land linkage.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    one = commands.add_parser("run", help="run one scenario and write its results folder")
    one.add_argument(
        "scenario", nargs="?", default=str(DEFAULT_SCENARIO), help="scenario TOML file"
    )
    one.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a scenario value (TOML syntax), e.g. channels.points.quota=8000; repeat "
        "for more",
    )
    _common(
        one,
        replicates_help="replicates, seeds spawned from the seed (default: the "
        "scenario's `replicates`, else 1)",
    )
    many = commands.add_parser(
        "compare",
        help="run scenarios on the same replicate seeds and difference each against the first",
    )
    many.add_argument(
        "scenarios", nargs="+", help="scenario TOML files; the first is the reference"
    )
    _common(many, replicates_help="replicates per scenario (default: 10)")
    _calibration_parsers(commands)
    _sweep_parsers(commands)
    return parser


def _calibration_parsers(commands: Any) -> None:
    workers = {"type": _count("workers"), "metavar": "N", "help": "processes (default: all cores)"}
    out = {"default": "results", "help": "results root folder (default: results)"}
    fit = commands.add_parser(
        "calibrate", help="fit a scenario's uncertain parameters to observed figures (to 2018)"
    )
    fit.add_argument("scenario", help="scenario TOML file to fit")
    fit.add_argument(
        "--calibration",
        help="calibration file: parameters and ranges, observations, seeds (default: "
        "calibration.toml beside the scenario)",
    )
    fit.add_argument("--workers", **workers)
    fit.add_argument("--out", **out)
    past = commands.add_parser(
        "backcast", help="run from an earlier base year and score the run on what was observed"
    )
    past.add_argument(
        "scenario",
        nargs="?",
        default=str(DEFAULT_BACKCAST),
        help="scenario TOML file (default: Guangzhou from year-end 2015)",
    )
    past.add_argument(
        "--observations", help="observations CSV (default: observations.csv beside the scenario)"
    )
    past.add_argument(
        "--last-year",
        type=_count("last year"),
        default=2018,
        help="the latest year an observation may have (default: 2018)",
    )
    past.add_argument(
        "--replicates",
        type=_count("replicates"),
        default=3,
        metavar="R",
        help="runs whose mean is scored (default: 3)",
    )
    past.add_argument("--workers", **workers)
    past.add_argument("--out", **out)


def _sweep_parsers(commands: Any) -> None:
    sweep = commands.add_parser(
        "sweep", help="run a parameter sweep into its folder; run it again to resume it"
    )
    sweep.add_argument("sweep", help="sweep TOML file")
    sweep.add_argument(
        "--workers",
        type=_count("workers"),
        metavar="N",
        help="workers (default: all cores; for dask, of the local cluster)",
    )
    sweep.add_argument(
        "--executor",
        choices=EXECUTORS,
        help="where runs go: serial (this process), process (a pool; the default), dask",
    )
    sweep.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a dask.distributed scheduler, e.g. tcp://host:8786 (default with dask: a local "
        "cluster)",
    )
    sweep.add_argument(
        "--out", metavar="DIR", help="the sweep's folder (default: results/sweeps/<name>)"
    )
    analyze = commands.add_parser(
        "analyze", help="sensitivity indices and the plan's targets over a finished sweep"
    )
    analyze.add_argument("folder", help="the folder a sweep wrote")
    analyze.add_argument(
        "--method",
        choices=ANALYSES,
        help="default: sobol on a saltelli design, morris on a morris design, pawn on a grid, "
        "rbd_fast otherwise",
    )
    analyze.add_argument(
        "--format", choices=FORMATS, default="png", help="figure format (default: png)"
    )


def _normalise(argv: list[str]) -> list[str]:
    """`run.py` alone runs the default; `run.py SCENARIO ...` means `run.py run SCENARIO ...`."""
    if not argv:
        return ["run"]
    if argv[0] in COMMANDS or argv[0] in ("-h", "--help"):
        return argv
    return ["run", *argv]


def _pool(workers: int | None, jobs: int) -> AbstractContextManager[Any]:
    from simulation.experiments.runner import default_workers, make_executor

    executor = make_executor(workers or default_workers(jobs))
    return executor if executor is not None else nullcontext()


def _run(args: argparse.Namespace) -> Path:
    from simulation.experiments import replicate

    overrides = dict(parse_override(text) for text in args.overrides)
    scenario = load_scenario(args.scenario, overrides, origin="--set")
    count = args.replicates or scenario.replicates
    with _pool(args.workers, count) as executor:
        results = replicate(scenario, count, args.seed, executor)
    return results.write(args.out, fmt=args.format)


def _compare(args: argparse.Namespace) -> Path:
    from simulation.experiments import compare
    from simulation.experiments.compare import check_comparable

    scenarios = [load_scenario(path, origin="--set") for path in args.scenarios]
    check_comparable(scenarios)
    count = args.replicates or 10
    with _pool(args.workers, count * len(scenarios)) as executor:
        comparison = compare(scenarios, count, args.seed, executor)
    return comparison.write(args.out, fmt=args.format)


def _calibrate(args: argparse.Namespace) -> Path:
    from simulation.experiments.calibrate import calibrate, read_calibration
    from simulation.output import write_calibration

    scenario = load_scenario(args.scenario, origin="--set")
    spec_file = args.calibration or str(Path(args.scenario).with_name("calibration.toml"))
    spec = read_calibration(spec_file, scenario)

    def progress(evaluation: int, loss: float) -> None:
        if sys.stderr.isatty():
            print(f"\revaluation {evaluation}: loss {loss:.6g}", end="", file=sys.stderr)

    with _pool(args.workers, len(spec.seeds)) as executor:
        fit = calibrate(scenario, spec, executor, progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return write_calibration(fit, spec, args.scenario, args.out)


def _backcast(args: argparse.Namespace) -> Path:
    from simulation.experiments.calibrate import backcast
    from simulation.experiments.observations import read_observations
    from simulation.experiments.replicate import replicate_seeds
    from simulation.output import write_backcast

    scenario = load_scenario(args.scenario, origin="--set")
    path = args.observations or str(Path(args.scenario).with_name("observations.csv"))
    observations = read_observations(path, scenario.districts.names, args.last_year)
    seeds = replicate_seeds(scenario.seed, args.replicates)
    with _pool(args.workers, len(seeds)) as executor:
        result = backcast(scenario, observations, seeds, executor)
    return write_backcast(result, path, args.out)


def _sweep(args: argparse.Namespace) -> Path:
    from simulation.experiments.runner import default_workers, executor_for
    from simulation.experiments.sweep import execute, prepare
    from simulation.experiments.sweepfile import load_sweep

    kind = args.executor or ("dask" if args.scheduler else "process")
    if args.scheduler and kind != "dask":
        raise ScenarioError(
            "command line", "--scheduler", "--executor dask with a scheduler", f"--executor {kind}"
        )
    sweep = load_sweep(args.sweep)
    folder = Path(args.out) if args.out else Path("results") / "sweeps" / sweep.name
    plan = prepare(sweep, folder)
    words = ["python", "run.py", "sweep", args.sweep, "--out", str(folder)]
    if not plan.pending:  # finished already: no workers to start
        summary = execute(plan, command=shlex.join(words))
    else:
        workers = args.workers or default_workers(len(plan.pending))
        with executor_for(kind, workers, args.scheduler) as (executor, capacity):
            summary = execute(plan, executor, capacity=capacity, command=shlex.join(words))
    print(f"{sweep.name}: {summary.line()}", file=sys.stderr)
    return summary.folder


def _analyze(args: argparse.Namespace) -> Path:
    from simulation.experiments.analyze import analyze_folder

    return analyze_folder(args.folder, args.method, args.format)


COMMAND_FUNCTIONS = {
    "run": _run,
    "compare": _compare,
    "calibrate": _calibrate,
    "backcast": _backcast,
    "sweep": _sweep,
    "analyze": _analyze,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python run.py`; returns the exit status."""
    try:
        args = _parser().parse_args(_normalise(list(sys.argv[1:] if argv is None else argv)))
        folder = COMMAND_FUNCTIONS[args.command](args)
        print(folder)
        return 0
    except (ScenarioError, MissingExtraError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "interrupted: finished runs are kept; run the same command to resume", file=sys.stderr
        )
        return 130
    except OSError as exc:
        print(f"error: cannot write results: {exc}", file=sys.stderr)
        return 2
    except AccountError as exc:
        print(f"model error (please report): {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0

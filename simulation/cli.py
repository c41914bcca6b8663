"""The command line: argument parsing and exit codes; what each command does is in
`simulation.commands`.

    python run.py                                  # the Guangzhou default scenario
    python run.py run SCENARIO [--seed N] [--replicates R] [--set key.path=value ...]
    python run.py SCENARIO                         # shorthand for `run SCENARIO`
    python run.py compare A.toml B.toml [...] [--replicates R] [--seed N] [--workers N]
    python run.py calibrate SCENARIO [--calibration FILE]
    python run.py backcast [SCENARIO] [--observations FILE]
    python run.py sweep SWEEP.toml [--workers N] [--executor serial|process|dask]
                                   [--scheduler ADDRESS] [--out DIR]
    python run.py analyze SWEEP_FOLDER [--method sobol|morris|rbd_fast|pawn]
    python run.py reproduce RESULTS_FOLDER
    python run.py variables | params

Exit status: 0 success, 1 a model error (or, for reproduce, results that differ), 2 a mistake
in the input (one line on stderr, nothing written), 130 interrupted, 141 the reader of the
output went away (`run.py variables | head`): the status a shell reports for a program ended by
SIGPIPE, said quietly, as a Unix tool would.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any

from simulation import commands, numeric
from simulation.checks import MEMORY_VARIABLE
from simulation.errors import AccountError, MissingExtraError, ResourceError, ScenarioError
from simulation.experiments.analyze import METHODS as ANALYSES
from simulation.experiments.observations import LAST_FITTING_YEAR
from simulation.experiments.runner import EXECUTORS
from simulation.scenario import DEFAULT_SCENARIO as DEFAULT
from simulation.views import FORMATS

DEFAULT_SCENARIO = DEFAULT
COMMANDS = tuple(commands.COMMANDS)
DESCRIPTION = f"""\
Simulate how non-registered residents settle, district by district and year by year, and the
land the people-land linkage rule gives the districts for them.

Without a command, runs the Guangzhou default,
{DEFAULT.relative_to(DEFAULT.parents[2])}; `run.py SCENARIO` is short for `run.py run SCENARIO`.
"""
EPILOG = """\
exit status: 0 success; 1 a model error (please report it), or for `reproduce` results that
differ; 2 a mistake in the input (one line on stderr naming the file, key, what was expected and
what was found; nothing is written); 130 interrupted (Ctrl-C); 141 the reader of the output
went away (as in `run.py variables | head`; nothing is said).
"""
OUTPUT_CLOSED = 141  # 128 + SIGPIPE: what a shell reports for a tool its reader left


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


def _mib(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r} (MiB, a number)") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"invalid value {text!r} (MiB, more than 0)")
    return value


def _workers(parser: argparse.ArgumentParser, what: str = "runs") -> None:
    parser.add_argument(
        "--workers",
        type=_count("workers"),
        metavar="N",
        help=f"processes to run {what} in (default: all cores, at most one per run)",
    )


def _memory(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-memory",
        type=_mib,
        metavar="MIB",
        help="memory the runs may use, MiB (default: what the machine has free); a run that "
        "would need more is refused before it starts",
    )


def _out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="results", help="results root folder (default: results)")


def _common(parser: argparse.ArgumentParser, *, replicates_help: str) -> None:
    parser.add_argument("--seed", type=_seed, help="replace the scenario's seed")
    parser.add_argument(
        "--replicates", type=_count("replicates"), metavar="R", help=replicates_help
    )
    _workers(parser, "replicates")
    _out(parser)
    _memory(parser)
    parser.add_argument(
        "--format", choices=FORMATS, default="png", help="figure format (default: png)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="run.py",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"peopleland {_version()}")
    subcommands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    one = subcommands.add_parser("run", help="run one scenario and write its results folder")
    one.add_argument(
        "scenario",
        nargs="?",
        default=str(DEFAULT_SCENARIO),
        help="scenario TOML file (default: the Guangzhou plan)",
    )
    one.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a scenario value (TOML syntax), e.g. channels.points.quota=8000; repeat "
        "--set for more",
    )
    _common(
        one,
        replicates_help="replicates, seeds spawned from the seed (default: the "
        "scenario's `replicates`, else 1)",
    )
    many = subcommands.add_parser(
        "compare",
        help="run scenarios on the same replicate seeds and difference each against the first",
    )
    many.add_argument(
        "scenarios", nargs="+", help="scenario TOML files; the first is the reference"
    )
    _common(many, replicates_help="replicates per scenario (default: 10)")
    _calibration_parsers(subcommands)
    _sweep_parsers(subcommands)
    again = subcommands.add_parser(
        "reproduce",
        help="rerun a results folder from its manifest and say whether its tables match",
    )
    again.add_argument("folder", help="a folder written by run or compare")
    subcommands.add_parser("variables", help="list the published variables: name, unit, meaning")
    subcommands.add_parser(
        "params", help="list the scenario parameters: unit, default, sourced or assumed"
    )
    return parser


def _version() -> str:
    try:
        return metadata.version("peopleland")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _calibration_parsers(subcommands: Any) -> None:
    fit = subcommands.add_parser(
        "calibrate",
        help="fit a scenario's uncertain parameters to observed figures (up to "
        f"{LAST_FITTING_YEAR})",
    )
    fit.add_argument("scenario", help="scenario TOML file to fit")
    fit.add_argument(
        "--calibration",
        help="calibration file: parameters and ranges, observations, seeds (default: "
        "calibration.toml beside the scenario)",
    )
    _workers(fit, "the seeds' runs")
    _out(fit)
    _memory(fit)
    past = subcommands.add_parser(
        "backcast", help="run from an earlier base year and score the run on what was observed"
    )
    past.add_argument(
        "scenario",
        nargs="?",
        default=str(commands.DEFAULT_BACKCAST),
        help="scenario TOML file (default: Guangzhou from year-end 2015)",
    )
    past.add_argument(
        "--observations", help="observations CSV (default: observations.csv beside the scenario)"
    )
    past.add_argument(
        "--last-year",
        type=_count("last year"),
        default=LAST_FITTING_YEAR,
        help=f"the latest year an observation may have (default and at most: {LAST_FITTING_YEAR}; "
        "later figures are kept aside to test the model)",
    )
    past.add_argument(
        "--replicates",
        type=_count("replicates"),
        default=3,
        metavar="R",
        help="runs whose mean is scored (default: 3)",
    )
    _workers(past, "replicates")
    _out(past)
    _memory(past)


def _sweep_parsers(subcommands: Any) -> None:
    sweep = subcommands.add_parser(
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
    _memory(sweep)
    analyze = subcommands.add_parser(
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
    if argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version"):
        return argv
    return ["run", *argv]


def _interrupted(command: str) -> str:
    if command == "sweep":
        return "interrupted: finished runs are kept; run the same command to resume"
    return "interrupted; nothing written"


def _discard_output() -> None:
    """Point the standard output at the null device, so that what is still buffered for the
    closed pipe does not fail again when Python flushes it at exit (the Python docs' note on
    SIGPIPE)."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file, e.g. captured by a test
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)


def _flushed(status: int) -> int:
    """`status` once the output is out, or 141 if its reader has gone by then (output that fits
    in the buffer meets the closed pipe only here)."""
    try:
        commands.flush()
    except commands.OutputClosed:
        _discard_output()
        return OUTPUT_CLOSED
    return status


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python run.py`; returns the exit status."""
    command = "run"
    memory = os.environ.get(MEMORY_VARIABLE)
    try:
        args = _parser().parse_args(_normalise(list(sys.argv[1:] if argv is None else argv)))
        command = args.command
        numeric.cores()  # the environment's PEOPLELAND_THREADS, checked before any work
        if getattr(args, "max_memory", None):  # for this process and the workers it starts
            os.environ[MEMORY_VARIABLE] = str(args.max_memory)
        folder = commands.COMMANDS[command](args)
        if folder is not None:
            commands.say(folder)
        return _flushed(0)
    except (ScenarioError, MissingExtraError, ResourceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(_interrupted(command), file=sys.stderr)
        return 130
    except commands.OutputClosed:
        _discard_output()
        return OUTPUT_CLOSED
    except OSError as exc:
        print(f"error: cannot write results: {exc}", file=sys.stderr)
        return 2
    except AccountError as exc:
        print(f"model error (please report): {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:  # --help, --version, a reproduction that differs
        return _flushed(exc.code if isinstance(exc.code, int) else 0)
    finally:
        if memory is None:
            os.environ.pop(MEMORY_VARIABLE, None)
        else:
            os.environ[MEMORY_VARIABLE] = memory

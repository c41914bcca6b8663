"""The command line: argument parsing, exit codes and file names; nothing else.

    python run.py                                  # the Guangzhou default scenario
    python run.py run SCENARIO [--seed N] [--set key.path=value ...] [--out DIR]
    python run.py SCENARIO                         # shorthand for `run SCENARIO`

Exit status: 0 success, 2 a user error (one line on stderr), 1 anything else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulation.api import run
from simulation.errors import AccountError, ScenarioError
from simulation.scenario import load_scenario, parse_override

DEFAULT_SCENARIO = (
    Path(__file__).resolve().parents[1] / "scenarios" / "guangzhou" / "plan_2017.toml"
)
COMMANDS = ("run",)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ScenarioError("command line", self.prog, "valid arguments (see --help)", message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="run.py", description="Simulate settlement and people-land linkage.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    one = commands.add_parser("run", help="run one scenario and write its results folder")
    one.add_argument(
        "scenario", nargs="?", default=str(DEFAULT_SCENARIO), help="scenario TOML file"
    )
    one.add_argument("--seed", type=_seed, help="replace the scenario's seed")
    one.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a scenario value (TOML syntax), e.g. channels.points.quota=8000",
    )
    one.add_argument("--out", default="results", help="results root folder (default: results)")
    return parser


def _seed(text: str) -> int:
    """`--seed`: a non-negative integer, as numpy's generators need."""
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"invalid value {text!r} (a non-negative integer)")
    return int(text)


def _normalise(argv: list[str]) -> list[str]:
    """`run.py` alone runs the default; `run.py SCENARIO ...` means `run.py run SCENARIO ...`."""
    if not argv:
        return ["run"]
    if argv[0] in COMMANDS or argv[0] in ("-h", "--help"):
        return argv
    return ["run", *argv]


def _run(args: argparse.Namespace) -> int:
    overrides = dict(parse_override(text) for text in args.overrides)
    scenario = load_scenario(args.scenario, overrides, origin="--set")
    results = run(scenario, seed=args.seed)
    folder = results.write(args.out)
    print(folder)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python run.py`; returns the exit status."""
    try:
        args = _parser().parse_args(_normalise(list(sys.argv[1:] if argv is None else argv)))
        return _run(args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write results: {exc}", file=sys.stderr)
        return 2
    except AccountError as exc:
        print(f"model error (please report): {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0

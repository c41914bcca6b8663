"""What a finished sweep says: sensitivity indices per outcome (SALib), and which levers meet
the plan's targets (the share of runs meeting each, and the parameter ranges where they are met).

Replicates are averaged per design point before the sensitivity analysis (failed runs are left
out of the mean): the indices describe how the expected outcome depends on the parameters. The
analysis reads the unit coordinates of the design (design.csv), the coordinates SALib's
samplers drew, so every method sees each parameter on [0, 1].

Methods: `sobol` (first-order S1 and total ST, with 95 % intervals; a saltelli design),
`morris` (mu* with its 95 % interval, and sigma; a morris design), and two that take any
sample: `rbd_fast` (S1 with its interval; the default for Latin hypercubes and Sobol'
sequences) and `pawn` (median and maximum Kolmogorov-Smirnov distance; the default for grids,
where the ties of a grid's levels defeat RBD-FAST's ordering).

An index whose 95 % interval covers zero cannot be told from the noise of a finite design
(and, with per-run seeds, of the draws): analysis.md leaves it out of the most influential
parameters and lists it apart; sensitivity.csv keeps every index with its interval.

Where targets are met (scenario discovery) is found by PRIM peeling: starting from every design
point, peel 5 % of the points in the box off one end of one parameter at a time, each time the
peel that leaves the highest share of runs meeting the target, until the box holds 5 % of the
points. The box reported is the densest on that path that still holds at least half of all
the target-meeting runs (coverage >= 0.5), with the parameter ranges it restricts.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulation.errors import ScenarioError
from simulation.experiments.design import salib_problem
from simulation.experiments.extras import require
from simulation.experiments.store import (
    DESIGN,
    RUNS,
    SweepStore,
    read_runs,
    write_atomic,
    write_rows,
)
from simulation.names import CITY

METHODS = ("sobol", "morris", "rbd_fast", "pawn")
DESIGN_METHOD = {"sobol": "saltelli", "morris": "morris"}  # methods that need their own design
DEFAULTS = {"saltelli": "sobol", "morris": "morris", "grid": "pawn"}  # else rbd_fast
INDICES = {
    "sobol": ("S1", "ST"),
    "morris": ("mu_star", "sigma"),
    "rbd_fast": ("S1",),
    "pawn": ("median", "maximum"),
}
COLUMNS = ("method", "outcome", "variable", "district", "parameter", "index", "value", "conf")
TARGET_COLUMNS = (
    "target",
    "outcome",
    "runs",
    "met",
    "share_met",
    "box_points",
    "coverage",
    "density",
)
RANGE_COLUMNS = ("target", "parameter", "low", "high", "levels")
CONF_LEVEL = 0.95
PEEL = 0.05
MIN_MASS = 0.05
MIN_COVERAGE = 0.5


def default_method(design: str) -> str:
    """The method a design supports best."""
    return DEFAULTS.get(design, "rbd_fast")


def check_method(method: str, design: str) -> None:
    if method not in METHODS:
        raise ScenarioError("command line", "--method", f"one of {list(METHODS)}", method)
    needed = DESIGN_METHOD.get(method)
    if needed is not None and design != needed:
        raise ScenarioError(
            "command line",
            "--method",
            f"a method this {design} design supports ({method} needs a {needed} design; "
            f"rbd_fast and pawn take any design)",
            method,
        )


# --- reading a sweep folder -------------------------------------------------------------------


@dataclass(frozen=True)
class SweepData:
    """A finished sweep: its manifest, design and per-point outcome means."""

    info: dict[str, Any]
    labels: tuple[str, ...]  # parameter columns
    unit: np.ndarray  # points x parameters, the design's coordinates
    values: tuple[tuple[str, ...], ...]  # points x parameters, as written in design.csv
    outcomes: tuple[dict[str, Any], ...]
    means: np.ndarray  # points x outcomes, over the replicates that ran
    runs: int
    failed: int
    met: np.ndarray  # outcomes: runs whose value is >= 0.5 (for the targets' flags)
    counted: np.ndarray  # outcomes: runs with a value

    @property
    def design(self) -> str:
        return str(self.info["design"]["method"])


def read_sweep(folder: str | Path) -> SweepData:
    """Read a finished sweep folder, averaging each point's replicates as it streams runs.csv."""
    store = SweepStore(folder)
    info = store.manifest()
    if info is None or info.get("kind") != "sweep":
        raise ScenarioError(
            folder, "sweep.json", "a sweep folder (python run.py sweep ...)", "none"
        )
    runs_path = store.folder / RUNS
    if not runs_path.is_file():
        done = len(store.done())
        raise ScenarioError(
            folder,
            RUNS,
            f"a finished sweep: run `{info.get('command') or 'python run.py sweep'}` to finish it",
            f"{done} of {info['runs']} runs done",
        )
    labels = tuple(p["name"] for p in info["parameters"])
    unit, values = _read_design(store.folder / DESIGN, labels)
    outcomes = tuple(info["outcomes"])
    names = [o["name"] for o in outcomes]
    sums = np.zeros((len(unit), len(names)))
    counts = np.zeros((len(unit), len(names)))
    met = np.zeros(len(names))
    runs = failed = 0
    for row in read_runs(runs_path):
        runs += 1
        if row["status"] != "ok":
            failed += 1
            continue
        point = int(row["point"])
        y = np.array([float(row[n]) for n in names])
        finite = np.isfinite(y)
        sums[point, finite] += y[finite]
        counts[point, finite] += 1
        met += finite & (y >= 0.5)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return SweepData(
        info, labels, unit, values, outcomes, means, runs, failed, met, counts.sum(axis=0)
    )


def _read_design(
    path: Path, labels: Sequence[str]
) -> tuple[np.ndarray, tuple[tuple[str, ...], ...]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    unit = np.array([[float(r[f"u:{label}"]) for label in labels] for r in rows]).reshape(
        len(rows), len(labels)
    )
    return unit, tuple(tuple(r[label] for label in labels) for r in rows)


# --- sensitivity indices ----------------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    parameter: str
    index: str
    value: float
    conf: float  # half-width of the 95 % interval; NaN where the method gives none


def indices(
    method: str,
    unit: np.ndarray,
    y: np.ndarray,
    names: Sequence[str],
    *,
    second_order: bool = False,
    levels: int = 4,
    seed: int = 0,
) -> list[Index]:
    """Sensitivity indices of outcome `y` (one value per design point) to each parameter,
    by `method` over the design's unit coordinates."""
    problem = salib_problem(names)
    module = require(f"SALib.analyze.{method}", "sweep", "sensitivity analysis")
    quiet = io.StringIO()
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stdout(quiet):
        warnings.simplefilter("ignore")  # SALib's notes on small samples; NaNs say the rest
        if method == "sobol":
            result = module.analyze(
                problem, y, calc_second_order=second_order, conf_level=CONF_LEVEL, seed=seed
            )
        elif method == "morris":
            result = module.analyze(
                problem, unit, y, num_levels=levels, conf_level=CONF_LEVEL, seed=seed
            )
        elif method == "rbd_fast":
            harmonics = min(10, (len(y) - 1) // 5)
            result = module.analyze(problem, unit, y, M=harmonics, conf_level=CONF_LEVEL, seed=seed)
        else:
            result = module.analyze(problem, unit, y, S=min(10, max(2, len(y) // 5)), seed=seed)
    out = []
    for name_index, name in enumerate(names):
        for index in INDICES[method]:
            conf = result.get(f"{index}_conf")
            out.append(
                Index(
                    name,
                    index,
                    float(result[index][name_index]),
                    math.nan if conf is None else float(conf[name_index]),
                )
            )
    return out


def _usable(method: str, unit: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """The points an outcome can be analysed on, or the reason it cannot."""
    finite = np.isfinite(y)
    if method in DESIGN_METHOD:
        if not finite.all():
            return (
                unit,
                y,
                f"{int((~finite).sum())} design points have no value ({method} needs all)",
            )
    else:
        unit, y = unit[finite], y[finite]
    if len(y) < (11 if method == "rbd_fast" else 4):
        return unit, y, f"too few design points with a value ({len(y)})"
    if np.ptp(y) == 0:
        return unit, y, "the same in every run: nothing to attribute"
    return unit, y, ""


# --- where targets are met --------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A box of design points (in unit coordinates) and how well it captures a target."""

    inside: np.ndarray  # points: in the box
    coverage: float  # share of all target-meeting runs that are in the box
    density: float  # share of the box's runs meeting the target


def prim(unit: np.ndarray, y: np.ndarray) -> Box | None:
    """The PRIM box of the points where `y` (a share in [0, 1]) is high; None if never met."""
    total = float(y.sum())
    if total <= 0:
        return None
    n = len(y)
    inside = np.ones(n, dtype=bool)
    best = Box(inside, 1.0, float(y.mean()))
    while inside.sum() > MIN_MASS * n and best.density < 1:
        peel = _best_peel(unit, y, inside)
        if peel is None:
            break
        inside = peel
        box = Box(inside, float(y[inside].sum()) / total, float(y[inside].mean()))
        if box.coverage < MIN_COVERAGE:
            break
        if box.density > best.density:
            best = box
    return best


def _best_peel(unit: np.ndarray, y: np.ndarray, inside: np.ndarray) -> np.ndarray | None:
    best: tuple[float, int] | None = None
    chosen = None
    for j in range(unit.shape[1]):
        xs = unit[inside, j]
        for keep in (
            inside & (unit[:, j] > np.quantile(xs, PEEL)),
            inside & (unit[:, j] < np.quantile(xs, 1 - PEEL)),
        ):
            count = int(keep.sum())
            if count == 0 or count == int(inside.sum()):
                continue
            score = (float(y[keep].mean()), count)
            if best is None or score > best:
                best, chosen = score, keep
    return chosen


def _ranges(data: SweepData, box: Box) -> Iterator[tuple[str, str, str, str]]:
    """(parameter, low, high, levels) of each parameter the box restricts."""
    for j, label in enumerate(data.labels):
        column = data.unit[:, j]
        inside = column[box.inside]
        if inside.min() <= column.min() and inside.max() >= column.max():
            continue
        kept = [data.values[i][j] for i in np.flatnonzero(box.inside)]
        try:
            numbers = [float(v) for v in kept]
        except ValueError:
            yield label, "", "", " ".join(sorted(set(kept)))
            continue
        yield label, repr(min(numbers)), repr(max(numbers)), ""


# --- the whole analysis -----------------------------------------------------------------------


def analyze_folder(folder: str | Path, method: str | None = None, fmt: str = "png") -> Path:
    """Write sensitivity.csv, targets.csv, target_ranges.csv, analysis.md and figures into a
    finished sweep folder; return the folder."""
    data = read_sweep(folder)
    chosen = method or default_method(data.design)
    check_method(chosen, data.design)
    require(f"SALib.analyze.{chosen}", "sweep", "sensitivity analysis")
    design = data.info["design"]
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for j, outcome in enumerate(data.outcomes):
        unit, y, problem = _usable(chosen, data.unit, data.means[:, j])
        if problem:
            notes.append(f"{outcome['name']}: not analysed, {problem}")
            continue
        for ix in indices(
            chosen,
            unit,
            y,
            data.labels,
            second_order=bool(design.get("second_order", False)),
            levels=int(design.get("levels", 4)),
            seed=int(design.get("seed", 0)),
        ):
            rows.append(
                {
                    "method": chosen,
                    "outcome": outcome["name"],
                    "variable": outcome["variable"],
                    "district": outcome["district"],
                    "parameter": ix.parameter,
                    "index": ix.index,
                    "value": ix.value,
                    "conf": ix.conf,
                }
            )
    target_rows, range_rows = _targets(data)
    root = Path(folder)
    write_rows(root / "sensitivity.csv", COLUMNS, ([_text(r[c]) for c in COLUMNS] for r in rows))
    write_rows(root / "targets.csv", TARGET_COLUMNS, target_rows)
    write_rows(root / "target_ranges.csv", RANGE_COLUMNS, range_rows)
    text = _report(data, chosen, rows, notes, target_rows, range_rows)
    write_atomic(root / "analysis.md", lambda p: p.write_text(text, encoding="utf-8"))
    _figures(root / "figures", rows, data, fmt)
    return root


def _text(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else format(value, ".6g")
    return str(value)


def _targets(data: SweepData) -> tuple[list[list[str]], list[list[str]]]:
    targets: list[list[str]] = []
    ranges: list[list[str]] = []
    for j, outcome in enumerate(data.outcomes):
        variable = outcome["variable"]
        if not (variable.startswith("target_") and variable.endswith("_met")):
            continue
        target = variable.removeprefix("target_").removesuffix("_met")
        runs, met = int(data.counted[j]), int(data.met[j])
        share = met / runs if runs else math.nan
        y = data.means[:, j]
        finite = np.isfinite(y)
        box = prim(data.unit[finite], y[finite]) if runs else None
        stats = ["", "", ""]
        if box is not None:
            stats = [str(int(box.inside.sum())), f"{box.coverage:.3f}", f"{box.density:.3f}"]
            full = np.zeros(len(y), dtype=bool)
            full[np.flatnonzero(finite)[box.inside]] = True
            placed = Box(full, box.coverage, box.density)
            ranges.extend([target, *r] for r in _ranges(data, placed))
        targets.append([target, outcome["name"], str(runs), str(met), _text(share), *stats])
    return targets, ranges


def _report(
    data: SweepData,
    method: str,
    rows: list[dict[str, Any]],
    notes: list[str],
    targets: list[list[str]],
    ranges: list[list[str]],
) -> str:
    info = data.info
    replicates = info["replicates"]
    lines = [
        f"# Sweep {info['name']}: what the outcomes depend on",
        "",
        f"{info['runs']} runs: {info['points']} design points ({data.design}) x {replicates} "
        f"replicate(s); {data.failed} failed. Method: {method}. Replicates were averaged per "
        "design point before the analysis (failed runs left out of the mean), so the indices "
        "describe the expected outcome. Indices and their 95 % half-intervals are in "
        "sensitivity.csv.",
        "",
        "## Most influential parameters",
        "",
        _rule(method),
        "",
        "| outcome | parameter | " + " | ".join(INDICES[method]) + " |",
        "|---|---|" + "---|" * len(INDICES[method]),
    ]
    table, noise = _influential(method, rows)
    lines += table
    if noise:
        lines += [
            "",
            f"## Left out as noise ({main_index(method)} interval covers zero)",
            "",
            *(f"- {parameter}: {', '.join(outcomes)}" for parameter, outcomes in noise.items()),
        ]
    if notes:
        lines += ["", "## Not analysed", "", *(f"- {n}" for n in notes)]
    if targets:
        lines += [
            "",
            "## The plan's targets",
            "",
            "Share of runs meeting each target in the target year, and the PRIM box of "
            f"parameter ranges where it is met (the densest box keeping at least "
            f"{MIN_COVERAGE:.0%} of the runs that meet it; see analyze.py).",
            "",
            "| target | runs | met | share | box points | coverage | density |",
            "|---|---|---|---|---|---|---|",
            *(f"| {t[0]} | {t[2]} | {t[3]} | {t[4]} | {t[5]} | {t[6]} | {t[7]} |" for t in targets),
        ]
        if ranges:
            lines += ["", "| target | parameter | from | to | levels |", "|---|---|---|---|---|"]
            lines += [f"| {' | '.join(r)} |" for r in ranges]
    return "\n".join(lines) + "\n"


def _key(value: float | None) -> float:
    return -math.inf if value is None or math.isnan(value) else value


def main_index(method: str) -> str:
    """The index parameters are ranked by: total ST for Sobol', else the method's first."""
    return INDICES[method][-1] if method == "sobol" else INDICES[method][0]


def covers_zero(value: float, conf: float) -> bool:
    """Whether an index's 95 % interval (value ± conf) covers zero: no influence told from
    noise. An index without an interval (PAWN) is taken as it is."""
    if math.isnan(conf):
        return False
    return not abs(value) > conf  # a NaN value tells nothing either


def _interval(pair: tuple[float, float]) -> str:
    value, conf = pair
    return _text(value) if math.isnan(conf) else f"{_text(value)} ± {_text(conf)}"


def _rule(method: str) -> str:
    """How the table below chooses its parameters, said in analysis.md."""
    main = main_index(method)
    if method == "pawn":
        return (
            f"The three parameters with the largest {main} per outcome. PAWN gives no interval, "
            "so noise cannot be told from influence here: read small indices with care."
        )
    return (
        f"Per outcome, the three parameters with the largest {main} whose 95 % interval "
        "excludes zero (value ± half-interval). An index whose interval covers zero cannot be "
        "told from the noise of the design (and, with per-run seeds, of the draws): it is left "
        "out here, listed below, and kept in sensitivity.csv."
    )


def _influential(method: str, rows: list[dict[str, Any]]) -> tuple[list[str], dict[str, list[str]]]:
    """Table rows of the most influential parameters per outcome, and the indices left out as
    noise (parameter -> outcomes with their interval)."""
    main = main_index(method)
    lines: list[str] = []
    noise: dict[str, list[str]] = {}
    for outcome in dict.fromkeys(r["outcome"] for r in rows):
        by_parameter: dict[str, dict[str, tuple[float, float]]] = {}
        for r in rows:
            if r["outcome"] == outcome:
                by_parameter.setdefault(r["parameter"], {})[r["index"]] = (r["value"], r["conf"])
        ranked = sorted(by_parameter.items(), key=lambda kv: -_key(kv[1][main][0]))
        kept = []
        for parameter, values in ranked:
            if covers_zero(*values[main]):
                noise.setdefault(parameter, []).append(f"{outcome} ({_interval(values[main])})")
            else:
                kept.append((parameter, values))
        for parameter, values in kept[:3]:
            cells = " | ".join(_interval(values[index]) for index in INDICES[method])
            lines.append(f"| {outcome} | {parameter} | {cells} |")
        if not kept:
            blank = " |" * len(INDICES[method])
            lines.append(f"| {outcome} | none distinguishable from noise |{blank}")
    return lines, noise


def _figures(folder: Path, rows: list[dict[str, Any]], data: SweepData, fmt: str) -> None:
    if not rows:
        return
    from simulation.views import sensitivity

    folder.mkdir(exist_ok=True)

    def draw(plot: Any, what: Any, **options: Any) -> Callable[[Path], None]:
        return lambda path: sensitivity.save(plot, rows, what, path=path, fmt=fmt, **options)

    for outcome in dict.fromkeys(r["outcome"] for r in rows):
        write_atomic(
            folder / f"sensitivity-{outcome}.{fmt}", draw(sensitivity.plot_indices, outcome)
        )
    for family, members in _district_families(data).items():
        write_atomic(
            folder / f"districts-{family}.{fmt}",
            draw(sensitivity.plot_districts, members, title=family),
        )


def _district_families(data: SweepData) -> dict[str, list[str]]:
    """Outcomes of one variable and year (or aggregate) in two or more districts."""
    families: dict[str, list[str]] = {}
    for o in data.outcomes:
        if o["district"] == CITY:
            continue
        when = o["name"].rsplit(".", 1)[1]
        families.setdefault(f"{o['variable']}.{when}", []).append(o["name"])
    return {k: v for k, v in families.items() if len(v) > 1}

"""Writing a results folder atomically: tables, manifest, figures and reports."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shlex
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulation.api import manifest
from simulation.experiments.calibrate import Backcast, Calibration, Fit
from simulation.experiments.observations import Residual, scored
from simulation.names import CITY
from simulation.results import LongTable, checksum, jsonable, summarize, to_json
from simulation.scenario import toml_value, written_value

if TYPE_CHECKING:
    from simulation.api import Results
    from simulation.experiments.compare import Comparison

Writer = Callable[[Path], None]


def write_folder(target: Path, writers: dict[str, Writer]) -> Path:
    """Write a results folder atomically: into a temporary sibling, renamed when complete.

    `writers` maps a file name to a function writing that file at the given path. If the
    target exists, a numbered suffix is added rather than overwriting a finished run.
    """
    made = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    final = _free_name(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a results folder is for sharing
    try:
        for name, write in writers.items():
            write(staging / name)
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:  # deepest first: leave no empty folder this call made
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return final


def _free_name(target: Path) -> Path:
    candidate, n = target, 1
    while candidate.exists():
        n += 1
        candidate = target.with_name(f"{target.name}-{n}")
    return candidate


def write_text(text: str) -> Writer:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write


def overrides_tag(overrides: dict[str, Any]) -> str:
    """A short, stable tag of a set of overrides, so such a run's id differs from the plain
    scenario's and from other overrides'."""
    text = json.dumps(jsonable(overrides), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _stamp() -> str:
    """The UTC time now, as folder names carry it: `20240131-235959`."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def run_id(manifest: dict[str, Any]) -> str:
    """`<UTC time>-seed<seed>`, then `-r<replicates>` and `-set<tag>` where they apply."""
    parts = [f"{_stamp()}-seed{manifest['seed']}"]
    if len(manifest["replicates"]) > 1:
        parts.append(f"r{len(manifest['replicates'])}")
    if manifest.get("overrides"):
        parts.append(f"set{overrides_tag(manifest['overrides'])}")
    return "-".join(parts)


def _tables(table: LongTable, manifest: dict[str, Any]) -> dict[str, Writer]:
    """The time series, their summary over replicates and the manifest."""
    return {
        "timeseries.csv": write_text(table.to_csv()),
        "summary.csv": write_text(summarize(table).to_csv()),
        "manifest.json": write_text(to_json(manifest)),
    }


def write_results(
    results: Results, root: str | Path, folder_id: str | None = None, fmt: str = "png"
) -> Path:
    """Write `root/<scenario>/<run id>/`: time series, summary, manifest, figures, report."""
    from simulation import views

    table, manifest = results.table, results.manifest
    writers = {**_tables(table, manifest), **views.run_files(table, manifest, fmt)}
    folder = Path(root) / results.scenario.name / (folder_id or run_id(manifest))
    return write_folder(folder, writers)


def write_comparison(
    comparison: Comparison, root: str | Path, folder_id: str | None = None, fmt: str = "png"
) -> Path:
    """Write `root/comparisons/<first>-vs-<others>/<id>/`: the paired differences, every run's
    time series and their summary, the manifest, figures and the report."""
    from simulation import views

    table, manifest = comparison.table, comparison.manifest
    writers = {
        "comparison.csv": write_text(comparison.differences.to_csv()),
        **_tables(table, manifest),
        **views.comparison_files(table, comparison.differences, manifest, fmt),
    }
    names = [s.name for s in comparison.scenarios]
    label = f"{names[0]}-vs-{'-'.join(names[1:])}"
    if len(label) > 120:  # keep the folder name within what file systems take
        label = f"{names[0]}-vs-{len(names) - 1}-scenarios-{overrides_tag({'n': names})}"
    folder = Path(root) / "comparisons" / label / (folder_id or run_id(manifest))
    return write_folder(folder, writers)


# --- calibration and back-casting ------------------------------------------------------------


def residual_rows(rows: list[Residual]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        (
            "variable",
            "district",
            "year",
            "measure",
            "observed",
            "modelled",
            "error",
            "relative_error",
            "weight",
            "source",
        )
    )
    for r in rows:
        o = r.observation
        writer.writerow(
            (
                o.variable,
                o.district,
                o.year,
                o.measure,
                format(o.value, ".10g"),
                format(r.modelled, ".10g"),
                format(r.error, ".10g"),
                format(r.relative, ".6g"),
                format(o.weight, "g"),
                o.source,
            )
        )
    return buffer.getvalue()


def _residual_table(rows: list[Residual]) -> list[str]:
    lines = [
        "| observed | year | measure | observed value | modelled | error | error % |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        o = r.observation
        where = "" if o.district == CITY else f" ({o.district})"
        lines.append(
            f"| {o.variable}{where} | {o.year} | {o.measure} | {_figure(o.value)} | "
            f"{_figure(r.modelled)} | {_figure(r.error, sign=True)} | {100 * r.relative:+.2f} |"
        )
    return lines


def _figure(value: float, sign: bool = False) -> str:
    """Whole numbers with thousands separated; small ones (rates) to four figures."""
    plus = "+" if sign else ""
    return f"{value:{plus},.0f}" if abs(value) >= 1000 else f"{value:{plus}.4g}"


def fitted_toml(fit: Fit, spec: Calibration, scenario_file: str, folder: Path) -> str:
    """A scenario file extending the input with the fitted values and their provenance."""
    nested: dict[str, Any] = {}
    for field in dict.fromkeys(p.field for p in spec.parameters):
        # The whole value of each field fitted: a year series keeps the years not fitted.
        node = nested
        parts = field.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _rounded(written_value(fit.scenario, field))
    years = sorted({o.year for o in scored(spec.observations, fit.scenario.base_year)})
    note = (
        f"calibrated: fitted to {len(fit.residuals)} observations {years[0]}-{years[-1]} "
        f"(loss {fit.start_loss:.4g} -> {fit.loss:.4g}) by python run.py calibrate "
        f"{Path(scenario_file).name} --calibration {Path(spec.file).name}"
    )
    lines = [
        f"# Fitted by `python run.py calibrate {scenario_file} --calibration {spec.file}`,",
        f"# {len(fit.evaluations)} evaluations with seeds {list(spec.seeds)}; "
        f"loss {fit.start_loss:.6g} -> {fit.loss:.6g}.",
        f"extends = {json.dumps(os.path.relpath(Path(scenario_file).resolve(), folder.resolve()))}",
        "",
    ]
    lines += _toml_tables(nested, [])
    lines += ["[provenance]"]
    for field in dict.fromkeys(p.field for p in spec.parameters):
        lines.append(f"{json.dumps(field)} = {json.dumps(note, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def _rounded(value: Any) -> Any:
    """Fitted numbers to six decimals, in a table or alone."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return round(value, 6) if isinstance(value, float) else value


def _toml_tables(node: dict[str, Any], prefix: list[str]) -> list[str]:
    values = {k: v for k, v in node.items() if not isinstance(v, dict)}
    out = []
    if values:
        if prefix:
            out.append("[" + ".".join(_key(p) for p in prefix) + "]")
        out += [f"{_key(k)} = {toml_value(v)}" for k, v in values.items()]
        out.append("")
    for k, v in node.items():
        if isinstance(v, dict):
            out += _toml_tables(v, [*prefix, k])
    return out


def _key(key: str) -> str:
    return key if key.replace("_", "").isalnum() and not key.isdigit() else json.dumps(key)


def write_calibration(fit: Fit, spec: Calibration, scenario_file: str, root: str | Path) -> Path:
    """Write `root/calibrations/<scenario>/<id>/`: the fitted scenario file, the residuals,
    every evaluation, the record of the fit and a report."""
    folder = Path(root) / "calibrations" / fit.scenario.name / _stamp()
    evaluations = io.StringIO()
    writer = csv.writer(evaluations, lineterminator="\n")
    keys = [p.key for p in spec.parameters]
    writer.writerow(["evaluation", *keys, "loss"])
    for i, (values, value) in enumerate(fit.evaluations, start=1):
        writer.writerow([i, *(format(values[k], ".10g") for k in keys), format(value, ".10g")])
    record = {
        "kind": "calibration",
        "scenario": scenario_file,
        "calibration": spec.file,
        "method": spec.method,
        "seeds": list(spec.seeds),
        "persons_per_agent": spec.persons_per_agent,
        "parameters": [
            {
                "key": p.key,
                "low": p.low,
                "high": p.high,
                "start": fit.start[p.key],
                "fitted": fit.values[p.key],
            }
            for p in spec.parameters
        ],
        "loss": {"start": fit.start_loss, "fitted": fit.loss},
        "evaluations": len(fit.evaluations),
        "converged": fit.converged,
        "message": fit.message,
        "wall_seconds": round(fit.wall_seconds, 3),
    }
    report = [
        f"# Calibration of {fit.scenario.name}",
        "",
        f"{len(fit.evaluations)} evaluations ({spec.method}, seeds {list(spec.seeds)}, "
        f"{spec.persons_per_agent or fit.scenario.persons_per_agent} persons per agent); "
        f"loss (weighted mean squared relative error) {fit.start_loss:.4g} at the start, "
        f"{fit.loss:.4g} fitted. The optimizer {'converged' if fit.converged else 'stopped'}: "
        f"{fit.message}",
        "",
        "| parameter | range | start | fitted |",
        "|---|---|---|---|",
        *(
            f"| `{p.key}` | {p.low:g}-{p.high:g} | {fit.start[p.key]:.6g} | "
            f"{fit.values[p.key]:.6g} |"
            for p in spec.parameters
        ),
        "",
        "## Residuals of the fitted scenario",
        "",
        *_residual_table(fit.residuals),
        "",
        "`fitted.toml` extends the scenario with the fitted values and says how they were had.",
        "",
    ]
    writers = {
        "fitted.toml": write_text(fitted_toml(fit, spec, scenario_file, folder)),
        "residuals.csv": write_text(residual_rows(fit.residuals)),
        "evaluations.csv": write_text(evaluations.getvalue()),
        "calibration.json": write_text(to_json(record)),
        "report.md": write_text("\n".join(report)),
    }
    return write_folder(folder, writers)


def backcast_summary(result: Backcast) -> list[str]:
    """Markdown: every observation, then MAPE and mean signed error per indicator and year."""
    lines = [
        *_residual_table(result.residuals),
        "",
        "| indicator | MAPE % | mean signed error % |",
        "|---|---|---|",
    ]
    for variable, district, mape, signed in result.by_indicator():
        where = "" if district == CITY else f" ({district})"
        lines.append(f"| {variable}{where} | {mape:.2f} | {signed:+.2f} |")
    lines += ["", "| year | MAPE % | mean signed error % |", "|---|---|---|"]
    for year in sorted({r.observation.year for r in result.residuals}):
        rows = [r for r in result.residuals if r.observation.year == year]
        mape = 100 * sum(abs(r.relative) for r in rows) / len(rows)
        signed = 100 * sum(r.relative for r in rows) / len(rows)
        lines.append(f"| {year} | {mape:.2f} | {signed:+.2f} |")
    return lines


def write_backcast(result: Backcast, observations: str, root: str | Path) -> Path:
    """Write `root/backcasts/<scenario>/<id>/`: the scores, a report and the time series."""
    s = result.scenario
    folder = Path(root) / "backcasts" / s.name / _stamp()
    fitted = [key for key, text in s.provenance if text.startswith("calibrated:")]
    report = [
        f"# Back-cast of {s.name}: {s.base_year} to {s.horizon}",
        "",
        f"The model started from year-end {s.base_year} and run to {s.horizon}, "
        f"{len(result.table.runs)} runs (their mean is scored), against {observations}. Relative "
        "errors are of the observed level; for a `change` observation, of the observed change "
        "since the base year.",
        "",
        *(
            [
                f"In sample: {', '.join(f'`{key}`' for key in fitted)} were fitted to observations "
                "of these years (see the scenario's provenance), so these errors show how well "
                "the fit holds, not how well the model predicts.",
                "",
            ]
            if fitted
            else []
        ),
        *backcast_summary(result),
        "",
    ]
    info = manifest(s, list(enumerate(result.seeds)), 0.0)
    years = [r.observation.year for r in result.residuals]
    info.update(
        kind="backcast",
        observations=str(Path(observations).resolve()),
        last_year=max(years, default=s.horizon),
        command=shlex.join(
            [
                "python",
                "run.py",
                "backcast",
                info["scenario_file"],
                "--observations",
                observations,
                "--replicates",
                str(len(result.seeds)),
            ]
        ),
    )
    info["inputs"][info["observations"]] = checksum(Path(observations))
    writers = {
        "backcast.csv": write_text(residual_rows(result.residuals)),
        "timeseries.csv": write_text(result.table.to_csv()),
        "report.md": write_text("\n".join(report)),
        "manifest.json": write_text(to_json(info)),
    }
    return write_folder(folder, writers)

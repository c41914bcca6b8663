"""Sweep files (TOML): a base scenario, the parameters swept, the design, replicates, outcomes.

Checked like scenario files: a mistake raises one ScenarioError naming the sweep file, the
key, what was expected and what was found. See the README's "Sweeps" section for the format.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from simulation.config import Scenario
from simulation.errors import ScenarioError
from simulation.experiments.design import (
    DISTRIBUTIONS,
    METHODS,
    DesignSpec,
    Kind,
    Parameter,
    check_design,
    normal_mass,
    point_values,
    size,
)
from simulation.experiments.replicate import int64_seed, replicate_seeds
from simulation.names import CITY
from simulation.outcomes import AGGREGATES, Outcome, headlines
from simulation.results import jsonable
from simulation.scenario import (
    SAFE_NAME,
    SECTIONS,
    load_scenario,
    parameter_field,
    takes_whole_numbers,
)
from simulation.variables import TARGETS, VARIABLES

Seeds = Literal["per_run", "common"]
SEED_MODES: tuple[Seeds, ...] = get_args(Seeds)
TOP_KEYS = (
    "name",
    "description",
    "base",
    "seed",
    "seeds",
    "replicates",
    "keep_series",
    "set",
    "design",
    "parameters",
    "outcomes",
)
DESIGN_KEYS = ("method", "samples", "seed", "second_order", "levels")
#: The keys of a parameter's table; a table holding none of them groups deeper key paths.
SPEC_KEYS = (
    "levels",
    "distribution",
    "low",
    "high",
    "mode",
    "mean",
    "sd",
    "steps",
    "scale",
    "name",
)
NUMBERS = ("low", "high", "mode", "mean", "sd")
DISTRIBUTION_KEYS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high", "steps"),
    "loguniform": ("low", "high", "steps"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd", "low", "high"),
}
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
}
OUTCOME_KEYS = ("variable", "district", "year", "aggregate", "label")
EACH = "each"  # an outcome's district: one outcome per district of the table
#: Scenario values a sweep does not vary: run seeds come from the sweep's own seed.
NOT_PARAMETERS = ("seed", "name", "base_year", "districts", "extends")


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: what to vary, how to choose the points, what to keep of each run."""

    name: str
    file: str
    base: Scenario  # the base scenario with the sweep's fixed values ([set]) applied
    parameters: tuple[Parameter, ...]
    design: DesignSpec
    outcomes: tuple[Outcome, ...]
    replicates: int = 1
    seed: int = 0
    seeds: Seeds = "per_run"
    series: tuple[str, ...] = ()  # variables kept per run in Parquet (none: not kept)
    description: str = ""

    @property
    def points(self) -> int:
        return size(self.design, self.parameters)

    @property
    def runs(self) -> int:
        return self.points * self.replicates

    def scenario_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """A point's values (by parameter label) as scenario key paths and values."""
        out: dict[str, Any] = {}
        for p in self.parameters:
            value = values[p.label]
            out[p.key] = scaled(self.base, p.key, value) if p.scale else value
        return out

    def variant(self, values: dict[str, Any], point: int) -> Scenario:
        """The scenario of a design point, validated as loading a file validates."""
        return self.base.with_values(
            self.scenario_values(values), origin=f"{self.file}, design point {point}"
        )

    def definition(self) -> dict[str, Any]:
        """Everything that decides the runs and their results, as plain data."""
        return {
            "base": _portable(self.base),
            "parameters": [p.describe() for p in self.parameters],
            "design": self.design.describe(),
            "replicates": self.replicates,
            "seed": self.seed,
            "seeds": self.seeds,
            "outcomes": [o.name for o in self.outcomes],
            "series": list(self.series),
        }

    def fingerprint(self) -> str:
        """A short hash of the definition: a sweep folder resumes only the sweep it started."""
        text = json.dumps(jsonable(self.definition()), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def run_seed(self, point: int, replicate: int) -> int:
        """The seed of one run; see `run_seed`."""
        return run_seed(self.seed, point, replicate, self.seeds)


def run_seed(seed: int, point: int, replicate: int, mode: Seeds = "per_run") -> int:
    """A run's seed: the (point, replicate) child of `SeedSequence(seed)`, i.e.
    `SeedSequence(seed).spawn(points)[point].spawn(replicates)[replicate]`, computed directly.

    With `common` seeds every point runs replicate r with the same seed, the r-th replicate
    seed of `python run.py run --replicates R --seed SEED` (common random numbers: differences
    between points are then free of replicate noise).
    """
    if mode == "common":
        return replicate_seeds(seed, replicate + 1)[replicate]
    return int64_seed(np.random.SeedSequence(seed, spawn_key=(point, replicate)))


def scaled(base: Scenario, key: str, factor: float) -> Any:
    """The base scenario's value at `key` times `factor`, as a scenario file would write it."""
    value, names = base_value(base, key)
    whole = takes_whole_numbers(key)
    if isinstance(value, tuple):
        return {
            name: round(v * factor) if whole else v * factor
            for name, v in zip(names, value, strict=True)
        }
    product = value * factor
    return round(product) if whole else product


def base_value(scenario: Scenario, key: str) -> tuple[Any, tuple[str, ...]]:
    """The resolved value at a key path, and the district names if it is per district."""
    node: Any = scenario
    names = scenario.districts.names
    for part in key.split("."):
        if isinstance(node, tuple) and len(node) == len(names) and part in names:
            node = node[names.index(part)]
        else:
            node = getattr(node, part)
    return node, names


def _portable(scenario: Scenario) -> dict[str, Any]:
    """The resolved scenario without file locations, so a moved folder still resumes."""
    data = jsonable(scenario)
    data.pop("files", None)
    for key in ("source", "provenance_source", "boundaries"):
        data["districts"].pop(key, None)
    return dict(data)


# --- reading --------------------------------------------------------------------------------


class _Reader:
    """Reads one sweep file, raising errors that name it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = str(path)

    def fail(self, key: str, expected: str, got: object) -> ScenarioError:
        return ScenarioError(self.file, key, expected, got)

    def integer(self, data: dict[str, Any], key: str, where: str, low: int, default: int) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(where, f"a whole number of at least {low}", value)
        return value

    def number(self, value: Any, where: str) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise self.fail(where, "a finite number", value)
        return float(value)

    def boolean(self, data: dict[str, Any], key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(where, "true or false", value)
        return value

    def text(self, data: dict[str, Any], key: str, default: str) -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            raise self.fail(key, "a string", value)
        return value

    def table(self, data: dict[str, Any], key: str, default: Any = None) -> dict[str, Any]:
        value = data.get(key, default)
        if not isinstance(value, dict):
            raise self.fail(key, "a table", value)
        return value

    def known(self, data: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
        unknown = [k for k in data if k not in keys]
        if unknown:
            prefix = f"{where}." if where else ""
            raise self.fail(f"{prefix}{unknown[0]}", f"one of {list(keys)}", unknown[0])


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file, its base scenario and every design point."""
    path = Path(path)
    reader = _Reader(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise reader.fail("(file)", "a readable TOML file", exc.strerror) from None
    except tomllib.TOMLDecodeError as exc:
        raise reader.fail("(file)", "valid TOML", str(exc)) from None
    reader.known(data, TOP_KEYS, "")
    name = reader.text(data, "name", path.stem)
    if not SAFE_NAME.fullmatch(name) or name in (".", ".."):
        raise reader.fail("name", "letters, digits, '_', '-' or '.' (it names a folder)", name)
    fixed = fixed_values(reader.table(data, "set", {}))
    base = _base(reader, data, fixed)
    seed = reader.integer(data, "seed", "seed", 0, base.seed)
    if seed >= 2**63:
        raise reader.fail("seed", "a non-negative integer below 2**63", seed)
    seeds = data.get("seeds", "per_run")
    if seeds not in SEED_MODES:
        raise reader.fail("seeds", f"one of {list(SEED_MODES)}", seeds)
    parameters = _parameters(reader, data, base, fixed)
    design = _design(reader, data, seed)
    check_design(design, parameters, reader.file)
    return Sweep(
        name=name,
        file=reader.file,
        base=base,
        parameters=parameters,
        design=design,
        outcomes=_outcomes(reader, data, base),
        replicates=reader.integer(data, "replicates", "replicates", 1, 1),
        seed=seed,
        seeds=seeds,
        series=_series(reader, data),
        description=reader.text(data, "description", ""),
    )


def _base(reader: _Reader, data: dict[str, Any], fixed: dict[str, Any]) -> Scenario:
    """The base scenario with the [set] values, as key paths (`fixed`), applied."""
    given = data.get("base")
    if not isinstance(given, str) or not (reader.path.parent / given).is_file():
        raise reader.fail(
            "base", "the path of a scenario file, relative to the sweep file", given or "nothing"
        )
    for key in fixed:
        if key.split(".")[0] in NOT_PARAMETERS:
            raise reader.fail(f'set."{key}"', "a scenario value a sweep may set", key)
    return load_scenario(reader.path.parent / given, fixed, origin=f"{reader.file} [set]")


def fixed_values(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The [set] table as key paths: `[set.flows] departure_rate = 0.1` sets
    `flows.departure_rate` alone (an override of `flows` would replace the whole section),
    while a per-district table such as `"channels.talent.quota" = { Edge = 9, default = 3 }` is
    one value."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and _is_section(path):
            out.update(fixed_values(value, path))
        else:
            out[path] = value
    return out


def _is_section(path: str) -> bool:
    """Whether a key path names a table of parameters rather than one parameter."""
    if path in SECTIONS:
        return True
    field = parameter_field(path)
    if field is None or field.metadata.get("per_district"):
        return False
    if field.default_factory is not dataclasses.MISSING:
        return dataclasses.is_dataclass(field.default_factory())
    return dataclasses.is_dataclass(field.default)


def _flatten(
    reader: _Reader, table: dict[str, Any], prefix: str = ""
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(key path, spec) of every parameter, whether written `"a.b" = ...` or as nested tables."""
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, list):
            yield path, {"levels": value}
        elif isinstance(value, dict) and any(k in SPEC_KEYS for k in value):
            yield path, value
        elif isinstance(value, dict) and value:
            yield from _flatten(reader, value, path)
        else:
            raise reader.fail(
                f'parameters."{path}"',
                "an array of levels, or a table with levels, a range (low, high) or a distribution",
                value,
            )


def _parameters(
    reader: _Reader, data: dict[str, Any], base: Scenario, fixed: dict[str, Any]
) -> tuple[Parameter, ...]:
    """The swept parameters, none of them also among the [set] values (`fixed`)."""
    table = reader.table(data, "parameters", {})
    specs = list(_flatten(reader, table))
    if not specs:
        raise reader.fail("parameters", "at least one parameter to sweep", "none")
    keys = [key for key, _ in specs]
    out = []
    for key, spec in specs:
        if keys.count(key) > 1:
            raise reader.fail(f'parameters."{key}"', "each parameter once", "given twice")
        if key in fixed:
            raise reader.fail(
                f'parameters."{key}"', "a key in [set] or [parameters], not both", key
            )
        _check_key(reader, key, base)
        out.append(_parameter(reader, key, spec, base))
    labels = [p.label for p in out]
    for p in out:
        if labels.count(p.label) > 1:
            raise reader.fail(f'parameters."{p.key}".name', "a name of its own", p.label)
    return tuple(out)


def _check_key(reader: _Reader, key: str, base: Scenario) -> None:
    where = f'parameters."{key}"'
    if key.split(".")[0] in NOT_PARAMETERS:
        raise reader.fail(
            where, "a scenario parameter (run seeds come from the sweep's own seed)", key
        )
    if key == "persons_per_agent" or parameter_field(key) is not None:
        return
    parent, _, district = key.rpartition(".")
    field = parameter_field(parent) if parent else None
    if (
        field is not None
        and field.metadata.get("per_district")
        and district in base.districts.names
    ):
        return
    if field is not None and field.metadata.get("per_district"):
        names = ", ".join(base.districts.names)
        raise reader.fail(where, f"a district of the base scenario ({names})", district)
    raise reader.fail(where, "the key path of a scenario parameter (see simulation/config.py)", key)


def _parameter(reader: _Reader, key: str, spec: dict[str, Any], base: Scenario) -> Parameter:
    where = f'parameters."{key}"'
    reader.known(spec, SPEC_KEYS, where)
    name = reader.text(spec, "name", "")
    scale = reader.boolean(spec, "scale", f"{where}.scale")
    current, _ = base_value(base, key)
    numbers = current if isinstance(current, tuple) else (current,)
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers)
    if scale and not (numbers and numeric):
        raise reader.fail(f"{where}.scale", "a numeric parameter to scale", current)
    integer = takes_whole_numbers(key) and not scale
    if "levels" in spec:
        mixed = [k for k in spec if k in (*NUMBERS, "distribution", "steps")]
        if mixed:
            raise reader.fail(f"{where}.{mixed[0]}", "levels or a range, not both", mixed[0])
        levels = spec["levels"]
        if not isinstance(levels, list) or not levels:
            raise reader.fail(f"{where}.levels", "a non-empty array of values", levels)
        if scale:
            for i, level in enumerate(levels):
                reader.number(level, f"{where}.levels[{i}]")
        return Parameter(key, "levels", tuple(levels), name=name, scale=scale, integer=integer)
    kind = spec.get("distribution", "uniform")
    if kind not in DISTRIBUTIONS:
        raise reader.fail(f"{where}.distribution", f"one of {list(DISTRIBUTIONS)}", kind)
    allowed = DISTRIBUTION_KEYS[kind]
    for k in spec:
        if k in (*NUMBERS, "steps") and k not in allowed:
            raise reader.fail(
                f"{where}.{k}", f"the keys of a {kind} distribution ({', '.join(allowed)})", k
            )
    for k in REQUIRED_KEYS[kind]:
        if k not in spec:
            raise reader.fail(
                f"{where}.{k}", f"a number (a {kind} distribution needs it)", "nothing"
            )
    values = {k: reader.number(spec[k], f"{where}.{k}") for k in NUMBERS if k in spec}
    nan = math.nan
    _check_distribution(reader, where, kind, values)
    steps = 0
    if "steps" in spec:
        steps = reader.integer(spec, "steps", f"{where}.steps", 2, 2)
    return Parameter(
        key,
        kind,
        low=values.get("low", nan),
        high=values.get("high", nan),
        mode=values.get("mode", nan),
        mean=values.get("mean", nan),
        sd=values.get("sd", nan),
        steps=steps,
        scale=scale,
        integer=integer,
        name=name,
    )


def _check_distribution(reader: _Reader, where: str, kind: Kind, v: dict[str, float]) -> None:
    low, high = v.get("low", math.nan), v.get("high", math.nan)
    if not (math.isnan(low) or math.isnan(high)) and not low < high:
        raise reader.fail(f"{where}.high", f"a number above low ({low:g})", high)
    if kind == "loguniform" and low <= 0:
        raise reader.fail(f"{where}.low", "a positive number (log-uniform)", low)
    if kind == "triangular" and not low <= v["mode"] <= high:
        raise reader.fail(
            f"{where}.mode", f"a number in [low, high] = [{low:g}, {high:g}]", v["mode"]
        )
    if kind == "normal":
        if v["sd"] <= 0:
            raise reader.fail(f"{where}.sd", "a positive number", v["sd"])
        if normal_mass(v["mean"], v["sd"], low, high) < 1e-9:
            raise reader.fail(
                where,
                "a truncation [low, high] where the normal distribution has weight",
                f"[{low:g}, {high:g}] with mean {v['mean']:g} and sd {v['sd']:g}",
            )


def _design(reader: _Reader, data: dict[str, Any], seed: int) -> DesignSpec:
    table = reader.table(data, "design", None)
    reader.known(table, DESIGN_KEYS, "design")
    method = table.get("method")
    if method not in METHODS:
        raise reader.fail("design.method", f"one of {list(METHODS)}", method or "nothing")
    if method == "grid" and "samples" in table:
        raise reader.fail(
            "design.samples",
            "no samples for a grid (its size is the product of the levels)",
            table["samples"],
        )
    if method != "grid" and "samples" not in table:
        raise reader.fail(
            "design.samples", f"a sample size (a {method} design needs one)", "nothing"
        )
    if "second_order" in table and method != "saltelli":
        raise reader.fail("design.second_order", "second_order only in a saltelli design", method)
    if "levels" in table and method != "morris":
        raise reader.fail("design.levels", "levels only in a morris design", method)
    samples = table.get("samples", 0)
    if isinstance(samples, bool) or not isinstance(samples, int):
        raise reader.fail("design.samples", "a whole number", samples)
    return DesignSpec(
        method=method,
        samples=samples,
        seed=reader.integer(table, "seed", "design.seed", 0, seed),
        second_order=reader.boolean(table, "second_order", "design.second_order"),
        levels=reader.integer(table, "levels", "design.levels", 0, 4),
    )


def _outcomes(reader: _Reader, data: dict[str, Any], base: Scenario) -> tuple[Outcome, ...]:
    given = data.get("outcomes")
    if given is None:
        chosen = list(headlines(base))
    elif not isinstance(given, list) or not all(isinstance(o, dict) for o in given) or not given:
        raise reader.fail("outcomes", "an array of tables ([[outcomes]])", given)
    else:
        chosen = [o for i, spec in enumerate(given) for o in _outcome(reader, i, spec, base)]
    names = [o.name for o in chosen]
    for i, outcome in enumerate(chosen):
        if names.index(outcome.name) != i:
            raise reader.fail("outcomes", "each outcome once", outcome.name)
    return (*chosen, *(t for t in target_outcomes(base) if t.name not in names))


def target_outcomes(base: Scenario) -> tuple[Outcome, ...]:
    """The flags of the plan's targets in the target year, kept by every sweep of a scenario
    that sets targets."""
    t = base.targets
    if t is None or not base.base_year < t.year <= base.horizon:
        return ()
    return tuple(Outcome(f"target_{name}_met", year=t.year) for name, _, _ in TARGETS)


def _outcome(reader: _Reader, i: int, spec: dict[str, Any], base: Scenario) -> list[Outcome]:
    where = f"outcomes[{i}]"
    reader.known(spec, OUTCOME_KEYS, where)
    variable = spec.get("variable")
    if variable not in VARIABLES:
        raise reader.fail(
            f"{where}.variable", "a published variable (see simulation/variables.py)", variable
        )
    scope = VARIABLES[variable].scope
    district = spec.get("district", CITY)
    names = base.districts.names
    if district not in (CITY, EACH, *names):
        raise reader.fail(
            f"{where}.district", f"ALL, each, or a district ({', '.join(names)})", district
        )
    if scope == "city" and district != CITY:
        raise reader.fail(f"{where}.district", f"ALL ({variable} is for the city only)", district)
    if scope == "districts" and district == CITY:
        raise reader.fail(f"{where}.district", f"a district ({variable} has no city row)", district)
    if "year" in spec and "aggregate" in spec:
        raise reader.fail(f"{where}.year", "a year or an aggregate, not both", spec["year"])
    year = spec.get("year")
    if year is not None and (
        isinstance(year, bool)
        or not isinstance(year, int)
        or not base.base_year <= year <= base.horizon
    ):
        raise reader.fail(f"{where}.year", f"a year in {base.base_year}-{base.horizon}", year)
    aggregate = spec.get("aggregate", "last")
    if aggregate not in AGGREGATES:
        raise reader.fail(f"{where}.aggregate", f"one of {list(AGGREGATES)}", aggregate)
    label = spec.get("label", "")
    if not isinstance(label, str):
        raise reader.fail(f"{where}.label", "a string", label)
    districts = names if district == EACH else (district,)
    return [Outcome(variable, d, year, aggregate, label) for d in districts]


def _series(reader: _Reader, data: dict[str, Any]) -> tuple[str, ...]:
    given = data.get("keep_series", False)
    if given is True:
        return tuple(VARIABLES)
    if given is False:
        return ()
    if not isinstance(given, list) or not given:
        raise reader.fail("keep_series", "true, false, or an array of variable names", given)
    for i, name in enumerate(given):
        if name not in VARIABLES:
            raise reader.fail(
                f"keep_series[{i}]", "a published variable (see simulation/variables.py)", name
            )
    return tuple(dict.fromkeys(given))


def check_points(sweep: Sweep, unit: np.ndarray, points: Iterable[int]) -> None:
    """Validate each of `points` by the scenario's own checks before anything runs."""
    for point in points:
        sweep.variant(point_values(sweep.parameters, unit[point]), point)

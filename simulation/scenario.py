"""Loading scenario TOML files: `extends`, overrides and validation into a frozen Scenario."""

from __future__ import annotations

import copy
import dataclasses
import functools
import itertools
import json
import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from simulation import config as cfg
from simulation.districts import read_districts
from simulation.errors import ScenarioError
from simulation.names import CHANNELS, LAND_SOURCES
from simulation.series import SeriesParam, YearSeries, is_year_table

#: The scenario `python run.py` runs when given none: Guangzhou's plan (in a source checkout).
DEFAULT_SCENARIO = (
    Path(__file__).resolve().parents[1] / "scenarios" / "guangzhou" / "plan_2017.toml"
)

TOP_LEVEL = {
    "name": str,
    "description": str,
    "extends": str,
    "base_year": int,
    "horizon": int,
    "seed": int,
    "persons_per_agent": int,
    "replicates": int,
    "districts": str,
    "district_provenance": str,
    "district_boundaries": str,
}
SECTIONS: dict[str, type] = cfg.SECTION_CLASSES
TOP_LEVEL_BOUNDS = {
    "base_year": (1900, 2200),
    "horizon": (1900, 2200),
    "seed": (0, 2**63 - 1),
    "persons_per_agent": (1, 1_000_000),
    "replicates": (1, 100_000),
}
REQUIRED = ("base_year", "horizon", "districts")
OPTIONAL_SECTIONS = ("targets",)  # absent means none
SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+")
KIND_NAMES = {int: "an integer", str: "a string"}

Raw = dict[str, Any]


class _Context:
    """What building needs besides the raw values: where each key came from, district names."""

    def __init__(self, origins: dict[str, str], fallback: str) -> None:
        self.origins = origins
        self.fallback = fallback
        self.names: tuple[str, ...] = ()
        self.years = (0, 0)  # base year and horizon, the span a year series may cover
        self.table_file = ""  # the district table's file, named when a district is unknown
        self.series: list[SeriesParam] = []

    def file(self, key: str) -> str:
        """The file that set `key` (or its nearest parent table)."""
        return _origin(self.origins, key, self.fallback)

    def error(self, key: str, expected: str, got: object) -> ScenarioError:
        return ScenarioError(self.file(key), key, expected, got)


# --- reading files -------------------------------------------------------------------------


def _read_toml(path: Path) -> Raw:
    """A TOML file; a byte-order mark, which some editors write, is skipped."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, "(file)", "a UTF-8 text file", str(exc)) from None
    except OSError as exc:
        raise ScenarioError(path, "(file)", "a readable TOML file", exc.strerror) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, "(file)", "valid TOML", str(exc)) from None


def _record_origins(raw: Raw, file: str, origins: dict[str, str], prefix: str = "") -> None:
    for key, value in raw.items():
        path = f"{prefix}{key}"
        origins[path] = file
        if isinstance(value, dict) and key != "provenance":
            _record_origins(value, file, origins, f"{path}.")


def _merge(base: Raw, top: Raw) -> Raw:
    """Deep merge of tables: `top` overrides only what it names. A year series is one value:
    a child's series replaces its parent's whole."""
    out = copy.deepcopy(base)
    for key, value in top.items():
        series = is_year_table(value) or is_year_table(out.get(key))
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not series:
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _load_chain(
    path: Path, origins: dict[str, str], seen: tuple[Path, ...]
) -> tuple[Raw, list[Path]]:
    """Read a scenario and everything it extends; paths inside are made absolute."""
    path = path.resolve()
    if path in seen:
        raise ScenarioError(path, "extends", "no cycle of extends", " -> ".join(map(str, seen)))
    raw = _read_toml(path)
    for key in ("districts", "district_provenance", "district_boundaries"):
        if isinstance(raw.get(key), str):
            raw[key] = str((path.parent / raw[key]).resolve())
    files = [path]
    parent = raw.pop("extends", None)
    if parent is None:
        _record_origins(raw, str(path), origins)
        return raw, files
    if not isinstance(parent, str):
        raise ScenarioError(path, "extends", "a path to another scenario file", parent)
    if not (path.parent / parent).is_file():
        raise ScenarioError(path, "extends", "a path to an existing scenario file", parent)
    base_raw, base_files = _load_chain(path.parent / parent, origins, (*seen, path))
    if "districts" in raw:  # a new table brings its own provenance and boundaries
        for companion in ("district_provenance", "district_boundaries"):
            if companion not in raw:
                base_raw.pop(companion, None)
    _record_origins(raw, str(path), origins)
    return _merge(base_raw, raw), base_files + files


def parse_override(text: str, origin: str = "--set") -> tuple[str, Any]:
    """Parse `key.path=value`; the value is read as TOML, or else taken as a string."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(origin, text, "key.path=value", text)
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return key, parsed


def format_override(key: str, value: Any) -> str:
    """`key.path=value` with the value written as TOML: what `parse_override` reads back."""
    return f"{key}={toml_value(value)}"


def toml_value(value: Any) -> str:
    """A value written as TOML (a scenario file's right-hand side)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"no TOML form for {value!r}")


Override = tuple[str, Any, str]  # key path, value, where it was given


def _apply_overrides(raw: Raw, overrides: tuple[Override, ...], origins: dict[str, str]) -> Raw:
    out = copy.deepcopy(raw)
    for dotted, value, origin in overrides:
        parts = dotted.split(".")
        if not all(parts):
            raise ScenarioError(origin, dotted, "a key path such as land.adjustment", dotted)
        if parts[0] == "extends":
            raise ScenarioError(
                origin, dotted, "a value of the scenario (extends is read from files)", value
            )
        node = out
        for i, part in enumerate(parts[:-1]):
            if i == len(parts) - 2 and _is_year(parts[-1]):
                _series_for_point(
                    node, part, dotted, (value, origin), origins, out.get("base_year")
                )
            if part not in node:
                origins[".".join(parts[: i + 1])] = origin
            if isinstance(node.get(part), (int, float)) and not isinstance(node[part], bool):
                node[part] = {"default": node[part]}  # one number for all districts
                origins[".".join(parts[: i + 1])] = origin
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ScenarioError(origin, ".".join(parts[: i + 1]), "a table", child)
            node = child
        node[parts[-1]] = copy.deepcopy(value)
        if is_year_table(node):  # a point set in a year series: keep its years in order
            ordered = sorted(node.items(), key=lambda item: int(item[0]))
            node.clear()
            node.update(ordered)
        for replaced in [k for k in origins if k.startswith(f"{dotted}.")]:
            del origins[replaced]
        origins[dotted] = origin
    return out


def _is_year(part: str) -> bool:
    return part.isascii() and part.isdigit()


def _series_for_point(
    node: Raw,
    part: str,
    dotted: str,
    given: tuple[Any, str],
    origins: dict[str, str],
    base_year: Any,
) -> None:
    """Make sure that a point set in a year series (`dotted` ends in a year; `given` is its value
    and where it was given) has a series to go in: the one at `node[part]`, or for a district
    without one a copy of its table's `default` series. One number has no years: setting a
    single year in it would leave the other years undefined, so that is refused with the way
    to give the whole series."""
    value, origin = given
    parent, _, year = dotted.rpartition(".")
    found = _field_of(parent)
    if found is None or "doc" not in found.metadata:
        return  # not a parameter: the key is reported as unknown when the scenario is built
    if not found.metadata.get("series"):
        raise ScenarioError(
            origin, dotted, f"a parameter that takes a year series ({parent} does not)", value
        )
    current, by_default = node.get(part), False
    if current is None and "default" in node:
        current, by_default = node["default"], True
        if is_year_table(current):  # the district's own copy of the series it took
            node[part] = copy.deepcopy(current)
            return
    if isinstance(current, dict):
        return  # a series, or a table of districts (where a year is no district)
    if isinstance(base_year, int) and int(year) < base_year:  # wrong whatever the series
        last = TOP_LEVEL_BOUNDS["horizon"][1]
        expected = f"years from the base year ({base_year}) to {last}"
        raise ScenarioError(origin, dotted, expected, int(year))
    where = Path(_origin(origins, parent)).name
    raise _no_series(dotted, given, (current, by_default, where), base_year)


def _no_series(
    dotted: str, given: tuple[Any, str], current: tuple[Any, bool, str], base_year: Any
) -> ScenarioError:
    """A year set where there is one value (`current`: the value, whether it is the table's
    default, the file it is from) or none: the whole series is asked for, with an example that
    keeps the value to the year before and has the new one from the year set."""
    value, origin = given
    now, by_default, where = current
    parent, _, year = dotted.rpartition(".")
    example = f"{parent} = {{ {year} = {toml_value(value)} }}"
    if now is None:
        whose = "is not given (it takes its default)"
    else:
        one = "takes its table's default, one value" if by_default else "is one value"
        whose = f"{one} ({toml_value(now)}) from {where}"
        if not isinstance(base_year, int) or int(year) > base_year:
            before, after = toml_value(now), toml_value(value)
            example = f"{parent} = {{ {int(year) - 1} = {before}, {year} = {after} }}"
    expected = (
        f"a year of a year series, but {parent} {whose}: give the whole series instead, "
        f"e.g. {example}"
    )
    return ScenarioError(origin, dotted, expected, value)


def _origin(origins: dict[str, str], key: str, fallback: str = "the scenario") -> str:
    """Where `key` (or its nearest parent table) was set."""
    while key and key not in origins:
        key = key.rpartition(".")[0]
    return origins.get(key, fallback) if key else fallback


def _field_of(path: str) -> dataclasses.Field[Any] | None:
    """The parameter a key path sets, a district or a series year after the field allowed."""
    parts = path.split(".")
    while parts and parameter_field(".".join(parts)) is None:
        parts.pop()
    return parameter_field(".".join(parts)) if parts else None


# --- building dataclasses ------------------------------------------------------------------


def _check_bounds(value: float, key: str, meta: Mapping[str, Any], ctx: _Context) -> None:
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        low = "-inf" if lo is None else lo
        high = "inf" if hi is None else hi
        raise ctx.error(key, f"a number in [{low}, {high}]", value)


def _scalar(kind: Any, value: Any, key: str, meta: Mapping[str, Any], ctx: _Context) -> Any:
    if get_origin(kind) is Literal:
        if value not in get_args(kind):
            raise ctx.error(key, f"one of {list(get_args(kind))}", value)
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise ctx.error(key, "true or false", value)
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ctx.error(key, "a string", value)
        return value
    if kind in (int, float):
        ok = isinstance(value, int) or (kind is float and isinstance(value, float))
        finite = not isinstance(value, float) or math.isfinite(value) or meta.get("allow_inf")
        if isinstance(value, bool) or not ok or not finite or value != value:
            raise ctx.error(key, "an integer" if kind is int else "a finite number", value)
        if meta.get("whole") and not float(value).is_integer():
            raise ctx.error(key, "a whole number of persons", value)
        _check_bounds(value, key, meta, ctx)
        return kind(value)
    if dataclasses.is_dataclass(kind):
        return _build(kind, value, key, ctx, meta.get("base"))
    raise TypeError(f"unsupported parameter type {kind!r} at {key}")  # a bug in config.py


def _per_district(
    value: Any, key: str, meta: Mapping[str, Any], ctx: _Context
) -> tuple[float, ...]:
    names = ctx.names
    if not isinstance(value, dict) or is_year_table(value):
        one = _number_or_series(value, key, meta, ctx)
        if isinstance(one, YearSeries):  # one series for every district
            return tuple(_first_year(one, key, i, ctx) for i in range(len(names)))
        return tuple(one for _ in names)
    unknown = sorted(set(value) - {*names, "default"})
    if unknown:
        raise ctx.error(
            f"{key}.{unknown[0]}",
            f"a district of the district table {ctx.table_file} ({', '.join(names)}) or default",
            unknown[0],
        )
    missing = [n for n in names if n not in value]
    if missing and "default" not in value:
        raise ctx.error(
            key, "a value for every district, or a `default`", f"no value for {missing}"
        )
    out = []
    for i, name in enumerate(names):
        given = value.get(name, value.get("default"))
        one = _number_or_series(given, f"{key}.{name}", meta, ctx)
        out.append(_first_year(one, key, i, ctx) if isinstance(one, YearSeries) else one)
    return tuple(out)


def _first_year(series: YearSeries, key: str, district: int | None, ctx: _Context) -> float:
    """Note a parameter given as a year series; its value in the first simulated year (what
    the scenario's field holds)."""
    ctx.series.append(SeriesParam(key, district, series))
    return series.at(ctx.years[0] + 1)


def _number_or_series(
    value: Any, key: str, meta: Mapping[str, Any], ctx: _Context
) -> float | YearSeries:
    """A number, or for a `series` parameter a table of years."""
    if meta.get("series") and is_year_table(value):
        return _year_series(value, key, meta, ctx)
    return _scalar(float, value, key, meta, ctx)


def _year_series(value: dict[str, Any], key: str, meta: Mapping[str, Any], ctx: _Context) -> Any:
    years = [int(k) for k in value]
    if any(b <= a for a, b in itertools.pairwise(years)):
        raise ctx.error(key, "years in increasing order", list(value))
    base, _ = ctx.years
    last = TOP_LEVEL_BOUNDS["horizon"][1]
    outside = [y for y in years if not base <= y <= last]
    if outside:
        # A year before the base year would be silently ignored. Years after the horizon are
        # kept: they shape the line up to it, and a shorter run of the same scenario uses them.
        # The year is named in the key, so that the error is blamed on whoever set that year
        # (a --set of one point), not on the file that gave the rest of the series.
        raise ctx.error(
            f"{key}.{outside[0]}", f"years from the base year ({base}) to {last}", outside[0]
        )
    values = tuple(_scalar(float, v, f"{key}.{k}", meta, ctx) for k, v in value.items())
    # The points of a whole-number parameter were each checked whole; the line between them is
    # rounded where a year's value is read.
    return YearSeries(tuple(years), values, whole=bool(meta.get("whole")))


def _value(kind: Any, value: Any, key: str, meta: Mapping[str, Any], ctx: _Context) -> Any:
    if meta.get("per_district"):
        return _per_district(value, key, meta, ctx)
    if meta.get("parse") == "district_shares":
        return _district_shares(value, key, ctx)
    if meta.get("series") and is_year_table(value):
        first = _first_year(_year_series(value, key, meta, ctx), key, None, ctx)
        return round(first) if kind is int else first
    if get_origin(kind) is tuple:
        item = get_args(kind)[0]
        if not isinstance(value, list):
            raise ctx.error(key, "an array", value)
        return tuple(_scalar(item, v, f"{key}[{i}]", meta, ctx) for i, v in enumerate(value))
    return _scalar(kind, value, key, meta, ctx)


def _district_shares(value: Any, key: str, ctx: _Context) -> tuple[Any, ...]:
    """`{District = {education_shares = [...], ...}}` as (district, field, shares) rows."""
    if not isinstance(value, dict):
        raise ctx.error(key, "a table of districts", value)
    rows = []
    for district, fields in value.items():
        if district not in ctx.names:
            raise ctx.error(
                f"{key}.{district}", f"a district of the table ({', '.join(ctx.names)})", district
            )
        if not isinstance(fields, dict):
            raise ctx.error(f"{key}.{district}", "a table of shares", fields)
        for name, shares in fields.items():
            path = f"{key}.{district}.{name}"
            if name not in cfg.SHARE_FIELDS:
                raise ctx.error(path, f"one of {list(cfg.SHARE_FIELDS)}", name)
            if not isinstance(shares, list):
                raise ctx.error(path, "an array of shares", shares)
            meta = {"lo": 0, "hi": 1}
            values = tuple(
                _scalar(float, v, f"{path}[{i}]", meta, ctx) for i, v in enumerate(shares)
            )
            rows.append((district, name, values))
    return tuple(rows)


def _fill(meta: Mapping[str, Any], ctx: _Context) -> tuple[float, ...]:
    fill = meta.get("fill")
    return () if fill is None else tuple(float(fill) for _ in ctx.names)


def _filled(default: Any, ctx: _Context) -> Any:
    """A default dataclass value (a table the scenario does not name) with its fills applied."""
    changes = {
        f.name: _filled_value(f, getattr(default, f.name), ctx) for f in dataclasses.fields(default)
    }
    return dataclasses.replace(default, **changes)


def _filled_value(f: dataclasses.Field[Any], value: Any, ctx: _Context) -> Any:
    """A default value ready to use: per-district fills resolved, nested tables filled."""
    if f.metadata.get("per_district"):
        return _fill(f.metadata, ctx)
    return _filled(value, ctx) if dataclasses.is_dataclass(value) else value


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def _build(cls: Any, raw: Any, key: str, ctx: _Context, base: Any = None) -> Any:
    """Build a dataclass from a table; what the table leaves out comes from `base` if given
    (the enclosing field's own default, e.g. a channel's schedule), else the class defaults."""
    if not isinstance(raw, dict):
        raise ctx.error(key, "a table", raw)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ctx.error(f"{key}.{unknown[0]}", f"one of {sorted(fields)}", unknown[0])
    hints = _hints(cls)
    kwargs = {}
    for name, f in fields.items():
        path = f"{key}.{name}"
        if name in raw:
            meta = dict(f.metadata)
            if dataclasses.is_dataclass(hints[name]):
                meta["base"] = _default(f)
            kwargs[name] = _value(hints[name], raw[name], path, meta, ctx)
        else:
            default = getattr(base, name) if base is not None else _default(f)
            if default is dataclasses.MISSING:
                raise ctx.error(path, "a value (required in this table)", "nothing")
            kwargs[name] = _filled_value(f, default, ctx)
    return cls(**kwargs)


def _top(raw: Raw, key: str, ctx: _Context, default: Any = None) -> Any:
    kind = TOP_LEVEL[key]
    if key not in raw:
        if default is None:
            raise ctx.error(key, f"{KIND_NAMES[kind]} (required)", "nothing")
        return default
    lo, hi = TOP_LEVEL_BOUNDS.get(key, (None, None))
    return _scalar(kind, raw[key], key, {"lo": lo, "hi": hi}, ctx)


def _provenance(raw: Any, ctx: _Context) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ctx.error("provenance", "a table of 'key.path' = 'source'", raw)
    for path, note in raw.items():
        if not isinstance(note, str):
            raise ctx.error(f"provenance.{path}", "a string", note)
        if parameter_field(path) is None:
            raise ctx.error(f"provenance.{path}", "the key path of a parameter", path)
    return tuple(sorted(raw.items()))


def takes_whole_numbers(path: str) -> bool:
    """Whether the parameter a key path sets (a district or a series year may follow the
    field) takes whole numbers: an integer, or a count of persons such as a quota."""
    if path == "persons_per_agent":
        return True
    found = _field_of(path)
    return found is not None and (found.type in ("int", int) or bool(found.metadata.get("whole")))


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """A section class's resolved field types (resolving them is slow; classes do not change)."""
    return get_type_hints(cls)


@functools.lru_cache(maxsize=4096)
def parameter_field(path: str) -> dataclasses.Field[Any] | None:
    """The dataclass field a dotted key path names, or None."""
    section, _, rest = path.partition(".")
    cls: Any = SECTIONS.get(section)
    found = None
    for part in rest.split(".") if cls else ():
        fields = {f.name: f for f in dataclasses.fields(cls)}
        found = fields.get(part)
        if found is None:
            return None
        kind = _hints(cls)[part]
        cls = kind if dataclasses.is_dataclass(kind) else None
        if cls is None and part != rest.split(".")[-1]:
            return None
    return found


# --- cross-field validation ----------------------------------------------------------------


def _check_shares(values: tuple[float, ...], n: int, key: str, ctx: _Context) -> None:
    if len(values) != n or abs(sum(values) - 1) > 1e-6:
        raise ctx.error(key, f"{n} shares adding up to 1", list(values))


def _check_increasing(values: tuple[float, ...], key: str, ctx: _Context) -> None:
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ctx.error(key, "strictly increasing values", list(values))


def _validate(s: cfg.Scenario, ctx: _Context) -> None:
    if not SAFE_NAME.fullmatch(s.name) or s.name in (".", ".."):
        raise ctx.error(
            "name", "letters, digits, '_', '-' or '.' (it names a results folder)", s.name
        )
    weights = {s.base_year + 1: s.flows.arrival_weights}
    if any(p.path == "flows.arrival_weights" for p in s.series):  # a series: every year's
        weights = {year: s.at_year(year).flows.arrival_weights for year in s.years}
    for year, w in weights.items():
        if w and sum(w) <= 0:
            raise ctx.error(
                "flows.arrival_weights", "weights with a positive sum in every year", {year: w}
            )
    if s.horizon <= s.base_year:
        raise ctx.error("horizon", f"a year after base_year ({s.base_year})", s.horizon)
    p = s.population
    _check_increasing(tuple(map(float, p.age_band_edges)), "population.age_band_edges", ctx)
    for name, size in p.share_sizes().items():
        _check_shares(getattr(p, name), size, f"population.{name}", ctx)
    for district, name, values in p.by_district:
        _check_shares(values, p.share_size(name), f"population.by_district.{district}.{name}", ctx)
    if sum(p.occupations.shares()) > 1:
        raise ctx.error("population.occupations", "shares adding up to at most 1", p.occupations)
    _validate_channels(s.channels, ctx)
    _validate_land(s.land, ctx)


def _validate_channels(channels: cfg.Channels, ctx: _Context) -> None:
    for name in CHANNELS:
        sched = getattr(channels, name).schedule
        key = f"channels.{name}.schedule"
        if not sched.windows:
            raise ctx.error(f"{key}.windows", "at least one window", [])
        _check_increasing(sched.windows, f"{key}.windows", ctx)
        if sched.windows[0] < 0 or sched.windows[-1] + sched.processing_years >= 1:
            raise ctx.error(
                f"{key}.windows",
                "openings in [0, 1) that close (opening + processing_years) before year end",
                list(sched.windows),
            )
    table = channels.points.table
    for item in ("education", "skill"):
        if len(getattr(table, item)) != 4:
            raise ctx.error(f"channels.points.table.{item}", "4 values", getattr(table, item))


def _validate_land(land: cfg.LandParams, ctx: _Context) -> None:
    uppers = tuple(t.upper_m2 for t in land.tiers)
    if not uppers:
        raise ctx.error("land.tiers", "at least one tier", [])
    _check_increasing(uppers, "land.tiers", ctx)
    if not math.isinf(uppers[-1]):
        raise ctx.error("land.tiers", "a last tier with upper_m2 = inf", uppers[-1])
    unknown = [d for d in land.central_districts if d not in ctx.names]
    if unknown:
        raise ctx.error(
            "land.central_districts", f"districts of the table ({', '.join(ctx.names)})", unknown
        )
    if sorted(land.source_order) != sorted(LAND_SOURCES):
        raise ctx.error(
            "land.source_order", f"each of {', '.join(LAND_SOURCES)} once", land.source_order
        )
    if len(land.planning_band_m2) != 2:
        raise ctx.error("land.planning_band_m2", "[low, high]", land.planning_band_m2)
    _check_increasing(land.planning_band_m2, "land.planning_band_m2", ctx)


# --- entry point ---------------------------------------------------------------------------


def load_scenario(
    path: str | Path, overrides: Mapping[str, Any] | None = None, *, origin: str = "overrides"
) -> cfg.Scenario:
    """Read a scenario file (and what it extends), apply overrides, validate, resolve.

    `overrides` maps key paths to values as a scenario file would write them; an error in one
    of them is reported as coming from `origin` (the command line says "--set").
    """
    path = Path(path)
    origins: dict[str, str] = {}
    raw, files = _load_chain(path, origins, ())
    source = cfg.ScenarioSource(
        path=str(path),
        raw=raw,
        origins=origins,
        overrides=tuple((k, v, origin) for k, v in (overrides or {}).items()),
    )
    return _resolve(source, tuple(str(f) for f in files))


def derive(
    scenario: cfg.Scenario, values: Mapping[str, Any], origin: str = "with_values"
) -> cfg.Scenario:
    """A variant of a loaded scenario: its file and overrides, then `values`, validated anew."""
    if scenario.source is None:
        raise ValueError("only a scenario made by load_scenario() can derive variants")
    given = {key: (value, o) for key, value, o in scenario.source.overrides}
    given.update({key: (value, origin) for key, value in values.items()})
    source = dataclasses.replace(
        scenario.source, overrides=tuple((k, v, o) for k, (v, o) in given.items())
    )
    return _resolve(source, scenario.files)


def written_value(scenario: cfg.Scenario, key: str) -> Any:
    """What a loaded scenario's files and overrides give a key path, as written: a number, a
    per-district table or a year series (a table of years)."""
    if scenario.source is None:
        raise ValueError("only a scenario made by load_scenario() keeps what was written")
    source = scenario.source
    node: Any = _apply_overrides(source.raw, source.overrides, dict(source.origins))
    for part in key.split("."):
        node = node[part]
    return node


def _resolve(source: cfg.ScenarioSource, files: tuple[str, ...]) -> cfg.Scenario:
    origins = dict(source.origins)
    raw = _apply_overrides(source.raw, source.overrides, origins)
    path = Path(source.path)
    ctx = _Context(origins, str(path))
    unknown = sorted(set(raw) - set(TOP_LEVEL) - set(SECTIONS) - {"provenance"})
    if unknown:
        expected = sorted({*TOP_LEVEL, *SECTIONS, "provenance"} - {"extends"})
        raise ctx.error(unknown[0], f"one of {expected}", unknown[0])
    for key in REQUIRED:
        _top(raw, key, ctx)
    ctx.years = (_top(raw, "base_year", ctx), _top(raw, "horizon", ctx))
    table = _districts(raw, ctx)
    ctx.names = table.names
    ctx.table_file = Path(table.source).name
    sections = {
        name: _build(cls, raw.get(name, {}), name, ctx)
        for name, cls in SECTIONS.items()
        if name in raw or name not in OPTIONAL_SECTIONS
    }
    scenario = cfg.Scenario(
        name=_top(raw, "name", ctx, default=path.stem),
        base_year=ctx.years[0],
        horizon=ctx.years[1],
        seed=_top(raw, "seed", ctx, default=0),
        persons_per_agent=_top(raw, "persons_per_agent", ctx, default=1),
        replicates=_top(raw, "replicates", ctx, default=1),
        series=tuple(ctx.series),
        districts=table,
        provenance=_provenance(raw.get("provenance"), ctx),
        files=files,
        # The seed is reported on its own; other overrides make a variant of the scenario.
        overrides=tuple((k, v) for k, v, _ in source.overrides if k != "seed"),
        source=source,
        **sections,
    )
    _validate(scenario, ctx)
    return scenario


def _districts(raw: Raw, ctx: _Context) -> cfg.DistrictTable:
    csv_path = Path(_top(raw, "districts", ctx))
    prov = raw.get("district_provenance")
    if prov is None:
        guess = csv_path.with_name(f"{csv_path.stem}_provenance.csv")
        prov_path = guess if guess.exists() else None
    else:
        prov_path = Path(_top(raw, "district_provenance", ctx))
    given = raw.get("district_boundaries")
    bounds = None if given is None else Path(_top(raw, "district_boundaries", ctx))
    return _read_districts_cached(
        csv_path, prov_path, bounds, _stamp(csv_path), _stamp(prov_path), _stamp(bounds)
    )


def _stamp(path: Path | None) -> tuple[int, int] | None:
    """When and how big a file is, so a cached read is redone when the file changes."""
    if path is None:
        return None
    try:
        info = path.stat()
    except OSError:
        return None  # reading it will report the problem
    return info.st_mtime_ns, info.st_size


@functools.lru_cache(maxsize=32)
def _read_districts_cached(
    csv_path: Path, prov_path: Path | None, bounds: Path | None, *stamps: tuple[int, int] | None
) -> cfg.DistrictTable:
    """Variants of a scenario (sweeps, calibration) share one read of its district table."""
    return read_districts(csv_path, prov_path, bounds)

"""Which inputs of a scenario are assumptions rather than sourced figures."""

from __future__ import annotations

import dataclasses
from typing import Any

from simulation import config
from simulation.config import ASSUMED, Scenario

SECTIONS = tuple(config.SECTION_CLASSES)
QUOTA_FIELDS = ("unused_quota", "quota_growth", "quota_counts_dependents")
# Units carried by a name alone, for parameters and district columns declared without one.
# The default object of every section; targets have none: every goal is required.
SECTION_DEFAULTS: dict[str, Any] = {
    name: cls() for name, cls in config.SECTION_CLASSES.items() if name != "targets"
}
UNIT_SUFFIXES = {"_yuan": "yuan", "_ha": "ha", "_km2": "km2", "_m2": "m2", "_pp": "pp"}


NO_DEFAULT = object()
Leaf = tuple[str, Any, Any, dict[str, Any]]


def _leaves(obj: Any, default: Any, prefix: str) -> list[Leaf]:
    """(key path, value, default value, metadata) of every parameter under `obj`.

    `default` is the matching default object (a section's, or a channel's own schedule), or
    None where there is none (a table whose values are all required).
    """
    if obj is None:  # an optional section the scenario leaves out
        return []
    out: list[Leaf] = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        base = getattr(default, f.name) if default is not None else NO_DEFAULT
        path = f"{prefix}.{f.name}"
        if dataclasses.is_dataclass(value) and f.name != "tiers":
            out.extend(_leaves(value, None if base is NO_DEFAULT else base, path))
        else:
            out.append((path, value, base, dict(f.metadata)))
    return out


def _default_of(s: Scenario, base: Any, meta: dict[str, Any]) -> Any:
    if meta.get("per_district") and meta.get("fill") is not None:
        return tuple(float(meta["fill"]) for _ in s.districts.names)
    return base


def _source(s: Scenario, path: str, value: Any, base: Any, meta: dict[str, Any]) -> str:
    """The scenario's note if any; the declared source while the value is the declared
    default; otherwise the value is the scenario's own and, uncited, an assumption."""
    notes = dict(s.provenance)
    if path in notes:
        return notes[path]
    if base is not NO_DEFAULT and value == _default_of(s, base, meta):
        return str(meta.get("source", ASSUMED))
    return ASSUMED


def _unit(name: str, declared: str) -> str:
    if declared:
        return declared
    return next((u for suffix, u in UNIT_SUFFIXES.items() if name.endswith(suffix)), "")


def _by_district(s: Scenario, value: Any, meta: dict[str, Any]) -> Any:
    """A per-district tuple as {district: value}; anything else unchanged."""
    if meta.get("per_district") and len(value) == len(s.districts):
        return dict(zip(s.districts.names, value, strict=True))
    return value


def parameter_sources(s: Scenario) -> list[dict[str, Any]]:
    """Every parameter with its value, meaning and source; the scenario's own notes win."""
    rows = []
    for section in SECTIONS:
        defaults = SECTION_DEFAULTS.get(section)
        for path, value, base, meta in _leaves(getattr(s, section), defaults, section):
            source = _source(s, path, value, base, meta)
            rows.append(
                {
                    "key": path,
                    "value": _by_district(s, value, meta),
                    "unit": _unit(path, meta.get("unit", "")),
                    "doc": meta.get("doc", ""),
                    "source": source,
                    "assumed": source == ASSUMED or source.lower().startswith("assumed"),
                }
            )
    return rows


def matters(s: Scenario, key: str) -> bool:
    """False for a parameter this scenario never reads."""
    parts = key.split(".")
    if parts[0] == "channels":
        channel = getattr(s.channels, parts[1])
        if not channel.enabled:
            return False
        quota_rule = parts[2] == "schedule" and parts[3] in QUOTA_FIELDS
        if quota_rule and not hasattr(channel, "quota"):
            return False
    return not (key == "reforms.agricultural_restricted_share" and s.reforms.unified_hukou)


def _district_columns(s: Scenario) -> list[dict[str, Any]]:
    """One row per assumed column of the district table, with each district's value and note."""
    notes: dict[str, dict[str, str]] = {}
    for district, column, flag, note in s.districts.provenance:
        if flag == "assumed":
            notes.setdefault(column, {})[district] = note
    rows = {d.name: d for d in s.districts.districts}
    return [
        {
            "key": f"districts.{column}",
            "value": {d: getattr(rows[d], column, None) if d in rows else None for d in by_d},
            "unit": _unit(column, ""),
            "doc": f"district table column, assumed in {len(by_d)} of {len(rows)} districts",
            "source": ASSUMED,
            "assumed": True,
            "notes": by_d,
        }
        for column, by_d in notes.items()
    ]


def assumed_inputs(s: Scenario) -> list[dict[str, Any]]:
    """Assumed parameters the run reads, then assumed columns of the district table.

    Per-district values are given as {district: value}; a district column's row also has
    `notes`, {district: how the value was assumed}.
    """
    rows = [r for r in parameter_sources(s) if r["assumed"] and matters(s, r["key"])]
    return rows + _district_columns(s)

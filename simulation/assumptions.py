"""Which inputs of a scenario are assumptions rather than sourced figures."""

from __future__ import annotations

import dataclasses
from typing import Any

from simulation.config import ASSUMED, Scenario

SECTIONS = ("population", "flows", "reforms", "channels", "land", "fiscal", "targets")
QUOTA_FIELDS = ("unused_quota", "quota_growth", "quota_counts_dependents")
# Units carried by a name alone, for parameters and district columns declared without one.
UNIT_SUFFIXES = {"_yuan": "yuan", "_ha": "ha", "_km2": "km2", "_m2": "m2", "_pp": "pp"}


def _leaves(obj: Any, prefix: str) -> list[tuple[str, Any, dict[str, Any]]]:
    if obj is None:  # an optional section the scenario leaves out
        return []
    out = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        path = f"{prefix}.{f.name}"
        if dataclasses.is_dataclass(value) and f.name != "tiers":
            out.extend(_leaves(value, path))
        else:
            out.append((path, value, dict(f.metadata)))
    return out


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
    notes = dict(s.provenance)
    rows = []
    for section in SECTIONS:
        for path, value, meta in _leaves(getattr(s, section), section):
            source = notes.get(path, meta.get("source", ASSUMED))
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

"""Which inputs of a scenario are assumptions rather than sourced figures."""

from __future__ import annotations

import dataclasses
from typing import Any

from simulation.config import ASSUMED, Scenario

SECTIONS = ("population", "flows", "reforms", "channels", "land", "fiscal", "targets")


def _leaves(obj: Any, prefix: str) -> list[tuple[str, Any, dict[str, Any]]]:
    out = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        path = f"{prefix}.{f.name}"
        if dataclasses.is_dataclass(value) and f.name != "tiers":
            out.extend(_leaves(value, path))
        else:
            out.append((path, value, dict(f.metadata)))
    return out


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
                    "value": value,
                    "unit": meta.get("unit", ""),
                    "doc": meta.get("doc", ""),
                    "source": source,
                    "assumed": source == ASSUMED or source.lower().startswith("assumed"),
                }
            )
    return rows


def assumed_inputs(s: Scenario) -> list[dict[str, Any]]:
    """Assumed parameters, then assumed columns of the district table."""
    rows = [r for r in parameter_sources(s) if r["assumed"]]
    by_field: dict[str, list[str]] = {}
    for district, field, flag, note in s.districts.provenance:
        if flag == "assumed":
            by_field.setdefault(field, []).append(f"{district}: {note}")
    for field, notes in by_field.items():
        rows.append(
            {
                "key": f"districts.{field}",
                "value": f"{len(notes)} districts",
                "unit": "",
                "doc": notes[0],
                "source": ASSUMED,
                "assumed": True,
            }
        )
    return rows

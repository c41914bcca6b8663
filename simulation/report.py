"""The one-page report of a run: targets, districts, quotas, binding limits, assumptions.

Reads the long table and the manifest only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simulation.results import LongTable
from simulation.variables import SETTLED_BY_CHANNEL

# (variable, flag in the target year, goal in the targets table, digits)
TARGETS = (
    ("hukou_population", "target_hukou_population_met", "hukou_population", 0),
    ("hukou_urbanization_rate", "target_hukou_urbanization_met", "hukou_urbanization_rate", 2),
    ("gap_narrowing_since_baseline_pp", "target_gap_narrowing_met", "gap_narrowing_pp", 2),
)
LIMITS = {1: "supply", 2: "ceiling", 3: "central"}
BAND = {-1: "below", 0: "within", 1: "above"}


def _fmt(value: float, digits: int = 0) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def _get(table: LongTable, variable: str, year: int, district: str = "ALL") -> float:
    """A value of the table, NaN where the table has none."""
    try:
        return table.value_at(variable, year, district)
    except KeyError:
        return math.nan


def _total(table: LongTable, variable: str, district: str = "ALL") -> float:
    return float(table.select(variable, district)[1].sum())


def _years(years: Any) -> str:
    """Years as runs: '2018', '2018-2020, 2025'; a span when there are more than three runs."""
    years = sorted(int(y) for y in years)
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    if len(runs) > 3:
        return f"{years[0]}-{years[-1]}, intermittently"
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _count(n: int) -> str:
    return f"{n} yr" if n == 1 else f"{n} yrs"


def _persons(n: int) -> str:
    return f"{n} person" if n == 1 else f"{n:,} persons"


def _path(start: tuple[int, float], goal: float, target_year: int, year: int) -> float:
    """The straight line from (start year, start value) to the goal in the target year."""
    start_year, value = start
    if target_year <= start_year:
        return goal
    return value + (goal - value) * (year - start_year) / (target_year - start_year)


def _slack(goal_key: str, path: float, t: dict[str, Any]) -> float:
    """The shortfall a target accepts ('about'), applied to the path too."""
    if goal_key == "hukou_population":
        return path * t.get("hukou_population_tolerance", 0.0)
    if goal_key == "hukou_urbanization_rate":
        return float(t.get("hukou_urbanization_tolerance_pp", 0.0))
    return 0.0


def _label(year: int, base: int, t: dict[str, Any]) -> str:
    if year == base:
        return f"{year} (base year)"
    if year == t["year"]:
        return f"{year} (target year)"
    return f"{year} (mid-term evaluation)" if year < t["year"] else f"{year} (evaluation)"


def _target_cell(
    table: LongTable, year: int, base: int, target: tuple[Any, ...], t: dict[str, Any]
) -> str:
    variable, flag, goal_key, digits = target
    value = _get(table, variable, year)
    if year == base or math.isnan(value):
        return _fmt(value, digits)
    if year >= t["year"]:
        status = "met" if _get(table, flag, year) == 1 else "missed"
    else:
        if goal_key == "gap_narrowing_pp":
            start = (t["baseline_year"], 0.0)
        else:
            start = (base, _get(table, variable, base))
        path = _path(start, t[goal_key], t["year"], year)
        status = "on track" if value >= path - _slack(goal_key, path, t) else "behind"
    return f"{_fmt(value, digits)} ({status})"


def _targets(table: LongTable, t: dict[str, Any] | None, base: int) -> list[str]:
    if t is None:
        return ["The scenario sets no targets."]
    simulated = set(table.year.tolist())
    lines = [
        "| year | registered population | hukou urbanization % | gap narrowed since "
        f"{t['baseline_year']} (pp) |",
        "|---|---|---|---|",
    ]
    for year in [base, *sorted({*t["evaluation_years"], t["year"]} - {base})]:
        if year not in simulated:
            lines.append(f"| {_label(year, base, t)} | not simulated | | |")
            continue
        cells = [_target_cell(table, year, base, target, t) for target in TARGETS]
        lines.append(f"| {_label(year, base, t)} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Targets for {t['year']}: registered population about {_fmt(t['hukou_population'])}, "
        f"hukou urbanization about {t['hukou_urbanization_rate']} %, gap narrowed by at least "
        f"{t['gap_narrowing_pp']} points since {t['baseline_year']}. Before {t['year']}, "
        f"*on track* means at or above a straight line from the {base} value (for the gap, "
        f"from no narrowing in {t['baseline_year']}) to the target, with the same tolerance.",
    ]
    return lines


def _limits(table: LongTable, district: str) -> str:
    years, codes = table.select("land_binding_limit", district)
    parts = []
    for code, name in LIMITS.items():
        bound = years[codes == code]
        if len(bound):
            parts.append(f"{name} {_count(len(bound))} ({_years(bound)})")
    return "; ".join(parts) or "none"


def _per_capita(table: LongTable, district: str, first: int, last: int) -> str:
    start = _get(table, "construction_land_per_capita_m2", first, district)
    end = _get(table, "construction_land_per_capita_m2", last, district)
    status = _get(table, "planning_band_status", last, district)
    known = math.isfinite(end) and math.isfinite(status) and int(status) in BAND
    band = f" {BAND[int(status)]}" if known else ""
    return f"{_fmt(start, 1)} -> {_fmt(end, 1)}{band}"


def _districts(table: LongTable, band: list[float]) -> list[str]:
    years = np.unique(table.year)
    lines = [
        "| district | settled | entitlement ha | linked ha: new land | linked ha: renewal | "
        f"shortfall ha | m2 per urban resident, start -> end (band {band[0]:g}-{band[1]:g}) "
        "| limit that bound |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for d in table.districts:
        new = _total(table, "linked_plan_quota_ha", d) + _total(table, "linked_rural_exit_ha", d)
        row = [
            d,
            _fmt(_total(table, "settled_total", d)),
            _fmt(_total(table, "land_entitlement_ha", d), 1),
            _fmt(new, 1),
            _fmt(_total(table, "linked_renewal_ha", d), 1),
            _fmt(_total(table, "land_shortfall_ha", d), 1),
            _per_capita(table, d, years[0], years[-1]),
            _limits(table, d) if d != "ALL" else "",
        ]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _filled(table: LongTable, channel: str, district: str, quota: float, s: dict[str, Any]) -> str:
    schedule = s["channels"][channel]["schedule"]
    if schedule.get("quota_counts_dependents"):
        return "n/a (the quota counts dependents)"
    if quota <= 0:
        return "no quota"
    years, settled = table.select(f"settled_{channel}", district)
    first = s["base_year"] + 1
    growth = (1 + schedule.get("quota_growth", 0.0)) ** (years - first)
    full = years[settled >= quota * growth - s["persons_per_agent"]]
    shown = f" ({_years(full)})" if 0 < len(full) < len(years) else ""
    return f"{len(full)} of {_count(len(years))}{shown}"


def _quotas(table: LongTable, s: dict[str, Any]) -> list[str]:
    districts = [d for d in table.districts if d != "ALL"]
    lines = ["| channel | where | quota per year | filled in |", "|---|---|---|---|"]
    for name, channel in s["channels"].items():
        if not channel.get("enabled", True) or "quota" not in channel:
            continue
        quota = channel["quota"]
        groups = zip(districts, quota, strict=True) if isinstance(quota, list) else [("ALL", quota)]
        growth = channel["schedule"].get("quota_growth", 0.0)
        rise = f", {growth:+.1%}/yr" if growth else ""
        for district, q in groups:
            where = "city" if district == "ALL" else district
            cell = _filled(table, name, district, q, s)
            lines.append(f"| {name} | {where} | {_fmt(q)}{rise} | {cell} |")
    if len(lines) == 2:
        return ["No channel with a quota is open."]
    lines += [
        "",
        "A quota is *filled* in a year when the main applicants it admitted came within one agent "
        f"({_persons(s['persons_per_agent'])}) of it; in the other years the channel ran out of "
        "eligible, willing applicants first.",
    ]
    return lines


def _channels(table: LongTable, s: dict[str, Any]) -> str:
    parts = [
        f"{name} {_fmt(_total(table, variable))}"
        for name, variable in SETTLED_BY_CHANNEL.items()
        if s["channels"].get(name, {}).get("enabled", True)
    ]
    dependents = _fmt(_total(table, "settled_dependents"))
    return (
        f"Settled by channel (main applicants): {'; '.join(parts)}; plus {dependents} dependents."
    )


def _value(value: Any, unit: str) -> str:
    """A value as given, with its unit when it is a number; per-district values compactly."""
    unit = f" {unit}" if unit else ""
    if isinstance(value, dict):
        groups: dict[str, list[str]] = {}
        for district, v in value.items():
            groups.setdefault(str(v), []).append(district)
        common = max(groups, key=lambda v: len(groups[v]))
        if len(groups) == 1:
            return f"{common}{unit} in every district"
        others = [f"{', '.join(ds)} {v}" for v, ds in groups.items() if v != common]
        return f"{'; '.join(others)}; elsewhere {common}{unit}"
    numeric = isinstance(value, (int, float, list)) and not isinstance(value, bool)
    return f"{value}{unit if numeric else ''}"


def _lead(notes: list[str]) -> str:
    """The clauses ('; '-separated) every note begins with, leaving each note its last one."""
    common = []
    for clauses in zip(*(n.split("; ")[:-1] for n in notes), strict=False):
        if len(notes) < 2 or len(set(clauses)) > 1:
            break
        common.append(clauses[0])
    return "".join(f"{c}; " for c in common)


def _column(row: dict[str, Any]) -> list[str]:
    """An assumed district-table column: a line, then each district's value and note."""
    notes = row["notes"]
    lead = _lead(list(notes.values()))
    unit = f" ({row['unit']})" if row["unit"] else ""
    intro = f"; {lead.removesuffix('; ')}" if lead else ""
    lines = [
        f"`{row['key']}`{unit}: {row['doc']}{intro}.",
        "",
        "| district | value | note |",
        "|---|---|---|",
    ]
    for district, note in notes.items():
        value = row["value"].get(district)
        text = note.removeprefix(lead).replace("|", "\\|")
        lines.append(f"| {district} | {'n/a' if value is None else value} | {text} |")
    return lines


def _assumptions(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"{len(rows)} inputs are assumptions (no published figure); every result depends on them:",
        "",
    ]
    columns = [r for r in rows if "notes" in r]
    for r in rows:
        if "notes" not in r:
            lines.append(f"- `{r['key']}` = {_value(r['value'], r['unit'])} — {r['doc']}")
    for r in columns:
        lines += ["", *_column(r)]
    return lines


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def render(table: LongTable, manifest: dict[str, Any]) -> str:
    """The report as Markdown."""
    s = manifest["scenario"]
    years = np.unique(table.year)
    settled = _total(table, "settled_total")
    lines = [
        f"# {s['name']}: settlement and linked land, {years[0]}-{years[-1]}",
        "",
        f"Seed {manifest['seed']}, {s['persons_per_agent']} person(s) per agent, "
        f"{len(table.districts) - 1} districts. {_fmt(settled)} persons settled in "
        f"{_span(years[0] + 1, years[-1])}, dependents included; "
        f"{_fmt(_total(table, 'linked_land_ha'), 1)} ha of land linked to them "
        f"(entitlement {_fmt(_total(table, 'land_entitlement_ha'), 1)} ha).",
        "",
        _channels(table, s),
        "",
        "## Targets",
        "",
        *_targets(table, s.get("targets"), int(years[0])),
        "",
        "## Districts over the whole run",
        "",
        *_districts(table, s["land"]["planning_band_m2"]),
        "",
        "New land is the annual plan quota and land freed by rural exit; renewal reuses existing "
        "urban land. The band is the planning range of construction land per person; the status "
        "is at the end of the run. Limit that bound: *supply* — the annual plan quota, rural exit "
        "and renewal land were used up; *ceiling* — the planned construction-land ceiling "
        "stopped new land; *central* — a central district, which gets no new land for "
        "settlement (国土资发〔2016〕123号).",
        "",
        "## Quotas",
        "",
        *_quotas(table, s),
        "",
        "## Assumed inputs",
        "",
        *_assumptions(manifest.get("assumptions", [])),
        "",
    ]
    return "\n".join(lines)

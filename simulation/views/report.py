"""The one-page report of a run: targets, districts, quotas, binding limits, assumptions.

Reads the long table and the manifest only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simulation.names import CHANNELS, CITY, QUOTA_CHANNELS, Limit
from simulation.results import LongTable

# (variable, target name in the published variables, goal in the targets table, digits)
TARGETS = (
    ("hukou_population", "hukou_population", "hukou_population", 0),
    ("hukou_urbanization_rate", "hukou_urbanization", "hukou_urbanization_rate", 2),
    ("gap_narrowing_since_baseline_pp", "gap_narrowing", "gap_narrowing_pp", 2),
)
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


def _label(year: int, base: int, t: dict[str, Any]) -> str:
    if year == base:
        return f"{year} (base year)"
    if year == t["year"]:
        return f"{year} (target year)"
    return f"{year} (mid-term evaluation)" if year < t["year"] else f"{year} (evaluation)"


def _target_cell(table: LongTable, year: int, base: int, target: tuple[Any, ...]) -> str:
    variable, name, _, digits = target
    value = _get(table, variable, year)
    if year == base or math.isnan(value):
        return _fmt(value, digits)
    flag = "met" if year >= _target_year(table, name) else "on_track"
    reached = _get(table, f"target_{name}_{flag}", year) == 1
    status = {"met": ("met", "missed"), "on_track": ("on track", "behind")}[flag][not reached]
    return f"{_fmt(value, digits)} ({status})"


def _target_year(table: LongTable, name: str) -> int:
    """The first year whose path is the goal itself: the target year."""
    years, path = table.select(f"target_{name}_path")
    return int(years[path == path[-1]][0]) if len(years) else 0


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
        cells = [_target_cell(table, year, base, target) for target in TARGETS]
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
    for limit in Limit:
        bound = years[codes == limit]
        if limit != Limit.NONE and len(bound):
            parts.append(f"{limit.label} {_count(len(bound))} ({_years(bound)})")
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


def _filled(table: LongTable, channel: str, district: str) -> str:
    years, filled = table.select(f"quota_filled_{channel}", district)
    full = years[filled == 1]
    shown = f" ({_years(full)})" if 0 < len(full) < len(years) else ""
    return f"{len(full)} of {_count(len(years))}{shown}"


def _quotas(table: LongTable, s: dict[str, Any]) -> list[str]:
    districts = [d for d in table.districts if d != CITY]
    lines = ["| channel | where | quota released per year | filled in |", "|---|---|---|---|"]
    for name in QUOTA_CHANNELS:
        if f"quota_released_{name}" not in table.variables:
            continue
        groups = districts if len(table.select(f"quota_filled_{name}", districts[0])[0]) else [CITY]
        for district in groups:
            _, released = table.select(f"quota_released_{name}", district)
            where = "city" if district == CITY else district
            amount = (
                _fmt(released[0])
                if np.ptp(released) == 0
                else (f"{_fmt(released.min())}-{_fmt(released.max())}")
            )
            lines.append(f"| {name} | {where} | {amount} | {_filled(table, name, district)} |")
    if len(lines) == 2:
        return ["No channel with a quota is open."]
    lines += [
        "",
        "A quota is *filled* in a year when an approved applicant was turned away for lack of "
        "quota; in the other years the channel ran out of eligible, willing applicants first.",
    ]
    return lines


def _channels(table: LongTable, s: dict[str, Any]) -> str:
    parts = [
        f"{name} {_fmt(_total(table, f'settled_{name}'))}"
        for name in CHANNELS
        if s["channels"][name]["enabled"]
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


def render_comparison(table: LongTable, differences: Any, manifest: dict[str, Any]) -> str:
    """A comparison as Markdown: each scenario against the reference, headline differences."""
    reference = manifest["reference"]
    lines = [
        f"# Comparison against {reference}",
        "",
        f"{len(manifest['replicates'])} replicates per scenario, paired by seed "
        f"(seed {manifest['seed']}). Reproduce: `{manifest['command']}`",
        "",
        "| scenario | variable | year | mean difference | 95 % interval |",
        "|---|---|---|---|---|",
    ]
    last = max(table.years)
    for scenario in manifest["scenarios"][1:]:
        for variable in ("settled_total", "linked_land_ha", "hukou_population"):
            years, mean, low, high = differences.select(variable, scenario=scenario)
            hit = years == last
            if hit.any():
                lines.append(
                    f"| {scenario} | {variable} | {last} | {_fmt(mean[hit][0])} | "
                    f"{_fmt(low[hit][0])} to {_fmt(high[hit][0])} |"
                )
    return "\n".join(lines) + "\n"

"""The one-page report of a run: targets met or missed, districts, binding limits, assumptions.

Reads the long table and the manifest only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulation.results import LongTable

TARGETS = (
    ("hukou_population", "target_hukou_population_met", 0),
    ("hukou_urbanization_rate", "target_hukou_urbanization_met", 2),
    ("gap_narrowing_since_baseline_pp", "target_gap_narrowing_met", 2),
)
LIMITS = {1: "supply", 2: "ceiling", 3: "central"}


def _fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _cell(table: LongTable, year: int, variable: str, flag: str, digits: int) -> str:
    met = "met" if table.value_at(flag, year) else "missed"
    return f"{_fmt(table.value_at(variable, year), digits)} ({met})"


def _targets(table: LongTable, t: dict[str, Any]) -> list[str]:
    years = sorted({*t["evaluation_years"], t["year"]})
    simulated = set(table.year.tolist())
    lines = [
        "| year | registered population | hukou urbanization % | gap narrowed since "
        f"{t['baseline_year']} (pp) |",
        "|---|---|---|---|",
    ]
    for year in years:
        if year not in simulated:
            lines.append(f"| {year} | not simulated | | |")
            continue

        cells = [_cell(table, year, variable, flag, digits) for variable, flag, digits in TARGETS]
        lines.append(f"| {year} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        f"Targets for {t['year']} (plan §1): registered population about "
        f"{_fmt(t['hukou_population'])}, hukou urbanization about "
        f"{t['hukou_urbanization_rate']} %, "
        f"gap narrowed by at least {t['gap_narrowing_pp']} points since {t['baseline_year']}. "
        f"Evaluation years (§17): {', '.join(map(str, t['evaluation_years']))}."
    )
    return lines


def _total(table: LongTable, variable: str, district: str) -> float:
    return float(table.select(variable, district)[1].sum())


def _limits(table: LongTable, district: str) -> str:
    years, codes = table.select("land_binding_limit", district)
    parts = []
    for code, name in LIMITS.items():
        bound = years[codes == code]
        if len(bound):
            parts.append(f"{name} {len(bound)} yrs ({bound.min()}-{bound.max()})")
    return "; ".join(parts) or "none"


def _districts(table: LongTable) -> list[str]:
    lines = [
        "| district | settled | entitlement ha | linked ha | shortfall ha | m2/urban resident "
        "start -> end | limit that bound |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in table.districts:
        _, per_capita = table.select("construction_land_per_capita_m2", d)
        row = [
            d,
            _fmt(_total(table, "settled_total", d)),
            _fmt(_total(table, "land_entitlement_ha", d), 1),
            _fmt(_total(table, "linked_land_ha", d), 1),
            _fmt(_total(table, "land_shortfall_ha", d), 1),
            f"{per_capita[0]:.1f} -> {per_capita[-1]:.1f}",
            _limits(table, d) if d != "ALL" else "",
        ]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _assumptions(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"{len(rows)} inputs are assumptions (no published figure); every result depends on them:",
        "",
    ]
    for r in rows:
        unit = f" {r['unit']}" if r["unit"] and not isinstance(r["value"], str) else ""
        lines.append(f"- `{r['key']}` = {r['value']}{unit} — {r['doc']}")
    return lines


def render(table: LongTable, manifest: dict[str, Any]) -> str:
    """The report as Markdown."""
    s = manifest["scenario"]
    years = np.unique(table.year)
    settled = _total(table, "settled_total", "ALL")
    lines = [
        f"# {s['name']}: settlement and linked land, {years[0]}-{years[-1]}",
        "",
        f"Seed {manifest['seed']}, {s['persons_per_agent']} person(s) per agent, "
        f"{len(table.districts) - 1} districts. {_fmt(settled)} persons settled in "
        f"{years[0] + 1}-{years[-1]}, dependents included; "
        f"{_fmt(_total(table, 'linked_land_ha', 'ALL'), 1)} ha of land linked to them "
        f"(entitlement {_fmt(_total(table, 'land_entitlement_ha', 'ALL'), 1)} ha).",
        "",
        "## Targets",
        "",
        *_targets(table, s["targets"]),
        "",
        "## Districts over the whole run",
        "",
        *_districts(table),
        "",
        "Limit that bound: *supply* — the annual plan quota, rural exit and renewal land were used "
        "up; *ceiling* — the planned construction-land ceiling stopped new land; *central* — a "
        "central district, which gets no new land for settlement (国土资发〔2016〕123号).",
        "",
        "## Assumed inputs",
        "",
        *_assumptions(manifest.get("assumptions", [])),
        "",
    ]
    return "\n".join(lines)

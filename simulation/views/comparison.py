"""The report of a comparison: each scenario against the reference, paired by replicate seed,
with the differences and their 95 % intervals, the targets of each scenario, what differs
between the scenarios, and how to reproduce the comparison.

Reads the long table, the paired differences and the manifest only.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from simulation.names import CITY
from simulation.outcomes import Outcome
from simulation.results import Differences, LongTable, mean_interval
from simulation.variables import VARIABLES
from simulation.views.document import Document, Heading, Image, Paragraph, bullets, table
from simulation.views.report import (
    ENOUGH_CRITERIA,
    TARGET_NAMES,
    Context,
    _cell,
    assumptions_section,
    headline_outcomes,
    outcome_text,
    reproduce_section,
    verdict,
)
from simulation.views.rounding import QUANTA, Estimate, number, relative, step_for
from simulation.views.series import totals

GAP = "gap_narrowing_since_baseline_pp"
BY_YEAR = ("settled_total", "linked_land_ha", "hukou_population", "hukou_urbanization_rate", GAP)
#: Keys of a resolved scenario that name or locate it rather than set policy.
NOT_POLICY = ("name", "description", "files", "provenance", "overrides", "replicates")


def _words(variable: str) -> tuple[str, str]:
    """How a positive and a negative difference of a variable read."""
    unit = VARIABLES[variable].unit
    if variable == GAP:
        return "points more narrowing", "points less narrowing"
    if unit in ("%", "pp"):
        return "points higher", "points lower"
    if unit == "persons":
        return "more persons", "fewer persons"
    return f"{unit} more", f"{unit} less"


def reading(variable: str, mean: float, step: float, low: float, high: float) -> str:
    """A difference in words, and whether its interval rules out no difference."""
    more, less = _words(variable)
    text = relative(mean, step, more=more, less=less)
    if math.isfinite(low) and math.isfinite(high):
        if low <= 0 <= high:
            text += "; the interval includes zero: no clear difference"
        else:
            text += "; the interval excludes zero"
    return text


def signed(value: float, step: float) -> str:
    text = number(value, step)
    return text if text.startswith("-") or text == "0" else f"+{text}"


class Compared:
    """The contexts of every scenario of a comparison, and their paired differences."""

    def __init__(
        self, table_: LongTable, differences: Differences, manifest: Mapping[str, Any]
    ) -> None:
        self.table = table_
        self.differences = differences
        self.manifest = manifest
        self.scenarios: list[str] = list(manifest["scenarios"])
        self.reference = str(manifest["reference"])
        self.contexts = {
            name: Context(table_.filter(table_.scenario == name), run)
            for name, run in zip(self.scenarios, manifest["runs"], strict=True)
        }
        self.ref = self.contexts[self.reference]
        self.others = [s for s in self.scenarios if s != self.reference]
        self.replicates = self.ref.replicates

    def difference(self, outcome: Outcome, scenario: str) -> tuple[float, float, float, Estimate]:
        """Mean paired difference of an outcome, interval low and high, and the estimate it
        is rounded by. An outcome in one year comes from the differences table; one over the
        years from the runs' outcomes, paired by replicate, with the same t interval."""
        if outcome.year is not None:
            years, mean, low, high = self.differences.select(
                outcome.variable, outcome.district, scenario=scenario
            )
            hit = years == outcome.year
            m, lo, hi = (float(a[hit][0]) if hit.any() else math.nan for a in (mean, low, high))
        else:
            pairs = self._pairs(outcome, scenario)
            mean_, half = mean_interval(pairs)
            m, lo, hi = float(mean_), float(mean_ - half), float(mean_ + half)
        half_width = (hi - lo) / 2
        ctx = self.contexts[scenario]
        value = ctx.estimate(outcome)
        quantum = _quantum(ctx, outcome.variable)
        step = value.step if math.isnan(half_width) else step_for(half_width, quantum)
        return m, lo, hi, Estimate((m,), step)

    def _pairs(self, outcome: Outcome, scenario: str) -> np.ndarray:
        ref = outcome.by_run(self.ref.table)
        other = outcome.by_run(self.contexts[scenario].table)
        return np.asarray([other[(scenario, r)] - ref[(self.reference, r)] for _, r in ref])


def _quantum(ctx: Context, variable: str) -> float:
    """The finest step a difference of `variable` is shown to: one agent for a count."""
    unit = VARIABLES[variable].unit
    if unit == "persons":
        return float(ctx.precision.persons_per_agent)
    return QUANTA.get(unit, 1.0)


def _interval(lo: float, hi: float, step: float) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a (one replicate)"
    return f"{number(lo, step)} to {number(hi, step)}"


def headline_section(c: Compared, doc: Document) -> None:
    doc.add(Heading("Headline differences"))
    outcomes = headline_outcomes(c.ref.manifest)
    for scenario in c.others:
        rows = []
        for outcome in outcomes:
            ref = c.ref.estimate(outcome)
            own = c.contexts[scenario].estimate(outcome)
            mean, lo, hi, estimate = c.difference(outcome, scenario)
            rows.append(
                (
                    outcome.title,
                    outcome_text(outcome, ref),
                    outcome_text(outcome, own),
                    signed(mean, estimate.step),
                    _interval(lo, hi, estimate.step),
                    reading(outcome.variable, mean, estimate.step, lo, hi),
                )
            )
        doc.add(
            Heading(f"{scenario} against {c.reference}", 3),
            table(
                (
                    "headline figure",
                    c.reference,
                    scenario,
                    "difference",
                    "95 % interval",
                    "reading",
                ),
                rows,
                numeric=(1, 2, 3, 4),
            ),
        )
    doc.add(
        Paragraph(
            f"Differences are {', '.join(c.others)} minus {c.reference}, replicate by "
            "replicate on the same seeds (common random numbers), averaged; the interval is the "
            f"95 % Student-t interval of that mean over the {c.replicates} pairs. A figure of "
            "one year comes from `comparison.csv`; a total over the run pairs the runs' totals "
            "the same way."
        )
    )


def targets_section(c: Compared, doc: Document) -> None:
    t = c.ref.targets
    if t is None or "target_gap_narrowing_path" not in c.table.variables:
        return
    year = int(t["year"])
    if year not in c.ref.years:
        return
    rows = [
        (f"{title} in {year}", *(_cell(c.contexts[s], target, year, "met") for s in c.scenarios))
        for target, (title, _) in TARGET_NAMES.items()
    ]
    doc.add(
        Heading("Targets by scenario"),
        table(("target", *c.scenarios), rows, numeric=tuple(range(1, len(c.scenarios) + 1))),
        Paragraph(
            "Means over the replicates; *met k/R*: the target was met in k of the R replicates. "
            f"The gap is measured since {t['baseline_year']}."
        ),
    )


def _years_shown(c: Compared) -> list[int]:
    t = c.ref.targets
    wanted = {c.ref.last}
    if t is not None:
        wanted |= {int(y) for y in t["evaluation_years"]} | {int(t["year"])}
    return sorted(y for y in wanted if y in c.ref.years and y > c.ref.base)


def by_year_section(c: Compared, doc: Document) -> None:
    rows = []
    for scenario in c.others:
        for variable in BY_YEAR:
            if variable not in c.table.variables:
                continue
            years, mean, low, high = c.differences.select(variable, CITY, scenario=scenario)
            for year in _years_shown(c):
                hit = years == year
                if not hit.any():
                    continue
                m, lo, hi = (float(a[hit][0]) for a in (mean, low, high))
                step = step_for((hi - lo) / 2, _quantum(c.ref, variable))
                rows.append(
                    (
                        scenario,
                        VARIABLES[variable].label + f" ({VARIABLES[variable].unit})",
                        str(year),
                        signed(m, step),
                        _interval(lo, hi, step),
                    )
                )
    doc.add(
        Heading("Differences by year"),
        table(
            ("scenario", "figure", "year", "mean difference", "95 % interval"),
            rows,
            numeric=(2, 3, 4),
        ),
        Paragraph("Each scenario minus the reference in the city, from `comparison.csv`."),
    )


def districts_section(c: Compared, doc: Document) -> None:
    doc.add(Heading("Districts"))
    for scenario in c.others:
        rows = []
        for d in c.table.districts:
            cells: list[str] = [c.ref.name(d)]
            for variable in ("settled_total", "linked_land_ha"):
                a = totals(c.table, variable, d, scenario=scenario)
                b = totals(c.table, variable, d, scenario=c.reference)
                mean, half = mean_interval(a - b)
                step = step_for(float(half), _quantum(c.ref, variable))
                lo, hi = float(mean - half), float(mean + half)
                cells += [signed(float(mean), step), _interval(lo, hi, step)]
            rows.append(tuple(cells))
        doc.add(
            Heading(f"Districts: {scenario} against {c.reference}", 3),
            table(
                (
                    "district",
                    "settled persons, difference",
                    "95 % interval",
                    "linked land (ha), difference",
                    "95 % interval",
                ),
                rows,
                numeric=(1, 2, 3, 4),
            ),
        )


def replicates_section(c: Compared, doc: Document) -> None:
    doc.add(Heading("Were the replicates enough?"))
    if c.replicates == 1:
        doc.add(
            Paragraph(
                "One replicate per scenario: no interval. Compare with `--replicates 20` or more."
            )
        )
        return
    rows = []
    for outcome in headline_outcomes(c.ref.manifest):
        for scenario in c.scenarios:
            estimate = c.contexts[scenario].estimate(outcome)
            rows.append(
                (
                    outcome.title,
                    scenario,
                    estimate.text,
                    number(estimate.half_width, estimate.step),
                    *verdict(estimate, outcome.unit, c.replicates),
                )
            )
    doc.add(
        Paragraph(
            "Each scenario's headline figures: the half-width of the 95 % interval of the mean, "
            f"and when that is {ENOUGH_CRITERIA} For the differences, what matters is whether "
            "the interval excludes zero (the *reading* column above)."
        ),
        table(
            ("headline figure", "scenario", "mean", "95 % half-width", "enough when", "verdict"),
            rows,
            numeric=(2, 3),
        ),
    )


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and not (prefix and _per_district(value)):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _per_district(value: dict[str, Any]) -> bool:
    return bool(value) and all(not isinstance(v, (dict, list)) for v in value.values())


def policy_differences(runs: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[str]]]:
    """Scenario keys whose values differ between the runs: (key, each run's value)."""
    flat = [dict(_flatten(run["scenario"])) for run in runs]
    keys = dict.fromkeys(k for f in flat for k in f)
    out = []
    for key in keys:
        if key.split(".")[0] in NOT_POLICY or key.startswith("districts."):
            continue
        values = [f.get(key, "(not set)") for f in flat]
        if any(v != values[0] for v in values[1:]):
            out.append((key, [str(v) for v in values]))
    return out


def inputs_section(c: Compared, doc: Document) -> None:
    differing = policy_differences(c.manifest["runs"])
    doc.add(Heading("What differs between the scenarios"))
    if differing:
        doc.add(
            table(("input", *c.scenarios), [(f"`{k}`", *v) for k, v in differing]),
        )
    else:
        doc.add(Paragraph("The resolved scenarios set the same inputs."))
    assumptions_section(doc, c.manifest["runs"][0].get("assumptions", []), c.ref.names)
    ref_rows = {r["key"]: r for r in c.manifest["runs"][0].get("assumptions", [])}
    for scenario, run in zip(c.scenarios[1:], c.manifest["runs"][1:], strict=True):
        extra = [
            r
            for r in run.get("assumptions", [])
            if r["key"] not in ref_rows or ref_rows[r["key"]]["value"] != r["value"]
        ]
        if extra:
            doc.add(
                Paragraph(f"Assumed in {scenario} with a value other than the reference's:"),
                bullets(
                    [
                        f"`{r['key']}` = {r['value']} {r['unit']} — {r['doc']}".rstrip()
                        for r in extra
                    ]
                ),
            )
    for scenario, run in zip(c.scenarios, c.manifest["runs"], strict=True):
        if run.get("overrides"):
            doc.add(
                Paragraph(f"Values set on {scenario} with `--set`:"),
                bullets([f"`{k}` = `{v}`" for k, v in run["overrides"].items()]),
            )


def document(
    table_: LongTable,
    differences: Differences,
    manifest: Mapping[str, Any],
    figures: Mapping[str, str] | None = None,
) -> Document:
    """The report of a comparison; `figures` names the figures there are to show."""
    c = Compared(table_, differences, manifest)
    figures = figures or {}
    years = c.ref.years
    doc = Document(f"{', '.join(c.others)} against {c.reference}, {years[0]}-{years[-1]}")
    doc.add(
        Paragraph(
            f"{len(c.scenarios)} scenarios, {c.replicates} replicates each, paired by seed "
            f"(root seed {manifest['seed']}); the reference is `{c.reference}`. Each replicate "
            "of every scenario uses the same seed, so differences between scenarios come from "
            "policy, not from chance draws, wherever the policies agree."
        ),
        Paragraph(c.ref.precision.rule()),
    )
    headline_section(c, doc)
    targets_section(c, doc)
    by_year_section(c, doc)
    shown = [n for n in figures if n == "scenarios" or n.startswith("differences")]
    if shown:
        doc.add(Heading("Figures"), *(Image(n, figures[n]) for n in shown))
    districts_section(c, doc)
    doc.add(*(Image(n, figures[n]) for n in figures if n.startswith("map_difference")))
    replicates_section(c, doc)
    inputs_section(c, doc)
    reproduce_section(doc, manifest, names=", ".join(c.scenarios))
    return doc

"""The planner report of one scenario's runs: targets, settlement, land, quotas, fiscal side,
whether the replicates were enough, the assumed inputs and how to reproduce the run.

Reads the long table and the manifest only; what it states about policy (targets met, their
goals and paths, limits) is what the model published as variables, never re-derived here. What
the scenario describes (the channels open, the targets' years, the planning band) comes from the
manifest, with no default for a missing value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from simulation.names import (
    CHANNEL_LABELS,
    CHANNELS,
    CITY,
    LAND_SOURCE_LABELS,
    LAND_SOURCES,
    LAND_USES,
    QUOTA_CHANNELS,
    ChannelName,
)
from simulation.outcomes import Outcome
from simulation.results import LongTable
from simulation.variables import VARIABLES, label
from simulation.views.document import Document, Heading, Image, Paragraph, bullets, table
from simulation.views.plots import TARGET_VALUES
from simulation.views.rounding import RATE_UNITS, Estimate, Precision, change, number
from simulation.views.series import (
    at_year,
    described,
    display_names,
    districts,
    limit_years,
    matrix,
    modal,
    totals,
)

BAND = {-1: "below", 0: "within", 1: "above"}
SECTIONS = ("population", "flows", "reforms", "channels", "land", "fiscal", "targets", "districts")
#: Each target: what it is called, the unit of its value.
TARGET_NAMES = {
    "hukou_population": ("Registered population", "persons"),
    "hukou_urbanization": ("Hukou urbanization rate", "%"),
    "gap_narrowing": ("Urbanization gap", "pp"),
}
FISCAL = (
    ("reward_fund_yuan", 1e6, "million yuan", "settled_total"),
    ("public_cost_yuan", 1e6, "million yuan", "settled_total"),
    ("school_places_demand", 1, "places", "settled_dependents"),
    ("affordable_housing_units", 1, "units", "settled_heads"),
    ("insurance_enrolments", 1, "persons", "settled_total"),
)
SETTLEMENT_FIGURES = (
    "settlement",
    "settlement_districts",
    "population",
    "population_districts",
    "urbanization",
    "map_settled",
    "map_settled_by_residence",
)
LAND_FIGURES = (
    "land",
    "land_districts",
    "limits",
    "land_per_capita",
    "map_linked_land",
    "map_land_per_capita",
)
#: Enough replicates: a count's (or land's, money's) 95 % half-width under 1 % of its mean.
ENOUGH = 0.01
#: Enough replicates for a rate or a difference of rates: a 95 % half-width under 0.05 points.
#: A difference of rates (the gap narrowed since the baseline) is often near zero, where a
#: half-width relative to the mean asks for thousands of replicates to pin down almost nothing;
#: and the plan states its rate targets, and the "about" tolerance, to a tenth of a point,
#: which an interval 0.1 points wide pins down.
ENOUGH_POINTS = 0.05
POINT_UNITS = ("%", "pp")


# --- small helpers ---------------------------------------------------------------------------


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _years(years: Sequence[int]) -> str:
    """Years as runs: '2018', '2018-2020, 2025'; a span when there are more than three runs."""
    ordered = sorted(int(y) for y in years)
    runs: list[list[int]] = []
    for y in ordered:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    if len(runs) > 3:
        return f"{ordered[0]}-{ordered[-1]}, intermittently"
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _images(doc: Document, figures: Mapping[str, str], names: Sequence[str]) -> None:
    """The figures of a section that there are, with their captions."""
    doc.add(*(Image(name, figures[name]) for name in names if name in figures))


def _count(n: int) -> str:
    return f"{n} yr" if n == 1 else f"{n} yrs"


def _runs(n: int) -> str:
    return "1 run" if n == 1 else f"{n} replicates"


class Context:
    """What every section needs: the table, the manifest's scenario, names and precision."""

    def __init__(self, table: LongTable, manifest: Mapping[str, Any]) -> None:
        self.table = table
        self.manifest = manifest
        self.scenario: Mapping[str, Any] = manifest["scenario"]
        self.replicates = len(table.replicates)
        self.precision = Precision(int(self.scenario["persons_per_agent"]), self.replicates)
        self.names = display_names(self.scenario["districts"]["districts"])
        self.years = table.years
        self.base = int(self.years[0])
        self.last = int(self.years[-1])
        self.targets: Mapping[str, Any] | None = described(self.scenario, "targets")
        self._estimates: dict[Outcome, Estimate] = {}

    def name(self, district: str) -> str:
        return self.names.get(district, district)

    def settled(self, district: str = CITY) -> float:
        return float(np.mean(totals(self.table, "settled_total", district)))

    def persons(self, variable: str, district: str = CITY) -> Estimate:
        return self.precision.persons(totals(self.table, variable, district))

    def hectares(self, variable: str, district: str = CITY) -> Estimate:
        samples = totals(self.table, variable, district)
        return self.precision.scaled(samples, "ha", persons=self.settled(district))

    def stock(self, variable: str, year: int, district: str = CITY) -> Estimate:
        base = float(np.mean(at_year(self.table, variable, self.base, district)))
        return self.precision.persons(at_year(self.table, variable, year, district), base=base)

    def goal(self, target: str) -> float:
        """A target's goal as the model published it (the same in every year)."""
        return float(np.mean(at_year(self.table, f"target_{target}_goal", self.base)))

    def estimate(self, outcome: Outcome) -> Estimate:
        """A headline outcome over the runs, rounded by the rule; worked out once."""
        if outcome not in self._estimates:
            self._estimates[outcome] = _outcome_estimate(self, outcome)
        return self._estimates[outcome]


# --- headline and targets --------------------------------------------------------------------


def _target_value(ctx: Context, target: str, year: int) -> Estimate:
    variable = TARGET_VALUES[target]
    if target == "hukou_population":
        return ctx.stock(variable, year)
    return ctx.precision.rate(at_year(ctx.table, variable, year), TARGET_NAMES[target][1])


def _value_words(target: str, value: float, step: float, baseline: int) -> str:
    """A target's value in words; the gap's change is worded by its sign."""
    if target == "gap_narrowing":
        words = change(value, step, up="narrowed", down="widened", unit="points")
        return f"the gap {words} since {baseline}"
    if target == "hukou_urbanization":
        return f"{number(value, step)} %"
    return number(value, step)


def _goal_words(target: str, goal: float) -> str:
    if target == "gap_narrowing":
        return f"a goal of narrowing it by at least {goal:.2f} points"
    if target == "hukou_urbanization":
        return f"a goal of about {goal:.2f} %"
    return f"a goal of about {goal:,.0f}"


def _margin_words(target: str, margin: float, step: float, met: bool) -> str:
    unit = "" if target == "hukou_population" else " points"
    size = number(abs(margin), step)
    if size.strip("0.,") == "":
        return "on the goal"
    if target == "gap_narrowing":
        text = f"{size}{unit} more than required" if margin > 0 else f"{size}{unit} short"
    else:
        text = f"{size}{unit} {'above' if margin > 0 else 'below'} the goal"
    if met and margin < 0:
        text += ", within the tolerance of 'about'"
    return text


def _first_met(ctx: Context, target: str) -> str:
    """The first year each run met the target, in words."""
    years, met = matrix(ctx.table, f"target_{target}_met")
    firsts = [int(years[np.flatnonzero(row == 1)[0]]) if (row == 1).any() else None for row in met]
    found = [y for y in firsts if y is not None]
    never = len(firsts) - len(found)
    if not found:
        return f"Not met in any year to {ctx.last}."
    first = min(found)
    when = (
        f"already in the base year {first}"
        if first == ctx.base and max(found) == first
        else f"in {first}"
        if max(found) == first
        else f"between {first} and {max(found)}, depending on the replicate"
    )
    tail = f"; in {never} of {len(firsts)} replicates not by {ctx.last}" if never else ""
    return f"First met {when}{tail}."


def target_lines(ctx: Context) -> list[str]:
    """One line per target: met or missed in the target year, by how much, first year met."""
    t = ctx.targets
    if t is None or "target_gap_narrowing_path" not in ctx.table.variables:
        return []
    year = int(t["year"])
    if year not in ctx.years:
        return [f"The target year {year} is beyond the horizon {ctx.last}: targets not evaluated."]
    lines = []
    for target, (title, _) in TARGET_NAMES.items():
        value = _target_value(ctx, target, year)
        goal = ctx.goal(target)
        met = at_year(ctx.table, f"target_{target}_met", year)
        hits = int(np.sum(met == 1))
        if ctx.replicates == 1:
            status = "met" if hits else "missed"
        else:
            runs = len(met)
            status = (
                f"met in all {runs} replicates"
                if hits == runs
                else f"missed in all {runs} replicates"
                if hits == 0
                else f"met in {hits} of {runs} replicates"
            )
        shown = _value_words(target, value.mean, value.step, int(t["baseline_year"]))
        if ctx.replicates > 1 and not math.isnan(value.half_width):
            shown += f" (± {number(value.half_width, value.step)})"
        margin = _margin_words(target, value.mean - goal, value.step, hits > 0)
        lines.append(
            f"**{title}: {status}** in {year}: {shown}, against {_goal_words(target, goal)}; "
            f"{margin}. {_first_met(ctx, target)}"
        )
    return lines


def _cell(ctx: Context, target: str, year: int, flag: str) -> str:
    value = _target_value(ctx, target, year)
    if target == "gap_narrowing":
        text = change(value.mean, value.step, up="narrowed", down="widened")
    else:
        text = value.text
    if year == ctx.base or not flag:
        return text
    reached = at_year(ctx.table, f"target_{target}_{flag}", year)
    words = {"met": ("met", "missed"), "on_track": ("on track", "behind")}[flag]
    hits = int(np.sum(reached == 1))
    if ctx.replicates == 1:
        return f"{text} ({words[0] if hits else words[1]})"
    return f"{text} ({words[0]} {hits}/{len(reached)})"


def _row_label(year: int, base: int, t: Mapping[str, Any]) -> str:
    if year == base:
        return f"{year} (base year)"
    if year == t["year"]:
        return f"{year} (target year)"
    return f"{year} (mid-term evaluation)" if year < t["year"] else f"{year} (evaluation)"


def targets_section(ctx: Context, doc: Document, figures: Mapping[str, str]) -> None:
    t = ctx.targets
    doc.add(Heading("Targets"))
    if t is None:
        doc.add(Paragraph("The scenario sets no targets."))
        return
    header = (
        "year",
        "registered population",
        "hukou urbanization (%)",
        f"gap since {t['baseline_year']} (points)",
    )
    rows: list[tuple[str, ...]] = []
    for year in [ctx.base, *sorted({*t["evaluation_years"], t["year"]} - {ctx.base})]:
        if year not in ctx.years:
            rows.append((_row_label(year, ctx.base, t), "not simulated", "", ""))
            continue
        flag = "met" if year >= t["year"] else "on_track"
        cells = [_cell(ctx, target, year, flag) for target in TARGET_NAMES]
        rows.append((_row_label(year, ctx.base, t), *cells))
    doc.add(table(header, rows, numeric=(1, 2, 3)))
    doc.add(
        Paragraph(
            f"Targets for {t['year']}: registered population about "
            f"{ctx.goal('hukou_population'):,.0f}, hukou urbanization about "
            f"{ctx.goal('hukou_urbanization'):.2f} %, the gap between resident and hukou "
            f"urbanization narrowed by at least {ctx.goal('gap_narrowing'):.2f} points since "
            f"{t['baseline_year']}. Before {t['year']}, *on track* means at or above a straight "
            f"line from the {ctx.base} value (for the gap, from no narrowing in "
            f"{t['baseline_year']}) to the target, with the same tolerance."
        ),
        Paragraph(shift_sentence(ctx)),
    )
    _images(doc, figures, ("targets",))


def shift_sentence(ctx: Context) -> str:
    """The shift applied to the resident urbanization series, stated with its source."""
    shift = at_year(ctx.table, "resident_urbanization_shift_pp", ctx.base)
    own = at_year(ctx.table, "resident_urbanization_rate", ctx.base)
    if np.isnan(shift).all():
        return "No shift is applied to the resident urbanization series."
    value, rate = float(np.mean(shift)), float(np.mean(own))
    sign = "+" if value >= 0 else "−"
    return (
        f"The gap is measured on the published series: the model's resident urbanization rate "
        f"({rate:.2f} % in {ctx.base}, from the district table) is shifted by {sign}"
        f"{abs(value):.2f} points in every year to match the published {ctx.base} rate of "
        f"{rate + value:.2f} %."
    )


# --- settlement, land, quotas, fiscal --------------------------------------------------------


def _open_channels(ctx: Context) -> list[ChannelName]:
    return [c for c in CHANNELS if described(ctx.scenario, f"channels.{c}.enabled")]


def settlement_section(ctx: Context, doc: Document, figures: Mapping[str, str]) -> None:
    open_ = _open_channels(ctx)
    header = (
        "district",
        *(CHANNEL_LABELS[c] for c in open_),
        "dependents",
        "total, where registered",
        "total, where living",
    )
    rows = []
    for d in ctx.table.districts:
        cells = [ctx.persons(f"settled_{c}", d).with_interval for c in open_]
        cells.append(ctx.persons("settled_dependents", d).with_interval)
        cells.append(ctx.persons("settled_total", d).with_interval)
        cells.append(ctx.persons("settled_by_residence", d).with_interval)
        rows.append((ctx.name(d), *cells))
    doc.add(
        Heading("Settlement by channel and district"),
        Paragraph(
            f"Persons settled over {_span(ctx.base + 1, ctx.last)}, counted in the district "
            "where they registered their hukou: main applicants by channel, the dependents who "
            "registered with them, and everyone together. A talent may register at the "
            "employer's district (plan §5 一), which need not be where the household lives: the "
            "last column counts the same settlers in the district where they live."
        ),
        table(header, rows, numeric=tuple(range(1, len(header)))),
    )
    _images(doc, figures, SETTLEMENT_FIGURES)


def _limits(ctx: Context, district: str) -> str:
    bound = limit_years(ctx.table, district)
    if bound is None:
        return ""
    parts = [f"{k.label} {_count(len(y))} ({_years(y.tolist())})" for k, y in bound.items()]
    return "; ".join(parts) or "none"


def _per_capita(ctx: Context, district: str) -> str:
    variable = "construction_land_per_capita_m2"
    start = ctx.precision.rate(at_year(ctx.table, variable, ctx.base, district), "m2/person")
    end = ctx.precision.rate(at_year(ctx.table, variable, ctx.last, district), "m2/person")
    status = at_year(ctx.table, "planning_band_status", ctx.last, district)
    finite = status[np.isfinite(status)].astype(int)
    band = ""
    if len(finite) and math.isfinite(end.mean):  # no band for a value that is not a number
        code = int(np.bincount(finite + 1).argmax()) - 1
        band = f" {BAND[code]}" if code in BAND else ""
    return f"{start.text} -> {end.text}{band}"


def land_section(ctx: Context, doc: Document, figures: Mapping[str, str]) -> None:
    band = described(ctx.scenario, "land.planning_band_m2")
    entitled, granted = ctx.hectares("land_entitlement_ha"), ctx.hectares("linked_land_ha")
    short = ctx.hectares("land_shortfall_ha")
    sources = "; ".join(
        f"{LAND_SOURCE_LABELS[s]} {ctx.hectares(f'linked_{s}_ha').text} ha" for s in LAND_SOURCES
    )
    header = (
        "district",
        f"{VARIABLES['land_entitlement_ha'].label} (ha)",
        *(f"linked: {LAND_SOURCE_LABELS[s]} (ha)" for s in LAND_SOURCES),
        f"{VARIABLES['land_shortfall_ha'].label} (ha)",
        f"m2 per urban resident, start -> end (band {band[0]:g}-{band[1]:g})",
        VARIABLES["land_binding_limit"].label.lower(),
    )
    rows = []
    for d in ctx.table.districts:
        rows.append(
            (
                ctx.name(d),
                ctx.hectares("land_entitlement_ha", d).with_interval,
                *(ctx.hectares(f"linked_{s}_ha", d).with_interval for s in LAND_SOURCES),
                ctx.hectares("land_shortfall_ha", d).with_interval,
                _per_capita(ctx, d),
                _limits(ctx, d) if d != CITY else "",
            )
        )
    doc.add(
        Heading("Land granted against entitlement"),
        Paragraph(
            f"Over {_span(ctx.base + 1, ctx.last)} the linkage rule entitled the districts to "
            f"{entitled.text} ha for their settlers; {granted.text} ha was granted ({sources}) "
            f"and {short.text} ha was not."
        ),
        table(header, rows, numeric=tuple(range(1, 6))),
        Paragraph(
            "Plan quota and rural exit add new urban construction land; renewal reuses existing "
            "urban land. The band is the GB 50137-2011 planning range of construction land per "
            "person; the status is at the end of the run. Limit that bound: *supply* — the "
            "annual plan quota, rural exit and renewal land were used up; *ceiling* — the "
            "planned construction-land ceiling stopped new land; *central* — a central "
            "district, which gets no new land for settlement (国土资发〔2016〕123号), its "
            "settlers housed by renewal; *renewal* — a central district whose settlers needed "
            "more renewal land than renewal supplied (plan §7)"
            + (
                "; with replicates, the limit most replicates report."
                if ctx.replicates > 1
                else "."
            )
        ),
    )
    _central_renewal(ctx, doc)
    _other_land(ctx, doc)
    uses = [f"linked_{u}_ha" for u in LAND_USES]
    doc.add(
        Paragraph("Linked land by use, in the national order of priority:"),
        table(
            ("district", *(label(v) for v in uses)),
            [(ctx.name(d), *(ctx.hectares(v, d).text for v in uses)) for d in ctx.table.districts],
            numeric=(1, 2, 3),
        ),
    )
    _images(doc, figures, LAND_FIGURES)


CENTRAL_RENEWAL = (
    "central_renewal_need_ha",
    "central_renewal_ha",
    "central_renewal_shortfall_ha",
)
OTHER_LAND = (
    "other_land_demand_ha",
    "other_land_granted_ha",
    "new_construction_land_ha",
)


def _central_renewal(ctx: Context, doc: Document) -> None:
    """Settlers of the central districts: the renewal land they needed, what renewal supplied
    and what it did not (国土资发〔2016〕123号 gives them no new land; plan §7 renewal)."""
    central = [
        d for d in ctx.scenario["land"].get("central_districts", ()) if d in districts(ctx.table)
    ]
    if not central or not set(CENTRAL_RENEWAL) <= set(ctx.table.variables):
        return
    need, renewed, unmet = (ctx.hectares(v) for v in CENTRAL_RENEWAL)
    land = ctx.scenario["land"]
    per_person = float(land["housing_m2_per_person"]) + float(land["services_m2_per_person"])
    doc.add(
        Paragraph(
            f"The central districts ({', '.join(ctx.name(d) for d in central)}) get no new land "
            "for their settlers (国土资发〔2016〕123号); they are to be housed by renewal of "
            f"existing land (plan §7). At {per_person:g} m2 a person for housing and services, "
            f"their settlers needed {need.text} ha; renewal supplied {renewed.text} ha and "
            f"{unmet.text} ha was not met"
            + (" (limit *renewal* in the years it fell short)." if unmet.mean > 0 else ".")
        ),
        table(
            ("district", *(label(v) for v in CENTRAL_RENEWAL)),
            [
                (ctx.name(d), *(ctx.hectares(v, d).with_interval for v in CENTRAL_RENEWAL))
                for d in (*central, CITY)
            ],
            numeric=(1, 2, 3),
        ),
    )


def _other_land(ctx: Context, doc: Document) -> None:
    """The rest of the land story: other new land besides the linked land."""
    if not set(OTHER_LAND) <= set(ctx.table.variables):
        return
    wanted, other = ctx.hectares("other_land_demand_ha"), ctx.hectares("other_land_granted_ha")
    new = ctx.hectares("new_construction_land_ha")
    doc.add(
        Paragraph(
            "Linked land is only part of each district's land. The annual plan also serves other "
            f"demand (industry, infrastructure, the growth of urban residents): {wanted.text} ha "
            f"was wanted and {other.text} ha granted, within what linked land left of the plan "
            f"quota and of rural exit, and under the ceiling. In all, {new.text} ha of new urban "
            "construction land, which sets each year's land per urban resident and with it the "
            "next year's standard."
        ),
        table(
            ("district", *(label(v) for v in OTHER_LAND)),
            [
                (ctx.name(d), *(ctx.hectares(v, d).with_interval for v in OTHER_LAND))
                for d in ctx.table.districts
            ],
            numeric=(1, 2, 3),
        ),
    )


def _filled(ctx: Context, channel: str, district: str) -> str:
    years, filled = matrix(ctx.table, f"quota_filled_{channel}", district)
    full = years[modal(filled) == 1] if filled.size else years[:0]
    shown = f" ({_years(full.tolist())})" if 0 < len(full) < len(years) else ""
    return f"{len(full)} of {_count(len(years))}{shown}"


def quotas_section(ctx: Context, doc: Document) -> None:
    doc.add(Heading("Quotas"))
    ds = districts(ctx.table)
    rows = []
    for channel in QUOTA_CHANNELS:
        if f"quota_released_{channel}" not in ctx.table.variables:
            continue
        per_district = len(matrix(ctx.table, f"quota_filled_{channel}", ds[0])[0]) > 0
        for district in ds if per_district else [CITY]:
            _, released = matrix(ctx.table, f"quota_released_{channel}", district)
            first = released[0] if released.size else np.zeros(0)
            amount = (
                number(float(first[0]))
                if first.size and np.ptp(first) == 0
                else f"{number(float(first.min()))}-{number(float(first.max()))}"
                if first.size
                else "n/a"
            )
            where = "city" if district == CITY else ctx.name(district)
            rows.append((CHANNEL_LABELS[channel], where, amount, _filled(ctx, channel, district)))
    if not rows:
        doc.add(Paragraph("No channel with a quota is open."))
        return
    doc.add(
        table(("channel", "where", "quota released per year", "filled in"), rows, numeric=(2,)),
        Paragraph(
            "A quota is *filled* in a year when an approved applicant was turned away for lack "
            "of quota; in the other years the channel ran out of eligible, willing applicants "
            "first."
        ),
    )


def _fiscal_cell(ctx: Context, variable: str, scale: float, basis: str, district: str) -> str:
    samples = totals(ctx.table, variable, district) / scale
    if basis == "settled_heads":
        persons = ctx.settled(district) - float(
            np.mean(totals(ctx.table, "settled_dependents", district))
        )
    else:
        persons = float(np.mean(totals(ctx.table, basis, district)))
    # Money in millions is shown to 0.1 million at the finest; counts to one.
    quantum = 0.1 if scale > 1 else 1.0
    estimate = ctx.precision.scaled(samples, "", persons=persons, quantum=quantum)
    return estimate.with_interval


def fiscal_section(ctx: Context, doc: Document) -> None:
    header = ("district", *(f"{VARIABLES[v].label} ({u})" for v, _, u, _ in FISCAL))
    rows = [
        (ctx.name(d), *(_fiscal_cell(ctx, v, s, b, d) for v, s, _, b in FISCAL))
        for d in ctx.table.districts
    ]
    doc.add(
        Heading("Fiscal and public-service side"),
        Paragraph(
            f"Totals over {_span(ctx.base + 1, ctx.last)}: the citizenization reward money "
            "(人钱挂钩, plan §6), the public cost of the settlers, the school places, affordable "
            "housing units and insurance enrolments they need (plan §10-§14)."
        ),
        table(header, rows, numeric=tuple(range(1, len(header)))),
    )


# --- replicates, assumptions, reproduction ---------------------------------------------------


def headline_outcomes(manifest: Mapping[str, Any]) -> list[Outcome]:
    return [Outcome(**row) for row in manifest.get("headlines", [])]


def _outcome_estimate(ctx: Context, outcome: Outcome) -> Estimate:
    samples = np.asarray(list(outcome.by_run(ctx.table).values()))
    v = VARIABLES[outcome.variable]
    if v.unit == "persons":
        base = 0.0
        if outcome.year is not None and v.kind == "stock":
            base = float(np.mean(at_year(ctx.table, outcome.variable, ctx.base, outcome.district)))
        return ctx.precision.persons(samples, base=base)
    if v.unit in RATE_UNITS:
        return ctx.precision.rate(samples, v.unit)
    return ctx.precision.scaled(samples, v.unit, persons=ctx.settled(outcome.district))


def outcome_text(outcome: Outcome, value: Estimate) -> str:
    """A headline figure as shown; the gap's change in words, by its sign."""
    if outcome.variable == "gap_narrowing_since_baseline_pp":
        return change(value.mean, value.step, up="narrowed", down="widened")
    return value.text


def verdict(estimate: Estimate, unit: str, replicates: int) -> tuple[str, str]:
    """Whether `replicates` runs pinned a headline's mean down: the criterion (for a count,
    with where it stands) and the verdict, with about how many replicates would be enough.

    A rate or a difference of rates (`POINT_UNITS`) is judged in points, anything else
    relative to its mean. The interval shrinks with the square root of the replicates.
    """
    if unit in POINT_UNITS:
        criterion = f"under {ENOUGH_POINTS:g} points"
        ratio = estimate.half_width / ENOUGH_POINTS
    else:
        relative = estimate.relative_half_width()
        criterion = f"under {100 * ENOUGH:g} % of the mean"
        if math.isfinite(relative):
            criterion += f" (now {100 * relative:.2f} %)"
        ratio = relative / ENOUGH
    if math.isnan(ratio):
        return criterion, "one run: no interval"
    if math.isinf(ratio):
        return criterion, "mean is zero: judge by the interval"
    if ratio < 1:
        return criterion, "enough"
    return criterion, f"more replicates: about {math.ceil(replicates * ratio**2):,}"


def replicates_section(ctx: Context, doc: Document) -> None:
    doc.add(Heading("Were the replicates enough?"))
    if ctx.replicates == 1:
        doc.add(
            Paragraph(
                "This is one run, so its run-to-run variation is not measured; the figures are "
                "rounded by the rule above. Run with `--replicates 20` (or more) to measure it "
                "and to see whether the headline figures are pinned down."
            )
        )
        return
    rows = []
    for outcome in headline_outcomes(ctx.manifest):
        estimate = ctx.estimate(outcome)
        rows.append(
            (
                outcome.title,
                outcome_text(outcome, estimate),
                number(estimate.half_width, estimate.step),
                *verdict(estimate, outcome.unit, ctx.replicates),
            )
        )
    doc.add(
        Paragraph(
            f"For each headline figure: its mean over the {ctx.replicates} replicates, the "
            f"half-width of the 95 % interval of that mean, and when that is {ENOUGH_CRITERIA}"
        ),
        table(
            ("headline figure", "mean", "95 % half-width", "enough when", "verdict"),
            rows,
            numeric=(1, 2),
        ),
    )


ENOUGH_CRITERIA = (
    "enough. A count, land or money is pinned down when the half-width is under 1 % of its "
    "mean. A rate (%) or a difference of rates (points) is judged in points instead, under "
    f"{ENOUGH_POINTS:g} points: the plan states its rate targets to a tenth of a point, and a "
    "difference of rates such as the gap narrowed since the baseline is often near zero, where "
    "a half-width relative to the mean would ask for thousands of replicates to pin down almost "
    "nothing. The interval shrinks with the square root of the number of replicates, which "
    "gives the number suggested."
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


def _column(doc: Document, row: Mapping[str, Any], names: Mapping[str, str]) -> None:
    """An assumed district-table column: a line, then each district's value and note."""
    notes = row["notes"]
    lead = _lead(list(notes.values()))
    unit = f" ({row['unit']})" if row["unit"] else ""
    intro = f"; {lead.removesuffix('; ')}" if lead else ""
    rows = []
    for district, note in notes.items():
        value = row["value"].get(district)
        rows.append(
            (
                names.get(district, district),
                "n/a" if value is None else str(value),
                note.removeprefix(lead),
            )
        )
    doc.add(
        Paragraph(f"`{row['key']}`{unit}: {row['doc']}{intro}."),
        table(("district", "value", "note"), rows, numeric=(1,)),
    )


def _section(key: str) -> str:
    first = key.split(".")[0]
    return first if first in SECTIONS else "other"


def assumptions_section(
    doc: Document, rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]
) -> None:
    """The assumed inputs by section, those the headline figures depend on first."""
    doc.add(Heading("Assumed inputs"))
    if not rows:
        doc.add(Paragraph("No input is an assumption: every value has a source."))
        return
    headline = [r for r in rows if r.get("headline", True)]
    other = [r for r in rows if not r.get("headline", True)]
    doc.add(
        Paragraph(
            f"{len(rows)} inputs are assumptions (no published figure). {len(headline)} of "
            "them can change a headline figure (settlement, linked land, the targets) and come "
            "first; the others only split, price or grade what the headlines count."
        )
    )
    for title, group in (
        ("Inputs the headline figures depend on", headline),
        ("Other assumed inputs", other),
    ):
        if not group:
            continue
        doc.add(Heading(title, 3))
        for section in (*SECTIONS, "other"):
            members = [r for r in group if _section(str(r["key"])) == section]
            if not members:
                continue
            doc.add(Heading(section.capitalize(), 4))
            plain = [r for r in members if "notes" not in r]
            if plain:
                doc.add(
                    bullets(
                        [
                            f"`{r['key']}` = {_value(r['value'], r['unit'])} — {r['doc']}"
                            for r in plain
                        ]
                    )
                )
            for r in members:
                if "notes" in r:
                    _column(doc, r, names)


def reproduce_section(doc: Document, manifest: Mapping[str, Any], names: str = "") -> None:
    overrides = manifest.get("overrides") or {}
    doc.add(Heading("Reproducing this run" if not names else "Reproducing this comparison"))
    seeds = manifest.get("replicates", [])
    doc.add(
        Paragraph(
            f"Seed {manifest['seed']}"
            + (f"; the {len(seeds)} replicate seeds are spawned from it" if len(seeds) > 1 else "")
            + ". The same command, on the same inputs, gives the same tables:"
        ),
        Paragraph(f"`{manifest['command']}`"),
    )
    if overrides:
        doc.add(
            Paragraph("Values given on the command line with `--set`:"),
            table(("key", "value"), [(f"`{k}`", f"`{v}`") for k, v in overrides.items()]),
        )
    elif not names:
        doc.add(Paragraph("No value was overridden with `--set`."))


# --- the document ----------------------------------------------------------------------------


def rounding_example(ctx: Context) -> float | None:
    settled = ctx.settled()
    return settled if settled > 0 else None


def document(
    table_: LongTable, manifest: Mapping[str, Any], figures: Mapping[str, str] | None = None
) -> Document:
    """The report of one scenario's runs; `figures` names the figures there are to show."""
    ctx = Context(table_, manifest)
    figures = figures or {}
    s = ctx.scenario
    settled = ctx.persons("settled_total")
    granted, entitled = ctx.hectares("linked_land_ha"), ctx.hectares("land_entitlement_ha")
    doc = Document(f"{s['name']}: settlement and linked land, {_span(ctx.base, ctx.last)}")
    doc.add(
        Paragraph(
            f"Scenario `{s['name']}`, seed {manifest['seed']}, {_runs(ctx.replicates)}, "
            f"{s['persons_per_agent']} person(s) per agent, {len(ctx.table.districts) - 1} "
            f"districts, base year {ctx.base}. Over {_span(ctx.base + 1, ctx.last)}, "
            f"{settled.with_interval} persons settled, dependents included, and "
            f"{granted.with_interval} ha of land was linked to them (entitlement "
            f"{entitled.with_interval} ha)."
            + (" Figures are means over the replicates." if ctx.replicates > 1 else "")
        ),
        Paragraph(ctx.precision.rule(rounding_example(ctx))),
    )
    warnings = manifest.get("warnings") or []
    if warnings:
        doc.add(
            Heading("Warnings"),
            Paragraph("The scenario is valid, but these inputs look like mistakes:"),
            bullets(list(warnings)),
        )
    lines = target_lines(ctx)
    if lines:
        doc.add(Heading("Headline"), bullets(lines))
    targets_section(ctx, doc, figures)
    settlement_section(ctx, doc, figures)
    land_section(ctx, doc, figures)
    quotas_section(ctx, doc)
    fiscal_section(ctx, doc)
    replicates_section(ctx, doc)
    assumptions_section(doc, manifest.get("assumptions", []), ctx.names)
    reproduce_section(doc, manifest)
    return doc

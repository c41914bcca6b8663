"""Figures of one scenario's runs, drawn from a results table (never from the model).

Each function takes a long table and explicit options, draws on the given `ax` (or a new one)
and returns it, so figures can be restyled or combined; file names are the caller's business.
With several replicates, lines are medians and shaded bands the 5-95 % range over replicates;
stacked areas are means, which add up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from simulation.names import CHANNELS, CITY, LAND_SOURCES, Limit
from simulation.results import LongTable
from simulation.variables import VARIABLES, unit
from simulation.views.series import (
    axis_label,
    districts,
    limit_years,
    matrix,
    modal,
    percentiles,
    replicate_count,
)

SETTLED = (*(f"settled_{c}" for c in CHANNELS), "settled_dependents")
RESIDENCE = "settled_by_residence"
LINKED = tuple(f"linked_{s}_ha" for s in LAND_SOURCES)
#: The published value each target is measured on (the targets of plan §1).
TARGET_VALUES = {
    "hukou_population": "hukou_population",
    "hukou_urbanization": "hukou_urbanization_rate",
    "gap_narrowing": "gap_narrowing_since_baseline_pp",
}
PALETTE = ("#1b6ca8", "#e07b00", "#2a9d5c", "#c0392b", "#7d5ba6", "#8c6d31", "#d45d9e")
LIMIT_COLORS = {
    Limit.NONE: "#eceff3",
    Limit.SUPPLY: "#e07b00",
    Limit.CEILING: "#c0392b",
    Limit.CENTRAL: "#5b6b8c",
    Limit.RENEWAL: "#8e44ad",
}
BAND_ALPHA = 0.22
BAND_LABEL = "5-95 % of replicates"
SIZE = (7.5, 4.2)


def new_axes(ax: Axes | None, size: tuple[float, float] = SIZE) -> Axes:
    """The given axes, or one on a new bare Figure (no pyplot state; renders with Agg)."""
    if ax is None:
        ax = Figure(figsize=size, layout="constrained").add_subplot()
    return ax


def whole_years(ax: Axes) -> None:
    """Whole years on the x axis, thousands separated on the y axis."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.grid(axis="y", color="#dde2ea", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _thousands(value: float, _: Any = None) -> str:
    if value < 0 and abs(value) < 1e-12:
        value = 0.0
    if abs(value) >= 1000 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _nonnegative(value: float, position: Any = None) -> str:
    """Tick labels of a y axis whose negative part holds marks, not values."""
    return "" if value < 0 else _thousands(value)


def draw_band(
    ax: Axes,
    years: np.ndarray,
    values: np.ndarray,
    *,
    color: str,
    label: str,
    linestyle: str = "-",
    linewidth: float = 1.8,
) -> None:
    """One series: the line of a single run, or the median and 5-95 % band of replicates."""
    if values.size == 0:
        return
    if len(values) == 1:
        ax.plot(years, values[0], color=color, label=label, linestyle=linestyle, lw=linewidth)
        return
    p5, p50, p95 = percentiles(values)
    ax.fill_between(years, p5, p95, color=color, alpha=BAND_ALPHA, linewidth=0)
    ax.plot(years, p50, color=color, label=label, linestyle=linestyle, lw=linewidth)


def finish_legend(ax: Axes, *, banded: bool, **options: Any) -> None:
    """The axes' legend, with one entry for the replicate bands when there are any."""
    handles, labels = ax.get_legend_handles_labels()
    if banded:
        handles.append(Patch(facecolor="grey", alpha=BAND_ALPHA + 0.1, linewidth=0))
        labels.append(BAND_LABEL)
    if handles:
        ax.legend(handles, labels, fontsize="small", frameon=False, **options)


def _where(district: str) -> str:
    return "city" if district == CITY else district


def _short(variable: str) -> str:
    """A label without the family prefix ('Settled: talent introduction' -> 'talent ...')."""
    text = VARIABLES[variable].label
    return text.split(": ", 1)[1] if ": " in text else text


# --- settlement and population ---------------------------------------------------------------


def plot_settlement(
    table: LongTable,
    *,
    district: str = CITY,
    scenario: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Settled persons per year, stacked by channel with dependents on top (means over
    replicates), and the 5-95 % band of the total.

    A district's settlers are counted where they registered (a talent may register at the
    employer's district, plan §5 一); a dashed line counts them where they live (mean over
    replicates). The city counts everyone once either way.
    """
    ax = new_axes(ax)
    years, total = matrix(table, "settled_total", district, scenario=scenario)
    stacks = [matrix(table, v, district, scenario=scenario)[1].mean(axis=0) for v in SETTLED]
    ax.stackplot(
        years,
        *stacks,
        labels=[_short(v) for v in SETTLED],
        colors=[*PALETTE[: len(CHANNELS)], "#b8c2d1"],
        alpha=0.9,
    )
    banded = len(total) > 1
    if banded:
        p5, _, p95 = percentiles(total)
        ax.fill_between(years, p5, p95, color="black", alpha=0.15, linewidth=0)
    where = _where(district)
    if district != CITY:
        where = f"registered in {district}"
        _, living = matrix(table, RESIDENCE, district, scenario=scenario)
        if living.size:
            label = VARIABLES[RESIDENCE].label
            ax.plot(years, living.mean(axis=0), color="black", ls="--", lw=1.4, label=label)
    ax.set(title=f"{VARIABLES['settled_total'].label} by channel, {where}")
    ax.set(xlabel="Year", ylabel=axis_label("settled_total"))
    ax.set_ylim(bottom=0)
    whole_years(ax)
    finish_legend(ax, banded=banded, loc="upper left", ncols=3)
    ax.set_ylim(top=ax.get_ylim()[1] * 1.25)  # room for the legend above the stack
    return ax


def _banded_lines(
    ax: Axes, table: LongTable, variables: tuple[str, ...], district: str, scenario: str | None
) -> bool:
    """One line (and band, with replicates) per variable; whether any band was drawn."""
    banded = False
    for variable, color in zip(variables, PALETTE, strict=False):
        years, values = matrix(table, variable, district, scenario=scenario)
        draw_band(ax, years, values, color=color, label=VARIABLES[variable].label)
        banded = banded or len(values) > 1
    return banded


def plot_population(
    table: LongTable,
    *,
    district: str = CITY,
    scenario: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Registered and non-registered population at year end."""
    ax = new_axes(ax)
    pair = ("hukou_population", "non_hukou_population")
    banded = _banded_lines(ax, table, pair, district, scenario)
    ax.set(title=f"Registered and non-registered population, {_where(district)}", xlabel="Year")
    ax.set_ylabel(f"Population at year end ({unit('hukou_population')})")
    ax.set_ylim(bottom=0)
    whole_years(ax)
    finish_legend(ax, banded=banded, loc="lower left")
    return ax


def plot_urbanization(
    table: LongTable,
    *,
    district: str = CITY,
    scenario: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Resident and hukou urbanization rates (the model's own series, unshifted)."""
    ax = new_axes(ax)
    pair = ("resident_urbanization_rate", "hukou_urbanization_rate")
    banded = _banded_lines(ax, table, pair, district, scenario)
    ax.set(title=f"Urbanization rates, {_where(district)}", xlabel="Year")
    ax.set_ylabel(f"Urbanization rate ({unit('hukou_urbanization_rate')})")
    whole_years(ax)
    finish_legend(ax, banded=banded)
    return ax


def plot_target(
    table: LongTable,
    target: str,
    *,
    scenario: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A target's value (city) against its published path to the goal (plan §1, §17).

    `target` is one of `TARGET_VALUES`: hukou_population, hukou_urbanization, gap_narrowing.
    """
    ax = new_axes(ax)
    variable = TARGET_VALUES[target]
    years, values = matrix(table, variable, scenario=scenario)
    path_years, path = matrix(table, f"target_{target}_path", scenario=scenario)
    if path.size:
        path_label = VARIABLES[f"target_{target}_path"].label.split(": ")[0]
        ax.plot(path_years, path[0], color="black", linestyle="--", lw=1.2, label=path_label)
    draw_band(ax, years, values, color=PALETTE[0], label=VARIABLES[variable].label)
    if target == "gap_narrowing":
        ax.axhline(0, color="grey", lw=0.8)
    ax.set(title=f"{VARIABLES[variable].label}: path to the target", xlabel="Year")
    ax.set_ylabel(axis_label(variable))
    whole_years(ax)
    finish_legend(ax, banded=len(values) > 1)
    return ax


def plot_gap(table: LongTable, *, scenario: str | None = None, ax: Axes | None = None) -> Axes:
    """The urbanization gap's narrowing since the baseline year against its target path."""
    return plot_target(table, "gap_narrowing", scenario=scenario, ax=ax)


# --- land ------------------------------------------------------------------------------------


def _limit_rows(
    table: LongTable, district: str, scenario: str | None
) -> dict[Limit, tuple[np.ndarray, np.ndarray]]:
    """Years each limit bound (most common over replicates) and how many districts it bound
    in (1 for a district)."""
    names = districts(table) if district == CITY else (district,)
    rows: dict[Limit, tuple[list[int], list[int]]] = {}
    for name in names:
        bound = limit_years(table, name, scenario=scenario) or {}
        for limit, years in bound.items():
            for year in years.tolist():
                got = rows.setdefault(limit, ([], []))
                if year in got[0]:
                    got[1][got[0].index(year)] += 1
                else:
                    got[0].append(year)
                    got[1].append(1)
    return {k: (np.asarray(y), np.asarray(n)) for k, (y, n) in sorted(rows.items())}


def _mark_limits(ax: Axes, table: LongTable, district: str, scenario: str | None) -> bool:
    """Rows of marks under zero: one row per limit, a mark (the city: a count of districts)
    in each year it bound."""
    rows = _limit_rows(table, district, scenario)
    if not rows:
        return False
    top = ax.get_ylim()[1]
    step = top * 0.07
    ticks = [t for t in ax.get_yticks() if 0 <= t <= top]
    ax.set_yticks(ticks)
    ax.set_ylim(-step * (len(rows) + 0.6), top)
    ax.yaxis.set_major_formatter(FuncFormatter(_nonnegative))
    ax.axhline(0, color="#9aa3b2", lw=0.8)
    for i, (limit, (years, counts)) in enumerate(rows.items()):
        y = -step * (i + 0.8)
        color = LIMIT_COLORS[limit]
        if district == CITY:
            for year, n in zip(years.tolist(), counts.tolist(), strict=True):
                ax.text(
                    year,
                    y,
                    str(n),
                    color=color,
                    ha="center",
                    va="center",
                    fontsize=7,
                    fontweight="bold",
                )
            label = f"Districts bound: {limit.label}"
        else:
            ax.plot(years, np.full(len(years), y), "s", color=color, markersize=4)
            label = f"Limit that bound: {limit.label}"
        ax.plot([], [], "s", color=color, label=label)  # legend entry
    return True


def plot_land(
    table: LongTable,
    *,
    district: str = CITY,
    scenario: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Linked land granted, cumulative and stacked by source (means over replicates), against
    the cumulative entitlement of the linkage rule; the limits that bound marked underneath."""
    ax = new_axes(ax)
    years, entitled = matrix(table, "land_entitlement_ha", district, scenario=scenario)
    stacks = [
        np.cumsum(matrix(table, v, district, scenario=scenario)[1], axis=1).mean(axis=0)
        for v in LINKED
    ]
    if years.size:
        ax.stackplot(
            years,
            *stacks,
            labels=[VARIABLES[v].label for v in LINKED],
            colors=PALETTE[:3],
            alpha=0.85,
        )
        draw_band(
            ax,
            years,
            np.cumsum(entitled, axis=1),
            color="black",
            label=f"{VARIABLES['land_entitlement_ha'].label}, cumulative",
            linestyle="--",
            linewidth=1.4,
        )
    ax.set(title=f"Linked land against entitlement, {_where(district)}", xlabel="Year")
    ax.set_ylabel(f"Land, cumulative ({unit('linked_land_ha')})")
    ax.set_ylim(bottom=0)
    ax.set_ylim(top=max(ax.get_ylim()[1], 1.0) * 1.05)
    whole_years(ax)
    _mark_limits(ax, table, district, scenario)
    finish_legend(ax, banded=len(entitled) > 1, loc="upper left")
    return ax


def plot_limits(
    table: LongTable,
    *,
    scenario: str | None = None,
    names: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Which limit stopped each district's land for settlers, year by year (most common over
    replicates)."""
    ds = districts(table)
    ax = new_axes(ax, (7.5, 0.8 + 0.32 * len(ds)))
    rows, years = [], np.zeros(0)
    for d in ds:
        years, codes = matrix(table, "land_binding_limit", d, scenario=scenario)
        rows.append(modal(codes) if codes.size else np.zeros(len(years), dtype=np.int64))
    if len(rows) and len(years):
        grid = np.vstack(rows)
        colors = ListedColormap([LIMIT_COLORS[limit] for limit in Limit])
        bounds = np.arange(len(Limit) + 1) - 0.5
        edges_x = np.r_[years - 0.5, years[-1] + 0.5]
        edges_y = np.arange(len(ds) + 1) - 0.5
        ax.pcolormesh(
            edges_x,
            edges_y,
            grid,
            cmap=colors,
            norm=BoundaryNorm(bounds, len(Limit)),
            edgecolors="white",
            linewidth=0.8,
        )
    ax.set_yticks(np.arange(len(ds)), [(names or {}).get(d, d) for d in ds])
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(title=f"{VARIABLES['land_binding_limit'].label}, by district and year", xlabel="Year")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    handles = [Patch(facecolor=LIMIT_COLORS[limit], label=limit.label) for limit in Limit]
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small"
    )
    return ax


def plot_land_per_capita(
    table: LongTable,
    *,
    band: Sequence[float],
    districts_shown: Sequence[str] | None = None,
    scenario: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Construction land per urban resident, each district and the city, against the
    planning band of GB 50137-2011 (`band`: low and high, m2 per person)."""
    ax = new_axes(ax, (7.5, 4.6))
    variable = "construction_land_per_capita_m2"
    low, high = float(band[0]), float(band[1])
    ax.axhspan(
        low,
        high,
        color="#2a9d5c",
        alpha=0.12,
        linewidth=0,
        label=f"Planning band {low:g}-{high:g} {unit(variable)}",
    )
    shown = list(districts_shown if districts_shown is not None else districts(table))
    colors = [_cycle(i) for i in range(len(shown))]
    for d, color in zip(shown, colors, strict=True):
        years, values = matrix(table, variable, d, scenario=scenario)
        if values.size:
            ax.plot(years, np.median(values, axis=0), color=color, lw=1.1, label=d)
    years, values = matrix(table, variable, CITY, scenario=scenario)
    draw_band(ax, years, values, color="black", label="City", linewidth=2.4)
    ax.set(title=f"{VARIABLES[variable].label} against the planning band", xlabel="Year")
    ax.set_ylabel(axis_label(variable))
    ax.set_ylim(bottom=0)
    whole_years(ax)
    finish_legend(ax, banded=len(values) > 1, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def _cycle(i: int) -> str:
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    return to_hex(colormaps["tab20"](i % 20))


# --- small multiples -------------------------------------------------------------------------

Panel = Callable[..., Axes]


def grid_shape(panels: int, ncols: int | None = None) -> tuple[int, int]:
    """Rows and columns of a grid of `panels`: about square, at most four columns."""
    ncols = ncols or min(4, max(1, math.ceil(math.sqrt(panels))))
    return max(1, math.ceil(panels / ncols)), ncols


def plot_districts(
    table: LongTable,
    panel: Panel = plot_population,
    *,
    fig: Figure | None = None,
    ncols: int | None = None,
    names: Mapping[str, str] | None = None,
    **options: Any,
) -> list[Axes]:
    """One panel per district, in a grid: `panel(table, district=..., ax=..., **options)`.

    Every panel keeps its own y axis (districts differ in size by orders of magnitude); the
    legend is shown once, above the grid. Returns the panels drawn.
    """
    ds = districts(table)
    nrows, ncols = grid_shape(len(ds), ncols)
    if fig is None:
        fig = Figure(figsize=(3.4 * ncols, 2.6 * nrows + 0.8), layout="constrained")
    grid = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    for ax in grid[len(ds) :]:
        ax.set_visible(False)
    drawn: list[Axes] = []
    for i, (ax, d) in enumerate(zip(grid, ds, strict=False)):
        panel(table, district=d, ax=ax, **options)
        ax.set_title((names or {}).get(d, d), fontsize="medium")
        ax.set_xlabel("")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax.tick_params(labelsize="small")
        ax.yaxis.label.set_size("small")
        if i % ncols:  # the y label once per row, on the left
            ax.set_ylabel("")
        if i + ncols >= len(ds):  # nothing below: this panel shows the years
            ax.xaxis.set_tick_params(labelbottom=True)
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
        drawn.append(ax)
    if drawn:
        banded = replicate_count(table, options.get("scenario")) > 1
        _grid_legend(fig, drawn, banded=banded)
    return drawn


def _grid_legend(fig: Figure, panels: list[Axes], *, banded: bool) -> None:
    """One legend for the grid, with every entry any panel has (limits bind in some only)."""
    entries: dict[str, Any] = {}
    for ax in panels:
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(text, handle)
    if banded:
        entries[BAND_LABEL] = Patch(facecolor="grey", alpha=BAND_ALPHA + 0.1, linewidth=0)
    if entries:
        longest = max(len(text) for text in entries)
        fits = max(1, int(fig.get_figwidth() / (0.09 * longest + 0.6)))
        fig.legend(
            list(entries.values()),
            list(entries),
            loc="outside upper center",
            ncols=min(fits, len(entries)),
            fontsize="small",
            frameon=False,
        )


def legend_texts(ax: Axes) -> list[str]:
    """The texts of an axes' legend (and its figure's), for checks."""
    texts = []
    for legend in (ax.get_legend(), *getattr(ax.figure, "legends", [])):
        if legend is not None:
            texts += [t.get_text() for t in legend.get_texts()]
    return texts

"""Figures of the main series, drawn from a results table (never from the model).

Each function takes a long table and an optional `ax`, draws on it and returns it, so figures
can be restyled or combined; file names are the caller's business.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from simulation.names import CHANNELS, LAND_SOURCE_LABELS, LAND_SOURCES
from simulation.results import LongTable

SETTLED = (*(f"settled_{c}" for c in CHANNELS), "settled_dependents")
SOURCES = {f"linked_{s}_ha": LAND_SOURCE_LABELS[s] for s in LAND_SOURCES}


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        # A bare Figure needs no pyplot state or screen backend; it renders with Agg.
        ax = Figure(figsize=(8, 4.5)).add_subplot()
    return ax


def _by_year(ax: Axes) -> None:
    """Whole years on the x axis, thousands separated on the y axis."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def plot_settlement(table: LongTable, *, ax: Axes | None = None) -> Axes:
    """City settlers per year, stacked by channel, dependents on top."""
    ax = _axes(ax)
    years, _ = table.select("settled_total")
    stacks = [table.select(v)[1] for v in SETTLED]
    labels = [v.removeprefix("settled_") for v in SETTLED]
    ax.stackplot(years, *stacks, labels=labels)
    ax.set(title="Settled per year by channel (city)", xlabel="year", ylabel="persons")
    _by_year(ax)
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_land(table: LongTable, *, ax: Axes | None = None) -> Axes:
    """City linked land stacked by source, under the entitlement of the linkage rule."""
    ax = _axes(ax)
    years, _ = table.select("linked_land_ha")
    stacks = [table.select(v)[1] for v in SOURCES]
    ax.stackplot(years, *stacks, labels=[f"linked: {label}" for label in SOURCES.values()])
    years, entitlement = table.select("land_entitlement_ha")
    ax.plot(years, entitlement, "--", color="black", label="entitlement")
    ax.set(title="People-land linkage (city)", xlabel="year", ylabel="ha")
    ax.set_ylim(bottom=0)
    _by_year(ax)
    ax.legend(fontsize="small")
    return ax


def plot_urbanization(
    table: LongTable,
    *,
    ax: Axes | None = None,
    target: float | None = None,
    target_year: int | None = None,
) -> Axes:
    """Resident and hukou urbanization rates of the city, with the hukou target if given.

    The target is a point in `target_year`, or a level across all years if no year is given.
    """
    ax = _axes(ax)
    for variable in ("resident_urbanization_rate", "hukou_urbanization_rate"):
        years, values = table.select(variable)
        ax.plot(years, values, marker=".", label=variable)
    if target is not None and target_year is not None:
        label = f"hukou rate target ({target_year})"
        ax.plot([target_year], [target], "*", color="black", markersize=12, label=label)
    elif target is not None:
        ax.axhline(target, color="grey", linestyle=":", label="hukou rate target")
    ax.set(title="Urbanization (city)", xlabel="year", ylabel="%")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize="small")
    return ax


def plot_districts(table: LongTable, *, ax: Axes | None = None) -> Axes:
    """Settlers, land entitlement and linked land summed over the run, per district."""
    ax = _axes(ax)
    districts = [d for d in table.districts if d != "ALL"]
    x = np.arange(len(districts))
    settled = np.array([table.select("settled_total", d)[1].sum() for d in districts])
    ax.bar(x, settled / 1000, color="tab:blue", label="settled (thousand persons)")
    twin: Any = ax.twinx()
    for variable, style, label in (
        (
            "land_entitlement_ha",
            {"marker": "_", "markersize": 18, "mew": 3, "color": "k"},
            "entitled",
        ),
        ("linked_land_ha", {"marker": "o", "color": "tab:red"}, "linked"),
    ):
        land = np.array([table.select(variable, d)[1].sum() for d in districts])
        twin.plot(x, land, linestyle="none", label=f"{label} land (ha)", **style)
    twin.set_ylabel("ha")
    ax.set_xticks(x, districts, rotation=45, ha="right")
    ax.set(title="Settlement and land by district, whole run", ylabel="thousand persons")
    for axis in (ax, twin):  # both start at zero, so the dots sit on the bars' baseline
        axis.set_ylim(bottom=0)
        axis.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    handles = ax.get_legend_handles_labels()
    twin_handles = twin.get_legend_handles_labels()
    ax.legend(handles[0] + twin_handles[0], handles[1] + twin_handles[1], fontsize="small")
    return ax


FIGURES = {
    "settlement": plot_settlement,
    "land": plot_land,
    "urbanization": plot_urbanization,
    "districts": plot_districts,
}


def save_figure(table: LongTable, name: str, path: Any, **options: Any) -> None:
    """Draw one of FIGURES, with its own keyword `options`, into a file."""
    fig = Figure(figsize=(8, 4.5))
    FIGURES[name](table, ax=fig.add_subplot(), **options)
    fig.tight_layout()
    fig.savefig(path, dpi=200)

"""Figures comparing scenarios: each scenario's series overlaid, and the paired differences.

Like every figure function, these take a table (or the differences) and explicit options,
draw on the given `ax` or a new one and return it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from simulation.names import CITY
from simulation.results import Differences, LongTable
from simulation.variables import VARIABLES
from simulation.views.plots import (
    BAND_ALPHA,
    PALETTE,
    _where,
    draw_band,
    finish_legend,
    new_axes,
    whole_years,
)
from simulation.views.series import axis_label, matrix


def plot_scenarios(
    table: LongTable,
    variable: str,
    *,
    district: str = CITY,
    cumulative: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Every scenario's series of one variable: medians and 5-95 % bands over replicates."""
    ax = new_axes(ax)
    banded = False
    for i, scenario in enumerate(table.scenarios):
        years, values = matrix(table, variable, district, scenario=scenario)
        if cumulative and values.size:
            values = np.cumsum(values, axis=1)
        draw_band(ax, years, values, color=PALETTE[i % len(PALETTE)], label=scenario)
        banded = banded or len(values) > 1
    suffix = ", cumulative" if cumulative else ""
    ax.set(title=f"{VARIABLES[variable].label}{suffix}, {_where(district)}", xlabel="Year")
    ax.set_ylabel(axis_label(variable, cumulative=cumulative))
    whole_years(ax)
    finish_legend(ax, banded=banded)
    return ax


def plot_difference(
    differences: Differences,
    variable: str,
    *,
    district: str = CITY,
    scenario: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A scenario minus the reference, year by year: the mean paired difference over
    replicates and its 95 % interval."""
    ax = new_axes(ax)
    years, mean, low, high = differences.select(variable, district, scenario=scenario)
    reference = str(differences.reference[0]) if len(differences) else "reference"
    shown = scenario or (str(differences.scenario[0]) if len(differences) else "")
    ax.axhline(0, color="grey", lw=0.8)
    handles = []
    if len(years) and np.isfinite(low).all():
        ax.fill_between(years, low, high, color=PALETTE[0], alpha=BAND_ALPHA, linewidth=0)
        handles.append(Patch(facecolor=PALETTE[0], alpha=BAND_ALPHA + 0.1, label="95 % interval"))
    ax.plot(years, mean, color=PALETTE[0], lw=1.8, label=f"{shown} minus {reference}")
    ax.set(title=f"Difference in {VARIABLES[variable].label.lower()}, {_where(district)}")
    ax.set(xlabel="Year", ylabel=f"Difference: {axis_label(variable)}")
    whole_years(ax)
    lines, labels = ax.get_legend_handles_labels()
    ax.legend(
        [*lines, *handles],
        [*labels, *(str(h.get_label()) for h in handles)],
        fontsize="small",
        frameon=False,
    )
    return ax

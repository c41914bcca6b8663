"""Figures of a sweep's sensitivity indices, drawn from the rows of sensitivity.csv.

Rows are mappings with the columns `method, outcome, variable, district, parameter, index,
value, conf` (numbers as floats); each function draws on an optional `ax` and returns it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

Rows = Sequence[Mapping[str, Any]]

#: The indices drawn for each method, the main one first.
SHOWN = {
    "sobol": ("ST", "S1"),
    "morris": ("mu_star", "sigma"),
    "rbd_fast": ("S1",),
    "pawn": ("median", "maximum"),
}
MEANING = {
    "S1": "first-order (S1)",
    "ST": "total (ST)",
    "mu_star": "mu* (mean |elementary effect|)",
    "sigma": "sigma (interactions, non-linearity)",
    "median": "PAWN median KS",
    "maximum": "PAWN maximum KS",
}


def _axes(ax: Axes | None, height: float = 4.5) -> Axes:
    if ax is None:
        ax = Figure(figsize=(8, height)).add_subplot()
    return ax


def _number(value: Any) -> float:
    return math.nan if value in ("", None) else float(value)


def plot_indices(rows: Rows, outcome: str, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars of each parameter's indices for one outcome, with 95 % intervals where
    the method gives them; parameters sorted by the main index."""
    mine = [r for r in rows if r["outcome"] == outcome]
    method = str(mine[0]["method"]) if mine else "sobol"
    shown = SHOWN.get(method, tuple(dict.fromkeys(r["index"] for r in mine)))
    table = {(r["parameter"], r["index"]): r for r in mine}
    parameters = list(dict.fromkeys(r["parameter"] for r in mine))
    main = shown[0]
    parameters.sort(key=lambda p: _number(table.get((p, main), {}).get("value", math.nan)))
    ax = _axes(ax, height=max(2.5, 0.5 + 0.45 * len(parameters) * len(shown)))
    y = np.arange(len(parameters))
    height = 0.8 / len(shown)
    for i, index in enumerate(shown):
        values = [_number(table.get((p, index), {}).get("value")) for p in parameters]
        conf = [_number(table.get((p, index), {}).get("conf")) for p in parameters]
        errors = None if all(math.isnan(c) for c in conf) else np.nan_to_num(conf)
        ax.barh(
            y + (i - (len(shown) - 1) / 2) * height,
            np.nan_to_num(values),
            height=height,
            xerr=errors,
            capsize=2,
            label=MEANING.get(index, index),
        )
    ax.set_yticks(y, parameters, fontsize="small")
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set(title=f"{outcome} ({method})", xlabel="index")
    ax.legend(fontsize="small", loc="lower right")
    return ax


def plot_districts(
    rows: Rows, outcomes: Sequence[str], *, ax: Axes | None = None, title: str = ""
) -> Axes:
    """A heat map of the main index: parameters by district, for an outcome given per
    district (one outcome name per district)."""
    mine = [r for r in rows if r["outcome"] in outcomes]
    method = str(mine[0]["method"]) if mine else "sobol"
    main = SHOWN.get(method, ("S1",))[0]
    mine = [r for r in mine if r["index"] == main]
    districts = list(dict.fromkeys(r["district"] for r in mine))
    parameters = list(dict.fromkeys(r["parameter"] for r in mine))
    grid = np.full((len(parameters), len(districts)), np.nan)
    for r in mine:
        grid[parameters.index(r["parameter"]), districts.index(r["district"])] = _number(r["value"])
    ax = _axes(ax, height=max(3.0, 1.5 + 0.45 * len(parameters)))
    image = ax.imshow(grid, aspect="auto", cmap="viridis")
    ax.set_xticks(np.arange(len(districts)), districts, rotation=45, ha="right")
    ax.set_yticks(np.arange(len(parameters)), parameters, fontsize="small")
    ax.figure.colorbar(image, ax=ax, label=MEANING.get(main, main))
    ax.set(title=f"{title or 'per district'} ({method})")
    return ax


def save(
    plot: Callable[..., Axes], rows: Rows, what: Any, *, path: Any, fmt: str = "png", **kw: Any
) -> None:
    """Draw `plot(rows, what, **kw)` into a file of format `fmt`."""
    ax = plot(rows, what, **kw)
    figure = ax.figure
    assert isinstance(figure, Figure)
    figure.tight_layout()
    figure.savefig(path, format=fmt, dpi=150)

"""Which figures a run or a comparison has, each drawn once and rendered once per format.

A figure carries a caption line (scenario, seed, replicates) along its bottom edge; the report
shows the same caption under it.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from simulation.results import Differences, LongTable
from simulation.views import maps, overlays, plots
from simulation.views.series import replicate_count

DPI = 200  # print resolution
CAPTION_INCHES = 0.32


@dataclass(frozen=True)
class FigureSpec:
    """A figure: its file name (no extension), what it shows, its size and how to draw it."""

    name: str
    caption: str
    size: tuple[float, float]
    draw: Callable[[Figure], Any]


def caption_line(scenarios: Sequence[str], seed: int, replicates: int) -> str:
    """'Scenario x · seed 42 · 20 replicates' (each figure says how it summarises them)."""
    what = "Scenario" if len(scenarios) == 1 else "Scenarios"
    runs = "1 run" if replicates == 1 else f"{replicates} replicates"
    return f"{what} {', '.join(scenarios)} · seed {seed} · {runs}"


def build(spec: FigureSpec, caption: str) -> Figure:
    """Draw a figure with its caption line along the bottom."""
    fig = Figure(figsize=spec.size, layout="constrained")
    share = CAPTION_INCHES / spec.size[1]
    engine: Any = fig.get_layout_engine()
    engine.set(rect=(0, share, 1, 1 - share))
    spec.draw(fig)
    fig.text(0.01, share * 0.35, caption, fontsize=7, color="#5a6375", ha="left", va="bottom")
    return fig


class Gallery:
    """Figures drawn on first use and rendered to bytes once per format."""

    def __init__(self, specs: Sequence[FigureSpec], caption: str) -> None:
        self.specs = {s.name: s for s in specs}
        self.caption = caption
        self._bytes: dict[tuple[str, str], bytes] = {}

    @property
    def names(self) -> list[str]:
        return list(self.specs)

    def render(self, name: str, fmt: str) -> bytes:
        key = (name, fmt)
        if key not in self._bytes:
            fig = build(self.specs[name], self.caption)
            buffer = io.BytesIO()
            metadata = {"Date": None} if fmt == "svg" else None
            fig.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
            self._bytes[key] = buffer.getvalue()
        return self._bytes[key]

    def render_all(self, formats: Sequence[str]) -> None:
        """Render every figure in each format, on all cores where the platform can fork.

        Laying out and rasterising a dozen figures takes several seconds, all of it in
        matplotlib; forked workers share the figures' data without copying it.
        """
        todo = [(name, fmt) for fmt in dict.fromkeys(formats) for name in self.specs]
        todo = [key for key in todo if key not in self._bytes]
        workers = min(len(todo), os.cpu_count() or 1)
        # Forking a process that runs other threads can deadlock: then draw here, one by one.
        forkable = "fork" in multiprocessing.get_all_start_methods()
        if workers < 2 or not forkable or threading.active_count() > 1:
            for name, fmt in todo:
                self.render(name, fmt)
            return
        global _RENDERING  # what forked workers render from
        _RENDERING = self
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                for key, data in zip(todo, pool.map(_render_in_worker, todo), strict=True):
                    self._bytes[key] = data
        finally:
            _RENDERING = None


_RENDERING: Gallery | None = None


def _render_in_worker(key: tuple[str, str]) -> bytes:
    assert _RENDERING is not None  # set by the parent before forking
    return _RENDERING.render(*key)


def _one(draw: Callable[..., Any], *args: Any, **options: Any) -> Callable[[Figure], Any]:
    return lambda fig: draw(*args, ax=fig.add_subplot(), **options)


def _grid(panel: plots.Panel, table: LongTable, **options: Any) -> Callable[[Figure], Any]:
    return lambda fig: plots.plot_districts(table, panel, fig=fig, **options)


def _grid_size(table: LongTable) -> tuple[float, float]:
    nrows, ncols = plots.grid_shape(len(table.districts) - 1)
    return (3.4 * ncols, 2.6 * nrows + 1.0)


def _targets(table: LongTable) -> Callable[[Figure], Any]:
    def draw(fig: Figure) -> None:
        axes = fig.subplots(3, 1, sharex=True)
        for ax, target in zip(axes, plots.TARGET_VALUES, strict=True):
            plots.plot_target(table, target, ax=ax)
            ax.set_xlabel("")
        axes[-1].set_xlabel("Year")

    return draw


def run_figures(
    table: LongTable, *, band: Sequence[float], shapes: maps.Shapes
) -> list[FigureSpec]:
    """The figures of one scenario's runs; maps only where there are district shapes."""
    grid = _grid_size(table)
    specs = [
        FigureSpec(
            "settlement",
            "Settled persons per year by channel, city",
            (7.5, 4.4),
            _one(plots.plot_settlement, table),
        ),
        FigureSpec(
            "settlement_districts",
            "Settled persons per year by channel, each district where they registered; the "
            "dashed line counts them in the district where they live",
            grid,
            _grid(plots.plot_settlement, table),
        ),
        FigureSpec(
            "population",
            "Registered and non-registered population, city",
            (7.5, 4.2),
            _one(plots.plot_population, table),
        ),
        FigureSpec(
            "population_districts",
            "Registered and non-registered population, each district",
            grid,
            _grid(plots.plot_population, table),
        ),
        FigureSpec(
            "urbanization",
            "Resident and hukou urbanization rates, city",
            (7.5, 4.2),
            _one(plots.plot_urbanization, table),
        ),
        FigureSpec(
            "land",
            "Linked land against entitlement, cumulative, city; numbers under "
            "the axis count the districts where each limit bound",
            (7.5, 4.6),
            _one(plots.plot_land, table),
        ),
        FigureSpec(
            "land_districts",
            "Linked land against entitlement, cumulative, each "
            "district, with the years each limit bound",
            grid,
            _grid(plots.plot_land, table),
        ),
        FigureSpec(
            "limits",
            "Which limit stopped each district's land entitlement, by year",
            (8.5, 1.4 + 0.34 * (len(table.districts) - 1)),
            _one(plots.plot_limits, table),
        ),
        FigureSpec(
            "land_per_capita",
            "Construction land per urban resident against the planning band",
            (8.5, 4.8),
            _one(plots.plot_land_per_capita, table, band=band),
        ),
    ]
    if "target_gap_narrowing_path" in table.variables:
        specs.insert(
            0,
            FigureSpec(
                "targets",
                "The plan's targets against their paths, city",
                (7.5, 8.6),
                _targets(table),
            ),
        )
    if shapes:
        for name, variable, what in (
            (
                "map_settled",
                "settled_total",
                "Settled persons over the run, by district of registration",
            ),
            (
                "map_settled_by_residence",
                "settled_by_residence",
                "Settled persons over the run, by district of residence",
            ),
            ("map_linked_land", "linked_land_ha", "Linked land granted over the run, by district"),
            (
                "map_land_per_capita",
                "construction_land_per_capita_m2",
                "Construction land per urban resident at the horizon, by district",
            ),
        ):
            specs.append(
                FigureSpec(
                    name, what, (7.0, 6.2), _one(maps.plot_map, table, variable, shapes=shapes)
                )
            )
    return specs


COMPARED = (
    ("settled_total", False),
    ("hukou_population", False),
    ("linked_land_ha", True),
    ("gap_narrowing_since_baseline_pp", False),
)


def _compared(table: LongTable) -> list[tuple[str, bool]]:
    out = [(v, c) for v, c in COMPARED if v in table.variables]
    if "gap_narrowing_since_baseline_pp" not in table.variables:
        out.append(("hukou_urbanization_rate", False))
    return out


def _overlay(table: LongTable) -> Callable[[Figure], Any]:
    def draw(fig: Figure) -> None:
        axes = fig.subplots(2, 2, sharex=True).ravel()
        for ax, (variable, cumulative) in zip(axes, _compared(table), strict=False):
            overlays.plot_scenarios(table, variable, cumulative=cumulative, ax=ax)
        _bottom_years(axes)

    return draw


def _bottom_years(axes: Sequence[Any]) -> None:
    """A 2 x 2 grid sharing its years: the axis label on the bottom row only."""
    for ax in axes[:2]:
        ax.set_xlabel("")


def _differences(
    table: LongTable, differences: Differences, scenario: str
) -> Callable[[Figure], Any]:
    def draw(fig: Figure) -> None:
        axes = fig.subplots(2, 2, sharex=True).ravel()
        for ax, (variable, _) in zip(axes, _compared(table), strict=False):
            overlays.plot_difference(differences, variable, scenario=scenario, ax=ax)
        _bottom_years(axes)

    return draw


def difference_name(base: str, scenario: str, others: Sequence[str]) -> str:
    return base if len(others) == 1 else f"{base}_{scenario}"


def comparison_figures(
    table: LongTable, differences: Differences, *, shapes: maps.Shapes
) -> list[FigureSpec]:
    """Overlays of every scenario, and each scenario's differences from the reference."""
    others = table.scenarios[1:]
    specs = [FigureSpec("scenarios", "Each scenario's series, city", (11.0, 7.6), _overlay(table))]
    for scenario in others:
        specs.append(
            FigureSpec(
                difference_name("differences", scenario, others),
                f"{scenario} minus {table.scenarios[0]}, paired by replicate, city",
                (11.0, 7.6),
                _differences(table, differences, scenario),
            )
        )
        if not shapes:
            continue
        for base, variable, what in (
            ("map_difference_settled", "settled_total", "settled persons over the run"),
            ("map_difference_linked_land", "linked_land_ha", "linked land over the run"),
            (
                "map_difference_land_per_capita",
                "construction_land_per_capita_m2",
                "construction land per urban resident at the horizon",
            ),
        ):
            specs.append(
                FigureSpec(
                    difference_name(base, scenario, others),
                    f"Difference in {what}, {scenario} minus {table.scenarios[0]}, by district",
                    (7.0, 6.2),
                    _one(
                        maps.plot_difference_map,
                        differences,
                        variable,
                        shapes=shapes,
                        scenario=scenario,
                    ),
                )
            )
    return specs


def shapes_of(manifest: Mapping[str, Any]) -> maps.Shapes:
    """The district shapes a run's manifest points to (none without a boundaries file)."""
    table = manifest["scenario"]["districts"]
    return maps.load_shapes(table.get("boundaries") or None, table["districts"])


def run_caption(table: LongTable, manifest: Mapping[str, Any]) -> str:
    return caption_line(table.scenarios, manifest["seed"], replicate_count(table))

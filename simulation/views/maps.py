"""District maps from a GeoJSON file, drawn with matplotlib patches (no GIS library).

Features are matched to districts by administrative code (`adcode`), else by Chinese name
(`name_zh` against the feature's `name`). A district table without boundaries gets no map.
Longitude and latitude are drawn at equal scale for the map's mean latitude (the x axis is
stretched by 1 / cos(latitude)), which is what a local map needs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path as FilePath
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import CenteredNorm, Normalize
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.ticker import FuncFormatter

from simulation.results import Differences, LongTable
from simulation.variables import VARIABLES
from simulation.views.plots import new_axes
from simulation.views.series import districts, matrix, replicate_count

Ring = np.ndarray  # (points, 2): longitude, latitude
Polygon = list[Ring]  # the outer ring, then any holes
Shapes = dict[str, list[Polygon]]  # district -> its polygons
SMALL = 0.012  # a district under this share of the map's extent is named beside the map


def _polygons(geometry: Mapping[str, Any] | None) -> list[Polygon]:
    if not geometry:
        return []
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    parts = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    return [
        [np.asarray(ring, dtype=float)[:, :2] for ring in part if len(ring) >= 3] for part in parts
    ]


def read_features(path: str | FilePath) -> list[tuple[dict[str, Any], list[Polygon]]]:
    """The features of a GeoJSON FeatureCollection: properties and polygons."""
    data = json.loads(FilePath(path).read_text(encoding="utf-8-sig"))
    return [
        (dict(f.get("properties") or {}), _polygons(f.get("geometry")))
        for f in data.get("features", [])
    ]


def _code(value: Any) -> str:
    text = str(value if value is not None else "").strip()
    return text[:-2] if text.endswith(".0") else text


def match_shapes(
    features: Sequence[tuple[Mapping[str, Any], list[Polygon]]],
    rows: Sequence[Mapping[str, Any]],
) -> Shapes:
    """Each district's polygons: the feature with its adcode, else the one with its Chinese
    name; districts with neither are left out."""
    by_code: dict[str, list[Polygon]] = {}
    by_name: dict[str, list[Polygon]] = {}
    for props, polygons in features:
        if _code(props.get("adcode")):
            by_code.setdefault(_code(props.get("adcode")), []).extend(polygons)
        if props.get("name"):
            by_name.setdefault(str(props["name"]).strip(), []).extend(polygons)
    shapes: Shapes = {}
    for row in rows:
        code, zh = _code(row.get("adcode")), str(row.get("name_zh") or "").strip()
        found = by_code.get(code) if code else None
        found = found or (by_name.get(zh) if zh else None)
        if found:
            shapes[str(row["name"])] = found
    return shapes


def load_shapes(path: str | FilePath | None, rows: Sequence[Mapping[str, Any]]) -> Shapes:
    """The districts' shapes from a boundaries file; none when there is no file."""
    if not path or not FilePath(path).is_file():
        return {}
    return match_shapes(read_features(path), rows)


def _path(polygons: list[Polygon]) -> Path:
    """One compound path of every ring, so holes stay holes."""
    vertices, codes = [], []
    for polygon in polygons:
        for ring in polygon:
            vertices.append(np.vstack([ring, ring[:1]]))
            ring_codes = np.full(len(ring) + 1, Path.LINETO, dtype=Path.code_type)
            ring_codes[0], ring_codes[-1] = Path.MOVETO, Path.CLOSEPOLY
            codes.append(ring_codes)
    return Path(np.vstack(vertices), np.concatenate(codes))


def _area_centroid(ring: Ring) -> tuple[float, float, float]:
    """Area and centroid of a ring (shoelace formula, in degrees: enough to place a label)."""
    x, y = ring[:, 0], ring[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    area = cross.sum() / 2
    if area == 0:
        return 0.0, float(x.mean()), float(y.mean())
    cx = ((x + np.roll(x, -1)) * cross).sum() / (6 * area)
    cy = ((y + np.roll(y, -1)) * cross).sum() / (6 * area)
    return abs(float(area)), float(cx), float(cy)


def label_point(polygons: list[Polygon]) -> tuple[float, float]:
    """Where a district's name goes: the centroid of its largest polygon."""
    best = max((_area_centroid(p[0]) for p in polygons if len(p)), default=(0.0, 0.0, 0.0))
    return best[1], best[2]


def _luminance(rgba: Sequence[float]) -> float:
    r, g, b = rgba[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def draw_map(
    values: Mapping[str, float],
    shapes: Shapes,
    *,
    ax: Axes | None = None,
    title: str = "",
    label: str = "",
    diverging: bool = False,
    cmap: str | None = None,
) -> Axes:
    """Districts coloured by `values`, one patch per district, named, with a colour bar.

    A diverging map (differences) is centred on zero; a sequential one starts at zero for
    positive values. A district without a value is grey.
    """
    ax = new_axes(ax, (7.0, 6.0))
    finite = [v for d, v in values.items() if d in shapes and math.isfinite(v)]
    if diverging:
        colors = colormaps[cmap or "RdBu_r"]
        norm: Normalize = CenteredNorm(0.0, max((abs(v) for v in finite), default=0.0) or 1.0)
    else:
        colors = colormaps[cmap or "YlGnBu"]
        low, high = min(finite, default=0.0), max(finite, default=1.0)
        norm = Normalize(min(low, 0.0), high if high > min(low, 0.0) else min(low, 0.0) + 1.0)
    fills = {}
    for district, polygons in shapes.items():
        value = values.get(district, math.nan)
        fill = colors(norm(value)) if math.isfinite(value) else (0.85, 0.85, 0.85, 1.0)
        patch = PathPatch(_path(polygons), facecolor=fill, edgecolor="white", linewidth=0.8)
        patch.set_gid(district)
        ax.add_patch(patch)
        fills[district] = fill
    if shapes:
        _label(ax, shapes, fills)
    ax.set_axis_off()
    ax.set_title(title)
    bar = ax.figure.colorbar(
        ScalarMappable(norm=norm, cmap=colors), ax=ax, label=label, shrink=0.75
    )
    bar.formatter = FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.4g}")
    bar.update_ticks()
    return ax


def _label(ax: Axes, shapes: Shapes, fills: Mapping[str, Any]) -> None:
    """Equal scale for the mean latitude; names inside large districts, and beside the map
    with a leader line for districts too small to hold theirs."""
    points = np.vstack([ring for ps in shapes.values() for p in ps for ring in p])
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    ax.set_aspect(1.0 / math.cos(math.radians(float(points[:, 1].mean()))))
    extent = (x1 - x0) * (y1 - y0)
    small: list[tuple[float, float, str]] = []
    for district, polygons in shapes.items():
        area = sum(_area_centroid(p[0])[0] for p in polygons if len(p))
        x, y = label_point(polygons)
        if area < SMALL * extent and len(shapes) > 1:
            small.append((y, x, district))
            continue
        ink = "white" if _luminance(fills[district]) < 0.45 else "#1d2330"
        ax.text(x, y, district, ha="center", va="center", fontsize=7.5, color=ink)
    gap = 0.045 * (y1 - y0)
    placed: list[float] = []
    for y, x, district in sorted(small, reverse=True):
        ly = min([y, *(p - gap for p in placed)]) if placed else y
        placed.append(ly)
        ax.annotate(
            district,
            xy=(x, y),
            xytext=(x0 - 0.06 * (x1 - x0), ly),
            fontsize=7.5,
            ha="right",
            va="center",
            color="#1d2330",
            arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "#5a6375"},
        )
    left = 0.28 * (x1 - x0) if small else 0.03 * (x1 - x0)
    ax.set_xlim(x0 - left, x1 + 0.03 * (x1 - x0))
    ax.set_ylim(y0 - 0.03 * (y1 - y0), y1 + 0.03 * (y1 - y0))


def _period(table: LongTable) -> str:
    years = table.years
    return f"{years[1]}-{years[-1]}" if len(years) > 1 else str(years[0])


def plot_map(
    table: LongTable,
    variable: str,
    *,
    shapes: Shapes,
    year: int | None = None,
    scenario: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A map of one variable by district, the mean over replicates: a flow summed over the
    run unless `year` is given, anything else in `year` (default the last)."""
    v = VARIABLES[variable]
    total = v.kind == "flow" and year is None
    values = {}
    for d in districts(table):
        years, matrix_ = matrix(table, variable, d, scenario=scenario)
        if not matrix_.size:
            continue
        if total:
            values[d] = float(matrix_.sum(axis=1).mean())
        else:
            when = year if year is not None else int(years[-1])
            hit = years == when
            values[d] = float(matrix_[:, hit].mean()) if hit.any() else math.nan
    when_text = _period(table) if total else str(year if year is not None else table.years[-1])
    what = "total " if total else ""
    runs = replicate_count(table, scenario)
    mean = f"\nmean of {runs} replicates" if runs > 1 else ""
    return draw_map(
        values,
        shapes,
        ax=ax,
        title=f"{v.label}, {what}{when_text}{mean}",
        label=f"{v.label} ({v.unit})",
    )


def plot_difference_map(
    differences: Differences,
    variable: str,
    *,
    shapes: Shapes,
    scenario: str | None = None,
    year: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A map of a scenario minus the reference, mean over paired replicates: a flow summed
    over the run unless `year` is given, anything else in `year` (default the last)."""
    v = VARIABLES[variable]
    total = v.kind == "flow" and year is None
    values: dict[str, float] = {}
    period = ""
    for d in shapes:
        years, mean, _, _ = differences.select(variable, d, scenario=scenario)
        if not len(years):
            continue
        if total:
            values[d] = float(mean.sum())
            period = f"total {years[0]}-{years[-1]}"
        else:
            when = year if year is not None else int(years[-1])
            values[d] = float(mean[years == when][0]) if (years == when).any() else math.nan
            period = str(when)
    shown = scenario or (str(differences.scenario[0]) if len(differences) else "")
    reference = str(differences.reference[0]) if len(differences) else "reference"
    return draw_map(
        values,
        shapes,
        ax=ax,
        title=f"{v.label}, {period}\n{shown} minus {reference}, mean of paired replicates",
        label=f"Difference ({v.unit})",
        diverging=True,
    )

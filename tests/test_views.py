"""Figures, maps and reports: what a planner reads and a researcher restyles."""

from __future__ import annotations

import base64
import dataclasses
import math
import multiprocessing
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch

import simulation
from simulation.experiments import compare, replicate
from simulation.names import CITY
from simulation.results import LongTable, mean_interval
from simulation.variables import VARIABLES
from simulation.views import comparison, figures, maps, overlays, plots, report, run_files
from simulation.views.document import to_markdown
from simulation.views.rounding import Precision, change, number, step_for
from tests.conftest import boundaries

matplotlib.use("Agg")

TINY = Path(__file__).parent / "data" / "tiny" / "tiny.toml"
CHILD = Path(__file__).parent / "data" / "tiny" / "child.toml"
BAND = (65.0, 110.0)


@pytest.fixture(scope="module")
def one():
    return simulation.run(TINY)


@pytest.fixture(scope="module")
def many():
    return replicate(simulation.load_scenario(TINY), 3)


@pytest.fixture(scope="module")
def compared():
    return compare([simulation.load_scenario(TINY), simulation.load_scenario(CHILD)], 4)


@pytest.fixture(scope="module")
def shapes(mapped_tiny):
    scenario = simulation.load_scenario(mapped_tiny)
    rows = [dataclasses.asdict(d) for d in scenario.districts.districts]
    return maps.load_shapes(scenario.districts.boundaries, rows)


def markdown(table: LongTable, manifest: dict) -> str:
    return to_markdown(report.document(table, manifest), lambda name: f"{name}.png")


def section(text: str, title: str) -> str:
    return text.split(f"## {title}")[1].split("\n## ")[0]


def row(text: str, title: str, *first: str) -> list[str]:
    """The cells of the row starting with `first` in the tables of a report section."""
    start = "| " + " | ".join(first) + " |"
    line = next(x for x in section(text, title).splitlines() if x.startswith(start))
    return [cell.strip() for cell in line.strip("|").split("|")]


def replace(table: LongTable, variable: str, district: str, values: list[float]) -> LongTable:
    mask = (table.variable == variable) & (table.district == district)
    value = table.value.copy()
    value[mask] = values
    return dataclasses.replace(table, value=value)


# --- figures ---------------------------------------------------------------------------------


def single_figures(table: LongTable, differences=None, shapes=None):
    """(name, draw) for every single-panel figure function, drawing on a given axes."""
    out = [
        ("settlement", lambda ax: plots.plot_settlement(table, ax=ax)),
        ("settlement Edge", lambda ax: plots.plot_settlement(table, district="Edge", ax=ax)),
        ("population", lambda ax: plots.plot_population(table, ax=ax)),
        ("urbanization", lambda ax: plots.plot_urbanization(table, ax=ax)),
        ("gap", lambda ax: plots.plot_gap(table, ax=ax)),
        *(
            (f"target {t}", lambda ax, t=t: plots.plot_target(table, t, ax=ax))
            for t in plots.TARGET_VALUES
        ),
        ("land", lambda ax: plots.plot_land(table, ax=ax)),
        ("land Edge", lambda ax: plots.plot_land(table, district="Edge", ax=ax)),
        ("limits", lambda ax: plots.plot_limits(table, ax=ax)),
        ("per capita", lambda ax: plots.plot_land_per_capita(table, band=BAND, ax=ax)),
    ]
    return out


def no_raw_names(texts: list[str]) -> None:
    for text in texts:
        assert text not in VARIABLES, f"raw variable name {text!r} in a legend"
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), f"raw name in legend text {text!r}"


@pytest.mark.parametrize("replicated", [False, True], ids=["one run", "replicates"])
def test_every_figure_draws_on_the_axes_given_with_catalogue_labels(one, many, replicated):
    table = many.table if replicated else one.table
    for name, draw in single_figures(table):
        fig = Figure()
        ax = fig.add_subplot()
        returned = draw(ax)
        assert returned is ax, name
        assert ax.has_data(), name
        assert len(fig.axes) == 1, f"{name}: one y axis per panel, no twin"
        no_raw_names(plots.legend_texts(ax))
        assert ax.get_ylabel() == "" or "_" not in ax.get_ylabel(), name
        if name != "limits":
            ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
            assert all(float(t).is_integer() for t in ticks), f"{name}: whole years"


def test_figures_make_their_own_axes_when_none_is_given(one):
    ax = plots.plot_population(one.table)
    assert isinstance(ax, Axes)
    assert isinstance(ax.figure, Figure)


def test_replicates_draw_a_band_and_one_run_draws_none(one, many):
    def bands(table):
        ax = plots.plot_population(table)
        return [c for c in ax.collections if isinstance(c, PolyCollection)]

    assert bands(one.table) == []
    assert len(bands(many.table)) == 2  # registered and non-registered
    ax = plots.plot_population(many.table)
    assert "5-95 % of replicates" in plots.legend_texts(ax)
    _, matrix = many.table.replicate_matrix("hukou_population", CITY)
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), np.median(matrix, axis=0))


def test_settlement_stacks_channels_and_dependents_to_the_total(one):
    ax = plots.plot_settlement(one.table)
    texts = plots.legend_texts(ax)
    assert texts[:4] == ["talent introduction", "points-based", "policy-based", "special groups"]
    assert texts[4] == "dependents"
    top = ax.collections[len(texts) - 1].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(one.table.select("settled_total")[1].max())


def test_a_districts_settlement_is_by_registration_with_a_line_for_residence(one):
    """Plan §5 一 registers a talent at the employer's district: a district's stack counts
    settlers where they registered and the dashed line where they live; in the tiny city the
    two differ."""
    registered = one.table.select("settled_total", "Edge")[1]
    living = one.table.select("settled_by_residence", "Edge")[1]
    assert not np.array_equal(registered, living)
    ax = plots.plot_settlement(one.table, district="Edge")
    assert "registered in Edge" in ax.get_title()
    (line,) = [x for x in ax.get_lines() if x.get_label() == "Settled persons by residence"]
    np.testing.assert_allclose(line.get_ydata(), living)
    top = ax.collections[4].get_paths()[0].vertices[:, 1].max()  # dependents, on top
    assert top == pytest.approx(registered.max())
    city = plots.plot_settlement(one.table)
    assert "Settled persons by residence" not in plots.legend_texts(city)  # the same total


def test_land_is_cumulative_by_source_under_the_cumulative_entitlement(one):
    ax = plots.plot_land(one.table, district="Edge")
    _, entitled = one.table.select("land_entitlement_ha", "Edge")
    dashed = next(line for line in ax.get_lines() if line.get_linestyle() == "--")
    np.testing.assert_allclose(dashed.get_ydata(), np.cumsum(entitled))
    linked = sum(
        np.cumsum(one.table.select(f"linked_{s}_ha", "Edge")[1])
        for s in ("plan_quota", "rural_exit", "renewal")
    )
    top = ax.collections[2].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(linked.max())


def test_land_marks_the_years_each_limit_bound(one):
    table = replace(one.table, "land_binding_limit", "Edge", [1, 2, 2, 2, 0])
    ax = plots.plot_land(table, district="Edge")
    texts = plots.legend_texts(ax)
    assert "Limit that bound: supply" in texts
    assert "Limit that bound: ceiling" in texts
    marks = {
        tuple(line.get_xdata())
        for line in ax.get_lines()
        if line.get_marker() == "s" and len(line.get_xdata())
    }
    years = one.table.years[1:]
    assert (years[0],) in marks
    assert tuple(years[1:4]) in marks
    assert ax.get_ylim()[0] < 0  # the marks sit under the zero line
    city = plots.plot_land(table)
    counts = [t.get_text() for t in city.texts]
    assert counts.count("1") >= 4  # one district bound per year, as a number


def test_per_capita_land_shows_the_band_passed_in(one):
    ax = plots.plot_land_per_capita(one.table, band=(70, 100))
    band = ax.patches[0]  # axhspan: a rectangle across the axes
    ys = band.get_transform().transform(band.get_path().vertices)
    data = ax.transData.inverted().transform(ys)[:, 1]
    low, high = data.min(), data.max()
    assert (low, high) == (pytest.approx(70), pytest.approx(100))
    assert "Planning band 70-100 m2/person" in plots.legend_texts(ax)


def test_gap_is_drawn_against_its_published_path(one):
    ax = plots.plot_gap(one.table)
    path = next(line for line in ax.get_lines() if line.get_linestyle() == "--")
    np.testing.assert_allclose(path.get_ydata(), one.table.select("target_gap_narrowing_path")[1])
    assert "Path to the target" in plots.legend_texts(ax)


def test_small_multiples_draw_one_panel_per_district(one):
    fig = Figure(layout="constrained")
    panels = plots.plot_districts(one.table, plots.plot_population, fig=fig)
    assert [p.get_title() for p in panels] == ["Core", "Edge"]
    assert all(p.figure is fig for p in panels)
    assert len(fig.legends) == 1  # once for the grid
    no_raw_names([t.get_text() for t in fig.legends[0].get_texts()])
    assert all(p.get_legend() is None for p in panels)


def test_scenario_overlays_and_differences(compared):
    ax = overlays.plot_scenarios(compared.table, "settled_total")
    assert plots.legend_texts(ax)[:2] == ["tiny", "tiny_child"]
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    ax = overlays.plot_difference(compared.differences, "hukou_population")
    _, mean, _, _ = compared.differences.select("hukou_population")
    np.testing.assert_allclose(ax.get_lines()[-1].get_ydata(), mean)
    assert "95 % interval" in plots.legend_texts(ax)
    no_raw_names(plots.legend_texts(ax)[1:])


def test_caption_line_names_scenario_seed_and_replicates(one):
    spec = figures.run_figures(one.table, band=BAND, shapes={})[0]
    caption = figures.caption_line(["tiny"], 42, 3)
    fig = figures.build(spec, caption)
    assert caption in [t.get_text() for t in fig.texts]
    assert caption == "Scenario tiny · seed 42 · 3 replicates"


def test_figures_are_saved_at_print_resolution(one):
    gallery = figures.Gallery(figures.run_figures(one.table, band=BAND, shapes={}), "c")
    png = gallery.render("settlement", "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width >= 7.5 * 200
    assert gallery.render("settlement", "svg").lstrip().startswith(b"<?xml")
    assert gallery.render("settlement", "pdf")[:5] == b"%PDF-"


# --- maps ------------------------------------------------------------------------------------


def test_shapes_match_by_adcode_then_by_chinese_name(shapes):
    assert set(shapes) == {"Core", "Edge"}
    assert len(shapes["Edge"]) == 2  # a MultiPolygon's two parts
    rows = [
        {"name": "Core", "name_zh": "核心区", "adcode": "999999"},  # wrong code: name matches
        {"name": "Edge", "name_zh": "", "adcode": "100002"},
        {"name": "Far", "name_zh": "远区", "adcode": ""},  # no boundary: left out
    ]
    feats = [(f["properties"], maps._polygons(f["geometry"])) for f in boundaries()["features"]]
    matched = maps.match_shapes(feats, rows)
    assert set(matched) == {"Core", "Edge"}
    assert maps.load_shapes("", rows) == {}


def test_map_draws_one_patch_per_district_at_local_scale(one, shapes):
    ax = maps.plot_map(one.table, "settled_total", shapes=shapes)
    patches = [p for p in ax.patches if isinstance(p, PathPatch)]
    assert sorted(p.get_gid() for p in patches) == ["Core", "Edge"]
    assert ax.get_aspect() == pytest.approx(1 / math.cos(math.radians(23.1)), rel=1e-3)
    names = {t.get_text() for t in ax.texts}
    assert {"Core", "Edge"} <= names
    bar = ax.figure.axes[-1]
    assert bar.get_ylabel() == "Settled persons (persons)"
    assert "total 2018-2022" in ax.get_title()


def test_difference_map_diverges_around_zero(shapes):
    ax = maps.draw_map({"Core": -1.0, "Edge": 3.0}, shapes, diverging=True, label="d")
    colors = {p.get_gid(): p.get_facecolor() for p in ax.patches}
    cmap = matplotlib.colormaps["RdBu_r"]
    np.testing.assert_allclose(colors["Core"], cmap(0.5 - 1 / 6))
    np.testing.assert_allclose(colors["Edge"], cmap(1.0))


def test_difference_map_of_a_comparison(compared, shapes):
    ax = maps.plot_difference_map(compared.differences, "settled_total", shapes=shapes)
    assert len(ax.patches) == 2
    assert "tiny_child minus tiny" in ax.get_title()


def test_a_table_without_boundaries_gets_no_map(one, tmp_path):
    names = set(run_files(one.table, one.manifest))
    assert not any(n.startswith("map_") for n in names)
    assert {"report.md", "report.html", "settlement.png", "land.png"} <= names


def test_a_table_with_boundaries_gets_its_maps(mapped_tiny, tmp_path):
    results = simulation.run(mapped_tiny)
    folder = results.write(tmp_path)
    assert {
        "map_settled.png",
        "map_settled_by_residence.png",
        "map_linked_land.png",
        "map_land_per_capita.png",
    } <= {p.name for p in folder.iterdir()}
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert "| Edge 边缘区 |" in text  # English name, Chinese beside it


# --- rounding --------------------------------------------------------------------------------


def test_rounding_of_a_hand_worked_count():
    # 1,989,930 persons at 10 per agent vary by about sqrt(1,989,930 x 10) = 4,461: thousands.
    assert Precision(10, 1).persons(1_989_930).text == "1,990,000"
    assert Precision(10, 1).persons(100).text == "100"  # sqrt(1,000) = 32: tens
    assert Precision(10, 1).persons(4).text == "0"  # never finer than one agent (10 persons)
    # A stock varies only by its change since the base year: 9,624,273 from 8,978,700.
    stock = Precision(10, 1).persons(9_624_273, base=8_978_700)
    assert stock.step == 1000  # sqrt(645,573 x 10) = 2,541
    assert stock.text == "9,624,000"
    assert "1,990,000" in Precision(10, 1).rule(1_989_930)


def test_rounding_of_replicates_follows_their_interval():
    estimate = Precision(1, 3).persons([1000, 1040, 1080])
    # mean 1,040, sd 40, t(0.975, 2) = 4.303: half-width 99.4 -> tens
    assert estimate.half_width == pytest.approx(4.302653 * 40 / math.sqrt(3), rel=1e-5)
    assert estimate.step == 10
    assert estimate.with_interval == "1,040 ± 100"
    assert Precision(1, 3).rate([80.0, 80.0, 80.0]).text == "80.00"  # no spread: two decimals
    assert step_for(0.0371, 0.01) == 0.01
    assert step_for(371.0, 1.0) == 100.0
    assert number(-0.004, 0.01) == "0"


def test_changes_are_worded_by_their_sign():
    assert change(0.62, 0.01, up="narrowed", down="widened", unit="points") == (
        "narrowed by 0.62 points"
    )
    assert change(-0.81, 0.01, up="narrowed", down="widened", unit="points") == (
        "widened by 0.81 points"
    )


def test_report_states_the_rounding_rule_once(one, many):
    for results in (one, many):
        text = markdown(results.table, results.manifest)
        assert text.count("How figures are rounded") == 1
    assert "half-width of the 95 % interval" in markdown(many.table, many.manifest)


def test_settlement_table_counts_by_district_of_registration_and_of_residence(one):
    pairs_of_counts = ("settled_total", "settled_by_residence")
    text = markdown(one.table, one.manifest)
    title = "Settlement by channel and district"
    header = row(text, title, "district")
    assert header[-2:] == ["total, where registered", "total, where living"]
    assert "counted in the district where they registered" in section(text, title)
    for district in ("Core", "Edge"):
        cells = row(text, title, district)
        pairs = zip(cells[-2:], pairs_of_counts, strict=True)
        for cell, variable in pairs:
            total = one.table.select(variable, district)[1].sum()
            step = max(1, 10 ** math.floor(math.log10(math.sqrt(total))))  # one person an agent
            halves_up = math.floor(total / step + 0.5) * step  # as people round
            assert cell == f"{halves_up:,.0f}", (district, variable)
    # Talents registered at an employer elsewhere: the two counts differ, as the table shows.
    registered, living = (one.table.select(v, "Core")[1].sum() for v in pairs_of_counts)
    assert registered != living


# --- the report ------------------------------------------------------------------------------


def test_headline_states_each_target_met_or_missed_with_margin_and_first_year(one):
    t = one.table
    text = markdown(t, one.manifest)
    headline = section(text, "Headline")
    value = t.value_at("hukou_population", 2020)
    goal = t.value_at("target_hukou_population_path", 2020)
    met = t.value_at("target_hukou_population_met", 2020) == 1
    change_ = value - t.value_at("hukou_population", 2017)
    step = max(1, 10 ** math.floor(math.log10(math.sqrt(change_))))
    years, flags = t.select("target_hukou_population_met")
    first = int(years[flags == 1][0])
    margin = f"{round(abs(value - goal) / step) * step:,.0f}"
    line = next(x for x in headline.splitlines() if "Registered population" in x)
    assert f"**Registered population: {'met' if met else 'missed'}** in 2020" in line
    assert f"{margin} {'above' if value > goal else 'below'} the goal" in line
    assert f"First met in {first}." in line or f"base year {first}" in line
    rate = t.value_at("hukou_urbanization_rate", 2020)
    rate_goal = t.value_at("target_hukou_urbanization_path", 2020)
    rate_line = next(x for x in headline.splitlines() if "Hukou urbanization" in x)
    rate_met = t.value_at("target_hukou_urbanization_met", 2020) == 1
    assert f"**Hukou urbanization rate: {'met' if rate_met else 'missed'}**" in rate_line
    assert f"{abs(rate - rate_goal):.2f} points" in rate_line
    if not t.select("target_hukou_urbanization_met")[1].any():
        assert "Not met in any year to 2022." in rate_line


def test_a_widening_gap_is_worded_as_such(one):
    years = len(one.table.select("gap_narrowing_since_baseline_pp")[1])
    table = replace(one.table, "gap_narrowing_since_baseline_pp", CITY, [-0.81] * years)
    text = markdown(table, one.manifest)
    assert "the gap widened by 0.81 points since 2013" in section(text, "Headline")
    assert row(text, "Targets", "2020 (target year)")[3].startswith("widened by 0.81")
    assert "-0.81" not in text
    assert "narrowed by -" not in text
    assert "narrowed -" not in text


def test_report_states_the_resident_rate_shift(one):
    text = markdown(one.table, one.manifest)
    shift = one.table.value_at("resident_urbanization_shift_pp", 2017)
    assert f"shifted by +{shift:.2f} points" in text or f"shifted by −{abs(shift):.2f}" in text


def test_report_has_settlement_land_fiscal_and_quota_sections(one):
    text = markdown(one.table, one.manifest)
    for title in (
        "Settlement by channel and district",
        "Land granted against entitlement",
        "Quotas",
        "Fiscal and public-service side",
        "Were the replicates enough?",
        "Assumed inputs",
        "Reproducing this run",
    ):
        assert f"## {title}" in text
    fiscal = row(text, "Fiscal and public-service side", "City total")
    reward = one.table.select("reward_fund_yuan")[1].sum() / 1e6
    assert float(fiscal[1].replace(",", "")) == pytest.approx(reward, rel=0.05)
    assert "School places needed (places)" in section(text, "Fiscal and public-service side")


def test_assumed_inputs_put_the_headline_ones_first_grouped_by_section(one):
    text = markdown(one.table, one.manifest)
    body = section(text, "Assumed inputs")
    rows = one.manifest["assumptions"]
    position = {r["key"]: body.index(f"`{r['key']}`") for r in rows}
    headline = [position[r["key"]] for r in rows if r["headline"]]
    other = [position[r["key"]] for r in rows if not r["headline"]]
    assert headline
    assert other
    assert max(headline) < min(other)
    assert body.index("#### Population") < body.index("#### Flows") < body.index("#### Land")


def test_reproduction_states_command_seed_and_overrides(tmp_path):
    scenario = simulation.load_scenario(TINY, {"channels.points.quota": 200}, origin="--set")
    results = simulation.run(scenario)
    text = markdown(results.table, results.manifest)
    body = section(text, "Reproducing this run")
    assert f"`{results.manifest['command']}`" in body
    assert "--set channels.points.quota=200" in results.manifest["command"]
    assert "| `channels.points.quota` | `200` |" in body
    assert "Seed 42" in body


def test_replicated_report_judges_whether_the_replicates_were_enough(many):
    text = markdown(many.table, many.manifest)
    cells = row(text, "Were the replicates enough?", "Settled persons over the run")
    totals = np.array(
        [
            many.table.select("settled_total", scenario="tiny", replicate=r)[1].sum()
            for r in range(3)
        ]
    )
    mean, half = mean_interval(totals)
    relative = half / mean
    assert cells[3] == f"under 1 % of the mean (now {100 * relative:.2f} %)"
    needed = math.ceil(3 * (relative / 0.01) ** 2)
    assert cells[4] == ("enough" if relative < 0.01 else f"more replicates: about {needed:,}")


def with_run_values(table: LongTable, variable: str, values: list[float]) -> LongTable:
    """The table with the city's `variable` set to `values[r]` in every year of replicate r."""
    mask = (table.variable == variable) & (table.district == CITY)
    value = table.value.copy()
    value[mask] = np.asarray(values)[table.replicate[mask].astype(int)]
    return dataclasses.replace(table, value=value)


@pytest.mark.parametrize(
    "gaps", [[0.02, -0.01, 0.05], [0.50, 0.51, 0.52], [-0.30, 0.10, 0.35]], ids=str
)
def test_a_figure_near_zero_is_judged_in_points_not_relative_to_its_mean(many, gaps):
    """The gap narrowed since the baseline can sit near zero, where a half-width relative to
    the mean asks for absurd numbers of replicates: it is judged against 0.05 points."""
    from scipy import stats

    table = with_run_values(many.table, "gap_narrowing_since_baseline_pp", gaps)
    text = markdown(table, many.manifest)
    title = "Were the replicates enough?"
    line = next(x for x in section(text, title).splitlines() if x.startswith("| Gap narrowed"))
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    half = stats.t.ppf(0.975, 2) * np.std(gaps, ddof=1) / math.sqrt(3)
    assert cells[3] == "under 0.05 points"
    needed = math.ceil(3 * (half / 0.05) ** 2)
    assert cells[4] == ("enough" if half < 0.05 else f"more replicates: about {needed:,}")
    rate = next(x for x in section(text, title).splitlines() if "Hukou urbanization rate" in x)
    assert "| under 0.05 points |" in rate  # a rate too: its zero is not 'nothing'


# --- the comparison --------------------------------------------------------------------------


def test_comparison_report_shows_differences_with_the_intervals_of_the_differences(compared):
    doc = comparison.document(compared.table, compared.differences, compared.manifest)
    text = to_markdown(doc, lambda name: f"{name}.png")
    cells = row(text, "Headline differences", "Registered population in 2020")
    years, mean, low, high = compared.differences.select("hukou_population", scenario="tiny_child")
    i = list(years).index(2020)
    step = step_for((high[i] - low[i]) / 2, 1.0)
    shown = float(cells[3].replace(",", "").replace("+", ""))
    assert abs(shown - mean[i]) <= step / 2 + 1e-9
    lo_text, hi_text = cells[4].split(" to ")
    assert abs(float(lo_text.replace(",", "")) - low[i]) <= step / 2 + 1e-9
    assert abs(float(hi_text.replace(",", "")) - high[i]) <= step / 2 + 1e-9
    includes = low[i] <= 0 <= high[i]
    assert ("no clear difference" in cells[5]) == includes
    assert "`channels.points.quota`" in section(text, "What differs between the scenarios")
    assert f"`{compared.manifest['command']}`" in text


# --- files and HTML --------------------------------------------------------------------------


def test_html_report_is_self_contained_and_embeds_every_figure(mapped_tiny, tmp_path):
    folder = simulation.run(mapped_tiny).write(tmp_path)
    page = (folder / "report.html").read_text(encoding="utf-8")
    figures_written = sorted(p for p in folder.iterdir() if p.suffix == ".png")
    sources = re.findall(r'src="([^"]*)"', page)
    links = re.findall(r'href="([^"]*)"', page)
    assert len(sources) == len(figures_written) > 0
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert all(link.startswith("#") for link in links)
    assert "http" not in "".join(sources + links)
    for external in ("<link", "<script", "@import", "url("):
        assert external not in page
    embedded = {base64.b64decode(s.split(",", 1)[1]) for s in sources}
    assert embedded == {p.read_bytes() for p in figures_written}
    md = (folder / "report.md").read_text(encoding="utf-8")
    for p in figures_written:
        assert f"]({p.name})" in md


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_other_figure_formats(one, tmp_path, fmt):
    folder = one.write(tmp_path, fmt=fmt)
    assert (folder / f"settlement.{fmt}").exists()
    page = (folder / "report.html").read_text(encoding="utf-8")
    kind = "svg+xml" if fmt == "svg" else "png"
    sources = re.findall(r'src="([^"]*)"', page)
    assert all(s.startswith(f"data:image/{kind};base64,") for s in sources)


def test_comparison_folder_has_its_report_and_difference_maps(mapped_tiny, tmp_path):
    base = simulation.load_scenario(mapped_tiny)
    child = simulation.load_scenario(mapped_tiny.with_name("child.toml"))
    folder = compare([base, child], 3).write(tmp_path)
    names = {p.name for p in folder.iterdir()}
    assert {"report.md", "report.html", "scenarios.png", "differences.png"} <= names
    assert {"map_difference_settled.png", "map_difference_linked_land.png"} <= names


def test_the_land_section_tells_the_rest_of_the_land_story(one):
    text = markdown(one.table, one.manifest)
    land = section(text, "Land granted against entitlement")
    need, renewal, unmet = (
        one.table.select(v, "Core")[1].sum()
        for v in ("central_renewal_need_ha", "central_renewal_ha", "central_renewal_shortfall_ha")
    )
    assert unmet > 0
    assert "The central districts (Core) get no new land for their settlers" in land
    assert (
        f"their settlers needed {need:,.1f} ha; renewal supplied {renewal:,.1f} ha and "
        f"{unmet:,.1f} ha was not met (limit *renewal* in the years it fell short)."
    ) in land
    assert "*renewal* — a central district whose settlers needed more renewal land" in land
    edge_rows = [line for line in land.splitlines() if line.startswith("| Edge |")]
    new = one.table.select("new_construction_land_ha", "Edge")[1].sum()
    assert edge_rows[1].rstrip(" |").endswith(f"{new:,.1f}")  # the second table: all new land


#: Renders three figures on worker processes and one by one; prints the pools started (their
#: number of workers) and whether the two renderings show the same pictures. Not byte for byte:
#: drawing one figure twice in one process now and then moves an antialiased edge by a grey
#: level (float sums that vary with memory alignment), so a few pixels may differ by a shade.
RENDER_ON_CORES = """
import io
import sys
import numpy as np
import simulation
from matplotlib.image import imread
from simulation.views import figures

def same(a, b):
    a, b = imread(io.BytesIO(a)), imread(io.BytesIO(b))
    if a.shape != b.shape:
        return False
    off = np.abs(a - b)
    return off.max() <= 8 / 255 and (off > 0).mean() < 1e-4

pools = []

class Pool(figures.ProcessPoolExecutor):
    def __init__(self, *args, **kwargs):
        pools.append(kwargs["max_workers"])
        super().__init__(*args, **kwargs)

figures.ProcessPoolExecutor = Pool
table = simulation.run(sys.argv[1]).table
specs = figures.run_figures(table, band=(65.0, 110.0), shapes={})[:3]
parallel = figures.Gallery(specs, "caption")
parallel.render_all(["png"])
serial = figures.Gallery(specs, "caption")
print(pools, all(same(parallel.render(s.name, "png"), serial.render(s.name, "png")) for s in specs))
"""


@pytest.mark.skipif(
    (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods(),
    reason="rendering on several cores needs two of them and fork",
)
def test_figures_rendered_on_all_cores_are_the_ones_drawn_one_by_one():
    """In a fresh interpreter: the gallery never forks while other threads run, and threads
    left running by other tests would have it draw one by one."""
    out = subprocess.run(
        [sys.executable, "-c", RENDER_ON_CORES, str(TINY)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.split() == [f"[{min(3, os.cpu_count() or 1)}]", "True"]

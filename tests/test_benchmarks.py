"""The benchmarks run end to end at small sizes and print their figures (nothing is timed here:
the figures are checked for being there and adding up, not for their values)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_benchmark(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def rows(printed: str) -> dict[str, str]:
    """The `name : value` lines a benchmark prints."""
    out = {}
    for line in printed.splitlines():
        name, colon, value = line.partition(" : ")
        if colon:
            out[name.strip()] = value.strip()
    return out


def number(text: str) -> float:
    """The first number in `text` (thousands separated by commas)."""
    found = re.search(r"-?[\d,]*\.?\d+", text)
    assert found, text
    return float(found.group().replace(",", ""))


def test_the_floor_is_one_pass_over_the_heads_given():
    out = rows(run_benchmark("floor", "--heads", "1000", "--repeat", "1"))
    assert out["heads"] == "1,000"
    assert out["floor, one pass"].endswith(" ms")
    assert out["per head"].endswith(" ns")
    assert out["command"] == "python benchmarks/floor.py --heads 1000 --repeat 1"


def test_the_full_city_benchmark_times_the_library_and_the_command_line():
    out = rows(run_benchmark("full_city", "--persons-per-agent", "5000"))
    years = number(out["person-years"].split("(")[1])
    assert years == 18  # 2017 to 2035
    # the floor runs over as many heads as the run has agents on average: about 4.9 M / 5,000
    assert 500 < number(out["floor, one pass"].split("over")[1]) < 1500
    assert out["library call"].endswith("ms a year")
    assert out["whole CLI"].endswith("ms a year")
    for ratio in ("library / floor", "CLI / floor"):
        assert out[ratio].endswith("x a year")


def test_scaling_reports_each_size_against_the_smallest():
    out = rows(run_benchmark("scaling", "--persons-per-agent", "5000", "2000", "--repeat", "1"))
    assert {"5000 persons per agent", "2000 persons per agent"} <= set(out)
    ratios = out["cost per agent-year vs the smallest"].split(", ")
    assert len(ratios) == 2
    assert ratios[0] == "1.00"


def test_small_runs_report_their_median_and_the_import():
    out = rows(run_benchmark("small_run", "--runs", "3", "--persons-per-agent", "5000"))
    fastest, slowest = (number(t) for t in out["run, fastest / slowest"].split("/"))
    assert fastest <= number(out["run, median"]) <= slowest
    assert "bare interpreter" in out["import simulation"]


def test_the_reference_runs_the_naive_design_on_our_persons():
    printed = run_benchmark(
        "reference", "--persons", "20000", "--naive-years", "1", "--repeat", "1"
    )
    out = rows(printed)
    persons = number(out["persons"])
    assert abs(persons - 20_000) < 100  # districts are scaled and rounded one by one
    naive = out["naive, one process a person"]
    assert number(naive.split("for")[1]) == persons  # the same persons, for one year
    ours_rate = number(out["ours, median of 1"].split(":")[1])
    naive_rate = number(naive.split(":")[1])
    assert abs(number(out["ours / naive, per person-year"]) - ours_rate / naive_rate) <= 1


def test_the_sweep_benchmark_extrapolates_from_its_runs():
    printed = run_benchmark(
        "sweep",
        "--runs",
        "2",
        "--workers",
        "1",
        "--executors",
        "process",
        "--persons-per-agent",
        "5000",
    )
    line = next(x for x in printed.splitlines() if x.startswith("process"))
    _executor, workers, _check, _start, _run, rate, whole = line.split()
    assert workers == "1"
    assert float(rate) > 0
    # the 1,000 runs take at least their run time (both figures rounded as printed)
    assert float(whole) >= 1000 / float(rate) - 1


def test_the_phases_of_a_run_are_found_and_do_not_overlap():
    printed = run_benchmark(
        "phases", "--runs", "1", "--persons-per-agent", "5000", "20000", "--top", "3"
    )
    out = rows(printed)
    assert [size.strip() for size in out["persons per agent"].split(" | ")] == ["5,000", "20,000"]
    phases = [
        "base population",
        "arrivals",
        "departures and flow steps",
        "applications",
        "admissions",
        "year end",
        "results table",
        "event loop, set-up and the rest",
    ]
    for size in range(2):
        ms = {name: number(out[name].split(" | ")[size]) for name in [*phases, "total"]}
        # each phase's function was found in the profile (a renamed one would count nothing)
        assert all(ms[name] > 0 for name in phases[:-1]), ms
        # no phase is counted twice (arrivals are taken out of the flow steps that draw them):
        # what is left of the run is not negative (each figure is rounded to 0.1 ms)
        assert ms["event loop, set-up and the rest"] >= -0.1 * len(phases), ms
    own = [name for name in out if name.startswith("own: ")]
    assert len(own) == 3
    total = number(out["total"].split(" | ")[0])
    assert all(number(out[name]) <= total for name in own)

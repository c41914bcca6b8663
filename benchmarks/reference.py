"""The model beside a naive design on the same population: one SimPy process per person.

The naive design is what an agent-based model often starts as: every person is a process that
wakes once a year, ages, accrues insurance tenure, may leave, and applies for a yearly quota if
eligible (a degree, under 41, willing). It runs on the persons our synthesis makes for a city
scaled to about 1e6 non-registered residents at one agent per person; ours runs the whole
scenario (all channels, arrivals, land, accounts) on the same city. Both are timed per
person-year, in this one run; ours as the median of --repeat runs after a first one (printed
too), the naive design once.

    python benchmarks/reference.py [--persons 1000000] [--naive-years 2] [--repeat 3] [--root DIR]
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

try:
    from benchmarks import common
except ModuleNotFoundError:  # run as a script
    import common  # type: ignore[no-redef]

SCALED = ("resident_population", "hukou_population", "urban_hukou_population")


def scaled_city(root: Path, folder: Path, factor: float) -> Path:
    """The Guangzhou scenario with every district (and the yearly flows) scaled by `factor`."""
    source = root / "scenarios" / "guangzhou" / "districts_2017.csv"
    with source.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for column in SCALED:
            row[column] = str(round(int(row[column]) * factor))
        row["urban_hukou_population"] = str(
            min(int(row["urban_hukou_population"]), int(row["hukou_population"]))
        )
        row["non_hukou_population"] = str(
            int(row["resident_population"]) - int(row["hukou_population"])
        )
        row["urban_construction_land_ha"] = str(float(row["urban_construction_land_ha"]) * factor)
    table = folder / "districts.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    scenario = folder / "scaled.toml"
    plan = (root / "scenarios" / "guangzhou" / "plan_2017.toml").as_posix()
    scenario.write_text(
        f'extends = "{plan}"\nname = "scaled"\ndistricts = "{table.as_posix()}"\n',
        encoding="utf-8",
    )
    return scenario


class Person:
    __slots__ = ("age", "education", "leave", "tenure", "willing")

    def __init__(self, age: int, education: int, tenure: int, willing: bool, leave: float):
        self.age, self.education, self.tenure = age, education, tenure
        self.willing, self.leave = willing, leave


def naive(columns: dict[str, np.ndarray], years: int, quota: int) -> tuple[float, int]:
    """One SimPy process per person for `years` years; returns the wall time and settlers."""
    import simpy

    env = simpy.Environment()
    state: dict[str, Any] = {"quota": quota, "settled": 0}

    def person(p: Person) -> Any:
        while True:
            yield env.timeout(1)
            p.age += 1
            p.tenure += 1
            if p.age >= 60 or p.leave <= env.now:
                return
            if p.willing and p.education >= 3 and p.age <= 40 and state["quota"] > 0:
                state["quota"] -= 1
                state["settled"] += 1
                return

    def quota_year() -> Any:
        while True:
            yield env.timeout(1)
            state["quota"] = quota

    people = [
        Person(int(a), int(e), int(t), bool(w), float(leave))
        for a, e, t, w, leave in zip(
            columns["age"],
            columns["education"],
            columns["insurance_years"],
            columns["willing"],
            columns["leave_at"],
            strict=True,
        )
    ]
    started = time.perf_counter()
    for p in people:
        env.process(person(p))
    env.process(quota_year())
    env.run(until=years + 0.5)
    return time.perf_counter() - started, state["settled"]


def main() -> int:
    args = common.parser(__doc__)
    args.add_argument("--persons", type=int, default=1_000_000)
    args.add_argument("--naive-years", type=int, default=2)
    options = args.parse_args()
    root = common.use_root(options.root)
    import simulation
    from simulation.engine import Model, simulate

    with tempfile.TemporaryDirectory() as folder:
        base = simulation.load_scenario(common.scenario_path(root))
        non_hukou = sum(d.non_hukou_population for d in base.districts.districts)
        factor = options.persons / non_hukou
        path = scaled_city(root, Path(folder), factor)
        scenario = simulation.load_scenario(
            path,
            {
                "persons_per_agent": 1,
                "flows.arrivals_per_year": base.flows.arrivals_per_year * factor,
                "students.enrolment_per_year": base.students.enrolment_per_year * factor,
                "channels.talent.quota_scale": base.channels.talent.quota_scale * factor,
                "channels.points.quota": round(7000 * factor),
                "channels.special.quota": round(base.channels.special.quota * factor),
            },
        )
        # The model's run, as `simulation.run` makes it: the first in this process (which
        # also pays for first use of memory and lazy imports), then the median of --repeat.
        started = time.perf_counter()
        out = simulate(scenario)
        first = time.perf_counter() - started
        ours, out = common.median_time(lambda: simulate(scenario), options.repeat)
    city = out.districts.index("ALL")
    person_years = sum(r["non_hukou_population"][city] for r in out.records[1:])
    persons = int(out.records[0]["non_hukou_population"][city])
    # The naive design runs on the base-year persons our synthesis makes (heads and dependents
    # alike: one process each), for a few years.
    synthesised = Model(scenario).pop
    repeat = np.repeat(np.arange(synthesised.n), 1 + synthesised.dependents.astype(np.int64))
    columns = {
        name: getattr(synthesised, name)[repeat]
        for name in ("age", "education", "insurance_years", "willing", "leave_at")
    }
    talent = scenario.channels.talent
    quota = int(sum(talent.quota) * getattr(talent, "quota_scale", 1.0))
    naive_seconds, _ = naive(columns, options.naive_years, quota)
    naive_person_years = len(repeat) * options.naive_years
    ours_rate = person_years / ours
    naive_rate = naive_person_years / naive_seconds
    common.report(
        [
            ("tree", str(root)),
            ("persons", f"{persons:,} non-registered in the base year"),
            ("ours, first run", f"{first:.2f} s"),
            (
                f"ours, median of {max(1, options.repeat)}",
                f"{ours:.2f} s for {person_years:,.0f} person-years: {ours_rate:,.0f} / s",
            ),
            (
                "naive, one process a person",
                f"{naive_seconds:.2f} s for {naive_person_years:,} person-years "
                f"({options.naive_years} years): {naive_rate:,.0f} / s",
            ),
            ("ours / naive, per person-year", f"{ours_rate / naive_rate:.0f} x faster"),
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

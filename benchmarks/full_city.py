"""Full city: the Guangzhou default with every resident an agent, 2017 to 2035.

Times the library call (`simulation.run`: synthesis, 18 years, the long table and manifest) in
this process, and the whole command line (`python run.py --set persons_per_agent=1`, writing
tables, figures and reports) in a fresh one; prints peak memory of each, throughput, and the
time per simulated year as a multiple of the floor (one pass over ten float32 arrays of the
population), measured in the same run.

    python benchmarks/full_city.py [--persons-per-agent 1] [--no-cli] [--root DIR]
"""

from __future__ import annotations

import sys
import tempfile

try:
    from benchmarks import common
    from benchmarks.floor import floor_seconds
except ModuleNotFoundError:  # run as a script
    import common  # type: ignore[no-redef]
    from floor import floor_seconds  # type: ignore[no-redef]


def main() -> int:
    args = common.parser(__doc__)
    args.add_argument("--persons-per-agent", type=int, default=1)
    args.add_argument("--no-cli", action="store_true", help="time the library call only")
    options = args.parse_args()
    root = common.use_root(options.root)
    import simulation

    overrides = {"persons_per_agent": options.persons_per_agent}
    scenario = simulation.load_scenario(common.scenario_path(root), overrides)
    seconds, results = common.median_time(lambda: simulation.run(scenario), 1)
    peak = common.peak_mib()
    table = results.table
    years = len(list(scenario.years))
    non_hukou = [table.value_at("non_hukou_population", y) for y in scenario.years]
    person_years = sum(non_hukou)
    mean_heads = int(person_years / years / (1 + scenario.population.mean_dependents))
    agents = max(mean_heads // options.persons_per_agent, 1)  # heads as agents, on average
    floor = floor_seconds(agents)
    rows = [
        ("tree", str(root)),
        ("persons per agent", str(options.persons_per_agent)),
        ("person-years", f"{person_years:,.0f} ({years} years)"),
        ("library call", f"{seconds:.2f} s, {seconds / years * 1000:.0f} ms a year"),
        ("library peak memory", f"{peak:,.0f} MiB"),
        ("throughput", f"{person_years / seconds:,.0f} person-years / s"),
        ("floor, one pass", f"{floor * 1000:.1f} ms over {agents:,} heads"),
        ("library / floor", f"{seconds / years / floor:.1f} x a year"),
    ]
    if not options.no_cli:
        with tempfile.TemporaryDirectory() as out:
            argv = [
                sys.executable,
                "run.py",
                "--set",
                f"persons_per_agent={options.persons_per_agent}",
                "--out",
                out,
            ]
            wall, cli_peak = common.subprocess_time(argv, root)
        rows += [
            ("whole CLI", f"{wall:.2f} s, {wall / years * 1000:.0f} ms a year"),
            ("CLI peak memory", f"{cli_peak:,.0f} MiB"),
            ("CLI / floor", f"{wall / years / floor:.1f} x a year"),
        ]
    common.report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

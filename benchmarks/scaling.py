"""Scaling: the same scenario at about 1e5, 1e6 and 5.5e6 persons (the full city), by the
number of persons an agent stands for; cost per agent-year should stay flat (linear growth).

    python benchmarks/scaling.py [--persons-per-agent 55 6 1] [--root DIR]
"""

from __future__ import annotations

import sys

try:
    from benchmarks import common
except ModuleNotFoundError:  # run as a script
    import common  # type: ignore[no-redef]

#: Persons per agent giving about 1e5, 1e6 and all 5.5e6 non-registered residents as agents.
SIZES = (55, 6, 1)


def main() -> int:
    args = common.parser(__doc__)
    args.add_argument("--persons-per-agent", type=int, nargs="+", default=list(SIZES))
    options = args.parse_args()
    root = common.use_root(options.root)
    import simulation
    from simulation.engine import simulate

    rows = [("tree", str(root))]
    per_agent_year = []
    for ppa in options.persons_per_agent:
        scenario = simulation.load_scenario(common.scenario_path(root), {"persons_per_agent": ppa})
        seconds, out = common.median_time(
            lambda s=scenario: simulate(s), options.repeat if ppa > 1 else 1
        )
        city = out.districts.index("ALL")
        person_years = sum(r["non_hukou_population"][city] for r in out.records[1:])
        agent_years = person_years / ppa
        per_agent_year.append(seconds / agent_years)
        rows.append(
            (
                f"{ppa} persons per agent",
                f"{agent_years / len(out.records[1:]):,.0f} agents, {seconds:.2f} s, "
                f"{seconds / agent_years * 1e9:.0f} ns per agent-year",
            )
        )
    smallest = per_agent_year[0]
    rows.append(
        (
            "cost per agent-year vs the smallest",
            ", ".join(f"{c / smallest:.2f}" for c in per_agent_year),
        )
    )
    common.report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

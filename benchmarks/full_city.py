"""Full-city benchmark: the Guangzhou default with every resident an agent.

    python benchmarks/full_city.py [--persons-per-agent 1] [--horizon 2035] [--seed N]

Prints wall time (load, synthesis + run), peak resident memory and throughput in person-years of
non-registered residents simulated per second. Timings on a shared machine are noisy: compare
runs made back to back, as ratios.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import simulation  # noqa: E402
from simulation.engine import simulate  # noqa: E402

SCENARIO = ROOT / "scenarios" / "guangzhou" / "plan_2017.toml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons-per-agent", type=int, default=1)
    parser.add_argument("--horizon", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    overrides: dict[str, object] = {"persons_per_agent": args.persons_per_agent}
    if args.horizon is not None:
        overrides["horizon"] = args.horizon
    if args.seed is not None:
        overrides["seed"] = args.seed

    started = time.perf_counter()
    scenario = simulation.load_scenario(SCENARIO, overrides)
    loaded = time.perf_counter()
    out = simulate(scenario)
    finished = time.perf_counter()

    names = out.districts
    city = names.index("ALL")
    person_years = sum(r["non_hukou_population"][city] for r in out.records[1:])
    settled = sum(r["settled_total"][city] for r in out.records[1:])
    wall = finished - loaded
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    base = out.records[0]["non_hukou_population"][city]
    period = f"{scenario.base_year}-{scenario.horizon}"
    print(f"command            : python benchmarks/full_city.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"scenario           : {scenario.name}, {period}, seed {scenario.seed}")
    print(f"persons per agent  : {scenario.persons_per_agent}")
    print(f"non-registered     : {base:,.0f} persons in {scenario.base_year}")
    print(f"person-years       : {person_years:,.0f}")
    print(f"settled, all years : {settled:,.0f}")
    print(f"load time          : {loaded - started:.2f} s")
    print(f"run time           : {wall:.2f} s (synthesis and {len(out.records) - 1} years)")
    print(f"peak memory (RSS)  : {peak_mib:,.0f} MiB")
    print(f"throughput         : {person_years / wall:,.0f} person-years / s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

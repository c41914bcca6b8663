"""The floor: one read-modify-write pass over ten float32 arrays the size of the population.

No model can simulate a year of a population faster than it can touch each person's data once,
so the other benchmarks state their time per simulated year as a multiple of this.

    python benchmarks/floor.py [--heads N]
"""

from __future__ import annotations

import sys

import numpy as np

try:
    from benchmarks.common import median_time, parser, report
except ModuleNotFoundError:  # run as a script
    from common import median_time, parser, report  # type: ignore[no-redef]

#: Household heads of the full Guangzhou city at one agent per person (5.52 M persons / 1.4).
FULL_CITY_HEADS = 3_942_643


def floor_seconds(heads: int = FULL_CITY_HEADS, repeat: int = 5) -> float:
    """Median time of one pass that reads, changes and writes back ten float32 columns."""
    columns = [np.random.default_rng(i).random(heads, dtype=np.float32) for i in range(10)]

    def one_pass() -> None:
        for column in columns:
            np.multiply(column, np.float32(1.0001), out=column)

    one_pass()  # page everything in first
    seconds, _ = median_time(one_pass, repeat)
    return seconds


def main() -> int:
    args = parser(__doc__)
    args.add_argument("--heads", type=int, default=FULL_CITY_HEADS)
    options = args.parse_args()
    seconds = floor_seconds(options.heads, max(options.repeat, 5))
    report(
        [
            ("heads", f"{options.heads:,}"),
            ("floor, one pass", f"{seconds * 1000:.1f} ms"),
            ("per head", f"{seconds / options.heads * 1e9:.2f} ns"),
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

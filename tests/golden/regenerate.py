"""Rewrite the golden output of the tiny scenario: `python tests/golden/regenerate.py`.

Run it only after a change that is meant to alter results, and say why in the commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCENARIO = ROOT / "tests" / "data" / "tiny" / "tiny.toml"
GOLDEN = HERE / "tiny_timeseries.csv"


def golden_csv() -> str:
    import simulation

    return simulation.run(simulation.load_scenario(SCENARIO)).table.to_csv()


def main() -> int:
    GOLDEN.write_text(golden_csv(), encoding="utf-8")
    print(GOLDEN)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())

"""The layers keep apart: light imports, validated variants, strict manifests, one record each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import simulation
from simulation import engine
from simulation.errors import ScenarioError
from simulation.scenario import format_override, parse_override
from simulation.variables import VARIABLES

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny" / "tiny.toml"
#: Libraries loaded only by a command that needs them: plotting, data frames, sweeps.
HEAVY = ("matplotlib", "pandas", "scipy.stats", "SALib", "dask", "distributed", "pyarrow", "tqdm")


def test_importing_the_package_or_its_command_line_loads_no_plotting_or_heavy_library():
    code = (
        "import sys, simulation, simulation.experiments, simulation.cli; "
        f"print(sorted(m for m in {HEAVY} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_importing_the_package_leaves_the_event_calendar_to_the_first_run():
    """SimPy (and the package metadata it reads on import) load when a run starts: a tenth of
    `import simulation`, which commands that run nothing need not pay."""
    code = "import sys, simulation; print(sorted(m for m in ('simpy',) if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


# --- validated variants -----------------------------------------------------------------------


def test_a_variant_is_validated_like_a_file():
    scenario = simulation.load_scenario(TINY)
    with pytest.raises(ScenarioError) as info:
        scenario.with_values({"land.adjustment": 5.0})
    assert (info.value.file, info.value.key) == ("with_values", "land.adjustment")
    with pytest.raises(ScenarioError) as info:
        scenario.with_values({"channels.talent.quota.Nowhere": 3})
    assert info.value.key == "channels.talent.quota.Nowhere"


def test_a_variant_changes_what_it_names_and_keeps_the_rest():
    scenario = simulation.load_scenario(TINY, {"land.renewal_ha.Edge": 2})
    variant = scenario.with_values({"land.adjustment": 0.05, "channels.talent.quota.Edge": 9})
    assert variant.land.adjustment == 0.05
    assert variant.channels.talent.quota == (150.0, 9.0)
    assert variant.land.renewal_ha == (0.5, 2.0)  # the earlier override stays
    assert dict(variant.overrides) == {
        "land.renewal_ha.Edge": 2,
        "land.adjustment": 0.05,
        "channels.talent.quota.Edge": 9,
    }
    assert scenario.land.adjustment == 0.0  # the original is untouched
    assert variant.with_values({}) == variant


def test_a_seed_is_not_an_override():
    variant = simulation.load_scenario(TINY).with_values({"seed": 7})
    assert variant.seed == 7
    assert variant.overrides == ()


@pytest.mark.parametrize(
    "value",
    [3, 0.05, float("inf"), True, "text", [1, 2.5], {"Core": 1, "Edge": 2.5}, [{"a": 1}]],
)
def test_an_override_written_out_reads_back_the_same(value):
    assert parse_override(format_override("a.b", value)) == ("a.b", value)


# --- strict manifests -------------------------------------------------------------------------


def _reject(constant: str) -> None:
    raise ValueError(f"non-standard JSON constant {constant}")


def test_every_manifest_is_strict_json_even_with_infinite_tiers(tmp_path):
    tiers = [
        {"upper_m2": 90.0, "standard_m2": 100.0},
        {"upper_m2": float("inf"), "standard_m2": 60},
    ]
    scenario = simulation.load_scenario(TINY, {"land.tiers": tiers})
    folder = simulation.run(scenario).write(tmp_path)
    manifest = json.loads(
        (folder / "manifest.json").read_text(encoding="utf-8"), parse_constant=_reject
    )
    assumed = {row["key"]: row for row in manifest["assumptions"]}
    assert assumed["land.tiers"]["value"][1]["upper_m2"] == "inf"
    assert manifest["overrides"]["land.tiers"][1]["upper_m2"] == "inf"
    assert manifest["scenario"]["land"]["tiers"][1]["upper_m2"] == "inf"


def test_a_run_with_overrides_is_told_apart_and_can_be_reproduced(tmp_path):
    plain = simulation.run(TINY).write(tmp_path, fmt="svg")
    changed = simulation.run(simulation.load_scenario(TINY, {"channels.points.quota": 7}))
    folder = changed.write(tmp_path)
    assert "-set" in folder.name
    assert "-set" not in plain.name
    command = changed.manifest["command"]
    assert "--set channels.points.quota=7" in command
    assert list(plain.glob("*.svg"))


# --- one list per concept, one record per part --------------------------------------------


def test_the_record_of_a_year_is_exactly_the_catalogue():
    """What the parts publish is what the catalogue declares: nothing missing, nothing extra
    (targets and quotas exist because the tiny scenario sets them)."""
    _, out = engine.run_model(simulation.load_scenario(TINY))
    published = set(out.records[1])
    assert published == set(VARIABLES)
    assert set(out.records[0]) < published  # the base year has stocks only

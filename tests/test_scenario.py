"""Loading a scenario: defaults, `extends`, overrides, and one error per class of mistake."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.errors import ScenarioError
from simulation.scenario import load_scenario, parse_override

TINY = Path(__file__).parent / "data" / "tiny"

# The smallest valid scenario on the tiny district table; cases append to it or edit it.
MINIMAL = """\
base_year = 2017
horizon = 2022
districts = "districts.csv"
"""
LAND = '\n[land]\ncentral_districts = ["Core"]\n'


@pytest.fixture
def folder(tmp_path):
    """A writable copy of the tiny scenario's folder."""
    return Path(shutil.copytree(TINY, tmp_path / "tiny"))


def write(folder: Path, text: str, name: str = "case.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, overrides: dict[str, object] | None = None) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides=overrides, origin="--set")
    return info.value


def error_in(folder: Path, text: str) -> ScenarioError:
    """The error loading `text` as a scenario next to the tiny district table."""
    return error_of(write(folder, text))


# --- the tiny scenario loads ----------------------------------------------------------------


def test_tiny_scenario_has_its_two_districts_in_table_order():
    scenario = load_scenario(TINY / "tiny.toml")
    assert scenario.districts.names == ("Core", "Edge")
    assert scenario.name == "tiny"
    assert (scenario.base_year, scenario.horizon, scenario.seed) == (2017, 2022, 42)


def test_per_district_tables_resolve_in_district_order():
    scenario = load_scenario(TINY / "tiny.toml")
    assert scenario.channels.talent.quota == (150, 300)
    assert scenario.land.plan_quota_ha == (0, 3)


def test_per_district_default_fills_districts_not_named():
    scenario = load_scenario(TINY / "tiny.toml")
    assert scenario.channels.points.table.district_bonus == (0, 10)


def test_one_number_for_a_per_district_value_applies_to_every_district():
    scenario = load_scenario(TINY / "tiny.toml")
    assert scenario.land.renewal_ha == (0.5, 0.5)


def test_defaults_fill_what_the_file_does_not_name():
    scenario = load_scenario(TINY / "tiny.toml")
    assert scenario.channels.points.max_age == 45
    assert scenario.channels.policy.approval_rate == 0.95
    assert scenario.land.adjustment == 0.0
    assert scenario.channels.talent.schedule.windows == (0.1, 0.35, 0.6, 0.85)


def test_unnamed_per_district_value_takes_its_fill_for_every_district(folder):
    scenario = load_scenario(write(folder, MINIMAL + LAND))
    assert scenario.land.plan_quota_ha == (100, 100)
    assert scenario.channels.talent.quota == (0, 0)  # a city's quotas are its own


def test_targets_are_optional_but_complete_when_given(folder):
    assert load_scenario(write(folder, MINIMAL + LAND)).targets is None
    error = error_in(folder, MINIMAL + LAND + "[targets]\nyear = 2020\n")
    assert error.key == "targets.hukou_population"
    assert error.expected.startswith("a value (required")


def test_name_defaults_to_the_file_stem_and_seed_to_zero(folder):
    scenario = load_scenario(write(folder, MINIMAL + LAND, "my_city.toml"))
    assert scenario.name == "my_city"
    assert scenario.seed == 0


def test_districts_path_is_relative_to_the_scenario_file_not_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = load_scenario(TINY / "tiny.toml")
    assert Path(scenario.districts.source) == (TINY / "districts.csv").resolve()


def test_district_provenance_next_to_the_table_is_found_without_being_named():
    scenario = load_scenario(TINY / "tiny.toml")
    assert Path(scenario.districts.provenance_source).name == "districts_provenance.csv"
    assert ("Core", "urban_construction_land_ha") in [p[:2] for p in scenario.districts.provenance]


def test_district_table_saved_with_a_byte_order_mark_loads(folder):
    csv = folder / "districts.csv"
    csv.write_text("\ufeff" + csv.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_scenario(folder / "tiny.toml").districts.names == ("Core", "Edge")


# --- extends ----------------------------------------------------------------------------------


def test_child_overrides_only_what_it_names():
    child = load_scenario(TINY / "child.toml")
    parent = load_scenario(TINY / "tiny.toml")
    assert child.name == "tiny_child"
    assert child.channels.points.quota == 500
    assert child.channels.talent.quota == (150, 300)
    assert child.channels.points.table == parent.channels.points.table
    assert child.land == parent.land


def test_child_lists_parent_file_then_its_own():
    child = load_scenario(TINY / "child.toml")
    assert [Path(f).name for f in child.files] == ["tiny.toml", "child.toml"]


def test_chain_of_two_extends_inherits_from_both(folder):
    path = write(folder, 'extends = "child.toml"\n[channels.special]\nquota = 7\n')
    scenario = load_scenario(path)
    assert scenario.channels.special.quota == 7
    assert scenario.channels.points.quota == 500
    assert scenario.channels.talent.quota == (150, 300)
    assert len(scenario.files) == 3


def test_paths_inherited_from_a_parent_are_relative_to_the_parent(folder):
    (folder / "variants").mkdir()
    path = write(folder / "variants", 'extends = "../tiny.toml"\nhorizon = 2019\n')
    scenario = load_scenario(path)
    assert Path(scenario.districts.source) == (folder / "districts.csv").resolve()
    assert scenario.horizon == 2019


def test_extends_cycle_raises_naming_extends(folder):
    write(folder, 'extends = "b.toml"\n', "a.toml")
    write(folder, 'extends = "a.toml"\n', "b.toml")
    error = error_of(folder / "a.toml")
    assert error.key == "extends"
    assert Path(error.file).name == "a.toml"
    assert "cycle" in error.expected
    assert "b.toml" in error.got


def test_missing_parent_raises_naming_the_childs_extends(folder):
    error = error_of(write(folder, 'extends = "nowhere.toml"\n'))
    assert error.file.endswith("case.toml")
    assert error.key == "extends"
    assert error.got == "nowhere.toml"


# --- overrides --------------------------------------------------------------------------------


def test_override_wins_over_the_file():
    scenario = load_scenario(TINY / "tiny.toml", overrides={"channels.points.quota": 7})
    assert scenario.channels.points.quota == 7


def test_override_can_reach_one_district_of_a_table():
    scenario = load_scenario(TINY / "tiny.toml", overrides={"channels.talent.quota.Edge": 1})
    assert scenario.channels.talent.quota == (150, 1)


def test_override_wins_over_a_child_and_its_parent():
    scenario = load_scenario(TINY / "child.toml", overrides={"channels.points.quota": 9})
    assert scenario.channels.points.quota == 9


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("a.b=3", ("a.b", 3)),
        ("x = 0.5", ("x", 0.5)),
        ("flag=true", ("flag", True)),
        ("w=[0.2, 0.4]", ("w", [0.2, 0.4])),
        ("t={ Core = 1, default = 2 }", ("t", {"Core": 1, "default": 2})),
    ],
)
def test_parse_override_reads_the_value_as_toml(text, parsed):
    assert parse_override(text) == parsed


def test_parse_override_takes_a_non_toml_value_as_a_string():
    assert parse_override("x=hello") == ("x", "hello")


@pytest.mark.parametrize("text", ["noequals", "=3"])
def test_parse_override_without_a_key_raises(text):
    with pytest.raises(ScenarioError) as info:
        parse_override(text)
    assert info.value.file == "--set"
    assert info.value.got == text


# --- one error per class of mistake -----------------------------------------------------------


def test_unknown_top_level_key(folder):
    error = error_in(folder, MINIMAL + 'colour = "red"\n' + LAND)
    assert error.file.endswith("case.toml")
    assert error.key == "colour"
    assert "horizon" in error.expected
    assert error.got == "colour"


def test_unknown_nested_key(folder):
    error = error_in(folder, MINIMAL + LAND + "[channels.points]\nquotaa = 1\n")
    assert error.file.endswith("case.toml")
    assert error.key == "channels.points.quotaa"
    assert "quota" in error.expected
    assert error.got == "quotaa"


def test_string_where_a_number_is_expected(folder):
    error = error_in(folder, MINIMAL + LAND + '[channels.points]\nquota = "many"\n')
    assert error.file.endswith("case.toml")
    assert error.key == "channels.points.quota"
    assert error.expected == "a finite number"
    assert error.got == "many"


def test_float_where_an_integer_is_expected(folder):
    error = error_in(folder, MINIMAL.replace("2017", "2017.5") + LAND)
    assert error.file.endswith("case.toml")
    assert error.key == "base_year"
    assert error.expected == "an integer"
    assert error.got == 2017.5


def test_integer_valued_float_is_still_not_an_integer(folder):
    error = error_in(folder, MINIMAL + LAND + "[channels.points]\nmax_age = 45.0\n")
    assert error.key == "channels.points.max_age"
    assert error.expected == "an integer"


def test_number_where_true_or_false_is_expected(folder):
    error = error_in(folder, MINIMAL + LAND + "[channels.points]\nenabled = 1\n")
    assert error.file.endswith("case.toml")
    assert error.key == "channels.points.enabled"
    assert error.expected == "true or false"
    assert error.got == 1


def test_negative_quota(folder):
    error = error_in(folder, MINIMAL + LAND + "[channels.points]\nquota = -1\n")
    assert error.file.endswith("case.toml")
    assert error.key == "channels.points.quota"
    assert error.expected == "a number in [0, inf]"
    assert error.got == -1


def test_negative_value_in_a_per_district_table(folder):
    error = error_in(
        folder, MINIMAL + LAND + "[channels.talent]\nquota = { Core = 1, Edge = -3 }\n"
    )
    assert error.file.endswith("case.toml")
    assert error.key == "channels.talent.quota.Edge"
    assert error.expected == "a number in [0, inf]"
    assert error.got == -3


def test_per_district_table_naming_a_district_not_in_the_table(folder):
    text = MINIMAL + LAND + "[channels.talent]\nquota = { Core = 1, Edge = 2, Mars = 3 }\n"
    error = error_in(folder, text)
    assert error.file.endswith("case.toml")
    assert error.key == "channels.talent.quota.Mars"
    assert "Core, Edge" in error.expected
    assert error.got == "Mars"


def test_per_district_table_missing_a_district_without_default(folder):
    error = error_in(folder, MINIMAL + LAND + "[channels.talent]\nquota = { Core = 1 }\n")
    assert error.file.endswith("case.toml")
    assert error.key == "channels.talent.quota"
    assert "default" in error.expected
    assert "Edge" in error.got


def test_central_districts_naming_a_district_not_in_the_table(folder):
    error = error_in(folder, MINIMAL + '[land]\ncentral_districts = ["Core", "Mars"]\n')
    assert error.file.endswith("case.toml")
    assert error.key == "land.central_districts"
    assert "Core, Edge" in error.expected
    assert error.got == ["Mars"]


def test_a_city_names_its_own_central_districts_and_has_none_by_default(folder):
    scenario = load_scenario(write(folder, MINIMAL))
    assert scenario.land.central_districts == ()


@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_non_finite_numbers_are_refused_except_the_last_tier_bound(folder, value):
    error = error_in(folder, MINIMAL + f"[flows]\narrivals_per_year = {value}\n")
    assert error.key == "flows.arrivals_per_year"
    assert "finite" in error.expected


def test_tiers_out_of_order(folder):
    tiers = "tiers = [{ upper_m2 = 150, standard_m2 = 80 }, { upper_m2 = 100, standard_m2 = 100 },"
    tiers += " { upper_m2 = inf, standard_m2 = 50 }]\n"
    error = error_in(folder, MINIMAL + LAND + tiers)
    assert error.file.endswith("case.toml")
    assert error.key == "land.tiers"
    assert error.expected == "strictly increasing values"
    assert error.got == [150, 100, math.inf]


def test_last_tier_not_unbounded(folder):
    tiers = (
        "tiers = [{ upper_m2 = 100, standard_m2 = 100 }, { upper_m2 = 150, standard_m2 = 80 }]\n"
    )
    error = error_in(folder, MINIMAL + LAND + tiers)
    assert error.file.endswith("case.toml")
    assert error.key == "land.tiers"
    assert "inf" in error.expected
    assert error.got == 150


@pytest.mark.parametrize("base_year", [2022, 2023])
def test_base_year_not_before_horizon(folder, base_year):
    error = error_in(folder, MINIMAL.replace("2017", str(base_year)) + LAND)
    assert error.file.endswith("case.toml")
    assert error.key == "horizon"
    assert str(base_year) in error.expected
    assert error.got == 2022


def test_missing_required_key(folder):
    error = error_in(folder, MINIMAL.replace("horizon = 2022\n", "") + LAND)
    assert error.file.endswith("case.toml")
    assert error.key == "horizon"
    assert "required" in error.expected


def test_district_table_file_missing(folder):
    error = error_in(folder, MINIMAL.replace("districts.csv", "nowhere.csv") + LAND)
    assert error.file.endswith("nowhere.csv")
    assert error.key == "districts"
    assert "readable" in error.expected
    assert "No such file" in error.got


def test_district_table_missing_a_column(folder):
    (folder / "districts.csv").write_text("district,resident_population\nCore,1\n")
    error = error_in(folder, MINIMAL + LAND)
    assert error.file.endswith("districts.csv")
    assert error.key == "districts"
    assert "hukou_population" in error.expected
    assert "hukou_population" in error.got


def edit_csv(folder: Path, old: str, new: str) -> None:
    csv = folder / "districts.csv"
    text = csv.read_text(encoding="utf-8")
    assert old in text, "the edit must change the table"
    csv.write_text(text.replace(old, new), encoding="utf-8")


def test_district_table_with_a_non_numeric_population(folder):
    edit_csv(folder, "Core,20000,", "Core,lots,")
    error = error_in(folder, MINIMAL + LAND)
    assert error.file.endswith("districts.csv")
    assert error.key == "row 2.resident_population"
    assert error.expected == "an integer"
    assert error.got == "lots"


def test_district_table_with_a_short_row(folder):
    edit_csv(folder, "Edge,30000,16000,9000,0.7,200.0,231.0", "Edge,30000")
    error = error_in(folder, MINIMAL + LAND)
    assert error.file.endswith("districts.csv")
    assert error.key == "row 3.hukou_population"
    assert error.got is None


def test_district_table_with_more_hukou_than_residents(folder):
    edit_csv(folder, "Core,20000,12000,12000", "Core,20000,22000,12000")
    error = error_in(folder, MINIMAL + LAND)
    assert error.file.endswith("districts.csv")
    assert error.key == "row 2.hukou_population"
    assert "20000" in error.expected
    assert error.got == 22000


def test_district_table_with_a_duplicate_name(folder):
    edit_csv(folder, "Edge,", "Core,")
    error = error_in(folder, MINIMAL + LAND)
    assert error.file.endswith("districts.csv")
    assert error.key == "district"
    assert error.expected == "unique district names"
    assert error.got == ["Core"]


def test_shares_not_adding_up_to_one(folder):
    text = MINIMAL + LAND + "[population]\neducation_shares = [0.5, 0.5, 0.5, 0.5]\n"
    error = error_in(folder, text)
    assert error.file.endswith("case.toml")
    assert error.key == "population.education_shares"
    assert error.expected == "4 shares adding up to 1"
    assert error.got == [0.5, 0.5, 0.5, 0.5]


def test_window_closing_at_or_after_year_end(folder):
    text = (
        MINIMAL + LAND + "[channels.points.schedule]\nwindows = [0.75]\nprocessing_years = 0.25\n"
    )
    error = error_in(folder, text)
    assert error.file.endswith("case.toml")
    assert error.key == "channels.points.schedule.windows"
    assert "year end" in error.expected
    assert error.got == [0.75]


def test_value_outside_its_allowed_set(folder):
    error = error_in(folder, MINIMAL + LAND + '[channels.points]\nranking = "age"\n')
    assert error.file.endswith("case.toml")
    assert error.key == "channels.points.ranking"
    assert "medical_insurance" in error.expected
    assert error.got == "age"


def test_provenance_for_an_unknown_key_path(folder):
    error = error_in(folder, MINIMAL + LAND + '[provenance]\n"channels.points.quotaa" = "x"\n')
    assert error.file.endswith("case.toml")
    assert error.key == "provenance.channels.points.quotaa"
    assert "key path" in error.expected
    assert error.got == "channels.points.quotaa"


def test_provenance_for_a_known_key_path_is_kept(folder):
    scenario = load_scenario(write(folder, MINIMAL + LAND + '[provenance]\n"land.tiers" = "x"\n'))
    assert scenario.provenance == (("land.tiers", "x"),)


def test_invalid_toml_names_the_file(folder):
    error = error_in(folder, MINIMAL + "[land\n")
    assert error.file.endswith("case.toml")
    assert error.key == "(file)"
    assert error.expected == "valid TOML"
    assert "line 4" in error.got


def test_message_names_file_key_expected_and_got(folder):
    error = error_in(folder, MINIMAL + LAND + '[channels.points]\nranking = "age"\n')
    message = str(error)
    for part in (error.file, error.key, error.expected, "'age'"):
        assert part in message


# --- errors name the file the mistake is in ---------------------------------------------------


def test_mistake_in_a_child_names_the_child(folder):
    error = error_of(write(folder, 'extends = "tiny.toml"\n[channels.points]\nquota = -1\n'))
    assert error.file.endswith("case.toml")
    assert error.key == "channels.points.quota"


def test_cross_field_mistake_in_a_child_names_the_child(folder):
    error = error_of(write(folder, 'extends = "tiny.toml"\nhorizon = 2010\n'))
    assert error.file.endswith("case.toml")
    assert error.key == "horizon"


def test_mistake_in_a_childs_district_table_names_the_child(folder):
    error = error_of(write(folder, 'extends = "tiny.toml"\n[channels.talent.quota]\nMars = 1\n'))
    assert error.file.endswith("case.toml")
    assert error.key == "channels.talent.quota.Mars"


def test_mistake_inherited_from_a_parent_names_the_parent(folder):
    write(folder, MINIMAL + LAND + '[channels.points]\nranking = "age"\n', "parent.toml")
    error = error_of(write(folder, 'extends = "parent.toml"\n[channels.special]\nquota = 1\n'))
    assert error.file.endswith("parent.toml")
    assert error.key == "channels.points.ranking"


def test_mistake_in_an_override_names_set():
    error = error_of(TINY / "tiny.toml", overrides={"channels.points.quota": -3})
    assert error.file == "--set"
    assert error.key == "channels.points.quota"
    assert error.got == -3


@pytest.mark.parametrize(
    ("dotted", "key"),
    [
        ("channels.points.quotaa", "channels.points.quotaa"),
        ("channels.pointz.quota", "channels.pointz"),
        ("colour.red", "colour"),
    ],
)
def test_unknown_override_key_names_set(dotted, key):
    error = error_of(TINY / "tiny.toml", overrides={dotted: 1})
    assert error.file == "--set"
    assert error.key == key


def test_override_replacing_a_per_district_table_names_set():
    overrides = {"channels.talent.quota": {"Core": -1, "Edge": 2}}
    error = error_of(TINY / "tiny.toml", overrides=overrides)
    assert error.file == "--set"
    assert error.key == "channels.talent.quota.Core"


def test_override_below_a_number_names_set():
    error = error_of(TINY / "tiny.toml", overrides={"channels.points.quota.x": 1})
    assert error.file == "--set"
    assert error.key == "channels.points.quota"
    assert error.expected == "a finite number"


def test_override_of_one_district_keeps_the_others():
    scenario = load_scenario(TINY / "tiny.toml", overrides={"land.renewal_ha.Edge": 2})
    assert scenario.land.renewal_ha == (0.5, 2.0)


def test_extends_cannot_be_overridden():
    error = error_of(TINY / "tiny.toml", overrides={"extends": "other.toml"})
    assert (error.file, error.key) == ("--set", "extends")


def test_a_mistake_in_overrides_given_in_python_is_not_blamed_on_the_command_line():
    with pytest.raises(ScenarioError) as info:
        load_scenario(TINY / "tiny.toml", overrides={"channels.points.quota": -3})
    assert info.value.file == "overrides"


def test_a_partial_schedule_keeps_the_channels_own_defaults():
    overrides = {"channels.talent.schedule.unused_quota": "carry_over"}
    schedule = load_scenario(TINY / "tiny.toml", overrides=overrides).channels.talent.schedule
    assert schedule.unused_quota == "carry_over"
    assert schedule.windows == (0.1, 0.35, 0.6, 0.85)
    assert schedule.processing_years == 0.1


@pytest.mark.parametrize("name", ["ALL", "default"])
def test_reserved_district_names_are_refused(folder, name):
    edit_csv(folder, "Core,20000", f"{name},20000")
    error = error_in(folder, MINIMAL)
    assert error.key == "row 2.district"
    assert error.got == name


@pytest.mark.parametrize("value", ["inf", "1e400", "nan", "1e11"])
def test_district_values_must_be_finite_and_plausible(folder, value):
    edit_csv(folder, "200.0,231.0", f"200.0,{value}")
    error = error_in(folder, MINIMAL + LAND)
    assert error.key == "row 3.urban_construction_land_ha"


def test_a_given_non_registered_column_must_match(folder):
    csv = folder / "districts.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    lines[0] += ",non_hukou_population"
    lines[1] += ",8000"
    lines[2] += ",14001"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    error = error_in(folder, MINIMAL + LAND)
    assert error.key == "row 3.non_hukou_population"


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".."])
def test_scenario_names_must_be_safe_folder_names(folder, name):
    error = error_in(folder, f'name = "{name}"\n' + MINIMAL + LAND)
    assert error.key == "name"


def test_a_child_with_its_own_districts_does_not_inherit_the_parents_provenance(folder):
    write(folder, 'extends = "tiny.toml"\ndistricts = "districts.csv"\n', "child2.toml")
    (folder / "districts_provenance.csv").unlink()
    scenario = load_scenario(folder / "child2.toml")
    assert scenario.districts.provenance == ()


def test_arrival_weights_must_have_a_positive_sum(folder):
    error = error_in(folder, MINIMAL + LAND + "[flows]\narrival_weights = 0\n")
    assert error.key == "flows.arrival_weights"


# --- properties -------------------------------------------------------------------------------

negative = st.one_of(
    st.integers(min_value=-(2**63), max_value=-1),
    st.floats(max_value=-math.ulp(0.0), allow_nan=False),  # every negative float, not -0.0
)
valid_quota = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6).map(float),  # 6000.0 is a whole number too
)
cases = settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])


@cases
@given(channel=st.sampled_from(["points", "special"]), quota=negative)
def test_any_negative_quota_is_refused(folder, channel, quota):
    error = error_in(folder, MINIMAL + LAND + f"[channels.{channel}]\nquota = {quota!r}\n")
    assert error.file.endswith("case.toml")
    assert error.key == f"channels.{channel}.quota"
    assert error.got == quota


@cases
@given(channel=st.sampled_from(["points", "special"]), quota=valid_quota)
def test_any_valid_quota_loads_as_written(folder, channel, quota):
    path = write(folder, MINIMAL + LAND + f"[channels.{channel}]\nquota = {quota!r}\n")
    loaded = getattr(load_scenario(path).channels, channel).quota
    assert loaded == quota
    assert isinstance(loaded, float)


@cases
@given(
    channel=st.sampled_from(["points", "special"]),
    quota=st.floats(min_value=0, max_value=1e6).filter(lambda q: not q.is_integer()),
)
def test_a_fractional_quota_is_refused(folder, channel, quota):
    error = error_in(folder, MINIMAL + LAND + f"[channels.{channel}]\nquota = {quota!r}\n")
    assert error.key == f"channels.{channel}.quota"
    assert error.expected == "a whole number of persons"


def test_a_district_the_table_lacks_is_blamed_on_the_table(folder):
    error = error_in(
        folder, MINIMAL + LAND + "[channels.talent]\nquota = { Core = 1, Nowhere = 2 }\n"
    )
    assert error.key == "channels.talent.quota.Nowhere"
    assert "district table districts.csv" in error.expected


def test_a_district_the_table_lost_is_blamed_on_the_table_not_its_provenance(folder):
    table = folder / "districts.csv"
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    table.write_text("".join(line for line in lines if not line.startswith("Edge,")))
    error = error_in(folder, MINIMAL + LAND)  # the provenance file still describes Edge
    assert Path(error.file) == table.resolve()
    assert error.key == "district"
    assert error.expected.startswith("a row for Edge, a district its provenance file ")
    assert "districts_provenance.csv names (row 3;" in error.expected
    assert error.got == "no row for Edge"


def test_a_scenario_saved_with_a_byte_order_mark_loads(folder):
    plain = write(folder, MINIMAL + LAND)
    marked = folder / "marked.toml"
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert load_scenario(marked).districts.names == load_scenario(plain).districts.names


def test_urban_registered_residents_must_fit_the_urban_share(folder):
    (folder / "districts.csv").write_text(
        "district,resident_population,hukou_population,urban_hukou_population,"
        "urban_resident_share,land_area_km2,urban_construction_land_ha\n"
        "Core,20000,12000,12000,0.5,10.0,160.0\n"
        "Edge,30000,16000,9000,0.7,200.0,294.0\n",
        encoding="utf-8",
    )
    error = error_in(folder, MINIMAL + LAND)
    assert error.file.endswith("districts.csv")
    assert error.key == "row 2.urban_hukou_population"
    assert error.expected.startswith("between 2,000 and 10,000")
    assert error.got == 12000

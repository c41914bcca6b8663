"""Build a Guangzhou district table for a base year and its provenance file from the fact rows.

Reads ``sources/guangzhou_facts.csv`` (fact rows copied verbatim, with their sources) and writes
``districts_<year>.csv`` and ``districts_<year>_provenance.csv`` next to this script, for year-end
of the base year (default 2017; 2015 for back-casting). Resident population is the series
published before the 2020 census.

    python scenarios/guangzhou/build_districts.py                     # 2017: write both files
    python scenarios/guangzhou/build_districts.py --year 2015         # the 2015 table
    python scenarios/guangzhou/build_districts.py --year 2015 --check # exit 1 if stale
"""

import argparse
import csv
import io
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FACTS_CSV = HERE / "sources" / "guangzhou_facts.csv"

CITY = "Guangzhou"
DEFAULT_YEAR = 2017
PRE_CENSUS_CITY = "pre-2020-census"  # basis text of the city rows in the pre-census series
PRE_CENSUS_DISTRICT = "pre-census"  # basis text of the district rows in the same series

# District, Chinese name and GB/T 2260 code, as given by the properties "name" and "adcode" of
# guangzhou_districts.geojson (the shared district-boundary file, a copy of 440100_full.json
# from the public repository anzhou99/GeoJsons). Hard-coded so the build reads no geometry.
DISTRICTS: tuple[tuple[str, str, int], ...] = (
    ("Liwan", "荔湾区", 440103),
    ("Yuexiu", "越秀区", 440104),
    ("Haizhu", "海珠区", 440105),
    ("Tianhe", "天河区", 440106),
    ("Baiyun", "白云区", 440111),
    ("Huangpu", "黄埔区", 440112),
    ("Panyu", "番禺区", 440113),
    ("Huadu", "花都区", 440114),
    ("Nansha", "南沙区", 440115),
    ("Conghua", "从化区", 440117),
    ("Zengcheng", "增城区", 440118),
)
NAMES = tuple(name for name, _, _ in DISTRICTS)

# Sourced, not assumed: People's Daily Guangdong (2020-03-13) reports these two districts only as
# "over 1.70 million" residents at year-end 2019; the derivation keeps them at or above it.
FLOOR_2019 = {"Tianhe": 1_700_000, "Haizhu": 1_700_000}

# Assumption: no district resident figures for the base years (2015, 2017) were found, so every
# district is taken to have grown at the city rate between the base year and this year, whose
# district values are (mostly) known. Where that would leave a district with fewer residents than
# its registered population, the district is held at its registered population (no
# non-registered residents) and the other districts share the rest of the city total.
RESIDENT_ANCHOR_YEAR = 2019

# Assumption: the six districts without a 2019 pre-census figure split the rest of the 2019 city
# total in proportion to their populations in this year (census-revised series, the nearest
# complete district series), i.e. the census revision is taken to have scaled them alike.
PROPORTIONAL_WEIGHT_YEAR = 2023

# Assumption: district shares of the registered (hukou) population are published for this year
# only (annual average); they are taken to be unchanged at the end of the base year.
HUKOU_SHARE_YEAR = 2019

# Assumption: the city urban-hukou rate moved linearly between the two nearest years for which
# both the registered and the urban registered population were found. In those years themselves
# the urban registered population is a fact and is used as it stands.
URBAN_HUKOU_ANCHOR_YEARS = (2015, 2018)

# Not an assumption about values: district boundaries are unchanged since the 2014 reorganisation
# (Luogang into Huangpu; Conghua and Zengcheng made districts), so these areas hold for 2015 on.
LAND_AREA_YEAR = 2019

# Assumption: urban construction land by district was not found in any source. Existing urban
# construction land per urban resident (m2) is assumed, graded from the dense old core up to the
# outer districts with more industrial land and lower density. GB 50137-2011 puts planned values
# for climate zone IV at 65-110 m2; the outer-district values above that band are part of the
# assumption (they describe existing land, not a planning target). Values are kept off the
# linkage tier bounds (100 and 150 m2), where a rounding difference would decide the tier.
PER_CAPITA_LAND_M2 = {
    "Liwan": 80.0,
    "Yuexiu": 80.0,
    "Haizhu": 80.0,
    "Tianhe": 80.0,
    "Baiyun": 90.0,
    "Panyu": 98.0,
    "Huangpu": 130.0,
    "Huadu": 125.0,
    "Zengcheng": 135.0,
    "Nansha": 155.0,
    "Conghua": 170.0,
}

# Assumption: at most this share of a district's land area can be urban construction land (the
# rest is water, hills, parks and farmland); core districts are almost fully built up, so for
# them this cap rather than the per-capita figure binds.
DEVELOPABLE_SHARE = 0.85

M2_PER_HA = 10_000
HA_PER_KM2 = 100

TABLE_COLUMNS = (
    "district",
    "name_zh",
    "adcode",
    "resident_population",
    "hukou_population",
    "non_hukou_population",
    "urban_resident_share",
    "urban_hukou_population",
    "land_area_km2",
    "urban_construction_land_ha",
)
NUMERIC_FIELDS = TABLE_COLUMNS[3:]
PROVENANCE_COLUMNS = ("district", "field", "provenance", "note")

Fact = dict[str, str]
Note = tuple[str, str]  # (provenance flag, note)


def load_facts(path: Path) -> list[Fact]:
    """Read the fact rows, resolving a source given as "same as above" to the row above's."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    previous = ""
    for row in rows:
        if row["source"] == "same as above":
            row["source"] = previous
        previous = row["source"]
    return rows


def matching(
    facts: list[Fact], geography: str, indicator: str, year: int, basis: str = ""
) -> list[Fact]:
    """The fact rows for one geography, indicator and year whose basis contains basis."""
    return [
        row
        for row in facts
        if row["geography"] == geography
        and row["indicator"] == indicator
        and row["year"] == str(year)
        and basis in row["basis"]
    ]


def fact(facts: list[Fact], geography: str, indicator: str, year: int, basis: str = "") -> Fact:
    """Return the single fact row that matches; stop with a message if there is not exactly one."""
    hits = matching(facts, geography, indicator, year, basis)
    if len(hits) != 1:
        raise SystemExit(f"expected one fact {geography}/{indicator}/{year}, found {len(hits)}")
    return hits[0]


def number(row: Fact) -> float:
    """The value of a fact row as a float."""
    return float(row["value"])


def largest_remainder(weights: dict[str, float], total: int) -> dict[str, int]:
    """Integers proportional to the weights that sum exactly to total (ties: table order)."""
    scale = total / sum(weights.values())
    quotas = {key: weight * scale for key, weight in weights.items()}
    result = {key: math.floor(quota) for key, quota in quotas.items()}
    short = total - sum(result.values())
    order = sorted(quotas, key=lambda key: (result[key] - quotas[key], NAMES.index(key)))
    if not 0 <= short <= len(order):
        raise SystemExit(f"largest remainder cannot reach {total} from {sum(result.values())}")
    for key in order[:short]:
        result[key] += 1
    return result


def share_with_floor(
    rest: float, weights: dict[str, float], floors: dict[str, int]
) -> dict[str, float]:
    """Split rest in proportion to weights; a share below its floor is fixed there, then repeat."""
    fixed: dict[str, float] = {}
    while True:
        free = {key: weight for key, weight in weights.items() if key not in fixed}
        left = rest - sum(fixed.values())
        total_weight = sum(free.values())
        shares = {key: left * weight / total_weight for key, weight in free.items()}
        below = [key for key, share in shares.items() if share < floors.get(key, 0)]
        if not below:
            return {**fixed, **shares}
        for key in below:
            fixed[key] = float(floors[key])


def published_anchor(facts: list[Fact]) -> tuple[dict[str, float], dict[str, str]]:
    """District residents published for the anchor year, and a note for every district row."""
    year = RESIDENT_ANCHOR_YEAR
    known: dict[str, float] = {}
    how: dict[str, str] = {}
    for name in NAMES:
        for row in matching(facts, name, "resident_population", year, PRE_CENSUS_DISTRICT):
            if not row["value"]:  # reported only as a lower bound, see FLOOR_2019
                how[name] = f"'over 1.70 million' ({row['source']})"
                continue
            known[name] = number(row)
            how[name] = f"{year} value {known[name]:,.0f} ({row['source']})"
    return known, how


def resident_anchor(facts: list[Fact], city: float) -> tuple[dict[str, float], dict[str, str]]:
    """District residents in the anchor year (pre-census), with how each value was obtained."""
    year, weight_year = RESIDENT_ANCHOR_YEAR, PROPORTIONAL_WEIGHT_YEAR
    known, how = published_anchor(facts)
    weights = {
        name: number(fact(facts, name, "resident_population", weight_year))
        for name in NAMES
        if name not in known
    }
    shared = share_with_floor(city - sum(known.values()), weights, FLOOR_2019)
    for name, value in shared.items():
        bound = f", reported {how[name]}" if name in how else ""
        if value == FLOOR_2019.get(name):
            how[name] = f"{year} fixed at the floor {value:,.0f}{bound}"
        else:
            how[name] = (
                f"{year} = {value:,.0f}: rest of {year} city total shared by {weight_year} "
                f"census-revised population ({weights[name]:,.0f}){bound}"
            )
    return {**known, **shared}, how


def urban_hukou_bounds(
    resident: int, non_hukou: int, hukou: int, share: float
) -> tuple[int, int, int]:
    """Urban residents, and the lowest and highest urban hukou consistent with them.

    Urban residents are urban hukou plus urban non-registered residents, who number at most
    non_hukou; and the urban registered cannot outnumber the urban residents.
    """
    urban_resident = round(share * resident)
    return urban_resident, max(0, urban_resident - non_hukou), min(hukou, urban_resident)


def rural_multiplier(
    hukou: dict[str, int],
    rural_resident: dict[str, float],
    bounds: dict[str, tuple[int, int]],
    urban_hukou_total: int,
) -> tuple[float, dict[str, float], dict[str, str]]:
    """Solve m so the urban hukou hukou x (1 - rural resident x m) adds up to the target.

    A district whose urban hukou falls outside its bounds (lower, upper) is fixed at the bound
    it crosses and m is solved again over the unfixed districts, until no further district
    crosses. Returns m, the urban hukou by district and the bound fixed ("lower" or "upper").
    """
    lowest = sum(low for low, _ in bounds.values())
    highest = sum(high for _, high in bounds.values())
    if not lowest <= urban_hukou_total <= highest:
        raise SystemExit(
            f"city urban hukou {urban_hukou_total:,} is outside the sum of the district bounds "
            f"[{lowest:,}, {highest:,}]"
        )
    side = {"lower": 0, "upper": 1}
    clipped: dict[str, str] = {}
    while True:
        free = [n for n in NAMES if n not in clipped]
        fixed = sum(bounds[n][side[bound]] for n, bound in clipped.items())
        base = sum(hukou[n] * rural_resident[n] for n in free)
        if base <= 0:
            raise SystemExit("rural multiplier cannot be solved: no unclipped rural district")
        multiplier = (sum(hukou[n] for n in free) - (urban_hukou_total - fixed)) / base
        if multiplier < 0:
            raise SystemExit("urban hukou exceeds hukou: rural multiplier is negative")
        rule = {n: hukou[n] * (1 - rural_resident[n] * multiplier) for n in NAMES}
        crossed = {
            n: "lower" if rule[n] < bounds[n][0] else "upper"
            for n in free
            if not bounds[n][0] <= rule[n] <= bounds[n][1]
        }
        if not crossed:
            break
        clipped |= crossed
    for name, bound in clipped.items():
        inside = rule[name] > bounds[name][0] if bound == "lower" else rule[name] < bounds[name][1]
        if inside:
            raise SystemExit(
                f"{name} fixed at its {bound} bound but m = {multiplier} puts it inside"
            )
    values = {n: float(bounds[n][side[clipped[n]]]) if n in clipped else rule[n] for n in NAMES}
    return multiplier, values, clipped


def bounded_remainder(
    values: dict[str, float], total: int, bounds: dict[str, tuple[int, int]]
) -> dict[str, int]:
    """Round values that add up to total to integers within their bounds that add up to total.

    Each value is floored (and kept within its bounds); the units still short go one each to the
    largest remainders among the districts below their upper bound (ties: table order).
    """
    result = {n: min(max(math.floor(v), bounds[n][0]), bounds[n][1]) for n, v in values.items()}
    short = total - sum(result.values())
    if short >= 0:
        room = [n for n in result if result[n] < bounds[n][1]]
        order = sorted(room, key=lambda n: (result[n] - values[n], NAMES.index(n)))
        step = 1
    else:
        room = [n for n in result if result[n] > bounds[n][0]]
        order = sorted(room, key=lambda n: (values[n] - result[n], NAMES.index(n)))
        step = -1
    if abs(short) > len(order):
        raise SystemExit(f"rounding within bounds cannot reach {total} from {sum(result.values())}")
    for name in order[: abs(short)]:
        result[name] += step
    return result


def urban_hukou_rate(facts: list[Fact], year: int) -> tuple[float, dict[int, float]]:
    """City urban-hukou rate in the base year, interpolated between the anchor years."""
    rates = {
        year: number(fact(facts, CITY, "urban_hukou_population", year))
        / number(fact(facts, CITY, "hukou_population", year))
        for year in URBAN_HUKOU_ANCHOR_YEARS
    }
    first, last = URBAN_HUKOU_ANCHOR_YEARS
    weight = (year - first) / (last - first)
    return rates[first] + weight * (rates[last] - rates[first]), rates


def city_resident_total(facts: list[Fact], year: int) -> tuple[int, str, str]:
    """City residents at year-end (pre-census series): value, provenance flag and note.

    A fact row for the year is used as it stands; without one, the value is interpolated
    linearly between the nearest years on either side that have a row in the same series.
    """
    hits = matching(facts, CITY, "resident_population", year, PRE_CENSUS_CITY)
    if len(hits) == 1:
        return int(number(hits[0])), "sourced", cited(hits[0])
    if hits:
        raise SystemExit(f"expected one fact {CITY}/resident_population/{year}, found {len(hits)}")
    series = {
        int(row["year"]): row
        for row in facts
        if row["geography"] == CITY
        and row["indicator"] == "resident_population"
        and PRE_CENSUS_CITY in row["basis"]
        and row["value"]
    }
    before = [y for y in series if y < year]
    after = [y for y in series if y > year]
    if not before or not after:
        raise SystemExit(
            f"no {CITY} resident_population for {year} and no years on both sides to interpolate"
        )
    first, last = max(before), min(after)
    low, high = number(series[first]), number(series[last])
    value = round(low + (year - first) / (last - first) * (high - low))
    note = (
        f"{value:,} persons; no figure found for {year}: linear between {first} "
        f"({low:,.0f}; {series[first]['source']}; confidence {series[first]['confidence']}) and "
        f"{last} ({high:,.0f}; {series[last]['source']}; confidence {series[last]['confidence']})"
    )
    return value, "derived", note


def held_at_hukou(
    values: dict[str, float], total: int, hukou: dict[str, int]
) -> tuple[dict[str, int], dict[str, tuple[float, list[str]]]]:
    """Integers proportional to values summing to total, none below that district's hukou.

    Without a district below its registered population this is largest_remainder(values, total).
    Otherwise such districts are fixed at their registered population and the rest of the total
    is shared by the others in proportion to their values, repeated until none falls below.
    Returns the integers and, for each district held, the value it would have had when it was
    held and the districts held before it.
    """
    held: dict[str, tuple[float, list[str]]] = {}
    while True:
        free = {n: v for n, v in values.items() if n not in held}
        rest = total - sum(hukou[n] for n in held)
        scale = rest / sum(free.values())
        below = {n: v * scale for n, v in free.items() if v * scale < hukou[n]}
        if not below:
            break
        earlier = list(held)
        held |= {n: (value, earlier) for n, value in below.items()}
    if not held:
        return largest_remainder(values, total), held
    return {**{n: hukou[n] for n in held}, **largest_remainder(free, rest)}, held


def construction_land(resident: int, share: float, area_km2: float, name: str) -> tuple[float, str]:
    """Assumed urban construction land (ha) and which term of the min() applied."""
    per_capita_ha = PER_CAPITA_LAND_M2[name] * resident * share / M2_PER_HA
    cap_ha = DEVELOPABLE_SHARE * area_km2 * HA_PER_KM2
    if per_capita_ha <= cap_ha:
        return per_capita_ha, "per-capita"
    return cap_ha, "cap"


class Build:
    """All derived values, the provenance rows and a printable summary."""

    def __init__(self, facts: list[Fact], year: int = DEFAULT_YEAR) -> None:
        self.facts = facts
        self.year = year
        self.rows: dict[str, dict[str, str]] = {n: {} for n in NAMES}
        self.notes: dict[tuple[str, str], Note] = {}
        self.summary: list[str] = []
        self.resident_total = 0
        self.hukou_total = 0
        self.resident: dict[str, int] = {}
        self.hukou_by: dict[str, int] = {}
        self.share: dict[str, float] = {}
        self.area: dict[str, float] = {}

    def city(self, indicator: str, year: int, basis: str = "") -> tuple[float, Fact]:
        """A city-level fact: its value and its row."""
        row = fact(self.facts, CITY, indicator, year, basis)
        return number(row), row

    def put(self, name: str, field: str, text: str, flag: str, note: str) -> None:
        """Set one cell of the district table together with its provenance."""
        self.rows[name][field] = text
        self.notes[(name, field)] = (flag, note)

    def run(self) -> None:
        """Derive the columns in dependency order."""
        self.residents()
        self.hukou()
        self.non_hukou()
        self.urban_share()
        self.urban_hukou()
        self.land()
        self.construction()

    def residents(self) -> None:
        """Residents: 2019 district values scaled by the city ratio base year/2019."""
        anchor, year = RESIDENT_ANCHOR_YEAR, self.year
        total, flag, city_note = city_resident_total(self.facts, year)
        total_anchor, row_anchor = self.city("resident_population", anchor, PRE_CENSUS_CITY)
        self.resident_total = total
        self.notes[("ALL", "resident_population")] = (flag, city_note)
        self.notes[("ALL", f"resident_population_{anchor}")] = ("sourced", cited(row_anchor))
        self.summary.append(f"city residents {year}: {total:,.0f} ({anchor}: {total_anchor:,.0f})")
        values, how = resident_anchor(self.facts, total_anchor)
        _, hukou_by = self.hukou_allocation()
        self.resident, held = held_at_hukou(values, self.resident_total, hukou_by)
        scale = f"x {total:,.0f}/{total_anchor:,.0f} (city {year}/{anchor}), largest remainder"
        held_text = ", ".join(held)
        rest = total - sum(hukou_by[n] for n in held)
        free_sum = sum(v for n, v in values.items() if n not in held)
        for name in NAMES:
            note = f"{how[name]}; {scale}; pre-census series"
            if name in held:
                scaled, earlier = held[name]
                after = f" after {', '.join(earlier)} held" if earlier else ""
                note = (
                    f"{how[name]}; scaled to the city {year} total{after} it would have "
                    f"{scaled:,.0f}, fewer than its hukou_population {hukou_by[name]:,}: held at "
                    "hukou_population (no non-registered residents); pre-census series"
                )
            elif held:
                note = (
                    f"{how[name]}; x {rest:,}/{free_sum:,.0f} (city {year} total less "
                    f"{held_text} held at their hukou_population, over the other districts' "
                    f"{anchor} sum), largest remainder; pre-census series"
                )
            self.put(name, "resident_population", str(self.resident[name]), "derived", note)
        if held:
            self.summary.append(f"held at hukou_population (scaled residents too few): {held_text}")

    def hukou_allocation(self) -> tuple[dict[str, Fact], dict[str, int]]:
        """The share rows and the registered population by district (city total x shares)."""
        rows = {n: fact(self.facts, n, "hukou_population_share", HUKOU_SHARE_YEAR) for n in NAMES}
        total, _ = self.city("hukou_population", self.year)
        return rows, largest_remainder({n: number(r) for n, r in rows.items()}, int(total))

    def hukou(self) -> None:
        """Registered population: district shares times the city total."""
        total, row = self.city("hukou_population", self.year)
        self.hukou_total = int(total)
        self.notes[("ALL", "hukou_population")] = ("sourced", cited(row))
        self.summary.append(f"city hukou {self.year}: {total:,.0f}")
        rows, self.hukou_by = self.hukou_allocation()
        shares = {n: number(row) for n, row in rows.items()}
        for name in NAMES:
            note = (
                f"{HUKOU_SHARE_YEAR} share {shares[name]:.2f} % of city ({rows[name]['source']}; "
                f"shares sum to {sum(shares.values()):.2f} %, renormalised) x {total:,.0f}, "
                "largest remainder"
            )
            self.put(name, "hukou_population", str(self.hukou_by[name]), "derived", note)

    def non_hukou(self) -> None:
        """Residents without local registration; stops if any district would be negative."""
        negative = [n for n in NAMES if self.resident[n] < self.hukou_by[n]]
        if negative:
            raise SystemExit(f"hukou exceeds residents in {', '.join(negative)}")
        for name in NAMES:
            value = self.resident[name] - self.hukou_by[name]
            note = "resident_population - hukou_population"
            self.put(name, "non_hukou_population", str(value), "derived", note)

    def urban_share(self) -> None:
        """Published district urbanization rates, and the city rate they imply."""
        for name in NAMES:
            row = fact(self.facts, name, "resident_urbanization_rate", self.year)
            self.share[name] = round(number(row) / 100, 4)
            note = f"{row['source']}: {row['value']} % in {self.year}, / 100"
            self.put(name, "urban_resident_share", f"{self.share[name]:.4f}", "sourced", note)
        urban = sum(self.resident[n] * self.share[n] for n in NAMES)
        self.weighted = urban / self.resident_total
        published, row = self.city("resident_urbanization_rate", self.year)
        gap = 100 * self.weighted - published
        self.notes[("ALL", "urban_resident_share")] = (
            "derived",
            f"district-weighted {self.weighted:.4f} vs published {published:.2f} % "
            f"({row['source']}); difference {gap:+.2f} points",
        )
        self.summary.append(
            f"weighted resident urbanization {100 * self.weighted:.2f} % vs published "
            f"{published:.2f} %: difference {gap:+.2f} points"
        )

    def urban_hukou_target(self) -> int:
        """City urban registered population in the base year (a fact, or interpolated rate)."""
        if self.year in URBAN_HUKOU_ANCHOR_YEARS:
            target, row = self.city("urban_hukou_population", self.year)
            rate = target / self.hukou_total
            self.notes[("ALL", "urban_hukou_rate")] = (
                "derived",
                f"{rate:.4f} = {target:,.0f} / {self.hukou_total:,} (both sourced, {self.year})",
            )
            self.notes[("ALL", "urban_hukou_population")] = ("sourced", cited(row))
            self.summary.append(f"urban hukou rate {rate:.4f}, city urban hukou {target:,.0f}")
            return int(target)
        rate, anchors = urban_hukou_rate(self.facts, self.year)
        target = round(rate * self.hukou_total)
        first, last = URBAN_HUKOU_ANCHOR_YEARS
        source = fact(self.facts, CITY, "urban_hukou_population", first)["source"]
        self.notes[("ALL", "urban_hukou_rate")] = (
            "derived",
            f"{rate:.4f}: linear between {first} ({anchors[first]:.4f}) and {last} "
            f"({anchors[last]:.4f}); counts from {source}",
        )
        self.notes[("ALL", "urban_hukou_population")] = (
            "derived",
            f"{target:,} = round({rate:.4f} x {self.hukou_total:,})",
        )
        self.summary.append(f"urban hukou rate {rate:.4f}, city urban hukou {target:,}")
        return target

    def urban_hukou(self) -> None:
        """Urban registered population by district, rural share scaled from residents'.

        Each district is kept within the bounds that let its urban residents be reached: at
        least urban residents minus all non-registered residents, at most the urban residents
        (and the registered population).
        """
        target = self.urban_hukou_target()
        rural_resident = {n: 1 - self.share[n] for n in NAMES}
        urban_resident: dict[str, int] = {}
        bounds: dict[str, tuple[int, int]] = {}
        for name in NAMES:
            non_hukou = self.resident[name] - self.hukou_by[name]
            urban_resident[name], low, high = urban_hukou_bounds(
                self.resident[name], non_hukou, self.hukou_by[name], self.share[name]
            )
            bounds[name] = (low, high)
        multiplier, values, clipped = rural_multiplier(
            self.hukou_by, rural_resident, bounds, target
        )
        urban = bounded_remainder(values, target, bounds)
        for name in NAMES:
            low, high = bounds[name]
            rule_share = rural_resident[name] * multiplier
            non_hukou = self.resident[name] - self.hukou_by[name]
            lower_text = (
                f"max(0, urban residents {urban_resident[name]:,} - non_hukou {non_hukou:,})"
            )
            upper_text = "min(hukou, urban residents)"
            if name in clipped:
                which = clipped[name]
                reason = (
                    "the non-registered can fill the rest of the urban residents"
                    if which == "lower"
                    else "urban registered cannot exceed urban residents"
                )
                applied, other = (
                    (f"{lower_text} = {low:,}", f"upper {upper_text} = {high:,}")
                    if which == "lower"
                    else (f"{upper_text} = {high:,}", f"lower {lower_text} = {low:,}")
                )
                rule = self.hukou_by[name] * (1 - rule_share)
                how = (
                    f"{which} bound applied: {applied}, so that {reason}; the rule hukou x "
                    f"(1 - rural share), rural share = (1 - urban_resident_share) x m = "
                    f"{rule_share:.4f}, m = {multiplier:.4f}, would give {rule:,.0f}; {other}; "
                    f"resulting rural share of hukou {1 - urban[name] / self.hukou_by[name]:.4f}"
                )
            else:
                how = (
                    f"hukou x (1 - rural share), rural share = (1 - urban_resident_share) x m = "
                    f"{rule_share:.4f}, m = {multiplier:.4f}; no bound applied: within "
                    f"[{low:,}, {high:,}], lower = {lower_text}, upper = {upper_text}"
                )
            note = (
                f"{how}; urban residents = round(urban_resident_share x resident); assumes hukou "
                "rural share proportional to residents' rural share, m solved over the districts "
                f"without a bound applied; largest remainder within the bounds to city {target:,}"
            )
            self.put(name, "urban_hukou_population", str(urban[name]), "derived", note)
        fixed = ", ".join(f"{n} ({clipped[n]})" for n in NAMES if n in clipped) or "none"
        self.summary.append(f"rural multiplier m = {multiplier:.4f}; bound applied: {fixed}")
        model_urban = sum(
            urban[n] + min(self.resident[n] - self.hukou_by[n], urban_resident[n] - urban[n])
            for n in NAMES
        )
        self.summary.append(
            f"urban residents reachable with these urban hukou: {model_urban:,} "
            f"({100 * model_urban / self.resident_total:.2f} % of residents)"
        )

    def land(self) -> None:
        """Land areas, checked against the city total."""
        for name in NAMES:
            row = fact(self.facts, name, "land_area", LAND_AREA_YEAR)
            self.area[name] = number(row)
            note = f"{LAND_AREA_YEAR} area ({row['source']}); boundaries unchanged since 2014"
            self.put(name, "land_area_km2", f"{self.area[name]:.2f}", "sourced", note)
        total, row = self.city("land_area", LAND_AREA_YEAR)
        if abs(sum(self.area.values()) - total) > 0.005:
            raise SystemExit(f"district areas sum to {sum(self.area.values()):.2f}, not {total}")
        self.notes[("ALL", "land_area_km2")] = ("sourced", f"{total:.2f} km2; {row['source']}")

    def construction(self) -> None:
        """Assumed urban construction land: per-capita figure, capped by developable land."""
        self.summary.append("urban construction land per urban resident (m2):")
        for name in NAMES:
            land, term = construction_land(
                self.resident[name], self.share[name], self.area[name], name
            )
            text = f"{land:.1f}"
            per_head = float(text) * M2_PER_HA / (self.resident[name] * self.share[name])
            per_capita = PER_CAPITA_LAND_M2[name]
            note = (
                f"district figure not found; min({per_capita:.0f} m2 x urban residents, "
                f"{DEVELOPABLE_SHARE} x land area): {term} term applied, "
                f"{per_head:.1f} m2 per urban resident"
            )
            self.put(name, "urban_construction_land_ha", text, "assumed", note)
            self.summary.append(f"  {name:<10} {per_head:6.1f}  ({term})")


def cited(row: Fact) -> str:
    """A provenance note for a city fact: value, unit, source and confidence."""
    return (
        f"{float(row['value']):,.0f} {row['unit']}; {row['source']}; confidence {row['confidence']}"
    )


def render(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    """CSV text with LF line ends, so the output is byte-for-byte reproducible."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def table_text(build: Build) -> str:
    rows = []
    for name, name_zh, adcode in DISTRICTS:
        rows.append(
            {"district": name, "name_zh": name_zh, "adcode": str(adcode), **build.rows[name]}
        )
    return render(TABLE_COLUMNS, rows)


def provenance_text(build: Build) -> str:
    keys = [(n, f) for n in NAMES for f in NUMERIC_FIELDS]
    keys += [key for key in build.notes if key[0] == "ALL"]
    rows = [
        dict(zip(PROVENANCE_COLUMNS, (name, field, *build.notes[(name, field)]), strict=True))
        for name, field in keys
    ]
    return render(PROVENANCE_COLUMNS, rows)


def table_path(year: int) -> Path:
    return HERE / f"districts_{year}.csv"


def provenance_path(year: int) -> Path:
    return HERE / f"districts_{year}_provenance.csv"


def outputs(year: int = DEFAULT_YEAR) -> tuple[dict[Path, str], Build]:
    build = Build(load_facts(FACTS_CSV), year)
    build.run()
    files = {table_path(year): table_text(build), provenance_path(year): provenance_text(build)}
    return files, build


def stale(files: dict[Path, str]) -> list[Path]:
    """The output files whose committed text differs from what the build would write."""
    return [
        path
        for path, text in files.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--year",
        type=int,
        default=DEFAULT_YEAR,
        help=f"base year, year-end (default {DEFAULT_YEAR}); its facts must be in the sources",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the written files are out of date"
    )
    args = parser.parse_args(argv)
    files, build = outputs(args.year)
    if args.check:
        out_of_date = stale(files)
        for path in out_of_date:
            print(
                f"{path.name} differs from the build; rerun {Path(__file__).name}", file=sys.stderr
            )
        return 1 if out_of_date else 0
    for path, text in files.items():
        path.write_text(text, encoding="utf-8", newline="")
    print("\n".join(build.summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

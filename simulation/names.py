"""The named concepts of the model, each listed once: channels, land sources and uses, limits.

The model, the published variables and the views all import these lists; nothing else spells
them out.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Literal, get_args

ChannelName = Literal["talent", "points", "policy", "special"]
#: Settlement channels of plan §3 and §5, in the plan's order of importance.
CHANNELS: tuple[ChannelName, ...] = get_args(ChannelName)
#: Channels admitting within a quota (policy-based settlement is demand-driven).
QUOTA_CHANNELS: tuple[ChannelName, ...] = ("talent", "points", "special")
#: Quota channels that admit first come, first served, and so keep each applicant's place in
#: their own queue (points and special groups rank by insurance tenure or points instead).
QUEUED_CHANNELS: tuple[ChannelName, ...] = ("talent",)
CHANNEL_LABELS: dict[ChannelName, str] = {
    "talent": "talent introduction",
    "points": "points-based",
    "policy": "policy-based",
    "special": "special groups",
}

LandSource = Literal["plan_quota", "rural_exit", "renewal"]
#: Where linked land comes from (plan §7): the annual new-land plan quota, rural construction
#: land freed under 城乡建设用地增减挂钩, and urban renewal of existing land.
LAND_SOURCES: tuple[LandSource, ...] = get_args(LandSource)
LAND_SOURCE_LABELS: dict[LandSource, str] = {
    "plan_quota": "plan quota",
    "rural_exit": "rural exit",
    "renewal": "renewal",
}
#: Sources that add to the urban construction land stock; renewal reuses existing land.
NEW_LAND_SOURCES: tuple[LandSource, ...] = ("plan_quota", "rural_exit")

LandUse = Literal["housing", "services", "industry"]
#: Uses of linked land in the national order of priority (国土资发〔2016〕123号).
LAND_USES: tuple[LandUse, ...] = get_args(LandUse)


class Limit(IntEnum):
    """Which limit stopped a district from receiving land for its settlers in a year: its full
    entitlement of linked land or, in a central district, the renewal land its settlers need."""

    NONE = 0
    SUPPLY = 1  # the annual plan quota, rural exit and renewal land were used up
    CEILING = 2  # the planned construction-land ceiling stopped new land
    CENTRAL = 3  # a central district: no new land for settlement (国土资发〔2016〕123号)
    # A central district whose settlers needed more renewal land than renewal supplied (plan §7
    # 城市更新): no new land for them, and existing land not enough to house them either.
    RENEWAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()


#: The name of the city-total rows of the results table.
CITY = "ALL"

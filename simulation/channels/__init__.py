"""The settlement channels of plan §3 and §5, one module each."""

from __future__ import annotations

from simulation.channels.base import Channel, admit_in_order, open_to_apply
from simulation.channels.points import Points
from simulation.channels.policy import Policy
from simulation.channels.special import Special
from simulation.channels.talent import Talent
from simulation.config import Channels
from simulation.names import CHANNELS, ChannelName

__all__ = [
    "Channel",
    "Points",
    "Policy",
    "Special",
    "Talent",
    "admit_in_order",
    "build",
    "open_to_apply",
]


KINDS: dict[ChannelName, type[Channel]] = {
    "talent": Talent,
    "points": Points,
    "policy": Policy,
    "special": Special,
}


def build(params: Channels) -> list[Channel]:
    """The enabled channels, in the plan's order of importance."""
    return [
        KINDS[name](getattr(params, name))  # type: ignore[call-arg]
        for name in CHANNELS
        if getattr(params, name).enabled
    ]

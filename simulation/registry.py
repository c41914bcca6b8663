"""The registered (hukou) population by district: settlers joining it and its natural change."""

from __future__ import annotations

import numpy as np

from simulation.config import DistrictTable
from simulation.population import Registration


class Registry:
    """Registered persons per district, all and with an urban registration."""

    def __init__(self, table: DistrictTable) -> None:
        self.hukou = np.array([d.hukou_population for d in table.districts], dtype=float)
        self.urban_hukou = np.array(
            [d.urban_hukou_population for d in table.districts], dtype=float
        )

    def register(self, registration: Registration) -> None:
        self.hukou += registration.persons
        self.urban_hukou += registration.urban

    def natural_change(self, rate: float) -> np.ndarray:
        """Births less deaths of the registered population this year; returns them per district.

        Urban registrations change in proportion to their share of each district.
        """
        natural = np.rint(self.hukou * rate)
        share = np.divide(
            self.urban_hukou, self.hukou, out=np.zeros_like(self.hukou), where=self.hukou > 0
        )
        self.hukou += natural
        self.urban_hukou += np.rint(natural * share)
        return natural

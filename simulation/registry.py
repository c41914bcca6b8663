"""The registered (hukou) population by district of registration and of residence.

Registered persons are kept as (registration district x residence district) matrices: most
live where they are registered, but talent settlers registered at an employer's collective
address may live elsewhere (人户分离). Registration sets the registered population and the hukou
urbanization rate of a district; residence sets its resident population. The yearly account
(`simulation.accounts`) checks the registered stock against flows counted apart from the
registry: settlement from the heads' own records, natural change and hukou moved out from the
rates and the published stock, university moves from the students' cohorts.
"""

from __future__ import annotations

import numpy as np

from simulation.config import DistrictTable
from simulation.numeric import rounded_split
from simulation.population import Registration


class Registry:
    """Registered persons per (registration, residence) district pair; all of them, those
    registered at an urban address, and those living in an urban area."""

    def __init__(self, table: DistrictTable) -> None:
        hukou = np.array([d.hukou_population for d in table.districts], dtype=float)
        urban = np.array([d.urban_hukou_population for d in table.districts], dtype=float)
        self.n = len(hukou)
        # In the base year registered persons live at their registration address, so an urban
        # registration is an urban residence. The persons and their two urban parts are kept
        # as one stack, read by name, so that the year end splits both parts at once.
        self.cells = np.zeros((3, self.n, self.n))
        self.cells[0] = np.diag(hukou)
        self.cells[1:] = np.diag(urban)

    @property
    def persons(self) -> np.ndarray:
        return self.cells[0]

    @property
    def urban_address(self) -> np.ndarray:
        """Of `persons`, those registered at an urban address."""
        return self.cells[1]

    @property
    def urban_living(self) -> np.ndarray:
        """Of `persons`, those living in an urban area."""
        return self.cells[2]

    def _add(
        self, persons: np.ndarray, urban_address: np.ndarray, urban_living: np.ndarray
    ) -> None:
        self.cells[0] += persons
        self.cells[1] += urban_address
        self.cells[2] += urban_living

    # --- flows ----------------------------------------------------------------------------------

    def register(self, registration: Registration) -> None:
        """Settlers join where they register, living where they live."""
        self._add(registration.persons, registration.urban_address, registration.urban_living)

    def year_end(self, natural_rate: float, out_rate: float) -> tuple[np.ndarray, np.ndarray]:
        """Births less deaths, and registered residents moving their hukou out of the city (and
        leaving it), both in proportion to the registered population before either: returns
        the natural change and the persons moved out, per district."""
        base = self.hukou
        natural = self._change(np.rint(base * natural_rate))
        moved_out = -self._change(-np.rint(base * out_rate))
        return natural, moved_out

    def _change(self, change: np.ndarray) -> np.ndarray:
        """Add `change` persons to each district of registration, spread over its cells in
        proportion to the persons they hold; each cell's part is then split by the cell's own
        urban shares, so that no urban part ever exceeds the persons of its cell."""
        cells = np.sign(change)[:, None] * rounded_split(np.abs(change), self.persons)
        self._add(cells, *self._urban_parts(cells))
        return change

    def _urban_parts(self, cells: np.ndarray) -> np.ndarray:
        """Of each cell's change, the urban persons at an urban address and living in urban
        areas: the cell's urban shares of it, rounded.

        A cell losing c of its p persons, u of them urban, loses rint(c u / p) urban persons:
        at most u (as c <= p) and at least c - (p - u) (the rounding moves less than one
        person), so both the urban and the other persons stay between zero and the cell's.
        """
        persons, urban = self.cells[0], self.cells[1:]
        share = np.divide(urban, persons, out=np.zeros(urban.shape), where=persons > 0)
        return np.rint(cells * share)

    def students(self, persons: np.ndarray) -> None:
        """Students registering at (or leaving) their university's collective address: urban,
        living where they study. `persons` is signed, per district."""
        cells = np.diag(persons)
        self._add(cells, cells, cells)

    # --- stocks ---------------------------------------------------------------------------------

    @property
    def hukou(self) -> np.ndarray:
        """Registered persons by district of registration."""
        return self.persons.sum(axis=1)

    @property
    def urban_hukou(self) -> np.ndarray:
        """Registered at an urban address, by district of registration."""
        return self.urban_address.sum(axis=1)

    @property
    def residents(self) -> np.ndarray:
        """Registered persons by district of residence."""
        return self.persons.sum(axis=0)

    @property
    def urban_residents(self) -> np.ndarray:
        """Registered persons living in urban areas, by district of residence."""
        return self.urban_living.sum(axis=0)

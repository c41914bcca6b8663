"""The registered population by (registration, residence) cell and its urban parts."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulation.config import District, DistrictTable
from simulation.population import Registration
from simulation.registry import Registry


def registry(hukou: list[int], urban: list[int]) -> Registry:
    """A city whose districts hold `hukou` registered persons, `urban` of them urban."""
    rows = tuple(
        District(f"D{i}", 2 * h, h, u, 1.0, 10.0, 100.0)
        for i, (h, u) in enumerate(zip(hukou, urban, strict=True))
    )
    return Registry(DistrictTable(rows, "test"))


def settle(book: Registry, persons: np.ndarray, address: np.ndarray, living: np.ndarray) -> None:
    main = persons.sum(axis=1)
    book.register(Registration(main, persons.astype(float), address, living))


def test_a_fully_urban_cell_that_loses_a_person_loses_an_urban_person():
    """A: 3 registered, all urban, living in A, and 3 settlers registered in A who live in B,
    neither urban nor at an urban address. A 10 % fall of A's 6 is 0.6, one person; the two
    cells tie for it and the first takes it (ties by column order). It is an urban person: the
    district's urban share (a half) of one person would round to none, and leave 3 urban
    persons in a cell of 2."""
    book = registry([3, 0], [3, 0])
    zero = np.zeros((2, 2))
    settle(book, np.array([[0.0, 3.0], [0.0, 0.0]]), zero, zero)
    natural, _ = book.year_end(-0.1, 0.0)
    assert natural.tolist() == [-1.0, 0.0]
    assert book.persons.tolist() == [[2.0, 3.0], [0.0, 0.0]]
    assert book.urban_address.tolist() == [[2.0, 0.0], [0.0, 0.0]]
    assert book.urban_living.tolist() == [[2.0, 0.0], [0.0, 0.0]]


def cells(n: int) -> st.SearchStrategy[np.ndarray]:
    return arrays(np.int64, (n, n), elements=st.integers(0, 500))


@st.composite
def cities(draw: st.DrawFn) -> dict[str, object]:
    """2-4 districts with settlers in any cells, urban parts any share of them, and a few
    years of natural change (negative too) and hukou moved out."""
    n = draw(st.integers(2, 4))
    hukou = draw(st.lists(st.integers(0, 5000), min_size=n, max_size=n))
    persons = draw(cells(n))
    rates = st.tuples(st.floats(-0.1, 0.1), st.floats(0.0, 0.5))
    return {
        "hukou": hukou,
        "urban": [draw(st.integers(0, h)) for h in hukou],
        "settlers": persons,
        "address": np.minimum(draw(cells(n)), persons),
        "living": np.minimum(draw(cells(n)), persons),
        "years": draw(st.lists(rates, min_size=1, max_size=5)),
    }


@given(cities())
def test_urban_parts_never_exceed_the_persons_of_their_cell(city):
    book = registry(city["hukou"], city["urban"])
    settle(book, city["settlers"], city["address"] * 1.0, city["living"] * 1.0)
    for natural_rate, out_rate in city["years"]:
        before = book.hukou.copy()
        natural, moved_out = book.year_end(natural_rate, out_rate)
        np.testing.assert_array_equal(book.hukou, before + natural - moved_out)
        assert np.all(book.persons >= 0)
        for urban in (book.urban_address, book.urban_living):
            assert np.all(urban >= 0)
            assert np.all(urban <= book.persons)


def test_a_copied_registry_changes_as_the_original_does():
    import copy
    import pickle

    book = registry([300, 200], [300, 50])
    settle(book, np.array([[0.0, 30.0], [10.0, 0.0]]), np.diag([0.0, 10.0]), np.zeros((2, 2)))
    copies = [copy.deepcopy(book), pickle.loads(pickle.dumps(book))]
    book.year_end(0.05, 0.02)
    for other in copies:
        other.year_end(0.05, 0.02)
        assert other.persons.tolist() == book.persons.tolist()
        assert other.urban_hukou.tolist() == book.urban_hukou.tolist()
        assert other.urban_residents.tolist() == book.urban_residents.tolist()

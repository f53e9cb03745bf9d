"""The solver's phases on random systems, against scipy's general sparse solve (a second method).

bw2calc comparisons are in test_peer_bw2calc.py; these cover shapes the
generator does not make: a large acyclic system (one triangular phase in a
permuted order), many random loops at several depths, and the promise that a
triangle is factorised without fill.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from pcf_dsl.compute import DENSE, NATURAL_LOOP_LIMIT, SINGLE_BLOCK, Factorisation


def _system(n: int, seed: int, loop_share: float) -> sp.csr_matrix:
    """Product amounts 1 on the diagonal; each activity takes 0-0.3 of up to 3 products.

    Suppliers come later in a random order (a DAG), except a share of inputs that
    go back to earlier activities and close loops; column sums stay below 1, so
    the system can always be scaled.
    """
    rng = np.random.default_rng(seed)
    rank = rng.permutation(n)
    rows, cols, vals = list(range(n)), list(range(n)), [1.0] * n
    for j in range(n):
        for i in rng.integers(0, n, 3):
            if i != j and (rank[i] > rank[j] or rng.random() < loop_share):
                rows.append(int(i))
                cols.append(j)
                vals.append(-rng.uniform(0.0, 0.3))
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


# Systems for every way the factorisation works, with the phases it makes of each (None: several).
SYSTEMS = [
    (SINGLE_BLOCK + 2000, 1, 0.0, 1),  # acyclic: one triangle, in topological order
    (SINGLE_BLOCK + 2000, 2, 0.002, None),  # loops here and there
    (SINGLE_BLOCK + 500, 3, 0.02, None),  # many loops, merged into larger components
    (800, 4, 0.01, 1),  # small: one LU of the whole matrix, consumers first
    (800, 4, 0.05, 1),  # small with loops: one LU, consumers first
    (SINGLE_BLOCK, 7, 0.2, 1),  # small with a loop of over 1,000 activities: one LU in COLAMD's order
    (DENSE, 6, 0.05, 0),  # tiny: numpy's dense inverse, no sparse phase at all
]


@pytest.mark.parametrize("transposed", [False, True], ids=["forward", "transposed"])
@pytest.mark.parametrize(("n", "seed", "loop_share", "phases"), SYSTEMS)
def test_solves_equal_a_general_sparse_solve(n, seed, loop_share, phases, transposed):
    """solve (scalings for demands) against scipy's solve of A; solve_transposed (all products'
    footprints in one solve) against scipy's solve of A-transpose; many right-hand sides and one."""
    matrix = _system(n, seed, loop_share)
    factorisation = Factorisation(matrix)
    if phases is not None:
        assert len(factorisation.phases) == phases
    rhs = np.random.default_rng(seed + 100 * transposed).uniform(size=(n, 4))
    solve = factorisation.solve_transposed if transposed else factorisation.solve
    expected = spla.spsolve((matrix.T if transposed else matrix).tocsc(), rhs)
    np.testing.assert_allclose(solve(rhs), expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
    np.testing.assert_allclose(solve(rhs[:, 1]), expected[:, 1], rtol=1e-9, atol=1e-12 * np.abs(expected).max())
    # The right-hand side given is not changed (the phases work on a copy).
    assert np.array_equal(rhs, np.random.default_rng(seed + 100 * transposed).uniform(size=(n, 4)))


def test_a_triangle_is_factorised_without_fill():
    matrix = _system(SINGLE_BLOCK + 2000, 5, 0.0)
    factorisation = Factorisation(matrix)
    ((_, _, _, lu),) = factorisation.phases
    # L is the unit diagonal and U the triangle itself: nothing beyond the matrix's own entries.
    assert lu.L.nnz == matrix.shape[0]
    assert lu.U.nnz == matrix.nnz


@pytest.mark.parametrize("n", [3, DENSE + 1])
def test_a_singular_system_is_refused_on_both_sides_of_the_dense_limit(n):
    """Activity 1 supplies activity 0 exactly what it makes of its own product, and the reverse."""
    rows, cols, vals = list(range(n)), list(range(n)), [1.0] * n
    rows += [0, 1]
    cols += [1, 0]
    vals += [-1.0, -1.0]
    with pytest.raises(RuntimeError):
        Factorisation(sp.csr_matrix((vals, (rows, cols)), shape=(n, n)))


@pytest.mark.parametrize(("seed", "loop_share", "ordered"), [(4, 0.05, True), (7, 0.2, False)])
def test_one_block_takes_the_consumers_first_order_only_when_its_loops_are_small(seed, loop_share, ordered):
    """Consumers first, A is block triangular and an LU pivoting within the loops fills in only inside
    them: at most the square of each loop's size, here far less than COLAMD's order gives. A system
    with a loop above NATURAL_LOOP_LIMIT keeps COLAMD's order (its own order, no permutation)."""
    import scipy.sparse.csgraph as csgraph

    n = 800 if ordered else SINGLE_BLOCK
    matrix = _system(n, seed, loop_share)
    _, label = csgraph.connected_components(matrix.T, directed=True, connection="strong")
    sizes = np.bincount(label)
    assert (sizes.max() <= NATURAL_LOOP_LIMIT) == ordered and sizes.max() > 1
    factorisation = Factorisation(matrix)
    ((_, _, _, lu),) = factorisation.phases
    assert (factorisation.order is not None) == ordered
    if ordered:
        colamd = spla.splu(sp.csc_matrix(matrix.T))
        fill = lu.L.nnz + lu.U.nnz - matrix.nnz - n
        assert fill <= int((sizes[sizes > 1] ** 2).sum())
        assert lu.L.nnz + lu.U.nnz < colamd.L.nnz + colamd.U.nnz


def test_one_block_orders_by_scipys_component_numbers_and_checks_them(monkeypatch):
    """scipy numbers strongly connected components as Tarjan's algorithm finishes them, suppliers
    before consumers, so one block needs no topological pass of its own (_phases). scipy does not
    promise that numbering: with components numbered any other way, the order comes from _phases,
    and the block is still consumers first (fill only inside the loops) and the scalings the same."""
    import importlib

    import scipy.sparse.csgraph as csgraph

    compute = importlib.import_module("pcf_dsl.compute")  # the module (the package exports a function of its name)
    matrix = _system(800, 4, 0.05)
    demands = np.random.default_rng(4).uniform(size=(800, 2))
    expected = spla.spsolve(matrix.tocsc(), demands)
    sizes = np.bincount(csgraph.connected_components(matrix.T, directed=True, connection="strong")[1])
    bound = int((sizes[sizes > 1] ** 2).sum())

    def no_pass(*args):
        raise AssertionError("_phases ran for one block")

    with monkeypatch.context() as patch:  # scipy's own numbering: no pass in Python
        patch.setattr(compute, "_phases", no_pass)
        numbered = Factorisation(matrix)
    real = csgraph.connected_components

    def shuffled(*args, **kwargs):  # the same components, numbered at random
        count, label = real(*args, **kwargs)
        return count, np.random.default_rng(0).permutation(count)[label]

    monkeypatch.setattr(csgraph, "connected_components", shuffled)
    kahn = Factorisation(matrix)
    assert not np.array_equal(kahn.order, numbered.order)
    for factorisation in (numbered, kahn):
        ((_, _, _, lu),) = factorisation.phases
        assert lu.L.nnz + lu.U.nnz - matrix.nnz - 800 <= bound
        np.testing.assert_allclose(factorisation.solve(demands), expected, rtol=1e-9,
                                   atol=1e-12 * np.abs(expected).max())

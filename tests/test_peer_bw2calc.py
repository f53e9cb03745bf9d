"""pcf_dsl against Brightway's bw2calc on random product systems with loops.

benchmarks/generate.py writes a system in our language and, separately and
without pcf_dsl, the same system as matrices (its own unit conversions and AR6
GWP values). pcf_dsl reads the text (parse, build, units, allocation, solve,
contributions); bw2calc solves the generator's matrices. The total, every
process's contribution and the scaling of every activity must agree to 1e-9
relative; so must the scalings for many demands from one factorisation
(`solve_many`) against bw2calc's `lci` for each demand. Every comparison runs
through both ways the solver works (one LU; phases with the loops apart), and
two systems above the one-LU size are compared straight from the matrices.
"""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

import pcf_dsl
from pcf_dsl.compute import Factorisation, System, build_system, factorise, solve, solve_many
from pcf_dsl.diagnostics import PcfError

from conftest import benchmark_module

# bw2calc is in the test extra: a missing install fails here, loudly, rather than skipping.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # "install pypardiso for faster calculations"
    import bw2calc  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
compute_module = importlib.import_module("pcf_dsl.compute")  # `pcf_dsl.compute` the attribute is the function
RTOL = 1e-9


generate = benchmark_module("generate")
peer = benchmark_module("peer")


def _arrays(gen):
    index = {k: i for i, k in enumerate(gen.keys)}
    gases = list(generate.GWP_AR6)
    tech = (np.array([index[r] for r, _, _ in gen.tech]), np.array([index[c] for _, c, _ in gen.tech]),
            np.array([v for _, _, v in gen.tech]))
    bio = (np.array([gases.index(g) for g, _, _ in gen.bio]), np.array([index[c] for _, c, _ in gen.bio]),
           np.array([v for _, _, v in gen.bio]))
    gwp = np.array([generate.GWP_AR6[g] for g in gases])
    return index, tech, bio, gwp


def _close(actual: float, expected: float, scale: float) -> bool:
    """Equal to RTOL relative to the value itself.

    Plus 1e-12 of the largest value (`scale`): where the exact value is 0, an LU
    solve leaves round-off of about n x eps x the condition of the system (bw2calc
    gave -2e-16 and, on a 200-process seed, -3.8e-13 with scale 37, where pcf_dsl,
    solving the triangle by substitution, gives exactly 0). Relative agreement to
    RTOL is still required of every value that is not round-off.
    """
    return abs(actual - expected) <= RTOL * abs(expected) + 1e-12 * abs(scale)


CASES = [(20, 1), (20, 2), (60, 3), (60, 4), (200, 5), (200, 6), (200, 7)]


@pytest.fixture(params=["dense", "one block", "one block, COLAMD", "phases"])
def solver_path(request, monkeypatch):
    """Every way the solver works: numpy's dense inverse for tiny systems, one LU for small
    ones (consumers first, or in COLAMD's order when a loop is large), phases (loops apart)
    for large ones; each forced here on every case."""
    monkeypatch.setattr(compute_module, "DENSE", 10**6 if request.param == "dense" else 0)
    if request.param == "one block, COLAMD":
        monkeypatch.setattr(compute_module, "NATURAL_LOOP_LIMIT", 1)
    if request.param == "phases":
        monkeypatch.setattr(compute_module, "SINGLE_BLOCK", 0)
    return request.param


@pytest.mark.parametrize(("size", "seed"), CASES)
def test_totals_and_contributions_agree_with_bw2calc(tmp_path, size, seed, solver_path):
    gen = generate.generate(size, seed)
    index, tech, bio, gwp = _arrays(gen)
    n = len(gen.keys)

    # The system really has loops, so the comparison covers them.
    matrix = sp.csr_matrix((tech[2], (tech[0], tech[1])), shape=(n, n))
    graph = (matrix - sp.diags(matrix.diagonal())).tocsr()
    graph.eliminate_zeros()
    _, labels = connected_components(graph, directed=True, connection="strong")
    assert np.bincount(labels).max() > 1, "the generated system has no loop"

    model = pcf_dsl.load(gen.write(tmp_path))
    result = pcf_dsl.compute(model)

    calc = peer.lca(n, tech, bio, gwp, {index[k]: v for k, v in gen.demand.items()})
    total = float(calc.score)
    assert total > 0
    assert _close(result.total.value, total, total), (result.total.value, total)

    per_column = peer.contributions(calc, n)
    assert len(gen.processes) == size == len(result.by_process)
    for process, keys in gen.processes.items():
        expected = sum(per_column[index[k]] for k in keys)
        assert _close(result.by_process[process].value, expected, total), (process, result.by_process[process].value, expected)

    supply = peer.supply(calc, n)
    for key, i in index.items():
        assert _close(result.scaling[key], supply[i], max(abs(supply).max(), 1.0)), (key, result.scaling[key], supply[i])


@pytest.mark.parametrize(("size", "seed"), [(60, 11), (200, 12)])
def test_many_demands_from_one_factorisation_agree_with_bw2calc(tmp_path, size, seed, solver_path):
    gen = generate.generate(size, seed)
    index, tech, bio, gwp = _arrays(gen)
    n = len(gen.keys)
    model = pcf_dsl.load(gen.write(tmp_path))
    system = build_system(model)
    rng = np.random.default_rng(seed)
    chosen = [gen.keys[i] for i in rng.choice(n, size=6, replace=False)]
    demands = [{key: float(rng.uniform(0.5, 3.0))} for key in chosen]
    demands.append({chosen[0]: 1.0, chosen[1]: 2.0})  # a demand of two products at once

    factorisation = factorise(system)
    scalings = solve_many(system, demands, factorisation)
    assert scalings.shape == (n, len(demands))

    calc = peer.lca(n, tech, bio, gwp, {index[chosen[0]]: 1.0})
    for j, demand in enumerate(demands):
        calc.lci(demand={index[k] + 1: v for k, v in demand.items()})
        expected = peer.supply(calc, n)
        scale = max(abs(expected).max(), 1.0)
        for key, i in index.items():
            assert _close(scalings[system.index[key], j], expected[i], scale), (j, key)


@pytest.mark.parametrize(("size", "seed"), [(5000, 21), (12000, 22)])
def test_large_systems_agree_with_bw2calc(size, seed):
    """Systems above the single-block size, solved in phases, straight from the generator's matrices."""
    gen = generate.generate(size, seed)
    index, tech, bio, gwp = _arrays(gen)
    n = len(gen.keys)
    matrix = sp.csr_matrix((tech[2], (tech[0], tech[1])), shape=(n, n))
    factorisation = Factorisation(matrix)
    assert n > compute_module.SINGLE_BLOCK and len(factorisation.phases) > 3 and factorisation.loops > 10
    demand = np.zeros(n)
    for key, value in gen.demand.items():
        demand[index[key]] = value
    scaling = factorisation.solve(demand)

    calc = peer.lca(n, tech, bio, gwp, {index[k]: v for k, v in gen.demand.items()})
    supply = peer.supply(calc, n)
    scale = np.abs(supply).max()
    assert all(_close(scaling[i], supply[i], scale) for i in range(n))
    # Contributions: kg CO2e of each column, from the generator's biosphere by hand.
    per_column = np.zeros(n)
    np.add.at(per_column, bio[1], bio[2] * gwp[bio[0]])
    ours = per_column * scaling
    theirs = peer.contributions(calc, n)
    total = float(calc.score)
    assert _close(ours.sum(), total, total)
    assert all(_close(ours[i], theirs[i], total) for i in range(n))


def test_factorisation_solves_a_hand_made_loop_and_triangle():
    """A recycling loop of three processes and an assembly outside it; values by hand.

    Rows/columns: 0 sheet (rolling: 1.1 t ingot per t), 1 ingot (melting: 0.2 t scrap
    per t), 2 scrap (scrap preparation: 0.05 t of sheet offcuts per t), 3 assembly
    (2 t of sheet per unit).
    """
    a = np.array([[1.0, 0.0, -0.05, -2.0],
                  [-1.1, 1.0, 0.0, 0.0],
                  [0.0, -0.2, 1.0, 0.0],
                  [0.0, 0.0, 0.0, 1.0]])
    # 1 t sheet: s1 = 1.1 s0, s2 = 0.2 s1 = 0.22 s0, s0 = 1 + 0.05 s2 -> s0 = 1 / (1 - 0.011)
    s0 = 1 / (1 - 0.011)
    sheet = np.array([s0, 1.1 * s0, 0.22 * s0, 0.0])
    # 1 t ingot: s0 = 0.05 s2, s2 = 0.2 s1, s1 = 1 + 1.1 s0 = 1 + 0.011 s1
    s1 = 1 / (1 - 0.011)
    ingot = np.array([0.01 * s1, s1, 0.2 * s1, 0.0])
    # 1 assembly: 2 t of sheet
    assembly = 2 * sheet + np.array([0.0, 0.0, 0.0, 1.0])

    factorisation = Factorisation(sp.csr_matrix(a))
    assert (factorisation.loops, factorisation.in_loops) == (1, 3)
    np.testing.assert_allclose(factorisation.solve(np.array([1.0, 0.0, 0.0, 0.0])), sheet, rtol=1e-14)
    many = factorisation.solve(np.eye(4)[:, [0, 1, 3]])
    np.testing.assert_allclose(many[:, 0], sheet, rtol=1e-14)
    np.testing.assert_allclose(many[:, 1], ingot, rtol=1e-14)
    np.testing.assert_allclose(many[:, 2], assembly, rtol=1e-14)


def test_singular_loop_is_a_clear_error(solver_path):
    """A loop that returns as much as it takes cannot be scaled: E520, not a wrong number."""
    # A = [[1, -1], [-1, 1]] as (rows, columns, values); the second entry of (0, 1) adds up with the first.
    entries = (np.array([0, 0, 0, 1, 1]), np.array([0, 1, 1, 0, 1]), np.array([1.0, -0.5, -0.5, -1.0, 1.0]))
    system = System(["a.x", "b.y"], {"a.x": 0, "b.y": 1}, entries, {}, [])
    np.testing.assert_array_equal(system.dense(), [[1.0, -1.0], [-1.0, 1.0]])
    np.testing.assert_array_equal(system.matrix.toarray(), system.dense())
    with pytest.raises(PcfError) as err:
        solve(system, {"a.x": 1.0})
    assert err.value.diagnostics[0].code == "E520"

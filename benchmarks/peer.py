"""Brightway's bw2calc as the peer engine: the same technosphere and biosphere matrices, its own solve.

Used by benchmarks/run.py (timings) and tests/test_peer_bw2calc.py (agreement).
The matrices go to bw2calc the Brightway 2.5 way, as an in-memory
bw_processing datapackage: no bw2data project, no database on disk.
Activity and product ids are the column index + 1 (rows and columns share one
id space, as in a Brightway database); gases have ids after them.
"""

from __future__ import annotations

import warnings

import numpy as np


def solver_name() -> str:
    """Which sparse solver bw2calc uses on this machine."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bw2calc warns when pypardiso is missing; we report it instead
        import bw2calc

    if getattr(bw2calc, "PYPARDISO", False):
        return "pypardiso (MKL PARDISO)"
    if getattr(bw2calc, "UMFPACK", False):
        return "UMFPACK"
    return "SuperLU (scipy)"


def lca(n: int, tech: tuple[np.ndarray, np.ndarray, np.ndarray], bio: tuple[np.ndarray, np.ndarray, np.ndarray],
        gwp: np.ndarray, demand: dict[int, float]):
    """A computed bw2calc LCA (lci and lcia done); the arguments are those of :func:`lca_object`."""
    calc = lca_object(n, tech, bio, gwp, demand)
    calc.lci()
    calc.lcia()
    return calc


def lca_object(n: int, tech: tuple[np.ndarray, np.ndarray, np.ndarray], bio: tuple[np.ndarray, np.ndarray, np.ndarray],
               gwp: np.ndarray, demand: dict[int, float]):
    """A bw2calc LCA over the matrices, nothing computed yet.

    tech: (row, column, value) of A, column indices from 0; duplicates add up.
    bio: (gas index, column, kg of gas per unit of the column's activity).
    gwp: the characterisation factor of each gas index (kg CO2e per kg).
    demand: column index -> amount.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import bw2calc
        import bw_processing as bwp

    dp = bwp.create_datapackage()
    rows, cols, vals = tech
    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        indices_array=_indices(rows + 1, cols + 1, bwp),
        data_array=np.asarray(vals, dtype=float),
        flip_array=np.zeros(len(vals), dtype=bool),
    )
    gas, cols, vals = bio
    dp.add_persistent_vector(
        matrix="biosphere_matrix",
        indices_array=_indices(gas + n + 1, cols + 1, bwp),
        data_array=np.asarray(vals, dtype=float),
    )
    gas_ids = np.arange(len(gwp)) + n + 1
    dp.add_persistent_vector(
        matrix="characterization_matrix",
        indices_array=_indices(gas_ids, gas_ids, bwp),
        data_array=np.asarray(gwp, dtype=float),
    )
    return bw2calc.LCA({int(c) + 1: float(a) for c, a in demand.items()}, data_objs=[dp])


def contributions(calc, n: int) -> np.ndarray:
    """kg CO2e of each column (activity), in column order."""
    per_activity = np.asarray(calc.characterized_inventory.sum(axis=0)).ravel()
    out = np.zeros(n)
    for activity_id, matrix_index in calc.dicts.activity.items():
        out[activity_id - 1] = per_activity[matrix_index]
    return out


def supply(calc, n: int) -> np.ndarray:
    """The scaling of each column (activity), in column order."""
    out = np.zeros(n)
    for activity_id, matrix_index in calc.dicts.activity.items():
        out[activity_id - 1] = calc.supply_array[matrix_index]
    return out


def _indices(rows, cols, bwp) -> np.ndarray:
    out = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
    out["row"] = rows
    out["col"] = cols
    return out

"""Computing the footprint: scale the product system to the declared unit and add up burdens.

The technosphere is the matrix A (one column per process product, the
product's own amount on the diagonal, what it takes from other products
below and above it, negative). Solving A s = f for the demand f of the
declared unit gives the scaling s of every activity; each burden line
(activity x factor, or a direct emission) times its scaling is its
contribution. Loops (scrap back to melting) are just off-diagonal entries;
a system that cannot be scaled is a singular matrix and a clear error.

The solve (:class:`Factorisation`) cuts A into its loops and the triangle
around them and factorises each with SuperLU, A-transpose for the loops:
factorising A itself took 182 s and 1.4 GB on a 20k-process system, its
transpose 1.0 s, and the triangle needs no factorisation work at all
(docs/performance.md). One factorisation serves any number of demands
(:func:`solve_many`).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from . import model as M
from .collector import collector_paused
from .diagnostics import Diagnostic, Label, PcfError
from .units import CO2E, Q, conversion_factor, readable, short, unit

if TYPE_CHECKING:
    import scipy.sparse as sp

KG_CO2E = "kg CO2e"


# ------------------------------------------------------------------ result types (the JSON of `pcf calc`)


# The classes with one object per process or per burden line are slotted records (M.record), as the
# model's flows are: at 100,000 processes a result has about 340,000 lines and 100,000 process shares.
# They keep pydantic's default config (extra fields ignored), as the BaseModel result classes do.
RESULT_LINE = M.record(config=ConfigDict())


@RESULT_LINE
class Share:
    value: Annotated[float, Field(description="kg CO2e per declared unit")]
    share: Annotated[float, Field(description="fraction of the total (0.25 = 25 %)")]


@RESULT_LINE
class AmountOut:
    value: float
    unit: Annotated[str, Field(description="the unit's short form: symbols (`kg CO2e`, `t km`, `L`, `CNY`), a gas after "
                                           "its mass, several units after `/` in brackets (`kg CO2e / (t km)`); a "
                                           "share (`%`) is folded into the value")]


@RESULT_LINE
class FlowResult:
    process: str
    flow: str
    label: str | None
    kind: str
    stage: str
    group: str | None
    factor: Annotated[str | None, Field(description="the emission factor applied, if any")]
    amount: Annotated[AmountOut, Field(description="the flow's amount per declared unit")]
    value: float
    share: float
    gases: Annotated[dict[str, float], Field(description="kg CO2e per declared unit, by gas")]


def _setters(cls, *names: str) -> tuple:
    """The setters of the slots of a result record, one per field in `names`, which must be all of its fields.

    Compute makes its result lines through these, without pydantic's validation: at 10k processes,
    validating the 34,000 lines and their amounts took 0.07 of compute's 0.40 s. What compute puts in
    them has the fields' types already (str, None, float, dict of str to float); tests/test_cli_calc.py
    checks that pydantic would make the same records of them.
    """
    if sorted(names) != sorted(cls.__dataclass_fields__):  # a field left out would be missing from the JSON
        raise TypeError(f"{cls.__name__} has the fields {list(cls.__dataclass_fields__)}, not {list(names)}")
    return tuple(getattr(cls, name).__set__ for name in names)


class GasResult(BaseModel):
    mass: float = Field(description="kg of the gas per declared unit (for CO2e: kg CO2e not split by gas)")
    value: float = Field(description="kg CO2e per declared unit")
    share: float


class CutoffResult(BaseModel):
    process: str
    flow: str
    reason: str | None
    estimate: float | None = Field(description="kg CO2e per declared unit, if the model gives an estimate")


class DeclaredUnitOut(BaseModel):
    amount: float
    unit: str
    product: str
    description: str | None
    # ISO 14067 tells the two apart; without this a reader of the JSON could not (calc's table can)
    functional: bool = Field(False, description="true when the study states a `functional_unit`, false for a "
                                                "`declared_unit`")


class Result(BaseModel):
    """The footprint of one declared unit with its contributions.

    Stable JSON (`pcf calc --format json`): every value is kg CO2e per declared unit.
    """

    declared_unit: DeclaredUnitOut
    unit: str = KG_CO2E
    gwp_set: str | None
    total: Share
    by_stage: dict[str, Share] = Field(description="every stage of the model, in life-cycle order")
    by_process: dict[str, Share]
    by_flow: list[FlowResult] = Field(description="burden lines, largest first")
    by_gas: dict[str, GasResult]
    by_group: dict[str, Share]
    scaling: dict[str, float] = Field(description="activity key -> how many times its product amount is needed")
    runs: dict[str, float] = Field(description="process -> how many times it runs (its product amounts as written, "
                                               "weighted by allocation) per declared unit")
    cutoff: list[CutoffResult]
    cutoff_estimate: float = Field(description="sum of the cut-off estimates, kg CO2e per declared unit")


# ------------------------------------------------------------------ unit conversion, cached


@lru_cache(maxsize=65536)
def _per_activity_to_kg_gas(amount_unit: str, factor_unit: str, gas: str) -> float:
    """Multiplier: (amount in amount_unit) x (factor in factor_unit) -> kg of gas."""
    return float((Q(1.0, amount_unit) * Q(1.0, factor_unit) / unit(gas)).to("kg").magnitude)


@lru_cache(maxsize=1024)
def _gas_mass_to_kg(amount_unit: str, gas: str) -> float:
    return float((Q(1.0, amount_unit) / unit(gas)).to("kg").magnitude)


@lru_cache(maxsize=1024)
def _estimate_unit(estimate_unit: str) -> tuple[bool, float]:
    """A cut-off estimate's unit read once: (is it a share of the total, what one of it is as a fraction or in kg CO2e).

    Pint converts a quantity by multiplying its number by this same factor, so `value * factor` is the
    number `Q(value, unit).to(...)` gives, bit for bit, without a pint quantity per estimate: those took
    0.03 s of compute's 0.30 s at 10k processes (295 estimates).
    """
    q = Q(1.0, estimate_unit)
    if q.dimensionless:
        return True, float(q.to("").magnitude)
    return False, float((q / unit(CO2E)).to("kg").magnitude)


@lru_cache(maxsize=1024)
def _weighted_unit(amount_unit: str, property_unit: str) -> str:
    """The unit of a product's amount times its allocation property (`t` x `CNY / t`), as pint multiplies
    them: what units.conversion_factor converts from, once per pair of spellings (pint multiplies a
    quantity's number by that same factor, so the weights are what converting their product gives)."""
    return str((Q(1.0, amount_unit) * Q(1.0, property_unit)).units)


# ------------------------------------------------------------------ the system


@dataclass(slots=True)
class BurdenLine:
    process: str
    flow: M.Flow
    stage: str
    factor: str | None
    gas_mass: dict[str, float]  # kg gas per run of the process (its product amounts as written)
    gas_co2e: dict[str, float]  # kg CO2e per run
    co2e: float


@dataclass
class System:
    """The model as arrays: what the solver and the contributions need."""

    keys: list[str]  # activity keys, one per column
    index: dict[str, int]
    entries: tuple[np.ndarray, np.ndarray, np.ndarray]  # A as (rows, columns, values); repeats add up
    allocation: dict[str, dict[str, float]]  # process -> product -> share
    lines: list[BurdenLine]

    @cached_property
    def matrix(self) -> "sp.csr_matrix":
        """A as a sparse matrix, rows and columns in `keys` order."""
        import scipy.sparse as sp  # here, not at the top: see DENSE

        n = len(self.keys)
        rows, cols, vals = self.entries
        return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))

    def dense(self) -> np.ndarray:
        """A as a numpy array: for the systems up to DENSE activities."""
        n = len(self.keys)
        rows, cols, vals = self.entries
        matrix = np.zeros((n, n))
        np.add.at(matrix, (rows, cols), vals)
        return matrix


def allocation_shares(process: M.Process, products: list[M.Flow] | None = None) -> dict[str, float]:
    """The share of the process's burden each product carries (`products`: process.products, if known)."""
    products = process.products if products is None else products
    if len(products) == 1:
        return {products[0].name: 1.0}
    alloc = process.allocation
    if alloc is None:
        raise PcfError(Diagnostic("E292", f"the process `{process.name}` has several products but no allocation",
                                  process.span, help="add an allocation block"))
    if alloc.shares:
        return {p.name: alloc.shares.get(p.name, 0.0) for p in products}
    if alloc.method == "mass":
        masses = {}
        for p in products:
            try:
                masses[p.name] = conversion_factor(p.amount.unit, "kg") * p.amount.value
            except Exception:
                raise PcfError(Diagnostic("E502", f"mass allocation needs every product in a unit of mass; "
                                          f"`{p.name}` is {p.amount_text}", p.amount_span or p.span,
                                          help="give the product in kg or t, or state shares")) from None
        total = sum(masses.values())
        return {k: v / total for k, v in masses.items()} if total else {k: 0.0 for k in masses}
    if alloc.method in ("economic", "energy", "physical"):
        missing = [p.name for p in products if p.name not in alloc.properties]
        if missing:
            raise PcfError(Diagnostic("E503", f"{alloc.method} allocation needs a `property` for every product; "
                                      f"missing: {', '.join(missing)}", alloc.span,
                                      help="e.g. `property billet 18000 CNY / t` (price per unit of product)"))
        weights = {}
        reference_unit = None
        for p in products:
            prop = alloc.properties[p.name]
            weighted_unit = _weighted_unit(p.amount.unit, prop.unit)
            if reference_unit is None:
                reference_unit = weighted_unit
            try:
                weights[p.name] = p.amount.value * prop.value * conversion_factor(weighted_unit, reference_unit)
            except Exception:
                raise PcfError(Diagnostic("E504", f"the {alloc.method} properties of the products are not the same "
                                          "kind of quantity", alloc.span,
                                          help="give every product's property in the same kind of unit")) from None
        total = sum(weights.values())
        if not total:  # every price (or content) is 0: the process's burden would vanish without a word
            raise PcfError(Diagnostic("E506", f"the {alloc.method} properties of the products of `{process.name}` "
                                      "are all 0, so no product would carry its burden", alloc.span,
                                      help="give each product's property its real value, or state shares"))
        return {k: v / total for k, v in weights.items()}
    raise PcfError(Diagnostic("E505", f"allocation `{alloc.method}` of a multi-output process needs explicit shares",
                              alloc.span, help="state `share PRODUCT x %` for each product"))


def _burden_line(model: M.Model, process: M.Process, flow: M.Flow, gwp: M.GwpSet | None) -> BurdenLine | None:
    if flow.cutoff or flow.kind in ("product", "loss"):
        return None
    stage = flow.stage or process.stage
    gas_mass: dict[str, float] = {}
    factor_name = None
    if flow.source_kind == "factor":
        factor = model.factors[flow.source]
        factor_name = factor.name
        for component in factor.components:
            multiplier = _per_activity_to_kg_gas(flow.amount.unit, component.quantity.unit, component.gas)
            mass = gas_mass[component.gas] = flow.amount.value * component.quantity.value * multiplier
            if -TINY < mass < TINY and flow.amount.value and component.quantity.value:
                require_normal(f"the burden of `{process.name}.{flow.name}` ({component.gas})", flow)
    elif flow.kind == "emit":
        gas = _emitted_gas(flow.amount.unit)
        mass = gas_mass[gas] = flow.amount.value * _gas_mass_to_kg(flow.amount.unit, gas)
        if -TINY < mass < TINY and flow.amount.value:
            require_normal(f"the emission `{process.name}.{flow.name}`", flow)
    else:
        return None  # a supplier link: its burden is the supplier's
    gas_co2e = {}
    for gas, mass in gas_mass.items():
        if gas == CO2E:
            gas_co2e[gas] = mass
            continue
        if gwp is None:
            raise PcfError(Diagnostic("E510", f"`{flow.name}` emits {gas}, but the study names no GWP set",
                                      flow.span, help="add `gwp ipcc.ar6` to the study (import \"std:gwp/ipcc_ar6.pcf\" as ipcc)"))
        if gas not in gwp.factors:
            raise PcfError(Diagnostic(
                "E511", f"the GWP set `{gwp.name}` has no factor for {gas}", flow.span,
                help=("AR6 separates fossil and non-fossil methane: use CH4_fossil or CH4_biogenic"
                      if gas == "CH4" else f"add {gas} to the GWP set, or use a set that has it"),
                labels=[Label(gwp.span, "the GWP set")] if gwp.span else []))
        co2e = gas_co2e[gas] = mass * gwp.factors[gas]
        if -TINY < co2e < TINY and mass and gwp.factors[gas]:
            require_normal(f"the burden of `{process.name}.{flow.name}` in CO2e ({gas})", flow)
    return BurdenLine(process.name, flow, stage, factor_name, gas_mass, gas_co2e, sum(gas_co2e.values()))


@lru_cache(maxsize=1)
def _gas_names() -> frozenset[str]:
    from .units import GASES

    return frozenset(GASES) | {CO2E}


@lru_cache(maxsize=1024)
def _emitted_gas(amount_unit: str) -> str:
    """The gas an `emit` amount is in (`kg CH4_fossil` -> CH4_fossil): one pint parse per unit, not per flow."""
    return next(name for name, _ in Q(1.0, amount_unit).unit_items() if name in _gas_names())


def _line_terms(model: M.Model, key: tuple[str | None, str], gwp: M.GwpSet | None) -> tuple | None:
    """What a burden line of a factor (or an emission, `None`) in a unit takes from its factor and the GWP set.

    (factor name, ((gas, factor quantity or None for an emission, unit multiplier, GWP value or None for
    CO2e), ...)), looked up once per factor and amount unit; None when a line must go through
    _burden_line, which says what is wrong (no such factor or gas, a unit that does not convert).
    """
    source, amount_unit = key
    try:
        if source is None:
            gas = _emitted_gas(amount_unit)
            factor_name, components = None, [(gas, None, _gas_mass_to_kg(amount_unit, gas))]
        else:
            factor = model.factors[source]
            factor_name = factor.name
            components = [(c.gas, c.quantity.value, _per_activity_to_kg_gas(amount_unit, c.quantity.unit, c.gas))
                          for c in factor.components]
    except Exception:  # noqa: BLE001 - _burden_line raises it again, where it always has
        return None
    if len({gas for gas, _, _ in components}) != len(components):
        return None  # a gas twice: its later mass replaces the earlier one, as _burden_line does
    terms = []
    for gas, quantity, multiplier in components:
        if gas == CO2E:
            terms.append((gas, quantity, multiplier, None))
        elif gwp is None or gas not in gwp.factors or not gwp.factors[gas]:
            return None  # E510, E511; or a GWP value of 0, which _burden_line's underflow check allows
        else:
            terms.append((gas, quantity, multiplier, gwp.factors[gas]))
    return factor_name, tuple(terms)


def build_system(model: M.Model) -> System:
    with collector_paused():
        return _build_system(model)


def _build_system(model: M.Model) -> System:
    gwp = model.gwp_sets.get(model.study.gwp) if model.study and model.study.gwp else None
    # Each process's products listed once (Process.products builds the list anew on every call),
    # and each activity's column and product unit by key, so a supplier link needs no search of its flows.
    products = {name: process.products for name, process in model.processes.items()}
    keys: list[str] = []
    product_unit: dict[str, str] = {}
    for name, process in model.processes.items():
        for p in products[name]:
            key = process.key(p.name)
            keys.append(key)
            product_unit[key] = p.amount.unit
    index = {k: i for i, k in enumerate(keys)}
    supplier = {k: (i, product_unit[k]) for k, i in index.items()}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    add_row, add_col, add_val = rows.append, cols.append, vals.append
    allocation: dict[str, dict[str, float]] = {}
    lines: list[BurdenLine] = []
    add_line = lines.append
    terms: dict[tuple[str | None, str], tuple | None] = {}
    for name, process in model.processes.items():
        shares = allocation_shares(process, products[name])
        allocation[name] = shares
        columns = [(index[process.key(p.name)], shares[p.name]) for p in products[name]]
        for (column, _), product in zip(columns, products[name]):
            add_row(column)
            add_col(column)
            add_val(product.amount.value)
        single = columns[0] if len(columns) == 1 else None
        stage = process.stage
        for flow in process.flows:
            source_kind = flow.source_kind
            if source_kind == "process" and not flow.cutoff:
                amount = flow.amount
                row, unit_to = supplier[flow.source]
                amount = amount.value * conversion_factor(amount.unit, unit_to)
                if single is not None:
                    col, share = single
                    if share:
                        add_row(row)
                        add_col(col)
                        add_val(-amount * share)
                    continue
                for col, share in columns:
                    if share:
                        add_row(row)
                        add_col(col)
                        add_val(-amount * share)
                continue
            if flow.cutoff or flow.kind in ("product", "loss") or (source_kind != "factor" and flow.kind != "emit"):
                continue  # no burden of its own (a cut-off, a product or loss, a waste to a treatment process)
            # _burden_line's arithmetic, with what it looks up per line (the factor, its units, the GWP
            # values) looked up once per factor and unit; a line that needs one of its errors goes to it.
            amount = flow.amount
            term_key = (flow.source if source_kind == "factor" else None, amount.unit)
            found = terms.get(term_key, terms)
            if found is terms:
                found = terms[term_key] = _line_terms(model, term_key, gwp)
            value = amount.value
            if found is not None:
                factor_name, components = found
                if len(components) == 1 and components[0][3] is None and components[0][1] is not None:
                    # one component in CO2e from a factor, most lines: its mass is its CO2e
                    _, quantity, multiplier, _ = components[0]
                    mass = value * quantity * multiplier
                    if not (-TINY < mass < TINY and value and quantity):
                        add_line(BurdenLine(name, flow, flow.stage or stage, factor_name, {CO2E: mass}, {CO2E: mass},
                                            0.0 + mass))  # sum()'s 0 + mass: -0.0 becomes 0.0
                        continue
                else:
                    gas_mass: dict[str, float] = {}
                    gas_co2e: dict[str, float] = {}
                    for gas, quantity, multiplier, gwp_factor in components:
                        # (an emission has no factor quantity: its mass is the amount times the multiplier)
                        mass = gas_mass[gas] = (value * multiplier if quantity is None else
                                                value * quantity * multiplier)
                        if -TINY < mass < TINY and value and quantity != 0:
                            break
                        if gwp_factor is None:
                            gas_co2e[gas] = mass
                        else:
                            co2e = gas_co2e[gas] = mass * gwp_factor
                            if -TINY < co2e < TINY and mass:
                                break
                    else:
                        add_line(BurdenLine(name, flow, flow.stage or stage, factor_name, gas_mass, gas_co2e,
                                            sum(gas_co2e.values())))
                        continue
            line = _burden_line(model, process, flow, gwp)  # its error (E510, E511, E521) where it has one
            if line is not None:
                add_line(line)
    entries = (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals, dtype=float))
    return System(keys, index, entries, allocation, lines)


def factorise(system: System) -> "Factorisation":
    """The system's technosphere factorised once; raises E520 when it cannot be scaled."""
    try:
        return Factorisation(system.dense() if len(system.keys) <= DENSE else system.matrix)
    except RuntimeError as exc:  # SuperLU: "Factor is exactly singular"
        raise PcfError(Diagnostic(
            "E520", "the product system cannot be scaled to the declared unit (its matrix is singular)", None,
            help="a loop returns as much of a product as it takes (or more), or a product has amount 0: "
                 f"check the processes in loops ({exc})")) from None


def solve(system: System, demand: dict[str, float]) -> np.ndarray:
    """Scaling of every activity for a demand {activity key: amount in the product's unit}."""
    return solve_many(system, [demand])[:, 0]


def solve_many(system: System, demands: list[dict[str, float]],
               factorisation: "Factorisation | None" = None) -> np.ndarray:
    """Scalings for many demands from one factorisation: column j of the result is for demands[j]."""
    f = np.zeros((len(system.keys), len(demands)))
    for j, demand in enumerate(demands):
        for key, amount in demand.items():
            f[system.index[key], j] = amount
    s = (factorisation or factorise(system)).solve(f)
    if not np.all(np.isfinite(s)):
        raise PcfError(Diagnostic("E520", "the product system cannot be scaled to the declared unit", None,
                                  help="check loops and zero product amounts"))
    return s


class Factorisation:
    """The technosphere matrix factorised once, for any number of demands (all products, Monte Carlo).

    The supply graph (an edge from each activity to each product it takes) is cut
    into strongly connected components with scipy's csgraph. Ordered from the
    consumers to their suppliers, A is block triangular: each loop (a component of
    more than one activity) is a diagonal block, everything else a triangle. The
    components are grouped into phases by how many loops lie on the way from the
    reference product to them: phase 0 is the triangle before any loop, then the
    loops reached through one loop, the triangle after them, and so on. Each phase
    is factorised on its own with SuperLU (a triangle in its natural order without
    pivoting, so without fill; loops with COLAMD on the transpose, as bw2calc does),
    and a solve is one substitution per phase. Measured on the benchmark systems
    (docs/performance.md), this is what makes 100k-process systems solve in well
    under a second where a single LU of the whole matrix takes tens of seconds.
    Up to SINGLE_BLOCK activities the whole matrix is one LU in the same order
    (COLAMD's where a loop is large); up to DENSE, numpy's dense inverse.
    """

    def __init__(self, matrix: "sp.csr_matrix | np.ndarray"):
        n = matrix.shape[0]
        self.n = n
        self.inverse = None
        if n <= DENSE:
            # A few dozen activities (a product model like the reference): numpy's LAPACK,
            # already loaded, instead of importing scipy.sparse and its solvers, a third of
            # `pcf check`'s start-up. The inverse is the factorisation kept for reuse.
            dense = matrix if isinstance(matrix, np.ndarray) else matrix.toarray()
            try:
                self.inverse = np.linalg.inv(np.asarray(dense, dtype=float))
            except np.linalg.LinAlgError as exc:
                raise RuntimeError(str(exc)) from None
            self.matrix, self.order, self.phases = dense, None, []
            return
        import scipy.sparse as sp  # here, not at the top: see DENSE
        import scipy.sparse.linalg as spla

        matrix = sp.csr_matrix(matrix, dtype=float)
        matrix.sum_duplicates()
        self.matrix = matrix

        label, sizes = self._components
        in_loop = sizes > 1
        if n <= SINGLE_BLOCK and sizes.max() > NATURAL_LOOP_LIMIT:
            # One LU of the whole matrix with COLAMD, as bw2calc does: a large loop in its
            # written order could fill in towards a dense block.
            self.order = None  # the matrix's own order
            permuted, blocks = matrix, [(0, n, "colamd")]
        else:
            consumers, suppliers = self._supplies
            consumer, supplier = label[consumers], label[suppliers]
            if n <= SINGLE_BLOCK:
                # Small enough that one LU is faster than the phases' bookkeeping. Consumers first, A is
                # block triangular: an LU in the same order, pivoting within each loop, fills in only
                # inside the loops, which are small. On the 1k benchmark system COLAMD's order gave
                # 23,089 entries against 5,655, and the LU took 2.2 ms against 0.4 ms.
                if (consumer >= supplier).all():
                    # scipy numbers the components as Tarjan's algorithm finishes them, every supplier's
                    # before its consumers' (checked, as scipy does not promise it): the labels, highest
                    # first, are an order, without _phases's pass in Python (3 of the 5.5 ms the 1k
                    # system took to factorise on 2026-12-05's second machine).
                    self.order = np.argsort(-label, kind="stable")
                else:
                    self.order = np.argsort(_phases(len(in_loop), consumer, supplier, in_loop)[1][label], kind="stable")
                blocks = [(0, n, "natural")]
            else:
                phase_of, position = _phases(len(in_loop), consumer, supplier, in_loop)
                # Nodes sorted by (phase, topological position of their component): consumers first.
                self.order = np.lexsort((position[label], phase_of[label]))
                node_phase = phase_of[label][self.order]
                bounds = np.flatnonzero(np.diff(node_phase)) + 1
                blocks = [(int(a), int(b), "colamd" if node_phase[a] % 2 else "triangle")
                          for a, b in zip(np.concatenate(([0], bounds)), np.concatenate((bounds, [n])))]
            permuted = matrix[self.order][:, self.order].tocsr()
        self.phases: list[tuple[int, int, sp.csr_matrix | None, object]] = []
        for start, end, how in blocks:
            block = permuted if end - start == n else permuted[start:end, start:end]
            # A-transpose in CSC has A's CSR arrays: no copy.
            transposed = sp.csc_matrix((block.data, block.indices, block.indptr), shape=block.shape)
            if how == "colamd":
                lu = spla.splu(transposed)
            elif how == "natural":
                lu = spla.splu(transposed, permc_spec="NATURAL")
            else:  # a triangle: no pivoting, so no fill
                lu = spla.splu(transposed, permc_spec="NATURAL", diag_pivot_thresh=0.0)
            coupling = permuted[start:end, :start] if start else None
            self.phases.append((start, end, coupling, lu))

    @cached_property
    def _supplies(self) -> tuple[np.ndarray, np.ndarray]:
        """Each off-diagonal entry of A as (consumer, supplier): the activity of its column takes from its row's."""
        import scipy.sparse as sp

        coo = sp.coo_matrix(self.matrix)
        off = coo.row != coo.col
        return coo.col[off], coo.row[off]

    @cached_property
    def _components(self) -> tuple[np.ndarray, np.ndarray]:
        """Strongly connected component of each activity, and each component's size (a loop's is more than 1)."""
        import scipy.sparse as sp
        import scipy.sparse.csgraph as csgraph  # here, not at the top: it imports scipy.sparse.linalg

        consumers, suppliers = self._supplies
        # An edge from each consumer to each supplier it takes from.
        graph = sp.csr_matrix((np.ones(len(consumers)), (consumers, suppliers)), shape=(self.n, self.n))
        n_comp, label = csgraph.connected_components(graph, directed=True, connection="strong")
        return label, np.bincount(label, minlength=n_comp)

    @property
    def loops(self) -> int:
        """How many loops (components of more than one activity) the system has."""
        return int((self._components[1] > 1).sum())

    @property
    def in_loops(self) -> int:
        """How many activities sit in loops."""
        sizes = self._components[1]
        return int(sizes[sizes > 1].sum())

    def solve(self, demand: np.ndarray) -> np.ndarray:
        """Scaling for a demand vector, or for each column of a matrix of demands (n x m)."""
        f = np.asarray(demand, dtype=float)
        if self.inverse is not None:
            return self.inverse @ f
        if self.order is None:  # one block, in the matrix's own order
            return self.phases[0][3].solve(np.ascontiguousarray(f), trans="T")
        f = f[self.order]
        x = np.zeros_like(f)
        for start, end, coupling, lu in self.phases:
            rhs = f[start:end] - coupling @ x[:start] if coupling is not None else f[start:end]
            x[start:end] = lu.solve(np.ascontiguousarray(rhs), trans="T")
        s = np.empty_like(x)
        s[self.order] = x
        return s

    def solve_transposed(self, burden: np.ndarray) -> np.ndarray:
        """y with A-transpose y = `burden` (a vector, or an n x m matrix, one column each): from the same factors.

        With `burden` each activity's own burden per unit of its scaling, y is
        every product's footprint per unit of it (y = burden A^-1, the footprints
        of all n products in one solve, where `solve` would need n demands). A
        in the phases' order is block lower triangular, so its transpose is
        upper: the phases are solved last to first, each one's part taken out of
        the burden of the phases before it, through the same coupling blocks.
        """
        c = np.asarray(burden, dtype=float)
        if self.inverse is not None:
            return self.inverse.T @ c
        if self.order is None:  # one block, in the matrix's own order: its LU is of A-transpose
            return self.phases[0][3].solve(np.ascontiguousarray(c))
        rest = c[self.order]  # a copy: the phases take their parts out of it
        y = np.zeros_like(rest)
        for start, end, coupling, lu in reversed(self.phases):
            y[start:end] = lu.solve(np.ascontiguousarray(rest[start:end]))
            if coupling is not None:
                rest[:start] -= coupling.T @ y[start:end]
        out = np.empty_like(y)
        out[self.order] = y
        return out


# Systems up to this many activities are solved as one block (one LU of A-transpose).
# Measured here on the benchmark systems, with one LU in COLAMD's order: 3 ms at 1k processes
# where the phases took 22 ms, 22-32 ms at 3k (phases 43 ms), 0.6 s at 10k (phases 0.065 s)
# and 9-12 s at 30k (phases 0.1-0.14 s); docs/performance.md.
SINGLE_BLOCK = 3000

# A system of up to SINGLE_BLOCK activities whose loops hold at most this many activities each is
# factorised in the consumers-first order, pivoting within the loops (fill only inside them: at
# most this many squared per loop); one with a larger loop gets COLAMD's order instead.
NATURAL_LOOP_LIMIT = 300

# Systems up to this many activities are solved with numpy's dense inverse: the solve
# takes microseconds at this size either way, and importing scipy.sparse and its
# solvers costs about 0.15 s of every start-up (a third of the bare import line).
# Results agree with SuperLU's to round-off (tests/test_solve_factorisation.py,
# tests/test_peer_bw2calc.py).
DENSE = 100


def _phases(n_comp: int, consumer: np.ndarray, supplier: np.ndarray, in_loop: np.ndarray):
    """Phase of each component and its position in a topological order (consumers first).

    Kahn's algorithm on the condensation, in Python: one pass over the component
    edges (about 0.1 s per 100k processes, done once per factorisation).
    """
    import scipy.sparse as sp

    between = consumer != supplier
    edges = sp.csr_matrix((np.ones(int(between.sum()), dtype=np.int8), (consumer[between], supplier[between])),
                          shape=(n_comp, n_comp))
    edges.sum_duplicates()
    indptr, indices = edges.indptr.tolist(), edges.indices.tolist()
    waiting = np.bincount(edges.indices, minlength=n_comp).tolist()
    loop = in_loop.tolist()
    depth = [0] * n_comp  # loops on the way to the component, not counting itself
    position = [0] * n_comp
    ready = [c for c in range(n_comp) if waiting[c] == 0]
    seen = 0
    while ready:
        c = ready.pop()
        position[c] = seen
        seen += 1
        below = depth[c] + loop[c]
        for d in indices[indptr[c]:indptr[c + 1]]:
            if depth[d] < below:
                depth[d] = below
            waiting[d] -= 1
            if not waiting[d]:
                ready.append(d)
    depth_a = np.array(depth)
    # Phase 2k: the triangle after k loops; phase 2k-1: the loops that are the k-th on their way.
    phase = 2 * (depth_a + in_loop) - in_loop
    return phase, np.array(position)


def name_the_loops(model: M.Model, diagnostic: Diagnostic, among: set[str] | None = None) -> Diagnostic:
    """A singular system is nearly always a loop: name the processes in each one (each one with a process
    of `among`, when given and one has)."""
    if diagnostic.code != "E520":
        return diagnostic
    from .graph import loops, process_graph

    groups = loops(process_graph(model))
    if among is not None:
        groups = [g for g in groups if among.intersection(g)] or groups
    if groups:
        first = model.processes[groups[0][0]]
        diagnostic.span = first.span
        diagnostic.help = ("these processes supply each other in a loop: "
                           + "; ".join(" <-> ".join(group) for group in groups)
                           + ". Within a loop, each must take less of the others' products than it makes.")
    elif diagnostic.span is None:
        # No loop: a product made in an amount of 0 (or too small for a float) is the other cause.
        empty = next((f for p in model.processes.values() for f in p.products
                      if abs(f.amount.value) < sys.float_info.min), None)
        if empty is not None:
            diagnostic.span = empty.amount_span or empty.span
            diagnostic.help = f"the product `{empty.name}` is made in an amount of {empty.amount.value:g}: give its real amount"
        elif model.study is not None and model.study.declared_unit is not None:
            diagnostic.span = model.study.declared_unit.span
    return diagnostic


# A scaling below -NEGATIVE_SCALING x the largest one is not round-off (an LU solve leaves about
# 1e-16 x the condition of the system where the exact value is 0; see tests/test_peer_bw2calc.py).
NEGATIVE_SCALING = 1e-9


def require_productive(model: M.Model, keys: list[str], values: np.ndarray, what: str, detail: str) -> None:
    """No activity runs a negative number of times: E520 naming the loop that takes more than it makes.

    Every input amount is positive, so A has its products on the diagonal and nothing but takings off
    it. Such a matrix can be non-singular with a negative inverse: a loop that takes more of its own
    products than it makes (a process that needs 2 kg of what it makes per kg) solves to a negative
    scaling, and the footprint to a negative number, where no amount of running it makes any product.
    `values` are scalings, or for all products the total scaling of each one's demand: both are
    non-negative for every demand exactly when the loops give more than they take. `detail` says what
    the most negative value is, with `{key}` and `{value}` in it.
    """
    if not len(values):
        return
    limit = -NEGATIVE_SCALING * float(np.abs(values).max())
    negative = np.flatnonzero(values < limit)
    if not len(negative):
        return
    key = keys[int(negative[np.argmin(values[negative])])]
    processes = {keys[int(i)].rpartition(".")[0] for i in negative}
    diagnostic = Diagnostic(
        "E520", f"the product system cannot be scaled to {what}: a loop takes more of its products than it makes "
        f"({detail.format(key=key, value=float(values[keys.index(key)]))})", None,
        help="a loop must give more of its products than it takes of them")
    raise PcfError(name_the_loops(model, diagnostic, among=processes))


def require_finite(values, what: str, span) -> None:
    """No infinity or NaN leaves compute: it would be a wrong number, and JSON cannot hold it."""
    if not all(math.isfinite(v) for v in values):
        raise PcfError(Diagnostic(
            "E521", f"{what} is too large to represent as a number", span,
            help="check the magnitudes and units of the amounts, factors and GWP values that lead here"))


# The smallest normal float: a product of non-zero numbers below it has lost digits (a subnormal) or all
# of them (0), as a product above the largest float is inf (E521). The language refuses such numbers
# where they are written (E305, docs/limits.md); a burden that becomes one is refused here the same way.
TINY = sys.float_info.min


def require_normal(what: str, flow: M.Flow) -> None:
    """E521 for a result of non-zero amounts and factors that is too small for a float: not a silent 0."""
    raise PcfError(Diagnostic(
        "E521", f"{what} is too small to represent as a number (below {TINY:.3g}), though nothing that "
        "leads to it is 0", flow.amount_span or flow.span,
        help="check the magnitudes and units of the amounts, factors and GWP values that lead here"))


def _largest_first(flows: list[FlowResult], values: list[float]) -> list[FlowResult]:
    """The lines sorted by (-|value|, process, flow), as `sorted` with that key sorts them.

    numpy's stable sort on the size, then each run of lines of the same size (-0.0 and 0.0 alike, as
    Python compares them) sorted by process and flow, stably: the same order, in 0.05 s instead of 0.22
    at 100k processes (340,000 lines), where building a key tuple per line was most of the sort.
    """
    if len(flows) < 2:
        return list(flows)
    size = -np.abs(np.array(values, dtype=float))  # each line's value, as compute made it
    order = np.argsort(size, kind="stable")
    ordered = size[order]
    # Runs of equal size: where a size is the same as the one before, a run goes on.
    same = ordered[1:] == ordered[:-1]
    order = order.tolist()
    if same.any():
        edges = np.flatnonzero(np.diff(np.concatenate(([False], same, [False])).astype(np.int8)))
        for start, end in zip(edges[0::2].tolist(), edges[1::2].tolist()):  # lines start .. end share one size
            run = order[start:end + 1]
            run.sort(key=lambda i: (flows[i].process, flows[i].flow))
            order[start:end + 1] = run
    return [flows[i] for i in order]


def compute(model: M.Model) -> Result:
    """The footprint of the model's declared unit, with contributions by stage, process, flow, gas and group."""
    with collector_paused():
        return _compute(model)


def _compute(model: M.Model) -> Result:
    study = model.study
    if study is None or study.declared_unit is None:
        raise PcfError(Diagnostic("E500", "the model has no declared unit, so there is nothing to compute",
                                  None, help="add a study block with `declared_unit 1 kg of PROCESS.PRODUCT`"))
    du = study.declared_unit
    system = _build_system(model)
    _, product = model.activity(du.product)
    demand = du.amount.value * conversion_factor(du.amount.unit, product.amount.unit)
    try:
        scaling = solve(system, {du.product: demand})
    except PcfError as exc:
        for d in exc.diagnostics:  # factorise and solve_many do not know the study: say its term here
            d.message = d.message.replace("the declared unit", f"the {du.term}")
        raise PcfError([name_the_loops(model, d) for d in exc.diagnostics]) from None
    require_productive(model, system.keys, scaling, f"the {du.term}", "`{key}` would be needed {value:.6g} times")

    # Python floats from here on: an overflow becomes inf (caught as E521) without numpy's warnings on stderr.
    scale = scaling.tolist()
    index = system.index
    # The products' shares in product order, as allocation_shares gives them: the same sum as product by product.
    process_runs = {name: sum(scale[index[f"{name}.{product}"]] * share for product, share in shares.items())
                    for name, shares in system.allocation.items()}
    # Each line made a FlowResult at once, not a dict validated later with the Result: the dicts and
    # the objects made from them were both alive at the peak (28 MB more at 10k processes, for 4 %
    # less CPU). The Result keeps these instances as they are (pydantic does not revalidate them),
    # and they are made without validation (_setters).
    flows: list[FlowResult] = []
    by_stage = {s.name: 0.0 for s in model.stages}
    by_process = {name: 0.0 for name in model.processes}
    by_gas_mass: dict[str, float] = {}
    by_gas_value: dict[str, float] = {}
    by_group: dict[str, float] = {}
    isfinite = math.isfinite
    lines, system.lines = system.lines, []
    line_values: list[float] = []
    add_value, add_flow = line_values.append, flows.append
    new = object.__new__
    set_amount_value, set_amount_unit = _setters(AmountOut, "value", "unit")
    (set_process, set_flow, set_label, set_kind, set_stage, set_group, set_factor, set_amount, set_value, set_share,
     set_gases) = _setters(FlowResult, "process", "flow", "label", "kind", "stage", "group", "factor", "amount",
                           "value", "share", "gases")
    for i in range(len(lines)):
        # Each line let go as its result is made, so the two do not take memory at once
        # (compute's peak at 10k processes: 57 MiB over the model instead of 74, by tracemalloc).
        line, lines[i] = lines[i], None
        flow, process, stage, gas_co2e = line.flow, line.process, line.stage, line.gas_co2e
        r = process_runs[process]
        value = line.co2e * r
        by_stage[stage] = by_stage.get(stage, 0.0) + value
        by_process[process] += value
        group = flow.group
        if group:
            by_group[group] = by_group.get(group, 0.0) + value
        written = flow.amount
        shown, unit_text = readable(written.unit)  # a share folded in: 1.25 t, not 0.0125 t / %
        amount = written.value * r * shown
        # A line's value or amount of 0 (or a subnormal) from non-zero factors has underflowed: the
        # comparison first, so a line of ordinary size costs no more than that.
        if (-TINY < value < TINY and line.co2e or -TINY < amount < TINY and written.value) and r:
            require_normal(f"the contribution of `{process}.{flow.name}`", flow)
        # Every number this line makes or changes, added up: finite only when each of them is (inf and
        # nan carry through a sum). The sums by gas it does not change were checked on earlier lines.
        made = value + amount
        gases = {}
        for gas, mass in line.gas_mass.items():  # gas_co2e has the same gases, in the same order
            mass_sum = by_gas_mass[gas] = by_gas_mass.get(gas, 0.0) + mass * r
            gas_value = gases[gas] = gas_co2e[gas] * r
            by_gas_value[gas] = by_gas_value.get(gas, 0.0) + gas_value
            made += mass_sum + gas_value
        out = new(AmountOut)
        set_amount_value(out, amount)
        set_amount_unit(out, unit_text)
        result = new(FlowResult)
        set_process(result, process)
        set_flow(result, flow.name)
        set_label(result, flow.label)
        set_kind(result, flow.kind)
        set_stage(result, stage)
        set_group(result, group)
        set_factor(result, line.factor)
        set_amount(result, out)
        set_value(result, value)
        add_value(value)
        set_share(result, 0.0)
        set_gases(result, gases)
        add_flow(result)
        if not isfinite(made):  # the full check decides: the numbers may be finite and only their sum too large
            require_finite([value, amount, *gases.values(), *by_gas_mass.values()],
                           f"the contribution of `{process}.{flow.name}`", flow.amount_span or flow.span)
    total = sum(line_values)

    def share(v: float) -> float:
        # + 0.0: a zero line over a negative total is -0.0, which prints as "-0.00 %" and "-0.0" in JSON
        return v / total + 0.0 if total else 0.0

    for f in flows:
        f.share = share(f.value)
    flows = _largest_first(flows, line_values)
    cutoffs, cutoff_total = [], 0.0
    for name, process in model.processes.items():
        for flow in process.flows:
            if not flow.cutoff:
                continue
            estimate = None
            if flow.estimate is not None:
                share_of_total, factor = _estimate_unit(flow.estimate.unit)
                if share_of_total:
                    # A share of the footprint's size: a left-out input is a burden, so with removals larger
                    # than the emissions (a negative total) it is not counted as a further removal.
                    estimate = flow.estimate.value * factor * abs(total)
                else:
                    estimate = flow.estimate.value * factor * process_runs[name]
                cutoff_total += estimate
            cutoffs.append({"process": name, "flow": flow.name, "reason": flow.cutoff_reason, "estimate": estimate})
    require_finite([total, cutoff_total, *by_stage.values(), *by_process.values(), *by_gas_value.values(),
                    *by_group.values()], "the total", du.span)
    return Result(
        declared_unit=DeclaredUnitOut(amount=du.amount.value, unit=short(du.amount.unit), product=du.product,
                                      description=du.description, functional=du.functional),
        gwp_set=study.gwp,
        total=Share(value=total, share=1.0 if total else 0.0),
        by_stage={k: Share(value=v, share=share(v)) for k, v in by_stage.items()},
        by_process={k: Share(value=v, share=share(v)) for k, v in by_process.items()},
        by_flow=flows,
        by_gas={g: GasResult(mass=by_gas_mass[g], value=by_gas_value[g], share=share(by_gas_value[g]))
                for g in sorted(by_gas_value)},
        by_group={k: Share(value=v, share=share(v)) for k, v in sorted(by_group.items())},
        scaling=dict(zip(system.keys, scale)),
        runs=process_runs,
        cutoff=cutoffs,
        cutoff_estimate=cutoff_total,
    )

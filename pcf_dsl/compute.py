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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property, lru_cache
from itertools import chain, repeat
from typing import TYPE_CHECKING, Annotated, Any

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
class BurdenLines:
    """The model's burden lines in its order, column by column, and their gases, line by line.

    Columns, not an object per line, so that compute scales them all at once with numpy: a model of
    100,000 processes has about 340,000 lines. A line's numbers are per run of its process (its product
    amounts as written). Most lines have one gas (CO2e) and some several: each gas of a line is an entry
    of the gas columns, in the line's order. The flow's group and amount are read into columns of their
    own where the loop over the flows has each flow at hand: a second pass over flows spread through
    the model's memory cost about 0.05 s per attribute at 100k processes.
    """

    process: Sequence[int] = ()  # the position of the line's process in System.processes
    flow: Sequence[M.Flow] = ()
    stage: Sequence[str] = ()
    group: Sequence[str | None] = ()
    factor: Sequence[str | None] = ()
    amount: Sequence[float] = ()  # the flow's amount as written: its number, and its unit below
    unit: Sequence[str] = ()
    co2e: Sequence[float] = ()  # kg CO2e per run
    gas_line: Sequence[int] = ()  # the line of each gas entry
    gas: Sequence[str] = ()
    gas_mass: Sequence[float] = ()  # kg of the gas per run
    gas_co2e: Sequence[float] = ()  # kg CO2e per run


@dataclass
class System:
    """The model as arrays: what the solver and the contributions need."""

    keys: list[str]  # activity keys, one per column
    index: dict[str, int]
    entries: tuple[np.ndarray, np.ndarray, np.ndarray]  # A as (rows, columns, values); repeats add up
    allocation: dict[str, dict[str, float]]  # process -> product -> share
    lines: BurdenLines
    processes: list[str] = field(default_factory=list)  # names, in the model's order
    # Each product of each process, process by process in product order: (process position, column, share).
    products: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    cutoffs: list[tuple[int, M.Flow]] = field(default_factory=list)  # (process position, cut-off flow)

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
    """A's entries, the allocation and the burden lines, from one pass over the processes and their flows.

    One pass, each process's flows read while they are in the processor's cache: a pass of its own to
    list the products first (to know every supplier's column) made the flows come from memory twice,
    0.15 s more at 100k processes. So a supplier link keeps its supplier's key, and numpy finds the
    columns and converts the amounts after the pass (_link_entries); what fails there fails as it did
    at its link, before any later error of the pass (_first_failure). What the pass gathers goes into a
    list per column (list.append is the cheapest step Python has), not into a tuple per row.
    """
    gwp = model.gwp_sets.get(model.study.gwp) if model.study and model.study.gwp else None
    processes = model.processes
    keys: list[str] = []
    allocation: dict[str, dict[str, float]] = {}
    # Each product (a column of A): its process's position, unit, allocation share and amount as written.
    product_position: list[int] = []
    product_unit: list[str] = []
    product_share: list[float] = []
    product_amount: list[float] = []
    # Each supplier link: its process's position, the flow, the supplier's key, the amount as written, its unit.
    link_position: list[int] = []
    link_flow: list[M.Flow] = []
    link_source: list[str] = []
    link_amount: list[float] = []
    link_unit: list[str] = []
    lines = _LineColumns()
    line_position, line_flow, line_stage, line_group = lines.position, lines.flow, lines.stage, lines.group
    line_factor, line_amount, line_unit, line_term = lines.factor, lines.amount, lines.unit, lines.term_of
    cutoffs: list[tuple[int, M.Flow]] = []
    terms: dict[tuple[str | None, str], tuple | None] = {}
    failure = None
    try:
        for position, (name, process) in enumerate(processes.items()):
            flow = None  # (for _first_failure: an allocation fails before the process's flows)
            products = process.products
            shares = allocation[name] = allocation_shares(process, products)
            for product in products:
                keys.append(process.key(product.name))
                product_position.append(position)
                product_unit.append(product.amount.unit)
                product_share.append(shares[product.name])
                product_amount.append(product.amount.value)
            stage = process.stage
            for flow in process.flows:
                if flow.cutoff:
                    cutoffs.append((position, flow))
                    continue
                source_kind = flow.source_kind
                amount = flow.amount
                if source_kind == "process":
                    link_position.append(position)
                    link_flow.append(flow)
                    link_source.append(flow.source)
                    link_amount.append(amount.value)
                    link_unit.append(amount.unit)
                    continue
                if flow.kind in ("product", "loss") or (source_kind != "factor" and flow.kind != "emit"):
                    continue  # no burden of its own (a product or loss, a waste to a treatment process)
                # What _burden_line looks up per line (the factor, its units, the GWP values), looked up once
                # per factor and unit; numpy does its arithmetic, after the pass. A line that may need one of
                # its errors (an amount small enough to underflow) goes to it, and so does one it must refuse.
                term_key = (flow.source if source_kind == "factor" else None, amount.unit)
                found = terms.get(term_key, terms)
                if found is terms:
                    found = terms[term_key] = lines.term(model, term_key, gwp)
                value = amount.value
                if found is not None and (not value or abs(value) >= found[2]):
                    line_factor.append(found[0])
                    line_term.append(found[1])
                    line_stage.append(flow.stage or stage)
                else:
                    line = _burden_line(model, process, flow, gwp)  # its error (E510, E511, E521) where it has one
                    lines.made[len(line_flow)] = line
                    line_factor.append(line.factor)
                    line_term.append(-1)
                    line_stage.append(line.stage)
                line_position.append(position)
                line_flow.append(flow)
                line_group.append(flow.group)
                line_amount.append(value)
                line_unit.append(amount.unit)
    except Exception as exc:  # noqa: BLE001 - raised by _first_failure, unless a link before it fails first
        failure = (exc, position, flow)
    links = (np.array(link_position, dtype=np.intp), link_flow, link_source, link_amount, link_unit)
    if failure is not None:  # raised, or the first link's error before it (the links find their suppliers
        _link_entries(model, links, *_products_of(processes.values()), failure)  # among all the products)
    index = {k: i for i, k in enumerate(keys)}
    position = np.array(product_position, dtype=np.intp)
    # A key made twice (two processes whose names and products join up alike) is its last column, as index says.
    column = np.arange(len(keys)) if len(index) == len(keys) else np.array([index[k] for k in keys], dtype=np.intp)
    share = np.array(product_share, dtype=float)
    entries = _entries(len(processes), (position, column, share, np.array(product_amount, dtype=float)), links[0],
                       *_link_entries(model, links, index, product_unit, None))
    return System(keys, index, entries, allocation, lines.burden_lines(), list(processes), (position, column, share),
                  cutoffs)


def _entries(n_processes: int, products: tuple[np.ndarray, ...], link_position: np.ndarray, link_row: np.ndarray,
             link_amount: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A as (rows, columns, values): each product's own amount (process position, column, share, amount),
    and each supplier link once for each product of its process that has an allocation share, taking its
    amount times the share. In the pass's order, process by process, products first: the order in which
    SuperLU and numpy add up repeated entries, so the same sums to the last bit."""
    position, column, share, amount = products
    link, product = taking_products((position, column, share), n_processes, link_position)
    with np.errstate(all="ignore"):  # an overflow is inf, as it was: the solve refuses it
        taken = -link_amount[link] * share[product]
    order = np.argsort(np.concatenate((2 * position, 2 * link_position[link] + 1)), kind="stable")
    return (np.concatenate((column, link_row[link]))[order].astype(np.int64),
            np.concatenate((column, column[product]))[order].astype(np.int64),
            np.concatenate((amount, taken))[order])


def taking_products(products: tuple[np.ndarray, np.ndarray, np.ndarray], n_processes: int, positions: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """What the products of a process take of each of its items (links, lines) at `positions`: each item
    once per product with an allocation share, items in order, products in theirs. Returns (item, product),
    each an index, the product's into `products` (System.products: process position, column, share)."""
    position, _, share = products
    taking = np.flatnonzero(share != 0)  # process by process, in product order
    count = np.bincount(position[taking], minlength=n_processes)
    first = np.cumsum(count) - count
    per_item = count[positions]
    item = np.repeat(np.arange(len(positions)), per_item)
    nth = np.arange(len(item)) - np.repeat(np.cumsum(per_item) - per_item, per_item)  # the item's n-th product
    return item, taking[first[positions][item] + nth]


def _products_of(processes: Iterable[M.Process]) -> tuple[dict[str, int], list[str]]:
    """Each product's column by its key, and each column's product unit."""
    keys, units = [], []
    for process in processes:
        for product in process.products:
            keys.append(process.key(product.name))
            units.append(product.amount.unit)
    return {k: i for i, k in enumerate(keys)}, units


@dataclass
class _LineColumns:
    """The burden lines as _build_system gathers them, a list per column. `term_of` is the number of the
    line's terms (_line_terms: its factor's gases, or its emission's, in kg per unit of its amount and
    their GWP values) in `terms`, whose numbers numpy works out for all lines at once; -1 for a line
    _burden_line made, in `made`."""

    position: list[int] = field(default_factory=list)
    flow: list[M.Flow] = field(default_factory=list)
    stage: list[str] = field(default_factory=list)
    group: list[str | None] = field(default_factory=list)
    factor: list[str | None] = field(default_factory=list)
    amount: list[float] = field(default_factory=list)
    unit: list[str] = field(default_factory=list)
    term_of: list[int] = field(default_factory=list)
    terms: list[tuple] = field(default_factory=list)
    made: dict[int, BurdenLine] = field(default_factory=dict)

    def term(self, model: M.Model, key: tuple[str | None, str], gwp: M.GwpSet | None) -> tuple | None:
        """(factor name, the terms' number, the smallest amount from which no number of the line can underflow)
        for the lines of a factor (or an emission, `None`) in a unit; None when _burden_line must make them."""
        found = _line_terms(model, key, gwp)
        if found is None:
            return None
        factor_name, components = found
        self.terms.append(components)
        return factor_name, len(self.terms) - 1, _no_underflow_from(components)

    def burden_lines(self) -> BurdenLines:
        """The lines, their numbers per run worked out: each gas of each line an entry of the gas columns,
        in the line's order (its terms', or its BurdenLine's)."""
        term_of = np.array(self.term_of, dtype=np.intp)
        # The terms' gases one after the other: (gas, factor quantity, unit multiplier, GWP value) each,
        # 1.0 for an emission's quantity and CO2e's GWP value: x 1.0 leaves a number as it is, bit for bit.
        # A last stand-in term for the lines _burden_line made, whose numbers are put in below.
        flat = [component for components in self.terms for component in components] + [("", 1.0, 1.0, None)]
        gas_of = [gas for gas, _, _, _ in flat]
        quantity = np.array([1.0 if q is None else q for _, q, _, _ in flat], dtype=float)
        multiplier = np.array([m for _, _, m, _ in flat], dtype=float)
        gwp = np.array([1.0 if g is None else g for _, _, _, g in flat], dtype=float)
        term_size = np.array([len(components) for components in self.terms] + [0], dtype=np.intp)
        term_first = np.cumsum(term_size) - term_size
        count = term_size[term_of]  # (-1: the stand-in, of no gases)
        count[list(self.made)] = [len(line.gas_mass) for line in self.made.values()]
        first = np.cumsum(count) - count
        gas_line = np.repeat(np.arange(len(term_of)), count)
        of_term = term_of[gas_line] >= 0
        # Each entry's term: its line's terms' first, plus its place among the line's gases.
        component = np.where(of_term, term_first[term_of[gas_line]] + np.arange(len(gas_line)) - first[gas_line],
                             len(flat) - 1)
        with np.errstate(all="ignore"):  # an overflow is inf, as it was: compute refuses it at its line
            gas_mass = np.array(self.amount, dtype=float)[gas_line] * quantity[component] * multiplier[component]
            gas_co2e = gas_mass * gwp[component]
        gas = list(map(gas_of.__getitem__, component.tolist()))
        for i, line in self.made.items():
            entry = first[i]
            for name, mass in line.gas_mass.items():  # gas_co2e has the same gases, in the same order
                gas[entry], gas_mass[entry], gas_co2e[entry] = name, mass, line.gas_co2e[name]
                entry += 1
        # sum() of each line's gases: 0, plus each in order (bincount adds them so, from 0.0)
        co2e = np.bincount(gas_line, weights=gas_co2e, minlength=len(term_of))
        return BurdenLines(self.position, self.flow, self.stage, self.group, self.factor, self.amount, self.unit, co2e,
                           gas_line, gas, gas_mass, gas_co2e)


def _no_underflow_from(components: tuple) -> float:
    """The smallest amount (in size) from which none of the numbers a line of these terms makes (amount x
    quantity, x multiplier, x GWP value) can be 0 or a subnormal: from it on, _burden_line's underflow
    checks cannot fail. Worked out exactly, with a margin of 4 for the roundings, and rounded up."""
    bound = Fraction(0)
    for _, quantity, multiplier, gwp_factor in components:
        if quantity == 0:
            continue  # its numbers are all 0, which _burden_line does not refuse
        steps = ([] if quantity is None else [quantity]) + [multiplier] + ([] if gwp_factor is None else [gwp_factor])
        product = Fraction(1)
        for step in steps:
            if not step or not math.isfinite(step):
                return math.inf
            product *= abs(Fraction(step))
            bound = max(bound, 4 * Fraction(TINY) / product)
    try:
        return math.nextafter(float(bound), math.inf) if bound else 0.0
    except OverflowError:  # beyond the largest float: every line goes to _burden_line
        return math.inf


def _link_entries(model: M.Model, links: tuple, index: dict[str, int], product_units: list[str],
                  failure: tuple | None) -> tuple[np.ndarray, np.ndarray]:
    """Each supplier link's row (its supplier's column) and amount in its supplier's unit. A link whose
    supplier is unknown or whose unit does not convert to its supplier's raises its error as it did; the
    pass's `failure` (the exception, and where it was met) is raised here unless such a link came first."""
    _, _, source, value, unit = links
    rows = np.fromiter(map(index.get, source, repeat(-1)), dtype=np.intp, count=len(source))
    known = rows >= 0  # (a supplier that is not in the model: its KeyError at its link, below)
    # Each pair of units (the link's, its supplier's) converted once, the units numbered for numpy.
    number = {u: i for i, u in enumerate(dict.fromkeys(chain(product_units, unit)))}
    units = list(number)
    supplier_unit = np.fromiter(chain(map(number.__getitem__, product_units), [0]), dtype=np.intp,
                                count=len(product_units) + 1)  # (and a last one for the unknown suppliers)
    pair = (np.fromiter(map(number.__getitem__, unit), dtype=np.intp, count=len(unit)) * len(units)
            + supplier_unit[np.where(known, rows, -1)])
    pairs, codes = np.unique(pair, return_inverse=True)
    factors = []
    for code in pairs.tolist():
        try:
            factors.append(conversion_factor(units[code // len(units)], units[code % len(units)]))
        except Exception:  # noqa: BLE001 - raised at its link, below
            factors.append(math.nan)
    link_factors = np.array(factors, dtype=float)[codes]
    link_factors[~known] = math.nan
    failed = np.flatnonzero(np.isnan(link_factors))
    if len(failed) or failure is not None:
        _first_failure(model, links, failed[:1].tolist(), index, product_units, failure)
    with np.errstate(all="ignore"):
        return rows, np.array(value, dtype=float) * link_factors


def _first_failure(model: M.Model, links: tuple, failed: list[int], index: dict[str, int],
                   product_units: list[str], failure: tuple | None) -> None:
    """Raise what the pass over the flows met first: the first link whose supplier is unknown or whose
    unit does not convert to its supplier's, or the pass's own failure, whichever came first."""
    def place(position: int, flow: M.Flow | None) -> tuple[int, int]:
        flows = list(model.processes.values())[position].flows
        return position, -1 if flow is None else next(i for i, f in enumerate(flows) if f is flow)

    if failed:
        i = failed[0]
        position, flow, source, unit = int(links[0][i]), links[1][i], links[2][i], links[4][i]
        if failure is None or place(position, flow) < place(failure[1], failure[2]):
            conversion_factor(unit, product_units[index[source]])  # raises, as it did at this link
    raise failure[0]


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


def _process_runs(system: System, scaling: np.ndarray) -> list[float]:
    """How many times each process runs: its products' scalings weighted by their allocation shares,
    added up in product order as `sum` adds them."""
    process, column, share = system.products
    with np.errstate(all="ignore"):  # an overflow is inf, an E521 below
        weighted = scaling[column] * share
    n = len(system.processes)
    # One product: sum([w]) is 0 + w, which is what bincount adds (from 0.0, in order) on any Python.
    runs = np.bincount(process, weights=weighted, minlength=n).tolist()
    count = np.bincount(process, minlength=n)
    several = np.flatnonzero(count != 1)
    if len(several):
        # Several products, or none (0.0): sum itself, as Python >= 3.12 adds floats its own way.
        weighted = weighted.tolist()
        first = (np.cumsum(count) - count).tolist()
        for p in several.tolist():
            runs[p] = sum(weighted[first[p]:first[p] + count[p]], 0.0)
    return runs


def _contributions(lines: BurdenLines, names: list[str], runs: list[float], shown: dict[str, float]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, float], dict[str, float]]:
    """Each line's kg CO2e and amount per declared unit, each gas entry's kg CO2e, and the sums by gas
    (kg of the gas, kg CO2e); E521 at the first line that underflows or is not finite.

    Every line at once: numpy multiplies as Python does, number for number. An overflow becomes inf, an
    E521 at its line, without numpy's warning on stderr. (A function of its own, so that the arrays only
    these need go before the result's lines are made: 10 MB at 100k processes.)
    """
    gas_line = lines.gas_line
    with np.errstate(all="ignore"):
        line_runs = np.array(runs, dtype=float)[np.asarray(lines.process, dtype=np.intp)]
        co2e = np.asarray(lines.co2e, dtype=float)
        written = np.array(lines.amount, dtype=float)
        values = co2e * line_runs
        amounts = written * line_runs * np.fromiter(map(shown.__getitem__, lines.unit), dtype=float,
                                                    count=len(lines.unit))
        gas_runs = line_runs[gas_line]
        gas_masses = np.asarray(lines.gas_mass, dtype=float) * gas_runs
        gas_values = np.asarray(lines.gas_co2e, dtype=float) * gas_runs
    by_gas_mass, by_gas_value = _sums(lines.gas, gas_masses, gas_values)
    _require_representable(lines, names, values, amounts, co2e, written, line_runs, gas_masses, gas_values,
                           by_gas_mass)
    return values, amounts, gas_values, by_gas_mass, by_gas_value


def _sums(keys: Sequence[str], *weights: np.ndarray, start: Sequence[str] = ()) -> list[dict[str, float]]:
    """For each array of weights, each key's weights added up, the keys of `start` first (0.0 where they
    have none), then the others as they come: what `sums[key] = sums.get(key, 0.0) + weight` gives, weight
    by weight, as np.bincount adds each one in order to a sum that starts at 0.0."""
    code = {key: i for i, key in enumerate(dict.fromkeys(chain(start, keys)))}
    codes = np.fromiter(map(code.__getitem__, keys), dtype=np.intp, count=len(keys))
    return [dict(zip(code, np.bincount(codes, weights=w, minlength=len(code)).tolist())) for w in weights]


@np.errstate(all="ignore")  # inf and nan are what it looks for: not numpy's warnings on stderr
def _require_representable(lines: BurdenLines, names: list[str], values: np.ndarray, amounts: np.ndarray,
                           co2e: np.ndarray, written: np.ndarray, runs: np.ndarray, gas_masses: np.ndarray,
                           gas_values: np.ndarray, by_gas_mass: dict[str, float]) -> None:
    """E521 at the first line whose contribution has underflowed (E521 for a 0 or a subnormal made of
    non-zero numbers) or is not finite: its value, amount, gases, or a sum by gas once the line is in it."""
    # A value or amount of 0 (or a subnormal) from non-zero factors has underflowed.
    underflow = (((np.abs(values) < TINY) & (co2e != 0)) | ((np.abs(amounts) < TINY) & (written != 0))) & (runs != 0)
    # A sum that is inf or nan stays so: when the sums by gas are finite, every partial sum was.
    if not underflow.any() and all(math.isfinite(v) for v in by_gas_mass.values()) and np.isfinite(
            values).all() and np.isfinite(amounts).all() and np.isfinite(gas_values).all():
        return
    failed = underflow | ~np.isfinite(values) | ~np.isfinite(amounts)
    gas_line = np.asarray(lines.gas_line, dtype=np.intp)
    running = np.empty_like(gas_masses)  # each sum by gas after each of its entries, as the lines add to it
    gases = np.array(lines.gas, dtype=object)
    for gas in by_gas_mass:
        entries = np.flatnonzero(gases == gas)
        running[entries] = np.cumsum(gas_masses[entries])
    failed[gas_line[~np.isfinite(gas_values) | ~np.isfinite(running)]] = True
    i = int(np.flatnonzero(failed)[0])
    flow = lines.flow[i]
    what = f"the contribution of `{names[lines.process[i]]}.{flow.name}`"
    if underflow[i]:
        require_normal(what, flow)
    entries = gas_line == i
    require_finite([values[i], amounts[i], *gas_values[entries], *running[entries]], what,
                   flow.amount_span or flow.span)


def _flow_results(lines: BurdenLines, names: list[str], values: list[float], shares: list[float],
                  amounts: list[float], units: list[str], gas_line: np.ndarray, gas_values: np.ndarray
                  ) -> list[FlowResult]:
    """The result line of each burden line, in their order.

    Made without pydantic's validation, field by field: at 10k processes, validating the 34,000 lines and
    their amounts took 0.07 of compute's 0.40 s. What goes in has the fields' types already (str, None,
    float, dict of str to float); tests/test_cli_calc.py checks that pydantic would make the same records
    of them, and that every field is set.
    """
    # Nearly every line has one gas: its dict made with the line, the others' put in after. A line's gases
    # are the entries from `start` on; a line without gases points past them, to a stand-in.
    count = np.bincount(gas_line, minlength=len(values))
    start = np.cumsum(count) - count
    first = np.where(count > 0, start, len(gas_line)).tolist()
    first_gas = list(map([*lines.gas, None].__getitem__, first))
    first_value = np.append(gas_values, 0.0)[first].tolist()
    new = object.__new__
    results: list[FlowResult] = []
    add = results.append
    for process, flow, stage, group, factor, value, share, amount, unit_text, gas, gas_value in zip(
            map(names.__getitem__, lines.process), lines.flow, lines.stage, lines.group, lines.factor, values, shares,
            amounts, units, first_gas, first_value):
        out = new(AmountOut)
        out.value = amount
        out.unit = unit_text
        result = new(FlowResult)
        result.process = process
        result.flow = flow.name
        result.label = flow.label
        result.kind = flow.kind
        result.stage = stage
        result.group = group
        result.factor = factor
        result.amount = out
        result.value = value
        result.share = share
        result.gases = {gas: gas_value}
        add(result)
    others = count != 1
    for line in np.flatnonzero(others).tolist():
        results[line].gases = {}
    entries = np.flatnonzero(others[gas_line])
    for line, gas, value in zip(gas_line[entries].tolist(), map(lines.gas.__getitem__, entries.tolist()),
                                gas_values[entries].tolist()):
        results[line].gases[gas] = value
    return results


def largest_first(sizes: Sequence[float], key: Callable[[int], Any]) -> list[int]:
    """The positions of `sizes` in the order of `sorted(range(len(sizes)), key=lambda i: (-abs(sizes[i]), key(i)))`.

    numpy's stable sort on the size, then each run of equal sizes (-0.0 and 0.0 alike, as Python
    compares them) sorted by `key`, stably: the same order without a key tuple per item, which was
    most of the sort of the 340,000 result lines at 100k processes (0.05 s instead of 0.22). The
    result lines are ordered so, and rule C006 its small flows.
    """
    if len(sizes) < 2:
        return list(range(len(sizes)))
    size = -np.abs(np.asarray(sizes, dtype=float))
    order = np.argsort(size, kind="stable")
    ordered = size[order]
    same = ordered[1:] == ordered[:-1]  # where a size is the one before's, a run of them goes on
    order = order.tolist()
    if same.any():
        edges = np.flatnonzero(np.diff(np.concatenate(([False], same, [False])).astype(np.int8)))
        for start, end in zip(edges[0::2].tolist(), edges[1::2].tolist()):  # positions start .. end: one size
            order[start:end + 1] = sorted(order[start:end + 1], key=key)
    return order


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

    runs = _process_runs(system, scaling)
    names, lines, keys, cutoff_flows = system.processes, system.lines, system.keys, system.cutoffs
    del system  # its matrix, allocation and index (20 MB at 100k processes) go before the result is made
    # Each unit as a reader sees it, with a share folded in: 1.25 t, not 0.0125 t / %.
    shown, unit_text = {}, {}
    for u in set(lines.unit):
        shown[u], unit_text[u] = readable(u)
    values, amounts, gas_values, by_gas_mass, by_gas_value = _contributions(lines, names, runs, shown)
    process = np.asarray(lines.process, dtype=np.intp)
    value_list = values.tolist()
    total = sum(value_list)

    def share(v: float) -> float:
        # + 0.0: a zero line over a negative total is -0.0, which prints as "-0.00 %" and "-0.0" in JSON
        return v / total + 0.0 if total else 0.0

    def shares(v: np.ndarray) -> list[float]:  # share() of each, by numpy
        if not total:
            return [0.0] * len(v)
        with np.errstate(all="ignore"):
            return (v / total + 0.0).tolist()

    [by_stage] = _sums(lines.stage, values, start=[s.name for s in model.stages])
    grouped = [i for i, group in enumerate(lines.group) if group]
    [by_group] = _sums([lines.group[i] for i in grouped], values[grouped])
    process_values = np.bincount(process, weights=values, minlength=len(names))
    unordered = _flow_results(lines, names, value_list, shares(values), amounts.tolist(),
                              list(map(unit_text.__getitem__, lines.unit)), lines.gas_line, gas_values)
    flows = [unordered[i] for i in largest_first(values, lambda i: (unordered[i].process, unordered[i].flow))]
    cutoffs, cutoff_total = [], 0.0
    for position, flow in cutoff_flows:
        estimate = None
        if flow.estimate is not None:
            share_of_total, factor = _estimate_unit(flow.estimate.unit)
            if share_of_total:
                # A share of the footprint's size: a left-out input is a burden, so with removals larger
                # than the emissions (a negative total) it is not counted as a further removal.
                estimate = flow.estimate.value * factor * abs(total)
            else:
                estimate = flow.estimate.value * factor * runs[position]
            cutoff_total += estimate
        cutoffs.append({"process": names[position], "flow": flow.name, "reason": flow.cutoff_reason,
                        "estimate": estimate})
    require_finite([total, cutoff_total, *by_stage.values(), *process_values.tolist(), *by_gas_value.values(),
                    *by_group.values()], "the total", du.span)
    new = object.__new__
    by_process = {}
    for name, value, value_share in zip(names, process_values.tolist(), shares(process_values)):
        # made without validation, as the result lines are (_flow_results): 0.1 s for 100,000 processes
        by_process[name] = record = new(Share)
        record.value = value
        record.share = value_share
    result = Result(
        declared_unit=DeclaredUnitOut(amount=du.amount.value, unit=short(du.amount.unit), product=du.product,
                                      description=du.description, functional=du.functional),
        gwp_set=study.gwp,
        total=Share(value=total, share=1.0 if total else 0.0),
        by_stage={k: Share(value=v, share=share(v)) for k, v in by_stage.items()},
        by_process={},
        by_flow=[],
        by_gas={g: GasResult(mass=by_gas_mass[g], value=by_gas_value[g], share=share(by_gas_value[g]))
                for g in sorted(by_gas_value)},
        by_group={k: Share(value=v, share=share(v)) for k, v in sorted(by_group.items())},
        scaling={},
        runs={},
        cutoff=cutoffs,
        cutoff_estimate=cutoff_total,
    )
    # The fields with an entry per line, process or activity set as they are: validating them took 0.07 s
    # at 100k processes, and gave them back unchanged (records made as pydantic makes them, and Python
    # floats; tests/test_cli_calc.py checks both).
    result.by_process, result.by_flow = by_process, flows
    result.scaling, result.runs = dict(zip(keys, scaling.tolist())), dict(zip(names, runs))
    return result

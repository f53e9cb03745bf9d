"""Every product's footprint per unit of it, by stage: `pcf calc --all-products`.

A supplier with hundreds of products needs each one's footprint, not only the
declared unit's. That footprint is the burden vector times the inverse of the
technosphere matrix A, so all of them come from one factorisation of A
(compute's) and one solve with its transpose, where a demand per product would
take as many solves: the 10k benchmark model's 10,498 products in 0.8 s.

A module of its own, beside compute, so that the result classes (pydantic
builds their validators when they are defined) are made only by the command
that uses them, not at every `pcf check`'s start-up.
"""

from __future__ import annotations

import math
from itertools import chain
from typing import Annotated

import numpy as np
from pydantic import BaseModel, Field

from . import model as M
from .collector import collector_paused
from .compute import (KG_CO2E, RESULT_LINE, AmountOut, build_system, factorise, name_the_loops, require_finite,
                      require_productive, taking_products)
from .diagnostics import Diagnostic, PcfError
from .units import factor_or_none, short


@RESULT_LINE  # as compute's result lines: one slotted record per product (100,000 of them at 100k processes)
class ProductFootprint:
    product: Annotated[str, Field(description="activity key `process.product`")]
    label: str | None
    per: Annotated[AmountOut, Field(description="one unit of the product: the unit asked for (`--per`) where the "
                                                "product's unit converts to it, else the unit its amount is written in")]
    value: Annotated[float, Field(description="kg CO2e per `per`")]
    by_stage: Annotated[dict[str, float], Field(description="kg CO2e per `per`, every stage of the model in "
                                                            "life-cycle order")]


class ProductFootprints(BaseModel):
    """The footprint of one unit of every product of the model (`pcf calc --all-products --format json`).

    All from one factorisation of the technosphere and one solve with its
    transpose. Each value is what `pcf calc` gives as the total when the
    declared unit is one unit of that product: cradle to that product's gate,
    cut-off lines left out (their estimates are not added, as in `total`).
    """

    unit: str = KG_CO2E
    gwp_set: str | None
    products: list[ProductFootprint] = Field(description="every product of every process, in the model's order")


def product_footprints(model: M.Model, per: str | None = None) -> ProductFootprints:
    """The footprint of one unit of every product of the model, by stage, from one factorisation.

    Each is per one unit of the product as its amount is written (1 t, 1 kg, 1 MJ); with `per` (a unit
    pint knows), per one `per` of every product whose unit converts to it, so that a list of products
    written in t and in kg reads in one unit.
    """
    with collector_paused():
        return _product_footprints(model, per)


def _product_footprints(model: M.Model, per: str | None) -> ProductFootprints:
    system = build_system(model)
    index = system.index
    lines = system.lines
    # Each activity's own burden per unit of its scaling, by stage: a process's burden lines per run,
    # carried by its products in their allocation shares (compute's runs: scalings weighted by shares).
    # A stage the model does not list comes last, as in compute.
    stages = {name: i for i, name in enumerate(dict.fromkeys(chain((s.name for s in model.stages), lines.stage)))}
    line_stage = np.fromiter(map(stages.__getitem__, lines.stage), dtype=np.intp, count=len(lines.stage))
    _, column, share = system.products
    line, product = taking_products(system.products, len(system.processes), np.asarray(lines.process, dtype=np.intp))
    gwp = model.study.gwp if model.study else None
    if not system.keys:
        return ProductFootprints(gwp_set=gwp, products=[])
    burden = np.zeros((len(system.keys), len(stages)))
    with np.errstate(all="ignore"):  # as Python multiplied them: an overflow is inf, without a warning
        carried = np.asarray(lines.co2e, dtype=float)[line] * share[product]
    np.add.at(burden, (column[product], line_stage[line]), carried)
    try:
        factorisation = factorise(system)
        with np.errstate(all="ignore"):  # what is not finite is an error with a place, just below: not a warning
            footprints = factorisation.solve_transposed(burden)
            # Each product's demand: how many runs of all activities one unit of it needs in all.
            runs = factorisation.solve_transposed(np.ones(len(system.keys)))
        if not np.all(np.isfinite(runs)):
            # Not the burdens' size (that is E521, below) but the system: as solve_many decides for compute.
            raise PcfError(Diagnostic("E520", "the product system cannot be scaled to one unit of each product",
                                      None, help="check loops and zero product amounts"))
    except PcfError as exc:
        raise PcfError([name_the_loops(model, d) for d in exc.diagnostics]) from None
    # Negative for some product exactly when a loop takes more than it makes (an M-matrix's test):
    # its footprints would be numbers with the wrong sign.
    require_productive(model, system.keys, runs, "one unit of each product",
                       "one unit of `{key}` would need {value:.6g} runs in all")
    # Python floats from here on, as in compute: an overflow becomes inf, caught below as E521.
    by_stage = footprints.tolist()
    totals = [sum(row) for row in by_stage]
    names = list(stages)
    products: list[ProductFootprint] = []
    for name, process in model.processes.items():
        for flow in process.products:
            row = index[process.key(flow.name)]
            if not math.isfinite(totals[row]):
                require_finite(by_stage[row] + [totals[row]], f"the footprint of `{process.key(flow.name)}`",
                               flow.amount_span or flow.span)
            unit, total, stage_values = flow.amount.unit, totals[row], by_stage[row]
            factor = factor_or_none(unit, per) if per is not None else None
            if factor:  # one `unit` is `factor` of `per`: the footprint of one `per` is 1/factor of it
                unit, total, stage_values = per, total / factor, [v / factor for v in stage_values]
            products.append(ProductFootprint(product=process.key(flow.name), label=flow.label,
                                             per=AmountOut(value=1.0, unit=short(unit)),
                                             value=total, by_stage=dict(zip(names, stage_values))))
    return ProductFootprints(gwp_set=gwp, products=products)

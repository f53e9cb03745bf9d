"""A003: a physical or economic allocation has its basis, and stated shares follow from it."""

from __future__ import annotations

from functools import lru_cache

from ..units import Q
from .base import Clause, Docs, Finding, Param, Rule
from .common import above, convert, pct

RULE = Rule(
    code="A003",
    name="allocation-basis",
    default_severity="error",
    summary="The properties an allocation needs are present and agree with the stated shares.",
    summary_zh="分配所需的属性均已给出，且与所述分配比例一致。",
    clause=Clause("ISO 14044:2006", "4.3.4.2, allocation procedure: allocation reflects the stated physical "
                  "or economic relationship",
                  zh="4.3.4.2，分配程序：分配反映所述的物理关系或经济关系"),
    params=(
        Param("allocation.tolerance", 0.001, "How far the sum of the shares may be from 100 %.", "fraction"),
    ),
    docs=Docs(
        what=("`energy`, `physical` and `economic` allocation need a `property` for every product (the "
              "energy content, physical quantity or price per unit). `mass` allocation needs every product "
              "in a unit of mass. When the block also states `share` lines, each must equal the share "
              "computed from that basis within `allocation.tolerance`."),
        why=("Shares typed in by hand drift from the basis the report says they come from; the basis is "
             "what a verifier can check against plant records."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor grid = 0.6 kg CO2 / kWh

process casting {
  stage   production
  product billet 1 t
  product dross_alloy 0.25 t
  input   electricity 500 kWh from grid
  allocation mass {
    share billet 90 %
    share dross_alloy 10 %
    justification "both leave the same furnace"
  }
}
''',
        fix="State the property of every product, and shares that follow from it (or drop the shares).",
    ),
)


@lru_cache(maxsize=1024)
def _multiplied_units(amount_unit: str, property_unit: str):
    """The units pint gives an amount in `amount_unit` times a property in `property_unit`, when it
    multiplies the two values as they are; None when it would scale them or refuses (pint decides then)."""
    try:
        one = Q(1.0, amount_unit) * Q(1.0, property_unit)
    except Exception:  # noqa: BLE001 - whatever pint refuses, it refuses again in the general path
        return None
    return one.units if one.magnitude == 1.0 else None


def _basis_shares(process):
    """Shares from the method's basis, or (None, reason) when the basis is incomplete."""
    allocation = process.allocation
    if allocation.method == "mass":
        masses = {p.name: convert(p.amount.value, p.amount.unit, "kg") for p in process.products}
        missing = [name for name, m in masses.items() if m is None]
        if missing:
            return None, f"mass allocation needs every product in a unit of mass; not: {', '.join(missing)}"
        weights = masses
    else:
        missing = [p.name for p in process.products if p.name not in allocation.properties]
        if missing:
            return None, f"{allocation.method} allocation needs a `property` for {', '.join(missing)}"
        weights, unit = {}, None
        for p in process.products:
            prop = allocation.properties[p.name]
            units = _multiplied_units(p.amount.unit, prop.unit)
            if units is not None and (unit is None or units == unit):
                # What pint would give, the two values' product in `unit` with nothing to convert, without
                # its arithmetic per product (which made A003 cost 0.3 s at 100k processes).
                unit = unit or units
                weights[p.name] = float(p.amount.value * prop.value)
                continue
            weighted = p.amount.pint() * prop.pint()
            unit = unit or weighted.units
            if weighted.dimensionality != (1 * unit).dimensionality:
                return None, f"the {allocation.method} properties are not the same kind of quantity"
            weights[p.name] = float(weighted.to(unit).magnitude)
    total = sum(weights.values())
    return ({k: v / total for k, v in weights.items()} if total else None), "the basis adds up to zero"


def check(ctx):
    tolerance = ctx.param("allocation.tolerance")
    checked = 0
    for process in ctx.model.processes.values():
        allocation = process.allocation
        if allocation is None or allocation.method not in ("mass", "energy", "physical", "economic"):
            continue
        checked += 1
        path = ("process", process.name, "allocation")
        derived, reason = _basis_shares(process)
        if derived is None:
            yield Finding(path, f"`{process.name}`: {reason}", {"method": allocation.method})
            continue
        for name, stated in allocation.shares.items():
            if above(abs(stated - derived[name]), tolerance):
                yield Finding(path, f"`{process.name}` states {pct(stated)} for `{name}`, but its "
                              f"{allocation.method} basis gives {pct(derived[name])}",
                              {"product": name, "stated": stated, "from_basis": derived[name],
                               "tolerance": tolerance, "method": allocation.method})
    if not checked:
        ctx.not_applicable("no process allocates by mass, energy, physical properties or economic value")
    ctx.record(processes=checked)

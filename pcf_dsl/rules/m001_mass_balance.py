"""M001: per process, the mass that goes in comes out as products, wastes and declared losses."""

from __future__ import annotations

from ..units import factor_or_none
from .base import Clause, Docs, Finding, Param, Rule
from .common import above, pct

RULE = Rule(
    code="M001",
    name="mass-balance",
    default_severity="warning",
    summary="Per process, mass in equals products, wastes and losses within the tolerance.",
    summary_zh="每个过程输入的质量在允许偏差内等于产品、废弃物和损失之和。",
    clause=Clause("ISO 14044:2006", "4.3.3.2, validation of data: mass and energy balances",
                  zh="4.3.3.2，数据的确认：质量和能量平衡"),
    params=(
        Param("mass_balance.tolerance", 0.05, "Largest gap between mass in and mass out, as a share of the "
              "larger side.", "fraction"),
    ),
    docs=Docs(
        what=("For each process, adds the inputs given as a mass (cut-off ones included) and the "
              "products, wastes and `loss` lines given as a mass, and compares the two sides. Flows in "
              "other units (m3 of gas, kWh, t*km) and `emit` lines are not part of the balance; the "
              "finding counts them (`flows_not_in_mass`). An `emit` line is not mass out even when its "
              "amount is a mass: `emit ... 50 kg of fuel with FACTOR` is the activity its factor applies to, "
              "whose mass is already on the input side (or is the product a treatment process takes in), "
              "and a measured gas such as `emit ... 44 kg CO2` weighs in oxygen from the air. Mass that "
              "leaves as gas is declared with `loss` (burn-off). Processes with no mass on one side are "
              "skipped, and so are processes with a product not given as a mass (counted in items, or "
              "energy): its mass is unknown, so the balance cannot be drawn."),
        why=("An inventory that loses or creates mass has a missing flow, a unit slip or an unrecorded "
             "loss: melt losses, packaging that leaves with the product, water. The gap is evidence a "
             "verifier asks about."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor ingot = 17.6 t CO2e / t

process casting {
  stage   production
  product billet 1 t
  input   aluminium 1.3 t from ingot
}
''',
        fix=("Declare what leaves the process: `loss melt_loss 0.02 t`, `loss burn_off 50 kg` for a fuel "
             "burned on site, `waste dross 0.03 t to ...`, or "
             "correct the amounts. If the gap is explained elsewhere, waive it with the explanation."),
    ),
)


_UNSEEN = object()  # a unit not yet asked of the unit cache (None is its answer for "not a mass")


def check(ctx):
    tolerance = ctx.param("mass_balance.tolerance")
    balanced = 0
    product_not_mass = []  # processes skipped: a product in items or energy has a mass the model does not state
    # What one unit of each spelling is in kg (None: not a mass), asked of the unit cache once per spelling
    # rather than once per flow: the flows number 850,000 at 100k processes, their units a few dozen.
    to_kg: dict[str, float | None] = {}
    tolerance_text = pct(tolerance)  # the same in each of the findings (83,568 at 100k processes)
    for process in ctx.model.processes.values():
        # The four sides as plain floats, not a dict of them per process: 0.24 -> 0.18 s for the 780,000
        # flows at 100k processes. A flow is one of the five kinds of model.FlowKind.
        mass_in = products = wastes = losses = 0.0
        not_mass = 0
        unknown_output = False
        for flow in process.flows:
            kind = flow.kind
            if kind == "emit":
                not_mass += 1  # left out of the balance, said in the evidence (docs above)
                continue
            amount = flow.amount
            factor = to_kg.get(amount.unit, _UNSEEN)
            if factor is _UNSEEN:
                factor = to_kg[amount.unit] = factor_or_none(amount.unit, "kg")
            if factor is None:
                not_mass += 1
                unknown_output = unknown_output or kind == "product"
            elif kind == "input":
                mass_in += amount.value * factor
            elif kind == "product":
                products += amount.value * factor
            elif kind == "waste":
                wastes += amount.value * factor
            else:
                losses += amount.value * factor
        mass_out = products + wastes + losses
        if not mass_in or not mass_out:
            continue
        if unknown_output:
            # 1000 bottles and 0.6 kg of scrap out, 12.6 kg of resin in: not a 95 % gap to explain
            # with a loss, but a balance the model gives no numbers for.
            product_not_mass.append(process.name)
            continue
        balanced += 1
        gap = mass_in - mass_out
        relative = abs(gap) / max(mass_in, mass_out)
        if above(relative, tolerance):
            more = "more" if gap > 0 else "less"
            yield Finding(("process", process.name),
                          f"`{process.name}` takes {mass_in:.6g} kg in and puts {mass_out:.6g} kg out "
                          f"(products {products:.6g}, wastes {wastes:.6g}, losses "
                          f"{losses:.6g}): {abs(gap):.6g} kg {more} in than out, {pct(relative)} "
                          f"(tolerance {tolerance_text})",
                          {"mass_in_kg": mass_in, "mass_out_kg": mass_out, "products_kg": products,
                           "wastes_kg": wastes, "losses_kg": losses, "gap_kg": gap,
                           "relative_gap": relative, "tolerance": tolerance, "flows_not_in_mass": not_mass})
    if not balanced:
        ctx.not_applicable("no process has mass on both sides" if not product_not_mass else
                           f"no process can be balanced: {', '.join(product_not_mass)} make a product not "
                           "given as a mass (items, energy), the others have no mass on one side")
    ctx.record(processes_balanced=balanced, **({"product_not_in_mass": product_not_mass} if product_not_mass else {}))

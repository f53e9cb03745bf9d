"""B005: the reference flow matches the declared unit."""

from __future__ import annotations

import re

from ..compute import allocation_shares
from ..units import Q, is_unit, short
from .base import Clause, Docs, Finding, Rule

RULE = Rule(
    code="B005",
    name="reference-flow",
    default_severity="error",
    summary="The declared unit's product carries burden and its description states the same amount.",
    summary_zh="功能单位或声明单位所指产品承担排放，且其描述中的数量与该单位一致。",
    clause=Clause("ISO 14067:2018", "functional or declared unit and reference flow",
                  zh="功能单位或声明单位及基准流"),
    docs=Docs(
        what=("The builder already refuses a declared unit that names no product (E263) or a quantity of "
              "another kind than the product (E401). This rule checks what remains: the declared product "
              "gets a share of its process's burden greater than zero, and a description that begins "
              "with an amount (`\"1 t billet\"`) states the amount the declared unit computes."),
        why=("The declared unit is what every number is per. A description that says 1 t while the model "
             "computes 1 kg, or a reference product that its allocation gives no burden, makes every "
             "figure of the report wrong by the same factor."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet "1 t aluminium billet"
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor grid = 0.6 kg CO2 / kWh

process casting {
  stage   production
  product billet 1 t
  input   electricity 500 kWh from grid
}
''',
        fix=("Make the description state the declared amount (`declared_unit 1 t of casting.billet "
             "\"1 t billet\"`), and give the reference product an allocation share."),
    ),
)

_LEADING = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([^\W\d]\w*)")


def check(ctx):
    du = ctx.model.study.declared_unit
    process, product = ctx.model.activity(du.product)
    share = allocation_shares(process)[product.name]
    ctx.record(declared_unit=f"{du.amount.value:g} {short(du.amount.unit)}", product=du.product, allocation_share=share)
    if share <= 0:
        yield Finding(("study", "declared_unit"), f"the reference product `{du.product}` gets an allocation "
                      f"share of {share:.0%}: the footprint per {du.term} is zero",
                      {"product": du.product, "share": share},
                      help=f"give `{product.name}` its share of `{process.name}`'s burden in the allocation block")
    match = _LEADING.match(du.description or "")
    if match and is_unit(match.group(2)):
        stated = Q(float(match.group(1)), match.group(2))
        declared = du.amount.pint()
        same_kind = stated.dimensionality == declared.dimensionality
        if not same_kind or abs(float(stated.to(declared.units).magnitude) - du.amount.value) > 1e-9 * du.amount.value:
            yield Finding(("study", "declared_unit"), f"the {du.term} computes {du.amount.value:g} "
                          f"{short(du.amount.unit)} but its description says {match.group(1)} {match.group(2)}",
                          {"declared": du.amount.value, "declared_unit": du.amount.unit,
                           "described": float(match.group(1)), "described_unit": match.group(2)},
                          help=f"make the description and the {du.term}'s amount say the same")

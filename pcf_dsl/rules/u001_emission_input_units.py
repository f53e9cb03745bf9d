"""U001: an emission `of` an input is measured in the same kind of unit as that input."""

from __future__ import annotations

from ..units import dimensionality, short
from .base import Clause, Docs, Finding, Related, Rule
from .common import burned_inputs, flow_path

RULE = Rule(
    code="U001",
    name="emission-input-units",
    default_severity="error",
    summary="An `emit ... of INPUT` line measures the same kind of quantity as the input it burns.",
    summary_zh="`emit ... of INPUT` 行计量的量与其燃烧的输入属于同一类量。",
    clause=Clause("ISO 14067:2018", "life cycle inventory analysis: data validated, units consistent",
                  zh="生命周期清单分析：数据经确认，单位一致"),
    docs=Docs(
        what=("The builder checks the units of every link (an input against its supplier's product, an "
              "amount against its factor, the declared unit against its product) and reports a mismatch "
              "as E401; those errors are shown by `pcf check` with the findings of the rules. This rule "
              "adds the one link the builder cannot judge alone: `emit X AMOUNT of INPUT` names the input "
              "it burns, so its amount must be the same kind of quantity (volume, mass, energy) as the "
              "input's."),
        why=("A combustion line in kWh for a fuel bought in m3 is computed without complaint but cannot "
             "be checked against the purchase: one of the two numbers is probably in the wrong unit."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor gas_supply     = 0.07 kg CO2e / m3
factor gas_combustion = 0.2 kg CO2 / kWh

process casting {
  stage   production
  product billet 1 t
  input   natural_gas 150 m3 from gas_supply
  emit    gas_burned 1500 kWh of natural_gas with gas_combustion
}
''',
        fix=("State the emission's activity in the unit of the input (`155.4 m3 of natural_gas`) and use a "
             "factor per that unit, or convert with a parameter (`150 m3 * gas_lhv`)."),
    ),
)


def check(ctx):
    pairs = 0
    for process, flow, source in ctx.shared(burned_inputs, ctx.flows):
        pairs += 1
        if dimensionality(flow.amount.unit) != dimensionality(source.amount.unit):
            yield Finding(flow_path(process, flow, "amount"),
                          f"`{flow.name}` is {flow.amount_text}, but the input `{source.name}` it burns is "
                          f"{source.amount_text}: not the same kind of quantity",
                          {"emission_unit": short(flow.amount.unit), "input_unit": short(source.amount.unit)},
                          related=(Related(flow_path(process, source, "amount"), "the input"),))
    if not pairs:
        ctx.not_applicable("no `emit ... of INPUT` line")
    ctx.record(emissions_of_inputs=pairs)

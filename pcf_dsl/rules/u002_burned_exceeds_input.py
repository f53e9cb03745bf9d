"""U002: an emission `of` an input does not burn more than the input supplies."""

from __future__ import annotations

from ..units import factor_or_none, short
from .base import Clause, Docs, Finding, Related, Rule
from .common import burned_inputs, flow_path, half_unit

RULE = Rule(
    code="U002",
    name="burned-exceeds-input",
    default_severity="warning",
    summary="The activity of an `emit ... of INPUT` line is not larger than the input, beyond rounding.",
    summary_zh="`emit ... of INPUT` 行的活动数据不大于该输入（修约误差除外）。",
    clause=Clause("ISO 14067:2018", "life cycle inventory analysis: data validated (mass and energy balances)",
                  zh="生命周期清单分析：数据经确认（质量和能量平衡）"),
    docs=Docs(
        what=("Converts the amount of each `emit X AMOUNT of INPUT` to the input's unit and compares: the "
              "emission may not take more than the input brings in, allowing half a unit of the last "
              "printed digit of both numbers (0.00071 t covers 0.000705 to 0.000715 t)."),
        why=("Burning more fuel than was bought is usually a unit slip (kg for t) or a line per tonne next "
             "to one per kilogram; the combustion emission is then wrong by the same factor."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor diesel_supply     = 0.64 kg CO2e / kg
factor diesel_combustion = 3.44 kg CO2 / kg

process casting {
  stage   production
  product billet 1 t
  input   diesel 0.7 kg from diesel_supply
  emit    diesel_burned 7.0 kg of diesel with diesel_combustion
}
''',
        fix=("Correct whichever amount is wrong; if the process burns fuel from stock as well, model the "
             "stock as its own input."),
    ),
)


def check(ctx):
    pairs = 0
    for process, flow, source in ctx.shared(burned_inputs, ctx.flows):
        factor = factor_or_none(flow.amount.unit, source.amount.unit)  # what `convert` multiplies by
        if factor is None:
            continue  # U001 reports the units
        pairs += 1
        burned = flow.amount.value * factor
        # The rounding's slack is never below zero with a factor that is not: a line that burns no more
        # than the input supplies passes without it (two reads of the amounts as written by a regular
        # expression, for each of 30,553 lines at 100k processes).
        if burned <= source.amount.value and factor >= 0:
            continue
        slack = half_unit(source) + ((half_unit(flow) * factor) or 0.0)
        if burned > source.amount.value + slack:
            unit = short(source.amount.unit)
            yield Finding(flow_path(process, flow, "amount"),
                          f"`{flow.name}` burns {burned:.6g} {unit} of `{source.name}`, more than the "
                          f"{source.amount_text} the input supplies",
                          {"burned": burned, "supplied": source.amount.value, "unit": unit, "rounding": slack},
                          related=(Related(flow_path(process, source, "amount"), "the input"),))
    if not pairs:
        ctx.not_applicable("no `emit ... of INPUT` line in comparable units")
    ctx.record(emissions_of_inputs=pairs)

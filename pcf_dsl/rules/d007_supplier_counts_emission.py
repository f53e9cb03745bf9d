"""D007: an emission `of` an input is not already in the supplier process of that input."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Related, Rule
from .common import burned_inputs, flow_path

RULE = Rule(
    code="D007",
    name="supplier-counts-emission",
    default_severity="warning",
    summary="A flow's emission is not counted both by its supplier process and by a factor in its client.",
    summary_zh="流的排放不同时由其供应过程和使用方过程中的排放因子计算。",
    clause=Clause("ISO 14067:2018", "life cycle inventory analysis: each flow counted once (no double counting)",
                  zh="生命周期清单分析：每个流只计算一次（不重复计算）"),
    docs=Docs(
        what=("When an input comes `from` a supplier process and an `emit ... of` that input applies a "
              "factor, the supplier process must not apply the same factor itself: the supplier's product "
              "would then carry the emission, and the client add it again."),
        why=("A supplier dataset that already includes the use of its product (a fuel \"supplied and "
             "burned\") next to a combustion line in the client counts the combustion twice."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor gas_combustion = 1.95 kg CO2 / m3
factor gas_extraction = 0.07 kg CO2e / m3

process gas_supply {
  stage   raw_material_acquisition
  product gas 1 m3
  input   extraction 1 m3 from gas_extraction
  emit    burned 1 m3 of extraction with gas_combustion
}

process casting {
  stage   production
  product billet 1 t
  input   natural_gas 150 m3 from gas_supply
  emit    gas_burned 150 m3 of natural_gas with gas_combustion
}
''',
        fix=("Keep the emission in one place: in the supplier when its product is delivered burned, or "
             "in the client (and take a supply-only dataset for the supplier)."),
    ),
)


def check(ctx):
    linked = 0
    for process, flow, source in ctx.shared(burned_inputs, ctx.flows):
        if flow.source is None or source.source_kind != "process":
            continue
        linked += 1
        supplier, _ = ctx.model.activity(source.source)
        twin = next((f for f in supplier.flows if f.source_kind == "factor" and f.source == flow.source), None)
        if twin is not None:
            yield Finding(flow_path(process, flow, "source"),
                          f"`{process.name}.{flow.name}` applies `{flow.source}` to `{source.name}`, whose "
                          f"supplier `{supplier.name}` applies it too (`{twin.name}`): the emission may be "
                          "counted twice",
                          {"factor": flow.source, "supplier": supplier.name, "supplier_flow": twin.name},
                          related=(Related(flow_path(supplier, twin, "source"), "the supplier applies it here"),))
    if not linked:
        ctx.not_applicable("no emission of an input that comes from a supplier process")
    ctx.record(emissions_of_supplied_inputs=linked)

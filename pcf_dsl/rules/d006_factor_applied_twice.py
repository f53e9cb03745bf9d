"""D006: one factor is not applied twice to one physical flow."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Related, Rule
from .common import burned_inputs, flow_path

RULE = Rule(
    code="D006",
    name="factor-applied-twice",
    default_severity="error",
    summary="The same factor is not applied twice to the same physical flow.",
    summary_zh="同一排放因子不对同一物理流使用两次。",
    clause=Clause("ISO 14067:2018", "life cycle inventory analysis: each flow counted once (no double counting)",
                  zh="生命周期清单分析：每个流只计算一次（不重复计算）"),
    docs=Docs(
        what=("An input and an `emit ... of INPUT` line describe one physical flow. They may carry two "
              "different factors (supply chain and combustion: that is not double counting), but not the "
              "same factor twice: the input `from F` with an emission `of` it `with F`, or two emissions of "
              "one input with the same factor."),
        why="Applying one factor twice to one flow doubles its emissions in the result.",
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor gas_combustion = 1.95 kg CO2 / m3

process casting {
  stage   production
  product billet 1 t
  input   natural_gas 150 m3 from gas_combustion
  emit    gas_burned 150 m3 of natural_gas with gas_combustion
}
''',
        fix=("Keep one of the two lines; if the input needs a supply-chain burden as well, give it the "
             "supply-chain factor (`from gas_supply`) and keep the combustion factor on the emission."),
    ),
)


def check(ctx):
    pairs = 0
    seen: dict[tuple[str, str], str] = {}  # within one process: the lines come process by process
    seen_in = None
    for process, flow, source in ctx.shared(burned_inputs, ctx.flows):
        if flow.source is None:
            continue
        if process is not seen_in:
            seen, seen_in = {}, process
        pairs += 1
        if source.source_kind == "factor" and source.source == flow.source:
            yield Finding(flow_path(process, flow, "source"),
                          f"`{process.name}.{flow.name}` applies `{flow.source}` to `{source.name}`, which "
                          f"already comes `from {flow.source}`: the flow is counted twice",
                          {"factor": flow.source, "input": source.name, "emission": flow.name},
                          related=(Related(flow_path(process, source, "source"), "the input applies it here"),))
        key = (flow.of_input, flow.source)
        if key in seen:
            yield Finding(flow_path(process, flow, "source"),
                          f"`{process.name}.{flow.name}` and `{seen[key]}` both apply `{flow.source}` to "
                          f"`{flow.of_input}`: the flow is counted twice",
                          {"factor": flow.source, "input": flow.of_input, "emissions": [seen[key], flow.name]},
                          related=(Related(flow_path(process, seen[key], "source"), "first applied here"),))
        seen.setdefault(key, flow.name)
    if not pairs:
        ctx.not_applicable("no `emit ... of INPUT` line")
    ctx.record(emissions_of_inputs=pairs)

"""B003: every process is reachable from the reference product on the process graph."""

from __future__ import annotations

from ..graph import reference_process, suppliers, unreachable_processes
from .base import Clause, Docs, Finding, Rule

RULE = Rule(
    code="B003",
    name="unreachable-process",
    default_severity="warning",
    summary="Every process is upstream of the reference product (otherwise it adds nothing).",
    summary_zh="每个过程都在功能单位或声明单位所指产品的上游（否则对结果没有贡献）。",
    clause=Clause("ISO 14067:2018", "system boundary: the unit processes of the product system",
                  zh="系统边界：产品系统的单元过程"),
    docs=Docs(
        what=("Walks the process graph (supplier to client, a treatment process counting as the "
              "supplier of its client's waste) back from the process of the declared unit and reports "
              "every process it does not reach."),
        why=("A process nothing links to is not part of the product system: its inventory is silently "
             "left out of the result, which usually means a missing `from` or `to` link."),
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
  input   electricity 500 kWh from grid
}

process melting {             # casting never takes its melt
  stage   production
  product melt 1 t
  input   electricity 300 kWh from grid
}
''',
        fix=("Link the process to the system (`input NAME AMOUNT from PROCESS`, or `waste ... to "
             "PROCESS`), or remove it from the model."),
    ),
)


def check(ctx):
    reference = reference_process(ctx.model)
    unreachable = unreachable_processes(ctx.model, ctx.shared(suppliers, ctx.model))
    for name in unreachable:
        yield Finding(("process", name), f"the process `{name}` is not upstream of the reference product "
                      f"`{ctx.model.study.declared_unit.product}`: it adds nothing to the footprint",
                      {"process": name, "reference_process": reference})
    ctx.record(processes=len(ctx.model.processes), reachable=len(ctx.model.processes) - len(unreachable))

"""B004: every input and waste is resolved: linked, treated, or cut off with a recorded reason."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule
from .common import flow_path

RULE = Rule(
    code="B004",
    name="unresolved-flow",
    default_severity="error",
    summary="Every input is linked or cut off with a reason; every waste has a treatment.",
    summary_zh="每项输入都与过程关联，或按取舍准则舍去并说明理由；每项废弃物都有处理。",
    clause=Clause("ISO 14067:2018", "system boundary: inputs and outputs excluded by cut-off are stated with the reason",
                  zh="系统边界：说明按取舍准则舍去的输入和输出及其理由"),
    docs=Docs(
        what=("An input must come `from` a supplier process or an emission factor, or be marked "
              "`cutoff \"reason\"`; the builder refuses an input with neither (E330), and this rule asks "
              "that a cut-off states its reason. A waste must go `to` a treatment process or be treated "
              "`with` a factor: a waste with neither is a burden nobody carries."),
        why=("Exclusions are only acceptable when they are recorded and justified; a silent cut-off or an "
             "untreated waste leaves emissions out without the reader knowing."),
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
  input   release_agent 2 kg cutoff
  waste   dross 0.02 t
}
''',
        fix=("Give the cut-off its reason (`cutoff \"below 0.1 % by mass, no factor available\"`) and an "
             "`estimate`; send the waste `to` a treatment process or `with` a treatment factor."),
    ),
)


def check(ctx):
    flows = 0
    for process, flow in ctx.flows.cut_or_waste:
        if flow.kind == "input" and flow.cutoff:
            flows += 1
            if not (flow.cutoff_reason or "").strip():
                yield Finding(flow_path(process, flow), f"the input `{process.name}.{flow.name}` is cut off "
                              "without a reason", {"flow": f"{process.name}.{flow.name}"},
                              help='record why: `cutoff "reason"` (and add `estimate` in its block)')
        elif flow.kind == "waste":
            flows += 1
            if flow.source is None:
                yield Finding(flow_path(process, flow), f"the waste `{process.name}.{flow.name}` "
                              f"({flow.amount_text}) has no treatment: its burden is missing",
                              {"flow": f"{process.name}.{flow.name}", "amount": flow.amount.value,
                               "unit": flow.amount.unit},
                              help="send it `to` a treatment process, or apply a treatment factor `with` it")
    if not flows:
        ctx.not_applicable("no cut-off inputs and no wastes")
    ctx.record(cutoff_inputs_and_wastes=flows)

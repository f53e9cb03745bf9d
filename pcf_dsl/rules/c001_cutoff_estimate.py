"""C001: every cut-off input carries an estimate of what leaving it out removes."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule
from .common import cutoff_flows, flow_path

RULE = Rule(
    code="C001",
    name="cutoff-estimate",
    default_severity="error",
    summary="Every cut-off input states an estimate of its emissions.",
    summary_zh="每项舍去的输入都给出其排放的估计值。",
    clause=Clause("ISO 14067:2018", "cut-off criteria: the effect of the exclusions is assessed and stated",
                  zh="取舍准则：评价并说明舍去的影响"),
    docs=Docs(
        what=("Every input marked `cutoff` must have an `estimate` in its block: kg CO2e per run of its "
              "process (`estimate 0.4 kg CO2e`) or a share of the total (`estimate 0.1 %`)."),
        why=("A cut-off is justified by its size. Without an estimate nobody can show that the flow is "
             "under the per-flow threshold, nor add the exclusions up against the cumulative one."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate
cutoff {
  per_flow 1 %
}

factor grid = 0.6 kg CO2 / kWh

process casting {
  stage   production
  product billet 1 t
  input   electricity 500 kWh from grid
  input   release_agent 2 kg cutoff "no factor available"
}
''',
        fix=("Add `estimate` to the cut-off input's block, from a proxy factor or a screening value: "
             "`input release_agent 2 kg cutoff \"no factor\" { estimate 4 kg CO2e }`."),
    ),
)


def check(ctx):
    cut = ctx.shared(cutoff_flows, ctx.model, ctx.result)
    if not cut:
        ctx.not_applicable("no input is cut off")
        return
    missing = 0
    for process, flow in cut:
        if flow.estimate is None:
            missing += 1
            yield Finding(flow_path(process, flow), f"the cut-off input `{process.name}.{flow.name}` has no estimate",
                          {"flow": f"{process.name}.{flow.name}", "amount": flow.amount.value, "unit": flow.amount.unit})
    ctx.record(cutoff_flows=len(cut), with_estimate=len(cut) - missing)

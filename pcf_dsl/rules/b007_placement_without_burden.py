"""B007: `stage` and `group` are set on lines that have a burden of their own to place."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule
from .common import flow_path

RULE = Rule(
    code="B007",
    name="placement-without-burden",
    default_severity="warning",
    summary="`stage` and `group` are set on lines with a burden of their own, where they take effect.",
    summary_zh="`stage` 和 `group` 只写在自身有排放的行上，在那里才起作用。",
    clause=Clause("ISO 14067:2018", "CFP study report: results by life-cycle stage, each emission and removal "
                                    "in the stage where it occurs",
                  zh="产品碳足迹研究报告：按生命周期阶段的结果，每项排放和清除计入其发生的阶段"),
    docs=Docs(
        what=("Reports every `stage` or `group` written on a line that has no burden of its own: an input "
              "`from` a supplier process, a waste `to` a treatment process, a product or a loss. The burden "
              "of a supplier's product is carried by the supplier's own lines, in their stages and groups; "
              "the results by stage and by group cannot follow the line's `stage` or `group`, so they are "
              "not applied. Cut-off lines are not reported: the cut-off rules read their stage."),
        why=("The model says one thing and the results another: a purchased part's burden that the model "
             "places in raw material acquisition is computed in the supplier's stage, and a stage or group "
             "claim is compared with that number, while the line reads as though it were placed."),
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
  input   melt 1 t from melting {
    stage raw_material_acquisition   # melting's burden stays in production
  }
}

process melting {
  stage   production
  product melt 1 t
  input   electricity 300 kWh from grid
}
''',
        fix=("Set the stage in the supplier process (`stage raw_material_acquisition` in `melting`), or "
             "the group on the supplier's own lines, and drop it from this line. A claim of one supplier's "
             "whole burden is a `claim process`."),
    ),
)


def check(ctx):
    placed = 0
    for process, flow in ctx.flows.placed:
        if (flow.stage is None and flow.group is None) or flow.cutoff:
            continue
        placed += 1
        if flow.kind in ("product", "loss"):
            why = f"a {flow.kind} has no burden of its own"
            supplier = None
        elif flow.source_kind == "process":
            supplier = flow.source.rpartition(".")[0]
            why = (f"the treatment process `{supplier}` carries the burden of the waste, in its own lines"
                   if flow.kind == "waste" else
                   f"the supplier process `{supplier}` carries its burden, in its own lines")
        else:
            continue
        named = [(k, v) for k, v in (("stage", flow.stage), ("group", flow.group)) if v]
        written = " and ".join(f"`{k} {v}`" for k, v in named)
        if supplier is None:
            fix = (f"drop the line's {' and '.join(f'`{k}`' for k, _ in named)}: the process's own stage "
                   "places its burden")
        else:
            fix = "; ".join(
                ([f"set `stage {flow.stage}` in the process `{supplier}` (and in its suppliers) instead of on "
                  "this line"] if flow.stage else []) +
                ([f"put `group {flow.group}` on the lines of `{supplier}` (and of its suppliers) instead of on "
                  f"this line, or claim the process: `claim process {supplier} = ...`"] if flow.group else []))
        yield Finding(flow_path(process, flow), f"{written} on `{process.name}.{flow.name}` "
                      f"{'are' if len(named) > 1 else 'is'} not applied "
                      f"to the results: {why}",
                      {"stage": flow.stage, "group": flow.group, "supplier": supplier}, help=fix)
    if not placed:
        ctx.not_applicable("no line names a stage or group of its own")
    ctx.record(placed_lines=placed)

"""B001: every process, and every flow reported in a stage of its own, sits in a stage the boundary includes."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule
from .common import flow_path, kg

RULE = Rule(
    code="B001",
    name="stage-in-boundary",
    default_severity="error",
    summary="Every process and flow belongs to a life-cycle stage the boundary includes.",
    summary_zh="每个过程和流都属于系统边界包括的生命周期阶段。",
    clause=Clause("ISO 14067:2018", "system boundary: the life-cycle stages and unit processes included",
                  zh="系统边界：包括的生命周期阶段和单元过程"),
    docs=Docs(
        what=("Each process's `stage`, and the `stage` a flow is reported in when it differs from its "
              "process's, must be a stage the `boundary` includes. A stage the boundary excludes, or does "
              "not mention at all, is reported with the process's contribution."),
        why=("A footprint is only comparable with its stated boundary: a cradle-to-gate result that "
             "carries distribution emissions, or a stage nobody decided on, misstates what was assessed."),
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

process delivery {
  stage   distribution        # excluded by cradle_to_gate
  product shipped 1 t
  input   fuel 20 kWh from grid
}
''',
        fix=("Move the process to an included stage, include its stage in the `boundary` (with the "
             "consequences for the claim), or remove it. A stage the boundary does not mention needs "
             "an `include` or an `exclude \"reason\"` line."),
    ),
)


def check(ctx):
    model, result = ctx.model, ctx.result
    if model.boundary is None:
        yield Finding(("study",), "the model declares no system boundary",
                      help="add `boundary cradle_to_gate` (or a block that includes and excludes each stage)")
        return
    checked = 0
    # model.stage by name, as a dict (the first of a name): it searches the stages, once per process.
    stages = {s.name: s for s in reversed(model.stages)}
    placed, at = ctx.flows.placed, 0  # the lines with a stage (or a group) of their own, in model order
    for process in model.processes.values():
        checked += 1
        stage = stages.get(process.stage)
        if not stage.included:
            state = "excludes" if stage.included is False else "does not mention"
            value = result.by_process[process.name].value
            yield Finding(("process", process.name), f"the process `{process.name}` is in the stage "
                          f"`{stage.name}`, which the boundary {state} ({kg(value)} per {model.study.declared_unit.term})",
                          {"stage": stage.name, "included": stage.included, "value": value})
        while at < len(placed) and placed[at][0] is process:  # this process's, the next ones in `placed`
            flow = placed[at][1]
            at += 1
            if flow.stage is None or flow.stage == process.stage:
                continue
            if not flow.cutoff and (flow.kind in ("product", "loss") or flow.source_kind == "process"):
                continue  # no burden of its own: its stage is not applied (B007 says so), so no stage to judge

            flow_stage = stages.get(flow.stage)
            if not flow_stage.included:
                state = "excludes" if flow_stage.included is False else "does not mention"
                yield Finding(flow_path(process, flow), f"`{process.name}.{flow.name}` is reported in the stage "
                              f"`{flow_stage.name}`, which the boundary {state}",
                              {"stage": flow_stage.name, "included": flow_stage.included},
                              help=f"report the flow in an included stage, or settle `{flow_stage.name}` in the "
                                   "boundary (`include` it, or `exclude` it with a reason and drop the flow)")
    ctx.record(processes=checked, included_stages=[s.name for s in model.stages if s.included])

"""B002: a stage the boundary excludes contributes nothing to the footprint."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule
from .common import kg, pct

RULE = Rule(
    code="B002",
    name="excluded-stage-contributes",
    default_severity="error",
    summary="A stage the boundary excludes adds nothing to the result.",
    summary_zh="系统边界不包括的阶段对结果没有贡献。",
    clause=Clause("ISO 14067:2018", "system boundary: excluded life-cycle stages and the reasons for excluding them",
                  zh="系统边界：不包括的生命周期阶段及不包括的理由"),
    docs=Docs(
        what=("Adds up the computed result of every stage the boundary excludes and reports each one "
              "that is not zero, with its kg CO2e per declared unit and share of the total."),
        why=("An excluded stage that still carries emissions makes the total disagree with the boundary "
             "the report states: the reader is told the stage is out, but its emissions are in."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary custom {
  include production
  exclude distribution "sold ex works"
}

factor grid = 0.6 kg CO2 / kWh
factor truck = 0.1 kg CO2e / (t*km)

process casting {
  stage   production
  product billet 1 t
  input   electricity 500 kWh from grid
  input   delivery 100 t*km from truck {
    stage distribution
  }
}
''',
        fix=("Remove the flows reported in the excluded stage, or include the stage in the boundary "
             "and say so in the study."),
    ),
)


def check(ctx):
    excluded = [s for s in ctx.model.stages if s.included is False]
    if not excluded:
        ctx.not_applicable("the boundary excludes no stage")
        return
    total = ctx.result.total.value
    for stage in excluded:
        value = ctx.result.by_stage.get(stage.name)
        if value is not None and value.value != 0:
            yield Finding(("boundary", stage.name), f"the excluded stage `{stage.name}` contributes "
                          f"{kg(value.value)} per {ctx.model.study.declared_unit.term} ({pct(value.share)} of the total)",
                          {"stage": stage.name, "value": value.value, "share": value.share, "total": total})
    ctx.record(excluded_stages=[s.name for s in excluded])

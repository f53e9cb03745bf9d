"""B006: stage names used in claims agree with the boundary."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule
from .common import kg

RULE = Rule(
    code="B006",
    name="claim-stage-in-boundary",
    default_severity="error",
    summary="A claimed stage result names a stage the boundary includes.",
    summary_zh="声明的阶段结果所指的阶段包括在系统边界内。",
    clause=Clause("ISO 14067:2018", "CFP study report: results by life-cycle stage within the system boundary",
                  zh="产品碳足迹研究报告：系统边界内按生命周期阶段的结果"),
    docs=Docs(
        what=("Every `claim stage NAME = ...` must name a stage the boundary includes. (An unknown stage "
              "name is refused by the builder, E251.)"),
        why=("A report that states a result for a stage its boundary excludes, or never decided on, "
             "contradicts its own scope; the verifier cannot tell which of the two is wrong."),
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

claim stage use = 0.00 kg CO2e
''',
        fix="Remove the claim, or include the stage in the boundary (and model it).",
    ),
)


def check(ctx):
    stage_claims = [(i, c) for i, c in enumerate(ctx.model.claims) if c.target == "stage"]
    if not stage_claims:
        ctx.not_applicable("no stage claims")
        return
    for index, claim in stage_claims:
        stage = ctx.model.stage(claim.subject)
        if not stage.included:
            state = "excludes" if stage.included is False else "does not mention"
            yield Finding(("claim", str(index)), f"the claim names the stage `{stage.name}`, which the boundary "
                          f"{state} (claimed {kg(claim.value)})",
                          {"stage": stage.name, "included": stage.included, "claimed": claim.value})
    ctx.record(stage_claims=len(stage_claims))

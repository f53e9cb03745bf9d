"""Q003: a claimed data-quality score is the one the model's scores give."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule
from ..quality import quality_level, weighted_quality

RULE = Rule(
    code="Q003",
    name="quality-claim",
    default_severity="error",
    summary="`claim quality` equals the computed weighted score at its printed precision.",
    summary_zh="`claim quality` 按其所写精度等于计算的加权分值。",
    clause=Clause("ISO 14067:2018", "data quality: assessment of the data used, reported in the CFP study report",
                  zh="数据质量：所用数据的评价，在产品碳足迹研究报告中报告"),
    docs=Docs(
        what=("Compares `claim quality = X` with the score Q001 computes: a claim printed with d decimals "
              "matches when the computed score is within half a unit of its last digit. The finding gives "
              "both scores and both levels."),
        why=("A stated data-quality score that the scored inventory does not reproduce is unverifiable: "
             "either the per-line scores or the claim is wrong."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor grid = 0.6 kg CO2 / kWh

process casting {
  stage   production
  quality activity=periodic factor=national calibration=accepted
  product billet 1 t
  input   electricity 500 kWh from grid
}

claim quality = 3.15
''',
        fix=("Score the lines as the report's assessment did (`quality` per flow), or correct the claimed "
             "score."),
    ),
)


def check(ctx):
    claims = [(i, c) for i, c in enumerate(ctx.model.claims) if c.target == "quality"]
    if not claims:
        ctx.not_applicable("the model claims no data-quality score")
        return
    quality = ctx.shared(weighted_quality, ctx.model, ctx.result)
    for index, claim in claims:
        if quality["score"] is None:
            yield Finding(("claim", str(index)), f"the model claims a data quality of {claim.text}, but no line "
                          "has quality scores", {"claimed": claim.value, "computed": None})
            continue
        difference = quality["score"] - claim.value
        if abs(difference) > claim.resolution / 2 + 1e-9:
            yield Finding(("claim", str(index)), f"the claimed data quality {claim.text} (level "
                          f"{quality_level(claim.value)}) is not the {quality['score']:.2f} (level "
                          f"{quality['level']}) the model's scores give",
                          {"claimed": claim.value, "claimed_level": quality_level(claim.value),
                           "computed": quality["score"], "computed_level": quality["level"],
                           "difference": difference, "printed_rounding": claim.resolution / 2})
    ctx.record(claimed=[c.value for _, c in claims], computed=quality["score"])

"""R002: a claimed result disagrees with the computed one beyond rounding (but immaterially)."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Param, Rule
from .common import claim_comparisons, claim_label, claimed_text, kg

RULE = Rule(
    code="R002",
    name="claim-rounding",
    default_severity="warning",
    summary="A claimed result is not the computed one rounded to the printed digits.",
    summary_zh="声明的结果不是计算结果按所写位数修约后的值。",
    clause=Clause("ISO 14067:2018", "CFP study report: the quantified CFP and results by stage, "
                  "reproducible from the inventory",
                  zh="产品碳足迹研究报告：量化的产品碳足迹及各阶段结果，可由清单复现"),
    params=(
        Param("claims.materiality", 0.05, "A claim off by more than this share of the computed total is a "
              "material misstatement.", "fraction"),
    ),
    docs=Docs(
        what=("A claim printed with d decimals matches when the computed value is within half a unit of its "
              "last digit (`10.81` covers 10.805 to 10.815), widened by what rounding the printed activity "
              "amounts of its lines can move the result (a report may compute from unrounded data). A claim "
              "outside that, but by less than the materiality threshold, is reported here; a larger gap is "
              "R001."),
        why=("Small disagreements are often transcription slips or figures from an older version of the "
             "inventory. They are not material, but a verifier lists them and the report should be "
             "corrected."),
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

claim total = 0.31 kg CO2e
''',
        fix="Correct the claimed figure to the computed one at the printed precision, or find the slip in the model.",
    ),
)


def check(ctx):
    materiality = ctx.param("claims.materiality")
    total = ctx.result.total.value
    compared = 0
    comparisons = ctx.shared(claim_comparisons, ctx.model, ctx.result)
    for index, (claim, comparison) in enumerate(zip(ctx.model.claims, comparisons)):
        if comparison is None:  # a quality claim
            continue
        compared += 1
        gap = abs(comparison["difference"])
        if comparison["tolerance"] < gap <= materiality * abs(total):
            yield Finding(("claim", str(index)), f"the claimed {claim_label(claim)} of {claimed_text(claim)} is not "
                          f"the computed {kg(comparison['computed'])} at its printed precision (off by "
                          f"{kg(comparison['difference'])}, allowed {kg(comparison['tolerance'])})",
                          {**comparison, "total": total, "materiality": materiality})
    if not compared:
        ctx.not_applicable("the model makes no result claims")
    ctx.record(claims_compared=compared)

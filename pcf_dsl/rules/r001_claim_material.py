"""R001: a claimed result differs from the computed one by more than the materiality threshold."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Param, Rule
from .common import claim_comparisons, claim_label, claimed_text, kg, pct

RULE = Rule(
    code="R001",
    name="claim-material",
    default_severity="error",
    summary="A claimed result differs from the computed one by more than the materiality threshold.",
    summary_zh="声明的结果与计算结果之差超过实质性阈值。",
    clause=Clause("ISO 14067:2018", "CFP study report: the quantified CFP and results by stage, "
                  "reproducible from the inventory",
                  zh="产品碳足迹研究报告：量化的产品碳足迹及各阶段结果，可由清单复现"),
    params=(
        Param("claims.materiality", 0.05, "A claim off by more than this share of the computed total is a "
              "material misstatement.", "fraction"),
    ),
    docs=Docs(
        what=("Compares every `claim total`, `claim stage`, `claim process`, `claim flow` and `claim group` "
              "with the computed value. A claim that is outside its rounding (see R002) by more than "
              "`claims.materiality` times the computed total is reported here."),
        why=("A reported figure that the model does not reproduce by a material amount means the report "
             "and the inventory disagree: one of them is wrong, and the claim cannot be verified."),
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

claim total = 0.35 kg CO2e
''',
        fix=("Find which side is wrong: correct the model (a missing flow, a unit slip) or the claimed "
             "figure. The finding gives the computed value and the difference."),
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
        if gap > comparison["tolerance"] and gap > materiality * abs(total):
            yield Finding(("claim", str(index)), f"the claimed {claim_label(claim)} of {claimed_text(claim)} differs "
                          f"from the computed {kg(comparison['computed'])} by {kg(comparison['difference'])}, "
                          f"{pct(gap / abs(total) if total else None)} of the total (materiality "
                          f"{pct(materiality)})",
                          {**comparison, "total": total, "materiality": materiality})
    if not compared:
        ctx.not_applicable("the model makes no result claims")
    ctx.record(claims_compared=compared)

"""C004: the share of the estimated footprint that is modelled (coverage), reported."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule
from .common import estimated_total, kg, pct


def coverage(model, result) -> tuple[float, int, int]:
    """(modelled share of the estimated total, cut-off inputs, those without an estimate)."""
    missing = sum(1 for c in result.cutoff if c.estimate is None)
    total = estimated_total(result)
    # The result lists every cut-off flow of the model (as common.cutoff_flows reads it): counted there.
    return (abs(result.total.value) / total if total else 1.0), len(result.cutoff), missing


RULE = Rule(
    code="C004",
    name="coverage",
    default_severity="info",
    summary="Reports the coverage: the modelled share of the total with the cut-off estimates added back.",
    summary_zh="报告覆盖率：已建模部分占总量（加回舍去部分的估计值）的比例。",
    clause=Clause("ISO 14067:2018", "CFP study report: the effect of the cut-off criteria on the result",
                  zh="产品碳足迹研究报告：取舍准则对结果的影响"),
    docs=Docs(
        what=("Computes the coverage, the computed footprint divided by the footprint plus every cut-off "
              "estimate (its size when removals make it negative), and reports it with the number of cut-off inputs (and of those without an "
              "estimate, which make the coverage an upper bound)."),
        why=("Coverage is the number a reader and a verifier need to judge the exclusions as a whole; "
             "PAS 2050 asks for at least 95 % (C005)."),
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
  input   release_agent 2 kg cutoff "no factor available" {
    estimate 3 kg CO2e
  }
}
''',
        fix=("Nothing to fix: this is information for the report. To raise the coverage, model the "
             "largest cut-off inputs."),
    ),
)


def check(ctx):
    share, count, missing = ctx.shared(coverage, ctx.model, ctx.result)
    total = ctx.result.total.value
    estimates = ctx.result.cutoff_estimate
    upper = f"; {missing} without an estimate, so this is an upper bound" if missing else ""
    ctx.record(coverage=share)
    yield Finding(("cutoff",) if ctx.model.cutoff else ("study",),
                  f"coverage {pct(share)}: {kg(total)} modelled, {kg(estimates)} estimated for {count} cut-off "
                  f"input{'s' if count != 1 else ''}{upper}",
                  {"coverage": share, "modelled": total, "cutoff_estimate": estimates, "cutoff_flows": count,
                   "without_estimate": missing})

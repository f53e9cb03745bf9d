"""Q001: the weighted three-criteria data-quality score of the footprint, reported."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule
from .common import pct
from ..quality import weighted_quality

RULE = Rule(
    code="Q001",
    name="data-quality-score",
    default_severity="info",
    summary="Reports the share-weighted data-quality score (activity, factor, calibration) and its level.",
    summary_zh="报告按贡献加权的数据质量分值（活动数据、排放因子、仪表校准）及其精准度级别。",
    clause=Clause("ISO 14067:2018", "data quality: assessment of the data used",
                  zh="数据质量：所用数据的评价"),
    docs=Docs(
        what=("Scores each burden line as the mean of its activity, factor and calibration scores "
              "(`quality` on the flow; each criterion it leaves out comes from its process's `quality`), "
              "weights the lines by the size of their contribution (its absolute value over the sum of all "
              "lines' absolute values: a removal does not cancel a source; the share of the total when no "
              "line is negative) and adds them up, as the reference report does. Level 1 above 5.0, 2 from "
              "4.0 to 5.0, 3 from 3.0 to 4.0, 4 from 2.0 to 3.0, 5 below 2.0. Lines without all three "
              "scores are left out and the share of the absolute contributions the score covers is given."),
        why=("The data-quality level tells the reader how far to trust the figure, and standards and "
             "programmes ask for it (PACT: data quality indicators)."),
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
''',
        fix=("Nothing to fix: this is information. To raise the level, replace the largest lines' "
             "secondary data with measured or supplier-specific data."),
    ),
)


def check(ctx):
    quality = ctx.shared(weighted_quality, ctx.model, ctx.result)
    if quality["score"] is None:
        ctx.not_applicable("no burden line has all three quality scores")
        return
    ctx.record(score=quality["score"], level=quality["level"], scored_share=quality["scored_share"])
    unscored = len(quality["unscored"])
    tail = f"; {unscored} line{'s' if unscored != 1 else ''} without scores left out" if unscored else ""
    yield Finding(("study",), f"data quality {quality['score']:.2f}, level {quality['level']} "
                  f"(covering {pct(quality['scored_share'])} of the lines' absolute contributions{tail})",
                  {"score": quality["score"], "level": quality["level"], "scored_share": quality["scored_share"],
                   "unscored_lines": [f"{p}.{f}" for p, f, _ in quality["unscored"]]})

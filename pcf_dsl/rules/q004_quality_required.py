"""Q004: every line above the profile's share threshold has data-quality scores."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Param, Rule
from .common import flow_path, pct
from ..quality import line_quality

RULE = Rule(
    code="Q004",
    name="quality-required",
    default_severity="warning",
    summary="Lines contributing more than `quality.required_above` of the total have all three quality scores.",
    summary_zh="贡献超过总量 `quality.required_above` 的行都有全部三项质量评分。",
    clause=Clause("PACT Methodology v3", "4.2.3, data quality indicators: the weighted average of all inputs",
                  zh="4.2.3，数据质量指标：全部输入的加权平均值"),
    params=(
        Param("quality.required_above", None, "Share of the total above which a line must be scored; unset: "
              "no requirement.", "fraction"),
    ),
    docs=Docs(
        what=("Every burden line whose share of the total exceeds `quality.required_above` must have an "
              "activity, a factor and a calibration score (its own or its process's)."),
        why=("A footprint is as reliable as the data of its contributions. PACT v3 rates data quality as "
             "the weighted average of all inputs (Technical Specifications v3, `dqi`, required from 2027), so "
             "its profile scores every contributing line (`quality.required_above = 0 %`, a warning until "
             "2027); PACT v2 rated only the inputs above 5 % of the PCF."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc
import "std:profiles/pact_v3.pcf" as pact

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

profile exchange {
  extends pact.pact_v3
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
}
''',
        fix="Score the line: `quality activity=... factor=... calibration=...` in its block or on its process.",
    ),
)


def check(ctx):
    threshold = ctx.param("quality.required_above")
    if threshold is None:
        ctx.not_applicable("the profile requires no data-quality scores")
        return
    # "required above 0.00 %" reads as a threshold; at 0 (PACT v3) the requirement is every contributing line
    required = "every contributing line must be scored" if threshold == 0 else f"required above {pct(threshold)}"
    above = 0
    for line in ctx.result.by_flow:
        if abs(line.share) <= threshold:
            continue
        above += 1
        process = ctx.model.processes[line.process]
        flow = process.flow(line.flow)
        if line_quality(process, flow) is None:
            yield Finding(flow_path(process, flow), f"`{line.process}.{line.flow}` is {pct(line.share)} of the "
                          f"total but has no complete data-quality score ({required})",
                          {"share": line.share, "threshold": threshold})
    ctx.record(lines_above=above, threshold=threshold)

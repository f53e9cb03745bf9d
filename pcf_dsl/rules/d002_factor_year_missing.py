"""D002: every emission factor the model applies states its year."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule
from .common import factor_uses

RULE = Rule(
    code="D002",
    name="factor-year-missing",
    default_severity="info",
    summary="An applied emission factor states no `year`, so its age cannot be checked.",
    summary_zh="所用排放因子未注明 `year`，无法检查其年份。",
    clause=Clause("ISO 14067:2018", "data quality: time-related coverage",
                  zh="数据质量：时间跨度"),
    docs=Docs(
        what="Lists every factor that a flow applies and that has no `year` line.",
        why=("Without a year, D001 cannot tell whether the factor represents the reference period, and "
             "the data-quality assessment has nothing to go on."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  period        2024-01-01 to 2024-12-31
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor grid = 0.6 kg CO2 / kWh {
  source "national grid factor"
}

process casting {
  stage   production
  product billet 1 t
  input   electricity 500 kWh from grid
}
''',
        fix="Add `year YYYY` to the factor's block (the year the factor represents, or its database release).",
    ),
)


def check(ctx):
    uses = ctx.shared(factor_uses, ctx.model)
    if not uses:
        ctx.not_applicable("no emission factor is applied")
        return
    missing = 0
    for name, flows in uses.items():
        if ctx.model.factors[name].year is None:
            missing += 1
            yield Finding(("factor", name), f"the factor `{name}` states no year (applied by {len(flows)} "
                          f"flow{'s' if len(flows) != 1 else ''})", {"factor": name, "applied_by": len(flows)})
    ctx.record(factors=len(uses), without_year=missing)

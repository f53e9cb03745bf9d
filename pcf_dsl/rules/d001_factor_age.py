"""D001: emission factors are not much older than the study's reference period."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Param, Rule
from .common import factor_uses

RULE = Rule(
    code="D001",
    name="factor-age",
    default_severity="warning",
    summary="An emission factor's year is not more than `data.max_factor_age` years before the reference period.",
    summary_zh="排放因子的年份早于时间范围不超过 `data.max_factor_age` 年。",
    clause=Clause("ISO 14067:2018", "data quality: time-related coverage",
                  zh="数据质量：时间跨度"),
    params=(
        Param("data.max_factor_age", 10, "Years a factor may be older than the start of the reference period.",
              "number"),
    ),
    docs=Docs(
        what=("For every factor the model applies that states a `year`, compares it with the first year "
              "of the study's `period`; a factor more than `data.max_factor_age` years older is reported. "
              "Factors without a year are D002."),
        why=("Grids, processes and databases change: an old factor may no longer represent the technology "
             "of the reference year, which the data-quality assessment has to say."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  period        2024-01-01 to 2024-12-31
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor grid = 0.9 kg CO2 / kWh {
  year 2005
}

process casting {
  stage   production
  product billet 1 t
  input   electricity 500 kWh from grid
}
''',
        fix=("Use a factor for (or closer to) the reference period, or keep it and explain in the "
             "data-quality assessment, with a waiver that says why it still represents the process."),
    ),
)


def check(ctx):
    study = ctx.model.study
    if study.period_start is None:
        ctx.not_applicable("the study states no reference period")
        return
    max_age = ctx.param("data.max_factor_age")
    reference = study.period_start.year
    dated = 0
    for name in ctx.shared(factor_uses, ctx.model):
        factor = ctx.model.factors[name]
        if factor.year is None:
            continue
        dated += 1
        age = reference - factor.year
        if max_age is not None and age > max_age:
            yield Finding(("factor", name), f"the factor `{name}` is from {factor.year}, {age} years before the "
                          f"reference period ({reference}; at most {max_age:g} allowed)",
                          {"factor_year": factor.year, "reference_year": reference, "age": age,
                           "max_age": max_age})
    ctx.record(reference_year=reference, dated_factors=dated)

"""D003: an emission factor's geography covers the geography of the process that applies it."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Related, Rule
from .common import factor_uses, flow_path, geography_contains, process_geography

RULE = Rule(
    code="D003",
    name="factor-geography",
    default_severity="warning",
    summary="A factor's geography contains the process's (CN covers CN-JS; GLO covers all).",
    summary_zh="排放因子的地域范围包含过程所在地（CN 包含 CN-JS；GLO 包含全部）。",
    clause=Clause("ISO 14067:2018", "data quality: geographical coverage",
                  zh="数据质量：地域广度"),
    docs=Docs(
        what=("For each flow that applies a factor with a `geography`, compares it with the process's "
              "`geography` (or the study's): the factor's region must equal or contain it. `GLO`, `RoW` "
              "and `WORLD` contain every region; `CN` contains `CN-JS`. Factors or processes without a "
              "geography are counted, not reported."),
        why=("A factor for another country (a US scrap factor in a Chinese plant, another grid mix) "
             "represents other technology and energy; the data-quality assessment has to account for it."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  geography     CN-JS
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor grid = 0.4 kg CO2 / kWh {
  geography US
}

process casting {
  stage   production
  product billet 1 t
  input   electricity 500 kWh from grid
}
''',
        fix=("Use a factor for the process's region, or a wider one that contains it; if none exists, keep "
             "the proxy and waive the finding with the reason (and score the factor's quality accordingly)."),
    ),
)


def check(ctx):
    compared = unknown = 0
    for name, flows in ctx.shared(factor_uses, ctx.model).items():
        factor = ctx.model.factors[name]
        if factor.geography is None:
            unknown += len(flows)  # nothing to compare any of its uses with
            continue
        for process, flow in flows:
            where = process_geography(ctx.model, process)
            if where is None:
                unknown += 1
                continue
            compared += 1
            if not geography_contains(factor.geography, where):
                yield Finding(flow_path(process, flow, "source"),
                              f"`{process.name}.{flow.name}` applies `{name}` ({factor.geography}) in a process "
                              f"located in {where}",
                              {"factor": name, "factor_geography": factor.geography, "process_geography": where},
                              related=(Related(("factor", name), "the factor"),))
    if not compared and not unknown:
        ctx.not_applicable("no emission factor is applied")
    ctx.record(compared=compared, without_geography=unknown)

"""C005: the coverage reaches the minimum the standard requires."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Param, Rule
from .c004_coverage import coverage
from .common import below, pct

RULE = Rule(
    code="C005",
    name="minimum-coverage",
    default_severity="error",
    summary="The modelled share of the estimated total reaches the profile's minimum coverage.",
    summary_zh="已建模部分占估计总量的比例达到规则集规定的最低覆盖率。",
    clause=Clause("PAS 2050:2011", "at least 95 % of the anticipated life-cycle GHG emissions are assessed",
                  zh="至少评价预期的生命周期温室气体排放的 95 %"),
    params=(
        Param("cutoff.min_coverage", None, "Smallest coverage (modelled / (modelled + cut-off estimates)) "
              "the standard accepts; unset: no minimum.", "fraction"),
    ),
    docs=Docs(
        what=("Compares the coverage C004 reports with the profile's `cutoff.min_coverage` (PAS 2050: "
              "95 %). Cut-off inputs without an estimate count as zero, so the coverage is an upper bound "
              "when C001 also fires."),
        why=("A footprint that leaves out more than the standard allows cannot claim conformity with it, "
             "however small each exclusion is."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc
import "std:profiles/pas_2050_2011.pcf" as pas

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

profile strict {
  extends pas.pas_2050_2011
}

boundary cradle_to_gate

factor grid = 0.6 kg CO2 / kWh

process casting {
  stage   production
  product billet 1 t
  input   electricity 500 kWh from grid
  input   release_agent 2 kg cutoff "no factor available" {
    estimate 30 kg CO2e
  }
}
''',
        fix="Model cut-off inputs, largest estimate first, until the coverage reaches the minimum.",
    ),
)


def check(ctx):
    minimum = ctx.param("cutoff.min_coverage")
    if minimum is None:
        ctx.not_applicable("the profile sets no minimum coverage")
        return
    share, count, missing = ctx.shared(coverage, ctx.model, ctx.result)
    ctx.record(coverage=share, minimum=minimum)
    if below(share, minimum):
        # The minimum is the profile's: its `set cutoff.min_coverage` line (the study states none).
        yield Finding(("cutoff", "min_coverage", "profile"),
                      f"the model covers {pct(share)} of the estimated total, less than the required {pct(minimum)}",
                      {"coverage": share, "minimum": minimum, "cutoff_flows": count, "without_estimate": missing})

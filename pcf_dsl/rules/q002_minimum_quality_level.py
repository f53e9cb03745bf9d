"""Q002: the data-quality level reaches the profile's minimum."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Param, Rule
from ..quality import weighted_quality

RULE = Rule(
    code="Q002",
    name="minimum-quality-level",
    default_severity="error",
    summary="The weighted data-quality level is at least as good as `quality.min_level`.",
    summary_zh="加权的数据质量级别不低于 `quality.min_level`。",
    clause=Clause("ISO 14067:2018", "data quality requirements stated in the scope of the study",
                  zh="研究范围中规定的数据质量要求"),
    params=(
        Param("quality.min_level", None, "The worst data-quality level accepted (1 best, 5 worst); unset: "
              "no minimum.", "number", bounds=(1, 5)),
    ),
    docs=Docs(
        what=("Compares the level Q001 computes with `quality.min_level`: with a minimum of 3, levels 4 "
              "and 5 fail."),
        why="A programme or customer that requires a quality level cannot accept a footprint below it.",
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc
import "std:profiles/iso_14067_2018.pcf" as iso

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

profile customer {
  extends iso.iso_14067_2018
  set quality.min_level = 3
}

boundary cradle_to_gate
cutoff {
  per_flow 1 %
}

factor grid = 0.6 kg CO2 / kWh

process casting {
  stage   production
  quality activity=estimated factor=international calibration=none
  product billet 1 t
  input   electricity 500 kWh from grid
}
''',
        fix="Improve the data of the lines with the largest shares first (measured activity, specific factors).",
    ),
)


def check(ctx):
    minimum = ctx.param("quality.min_level")
    if minimum is None:
        ctx.not_applicable("the profile sets no minimum data-quality level")
        return
    quality = ctx.shared(weighted_quality, ctx.model, ctx.result)
    if quality["score"] is None:
        yield Finding(("study",), f"no burden line has quality scores, so level {minimum:g} cannot be shown",
                      {"min_level": minimum, "level": None},
                      help="score the processes: `quality activity=periodic factor=national calibration=accepted`")
        return
    ctx.record(score=quality["score"], level=quality["level"], min_level=minimum)
    if quality["level"] > minimum:
        yield Finding(("study",), f"data quality {quality['score']:.2f} is level {quality['level']}; the "
                      f"profile requires level {minimum:g} or better",
                      {"score": quality["score"], "level": quality["level"], "min_level": minimum})

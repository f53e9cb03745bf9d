"""S001: every standard the study claims is checked by a profile."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule

RULE = Rule(
    code="S001",
    name="standard-profile",
    default_severity="warning",
    summary="Each claimed standard has a profile; a study that claims none is checked with the base profile.",
    summary_zh="每个声明的标准都有规则集；未声明标准的研究按基础规则集检查。",
    clause=Clause("pcf_dsl", "verification: a model is checked against the rules of the standards it claims",
                  zh="核查：按模型声明的标准的规则检查模型"),
    docs=Docs(
        what=("Reports a study with no `standard` line (it is checked with the shipped `base` profile) and "
              "every claimed standard that no shipped profile covers (the others are still checked)."),
        why=("The checklist is only as good as the profile behind it: a claimed standard without one "
             "means its specific requirements were not checked."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  standard      "ISO 14025"
  gwp           ipcc.ar6
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
        fix=("Write a profile for the standard (extend a shipped one: `profile mine { extends "
             "iso.iso_14067_2018 ... standard \"...\" }`) and pass it with `--profile`, or remove the claim."),
    ),
)


def check(ctx):
    selection = ctx.extra.get("selection")
    claimed = ctx.model.study.standards
    if selection is None:
        return
    chosen_by = ctx.profile.reason
    if not claimed and chosen_by == "the study claims no standard":
        yield Finding(("study",), "the study claims no standard: it is checked with the base profile only",
                      {"standards": []}, help='state it: `standard "ISO 14067:2018"` in the study block')
    for standard in selection.unmatched_standards:
        yield Finding(("study",), f"no shipped profile covers the claimed standard \"{standard}\"",
                      {"standard": standard})
    ctx.record(claimed=claimed, profile=ctx.profile.name, reason=chosen_by)

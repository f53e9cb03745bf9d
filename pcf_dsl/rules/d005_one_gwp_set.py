"""D005: one GWP set throughout: factors that name another IPCC assessment report are reported."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Related, Rule
from .common import assessment_reports, factor_uses, gwp_set_report

RULE = Rule(
    code="D005",
    name="one-gwp-set",
    default_severity="warning",
    summary="No applied factor says it was characterised with another IPCC assessment report than the study's.",
    summary_zh="所用排放因子均未注明其特征化采用与研究不同的 IPCC 评估报告。",
    clause=Clause("ISO 14067:2018", "impact assessment: one set of GWP100 values for the whole study",
                  zh="影响评价：整个研究采用同一套 GWP100 值"),
    docs=Docs(
        what=("A factor in CO2e was characterised by whoever published it. When an applied factor's label, "
              "source, dataset or notes name an IPCC assessment report (`AR5`, `Fifth Assessment Report`) "
              "other than the one of the study's `gwp` set, the two are mixed in one result."),
        why=("Mixing GWP sets makes the total neither the one nor the other; converting the factor (or "
             "choosing one published with the study's set) keeps the result consistent."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor ingot = 17.6 t CO2e / t {
  source "Regional database 2019, IPCC AR5 GWP100"
}

process casting {
  stage   production
  product billet 1 t
  input   aluminium 1 t from ingot
}
''',
        fix=("Use a factor characterised with the study's set (or per gas, so the study's set applies), "
             "or waive the finding with the size of the difference."),
    ),
)


def check(ctx):
    ours = gwp_set_report(ctx.model)
    if ours is None:
        ctx.not_applicable("the study's GWP set is not identified with an IPCC assessment report")
        return
    naming = 0
    for name in ctx.shared(factor_uses, ctx.model):
        factor = ctx.model.factors[name]
        found = assessment_reports(factor.label, factor.source, factor.dataset, *factor.notes)
        naming += bool(found)
        other = sorted(found - {ours})
        if other:
            yield Finding(("factor", name), f"the factor `{name}` names {', '.join(other)}, but the study "
                          f"characterises with {ours} (`{ctx.model.study.gwp}`)",
                          {"factor": name, "factor_reports": sorted(found), "study_report": ours},
                          related=(Related(("gwp_set", ctx.model.study.gwp), "the study's GWP set"),))
    ctx.record(study_report=ours, factors_naming_a_report=naming)

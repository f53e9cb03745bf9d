"""D004: the study characterises with a GWP set the profile accepts."""

from __future__ import annotations

import re

from .base import Clause, Docs, Finding, Param, Rule
from .common import gwp_set_report

ACCEPTED = r"ar\s?([1-9])"  # an assessment report in `gwp.accepted`, lower case: "ar5, ar6"

RULE = Rule(
    code="D004",
    name="gwp-set-required",
    default_severity="error",
    summary="The study names a GWP set, and it is one the profile accepts.",
    summary_zh="研究指定了 GWP 值集，且为规则集接受的版本。",
    clause=Clause("ISO 14067:2018", "impact assessment: GWP100 values given by the IPCC",
                  zh="影响评价：采用 IPCC 给出的 100 年全球增温潜势（GWP100）值"),
    params=(
        Param("gwp.accepted", None, "The IPCC assessment reports whose GWP100 sets the standard accepts, "
              "as text: \"ar6\" or \"ar5, ar6\". Unset: any.", "text", pattern=ACCEPTED),
    ),
    docs=Docs(
        what=("The study's `gwp` set is identified by its name (`ipcc.ar6` -> AR6) or, failing that, by the "
              "assessment report its label or source names, and compared with `gwp.accepted`. A study with "
              "no `gwp` line is reported whenever the profile names the sets it accepts: even if every "
              "factor is already in CO2e, the reader must know which GWP values they embody."),
        why=("Results computed with different GWP sets differ (methane: 28 in AR5, 29.8 fossil in AR6) and "
             "are not comparable; programmes such as PACT require the latest set."),
        example='''import "std:gwp/ipcc_ar5.pcf" as ipcc
import "std:profiles/pact_v3.pcf" as pact

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar5
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
        fix=("Name an accepted set in the study (`import \"std:gwp/ipcc_ar6.pcf\" as ipcc` and "
             "`gwp ipcc.ar6`), and make sure the CO2e factors embody the same values."),
    ),
)


def check(ctx):
    accepted_text = ctx.param("gwp.accepted")
    if not accepted_text:
        ctx.not_applicable("the profile accepts any GWP set")
        return
    accepted = sorted({f"AR{n}" for n in re.findall(ACCEPTED, accepted_text.lower())})
    study = ctx.model.study
    if study.gwp is None:
        yield Finding(("study",), f"the study names no GWP set; {ctx.profile.title} accepts {', '.join(accepted)}",
                      {"accepted": accepted, "gwp_set": None},
                      help=f"add `gwp ipcc.{accepted[-1].lower()}` to the study "
                           f"(import \"std:gwp/ipcc_{accepted[-1].lower()}.pcf\" as ipcc)")
        return
    report = gwp_set_report(ctx.model)
    ctx.record(gwp_set=study.gwp, assessment_report=report, accepted=accepted)
    if report not in accepted:
        what = report or "an unidentified assessment report"
        yield Finding(("study",), f"the study characterises with `{study.gwp}` ({what}); "
                      f"{ctx.profile.title} accepts {', '.join(accepted)}",
                      {"gwp_set": study.gwp, "assessment_report": report, "accepted": accepted})

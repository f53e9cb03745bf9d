"""W001: every waiver silences a finding; one that silences nothing is stale."""

from __future__ import annotations

from ..diagnostics import did_you_mean
from . import registry
from .base import Clause, Docs, Finding, Rule

RULE = Rule(
    code="W001",
    name="unused-waiver",
    default_severity="warning",
    summary="A `waive` line names a rule and subject that no finding matches.",
    summary_zh="`waive` 行所指的规则和对象没有匹配的发现。",
    clause=Clause("pcf_dsl", "waivers: a finding is silenced only by a justified waiver, and every waiver is shown",
                  zh="豁免：发现只能由说明理由的豁免消除，且每项豁免都予以列出"),
    docs=Docs(
        what=("After all other rules have run (under every profile checked), reports each `waive CODE "
              "[subject] \"justification\"` that silenced nothing, and each that names a code which is not "
              "a rule."),
        why=("A waiver outlives the problem it excused: left in place it would silence the next, different "
             "finding of the same rule without anyone reviewing it."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
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

waive M001 casting "melt losses are recorded in the plant's balance"
''',
        fix="Delete the waiver, or correct its code or subject so it names the finding it is meant for.",
    ),
)


def check(ctx):
    if not ctx.model.waivers:
        ctx.not_applicable("the model has no waivers")
        return
    used = ctx.extra.get("waivers_used", set())
    found = ctx.extra.get("codes_found", set())
    rules = registry()
    for index, waiver in enumerate(ctx.model.waivers):
        target = f"{waiver.code} {waiver.subject}" if waiver.subject else waiver.code
        if waiver.code not in rules:
            # `waive m001 ...`: codes are compared as written, so name the rule it was meant for
            # (not for a builder code: `E001` is no misspelt `A001`).
            near = None if waiver.code[:1] == "E" else did_you_mean(waiver.code, rules)
            yield Finding(("waiver", str(index), "code"), f"the waiver names `{waiver.code}`, which is not a rule",
                          {"code": waiver.code},
                          help=f"did you mean `{near}`? (`pcf rules` lists the codes)" if near else
                          "`pcf rules` lists the codes; builder errors (E...) cannot be waived, only fixed")
        elif index not in used:
            # Underline what names nothing, and say it: the subject when the rule found something
            # elsewhere, else the code (the rule found nothing to waive, whatever the subject).
            evidence = {"code": waiver.code, "subject": waiver.subject}
            if waiver.subject and waiver.code in found:
                subjects = sorted(ctx.extra.get("subjects_found", {}).get(waiver.code, ()))
                near = did_you_mean(waiver.subject, subjects)
                listed = ", ".join(f"`{s}`" for s in subjects[:5]) + (", ..." if len(subjects) > 5 else "")
                yield Finding(("waiver", str(index), "subject"),
                              f"the waiver `{target}` matches no finding: {waiver.code} reports nothing about "
                              f"`{waiver.subject}`", evidence,
                              help=f"did you mean `{waiver.code} {near}`?" if near else
                              f"{waiver.code}'s findings are about {listed}: correct the subject, or delete the waiver")
            else:
                profiles = ctx.extra["selection"].profiles if "selection" in ctx.extra else []
                off = bool(profiles) and all(p.severities.get(waiver.code, "off") == "off" for p in profiles)
                why = ("is off in the profiles checked" if off else "reports nothing in this model")
                yield Finding(("waiver", str(index), "code"), f"the waiver `{target}` matches no finding: "
                              f"{waiver.code} {why}", evidence)
    ctx.record(waivers=len(ctx.model.waivers), used=len(used))

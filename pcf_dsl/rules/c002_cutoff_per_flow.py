"""C002: every cut-off input is under the per-flow threshold."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Param, Rule
from .common import (MASS_AND_ENERGY, above, basis_amount, basis_words, cutoff_estimates, cutoff_flows, cutoff_thresholds,
                     estimated_total, flow_basis, flow_path, kg, pct)

RULE = Rule(
    code="C002",
    name="cutoff-per-flow",
    default_severity="error",
    summary="Each cut-off input is smaller than the per-flow cut-off threshold.",
    summary_zh="每项舍去的输入都小于单个流的取舍阈值。",
    clause=Clause("ISO 14067:2018", "cut-off criteria stated for the study and applied to each excluded flow",
                  zh="研究规定的取舍准则，适用于每个舍去的流"),
    params=(
        Param("cutoff.per_flow", None, "Largest share one excluded flow may have. The study's own `per_flow` "
              "applies too; the smaller of the two wins. Unset: the standard gives no number.", "fraction"),
        Param("cutoff.basis", None, "`emissions`, `mass`, `energy`, or `mass and energy` (each flow on the one "
              "its unit is, EN 15804); unset: the study's `basis`.", "text",
              choices=("emissions", "mass", "energy", MASS_AND_ENERGY)),
    ),
    docs=Docs(
        what=("On an `emissions` basis, each cut-off input's estimate is compared with the estimated "
              "total (the computed footprint plus all cut-off estimates; when removals make the footprint "
              "negative, its size, so that a burden left out is never a negative share). On a `mass` or "
              "`energy` basis, its amount is compared with all inputs of its unit process on that basis; "
              "on `mass and energy` (a profile's, EN 15804), with the inputs measured as it is. The "
              "threshold is the study's `per_flow`, or the profile's `cutoff.per_flow` when that is "
              "smaller."),
        why=("The cut-off criterion is what makes an exclusion acceptable; a flow above it must be "
             "modelled, or the result understates the footprint by more than the study admits."),
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
  input   release_agent 2 kg cutoff "no factor available" {
    estimate 30 kg CO2e
  }
}
''',
        fix=("Model the flow (link it to a factor or a supplier), or show with a better estimate that it "
             "is under the threshold."),
    ),
)


def check(ctx):
    cut = ctx.shared(cutoff_flows, ctx.model, ctx.result)
    limits = cutoff_thresholds(ctx.model, ctx.params)
    threshold, basis = limits["per_flow"], limits["basis"]
    if not cut:
        ctx.not_applicable("no input is cut off")
        return
    if threshold is None:
        ctx.not_applicable("neither the study nor the profile sets a per-flow threshold (see C007)")
        return
    ctx.record(threshold=threshold, basis=basis, cutoff_flows=len(cut))
    if basis == "emissions":
        estimates, total = cutoff_estimates(ctx.result), estimated_total(ctx.result)
        # the base is the size: say so when it is not the signed total a reader sees in the report
        base, why = (("the estimated total", "") if ctx.result.total.value >= 0 else
                     ("the estimated total's size", ": removals outweigh the emissions"))
        for process, flow in cut:
            estimate = estimates.get((process.name, flow.name))
            if estimate is None or not total:
                continue  # C001 reports the missing estimate
            share = estimate / total
            if above(share, threshold):
                yield Finding(flow_path(process, flow), f"the cut-off input `{process.name}.{flow.name}` is "
                              f"{pct(share)} of {base} ({kg(estimate)} of {kg(total)}{why}), above the "
                              f"per-flow threshold of {pct(threshold)}",
                              {"estimate": estimate, "estimated_total": total, "share": share,
                               "threshold": threshold, "basis": basis})
        return
    for process, flow in cut:
        own = flow_basis(flow, basis)
        amount = basis_amount(flow, own) if own else None
        if amount is None:
            # The study can change its own basis, not one the profile sets.
            other = "" if ctx.param("cutoff.basis") else ", or cut off on another basis"
            yield Finding(flow_path(process, flow), f"the cut-off input `{process.name}.{flow.name}` "
                          f"({flow.amount_text}) cannot be compared on a {basis} basis",
                          {"basis": basis, "unit": flow.amount.unit},
                          help=f"give its amount as {basis_words(basis)}{other}")
            continue
        inputs = [basis_amount(f, own) for f in process.flows if f.kind == "input"]
        whole = sum(a for a in inputs if a is not None)
        share = amount / whole if whole else 0.0
        if above(share, threshold):
            yield Finding(flow_path(process, flow), f"the cut-off input `{process.name}.{flow.name}` is "
                          f"{pct(share)} of the {own} input of `{process.name}`, above the per-flow "
                          f"threshold of {pct(threshold)}",
                          {"amount": amount, "process_input": whole, "share": share, "threshold": threshold,
                           "basis": own})

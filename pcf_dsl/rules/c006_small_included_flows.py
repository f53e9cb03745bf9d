"""C006: included flows under the per-flow threshold, listed as information."""

from __future__ import annotations

import numpy as np

from ..compute import largest_first
from .base import Clause, Docs, Finding, Rule
from .common import basis_amount, cutoff_thresholds, estimated_total, flow_basis, pct

RULE = Rule(
    code="C006",
    name="small-included-flows",
    default_severity="info",
    summary="Lists the modelled flows that are each under the per-flow cut-off threshold.",
    summary_zh="列出各自低于单个流取舍阈值的已建模流。",
    clause=Clause("ISO 14067:2018", "cut-off criteria: applied consistently to the flows of the study",
                  zh="取舍准则：一致地应用于研究的各个流"),
    docs=Docs(
        what=("Lists the modelled burden lines that are each below the per-flow threshold (on an "
              "`emissions` basis, their share of the estimated total; on `mass` or `energy`, an input's "
              "share of its unit process's inputs), with how many there are and their combined share."),
        why=("The cut-off rule is applied consistently when the verifier can see both sides: what was "
             "left out, and what was kept although it could have been. It also shows where effort on "
             "data is not worth spending."),
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
factor oil  = 3 kg CO2e / kg

process casting {
  stage   production
  product billet 1 t
  input   electricity 500 kWh from grid
  input   lubricant 0.5 kg from oil
}
''',
        fix=("Nothing to fix: this is information. If the study cuts flows off, these are the ones it "
             "could also have left out."),
    ),
)


def check(ctx):
    limits = cutoff_thresholds(ctx.model, ctx.params)
    threshold, basis = limits["per_flow"], limits["basis"]
    if threshold is None:
        ctx.not_applicable("no per-flow threshold is set")
        return
    if basis == "emissions":
        total = estimated_total(ctx.result)
        lines = ctx.result.by_flow
        # On an array: numpy divides and compares each line's value as Python does, and the sum below adds
        # the same shares in line order (340,000 lines at 100k processes, a fifth of a second as a loop).
        values = np.array([line.value for line in lines], dtype=float)
        shares = values / total if total else np.zeros(len(lines))
        picked = np.flatnonzero(np.abs(shares) < threshold).tolist()
        small_shares = shares[picked].tolist()
        small_names = [f"{lines[i].process}.{lines[i].flow}" for i in picked]
        unit_total = sum(small_shares)
    else:
        small_names, small_shares = [], []
        for process in ctx.model.processes.values():
            # Under "mass and energy" a flow is a share of the inputs measured on its own basis.
            inputs = {f.name: (own, basis_amount(f, own)) for f in process.flows if f.kind == "input" and not f.cutoff
                      for own in [flow_basis(f, basis)] if own}
            wholes: dict[str, float] = {}
            for own, amount in inputs.values():
                if amount is not None:
                    wholes[own] = wholes.get(own, 0.0) + amount
            for name, (own, amount) in inputs.items():
                whole = wholes.get(own)
                if amount is not None and whole and amount / whole < threshold:
                    small_names.append(f"{process.name}.{name}")
                    small_shares.append(amount / whole)
        unit_total = None
    ctx.record(threshold=threshold, basis=basis, small_flows=len(small_names))
    if not small_names:
        return
    names = [small_names[i] for i in largest_first(small_shares, small_names.__getitem__)]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    together = f", together {pct(unit_total)} of the estimated total" if unit_total is not None else ""
    # At the per-flow threshold these flows are measured against: the study's line or the profile's.
    yield Finding(limits["paths"]["per_flow"],
                  f"{len(names)} modelled flow{'s are each' if len(names) != 1 else ' is'} under the "
                  f"{pct(threshold)} per-flow threshold ({basis} basis){together}: {shown}",
                  {"count": len(names), "threshold": threshold, "basis": basis, "combined_share": unit_total,
                   "flows": names})

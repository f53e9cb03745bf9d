"""C003: all cut-off inputs together stay under the cumulative threshold."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Param, Rule
from .common import (MASS_AND_ENERGY, above, basis_amount, cutoff_estimates, cutoff_flows, cutoff_thresholds, flow_basis,
                     kg, pct)

RULE = Rule(
    code="C003",
    name="cutoff-cumulative",
    default_severity="error",
    summary="The cut-off inputs together are smaller than the cumulative threshold.",
    summary_zh="舍去的输入合计小于累计取舍阈值。",
    clause=Clause("ISO 14067:2018", "cut-off criteria stated for the study and the effect of all exclusions",
                  zh="研究规定的取舍准则及全部舍去的影响"),
    params=(
        Param("cutoff.cumulative", None, "Largest share all excluded flows together may have (the smaller "
              "of this and the study's `cumulative` applies). Unset: no number from the standard.", "fraction"),
        Param("cutoff.cumulative_scope", "total", "`total`: all exclusions against the whole footprint; "
              "`stage`: per life-cycle stage (EN 15804 modules).", "text", choices=("total", "stage")),
        Param("cutoff.basis", None, "`emissions`, `mass`, `energy`, or `mass and energy` (each flow on the one "
              "its unit is, EN 15804); unset: the study's `basis`.", "text",
              choices=("emissions", "mass", "energy", MASS_AND_ENERGY)),
    ),
    docs=Docs(
        what=("Adds up the cut-off inputs (their estimates on an `emissions` basis, their amounts per "
              "declared unit on a `mass` or `energy` basis) and compares the sum with the same total with "
              "the exclusions added back, for the whole footprint or for each stage "
              "(`cutoff.cumulative_scope`); on `mass and energy` the masses and the energies are two sums, "
              "each held to the threshold. On `mass` or `energy`, the total is what enters the system "
              "or the stage: an input from a process of the same stage (or, for the whole footprint, "
              "from any process) is already counted as that process's inputs. Inputs without an "
              "estimate cannot be added (C001 reports them); the finding says how many were left out."),
        why=("Many small exclusions can add up to a large one. Standards that allow per-flow cut-offs "
             "bound their sum (PACT: 5 % exempted; EN 15804: 5 % per module)."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate
cutoff {
  per_flow   1 %
  cumulative 1 %
}

factor grid = 0.6 kg CO2 / kWh

process casting {
  stage   production
  product billet 1 t
  input   electricity 500 kWh from grid
  input   release_agent 2 kg cutoff "no factor available" {
    estimate 2 kg CO2e
  }
  input   gloves 1 kg cutoff "no factor available" {
    estimate 2 kg CO2e
  }
}
''',
        fix="Model the largest cut-off inputs until the rest is under the cumulative threshold.",
    ),
)


def _stage(process, flow):
    return flow.stage or process.stage


def check(ctx):
    model, result = ctx.model, ctx.result
    cut = ctx.shared(cutoff_flows, model, result)
    limits = cutoff_thresholds(model, ctx.params)
    threshold, basis, scope = limits["cumulative"], limits["basis"], limits["scope"]
    if not cut:
        ctx.not_applicable("no input is cut off")
        return
    if threshold is None:
        ctx.not_applicable("neither the study nor the profile sets a cumulative threshold")
        return
    # Keyed by (stage or "total", basis): under "mass and energy" the masses and the energies of a
    # module are two sums, each with its own 5 %.
    excluded: dict[tuple[str, str], float] = {}
    whole: dict[tuple[str, str], float] = {}
    left_out = 0
    if basis == "emissions":
        estimates = cutoff_estimates(result)
        for process, flow in cut:
            estimate = estimates.get((process.name, flow.name))
            if estimate is None:
                left_out += 1
                continue
            key = (_stage(process, flow) if scope == "stage" else "total", basis)
            excluded[key] = excluded.get(key, 0.0) + estimate
        for key in excluded:
            base = result.by_stage[key[0]].value if scope == "stage" else result.total.value
            whole[key] = abs(base) + excluded[key]  # the size, as in estimated_total (a negative stage or total)
    else:
        for process in model.processes.values():
            runs = result.runs[process.name]
            for flow in process.flows:
                own = flow_basis(flow, basis) if flow.kind == "input" else None
                amount = basis_amount(flow, own) if own else None
                if amount is None:
                    left_out += int(flow.cutoff)
                    continue
                stage = _stage(process, flow) if scope == "stage" else "total"
                if flow.source_kind == "process" and not flow.cutoff and (
                        scope != "stage" or model.processes[flow.source.rpartition(".")[0]].stage == stage):
                    # Melt cast into billet in the same module: the ore that made it is counted already,
                    # and counting both would halve the share of what the module leaves out.
                    continue
                key = (stage, own)
                whole[key] = whole.get(key, 0.0) + amount * runs
                if flow.cutoff:
                    excluded[key] = excluded.get(key, 0.0) + amount * runs
    units = {"emissions": "kg CO2e", "mass": "kg", "energy": "MJ"}
    recorded: dict[str, float] = {}
    for (where, on), amount in excluded.items():
        recorded[where if basis != MASS_AND_ENERGY else f"{where} ({on})"] = amount
    ctx.record(threshold=threshold, basis=basis, scope=scope, excluded=recorded, not_counted=left_out)
    for key, amount in excluded.items():
        stage, on = key
        share = amount / whole[key] if whole[key] else 0.0
        if above(share, threshold):
            where = f"in the stage `{stage}`" if scope == "stage" else "in total"
            if basis == MASS_AND_ENERGY:
                where += f" (by {on})"
            note = f" ({left_out} cut-off input{'s' if left_out != 1 else ''} without an estimate not counted)" if left_out else ""
            amount_text = kg(amount) if on == "emissions" else f"{amount:.4g} {units[on]}"
            yield Finding(limits["paths"]["cumulative"], f"the cut-off inputs {where} are {pct(share)} ({amount_text} per "
                          f"{ctx.model.study.declared_unit.term}), above the cumulative threshold of {pct(threshold)}{note}",
                          {"excluded": amount, "whole": whole[key], "share": share, "threshold": threshold,
                           "basis": on, "scope": stage, "not_counted": left_out})

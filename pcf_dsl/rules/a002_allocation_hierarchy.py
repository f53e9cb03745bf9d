"""A002: allocation follows the ISO 14044 hierarchy, or the model says why not."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule

RULE = Rule(
    code="A002",
    name="allocation-hierarchy",
    default_severity="error",
    summary="Allocation is avoided first; physical or economic allocation comes with a justification.",
    summary_zh="首先避免分配；按物理关系或经济价值分配时说明理由。",
    clause=Clause("ISO 14044:2006", "4.3.4.2, allocation procedure: avoid allocation (subdivision, system "
                  "expansion), else physical relationships, else other relationships such as economic value",
                  zh="4.3.4.2，分配程序：先避免分配（过程细分、系统扩展），其次按物理关系分配，再次按其他关系（如经济价值）分配"),
    docs=Docs(
        what=("A process with several products, or with an `allocation` block, must use `subdivision` or "
              "`system_expansion`, or give a `justification` when it allocates by `mass`, `energy`, "
              "`physical` properties or `economic` value (economic allocation also needs to say why no "
              "physical relationship can be used). A multi-output process with method `none` fails."),
        why=("The standards rank the ways of sharing a burden because the lower ones are more arbitrary; "
             "a verifier needs the reason a higher one could not be used."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor grid = 0.6 kg CO2 / kWh

process casting {
  stage   production
  product billet 1 t
  product dross_alloy 0.2 t
  input   electricity 500 kWh from grid
  allocation economic {
    property billet 18000 CNY / t
    property dross_alloy 6000 CNY / t
  }
}
''',
        fix=("Subdivide the process or expand the system where possible; otherwise add "
             "`justification \"...\"` to the allocation block saying why the preferred method cannot be used."),
    ),
)

RANK = {"subdivision": 1, "system_expansion": 1, "mass": 2, "energy": 2, "physical": 2, "economic": 3, "none": 0}


def check(ctx):
    checked = 0
    # len(process.products) of each process, counted in the walk the rules share
    for process, made in zip(ctx.model.processes.values(), ctx.flows.products):
        allocation = process.allocation
        several = made > 1
        if allocation is None and not several:
            continue
        checked += 1
        path = ("process", process.name, "allocation") if allocation else ("process", process.name)
        method = allocation.method if allocation else "none"
        rank = RANK.get(method, 0)
        if method == "none" and several:
            yield Finding(path, f"`{process.name}` has {made} products and allocation `none`",
                          {"method": method, "products": made},
                          help="subdivide the process, expand the system, or allocate with a justification")
        elif rank >= 2 and not (allocation.justification or "").strip():
            preferred = "physical relationships" if method == "economic" else "subdivision or system expansion"
            yield Finding(path, f"`{process.name}` allocates by {method} without saying why {preferred} "
                          "cannot be used", {"method": method, "rank": rank, "products": made})
    if not checked:
        ctx.not_applicable("no process allocates")
    ctx.record(allocating_processes=checked)

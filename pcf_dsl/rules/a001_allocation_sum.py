"""A001: the allocation shares of a process add up to 100 %."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Param, Rule
from .common import above, pct

RULE = Rule(
    code="A001",
    name="allocation-sum",
    default_severity="error",
    summary="Explicit allocation shares of a process add up to 100 % within the tolerance.",
    summary_zh="过程明确给出的分配比例之和在允许偏差内等于 100 %。",
    clause=Clause("ISO 14044:2006", "4.3.4.2, allocation procedure: the sum of the allocated inputs and outputs "
                  "equals the unallocated ones",
                  zh="4.3.4.2，分配程序：分配后的输入和输出之和等于分配前的输入和输出"),
    params=(
        Param("allocation.tolerance", 0.001, "How far the sum of the shares may be from 100 %.", "fraction"),
    ),
    docs=Docs(
        what=("For every `allocation` block with `share` lines, adds the shares of all products of the "
              "process (a product without a share counts 0) and compares the sum with 100 %."),
        why=("Shares that add up to less than 100 % lose part of the process's burden; more than 100 % "
             "counts part of it twice."),
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
  allocation mass {
    share billet 80 %
    share dross_alloy 15 %
    justification "subdivision is impossible: both leave the same furnace"
  }
}
''',
        fix="Correct the shares so that they add up to 100 % (or state none and let the method compute them).",
    ),
)


def check(ctx):
    tolerance = ctx.param("allocation.tolerance")
    checked = 0
    for process in ctx.model.processes.values():
        allocation = process.allocation
        if allocation is None or not allocation.shares:
            continue
        checked += 1
        shares = {p.name: allocation.shares.get(p.name, 0.0) for p in process.products}
        total = sum(shares.values())
        if above(abs(total - 1.0), tolerance):
            yield Finding(("process", process.name, "allocation"), f"the allocation shares of `{process.name}` "
                          f"add up to {pct(total)}, not 100 % (tolerance {pct(tolerance)})",
                          {"sum": total, "tolerance": tolerance, "shares": shares})
    if not checked:
        ctx.not_applicable("no process states allocation shares")
    ctx.record(processes_with_shares=checked)

"""C007: the study states its cut-off criterion, no laxer than the standard's."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule
from .common import pct

RULE = Rule(
    code="C007",
    name="cutoff-criterion-stated",
    default_severity="error",
    summary="The study states a numeric cut-off criterion, and it is no laxer than the profile's.",
    summary_zh="研究规定了数值化的取舍准则，且不宽于规则集的要求。",
    clause=Clause("ISO 14067:2018", "cut-off criteria: stated in the scope of the study",
                  zh="取舍准则：在研究范围中规定"),
    docs=Docs(
        what=("The model needs a `cutoff` block with a `per_flow` or `cumulative` threshold. Where the "
              "profile sets a number (PAS 2050: 1 % per flow), the study's own may not exceed it. Where "
              "the standard sets none (ISO 14067, GB/T 24067), stating a criterion is the requirement, and "
              "C002/C003 then hold the model to it. The GHG Protocol Product Standard requires no criterion, "
              "only that exclusions be disclosed and justified: its profile makes C007 information."),
        why=("ISO 14067 leaves the number to the study but requires it to be stated and applied; a "
             "criterion that is not written down cannot be verified, and one laxer than the standard's "
             "does not meet it."),
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
  input   electricity 500 kWh from grid
}
''',
        fix=("State the criterion in a `cutoff` block, one item a line (`basis emissions`, `per_flow 1 %`, "
             "`cumulative 5 %`), within what the standard allows."),
    ),
)


def check(ctx):
    own = ctx.model.cutoff
    if own is None or (own.per_flow is None and own.cumulative is None):
        yield Finding(("cutoff",) if own else ("study",), "the study states no cut-off criterion",
                      {"per_flow": None, "cumulative": None},
                      # On lines of their own: a block is one item a line, and `cutoff { per_flow 1 % }` on one
                      # line, as this hint once said, is a syntax error.
                      help="add the threshold the study applies (a `cumulative` line too, if it has one):\n"
                           "cutoff {\n  per_flow 1 %\n}")
        return
    ctx.record(per_flow=own.per_flow, cumulative=own.cumulative, basis=own.basis)
    for key, label in (("per_flow", "per-flow"), ("cumulative", "cumulative")):
        stated, limit = getattr(own, key), ctx.param(f"cutoff.{key}")
        if stated is not None and limit is not None and stated > limit:
            yield Finding(("cutoff", key), f"the study's {label} cut-off of {pct(stated)} is laxer than the "
                          f"{pct(limit)} that {ctx.profile.title} allows",
                          {"stated": stated, "limit": limit})

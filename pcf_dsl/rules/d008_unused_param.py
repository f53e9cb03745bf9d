"""D008: every parameter the model declares is used in its result."""

from __future__ import annotations

from .base import Clause, Docs, Finding, Rule

RULE = Rule(
    code="D008",
    name="unused-param",
    default_severity="info",
    summary="Every parameter declared in the model is used (otherwise changing it changes nothing).",
    summary_zh="模型中声明的每个参数都被使用（否则修改它不会改变任何结果）。",
    clause=Clause("ISO 14067:2018", "principles: transparency (the data stated are the data the result is "
                                    "computed from)",
                  zh="原则：透明性（所列数据即计算结果所用的数据）"),
    docs=Docs(
        what=("Reports each `param` of the model's own file that no expression reads: no amount, factor, claim "
              "or profile setting names it, nor any parameter that is itself used. Parameters of imported "
              "files are not reported: a shared library is often used only in part."),
        why=("A parameter nothing reads looks like an input of the model: a practitioner who updates it "
             "(a new distance, a new yield) believes the result follows, and it does not. It is usually "
             "a value the amounts were meant to use but were written out by hand."),
        example='''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Example" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate

param melt_loss = 3 %

factor grid = 0.6 kg CO2 / kWh
factor ingot = 17.6 t CO2e / t

process casting {
  stage   production
  product billet 1 t
  input   aluminium 1.03 t from ingot     # written out: melt_loss is not used
  input   electricity 500 kWh from grid
}
''',
        fix=("Use the parameter where its value belongs (`input aluminium 1 t * (1 + melt_loss) from "
             "ingot`), or delete it."),
    ),
)


def check(ctx):
    model = ctx.model
    # Only the model's own parameters: an imported file's names are qualified (`lib.distance`).
    own = [key for key in model.params if "." not in key and key in model.param_users]
    if not own:
        ctx.not_applicable("the model declares no parameters")
        return
    # A parameter is used when an amount, a factor or a setting reads it ("" among its users), or a
    # used parameter does: one read only by an unused parameter changes nothing either.
    reads: dict[str, list[str]] = {}
    for key, users in model.param_users.items():
        for user in users:
            reads.setdefault(user, []).append(key)
    used: set[str] = set()
    stack = list(reads.get("", ()))
    while stack:
        key = stack.pop()
        if key not in used:
            used.add(key)
            stack += reads.get(key, ())
    unused = [key for key in own if key not in used]
    for key in unused:
        users = model.param_users[key]
        if users:
            names = ", ".join(f"`{u}`" for u in users)
            message = (f"the parameter `{key}` is used only by {names}, which nothing uses: changing it "
                       "changes nothing")
            help = f"use {names} where {'its' if len(users) == 1 else 'their'} value belongs, or delete them all"
        else:
            message = f"the parameter `{key}` is used nowhere: changing it changes nothing"
            help = f"use `{key}` in the amount or factor its value belongs to, or delete it"
        yield Finding(("param", key), message, {"param": key, "used_by": list(users)}, help=help)
    ctx.record(params=len(own), unused=len(unused))

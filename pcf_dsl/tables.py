"""Plain-text tables of a computed footprint (`pcf calc`)."""

from __future__ import annotations

import heapq

from .compute import Result
from .diagnostics import display_width, pad_cells
from .model import Model
from .present import plain
from .products import ProductFootprints
from .units import short


def _fmt(value: float) -> str:
    return f"{value:.4f}" if abs(value) >= 0.00005 or value == 0 else f"{value:.2e}"


def _pct(share: float) -> str:
    return f"{share * 100 + 0.0:6.2f} %"  # + 0.0: no "-0.00 %" for zero over a negative total


def _table(title: str, rows: list[tuple[str, float, float]], name_header: str) -> list[str]:
    width = max([display_width(name_header)] + [display_width(r[0]) for r in rows])
    out = [title, f"  {pad_cells(name_header, width)}  {'kg CO2e':>12}  {'share':>8}"]
    for name, value, share in rows:
        out.append(f"  {pad_cells(name, width)}  {_fmt(value):>12}  {_pct(share):>8}")
    return out


def result_table(model: Model, result: Result, top: int = 10) -> str:
    du = result.declared_unit
    study = model.study
    # ISO 14067 tells the two apart: a study of a functional unit says so (the report and diagram do too)
    term = "functional unit" if study and study.declared_unit and study.declared_unit.functional else "declared unit"
    head = [
        f"{study.title}" if study else model.path,
        # plain, not :g: 1234567 kg read "1.23457e+06" (as the report and diagram show it)
        f"{term.capitalize()}: {plain(du.amount)} {short(du.unit)} of {du.product}" + (f" ({du.description})" if du.description else ""),
        f"GWP set: {result.gwp_set or '(none: CO2e factors only)'}",
        "",
        # as the rows below: a total of 2e-05 (per gram) printed with 4 decimals read 0.0000
        f"Total: {_fmt(result.total.value)} kg CO2e per {term}",
        "",
    ]
    stage_labels = {s.name: s for s in model.stages}
    stage_rows = []
    for name, share in result.by_stage.items():
        stage = stage_labels.get(name)
        # A stage the boundary excludes, or does not mention (docs/language.md: a block without a
        # shorthand starts from nothing), was not assessed: a row of 0.0000 would read as a stage
        # studied and found to emit nothing. It shows only when something is in it, marked.
        if share.value == 0 and stage is not None and stage.included is not True:
            continue
        marker = ("" if stage is None or stage.included else "  (excluded)" if stage.included is False
                  else "  (not declared in the boundary)")
        stage_rows.append((name + marker, share.value, share.share))
    lines = head + _table("By stage", stage_rows, "stage") + [""]
    # the top rows only (heapq's equivalent of sorted()[:top]): sorting 100,000 processes took 0.07 s
    procs = heapq.nsmallest(top, result.by_process.items(), key=lambda kv: (-abs(kv[1].value), kv[0]))
    lines += _table("By process", [(k, v.value, v.share) for k, v in procs], "process") + [""]
    flows = result.by_flow[:top]
    lines += _table(f"Top {len(flows)} flows of {len(result.by_flow)}",
                    [(f"{f.process}.{f.flow}", f.value, f.share) for f in flows], "flow") + [""]
    lines += _table("By gas", [(g, v.value, v.share) for g, v in result.by_gas.items()], "gas")
    if result.cutoff:
        count = len(result.cutoff)
        unestimated = sum(c.estimate is None for c in result.cutoff)
        line = f"Cut off: {count} flow{'s' if count > 1 else ''}, estimated {result.cutoff_estimate:.4g} kg CO2e"
        if unestimated:  # their sum leaves these out: it is not the estimate of every cut-off flow
            line += f" ({unestimated} of them without an estimate)"
        lines += ["", line]
    return "\n".join(lines) + "\n"


def _per_what(result: ProductFootprints, per: str | None) -> str:
    each = "each " if len(result.products) != 1 else ""
    if per is None:
        return f"{each}per one unit of it"
    unit = short(per)
    converted = sum(p.per.unit == unit for p in result.products)
    if converted == len(result.products):
        return f"{each}per one {unit} of it"
    if len(result.products) == 1:
        return f"per one unit of it as written (its unit does not convert to {unit})"
    # Said in the heading: a reader scanning a column of kg must not miss the rows that are not.
    return (f"each per one {unit} of it where its unit converts to {unit} ({converted} of {len(result.products)}), "
            f"the others per one unit as written")


def products_table(model: Model, result: ProductFootprints, per: str | None = None) -> str:
    """Every product's footprint per unit of it, in the model's order, with the stage that weighs most."""
    study = model.study
    rows = []
    for p in result.products:
        top = max(p.by_stage.items(), key=lambda kv: abs(kv[1]), default=None)
        largest = (f"{top[0]} {_pct(top[1] / p.value).strip()}" if top is not None and p.value and top[1]
                   else "")
        rows.append((p.product, f"1 {p.per.unit}", _fmt(p.value), largest))
    headers = ("product", "per", "kg CO2e", "largest stage")
    widths = [max([display_width(h)] + [display_width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = [
        f"{study.title}" if study else model.path,
        f"GWP set: {result.gwp_set or '(none: CO2e factors only)'}",
        "",
        (f"Footprints of all {len(rows)} products" if len(rows) != 1 else "Footprint of the one product")
        + f", {_per_what(result, per)} (cradle to its gate, cut-off lines left out)",
        f"  {pad_cells(headers[0], widths[0])}  {pad_cells(headers[1], widths[1])}  {headers[2]:>{max(widths[2], 12)}}  {headers[3]}",
    ]
    for product, per_one, value, largest in rows:
        lines.append(f"  {pad_cells(product, widths[0])}  {pad_cells(per_one, widths[1])}  {value:>{max(widths[2], 12)}}  "
                     f"{largest}".rstrip())
    return "\n".join(lines) + "\n"

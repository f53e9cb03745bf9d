"""The system boundary diagram: the one module that imports graphviz.

What the diagram shows, and how (the README shows the reference model's):

- The life-cycle stages are clusters, in life-cycle order. One bold frame, the
  system boundary, holds every stage the study includes; each stage's label
  carries its kg CO2e per declared unit and share. Excluded stages sit outside
  the frame, dashed and grey, with the reason the model gives. A stage the
  boundary does not mention is drawn inside the frame when something is
  reported in it (it counts in the total) and marked "not declared".
- A process is one node in the cluster of its stage, with its kg CO2e per
  declared unit and share of the total.
- A background input (an input, waste or emission computed with an emission
  factor) is a node of its own, drawn in the cluster of the stage its burden is
  reported in: the flow's own `stage`, else its process's. So the reference
  model's casting process sits in production while the node for its aluminium
  ingot sits in raw material acquisition, with an edge into casting. Inputs
  point into the process; wastes and emissions point out of it.
- Flows between processes are edges with the amount per declared unit; the
  reference product leaves the boundary through the gate to the declared-unit
  node. Cut-off flows are dashed nodes and edges with their estimate.
- Fill colour (a light-to-dark ramp that stays in order when printed in grey)
  and line width grow with the share of the total.
- Per process and stage, the largest `top` background flows of a kind are shown
  one by one and the rest folded into one node ("38 more inputs, 0.2100 kg
  CO2e"); `detail=True` shows every flow.
- The largest `processes` processes (by the size of their result, the
  reference process always among them) are drawn one by one, and the rest of
  each stage folded into one node ("312 more processes, 1.203 kg CO2e"), with
  the flows between them and the drawn processes as unlabelled edges. Graphviz's
  layout grows faster than the square of the nodes (the 200-process benchmark
  model took 10.5 s, 400 took 45 s, 1,000 over ten minutes), and a figure of
  hundreds of boxes is no figure; `processes=None` or `detail=True` draws them all.

Node names are stable (`process/NAME`, `input/PROCESS/FLOW`, ...) and the
output depends only on the model, so the same model gives the same bytes.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass, field

import graphviz

from . import present as P
from .compute import FlowResult, Result, compute
from .graph import process_graph, reference_process, upstream
from .model import Flow, Model, Process

FORMATS = ("svg", "png", "pdf", "dot")
FONT = "Noto Sans CJK SC"
DEFAULT_TOP = 5
# Processes drawn one by one: the 50-process benchmark model lays out in 0.6 s, 100 in 1.7 s.
DEFAULT_PROCESSES = 40

# ColorBrewer "Oranges": each step darker than the last, also in greyscale.
RAMP = (
    (0.01, "#feedde", "< 1 %"),
    (0.05, "#fdbe85", "1–5 %"),
    (0.20, "#fd8d3c", "5–20 %"),
    (0.50, "#e6550d", "20–50 %"),
    (1.01, "#a63603", "≥ 50 %"),
)
GREY, GREY_TEXT, STAGE_FILL = "#9e9e9e", "#757575", "#f7f7f7"

TEXT = {
    "en": {
        "boundary": "System boundary",
        "declared_unit": "Declared unit",
        "functional_unit": "Functional unit",
        "total": "total",
        "excluded": "excluded",
        "not_declared": "not declared in the boundary",
        "unused": "not used by the {du}",
        "factor": "factor",
        "cutoff": "cut off",
        "estimate": "estimate",
        "no_estimate": "no estimate",
        "more": {"input": "more inputs", "waste": "more wastes", "emit": "more emissions"},
        "more_processes": "more processes",
        "lg_more_processes": "smaller processes of a stage, grouped",
        "legend": "Legend",
        "lg_process": "process: kg CO2e per {du}, share",
        "lg_input": "background input (emission factor)",
        "lg_emit": "direct emission or waste",
        "lg_more": "smaller inputs, grouped",
        "lg_cutoff": "cut-off flow with its estimate",
        "lg_excluded": "excluded stage, with the reason",
        "lg_share": "share of the total (fill); line width grows with it too",
        "per": "per",
    },
    "zh": {
        "boundary": "系统边界",
        "declared_unit": "声明单位",
        "functional_unit": "功能单位",
        "total": "合计",
        "excluded": "不包括",
        "not_declared": "边界未声明",
        "unused": "{du}未使用",
        "factor": "排放因子",
        "cutoff": "取舍",
        "estimate": "估计",
        "no_estimate": "无估计",
        "more": {"input": "项其他输入", "waste": "项其他废弃物", "emit": "项其他排放"},
        "more_processes": "个其他过程",
        "lg_more_processes": "同一阶段较小的过程，合并显示",
        "legend": "图例",
        "lg_process": "过程：kg CO2e / {du}，占比",
        "lg_input": "背景输入（排放因子）",
        "lg_emit": "直接排放或废弃物",
        "lg_more": "较小的输入，合并显示",
        "lg_cutoff": "取舍的流及其估计值",
        "lg_excluded": "不包括的阶段及原因",
        "lg_share": "占总量的比例（填充色）；线宽亦随之增大",
        "per": "每",
    },
}


# Characters XML 1.0 does not allow, even escaped: Graphviz's label parser (expat) stops at them and
# draws nothing. A label pasted from a word processor can hold one (Word and PowerPoint write a manual
# line break as a vertical tab).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _e(text: str) -> str:
    """Model text inside an HTML-like graphviz label: every markup character escaped, control characters
    XML cannot hold shown as spaces."""
    return html.escape(_NOT_XML.sub(" ", text), quote=True)


def _fill(share: float) -> tuple[str, str]:
    for limit, colour, _ in RAMP:
        if abs(share) < limit:
            dark = colour in (RAMP[3][1], RAMP[4][1])
            return colour, ("white" if dark else "black")
    return RAMP[-1][1], "white"


def _pen(share: float) -> str:
    return f"{1.0 + 5.0 * min(abs(share), 1.0) ** 0.5:.2f}"


class ToolMissing(RuntimeError):
    """A program the drawing needs (Graphviz's `dot`) is not installed."""


@dataclass
class _Cluster:
    """What goes into one stage's cluster: node statements, in the order they are added."""

    nodes: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def _text(model: Model, lang: str) -> dict:
    """TEXT[lang] with `{du}` filled: a study of a functional unit says "functional unit" throughout."""
    du = model.study.declared_unit if model.study else None
    t = TEXT[lang]
    word = (t["functional_unit"] if du is not None and du.functional else t["declared_unit"]).lower()
    return {k: v.replace("{du}", word) if isinstance(v, str) else v for k, v in t.items()}


def diagram(model: Model, result: Result | None = None, *, lang: str = "en", top: int = DEFAULT_TOP,
            detail: bool = False, processes: int | None = DEFAULT_PROCESSES) -> graphviz.Digraph:
    """The system boundary diagram of the model with its computed results, as a graphviz graph."""
    if lang not in TEXT:
        raise ValueError(f"language {lang!r}: use one of {', '.join(TEXT)}")
    t = _text(model, lang)
    result = result if result is not None else compute(model)
    total = result.total.value
    runs = result.runs
    stage_names = P.stage_labels(model, lang)
    lines: dict[tuple[str, str], FlowResult] = {(f.process, f.flow): f for f in result.by_flow}

    graph = process_graph(model)
    reference = reference_process(model)
    needed = upstream(graph, reference) if reference in model.processes else set(model.processes)

    clusters: dict[str, _Cluster] = {s.name: _Cluster() for s in model.stages}
    edges: list[tuple[str, str, dict[str, str]]] = []

    def cluster(stage: str) -> _Cluster:
        return clusters.setdefault(stage, _Cluster())

    # ---- processes: one node each, in the cluster of its stage; the smaller ones folded per stage
    drawn = _drawn_processes(model, result, reference, None if detail else processes)
    folded: dict[str, str] = {name: f"more_processes/{process.stage}" for name, process in model.processes.items()
                              if name not in drawn}
    for name, process in model.processes.items():
        if name in folded:
            continue
        share = result.by_process.get(name)
        value, fraction = (share.value, share.share) if share else (0.0, 0.0)
        fill, ink = _fill(fraction)
        rows = [f"<B>{_e(P.pick(process.label, lang, name))}</B>",
                f'<FONT POINT-SIZE="8">{_e(name)}</FONT>',
                f"{P.kg(value)} kg CO2e · {P.pct(fraction)}"]
        if name not in needed:
            rows.append(f'<I>{_e(t["unused"])}</I>')
        attrs = {"label": "<" + "<BR/>".join(rows) + ">", "fillcolor": fill, "fontcolor": ink,
                 "penwidth": _pen(fraction), "shape": "box", "style": "rounded,filled"}
        if name not in needed:
            attrs["style"] = "rounded,filled,dashed"
        cluster(process.stage).nodes.append((f"process/{name}", attrs))
    _fold_processes(model, result, t, lang, folded, total, cluster)

    # ---- flows of each process
    def link(here: str, flow: Flow) -> tuple[str, str]:
        """(tail, head) of a flow between processes: material goes from a process to its treatment
        (a waste), else from the supplier to the process; a folded process is its stage's node."""
        supplier = flow.source.rpartition(".")[0]
        ends = (here, folded.get(supplier, f"process/{supplier}"))
        return ends if flow.kind == "waste" else ends[::-1]

    folded_edges: dict[tuple[str, str], None] = {}  # one unlabelled edge per pair, in the order met
    for name, process in model.processes.items():
        if name in folded:  # its burden is in its stage's folded node; only its links to drawn processes show
            for flow in process.flows:
                if flow.source_kind == "process" and flow.source and not flow.cutoff:
                    tail, head = link(folded[name], flow)
                    if tail != head:
                        folded_edges[(tail, head)] = None
            continue
        background: dict[tuple[str, str], list[tuple[Flow, FlowResult]]] = defaultdict(list)
        for flow in process.flows:
            stage = flow.stage or process.stage
            per_du = flow.amount.value * runs[name]
            amount_text = P.amount(per_du, flow.amount.unit, flow.amount_text)
            if flow.cutoff:
                _cutoff_flow(model, result, t, lang, process, flow, stage, amount_text, cluster, edges)
            elif flow.source_kind == "process" and flow.source:
                ends = link(f"process/{name}", flow)
                if flow.source.rpartition(".")[0] in folded:
                    folded_edges[ends] = None
                else:
                    label = f"<{_e(P.pick(flow.label, lang, flow.name))}<BR/>{_e(amount_text)}>"
                    edges.append((*ends, {"label": label}))
            elif (name, flow.name) in lines:
                background[(stage, flow.kind)].append((flow, lines[(name, flow.name)]))
        for (stage, kind), items in sorted(background.items(), key=lambda kv: _stage_order(model, kv[0])):
            items.sort(key=lambda item: (-abs(item[1].value), item[0].name))
            shown = items if detail or len(items) <= top + 1 else items[:top]
            for flow, line in shown:
                node = f"{'input' if kind == 'input' else kind}/{name}/{flow.name}"
                fill, ink = _fill(line.share)
                rows = [_e(P.pick(flow.label, lang, flow.name)),
                        f"{P.kg(line.value)} kg CO2e · {P.pct(line.share)}"]
                if line.factor:
                    rows.append(f'<FONT POINT-SIZE="7">{_e(t["factor"])}: {_e(line.factor)}</FONT>')
                attrs = {"label": "<" + "<BR/>".join(rows) + ">", "fillcolor": fill, "fontcolor": ink,
                         "shape": "box" if kind == "input" else "ellipse", "style": "filled",
                         "penwidth": _pen(line.share)}
                cluster(stage).nodes.append((node, attrs))
                amount_text = P.amount(line.amount.value, line.amount.unit, flow.amount_text)
                edge_attrs = {"label": f"<{_e(amount_text)}>", "penwidth": _pen(line.share)}
                edges.append((node, f"process/{name}", edge_attrs) if kind == "input"
                             else (f"process/{name}", node, edge_attrs))
            rest = items[len(shown):]
            if rest:
                value = sum(line.value for _, line in rest)
                fraction = value / total if total else 0.0
                fill, ink = _fill(fraction)
                more = t["more"][kind]
                head = f"{len(rest)} {more}" if lang == "en" else f"另 {len(rest)} {more}"
                node = f"more/{name}/{stage}/{kind}"
                attrs = {"label": f"<{_e(head)}, {P.kg(value)} kg CO2e<BR/>{P.pct(fraction)}>",
                         "fillcolor": fill, "fontcolor": ink, "shape": "box3d" if kind == "input" else "ellipse",
                         "style": "filled", "penwidth": _pen(fraction)}
                cluster(stage).nodes.append((node, attrs))
                edge_attrs = {"penwidth": _pen(fraction)}
                edges.append((node, f"process/{name}", edge_attrs) if kind == "input"
                             else (f"process/{name}", node, edge_attrs))
    edges.extend((tail, head, {"style": "dashed"}) for tail, head in folded_edges)

    # ---- the graph
    study = model.study
    du = study.declared_unit if study else None
    dot = graphviz.Digraph("pcf", format="svg", engine="dot")
    dot.attr("graph", rankdir="LR", compound="true", newrank="true", fontname=FONT, fontsize="12",
             labelloc="t", labeljust="l", nodesep="0.18", ranksep="0.5", pad="0.2", bgcolor="white",
             label=_title(model, result, t, lang))
    dot.attr("node", fontname=FONT, fontsize="9", margin="0.08,0.04")
    dot.attr("edge", fontname=FONT, fontsize="8", color="#555555", arrowsize="0.6")

    inside = [s for s in model.stages if s.included or (s.included is None and clusters[s.name].nodes)]
    outside = [s for s in model.stages if s.included is False]
    shorthand = model.boundary.shorthand if model.boundary else None
    boundary_title = t["boundary"] + (f" ({shorthand.replace('_', ' ')})" if shorthand and lang == "en"
                                       else f"（{shorthand.replace('_', '-')}）" if shorthand else "")
    with dot.subgraph(name="cluster_boundary") as frame:
        frame.attr(label=f"<<B>{_e(boundary_title)}</B>>", style="bold", penwidth="2.5", color="black",
                   fontsize="13")
        for stage in inside:
            share = result.by_stage.get(stage.name)
            value, fraction = (share.value, share.share) if share else (0.0, 0.0)
            rows = [f"<B>{_e(stage_names[stage.name])}</B>", f"{P.kg(value)} kg CO2e · {P.pct(fraction)}"]
            if stage.included is None:
                rows.append(f"<I>{_e(t['not_declared'])}</I>")
            with frame.subgraph(name=f"cluster_stage_{stage.name}") as sub:
                sub.attr(label="<" + "<BR/>".join(rows) + ">", style="rounded,filled", fillcolor=STAGE_FILL,
                         color="#616161", penwidth="1")
                items = clusters[stage.name].nodes
                if not items:  # an included stage with nothing in it still shows, as an empty box
                    items = [(f"empty/{stage.name}", {"label": "", "shape": "point", "style": "invis"})]
                for node, attrs in items:
                    sub.node(node, **attrs)
    for stage in outside:
        with dot.subgraph(name=f"cluster_excluded_{stage.name}") as sub:
            label = f"{_e(stage_names[stage.name])} ({_e(t['excluded'])})" if lang == "en" else \
                f"{_e(stage_names[stage.name])}（{_e(t['excluded'])}）"
            sub.attr(label=f"<<B>{label}</B>>", style="dashed,rounded", color=GREY, fontcolor=GREY_TEXT)
            reason = stage.reason or ""
            sub.node(f"excluded/{stage.name}", label=f"<{_wrap(reason)}>" if reason else "<&#160;>",
                     shape="plaintext", fontcolor=GREY_TEXT, fontsize="8")
            for node, attrs in clusters[stage.name].nodes:  # processes a model wrongly puts there
                sub.node(node, **{**attrs, "color": GREY, "fontcolor": GREY_TEXT, "fillcolor": "#eeeeee"})
    # a stage neither declared nor used is not drawn; stages the model names only in flows come last
    for name, items in clusters.items():
        if model.stage(name) is None and items.nodes:
            with dot.subgraph(name=f"cluster_stage_{name}") as sub:
                sub.attr(label=f"<<B>{_e(name)}</B>>", style="rounded")
                for node, attrs in items.nodes:
                    sub.node(node, **attrs)

    if du is not None and reference in model.processes:
        unit_word = t["functional_unit"] if du.functional else t["declared_unit"]
        dot.node("declared_unit", label=f"<<B>{_e(unit_word)}</B><BR/>{_e(P.declared_unit_text(model, lang))}<BR/>"
                                        f"{P.kg(total)} kg CO2e>",
                 shape="box", style="bold,rounded", penwidth="2")
        _, product = model.activity(du.product)
        edges.append((f"process/{reference}", "declared_unit",
                       {"label": f"<{_e(P.pick(product.label, lang, product.name))}>", "penwidth": "2"}))
    # excluded stages follow the gate in life-cycle order
    chain = ["declared_unit"] if du is not None and reference in model.processes else []
    chain += [f"excluded/{s.name}" for s in outside]
    for a, b in zip(chain, chain[1:]):
        edges.append((a, b, {"style": "invis"}))

    for tail, head, attrs in edges:
        dot.edge(tail, head, **attrs)
    dot.node("legend", label=_legend(t, bool(folded)), shape="plaintext", fontsize="8")
    return dot


def _drawn_processes(model: Model, result: Result, reference: str | None, limit: int | None) -> set[str]:
    """The processes drawn one by one: all, or the `limit` largest by |kg CO2e| (the reference process
    always among them; name breaks ties). One more than the limit is drawn rather than folded alone."""
    names = list(model.processes)
    if limit is None or len(names) <= limit + 1:
        return set(names)

    def size(name: str) -> float:
        share = result.by_process.get(name)
        return abs(share.value) if share else 0.0

    ranked = sorted(names, key=lambda name: (name != reference, -size(name), name))
    return set(ranked[:limit])


def _fold_processes(model: Model, result: Result, t: dict, lang: str, folded: dict[str, str], total: float,
                    cluster) -> None:
    """One node per stage for its processes that are not drawn: how many, their kg CO2e and share."""
    groups: dict[str, list[str]] = {}
    for name, node in folded.items():
        groups.setdefault(node, []).append(name)
    for node, names in groups.items():
        value = sum(result.by_process[n].value for n in names if n in result.by_process)
        fraction = value / total if total else 0.0
        fill, ink = _fill(fraction)
        head = f"{len(names)} {t['more_processes']}" if lang == "en" else f"另 {len(names)} {t['more_processes']}"
        attrs = {"label": f"<{_e(head)}, {P.kg(value)} kg CO2e<BR/>{P.pct(fraction)}>", "fillcolor": fill,
                 "fontcolor": ink, "penwidth": _pen(fraction), "shape": "box3d", "style": "filled"}
        cluster(model.processes[names[0]].stage).nodes.append((node, attrs))


def _stage_order(model: Model, key: tuple[str, str]) -> tuple[int, str, str]:
    names = [s.name for s in model.stages]
    stage, kind = key
    return (names.index(stage) if stage in names else len(names), stage, kind)


def _cutoff_flow(model, result, t, lang, process: Process, flow: Flow, stage: str, amount_text: str,
                 cluster, edges) -> None:
    estimate = next((c.estimate for c in result.cutoff if c.process == process.name and c.flow == flow.name), None)
    rows = [f"{_e(t['cutoff'])}: {_e(P.pick(flow.label, lang, flow.name))}",
            f"{_e(t['estimate'])} {P.kg(estimate)} kg CO2e" if estimate is not None else _e(t["no_estimate"])]
    if flow.cutoff_reason:
        rows.append(f'<FONT POINT-SIZE="7">{_wrap(flow.cutoff_reason)}</FONT>')
    node = f"cutoff/{process.name}/{flow.name}"
    cluster(stage).nodes.append((node, {"label": "<" + "<BR/>".join(rows) + ">", "shape": "box",
                                        "style": "dashed", "color": GREY_TEXT}))
    attrs = {"label": f"<{_e(amount_text)}>", "style": "dashed", "color": GREY_TEXT}
    if flow.kind in ("waste", "emit"):
        edges.append((f"process/{process.name}", node, attrs))
    else:
        edges.append((node, f"process/{process.name}", attrs))


def _wrap(text: str, width: int = 36) -> str:
    """Escaped text broken into lines of about `width` characters (CJK text breaks anywhere)."""
    words = re.findall(r"\S+\s*", text) if not P.has_cjk(text) else list(text)
    lines, line = [], ""
    for word in words:
        if line and len(line) + len(word.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += word
    if line.strip():
        lines.append(line.rstrip())
    return "<BR/>".join(_e(line) for line in lines)


def _title(model: Model, result: Result, t: dict, lang: str) -> str:
    study = model.study
    title = P.pick(study.title, lang, study.title) if study else model.path
    du = study.declared_unit if study else None
    rows = [f'<FONT POINT-SIZE="15"><B>{_e(title)}</B></FONT>']
    if du is not None:
        unit_word = t["functional_unit"] if du.functional else t["declared_unit"]
        sep = " " if lang == "en" else ""
        # &#160; around the bold part: SVG viewers drop a plain space at the edge of a text run
        nbsp = "&#160;" if lang == "en" else ""
        rows.append(f"{_e(unit_word)}: {_e(P.declared_unit_text(model, lang))} · {_e(t['total'])}{nbsp}"
                    f"<B>{P.kg(result.total.value)} kg CO2e</B>{nbsp}{_e(t['per'])}{sep}{_e(unit_word.lower())}")
    return "<" + "<BR ALIGN=\"LEFT\"/>".join(rows) + "<BR ALIGN=\"LEFT\"/>>"


def _legend(t: dict, folded: bool = False) -> str:
    def row(swatch: str, text: str) -> str:
        return f'<TR>{swatch}<TD ALIGN="LEFT" COLSPAN="4">{_e(text)}</TD></TR>'

    cell = '<TD BORDER="1" STYLE="{style}" BGCOLOR="{fill}" WIDTH="24" HEIGHT="12"{extra}>{text}</TD>'
    rows = [f'<TR><TD ALIGN="LEFT" COLSPAN="5"><B>{_e(t["legend"])}</B></TD></TR>',
            row(cell.format(style="rounded", fill=RAMP[2][1], extra="", text=""), t["lg_process"]),
            row(cell.format(style="solid", fill=RAMP[1][1], extra="", text=""), t["lg_input"]),
            row(cell.format(style="rounded", fill=RAMP[0][1], extra="", text=""), t["lg_emit"]),
            row(cell.format(style="solid", fill="#ffffff", extra="", text="≡"), t["lg_more"]),
            *([row(cell.format(style="solid", fill="#ffffff", extra="", text="⧉"), t["lg_more_processes"])]
              if folded else []),
            row(cell.format(style="dashed", fill="#ffffff", extra="", text=""), t["lg_cutoff"]),
            row(cell.format(style="dashed", fill="#eeeeee", extra="", text=""), t["lg_excluded"]),
            f'<TR><TD ALIGN="LEFT" COLSPAN="5">{_e(t["lg_share"])}</TD></TR>',
            "<TR>" + "".join(f'<TD BORDER="1" BGCOLOR="{colour}"><FONT COLOR="{"white" if i > 2 else "black"}">'
                             f'{_e(text)}</FONT></TD>' for i, (_, colour, text) in enumerate(RAMP)) + "</TR>"]
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">' + "".join(rows) + "</TABLE>>"


def dot_source(model: Model, result: Result | None = None, **options) -> str:
    return diagram(model, result, **options).source


def render(model: Model, result: Result | None = None, *, fmt: str = "svg", **options) -> bytes:
    """The diagram in one of FORMATS, as bytes. `dot` gives the DOT source; the others run Graphviz's `dot`."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    graph = diagram(model, result, **options)
    if fmt == "dot":
        return graph.source.encode("utf-8")
    try:
        data = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise ToolMissing("Graphviz's `dot` program is not installed, so the diagram cannot be drawn: install "
                          "Graphviz (Debian: `apt-get install graphviz`; scripts/setup does it), or use "
                          "`--format dot` for the DOT source") from None
    except graphviz.CalledProcessError as exc:
        raise RuntimeError(f"Graphviz failed on the diagram: {exc.stderr.decode('utf-8', 'replace')}") from None
    return _fixed_pdf_dates(data) if fmt == "pdf" else data


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})([^)]*)\)")


def _fixed_pdf_dates(data: bytes) -> bytes:
    """cairo (1.16, Debian 12) stamps a PDF with the time it was made: pin it to 1970, same length, so the
    cross-reference offsets stay right and the same model gives the same bytes."""
    return _PDF_DATE.sub(lambda m: b"/" + m.group(1) + b" (D:19700101000000" + m.group(3) + b")", data)

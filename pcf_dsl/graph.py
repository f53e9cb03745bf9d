"""The process graph: the one module that imports networkx.

Nodes are processes (`process` kind) and the emission factors they use
(`factor` kind, background data); an edge runs from a supplier to the process
that takes its product (a treatment process counts as the supplier of the
treatment its client's waste needs). It serves traversal and boundary
reasoning: what the reference product depends on, which processes sit in
loops, the order to draw stages in. Arithmetic happens on arrays in
:mod:`pcf_dsl.compute`, not here.

Which processes the reference product depends on (rule B003) is a walk over
each process's suppliers, as plain lists: networkx is imported by the
functions that build or read its graphs, not by this module, so `pcf check`
does not import it at all (0.1 s of every run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import Model

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx


def factor_node(name: str) -> str:
    return f"factor:{name}"


def process_graph(model: Model) -> nx.DiGraph:
    import networkx as nx

    graph = nx.DiGraph()
    for name, process in model.processes.items():
        graph.add_node(name, kind="process", stage=process.stage, label=process.label)
    for name, process in model.processes.items():
        for flow in process.flows:
            if flow.cutoff or flow.source is None:
                continue
            if flow.source_kind == "process":
                supplier = flow.source.rpartition(".")[0]
                graph.add_edge(supplier, name, flow=flow.name, kind=flow.kind)
            elif flow.source_kind == "factor":
                node = factor_node(flow.source)
                if node not in graph:
                    graph.add_node(node, kind="factor", factor=flow.source)
                graph.add_edge(node, name, flow=flow.name, kind=flow.kind)
    return graph


def suppliers(model: Model) -> dict[str, list[str]]:
    """Each process's supplier processes, one per linking flow (a treatment process is the supplier of
    its client's waste): the process graph's edges between processes, without networkx.

    Factors are background data with no suppliers of their own, so no path between two processes runs
    through one. A networkx graph of the processes alone took three times as long to build and walk
    as these lists and `depends_on` (0.05 s against 0.017 s at 10,000 processes).
    """
    return {name: [flow.source.rpartition(".")[0] for flow in process.flows
                   if flow.source_kind == "process" and not flow.cutoff and flow.source is not None]
            for name, process in model.processes.items()}


def depends_on(supplier_lists: dict[str, list[str]], process: str) -> set[str]:
    """The process and every process it depends on, directly or through others (`upstream` on `suppliers`)."""
    found = {process}
    todo = [process]
    while todo:
        for supplier in supplier_lists.get(todo.pop(), ()):
            if supplier not in found:
                found.add(supplier)
                todo.append(supplier)
    return found


def reference_process(model: Model) -> str | None:
    if model.study is None or model.study.declared_unit is None:
        return None
    return model.study.declared_unit.product.rpartition(".")[0]


def upstream(graph: nx.DiGraph, process: str) -> set[str]:
    """The process and every process it depends on, directly or through others, on the process graph."""
    import networkx as nx

    return {n for n in nx.ancestors(graph, process) | {process} if graph.nodes[n].get("kind") == "process"}


def unreachable_processes(model: Model, supplier_lists: dict[str, list[str]] | None = None) -> list[str]:
    """Processes the reference product does not depend on (they add nothing to the footprint)."""
    reference = reference_process(model)
    if reference is None or reference not in model.processes:
        return []
    needed = depends_on(supplier_lists if supplier_lists is not None else suppliers(model), reference)
    return [name for name in model.processes if name not in needed]


def loops(graph: nx.DiGraph) -> list[list[str]]:
    """Groups of processes that supply each other in a circle (strongly connected, size > 1 or a self-loop)."""
    import networkx as nx

    process_nodes = [n for n, kind in graph.nodes(data="kind") if kind == "process"]
    sub = graph.subgraph(process_nodes)
    groups = []
    for component in nx.strongly_connected_components(sub):
        if len(component) > 1 or any(sub.has_edge(n, n) for n in component):
            groups.append(sorted(component))
    return sorted(groups)

"""The process graph: the one module that imports networkx.

Nodes are processes (`process` kind) and the emission factors they use
(`factor` kind, background data); an edge runs from a supplier to the process
that takes its product (a treatment process counts as the supplier of the
treatment its client's waste needs). It serves traversal and boundary
reasoning: what the reference product depends on, which processes sit in
loops, the order to draw stages in. Arithmetic happens on arrays in
:mod:`pcf_dsl.compute`, not here.
"""

from __future__ import annotations

import networkx as nx

from .model import Model


def factor_node(name: str) -> str:
    return f"factor:{name}"


def process_graph(model: Model) -> nx.DiGraph:
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


def supply_graph(model: Model) -> nx.DiGraph:
    """The processes alone, an edge from each supplier to each client: what reachability needs.

    Factors are background data with no suppliers of their own, so no path between two
    processes runs through one; the process graph's ancestors among processes are this
    graph's ancestors. Without the factor nodes and the edges' attributes it is built in
    half the time (0.24 s -> 0.12 s CPU at 10k processes).
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(model.processes, kind="process")
    graph.add_edges_from((flow.source.rpartition(".")[0], name) for name, process in model.processes.items()
                         for flow in process.flows
                         if flow.source_kind == "process" and not flow.cutoff and flow.source is not None)
    return graph


def reference_process(model: Model) -> str | None:
    if model.study is None or model.study.declared_unit is None:
        return None
    return model.study.declared_unit.product.rpartition(".")[0]


def upstream(graph: nx.DiGraph, process: str) -> set[str]:
    """The process and every process it depends on, directly or through others (either graph above)."""
    return {n for n in nx.ancestors(graph, process) | {process} if graph.nodes[n].get("kind") == "process"}


def unreachable_processes(model: Model, graph: nx.DiGraph | None = None) -> list[str]:
    """Processes the reference product does not depend on (they add nothing to the footprint)."""
    reference = reference_process(model)
    if reference is None or reference not in model.processes:
        return []
    graph = graph if graph is not None else supply_graph(model)
    needed = upstream(graph, reference)
    return [name for name in model.processes if name not in needed]


def loops(graph: nx.DiGraph) -> list[list[str]]:
    """Groups of processes that supply each other in a circle (strongly connected, size > 1 or a self-loop)."""
    process_nodes = [n for n, kind in graph.nodes(data="kind") if kind == "process"]
    sub = graph.subgraph(process_nodes)
    groups = []
    for component in nx.strongly_connected_components(sub):
        if len(component) > 1 or any(sub.has_edge(n, n) for n in component):
            groups.append(sorted(component))
    return sorted(groups)

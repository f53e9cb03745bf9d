"""`pcf render`: the system boundary diagram, checked on its DOT source (not on pixels).

Numbers in the labels are compared with `pcf calc --format json` (tolerance: half a unit of
the last printed digit) and, for a few lines, with activity x factor worked out by hand here.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import pcf_dsl
from pcf_dsl.cli import main
from pcf_dsl.render import DEFAULT_TOP, dot_source, render

ROOT = Path(__file__).resolve().parents[1]
BILLET = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is installed by scripts/setup")

SMALL = """\
import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Widget <b>&</b> co" {
  declared_unit 2 kg of assembly.widget
  gwp ipcc.ar6
}

stage packaging "包装 / packaging & shipping"

boundary cradle_to_gate {
  include packaging
  exclude use "customer <decides>"
}

factor steel = 2 kg CO2e / kg {
  source "Steel <source> & co"
}
factor power = 0.5 kg CO2e / kWh
factor box = 1.5 kg CO2e / kg

process parts "<script>alert(1)</script>" {
  stage raw_material_acquisition
  product part 1 kg
  input steel_in "steel" 1.1 kg from steel
  input glue "glue" 0.01 kg cutoff "below 1 %" {
    estimate 0.004 kg CO2e
  }
}

process assembly "assembly" {
  stage production
  product widget 1 kg
  input part 1 kg from parts.part
  input electricity 2 kWh from power
  input box 0.1 kg from box {
    stage packaging
  }
  emit methane 0.001 kg CH4_fossil
}

process orphan "not used" {
  stage production
  product thing 1 kg
  input electricity 1 kWh from power
}
"""


# ------------------------------------------------------------------ a small reader of the DOT we write


def parse_dot(source: str) -> tuple[dict[str, tuple[tuple[str, ...], str]], dict[str, str], list[tuple[str, str, str]]]:
    """(nodes: id -> (enclosing subgraphs, attribute text), subgraph -> its attribute line, edges)."""
    nodes: dict[str, tuple[tuple[str, ...], str]] = {}
    graphs: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    stack: list[str] = []
    ident = r'("(?:[^"\\]|\\.)*"|[\w.]+)'
    for raw in source.splitlines():
        line = raw.strip()
        if line.startswith("subgraph "):
            stack.append(line.split()[1])
            graphs[stack[-1]] = ""
            continue
        if line == "}":
            if stack:
                stack.pop()
            continue
        edge = re.match(rf"^{ident} -> {ident}(?: \[(.*)\])?$", line)
        if edge:
            edges.append((edge.group(1).strip('"'), edge.group(2).strip('"'), edge.group(3) or ""))
            continue
        node = re.match(rf"^{ident} \[(.*)\]$", line)
        if node and node.group(1) not in ("graph", "node", "edge"):
            name = node.group(1).strip('"')
            assert name not in nodes, f"node {name} declared twice"
            nodes[name] = (tuple(stack), node.group(2))
            continue
        if stack and line.startswith(("color=", "label=", "fontsize=", "style=")):
            graphs[stack[-1]] = line
    return nodes, graphs, edges


def label_text(attrs: str) -> str:
    """The visible text of an HTML-like label: tags dropped, entities kept as written."""
    match = re.search(r"label=<(.*)>(?: \w+=|$)", attrs)
    assert match, attrs
    return re.sub(r"<[^>]*>", " ", match.group(1))


def printed(attrs: str) -> tuple[float, float, float, float]:
    """(kg CO2e, its tolerance, share %, its tolerance) from a label `X kg CO2e · Y %`."""
    match = re.search(r"(-?[\d.]+) kg CO2e · (-?[\d.]+) %", label_text(attrs))
    assert match, attrs
    value, share = match.group(1), match.group(2)
    return (float(value), 0.5 * 10 ** -(len(value.split(".")[1]) if "." in value else 0) + 1e-12,
            float(share), 0.005 + 1e-9)


def calc_json(path: Path) -> dict:
    result = CliRunner().invoke(main, ["calc", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def billet():
    model = pcf_dsl.load(BILLET)
    return model, pcf_dsl.compute(model)


@pytest.fixture(scope="module")
def billet_dot(billet):
    model, result = billet
    return parse_dot(dot_source(model, result))


@pytest.fixture()
def small(tmp_path) -> Path:
    path = tmp_path / "small.pcf"
    path.write_text(SMALL, encoding="utf-8")
    return path


# ------------------------------------------------------------------ the boundary


def test_included_stages_sit_inside_the_boundary_and_excluded_ones_outside(billet, billet_dot):
    model, _ = billet
    nodes, graphs, _ = billet_dot
    inside = {n for n in graphs if n.startswith("cluster_stage_")}
    included = {s.name for s in model.stages if s.included}
    assert inside == {f"cluster_stage_{name}" for name in included}
    for name in included:
        members = [stack for stack, _ in nodes.values() if f"cluster_stage_{name}" in stack]
        assert members, f"stage {name} has nothing drawn in it"
        assert all(stack[0] == "cluster_boundary" for stack in members)
    excluded = [s for s in model.stages if s.included is False]
    assert [s.name for s in excluded] == ["distribution", "use", "end_of_life"]
    for stage in excluded:
        stack, attrs = nodes[f"excluded/{stage.name}"]
        assert stack == (f"cluster_excluded_{stage.name}",), "an excluded stage is drawn outside the boundary"
        assert "customer" in stage.reason or "ex works" in stage.reason
        assert html.unescape(" ".join(label_text(attrs).split())) == stage.reason
        assert 'color="#9e9e9e"' in graphs[f"cluster_excluded_{stage.name}"]  # greyed
        assert "(excluded)" in graphs[f"cluster_excluded_{stage.name}"]


def test_stage_clusters_come_in_life_cycle_order(billet):
    model, result = billet
    source = dot_source(model, result)
    order = re.findall(r"subgraph cluster_(?:stage|excluded)_(\w+) \{", source)
    assert order == [s.name for s in model.stages]


def test_one_node_per_process_in_its_stage(billet_dot, billet):
    model, _ = billet
    nodes, _, _ = billet_dot
    drawn = sorted(n for n in nodes if n.startswith("process/"))
    assert drawn == sorted(f"process/{name}" for name in model.processes)
    assert nodes["process/casting"][0] == ("cluster_boundary", "cluster_stage_production")
    assert nodes["process/waste_handling"][0] == ("cluster_boundary", "cluster_stage_waste_treatment")


def test_background_inputs_sit_in_the_stage_their_burden_is_reported_in(billet_dot):
    nodes, _, edges = billet_dot
    assert nodes["input/casting/aluminium_ingot"][0][-1] == "cluster_stage_raw_material_acquisition"
    assert nodes["input/casting/electricity"][0][-1] == "cluster_stage_production"
    assert nodes["input/casting/inbound_transport"][0][-1] == "cluster_stage_inbound_transport"
    assert nodes["emit/casting/diesel_combustion"][0][-1] == "cluster_stage_in_plant_transport"
    assert nodes["emit/casting/natural_gas_combustion"][0][-1] == "cluster_stage_production"
    pairs = {(a, b) for a, b, _ in edges}
    assert ("input/casting/aluminium_ingot", "process/casting") in pairs  # inputs point into the process
    assert ("process/casting", "emit/casting/natural_gas_combustion") in pairs  # emissions out of it
    assert ("process/casting", "process/waste_handling") in pairs  # waste goes to its treatment
    assert ("process/casting", "declared_unit") in pairs


# ------------------------------------------------------------------ numbers


def test_numbers_in_labels_equal_pcf_calc(billet, billet_dot):
    model, _ = billet
    nodes, graphs, edges = billet_dot
    calc = calc_json(BILLET)
    checked = 0
    for name, share in calc["by_process"].items():
        value, tol, pct, pct_tol = printed(nodes[f"process/{name}"][1])
        assert abs(value - share["value"]) <= tol and abs(pct - 100 * share["share"]) <= pct_tol, name
        checked += 1
    for line in calc["by_flow"]:
        node = f"{'input' if line['kind'] == 'input' else line['kind']}/{line['process']}/{line['flow']}"
        if node in nodes:
            value, tol, pct, pct_tol = printed(nodes[node][1])
            assert abs(value - line["value"]) <= tol, node
            assert abs(pct - 100 * line["share"]) <= pct_tol, node
            checked += 1
    for stage, share in calc["by_stage"].items():
        key = f"cluster_stage_{stage}"
        if key in graphs:
            value, tol, pct, pct_tol = printed(graphs[key])
            assert abs(value - share["value"]) <= tol and abs(pct - 100 * share["share"]) <= pct_tol, stage
            checked += 1
    assert checked >= 2 + DEFAULT_TOP + 5
    # the title carries the total; the report states 11.22
    source = dot_source(*billet)
    total = float(re.search(r"total(?: |&#160;)<B>([\d.]+) kg CO2e</B>", source).group(1))
    assert abs(total - calc["total"]["value"]) <= 0.005
    assert abs(total - 11.22) <= 0.005


def test_labels_match_activity_times_factor_worked_by_hand(billet_dot):
    nodes, _, edges = billet_dot
    # per tonne of billet as the report prints them; the declared unit is 1 kg, so / 1000 t->kg of billet
    by_hand = {
        "input/casting/aluminium_ingot": 0.58962 * 17.610,  # t/t x t CO2e/t = t CO2e/t = kg CO2e/kg
        "input/casting/electricity": 139.24 * 0.6205 / 1000,  # kWh/t x t CO2/MWh = kg CO2/t
        "emit/casting/natural_gas_combustion": 155.44 * 1.9523 / 1000,  # m3/t x kg CO2/m3
    }
    for node, expected in by_hand.items():
        value, tol, _, _ = printed(nodes[node][1])
        assert abs(value - expected) <= tol, (node, value, expected)
    assert printed(nodes["input/casting/aluminium_ingot"][1])[0] == 10.38  # the report's 10.3832
    # waste transport: 7.428 t*km per 0.032 t treated, 0.032 t of waste per t of billet
    value, tol, _, _ = printed(nodes["input/waste_handling/transport"][1])
    assert abs(value - 7.428 * 0.049008103 * (0.032 / 0.032) / 1000) <= tol
    # edge amounts are per declared unit: 0.58962 t of ingot per t of billet is 0.5896 kg per kg
    edge = next(attrs for a, b, attrs in edges if a == "input/casting/aluminium_ingot")
    assert "0.5896 kg" in edge


def test_long_input_lists_are_grouped_into_one_node(billet, billet_dot):
    model, result = billet
    nodes, _, edges = billet_dot
    raw = [f for f in model.processes["casting"].flows
           if f.kind == "input" and f.source_kind == "factor" and f.stage == "raw_material_acquisition"]
    assert len(raw) == 50
    shown = [n for n in nodes if n.startswith("input/casting/") and
             nodes[n][0][-1] == "cluster_stage_raw_material_acquisition"]
    assert len(shown) == DEFAULT_TOP
    stack, attrs = nodes["more/casting/raw_material_acquisition/input"]
    assert stack[-1] == "cluster_stage_raw_material_acquisition"
    match = re.search(r"(\d+) more inputs, ([\d.]+) kg CO2e", label_text(attrs))
    assert match and int(match.group(1)) == 50 - DEFAULT_TOP
    # the grouped value is the stage's total less the inputs shown one by one (casting is the only
    # process reporting burden in raw material acquisition)
    calc = calc_json(BILLET)
    shown_values = sum(f["value"] for f in calc["by_flow"]
                       if f"input/{f['process']}/{f['flow']}" in shown)
    expected = calc["by_stage"]["raw_material_acquisition"]["value"] - shown_values
    value = match.group(2)
    assert abs(float(value) - expected) <= 0.5 * 10 ** -len(value.split(".")[1])
    assert ("more/casting/raw_material_acquisition/input", "process/casting") in {(a, b) for a, b, _ in edges}
    # the ones shown are the largest
    smallest_shown = min(f["value"] for f in calc["by_flow"] if f"input/{f['process']}/{f['flow']}" in shown)
    assert all(f["value"] <= smallest_shown for f in calc["by_flow"]
               if f["process"] == "casting" and f["stage"] == "raw_material_acquisition"
               and f"input/casting/{f['flow']}" not in shown)


def test_detail_shows_every_input_and_top_changes_the_count(billet):
    model, result = billet
    nodes, _, _ = parse_dot(dot_source(model, result, detail=True))
    assert not [n for n in nodes if n.startswith("more/")]
    lines = [f for f in result.by_flow if f.kind == "input"]
    assert len([n for n in nodes if n.startswith("input/")]) == len(lines)
    nodes, _, _ = parse_dot(dot_source(model, result, top=10))
    assert "40 more inputs" in label_text(nodes["more/casting/raw_material_acquisition/input"][1])


# ------------------------------------------------------------------ a large model: processes folded per stage


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The benchmark generator's 200-process system (Graphviz took 10.5 s to lay it out whole)."""
    from conftest import benchmark_module

    path = benchmark_module("generate").generate(200, seed=1).write(tmp_path_factory.mktemp("generated"))
    model = pcf_dsl.load(path)
    return path, model, pcf_dsl.compute(model)


def test_a_large_model_draws_its_largest_processes_and_folds_the_rest_per_stage(generated):
    from pcf_dsl.graph import reference_process
    from pcf_dsl.render import DEFAULT_PROCESSES

    _, model, result = generated
    nodes, _, edges = parse_dot(dot_source(model, result))
    drawn = {n.removeprefix("process/") for n in nodes if n.startswith("process/")}
    assert len(drawn) == DEFAULT_PROCESSES and reference_process(model) in drawn
    size = {name: abs(share.value) for name, share in result.by_process.items()}
    assert min(size.get(n, 0.0) for n in drawn) >= max(size.get(n, 0.0) for n in set(model.processes) - drawn)
    # One node per stage for the rest: its count and kg CO2e against the result, by a second sum.
    groups = {n: attrs for n, (_, attrs) in nodes.items() if n.startswith("more_processes/")}
    assert groups
    counted = 0
    for node, attrs in groups.items():
        stage = node.removeprefix("more_processes/")
        members = [n for n, p in model.processes.items() if n not in drawn and p.stage == stage]
        match = re.search(r"(\d+) more processes, (-?[\d.]+) kg CO2e", label_text(attrs))
        assert match and int(match.group(1)) == len(members)
        value = match.group(2)
        expected = sum(result.by_process[n].value for n in members if n in result.by_process)
        assert abs(float(value) - expected) <= 0.5 * 10 ** -len(value.partition(".")[2]) + 1e-12
        counted += len(members)
    assert counted == len(model.processes) - DEFAULT_PROCESSES
    # No edge points at a process that is not drawn; a folded process's links show as dashed edges.
    assert all(a in nodes and b in nodes for a, b, _ in edges)
    assert any("more_processes/" in a + b and "dashed" in attrs for a, b, attrs in edges)
    assert "smaller processes of a stage, grouped" in nodes["legend"][1]


def test_processes_none_or_detail_draws_every_process(generated):
    _, model, result = generated
    for options in ({"processes": None}, {"detail": True}):
        nodes, _, _ = parse_dot(dot_source(model, result, **options))
        assert len([n for n in nodes if n.startswith("process/")]) == len(model.processes)
        assert not [n for n in nodes if n.startswith("more_processes/")]
        assert "smaller processes" not in nodes["legend"][1]
    # The reference process is drawn whatever its size: the gate to the declared unit starts there.
    from pcf_dsl.graph import reference_process
    from pcf_dsl.render import _drawn_processes

    smallest_first = sorted(result.by_process, key=lambda n: abs(result.by_process[n].value))
    reference = reference_process(model)
    assert _drawn_processes(model, result, reference, 1) == {reference}
    largest = min(model.processes, key=lambda n: (-abs(result.by_process[n].value) if n in result.by_process else 0, n))
    assert _drawn_processes(model, result, smallest_first[0], 2) == {smallest_first[0], largest}
    # One process over the limit is drawn rather than folded alone.
    nodes, _, _ = parse_dot(dot_source(model, result, processes=len(model.processes) - 1))
    assert not [n for n in nodes if n.startswith("more_processes/")]


@needs_dot
def test_render_of_a_large_model_draws_with_the_cli_option(generated, tmp_path):
    path, _, _ = generated
    out = tmp_path / "large.svg"
    run = CliRunner().invoke(main, ["render", str(path), "--processes", "10", "-o", str(out)])
    assert run.exit_code == 0, run.output
    svg = out.read_text(encoding="utf-8")
    assert svg.count('class="node"') > 10 and "more processes" in svg


# ------------------------------------------------------------------ a small model: cut-offs, escaping, languages


def test_cutoff_flows_are_dashed_with_their_estimate(small):
    model = pcf_dsl.load(small)
    nodes, _, edges = parse_dot(dot_source(model))
    stack, attrs = nodes["cutoff/parts/glue"]
    assert stack[-1] == "cluster_stage_raw_material_acquisition"
    assert "style=dashed" in attrs
    # 0.004 kg CO2e per run of `parts`, which runs 2 times per declared unit (2 kg widget, 1 kg part each)
    assert "estimate 0.008000 kg CO2e" in label_text(attrs)
    edge = next(e for a, b, e in edges if a == "cutoff/parts/glue")
    assert "style=dashed" in edge and "0.02000 kg" in edge
    # a process the declared unit does not use is drawn, marked, and dashed
    assert "not used by the declared unit" in label_text(nodes["process/orphan"][1])
    # a flow's own stage puts its node in that stage's cluster, inside the boundary
    assert nodes["input/assembly/box"][0] == ("cluster_boundary", "cluster_stage_packaging")
    value, tol, _, _ = printed(nodes["input/assembly/box"][1])
    assert abs(value - 0.1 * 1.5 * 2) <= tol
    value, tol, _, _ = printed(nodes["emit/assembly/methane"][1])
    assert abs(value - 0.001 * 29.8 * 2) <= tol  # AR6 fossil methane


@needs_dot
def test_model_text_is_escaped_in_dot_and_svg(small):
    model = pcf_dsl.load(small)
    source = dot_source(model)
    assert "<script>" not in source and "&lt;script&gt;alert(1)&lt;/script&gt;" in source
    assert "Widget &lt;b&gt;&amp;&lt;/b&gt; co" in source
    assert "customer &lt;decides&gt;" in source
    svg = render(model, fmt="svg").decode("utf-8")
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_lang_zh_labels_stages_and_legend_in_chinese(billet, small):
    model, result = billet
    nodes, graphs, _ = parse_dot(dot_source(model, result, lang="zh"))
    assert "原材料获取" in graphs["cluster_stage_raw_material_acquisition"]
    assert "生产" in graphs["cluster_stage_production"]
    assert "废弃物处理" in graphs["cluster_stage_waste_treatment"]
    assert "waste treatment" not in graphs["cluster_stage_waste_treatment"]
    assert "生命末期（不包括）" in graphs["cluster_excluded_end_of_life"]
    assert "图例" in nodes["legend"][1] and "系统边界" in graphs["cluster_boundary"]
    assert "熔炼、精炼、铸造" in nodes["process/casting"][1]
    english = parse_dot(dot_source(model, result))
    assert "melting, refining and casting" in english[0]["process/casting"][1]
    assert "熔炼" not in english[0]["process/casting"][1]
    small_model = pcf_dsl.load(small)
    assert "包装" in parse_dot(dot_source(small_model, lang="zh"))[1]["cluster_stage_packaging"]


# ------------------------------------------------------------------ output files


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pcf_dsl.cli", *args], capture_output=True, cwd=ROOT)


# One process per run, writing every format through the command line: two runs, compared byte by byte.
RUN_ALL_FORMATS = """
import sys
from click.testing import CliRunner
from pcf_dsl.cli import main
for fmt in ("svg", "png", "pdf", "dot"):
    done = CliRunner().invoke(main, ["render", sys.argv[1], "-o", f"{sys.argv[2]}/billet.{fmt}"])
    assert done.exit_code == 0, done.output
"""


@needs_dot
def test_output_is_byte_identical_across_runs(tmp_path):
    runs = [tmp_path / "first", tmp_path / "second"]
    for out in runs:
        out.mkdir()
        done = subprocess.run([sys.executable, "-c", RUN_ALL_FORMATS, str(BILLET), str(out)], capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
    for fmt, magic in {"svg": b"<?xm", "png": b"\x89PNG", "pdf": b"%PDF", "dot": b"digr"}.items():
        data = (runs[0] / f"billet.{fmt}").read_bytes()
        assert data[:4] == magic
        assert data == (runs[1] / f"billet.{fmt}").read_bytes(), f"{fmt} differs between two runs"
        if fmt == "pdf":  # no clock in the file (two runs in one second would agree anyway)
            assert re.findall(rb"/CreationDate \(D:(\d{8})", data) in ([], [b"19700101"])


@needs_dot
def test_svg_on_stdout_and_chinese_glyphs(tmp_path):
    done = _run("render", str(BILLET), "--lang", "zh")
    assert done.returncode == 0, done.stderr.decode()
    svg = done.stdout.decode("utf-8")
    assert svg.startswith("<?xml") and "原材料获取" in svg and "Noto Sans CJK SC" in svg


def test_missing_dot_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on this PATH
    result = CliRunner().invoke(main, ["render", str(BILLET), "-o", str(tmp_path / "x.svg")])
    assert result.exit_code == 2  # a program the command needs is missing; 1 would claim a finding
    assert "Graphviz" in result.output and "apt-get install graphviz" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.svg").exists()
    dot = CliRunner().invoke(main, ["render", str(BILLET), "--format", "dot"])  # needs no Graphviz
    assert dot.exit_code == 0 and dot.output.startswith("digraph pcf {")


def test_invalid_model_exits_2_with_a_located_error(tmp_path):
    bad = tmp_path / "bad.pcf"
    bad.write_text(SMALL.replace("from power\n  input box", "from powr\n  input box"), encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(bad)])
    assert result.exit_code == 2
    assert "bad.pcf:" in result.output and "powr" in result.output


@needs_dot
def test_control_characters_in_model_text_do_not_break_the_drawing(tmp_path):
    """A vertical tab (a manual line break pasted from Word) or a bell in a label is no XML, even escaped:
    Graphviz refused every label holding one and `pcf render` / `pcf report` ended in an internal error."""
    path = tmp_path / "ctl.pcf"
    path.write_text('study "ctl \x01 x" {\n  declared_unit 1 kg of make.thing\n}\nboundary cradle_to_gate\n'
                    'factor f = 1 kg CO2e / kg\nprocess make "bell\x07 label" {\n  stage production\n'
                    '  product thing 1 kg\n  input x "line\x0bbreak" 1 kg from f\n}\n', encoding="utf-8")
    model = pcf_dsl.load(path)
    source = dot_source(model)
    assert "<B>bell  label</B>" in source and "line break" in source and not re.search("[\x01\x07\x0b]", source)
    svg = render(model, fmt="svg").decode("utf-8")
    assert "bell &#160;label" in svg  # Graphviz keeps the second space as a no-break space
    run = CliRunner().invoke(main, ["report", str(path), "-o", str(tmp_path / "r.html")])
    assert run.exit_code == 0, run.output


def test_a_removal_reads_kg_co2_as_written_on_arrows_and_in_the_calc_json(tmp_path):
    """`emit uptake -1 kg CO2` was kept as "-(1 kg CO2)", whose unit the diagram could not read back: its
    arrow said "-1.000 CO2 * kg" (pint's order)."""
    path = tmp_path / "removal.pcf"
    path.write_text('import "std:gwp/ipcc_ar6.pcf" as ipcc\nstudy "r" {\n  declared_unit 1 kg of make.thing\n'
                    '  gwp ipcc.ar6\n}\nboundary cradle_to_gate\nfactor f = 1 kg CO2e / kg\n'
                    'factor truck = 0.1 kg CO2e / (t*km)\nprocess make {\n  stage production\n  product thing 1 kg\n'
                    '  input x 3 kg from f\n  input haul 2 t*km from truck\n  emit uptake -1 kg CO2\n'
                    '  emit leak 0.5 kg CO2\n  emit m -2 g CH4_fossil\n  emit k 0.000013 kg / kg * 1 t of x with f\n}\n',
                    encoding="utf-8")
    model = pcf_dsl.load(path)
    flows = {f.name: f for f in model.processes["make"].flows}
    assert flows["uptake"].amount_text == "-1 kg CO2" and flows["m"].amount_text == "-2 g CH4_fossil"
    edges = {m.group(1): m.group(2) for m in re.finditer(r'-> "emit/make/(\w+)" \[label=<([^>]*)>', dot_source(model))}
    assert edges["uptake"] == "-1.000 kg CO2" and edges["leak"] == "0.5000 kg CO2"
    assert edges["m"] == "-2.000 g CH4_fossil"
    run = CliRunner().invoke(main, ["calc", str(path), "--format", "json"])
    assert run.exit_code == 0, run.output
    units = {f["flow"]: f["amount"]["unit"] for f in json.loads(run.output)["by_flow"]}
    # the short form of docs/calc-json.md (a gas after its mass, `t km`), whatever the spelling
    assert units == {"x": "kg", "haul": "t km", "uptake": "kg CO2", "leak": "kg CO2", "m": "g CH4_fossil",
                     "k": "t"}


@pytest.mark.parametrize("text", ["-1 kg CO2", "-2.5 t * km / h", "-(2 kg + 1 kg) CO2", "-(2 m)^2",
                                  "-(m^2 * 3)", "-(-(1) kg)", "-(1 - 2) kg", "2 - -3 kg", "-x * 2 kg"])
def test_a_negative_amount_written_back_keeps_its_value(text):
    """source_text drops the parentheses of -(a b / c) only where the value stays the same."""
    from pcf_dsl.evaluate import evaluate, source_text
    from pcf_dsl.parse import parse_text

    def value(expression):
        (_, item) = parse_text(f"param x = 4\nparam p = {expression}\n", "n.pcf").items
        return evaluate(item.expr, lambda ref: pcf_dsl.units.Q(4.0))

    (_, item) = parse_text(f"param x = 4\nparam p = {text}\n", "n.pcf").items
    written = source_text(item.expr)
    again = value(written)
    assert again.units == value(text).units and again.magnitude == pytest.approx(value(text).magnitude, rel=1e-12)

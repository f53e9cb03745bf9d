"""The shortcuts that make compute and the rules fast give what the general code gives.

Each test compares a shortcut with the plain computation it replaces (the full
process graph, a fresh computation, the unit registry) or with values written
out by hand, on models small enough to reason about.
"""

from __future__ import annotations

import gc
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pcf_dsl.build import load
from pcf_dsl.collector import collector_paused
from pcf_dsl.compute import compute
from pcf_dsl.diagnostics import PcfError
from pcf_dsl.graph import depends_on, process_graph, reference_process, suppliers, unreachable_processes, upstream
from pcf_dsl.rules.base import Context
from pcf_dsl.rules.common import convert, in_kg, picked_flows
from pcf_dsl.rules.engine import _clean
from pcf_dsl.units import dimensionality

from conftest import benchmark_module

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"

# A loop (scrap back to melting), a waste sent to treatment, a factor, and a process nothing uses.
LOOPED = '''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Speedups" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor grid = 0.6 kg CO2 / kWh

process melting {
  stage   production
  product melt 1 t
  input   scrap 0.1 t from casting.scrap
  input   electricity 300 kWh from grid
}

process casting {
  stage   production
  product billet 1 t
  product scrap 0.1 t
  allocation mass
  input   melt 1.1 t from melting
  waste   dross 0.02 t to landfill.disposal
}

process landfill {
  stage   end_of_life
  product disposal 1 t
  input   electricity 5 kWh from grid
}

process unused {
  stage   production
  product thing 1 t
  input   electricity 1 kWh from grid
}
'''


@pytest.fixture
def looped(tmp_path):
    path = tmp_path / "looped.pcf"
    path.write_text(LOOPED, encoding="utf-8")
    return load(path)


@pytest.mark.parametrize("which", ["reference", "looped"])
def test_the_supplier_lists_find_the_same_upstream_as_the_process_graph(which, looped):
    model = load(REFERENCE) if which == "reference" else looped
    reference = reference_process(model)
    full, lists = process_graph(model), suppliers(model)
    assert depends_on(lists, reference) == upstream(full, reference)
    needed = upstream(full, reference)
    assert unreachable_processes(model) == [name for name in model.processes if name not in needed]
    if which == "looped":
        # By hand: casting takes melt, melting takes casting's scrap, casting's dross goes to landfill.
        assert depends_on(lists, "casting") == {"casting", "melting", "landfill"}
        assert unreachable_processes(model) == ["unused"]
        assert set(lists) == set(model.processes)  # no factor nodes


def test_pcf_check_does_not_import_networkx():
    """B003's walk needs no networkx graph: importing networkx was 0.1 s of every `pcf check`."""
    code = ("import importlib, sys; importlib.import_module('pcf_dsl.check').run_check(sys.argv[1]); "
            "print('networkx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(REFERENCE)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_shared_value_is_computed_once_per_run(looped):
    calls = []

    def count(model):
        calls.append(model)
        return len(model.processes)

    extra: dict = {}
    first = Context(model=looped, result=None, params={}, profile=None, extra=extra)
    second = Context(model=looped, result=None, params={}, profile=None, extra=extra)
    assert first.shared(count, looped) == 4
    assert second.shared(count, looped) == 4
    assert len(calls) == 1
    # Another run (its own `extra`) computes it again.
    assert Context(model=looped, result=None, params={}, profile=None).shared(count, looped) == 4
    assert len(calls) == 2


def test_evidence_is_cleaned_as_before():
    evidence = {"nan": math.nan, "inf": -math.inf, "x": 1.5, "n": 3, "flag": True, "none": None,
                "name": "casting", "pair": (1.0, math.inf), "nested": {"deep": [math.nan, "a", 2]},
                "numpy": np.float64("nan"), "numpy_ok": np.float64(0.25), 7: "key"}
    assert _clean(evidence) == {"nan": None, "inf": None, "x": 1.5, "n": 3, "flag": True, "none": None,
                                "name": "casting", "pair": [1.0, None], "nested": {"deep": [None, "a", 2]},
                                "numpy": None, "numpy_ok": 0.25, "7": "key"}
    assert _clean([math.inf, (2.0, "b")]) == [None, [2.0, "b"]]


@pytest.mark.parametrize("evidence", [
    {"mass_in_kg": 1.5, "gap_kg": -0.25, "flows_not_in_mass": 3, "flag": True},
    {"a": 1.0, "b": math.inf}, {"a": math.nan, "b": 2}, {"a": math.inf, "b": -math.inf},
    {"a": 1e308, "b": 1e308},  # finite each, their sum is not
    {"a": 10 ** 400, "b": 1.0},  # a number too large for a float
    {"a": 1.0, 7: 2.0},  # a key that is not a name
])
def test_evidence_of_numbers_alone_is_cleaned_value_by_value(evidence):
    """engine._clean tells a dict of plain numbers finite by their sum: the same as settling each value."""
    expected = {str(k): (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in evidence.items()}
    cleaned = _clean(evidence)
    assert cleaned == expected and list(cleaned) == list(expected)
    assert [type(v) for v in cleaned.values()] == [type(v) for v in expected.values()]
    assert cleaned is not evidence  # a copy: the finding's own evidence is not the diagnostic's


@pytest.mark.parametrize("which", ["reference", "looped"])
def test_the_picked_flows_are_the_walks_they_replace(which, looped):
    model = load(REFERENCE) if which == "reference" else looped
    picked = picked_flows(model)
    pairs = [(p, f) for p in model.processes.values() for f in p.flows]
    assert picked.placed == [(p, f) for p, f in pairs if f.stage is not None or f.group is not None]
    assert picked.cut_or_waste == [(p, f) for p, f in pairs if (f.kind == "input" and f.cutoff) or f.kind == "waste"]
    assert picked.burning == [(p, f) for p, f in pairs if f.kind == "emit" and f.of_input is not None]
    assert picked.products == [len(p.products) for p in model.processes.values()]
    # Something to compare in every list: the reference's lines, the looped model's two products of casting.
    assert picked.placed and picked.cut_or_waste and picked.burning if which == "reference" else picked.products[1] == 2


def test_unit_conversions_are_the_same_when_asked_again(looped):
    electricity = looped.processes["melting"].flow("electricity")
    scrap = looped.processes["melting"].flow("scrap")
    for _ in range(2):  # the second answer comes from the cache, failures included
        assert in_kg(electricity) is None
        assert in_kg(scrap) == pytest.approx(100.0, rel=1e-15)  # 0.1 t by hand
        assert convert(2.0, "kWh", "MJ") == pytest.approx(7.2, rel=1e-15)  # 1 kWh = 3.6 MJ
        assert dimensionality("t") == dimensionality("kg") != dimensionality("kWh")


def test_compute_leaves_the_collector_as_it_found_it(looped, tmp_path):
    assert gc.isenabled()
    compute(looped)
    assert gc.isenabled()
    gc.disable()
    try:
        compute(looped)
        assert not gc.isenabled()
    finally:
        gc.enable()
    broken = tmp_path / "broken.pcf"
    broken.write_text(LOOPED.replace("  input   electricity 1 kWh from grid\n", "  emit    m 1 kg CH4\n"),
                      encoding="utf-8")
    with pytest.raises(PcfError) as info:  # AR6 has CH4_fossil and CH4_biogenic, not CH4
        compute(load(broken))
    assert info.value.diagnostics[0].code == "E511"
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_checking_a_small_model_does_not_import_the_sparse_solvers():
    """`pcf check` on a product model of a few dozen activities solves with numpy alone.

    Importing scipy.sparse and its solvers costs about 0.15 s, a third of the start-up
    the benchmark holds `pcf check` to (benchmarks/run.py); the import must wait for a
    system larger than compute.DENSE. Nor does it make the result classes of
    `pcf calc --all-products` (pcf_dsl.products: 5 ms of pydantic validators). A fresh
    interpreter, since this one has them loaded.
    """
    code = ("import sys; from pcf_dsl.check import run_check; "
            f"outcome = run_check({str(REFERENCE)!r}); "
            "print(round(outcome.result.total.value, 4), "
            "sorted(m for m in ('scipy.sparse', 'scipy.sparse.linalg', 'scipy.sparse.csgraph', 'pcf_dsl.products') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(maxsplit=1)
    # The reference report's figure, 11.22 kg CO2e, to the model's four decimals (test_reference_model.py).
    assert math.isclose(float(out[0]), 11.2206, abs_tol=5e-5)
    assert out[1].strip() == "[]"


@pytest.mark.parametrize("which", ["reference", "looped", "generated"])
def test_the_pipeline_leaves_no_reference_cycles(which, tmp_path):
    """Load, compute and check free everything they drop by reference counting alone.

    The `pcf` commands run without the cyclic garbage collector (cli.py), so a cycle
    made per flow would stay until the command ends: a recursive closure per amount
    once kept 131k objects of syntax alive at 10k processes. The second run is the
    one counted: the first imports modules and fills caches, which make cycles once.
    """
    if which == "reference":
        path = REFERENCE
    else:
        path = tmp_path / "model.pcf"
        if which == "looped":
            path.write_text(LOOPED, encoding="utf-8")
        else:
            path = benchmark_module("generate").generate(300, 5).write(tmp_path)
    from pcf_dsl.check import run_check

    def pipeline():
        outcome = run_check(path)
        assert outcome.result is not None and outcome.result.total.value > 0

    pipeline()
    with collector_paused():
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            pipeline()
            gc.collect()
            garbage = [type(o).__name__ for o in gc.garbage]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
    assert garbage == []


def test_the_objects_made_per_process_and_per_line_keep_no_dict(looped):
    """Processes, flows, amounts, result lines and shares are slotted records (model.record).

    They are the objects a large model has hundreds of thousands of; a pydantic
    BaseModel would give each a __dict__ (a flow with its amount: 960 bytes
    against 272). Every class that has one object per process or per line is
    listed here, so that a new field type or a return to BaseModel is caught.
    """
    result = compute(looped)
    objects = {
        "process": looped.processes["casting"],
        "flow": looped.processes["casting"].flows[0],
        "amount": looped.processes["casting"].flows[0].amount,
        "result line": result.by_flow[0],
        "its amount": result.by_flow[0].amount,
        "process share": result.by_process["casting"],
        "stage share": result.by_stage["production"],
    }
    assert [name for name, obj in objects.items() if hasattr(obj, "__dict__")] == []
    # Still validated on construction, as the BaseModels were.
    with pytest.raises(ValueError):
        type(objects["process share"])(value="not a number", share=0.5)


def test_claims_are_compared_once_per_check_run(monkeypatch):
    """R001 and R002, under both profiles the reference model's standards choose, read one
    comparison per claim (Context.shared), and each line's input rounding is worked out once.

    Before, each rule compared every claim under each profile: 316 comparisons and 1,140 unit
    burdens for the reference model's 79 result claims, about 70 ms of a `pcf check` whose
    start-up the benchmark holds to 1.5x the bare imports.
    """
    import importlib

    common = importlib.import_module("pcf_dsl.rules.common")
    check_module = importlib.import_module("pcf_dsl.check")
    calls = {"compare_claim": 0, "per_unit_of_amount": 0}
    for name in calls:
        real = getattr(common, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(common, name, counted)
    outcome = check_module.run_check(REFERENCE)
    claims = [c for c in outcome.model.claims if c.target != "quality"]
    covered = {(line.process, line.flow) for claim in claims for line in outcome.result.by_flow
               if common._in_scope(claim, line)}
    assert len(outcome.profiles) == 2 and len(claims) == 79
    assert calls == {"compare_claim": len(claims), "per_unit_of_amount": len(covered)}
    # Both rules, under both profiles, still compared every claim (their findings: tests/rules/).
    assert [run.outcomes[code].summary for run in outcome.runs for code in ("R001", "R002")] == \
        [{"claims_compared": 79}] * 4


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_check_json_and_sarif_free_the_model_before_the_text(fmt, tmp_path, monkeypatch):
    """The findings' JSON is made after the model and its result are freed: at 100k processes they
    are 1.3 GiB, and with them alive `pcf check --format sarif` peaked at 2,049 MiB (1,872 without).
    Freed by reference counting, as the commands run without the cyclic collector."""
    from click.testing import CliRunner

    from pcf_dsl.cli import main
    from pcf_dsl.commands import check as check_command
    from pcf_dsl.model import Model

    made, alive_at_dumps = [], []
    real_run_check, real_dumps = check_command.run_check, check_command.dumps

    def run_check(*args, **kwargs):
        outcome = real_run_check(*args, **kwargs)
        made.append(id(outcome.model))
        return outcome

    def dumps(data):
        alive_at_dumps.append(any(isinstance(o, Model) and id(o) == made[-1] for o in gc.get_objects()))
        return real_dumps(data)

    monkeypatch.setattr(check_command, "run_check", run_check)
    monkeypatch.setattr(check_command, "dumps", dumps)
    path = tmp_path / "looped.pcf"
    path.write_text(LOOPED, encoding="utf-8")
    run = CliRunner().invoke(main, ["check", str(path), "--format", fmt])
    assert run.exit_code in (0, 1), run.output
    assert alive_at_dumps == [False]
    assert "diagnostics" in json.loads(run.output) or "runs" in json.loads(run.output)


@pytest.mark.parametrize("text, value, half", [
    ("0.58962 t", 0.58962, 0.000005),
    ("2 * 0.50000 t", 1.0, 0.00001),  # the measured number is 0.50000, the 2 a count: 2 x 0.000005
    ("500 kWh", 500.0, 0.5),  # whole numbers alone: the first
    ("1.5e3 kg", 1500.0, 50.0),  # one decimal, times 10^3: -2 decimals
    ("0.3 kg / item * 1000 items", 300.0, 50.0),
    ("(no number)", 1.0, 0.0),
])
def test_half_unit_of_the_measured_number(text, value, half):
    """U002's rounding slack, worked out by hand: half a unit of the last printed digit of the measured
    number (the first with a point or an exponent), scaled by the amount's ratio to that number."""
    from types import SimpleNamespace

    from pcf_dsl.rules.common import decimals_of, half_unit

    flow = SimpleNamespace(amount_text=text, amount=SimpleNamespace(value=value))
    assert half_unit(flow) == pytest.approx(half, rel=1e-12)
    assert (decimals_of(text) is None) == (half == 0.0)


def test_allocation_basis_shares_are_pints(tmp_path):
    """A003 multiplies a product's amount and property as floats when pint would give their product
    with nothing to convert: the shares are those of pint's arithmetic for every product, on a
    generated system with energy and economic allocations in t and kg."""
    from pcf_dsl.rules.a003_allocation_basis import _basis_shares

    model = load(benchmark_module("generate").generate(2000, 3).write(tmp_path))
    compared = 0
    for process in model.processes.values():
        allocation = process.allocation
        if allocation is None or allocation.method not in ("energy", "physical", "economic"):
            continue
        if any(p.name not in allocation.properties for p in process.products):
            continue
        weighted = [p.amount.pint() * allocation.properties[p.name].pint() for p in process.products]
        weights = [float(w.to(weighted[0].units).magnitude) for w in weighted]
        expected = {p.name: w / sum(weights) for p, w in zip(process.products, weights)}
        assert _basis_shares(process)[0] == expected, process.name
        compared += 1
    assert compared > 20


@pytest.mark.parametrize("text", ["", "a", "a\n", "\n\n", "ab\ncd", "x\r\ny\r\n", "é\nü\n"])
def test_line_starts_of_a_large_text_are_the_loops(text):
    """A text of a megabyte or more (ASCII) has its line starts found by numpy, a smaller one by the
    loop: the same offsets, for texts padded past the size at which the numpy search takes over."""
    from pcf_dsl import diagnostics

    def by_loop(text):
        starts, at = [0], text.find("\n")
        while at >= 0:
            starts.append(at + 1)
            at = text.find("\n", at + 1)
        return starts + [len(text) + 1]

    for whole in (text, text + "process p {\n  stage s\n}\n" * (diagnostics._ARRAY_SEARCH // 20) + text):
        assert diagnostics._line_starts(whole).tolist() == by_loop(whole)
    big = "line\n" * (diagnostics._ARRAY_SEARCH // 5 + 1)
    cache = diagnostics.SourceCache()
    cache.add("big.pcf", big + "last")
    assert cache.line("big.pcf", 1) == "line" and cache.line("big.pcf", big.count("\n") + 1) == "last"
    assert cache.line("big.pcf", big.count("\n") + 2) is None


def test_cutoff_flows_from_the_result_are_the_models(tmp_path):
    """C001-C005 take the cut-off flows from the result's list (Result.cutoff) instead of walking every
    flow: the same flows in the same order as the walk, on the reference model and a generated one
    with cut-off inputs of its own."""
    from pcf_dsl.rules.c004_coverage import coverage
    from pcf_dsl.rules.common import cutoff_flows

    generated = benchmark_module("generate").generate(300, 5).write(tmp_path)
    for path in (REFERENCE, generated):
        model = load(path)
        result = compute(model)
        walked = [(p, f) for p in model.processes.values() for f in p.flows if f.cutoff]
        listed = cutoff_flows(model, result)
        assert [(p.name, f.name) for p, f in listed] == [(p.name, f.name) for p, f in walked]
        assert all(a is b and c is d for (a, c), (b, d) in zip(listed, walked))
        assert coverage(model, result)[1] == len(walked)
    assert walked, "the generated model cuts some inputs off"


@pytest.mark.parametrize(("command", "loader"), [("check", "pcf_dsl.check"), ("calc", "pcf_dsl.commands.calc")])
def test_a_command_lets_its_model_go_before_the_collector_is_back(command, loader, monkeypatch):
    """A command ends by raising click's Exit, whose traceback holds its frames and the model. The
    collector, paused while the command runs, is switched back on only once they are gone: on with the
    model alive, its first pass walked every object of it (2 s at 100k processes)."""
    import importlib
    import weakref

    from click.testing import CliRunner

    from pcf_dsl import collector
    from pcf_dsl.cli import main

    module = importlib.import_module(loader)  # the module whose `load` the command calls
    real_load, real_enable = module.load, collector.gc.enable
    loaded, alive_when_enabled = [], []

    def load_and_watch(*args, **kwargs):
        model = real_load(*args, **kwargs)
        loaded.append(weakref.ref(model))
        return model

    def enable():
        alive_when_enabled.append([ref() is not None for ref in loaded])
        real_enable()

    monkeypatch.setattr(module, "load", load_and_watch)
    monkeypatch.setattr(collector.gc, "enable", enable)
    path = Path(__file__).resolve().parents[1] / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
    assert gc.isenabled()
    run = CliRunner().invoke(main, [command, str(path)])
    assert run.exit_code in (0, 1), run.output  # (the reference model has one error finding, by design)
    assert gc.isenabled()
    assert len(loaded) == 1 and alive_when_enabled[-1] == [False]


def _buffered_environment() -> dict:
    """The environment without PYTHONUNBUFFERED (some CI images and sandboxes set it): standard output is
    then buffered as on a user's machine, and what the process's end does not flush is lost."""
    import os

    return {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


@pytest.mark.parametrize("args", [["check", "--format", "json"], ["calc", "--format", "json"], ["check"],
                                  ["render", "-o", "{tmp}/b.dot"]])
def test_the_command_line_process_ends_with_its_command_and_all_of_its_output(args, tmp_path):
    """The `pcf` script's process ends when its command ends, without freeing the model (cli._end_process):
    what it wrote, to standard output and to files, and its exit code are what the command gives in the
    caller's process (click's CliRunner, where the process goes on)."""
    import subprocess
    import sys

    from click.testing import CliRunner

    from pcf_dsl.cli import main

    path = Path(__file__).resolve().parents[1] / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
    given = [arg.format(tmp=tmp_path) for arg in args] + [str(path)]
    # As the `pcf` script runs it, with os._exit watched: the process must end there, not after freeing.
    script = ("import os, sys\nfrom pcf_dsl import cli\nreal = os._exit\n"
              "def watched(code):\n    sys.stderr.write(f'ended here: {code}')\n    sys.stderr.flush()\n    real(code)\n"
              "os._exit = watched\nsys.argv = ['pcf', *sys.argv[1:]]\ncli.run()\n")
    ended = subprocess.run([sys.executable, "-c", script, *given], capture_output=True, cwd=tmp_path, check=False,
                           env=_buffered_environment())
    assert ended.stderr.decode().endswith(f"ended here: {ended.returncode}")
    written = (tmp_path / "b.dot").read_bytes() if "-o" in args else None
    invoked = CliRunner().invoke(main, given)
    assert ended.returncode == invoked.exit_code and ended.returncode in (0, 1)
    assert ended.stdout.decode() == invoked.stdout
    assert len(ended.stdout) > 1000 or "-o" in args
    if written is not None:
        assert written == (tmp_path / "b.dot").read_bytes() and written.startswith(b"digraph")


def _plain_weighted_quality(model, result):
    """The data-quality score as a plain loop over the lines (what quality.weighted_quality computes on arrays)."""
    from pcf_dsl.quality import line_quality, line_values, quality_level

    values = line_values(result)
    magnitude = sum(abs(v) for v in values.values())
    weights, weighted, unscored = [], [], []
    for (process_name, flow_name), value in values.items():
        process = model.processes[process_name]
        quality = line_quality(process, process.flow(flow_name))
        weight = abs(value) / magnitude if magnitude else 0.0
        if quality is None:
            unscored.append((process_name, flow_name, weight))
        else:
            weights.append(weight)
            weighted.append(weight * quality.score())
    share = sum(weights)
    score = sum(weighted) / share if share else None
    return {"score": score, "level": quality_level(score) if score is not None else None,
            "scored_share": share, "unscored": unscored}


@pytest.mark.parametrize("flow_scores", [False, True])
def test_the_weighted_quality_on_arrays_is_the_plain_loops(flow_scores, tmp_path):
    from pcf_dsl.quality import weighted_quality

    own = "  {\n    quality activity=continuous factor=national calibration=compliant\n  }\n" if flow_scores else "\n"
    path = tmp_path / "dq.pcf"
    path.write_text(
        'study "dq" {\n  declared_unit 1 kg of p.x\n}\nfactor a = 3 kg CO2e / kg\nfactor b = 0.7 kg CO2e / kg\n'
        'process p {\n  stage production\n  quality activity=periodic factor=national calibration=accepted\n'
        '  product x 1 kg\n  input one 0.3 kg from a' + own + '  input two 0.1 kg from b\n'
        '  input part 1 kg from q.y\n}\n'
        'process q {\n  stage production\n  product y 1 kg\n  input three 0.9 kg from a\n'
        '  input four 0.01 kg from b\n}\n', encoding="utf-8")
    model = load(path)
    result = compute(model)
    expected = _plain_weighted_quality(model, result)
    assert weighted_quality(model, result) == expected and expected["unscored"] and expected["score"] is not None
    # A flow with two lines: the loop adds their values into one weight; so must the arrays.
    result.by_flow.append(result.by_flow[0])
    assert weighted_quality(model, result) == _plain_weighted_quality(model, result)


def test_largest_first_is_sorted_by_size_then_name():
    from pcf_dsl.compute import largest_first

    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 5, 40, 300):
        sizes = rng.choice([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 1e-300, 0.1 + 0.2, 0.3], size=n).tolist()
        names = rng.choice(["a", "b", "a.b", "a-b", "c", "a_b"], size=n).tolist()
        assert largest_first(sizes, names.__getitem__) == sorted(range(n), key=lambda i: (-abs(sizes[i]), names[i]))


@pytest.mark.parametrize("text", ["plain text", "tab\there", "line\nbreak", "esc\x1b[31mred", "del\x7f",
                                  "c1\x85", "bidi \u202e", "lone \udcff", "中文 text", "", "bell\x07"])
def test_printable_without_the_regex_is_the_regex(text):
    from pcf_dsl.diagnostics import _UNPRINTABLE, printable

    assert printable(text) == _UNPRINTABLE.sub("\ufffd", text)


def test_the_command_line_process_ends_with_all_of_the_formatted_text_of_standard_input():
    """`pcf fmt -` writes its bytes to standard output's buffer, not through click: the process's end
    (cli._end_process) must flush them, a short text left in the buffer as much as a long one, which
    the buffer writes through."""
    import subprocess
    import sys

    from click.testing import CliRunner

    from pcf_dsl.cli import main

    path = Path(__file__).resolve().parents[1] / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
    script = "import sys\nfrom pcf_dsl import cli\nsys.argv = ['pcf', 'fmt', '-']\ncli.run()\n"
    for parameters in (3, 5000):
        # The reference model with blank lines to take out (the formatter has work to do), and parameters.
        text = path.read_bytes().replace(b"\n\n", b"\n\n\n") if parameters > 3 else b"param a =  1 kg\n\n\n"
        text += b"".join(f"param p{i} =  {i}.5 kg\n".encode() for i in range(parameters))
        ended = subprocess.run([sys.executable, "-c", script], input=text, capture_output=True, check=False,
                               env=_buffered_environment())
        invoked = CliRunner().invoke(main, ["fmt", "-"], input=text)
        assert ended.returncode == invoked.exit_code == 0, ended.stderr
        assert ended.stdout == invoked.stdout_bytes != text and len(ended.stdout) > 15 * parameters

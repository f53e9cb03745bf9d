"""The benchmark: pcf_dsl on synthetic systems of 1k, 10k and 100k processes, beside json.loads and bw2calc.

    .venv/bin/python benchmarks/run.py                      # 1k, 10k, 100k (about 15-20 minutes)
    .venv/bin/python benchmarks/run.py --sizes 1000,10000   # quicker
    .venv/bin/pip install -e '.[bench]'                     # bw2calc with pypardiso, as in the README table

Prints its figures (it asserts nothing: the targets are printed as ratios, met or
not). Every size is measured in fresh subprocesses, so peak memory (ru_maxrss)
belongs to that size alone:

- a measuring process: parse, model build, graph, solve (factorise + one demand,
  the best of a few runs where one takes milliseconds, as bw2calc's solve is
  timed; and 100 demands from one factorisation), compute, the rules of `pcf check`,
  DOT rendering, then json.loads of the same content as JSON (the floor for reading
  structured text: what the text states, no empty fields; garbage collector off, as
  during our parse and build);
- bw2calc on the same technosphere and biosphere matrices (written by the
  measuring process), once with the solver it picks and, when pypardiso is
  installed, once made to use SuperLU;
- `pcf check` and `pcf calc --format json` as a user runs them (wall time, peak RSS).

Start-up: `pcf check` on the reference model against a bare
`python -c "import lark, pydantic, networkx, pint, scipy.sparse"`, best of 7
in turns; and both counted in instructions with valgrind's callgrind, when
valgrind is installed (a repeatable figure where wall times are noisy).

Every child runs from compiled bytecode kept under the work directory, as an
installed package would (see _bytecode_as_installed).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFERENCE = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
GiB = 1024 ** 3


def _maxrss_bytes(rusage) -> int:
    return rusage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def _timed_child(argv: list[str]) -> tuple[float, int, int, str, str]:
    """Wall time, exit code, peak RSS (bytes) of one child, measured with wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Read the pipes in threads so a large output cannot block the child, then wait4 for its rusage.
    import threading

    chunks = {"out": [], "err": []}

    def pump(stream, key):
        chunks[key].append(stream.read())

    threads = [threading.Thread(target=pump, args=(proc.stdout, "out")),
               threading.Thread(target=pump, args=(proc.stderr, "err"))]
    for t in threads:
        t.start()
    _, status, rusage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    for t in threads:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, proc.returncode, _maxrss_bytes(rusage), "".join(chunks["out"]), "".join(chunks["err"])


# ------------------------------------------------------------------ the measuring child


def best_of(step, budget: float = 0.5, most: int = 7):
    """The fastest of a few runs of `step` (which returns its seconds and a value), and that run's value.

    A solve of a few milliseconds is mostly noise in one run; both sides of the
    bw2calc comparison are timed this way. Runs stop once they add up to `budget`
    seconds, so a step of seconds runs once.
    """
    best, value, spent, runs = float("inf"), None, 0.0, 0
    while runs < most and (runs == 0 or spent < budget):
        seconds, result = step()
        if seconds < best:
            best, value = seconds, result
        spent += seconds
        runs += 1
    return best, value


def measure(directory: Path, n_demands: int = 100, render_max: int = 100_000) -> dict:
    """Runs in a fresh process: every step of the pipeline on directory/model.pcf."""
    import gc

    t0 = time.perf_counter()
    import numpy as np

    import pcf_dsl.build as build
    check_module = importlib.import_module("pcf_dsl.check")  # `pcf_dsl.check` the attribute is a function
    from pcf_dsl.compute import build_system, compute, factorise, solve_many
    from pcf_dsl.graph import process_graph
    from pcf_dsl.products import product_footprints

    # pcf_dsl imports scipy's sparse solvers only when a system needs them (start-up, see
    # compute.DENSE); imported here, so the solve figures are the solve's, as bw2calc's are.
    import scipy.sparse.csgraph  # noqa: F401
    import scipy.sparse.linalg  # noqa: F401

    out: dict = {"import_s": time.perf_counter() - t0}
    # Which flow line reader this process loads with (printed per size: a source changed during a run
    # would make later sizes pure Python).
    out["flow_line_reader"] = "compiled" if importlib.import_module("pcf_dsl.parse")._COMPILED_READER else "pure Python"
    top = directory / "model.pcf"
    # The steps run with the collector off, as a `pcf` command runs (cli.py): on between the steps,
    # its first pass after the load walked the whole model, and the time went to the step after it
    # (the graph's, at 100k processes).
    gc.disable()
    out["bytes"] = sum(p.stat().st_size for p in directory.glob("*.pcf"))

    # Parse time is measured inside load() by timing each call of parse_file (a measurement hook only).
    parse_seconds = [0.0]
    original_parse = build.parse_file

    def timed_parse(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original_parse(*args, **kwargs)
        finally:
            parse_seconds[0] += time.perf_counter() - start

    build.parse_file = timed_parse
    start = time.perf_counter()
    model = build.load(top)
    out["load_s"] = time.perf_counter() - start
    build.parse_file = original_parse
    out["parse_s"] = parse_seconds[0]
    out["build_s"] = out["load_s"] - out["parse_s"]
    out["processes"] = len(model.processes)
    out["flows"] = sum(len(p.flows) for p in model.processes.values())
    out["rss_after_load"] = _maxrss_bytes(resource.getrusage(resource.RUSAGE_SELF))

    start = time.perf_counter()
    graph = process_graph(model)
    out["graph_s"] = time.perf_counter() - start
    out["graph_edges"] = graph.number_of_edges()
    del graph

    start = time.perf_counter()
    system = build_system(model)
    # A is assembled on first use: here, as bw2calc's matrices are before its solve is timed.
    out["nonzeros"] = system.matrix.nnz
    out["system_s"] = time.perf_counter() - start
    du = model.study.declared_unit

    def factorise_and_solve():
        start = time.perf_counter()
        factorisation = factorise(system)
        middle = time.perf_counter()
        first = solve_many(system, [{du.product: 1.0}], factorisation)
        return time.perf_counter() - start, (middle - start, time.perf_counter() - middle, factorisation, first)

    out["solve_s"], (out["factorise_s"], out["solve_one_s"], factorisation, first) = best_of(factorise_and_solve)
    out["loops"], out["in_loops"] = factorisation.loops, factorisation.in_loops
    out["phases"] = len(factorisation.phases)
    rng = np.random.default_rng(0)
    keys = [system.keys[i] for i in rng.choice(len(system.keys), size=n_demands, replace=True)]
    start = time.perf_counter()
    solve_many(system, [{k: 1.0} for k in keys], factorisation)
    out["solve_many_s"] = time.perf_counter() - start
    out["demands"] = n_demands

    start = time.perf_counter()
    result = compute(model)
    out["compute_s"] = time.perf_counter() - start
    out["total"] = result.total.value

    # `pcf calc --all-products`: one unit of every product, from one factorisation and one transposed solve.
    start = time.perf_counter()
    footprints = product_footprints(model)
    out["all_products_s"] = time.perf_counter() - start
    out["products"] = len(footprints.products)
    del footprints

    # The rules: run_check with load and compute answered from the objects above (hooks only),
    # so the time is what check adds on top of them, whatever rules exist when this runs.
    real_load, real_compute = check_module.load, check_module.compute
    check_module.load = lambda *a, **k: model
    check_module.compute = lambda m: result
    try:
        start = time.perf_counter()
        outcome = check_module.run_check(top)
        out["rules_s"] = time.perf_counter() - start
        out["findings"] = len(outcome.diagnostics)
    finally:
        check_module.load, check_module.compute = real_load, real_compute

    try:
        from pcf_dsl import render
    except ImportError:
        render = None
    if render is not None and hasattr(render, "dot_source") and len(model.processes) > render_max:
        out["render_s"] = None
        out["render_note"] = f"not run above {render_max} processes (--render-max)"
    elif render is not None and hasattr(render, "dot_source"):
        start = time.perf_counter()
        # Every process drawn (pcf render folds all but the 40 largest): the figure measured since 2026-12-04.
        dot = render.dot_source(model, result, processes=None)
        out["render_s"] = time.perf_counter() - start
        out["dot_bytes"] = len(dot.encode())
    else:
        out["render_s"] = None
        out["render_note"] = "pcf_dsl.render.dot_source is not present"
    out["rss_peak"] = _maxrss_bytes(resource.getrusage(resource.RUSAGE_SELF))

    # The peer's input: the same matrices (A from build_system; B: kg of gas per unit of each column).
    lines = system.lines
    gases = sorted(set(lines.gas))
    gwp_set = model.gwp_sets[model.study.gwp]
    rows, cols, vals = [], [], []
    line_gases: list[dict[str, float]] = [{} for _ in lines.process]
    for line, gas, mass in zip(lines.gas_line, lines.gas, lines.gas_mass):
        line_gases[line][gas] = mass
    for position, gas_mass in zip(lines.process, line_gases):
        name = system.processes[position]
        process, shares = model.processes[name], system.allocation[name]
        for product in process.products:
            share = shares[product.name]
            if not share:
                continue
            for gas, mass in gas_mass.items():
                rows.append(gases.index(gas))
                cols.append(system.index[process.key(product.name)])
                vals.append(mass * share)
    a = system.matrix.tocoo()
    np.savez(directory / "matrices.npz", a_row=a.row, a_col=a.col, a_val=a.data, b_row=np.array(rows),
             b_col=np.array(cols), b_val=np.array(vals), gwp=np.array([gwp_set.factors[g] for g in gases]),
             demand_col=np.array([system.index[du.product]]), demand_val=np.array([1.0]),
             n=np.array([len(system.keys)]), scaling=first[:, 0], many_cols=np.array([system.index[k] for k in keys]))

    # The floor: the same content as JSON, read by json.loads (written untimed, after the peak above).
    text = json.dumps(_content(model.semantic()), ensure_ascii=False)
    del model, result, system, factorisation, outcome
    gc.collect()
    gc.disable()  # as during our own parse and build: the same conditions for both sides of the ratio
    start = time.perf_counter()
    loaded = json.loads(text)
    out["json_s"] = time.perf_counter() - start  # read before the result is freed, as our load's is
    del loaded
    gc.enable()
    out["json_bytes"] = len(text.encode())
    return out


# Fields of Model.semantic() that the text does not state: derived from it, or its spelling again.
_DERIVED = {"amount_text", "source_kind"}


def _content(value):
    """What the model's text says, as plain JSON: no empty or absent fields, nothing derived.

    Model.semantic() writes every field of every flow (nulls, empty lists, the
    amount a second time as text), three times the size of this: measuring
    json.loads on it would make the floor slower and our ratio look better.
    """
    if isinstance(value, dict):
        return {k: _content(v) for k, v in value.items() if k not in _DERIVED and v not in (None, False, "", [], {})}
    if isinstance(value, list):
        return [_content(v) for v in value]
    return value


# ------------------------------------------------------------------ the peer child


def peer(directory: Path) -> dict:
    """bw2calc on the matrices the measuring child wrote: datapackage, LCA, lci, lcia; and many demands."""
    import warnings

    if os.environ.get("PCF_BENCH_NO_PYPARDISO"):
        sys.modules["pypardiso"] = None  # bw2calc then falls back to scipy's SuperLU
    import numpy as np

    sys.path.insert(0, str(HERE))
    import peer as P

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import bw2calc
    out: dict = {"solver": P.solver_name(), "bw2calc": bw2calc.__version__}
    m = np.load(directory / "matrices.npz")
    n = int(m["n"][0])
    # End to end, as a user of bw2calc runs it.
    start = time.perf_counter()
    calc = P.lca(n, (m["a_row"], m["a_col"], m["a_val"]), (m["b_row"], m["b_col"], m["b_val"]), m["gwp"],
                 {int(m["demand_col"][0]): 1.0})
    out["end_to_end_s"] = time.perf_counter() - start
    out["score"] = float(calc.score)
    supply = P.supply(calc, n)
    scale = np.abs(m["scaling"]).max()
    out["max_scaling_difference"] = float(np.abs(supply - m["scaling"]).max() / scale)
    # The solve alone, on a fresh LCA object with its matrices built: the first solve, factorisation
    # included (a second solve on the same object would reuse pypardiso's factorisation).
    def fresh_solve():
        fresh = P.lca_object(n, (m["a_row"], m["a_col"], m["a_val"]), (m["b_row"], m["b_col"], m["b_val"]), m["gwp"],
                             {int(m["demand_col"][0]): 1.0})
        fresh.load_lci_data()
        fresh.build_demand_array()
        start = time.perf_counter()
        fresh.supply_array = fresh.solve_linear_system()
        return time.perf_counter() - start, None

    out["solve_s"], _ = best_of(fresh_solve)
    # Many demands from one factorisation (bw2calc's factorize=True path), when the solver allows it.
    cols = m["many_cols"]
    try:
        start = time.perf_counter()
        calc.decompose_technosphere()
        for c in cols:
            demand = np.zeros(n)
            demand[calc.dicts.product[int(c) + 1]] = 1.0
            calc.solve_linear_system(demand)
        out["solve_many_s"] = time.perf_counter() - start
    except Exception as exc:  # pypardiso has its own factorisation reuse; report what happened
        out["solve_many_s"] = None
        out["solve_many_error"] = f"{type(exc).__name__}: {exc}"
    out["rss_peak"] = _maxrss_bytes(resource.getrusage(resource.RUSAGE_SELF))
    return out


# ------------------------------------------------------------------ the parent


def _child(args: list[str]) -> tuple[dict, float, int]:
    wall, code, rss, out, err = _timed_child([sys.executable, str(Path(__file__).resolve()), *args])
    if code != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({code}):\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1]), wall, rss


def _cli(args: list[str]) -> tuple[float, int, int]:
    pcf = Path(sys.executable).with_name("pcf")
    command = [str(pcf)] if pcf.exists() else [sys.executable, "-m", "pcf_dsl.cli"]
    wall, code, rss, _, err = _timed_child(command + args)
    if code not in (0, 1):
        raise RuntimeError(f"pcf {' '.join(args)} failed ({code}):\n{err[-3000:]}")
    return wall, rss, code


def _cpu_seconds(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child: CPU time is steadier on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = _timed_child(argv)[0]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _bytecode_as_installed(workdir: Path) -> None:
    """Every child runs from compiled bytecode, as after `pip install`.

    With PYTHONDONTWRITEBYTECODE set (some CI images and sandboxes set it), an
    editable install compiles every pcf_dsl module from source on each run (about
    75 ms of the start-up here) while the libraries of the bare import line load
    the .pyc files pip wrote when it installed them. A private bytecode folder,
    filled by the first run of each command, puts both on the same footing and
    writes nothing into the source tree.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")


def startup(repeat: int = 7) -> dict:
    bare = [sys.executable, "-c", "import lark, pydantic, networkx, pint, scipy.sparse"]
    pcf = Path(sys.executable).with_name("pcf")
    check = [str(pcf), "check", str(REFERENCE)] if pcf.exists() else [sys.executable, "-m", "pcf_dsl.cli", "check", str(REFERENCE)]
    _cpu_seconds(bare)  # fills the bytecode folder (see _bytecode_as_installed)
    _cpu_seconds(check)  # the first run after an install fills pint's and lark's caches
    # Taken in turns, so that a machine that slows down for a while (other work on the host) weighs on
    # both sides alike: on 2026-12-05 all the bare runs before all the checks gave 1.41 in one run and
    # 1.54 in the next, with the two commands unchanged.
    bare_runs, check_runs = [], []
    for _ in range(repeat):
        bare_runs.append(_cpu_seconds(bare))
        check_runs.append(_cpu_seconds(check))
    out = {"bare_import_s": min(w for w, _ in bare_runs), "pcf_check_s": min(w for w, _ in check_runs),
           "bare_import_cpu_s": min(c for _, c in bare_runs), "pcf_check_cpu_s": min(c for _, c in check_runs)}
    out["ratio"] = out["pcf_check_s"] / out["bare_import_s"]
    out["cpu_ratio"] = out["pcf_check_cpu_s"] / out["bare_import_cpu_s"]
    # The same two commands counted in instructions: on 2026-12-05 the wall ratio of unchanged code moved
    # between 1.19 and 1.51 from one run to the next, the instruction counts by under 0.5 %.
    bare_count = _instructions(bare)
    check_count = _instructions([sys.executable, "-m", "pcf_dsl.cli", "check", str(REFERENCE)])
    out["bare_import_instructions"], out["pcf_check_instructions"] = bare_count, check_count
    out["instruction_ratio"] = check_count / bare_count if bare_count and check_count else None
    return out


def _instructions(argv: list[str]) -> int | None:
    """Instructions one child executes, counted by valgrind's callgrind (None without valgrind).

    A count, not a time: the same for the same code and inputs whatever else the
    machine is doing. It leaves out what both sides wait for (the disk, the
    process's start), so its ratio runs higher than the wall-time one.
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        run = subprocess.run([valgrind, "--tool=callgrind", f"--callgrind-out-file={folder}/callgrind.out", *argv],
                             capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", run.stderr)
    return int(found.group(1)) if found and run.returncode in (0, 1) else None


def _fmt(x, digits=2) -> str:
    if x is None:
        return "n/a"
    return f"{x:.{digits}f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=None, help="where to write the systems (default: a temp dir)")
    ap.add_argument("--json", type=Path, default=None, help="also write all figures to this file")
    ap.add_argument("--render-max", type=int, default=100_000,
                    help="measure DOT rendering only up to this many processes (default: every size)")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--peer", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, render_max=args.render_max)))
        return
    if args.peer:
        print(json.dumps(peer(args.peer)))
        return

    sys.path.insert(0, str(HERE))
    from generate import generate

    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pcf-bench-"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    # Whether the parser's flow line reader is the compiled one (pcf_dsl/_flowline.c) or the pattern alone:
    # a pure-Python install takes half as long again to load a large model.
    from pcf_dsl.parse import _COMPILED_READER

    reader = "compiled (pcf_dsl/_flowline.c)" if _COMPILED_READER is not None else "pure Python (not compiled)"
    print(f"pcf_dsl benchmark: Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {load:.1f} at start, seed {args.seed}, flow line reader {reader}")
    figures: dict = {"sizes": {}, "python": platform.python_version(), "cores": os.cpu_count(), "load_at_start": load,
                     "flow_line_reader": reader}

    _bytecode_as_installed(workdir)
    s = startup()
    figures["startup"] = s
    print(f"\nstart-up: `pcf check` on the reference model {s['pcf_check_s']:.3f} s wall / {s['pcf_check_cpu_s']:.3f} s CPU, "
          f"bare import line {s['bare_import_s']:.3f} s / {s['bare_import_cpu_s']:.3f} s: ratio {s['ratio']:.2f} wall, "
          f"{s['cpu_ratio']:.2f} CPU (target <= 1.5)")
    if s["instruction_ratio"] is not None:
        print(f"start-up in instructions (callgrind, repeatable): `pcf check` {s['pcf_check_instructions'] / 1e9:.3f} "
              f"billion, bare import line {s['bare_import_instructions'] / 1e9:.3f} billion: ratio "
              f"{s['instruction_ratio']:.2f}")
    else:
        print("start-up in instructions: not counted (valgrind is not installed)")

    for n in sizes:
        directory = workdir / f"system_{n}_{args.seed}"
        if not (directory / "model.pcf").exists():
            generate(n, args.seed).write(directory)
        print(f"\n== {n} processes ({directory})", flush=True)
        row: dict = {}
        row["measure"], _, row["measure_rss"] = _child(["--measure", str(directory), "--render-max", str(args.render_max)])
        m = row["measure"]
        try:
            row["peer"], _, row["peer_rss"] = _child(["--peer", str(directory)])
            no_pardiso = row["peer"]["solver"].startswith("pypardiso")
            if no_pardiso:
                os.environ["PCF_BENCH_NO_PYPARDISO"] = "1"
                try:
                    row["peer_superlu"], _, _ = _child(["--peer", str(directory)])
                finally:
                    del os.environ["PCF_BENCH_NO_PYPARDISO"]
        except RuntimeError as exc:
            row["peer_error"] = str(exc)[-500:]
        row["check_s"], row["check_rss"], row["check_exit"] = _cli(["check", str(directory / "model.pcf")])
        row["calc_s"], row["calc_rss"], _ = _cli(["calc", str(directory / "model.pcf"), "--format", "json",
                                                  "-o", os.devnull])
        figures["sizes"][n] = row
        _print_size(n, row)

    _print_table(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


def _print_size(n: int, row: dict) -> None:
    m = row["measure"]
    mb = m["bytes"] / 1e6
    parse_build = m["parse_s"] + m["build_s"]
    print(f"  model: {m['processes']} processes, {m['flows']} flows, {mb:.1f} MB of text in the language; "
          f"{m['loops']} loops holding {m['in_loops']} activities; {m['phases']} solve phases; "
          f"flow line reader {m['flow_line_reader']}")
    print(f"  parse {m['parse_s']:.2f} s ({mb / m['parse_s']:.2f} MB/s), model build {m['build_s']:.2f} s, "
          f"graph {m['graph_s']:.2f} s, system matrices {m['system_s']:.2f} s")
    print(f"  solve: factorise {m['factorise_s']:.3f} s + one demand {m['solve_one_s']:.4f} s; "
          f"{m['demands']} demands from one factorisation {m['solve_many_s']:.3f} s")
    print(f"  every product's footprint ({m['products']} products; matrices, one factorisation, one transposed "
          f"solve): {m['all_products_s']:.2f} s; as {m['products']} demands at the rate of the {m['demands']} "
          f"above, the solves alone would take {m['solve_many_s'] / m['demands'] * m['products']:.1f} s"
          + (f" (bw2calc, at its rate: {row['peer']['solve_many_s'] / m['demands'] * m['products']:.1f} s)"
             if row.get("peer", {}).get("solve_many_s") else ""))
    print(f"  compute (matrices + solve + contributions) {m['compute_s']:.2f} s, rules of `pcf check` "
          f"{m['rules_s']:.2f} s ({m['findings']} findings), DOT rendering "
          + (f"{m['render_s']:.2f} s ({m['dot_bytes'] / 1e6:.1f} MB of DOT)" if m["render_s"] is not None
             else f"n/a ({m['render_note']})"))
    print(f"  json.loads of the same content as JSON ({m['json_bytes'] / 1e6:.1f} MB, GC off as in our parse): "
          f"{m['json_s']:.2f} s; parse + build / json.loads = {parse_build / m['json_s']:.1f}x slower "
          f"(throughput ratio {m['json_s'] / parse_build:.3f}, target >= 0.1; parse alone "
          f"{m['json_s'] / m['parse_s']:.3f})")
    if "peer" in row:
        p = row["peer"]
        print(f"  bw2calc {p['bw2calc']} ({p['solver']}): end to end {p['end_to_end_s']:.2f} s, solve "
              f"{p['solve_s']:.3f} s, {m['demands']} demands {_fmt(p.get('solve_many_s'), 3)} s; "
              f"max scaling difference {p['max_scaling_difference']:.1e}; peak RSS {row['peer_rss'] / 2**20:.0f} MiB")
        print(f"  solve ratio pcf_dsl / bw2calc = {m['solve_s'] / p['solve_s']:.3f} (target <= 1.0)"
              + (f"; {m['demands']} demands: {m['solve_many_s'] / p['solve_many_s']:.3f}" if p.get("solve_many_s") else ""))
        if "peer_superlu" in row:
            q = row["peer_superlu"]
            print(f"  bw2calc with SuperLU: solve {q['solve_s']:.3f} s, ratio {m['solve_s'] / q['solve_s']:.3f}; "
                  f"{m['demands']} demands {_fmt(q.get('solve_many_s'), 3)} s")
    else:
        print(f"  bw2calc: not measured ({row.get('peer_error', 'not installed')})")
    total = row["check_s"] + row["calc_s"]
    print(f"  `pcf check` {row['check_s']:.1f} s (exit {row['check_exit']}, peak {row['check_rss'] / 2**20:.0f} MiB), "
          f"`pcf calc` {row['calc_s']:.1f} s (peak {row['calc_rss'] / 2**20:.0f} MiB): {total:.1f} s together")
    print(f"  memory: peak {row['measure_rss'] / 2**20:.0f} MiB in the measuring process, "
          f"{m['rss_after_load'] / m['processes'] / 1024:.1f} KiB per process after load", flush=True)


def _print_table(figures: dict) -> None:
    rows = figures["sizes"]
    print("\n| processes | MB | parse | build | solve | bw2calc solve | check rules | DOT | `pcf check` + `pcf calc` | peak RSS | KiB/process | json.loads | parse+build vs json |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, row in rows.items():
        m = row["measure"]
        peer_s = row["peer"]["solve_s"] if "peer" in row else None
        rss = max(row["check_rss"], row["calc_rss"])
        print(f"| {n} | {m['bytes'] / 1e6:.1f} | {m['parse_s']:.2f} s | {m['build_s']:.2f} s | {m['solve_s']:.3f} s | "
              f"{_fmt(peer_s, 3)} s | {m['rules_s']:.2f} s | {_fmt(m['render_s'])} s | "
              f"{row['check_s'] + row['calc_s']:.1f} s | {rss / 2**20:.0f} MiB | "
              f"{m['rss_after_load'] / m['processes'] / 1024:.1f} | {m['json_s']:.2f} s | "
              f"{(m['parse_s'] + m['build_s']) / m['json_s']:.0f}x |")
    s = figures["startup"]
    print(f"\nTargets (ratios measured in this run):")
    print(f"  start-up `pcf check` / bare imports: {s['ratio']:.2f} wall, {s['cpu_ratio']:.2f} CPU, "
          f"{_fmt(s['instruction_ratio'])} in instructions (target <= 1.5)")
    for n, row in rows.items():
        m = row["measure"]
        pb = m["parse_s"] + m["build_s"]
        print(f"  {n}: throughput parse+build / json.loads {m['json_s'] / pb:.3f} (>= 0.1)", end="")
        if "peer" in row:
            print(f"; solve / bw2calc {m['solve_s'] / row['peer']['solve_s']:.3f} (<= 1.0)", end="")
        wall = row["check_s"] + row["calc_s"]
        rss = max(row["check_rss"], row["calc_rss"])
        print(f"; check+calc {wall:.1f} s / 30 s = {wall / 30:.2f}; peak {rss / GiB:.2f} GiB / 2 GiB = {rss / GiB / 2:.2f}")
    if len(rows) > 1:
        per = {n: r["measure"]["rss_after_load"] / r["measure"]["processes"] for n, r in rows.items()}
        first, last = min(per), max(per)
        print(f"  memory per process after load: {per[first] / 1024:.1f} KiB at {first}, {per[last] / 1024:.1f} KiB at "
              f"{last} (linear growth keeps this flat; the interpreter's fixed ~100 MiB weighs on the small size)")


if __name__ == "__main__":
    main()

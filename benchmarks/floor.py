"""How fast a front end written in Python can be: the least work of reading a model, beside json.loads.

    .venv/bin/python benchmarks/floor.py                         # a 10k-process model, seed 1
    .venv/bin/python benchmarks/floor.py --dir /tmp/bench/100000 # a model benchmarks/generate.py wrote

Issue 6 asks that parse + model build reach 1/10 of json.loads's throughput on the
same content: at most ten times json.loads's time (the budget). This script measures, in
one process with the garbage collector off (as during our parse and build), on one
generated model:

- json.loads of the same content as JSON (what benchmarks/run.py measures);
- pcf_dsl's parse and model build (`pcf_dsl.build.load`): first in the process, as each
  `pcf` command loads a model, and again with the grammar tables and unit caches made;
- the least a parser written in Python does: one turn of a Python loop per token, the
  tokens found by the fast path's own regular expression, nothing done with them;
- the least a build into this model does: every flow's record made again (validated,
  as the build makes it) from plain values, with its three spans.

Each figure is printed as a share of the budget. The two least-work figures are lower
bounds for any parser or builder in Python that makes this model's objects: where
their sum comes near the budget, only a parser that does not run per token in Python
(a compiled one) can meet the target. It asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def best(step, runs: int = 3) -> float:
    """The best wall time of a few runs of `step` (the machine is shared and noisy).

    The clock is read before what `step` made is freed: freeing a large result
    is not reading it, and each side of a ratio is timed the same way.
    """
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        made = step()
        times.append(time.perf_counter() - start)
        del made
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, help="a folder with model.pcf (default: generate one of --processes)")
    ap.add_argument("--processes", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from run import _content

    from pcf_dsl import model as M
    from pcf_dsl.build import load
    from pcf_dsl.diagnostics import Span
    from pcf_dsl.parse import _tables

    directory = args.dir
    if directory is None:
        import tempfile

        from generate import generate

        directory = Path(tempfile.mkdtemp(prefix="pcf-floor-"))
        generate(args.processes, args.seed).write(directory)
    texts = [p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.pcf"))]
    top = directory / "model.pcf"

    gc.disable()
    first_load_s = best(lambda: load(top), runs=1)  # the first in a process, as each `pcf` command loads
    load_s = best(lambda: load(top), runs=1)  # again, with the grammar tables and unit caches made
    model = load(top)
    processes = len(model.processes)
    content = json.dumps(_content(model.semantic()), ensure_ascii=False)

    finditer = _tables().pattern.finditer

    def lex() -> int:
        tokens = 0
        for text in texts:
            for _ in finditer(text):
                tokens += 1
        return tokens

    values = []  # each flow's plain values, as a parser would hand them to the build
    for f in (f for p in model.processes.values() for f in p.flows):
        spans = [(s.file, s.line, s.column, s.end_line, s.end_column) if s else None
                 for s in (f.span, f.amount_span, f.source_span)]
        values.append((f.kind, f.name, f.amount.value, f.amount.unit, f.amount_text, f.source, spans))
    del model  # the rest is measured with no model alive, as benchmarks/run.py measures json.loads

    json_s = best(lambda: json.loads(content))
    budget = 10 * json_s
    tokens = lex()
    lex_s = best(lex)

    def records() -> list:
        made = []
        for kind, name, value, unit, text, source, (span, amount_span, source_span) in values:
            fields = dict(kind=kind, name=name, amount={"value": value, "unit": unit}, amount_text=text,
                          span=Span(*span), amount_span=Span(*amount_span))
            if source is not None:
                fields["source"], fields["source_span"] = source, Span(*source_span)
            made.append(M.Flow(**fields))
        return made

    records_s = best(records)
    size = sum(len(t.encode()) for t in texts)
    print(f"model: {processes} processes, {len(values)} flows, {size / 1e6:.1f} MB of text, "
          f"{tokens} tokens ({directory})")
    print(f"json.loads of the same content ({len(content.encode()) / 1e6:.1f} MB): {json_s:.3f} s; "
          f"budget at 1/10 of its throughput: {budget:.2f} s")

    def show(label: str, seconds: float, ratio: bool = False) -> None:
        extra = f" (throughput ratio {json_s / seconds:.3f})" if ratio else ""
        print(f"{label + ':':<47} {seconds:6.2f} s = {seconds / budget:5.2f} of the budget{extra}")

    show("pcf_dsl parse + build (load), first in process", first_load_s, ratio=True)
    show("pcf_dsl parse + build (load), again", load_s, ratio=True)
    show("least parse in Python (a loop turn per token)", lex_s)
    show("least build (each flow's record and spans)", records_s)
    show("the two together", lex_s + records_s)


if __name__ == "__main__":
    main()

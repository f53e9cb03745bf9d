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
  as the build makes it) from plain values, with its three spans;
- the other design, flows held as columns: the input, emission, waste and loss lines
  (with a one-line `{ group g }` or `{ stage s }` block after them) read by one regular
  expression per file into typed arrays, and today's parse and build of the rest of the
  text (process headers, their products, stage and quality lines, allocation blocks, the
  factors, the flow lines of other shapes), a model of its own.

Each figure is printed as a share of the budget. The two least-work figures are lower
bounds for any parser or builder in Python that makes this model's objects: where
their sum comes near the budget, only a parser that does not run per token in Python
(a compiled one) can meet the target. The columns figure is no lower bound but a
measured estimate of that design's load; it leaves out resolving each distinct
reference and unit of the columns once (the count is printed) and checks over whole
columns. Before it is printed, the flows read into columns are checked against the
loaded model's.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import shutil
import sys
import tempfile
import time
from array import array
from collections import Counter
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


COLUMN_KINDS = ("input", "emit", "waste", "loss")


def column_reader():
    """A reader of the common flow line into columns, and the pattern of the lines it takes.

    The line's shape is the flow line reader's (pcf_dsl.parse._flow_line), built from the
    grammar's own NAME, NUMBER and spacing, with the block the generator writes after some
    flows: `{`, `group NAME` or `stage NAME`, `}` on lines of their own. Products are left
    to the rest of the text: a process's reference flow stays with its process.
    """
    from pcf_dsl.parse import parser

    grammar = parser()
    terminals = {t.name: t.pattern.to_regexp() for t in grammar.terminals}
    # Each word, number and run of spacing whole, as the parser's own flow line pattern reads them
    # (an atomic group: never given back in part to try the rest of the line again).
    ignored = "|".join(terminals[name] for name in grammar.lexer_conf.ignore)
    name, number = f"(?>{terminals['NAME']})", f"(?>{terminals['NUMBER']})"
    space = f"(?>{ignored})"
    maybe = f"{space}?"
    not_clause = rf"(?!(?:of|from|to|with)\b)"
    line = re.compile(
        rf"^{maybe}(?P<kind>{'|'.join(COLUMN_KINDS)}){space}(?P<name>{name}){space}(?P<num>{number}){space}"
        rf"(?P<u1>{name})(?:(?P<op>{maybe}[*/]{maybe}|{space}{not_clause})(?P<u2>{name}))?"
        rf"(?:{space}of{space}(?P<of>{name}))?(?:{space}(?P<src>from|to|with){space}(?P<ref>{name}(?:\.{name})*))?"
        rf"(?:{maybe}\{{{maybe}\n{maybe}(?P<attr>group|stage){space}(?P<value>{name}){maybe}\n{maybe}\}})?{maybe}\n",
        re.M)
    kinds = {kind: i for i, kind in enumerate(COLUMN_KINDS)}
    fields = ("kind", "name", "num", "u1", "op", "u2", "of", "src", "ref", "attr", "value")

    def read(texts: list[str]) -> dict:
        """Every matching line's values: numbers in typed arrays, words as indices into one table of
        distinct spellings, the line's offset for its span (found from the kept text when asked for)."""
        kind, amount, offset = array("b"), array("d"), array("q")
        name_of, unit, of_input, clause, ref, attribute = (array("i") for _ in range(6))
        words: dict = {None: 0}
        index = words.setdefault
        for file, text in enumerate(texts):
            for m in line.finditer(text):
                k, n, num, u1, op, u2, of, src, r, attr, attr_value = m.group(*fields)
                kind.append(kinds[k])
                amount.append(float(num))
                offset.append(m.start() << 8 | file)  # the file in the low byte
                name_of.append(index(n, len(words)))
                unit.append(index(u1 if u2 is None else (u1, op.strip(), u2), len(words)))
                of_input.append(index(of, len(words)))
                clause.append(index(src, len(words)))
                ref.append(index(r, len(words)))
                attribute.append(index(attr and (attr, attr_value), len(words)))
        return dict(kind=kind, amount=amount, offset=offset, name=name_of, unit=unit, of_input=of_input,
                    clause=clause, ref=ref, attribute=attribute, words=list(words))

    return read, line


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

    read_columns, column_line = column_reader()
    columns = read_columns(texts)
    words = columns["words"]
    in_columns = Counter((COLUMN_KINDS[k], words[n], v, words[a]) for k, n, v, a in
                         zip(columns["kind"], columns["name"], columns["amount"], columns["attribute"]))
    in_model = Counter((f.kind, f.name, f.amount.value, ("group", f.group) if f.group else ("stage", f.stage)
                        if f.stage else None) for p in model.processes.values() for f in p.flows)
    if in_columns - in_model:
        raise SystemExit(f"the column reader read flows the model does not have: {list(in_columns - in_model)[:3]}")
    rest = Path(tempfile.mkdtemp(prefix="pcf-floor-rest-"))  # the text no flow line of the columns is in
    for path in sorted(directory.glob("*.pcf")):
        (rest / path.name).write_text(column_line.sub("", path.read_text(encoding="utf-8")), encoding="utf-8")
    rest_model = load(rest / "model.pcf")  # (it must load: the lines left are a model of their own)
    rest_processes, rest_flows = len(rest_model.processes), sum(len(p.flows) for p in rest_model.processes.values())
    del rest_model

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
    columns_s = best(lambda: read_columns(texts))
    rest_s = best(lambda: load(rest / "model.pcf"))
    rest_size = sum(p.stat().st_size for p in rest.glob("*.pcf"))
    shutil.rmtree(rest)  # (45 MB at 100k, of no use once measured)
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
    print(f"flows as columns: {len(columns['kind'])} of {len(values)} flows read into columns, "
          f"{len(columns['words'])} distinct words in them; the rest: {rest_size / 1e6:.1f} MB of text, "
          f"{rest_processes} processes, {rest_flows} flows")
    show("flow lines into columns (one pattern a file)", columns_s)
    show("today's parse + build of the rest", rest_s)
    show("the two together (the columns' load)", columns_s + rest_s, ratio=True)


if __name__ == "__main__":
    main()

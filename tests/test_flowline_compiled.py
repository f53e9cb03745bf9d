"""The compiled flow line reader (pcf_dsl/_flowline.c) against the Python one it stands in for.

Its contract: for any text and offset, it returns exactly what the Python reader (run_line's match,
_words_refused, _line_words) returns, or None, and then the Python reader reads the line. These tests
hold it to that on drawn lines and their near misses, on whole models (the tree with and without it),
and check that it is built, is used, reads the common lines itself, and leaks nothing.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import tracemalloc
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pytest

from pcf_dsl import parse as _parse
from pcf_dsl import syntax as S
from pcf_dsl.diagnostics import PcfError
from pcf_dsl.limits import MAX_EXPRESSION_LENGTH, MAX_NUMBER_LENGTH

ROOT = Path(__file__).resolve().parent.parent
READER = _parse._COMPILED_READER

_PROFILE = settings(max_examples=int(os.environ.get("PCF_HYPOTHESIS_EXAMPLES", "400")), derandomize=True,
                    deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _can_compile() -> bool:
    """Whether this machine has what hatch_build.py compiles with: Python's C compiler and headers."""
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(compiler) is not None and Path(sysconfig.get_paths()["include"], "Python.h").exists()


@pytest.mark.skipif(not _can_compile() or bool(os.environ.get("PCF_DSL_PURE_PYTHON")),
                    reason="no C compiler or Python headers here, or PCF_DSL_PURE_PYTHON set: pure Python")
def test_the_compiled_reader_is_built_where_it_can_be():
    """scripts/setup installs a C compiler, so the README's install builds the reader: without it large
    models take half as long again to load. If this fails, reinstall: `.venv/bin/python -m pip install -e .`."""
    assert READER is not None, "pcf_dsl/_flowline.c is not built (or was built from another version of it)"


needs_reader = pytest.mark.skipif(READER is None, reason="the compiled reader is not in use: not built, stale, or "
                                                     "PCF_DSL_PURE_PYTHON set")


def _python_read(text: str, pos: int, line: int, names: dict, dotted: dict, tables):
    """What the Python reader does with the line after `pos`: (flow, end, line, line start), None, or the
    code of the error it reports (E305, a number too small for a float)."""
    m = tables.run_line.match(text, pos)
    if m is None:
        return None
    groups = m.groups()
    if _parse._words_refused(groups, m, tables.keywords):
        return None
    with _parse._LOCK:
        _parse._TRANSFORMER.reset("t.pcf")
        try:
            return _parse._line_words(groups, m, text, line, text.index("\n", m.start()), names, dotted,
                                      _parse._TRANSFORMER)
        except PcfError as error:
            return error.diagnostics[0].code


def _compiled_read(text: str, pos: int, line: int, names: dict, dotted: dict, tables):
    return READER(text, pos, line, names, dotted, "t.pcf", S.FlowLine, tables.keywords)


def _compare_everywhere(text: str) -> tuple[int, int]:
    """Both readers at every offset of `text` where a line can be asked for (each newline, and the spacing
    before it): the compiled one's answer must be the Python one's, or None. (lines both read, lines left
    to Python)."""
    tables = _parse._tables(text.isascii())
    both = left = 0
    for newline in re.finditer("\n", text):
        spacing_from = len(text[:newline.start()].rstrip(" \t"))
        for pos in sorted({spacing_from, newline.start()}):
            python = _python_read(text, pos, 7, {}, {}, tables)
            compiled = _compiled_read(text, pos, 7, {}, {}, tables)
            if compiled is None:
                left += python is not None
                continue
            assert isinstance(python, tuple), f"the Python reader gives {python!r}: {text[pos:pos + 60]!r}"
            assert type(compiled[0]) is S.FlowLine
            assert tuple(compiled[0]) == tuple(python[0]) and compiled[1:] == python[1:], text[pos:pos + 60]
            both += 1
    return both, left


# Flow lines and their near misses, piece by piece: (what the pattern reads, what it must not or may not).
_PIECES = {
    "space": ([" ", "  ", "\t", " \t"], ["", " \f", "\u3000"]),
    "kind": (["input", "product", "waste", "loss", "emit"], ["inputs", "Input", "produc", "emit_", "process"]),
    "word": (["a", "steel_1", "_x", "A9", "offal", "tox", "kg"],
             ["1a", "from", "of", "to", "with", "cutoff", "group", "stage", "input", "café", "铝", "é", "x.y"]),
    "number": (["1", "0.5", "1.5e3", "2E+3", "1.5e-3", "0e-5", "00012", "2.2250738585072014e-308"],
               ["1.", "1e", "1e+", "1e-400", "1e-320", "4.9e-324", "2.2250738585072011e-308", "1" * 101, "١",
                "1.2.3"]),
    "unit": (["kg", "t", "MWh", "kg*km", "kg * km", "kg/MWh", "kg /MWh", "kg CO2", "kg\tCO2", "t*km", "kg offal"],
             ["kg * ", "kg from", "kg of", "kg cutoff", "from", "kg tox", "kg 1", "kgé", "k" * 4001, "kg*",
              "t*km*km", "%"]),
    "clause": (["", " of a", " from p", " from p.q.r", " to t.d", " with ef.f", " from\tp", " of a from p"],
               [" of", " of 1", " from p.", " from p..q", " fromp", " cutoff", " cutoff \"c\"", " from p of a",
                " with é"]),
    "block": (["", " {\n    group g\n  }", "{\n\tstage s\n}", " { \n group g \n } "],
              [" {\n group\n }", " {\n    note g\n  }", " {\n    group g\n    stage s\n  }",
               " {\n    groupg x\n  }", " {  group g\n  }", " {\n    stage 1s\n  }"]),
    "end": (["\n", " \n", "\t\n"], ["  # a comment\n", "", " x\n", "\r\n"]),
}
_SHAPE = ["space", "kind", "space", "word", "space", "number", "space", "unit", "clause", "block", "end"]


@st.composite
def _lines(draw) -> str:
    """A flow line, each piece one the pattern reads nine times in ten, one it may not read otherwise."""
    return "".join(draw(st.sampled_from(_PIECES[piece][draw(st.integers(0, 9)) == 0])) for piece in _SHAPE)


@needs_reader
@_PROFILE
@given(st.lists(_lines(), min_size=1, max_size=6), st.sampled_from(["", "\n", "# 铝\n", "# é\n"]))
def test_the_compiled_reader_reads_what_the_python_reader_reads_or_leaves_it(lines, before):
    _compare_everywhere(before + "\n" + "".join(lines) + "\n")


_MUTATION_BASES = ["\n  input steel 1.5e-3 kg * km of ore from p.q.r {\n    group g\n  }\n",
                   "\n  emit co2 2 kg with ef.co2\n  waste w 1e+3 t to d\n", "\n\tproduct out 1 t\n",
                   "\n  loss l 0.5 kg\n  input a 1 MWh / t from grid {\n stage s\n }\n"]
_MUTATION_CHARACTERS = list("inputfromwithofcutoffgroupstagekg{}*/.\n\t\f 0123456789eE+-_xé铝🏭#\"")


@needs_reader
def test_lines_with_a_few_characters_changed_read_the_same():
    """Up to three characters inserted, deleted or replaced anywhere in common lines, 3,000 times (seeded):
    the breaks a typo makes, at every offset."""
    rng = random.Random(20261205)
    both = 0
    for _ in range(3000):
        text = list(rng.choice(_MUTATION_BASES))
        for _ in range(rng.randint(1, 3)):
            at, what = rng.randint(0, len(text) - 1), rng.random()
            if what < 0.4:
                text.insert(at, rng.choice(_MUTATION_CHARACTERS))
            elif what < 0.7:
                del text[at]
            else:
                text[at] = rng.choice(_MUTATION_CHARACTERS)
        both += _compare_everywhere("".join(text) + "\n")[0]
    assert both > 1000  # most texts keep a line whole (1,647 with this seed)


@needs_reader
@pytest.mark.parametrize("line", [
    "input steel 1.2 kg from p000001.out",
    "input power 3.5 MWh from grid.cn",
    "waste residue 2.2725e-05 t to p000051",  # a negative exponent, well above the smallest float
    "emit co2 1.5 kg of fuel with ef.co2",
    "product out 1 t {\n    stage production\n  }",
    "input a 1 kg * km from p {\n    group g\n  }",
    "loss melt_loss 7.7e-06 t",
    "input x 2 t/km from p",
])
def test_the_compiled_reader_takes_the_common_lines_itself(line):
    """The lines a large model is made of are read by the compiled reader, not left to the pattern."""
    assert _compare_everywhere(f"\n  {line}\n") == (1, 0)  # (read by both, left to the pattern)


@needs_reader
@pytest.mark.parametrize("line, why", [
    ("input x 1e-400 kg from p", "below the smallest float: E305 is the Python reader's"),
    ("input x 1e-320 kg from p", "a subnormal float: E305"),
    ("input x " + "1" * (MAX_NUMBER_LENGTH + 1) + " kg from p", "E008"),
    ("input x 1 " + "k" * MAX_EXPRESSION_LENGTH + " from p", "near the expression limit"),
    ("input x 1 from p", "a unit that is a keyword"),
    ("input café 1 kg from p", "outside ASCII"),
    ("input x 1 kg from 铝", "outside ASCII, in a text of two bytes a character"),
])
def test_the_compiled_reader_leaves_what_only_the_python_reader_may_decide(line, why):
    text = f"\n  {line}\n"
    tables = _parse._tables(text.isascii())
    assert _compiled_read(text, 0, 1, {}, {}, tables) is None, why


@needs_reader
@pytest.mark.parametrize("before", ["", "# é\n", "# 铝\n", "# 🏭\n"], ids=["ascii", "latin-1", "ucs-2", "ucs-4"])
def test_an_ascii_line_is_read_in_a_text_of_any_width(before):
    """A model with a Chinese label somewhere is still read by the compiled reader, line by line."""
    assert _compare_everywhere(f"{before}\n  input steel 1.5 kg from p.out\n") == (1, 0)


def test_the_limits_in_c_are_the_limits_in_python(monkeypatch):
    module = pytest.importorskip("pcf_dsl._flowline")
    assert (module.MAX_NUMBER_LENGTH, module.MAX_EXPRESSION_LENGTH) == (MAX_NUMBER_LENGTH, MAX_EXPRESSION_LENGTH)
    monkeypatch.setattr(_parse, "MAX_NUMBER_LENGTH", MAX_NUMBER_LENGTH + 1)  # limits.py changed, the C not
    assert _parse._compiled_reader() is None


def _generated_model(tmp_path: Path, processes: int) -> str:
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--processes", str(processes),
                    "--seed", "3", "--out", str(tmp_path)], check=True, capture_output=True)
    return (tmp_path / "model.pcf").read_text(encoding="utf-8")


@needs_reader
def test_a_generated_model_parses_the_same_with_and_without_it(tmp_path, monkeypatch):
    """The whole tree of a benchmark model (spans, line numbers, interned names) with the compiled reader and
    without it; and the compiled reader reads every flow line the Python reader reads."""
    text = _generated_model(tmp_path, 300)
    taken = []

    def counted(*args):
        read = READER(*args)
        taken.append(read is not None)
        return read

    monkeypatch.setattr(_parse, "_COMPILED_READER", counted)
    with_it = _parse.parse_text(text, "model.pcf")
    # Every whole flow line in the tree is one the compiled reader read (inputs cut off are the cut-off
    # reader's, as before); each process also asks it once for the line after its last flow.
    whole_lines = sum(type(flow) is S.FlowLine for item in with_it.items if isinstance(item, S.Process)
                      for flow in item.flows)
    assert taken.count(True) == whole_lines > 2000
    monkeypatch.setattr(_parse, "_COMPILED_READER", None)
    without = _parse.parse_text(text, "model.pcf")
    assert with_it == without
    assert [type(f) for item in with_it.items if isinstance(item, S.Process) for f in item.flows] == \
        [type(f) for item in without.items if isinstance(item, S.Process) for f in item.flows]
    both, left = _compare_everywhere(text)
    assert both > 2000 and left == 0


@needs_reader
def test_a_number_below_the_smallest_float_is_still_reported():
    text = "process p {\n  stage production\n  product out 1 t\n  input x 1e-400 kg from q\n}\n"
    with pytest.raises(PcfError) as caught:
        _parse.parse_text(text, "m.pcf")
    diagnostic = caught.value.diagnostics[0]
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("E305", 4, 11)


def test_pure_python_is_chosen_by_the_environment(monkeypatch):
    monkeypatch.setenv("PCF_DSL_PURE_PYTHON", "1")
    assert _parse._compiled_reader() is None


@needs_reader
def test_a_module_built_from_another_version_of_the_source_is_not_used(monkeypatch):
    from pcf_dsl import _flowline

    monkeypatch.setattr(_flowline, "SOURCE_SHA256", "0" * 64)
    assert _parse._compiled_reader() is None
    monkeypatch.undo()
    assert _parse._compiled_reader() is READER


@needs_reader
def test_wrong_arguments_are_a_type_error_not_a_crash():
    tables = _parse._tables(True)
    with pytest.raises(TypeError):
        READER("\n  input x 1 kg\n", 0, 1, {}, {}, "t.pcf", S.FlowLine)
    with pytest.raises(TypeError):
        READER(b"\n  input x 1 kg\n", 0, 1, {}, {}, "t.pcf", S.FlowLine, tables.keywords)
    with pytest.raises(TypeError):
        READER("\n  input x 1 kg\n", 0, 1, {}, {}, "t.pcf", dict, tables.keywords)
    assert READER("\n  input x 1 kg\n", 10_000, 1, {}, {}, "t.pcf", S.FlowLine, tables.keywords) is None
    assert READER("\n  input x 1 kg\n", -1, 1, {}, {}, "t.pcf", S.FlowLine, tables.keywords) is None


@needs_reader
def test_reading_leaks_nothing():
    """Every object the reader makes is owned by its result, or freed: 20,000 reads, kept and dropped, leave
    no memory behind (tracemalloc sees the objects the C code allocates through Python)."""
    tables = _parse._tables(True)
    text = "\n  input steel 1.5e-3 kg * km of ore from p.q.r {\n    group g\n  }\n  input x 1 from p\n"
    refused_at = text.index("}") + 1

    def read_many():
        for _ in range(10_000):
            names, dotted = {}, {}
            assert _compiled_read(text, 0, 5, names, dotted, tables) is not None
            assert _compiled_read(text, refused_at, 8, names, dotted, tables) is None

    read_many()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        read_many()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 4096, f"{grown} bytes left after 20,000 reads"

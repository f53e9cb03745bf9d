"""Property tests (hypothesis): the formatter keeps meaning and is stable; the parser fails only with our error.

Three sources of input:

- texts drawn from the grammar itself (`hypothesis.extra.lark.from_lark` over
  grammar/pcf.lark), with explicit strategies for the newline-and-comment token
  and for words, so that neighbouring tokens stay apart as a person would write them;
- generated product systems that load and compute (factors, parameters,
  processes linked to each other, claims), written with a messy layout:
  random spacing and indentation, blank lines, comments, shuffled sections;
- arbitrary text, and the reference model with random edits.

CI runs a fixed, derandomised profile of a few hundred examples per test. The
thorough run (thousands per test) is `PCF_HYPOTHESIS_PROFILE=thorough
.venv/bin/python -m pytest tests/test_properties.py`; docs/version-control.md
records its last result.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

from hypothesis import HealthCheck, Phase, assume, find, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import pytest

import pcf_dsl
from pcf_dsl import parse as _parse
from pcf_dsl.diagnostics import PcfError
from pcf_dsl.fmt import check_safe, format_bytes, format_text
from pcf_dsl.parse import grammar_for_generation, parse_text, tokens

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"

_PROFILES = {
    "ci": settings(max_examples=200, derandomize=True, deadline=None, database=None, print_blob=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]),
    "thorough": settings(max_examples=int(os.environ.get("PCF_HYPOTHESIS_EXAMPLES", "3000")), deadline=None,
                         database=None, print_blob=True,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                HealthCheck.data_too_large]),
}
PROFILE = _PROFILES[os.environ.get("PCF_HYPOTHESIS_PROFILE", "ci")]
# The slower properties (each example re-parses the 300-line reference model) run a quarter as many in CI.
LIGHT = PROFILE if os.environ.get("PCF_HYPOTHESIS_PROFILE") == "thorough" else settings(PROFILE, max_examples=50)


# ------------------------------------------------------------------ texts from the grammar

_LARK = grammar_for_generation()
KEYWORDS = {t.name: t.pattern.value for t in _LARK.terminals
            if t.pattern.type == "str" and re.fullmatch(r"[a-z_]+", t.pattern.value)}
_NAME = re.compile(r"[^\W\d]\w*")

comment = st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=12).map(lambda s: "#" + s)
indent = st.sampled_from(["", "  ", "    ", "\t", " \f "])
newline = st.builds(
    lambda eol, lines, last: (eol or "") + "".join("\n" + ind + (c or "") for ind, c in lines) + "\n" + last,
    st.none() | comment, st.lists(st.tuples(indent, st.none() | comment), max_size=3), indent)
names = st.from_regex(_NAME, fullmatch=True).filter(lambda s: s not in KEYWORDS.values() and len(s) < 12)

GRAMMAR_TEXT = from_lark(_LARK, explicit={
    "_NL": newline,
    "__IGNORE_0": st.sampled_from([" ", "  ", "\t"]),
    "NAME": names.map(lambda s: s + " "),
    "NUMBER": st.from_regex(r"\d{1,4}(\.\d{1,5})?([eE][+-]?\d{1,2})?", fullmatch=True).map(lambda s: s + " "),
    "INT": st.from_regex(r"\d{1,4}", fullmatch=True).map(lambda s: s + " "),
    "DATE": st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True).map(lambda s: s + " "),
    **{name: st.just(word + " ") for name, word in KEYWORDS.items()},
})


def _kinds(text: str, *types: str) -> list[str]:
    return sorted(t.text for t in tokens(text) if t.type in types)


def _comments(text: str) -> list[str]:
    return sorted(c.rstrip(" \t\f\r") for t in tokens(text) if t.type == "_NL" for c in re.findall(r"#[^\n]*", t.text))


@PROFILE
@given(GRAMMAR_TEXT)
def test_fmt_keeps_meaning_and_is_stable_on_grammar_texts(text):
    try:
        parse_text(text)
    except PcfError:
        assume(False)  # two generated words that happen to read as something else
    out = format_text(text)
    check_safe(text, out)  # the same syntax tree without positions, and a second pass changes nothing
    assert _kinds(out, "NUMBER", "INT", "DATE") == _kinds(text, "NUMBER", "INT", "DATE")  # spellings as written
    assert _kinds(out, "STRING") == _kinds(text, "STRING")
    assert _comments(out) == _comments(text)


# ------------------------------------------------------------------ generated product systems

numbers = st.one_of(
    st.integers(1, 999).map(str),
    st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 99), st.from_regex(r"\d{1,5}", fullmatch=True)),
    st.builds(lambda a, e: f"{a}e-{e}", st.integers(1, 9), st.integers(1, 3)),
    st.builds(lambda a, e: f"{a}E+{e}", st.integers(1, 9), st.integers(0, 2)),
)
positive = numbers.filter(lambda s: float(s) > 0)  # a product of amount 0 cannot be scaled
UNITS = ["kg", "t", "kWh", "m3", "t*km"]
words = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(lambda s: s not in KEYWORDS.values())
labels = st.none() | st.sampled_from(['"铝锭 / aluminium ingot"', '"electricity"', '"a \\"quoted\\" label"', '"ünïcödé"'])


@st.composite
def product_systems(draw):
    """A model that loads and computes, as a list of top-level items; each item a list of lines of tokens."""
    items: list[list[list[str]]] = [[["import", '"std:gwp/ipcc_ar6.pcf"', "as", "ipcc"]]]
    factors = []
    for i in range(draw(st.integers(1, 4))):
        per = draw(st.sampled_from(UNITS))
        label = draw(labels)
        gas = draw(st.sampled_from(["CO2e", "CO2", "CH4_fossil"]))
        head = ["factor", f"f{i}", *([label] if label else []), "=", draw(numbers), "kg", gas, "/",
                *(["(", "t*km", ")"] if per == "t*km" else [per])]
        body = []
        if draw(st.booleans()):
            body = [["source", '"supplier data"'], ["year", str(draw(st.integers(1990, 2030)))],
                    ["geography", "CN", "-", "JS"]][: draw(st.integers(1, 3))]
        items.append([head + ["{"], *body, ["}"]] if body else [head])
        factors.append((f"f{i}", per))
    params = []
    for i in range(draw(st.integers(0, 3))):
        unit = draw(st.sampled_from(UNITS))
        items.append([["param", f"p{i}", "=", draw(numbers), unit]])
        params.append((f"p{i}", unit))
    processes = []
    for i in range(draw(st.integers(1, 4))):
        unit = draw(st.sampled_from(UNITS))
        lines = [["stage", draw(st.sampled_from(["production", "raw_material_acquisition"]))],
                 ["product", f"out{i}", *([l] if (l := draw(labels)) else []), draw(positive), unit]]
        for j in range(draw(st.integers(0, 3))):
            name, per = draw(st.sampled_from(factors))
            amount = [draw(numbers), per]
            usable = [p for p, u in params if u == per]
            if usable and draw(st.booleans()):
                amount = [draw(st.sampled_from(usable)), "*", draw(numbers)]
            line = ["input", f"in{j}", *amount, "from", name]
            if draw(st.booleans()):
                lines.append(line + ["{"])
                lines.append(["group", draw(words)])
                lines.append(["quality", "activity", "=", "periodic", "factor", "=", "national", "calibration", "=", "3"])
                lines.append(["}"])
            else:
                lines.append(line)
        if processes and draw(st.booleans()):
            supplier, sunit = draw(st.sampled_from(processes))
            lines.append(["input", "supply", draw(positive), sunit, "from", f"{supplier}.out{supplier[1:]}"])
        if draw(st.booleans()):
            lines.append(["emit", "direct", draw(numbers), "kg", "CO2"])
        items.append([["process", f"p_{i}".replace("p_", "q"), "{"], *lines, ["}"]])
        processes.append((f"q{i}", unit))
    last, unit = processes[-1]
    items.append([["study", '"generated"', "{"], ["declared_unit", "1", unit, "of", f"{last}.out{last[1:]}"],
                  ["gwp", "ipcc", ".", "ar6"], ["}"]])
    if draw(st.booleans()):
        items.append([["boundary", "cradle_to_gate"]])
    if draw(st.booleans()):
        items.append([["cutoff", "{"], ["per_flow", "1", "%"], ["}"]])
    for _ in range(draw(st.integers(0, 3))):
        items.append([["claim", "total", "=", draw(numbers), "kg", "CO2e"]])
    return items


# Comments in a model file: any text a person types (a NUL byte is not text, and the file reader says so).
file_comment = st.text(st.characters(codec="utf-8", exclude_characters="\n\r\x00"), max_size=12).map(lambda s: "#" + s)


@st.composite
def messy_layouts(draw, items):
    """Write items with random spacing, indentation, blank lines and comments, in a shuffled order."""
    order = draw(st.permutations(range(len(items))))
    space = st.sampled_from([" ", "  ", "\t", "   "])
    out = []
    for index in order:
        for _ in range(draw(st.integers(0, 2))):
            out.append("")
        if draw(st.booleans()):
            out.append(draw(indent) + draw(file_comment))
        for line in items[index]:
            text = draw(indent) + "".join(tok + draw(space) for tok in line).rstrip()
            if draw(st.integers(0, 4)) == 0:
                text += draw(space) + draw(file_comment)
            out.append(text)
    return "\n".join(out) + draw(st.sampled_from(["", "\n", "\n\n"]))


@PROFILE
@given(st.data())
def test_fmt_keeps_the_model_and_its_footprint(data):
    items = data.draw(product_systems())
    text = data.draw(messy_layouts(items))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.pcf"
        path.write_text(text, encoding="utf-8")
        before = pcf_dsl.load(path)
        out = format_text(text)
        check_safe(text, out)
        path.write_text(out, encoding="utf-8")
        after = pcf_dsl.load(path)
    assert after.semantic() == before.semantic()
    assert pcf_dsl.compute(after).total.value == pcf_dsl.compute(before).total.value
    assert format_text(out) == out
    code = [line for line in out.split("\n") if not line.lstrip(" ").startswith("#")]
    assert all(not line.startswith(("\t", " \t")) and not line.endswith((" ", "\t")) for line in code)
    assert "\n\n\n" not in out


@LIGHT
@given(st.data(), st.sampled_from([b"", b"\xef\xbb\xbf"]), st.sampled_from(["\n", "\r\n"]))
def test_bom_and_line_ends_are_kept(data, bom, newline_style):
    text = data.draw(messy_layouts(data.draw(product_systems())))
    raw = bom + text.replace("\n", newline_style).encode("utf-8")
    out = format_bytes(raw)
    assert out.startswith(bom) and (bom or not out.startswith(b"\xef\xbb\xbf"))
    body = out[len(bom):]
    assert body.count(b"\n") == (body.count(b"\r\n") if newline_style == "\r\n" else body.count(b"\n"))
    if newline_style == "\n":
        assert b"\r" not in body
    assert format_bytes(out) == out


# ------------------------------------------------------------------ the parser fails only with our error


def _only_our_error(text: str) -> None:
    for function in (parse_text, tokens, format_text):
        try:
            function(text)
        except PcfError as exc:
            assert exc.diagnostics and exc.diagnostics[0].message


@PROFILE
@given(st.text(st.characters(codec="utf-8"), max_size=200))
def test_arbitrary_text(text):
    _only_our_error(text)


@LIGHT
@given(from_lark(_LARK, explicit={"_NL": newline}))
def test_raw_grammar_texts(text):
    """Straight from the grammar, words not kept apart: mostly invalid, never a traceback."""
    _only_our_error(text)


_REFERENCE_TEXT = REFERENCE.read_text(encoding="utf-8")
_PIECES = ["{", "}", "(", ")", "-", "^", "*", "/", "=", ".", "%", '"', "\\", "#", "\n", " ", "1e", "0.5", "kg",
           "from", "input", "stage", "\r", "\t", "\x00", "铝", "\ufeff", "9" * 30, "((((((((", "--"]


@LIGHT
@given(st.lists(st.tuples(st.integers(0, len(_REFERENCE_TEXT)), st.integers(0, 40), st.sampled_from(_PIECES)),
                min_size=1, max_size=4))
def test_edited_reference_model(edits):
    text = _REFERENCE_TEXT
    for at, cut, piece in edits:
        text = text[:at] + piece + text[at + cut:]
    _only_our_error(text)


# ------------------------------------------------------------------ the fast path agrees with lark


def _both_parsers(text: str):
    """(what lark's own parser gives, what the fast path gives) for `text`: items, or an error's name."""
    source = text if text.endswith("\n") else text + "\n"

    def run(parse):
        _parse._TRANSFORMER.reset("t.pcf")
        try:
            return parse(source)
        except _parse._GiveUp:
            return "gave up"
        except PcfError as exc:  # a limit (docs/limits.md), raised while reading
            return ("PcfError", exc.diagnostics[0].code, str(exc.diagnostics[0].span))
        except Exception as exc:  # noqa: BLE001 - lark's syntax errors: the fast path must give up on them
            return type(exc).__name__

    with _parse._LOCK:
        return run(_parse.parser().parse), run(lambda s: _parse._parse_fast(s, _parse._TRANSFORMER))


@PROFILE
@given(GRAMMAR_TEXT)
def test_fast_path_gives_what_lark_gives_on_grammar_texts(text):
    lark, fast = _both_parsers(text)
    if isinstance(lark, list):
        assert fast == lark  # a valid text never makes the fast path give up: it must read what lark reads
    elif isinstance(lark, tuple):
        assert fast == lark  # the same limit, at the same place
    else:
        assert fast == "gave up"


@LIGHT
@given(st.one_of(st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=200),
                 st.lists(st.tuples(st.integers(0, len(_REFERENCE_TEXT)), st.integers(0, 40),
                                    st.sampled_from([p for p in _PIECES if p not in ("\r", "\ufeff")])),
                          min_size=1, max_size=4).map(lambda edits: _edit(_REFERENCE_TEXT, edits))))
def test_fast_path_agrees_or_gives_up_on_any_text(text):
    """On anything at all, the fast path reads what lark reads, or leaves it to lark."""
    lark, fast = _both_parsers(text)
    assert fast == lark or (fast == "gave up" and not isinstance(lark, tuple))


def _edit(text: str, edits) -> str:
    for at, cut, piece in edits:
        text = text[:at] + piece + text[at + cut:]
    return text


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT) for folder in ("examples", "models", "tests")
                                        for p in (ROOT / folder).rglob("*.pcf") if "crlf" not in str(p)),
                         ids=str)
def test_fast_path_reads_every_shipped_model(path):
    lark, fast = _both_parsers((ROOT / path).read_text(encoding="utf-8"))
    assert isinstance(lark, list) and fast == lark


def test_fast_path_gives_up_where_lark_reads_differently():
    """A date in an expression is three tokens to lark there (2024 - 01 - 01): the fast path must not guess."""
    text = "param x = 2024-01-01 kg\n"
    lark, fast = _both_parsers(text)
    assert isinstance(lark, list) and fast == "gave up"
    assert parse_text(text, "t.pcf").items == lark  # and parse_text still gets lark's reading


@pytest.mark.parametrize("text", [
    "claimtotal = 3.2 kg CO2e\n",
    'processmake "x" {\n  stage production\n}\n',
    "process p {\n  stage production\n  inputsteel 1 kg from f\n}\n",
    'study "s" {\n  geographyCN\n}\n',
    "factor f = 1 kg CO2e / kg {\n  year2024\n}\n",
    "boundary b {\n  includeproduction\n}\n",
])
def test_a_keyword_ends_at_a_word_boundary_in_both_parsers(text):
    """lark's contextual lexer tried only the keyword where no name fits, and matched `claim` at the
    front of `claimtotal`; the fast path reads the whole word. Both must refuse it."""
    lark, fast = _both_parsers(text)
    assert lark == "UnexpectedToken" and fast == "gave up", (lark, fast)
    with pytest.raises(PcfError) as info:
        parse_text(text, "t.pcf")
    assert info.value.diagnostics[0].code == "E002"


# Flow lines for the fast path's line reader (parse._flow_line): (line, read by it?). Every one
# must read as lark reads it, whether the reader takes it or leaves it to the token loop.
_FLOW_LINES = [
    ("input steel 1.5 t from supplier.steel", True),
    ("product out 0.5 t", True),
    ("input freight 164.82 t*km from ef.freight_03", True),
    ("input heat 2 kg / MWh from f", True),
    ("emit gas 3 m3 of natural_gas with ef.combustion", True),
    ("emit fuel 3 m3 of natural_gas", True),
    ("emit leak 0.2 kg CH4_fossil", True),
    ("waste dross 0.02 t to landfill.disposal", True),
    ("waste w 1 kg with ef.incineration", True),
    ("loss melt 1.5e-3 t   # a comment, then the end of the line", True),
    ("input\tx\f 1E+3\tkg\tfrom\tp.q.r", True),
    ("input 铝锭 1 kg from 供应商", True),
    ("input with 1 kg from from", True),  # names where a keyword is not expected are names
    ("input x 1 kg from p {\n    group g\n    note \"n\"\n  }", True),  # the head, then the block
    ("input x 1 t*km from p{\n    stage production\n  }", True),  # the line with its block, a whole flow
    ("input x 1 kg from p {\n    group g\n  }   # a comment after the block", True),
    ("emit e 1 kg CO2\t{ \n\tgroup\tg \f\n\t}", True),
    ("product out 1 kg {\n    stage production\n  }", True),
    ("input x 1 kg from p {  # a comment\n    group g\n  }", True),  # the head: the loop reads the block
    ("input x 1 kg from p {\n\n    group g\n  }", True),  # the head: a blank line in the block
    ("input x 1 kg from p {\n    group from\n  }", True),  # where only a name fits, a keyword is a name
    ("input x 1 kg from p {\n    stage process\n  }", True),
    ("emit gas 3 m3 of natural_gas with ef.c {\n    group g\n  }", True),
    ("waste w 1 kg with f {\n    stage production\n  }", True),
    ("waste w 1 kg to t.d {\n    stage production\n  }", True),
    ("product out 1 kg {\n    property price 2 CNY/kg\n  }", True),
    ("input x 1 kg fromage from p", True),  # a second unit that begins with a keyword is a unit
    ("input x 1 kg tonne\tfrom p", True),
    ("emit e 1 kg of of with f", True),  # after `of` only a name fits: the first `of` is the clause's
    ("emit e 1 kg CO2 of with", True),  # after `of` only a name fits: `with` is the input's name
    ("input x 1 kg from from", True),
    ("input x 1 kg from from p", False),
    ("emit x 1 kg with with", True),
    ("input x 1 from p", False),  # no unit: `from` is the keyword, not a unit
    ("input x 1 kg from", False),  # a syntax error: lark's to report
    ("input x 1 kg", False),
    ("product x 1 kg from p", False),
    ("emit x 1 kg to p", False),
    ("input x 1 kg with p", False),
    ("waste x 1 kg of y", False),
    ("input x 1 kg cutoff \"small\"", False),
    ("input x \"a label\" 1 kg from p", False),
    ("input x 1kg from p", False),
    ("input x 1 kg from p . q", False),
    ("input x 1 t*km*km from p", False),
    ("input x 1 kg CO2 CH4 from p", False),
    ("input x 1 kg^2 from p", False),
    ("input x 1 % from p", False),
    ("input x 2024-01-01 kg from p", False),
    ("input x " + "1" * 101 + " kg from p", False),  # E008 from both
    ("input x 1 " + "k" * 4001 + " from p", False),  # E006 from both
]


@pytest.mark.parametrize("line, read", _FLOW_LINES, ids=[repr(line[:40]) for line, _ in _FLOW_LINES])
def test_the_fast_line_reader_reads_flow_lines_as_lark_does(line, read, monkeypatch):
    calls = _line_reader_calls(monkeypatch)
    # (the comment leaves the process to the loop, and so its lines to the flow line reader, not the process reader)
    text = f"process p {{  # c\n  stage production\n  {line}\n  product q 1 kg\n}}\n"
    lark, fast = _both_parsers(text)
    if read:
        assert isinstance(lark, list) and fast == lark
    else:  # as on any text: what lark reads, or leave it to lark (a date in an amount, above)
        assert fast == lark or (fast == "gave up" and not isinstance(lark, tuple))
    assert [taken for _, taken in calls[:1]] == [read]


def _line_reader_calls(monkeypatch) -> list[tuple[bool, bool]]:
    """Each line the flow line readers were asked to read from here on: (asked by the run reader?, taken?).

    The run reader takes a line either by handing its match to the flow line reader, or as a plain line
    of its own (_flow_lines): each of those is one line taken.
    """
    calls = []
    reader, plain_lines = _parse._flow_line, _parse._flow_lines

    def counted(*args):
        end = reader(*args)
        calls.append((len(args) == 11, end is not None))  # the run reader hands over the line's match
        return end

    def counted_lines(text, end, states, values, *args):
        body = values[-2]
        before = len(body)
        read = plain_lines(text, end, states, values, *args)
        calls.extend([(True, True)] * (len(body) - before))  # each line read puts the one before on the body
        return read

    monkeypatch.setattr(_parse, "_flow_line", counted)
    monkeypatch.setattr(_parse, "_flow_lines", counted_lines)
    return calls


# Process bodies for the run reader (parse._flow_run): (body, how many of its lines it reads after a
# flow line). Each must read as lark reads it, spans and line numbers included.
_FLOW_RUNS = [
    ("product out 1 t\ninput a 1 kg from p\ninput b 2 t from q.r\nemit c 3 kg CO2", 3),
    ("input a 1 kg from p\ninput b 2 kg from p", 1),  # the body's first line: the loop's, then the run
    ("product out 1 t\n\n\n  input a 1 kg from p   # spacing, a comment\n# a comment line\n\t input b 1 kg from p", 2),
    ("product out 1 t\nwaste w 1 kg to t.d\nloss l 1 kg\nemit g 1 kg of w with f\nproduct co 2 kg", 4),
    ("product out 1 t\ninput a 1 kg from p {\n    group g\n  }\ninput b 1 kg from p\ninput c 1 kg from p", 3),
    ("product out 1 t\ninput a 1 kg from p {\n    group g\n    stage s\n  }\ninput b 1 kg from p\ninput c 1 kg from p",
     2),  # a block of two lines: the loop's, after the head
    ("product out 1 t {\n    stage s\n  }\ninput a 1 kg from p {\n    group g\n  }\n"
     "emit c 3 kg CO2 {\n    group h\n  }", 2),  # the product's line is the loop's (the body's first)
    ("product out 1 t\ninput a 1 kg from p\nstage production\ninput b 1 kg from p\ninput c 1 kg from p", 2),
    ("product out 1 t\ninput a 1 kg from p\ninput x 1 from p\ninput c 1 kg from p", 1),  # no unit: the loop's
    ("product out 1 t\ninput a 1 kg from p\ninput b 1 kg cutoff \"small\"\ninput c 1 kg from p", 1),
    ("product out 1 t\ninput a 1 kg from p\ninput b 1 kg\ninput c 1 kg from p", 1),  # a syntax error
]


@pytest.mark.parametrize("body, run", _FLOW_RUNS, ids=[repr(body[:40]) for body, _ in _FLOW_RUNS])
def test_the_run_reader_reads_a_process_body_as_lark_does(body, run, monkeypatch):
    calls = _line_reader_calls(monkeypatch)
    # (the comments leave the processes to the loop, and so their lines to the run reader)
    text = f"process p {{  # c\n  stage production\n  {body}\n}}\n\nprocess q {{  # c\n  stage production\n  {body}\n}}\n"
    lark, fast = _both_parsers(text)
    read_on = [taken for asked_by_run, taken in calls if asked_by_run]
    if "input b 1 kg\n" in body:  # the fast path gives up in the first process: lark reports the error
        assert isinstance(lark, str) and fast == "gave up" and read_on.count(True) == run
    else:
        assert isinstance(lark, list) and fast == lark
        last_flow = max(i for i, line in enumerate(body.split("\n"))
                        if (line.split() or [""])[0] in _parse._FLOW_KINDS)
        assert lark[1].flows[-1].name.span.line == 8 + body.count("\n") + last_flow  # lines counted through the runs
        assert read_on.count(True) == 2 * run


# Process bodies made of the lines the flow line, block and run readers take, and their near misses:
# keywords as names, every clause after every kind (the table refuses some), one-line blocks and
# longer ones, odd spacing, comments and blank lines. The texts drawn from the grammar above seldom
# take these shapes (their blocks hold comments and labels), so they are drawn here on purpose.
_WORD = st.sampled_from(["a", "steel_1", "铝", "from", "group", "stage", "of", "to", "process", "kg", "t"])
_SPACE = st.sampled_from([" ", " ", "  ", "\t", " \f"])
_UNIT = st.sampled_from(["kg", "t", "t*km", "kg / MWh", "kg CO2", "MWh", "kg", "t", "from"])
_CLAUSES = {"input": [" from p", " from p.q", " cutoff \"c\""], "waste": ["", " to t.d", " with ef.f"],
            "emit": ["", " of a", " with ef.f", " of a with ef.f"], "product": [""], "loss": [""]}
_ANY_CLAUSE = sorted({clause for clauses in _CLAUSES.values() for clause in clauses})
_BLOCK = st.one_of(
    st.just(""), st.just("  # a comment"),
    st.builds(lambda space, attribute, word, indent: f"{space}{{\n{indent}{attribute} {word}\n{indent[:-1]}}}",
              st.sampled_from([" ", "", "\t"]), st.sampled_from(["group", "stage"]), _WORD,
              st.sampled_from(["    ", "\t\t", "  "])),
    st.builds(lambda word: f" {{\n    group {word}\n    note \"n\"\n  }}", _WORD),
    st.just(" {\n\n    stage s\n  }"))


@st.composite
def _flow_lines(draw) -> str:
    kind = draw(st.sampled_from(_parse._FLOW_KINDS))
    # One time in six, any clause: the table refuses some after this kind.
    clause = draw(st.sampled_from(_CLAUSES[kind] if draw(st.integers(0, 5)) else _ANY_CLAUSE))
    return (f"{kind}{draw(_SPACE)}{draw(_WORD)} {draw(st.sampled_from(['1', '0.5', '1.5e-3', '2E+3']))} "
            f"{draw(_UNIT)}{clause}{draw(_BLOCK)}")


# Inputs cut off, for the cut-off reader (parse._cutoff_line), and their near misses.
_ESTIMATE_BLOCK = st.one_of(
    st.just(""),
    st.builds(lambda space, value, indent: f"{space}{{\n{indent}estimate {value}\n  }}",
              st.sampled_from([" ", "", "\t"]),
              st.sampled_from(["0.006 kg CO2e", "1 kg", "0.1 %", "2 t*km", "1 kg / t", "3 of", "1e-400 kg",
                               "5 kg CO2e t", "x", "1 cutoff", "-1 kg"]),
              st.sampled_from(["    ", "\t\t"])),
    st.just(' {\n    estimate 1 kg\n    note "n"\n  }'), st.just(" {\n    group g\n  }"), st.just(" {\n  }"))
_CUTOFF_LINE = st.builds(
    lambda space, word, number, unit, reason, block: f"input{space}{word} {number} {unit} cutoff{reason}{block}",
    _SPACE, _WORD, st.sampled_from(["1", "0.5", "1.5e-3", "1e-400"]), _UNIT,
    st.sampled_from(["", ' "c"', '  "a \\" b"', " c", ' "c" # x', '\t"铝"']), _ESTIMATE_BLOCK)
_BODY_LINE = st.one_of(_flow_lines(), _flow_lines(), _flow_lines(), _CUTOFF_LINE,
                       st.sampled_from(["stage production", "# a comment", ""]))


def _reads_as_lark(text: str) -> None:
    """The fast path reads `text` as lark does: a valid text to the same items, spans and line numbers
    included (never giving up on it); on any other, the same limit error, or it gives up to lark."""
    lark, fast = _both_parsers(text)
    if isinstance(lark, list):
        assert fast == lark
    else:
        assert fast == lark or (fast == "gave up" and not isinstance(lark, tuple))


@PROFILE
@given(st.lists(_BODY_LINE, min_size=1, max_size=8))
def test_the_line_readers_read_process_bodies_as_lark_does(lines):
    body = "\n  ".join(lines)
    _reads_as_lark(f"process p {{\n  stage production\n  {body}\n}}\n\nprocess q {{\n  {body}\n}}\n")


# Process openings and closings for the process reader (parse._process_block), and their near misses.
_OPENING = st.builds(lambda space, name, label, brace: f"process{space}{name}{label}{brace}", _SPACE, _WORD,
                     st.sampled_from(["", ' "a label"', ' "with \\" a quote"', '\t"铝锭"', ' "a\\nb"']),
                     st.sampled_from([" {", "{", " \t{ ", " {  # c"]))
_FIRST_LINE = st.sampled_from(["stage production", "stage\tnowhere", " stage  s ", "quality activity=3", "# c", "",
                               "geography CN"])
_CLOSING = st.sampled_from(["}", "}  # c", "} ", " }", "}\n# after"])


_QUALITY_LINE = st.sampled_from(["", "\n  quality activity=3", "\n  quality activity = periodic\tfactor=1",
                                 "\n  quality activity=3 # c", "\n  quality", "\n  quality stage=3 of=2",
                                 "\n  quality activity=periodic factor=national calibration=accepted"])


@PROFILE
@given(_OPENING, _FIRST_LINE, _QUALITY_LINE, st.lists(_BODY_LINE, min_size=0, max_size=5), _CLOSING)
def test_the_process_reader_reads_processes_as_lark_does(opening, first, quality, lines, closing):
    body = quality + "".join(f"\n  {line}" for line in lines)
    _reads_as_lark(f"{opening}\n  {first}{body}\n{closing}\n\n{opening}\n  {first}{body}\n{closing}\n")


# Allocation lines and blocks for the allocation reader (parse._allocation_block), and their near misses.
_ALLOCATION_VALUE = st.sampled_from(["80 %", "80%", "0.5", "29.14 GJ / t", "2 CNY/kg", "1 kg*t", "3 MJ kg", "1e-3 %",
                                     "2 kg CO2e / t", "(1 + 2) %", "-5 %", "1 of", "1 from", "1.5.2 %", "x", "1 t ^ 2"])
_ALLOCATION_LINE = st.one_of(
    st.builds(lambda tag, space, word, value: f"{tag}{space}{word} {value}", st.sampled_from(["share", "property"]),
              _SPACE, _WORD, _ALLOCATION_VALUE),
    st.sampled_from(['justification "why"', 'justification "a \\"b\\""', "justification why", "# a comment", "",
                     'note "n"', "share a 1 %  # c"]))


@PROFILE
@given(_WORD, st.sampled_from([" {", "{", " \t{", "", " {  # c"]), st.lists(_ALLOCATION_LINE, max_size=5),
       st.sampled_from(["  }", "}", "\t}", "  } # c"]), st.sampled_from(["", "\n  product b 1 t"]))
def test_the_allocation_reader_reads_allocations_as_lark_does(method, brace, lines, block_end, after):
    block = "".join(f"\n    {line}" for line in lines) + f"\n{block_end}" if brace else ""
    body = f"  stage s\n  product a 1 t\n  product b 2 kg\n  allocation {method}{brace}{block}{after}"
    _reads_as_lark(f"process p {{\n{body}\n}}\n\nprocess q {{\n{body}\n}}\n")


# Whole processes: (text, whether the process reader takes it, None for a syntax error). Each must read
# as lark reads it.
_PROCESSES = [
    ('process p "part" {\n  stage production\n  product out 1 t\n  input a 2 kg from q.out\n}', True),
    ("process p {\n  stage production\n  product out 1 t\n}", True),
    ('process p "a \\"b\\"" {\n\tstage s\n  product out 1 t {\n    group g\n  }\n  emit e 1 kg CO2\n}', True),
    ('process p "part" {\n  stage production\n  quality activity=3\n  product out 1 t\n}', True),
    ('process p {\n  stage s\n  quality activity=periodic factor = national\tcalibration=1\n  product out 1 t\n}', True),
    ('process p {\n  stage s\n  quality stage=periodic\n  product out 1 t\n}', True),  # a keyword as a criterion
    ('process p {\n  quality activity=3\n  stage s\n  product out 1 t\n}', False),  # quality first: the loop's
    ('process p {\n  stage s\n  quality activity=3\n  quality factor=2\n  product out 1 t\n}', False),
    ('process p {\n  stage s\n  quality activity=3.5\n  product out 1 t\n}', None),  # a syntax error: lark's
    ('process p "part" {  # a comment\n  stage production\n  product out 1 t\n}', False),
    ('process p "part" {\n\n  stage production\n  product out 1 t\n}', False),
    ('process p "part" {\n  stage production\n  product out 1 t\n\n}', False),
    ('process p "part" {\n  stage production\n  product out 1 t\n}  # a comment', False),
    ('process p "part" {\n  stage production\n  product out 1 t\n  input x 1 kg cutoff "c"\n}', True),
    ('process p "part" {\n  stage production\n  product out 1 t from q\n}', None),  # a syntax error: lark's
    ("process p {\n  stage production\n}", False),  # no flow line: the loop's
    ("process p {\n  product out 1 t\n  stage production\n}", False),  # the stage after the flows
    # Allocation lines and blocks (parse._allocation_block), after the flow lines:
    (('process p {\n  stage s\n  product a 1 t\n  product b 1 t\n  allocation energy {\n    property a 29.14 GJ / t\n'
      '    property b 7.5 GJ/t\n    share a 80 %\n    share b 20%\n    justification "heat"\n  }\n}'), True),
    ('process p {\n  stage s\n  product a 1 t\n  product b 1 t\n  allocation mass\n}', True),  # no block
    ('process p {\n  stage s\n  product a 1 t\n  allocation mass {\n  }\n}', True),  # an empty block
    (('process p {\n  stage s\n  product a 1 t\n  allocation x {\n    share a 0.5\n    share a 1 kg*t\n'
      '    property a 2 CNY kg\n  }\n}'), True),  # a bare number; `*` and juxtaposition
    ('process p {\n  stage s\n  product a 1 t\n  allocation economic {\n    property a 2 CNY / t  # c\n  }\n}',
     False),  # a comment
    ('process p {\n  stage s\n  product a 1 t\n  allocation economic {\n    property a 2 kg CO2e / t\n  }\n}',
     False),  # three units
    ('process p {\n  stage s\n  product a 1 t\n  allocation economic {\n    share a (1 + 2) %\n  }\n}', False),
    # keywords as names: the loop reads them as names where the keyword does not fit, or reports them
    ('process p {\n  stage s\n  product a 1 t\n  allocation stage {\n    share a 1 %\n  }\n}', False),
    ('process p {\n  stage s\n  product a 1 t\n  allocation m {\n    share stage 1 %\n  }\n}', False),
    ('process p {\n  stage s\n  product a 1 t\n  allocation m {\n    share a 1 of\n  }\n}', None),
    ('process p {\n  stage s\n  product a 1 t\n  allocation m {\n    share a 1 %\n  }\n  product b 1 t\n}',
     False),  # a flow line after the allocation
    ('process p {\n  stage s\n  product a 1 t\n  allocation m {\n    share a 1 %\n  }\n  allocation m\n}',
     False),  # two allocations: the loop's, which records the second as a duplicate
    ('process p {\n  stage s\n  allocation m {\n    share a 1 %\n  }\n  product a 1 t\n}', False),  # first
    ('process p {\n  stage s\n  product a 1 t\n  allocation m {\n    share a 1 %\n    note "n"\n  }\n}', None),
    # inputs cut off (parse._cutoff_line): with or without a reason, an estimate, lines after them
    ('process p {\n  stage s\n  product a 1 t\n  input b 1.5 kg cutoff "small" {\n    estimate 0.006 kg CO2e\n  }\n}',
     True),
    ('process p {\n  stage s\n  product a 1 t\n  input b 1 kg cutoff\n  input c 2 t*km cutoff "x"\n'
     '  input d 1 t from p\n}', True),
    ('process p {\n  stage s\n  product a 1 t\n  input b 1 t km cutoff "x" {\n    estimate 1 kg / t\n  }\n}', True),
    ('process p {\n  stage s\n  input b 1 kg cutoff "x"\n  product a 1 t\n}', False),  # first in its process
    ('process p {\n  stage s\n  product a 1 t\n  input b 1 kg cutoff "x" {\n    estimate 0.1 %\n  }\n}',
     False),  # a share, not an amount in units
    ('process p {\n  stage s\n  product a 1 t\n  input b 1 kg cutoff "x" {\n    estimate 1 kg\n    note "n"\n  }\n}',
     False),  # a block of more than the estimate
    ('process p {\n  stage s\n  product a 1 t\n  input b 1 kg cutoff "x" {\n    estimate 1 from\n  }\n}', None),
    ('process p {\n  stage s\n  product a 1 t\n  input b 1 kg cutoff "x"  # why\n}', False),  # a comment
]


def _process_reader_calls(monkeypatch) -> list[bool]:
    """The process reader's answers from now on, in order: True for a process it read whole."""
    calls = []
    reader = _parse._process_block

    def counted(*args):
        read = reader(*args)
        calls.append(read is not None)
        return read

    monkeypatch.setattr(_parse, "_process_block", counted)
    return calls


@pytest.mark.parametrize("text, taken", _PROCESSES, ids=[repr(text[:40]) for text, _ in _PROCESSES])
def test_the_process_reader_takes_plain_processes_whole(text, taken, monkeypatch):
    calls = _process_reader_calls(monkeypatch)
    lark, fast = _both_parsers(f"stage s \"s\"\n{text}\n\n{text.replace('process p', 'process p2')}\n")
    if taken is None:  # the reader leaves it to the loop, which gives it up to lark
        assert isinstance(lark, str) and fast == "gave up" and calls == [False]
        return
    assert isinstance(lark, list) and fast == lark
    assert calls == [taken, taken]
    if taken:  # the two processes' spans and line numbers, as lark gives them
        assert fast[2].name.span.line == 3 + text.count("\n") + 1 and fast[2].span == lark[2].span


def test_the_process_reader_reads_on_over_the_processes_after_a_blank_line(monkeypatch):
    """After a process read whole, the next one after a blank line is read straight on (_process_run); one
    the reader leaves to the loop is read by the loop, and the run goes on after it."""
    calls = _process_reader_calls(monkeypatch)
    plain = 'process {} {{\n  stage s\n  product out 1 t\n  input a 2 kg from p1\n}}'
    text = "\n\n".join([plain.format("p1"), plain.format("p2").replace("{\n", "{  # a comment\n", 1),
                         plain.format("p3"), plain.format("p4"), "process p5 {\n  stage s\n}", plain.format("p6")])
    lark, fast = _both_parsers(f'stage s "s"\n{text}\n')
    assert isinstance(lark, list) and fast == lark
    # p2 and p5 are tried by the run, then by the loop, which reads them; p4 and p6 by the run
    assert calls == [True, False, False, True, True, False, False, True]


def test_the_ascii_tables_are_the_tables_with_re_ascii():
    """An ASCII text is read with the patterns compiled with re.ASCII: the same sources, and the same
    parse table and caches, so what the readers learn of the table in one mode serves the other."""
    ascii_tables, tables = _parse._tables(True), _parse._tables()
    compiled = 0
    for field in dataclasses.fields(tables):
        ours, theirs = getattr(ascii_tables, field.name), getattr(tables, field.name)
        pattern = getattr(theirs, "__self__", theirs)
        if isinstance(pattern, re.Pattern):
            ascii_pattern = getattr(ours, "__self__", ours)
            assert ascii_pattern.pattern == pattern.pattern and ascii_pattern.flags & re.ASCII
            assert not pattern.flags & re.ASCII
            compiled += 1
        else:
            assert ours is theirs
    assert compiled == 9


# \u0660, an Arabic-Indic digit: a word character and a digit in Unicode mode, neither in ASCII mode.
@pytest.mark.parametrize("name", ["aluminium", "铝锭", "Ålesund_smelter", "x\u0660"])
def test_a_text_reads_the_same_with_either_tables(name, monkeypatch):
    text = f'stage s "s"\nprocess {name} {{\n  stage s\n  product out 1 t\n  input {name}_in 2 kg from {name}\n}}\n'
    lark, fast = _both_parsers(text)
    assert isinstance(lark, list) and fast == lark
    unicode_tables = _parse._tables()
    monkeypatch.setattr(_parse, "_tables", lambda ascii_only=False: unicode_tables)  # every text in Unicode mode
    assert _both_parsers(text)[1] == lark


@pytest.mark.parametrize("regexp, whole", [
    ("[\t \x0c]+", "(?:[\t \x0c]++)"),  # the grammar's spacing
    (r"[^\W\d]\w*", r"(?:[^\W\d]\w*+)"),  # NAME
    (r"\d+", r"(?:\d++)"),  # INT
    (r"[a\]b]+", r"(?:[a\]b]++)"),  # an escaped `]` inside the class
    (r"\d+(\.\d+)?([eE][+-]?\d+)?", r"(?>\d+(\.\d+)?([eE][+-]?\d+)?)"),  # NUMBER: more than a run
    ("ab+", "(?>ab+)"), ("[a]+[b]+", "(?>[a]+[b]+)"),
])
def test_a_terminal_is_matched_whole(regexp, whole):
    assert _parse._whole(regexp) == whole


@given(st.sampled_from(["[\t \x0c]+", r"[^\W\d]\w*", r"\d+", r"[a\]b]+"]),
       st.sampled_from(["", "a", r"\d", "[ b]", "$"]), st.text(st.sampled_from("ab]1 \t\x0c_\u0660x"), max_size=8))
def test_a_possessive_run_reads_as_the_atomic_group(regexp, after, text):
    """What _whole makes possessive matches what the atomic group matches, whatever follows it."""
    atomic, possessive = re.match(f"(?>{regexp}){after}", text), re.match(_parse._whole(regexp) + after, text)
    assert (atomic and atomic.span()) == (possessive and possessive.span())


def test_the_ascii_tables_refuse_a_pattern_that_would_read_differently():
    """`\\s` takes \\x1c-\\x1f in Unicode mode only: a pattern with it cannot be compiled in ASCII mode."""
    with pytest.raises(RuntimeError, match="ASCII"):
        _parse._compiled(r"[\t ]*\s", True)
    with pytest.raises(RuntimeError, match="ASCII"):
        _parse._compiled(r"(?i)kg", True)
    assert _parse._compiled(r"[\t ]*\s", False).match("\x1c") and _parse._compiled(r"\\s", True).match("\\s")


def test_the_run_reader_asks_the_table_and_stops_where_it_says_no(monkeypatch):
    """_grows answers from the parse table: yes in a process body, no where the flow is not on the body's
    list or where the answer would need states below the copy it works on."""
    seen = []
    run = _parse._flow_run

    def capture(text, end, states, values, *rest):
        seen.append((list(states), list(values)))
        return run(text, end, states, values, *rest)

    monkeypatch.setattr(_parse, "_flow_run", capture)
    parse_text("process p {  # c\n  stage production\n  product out 1 t\n}\n", "t.pcf")  # (the loop's process)
    (states, values), tables = seen[0], _parse._tables()
    assert _parse._grows(tables, states, values, "input")  # after `stage`, the product goes on the body's list
    assert not _parse._grows(tables, states, values[:-2] + ["_NL", values[-1]], "input")  # no list under it
    assert not _parse._grows(tables, states[-2:], values, "input")  # the body's reduction reads below the copy
    assert not _parse._grows(tables, states, values, "process")  # a keyword the body does not take next


def test_the_block_reader_asks_the_table_for_the_block():
    """_block_state finds from the parse table the state after a flow head's one-line block; where no
    flow head is under it (here the start state, which takes no `{`), it says no."""
    tables = _parse._tables()
    text = "process p {\n  stage production\n  product out 1 t {\n    group g\n  }\n}\n"
    lark, fast = _both_parsers(text)
    assert isinstance(lark, list) and fast == lark
    (key, path), *_ = ((key, path) for key, path in tables.paths.items()  # (other tests may have added more)
                       if key[1:] == ("product", False, None, True, "group"))
    state = key[0]
    head = [state, tables.actions[state]["PRODUCT"][0]]
    for symbol in ("NAME", "expr"):
        head.append(tables.actions[head[-1]][symbol][0])
    assert _parse._block_state(tables, head, "group") == tables.actions[head[-1]]["attrs"][0]
    assert _parse._block_state(tables, head, "stage") == tables.actions[head[-1]]["attrs"][0]
    assert _parse._block_state(tables, [tables.start], "group") is None
    assert path == tables.actions[state]["product"]


_GROUP = (2, "group", None)


@pytest.mark.parametrize("after_group, after_name, after_brace, state", [
    ({}, _GROUP, (5, "attrs", None), 18),  # the block, and only it, reduces to `attrs`
    ({}, _GROUP, (6, "attrs", None), None),  # the reduction would take the head's last state with it
    ({}, _GROUP, (5, "other", None), None),  # the block reduces, but not to `attrs`
    ({}, _GROUP, (19,), None),  # the newline after the `}` is shifted: the block is not over
    ({}, (5, "group", None), (5, "attrs", None), None),  # a reduction inside the block reaches into the head
    ({"GROUP": (13,)}, _GROUP, (5, "attrs", None), None),  # a keyword fits where the word goes
])
def test_the_block_reader_says_no_unless_the_block_is_one_attrs(after_group, after_name, after_brace, state):
    """_block_state on a small table of its own: the states after a head (10), `{` (11), a newline (12),
    `group` (13), its name (14) reduced to `group` (15), a newline (16) and `}` (17)."""
    actions = {9: {}, 10: {"LBRACE": (11,), "attrs": (18,), "other": (18,)}, 11: {"_NL": (12,)},
               12: {"GROUP": (13,), "group": (15,)}, 13: {"NAME": (14,), **after_group}, 14: {"_NL": after_name},
               15: {"_NL": (16,)}, 16: {"RBRACE": (17,)}, 17: {"_NL": after_brace}}
    tables = SimpleNamespace(actions=actions, keywords={"group": "GROUP"})
    assert _parse._block_state(tables, [9, 10], "group") == state


def test_generation_covers_the_grammar():
    """The grammar strategy reaches every statement kind (else the properties above test less than they say)."""
    def statements_in(text: str) -> set[str]:
        try:
            return {rule for t in tokens(text) for rule in t.rules}
        except PcfError:
            return set()

    search = settings(max_examples=2000, derandomize=True, database=None, phases=[Phase.generate],  # no shrinking
                      suppress_health_check=list(HealthCheck))
    for statement in ("import_decl", "study", "stage_decl", "boundary", "cutoff", "param", "gwp_set", "factor",
                      "process", "claim", "waiver", "profile"):
        found = find(GRAMMAR_TEXT, lambda text, s=statement: s in statements_in(text), settings=search)
        assert statement in statements_in(found)

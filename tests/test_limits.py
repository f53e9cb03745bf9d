"""Every limit of docs/limits.md: just under it the model works (with the number checked by hand),
just over it the error names the place; absurd inputs stop early, never in a RecursionError."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import INVENTORY, inventory_workbook

import pcf_dsl
from pcf_dsl import limits
from pcf_dsl import syntax as S
from pcf_dsl.cli import main
from pcf_dsl.diagnostics import Span, render
from pcf_dsl.evaluate import depth, evaluate, source_text
from pcf_dsl.parse import parse_text
from pcf_dsl.units import Q

TOL = 1e-12


def _diagnostic(path_or_text, code, file="limits.pcf"):
    """The first diagnostic with `code` from loading a path, or parsing a text."""
    with pytest.raises(pcf_dsl.PcfError) as info:
        if isinstance(path_or_text, str):
            parse_text(path_or_text, file)
        else:
            pcf_dsl.load(path_or_text)
    found = [d for d in info.value.diagnostics if d.code == code]
    assert found, [f"{d.code} {d.message}" for d in info.value.diagnostics]
    return found[0]


def _param(write, expr: str, extra: str = "") -> float:
    """The value of `param x = expr` in a loaded model (dimensionless)."""
    model = pcf_dsl.load(write(f"param x = {expr}\n{extra}"))
    return Q(model.params["x"].value, model.params["x"].unit).to("").magnitude


# ------------------------------------------------------------------ limits are what the docs say


def test_the_documented_numbers():
    text = (Path(__file__).parents[1] / "docs" / "limits.md").read_text(encoding="utf-8")
    for name, value in [("MAX_FILE_BYTES", "32 MiB"), ("MAX_PAREN_DEPTH", "50"), ("MAX_EXPRESSION_LENGTH", "4,000"),
                        ("MAX_EXPRESSION_DEPTH", "200"), ("MAX_NUMBER_LENGTH", "100"), ("MAX_EXPONENT", "12"),
                        ("MAX_PROCESSES", "100,000"), ("MAX_IMPORT_DEPTH", "16"), ("MAX_IMPORTED_FILES", "1,000"),
                        ("MAX_DIAGNOSTICS", "100")]:
        assert f"`{name}`" in text and value in text, name
    assert limits.MAX_FILE_BYTES == 32 * 2**20
    assert (limits.MAX_PAREN_DEPTH, limits.MAX_EXPRESSION_LENGTH, limits.MAX_EXPRESSION_DEPTH) == (50, 4000, 200)
    assert (limits.MAX_NUMBER_LENGTH, limits.MAX_EXPONENT, limits.MAX_PROCESSES) == (100, 12, 100_000)
    assert (limits.MAX_IMPORT_DEPTH, limits.MAX_IMPORTED_FILES) == (16, 1000)


# ------------------------------------------------------------------ file size


def test_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.pcf"
    with path.open("wb") as handle:  # a sparse 4 GiB file: reading it whole would take minutes and memory
        handle.truncate(4 * 2**30)
    d = _diagnostic(path, "E004")
    assert "the limit of 32 MiB" in d.message
    assert (d.span.file, d.span.line, d.span.column) == (str(path), 1, 1)


def test_file_size_limit_boundary(write, monkeypatch):
    monkeypatch.setattr("pcf_dsl.parse.MAX_FILE_BYTES", 200)
    body = "param x = 1\n"
    ok = write(body + "#" * (200 - len(body) - 1) + "\n", "ok.pcf")
    assert ok.stat().st_size == 200
    assert pcf_dsl.load(ok).params["x"].value == 1.0
    over = write(body + "#" * (200 - len(body)) + "\n", "over.pcf")
    assert _diagnostic(over, "E004").span.line == 1
    # parse_text (the API for text already in memory) applies the same limit
    assert _diagnostic("x" * 201, "E004").code == "E004"


# ------------------------------------------------------------------ parentheses


def test_parentheses_nested_to_the_limit_work(write):
    n = limits.MAX_PAREN_DEPTH
    # (((2 * 3)))... : the value must still be 6
    assert _param(write, "(" * n + "2 * 3" + ")" * n) == pytest.approx(6.0, rel=TOL)


def test_parentheses_over_the_limit_point_at_the_first_one_too_many():
    n = limits.MAX_PAREN_DEPTH + 1
    d = _diagnostic("param x = " + "(" * n + "1" + ")" * n, "E005")
    assert (d.span.line, d.span.column) == (1, len("param x = ") + n)
    assert "nested more than 50 deep" in d.message and "param" in d.help


# ------------------------------------------------------------------ expression depth and length


def test_expression_depth_boundary(write):
    n = limits.MAX_EXPRESSION_DEPTH  # a sum of n terms is n levels deep (leaves count 1)
    assert _param(write, " + ".join(["1"] * n)) == pytest.approx(float(n), rel=TOL)
    d = _diagnostic("param x = " + " + ".join(["1"] * (n + 1)), "E007")
    assert d.span.line == 1 and "200 operations deep" in d.message


@pytest.mark.parametrize("expr", [
    "(" * 100_000 + "1" + ")" * 100_000,
    "-" * 100_000 + "1",
    "1" + " + 1" * 100_000,
    "1" + " kg" * 100_000,
    "2" + " / 2" * 100_000,
    "(" * 100_000,
])
def test_absurd_expressions_end_in_our_error_not_a_recursion_error(expr):
    with pytest.raises(pcf_dsl.PcfError) as info:
        parse_text(f"param x = {expr}\n", "deep.pcf")
    assert {d.code for d in info.value.diagnostics} <= {"E002", "E005", "E006", "E007"}
    assert all(d.span is not None for d in info.value.diagnostics)


def test_expression_length_boundary(write):
    # 100 parameters of 29-character names summed: 3,296 characters, within 4,000
    names = [f"p{i:03}_{'a' * 24}" for i in range(100)]
    params = "".join(f"param {n} = {i}\n" for i, n in enumerate(names))
    expr = " + ".join(names)
    assert len(expr) < limits.MAX_EXPRESSION_LENGTH
    assert _param(write, expr, params) == pytest.approx(sum(range(100)), rel=TOL)  # 4950
    d = _diagnostic("param x = " + "a" * (limits.MAX_EXPRESSION_LENGTH + 1), "E006")
    assert (d.span.line, d.span.column) == (1, 11)
    long_sum = " + ".join(["b" * 40] * 100)  # 4,300 characters, only 100 deep
    assert _diagnostic(f"param x = {long_sum}\n", "E006").span.column == 11


def test_the_whole_pipeline_at_the_depth_limit(write):
    """Every step after the parser (builder, compute, JSON, formatter) handles the deepest expressions allowed."""
    n = limits.MAX_EXPRESSION_DEPTH
    amount = " + ".join(["0.5 kWh"] * (n // 2))  # 100 terms of 0.5 kWh = 50 kWh, 101 levels
    negated = "-" * (n - 2) + "2 kWh"  # an even number of signs: +2 kWh, exactly 200 levels
    nested = "(" * limits.MAX_PAREN_DEPTH + "3 kWh" + ")" * limits.MAX_PAREN_DEPTH
    path = write(f'''
        study "deep" {{
          declared_unit 1 kg of p.out
        }}
        factor grid = 0.5 kg CO2e / kWh
        process p {{
          stage production
          product out 1 kg
          input power {amount} from grid
          input signs {negated} from grid
          input parens {nested} from grid
        }}
    ''')
    model = pcf_dsl.load(path)
    amounts = [f["amount"]["value"] for f in model.semantic()["processes"]["p"]["flows"][1:]]
    assert amounts == pytest.approx([50.0, 2.0, 3.0], rel=TOL)
    result = pcf_dsl.compute(model)
    assert result.total.value == pytest.approx((50 + 2 + 3) * 0.5, rel=TOL)  # 27.5 kg CO2e
    for args in (["check", str(path)], ["calc", "--format", "json", str(path)], ["fmt", "--check", str(path)]):
        run = CliRunner().invoke(main, args)
        assert run.exit_code in (0, 1), (args, run.output[-2000:])
        assert "Traceback" not in run.output and "internal error" not in run.output


def _deep_tree(cycles: int) -> S.Expr:
    """Built by hand past any limit of the parser: each cycle is x -> -(1 - x)^1, three levels."""
    span = Span("t", 1, 1, 1, 2)
    node: S.Expr = S.Num("1", span)
    for _ in range(cycles):
        node = S.Neg(S.Pow(S.BinOp("-", S.Num("1", span), node, span), 1, span), span)
    return node


def test_evaluate_source_text_and_depth_need_no_recursion():
    cycles = 3_400  # 10,201 levels, ten times Python's recursion limit
    assert sys.getrecursionlimit() * 10 <= 3 * cycles
    tree = _deep_tree(cycles)
    # by hand: each cycle maps x to -(1 - x) = x - 1, so from 1 the value is 1 - cycles
    assert evaluate(tree, lambda name: pytest.fail("no names")).magnitude == pytest.approx(1 - cycles, rel=TOL)
    assert depth(tree) == 3 * cycles + 1
    text = source_text(tree)
    assert text.startswith("-(1 - -(1 - -(1 - ") and text.endswith("1)^1)^1")
    assert text.count("(") == text.count(")") == text.count("^1") == cycles


# ------------------------------------------------------------------ numbers


def test_number_length_boundary(write):
    assert _param(write, "1" + "0" * (limits.MAX_NUMBER_LENGTH - 1)) == pytest.approx(1e99, rel=TOL)
    d = _diagnostic("param x = 1" + "0" * limits.MAX_NUMBER_LENGTH, "E008")
    assert (d.span.line, d.span.column) == (1, 11)


@pytest.mark.parametrize("line", [
    "param x = kg^" + "9" * 5000,                       # int() refuses more than 4300 digits
    'factor f = 1 kg CO2 / kg {\n  year ' + "9" * 5000 + "\n}",
])
def test_long_whole_numbers_are_our_error(line):
    assert _diagnostic(line + "\n", "E008").span.line in (1, 2)


def test_exponent_boundary(write):
    assert _param(write, "(2)^12") == pytest.approx(4096.0, rel=TOL)
    assert _param(write, "(2)^-12") == pytest.approx(1 / 4096, rel=TOL)
    d = _diagnostic(write("param x = (2)^13\n"), "E306")
    assert (d.span.line, d.span.column) == (1, 12)
    assert "between -12 and 12" in d.help


def test_overflow_to_infinity_is_an_error_with_its_place(write):
    d = _diagnostic(write("param a = 1\nparam x = 1e999 kg\n"), "E305")
    assert (d.span.line, d.span.column) == (2, 11)
    d = _diagnostic(write("param x = 1e200 * 1e200\n"), "E305")
    assert (d.span.line, d.span.column) == (1, 11)
    d = _diagnostic(write("param x = (1e100)^4\n"), "E305")
    assert d.span.line == 1


_TINY_MODEL = """study "s" {
  declared_unit 1 kg of p.out
}
boundary cradle_to_gate
factor f = 2 kg CO2e / kg
gwp_set ar {
  CH4_fossil 29.8
}
process p {
  stage production
  product out 1 kg
  input steel 1 kg from f
}
"""


@pytest.mark.parametrize("old, new, column", [
    ("input steel 1 kg", "input steel 1e-400 kg", 15),  # read by the fast path's flow line reader
    ("input steel 1 kg", "input steel 1 kg / 1e-400", 22),  # by its token loop
    ("factor f = 2", "factor f = 2.5E-330", 12),  # a factor, a subnormal: 2.5e-330 keeps 2 digits of 17
    ("CH4_fossil 29.8", "CH4_fossil 5e-324", 14),  # a GWP value, the smallest float there is
])
def test_a_number_too_small_for_a_float_is_an_error_with_its_place(old, new, column):
    """1e-400 reads as 0.0 in a 64-bit float and 5e-324 as 4.94e-324: a wrong number, not a word said.
    Refused as written, by the fast path and by lark's parse alike."""
    text = _TINY_MODEL.replace(old, new)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if new in l)
    d = _diagnostic(text, "E305")
    assert (d.span.line, d.span.column) == (line, column)
    number = new.split()[-1] if "/" in new else new.split()[2 if new.startswith("input") else -1]
    assert f"`{number}` is too small" in d.message and "smaller unit" in d.help
    assert d.span.end_column == column + len(number)
    from pcf_dsl import parse as P
    for parse in (P.parser().parse, lambda t: P._parse_fast(t, P._TRANSFORMER)):  # lark's parse, the fast path
        with P._LOCK:
            P._TRANSFORMER.reset("limits.pcf")
            with pytest.raises(pcf_dsl.PcfError) as info:  # not the fast path's _GiveUp: it says it itself
                parse(text)
            P._TRANSFORMER.reset("<input>")
        assert info.value.diagnostics[0].span == d.span


def test_small_numbers_a_float_holds_are_read(write):
    assert _param(write, "2.3e-308 * 1e308") == pytest.approx(2.3, rel=TOL)  # just above the smallest normal float
    assert _param(write, "0e-400 + 1") == 1.0  # 0 written with any exponent is 0
    assert _param(write, "0.000e-999 + 1") == 1.0


@pytest.mark.parametrize("expr", ["1e-200 * 1e-200", "1e-300 / 1e100", "(1e-100)^4", "1e-300 kg * 1e-10"])
def test_a_result_too_small_for_a_float_is_an_error_with_its_place(write, expr):
    d = _diagnostic(write(f"param a = 1\nparam x = {expr}\n"), "E305")
    assert d.span.line == 2 and "too small to represent" in d.message
    assert _param(write, "0 * 1e-300") == 0.0  # a true 0 is not refused


_UNDERFLOW = """study "s" {
  declared_unit 1 kg of p.out
  gwp ar
}
factor f = FACTOR kg CO2e / kg
gwp_set ar {
  CO2 1
  CH4_fossil GWP
}
process p {
  stage production
  product out PRODUCT kg
  input x AMOUNT kg from f
  emit leak LEAK CH4_fossil
}
process unused {
  stage production
  product out 1 kg
  input x 1 kg from f
}
"""
_ORDINARY = dict(FACTOR="2", GWP="29.8", PRODUCT="1", AMOUNT="3", LEAK="0.5 kg")


def _underflow(write, **changes):
    text = _UNDERFLOW
    for key, value in {**_ORDINARY, **changes}.items():
        text = text.replace(key, value)
    return write(text)


@pytest.mark.parametrize("changes, line, what", [
    (dict(FACTOR="1e-200", AMOUNT="1e-200"), 13, "the burden of `p.x`"),  # 1e-400 per run: 0 in a float
    (dict(FACTOR="1e-160", AMOUNT="1e-150"), 13, "the burden of `p.x`"),  # 1e-310: a subnormal, 3 digits left
    (dict(LEAK="1e-306 g"), 14, "the emission `p.leak`"),  # 1e-309 kg of CH4 once in kg
    (dict(LEAK="1e-200 kg", GWP="1e-200"), 14, "the burden of `p.leak` in CO2e"),  # 1e-200 kg x GWP 1e-200
    (dict(PRODUCT="1e150", FACTOR="1e-150", AMOUNT="1e-10"), 13,
     "the contribution of `p.x`"),  # 1e-160 per run, run 1e-150 times per kg: 1e-310
    (dict(PRODUCT="1e150", FACTOR="1e100", AMOUNT="1e-200"), 13,
     "the contribution of `p.x`"),  # 1e-250 kg CO2e, fine, but 1e-350 kg of x per kg of out
])
def test_a_burden_that_underflows_is_an_error_at_its_line_not_a_silent_0(write, changes, line, what):
    """A product of amounts and factors none of which is 0 is not 0: below the smallest float it is
    refused as E305 refuses `1e-200 * 1e-200` written in an expression, here as E521 at the flow."""
    path = _underflow(write, **changes)
    model = pcf_dsl.load(path)  # every number as written is a float
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.compute(model)
    d = info.value.diagnostics[0]
    assert d.code == "E521" and d.message.startswith(what) and "too small to represent" in d.message
    assert (d.span.line, d.span.column) == (line, 11 if line == 13 else 13)
    run = CliRunner().invoke(main, ["calc", str(path)])
    assert run.exit_code == 2 and "E521" in run.output and "Traceback" not in run.output, run.output


def test_results_just_above_the_smallest_float_and_true_zeros_are_computed(write):
    # 2.3e-154 kg x 1e-154 kg CO2e/kg = 2.3e-308 kg CO2e, just above 2.2251e-308 (the smallest normal float)
    path = _underflow(write, FACTOR="1e-154", AMOUNT="2.3e-154", LEAK="0 kg")
    result = pcf_dsl.compute(pcf_dsl.load(path))
    assert result.total.value == pytest.approx(2.3e-308, rel=1e-12)
    # a 0 amount is 0, and the process the declared unit does not run (0 times) contributes 0: no error
    path = _underflow(write, AMOUNT="0", LEAK="0 kg")
    result = pcf_dsl.compute(pcf_dsl.load(path))
    assert result.total.value == 0.0 and result.runs["unused"] == 0.0


# ------------------------------------------------------------------ processes


def _processes(n: int) -> str:
    return "".join(f"process p{i} {{\n  stage production\n  product out 1 kg\n}}\n" for i in range(n))


def test_process_count_limit(write, monkeypatch):
    monkeypatch.setattr("pcf_dsl.build.MAX_PROCESSES", 3)
    assert len(pcf_dsl.load(write(_processes(3), "three.pcf")).processes) == 3
    d = _diagnostic(write(_processes(4), "four.pcf"), "E106")
    assert (d.span.line, d.span.column) == (13, 9)  # the name of the fourth process
    assert "4 processes; the limit is 3" in d.message


# ------------------------------------------------------------------ imports


def _chain(tmp_path, n: int):
    """f0 imports f1 imports ... f{n}: an import chain n deep."""
    for i in range(n + 1):
        body = f'import "f{i + 1}.pcf" as next\n' if i < n else ""
        (tmp_path / f"f{i}.pcf").write_text(body + f"param v{i} = {i}\n", encoding="utf-8")
    return tmp_path / "f0.pcf"


def test_import_depth_boundary(tmp_path):
    model = pcf_dsl.load(_chain(tmp_path, limits.MAX_IMPORT_DEPTH))
    deepest = ".".join(["next"] * limits.MAX_IMPORT_DEPTH) + f".v{limits.MAX_IMPORT_DEPTH}"
    assert model.params[deepest].value == 16.0
    (tmp_path / "f16.pcf").write_text('import "f17.pcf" as next\n', encoding="utf-8")
    (tmp_path / "f17.pcf").write_text("param v17 = 17\n", encoding="utf-8")
    d = _diagnostic(tmp_path / "f0.pcf", "E104")
    assert (d.span.file, d.span.line, d.span.column) == (str(tmp_path / "f16.pcf"), 1, 8)


def test_import_diamond_stops_at_the_file_limit(tmp_path):
    # d0 imports d1 twice, d1 imports d2 twice, ...: 2^16 loads without the limit
    for i in range(16):
        (tmp_path / f"d{i}.pcf").write_text(
            f'import "d{i + 1}.pcf" as a\nimport "d{i + 1}.pcf" as b\nparam v = {i}\n', encoding="utf-8")
    (tmp_path / "d16.pcf").write_text("param v = 16\n", encoding="utf-8")
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.load(tmp_path / "d0.pcf")
    codes = [d.code for d in info.value.diagnostics]
    assert codes.count("E105") == 1  # said once, not for every refused import
    d = next(d for d in info.value.diagnostics if d.code == "E105")
    assert d.span is not None and "more than 1000 files" in d.message


def test_file_limit_boundary(tmp_path, monkeypatch):
    monkeypatch.setattr("pcf_dsl.build.MAX_IMPORTED_FILES", 3)
    (tmp_path / "leaf.pcf").write_text("param v = 1\n", encoding="utf-8")
    (tmp_path / "top.pcf").write_text('import "leaf.pcf" as a\nimport "leaf.pcf" as b\n', encoding="utf-8")
    model = pcf_dsl.load(tmp_path / "top.pcf")  # 3 loads: top, a, b
    assert model.params["a.v"].value == model.params["b.v"].value == 1.0
    (tmp_path / "top.pcf").write_text(textwrap.dedent('''\
        import "leaf.pcf" as a
        import "leaf.pcf" as b
        import "leaf.pcf" as c
    '''), encoding="utf-8")
    d = _diagnostic(tmp_path / "top.pcf", "E105")
    assert (d.span.line, d.span.column) == (3, 8)
    assert "E105" in render(d)


# ------------------------------------------------------------------ problems reported at once


def test_problem_count_limit(write):
    factors = "".join(f"factor f{i:04}x = 1 kg CO2e / kg\n" for i in range(2000))
    flows = "".join(f"  input i{i} 1 kg from f{i:04}y\n" for i in range(2000))  # every one misspelt
    path = write(factors + "process p {\n  stage production\n  product out 1 kg\n" + flows + "}\n")
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.load(path)
    diagnostics = info.value.diagnostics
    assert len(diagnostics) == limits.MAX_DIAGNOSTICS + 1
    assert [d.code for d in diagnostics[:-1]] == ["E202"] * limits.MAX_DIAGNOSTICS
    assert diagnostics[0].help == "did you mean `f0000x`?" and diagnostics[0].span.line == 2004
    last = diagnostics[-1]
    assert (last.code, last.message) == ("E107", "stopped after 100 problems")
    assert last.span == diagnostics[-2].span


def test_just_under_the_problem_limit_reports_them_all(write):
    n = limits.MAX_DIAGNOSTICS - 1
    path = write("".join(f"param p{i} = 1 nosuchunit{i}\n" for i in range(n)))
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.load(path)
    assert [d.code for d in info.value.diagnostics] == ["E202"] * n


# ------------------------------------------------------------------ profiles


def test_a_chain_of_thousands_of_profiles_needs_no_recursion(write):
    from pcf_dsl.profiles import resolve

    n = 3000  # three times Python's recursion limit
    text = "profile q0 {\n  rule B001 warning\n  set cutoff.per_flow = 2 %\n}\n"
    text += "".join(f"profile q{i} {{\n  extends q{i - 1}\n}}\n" for i in range(1, n))
    text += "profile q3000 {\n  extends q2999\n  rule B001 off\n}\n"
    model = pcf_dsl.load(write(text))
    deepest = resolve("q2999", model.profiles)
    assert deepest.chain == [f"q{i}" for i in range(n)]
    assert deepest.severities["B001"] == "warning"  # set at the far end of the chain
    assert resolve("q3000", model.profiles).severities["B001"] == "off"  # the nearest setting wins


def test_a_profile_cycle_is_still_named(write):
    from pcf_dsl.profiles import resolve

    model = pcf_dsl.load(write("profile a {\n  extends b\n}\nprofile b {\n  extends c\n}\nprofile c {\n  extends a\n}\n"))
    with pytest.raises(pcf_dsl.PcfError) as info:
        resolve("a", model.profiles)
    (d,) = [d for d in info.value.diagnostics if d.code == "E364"]
    assert d.message == "profiles extend each other in a circle: a -> b -> c -> a"
    assert d.span.line == 1  # the profile the circle comes back to


# ------------------------------------------------------------------ negative numbers: only where the language allows them

SIGNS = '''
import "std:gwp/ipcc_ar6.pcf" as ipcc
study "signs" {{
  declared_unit {du} of p.out
  gwp ipcc.ar6
}}
cutoff {{
  per_flow {per_flow}
}}
factor f = 2 kg CO2e / kg
process p {{
  stage production
  product out {out}
  product side 1 kg
  input x {x} from f {{
    property lhv {lhv}
  }}
  input glue 1 g cutoff "small" {{
    estimate {estimate}
  }}
  emit uptake {uptake}
  allocation economic {{
    property out {price}
    property side 1 CNY / kg
  }}
}}
claim total = {claim}
claim quality = {quality}
'''
GOOD = dict(du="1 kg", per_flow="1 %", out="1 kg", x="1 kg", lhv="40 MJ / kg", estimate="0.001 kg CO2e",
            uptake="-0.5 kg CO2", price="3 CNY / kg", claim="1 kg CO2e", quality="3")


def test_negative_values_where_the_language_allows_them(write):
    model = pcf_dsl.load(write(SIGNS.format(**GOOD)))
    result = pcf_dsl.compute(model)
    # by hand: 1 kg x 2 kg CO2e/kg = 2, minus the 0.5 kg CO2 removal = 1.5 kg CO2e per run;
    # economic allocation gives `out` 3 / (3 + 1) = 75 % of it
    assert result.total.value == pytest.approx(1.5 * 0.75, rel=TOL)
    negative = pcf_dsl.load(write(SIGNS.format(**{**GOOD, "claim": "-1 kg CO2e"}), "claim.pcf"))
    assert negative.claims[0].value == -1.0  # a result can be negative when removals exceed emissions
    gwp = pcf_dsl.load(write("gwp_set ar {\n  CO2 1\n  CH4_fossil -3\n}\n", "gwp.pcf"))
    assert gwp.gwp_sets["ar"].factors["CH4_fossil"] == -3.0  # the grammar allows a signed GWP


@pytest.mark.parametrize("field, value, code", [
    ("du", "-1 kg", "E262"),
    ("out", "-1 kg", "E300"),
    ("x", "-1 kg", "E300"),
    ("lhv", "-40 MJ / kg", "E300"),
    ("estimate", "-0.001 kg CO2e", "E300"),
    ("price", "-3 CNY / kg", "E300"),
    ("per_flow", "-1 %", "E272"),
    ("quality", "-3", "E340"),
    ("quality", "7", "E340"),
])
def test_negative_values_elsewhere_are_errors_at_their_place(write, field, value, code):
    text = SIGNS.format(**{**GOOD, field: value})
    d = _diagnostic(write(text), code)
    line = next(i for i, l in enumerate(text.lstrip("\n").split("\n"), 1) if value in l)
    assert d.span.line == line


def test_allocation_shares_lie_between_0_and_100_percent(write):
    base = SIGNS.format(**GOOD).replace("allocation economic {\n    property out 3 CNY / kg\n    property side 1 CNY / kg",
                                        "allocation mass {\n    share out SHARE\n    share side 25 %")
    assert pcf_dsl.load(write(base.replace("SHARE", "75 %"))).processes["p"].allocation.shares["out"] == 0.75
    line = next(i for i, l in enumerate(base.lstrip("\n").split("\n"), 1) if "SHARE" in l)
    assert _diagnostic(write(base.replace("SHARE", "-75 %"), "neg.pcf"), "E300").span.line == line
    assert _diagnostic(write(base.replace("SHARE", "175 %"), "big.pcf"), "E323").span.line == line


def test_a_total_of_zero_has_shares_of_zero_not_nan(write):
    import json

    path = write(SIGNS.format(**{**GOOD, "uptake": "-2 kg CO2"}))  # 2 kg CO2e emitted, 2 kg CO2 taken up
    result = pcf_dsl.compute(pcf_dsl.load(path))
    assert result.total.value == pytest.approx(0.0, abs=1e-12)
    run = CliRunner().invoke(main, ["calc", "--format", "json", str(path)])
    assert run.exit_code == 0, run.output

    def refuse(constant):
        raise AssertionError(f"{constant} in JSON")

    data = json.loads(run.stdout, parse_constant=refuse)
    assert all(flow["share"] == 0.0 for flow in data["by_flow"])
    assert {k: v["share"] for k, v in data["by_stage"].items()} == {k: 0.0 for k in data["by_stage"]}


# ------------------------------------------------------------------ inventory tables (`pcf import`)

REFERENCE_TOTAL = "total 11.2206 kg CO2e per declared unit"  # the report's 11.2206 kg CO2e per kg of billet


def _import(path: Path):
    run = CliRunner().invoke(main, ["import", str(path)])
    assert "internal error" not in run.output and "Traceback" not in run.output, run.output
    return run


def _dimension(ref: bytes):
    import re

    return lambda data: re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="' + ref + b'"/>', data)


def test_the_table_limits_are_documented():
    text = (Path(__file__).parents[1] / "docs" / "limits.md").read_text(encoding="utf-8")
    assert "| `MAX_TABLE_BYTES` | 32 MiB |" in text and "| `MAX_TABLE_CELLS` | 1,000,000 |" in text
    assert (limits.MAX_TABLE_BYTES, limits.MAX_TABLE_CELLS) == (32 * 2**20, 1_000_000)


def test_a_workbook_that_unzips_to_gigabytes_is_refused_before_it_is_unzipped(tmp_path):
    # 800 MiB of blanks after the cells: 800 KiB as a file, and 900 MB of memory once openpyxl read it
    bomb = inventory_workbook(tmp_path / "bomb.xlsx", lambda d: d.replace(b"</sheetData>", b"</sheetData>" + b" " * 800 * 2**20))
    assert bomb.stat().st_size < 2 * 2**20
    run = _import(bomb)
    assert run.exit_code == 2, run.output
    assert ("error[E601]: the part xl/worksheets/sheet1.xml of the workbook, unzipped, is too large: 800.0 MiB; "
            "the limit is 32 MiB") in run.stderr


def test_the_size_a_sheet_states_is_not_what_is_read(tmp_path):
    """`A1:XFD1048576` and one empty cell in the last row (a stray format): openpyxl would pad all
    1,048,576 rows to 16,384 cells (out of memory); the table is its 58 rows, imported as usual."""
    stray = b'<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>'
    for ref in (b"A1:XFD1048576", b"A1:J1048576"):
        path = inventory_workbook(tmp_path / "stated.xlsx", lambda d, ref=ref: _dimension(ref)(d).replace(b"</sheetData>", stray))
        run = _import(path)
        assert run.exit_code == 0, run.output
        assert "57 line items" in run.stderr and REFERENCE_TOTAL in run.stderr


def test_rows_after_a_size_stated_too_small_are_read(tmp_path):
    """Some writers state a size that is wrong: `A1:J10` on a sheet of 58 rows. openpyxl stopped at
    row 10, and the import computed 9 of the 57 line items without a word."""
    run = _import(inventory_workbook(tmp_path / "small.xlsx", _dimension(b"A1:J10")))
    assert run.exit_code == 0, run.output
    assert "57 line items" in run.stderr and REFERENCE_TOTAL in run.stderr


def test_a_row_after_the_last_row_excel_has_is_refused(tmp_path):
    far = b'<row r="99999999999"><c r="A99999999999" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    run = _import(inventory_workbook(tmp_path / "far.xlsx", lambda d: _dimension(b"A1:J58")(d).replace(b"</sheetData>", far)))
    assert run.exit_code == 2, run.output
    assert "error[E601]" in run.stderr and "after row 1,048,576, the last row Excel has" in run.stderr


def test_sheet_rows_as_wide_as_excel_stop_at_the_cell_limit(tmp_path):
    # 100 rows, each with an empty cell in the last column: 1,638,400 cells as the file lists them
    wide = b"".join(b'<row r="%d"><c r="XFD%d" s="0"/></row>' % (n, n) for n in range(100, 200))
    run = _import(inventory_workbook(tmp_path / "wide.xlsx", lambda d: d.replace(b"</sheetData>", wide + b"</sheetData>")))
    assert run.exit_code == 2, run.output
    # 58 rows of 10 cells, then 16,384 a row: over 1,000,000 in the 61st row of them, row 100 + 60
    assert "error[E601]: the table has more than 1,000,000 cells by row 160" in run.stderr
    assert "-->" in run.stderr and "= help: " in run.stderr


def _padded_csv(path: Path, cells: int) -> Path:
    """The reference inventory followed by rows of empty cells (commas), `cells` cells in all."""
    text = INVENTORY.read_text(encoding="utf-8")
    have = sum(line.count(",") + 1 for line in text.splitlines())  # no quoted commas in the inventory
    assert have == 58 * 10
    left, rows = cells - have, []
    while left:
        width = min(1000, left)
        rows.append("," * (width - 1))
        left -= width
    path.write_text(text + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_csv_cell_limit_boundary(tmp_path):
    run = _import(_padded_csv(tmp_path / "at.csv", limits.MAX_TABLE_CELLS))
    assert run.exit_code == 0, run.output
    assert "57 line items" in run.stderr and REFERENCE_TOTAL in run.stderr
    over = _padded_csv(tmp_path / "over.csv", limits.MAX_TABLE_CELLS + 1)
    run = _import(over)
    assert run.exit_code == 2, run.output
    last = len(over.read_text(encoding="utf-8").splitlines())
    assert f"error[E601]: the table has more than 1,000,000 cells by row {last}" in run.stderr
    assert f"--> {over}:{last}:1" in run.stderr


def test_a_csv_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # a sparse 4 GiB file
        handle.truncate(4 * 2**30)
    run = _import(path)
    assert run.exit_code == 2, run.output
    assert "error[E601]: the table is too large: 4096.0 MiB; the limit is 32 MiB" in run.stderr


def test_csv_size_limit_boundary(tmp_path, monkeypatch):
    monkeypatch.setattr("pcf_dsl.importer.MAX_TABLE_BYTES", INVENTORY.stat().st_size)
    at = tmp_path / "at.csv"
    at.write_bytes(INVENTORY.read_bytes())
    assert REFERENCE_TOTAL in _import(at).stderr
    over = tmp_path / "over.csv"
    over.write_bytes(INVENTORY.read_bytes() + b"\n")
    run = _import(over)
    assert run.exit_code == 2 and "error[E601]: the table is too large" in run.stderr, run.output


@pytest.mark.parametrize("quote", ["", '"'])
def test_a_csv_cell_of_megabytes_is_named_and_the_hint_fits_it(tmp_path, quote):
    lines = INVENTORY.read_text(encoding="utf-8").splitlines()
    lines[2] = quote + "x" * 2**20 + quote + lines[2][lines[2].index(","):]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = _import(path)
    assert run.exit_code == 2, run.output
    assert "error[E601]: a cell from this line on is longer than 131,072 characters" in run.stderr
    assert f"--> {path}:3:1" in run.stderr
    assert "if a cell here opens a quote, close it" in run.stderr

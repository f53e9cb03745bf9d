"""The performance shortcuts give exactly what the general code gives.

The builder reads `NUMBER UNITS` amounts from a cache of evaluated units
(build.Builder._eval_amount); here every shape of amount is compared with the
evaluator's own result: the same magnitude (bit for bit) and the same units,
and no shortcut at all for expressions that are not a number times units.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pcf_dsl import syntax as S
from pcf_dsl.build import Builder, _Symbol
from pcf_dsl.evaluate import evaluate
from pcf_dsl.parse import parse_text

ROOT = Path(__file__).resolve().parents[1]

AMOUNTS = [
    "0.35 t",
    "139.24 kWh",
    "155.44357 m3",
    "409.93 t*km",
    "0.04902 kg CO2e / (t*km)",
    "0.049008103 kg CO2e / (t*km)",
    "0.6205 t CO2 / MWh",
    "17.610 t CO2e / t",
    "1.9523 kg CO2 / m3",
    "0.000013 kg / kg * t",
    "1 %",
    "12 t km",
    "3 m^3",
    "2 kg / m^3",
    "1e-3 kg",
    "7.5E+2 kWh",
    "0.00002 t CH4_fossil / t",
    "1800 CNY / t",
    "5",
]

NOT_AMOUNTS = [
    "-3 kg",  # a negation
    "2 * 3 kg",  # two numbers
    "(2 kg)^2",  # the number inside a power
    "1 kg + 2 kg",  # a sum
    "kg",  # no number
    "2 rate",  # a parameter
    "3 ef_grid",  # a factor
]


def _expressions(texts: list[str]) -> list[S.Expr]:
    source = "".join(f"param p{i} = {t}\n" for i, t in enumerate(texts))
    return [item.expr for item in parse_text(source, "amounts.pcf").items]


def _builder() -> Builder:
    builder = Builder()
    builder.state.symbols["rate"] = _Symbol("param", None, "", "x.pcf")
    builder.state.symbols["ef_grid"] = _Symbol("factor", None, "", "x.pcf")
    return builder


@pytest.mark.parametrize("text", AMOUNTS)
def test_cached_amount_equals_evaluation(text):
    (expr,) = _expressions([text])
    builder = _builder()
    expected = evaluate(expr, builder._resolver(""))
    for _ in range(2):  # the first call fills the cache, the second reads it
        fast = builder._eval_amount("", expr)
        assert fast is not None
        assert type(fast.magnitude) is type(expected.magnitude)
        assert fast.magnitude == expected.magnitude
        assert fast.units == expected.units
        assert str(fast.units) == str(expected.units)


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_other_expressions_take_the_general_path(text):
    (expr,) = _expressions([text])
    assert _builder()._eval_amount("", expr) is None


def test_unknown_unit_is_left_to_the_evaluator_and_its_error():
    (expr,) = _expressions(["3 tonnez"])
    builder = _builder()
    assert builder._eval_amount("", expr) is None
    assert builder._eval("", expr) is None
    assert [d.code for d in builder.state.diagnostics] == ["E202"]


@pytest.mark.parametrize("text", ["a\nbb\r\n\nccc", "x\n", "", "one", "\n\n", "铝锭 1 t\n# 注释\r\nend"])
def test_source_lines_are_the_lines_of_the_text(text):
    """diagnostics.SourceCache keeps a text whole and finds its lines when asked: the lines split gives."""
    from pcf_dsl.diagnostics import SourceCache

    cache = SourceCache()
    cache.add("f.pcf", "an older text of the same file\nwith a second line\n")
    assert cache.line("f.pcf", 2) == "with a second line"  # its line starts are worked out, then replaced
    cache.add("f.pcf", text)
    lines = text.split("\n")
    assert [cache.line("f.pcf", n) for n in range(len(lines) + 2)] == [None, *[ln.rstrip("\r") for ln in lines], None]
    assert cache.line("other.pcf", 1) is None


def test_check_text_written_block_by_block_is_the_whole_text(tmp_path, monkeypatch):
    """`pcf check` writes its text a finding at a time (never the text of all 84,000 findings of a
    100k-process model at once): on the terminal, in small batches here, and to a file, it is the text
    made whole, as the format gives it: the findings, the profiles, then the summary, a blank line apart."""
    from click.testing import CliRunner

    from pcf_dsl.check import run_check
    from pcf_dsl.cli import main
    from pcf_dsl.commands import common
    from pcf_dsl.commands.check import summary_line, text_blocks
    from pcf_dsl.diagnostics import render

    reference = str(ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf")
    outcome = run_check(reference)
    assert len(outcome.diagnostics) > 10 and not outcome.waived
    whole = "\n\n".join([*(render(d) for d in outcome.diagnostics),
                         "profiles: " + "; ".join(f"{p.name} ({p.reason})" for p in outcome.profiles),
                         summary_line(outcome, reference)]) + "\n"
    assert len(list(text_blocks(outcome, reference))) == len(outcome.diagnostics) + 2

    monkeypatch.setattr(common, "TERMINAL_BATCH", 500)  # many batches, each several findings long
    result = CliRunner().invoke(main, ["check", reference])
    assert result.exit_code == outcome.exit_code
    assert result.stdout == whole
    out = tmp_path / "findings.txt"
    assert CliRunner().invoke(main, ["check", reference, "-o", str(out)]).exit_code == outcome.exit_code
    assert out.read_text(encoding="utf-8") == whole


def test_an_output_made_in_pieces_that_fails_midway_leaves_the_old_file(tmp_path):
    """The text is now made while it is written: a failure after the first piece must still leave the old
    file as it was and no temporary file behind, as write_atomic guarantees for text made beforehand."""
    from pcf_dsl.commands.common import write_atomic

    path = tmp_path / "findings.txt"
    path.write_text("old\n", encoding="utf-8")

    def pieces():
        yield b"the first finding\n\n"
        raise RuntimeError("a rule's evidence could not be rendered")

    with pytest.raises(RuntimeError):
        write_atomic(path, pieces())
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.txt"]


def test_the_fast_path_refuses_an_inlined_rule_it_cannot_splice():
    """The fast path hands an inlined rule (`_process_line`) up as a list for its parent to splice. That
    is right only for lark's default tree: a transformer method for such a rule, or `?_rule` (which hands
    one child up unchanged), must stop the parser from being built rather than give a wrong tree."""
    from functools import partial
    from types import SimpleNamespace

    from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders, ExpandSingleChild

    from pcf_dsl.parse import _inlined_rule

    rule = SimpleNamespace(origin=SimpleNamespace(name="_process_line"))
    default = partial(lambda data, children: (data, children), "_process_line")
    assert _inlined_rule(rule, default) is list
    assert _inlined_rule(rule, ChildFilterLALR_NoPlaceholders([(0, True)], default))([["x"], "\n"]) == ["x"]
    for callback in (lambda children: children, ExpandSingleChild(default),
                     ChildFilterLALR_NoPlaceholders([(0, True)], ExpandSingleChild(default))):
        with pytest.raises(RuntimeError, match="_process_line"):
            _inlined_rule(rule, callback)

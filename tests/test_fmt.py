"""`pcf fmt`: golden layouts, the safety checks, and the command line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

import pcf_dsl
from pcf_dsl import fmt
from pcf_dsl.cli import main
from pcf_dsl.commands.common import write_atomic
from pcf_dsl.diagnostics import PcfError
from pcf_dsl.fmt import UnsafeFormatting, check_safe, format_bytes, format_file, format_text, syntax_dump
from pcf_dsl.parse import decode, parse_text

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "fmt_golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
SHIPPED = sorted([*ROOT.glob("examples/**/*.pcf"), *ROOT.glob("models/**/*.pcf")])


# ------------------------------------------------------------------ golden files


def test_every_golden_case_has_both_files():
    assert len(CASES) >= 9
    for case in CASES:
        assert (GOLDEN / case / "input.pcf").is_file() and (GOLDEN / case / "expected.pcf").is_file(), case


@pytest.mark.parametrize("case", CASES)
def test_golden(case):
    source = (GOLDEN / case / "input.pcf").read_bytes()
    expected = (GOLDEN / case / "expected.pcf").read_bytes()
    assert format_bytes(source, f"{case}/input.pcf") == expected


@pytest.mark.parametrize("case", CASES)
def test_golden_equivalent_and_stable(case):
    before = decode((GOLDEN / case / "input.pcf").read_bytes(), "input.pcf")
    after = decode((GOLDEN / case / "expected.pcf").read_bytes(), "expected.pcf")
    check_safe(before, after)  # same syntax tree without positions; a second pass changes nothing
    assert format_bytes((GOLDEN / case / "expected.pcf").read_bytes()) == (GOLDEN / case / "expected.pcf").read_bytes()


def test_number_spellings_survive_exactly():
    text = (GOLDEN / "numbers_unicode" / "expected.pcf").read_text(encoding="utf-8")
    for spelling in ("0.58962", "1e-3", "3.0000", "1E+5", "0.00000", "155.44357", "17.610"):
        assert spelling in text
    numbers = [item.expr.left.text for item in parse_text(text).items if type(item).__name__ == "Param"]
    assert numbers == ["0.58962", "1e-3", "3.0000", "1E+5", "0.00000", "155.44357"]


def test_crlf_and_bom_are_kept():
    out = (GOLDEN / "crlf_bom" / "expected.pcf").read_bytes()
    assert out.startswith(b"\xef\xbb\xbf")
    assert out.count(b"\r\n") == out.count(b"\n") == 7


# ------------------------------------------------------------------ the shipped files are formatted


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_models_are_formatted(path):
    result = format_file(path)
    assert not result.changed, f"run `pcf fmt {path.relative_to(ROOT)}`"


def test_formatting_the_reference_model_keeps_its_footprint(tmp_path):
    """A scrambled copy of the reference model formats back to the file, with the same model and total."""
    folder = tmp_path / "billet"
    folder.mkdir()
    source = ROOT / "examples" / "aluminium_billet"
    (folder / "factors.pcf").write_bytes((source / "factors.pcf").read_bytes())
    original = (source / "aluminium_billet.pcf").read_text(encoding="utf-8")
    # Scramble the layout: no indentation, doubled spaces, CRLF line ends.
    scrambled = "\r\n".join(line.strip().replace(" ", "  ") if '"' not in line and "#" not in line else line.strip()
                            for line in original.split("\n"))
    model_file = folder / "aluminium_billet.pcf"
    model_file.write_bytes(scrambled.encode("utf-8"))
    before = pcf_dsl.load(model_file)
    result = format_file(model_file)
    assert result.after.decode("utf-8").replace("\r\n", "\n") == original
    model_file.write_bytes(result.after)
    after = pcf_dsl.load(model_file)
    assert after.semantic() == before.semantic()
    # The reference report's total, 11.22 kg CO2e/kg; the model computes 11.2206 (README).
    assert pcf_dsl.compute(after).total.value == pytest.approx(11.2206, abs=5e-5)


# ------------------------------------------------------------------ safety


def test_a_changed_meaning_is_refused():
    before = "param a = 0.58962 t\n"
    with pytest.raises(UnsafeFormatting, match="param `a`"):
        check_safe(before, "param a = 0.5896 t\n")
    with pytest.raises(UnsafeFormatting, match="does not parse"):
        check_safe(before, "param a = \n")
    with pytest.raises(UnsafeFormatting, match="items"):
        check_safe(before, "param a = 0.58962 t\nparam b = 1 t\n")


def test_an_unstable_layout_is_refused():
    with pytest.raises(UnsafeFormatting, match="not stable"):
        check_safe("param a = 1 t\n", "param   a = 1 t\n")


def test_the_syntax_dump_ignores_positions_only():
    a = parse_text("param a = 1 t\n")
    b = parse_text("\n\nparam   a =    1 t   # moved\n")
    c = parse_text("param a = 1.0 t\n")
    assert syntax_dump(a.items) == syntax_dump(b.items)
    assert syntax_dump(a.items) != syntax_dump(c.items)  # the spelling is part of the meaning


def test_invalid_input_raises_our_error():
    with pytest.raises(PcfError) as info:
        format_text('process p {\n  input x 1 kg frm f\n}\n', "bad.pcf")
    assert info.value.diagnostics[0].span.line == 2


def test_a_model_difference_is_detected(tmp_path, monkeypatch):
    """The loaded-model comparison is a second, independent guard: fake a syntax check that misses a change."""
    path = tmp_path / "m.pcf"
    path.write_text("factor f = 1 kg CO2e / kg\n", encoding="utf-8")
    monkeypatch.setattr(fmt, "format_text", lambda text, file="<input>": "factor f = 2 kg CO2e / kg\n")
    monkeypatch.setattr(fmt, "check_safe", lambda before, after, file="<input>": None)
    with pytest.raises(UnsafeFormatting, match="differs"):
        format_file(path)
    assert not list(tmp_path.glob(".*"))  # the temporary copy is gone


# ------------------------------------------------------------------ the command


@pytest.fixture
def messy(tmp_path):
    path = tmp_path / "models" / "m.pcf"
    path.parent.mkdir()
    path.write_text("factor f   =   1 kg CO2e/kg\n", encoding="utf-8")
    (tmp_path / "models" / "ok.pcf").write_text("param a = 1 kg\n", encoding="utf-8")
    hidden = tmp_path / "models" / ".cache" / "skip.pcf"
    hidden.parent.mkdir()
    hidden.write_text("param   b = 1 kg\n", encoding="utf-8")
    return path


def test_check_names_the_file_and_exits_1(messy):
    result = CliRunner().invoke(main, ["fmt", "--check", str(messy.parent)])
    assert result.exit_code == 1
    assert f"would reformat {messy}" in result.output
    assert "skip.pcf" not in result.output  # hidden folders are not walked
    assert messy.read_text(encoding="utf-8") == "factor f   =   1 kg CO2e/kg\n"


def test_diff_prints_a_unified_diff_and_writes_nothing(messy):
    result = CliRunner().invoke(main, ["fmt", "--diff", str(messy)])
    assert result.exit_code == 0
    assert "-factor f   =   1 kg CO2e/kg\n+factor f = 1 kg CO2e / kg\n" in result.output
    assert messy.read_text(encoding="utf-8") == "factor f   =   1 kg CO2e/kg\n"


def test_fmt_rewrites_keeping_permissions(messy):
    os.chmod(messy, 0o640)
    result = CliRunner().invoke(main, ["fmt", str(messy.parent)])
    assert result.exit_code == 0, result.output
    assert messy.read_text(encoding="utf-8") == "factor f = 1 kg CO2e / kg\n"
    assert stat.S_IMODE(messy.stat().st_mode) == 0o640
    assert "1 file reformatted, 1 file left unchanged" in result.output
    again = CliRunner().invoke(main, ["fmt", "--check", str(messy)])
    assert again.exit_code == 0


def test_invalid_file_exit_2_others_still_formatted(tmp_path, messy):
    bad = messy.parent / "bad.pcf"
    bad.write_text("param = 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["fmt", str(messy.parent)])
    assert result.exit_code == 2
    assert "bad.pcf:1:7" in result.output
    assert messy.read_text(encoding="utf-8") == "factor f = 1 kg CO2e / kg\n"


def test_unsafe_result_exit_3_file_untouched(messy, monkeypatch):
    monkeypatch.setattr(fmt, "format_text", lambda text, file="<input>": "factor f = 2 kg CO2e / kg\n")
    result = CliRunner().invoke(main, ["fmt", str(messy)])
    assert result.exit_code == 3
    assert "cannot format" in result.output and "factor `f`" in result.output
    assert messy.read_text(encoding="utf-8") == "factor f   =   1 kg CO2e/kg\n"


@pytest.mark.parametrize("edit", ["# a comment saved meanwhile\n", "factor g = 3 kg CO2e/kg\n"])
def test_an_edit_saved_while_the_file_is_formatted_is_kept(messy, monkeypatch, edit):
    """`pcf fmt` beside an editor: an edit saved after the file was read was replaced by the formatted
    old text without a word, and the safety check loaded the model from the file a second time (the
    edited one, not the one formatted). The file is read once, and it is replaced only if it still
    holds what was read: otherwise it is left as saved, exit 2."""
    real = fmt.format_bytes
    saved = "factor f   =   1 kg CO2e/kg\n" + edit

    def format_while_saved(data, file="<input>"):
        messy.write_text(saved, encoding="utf-8")  # the editor saves, after pcf fmt read the file
        return real(data, file)

    monkeypatch.setattr(fmt, "format_bytes", format_while_saved)
    result = CliRunner().invoke(main, ["fmt", str(messy)])
    assert result.exit_code == 2, result.output
    assert messy.read_text(encoding="utf-8") == saved
    assert f"error: {messy} changed while it was being formatted, and was left as it is now" in result.stderr
    assert "0 files reformatted, 0 files left unchanged, 1 changed meanwhile (not written)." in result.stderr
    assert not [p for p in messy.parent.iterdir() if p.name.startswith(".m.pcf")]  # no temporary file left


def test_stdin_to_stdout():
    result = CliRunner().invoke(main, ["fmt", "-"], input="param   a=1 kg\n")
    assert result.exit_code == 0
    assert result.stdout == "param a = 1 kg\n"


def test_write_atomic_leaves_the_old_file_when_interrupted(tmp_path, monkeypatch):
    path = tmp_path / "m.pcf"
    path.write_text("old\n", encoding="utf-8")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, "new\n")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.pcf"]  # no temporary file left behind


def test_a_device_is_not_read():
    result = CliRunner().invoke(main, ["fmt", "--check", "/dev/zero"])
    assert result.exit_code == 2 and "not a regular file" in result.output


@pytest.mark.parametrize("text, code", [("param   a=1 kg\n", 1), ("param a = 1 kg\n", 0)])
def test_stdin_check_exits_1_on_a_change_and_writes_nothing(text, code):
    # `cat model.pcf | pcf fmt --check -` in a CI step: a model that would change must fail it,
    # as `pcf fmt --check model.pcf` does, and the formatted text is not printed.
    result = CliRunner().invoke(main, ["fmt", "--check", "-"], input=text)
    assert result.exit_code == code
    assert result.stdout == ""
    assert ("would reformat <stdin>" in result.stderr) == (code == 1)


def test_stdin_diff_prints_the_diff_not_the_text():
    result = CliRunner().invoke(main, ["fmt", "--diff", "-"], input="param   a=1 kg\n")
    assert result.exit_code == 0
    assert result.stdout == ("--- <stdin> (original)\n+++ <stdin> (formatted)\n@@ -1 +1 @@\n"
                             "-param   a=1 kg\n+param a = 1 kg\n")

"""Each class of bad input gets our own error: code, place, the line, a caret, a hint."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import pcf_dsl
from pcf_dsl.cli import main
from pcf_dsl.diagnostics import render


def _errors(path):
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.load(path)
    return info.value.diagnostics


def _one(path, code):
    diagnostics = _errors(path)
    matching = [d for d in diagnostics if d.code == code]
    assert matching, [f"{d.code} {d.message}" for d in diagnostics]
    return matching[0]


def test_syntax_error_snapshot(write):
    path = write('''
        process p {
          stage production
          product out 1 t
          input s 0.3 t frm steel
        }
    ''')
    diagnostic = _one(path, "E002")
    assert render(diagnostic) == (
        "error[E002]: unexpected end of line; expected `cutoff`, `from`\n"
        f"  --> {path}:4:26\n"
        "  |\n"
        "4 |   input s 0.3 t frm steel\n"
        "  |                          ^\n"
        "  = help: did you mean `from` instead of `frm`? (`frm` was read as part of the amount)"
    )


def test_syntax_error_misspelt_keyword_at_line_start(write):
    diagnostic = _one(write('''
        proces p {
        }
    '''), "E002")
    assert (diagnostic.span.line, diagnostic.span.column) == (1, 1)
    assert diagnostic.help == "did you mean `process`?"


def test_unknown_name_suggests_the_near_miss(write):
    path = write('''
        factor steel = 2.3 t CO2e / t
        process p {
          stage production
          product out 1 t
          input s 0.3 t from steeel
        }
    ''')
    diagnostic = _one(path, "E202")
    assert diagnostic.message == "unknown supplier process or emission factor `steeel`"
    assert diagnostic.help == "did you mean `steel`?"
    assert (diagnostic.span.line, diagnostic.span.column) == (5, 22)


def test_unknown_unit(write):
    diagnostic = _one(write('''
        factor steel = 2.3 t CO2e / t
        process p {
          stage production
          product out 1 t
          input s 3 kgg from steel
        }
    '''), "E202")
    assert diagnostic.message == "unknown name `kgg`: not a parameter, factor or unit"
    assert diagnostic.help == "did you mean `kg`?"


def test_ambiguous_ton_is_refused(write):
    diagnostic = _one(write('''
        param mass = 3 ton
    '''), "E208")
    assert "metric tonne" in diagnostic.message and "`t`" in diagnostic.help


def test_duplicate_name_points_at_both(write):
    diagnostic = _one(write('''
        factor steel = 2.3 t CO2e / t
        factor steel = 2.4 t CO2e / t
    '''), "E201")
    assert diagnostic.span.line == 2
    assert diagnostic.labels and diagnostic.labels[0].span.line == 1


def test_duplicate_flow_in_process(write):
    diagnostic = _one(write('''
        factor steel = 2.3 t CO2e / t
        process p {
          stage production
          product out 1 t
          input s 1 t from steel
          input s 2 t from steel
        }
    '''), "E201")
    assert diagnostic.span.line == 6 and "appears twice" in diagnostic.message


def test_unit_mismatch_points_at_amount_and_factor(write):
    path = write('''
        factor grid = 0.6205 t CO2 / MWh
        process p {
          stage production
          product out 1 t
          input e 100 kg from grid
        }
    ''')
    diagnostic = _one(path, "E401")
    assert render(diagnostic) == (
        "error[E401]: `e` is 100 kg, but the factor `grid` is 0.6205 t CO2 / MWh (per MWh): "
        "amount × factor is not a mass of CO2\n"
        f"  --> {path}:5:11\n"
        "  |\n"
        "5 |   input e 100 kg from grid\n"
        "  |           ^^^^^^\n"
        f"  --> {path}:1:8: the factor is defined here\n"
        "  |\n"
        "1 | factor grid = 0.6205 t CO2 / MWh\n"
        "  |        ----\n"
        "  = help: give the amount in MWh (or a unit of the same kind), or use a factor per kg"
    )


def test_unit_mismatch_with_a_factor_per_mass_names_the_mass(write):
    """pint cancels `t CO2e / t` to CO2e alone: the message must still say the factor is per mass."""
    diagnostic = _one(write('''
        factor ingot = 17.610 t CO2e / t
        process p {
          stage production
          product out 1 t
          input i 0.58962 kWh from ingot
        }
    '''), "E401")
    assert diagnostic.message == ("`i` is 0.58962 kWh, but the factor `ingot` is 17.610 t CO2e / t (per unit of mass): "
                                  "amount × factor is not a mass of CO2e")
    assert diagnostic.help == "give the amount as a mass (kg, t), or use a factor per kWh"


def test_unit_mismatch_with_supplier(write):
    diagnostic = _one(write('''
        process p {
          stage production
          product out 1 t
          input e 100 kWh from q
        }
        process q {
          stage production
          product part 1 kg
        }
    '''), "E401")
    assert "`q` makes `part` in kg" in diagnostic.message


def test_adding_different_dimensions(write):
    diagnostic = _one(write('''
        param x = 1 kg + 1 km
    '''), "E303")
    assert "same dimension" in diagnostic.message


def test_division_by_zero(write):
    diagnostic = _one(write('''
        param zero = 0 kg
        param x = 1 kg / zero
    '''), "E302")
    assert diagnostic.message == "division by zero"
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 18)


def test_parameter_cycle(write):
    diagnostic = _one(write('''
        param a = b * 2
        param b = a + 1
    '''), "E205")
    assert "a -> b -> a" in diagnostic.message


def test_import_cycle_shows_the_chain(write):
    write('import "b.pcf" as b\n', "a.pcf")
    write('import "c.pcf" as c\n', "b.pcf")
    write('import "a.pcf" as a\n', "c.pcf")
    diagnostic = _one(write('import "a.pcf" as a\n', "top.pcf"), "E101")
    assert diagnostic.message == "import cycle: a.pcf -> b.pcf -> c.pcf -> a.pcf"
    assert diagnostic.span.file.endswith("c.pcf")


def test_missing_import(write):
    diagnostic = _one(write('import "factors/missing.pcf" as f\n'), "E100")
    assert "missing.pcf" in diagnostic.message
    assert (diagnostic.span.line, diagnostic.span.column) == (1, 8)


def test_unknown_stage_and_negative_amount(write):
    diagnostics = _errors(write('''
        factor f = 1 kg CO2e / kg
        process p {
          stage prodution
          product out 1 kg
          input x -2 kg from f
        }
    '''))
    codes = {d.code: d for d in diagnostics}
    assert codes["E251"].help == "did you mean `production`?"
    assert "negative" in codes["E300"].message


def test_factor_without_gas(write):
    diagnostic = _one(write('''
        factor f = 2.3 kg / t
    '''), "E232")
    assert "exactly one gas" in diagnostic.message


def test_gas_missing_from_gwp_set(write):
    path = write('''
        import "std:gwp/ipcc_ar6.pcf" as ipcc
        study "s" {
          declared_unit 1 kg of p.out
          gwp ipcc.ar6
        }
        process p {
          stage production
          product out 1 kg
          emit m 1 kg CH4
        }
    ''')
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.compute(pcf_dsl.load(path))
    diagnostic = info.value.diagnostics[0]
    assert diagnostic.code == "E511" and "CH4_fossil or CH4_biogenic" in diagnostic.help


def test_all_errors_of_a_file_are_reported_together(write):
    diagnostics = _errors(write('''
        process p {
          stage nowhere
          product out 1 kg
          input a 1 kg from nothing
          input b 1 kgs from nothing
        }
    '''))
    assert len(diagnostics) >= 3
    lines = [d.span.line for d in diagnostics]
    assert lines == sorted(lines)


def test_not_utf8_names_the_byte_offset(tmp_path):
    path = tmp_path / "gbk.pcf"
    path.write_bytes('process 熔铸 {\n}\n'.encode("gbk"))
    diagnostic = _one(path, "E001")
    assert "byte offset 8" in diagnostic.message


# ---------------------------------------------------------------- the command line


def test_cli_check_invalid_exit_2_without_traceback(write):
    path = write('''
        process p {
          stage production
          product out 1 t
          input s 0.3 t frm steel
        }
    ''')
    run = CliRunner().invoke(main, ["check", str(path)])
    assert run.exit_code == 2
    assert f"{path}:4:26" in run.output
    assert "Traceback" not in run.output
    assert "help:" in run.output


def test_cli_calc_invalid_exit_2(write):
    run = CliRunner().invoke(main, ["calc", str(write("factor f = 1 kg / kg\n"))])
    assert run.exit_code == 2 and "E232" in run.output and "Traceback" not in run.output


def test_cli_missing_file(tmp_path):
    run = CliRunner().invoke(main, ["calc", str(tmp_path / "nope.pcf")])
    assert run.exit_code == 2 and "Traceback" not in run.output


def test_cli_internal_error_exit_3(write, monkeypatch):
    import pcf_dsl.commands.calc as calc

    def broken(model):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(calc, "compute", broken)
    path = write('''
        study "s" {
          declared_unit 1 kg of p.out
        }
        process p {
          stage production
          product out 1 kg
        }
    ''')
    run = CliRunner().invoke(main, ["calc", str(path)])
    assert run.exit_code == 3
    assert "internal error: ZeroDivisionError: boom" in run.output and "Traceback" not in run.output

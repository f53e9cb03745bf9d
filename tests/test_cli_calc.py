"""`pcf calc` and `pcf check` on the reference model: table, JSON contract, determinism."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pcf_dsl.cli import main

MODEL = str(Path(__file__).resolve().parents[1] / "examples" / "aluminium_billet" / "aluminium_billet.pcf")


def test_calc_json_contract():
    run = CliRunner().invoke(main, ["calc", MODEL, "--format", "json"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    # total.value is kg CO2e per declared unit; the report prints 11.22.
    assert round(data["total"]["value"], 2) == 11.22 and data["unit"] == "kg CO2e"
    assert set(data["by_stage"]["production"]) == {"value", "share"}
    assert list(data["by_stage"])[:5] == ["raw_material_acquisition", "production", "waste_treatment",
                                          "in_plant_transport", "inbound_transport"]
    # Shares of the stages add up to the whole; values add up to the total.
    assert abs(sum(v["share"] for v in data["by_stage"].values()) - 1) < 1e-12
    assert abs(sum(v["value"] for v in data["by_stage"].values()) - data["total"]["value"]) < 1e-12
    assert data["declared_unit"] == {"amount": 1.0, "unit": "kg", "product": "casting.billet",
                                     "description": "1 kg aluminium alloy billet", "functional": False}
    assert "NaN" not in run.output and "Infinity" not in run.output


def test_calc_json_is_byte_identical_across_runs(tmp_path):
    first = CliRunner().invoke(main, ["calc", MODEL, "--format", "json"]).output
    second = CliRunner().invoke(main, ["calc", MODEL, "--format", "json"]).output
    assert first == second


def test_calc_table():
    run = CliRunner().invoke(main, ["calc", MODEL, "--top", "3"])
    assert run.exit_code == 0
    assert "Total: 11.2206 kg CO2e per declared unit" in run.output
    assert "casting.aluminium_ingot              10.3832   92.54 %" in run.output
    assert "Top 3 flows of 57" in run.output


def test_calc_output_file(tmp_path):
    out = tmp_path / "result.json"
    run = CliRunner().invoke(main, ["calc", MODEL, "--format", "json", "-o", str(out)])
    assert run.exit_code == 0 and run.output == ""
    assert round(json.loads(out.read_text(encoding="utf-8"))["total"]["value"], 4) == 11.2206
    # The file is what standard output gets: the JSON bytes and one final newline, written in two pieces.
    printed = CliRunner().invoke(main, ["calc", MODEL, "--format", "json"]).output
    assert out.read_text(encoding="utf-8") == printed and printed.endswith("}\n") and not printed.endswith("\n\n")


def test_a_command_runs_without_the_collector_and_gives_it_back(monkeypatch):
    """cli.py pauses the cyclic collector for the whole command and restores it for the caller."""
    import pcf_dsl.commands.calc as calc_command

    seen = []
    real = calc_command.compute

    def spy(model):
        seen.append(gc.isenabled())
        return real(model)

    monkeypatch.setattr(calc_command, "compute", spy)
    assert gc.isenabled()
    run = CliRunner().invoke(main, ["calc", MODEL])
    assert run.exit_code == 0 and seen == [False]
    assert gc.isenabled()


def test_calc_table_is_aligned_with_chinese_names(tmp_path):
    # Names in Chinese (as `pcf import` writes them from a Chinese table) take two terminal cells
    # a character; the columns were padded by characters, so each row's numbers stood elsewhere.
    import unicodedata

    def cells(text):
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    (tmp_path / "m.pcf").write_text(
        'study "铝棒" {\n  declared_unit 1 kg of 熔铸.铝棒\n}\n'
        "factor 铝锭 = 17.61 kg CO2e / kg\n"
        "factor 电力 = 0.5 kg CO2e / kWh\n"
        "process 熔铸 {\n  stage   production\n  product 铝棒 1 kg\n"
        "  input   铝锭 0.5 kg from 铝锭\n  input   外购电力间接排放 2 kWh from 电力\n  input   gas 0.1 kWh from 电力\n}\n",
        encoding="utf-8")
    run = CliRunner().invoke(main, ["calc", str(tmp_path / "m.pcf")])
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    start = lines.index("Top 3 flows of 3")
    table = lines[start + 1:start + 5]
    # By hand: 0.5 kg x 17.61 = 8.805; 2 kWh x 0.5 = 1; 0.1 kWh x 0.5 = 0.05 kg CO2e.
    assert [row.split()[1] for row in table[1:]] == ["8.8050", "1.0000", "0.0500"]
    # Every row, the header too, takes the same terminal cells: its columns line up.
    process_rows = lines[lines.index("By process") + 1:lines.index("By process") + 3]
    assert len({cells(row) for row in table}) == 1, table
    assert len({cells(row) for row in process_rows}) == 1, process_rows
    # The product list of --all-products, the same way (one product: the header and its row).
    run = CliRunner().invoke(main, ["calc", str(tmp_path / "m.pcf"), "--all-products"])
    rows = [row for row in run.output.splitlines() if row.startswith("  ")]
    assert rows[1].startswith("  熔铸.铝棒  1 kg") and "9.8550" in rows[1]  # 8.805 + 1 + 0.05
    assert cells(rows[0][:rows[0].index("kg CO2e") + 7]) == cells(rows[1][:rows[1].index("9.8550") + 6])


def test_a_stage_the_boundary_does_not_mention_is_not_shown_as_assessed(tmp_path):
    # A boundary block without a shorthand starts from nothing (docs/language.md): the stages it
    # does not mention were not assessed. They were listed at 0.0000, as if studied and found to
    # emit nothing; now they are left out like an excluded stage at 0, and one that holds a
    # contribution is marked.
    (tmp_path / "m.pcf").write_text(
        'study "s" {\n  declared_unit 1 kg of p.out\n}\n'
        "boundary {\n  include production\n  include use\n}\n"
        "factor f = 2 kg CO2e / kg\n"
        "process p {\n  stage   production\n  product out 1 kg\n  input   a 1 kg from f\n"
        "  input   b 0.5 kg from f {\n    stage raw_material_acquisition\n  }\n}\n", encoding="utf-8")
    run = CliRunner().invoke(main, ["calc", str(tmp_path / "m.pcf")])
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    stages = lines[lines.index("By stage") + 2:lines.index("By process") - 1]
    # By hand: production 1 kg x 2 = 2 (80 %); raw material 0.5 kg x 2 = 1 (20 %); use included, 0.
    assert [(row.split()[0], row.split()[-3]) for row in stages] == [
        ("raw_material_acquisition", "1.0000"), ("production", "2.0000"), ("use", "0.0000")]
    assert "raw_material_acquisition  (not declared in the boundary)" in stages[0]
    assert "distribution" not in run.output and "end_of_life" not in run.output


def test_calc_json_amount_units_read_as_reports_write_them(write):
    """`amount.unit` is a short form a reader knows (`L`, `CNY`, `kg CO2e`), and a share is in the number.

    pint's own short forms were `l`, `yuan`, `CO2e * kg`, and `1 t / yield` was 0.0125 `t / %`.
    Hand: yield 80 %, so 1 t / 0.8 = 1.25 t; 12.5 % of 10 kg CO2 = 1.25 kg CO2; one run per declared unit.
    """
    path = write('''
        import "std:gwp/ipcc_ar6.pcf" as ipcc
        study "units" {
          declared_unit 1 t of p.out
          gwp ipcc.ar6
        }
        param yield = 80 %
        factor fuel = 2 kg CO2e / L
        factor spend = 0.1 kg CO2e / CNY
        factor ore = 1 kg CO2e / t
        factor road = 0.1 kg CO2e / (t*km)
        process p {
          stage production
          product out 1 t
          input diesel 3 l from fuel
          input service 100 CNY from spend
          input ore 1 t / yield from ore
          input truck 30 t*km from road
          emit co2 12.5 % * 10 kg CO2
          emit ch4 0.5 g CH4_fossil
        }
    ''')
    run = CliRunner().invoke(main, ["calc", str(path), "--format", "json"])
    assert run.exit_code == 0, run.output
    amounts = {f["flow"]: (f["amount"]["value"], f["amount"]["unit"]) for f in json.loads(run.output)["by_flow"]}
    assert {flow: unit for flow, (_, unit) in amounts.items()} == {
        "diesel": "L", "service": "CNY", "ore": "t", "truck": "t km", "co2": "kg CO2", "ch4": "g CH4_fossil"}
    assert abs(amounts["ore"][0] - 1 / 0.8) < 1e-12 and abs(amounts["co2"][0] - 0.125 * 10) < 1e-12
    assert (amounts["diesel"][0], amounts["service"][0], amounts["truck"][0]) == (3.0, 100.0, 30.0)


def test_a_short_unit_reads_back_as_the_same_unit():
    """The short forms are read by the language and by pint as the unit they stand for."""
    from pcf_dsl.importer import read_unit
    from pcf_dsl.units import Q, short

    for units in ("CO2e * kilogram / kilometer / metric_ton", "metric_ton * CO2 / megawatt_hour", "liter", "CNY",
                  "kilowatt_hour / meter ** 2", "kilometer * metric_ton"):
        assert Q(1, short(units)) == Q(1, units), units
        assert read_unit(short(units)) == Q(1, units), units  # the language's reading
    assert short("CO2e * kilogram / kilometer / metric_ton") == "kg CO2e / (t km)"


def test_calc_table_of_a_small_total_and_cutoff_lines_without_estimates(tmp_path):
    """A footprint per gram is tens of micrograms of CO2e: the total printed with four decimals read
    `0.0000` above rows of `2.00e-05`. And the cut-off line summed the estimates it had as if every
    cut-off flow had one."""
    path = tmp_path / "tiny.pcf"
    path.write_text("""\
study "tiny" {
  declared_unit 1 g of make.thing
}
boundary cradle_to_gate
factor f = 0.02 kg CO2e / kg
process make {
  stage production
  product thing 1 kg
  input x 1 kg from f
  input glue 1 g cutoff "small"
  input tape 1 g cutoff "small" {
    estimate 0.001 kg CO2e
  }
}
""", encoding="utf-8")
    run = CliRunner().invoke(main, ["calc", str(path)])
    assert run.exit_code == 0, run.output
    # by hand: 1 kg of x at 0.02 kg CO2e / kg per kg of thing, 0.001 kg of thing per declared unit;
    # tape's estimate is per run of make (1 kg), 0.001 runs
    assert "Total: 2.00e-05 kg CO2e per declared unit" in run.output
    assert "production                    2.00e-05  100.00 %" in run.output
    assert "Cut off: 2 flows, estimated 1e-06 kg CO2e (1 of them without an estimate)" in run.output


def test_a_zero_total_has_every_share_zero_as_docs_calc_json_says(tmp_path):
    """docs/calc-json.md said `total.share` is 1; of a zero total (a credit that cancels the burden) it is 0,
    as every other share: a fraction of nothing."""
    path = tmp_path / "zero.pcf"
    path.write_text("""\
study "zero" {
  declared_unit 1 kg of make.thing
}
boundary cradle_to_gate
factor f = 1 kg CO2e / kg
process make {
  stage production
  product thing 1 kg
  input x 1 kg from f
  emit credit -1 kg CO2e
}
""", encoding="utf-8")
    run = CliRunner().invoke(main, ["calc", str(path), "--format", "json"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    assert data["total"] == {"value": 0.0, "share": 0.0}  # by hand: 1 x 1 - 1 = 0
    assert {f["flow"]: (f["value"], f["share"]) for f in data["by_flow"]} == {"x": (1.0, 0.0), "credit": (-1.0, 0.0)}
    docs = (Path(__file__).resolve().parents[1] / "docs" / "calc-json.md").read_text(encoding="utf-8")
    assert "`share` is 1, or 0 when the total is 0" in docs


NEGATIVE = """\
study "negative" {
  declared_unit 1 kg of make.thing
}
stage empty "nothing here"
boundary cradle_to_gate {
  include empty
}
factor f = 1 kg CO2e / kg
process make {
  stage production
  product thing 1 kg
  input x 1 kg from f
  emit credit -2.5 kg CO2e
}
"""


def test_a_zero_stage_of_a_negative_total_is_0_00_percent_not_minus(tmp_path):
    """0 / -1.5 is -0.0 in floating point: an empty stage of a net-negative footprint printed "-0.00 %"
    in calc, report and diagram, and "-0.0" in the JSON."""
    import math

    import pcf_dsl
    from pcf_dsl.render import dot_source
    from pcf_dsl.report import report

    path = tmp_path / "negative.pcf"
    path.write_text(NEGATIVE, encoding="utf-8")
    run = CliRunner().invoke(main, ["calc", str(path)])
    assert run.exit_code == 0, run.output
    assert "-0.00 %" not in run.output
    # by hand: 1 x 1 - 2.5 = -1.5 kg CO2e, all of it in production; the empty stage is 0 of it
    assert "Total: -1.5000 kg CO2e per declared unit" in run.output
    assert "empty                           0.0000    0.00 %" in run.output
    data = json.loads(CliRunner().invoke(main, ["calc", str(path), "--format", "json"]).output)
    assert data["by_stage"]["empty"] == {"value": 0.0, "share": 0.0}
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    assert math.copysign(1.0, result.by_stage["empty"].share) == 1.0
    for fmt in ("md", "html"):
        assert "-0.00 %" not in report(model, result, fmt=fmt).text, fmt
    assert "-0.00 %" not in dot_source(model, result)


def test_the_report_total_row_of_a_zero_total_is_0_percent_as_the_json(tmp_path):
    """The report's Total rows always printed 100.00 %, while calc JSON gives a zero total the share 0."""
    import pcf_dsl
    from pcf_dsl.report import report

    path = tmp_path / "zero.pcf"
    path.write_text(NEGATIVE.replace("-2.5 kg", "-1 kg"), encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    assert result.total.value == 0.0 and result.total.share == 0.0  # by hand: 1 x 1 - 1 = 0
    md = report(model, result, fmt="md").text
    assert "**100.00 %**" not in md and md.count("**0.00 %**") == 3
    html = report(model, result, fmt="html").text
    assert "100.00 %" not in html
    # a positive total keeps its 100.00 %
    path.write_text(NEGATIVE.replace("-2.5 kg", "-0.5 kg"), encoding="utf-8")
    model = pcf_dsl.load(path)
    assert report(model, pcf_dsl.compute(model), fmt="md").text.count("**100.00 %**") == 3


def test_the_calc_header_gives_the_declared_unit_in_full(tmp_path):
    """The header printed the declared amount with `:g`: 1234567 kg read "1.23457e+06 kg"."""
    path = tmp_path / "big.pcf"
    path.write_text(NEGATIVE.replace("declared_unit 1 kg", "declared_unit 1234567 kg")
                    .replace("product thing 1 kg", "product thing 1234567 kg"), encoding="utf-8")
    run = CliRunner().invoke(main, ["calc", str(path)])
    assert run.exit_code == 0, run.output
    assert "Declared unit: 1234567 kg of make.thing" in run.output and "e+06" not in run.output
    other = tmp_path / "big2.pcf"
    other.write_text(path.read_text(encoding="utf-8").replace("input x 1 kg", "input x 2 kg"), encoding="utf-8")
    diff = CliRunner().invoke(main, ["diff", str(path), str(other)])
    # by hand: one run of make per declared unit, 1 - 2.5 = -1.5 -> 2 - 2.5 = -0.5 kg CO2e
    assert "footprint: -1.500000 -> -0.500000 kg CO2e per 1234567 kg" in diff.output, diff.output
    path.write_text(NEGATIVE.replace("declared_unit 1 kg", "declared_unit 0.0000125 kg"), encoding="utf-8")
    assert "Declared unit: 0.0000125 kg of make.thing" in CliRunner().invoke(main, ["calc", str(path)]).output


def _subset(shown, actual, where="$"):
    """Every key and value an abridged example shows is in the actual document (lists item by item)."""
    if isinstance(shown, dict):
        for key, value in shown.items():
            assert key in actual, f"{where}.{key} is not in the output"
            _subset(value, actual[key], f"{where}.{key}")
    elif isinstance(shown, list):
        for i, value in enumerate(shown):
            _subset(value, actual[i], f"{where}[{i}]")
    else:
        assert shown == actual, (where, shown, actual)


def test_the_examples_of_docs_calc_json_are_the_output():
    import re

    doc = (Path(MODEL).parents[2] / "docs" / "calc-json.md").read_text(encoding="utf-8")
    calc, products = (json.loads(block) for block in re.findall(r"```json\n(.*?)```", doc, flags=re.S))
    _subset(calc, json.loads(CliRunner().invoke(main, ["calc", MODEL, "--format", "json"]).output))
    _subset(products, json.loads(CliRunner().invoke(main, ["calc", MODEL, "--all-products", "--format",
                                                           "json"]).output))


def test_gwp_set_is_the_studys_set_or_null(tmp_path):
    # docs/calc-json.md: the study's GWP set, also when every factor is in CO2e; null when it names none.
    body = ('study "s" {{\n  declared_unit 1 kg of p.x\n{gwp}}}\nfactor f = 2 kg CO2e / kg\n'
            "process p {{\n  stage production\n  product x 1 kg\n  input a 1 kg from f\n}}\n")
    named = tmp_path / "named.pcf"
    named.write_text('import "std:gwp/ipcc_ar6.pcf" as ipcc\n' + body.format(gwp="  gwp ipcc.ar6\n"),
                     encoding="utf-8")
    none = tmp_path / "none.pcf"
    none.write_text(body.format(gwp=""), encoding="utf-8")
    for path, expected in ((named, "ipcc.ar6"), (none, None)):
        data = json.loads(CliRunner().invoke(main, ["calc", str(path), "--format", "json"]).output)
        assert (data["gwp_set"], data["total"]["value"]) == (expected, 2.0)  # 1 kg x 2 kg CO2e / kg


def test_a_functional_unit_is_called_so_in_the_calc_table(tmp_path):
    """A study of a `functional_unit` printed "Declared unit:" and "per declared unit"."""
    path = tmp_path / "fu.pcf"
    path.write_text(NEGATIVE.replace("declared_unit 1 kg", "functional_unit 2 kg"), encoding="utf-8")
    run = CliRunner().invoke(main, ["calc", str(path)])
    assert run.exit_code == 0, run.output
    # by hand: two runs of make, 2 x (1 x 1 - 2.5) = -3 kg CO2e
    assert "Functional unit: 2 kg of make.thing" in run.output
    assert "Total: -3.0000 kg CO2e per functional unit" in run.output
    assert "declared unit" not in run.output.lower()


def test_the_calc_json_says_whether_the_unit_is_functional(tmp_path):
    """The JSON's `declared_unit` had no field telling a functional unit from a declared one."""
    path = tmp_path / "fu.pcf"
    path.write_text(NEGATIVE.replace("declared_unit 1 kg", "functional_unit 2 kg"), encoding="utf-8")
    data = json.loads(CliRunner().invoke(main, ["calc", str(path), "--format", "json"]).output)
    assert data["declared_unit"] == {"amount": 2.0, "unit": "kg", "product": "make.thing", "description": None,
                                     "functional": True}
    assert data["total"]["value"] == -3.0  # by hand, as below: 2 x (1 - 2.5)
    from pcf_dsl.schema import json_schema

    schema = json_schema("calc")
    unit = schema["$defs"]["DeclaredUnitOut"]["properties"]
    assert unit["functional"]["type"] == "boolean" and "functional_unit" in unit["functional"]["description"]


def test_the_check_summary_of_a_functional_unit_says_functional_unit(tmp_path):
    path = tmp_path / "fu.pcf"
    path.write_text(NEGATIVE.replace("declared_unit 1 kg", "functional_unit 2 kg"), encoding="utf-8")
    run = CliRunner().invoke(main, ["check", str(path)])
    # by hand, as in the calc table: 2 x (1 - 2.5) = -3 kg CO2e
    assert run.output.rstrip().endswith("; -3.0000 kg CO2e per functional unit"), run.output


def test_one_unit_is_one_string_in_the_calc_json(write):
    """`30 tkm` and `30 t*km` are one amount, but `amount.unit` was `tkm` for one and `t km` for the other
    (pint has `tkm` as a unit of its own); the same for `pkm` and `pax*km`, `kWh` and `kW*h`, `m3` and
    `m^3`. By hand: each pair is 30 x 0.1 = 3 kg CO2e, 2 x 0.5 = 1, 4 x 0.25 = 1, 10 x 0.1 = 1."""
    path = write('''
        study "s" {
          declared_unit 1 kg of p.x
        }
        factor road = 0.1 kg CO2e / (t*km)
        factor bus = 0.1 kg CO2e / pkm
        factor power = 0.5 kg CO2e / kWh
        factor gas = 0.25 kg CO2e / m3
        process p {
          stage production
          product x 1 kg
          input a1 30 tkm from road
          input a2 30 t*km from road
          input b1 10 pkm from bus
          input b2 10 pax*km from bus
          input c1 2 kWh from power
          input c2 2 kW*h from power
          input d1 4 m3 from gas
          input d2 4 m^3 from gas
        }
    ''')
    run = CliRunner().invoke(main, ["calc", str(path), "--format", "json"])
    assert run.exit_code == 0, run.output
    flows = {f["flow"]: f for f in json.loads(run.output)["by_flow"]}
    expected = {"a": ("t km", 30.0, 3.0), "b": ("pax km", 10.0, 1.0), "c": ("kWh", 2.0, 1.0), "d": ("m3", 4.0, 1.0)}
    for name, (unit, amount, kg) in expected.items():
        for flow in (flows[name + "1"], flows[name + "2"]):
            assert flow["amount"] == {"value": amount, "unit": unit}, flow
            assert abs(flow["value"] - kg) < 1e-12


def test_unit_messages_use_the_short_form(write):
    """E303 said `cannot add l to CO2 * t / MWh` (pint's own short form) where results say `L`, `t CO2 / MWh`."""
    from pcf_dsl.units import Q, describe

    path = write("param x = 1 t CO2 / MWh + 1 l\n")
    run = CliRunner().invoke(main, ["check", str(path)])
    assert "cannot add L to t CO2 / MWh:" in run.output, run.output
    assert describe(Q(0.6205, "t CO2 / MWh")) == "0.6205 t CO2 / MWh"
    assert describe(Q(30, "tkm")) == describe(Q(30, "t*km")) == "30 t km"


FUNCTIONAL = """\
study "fu" {
  functional_unit 2 kg of make.thing "3 kg of thing"
}
boundary cradle_to_gate
cutoff {
  cumulative 1 %
}
factor f = 1 kg CO2e / kg
process make {
  stage production
  product thing 1 kg
  input x 1 kg from f
  input y 1 kg from ship.service
  input glue 1 g cutoff "small" {
    estimate 10 %
  }
}
process ship {
  stage distribution
  product service 1 kg
  input z 1 kg from f
}
"""


def test_the_check_findings_of_a_functional_unit_say_functional_unit(tmp_path):
    """B001, B002, B005 and C003 said "per declared unit" (and "the declared unit computes") of a study
    that states a `functional_unit`, where calc, report and diagram say "functional unit"."""
    path = tmp_path / "fu.pcf"
    path.write_text(FUNCTIONAL, encoding="utf-8")
    out = CliRunner().invoke(main, ["check", str(path)]).output
    # by hand, per run of make: x 1 kg x 1 = 1, and one run of ship (1 kg x 1) = 1: 2 kg CO2e per kg of thing,
    # 4 per functional unit of 2 kg, of which ship's 2 are in the excluded distribution stage (50 %);
    # the glue's estimate is 10 % of the total, 0.4, and 0.4 / (4 + 0.4) = 9.09 %
    assert "error[B002]: the excluded stage `distribution` contributes 2.0000 kg CO2e per functional unit (50.00 %" in out
    assert "which the boundary excludes (2.0000 kg CO2e per functional unit)" in out  # B001
    assert "error[B005]: the functional unit computes 2 kg but its description says 3 kg" in out
    assert "are 9.09 % (0.4000 kg CO2e per functional unit), above the cumulative threshold" in out  # C003
    assert "declared unit" not in out.lower().replace("functional or declared unit", ""), out  # B005's clause


@pytest.mark.parametrize("old, new, command, expected", [
    ("functional_unit 2 kg", "functional_unit 0 kg", "check",
     ["E262]: the functional unit must be a positive amount", "e.g. `functional_unit 1 kg of"]),
    ("of make.thing", "of make.nope", "check", ["E263]: the functional unit names `make.nope`"]),
    ("functional_unit 2 kg", "functional_unit 2 kWh", "check",
     ["E401]: the functional unit (2 kWh) and the product", "state the functional unit in a unit"]),
    ("input x 1 kg from f", "input x 1 kg from make.thing", "calc",
     ["E520]: the product system cannot be scaled to the functional unit (its matrix is singular)"]),
    ("input x 1 kg from f", "input x 2 kg from make.thing", "calc",
     ["E520]: the product system cannot be scaled to the functional unit: a loop takes more"]),
])
def test_the_errors_of_a_functional_unit_say_functional_unit(tmp_path, old, new, command, expected):
    path = tmp_path / "fu.pcf"
    path.write_text(FUNCTIONAL.replace(old, new), encoding="utf-8")
    run = CliRunner().invoke(main, [command, str(path)])
    assert run.exit_code == 2, run.output
    for text in expected:
        assert text in run.output, run.output
    assert "declared unit" not in run.output.lower() and "declared_unit" not in run.output, run.output


def test_result_lines_are_the_records_pydantic_would_make():
    # compute makes its result lines and process shares without validation (compute._flow_results): each
    # must be what validating its own fields gives, field for field and type for type, or the JSON could differ.
    import pcf_dsl
    from pcf_dsl.compute import AmountOut, FlowResult, Share

    result = pcf_dsl.compute(pcf_dsl.load(MODEL))
    assert result.by_flow
    for line in result.by_flow:
        fields = {name: getattr(line, name) for name in FlowResult.__dataclass_fields__}
        fields["amount"] = AmountOut(**{name: getattr(line.amount, name) for name in AmountOut.__dataclass_fields__})
        made = FlowResult(**fields)
        assert made == line
        for name in FlowResult.__dataclass_fields__:
            assert type(getattr(made, name)) is type(getattr(line, name)), name
        assert [type(v) for v in made.gases.values()] == [type(v) for v in line.gases.values()]
        assert type(made.amount.value) is type(line.amount.value)
    assert result.by_process
    for share in result.by_process.values():
        made = Share(value=share.value, share=share.share)
        assert made == share
        assert (type(made.value), type(made.share)) == (type(share.value), type(share.share))
    # The result's large fields are set without validation: they must be what validation gives back.
    assert result.scaling and result.runs
    assert {type(v) for v in [*result.scaling.values(), *result.runs.values()]} == {float}
    assert type(result).model_validate(result.model_dump()).model_dump() == result.model_dump()

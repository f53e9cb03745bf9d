"""`pcf import`: inventory tables (CSV, XLSX) into models.

Independent values: the reference inventory (tests/data/aluminium_billet_inventory.csv, Table 1
of the report) summed by hand below with conversions written out (not through pint), and the
hand-written example model examples/aluminium_billet/aluminium_billet.pcf.
"""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pcf_dsl
from pcf_dsl.cli import main
from pcf_dsl.diagnostics import PcfError, render_all
from pcf_dsl.importer import ImportOptions, UnitError, import_table, load_mapping, normalise_unit, read_unit

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "tests" / "data" / "aluminium_billet_inventory.csv"
EXAMPLE = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"

# kg CO2e per kg of product for (activity unit per product) x (factor unit), by hand.
KG_PER_KG = {
    ("t/t", "t CO2e/t"): 1.0,
    ("t/t", "kg CO2e/kg"): 1.0,
    ("m3/t", "kg CO2e/m3"): 1 / 1000,
    ("kWh/t", "t CO2/MWh"): 1 / 1000,  # kWh/t x t/MWh = kWh/t x kg/kWh = kg/t
    ("m3/t", "kg CO2/m3"): 1 / 1000,
    ("kg/kg", "kg CO2/kg"): 1.0,
    ("t*km/t", "kg CO2e/(t*km)"): 1 / 1000,
    ("kg/t", "kg CO2/kg"): 1 / 1000,
}
REL = 1e-12  # the same products summed in another order: only float rounding differs


def csv_rows() -> list[dict[str, str]]:
    with CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def hand_total(rows) -> float:
    return sum(float(r["activity"]) * float(r["factor"]) * KG_PER_KG[(r["activity_unit"], r["factor_unit"])]
               for r in rows)


def run_import(tmp_path: Path, *args: str, table: Path = CSV, name: str = "model.pcf") -> Path:
    out = tmp_path / name
    run = CliRunner().invoke(main, ["import", str(table), "-o", str(out), *args])
    assert run.exit_code == 0, run.output
    return out


# ------------------------------------------------------------------ the reference inventory


@pytest.fixture(scope="module")
def reference_import(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("imported")
    path = run_import(tmp, "--product", "billet", "--process", "casting", "--boundary", "cradle_to_gate",
                      "--stage", "transport=inbound_transport", "--period", "2024-01-01 to 2024-12-31",
                      "--geography", "CN-JS", "--standard", "GB/T 24067-2024",
                      "--producer", "Suzhou Chuangtai Alloy Materials Co., Ltd.",
                      "--product-label", "aluminium alloy billet")
    model = pcf_dsl.load(path)
    return path, model, pcf_dsl.compute(model)


def test_reference_total_equals_hand_sum_and_example(reference_import):
    _, model, result = reference_import
    expected = hand_total(csv_rows())
    assert result.total.value == pytest.approx(expected, rel=REL)
    example = pcf_dsl.compute(pcf_dsl.load(EXAMPLE))
    assert result.total.value == pytest.approx(example.total.value, rel=REL)
    assert round(result.total.value, 4) == 11.2206  # the figure the README states for the example
    # Declared unit from the reported column (kg CO2e per kg): 1 kg; activity data per 1 t.
    assert model.study.declared_unit.amount.value == 1 and model.study.declared_unit.amount.unit == "kilogram"
    assert model.processes["casting"].products[0].amount.unit == "metric_ton"


def test_reference_by_stage_equals_hand_sum_and_example(reference_import):
    _, _, result = reference_import
    rows = csv_rows()
    example = pcf_dsl.compute(pcf_dsl.load(EXAMPLE))
    for stage in ("raw_material_acquisition", "production", "waste_treatment", "in_plant_transport"):
        hand = hand_total([r for r in rows if r["stage"] == stage])
        assert result.by_stage[stage].value == pytest.approx(hand, rel=REL), stage
        assert result.by_stage[stage].value == pytest.approx(example.by_stage[stage].value, rel=REL), stage
    # `transport` in the table, renamed on import to the example's stage name.
    hand = hand_total([r for r in rows if r["stage"] == "transport"])
    assert result.by_stage["inbound_transport"].value == pytest.approx(hand, rel=REL)
    assert result.by_stage["inbound_transport"].value == pytest.approx(example.by_stage["inbound_transport"].value,
                                                                       rel=REL)
    assert set(result.by_stage) == set(example.by_stage)


def test_reference_every_line_and_claim(reference_import):
    _, model, result = reference_import
    rows = csv_rows()
    flows = [f for f in model.processes["casting"].flows if f.kind == "input"]
    assert len(flows) == len(rows) == 57
    values = {f.flow: f.value for f in result.by_flow}
    for flow, row in zip(flows, rows):
        hand = float(row["activity"]) * float(row["factor"]) * KG_PER_KG[(row["activity_unit"], row["factor_unit"])]
        assert values[flow.name] == pytest.approx(hand, rel=REL, abs=1e-15), flow.name
        assert flow.label.endswith(row["item_en"]) and flow.label.startswith(row["item_zh"])
        assert flow.group == row["group"]
    # One claim per reported result, compared at its printed precision.
    claims = [c for c in model.claims if c.target == "flow"]
    assert [c.text for c in claims] == [r["reported_kgco2e_per_kg"] for r in rows]
    assert all(c.value == pytest.approx(float(c.text)) for c in claims)


def test_reference_factors_one_per_distinct_factor(reference_import):
    path, model, _ = reference_import
    rows = csv_rows()
    distinct = {(float(r["factor"]), r["factor_unit"], r["factor_source"]) for r in rows}
    assert len(model.factors) == len(distinct)
    factors_text = (path.parent / "factors.pcf").read_text(encoding="utf-8")
    assert factors_text.count("\nfactor ") + factors_text.startswith("factor ") == len(distinct) == 47
    # Scrap profiles and chips share one factor, as in the hand-written example.
    scrap = model.processes["casting"]
    assert scrap.flow("scrap_profiles").source == scrap.flow("scrap_chips").source == "ef.scrap_profiles"
    assert model.factors["ef.scrap_profiles"].label == "废型材、废铝屑 / scrap profiles, scrap chips"


def test_reference_written_layout(reference_import):
    path, _, _ = reference_import
    text = path.read_text(encoding="utf-8")
    assert text.startswith(textwrap.dedent("""\
        # Imported by `pcf import` from aluminium_billet_inventory.csv (57 line items).
        # Activity data are per 1 t of billet, the reference output of `casting`:
        # an activity in `x/t` is written as the amount per that output (docs/import-export.md).

        import "std:gwp/ipcc_ar6.pcf" as ipcc
        import "factors.pcf" as ef

        study "aluminium alloy billet, imported from aluminium_billet_inventory.csv" {
          product       "aluminium alloy billet"
          producer      "Suzhou Chuangtai Alloy Materials Co., Ltd."
          declared_unit 1 kg of casting.billet
          period        2024-01-01 to 2024-12-31
          geography     CN-JS
          standard      "GB/T 24067-2024"
          gwp           ipcc.ar6
        }

        stage waste_treatment    "waste treatment"
        stage inbound_transport  "inbound transport"
        stage in_plant_transport "in plant transport"

        boundary cradle_to_gate {
          include raw_material_acquisition
          include production
          include waste_treatment
          include inbound_transport
          include in_plant_transport
        }

        process casting {
          stage   production
          product billet "aluminium alloy billet" 1 t

          input aluminium_ingot "铝锭 / aluminium ingot" 0.58962 t from ef.aluminium_ingot {
            stage raw_material_acquisition
            group material
          }
        """))
    # `t/t`, `kWh/t`, `t*km/t` per 1 t: the printed number with the numerator unit;
    # `kg/kg` (per kg of product): the conversion written out.
    assert 'input purchased_electricity "外购电力间接排放 / purchased electricity" 139.24 kWh from' in text
    assert '409.93 t*km from ef.inbound_raw_material_transport' in text
    assert '0.000013 kg / kg * 1 t from ef.propane_combustion' in text
    assert "claim flow casting.aluminium_ingot = 10.3832 kg CO2e / kg\n" in text


def test_import_is_deterministic(tmp_path):
    first = import_table(CSV, ImportOptions(product="billet", factors_file=None)).files
    second = import_table(CSV, ImportOptions(product="billet", factors_file=None)).files
    assert first == second


def test_process_by_stage(tmp_path):
    path = run_import(tmp_path, "--product", "billet", "--process-by", "stage")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    rows = csv_rows()
    assert result.total.value == pytest.approx(hand_total(rows), rel=REL)
    # One process per stage; the product's process is the production stage's.
    assert list(model.processes) == ["production", "raw_material_acquisition", "waste_treatment", "transport",
                                     "in_plant_transport"]
    for stage in ("raw_material_acquisition", "waste_treatment", "transport", "in_plant_transport"):
        assert result.by_process[stage].value == pytest.approx(
            hand_total([r for r in rows if r["stage"] == stage]), rel=REL)
        assert model.processes[stage].stage == stage
    assert result.by_process["production"].value == pytest.approx(
        hand_total([r for r in rows if r["stage"] == "production"]), rel=REL)
    # Each stage's process supplies its share for 1 t of billet; 1 kg of billet needs a thousandth of each.
    assert all(v == pytest.approx(0.001) for v in result.scaling.values())


def test_one_file_to_stdout_and_declared_unit_option():
    run = CliRunner().invoke(main, ["import", str(CSV), "--declared-unit", "1 t", "--gwp", "ar5"])
    assert run.exit_code == 0, run.output
    assert 'import "std:gwp/ipcc_ar5.pcf" as ipcc' in run.stdout
    assert "declared_unit 1 t of production.product" in run.stdout
    assert "\nfactor aluminium_ingot " in run.stdout and "from aluminium_ingot {" in run.stdout
    assert "total 11220.6 kg CO2e per declared unit" in run.stderr


def test_refuses_to_overwrite(tmp_path):
    run_import(tmp_path)
    run = CliRunner().invoke(main, ["import", str(CSV), "-o", str(tmp_path / "model.pcf")])
    assert run.exit_code == 2
    assert "will not overwrite" in run.output and "--force" in run.output


# ------------------------------------------------------------------ units


@pytest.mark.parametrize("written, normal, expected", [
    ("t/t", "t/t", "t/t"),
    ("kWh/t", "kWh/t", "kWh/t"),
    ("t*km/t", "t*km/t", "t*km/t"),
    ("tCO2/MWh", "t CO2/MWh", "t * CO2 / MWh"),
    ("kgCO2-eq/m³", "kg CO2e/m3", "kg * CO2e / m**3"),
    ("kg CO2e/(t*km)", "kg CO2e/(t*km)", "kg * CO2e / (t * km)"),
    ("t CO2-Eq/ t", "t CO2e/ t", "CO2e"),
    ("kgCO2e", "kg CO2e", "kg * CO2e"),
    ("t·km/t", "t*km/t", "km"),
    ("kg CO₂e/kg", "kg CO2e/kg", "CO2e"),
    ("吨/吨", "t/t", "t/t"),
    ("吨·公里", "t*km", "t*km"),
    ("kg CO2e/千米", "kg CO2e/km", "kg CO2e/km"),
    # A Chinese mass word glued to a gas: split once it is `t` or `kg` (was "`tCO2e` is not a unit").
    ("吨CO2e/吨", "t CO2e/t", "CO2e"),
    ("千克CO2/千克", "kg CO2/kg", "CO2"),
])
def test_unit_spellings(written, normal, expected):
    from pcf_dsl.units import Q

    assert normalise_unit(written) == normal
    assert read_unit(normal) == Q(1, expected)


@pytest.mark.parametrize("written, reason", [
    ("kgce/t", "`kgce` is not a unit"),
    ("ton", "`ton` is ambiguous: pint reads it as the US short ton"),
    ("mt", "`mt` is ambiguous: pint reads it as the millitonne (1 kg)"),
    ("kcal/kg", "`kcal` is ambiguous: pint reads it as the thermochemical calorie (4.184 J)"),
    ("Gcal", "`Gcal` is ambiguous: pint reads it as the thermochemical calorie (4.184 J)"),
    ("kg CO2e per t", "`per` is not a unit"),
    ("", "the unit is empty"),
])
def test_unreadable_units(written, reason):
    with pytest.raises(UnitError) as info:
        read_unit(normalise_unit(written))
    assert reason in str(info.value)


# ------------------------------------------------------------------ malformed tables


def _errors(path: Path, options: ImportOptions | None = None) -> str:
    with pytest.raises(PcfError) as info:
        import_table(path, options or ImportOptions())
    return render_all(info.value.diagnostics)


BAD_CSV = """\
stage,item,activity,activity_unit,factor,factor_unit,factor_source
raw_material_acquisition,aluminium ingot,0.58962,t/t,17.610,t CO2e/t,CPCD
raw_material_acquisition,scrap,about 0.5,t/t,0.0441,t CO2e/t,EPA
production,electricity,139.24,kWh/t,0.6205,tCO2/MWh,grid
production,coal,0.12,kgce/t,2.66,kg CO2/kg,IPCC
production,natural gas,155.44,m3/t,1.9523,kg CO2/t,IPCC
production,steam,12,GJ/t,,kg CO2/GJ,
"""


def test_malformed_csv_every_cell_with_row_and_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("bad.csv").write_text(BAD_CSV, encoding="utf-8")
    assert _errors(Path("bad.csv")) == textwrap.dedent("""\
        error[E603]: row 3, column C `activity`: `about 0.5` is not a number
          --> bad.csv:3:32
          |
        3 | raw_material_acquisition,scrap,about 0.5,t/t,0.0441,t CO2e/t,EPA
          |                                ^^^^^^^^^
          = help: write a plain decimal number such as 0.58962 (a point for decimals, no thousands separator, no unit)

        error[E604]: row 5, column D `activity_unit`: cannot read the unit `kgce/t`: `kgce` is not a unit
          --> bad.csv:5:22
          |
        5 | production,coal,0.12,kgce/t,2.66,kg CO2/kg,IPCC
          |                      ^^^^^^
          = help: write a unit pint knows, such as t, kg, kWh, MWh, m3, t*km, t CO2e/t, kg CO2/m3 (docs/import-export.md lists the spellings that are rewritten)

        error[E606]: row 6, column F `factor_unit`: the factor `kg CO2/t` does not apply to an activity in `m3/t`: activity x factor is not a mass of CO2
          --> bad.csv:6:43
          |
        6 | production,natural gas,155.44,m3/t,1.9523,kg CO2/t,IPCC
          |                                           ^^^^^^^^
          = help: the factor must be per the activity's unit (a factor per t for an activity in t/t, per MWh or kWh for one in kWh/t)

        error[E607]: row 7, column E `factor`: the factor is missing
          --> bad.csv:7:26
          |
        7 | production,steam,12,GJ/t,,kg CO2/GJ,
          |                          ^
          = help: fill in the factor of this line item""")


def test_missing_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("missing.csv").write_text("stage,item,activity,factor,factor_unit\nproduction,x,1,2,kg CO2e/kg\n",
                                   encoding="utf-8")
    assert _errors(Path("missing.csv")) == textwrap.dedent("""\
        error[E602]: the table has no `activity_unit` column (unit of the activity, usually per unit of product (`t/t`, `kWh/t`))
          --> missing.csv:1:1
          |
        1 | stage,item,activity,factor,factor_unit
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
          = help: name a header `activity unit`, `活动数据单位`, or a column `unit` (`单位`) right after the activity column; or map it: --column activity_unit=HEADER (or [columns] activity_unit = "HEADER" in the mapping file)""")


def test_cli_reports_bad_cells_with_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("bad.csv").write_text(BAD_CSV, encoding="utf-8")
    run = CliRunner().invoke(main, ["import", "bad.csv", "-o", "model.pcf"])
    assert run.exit_code == 2
    assert "bad.csv:3:32" in run.output and "4 errors" in run.output
    assert "Traceback" not in run.output
    assert not Path("model.pcf").exists()


def test_activity_per_other_kind_of_product_amount(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("per.csv").write_text("item,activity,activity_unit,factor,factor_unit\n"
                               "a,1,t/t,2,t CO2e/t\nb,3,kWh/piece,0.5,kg CO2/kWh\n", encoding="utf-8")
    text = _errors(Path("per.csv"))
    assert text.startswith("error[E605]: row 3: the activity is per `piece`, but the product's reference output "
                           "is 1 t: not the same kind of quantity\n  --> per.csv:3:1")


# ------------------------------------------------------------------ spreadsheets with Chinese headers


def _workbook(path: Path, rows: list[list]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "表1"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


CHINESE_HEADER = ["生命周期阶段", "物料", "活动数据", "单位", "排放因子", "单位", "排放因子来源", "温室气体量 (kgCO2-eq/kg)"]


def test_xlsx_with_chinese_headers(tmp_path):
    rows = [r for r in csv_rows() if r["stage"] in ("production", "transport")]
    table = [CHINESE_HEADER] + [
        [r["stage"], r["item_zh"], float(r["activity"]), r["activity_unit"], float(r["factor"]),
         r["factor_unit"], r["factor_source"], r["reported_kgco2e_per_kg"]] for r in rows]
    path = _workbook(tmp_path / "inventory.xlsx", table)
    out = run_import(tmp_path, "--product", "billet", "--stage", "transport=inbound_transport", table=path)
    model = pcf_dsl.load(out)
    result = pcf_dsl.compute(model)
    # Independent: the same four lines summed by hand, kg CO2e per kg of billet.
    assert result.total.value == pytest.approx(
        139.24 * 0.6205 / 1000 + 155.44 * 1.9523 / 1000 + 0.000013 * 3.0000 + 409.93 * 0.04902 / 1000, rel=REL)
    assert result.by_stage["inbound_transport"].value == pytest.approx(409.93 * 0.04902 / 1000, rel=REL)
    names = [f.name for f in model.processes["production"].flows if f.kind == "input"]
    assert names == ["外购电力间接排放", "外购天然气直接排放", "丙烷燃烧直接排放", "原物料运输"]
    assert [c.text for c in model.claims] == ["0.0864", "0.3035", "0.00004", "0.0201"]
    text = out.read_text(encoding="utf-8")
    assert "0.000013 kg / kg * 1 t" in text  # the float cell 1.3e-05 written as a person writes it


def test_xlsx_bad_cells_name_the_cell(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _workbook(tmp_path / "bad.xlsx", [
        CHINESE_HEADER,
        ["production", "外购电力", 139.24, "kWh/t", 0.6205, "tCO2/MWh", "grid", 0.0864],
        ["production", "燃煤", "约0.12", "t/t", 2.66, "t CO2/t", "IPCC", None],
        ["production", "蒸汽", 12, "GJ/t", 0.11, "t CO2/吨标煤", "IPCC", None],
    ])
    assert _errors(Path("bad.xlsx")) == textwrap.dedent("""\
        error[E603]: row 3, column C `活动数据`: `约0.12` is not a number
          --> bad.xlsx:3:19
          |
        3 | production | 燃煤 | 约0.12 | t/t | 2.66 | t CO2/t | IPCC
          |                     ^^^^^^
          = help: write a plain decimal number such as 0.58962 (a point for decimals, no thousands separator, no unit)

        error[E604]: row 4, column F `单位`: cannot read the unit `t CO2/吨标煤`: `吨标煤` is not a unit
          --> bad.xlsx:4:38
          |
        4 | production | 蒸汽 | 12 | GJ/t | 0.11 | t CO2/吨标煤 | IPCC
          |                                        ^^^^^^^^^^^^
          = help: write a unit pint knows, such as t, kg, kWh, MWh, m3, t*km, t CO2e/t, kg CO2/m3 (docs/import-export.md lists the spellings that are rewritten)""")


# ------------------------------------------------------------------ mapping file


def test_mapping_file(tmp_path):
    table = tmp_path / "inventory.csv"
    table.write_text("Line,Qty,Qty unit,EF,EF unit,Ref\n"
                     "electricity,139.24,kWh/t,0.6205,tCO2/MWh,grid 2023\n"
                     "natural gas,155.44,m3/t,1.9523,kgCO2/m3,IPCC 2006\n", encoding="utf-8")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(textwrap.dedent("""\
        [columns]
        name = "Line"
        activity = "Qty"
        activity_unit = "Qty unit"
        factor = "EF"
        factor_unit = "EF unit"
        factor_source = "Ref"

        [study]
        title = "Billet, energy only"
        declared_unit = "1 kg"
        period = "2024-01-01 to 2024-12-31"
        standards = ["ISO 14067:2018"]

        [process]
        name = "casting"
        product = "billet"

        [cutoff]
        basis = "emissions"
        per_flow = "1 %"
        note = "lines below 1 % of the total may be left out"
        """), encoding="utf-8")
    out = run_import(tmp_path, "--mapping", str(mapping), table=table)
    model = pcf_dsl.load(out)
    result = pcf_dsl.compute(model)
    assert result.total.value == pytest.approx(139.24 * 0.6205 / 1000 + 155.44 * 1.9523 / 1000, rel=REL)
    assert model.study.title == "Billet, energy only" and model.study.standards == ["ISO 14067:2018"]
    assert model.cutoff.per_flow == pytest.approx(0.01)
    assert model.factors["ef.electricity"].source == "grid 2023"


def test_mapping_file_errors(tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text("[columns]\nactivty = \"Qty\"\n", encoding="utf-8")
    with pytest.raises(PcfError) as info:
        load_mapping(mapping)
    assert "unknown column field `activty` in [columns]" in info.value.diagnostics[0].message
    mapping.write_text("[study]\ndeclared_unit = 1\n", encoding="utf-8")
    with pytest.raises(PcfError) as info:
        load_mapping(mapping)
    assert "`declared_unit` in [study] must be a text in quotes" in info.value.diagnostics[0].message


def test_an_error_in_a_mapping_value_points_at_the_mapping_key(tmp_path):
    """`per_flow = "1"` under [cutoff] was reported at `imp/billet.pcf (not written):27`, a file the
    user never wrote and cannot fix: the place is the mapping's key, the generated line a label."""
    table = tmp_path / "inventory.csv"
    table.write_text("item,activity,activity_unit,factor,factor_unit\n"
                     "electricity,139.24,kWh/t,0.6205,kg CO2e/kWh\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[study]\nperiod = "2024-01-01 to 2023-12-31"   # ends before it starts\n\n'
                       '[cutoff]\nbasis = "emissions"\n  per_flow = "1"\n', encoding="utf-8")
    out = tmp_path / "imp" / "b.pcf"
    run = CliRunner().invoke(main, ["import", str(table), "--mapping", str(mapping), "-o", str(out)])
    assert run.exit_code == 2, run.output
    assert "error[E271]: [cutoff] per_flow: the cut-off threshold `per_flow 1` has no `%`" in run.stderr
    assert f"--> {mapping}:6:14\n" in run.stderr and '6 |   per_flow = "1"\n' in run.stderr
    assert 'help: write `per_flow = "1 %"` for 1 %' in run.stderr  # as the mapping writes it
    assert "error[E261]: [study] period: the period ends before it starts" in run.stderr
    assert f"--> {mapping}:2:10\n" in run.stderr
    assert "b.pcf (not written):" in run.stderr and "the line written from this key" in run.stderr
    # A value that cannot go into the model at all is the mapping's too, not `--period`'s.
    mapping.write_text('[study]\nperiod = "2024"\n', encoding="utf-8")
    run = CliRunner().invoke(main, ["import", str(table), "--mapping", str(mapping)])
    assert "error[E610]: `period` in [study] of the mapping file, `2024`, is not valid" in run.stderr
    assert f"--> {mapping}:2:10\n" in run.stderr and 'help: e.g. period = "2024-01-01 to 2024-12-31"' in run.stderr
    # Given on the command line too, the value is the command line's.
    run = CliRunner().invoke(main, ["import", str(table), "--mapping", str(mapping), "--period", "2024"])
    assert "error[E610]: --period `2024` is not valid" in run.stderr and str(mapping) not in run.stderr


def test_mapping_names_a_column_the_table_lacks(tmp_path):
    with pytest.raises(PcfError) as info:
        import_table(CSV, ImportOptions(columns={"activity": "Menge"}))
    assert info.value.diagnostics[0].message == (
        "the mapping names the column `Menge` for `activity`, but the table has no such column")


def test_docs_name_every_header_and_code():
    import re

    from pcf_dsl.importer import HEADER_ALIASES

    doc = (ROOT / "docs" / "import-export.md").read_text(encoding="utf-8")
    missing = [a for aliases in HEADER_ALIASES.values() for a in aliases if f"`{a}`" not in doc]
    assert missing == []
    source = (ROOT / "pcf_dsl" / "importer.py").read_text(encoding="utf-8")
    source += (ROOT / "pcf_dsl" / "pact.py").read_text(encoding="utf-8")
    codes = sorted(set(re.findall(r'"(E[67]\d\d)"', source)))
    assert codes and [c for c in codes if f"| {c} |" not in doc] == []


def _rewritten(tmp_path: Path, delimiter: str, name: str) -> Path:
    """The reference inventory saved with another separator, as a European or tab-separated export."""
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(csv.reader(CSV.open(encoding="utf-8")))
    return path


@pytest.mark.parametrize(("delimiter", "said", "flag"), [
    (";", "with 9 `;` in it: the file's cells look separated by `;`", "--delimiter ';'"),
    ("\t", "with 9 tabs in it: the file's cells look separated by tabs", "--delimiter '\\t'"),
])
def test_a_table_with_another_separator_gets_one_error_naming_it(tmp_path, delimiter, said, flag):
    # Read with commas, the header is one cell: one error for the cause, not one per missing column.
    errors = _errors(_rewritten(tmp_path, delimiter, "export.csv"))
    assert errors.count("error[") == 1 and f"the header row reads as one cell, {said}" in errors
    assert f"pass {flag}" in errors


@pytest.mark.parametrize("flag", [";", "\\t"])
def test_the_delimiter_option_reads_it_and_the_total_is_the_hand_total(tmp_path, flag):
    # `\t` as a shell passes it (a backslash and a t) means a tab; it was "internal error: TypeError".
    table = _rewritten(tmp_path, ";" if flag == ";" else "\t", "export.csv")
    result = pcf_dsl.compute(pcf_dsl.load(run_import(tmp_path, "--delimiter", flag, table=table)))
    assert result.total.value == pytest.approx(hand_total(csv_rows()), rel=REL)


@pytest.mark.parametrize(("codec", "delimiter", "option"), [
    ("utf-16", "\t", "--encoding utf-16 --delimiter '\\t'"),  # Excel's "Unicode text": LE with a BOM, tabs
    ("utf-16", ",", "--encoding utf-16"),
    ("utf-16-le", ",", "--encoding utf-16-le"),  # no BOM: the NULs of ASCII text give the byte order
    ("utf-16-be", ",", "--encoding utf-16-be"),
])
def test_a_utf16_table_gets_a_hint_that_reads_it(tmp_path, codec, delimiter, option):
    """The hint was `--encoding gb18030`, which turns UTF-16 into garbage; the hinted options read
    the table, and the total is the hand total of the UTF-8 original."""
    path = _rewritten(tmp_path, delimiter, "unicode.txt")
    path.write_bytes(path.read_text(encoding="utf-8").encode(codec))
    errors = _errors(path)
    assert "it looks like UTF-16" in errors and "gb18030" not in errors
    assert f"help: name its encoding: {option}, or save the table as CSV UTF-8" in errors
    args = option.replace("'", "").split()  # as a shell passes them: `\t` is a backslash and a t
    result = pcf_dsl.compute(pcf_dsl.load(run_import(tmp_path, *args, table=path)))
    assert result.total.value == pytest.approx(hand_total(csv_rows()), rel=REL)


def test_a_delimiter_of_more_than_one_character_is_refused(tmp_path):
    run = CliRunner().invoke(main, ["import", str(CSV), "--delimiter", ";;"])
    assert run.exit_code == 2 and "E610" in run.output and "the delimiter ';;' is not one character" in run.output


def test_a_factor_unit_is_checked_as_it_is_written_into_the_model(tmp_path, monkeypatch):
    # `kgCO2e/t·km`, as Chinese tables print a freight factor: the model gets `kg CO2e / (t*km)`
    # (everything after the first `/` is the denominator). The check read the cell otherwise,
    # (kg CO2e / t) * km, and refused it (E606: "not a mass of CO2e").
    monkeypatch.chdir(tmp_path)
    Path("freight.csv").write_text("item,activity,activity unit,factor,factor unit\n"
                                   "transport,409.93,t·km/t,0.04902,kgCO2e/t·km\n", encoding="utf-8")
    imported = import_table(Path("freight.csv"), ImportOptions(factors_file=None))
    assert "= 0.04902 kg CO2e / (t*km)" in imported.files["model"]
    Path("model.pcf").write_text(imported.files["model"], encoding="utf-8")
    # By hand, per 1 t of product (the declared unit): 409.93 t*km x 0.04902 kg CO2e per t*km.
    total = pcf_dsl.compute(pcf_dsl.load(Path("model.pcf"))).total
    assert total.value == pytest.approx(409.93 * 0.04902, rel=1e-12)  # 20.0947686 kg CO2e

    # A factor unit whose written form does not fit is one error at its cell, not an error
    # in a temporary file the user never sees: `kg CO2e/t/km` is written `kg CO2e / (t/km)`.
    Path("odd.csv").write_text("item,activity,activity unit,factor,factor unit\n"
                               "transport,409.93,t*km/t,0.04902,kg CO2e/t/km\n", encoding="utf-8")
    errors = _errors(Path("odd.csv"))
    assert errors.startswith("error[E606]: row 2, column E `factor unit`: the factor `kg CO2e/t/km` does not apply")
    assert "--> odd.csv:2:" in errors


def test_a_negative_factor_and_result_are_read_a_negative_activity_is_named(tmp_path, monkeypatch):
    # A removal, such as the biogenic carbon of wood packaging, is a negative factor: the model
    # takes it (`factor f = -1.6 kg CO2 / kg`), the importer said "`-1.6` is not a number".
    monkeypatch.chdir(tmp_path)
    Path("wood.csv").write_text(
        "item,activity,activity unit,factor,factor unit,reported (kg CO2e/t)\n"
        "steel,0.2,t/t,1.9,t CO2e/t,380\n"
        "pallet wood,12,kg/t,-1.6,kg CO2/kg,-19.2\n"
        "fuel,3,kg/t,\u22123.1,kg CO2/kg,\n", encoding="utf-8")  # U+2212, the minus sign of word processors
    imported = import_table(Path("wood.csv"), ImportOptions(factors_file=None))
    model_text = imported.files["model"]
    assert "= -1.6 kg CO2 / kg" in model_text and "claim flow production.pallet_wood = -19.2 kg CO2e / t" in model_text
    Path("model.pcf").write_text(model_text, encoding="utf-8")
    result = pcf_dsl.compute(pcf_dsl.load(Path("model.pcf")))
    # By hand, per 1 t of product: 0.2 t x 1.9 t CO2e/t = 380 kg; 12 kg x -1.6 = -19.2 kg; 3 kg x -3.1 = -9.3 kg.
    assert result.total.value == pytest.approx(380 - 19.2 - 9.3, rel=1e-12)

    # An activity is an amount: a negative one gets a message that says so, not "not a number".
    Path("credit.csv").write_text("item,activity,activity unit,factor,factor unit\n"
                                  "credit,-0.5,t/t,2,t CO2e/t\n", encoding="utf-8")
    errors = _errors(Path("credit.csv"))
    assert errors.startswith("error[E603]: row 2, column B `activity`: the activity `-0.5` is negative")
    assert "not a number" not in errors and "negative factor" in errors


@pytest.mark.parametrize("options", [
    ImportOptions(product="billet", process="casting", stage_names={"transport": "inbound_transport"}),
    ImportOptions(product="billet", process_by="stage"),
    ImportOptions(product="billet", factors_file=None),
])
def test_the_written_files_are_in_the_canonical_layout(options):
    # docs/import-export.md: "a model file in the canonical layout"; a CI job runs `pcf fmt --check .`
    # on the repository the imported model is committed to. It failed on every import (the keyword
    # columns of `stage`/`product` and of the stage declarations were not aligned).
    from pcf_dsl.fmt import format_text

    for name, text in import_table(CSV, options).files.items():
        assert format_text(text, name) == text, name


def test_a_model_that_does_not_load_is_reported_at_the_row_of_the_table(tmp_path, monkeypatch):
    # AR6 has no plain CH4 (E511). The error pointed at a temporary file, deleted when the user
    # read it (`/tmp/pcf-import-xxxx/model.pcf:12:8`); it now names the table's row and shows the
    # line that would have been written under the output's name.
    monkeypatch.chdir(tmp_path)
    Path("gas.csv").write_text("item,kind,activity,activity unit,factor,factor unit\n"
                               "natural gas,emit,155.44,m3/t,2.162,kg CO2/m3\n"
                               "methane slip,emit,155.44,m3/t,0.0001,kg CH4/m3\n", encoding="utf-8")
    run = CliRunner().invoke(main, ["import", "gas.csv", "-o", "model.pcf"])
    assert run.exit_code == 2, run.output
    assert "pcf-import-" not in run.output and "Traceback" not in run.output
    assert "error[E511]: row 3: the GWP set `ipcc.ar6` has no factor for CH4" in run.output
    assert "--> gas.csv:3:1" in run.output and "3 | methane slip,emit,155.44" in run.output
    assert "--> model.pcf (not written):" in run.output and "emit methane_slip" in run.output
    assert not Path("model.pcf").exists()


def test_a_co2_factor_with_gwp_none_is_told_the_import_option(tmp_path, monkeypatch):
    # With `--gwp none` and a factor in kg CO2, the hint said to "add `gwp ipcc.ar6` to the study",
    # of a file that was not written and that the next import would write again without it.
    monkeypatch.chdir(tmp_path)
    Path("gas.csv").write_text("item,activity,activity unit,factor,factor unit\n"
                               "natural gas,155.44,m3/t,1.9523,kg CO2/m3\n", encoding="utf-8")
    run = CliRunner().invoke(main, ["import", "gas.csv", "--gwp", "none", "-o", "model.pcf"])
    assert run.exit_code == 2, run.output
    assert "error[E510]: row 2: `natural_gas` emits CO2, but the study names no GWP set" in run.output
    assert "help: import with `--gwp ar6`" in run.output and "add `gwp ipcc.ar6` to the study" not in run.output
    assert not Path("model.pcf").exists()
    # What the hint says works: by hand, per 1 t of product, 155.44 m3 x 1.9523 kg CO2/m3 x GWP 1.
    run = CliRunner().invoke(main, ["import", "gas.csv", "--gwp", "ar6", "-o", "model.pcf"])
    assert run.exit_code == 0, run.output
    total = pcf_dsl.compute(pcf_dsl.load(Path("model.pcf"))).total
    assert total.value == pytest.approx(155.44 * 1.9523, rel=1e-12)


@pytest.mark.parametrize("product", ["product", "billet"])
def test_the_default_title_has_the_product_as_written(product):
    # `product` is a keyword, so its name in the model is `product_`; the title is a text and
    # read "product_, imported from ..." .
    imported = import_table(CSV, ImportOptions(product=product, factors_file=None))
    assert f'study "{product}, imported from aluminium_billet_inventory.csv" {{' in imported.files["model"]


def test_an_item_named_like_a_unit_gets_a_name_that_is_not_one(tmp_path):
    # A factor may not be named after a unit (E204: `factor t` would make `1 t` mean the factor), so
    # the rows `T` and `—` (no letters: `item`) must not become `factor t` and `factor item`.
    table = tmp_path / "units.csv"
    table.write_text("item,activity,activity_unit,factor,factor_unit\n"
                     "—,1,kg/kg,2,kg CO2e/kg\nT,1,kg/kg,3,kg CO2e/kg\n", encoding="utf-8")
    model = pcf_dsl.load(run_import(tmp_path, "--product", "x", table=table))
    assert sorted(name.split(".")[-1] for name in model.factors) == ["item_", "t_"]
    assert pcf_dsl.compute(model).total.value == pytest.approx(1 * 2 + 1 * 3, rel=1e-12)  # kg CO2e per kg


def test_openpyxl_warnings_about_formatting_do_not_reach_the_terminal(tmp_path):
    """A workbook with drop-down lists (a data validation extension) printed openpyxl's
    `.../openpyxl/worksheet/_reader.py:329: UserWarning: Data Validation extension is not supported
    and will be removed` and `warn(msg)` under the import's own lines: about formatting that
    `pcf import` never writes back, said as if Python had failed."""
    import warnings

    from conftest import inventory_workbook

    extension = (b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
                 b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
                 b'<x14:dataValidations count="0" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
                 b'</x14:dataValidations></ext></extLst>')
    book = inventory_workbook(tmp_path / "inventory.xlsx", drop="xl/styles.xml",
                              sheet_xml=lambda data: data.replace(b"</worksheet>", extension + b"</worksheet>"))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        imported = import_table(book, ImportOptions(per="1 t"))
    assert [str(w.message) for w in seen] == []
    with open(CSV, encoding="utf-8") as handle:  # every line item of the table, read from the workbook
        assert len(imported.lines) == sum(1 for _ in csv.reader(handle)) - 1


def test_a_unit_in_the_mapping_that_cannot_be_read_points_at_the_mapping(tmp_path):
    """`declared_unit = "1 kq"` under [study] was reported with no place and the hint
    `--declared-unit "1 kg"`, an option the user never gave: the place is the mapping's value,
    the hint in the mapping's syntax, as for the other values the mapping sets."""
    table = tmp_path / "inventory.csv"
    table.write_text("item,activity,activity_unit,factor,factor_unit,reported\n"
                     "electricity,139.24,kWh/t,0.6205,kg CO2e/kWh,0.0864\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[table]\nreported_unit = "kg CO2e/kg"\n\n[study]\ndeclared_unit = "1 kq"\n', encoding="utf-8")
    run = CliRunner().invoke(main, ["import", str(table), "--mapping", str(mapping)])
    assert run.exit_code == 2, run.output
    assert "error[E604]: [study] declared_unit: cannot read the declared unit `1 kq`: `kq` is not a unit" in run.stderr
    assert f"--> {mapping}:5:17\n" in run.stderr and '5 | declared_unit = "1 kq"\n' in run.stderr
    assert 'help: e.g. declared_unit = "1 kg" under [study] of the mapping file' in run.stderr
    assert "--declared-unit" not in run.stderr
    mapping.write_text('[study]\ndeclared_unit = "kg"\n', encoding="utf-8")
    run = CliRunner().invoke(main, ["import", str(table), "--mapping", str(mapping)])
    assert "error[E610]: [study] declared_unit: `kg` is not an amount with a unit" in run.stderr
    assert f"--> {mapping}:2:17\n" in run.stderr
    mapping.write_text('[table]\nreported_unit = "kq CO2e/kg"\n', encoding="utf-8")
    run = CliRunner().invoke(main, ["import", str(table), "--mapping", str(mapping)])
    assert "error[E604]: [table] reported_unit: cannot read the unit of the reported results" in run.stderr
    assert f"--> {mapping}:2:17\n" in run.stderr and 'reported_unit = "kg CO2e/kg" under [table]' in run.stderr
    # Given on the command line, the value is the command line's: the option is named, no place.
    run = CliRunner().invoke(main, ["import", str(table), "--mapping", str(mapping), "--reported-unit", "kg CO2e/kg",
                                    "--declared-unit", "1 kq"])
    assert "error[E604]: cannot read the declared unit `1 kq`" in run.stderr
    assert 'help: e.g. --declared-unit "1 kg"' in run.stderr and str(mapping) not in run.stderr

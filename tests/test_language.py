"""Each construct of the language, with the numbers it must give computed by hand in the test."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

import pcf_dsl

HEAD = """
import "std:gwp/ipcc_ar6.pcf" as ipcc
study "test" {
  declared_unit 1 kg of main.out
  gwp ipcc.ar6
}
"""


def test_study_fields(write):
    model = pcf_dsl.load(write('''
        import "std:gwp/ipcc_ar6.pcf" as ipcc
        study "Widget, cradle to gate" {
          product       "小部件 / widget"
          producer      "ACME 有限公司"
          declared_unit 2 kg of main.out "two kilograms of widget"
          period        2024-01-01 to 2024-12-31
          geography     CN-JS
          standard      "ISO 14067:2018"
          standard      "PAS 2050:2011"
          gwp           ipcc.ar6
          note          "a note"
        }
        process main {
          stage production
          product out 1 kg
        }
    '''))
    study = model.study
    assert study.title == "Widget, cradle to gate"
    assert study.product == "小部件 / widget" and study.producer == "ACME 有限公司"
    assert study.declared_unit.amount.value == 2 and study.declared_unit.product == "main.out"
    assert study.declared_unit.description == "two kilograms of widget" and not study.declared_unit.functional
    assert (str(study.period_start), str(study.period_end)) == ("2024-01-01", "2024-12-31")
    assert study.geography == "CN-JS"
    assert study.standards == ["ISO 14067:2018", "PAS 2050:2011"]
    assert study.gwp == "ipcc.ar6" and study.notes == ["a note"]


def test_functional_unit_and_process_with_single_product_reference(footprint):
    model, result = footprint('''
        study "s" {
          functional_unit 10 kg of main "ten kilograms"
        }
        factor f = 2 kg CO2e / kg
        process main {
          stage production
          product out 1 kg
          input  x 0.5 kg from f
        }
    ''')
    assert model.study.declared_unit.functional and model.study.declared_unit.product == "main.out"
    assert result.total.value == pytest.approx(10 * 0.5 * 2)


@pytest.mark.parametrize("factor, amount, expected_kg", [
    ("17.610 t CO2e / t", "0.58962 t", 0.58962 * 17.610 * 1000),
    ("0.6205 t CO2 / MWh", "139.24 kWh", 139.24 / 1000 * 0.6205 * 1000),
    ("1.9523 kg CO2 / m3", "155.44 m3", 155.44 * 1.9523),
    ("0.04902 kg CO2e / (t*km)", "409.93 t*km", 409.93 * 0.04902),
    ("0.04902 kg CO2e / t km", "409.93 tkm", 409.93 * 0.04902),
    ("3.4356 kg CO2 / kg", "705.4 g", 0.7054 * 3.4356),
    ("0.2 kg CO2e / kWh", "3.6 MJ", 1.0 * 0.2),
    ("1.5 g CO2e / L", "2 m3", 2000 * 1.5 / 1000),
    ("0.1 kg CO2e / pkm", "250 pkm", 250 * 0.1),
    ("1.9523 kg CO2 / Nm3", "155.44 Nm3", 155.44 * 1.9523),
    ("53.06 kg CO2 / MMBtu", "2 mmBtu", 2 * 53.06),  # EPA's natural gas factor, per million Btu
    ("53.06 kg CO2 / MMBtu", "2000 kBtu", 2 * 53.06),
    ("0.4 kg CO2e / L", "1 oil_barrel", 42 * 3.785411784 * 0.4),  # 42 US gallons of 3.785411784 L
    # 1 Nm3 holds p V / (R T) = 101325 / (8.31446261815324 x 273.15) = 44.615 mol of an ideal gas
    # (R = N_A k, exact since the 2019 SI)
    ("0.044 kg CO2 / mol", "2 Nm3", 2 * 101325 / (8.31446261815324 * 273.15) * 0.044),
    ("0.1 kg CO2e / (passenger*km)", "0.25 pax*Mm", 250 * 0.1),  # 0.25 passenger-megametres = 250 pkm
])
def test_factor_units_convert(footprint, factor, amount, expected_kg):
    _, result = footprint(HEAD + f'''
        factor f = {factor}
        process main {{
          stage production
          product out 1 kg
          input  x {amount} from f
        }}
    ''')
    assert result.total.value == pytest.approx(expected_kg, rel=1e-12)


def test_factor_provenance_and_gas_split_with_ar6(footprint):
    model, result = footprint(HEAD + '''
        factor ng_combustion "natural gas, stationary combustion" {
          gas       1.88 kg CO2 / m3
          gas       0.0001 kg CH4_fossil / m3
          gas       0.00001 kg N2O / m3
          source    "2006 IPCC Guidelines, Vol. 2, Table 2.2"
          dataset   "natural gas"
          year      2006
          geography GLO
        }
        process main {
          stage production
          product out 1 kg
          emit   burn 100 m3 with ng_combustion
        }
    ''')
    factor = model.factors["ng_combustion"]
    assert [c.gas for c in factor.components] == ["CO2", "CH4_fossil", "N2O"]
    assert (factor.source, factor.dataset, factor.year, factor.geography) == (
        "2006 IPCC Guidelines, Vol. 2, Table 2.2", "natural gas", 2006, "GLO")
    expected = 100 * (1.88 * 1 + 0.0001 * 29.8 + 0.00001 * 273)
    assert result.total.value == pytest.approx(expected, rel=1e-12)
    assert result.by_gas["CH4_fossil"].mass == pytest.approx(0.01, rel=1e-12)
    assert result.by_gas["CH4_fossil"].value == pytest.approx(0.01 * 29.8, rel=1e-12)
    assert result.by_gas["N2O"].value == pytest.approx(0.001 * 273, rel=1e-12)


def test_gwp_set_choice_changes_characterisation(footprint):
    body = '''
        process main {
          stage production
          product out 1 kg
          emit   leak 1 kg CH4_biogenic
          emit   n2o 1 g N2O
        }
    '''
    _, ar6 = footprint(HEAD + body)
    _, ar5 = footprint(HEAD.replace("ipcc_ar6", "ipcc_ar5").replace("ipcc.ar6", "ipcc.ar5") + body)
    assert ar6.total.value == pytest.approx(27.0 + 0.273, rel=1e-12)
    assert ar5.total.value == pytest.approx(28 + 0.265, rel=1e-12)


def test_supplier_chain_scales(footprint):
    # main needs 2 kg of mid per kg; mid needs 3 kWh per 0.5 kg.
    _, result = footprint(HEAD + '''
        factor grid = 0.5 kg CO2e / kWh
        process main {
          stage production
          product out 1 kg
          input  part 2 kg from mid
        }
        process mid {
          stage raw_material_acquisition
          product part 0.5 kg
          input  power 3 kWh from grid
        }
    ''')
    assert result.scaling["mid.part"] == pytest.approx(4.0)
    assert result.total.value == pytest.approx(4 * 3 * 0.5)
    assert result.by_stage["raw_material_acquisition"].value == pytest.approx(6.0)
    assert result.by_process["mid"].share == pytest.approx(1.0)


def test_loop_is_solved(footprint):
    # a needs 0.5 kg of b, b needs 0.2 kg of a: s_a = 1 + 0.2 s_b, s_b = 0.5 s_a.
    _, result = footprint(HEAD + '''
        factor fa = 1 kg CO2e / kg
        factor fb = 2 kg CO2e / kg
        process main {
          stage production
          product out 1 kg
          input  b 0.5 kg from other
          input  own 1 kg from fa
        }
        process other {
          stage production
          product y 1 kg
          input  a 0.2 kg from main
          input  own 1 kg from fb
        }
    ''')
    s_a = 1 / (1 - 0.5 * 0.2)
    s_b = 0.5 * s_a
    assert result.scaling["main.out"] == pytest.approx(s_a, rel=1e-12)
    assert result.scaling["other.y"] == pytest.approx(s_b, rel=1e-12)
    assert result.total.value == pytest.approx(s_a * 1 + s_b * 2, rel=1e-12)


def test_singular_loop_is_a_clear_error(write):
    path = write(HEAD + '''
        process main {
          stage production
          product out 1 kg
          input  b 1 kg from other
        }
        process other {
          stage production
          product y 1 kg
          input  a 1 kg from main
        }
    ''')
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.compute(pcf_dsl.load(path))
    diagnostic = info.value.diagnostics[0]
    assert diagnostic.code == "E520" and "singular" in diagnostic.message
    assert "main <-> other" in diagnostic.help and diagnostic.span.line == 7  # `process main`


@pytest.mark.parametrize("lines, loop", [
    # main takes 2 kg of its own product per kg it makes: s = 1 / (1 - 2) = -1 run.
    ("input  own 2 kg from main", "main"),
    # main takes 1 kg of other's y per kg, other 1.5 kg of main's out per kg: s_main = 1 / (1 - 1 * 1.5) = -2.
    ("input  b 1 kg from other", "main <-> other"),
])
def test_loop_that_takes_more_than_it_makes_is_an_error_not_a_negative_footprint(write, lines, loop):
    """A loop that takes more of its products than it makes is not singular, but no amount of running it
    makes one declared unit: the solve gave a negative scaling and a total of -1 (or -2) kg CO2e, exit 0."""
    path = write(HEAD + f'''
        factor f = 1 kg CO2e / kg
        process main {{
          stage production
          product out 1 kg
          {lines}
          input  raw 1 kg from f
        }}
        process other {{
          stage production
          product y 1 kg
          input  a 1.5 kg from main
        }}
    ''')
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.compute(pcf_dsl.load(path))
    diagnostic = info.value.diagnostics[0]
    assert diagnostic.code == "E520" and "more" in diagnostic.message
    assert f"loop: {loop}." in diagnostic.help and diagnostic.span.line == 8  # `process main`


@pytest.mark.parametrize("allocation, share_a", [
    ("allocation mass {\n    justification \"physical relationship\"\n  }", 3 / 4),
    ("allocation economic {\n    property a 100 CNY / kg\n    property b 900 CNY / kg\n  }", 300 / (300 + 900)),
    ("allocation physical {\n    share a 40 %\n    share b 60 %\n  }", 0.40),
])
def test_multi_output_allocation(footprint, allocation, share_a):
    # 3 kg of a and 1 kg of b from a process emitting 8 kg CO2e.
    model, result = footprint(f'''
        study "s" {{
          declared_unit 1 kg of split.a
        }}
        factor f = 1 kg CO2e / kg
        process split {{
          stage production
          product a 3 kg
          product b 1 kg
          input  x 8 kg from f
          {allocation}
        }}
    ''')
    # 1 kg of a carries share_a of the burden of a third of a run.
    assert result.total.value == pytest.approx(8 * share_a / 3, rel=1e-12)


def test_multi_output_without_allocation_is_an_error(write):
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.load(write('''
            process split {
              stage production
              product a 3 kg
              product b 1 kg
            }
        '''))
    assert info.value.diagnostics[0].code == "E292"


def test_waste_to_treatment_and_with_factor(footprint):
    _, result = footprint(HEAD + '''
        stage waste_treatment "waste treatment"
        factor landfill = 0.5 kg CO2e / kg
        factor incineration = 1.2 kg CO2e / kg
        process main {
          stage production
          product out 1 kg
          waste  dross 0.1 kg to treat
          waste  dust 0.02 kg with incineration
        }
        process treat {
          stage waste_treatment
          product treated 1 kg
          input  tip 1 kg from landfill
        }
    ''')
    assert result.by_stage["waste_treatment"].value == pytest.approx(0.1 * 0.5)
    assert result.by_stage["production"].value == pytest.approx(0.02 * 1.2)


def test_direct_emission_negative_removal_and_loss(footprint):
    _, result = footprint(HEAD + '''
        process main {
          stage production
          product out 1 kg
          loss   evaporation 0.01 kg
          emit   leak 0.5 kg CH4_fossil
          emit   uptake -0.2 kg CO2_biogenic
        }
    ''')
    assert result.total.value == pytest.approx(0.5 * 29.8 - 0.2, rel=1e-12)


def test_flow_stage_override_and_group(footprint):
    _, result = footprint(HEAD + '''
        factor steel = 2 kg CO2e / kg
        process main {
          stage production
          product out 1 kg
          input  s 0.25 kg from steel {
            stage raw_material_acquisition
            group metals
          }
        }
    ''')
    assert result.by_stage["raw_material_acquisition"].value == pytest.approx(0.5)
    assert result.by_stage["production"].value == 0
    assert result.by_group["metals"].value == pytest.approx(0.5)


def test_cutoff_flow_and_estimates(footprint):
    model, result = footprint(HEAD + '''
        factor f = 1 kg CO2e / kg
        process main {
          stage production
          product out 2 kg
          input  x 4 kg from f
          input  glue 1 g cutoff "below 0.1 % of the total by mass" {
            estimate 0.004 kg CO2e
          }
          input  label 1 g cutoff "negligible" {
            estimate 0.5 %
          }
        }
    ''')
    assert result.total.value == pytest.approx(2.0)  # cut-off flows are not in the total
    estimates = {c.flow: c.estimate for c in result.cutoff}
    assert estimates["glue"] == pytest.approx(0.002)  # per run of 2 kg, scaled to 1 kg
    assert estimates["label"] == pytest.approx(0.005 * 2.0)
    assert result.cutoff_estimate == pytest.approx(0.012)
    assert model.processes["main"].flow("glue").cutoff_reason == "below 0.1 % of the total by mass"



def test_share_estimate_of_a_negative_total_is_a_burden(footprint):
    """`estimate 0.5 %` is a share of the total's size: with removals larger than the emissions the
    left-out input was counted as a further removal (0.5 % of -1.5 = -0.0075 kg CO2e)."""
    _, result = footprint(HEAD + '''
        factor f = 1 kg CO2e / kg
        process main {
          stage production
          product out 1 kg
          input  x 1 kg from f
          emit   uptake -2.5 kg CO2_biogenic
          input  glue 1 g cutoff "small" {
            estimate 0.5 %
          }
        }
    ''')
    total = 1 * 1.0 - 2.5 * 1.0  # kg CO2e: the input, the biogenic uptake (GWP 1)
    assert result.total.value == pytest.approx(total, rel=1e-12)
    assert result.cutoff[0].estimate == pytest.approx(0.005 * 1.5, rel=1e-12)  # +0.0075, a burden
    assert result.cutoff_estimate == pytest.approx(0.0075, rel=1e-12)

def test_parameters_and_arithmetic(footprint):
    model, result = footprint(HEAD + '''
        param distance = 34 km
        param load     = 12 t
        param trips    = 2 + 3 * 2
        param half     = (1 + 1) / 4
        param area     = 3 m ^ 2
        param squared  = (3 m) ^ 2
        factor truck = 0.05 kg CO2e / (t*km)
        process main {
          stage production
          product out 1 kg
          input  haul load * distance * half from truck
        }
    ''')
    assert result.total.value == pytest.approx(12 * 34 * 0.5 * 0.05)
    assert model.params["trips"].value == 8
    # `^` binds to the unit next to it, as in `3 m^2` (three square metres); parentheses square the whole.
    assert (model.params["area"].value, model.params["area"].unit) == (3, "meter ** 2")
    assert (model.params["squared"].value, model.params["squared"].unit) == (9, "meter ** 2")


def test_imports_with_namespaces_relative_paths_and_nesting(write):
    write('''
        factor base = 2 kg CO2e / kg
    ''', "lib/inner.pcf")
    write('''
        import "inner.pcf" as inner
        param share = 50 %
        factor steel "steel" = 3 kg CO2e / kg
        process plate {
          stage raw_material_acquisition
          product plate 1 kg
          input  s 1 kg from inner.base
        }
    ''', "lib/materials.pcf")
    path = write('''
        import "lib/materials.pcf" as mat
        study "s" {
          declared_unit 1 kg of main.out
        }
        process main {
          stage production
          product out 1 kg
          input  p mat.share * 2 kg from mat.plate
          input  s 1 kg from mat.steel
        }
    ''')
    model = pcf_dsl.load(path)
    assert set(model.factors) == {"mat.steel", "mat.inner.base"}
    assert "mat.plate" in model.processes
    result = pcf_dsl.compute(model)
    assert result.total.value == pytest.approx(1 * 2 + 1 * 3)


def test_unicode_names_labels_and_comments(footprint):
    model, result = footprint('''
        # 注释 / comment before everything
        study "铝合金棒材" {  # a comment after a brace
          declared_unit 1 kg of 熔铸.铝棒   # end-of-line comment
        }
        # comment between items

        factor 铝锭因子 "铝锭" = 17.61 t CO2e / t
        process 熔铸 "熔炼、精炼、铸造" {
          # a comment inside a block
          stage production
          product 铝棒 "铝合金棒材" 1 t
          input  铝锭 "原铝" 0.58962 t from 铝锭因子   # 原料
        }
    ''')
    assert model.processes["熔铸"].label == "熔炼、精炼、铸造"
    assert result.total.value == pytest.approx(0.58962 * 17.61)


@pytest.mark.parametrize("boundary, included, excluded", [
    ("boundary cradle_to_gate", {"raw_material_acquisition", "production"}, {"distribution", "use", "end_of_life"}),
    ("boundary cradle_to_grave", {"raw_material_acquisition", "production", "distribution", "use", "end_of_life"}, set()),
    ("boundary gate_to_gate", {"production"}, {"raw_material_acquisition", "distribution", "use", "end_of_life"}),
    ("boundary custom {\n  include production\n  exclude use \"not modelled\"\n}", {"production"}, {"use"}),
])
def test_boundary_shorthands(write, boundary, included, excluded):
    model = pcf_dsl.load(write(boundary + "\n"))
    assert {s.name for s in model.stages if s.included} == included
    assert {s.name for s in model.stages if s.included is False} == excluded
    assert all(s.reason for s in model.stages if s.included is False)


def test_boundary_with_user_stages_orders_them_where_written(write):
    model = pcf_dsl.load(write('''
        stage packaging "packaging"
        stage inbound_transport "inbound transport"
        boundary cradle_to_gate {
          include raw_material_acquisition
          include inbound_transport
          include production
          include packaging
          exclude distribution "sold ex works"
        }
    '''))
    assert [s.name for s in model.stages] == [
        "raw_material_acquisition", "inbound_transport", "production", "packaging", "distribution", "use",
        "end_of_life"]
    assert model.stage("distribution").reason == "sold ex works"
    assert model.stage("use").reason == "outside the cradle-to-gate boundary"


def test_cutoff_rule(write):
    model = pcf_dsl.load(write('''
        cutoff {
          basis      mass
          per_flow   1 %
          cumulative 5 %
          note       "ISO 14067 6.3.4.3"
        }
    '''))
    assert (model.cutoff.basis, model.cutoff.per_flow, model.cutoff.cumulative) == ("mass", 0.01, 0.05)
    assert model.cutoff.notes == ["ISO 14067 6.3.4.3"]


def test_data_quality_scores_by_name_number_and_process_default(write):
    model = pcf_dsl.load(write('''
        factor f = 1 kg CO2e / kg
        process main {
          stage   production
          quality activity=periodic factor=national calibration=compliant
          product out 1 kg
          input   a 1 kg from f
          input   b 1 kg from f {
            quality activity=6 factor=international calibration=accepted
          }
        }
    '''))
    process = model.processes["main"]
    assert (process.quality.activity, process.quality.factor, process.quality.calibration) == (3, 2, 6)
    b = process.flow("b").quality
    assert (b.activity, b.factor, b.calibration) == (6, 1, 3)
    assert b.score() == pytest.approx((6 + 1 + 3) / 3)
    assert process.flow("a").quality is None
    assert process.quality_of(process.flow("a")) == process.quality  # the process default applies
    partial = dataclasses.replace(process.flow("b"), quality=b.model_copy(update={"factor": None}))
    assert process.quality_of(partial).factor == 2  # a criterion the line leaves out comes from the process


def test_claims_keep_their_printed_precision(write):
    model = pcf_dsl.load(write('''
        study "s" {
          declared_unit 1 kg of main.out
        }
        process main {
          stage production
          product out 1 kg
        }
        claim total = 11.22 kg CO2e
        claim stage production = 390 g CO2e
        claim flow main.out = 0.00045 kg CO2e / kg {
          source "Table 2"
        }
        claim quality = 3.15
    '''))
    total, stage, flow, quality = model.claims
    assert (total.value, total.decimals, total.resolution) == (11.22, 2, pytest.approx(0.01))
    assert (stage.value, stage.decimals, stage.resolution) == (pytest.approx(0.39), 0, pytest.approx(0.001))
    assert flow.value == pytest.approx(0.00045) and flow.decimals == 5 and flow.source == "Table 2"
    assert (quality.target, quality.value) == ("quality", 3.15)



@pytest.mark.parametrize("value", ["claimed", "2 * claimed", "0.3 kg CO2e * share"])
def test_a_claim_names_no_parameter(write, value):
    """A claim is the number a report prints, its decimals its precision: `claim total = claimed` stopped
    with an internal error (the name read as a number), and `2 * claimed` was compared to the unit."""
    text = f'''
        study "s" {{
          declared_unit 1 kg of main.out
        }}
        param claimed = 0.3 kg CO2e
        param share   = 100 %
        process main {{
          stage production
          product out 1 kg
        }}
        claim total = {value}
    '''
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.load(write(text))
    [diagnostic] = info.value.diagnostics
    assert diagnostic.code == "E344" and (diagnostic.span.line, diagnostic.span.column) == (10, 15)
    assert "write the value as the report prints it" in diagnostic.help

def test_claims_in_other_units_and_per_unit_of_product_are_kg_co2e_per_declared_unit(write):
    """A claim in t or g CO2e, or per unit of product (times the declared unit's amount), is held in kg CO2e
    per declared unit; a claim that is neither is E343 at its value."""
    text = '''
        study "s" {
          declared_unit 2 t of main.out
        }
        process main {
          stage production
          product out 1 t
        }
        claim total = 1.5 t CO2e
        claim stage production = 0.5 kg CO2e / kg
        claim flow main.out = 250 g CO2e / t
    '''
    total, stage, flow = pcf_dsl.load(write(text)).claims
    assert total.value == pytest.approx(1500.0, rel=1e-15) and total.resolution == pytest.approx(100.0)
    assert stage.value == pytest.approx(0.5 * 2 * 1000, rel=1e-15)  # 0.5 kg CO2e per kg, for 2 t
    assert stage.resolution == pytest.approx(0.1 * 2 * 1000)
    assert flow.value == pytest.approx(0.250 * 2, rel=1e-15)
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.load(write(text + "claim total = 3 kWh\n", name="bad.pcf"))
    diagnostic = info.value.diagnostics[0]
    assert diagnostic.code == "E343" and (diagnostic.span.line, diagnostic.span.column) == (11, 15)


def test_a_claim_per_item_is_per_item_of_the_declared_unit(write):
    """`kg CO2e / item` is a mass of CO2e to pint (a count has no dimension), but a report means it per item."""
    text = '''
        study "s" {
          declared_unit 1000 items of main.out
        }
        process main {
          stage production
          product out 1 item
        }
        claim total = 5 kg CO2e / item
        claim total = 5.0 kg CO2e / pcs
        claim total = 5 t CO2e
    '''
    per_item, per_pcs, whole = pcf_dsl.load(write(text)).claims
    # By hand: 5 kg CO2e per item x 1000 items = 5000 kg CO2e per declared unit, as 5 t CO2e is.
    assert per_item.value == pytest.approx(5000.0, rel=1e-15) and per_item.resolution == pytest.approx(1000.0)
    assert per_pcs.value == pytest.approx(5000.0, rel=1e-15) and per_pcs.resolution == pytest.approx(100.0)
    assert whole.value == pytest.approx(5000.0, rel=1e-15)
    with pytest.raises(pcf_dsl.PcfError) as info:  # per item, but the declared unit is a mass
        pcf_dsl.load(write(text.replace("1000 items", "1 kg").replace("1 item", "1 kg"), name="bad.pcf"))
    assert [d.code for d in info.value.diagnostics] == ["E343", "E343"]


def test_waivers_and_profiles_are_kept(write):
    model = pcf_dsl.load(write('''
        profile strict "stricter than ISO" {
          rule C001 error
          set  cutoff.per_flow = 0.5 %
          set  note_text = "text value"
        }
        waive M001 main "inputs include packaging that leaves with the product"
        process main {
          stage production
          product out 1 kg
        }
    '''))
    assert model.profiles["strict"].rules == {"C001": "error"}
    assert model.profiles["strict"].params == {"cutoff.per_flow": pytest.approx(0.005), "note_text": "text value"}
    assert model.waivers[0].code == "M001" and model.waivers[0].subject == "main"


def test_locate_resolves_model_paths_to_spans(write):
    model = pcf_dsl.load(write('''
        factor f = 1 kg CO2e / kg
        process main {
          stage production
          product out 1 kg
          input  a 2 kg from f
        }
    '''))
    span = model.locate(("process", "main", "flow", "a"))
    assert (span.line, span.column) == (5, 10)
    amount = model.locate(("process", "main", "flow", "a", "amount"))
    assert (amount.line, amount.column, amount.end_column) == (5, 12, 16)
    assert model.locate(("factor", "f")).line == 1


def test_a_scrap_loop_runs_the_grinding_once_as_language_md_says(footprint):
    # docs/language.md, "A scrap loop": the input from the grinding process runs it for the scrap;
    # a waste line `to` it as well would run it a second time for the same 0.6 kg.
    text = '''
        study "s" {
          declared_unit 1 item of moulding.bottle
        }
        factor resin = 1.8 kg CO2e / kg
        factor grid  = 0.056 kg CO2e / kWh
        process moulding {
          stage   production
          product bottle 1000 item
          input   virgin_pet 12.0 kg from resin
          input   regrind     0.6 kg from regrind.pet
          input   electricity 28 kWh from grid
        }
        process regrind {
          stage   production
          product pet 0.6 kg
          input   electricity 0.12 kWh from grid
        }
    '''
    _, once = footprint(text)
    # By hand, per bottle: (12.0 x 1.8 + 28 x 0.056 + 0.12 x 0.056) / 1000.
    assert once.runs["regrind"] == pytest.approx(1 / 1000, rel=1e-12)
    assert once.total.value == pytest.approx((12.0 * 1.8 + 28 * 0.056 + 0.12 * 0.056) / 1000, rel=1e-12)
    _, twice = footprint(text.replace("input   electricity 28 kWh from grid",
                                      "input   electricity 28 kWh from grid\n          waste   scrap 0.6 kg to regrind"),
                         "both.pcf")
    assert twice.runs["regrind"] == pytest.approx(2 / 1000, rel=1e-12)
    assert twice.total.value - once.total.value == pytest.approx(0.12 * 0.056 / 1000, rel=1e-9)


def test_a_treatment_process_with_its_routes_as_inputs_balances(tmp_path):
    # docs/language.md: the routes of a treatment process, per kg of the waste it takes, balance
    # its product (M001 passes); 55 % + 15 % + 30 % of 14.5 kg = 14.5 kg.
    from pcf_dsl.check import run_check
    (tmp_path / "m.pcf").write_text(textwrap.dedent('''
        study "s" {
          declared_unit 1 item of use.done
        }
        boundary cradle_to_grave
        param recycling_rate    = 55 %
        param landfill_rate     = 15 %
        param incineration_rate = 30 %
        factor recycling    = 0.25 kg CO2e / kg
        factor landfill     = 0.04 kg CO2e / kg
        factor incineration = 2.29 kg CO2e / kg
        process use {
          stage   use
          product done 1000 item
          waste   empty 14.5 kg to eol
        }
        process eol {
          stage   end_of_life
          product treated 14.5 kg
          input   recycled    14.5 kg * recycling_rate from recycling
          input   landfilled  14.5 kg * landfill_rate from landfill
          input   incinerated 14.5 kg * incineration_rate from incineration
        }
    ''').lstrip("\n"), encoding="utf-8")
    outcome = run_check(tmp_path / "m.pcf")
    assert not outcome.invalid
    assert [d for d in outcome.diagnostics if d.code == "M001"] == []
    # By hand, per item: 14.5 x (0.55 x 0.25 + 0.15 x 0.04 + 0.30 x 2.29) / 1000.
    assert outcome.result.total.value == pytest.approx(14.5 * (0.55 * 0.25 + 0.15 * 0.04 + 0.30 * 2.29) / 1000,
                                                      rel=1e-12)

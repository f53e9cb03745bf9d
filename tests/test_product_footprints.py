"""`pcf calc --all-products`: every product's footprint per unit of it, from one factorisation.

Checked against a hand calculation (a loop and mass allocation), against the
reference report, against a second method: `compute` with the declared unit
set to one unit of each product in turn (a forward solve per product, where
the all-products path makes one solve with the transposed matrix), and against
a third without pcf_dsl: the benchmark generator's own matrices solved by numpy.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

import pcf_dsl
from pcf_dsl.cli import main
from pcf_dsl.model import Quantity
from pcf_dsl.products import product_footprints
from pcf_dsl.schema import json_schema

from conftest import benchmark_module

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"

# melt makes 1000 kg of ingot and 250 kg of dross (mass allocation: 0.8 / 0.2) from 900 kg of ore
# (2 kg CO2e/kg, raw material stage), 500 kWh (0.5 kg CO2e/kWh), 1 kg of fossil methane (GWP 29.8)
# and 200 kg of scrap from remelt, which makes 100 t of scrap from 10 t of ingot and 50,000 kWh (per kg:
# 0.1 kg of ingot and 0.5 kWh): a loop. remelt's scrap is written in t, so its footprint is per t.
LOOP_AND_ALLOCATION = """
import "std:gwp/ipcc_ar6.pcf" as ipcc
study "s" {
  declared_unit 1 kg of melt.ingot
  gwp ipcc.ar6
}
factor ore = 2 kg CO2e / kg
factor power = 0.5 kg CO2e / kWh
process melt {
  stage production
  product ingot 1000 kg
  product dross 250 kg
  input  metal 900 kg from ore {
    stage raw_material_acquisition
  }
  input  scrap 200 kg from remelt.scrap
  input  electricity 500 kWh from power
  emit   leak 1 kg CH4_fossil
  allocation mass {
    justification "physical relationship"
  }
}
process remelt {
  stage production
  product scrap 100 t
  input  ingot 10 t from melt.ingot
  input  electricity 50000 kWh from power
}
"""


def _hand_calculation() -> dict[str, dict[str, float]]:
    """kg CO2e per kg of each product, by stage, solved by hand.

    A run of melt carries 1800 (ore) + 250 (power) + 29.8 (methane) kg CO2e of its own,
    plus 200 kg of scrap at s per kg; ingot takes 0.8 of it, dross 0.2. A kg of scrap is
    0.1 kg of ingot at i per kg plus 0.5 kWh (0.25 kg CO2e):
      1000 i = 0.8 (2079.8 + 200 s),  s = 0.1 i + 0.25  =>  984 i = 1663.84 + 40,
    and dross, allocated by mass, is i per kg too. By stage, counting a run of remelt as
    100 kg of scrap (25 kg CO2e): per kg of ingot, 0.8/984 runs of melt and 1.6/984 of
    remelt; per kg of scrap, 0.8 x 0.01/98.4 of melt and 1/98.4 of remelt.
    """
    i = (1663.84 + 40) / 984
    s = 0.1 * i + 0.25
    ingot = {"raw_material_acquisition": 1800 * 0.8 / 984, "production": (279.8 * 0.8 + 25 * 1.6) / 984}
    scrap = {"raw_material_acquisition": 1800 * 0.8 * 0.01 / 98.4, "production": (279.8 * 0.8 * 0.01 + 25) / 98.4}
    assert sum(ingot.values()) == pytest.approx(i, rel=1e-14) and sum(scrap.values()) == pytest.approx(s, rel=1e-14)
    return {"melt.ingot": ingot, "melt.dross": ingot, "remelt.scrap": scrap}


def test_every_product_against_a_hand_calculation(write):
    result = product_footprints(pcf_dsl.load(write(LOOP_AND_ALLOCATION)))
    expected = _hand_calculation()
    per_kg = {"kg": 1.0, "t": 1000.0}  # remelt's scrap is written in t: its footprint is per t
    assert [p.product for p in result.products] == ["melt.ingot", "melt.dross", "remelt.scrap"]
    for product in result.products:
        scale = per_kg[product.per.unit]
        assert product.per.value == 1.0
        assert product.value == pytest.approx(scale * sum(expected[product.product].values()), rel=1e-12)
        for stage, value in expected[product.product].items():
            assert product.by_stage[stage] == pytest.approx(scale * value, rel=1e-12)
        others = {k: v for k, v in product.by_stage.items() if k not in expected[product.product]}
        assert others and all(v == 0.0 for v in others.values())
        assert sum(product.by_stage.values()) == pytest.approx(product.value, rel=1e-14)
    assert result.unit == "kg CO2e" and result.gwp_set == "ipcc.ar6"


def test_the_reference_billet_against_the_report():
    result = product_footprints(pcf_dsl.load(REFERENCE))
    billet = next(p for p in result.products if p.product == "casting.billet")
    # The report: 11.22 kg CO2e per kg of billet; the model writes the billet in t.
    assert billet.per.unit == "t"
    assert billet.value / 1000 == pytest.approx(11.22, abs=0.005)
    # `--per kg` states it per kg, as the report does.
    per_kg = next(p for p in product_footprints(pcf_dsl.load(REFERENCE), per="kg").products
                  if p.product == "casting.billet")
    assert (per_kg.per.unit, per_kg.value) == ("kg", pytest.approx(11.22, abs=0.005))
    assert per_kg.value == pytest.approx(billet.value / 1000, rel=1e-12)


def _generate(n: int, seed: int):
    module = benchmark_module("generate")
    return module, module.generate(n, seed=seed)


def test_generated_systems_against_their_own_matrices(tmp_path):
    """A third method, without pcf_dsl: the generator's own matrices (its unit conversions and AR6
    values), every product's footprint solved densely with numpy as burden A^-1."""
    generate, gen = _generate(300, seed=5)
    result = product_footprints(pcf_dsl.load(gen.write(tmp_path / "generated")))
    index = {k: i for i, k in enumerate(gen.keys)}
    matrix = np.zeros((len(index), len(index)))
    for row, column, value in gen.tech:
        matrix[index[row], index[column]] += value
    burden = np.zeros(len(index))
    for gas, column, mass in gen.bio:
        burden[index[column]] += mass * generate.GWP_AR6[gas]
    expected = np.linalg.solve(matrix.T, burden)
    assert sorted(p.product for p in result.products) == sorted(index)
    for product in result.products:
        assert product.value == pytest.approx(expected[index[product.product]], rel=1e-9, abs=1e-12)


def _declared_unit_of(model, key: str):
    """The model with its declared unit set to one unit of `key` (as written), for compute to solve."""
    _, product = model.activity(key)
    unit_amount = Quantity(value=1.0, unit=product.amount.unit)
    study = model.study.model_copy(update={"declared_unit": model.study.declared_unit.model_copy(
        update={"product": key, "amount": unit_amount})})
    return model.model_copy(update={"study": study})


@pytest.mark.parametrize("source", ["hand", "reference", "generated"])
def test_every_product_equals_compute_with_that_product_as_the_declared_unit(write, tmp_path, source):
    """A second method: one forward solve per product (compute) against the one transposed solve."""
    if source == "hand":
        model = pcf_dsl.load(write(LOOP_AND_ALLOCATION))
    elif source == "reference":
        model = pcf_dsl.load(REFERENCE)
    else:  # loops, allocation, factors in mixed units and several stages: the benchmark's generator
        model = pcf_dsl.load(_generate(150, seed=3)[1].write(tmp_path / "generated"))
    result = product_footprints(model)
    assert len(result.products) == sum(len(p.products) for p in model.processes.values())
    for product in result.products:
        expected = pcf_dsl.compute(_declared_unit_of(model, product.product))
        assert product.value == pytest.approx(expected.total.value, rel=1e-9, abs=1e-12)
        for stage, share in expected.by_stage.items():
            assert product.by_stage[stage] == pytest.approx(share.value, rel=1e-9, abs=1e-12)


def test_cli_text_and_json(write):
    path = str(write(LOOP_AND_ALLOCATION))
    text = CliRunner().invoke(main, ["calc", path, "--all-products"])
    assert text.exit_code == 0, text.output
    hand = _hand_calculation()
    ingot, scrap = sum(hand["melt.ingot"].values()), sum(hand["remelt.scrap"].values())
    raw_share = 100 * hand["melt.ingot"]["raw_material_acquisition"] / ingot
    production_share = 100 * hand["remelt.scrap"]["production"] / scrap
    assert "Footprints of all 3 products" in text.output
    assert f"  melt.ingot    1 kg        {ingot:.4f}  raw_material_acquisition {raw_share:.2f} %" in text.output
    assert f"  remelt.scrap  1 t       {1000 * scrap:.4f}  production {production_share:.2f} %" in text.output

    run = CliRunner().invoke(main, ["calc", path, "--all-products", "--format", "json"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    jsonschema.validate(data, json_schema("products"))
    assert [p["product"] for p in data["products"]] == ["melt.ingot", "melt.dross", "remelt.scrap"]
    assert data["products"][0]["per"] == {"value": 1.0, "unit": "kg"}
    assert data["products"][0]["value"] == pytest.approx(ingot, rel=1e-12)
    assert data["products"][2]["per"] == {"value": 1.0, "unit": "t"}
    # The same model gives the same bytes.
    assert CliRunner().invoke(main, ["calc", path, "--all-products", "--format", "json"]).output == run.output


def test_a_loop_that_cannot_be_scaled_names_its_processes(write):
    path = write("""
        factor f = 1 kg CO2e / kg
        process a {
          stage production
          product out 1 kg
          input  x 1 kg from b.out
          input  y 1 kg from f
        }
        process b {
          stage production
          product out 1 kg
          input  x 1 kg from a.out
        }
    """)
    run = CliRunner().invoke(main, ["calc", str(path), "--all-products"])
    assert run.exit_code == 2
    assert "E520" in run.output and "a <-> b" in run.output and "Traceback" not in run.output


def test_a_loop_that_takes_more_than_it_makes_is_e520_not_negative_footprints(write):
    """b makes 1 kg of out from 1.5 kg of a's out, a 1 kg from 1 kg of b's: per kg of a.out, a runs
    1 / (1 - 1.5) = -2 times. The matrix is not singular, so the footprints came out as numbers: -2 kg CO2e
    for a.out, with exit 0. The unrelated process c keeps the check from hanging on one product's sign."""
    path = write("""
        factor f = 1 kg CO2e / kg
        process a {
          stage production
          product out 1 kg
          input  x 1 kg from b.out
          input  y 1 kg from f
        }
        process b {
          stage production
          product out 1 kg
          input  x 1.5 kg from a.out
        }
        process c {
          stage production
          product out 1 kg
          input  y 3 kg from f
        }
    """)
    run = CliRunner().invoke(main, ["calc", str(path), "--all-products"])
    assert run.exit_code == 2, run.output
    assert "E520" in run.output and "a <-> b" in run.output and "Traceback" not in run.output


def test_a_product_too_small_for_a_float_is_named_not_warned_about(write):
    """LAPACK inverts a matrix with a subnormal product amount without complaint: the footprints came
    out infinite. Such a number is now refused where it is written (E305, before any solve), with no
    numpy warning on stderr."""
    path = write("""
        factor f = 1 kg CO2e / kg
        process a {
          stage production
          product out 1e-320 kg
          input  y 1 kg from f
        }
    """)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = CliRunner().invoke(main, ["calc", str(path), "--all-products"])
    assert run.exit_code == 2
    assert "E305" in run.output and "4:15" in run.output and "too small to represent" in run.output
    assert [str(w.message) for w in caught] == []


def test_a_footprint_too_large_for_a_float_is_e521(write):
    path = write("""
        factor f = 1e300 kg CO2e / kg
        process a {
          stage production
          product out 1e-10 kg
          input  y 1e10 kg from f
        }
    """)
    run = CliRunner().invoke(main, ["calc", str(path), "--all-products"])
    assert run.exit_code == 2
    assert "E521" in run.output and "`a.out`" in run.output and "Traceback" not in run.output


def test_top_with_all_products_is_refused_not_ignored(write):
    path = str(write(LOOP_AND_ALLOCATION))
    run = CliRunner().invoke(main, ["calc", path, "--all-products", "--top", "2"])
    assert run.exit_code == 2 and "--all-products lists every product" in run.output
    assert CliRunner().invoke(main, ["calc", path, "--top", "2"]).exit_code == 0


def test_per_unit_puts_every_product_of_that_kind_in_one_unit(write):
    """`--per kg`: remelt's scrap, written in t, is per kg like the others; `--per t` the reverse."""
    path = str(write(LOOP_AND_ALLOCATION))
    hand = _hand_calculation()
    ingot, scrap = sum(hand["melt.ingot"].values()), sum(hand["remelt.scrap"].values())
    run = CliRunner().invoke(main, ["calc", path, "--all-products", "--per", "kg", "--format", "json"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    jsonschema.validate(data, json_schema("products"))
    assert [p["per"] for p in data["products"]] == [{"value": 1.0, "unit": "kg"}] * 3
    assert [p["value"] for p in data["products"]] == pytest.approx([ingot, ingot, scrap], rel=1e-12)
    assert data["products"][2]["by_stage"]["production"] == pytest.approx(hand["remelt.scrap"]["production"],
                                                                          rel=1e-12)

    by_t = product_footprints(pcf_dsl.load(path), per="t")
    assert [p.per.unit for p in by_t.products] == ["t"] * 3
    assert [p.value for p in by_t.products] == pytest.approx([1000 * ingot, 1000 * ingot, 1000 * scrap], rel=1e-12)
    text = CliRunner().invoke(main, ["calc", path, "--all-products", "--per", "t"]).output
    assert "Footprints of all 3 products, each per one t of it (" in text
    row = next(line for line in text.splitlines() if line.startswith("  remelt.scrap"))
    assert row.split()[:4] == ["remelt.scrap", "1", "t", f"{1000 * scrap:.4f}"]


def test_per_a_unit_of_another_kind_leaves_those_products_as_written_and_says_so(write):
    path = str(write(LOOP_AND_ALLOCATION))
    as_written = product_footprints(pcf_dsl.load(path))
    per_mj = product_footprints(pcf_dsl.load(path), per="MJ")
    assert per_mj.model_dump() == as_written.model_dump()
    text = CliRunner().invoke(main, ["calc", path, "--all-products", "--per", "MJ"]).output
    assert ("each per one MJ of it where its unit converts to MJ (0 of 3), the others per one unit as written"
            in text)


def test_per_is_refused_without_all_products_and_for_a_word_that_is_no_unit(write):
    path = str(write(LOOP_AND_ALLOCATION))
    run = CliRunner().invoke(main, ["calc", path, "--per", "kg"])
    assert run.exit_code == 2 and "--per applies to --all-products" in run.output
    for word in ("kgg", "", "1", "kg/kg", "kg*2"):  # pint reads "", "1" and "kg/kg" as a unit of nothing
        run = CliRunner().invoke(main, ["calc", path, "--all-products", "--per", word])
        assert run.exit_code == 2 and f"`{word}` is not a unit" in run.output and "Traceback" not in run.output
    run = CliRunner().invoke(main, ["calc", path, "--all-products", "--per", "mt"])  # pint: the millitonne
    assert run.exit_code == 2 and "`mt` is ambiguous" in run.output


def test_per_piece_states_products_counted_in_items_per_piece(write):
    # 10 widgets from 5 kg of steel at 2 kg CO2e/kg: 1 kg CO2e a widget, by hand.
    path = str(write("""
        study "s" {
          declared_unit 1 pcs of assemble.widget
        }
        factor ore = 2 kg CO2e / kg
        process assemble {
          stage production
          product widget 10 pcs
          input steel 5 kg from ore
        }
    """))
    [as_written] = product_footprints(pcf_dsl.load(path)).products
    [per_piece] = product_footprints(pcf_dsl.load(path), per="piece").products
    assert (as_written.per.unit, per_piece.per.unit) == ("item", "item")  # pint's short name for pcs and piece
    assert as_written.value == per_piece.value == pytest.approx(1.0, rel=1e-12)
    [per_kg] = product_footprints(pcf_dsl.load(path), per="kg").products
    assert (per_kg.per.unit, per_kg.value) == ("item", pytest.approx(1.0, rel=1e-12))  # a count is no mass


@pytest.mark.parametrize(("options", "heading"), [
    ([], "Footprint of the one product, per one unit of it ("),
    (["--per", "kg"], "Footprint of the one product, per one kg of it ("),
    (["--per", "kWh"], "Footprint of the one product, per one unit of it as written (its unit does not convert to kWh) ("),
])
def test_one_product_is_named_in_the_singular(write, options, heading):
    """It printed "Footprints of all 1 products, each per one unit of it"."""
    path = str(write('''
        process p {
          stage production
          product out 1 t
          emit co2 2 kg CO2e
        }
    '''))
    run = CliRunner().invoke(main, ["calc", path, "--all-products", *options])
    assert run.exit_code == 0, run.output
    assert heading in run.output and "all 1 products" not in run.output

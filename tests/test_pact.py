"""`pcf export --to pact`: PACT ProductFootprint documents, validated against the PACT schemas.

The schemas are the specification's own OpenAPI documents (tests/schemas/pact/, unchanged);
`ProductFootprint` is taken from `components.schemas` and its `$ref`s resolve inside the same
document. Independent values: the reference inventory summed by hand (tests/test_import.py's
table of conversions) and small models whose numbers are worked out in the tests.
"""

from __future__ import annotations

import copy
import json
import textwrap
from functools import lru_cache
from pathlib import Path

import pytest
from click.testing import CliRunner

import pcf_dsl
from pcf_dsl.cli import main
from pcf_dsl.diagnostics import PcfError, render_all
from pcf_dsl.pact import PactOptions, decimal_text, product_footprint

yaml = pytest.importorskip("yaml")
jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "tests" / "schemas" / "pact"
EXAMPLE = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
CSV = ROOT / "tests" / "data" / "aluminium_billet_inventory.csv"

IDS = ["--id", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "--created", "2025-03-01T00:00:00Z", "--status", "Active",
       "--company-id", "urn:pact:company:customcode:buyer-assigned:chuangtai",
       "--product-id", "urn:pact:product:customcode:buyer-assigned:billet", "--fossil-carbon-content", "0"]
OPTIONS = dict(id="3fa85f64-5717-4562-b3fc-2c963f66afa6", created="2025-03-01T00:00:00Z", status="Active",
               company_ids=["urn:pact:company:customcode:buyer-assigned:chuangtai"],
               product_ids=["urn:pact:product:customcode:buyer-assigned:billet"], fossil_carbon_content="0")


@lru_cache(maxsize=8)
def validator(version: str, closed: tuple[str, ...] = ("ProductFootprint",)):
    """A validator for PACT `ProductFootprint` of one version.

    `closed` lists the objects that may hold only the properties the specification defines.
    The top level is closed: properties that v3 removed (`updated`) are refused. The strict
    validator for our own output closes `CarbonFootprint` too.
    """
    api = yaml.safe_load((SCHEMAS / f"openapi-v{version}.yaml").read_text(encoding="utf-8"))
    components = copy.deepcopy(api["components"])
    for name in closed:
        components["schemas"][name]["additionalProperties"] = False
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": components,
            "$ref": "#/components/schemas/ProductFootprint"}
    jsonschema.Draft202012Validator.check_schema(root)
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())


def strict(version: str):
    return validator(version, ("ProductFootprint", "CarbonFootprint"))


def errors(validator_, document) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator_.iter_errors(document))


def spec_examples():
    for path in sorted((SCHEMAS / "examples-v3").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        docs = data["data"] if "data" in data else data
        for doc in docs if isinstance(docs, list) else [docs]:
            yield path.name, doc


# ------------------------------------------------------------------ the validator itself


def test_validator_accepts_the_specifications_examples():
    checked = [(name, errors(validator("3"), doc)) for name, doc in spec_examples()
               if name != "invalid-response-all-properties.json"]
    assert len(checked) == 5
    assert all(not errs for _, errs in checked), checked


def test_validator_rejects_the_invalid_example():
    [(_, doc)] = [(n, d) for n, d in spec_examples() if n == "invalid-response-all-properties.json"]
    assert errors(validator("3"), doc) == [": Additional properties are not allowed ('updated' was unexpected)"]


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["pcf"].pop("fossilGhgEmissions"), "pcf: 'fossilGhgEmissions' is a required property"),
    (lambda d: d.pop("companyIds"), ": 'companyIds' is a required property"),
    (lambda d: d["pcf"].update(declaredUnitAmount="0"), "pcf/declaredUnitAmount: '0' does not match"),
    (lambda d: d["pcf"].update(pcfExcludingBiogenicUptake="1e-5"), "pcf/pcfExcludingBiogenicUptake: '1e-5' does not match"),
    (lambda d: d.update(id="not-a-uuid"), "id: 'not-a-uuid' is not a 'uuid'"),
    (lambda d: d.update(created="2025-1-08T14:47:32Z"), "created: '2025-1-08T14:47:32Z' is not a 'date-time'"),
    (lambda d: d.update(companyIds=["company1"]), "companyIds/0: 'company1' does not match"),
    (lambda d: d["pcf"].update(geographyCountry="CN"), "pcf: {"),  # two geography fields: oneOf fails
    (lambda d: d["pcf"].update(ipccCharacterizationFactors=["6"]), "pcf/ipccCharacterizationFactors/0: '6' does not match"),
])
def test_validator_rejects_broken_documents(change, expected):
    [(_, doc)] = [(n, d) for n, d in spec_examples() if n == "example-1.json"]
    doc = copy.deepcopy(doc)
    change(doc)
    found = errors(validator("3"), doc)
    assert any(e.startswith(expected) for e in found), found


# ------------------------------------------------------------------ exporting the example model


@pytest.fixture(scope="module")
def example():
    model = pcf_dsl.load(EXAMPLE)
    return model, pcf_dsl.compute(model)


def export(args, model=EXAMPLE) -> dict:
    run = CliRunner().invoke(main, ["export", "--to", "pact", str(model), *args])
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout)


def test_v3_export_of_the_example(example):
    model, result = example
    doc = export(IDS)
    assert errors(strict("3"), doc) == []
    pcf = doc["pcf"]
    # The footprint is the computed one, to the last digit, and the report's 11.22 at its precision.
    assert float(pcf["pcfExcludingBiogenicUptake"]) == result.total.value
    assert round(float(pcf["pcfExcludingBiogenicUptake"]), 2) == 11.22
    # No biogenic gas in the model: everything is fossil, uptake 0.
    assert pcf["pcfIncludingBiogenicUptake"] == pcf["fossilGhgEmissions"] == pcf["pcfExcludingBiogenicUptake"]
    assert "biogenicCO2Uptake" not in pcf
    assert (pcf["declaredUnitOfMeasurement"], pcf["declaredUnitAmount"], pcf["productMassPerDeclaredUnit"]) == (
        "kilogram", "1", "1")
    # The study's period 2024-01-01 to 2024-12-31 (inclusive); PACT's end is exclusive.
    assert (pcf["referencePeriodStart"], pcf["referencePeriodEnd"]) == ("2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z")
    assert pcf["geographyCountrySubdivision"] == "CN-JS"
    assert pcf["ipccCharacterizationFactors"] == ["AR6"]
    # The study names GB/T 24067-2024 and PAS 2050:2011. GB/T 24067 is not an identical adoption of
    # ISO 14067 and PACT has no code for it: only PAS 2050 is claimed, not an ISO 14067 the study never names.
    assert pcf["crossSectoralStandards"] == ["PAS2050"]
    assert pcf["exemptedEmissionsPercent"] == "0"
    assert pcf["exemptedEmissionsDescription"].startswith("No emissions were exempted. Cut-off rule: flows below 1 %")
    assert pcf["allocationRulesDescription"].startswith("熔炼、精炼、铸造 / melting, refining and casting: mass allocation")
    assert pcf["boundaryProcessesDescription"].startswith(
        "System boundary cradle-to-gate. raw material acquisition (10.8074 kg CO2e, 96.32 %): "
        'casting.aluminium_ingot "铝锭 / aluminium ingot"; casting.magnesium_ingot_99_95 ')
    assert '"铝硅合金 12% / Al-Si alloy 12%"; casting.al_mn_alloy_20 "铝锰合金 20% / Al-Mn alloy 20%"; and 45 more. ' \
        "production (0.3899 kg CO2e, 3.47 %): " in pcf["boundaryProcessesDescription"]
    assert ('Excluded: distribution ("the billet is sold ex works; delivery to customers is not in the study"); '
            "use (intermediate product") in pcf["boundaryProcessesDescription"]
    # Every line's factor is national or international (secondary): primary data share 0.
    assert pcf["primaryDataShare"] == "0"
    sources = {s["name"]: s["version"] for s in pcf["secondaryEmissionFactorSources"]}
    assert sources["2023 electricity carbon footprint factor (published Feb 2025)"] == "2023"
    assert sources["CPCD (copper)"] == "not stated in the model"
    assert doc["companyName"] == "苏州创泰合金材料有限公司 / Suzhou Chuangtai Alloy Materials Co., Ltd."
    assert (doc["id"], doc["created"], doc["status"], doc["specVersion"]) == (
        "3fa85f64-5717-4562-b3fc-2c963f66afa6", "2025-03-01T00:00:00Z", "Active", "3.0.3")


def test_export_is_deterministic():
    run = lambda: CliRunner().invoke(main, ["export", "--to", "pact", str(EXAMPLE), *IDS]).stdout  # noqa: E731
    assert run() == run()


def test_source_versions_from_the_command_line():
    doc = export(IDS + ["--ef-source-version", "CPCD (copper)=2022"])
    sources = {s["name"]: s["version"] for s in doc["pcf"]["secondaryEmissionFactorSources"]}
    assert sources["CPCD (copper)"] == "2022"


def test_missing_options_are_named(example):
    model, result = example
    with pytest.raises(PcfError) as info:
        product_footprint(model, result, PactOptions())
    assert render_all(info.value.diagnostics) == textwrap.dedent("""\
        error[E701]: PACT needs `id`: the model cannot supply it
          = help: pass --id UUID

        error[E701]: PACT needs `created`: the model cannot supply it
          = help: pass --created 2025-01-31T00:00:00Z

        error[E701]: PACT needs `status`: the model cannot supply it
          = help: pass --status Active (or Deprecated)

        error[E701]: PACT needs `companyIds`: the model cannot supply it
          = help: pass --company-id URN (repeatable)

        error[E701]: PACT needs `productIds`: the model cannot supply it
          = help: pass --product-id URN (repeatable)

        error[E701]: PACT needs `fossilCarbonContent`: the model does not state the product's carbon content (kg C per declared unit)
          = help: pass --fossil-carbon-content KG_C""")


def test_invalid_option_values(example):
    model, result = example
    options = PactOptions(**{**OPTIONS, "id": "12", "created": "yesterday", "company_ids": ["chuangtai"]})
    with pytest.raises(PcfError) as info:
        product_footprint(model, result, options)
    assert [d.message for d in info.value.diagnostics] == [
        "--id `12` is not a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "--created `yesterday` is not a date and time such as 2025-01-31T00:00:00Z",
        "--company-id `chuangtai` is not a URN such as urn:pact:company:customcode:buyer-assigned:4321",
    ]
    run = CliRunner().invoke(main, ["export", "--to", "pact", str(EXAMPLE)])
    assert run.exit_code == 2 and "pass --id UUID" in run.output and "Traceback" not in run.output


# ------------------------------------------------------------------ round trip: table -> model -> PACT


def test_round_trip_from_the_inventory_with_a_tonne_declared_unit(tmp_path):
    """Import the reference CSV with a 1 t declared unit, calc, export v3 and v2.3.

    v3 states the footprint per declared unit (1000 kg); v2.3 per one declared unit
    (1 kg) with unitaryProductAmount 1000. Both come from the same computed total.
    """
    model_path = tmp_path / "billet.pcf"
    run = CliRunner().invoke(main, ["import", str(CSV), "-o", str(model_path), "--product", "billet",
                                    "--process", "casting", "--declared-unit", "1 t",
                                    "--period", "2024-01-01 to 2024-12-31", "--geography", "CN",
                                    "--standard", "ISO 14067:2018", "--standard", "GHG Protocol Product Standard",
                                    "--producer", "Suzhou Chuangtai Alloy Materials Co., Ltd.",
                                    "--product-label", "aluminium alloy billet"])
    assert run.exit_code == 0, run.output
    calc = CliRunner().invoke(main, ["calc", str(model_path), "--format", "json"])
    assert calc.exit_code == 0, calc.output
    total = json.loads(calc.stdout)["total"]["value"]
    # Independent: Table 1 summed by hand (kg CO2e per kg of billet) times 1000 kg.
    from test_import import csv_rows, hand_total

    assert total == pytest.approx(hand_total(csv_rows()) * 1000, rel=1e-12)

    v3 = export(IDS, model_path)
    assert errors(strict("3"), v3) == []
    assert (v3["pcf"]["declaredUnitOfMeasurement"], v3["pcf"]["declaredUnitAmount"]) == ("kilogram", "1000")
    assert v3["pcf"]["productMassPerDeclaredUnit"] == "1000"
    assert float(v3["pcf"]["pcfExcludingBiogenicUptake"]) == total
    assert v3["pcf"]["geographyCountry"] == "CN"
    assert v3["pcf"]["crossSectoralStandards"] == ["ISO14067", "GHGP-Product"]
    # The reported line results were per kg of billet: the claims hold them, not the export.
    assert v3["pcf"]["allocationRulesDescription"] == "No allocation: every process of the model has a single product."

    v2 = export(IDS + ["--pact-version", "2.3", "--pf-version", "1", "--product-category-cpc", "41532",
                       "--biogenic-carbon-content", "0", "--packaging-included"], model_path)
    assert errors(strict("2"), v2) == []
    assert (v2["pcf"]["declaredUnit"], v2["pcf"]["unitaryProductAmount"]) == ("kilogram", "1000")
    assert float(v2["pcf"]["pCfExcludingBiogenic"]) == pytest.approx(total / 1000, rel=1e-15)
    assert round(float(v2["pcf"]["pCfExcludingBiogenic"]), 4) == 11.2206
    assert v2["pcf"]["crossSectoralStandardsUsed"] == ["ISO Standard 14067", "GHG Protocol Product standard"]
    assert v2["pcf"]["characterizationFactors"] == "AR6" and v2["specVersion"] == "2.3.3"
    assert v2["pcf"]["productMassPerDeclaredUnit"] == "1"


def test_a_gbt_24067_claim_is_not_exported_as_iso_14067(write):
    """GB/T 24067-2024 draws on ISO 14067 but is not an identical (IDT) adoption: a study that names
    only GB/T does not claim ISO 14067, and the export once said it did (`ISO14067`)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert '  standard      "PAS 2050:2011"\n' in text
    path = write(text.replace('  standard      "PAS 2050:2011"\n', ""), "billet.pcf")
    (path.parent / "factors.pcf").write_text((EXAMPLE.parent / "factors.pcf").read_text(encoding="utf-8"),
                                             encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    assert model.study.standards == ["GB/T 24067-2024"]
    with pytest.raises(PcfError) as info:
        product_footprint(model, result, PactOptions(**OPTIONS))
    [diagnostic] = info.value.diagnostics
    assert diagnostic.code == "E701" and "`crossSectoralStandards`" in diagnostic.message
    assert "not an identical adoption: name ISO14067 only if the study conforms to ISO 14067 too" in diagnostic.message
    # A study that conforms to both says so, and then ISO 14067 is claimed.
    doc = product_footprint(model, result, PactOptions(**OPTIONS, cross_sectoral_standards=["ISO14067"]))
    assert errors(strict("3"), doc) == [] and doc["pcf"]["crossSectoralStandards"] == ["ISO14067"]
    both = write(text.replace('  standard      "PAS 2050:2011"\n', '  standard      "ISO 14067:2018"\n'), "billet.pcf")
    model = pcf_dsl.load(both)
    doc = product_footprint(model, pcf_dsl.compute(model), PactOptions(**OPTIONS))
    assert doc["pcf"]["crossSectoralStandards"] == ["ISO14067"]


def test_v23_needs_its_own_fields(example):
    model, result = example
    with pytest.raises(PcfError) as info:
        product_footprint(model, result, PactOptions(version="2.3", **OPTIONS))
    helps = [d.help for d in info.value.diagnostics]
    # The study's GB/T 24067 and PAS 2050 are no v2.3 code (its list has no PAS2050): the standard is asked for.
    assert helps == ["pass --pf-version 1", "pass --product-category-cpc CODE",
                     "pass --cross-sectoral-standard ISO14067",
                     "pass --biogenic-carbon-content KG_C", "pass --packaging-included or --packaging-excluded"]


# ------------------------------------------------------------------ fields worked out by hand


BIOGENIC = """\
    import "std:gwp/ipcc_ar6.pcf" as ipcc

    study "Wooden pallet" {
      product       "wooden pallet"
      producer      "Example Co."
      declared_unit 1 kg of sawing.pallet
      period        2024-01-01 to 2024-12-31
      geography     GLO
      standard      "ISO 14067:2018"
      gwp           ipcc.ar6
    }

    boundary cradle_to_gate

    cutoff {
      basis    emissions
      per_flow 1 %
    }

    factor grid = 0.5 kg CO2 / kWh {
      source "grid 2023"
      year   2023
    }
    factor own_meter = 0.2 kg CO2 / kWh {
      source "own measurement"
    }

    process sawing {
      stage   production
      quality activity=continuous factor=national calibration=compliant
      product pallet 1 kg
      input   electricity 2 kWh from grid
      input   pv 1 kWh from own_meter {
        quality activity=continuous factor=measured calibration=compliant
      }
      emit    uptake 1.5 kg CO2_biogenic {
        stage raw_material_acquisition
      }
      emit    rot 0.01 kg CH4_biogenic
      input   glue 0.001 kg cutoff "below the cut-off" {
        estimate 0.02 kg CO2e
      }
    }
"""


def test_biogenic_cutoff_and_primary_share(write):
    # an uptake of 1.5 kg would bring the total below zero, where the cut-off has no percentage (below)
    path = write(BIOGENIC.replace("emit    uptake 1.5", "emit    uptake -1.0"))
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    doc = product_footprint(model, result, PactOptions(**OPTIONS))
    assert errors(strict("3"), doc) == []
    pcf = doc["pcf"]
    fossil = 2 * 0.5 + 1 * 0.2                # kg CO2 from electricity and the own meter
    ch4 = 0.01 * 27.0                          # CH4 non-fossil, AR6
    uptake = -1.0                              # kg CO2 biogenic, GWP 1
    total = fossil + ch4 + uptake
    assert total + 0.02 > 0
    assert float(pcf["pcfIncludingBiogenicUptake"]) == pytest.approx(total, rel=1e-12)
    assert float(pcf["pcfExcludingBiogenicUptake"]) == pytest.approx(total - uptake, rel=1e-12)
    assert float(pcf["fossilGhgEmissions"]) == pytest.approx(fossil, rel=1e-12)
    assert float(pcf["biogenicCO2Uptake"]) == pytest.approx(uptake, rel=1e-12)
    assert float(pcf["biogenicNonCO2Emissions"]) == pytest.approx(ch4, rel=1e-12)
    # Cut off: 0.02 kg CO2e of a footprint that would be total + 0.02 without the cut-off.
    assert float(pcf["exemptedEmissionsPercent"]) == pytest.approx(0.02 / (total + 0.02) * 100, rel=1e-12)
    assert pcf["exemptedEmissionsDescription"].startswith("Cut off: sawing.glue (below the cut-off).")
    # Primary: the line whose factor is measured (0.2 kg CO2e) of the PCF excluding uptake.
    assert float(pcf["primaryDataShare"]) == pytest.approx(0.2 / (total - uptake) * 100, rel=1e-12)
    assert pcf["secondaryEmissionFactorSources"] == [{"name": "grid 2023", "version": "2023"}]
    assert not any(k.startswith("geography") for k in pcf)  # GLO: all three undefined
    assert doc["productNameCompany"] == doc["productDescription"] == "wooden pallet"


def test_cutoff_without_estimate_asks_for_the_percentage(write):
    path = write(BIOGENIC.replace("    estimate 0.02 kg CO2e\n", ""))
    model = pcf_dsl.load(path)
    with pytest.raises(PcfError) as info:
        product_footprint(model, pcf_dsl.compute(model), PactOptions(**OPTIONS))
    [diagnostic] = info.value.diagnostics
    assert diagnostic.help == "pass --exempted-emissions-percent PERCENT"
    assert "sawing.glue" in diagnostic.message
    doc = product_footprint(model, pcf_dsl.compute(model), PactOptions(**OPTIONS, exempted_percent="0.5"))
    assert doc["pcf"]["exemptedEmissionsPercent"] == "0.5"


@pytest.mark.parametrize("value, text", [(11.220581945225108, "11.220581945225108"), (1e-05, "0.00001"),
                                         (0.0, "0"), (-1.5, "-1.5"), (1000.0, "1000"), (2.5e20, "250000000000000000000")])
def test_decimal_text(value, text):
    assert decimal_text(value) == text
    assert float(text) == value


V23 = dict(version="2.3", pf_version=1, product_category_cpc="1", biogenic_carbon_content="0",
           packaging_included=False)


def test_credits_that_outweigh_the_emissions_give_no_percentages(write):
    """With removals larger than the emissions, estimate ÷ (total + estimate) was a negative
    exemptedEmissionsPercent (v2.3 refuses it: minimum 0), and a measured credit made primaryDataShare
    a negative "share" of the PCF. The first is asked for, the second left out as unknown."""
    path = write(BIOGENIC.replace("emit    uptake 1.5", "emit    uptake -5"))
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    # by hand: 2 kWh x 0.5 + 1 kWh x 0.2 kg CO2, 0.01 kg CH4 x 27.0, -5 kg CO2 biogenic
    total = 2 * 0.5 + 1 * 0.2 + 0.01 * 27.0 - 5
    assert result.total.value == pytest.approx(total, rel=1e-12) and total + 0.02 < 0
    with pytest.raises(PcfError) as info:
        product_footprint(model, result, PactOptions(**OPTIONS))
    [diagnostic] = info.value.diagnostics
    assert diagnostic.code == "E701" and "exemptedEmissionsPercent" in diagnostic.message
    assert "credits or removals outweigh the emissions" in diagnostic.message
    assert diagnostic.help == "pass --exempted-emissions-percent PERCENT"
    for version, options in (("3", OPTIONS), ("2", {**OPTIONS, **V23})):
        doc = product_footprint(model, result, PactOptions(**options, exempted_percent="0.5"))
        assert errors(strict(version), doc) == [], version
        # primary: the measured 0.2 kg CO2 of the PCF without the uptake, 1.47 kg CO2e
        assert float(doc["pcf"]["primaryDataShare"]) == pytest.approx(0.2 / (total + 5) * 100, rel=1e-12)

    # A measured credit of 1 kg CO2 outweighs the measured 0.2: primary -0.8 of 0.47 kg CO2e is no share.
    path = write(BIOGENIC.replace("emit    uptake 1.5", "emit    uptake -1.5").replace(
        "emit    rot", "emit    credit -1 kg CO2 {\n        quality activity=continuous factor=measured "
                       "calibration=compliant\n      }\n      emit    rot"))
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    assert result.total.value == pytest.approx(1.0 + 0.2 - 1 + 0.27 - 1.5, rel=1e-12)
    for version, options in (("3", OPTIONS), ("2", {**OPTIONS, **V23})):
        doc = product_footprint(model, result, PactOptions(**options, exempted_percent="0.5"))
        assert errors(strict(version), doc) == [], version
        assert "primaryDataShare" not in doc["pcf"]


ALLOCATED = """\
    import "std:gwp/ipcc_ar6.pcf" as ipcc

    study "Widgets" {
      product       "widget"
      producer      "Widget Co"
      declared_unit 1 kg of assembly.widget
      period        2024-01-01 to 2024-12-31
      standard      "ISO 14067:2018"
      gwp           ipcc.ar6
    }

    boundary cradle_to_gate

    factor power = 0.5 kg CO2e / kWh
    factor film = 3 kg CO2e / kg

    process smelt "smelting" {
      stage   raw_material_acquisition
      product metal 3 kg
      product dross 1 kg
      input   electricity 4 kWh from power
      allocation mass {
        justification "sold by weight"
      }
    }

    process refine "refining" {
      stage   production
      product ingot 1 kg
      product slag 2 kg
      input   metal 1 kg from smelt.metal
      input   electricity 1 kWh from power
      allocation economic {
        property ingot 10 CNY / kg
        property slag 1 CNY / kg
        justification "prices of 2024"
      }
    }

    process assembly "assembly, final" {
      stage   production
      product widget 1 kg
      input   ingot 1 kg from refine.ingot
      input   electricity 2 kWh from power
      input   wrap "secondary packaging film, LDPE" 0.1 kg from film
    }
"""


def test_allocation_description_gives_the_shares_computed_from_the_basis(write):
    """A mass or economic allocation without `share` lines: the shares the computation applied, with
    the masses and prices they follow from (they appeared nowhere in the document)."""
    path = write(ALLOCATED)
    doc = export(IDS, model=path)
    # by hand: the products' masses 3 kg and 1 kg; amount x price 1 kg x 10 and 2 kg x 1 CNY
    metal, ingot = 3 / (3 + 1), 1 * 10 / (1 * 10 + 2 * 1)
    # pcf calc applies these shares: refining's 1 kWh x 0.5 is carried by the ingot at its share, and
    # smelting runs for the ingot's share of 1 kg of metal out of 3 kg, at the metal's share
    calc = json.loads(CliRunner().invoke(main, ["calc", str(path), "--format", "json"]).stdout)
    lines = {(f["process"], f["flow"]): f["value"] for f in calc["by_flow"]}
    assert lines[("refine", "electricity")] == pytest.approx(1 * 0.5 * ingot, rel=1e-12)
    assert lines[("smelt", "electricity")] == pytest.approx(4 * 0.5 * metal * (1 * ingot / 3), rel=1e-12)
    assert doc["pcf"]["allocationRulesDescription"] == (
        f"smelting: mass allocation, metal {metal * 100:.2f} %, dross {(1 - metal) * 100:.2f} % "
        "(from the products' masses: metal 3 kg, dross 1 kg). sold by weight. "
        f"refining: economic allocation, ingot {ingot * 100:.2f} %, slag {(1 - ingot) * 100:.2f} % "
        "(from each product's amount × its economic property: ingot 1 kg × 10 CNY / kg, slag 2 kg × 1 CNY / kg). "
        "prices of 2024.")
    assert "metal 75.00 %" in doc["pcf"]["allocationRulesDescription"]
    assert "ingot 83.33 %, slag 16.67 %" in doc["pcf"]["allocationRulesDescription"]


def test_boundary_description_lists_lines_in_one_unambiguous_form(write):
    """The lines of a stage were labels, or keys when unlabelled, joined by commas: a label with a
    comma ("secondary packaging film, LDPE") read as two lines. Each is now its key with its label
    quoted, `; ` between them."""
    path = write(ALLOCATED)
    doc = export(IDS, model=path)
    # by hand: assembly 2 kWh x 0.5 = 1; refining 1 kWh x 0.5 x 10 / 12; film 0.1 kg x 3 = 0.3;
    # smelting 4 kWh x 0.5 x 3/4 x (10/12) / 3
    production, raw = 2 * 0.5 + 0.5 * 10 / 12 + 0.1 * 3, 4 * 0.5 * 0.75 * (10 / 12) / 3
    calc = json.loads(CliRunner().invoke(main, ["calc", str(path), "--format", "json"]).stdout)
    assert calc["by_stage"]["production"]["value"] == pytest.approx(production, rel=1e-12)
    total = production + raw
    assert doc["pcf"]["boundaryProcessesDescription"] == (
        f"System boundary cradle-to-gate. raw material acquisition ({raw:.4f} kg CO2e, {raw / total * 100:.2f} %): "
        f"smelt.electricity. production ({production:.4f} kg CO2e, {production / total * 100:.2f} %): "
        'assembly.electricity; refine.electricity; assembly.wrap "secondary packaging film, LDPE". '
        "Excluded: distribution (outside the cradle-to-gate boundary); use (outside the cradle-to-gate boundary); "
        "end of life (outside the cradle-to-gate boundary).")


def test_boundary_description_escapes_a_label_s_own_quotes(write):
    """A label with quotes of its own (`film "LDPE" 30 um`) ended the quoted label early: its quotes are
    escaped as the language writes them, so the line still reads as one key and one label."""
    path = write(ALLOCATED.replace('"secondary packaging film, LDPE"', r'"secondary packaging film \"LDPE\" 30 um"'))
    description = export(IDS, model=path)["pcf"]["boundaryProcessesDescription"]
    assert 'assembly.wrap "secondary packaging film \\"LDPE\\" 30 um". ' in description
    assert description.count('"') == 4  # the label's two, and its own two, escaped


SEPARATORS = '''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Separators" {
  product       "part"
  producer      "Part Co"
  declared_unit 1 kg of make.part
  period        2024-01-01 to 2024-12-31
  standard      "ISO 14067:2018"
  gwp           ipcc.ar6
}

stage waste_treatment "废弃物处理 / waste treatment"

boundary cradle_to_gate {
  include waste_treatment
  exclude distribution "sold ex works; the buyer collects it"
}

factor grid = 0.5 kg CO2e / kWh
factor landfill = 0.2 kg CO2e / kg

process make {
  stage   production
  product part 1 kg
  input   electricity 2 kWh from grid
  input   release_agent 0.01 kg cutoff "no factor; below 0.1 % by mass" {
    estimate 0.001 kg CO2e
  }
  input   disposal 0.5 kg from landfill {
    stage waste_treatment
  }
}
'''


def test_boundary_description_names_stages_in_one_language_and_keeps_lists_unambiguous(write):
    """A custom stage printed its whole bilingual label ("废弃物处理 / waste treatment") beside the
    standard stages' English names; and a reason holding "; " read as two items of a `; ` list.
    Stages are now named in English, and an item holding the separator is quoted."""
    doc = export(IDS, model=write(SEPARATORS))
    text = doc["pcf"]["boundaryProcessesDescription"]
    # by hand: production 2 kWh x 0.5 = 1; waste treatment 0.5 kg x 0.2 = 0.1; total 1.1
    assert "production (1.0000 kg CO2e, 90.91 %): make.electricity." in text
    assert "waste treatment (0.1000 kg CO2e, 9.09 %): make.disposal." in text
    assert "废弃物处理" not in text
    assert text.endswith('Excluded: distribution ("sold ex works; the buyer collects it"); '
                         "use (outside the cradle-to-gate boundary); end of life (outside the cradle-to-gate boundary).")
    exempted = doc["pcf"]["exemptedEmissionsDescription"]
    assert exempted.startswith('Cut off: make.release_agent ("no factor; below 0.1 % by mass").'), exempted

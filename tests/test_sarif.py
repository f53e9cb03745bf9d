"""`pcf check --format sarif`: valid SARIF 2.1.0 (the official schema), as GitHub code scanning reads it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from pcf_dsl.cli import main
from pcf_dsl.rules import registry

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

WAIVED_MODEL = '''
import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Waived" {
  declared_unit 1 kg of casting.billet
  standard      "ISO 14067:2018"
  gwp           ipcc.ar6
}

boundary cradle_to_gate

cutoff {
  per_flow 1 %
}

factor ingot = 17.6 t CO2e / t

process casting {
  stage   production
  product billet 1 t
  input   aluminium 1.3 t from ingot
}

claim total = 20.0 kg CO2e

waive M001 casting "returned scrap, recorded in the plant's balance"
'''


def _sarif(args) -> tuple[int, dict]:
    run = CliRunner().invoke(main, ["check", "--format", "sarif", *args])
    return run.exit_code, json.loads(run.stdout)


def _validate(document: dict) -> None:
    validator = jsonschema.validators.validator_for(SCHEMA)
    validator.check_schema(SCHEMA)
    errors = sorted(validator(SCHEMA).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_reference_model_sarif_is_valid_and_complete():
    code, document = _sarif([str(REFERENCE)])
    assert code == 1
    _validate(document)
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules[: len(registry())]] == list(registry())
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].endswith(".pcf")
        assert location["region"]["startLine"] >= 1
        assert len(result["partialFingerprints"]["pcfFinding/v1"]) == 32
    q003 = [r for r in run["results"] if r["ruleId"] == "Q003"]
    assert len(q003) == 1 and q003[0]["level"] == "error"
    assert q003[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 328
    assert run["invocations"][0]["exitCode"] == 1


def test_a_path_with_spaces_and_chinese_is_a_percent_encoded_uri(tmp_path, monkeypatch):
    """artifactLocation.uri is a URI reference (RFC 3986): no spaces, non-ASCII percent-encoded, and it
    decodes back to the path the finding is in (it was written as the plain path)."""
    from urllib.parse import unquote

    folder = tmp_path / "子 dir"
    folder.mkdir()
    for name in ("aluminium_billet.pcf", "factors.pcf"):
        (folder / name.replace("aluminium_billet", "模型 one")).write_bytes((REFERENCE.parent / name).read_bytes())
    monkeypatch.chdir(tmp_path)
    code, document = _sarif(["子 dir/模型 one.pcf"])
    assert code == 1
    _validate(document)
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in document["runs"][0]["results"] for loc in result["locations"]}
    assert "%E5%AD%90%20dir/%E6%A8%A1%E5%9E%8B%20one.pcf" in uris
    assert all(" " not in uri and uri.isascii() for uri in uris)
    assert {unquote(uri) for uri in uris} <= {"子 dir/模型 one.pcf", "子 dir/factors.pcf"}


def test_fingerprints_are_unique_and_output_is_deterministic():
    _, first = _sarif([str(REFERENCE)])
    _, second = _sarif([str(REFERENCE)])
    assert first == second
    prints = [r["partialFingerprints"]["pcfFinding/v1"] for r in first["runs"][0]["results"]]
    assert len(prints) == len(set(prints))


def test_waived_finding_is_a_suppressed_result(tmp_path, monkeypatch):
    (tmp_path / "waived.pcf").write_text(WAIVED_MODEL, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, document = _sarif(["waived.pcf"])
    _validate(document)
    results = document["runs"][0]["results"]
    m001 = [r for r in results if r["ruleId"] == "M001"]
    assert len(m001) == 1
    (suppression,) = m001[0]["suppressions"]
    assert suppression["kind"] == "inSource"
    assert suppression["justification"] == "returned scrap, recorded in the plant's balance"
    waiver_line = WAIVED_MODEL.split("\n").index('waive M001 casting "returned scrap, recorded in the plant\'s balance"') + 1
    assert suppression["location"]["physicalLocation"]["region"]["startLine"] == waiver_line
    # computed: 1.3 t x 17.6 t CO2e/t per t of billet = 22.88 kg CO2e per kg; claimed 20.0:
    # |22.88 - 20.0| = 2.88 > 5 % x 22.88 = 1.144, so R001 stays an error and the exit code is 1
    r001 = [r for r in results if r["ruleId"] == "R001"]
    assert len(r001) == 1 and r001[0]["level"] == "error" and "suppressions" not in r001[0]
    assert r001[0]["properties"]["evidence"]["computed"] == pytest.approx(1.3 * 17.6, rel=1e-12)
    assert code == 1


def test_invalid_input_is_valid_sarif_with_the_builder_code(tmp_path, monkeypatch):
    (tmp_path / "bad.pcf").write_text("process p {\n  stage production\n  product out 1 t\n  input s 0.3 t from steel\n}\n",
                                      encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, document = _sarif(["bad.pcf"])
    assert code == 2
    _validate(document)
    results = document["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["E202"]
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (4, 22)
    rule = document["runs"][0]["tool"]["driver"]["rules"][results[0]["ruleIndex"]]
    assert rule["id"] == "E202" and "Invalid input" in rule["shortDescription"]["text"]

"""`pcf schema`: JSON Schemas of the model and of `pcf calc --format json`, checked on real output."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import pcf_dsl
from pcf_dsl.cli import main

jsonschema = pytest.importorskip("jsonschema")

EXAMPLE = str(Path(__file__).resolve().parents[1] / "examples" / "aluminium_billet" / "aluminium_billet.pcf")


def schema(what: str) -> dict:
    run = CliRunner().invoke(main, ["schema", "--what", what])
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    jsonschema.Draft202012Validator.check_schema(data)
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return data


def validate(data_schema: dict, document) -> list[str]:
    validator = jsonschema.Draft202012Validator(data_schema)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document))


def test_calc_output_matches_its_schema():
    calc = CliRunner().invoke(main, ["calc", EXAMPLE, "--format", "json"])
    document = json.loads(calc.stdout)
    calc_schema = schema("calc")
    assert validate(calc_schema, document) == []
    broken = copy.deepcopy(document)
    del broken["total"]
    broken["by_stage"]["production"]["value"] = "0.39"
    assert validate(calc_schema, broken) == [": 'total' is a required property",
                                             "by_stage/production/value: '0.39' is not of type 'number'"]


def test_model_dump_matches_its_schema():
    model = pcf_dsl.load(EXAMPLE)
    document = model.model_dump(mode="json")
    model_schema = schema("model")
    assert validate(model_schema, document) == []
    assert "span" not in json.dumps(model_schema["$defs"]["Flow"]["properties"])  # positions are not data
    broken = copy.deepcopy(document)
    broken["processes"]["casting"]["flows"][0]["kind"] = "output"
    [error] = validate(model_schema, broken)
    assert error.startswith("processes/casting/flows/0/kind: 'output' is not one of")


def test_schema_is_deterministic():
    first = CliRunner().invoke(main, ["schema"]).stdout
    assert first == CliRunner().invoke(main, ["schema", "--what", "model"]).stdout


@pytest.mark.parametrize("what, command", [("check", ["check", "--format", "json"]),
                                           ("verify", ["verify", "--format", "json"])])
def test_check_and_verify_output_match_the_schemas_pcf_schema_prints(what, command):
    from pathlib import Path

    model = str(Path(__file__).resolve().parents[1] / "examples" / "aluminium_billet" / "aluminium_billet.pcf")
    run = CliRunner().invoke(main, [*command, model])
    assert run.exit_code in (0, 1), run.output
    document = json.loads(run.stdout)
    assert validate(schema(what), document) == []
    broken = {k: v for k, v in document.items() if k != "schema"}
    assert validate(schema(what), broken)  # a document without its schema tag is refused

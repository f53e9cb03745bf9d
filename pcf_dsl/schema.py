"""JSON Schemas of what pcf_dsl reads and writes, so that other tools can consume it.

`model` (the loaded model, `Model.model_dump(mode="json")`), `calc` (the
JSON of `pcf calc --format json`, `Result`) and `products` (the JSON of
`pcf calc --all-products --format json`) are generated from the pydantic
models, so they cannot drift from the code. `check` and `verify` are written
by hand beside this module (pcf_dsl/schemas/), and the tests validate every
output of those commands against them.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from pydantic import BaseModel

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# name -> (module, class, what it describes)
SCHEMAS: dict[str, tuple[str, str, str]] = {
    "model": ("pcf_dsl.model", "Model", "a loaded model: study, stages, factors, processes, claims (no file positions)"),
    "calc": ("pcf_dsl.compute", "Result", "the JSON of `pcf calc --format json`: kg CO2e per declared unit"),
    "products": ("pcf_dsl.products", "ProductFootprints",
                 "the JSON of `pcf calc --all-products --format json`: kg CO2e per unit of each product"),
}
# name -> (file in pcf_dsl/schemas, what it describes)
SCHEMA_FILES: dict[str, tuple[str, str]] = {
    "check": ("pcf-check-1.schema.json", "the JSON of `pcf check --format json` (pcf-check/1)"),
    "verify": ("pcf-verify-1.schema.json", "the JSON of `pcf verify --format json` (pcf-verify/1)"),
}


def available() -> dict[str, str]:
    """The schemas this installation can describe, with what each is."""
    return {**{name: about for name, (_, _, about) in SCHEMAS.items()},
            **{name: about for name, (_, about) in SCHEMA_FILES.items()}}


def json_schema(what: str) -> dict:
    """The JSON Schema (draft 2020-12) of one output, e.g. `json_schema("calc")`."""
    if what in SCHEMA_FILES:
        return json.loads((SCHEMA_DIR / SCHEMA_FILES[what][0]).read_text(encoding="utf-8"))
    if what not in SCHEMAS:
        raise KeyError(f"no schema `{what}`; known: {', '.join(available())}")
    module, name, about = SCHEMAS[what]
    cls: type[BaseModel] = getattr(importlib.import_module(module), name)
    schema = cls.model_json_schema(mode="serialization")
    return {"$schema": DIALECT, "$comment": f"pcf_dsl {what}: {about}", **schema}

"""JSON Schemas of what pcf_dsl reads and writes, so that other tools can consume it.

Generated from the pydantic models, so they cannot drift from the code:
`model` is the loaded model (`Model.model_dump(mode="json")`), `calc` the JSON
of `pcf calc --format json` (`Result`). A JSON output that another module
describes with a pydantic model is added to `SCHEMAS` by name.
"""

from __future__ import annotations

import importlib

from pydantic import BaseModel

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# name -> (module, class, what it describes)
SCHEMAS: dict[str, tuple[str, str, str]] = {
    "model": ("pcf_dsl.model", "Model", "a loaded model: study, stages, factors, processes, claims (no file positions)"),
    "calc": ("pcf_dsl.compute", "Result", "the JSON of `pcf calc --format json`: kg CO2e per declared unit"),
}


def available() -> dict[str, str]:
    """The schemas this installation can describe, with what each is."""
    return {name: about for name, (_, _, about) in SCHEMAS.items()}


def json_schema(what: str) -> dict:
    """The JSON Schema (draft 2020-12) of one output, e.g. `json_schema("calc")`."""
    if what not in SCHEMAS:
        raise KeyError(f"no schema `{what}`; known: {', '.join(SCHEMAS)}")
    module, name, about = SCHEMAS[what]
    cls: type[BaseModel] = getattr(importlib.import_module(module), name)
    schema = cls.model_json_schema(mode="serialization")
    return {"$schema": DIALECT, "$comment": f"pcf_dsl {what}: {about}", **schema}

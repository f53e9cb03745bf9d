"""`pcf schema`: the JSON Schema of the model and of the JSON outputs, for other tools."""

from __future__ import annotations

from pathlib import Path

import click

from ..schema import available, json_schema
from .common import dumps, emit, output_option


@click.command("schema")
@click.option("--what", type=click.Choice(list(available())), default="model", show_default=True,
              help="model: a loaded model; calc, check, verify: the JSON of that command's --format json; "
                   "products: the JSON of `pcf calc --all-products --format json`.")
@output_option()
def command(what: str, output: Path | None) -> None:
    """Print the JSON Schema (draft 2020-12) of a model or of a JSON output."""
    emit(dumps(json_schema(what)), output)

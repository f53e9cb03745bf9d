"""`pcf chart FILE`: Figure 2, the footprint by life-cycle stage, as a bar chart or a pie (matplotlib)."""

from __future__ import annotations

from pathlib import Path

import click

from ..build import load
from ..chart import DEFAULT_TOP, FORMATS, KINDS, chart
from .common import (
    allow_outside_option,
    model_argument,
    output_option,
    readable,
    refuse_output_over_input,
    root_option,
    write_atomic,
)


@click.command("chart")
@model_argument
@click.option("--kind", type=click.Choice(KINDS), default="bar", show_default=True,
              help="bar: stages and the largest flows; pie: stages.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: from the -o file's extension, else svg).")
@output_option()
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the stage names, titles and notes.")
@click.option("--top", type=click.IntRange(0), default=DEFAULT_TOP, show_default=True,
              help="Largest flows shown under the stages in the bar chart (0: none).")
@root_option
@allow_outside_option
def command(file: Path, kind: str, fmt: str | None, output: Path | None, lang: str, top: int,
            root, allow_outside_root: bool) -> None:
    """Chart the footprint of FILE by life-cycle stage, with the value and share written on each bar."""
    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        fmt = suffix if suffix in FORMATS else "svg"
    model = load(file, root=root, allow_outside_root=allow_outside_root)
    refuse_output_over_input(output, file, model.files)
    data = chart(model, kind=kind, lang=lang, top=top, fmt=fmt)
    if fmt == "svg":
        data = readable(data)  # the labels in its comments, on the terminal without -o: XML cannot hold most anyway
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stream
    else:
        write_atomic(output, data)

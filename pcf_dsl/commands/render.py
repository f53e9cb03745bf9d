"""`pcf render FILE`: the system boundary diagram with the computed results (Graphviz)."""

from __future__ import annotations

from pathlib import Path

import click

from ..build import load
from ..render import DEFAULT_PROCESSES, DEFAULT_TOP, FORMATS, ToolMissing, render
from .common import (
    InputError,
    allow_outside_option,
    model_argument,
    output_option,
    readable,
    refuse_output_over_input,
    root_option,
    write_atomic,
)


@click.command("render")
@model_argument
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: from the -o file's extension, else svg).")
@output_option()
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the stage names, title and legend.")
@click.option("--top", type=click.IntRange(1), default=DEFAULT_TOP, show_default=True,
              help="Background inputs shown one by one per process and stage; the rest are grouped.")
@click.option("--processes", type=click.IntRange(1), default=DEFAULT_PROCESSES, show_default=True,
              help="Processes drawn one by one, the largest first (and the reference process); the rest of "
                   "each stage are grouped into one node. Graphviz takes minutes on hundreds of processes.")
@click.option("--detail", is_flag=True, help="Show every process and every input; group none.")
@root_option
@allow_outside_option
def command(file: Path, fmt: str | None, output: Path | None, lang: str, top: int, processes: int, detail: bool,
            root, allow_outside_root: bool) -> None:
    """Draw the system boundary diagram of FILE: stages, processes, inputs and results per declared unit."""
    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        fmt = suffix if suffix in FORMATS else "svg"
    model = load(file, root=root, allow_outside_root=allow_outside_root)
    refuse_output_over_input(output, file, model.files)
    try:
        data = render(model, fmt=fmt, lang=lang, top=top, detail=detail, processes=processes)
    except ToolMissing as exc:
        raise InputError(str(exc)) from None
    if fmt in ("svg", "dot"):
        data = readable(data)  # the model's labels, on the terminal without -o
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stream
    else:
        write_atomic(output, data)

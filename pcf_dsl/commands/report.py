"""`pcf report FILE`: the PCF report, HTML (self-contained) or Markdown (with its figures beside it)."""

from __future__ import annotations

from pathlib import Path

import click

from ..check import run_check
from ..diagnostics import PcfError, printable
from ..render import ToolMissing
from ..report import FORMATS, report
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


@click.command("report")
@model_argument
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="html: one self-contained file; md: Markdown with the figures as SVG files beside it "
                   "(default: from the -o file's extension, else html).")
@output_option()
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the report.")
@root_option
@allow_outside_option
def command(file: Path, fmt: str | None, output: Path | None, lang: str, root, allow_outside_root: bool) -> None:
    """Write the carbon footprint report of FILE, with its diagram, chart, inventory and verification findings."""
    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        fmt = {"md": "md", "markdown": "md"}.get(suffix, "html")
    outcome = run_check(file, root=root, allow_outside_root=allow_outside_root)
    refuse_output_over_input(output, file, outcome.model.files if outcome.model is not None else ())
    if outcome.invalid or outcome.result is None:
        if outcome.model is not None and outcome.model.study is None:
            raise InputError(f"{file}: the model has no study block (no declared unit), so there is "
                                       "nothing to report; report the file that declares the study")
        raise PcfError(outcome.errors or outcome.diagnostics)
    stem = output.stem if output is not None else None
    try:
        written = report(outcome.model, outcome.result, outcome, fmt=fmt, lang=lang, figure_stem=stem)
    except ToolMissing:
        # Not render's wording: `--format dot` is no way out for a report, which needs the drawn diagram.
        raise InputError("Graphviz's `dot` program is not installed, so the report's diagram cannot be drawn: "
                         "install Graphviz (Debian: `apt-get install graphviz`; scripts/setup does it)") from None
    # The model's labels and the file name, for a person to read: control characters as U+FFFD, as a
    # diagnostic shows them (HTML does not allow them either).
    text = printable(written.text)
    if output is None:
        click.echo(text, nl=False)
        return
    for name, data in written.files.items():  # figures first: the report never links a missing file
        write_atomic(output.parent / name, readable(data))
    write_atomic(output, text)

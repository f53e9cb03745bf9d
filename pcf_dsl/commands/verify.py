"""`pcf verify FILE`: the compliance checklist a verifier attaches to a verification statement.

One row per requirement of each profile (pass, fail, warning, waived, n/a)
with its evidence; text, Markdown or JSON (schema pcf-verify/1). Exit codes
as `pcf check`.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..check import run_check
from ..diagnostics import printable
from ..checklist import checklist_json, render_markdown, render_text
from .check import profile_option, text_blocks
from .common import (allow_outside_option, dumps, emit, emit_pieces, model_argument, output_option,
                     refuse_output_over_input, root_option, say)


@click.command("verify")
@model_argument
@profile_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the text and Markdown checklist, as `pcf report --lang`; JSON is the same in both.")
@output_option()
@root_option
@allow_outside_option
@click.pass_context
def command(ctx: click.Context, file: Path, profile: str | None, fmt: str, lang: str, output: Path | None, root,
            allow_outside_root: bool) -> None:
    """Print the compliance checklist of FILE under its profiles: exit 0, 1 with failed requirements, 2 invalid."""
    outcome = run_check(file, root=root, allow_outside_root=allow_outside_root, profile=profile)
    refuse_output_over_input(output, file, outcome.model.files if outcome.model is not None else ())
    if outcome.invalid:
        emit_pieces(text_blocks(outcome, file), None, err=True)  # as `pcf check` reports an invalid model
        ctx.exit(outcome.exit_code)
    if outcome.result is None:
        say(f"{file}: nothing to verify: the file has no study (a library of factors, GWP sets or profiles)")
        ctx.exit(2)
    # JSON is for programs: its requirement and clause are the rules' English whatever --lang says.
    data = checklist_json(outcome, str(file), "en" if fmt == "json" else lang)
    # Text and Markdown name the file and quote the model: a person reads them, as a diagnostic.
    text = (dumps(data) if fmt == "json" else
            printable(render_markdown(data, lang) if fmt == "markdown" else render_text(data, lang)))
    emit(text, output)
    ctx.exit(outcome.exit_code)

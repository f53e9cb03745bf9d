"""`pcf check FILE`: parse, validate and verify a model; every problem with its place in the file."""

from __future__ import annotations

from pathlib import Path

import click

from ..check import run_check
from ..diagnostics import render_all
from .common import allow_outside_option, model_argument, root_option


@click.command("check")
@model_argument
@root_option
@allow_outside_option
@click.pass_context
def command(ctx: click.Context, file: Path, root, allow_outside_root: bool) -> None:
    """Check FILE: exit 0 when valid, 1 with error findings, 2 when the input is invalid."""
    outcome = run_check(file, root=root, allow_outside_root=allow_outside_root)
    if outcome.diagnostics:
        click.echo(render_all(outcome.diagnostics), err=True)
        click.echo("", err=True)
    n_err = len(outcome.errors)
    if outcome.invalid:
        click.echo(f"{file}: invalid, {n_err} error{'s' if n_err != 1 else ''}", err=True)
        ctx.exit(2)
    if n_err:
        click.echo(f"{file}: {n_err} error{'s' if n_err != 1 else ''}", err=True)
        ctx.exit(1)
    total = f", {outcome.result.total.value:.4f} kg CO2e per declared unit" if outcome.result else ""
    click.echo(f"{file}: valid{total}")

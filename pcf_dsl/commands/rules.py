"""`pcf rules [CODE]`: the compliance rules, their parameters and the shipped profiles."""

from __future__ import annotations

import click

from ..rules import parameters, registry
from ..rules.reference import markdown, text


@click.command("rules")
@click.argument("code", required=False)
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the reference page (docs/rules.md).")
@click.option("--params", "show_params", is_flag=True, help="List the parameters a profile may set.")
@click.option("--profiles", "show_profiles", is_flag=True, help="List the shipped profiles and their standards.")
def command(code: str | None, as_markdown: bool, show_params: bool, show_profiles: bool) -> None:
    """List the rules, or explain one (pcf rules B001)."""
    rules = registry()
    if as_markdown:
        click.echo(markdown(), nl=False)
    elif show_params:
        for key, param in parameters().items():
            click.echo(f"{key:26} {param.kind:9} default {param.default!s:8} {param.description}")
    elif show_profiles:
        from ..profiles import shipped

        for name, entry in shipped().items():
            click.echo(f"{name:26} std:profiles/{entry.file.name:32} {'; '.join(entry.standards) or '(fallback)'}")
    elif code:
        key = code.upper()
        if key not in rules:
            from ..diagnostics import did_you_mean

            near = did_you_mean(key, rules)
            raise click.UsageError(f"no rule {code}" + (f"; did you mean {near}?" if near else ""))
        click.echo(text(key), nl=False)
    else:
        for key, registered in rules.items():
            rule = registered.rule
            click.echo(f"{key}  {rule.name:28} {rule.default_severity:8} {rule.summary}")

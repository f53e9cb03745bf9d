"""`pcf check FILE`: load, compute and verify a model; every finding with its place in the file.

Text for people (rustc-style, colour only on a terminal, a summary line),
`--format json` (schema pcf-check/1) and `--format sarif` (SARIF 2.1.0 for
code scanning) for machines; docs/verification.md describes them.
Exit 0 no errors, 1 findings at error level, 2 invalid input, 3 internal error.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from ..check import CheckOutcome, run_check
from ..diagnostics import printable, render
from ..sarif import check_json, check_sarif
from .common import (allow_outside_option, dumps, emit, emit_pieces, model_argument, output_option,
                     refuse_output_over_input, root_option)

_COLOURS = {"error": "red", "warning": "yellow", "info": "cyan"}
_HEADER = re.compile(r"^(error|warning|info)(\[[A-Z]\d{3}\])")
_ORDER = {"info": 0, "warning": 1, "error": 2}

profile_option = click.option(
    "--profile", "profile", default=None, metavar="NAME_OR_FILE",
    help="Check against this profile instead of the ones the study's standards choose: a profile the model "
         "defines or imports, a shipped one (`pcf rules --profiles`), or FILE[:NAME].")


def _styled(text: str) -> str:
    """Colour the `severity[CODE]` header and the help marker; click drops the colour off a terminal."""
    lines = text.split("\n")
    match = _HEADER.match(lines[0])
    if match:
        colour = _COLOURS[match.group(1)]
        lines[0] = click.style(match.group(0), fg=colour, bold=True) + click.style(lines[0][match.end():], bold=True)
    return "\n".join(click.style(line, fg="blue") if line.lstrip().startswith("= help:") else line for line in lines)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def summary_line(outcome: CheckOutcome, file) -> str:
    if outcome.invalid:
        return f"{file}: invalid, {plural(len(outcome.errors), 'error')}"
    if outcome.result is None:
        return f"{file}: valid (a library file: no study, nothing to verify)"
    parts = [plural(len(outcome.errors), "error"), plural(len(outcome.warnings), "warning"),
             plural(len(outcome.infos), "note"), f"{len(outcome.waived)} waived"]
    profiles = ", ".join(p.name for p in outcome.profiles)
    du = outcome.model.study.declared_unit  # a result is of a study's unit
    term = "functional unit" if du is not None and du.functional else "declared unit"  # as `pcf calc` says
    return (f"{file}: {', '.join(parts)} ({profiles}); {outcome.result.total.value:.4f} kg CO2e per {term}")


def colour_kept(err: bool = False) -> bool:
    """Whether click.echo keeps the colour codes of text written to standard output (or error).

    Off a terminal it strips them again from every character written; styling the 84,000
    findings of a 100k-process model only for that is avoided by asking click's own test first
    (looked up when called, so that click's test runner's replacement of it answers here too).
    The text has no escape codes of its own (`printable`), so without the styles it is the
    same bytes as with them stripped.
    """
    try:
        from click._compat import should_strip_ansi
        from click.globals import resolve_color_default
    except ImportError:  # pragma: no cover - another click: style, and let click.echo decide
        return True
    return not should_strip_ansi(sys.stderr if err else sys.stdout, resolve_color_default())


def text_blocks(outcome: CheckOutcome, file, min_severity: str = "info", styled: bool = True) -> Iterator[str]:
    """The text output, one block at a time (a finding, the waivers, the profiles, the summary).

    Each block comes with the blank line that follows it; joined, they are the
    whole text. The 84,000 findings of a 100k-process model are 46 million
    characters: written as they are made, never all held at once. `styled`
    False: without colour codes, as `click.unstyle` would leave the blocks.
    """
    style = click.style if styled else _plain
    shown = 0
    for d in outcome.diagnostics:
        if _ORDER[d.severity.value] >= _ORDER[min_severity]:
            shown += 1
            yield (_styled(render(d)) if styled else render(d)) + "\n\n"
    if outcome.waived:
        lines = [style(f"waived ({len(outcome.waived)}), by justified waivers in the model:", bold=True)]
        for w in outcome.waived:
            where = f" [{w.waiver.span}]" if w.waiver.span else ""
            lines.append(f"  {w.diagnostic.code}: {w.diagnostic.message}")
            lines.append(f"      waived{where}: \"{w.waiver.justification}\"")
        yield "\n".join(lines[:1] + [printable(line) for line in lines[1:]]) + "\n\n"
    if outcome.profiles:
        yield printable("profiles: " + "; ".join(f"{p.name} ({p.reason})" for p in outcome.profiles)) + "\n\n"
    hidden = len(outcome.diagnostics) - shown
    # as the findings above print it: a file name's escape sequence or byte that is not UTF-8 as U+FFFD
    tail = printable(summary_line(outcome, file)) + (f" ({hidden} below {min_severity} not shown)" if hidden else "")
    yield style(tail, bold=True) + "\n"


def _plain(text: str, **_styles) -> str:
    return text


@click.command("check")
@model_argument
@profile_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("--min-severity", type=click.Choice(["info", "warning", "error"]), default="info", show_default=True,
              help="Text output: hide findings below this severity (they are still counted).")
@output_option()
@root_option
@allow_outside_option
@click.pass_context
def command(ctx: click.Context, file: Path, profile: str | None, fmt: str, min_severity: str, output: Path | None,
            root, allow_outside_root: bool) -> None:
    """Check FILE against the standards it claims: exit 0 no errors, 1 error findings, 2 invalid input."""
    outcome = run_check(file, root=root, allow_outside_root=allow_outside_root, profile=profile)
    refuse_output_over_input(output, file, outcome.model.files if outcome.model is not None else ())
    if fmt in ("json", "sarif"):
        data = (check_json if fmt == "json" else check_sarif)(outcome, str(file))
        exit_code = outcome.exit_code
        # The findings are in `data` now: the model and its result (1.3 GiB at 100k processes) go
        # before the JSON text is made, which would otherwise be the peak of the run.
        del outcome
        emit(dumps(data), output)
        ctx.exit(exit_code)
    if outcome.invalid:
        emit_pieces(text_blocks(outcome, file, styled=colour_kept(err=True)), None, err=True)
    elif output is not None:
        emit_pieces(text_blocks(outcome, file, min_severity, styled=False), output)
    else:
        emit_pieces(text_blocks(outcome, file, min_severity, styled=colour_kept()), None)
    ctx.exit(outcome.exit_code)

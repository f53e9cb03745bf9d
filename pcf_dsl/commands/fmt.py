"""`pcf fmt [PATHS]`: rewrite model files in the canonical layout, safely (see pcf_dsl/fmt.py)."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from ..diagnostics import PcfError, printable, render_all
from ..fmt import UnsafeFormatting, format_bytes, format_file
from .common import ChangedMeanwhile, say, write_atomic


def collect(paths: tuple[Path, ...]) -> list[Path]:
    """The files named, and every *.pcf below the folders named (hidden folders skipped), sorted, once each."""
    seen: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*.pcf")):
                relative = found.relative_to(path).parts
                if not any(part.startswith(".") for part in relative[:-1]) and found.is_file():
                    seen.setdefault(found, None)
        else:
            seen.setdefault(path, None)  # not a regular file (a device, a pipe): format_file says so
    return list(seen)


def _unified(path: str, before: bytes, after: bytes) -> str:
    old = before.decode("utf-8", "replace").splitlines(keepends=True)
    new = after.decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, fromfile=f"{path} (original)", tofile=f"{path} (formatted)")
    # For a person to read, as a diagnostic: a label's escape sequence is shown, not acted on.
    return printable("".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                             for line in lines))


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True, path_type=Path))
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when a file would change, naming it.")
@click.option("--diff", "show_diff", is_flag=True, help="Write nothing; print a unified diff of the changes.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and the files that would change.")
@click.pass_context
def command(ctx: click.Context, paths: tuple[Path, ...], check: bool, show_diff: bool, quiet: bool) -> None:
    """Format model files in the canonical layout (PATHS: files or folders; default: the current folder).

    A file is only rewritten when the model read from the result is the same
    as before and a second pass changes nothing; otherwise it is left alone
    and the reason is printed (exit 3). `-` reads standard input and writes
    the result to standard output (with --check or --diff, as for a file:
    only the verdict or the diff). Exit 0 done, 1 a file would change
    (--check), 2 a file is not a valid model (or was changed by someone else
    while it was formatted: it is then left as it is), 3 formatting was unsafe.
    """
    if paths == (Path("-"),):
        data = sys.stdin.buffer.read()
        try:
            after = format_bytes(data, "<stdin>")
        except UnsafeFormatting as exc:
            say(f"error: cannot format <stdin>: {exc}")
            ctx.exit(3)
        # --check and --diff mean the same for standard input as for a file (an editor or a CI step
        # that pipes the model in): nothing formatted is written, and --check exits 1 on a change.
        if not (check or show_diff):
            sys.stdout.buffer.write(after)
            return
        if show_diff:
            click.echo(_unified("<stdin>", data, after), nl=False)
        if check and after != data:
            click.echo("would reformat <stdin>", err=True)
            ctx.exit(1)
        return
    files = collect(paths or (Path("."),))
    changed = unchanged = invalid = unsafe = meanwhile = 0
    for path in files:
        try:
            result = format_file(path)
        except PcfError as exc:
            click.echo(render_all(exc.diagnostics), err=True)
            say(f"error: cannot format {path}: it is not a valid model\n")
            invalid += 1
            continue
        except UnsafeFormatting as exc:
            say(f"error: cannot format {path}: {exc}; the file was not changed. "
                "This is a bug in pcf fmt: please report it with the file.")
            unsafe += 1
            continue
        except OSError as exc:
            say(f"error: cannot read {path}: {exc.strerror}")
            invalid += 1
            continue
        if not result.changed:
            unchanged += 1
            continue
        changed += 1
        if show_diff:
            click.echo(_unified(str(path), result.before, result.after), nl=False)
        if check:
            say(f"would reformat {path}")
        elif not show_diff:
            try:  # resolved: a symbolic link keeps pointing at the file
                write_atomic(path.resolve(), result.after, expected=result.before)
            except ChangedMeanwhile:
                say(f"error: {path} changed while it was being formatted, and was left as it is now: "
                    "run pcf fmt on it again")
                changed -= 1
                meanwhile += 1
                continue
            if not quiet:
                say(f"reformatted {path}")
    if not quiet:
        verb = "would be reformatted" if (check or show_diff) else "reformatted"
        parts = [f"{changed} file{'s' if changed != 1 else ''} {verb}",
                 f"{unchanged} file{'s' if unchanged != 1 else ''} left unchanged"]
        if invalid:
            parts.append(f"{invalid} invalid")
        if unsafe:
            parts.append(f"{unsafe} not formatted (unsafe)")
        if meanwhile:
            parts.append(f"{meanwhile} changed meanwhile (not written)")
        click.echo(", ".join(parts) + ".", err=True)
    if unsafe:
        ctx.exit(3)
    if invalid or meanwhile:
        ctx.exit(2)
    if check and changed:
        ctx.exit(1)

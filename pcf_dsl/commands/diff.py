"""`pcf diff OLD NEW`, `pcf diff --git REV [PATH]`: what changed in the model and what it did to the footprint."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

import click

from .. import syntax as S
from ..build import load
from ..diagnostics import SOURCES, PcfError, printable, render_all
from ..diff import ModelDiff, diff_models, to_json, to_markdown, to_text
from ..parse import parse_file
from .common import (
    InputError,
    allow_outside_option,
    dumps,
    emit,
    output_option,
    refuse_dash,
    refuse_output_over_input,
    root_option,
    say,
)


class _GitError(Exception):
    pass


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise _GitError("git is not installed (or not on PATH)") from None
    if done.returncode != 0:
        raise _GitError(done.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed")
    return done.stdout


def _lines(data: bytes) -> list[str]:
    return [line for line in data.decode("utf-8", "replace").split("\n") if line]


def export_revision(top: Path, rev: str, into: Path) -> None:
    """Write every *.pcf file of revision `rev` under `into`, at its path in the repository.

    Imports of the old version then resolve against the old files, as they did
    at that revision (`std:` files come from the installed pcf_dsl).
    """
    names = [n for n in _lines(_git(["ls-tree", "-r", "--name-only", "-z", rev], top).replace(b"\0", b"\n"))
             if n.endswith(".pcf")]
    if not names:
        return
    archive = _git(["archive", "--format=tar", rev, "--", *names], top)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            path = PurePosixPath(member.name)
            if not member.isfile() or path.is_absolute() or ".." in path.parts:
                continue  # only plain files inside the tree
            target = into.joinpath(*path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(member).read())


def _has_study(path: Path) -> bool:
    try:
        return any(isinstance(item, S.Study) for item in parse_file(path).items)
    except PcfError:
        return True  # a broken model: let the comparison show its error


def _changed_models(top: Path, rev: str, root: Path | None, allow_outside_root: bool) -> list[Path]:
    """Top models (files with a study) that are, or import, a .pcf file changed since `rev`.

    A file deleted since `rev` is among them (the caller names it, if it was a model there), as an
    added one is: without it, a model taken out of the repository went without a word.
    """
    changed = {(top / n).resolve() for n in _lines(_git(["diff", "--name-only", rev, "--", "*.pcf"], top))}
    untracked = _lines(_git(["ls-files", "--others", "--exclude-standard", "--", "*.pcf"], top))
    changed |= {(top / n).resolve() for n in untracked}
    tracked = _lines(_git(["ls-files", "--", "*.pcf"], top))
    models = []
    for name in sorted(set(tracked) | set(untracked)):
        path = top / name
        if not path.is_file() or not _has_study(path):
            continue
        if path.resolve() in changed:
            models.append(path)
            continue
        try:
            loaded = load(path, root=root or top, allow_outside_root=allow_outside_root)
        except PcfError:
            continue
        if any(Path(f).resolve() in changed for f in loaded.files) or any(
                (path.parent / f).resolve() in changed for f in loaded.files):
            models.append(path)
    # --no-renames: a model moved is deleted at its old path and added at its new one, and both are said.
    deleted = _lines(_git(["diff", "--name-only", "--no-renames", "--diff-filter=D", rev, "--", "*.pcf"], top))
    models += [top / name for name in sorted(deleted) if not (top / name).exists()]
    return models


def _load_old(path: Path, shown: str, root: Path | None, allow_outside_root: bool, folder: Path, rev: str):
    try:
        return load(path, root=root, allow_outside_root=allow_outside_root)
    except PcfError as exc:
        _name_in_revision(exc.diagnostics, folder, rev)
        click.echo(render_all(exc.diagnostics), err=True)
        raise InputError(f"the old version {shown} is not a valid model") from None


def _name_in_revision(diagnostics, folder: Path, rev: str) -> None:
    """Name the files of the old version as `REV:path`, not by the temporary folder they were written to
    (which is gone when the message is read)."""
    prefixes = {str(folder) + os.sep, str(folder.resolve()) + os.sep}
    for diagnostic in diagnostics:
        for span in (diagnostic.span, *(label.span for label in diagnostic.labels)):
            prefix = next((p for p in prefixes if span is not None and span.file.startswith(p)), None)
            if prefix is None:
                continue
            name = f"{rev}:{PurePosixPath(*Path(span.file[len(prefix):]).parts)}"
            text = SOURCES.text(span.file)
            if text is not None:
                SOURCES.add(name, text)
            span.file = name


def _output(diffs: list[ModelDiff], fmt: str, single: bool, rev: str | None,
            added: list[str] = (), deleted: list[str] = ()) -> str:
    """The comparisons, and the models added or deleted since `rev` (which have none): a pull-request
    comment or a saved report that left them out would not say that a model came or went."""
    if fmt == "json":
        if single:
            return dumps(to_json(diffs[0]))
        return dumps({"rev": rev, "models": [to_json(d) for d in diffs], "added": list(added),
                      "deleted": list(deleted)})
    markdown = fmt == "markdown"
    render = to_markdown if markdown else to_text
    if not diffs:
        # A model added or deleted changed: "no model changed" would deny it.
        what = "no model with an old and a new version changed" if added or deleted else "no model changed"
        text = f"{what.capitalize()} since {rev}.\n" if markdown else f"{what} since {rev}\n"
    else:
        text = "\n".join(render(d) for d in diffs)
    if added or deleted:
        if markdown:
            rows = [f"- `{name}`: added since `{rev}`, no old version to compare with" for name in added]
            rows += [f"- `{name}`: deleted since `{rev}`, no new version to compare with" for name in deleted]
            text += "\n".join(["", f"### Models added or deleted since `{rev}`", "", *rows, ""])
        else:
            rows = [_added_line(name, rev) for name in added] + [_deleted_line(name, rev) for name in deleted]
            text += "\n".join(["", *rows]) + "\n"
    return printable(text)  # file names and labels, for a person to read: as a diagnostic shows them


def _added_line(name: str, rev: str) -> str:
    return f"{name}: not in {rev}, nothing to compare with"


def _deleted_line(name: str, rev: str) -> str:
    return f"{name}: deleted since {rev}, nothing to compare with"


@click.command("diff")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True), callback=refuse_dash)
@click.option("--git", "rev", metavar="REV", default=None,
              help="Compare with the version at git revision REV (a commit, branch or tag); "
                   "PATH defaults to every model that changed or imports a changed file.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="markdown: for a pull-request comment.")
@output_option()
@root_option
@allow_outside_option
@click.pass_context
def command(ctx: click.Context, paths: tuple[Path, ...], rev: str | None, fmt: str, output: Path | None,
            root: Path | None, allow_outside_root: bool) -> None:
    """Compare two versions of a model: OLD NEW, or --git REV [PATH].

    Lists processes, flows, factors, the boundary, the cut-off rule, allocation,
    claims and everything else that was added, removed or changed, and the change
    of the footprint (total and per stage) attributed to each change, largest
    first: each change is applied alone to the old model and computed; the rest
    is shown as the interaction, so the rows add up to the total change.
    """
    if rev is None:
        if len(paths) != 2:
            raise click.UsageError("give two model files (OLD NEW), or --git REV [PATH]")
        old_path, new_path = paths
        for p in paths:
            if not p.is_file():
                raise click.UsageError(f"{p} is not a file")
        old = load(old_path, root=root, allow_outside_root=allow_outside_root)
        new = load(new_path, root=root, allow_outside_root=allow_outside_root)
        refuse_output_over_input(output, old_path, old.files)
        refuse_output_over_input(output, new_path, new.files)
        emit(_output([diff_models(old, new, str(old_path), str(new_path))], fmt, True, None), output)
        return
    if len(paths) > 1:
        raise click.UsageError("with --git, give at most one PATH")
    start = (paths[0].resolve().parent if paths else Path.cwd())
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], start).decode().strip()).resolve()
        try:
            _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top)
        except _GitError:
            raise _GitError(f"`{rev}` is not a commit, branch or tag of the repository {top}") from None
        models = [paths[0]] if paths else _changed_models(top, rev, root, allow_outside_root)
        with tempfile.TemporaryDirectory(prefix="pcf-diff-") as folder:
            old_top = Path(folder)
            export_revision(top, rev, old_top)
            diffs, added, deleted = [], [], []
            for path in models:
                relative = path.resolve().relative_to(top)
                new_root = root.resolve() if root else top
                old_root = old_top / new_root.relative_to(top) if new_root.is_relative_to(top) else new_root
                shown_old, shown_new = f"{rev}:{relative.as_posix()}", relative.as_posix()
                old_file = old_top / relative
                # Among the models found, one added or deleted is a remark; the one model asked for by name
                # is an error (exit 2): there is no comparison to print (the JSON had no model to give).
                if not old_file.is_file():
                    if paths:
                        raise InputError(f"{shown_new} is not in {rev}: there is no old version to compare with")
                    added.append(shown_new)
                    continue
                if not path.is_file():
                    if paths:
                        raise InputError(f"{shown_new} was deleted since {rev}: there is no new version to compare")
                    if _has_study(old_file):  # a model there; a deleted imported file shows in its importers
                        deleted.append(shown_new)
                    continue
                old = _load_old(old_file, shown_old, old_root, allow_outside_root, old_top, rev)
                new = load(path, root=new_root, allow_outside_root=allow_outside_root)
                refuse_output_over_input(output, path, new.files)
                diffs.append(diff_models(old, new, shown_old, shown_new))
    except _GitError as exc:
        say(f"error: {exc}")
        ctx.exit(2)
    except ValueError:
        say(f"error: {paths[0]} is not inside the git repository {top}")
        ctx.exit(2)
    if fmt == "json":  # in the JSON for a program; said on the standard error for the person running it
        for line in [*(_added_line(n, rev) for n in added), *(_deleted_line(n, rev) for n in deleted)]:
            say(line)
    emit(_output(diffs, fmt, bool(paths), rev, added, deleted), output)

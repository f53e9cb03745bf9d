"""Options and output helpers shared by the sub-commands."""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import click
from pydantic_core import PydanticSerializationError, to_json

from ..diagnostics import printable

# A model read from standard input would have no folder to find its imports and its project root
# from, so only `pcf fmt` (which reads no imports) takes `-`.
STDIN_REFUSED = ("`-` (standard input) is read only by `pcf fmt`: save the input to a file and name the file "
                 "(a file named `-` is `./-`)")


def refuse_dash(ctx: click.Context, param: click.Parameter, value):
    """A path as given, refusing `-`: a model (or a table) is read from a file, never from standard input."""
    if value is None:
        return None
    values = value if isinstance(value, tuple) else (value,)
    if "-" in values:
        raise click.BadParameter(STDIN_REFUSED, ctx=ctx, param=param)
    return tuple(Path(v) for v in values) if isinstance(value, tuple) else Path(value)


def _dash_is_stdout(ctx: click.Context, param: click.Parameter, value):
    """`-o -` is standard output, as if no -o were given (`-o ./-` is a file named `-`)."""
    return None if value is None or value == "-" else Path(value)


def output_option(help: str = "Write to this file (atomically) instead of standard output (`-`: standard output)."):
    # The path comes as written (str), so that `-` is told apart from `./-` before it becomes a Path.
    return click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
                        callback=_dash_is_stdout, help=help)


model_argument = click.argument("file", type=click.Path(dir_okay=False, allow_dash=True), callback=refuse_dash)
root_option = click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Project root that imports must stay inside (default: the model's folder).")
allow_outside_option = click.option("--allow-outside-root", is_flag=True,
                                    help="Allow imports that resolve outside the project root.")


def dumps(data) -> str:
    """Stable JSON: sorted nothing (order is meaningful), no NaN or Infinity, UTF-8 text, indented.

    Written by pydantic's serialiser, as `pcf calc --format json` is: Python's json
    module falls back to its pure-Python encoder whenever it indents (3.5 s against
    1.7 s for the findings of a 100k-process model). The compact pass of json's C
    encoder first refuses NaN and Infinity, which pydantic would write as bare words.
    """
    json.dumps(data, allow_nan=False)
    try:
        encoded = to_json(data, indent=2)
    except PydanticSerializationError:
        # A file name that is not UTF-8 (a contributor's `bad\xff.pcf`) reaches Python as lone
        # surrogates, which JSON text cannot carry: its bad bytes are written as U+FFFD, as the
        # terminal shows them. Only then is the data walked, so no other output pays for it.
        encoded = to_json(_valid_data(data), indent=2)
    return json_safe(encoded).decode("utf-8") + "\n"


# U+0080 to U+009F in UTF-8. JSON escapes the C0 controls (an escape sequence in a label is
# `\u001b`) but writes these as they are, and a terminal acts on U+009B as on ESC [ (CSI): a label or
# a file name could still rewrite the terminal `pcf calc --format json` prints to. 0xC2 is only ever
# the first byte of a character, so the pattern cannot match inside another one.
_C1_UTF8 = re.compile(rb"\xc2([\x80-\x9f])")


def json_safe(data: bytes) -> bytes:
    """JSON text (UTF-8) with the C1 control characters written as `\\u0080` to `\\u009f`: the same data."""
    if _C1_UTF8.search(data) is None:  # nearly always: no copy of a large output
        return data
    return _C1_UTF8.sub(lambda m: b"\\u%04x" % m.group(1)[0], data)


_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """`text` with the lone surrogates of a file name that is not UTF-8 as U+FFFD: UTF-8 cannot hold them."""
    return _SURROGATE.sub("\ufffd", text)


def _encoded(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a file name that is not UTF-8, in a report or a table: see dumps
        return valid_text(text).encode("utf-8")


def _valid_data(data):
    if isinstance(data, str):
        return valid_text(data)
    if isinstance(data, dict):
        return {_valid_data(k): _valid_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_valid_data(v) for v in data]
    return data


def say(message: str, err: bool = True) -> None:
    """A line for the person at the terminal that may hold a file name or a model's text: through
    `printable`, as a diagnostic is, so that neither can rewrite the terminal or the CI log."""
    click.echo(printable(message), err=err)


def readable(data: bytes) -> bytes:
    """A text output (SVG, DOT, Mermaid) as UTF-8 with the model's control characters shown as U+FFFD:
    it goes to the terminal without -o, and XML cannot hold most of them anyway."""
    return printable(data.decode("utf-8", "replace")).encode("utf-8")


class InputError(click.ClickException):
    """A file or a program the command cannot use (a library file given to `pcf report`, Graphviz not
    installed): the user's input or environment, not a finding (exit 1) and not a bug (exit 3). Exit 2."""

    exit_code = 2


class OutputError(click.ClickException):
    """An output file that cannot be written (no such folder, no permission, a full disk): the
    user's environment, not a bug in pcf_dsl. Exit 2, as for any input the command cannot use."""

    exit_code = 2


def refuse_output_over_input(output: Path | None, model_file: Path, files: Iterable[str] = ()) -> None:
    """Refuse `-o` naming the model or a file it imports, before anything is computed.

    `pcf calc model.pcf -o model.pcf` would replace the model with its own result table (and
    `-o factors.pcf` the factors it imports), without a word: the output is written atomically,
    so nothing even looks wrong until the model is opened again.
    """
    if output is None:
        return
    for index, source in enumerate((model_file, *files)):
        try:
            same = os.path.samefile(output, source)
        except OSError:  # the output does not exist yet, or the source is not a path (std:)
            continue
        if same:
            what = "the model file" if index == 0 else f"a file the model imports ({source})"
            raise OutputError(f"will not write {output}: it is {what}, which the output would replace; "
                              "give -o another file")


class ChangedMeanwhile(Exception):
    """The file no longer holds what the new content was made from: someone saved it meanwhile."""


def write_atomic(path: Path, data: bytes | str | Iterable[bytes], expected: bytes | None = None) -> None:
    """Write a file so that an interrupted run never leaves it half-written.

    `data` may come in pieces (any iterable of bytes, read once), written one
    after the other: a large output need not be copied into one object first.
    With `expected` (what the file held when it was read), a file that holds
    anything else just before it is replaced is left as it is: ChangedMeanwhile.
    """
    try:
        _write_atomic(path, data, expected)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputError(f"cannot write {path}: {reason} (check that its folder exists and can be written to)") \
            from None


def _write_atomic(path: Path, data: bytes | str | Iterable[bytes], expected: bytes | None = None) -> None:
    if isinstance(data, str):
        data = _encoded(data)
    pieces = (data,) if isinstance(data, bytes) else data
    path = Path(path)
    try:
        special = not stat.S_ISREG(path.stat().st_mode) and not path.is_dir()
    except OSError:
        special = False
    if special:
        # `-o /dev/null`, `-o /dev/stdout`, a pipe: write into it. Renaming a file over it would
        # replace the device itself (this happened to /dev/null in a benchmark run).
        with open(path, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
        return
    path = Path(os.path.realpath(path))  # through a symbolic link: replace the file, keep the link
    try:  # keep the permissions of a file being replaced; a new file gets the usual ones (umask)
        mode = path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path("."))
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        # `pcf fmt` in an editor's save hook or beside a running editor: an edit saved between the
        # read and now would be replaced by the formatted old text, without a word. Compared last,
        # after the slow part, so that only the rename itself is left in the window.
        if expected is not None and _current(path, len(expected)) != expected:
            raise ChangedMeanwhile(str(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _current(path: Path, size: int) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(size + 1)  # one byte more: a file that grew is not the same
    except OSError:
        return None  # deleted or renamed meanwhile: not what was read either


def done() -> NoReturn:
    """End a command that has written its output, with what it built still alive.

    Returning would free the model and the result object by object before the
    process ends (0.34 s and 0.29 s at 100k processes), for memory the system
    takes back at once: ending with click's Exit keeps them until the `pcf`
    script ends the process (cli._end_process). A caller that invokes the
    command in its own process gets exit status 0, as from a return.
    """
    click.get_current_context().exit(0)


def emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)


# Characters written to the terminal at a time by emit_pieces: click.echo asks the stream whether
# it is a terminal and flushes it on every call, too often for 84,000 findings one by one.
TERMINAL_BATCH = 1 << 20


def emit_pieces(pieces: Iterable[str], output: Path | None, err: bool = False) -> None:
    """Text made in pieces, written as it is made: to `output` (atomically), or to the terminal."""
    if output is not None:
        write_atomic(output, (_encoded(piece) for piece in pieces))
        return
    batch: list[str] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= TERMINAL_BATCH:
            click.echo("".join(batch), nl=False, err=err)
            batch, size = [], 0
    if batch:
        click.echo("".join(batch), nl=False, err=err)


def emit_line(data: bytes, output: Path | None) -> None:
    """UTF-8 bytes and a final newline, written without joining them into a copy.

    For outputs of hundreds of megabytes (the JSON of a 100k-process model is
    170 MB): no text object beside the bytes, and no copy for the newline.
    """
    data = json_safe(data)
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stream
        click.echo(b"\n", nl=False)
    else:
        write_atomic(output, (data, b"\n"))

"""Options and output helpers shared by the sub-commands."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

import click
from pydantic_core import to_json

model_argument = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
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
    return to_json(data, indent=2).decode("utf-8") + "\n"


def write_atomic(path: Path, data: bytes | str | tuple[bytes, ...]) -> None:
    """Write a file so that an interrupted run never leaves it half-written.

    `data` may come in pieces, written one after the other: a large output and
    its final newline need not be copied into one object first.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    pieces = data if isinstance(data, tuple) else (data,)
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
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)


def emit_line(data: bytes, output: Path | None) -> None:
    """UTF-8 bytes and a final newline, written without joining them into a copy.

    For outputs of hundreds of megabytes (the JSON of a 100k-process model is
    170 MB): no text object beside the bytes, and no copy for the newline.
    """
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stream
        click.echo(b"\n", nl=False)
    else:
        write_atomic(output, (data, b"\n"))

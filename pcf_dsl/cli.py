"""The `pcf` command line: a thin layer over the Python API.

Exit codes: 0 fine, 1 findings at error level, 2 invalid input, 3 internal error.
Each sub-command lives in `pcf_dsl/commands/`; this module only wires them up
and turns every failure into a clear message instead of a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import click

from .collector import collector_paused
from .diagnostics import PcfError, printable, render_all

EXIT_OK, EXIT_FINDINGS, EXIT_INVALID, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 141

# Command name -> its module in pcf_dsl/commands/, in the order `pcf --help` lists them.
# Modules are imported only when their command runs (or `pcf --help` lists them), so
# `pcf check` does not pay for the renderer, the report templates or the importer.
COMMANDS = {
    "check": "check",
    "verify": "verify",
    "rules": "rules",
    "calc": "calc",
    "render": "render",
    "chart": "chart",
    "report": "report",
    "fmt": "fmt",
    "import": "import_table",
    "export": "export",
    "schema": "schema",
    "diff": "diff",
}


# True when this process runs the command line and nothing else (the `pcf` script, `python -m
# pcf_dsl.cli`): a command's end is then the process's end (_end_process). Not when a caller invokes
# `main` in its own process (click's CliRunner in the tests).
_ENDS_PROCESS = False


def _end_process(code: int) -> None:
    """End the process once a command's output is written, without freeing what the command built.

    A command that ends by raising Exit (`pcf check`) still holds its model
    here; freeing it object by object took 0.32 s at 100k processes, and the
    interpreter's own clean-up at exit more, for memory the system takes back
    at once when the process ends (mypy ends the same way). Every file a
    command writes is closed by the command; what is left is the standard
    streams' buffers, flushed here.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader stopped reading: as _Group.invoke answers it
        code = EXIT_BROKEN_PIPE
    os._exit(code)


class _Group(click.Group):
    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, name: str):
        if name not in COMMANDS:
            return None
        return importlib.import_module(f"pcf_dsl.commands.{COMMANDS[name]}").command

    def invoke(self, ctx):
        try:
            # A command builds one model and lets it go at the end: the collector's passes would
            # walk the whole model again and again and free nothing (the pipeline makes no
            # reference cycles; tests/test_check_speedups.py holds that): about 10 s of the
            # 97 s `pcf check` took at 100k processes. The collector's state is restored for a
            # caller that invokes the command in its own process (click's CliRunner in the tests).
            with collector_paused():
                try:
                    returned = super().invoke(ctx)
                    if _ENDS_PROCESS:
                        _end_process(EXIT_OK)
                    return returned
                except click.exceptions.Exit as exc:
                    # A command ends by raising Exit, whose traceback holds the command's frames and,
                    # through them, the model. They are let go here, with the collector still off: back
                    # on with the model alive, its first pass walked every object of it, for nothing
                    # (2 s at the end of each command at 100k processes).
                    code = exc.exit_code
                    if _ENDS_PROCESS:
                        _end_process(code)
            ctx.exit(code)
        except PcfError as exc:
            click.echo(render_all(exc.diagnostics), err=True)
            n = len(exc.diagnostics)
            click.echo(f"\n{n} error{'s' if n != 1 else ''}", err=True)
            ctx.exit(EXIT_INVALID)
        except click.ClickException as exc:
            # click prints the message as it is, and it names what the user gave (`cannot write
            # FILE`, `no rule CODE`): a file name's escape sequence would reach the terminal.
            exc.message = printable(exc.message)
            raise
        except (click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # Whoever read the output stopped reading (`pcf calc --format json | head`): nothing is
            # wrong with the model or with pcf. Quiet, with the status of a command ended by SIGPIPE
            # (128 + 13); stdout goes to /dev/null so that the interpreter's last flush cannot fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(EXIT_BROKEN_PIPE)
        except Exception as exc:  # an internal error: short message, exit 3, traceback only on request
            if ctx.find_root().params.get("debug"):
                traceback.print_exc()
            click.echo(printable(f"internal error: {type(exc).__name__}: {exc}\n"
                                 "This is a bug in pcf_dsl, not in your model. Run with --debug for details."),
                       err=True)
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show a traceback for internal errors.")
@click.version_option(package_name="pcf-dsl")
def main(debug: bool) -> None:
    """pcf: product carbon footprint models as text, computed and checked.

    FILE is a model file, whose imports are found from its folder: `-` (standard input) is read
    only by `pcf fmt`. `-o -` is standard output, as with no -o (a file named `-` is `./-`).
    """


def run() -> None:
    """The `pcf` script: the command line, in a process of its own."""
    global _ENDS_PROCESS
    _ENDS_PROCESS = True
    main()


if __name__ == "__main__":  # pragma: no cover
    run()

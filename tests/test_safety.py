"""A model is input from outside: it reads only the files it imports, inside the project root;
nothing in it is executed; what it says is shown as text; output files are written whole or not at all."""

from __future__ import annotations

import builtins
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import inventory_workbook

import pcf_dsl
from pcf_dsl.cli import main
from pcf_dsl.commands import common
from pcf_dsl.diagnostics import printable

REPO = Path(__file__).resolve().parents[1]

LEAF = "param leaf_value = 7\n"


def _project(tmp_path: Path, top: str, files: dict[str, str] | None = None) -> Path:
    """tmp/project/model.pcf (the root) with `files` around it; tmp/outside.pcf lies outside the root."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (tmp_path / "outside.pcf").write_text(LEAF, encoding="utf-8")
    for name, text in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    (project / "model.pcf").write_text(top, encoding="utf-8")
    return project / "model.pcf"


def _errors(path: Path, **options):
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.load(path, **options)
    return info.value.diagnostics


def _one(path: Path, code: str, **options):
    found = [d for d in _errors(path, **options) if d.code == code]
    assert len(found) == 1, [f"{d.code} {d.message}" for d in _errors(path, **options)]
    return found[0]


# ------------------------------------------------------------------ the project root


def test_dotdot_out_of_the_root_is_refused(tmp_path):
    path = _project(tmp_path, 'import "../outside.pcf" as o\n')
    d = _one(path, "E103")
    assert f"resolves to {tmp_path / 'outside.pcf'}, outside the project root {tmp_path / 'project'}" in d.message
    assert (d.span.line, d.span.column) == (1, 8)
    assert "--allow-outside-root" in d.help


def test_dotdot_that_stays_inside_is_fine(tmp_path):
    path = _project(tmp_path, 'import "sub/../shared/leaf.pcf" as s\n', {"project/shared/leaf.pcf": LEAF})
    assert pcf_dsl.load(path).params["s.leaf_value"].value == 7.0


def test_absolute_paths(tmp_path):
    path = _project(tmp_path, f'import "{tmp_path / "outside.pcf"}" as o\n')
    assert _one(path, "E103").span.line == 1
    inside = _project(tmp_path, f'import "{tmp_path / "project" / "leaf.pcf"}" as i\n', {"project/leaf.pcf": LEAF})
    assert pcf_dsl.load(inside).params["i.leaf_value"].value == 7.0


def test_symlink_out_of_the_root_is_refused_and_named(tmp_path):
    path = _project(tmp_path, 'import "link.pcf" as o\n')
    (tmp_path / "project" / "link.pcf").symlink_to(tmp_path / "outside.pcf")
    d = _one(path, "E103")
    assert "resolves through a symbolic link to" in d.message and str(tmp_path / "outside.pcf") in d.message


def test_symlinked_folder_out_of_the_root_is_refused(tmp_path):
    path = _project(tmp_path, 'import "lib/leaf.pcf" as o\n', {"elsewhere/leaf.pcf": LEAF})
    (tmp_path / "project" / "lib").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert "through a symbolic link" in _one(path, "E103").message
    # `..` after a link is applied to where the link points, as the operating system does
    path = _project(tmp_path, 'import "lib/../outside.pcf" as o\n')
    assert _one(path, "E103").span.line == 1


def test_symlink_inside_the_root_is_fine(tmp_path):
    path = _project(tmp_path, 'import "alias.pcf" as a\n', {"project/real.pcf": LEAF})
    (tmp_path / "project" / "alias.pcf").symlink_to(tmp_path / "project" / "real.pcf")
    assert pcf_dsl.load(path).params["a.leaf_value"].value == 7.0


def test_root_and_allow_outside_root_are_explicit(tmp_path):
    path = _project(tmp_path, 'import "../outside.pcf" as o\n')
    assert pcf_dsl.load(path, root=tmp_path).params["o.leaf_value"].value == 7.0
    assert pcf_dsl.load(path, allow_outside_root=True).params["o.leaf_value"].value == 7.0
    run = CliRunner().invoke(main, ["check", str(path)])
    assert run.exit_code == 2 and "E103" in run.output
    for options in (["--root", str(tmp_path)], ["--allow-outside-root"]):
        run = CliRunner().invoke(main, ["check", *options, str(path)])
        assert run.exit_code == 0, run.output


def test_root_given_narrower_than_the_model_folder(tmp_path):
    path = _project(tmp_path, 'import "../outside.pcf" as o\nimport "sub/leaf.pcf" as s\n',
                    {"project/sub/leaf.pcf": LEAF})
    d = _one(path, "E103", root=tmp_path / "project" / "sub")
    assert d.span.line == 1  # the import inside the named root is fine


@pytest.mark.parametrize("raw", ["std:../../etc/passwd", "std:/etc/passwd", "std:../pcf_dsl/__init__.py",
                                 "std:gwp/../../README.md"])
def test_std_paths_stay_in_the_library(tmp_path, raw):
    d = _one(_project(tmp_path, f'import "{raw}" as x\n'), "E102")
    assert (d.span.line, d.span.column) == (1, 8)


def test_std_path_that_stays_in_the_library_is_fine(tmp_path):
    model = pcf_dsl.load(_project(tmp_path, 'import "std:gwp/../gwp/ipcc_ar6.pcf" as ipcc\n'))
    assert model.gwp_sets["ipcc.ar6"].factors["CH4_fossil"] == pytest.approx(29.8)  # IPCC AR6 Table 7.15


def test_library_files_import_only_the_library(tmp_path, monkeypatch):
    library = tmp_path / "library"
    (library / "sets").mkdir(parents=True)
    (library / "sets" / "base.pcf").write_text(LEAF, encoding="utf-8")
    (library / "sets" / "good.pcf").write_text('import "base.pcf" as base\n', encoding="utf-8")
    (library / "sets" / "bad.pcf").write_text('import "../../outside.pcf" as o\n', encoding="utf-8")
    monkeypatch.setattr("pcf_dsl.build.models_dir", lambda: library)
    good = pcf_dsl.load(_project(tmp_path, 'import "std:sets/good.pcf" as g\n'))
    assert good.params["g.base.leaf_value"].value == 7.0
    d = _one(_project(tmp_path, 'import "std:sets/bad.pcf" as b\n'), "E102")
    assert d.span.file.endswith("bad.pcf")


# ------------------------------------------------------------------ what is not a model file


def test_devices_folders_and_pipes_are_never_read(tmp_path):
    (tmp_path / "project").mkdir()
    os.mkfifo(tmp_path / "project" / "pipe.pcf")  # reading a FIFO would block for ever
    (tmp_path / "project" / "folder.pcf").mkdir()
    path = _project(tmp_path, 'import "/dev/zero" as z\nimport "pipe.pcf" as p\nimport "folder.pcf" as f\n')
    messages = {d.span.line: d.message for d in _errors(path, allow_outside_root=True)}
    assert "device or special file" in messages[1] and "/dev/zero" in messages[1]
    assert "device or special file" in messages[2]
    assert "is a folder" in messages[3]
    assert len(messages) == 3


def test_an_imported_file_that_cannot_be_read_is_reported_at_its_import(tmp_path, monkeypatch):
    """E003 and E004 are about the file as a whole: they pointed at `f000.pcf:1:1`, with no line to
    show. The import that reads the file is the place to fix it from."""
    path = _project(tmp_path, '# factors\nparam a = 1\nimport "f000.pcf" as f\nimport "big.pcf" as b\n',
                    {"project/f000.pcf": "param x = 1\n", "project/big.pcf": "param y = 1\n" + "#" * 300 + "\n"})
    opened = os.open

    def refused(name, *args, **kwargs):  # as root a mode of 000 still reads: refuse it here
        if str(name).endswith("f000.pcf"):
            raise PermissionError(13, "Permission denied")
        return opened(name, *args, **kwargs)

    monkeypatch.setattr("pcf_dsl.parse.os.open", refused)
    monkeypatch.setattr("pcf_dsl.parse.MAX_FILE_BYTES", 200)
    found = {d.code: d for d in _errors(path)}
    unreadable, large = found["E003"], found["E004"]
    assert (unreadable.span.file, unreadable.span.line, unreadable.span.column) == (str(path), 3, 8)
    assert "cannot read" in unreadable.message and "f000.pcf: Permission denied" in unreadable.message
    assert (large.span.file, large.span.line, large.span.column) == (str(path), 4, 8)
    assert "big.pcf: the file is larger than the limit" in large.message


def test_a_device_as_the_model_file(tmp_path):
    run = CliRunner().invoke(main, ["check", "/dev/zero"])
    assert run.exit_code == 2 and "E100" in run.output and "device" in run.output


def test_a_missing_model_file_is_found_from_the_current_directory(tmp_path, monkeypatch):
    """There is no importing file for the model named on the command line: the hint said there was."""
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke(main, ["check", "missing.pcf"])
    assert run.exit_code == 2 and "E100" in run.output and "cannot find the model file missing.pcf" in run.output
    assert f"relative to the current directory, {tmp_path}" in run.output and "importing" not in run.output
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "top.pcf").write_text('import "nope.pcf" as n\n', encoding="utf-8")
    run = CliRunner().invoke(main, ["check", "sub/top.pcf"])  # an import: from its importing file's folder
    assert run.exit_code == 2 and f"relative to the importing file's folder, {tmp_path / 'sub'}" in run.output


def test_a_model_named_from_a_deleted_current_directory_is_not_found_not_an_internal_error(tmp_path, monkeypatch):
    """abspath of a relative path raises when the current directory was deleted: that was exit 3."""
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    for command in ("check", "calc"):
        run = CliRunner().invoke(main, [command, "model.pcf"])
        assert run.exit_code == 2, run.output
        assert "E100" in run.output and "cannot find the model file model.pcf" in run.output
        assert "the current directory was deleted" in run.output and "internal error" not in run.output


def test_a_symbolic_link_loop_as_the_model_file_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.pcf").symlink_to("b.pcf")
    (tmp_path / "b.pcf").symlink_to("a.pcf")
    run = CliRunner().invoke(main, ["check", "a.pcf"])
    assert run.exit_code == 2 and "E100" in run.output
    assert "the model file is a symbolic link loop, not a file: a.pcf" in run.output and "cannot find" not in run.output


@pytest.mark.parametrize("raw, words", [
    ("a\\tb.pcf", "is not a file path"),
    ("   ", "is not a file path"),
    ("loop.pcf", "cannot be resolved"),
    ("x" * 5000 + ".pcf", "cannot"),
])
def test_paths_that_are_not_paths(tmp_path, raw, words):
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "loop.pcf").symlink_to(tmp_path / "project" / "loop.pcf")
    d = _one(_project(tmp_path, f'import "{raw}" as x\n'), "E100")
    assert words in d.message and d.span.line == 1


def test_import_cycle_shows_the_chain(tmp_path):
    path = _project(tmp_path, 'import "b.pcf" as b\n', {"project/b.pcf": 'import "c.pcf" as c\n',
                                                        "project/c.pcf": 'import "model.pcf" as top\n'})
    d = _one(path, "E101")
    assert d.message == "import cycle: model.pcf -> b.pcf -> c.pcf -> model.pcf"
    assert d.span.file.endswith("c.pcf") and d.span.line == 1


# ------------------------------------------------------------------ what a model can reach


HOSTILE = '''
import "std:gwp/ipcc_ar6.pcf" as ipcc
import "factors.pcf" as ef
study "$(touch /tmp/pwned) {__import__('os').system('id')}" {
  declared_unit 1 kg of p.out "`id`"
  gwp ipcc.ar6
}
factor f = 2 kg CO2e / kg {
  source  "/etc/passwd"
  dataset "../../../../etc/shadow"
}
process p "<script>alert(1)</script>" {
  stage production
  product out 1 kg
  input x 1 kg from f {
    note "file:///etc/passwd"
  }
  input y 1 kg from ef.grid
}
'''


def test_only_imported_files_are_opened(tmp_path):
    path = _project(tmp_path, HOSTILE + 'param bad = 1\nimport "../outside.pcf" as o\n',
                    {"project/factors.pcf": "factor grid = 1 kg CO2e / kg\n"})
    pcf_dsl.load(REPO / "examples" / "aluminium_billet" / "aluminium_billet.pcf")  # warm caches (grammar, units)
    opened: list[str] = []
    recording = [True]

    def hook(event, args):
        if recording[0] and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            opened.append(os.fsdecode(args[0]))

    sys.addaudithook(hook)  # audit hooks cannot be removed; `recording` switches this one off
    try:
        diagnostics = _errors(path)
    finally:
        recording[0] = False
    assert [d.code for d in diagnostics] == ["E103"]
    std = (REPO / "models" / "gwp" / "ipcc_ar6.pcf").resolve()
    allowed = {str(path.resolve()), str((tmp_path / "project" / "factors.pcf").resolve()), str(std)}
    assert set(opened) <= allowed, set(opened) - allowed
    assert str(path.resolve()) in opened and str(tmp_path / "outside.pcf") not in opened


def test_nothing_in_a_model_is_executed(tmp_path, monkeypatch):
    path = _project(tmp_path, HOSTILE.replace('import "factors.pcf" as ef\n', "").replace(
        "  input y 1 kg from ef.grid\n", "") + "param q = 1 __import__\nparam r = 2 eval * os.system\n")

    # The commands' own modules are imported before the watch starts: the CLI imports a command when it
    # is first run, and importing a module runs its code with exec, which is not the model's doing (run
    # alone, this test saw that and failed).
    import pcf_dsl.commands.calc
    import pcf_dsl.commands.check  # noqa: F401

    calls: list[tuple[str, tuple]] = []

    def watched(name, real):
        def call(*args, **kwargs):
            calls.append((name, args))
            return real(*args, **kwargs)

        return call

    for module, name in ((builtins, "eval"), (builtins, "exec"), (os, "system"), (os, "popen"), (os, "execv"),
                         (subprocess, "Popen")):
        monkeypatch.setattr(module, name, watched(name, getattr(module, name)))
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.load(path)
    runs = [CliRunner().invoke(main, [command, str(path)]) for command in ("check", "calc")]
    monkeypatch.undo()
    assert calls == []
    assert sorted(d.code for d in info.value.diagnostics) == ["E202", "E202"]  # unknown names, nothing else
    assert {d.span.line for d in info.value.diagnostics} == {18, 19}
    assert [r.exit_code for r in runs] == [2, 2]
    clean = _project(tmp_path, HOSTILE.replace('import "factors.pcf" as ef\n', "").replace(
        "  input y 1 kg from ef.grid\n", ""))
    result = pcf_dsl.compute(pcf_dsl.load(clean))
    assert result.total.value == pytest.approx(2.0)  # 1 kg x 2 kg CO2e/kg
    assert not Path("/tmp/pwned").exists()


# ------------------------------------------------------------------ what a model says is shown as text


def test_terminal_escapes_and_bidi_overrides_are_not_echoed(tmp_path):
    path = _project(tmp_path, 'param a = 1 kg + "\x1b[2J\x1b[1;32mvalid\u202e" 1\n')
    run = CliRunner().invoke(main, ["check", str(path)])
    assert run.exit_code == 2
    assert "\x1b" not in run.output and "\u202e" not in run.output
    assert '"\ufffd[2J\ufffd[1;32mvalid\ufffd"' in run.output
    assert printable("a\tb\nc\u200fd") == "a\tb\nc\u200fd"  # tabs, newlines and RTL marks are text


def test_script_in_a_label_stays_text_in_the_diagram(tmp_path):
    path = _project(tmp_path, HOSTILE.replace('import "factors.pcf" as ef\n', "").replace(
        "  input y 1 kg from ef.grid\n", ""))
    run = CliRunner().invoke(main, ["render", "--format", "svg", str(path)])
    assert run.exit_code == 0, run.output
    assert "<script" not in run.stdout and "&lt;script&gt;alert(1)&lt;/script&gt;" in run.stdout


# ------------------------------------------------------------------ atomic output


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_failure_halfway_leaves_the_old_file_and_no_debris(tmp_path, monkeypatch, failing):
    target = tmp_path / "result.json"
    target.write_text("old result\n", encoding="utf-8")
    real_fdopen = os.fdopen

    class HalfWriter:
        """Writes the first half, then fails like a full disk."""

        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            raise OSError(28, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.handle, name)

    def boom(*args, **kwargs):
        raise OSError(5, "Input/output error")

    if failing == "write":
        monkeypatch.setattr(common.os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    else:
        monkeypatch.setattr(common.os, failing, boom)
    with pytest.raises(common.OutputError, match=re.escape(f"cannot write {target}: ") + "(No space left on device|Input/output error)"):
        common.write_atomic(target, "new result, " * 1000)  # the user's disk, said as such (exit 2), not a bug
    assert target.read_text(encoding="utf-8") == "old result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]


def test_interrupted_cli_output_leaves_the_old_file(tmp_path, monkeypatch):
    example = REPO / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
    out = tmp_path / "out.json"
    out.write_text("previous\n", encoding="utf-8")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(common.os, "fsync", interrupted)
    run = CliRunner().invoke(main, ["calc", "--format", "json", "-o", str(out), str(example)])
    assert run.exit_code != 0
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    monkeypatch.undo()
    run = CliRunner().invoke(main, ["calc", "--format", "json", "-o", str(out), str(example)])
    assert run.exit_code == 0
    assert '"total"' in out.read_text(encoding="utf-8")


# ------------------------------------------------------------------ reports: what the model says stays text

XSS = '''import "std:gwp/ipcc_ar6.pcf" as ipcc
study "<script>alert('title')</script>" {
  product "<img src=x onerror=alert(1)>"
  producer "A & B \\"quoted\\" </td>"
  declared_unit 1 kg of p.out "<b>du</b>"
  standard "ISO 14067:2018"
  gwp ipcc.ar6
  note "<iframe src=javascript:alert(1)>"
}
boundary cradle_to_gate
factor f "<script>f</script>" = 2 kg CO2e / kg {
  source "<script>src</script>"
}
process p "<script>alert('process')</script>" {
  stage production
  product out "<svg onload=alert(1)>" 1 kg
  input x "<script>x</script>" 1 kg from f
  input y "<u>cut</u>" 1 g cutoff "<script>reason</script>"
}
claim total = 2 kg CO2e {
  source "<script>claim</script>"
}
waive C001 p "<script>waiver</script>"
'''


class _Markup(__import__("html.parser").parser.HTMLParser):
    """Every element and attribute of a page, and its text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def test_html_report_shows_script_as_text(tmp_path):
    path = _project(tmp_path, XSS)
    run = CliRunner().invoke(main, ["report", "--format", "html", str(path)])
    assert run.exit_code == 0, run.output
    page = _Markup()
    page.feed(run.stdout)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "iframe", "img", "u", "b"}, tags
    handlers = [(tag, name) for tag, attrs in page.tags for name, _ in attrs if name.lower().startswith("on")]
    assert handlers == []
    text = "".join(page.text)
    for said in ("<script>alert('title')</script>", "<script>alert('process')</script>", "<img src=x onerror=alert(1)>",
                 'A & B "quoted" </td>'):
        assert said in text, said


def test_markdown_report_escapes_markup(tmp_path):
    path = _project(tmp_path, XSS)
    out = tmp_path / "report.md"
    run = CliRunner().invoke(main, ["report", "--format", "md", "-o", str(out), str(path)])
    assert run.exit_code == 0, run.output
    text = out.read_text(encoding="utf-8")
    import re

    unescaped = re.findall(r"(?<!\\)</?(?:script|img|iframe|svg|u|b|td)\b[^\n]{0,20}", text)
    assert unescaped == []
    assert "\\<script\\>alert('title')\\</script\\>" in text


def test_sarif_carries_model_text_only_as_plain_text(tmp_path):
    import json

    path = _project(tmp_path, XSS)
    run = CliRunner().invoke(main, ["check", "--format", "sarif", str(path)])
    assert run.exit_code in (0, 1), run.output
    log = json.loads(run.stdout)
    found = []
    stack = [("", log)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{where}.{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(value))
        elif isinstance(value, str) and "<" in value:
            found.append(where)
    # model text reaches SARIF only in plain-text properties, which viewers must not interpret
    assert found and all(not where.endswith(".markdown") for where in found), found
    assert any(where.endswith(".justification") for where in found)


def test_output_to_a_device_writes_into_it_and_keeps_it(tmp_path):
    device = tmp_path / "null"
    os.mknod(device, 0o666 | __import__("stat").S_IFCHR, os.makedev(1, 3))  # a second /dev/null
    example = REPO / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
    run = CliRunner().invoke(main, ["calc", "--format", "json", "-o", str(device), str(example)])
    assert run.exit_code == 0, run.output
    assert __import__("stat").S_ISCHR(device.stat().st_mode)  # still the device, not a file renamed over it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_output_through_a_symlink_replaces_the_file_and_keeps_the_link(tmp_path):
    (tmp_path / "real.json").write_text("old\n", encoding="utf-8")
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    common.write_atomic(tmp_path / "link.json", "new\n")
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "real.json").read_text(encoding="utf-8") == "new\n"


def test_parse_file_never_waits_on_a_pipe(tmp_path):
    """The builder checks what a path is before reading; parse_file itself must not block either."""
    import signal

    from pcf_dsl.parse import parse_file

    os.mkfifo(tmp_path / "pipe.pcf")

    def on_alarm(signum, frame):
        raise TimeoutError("parse_file waited for a writer")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(10)
    try:
        with pytest.raises(pcf_dsl.PcfError) as info:
            parse_file(tmp_path / "pipe.pcf")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    (d,) = info.value.diagnostics
    assert d.code == "E003" and "not a regular file" in d.message and d.span.line == 1


def test_grammar_cache_is_used_only_from_a_private_folder(tmp_path, monkeypatch):
    # The grammar cache is a pickle: a folder others can write to is not trusted with it.
    from pcf_dsl.parse import _grammar_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    private = _grammar_cache()
    assert private == str(tmp_path / "pcf_dsl" / "grammar.lark-cache")
    (tmp_path / "pcf_dsl").chmod(0o777)
    assert _grammar_cache() is False


def test_a_cache_file_caught_half_written_is_not_an_internal_error(tmp_path):
    """pint's and lark's caches, emptied as a second `pcf` run sees them while the first writes them
    (six runs started at once on a new machine: one ended in "EOFError: Ran out of input"). The run
    reads the definitions and the grammar from source instead, and gives the same footprint."""
    example = REPO / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "pcf_dsl.cli", "calc", "--format", "json", str(example)]
    first = subprocess.run(command, env=env, capture_output=True, check=True)
    caches = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.parent.name for p in caches} == {"pint", "pcf_dsl"}
    for path in caches:
        path.write_bytes(b"")
    again = subprocess.run(command, env=env, capture_output=True)
    assert (again.returncode, again.stderr) == (0, b"")
    assert again.stdout == first.stdout
    assert json.loads(again.stdout)["total"]["value"] == pytest.approx(11.22, abs=0.005)  # the reference report


# ------------------------------------------------------------------ inventory tables from outside



def _import(path: Path):
    return CliRunner().invoke(main, ["import", str(path)])


def test_the_inventory_workbook_itself_imports(tmp_path):
    run = _import(inventory_workbook(tmp_path / "inventory.xlsx"))
    assert run.exit_code == 0, run.output
    assert "57 line items" in run.stderr and "total 11.2206 kg CO2e" in run.stderr


def _flip_a_byte_of(member: str):
    """A stored member whose bytes no longer match its CRC: zipfile finds out only while it reads."""
    def damage(path: Path) -> None:
        import zipfile

        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(member)
        data = bytearray(path.read_bytes())
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        data[start + info.compress_size // 2] ^= 0x01
        path.write_bytes(bytes(data))
    return damage


@pytest.mark.parametrize("damage, said", [
    (dict(sheet_xml=lambda d: d[: len(d) // 2]), "unclosed token"),
    (dict(workbook_xml=lambda d: b"<workbook"), "unclosed token"),
    (dict(drop="xl/worksheets/sheet1.xml"), "has no sheet with cells"),
    (dict(drop="xl/workbook.xml"), "cannot be read as an .xlsx workbook"),
    (dict(sheet_xml=lambda d: d.replace(b'<c r="A2"', b'<c r="A2" t="q"', 1)), "cannot be read as an .xlsx workbook"),
    ("crc", "cannot be read as an .xlsx workbook"),
])
def test_a_damaged_workbook_is_a_table_that_cannot_be_read_not_a_bug(tmp_path, damage, said):
    if damage == "crc":
        path = inventory_workbook(tmp_path / "damaged.xlsx")
        _flip_a_byte_of("xl/worksheets/sheet1.xml")(path)
    else:
        path = inventory_workbook(tmp_path / "damaged.xlsx", **damage)
    run = _import(path)
    assert run.exit_code == 2, run.output
    assert "internal error" not in run.output and "Traceback" not in run.output
    assert "error[E601]" in run.stderr and said in run.stderr, run.stderr
    assert "= help: " in run.stderr


# ------------------------------------------------------------------ output over the input


PACT_IDS = ["--id", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "--created", "2025-03-01T00:00:00Z", "--status", "Active",
            "--company-id", "urn:pact:company:customcode:buyer-assigned:chuangtai",
            "--product-id", "urn:pact:product:customcode:buyer-assigned:billet", "--fossil-carbon-content", "0"]


@pytest.mark.parametrize("command", [["calc"], ["calc", "--format", "json"], ["check", "--format", "sarif"],
                                     ["check"], ["verify"], ["export", "--to", "pact", *PACT_IDS], ["report", "--format", "md"],
                                     ["render", "--format", "dot"], ["chart", "--format", "svg"]])
def test_output_over_the_model_or_its_imports_is_refused(tmp_path, command):
    """`pcf calc model.pcf -o model.pcf` replaced the model with its result table, without a word."""
    example = REPO / "examples" / "aluminium_billet"
    for name in ("aluminium_billet.pcf", "factors.pcf"):
        (tmp_path / name).write_bytes((example / name).read_bytes())
    model = tmp_path / "aluminium_billet.pcf"
    for target, what in ((model, "the model file"), (tmp_path / "factors.pcf", "a file the model imports")):
        run = CliRunner().invoke(main, [*command, str(model), "-o", str(target)])
        assert run.exit_code == 2, run.output
        assert f"will not write {target}: it is {what}" in run.stderr and "give -o another file" in run.stderr
        assert "internal error" not in run.output
    for name in ("aluminium_billet.pcf", "factors.pcf"):
        assert (tmp_path / name).read_bytes() == (example / name).read_bytes(), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aluminium_billet.pcf", "factors.pcf"]
    # through a link to the model, as well; and any other file is written as before
    (tmp_path / "link.pcf").symlink_to(model)
    assert CliRunner().invoke(main, [*command, str(model), "-o", str(tmp_path / "link.pcf")]).exit_code == 2
    assert (tmp_path / "aluminium_billet.pcf").read_bytes() == (example / "aluminium_billet.pcf").read_bytes()
    run = CliRunner().invoke(main, [*command, str(model), "-o", str(tmp_path / "out")])
    assert run.exit_code in (0, 1) and (tmp_path / "out").stat().st_size > 0, run.output


def test_diff_output_over_either_model_is_refused(tmp_path):
    example = REPO / "examples" / "aluminium_billet"
    for name in ("aluminium_billet.pcf", "factors.pcf"):
        (tmp_path / name).write_bytes((example / name).read_bytes())
    model = tmp_path / "aluminium_billet.pcf"
    for target in (model, tmp_path / "factors.pcf"):
        run = CliRunner().invoke(main, ["diff", str(example / "aluminium_billet.pcf"), str(model), "-o", str(target)])
        assert run.exit_code == 2 and f"will not write {target}" in run.stderr, run.output
    assert model.read_bytes() == (example / "aluminium_billet.pcf").read_bytes()
    assert (tmp_path / "factors.pcf").read_bytes() == (example / "factors.pcf").read_bytes()


# ------------------------------------------------------------------ file names that are not UTF-8


def _named_in_latin_1(tmp_path: Path, source: Path, name: bytes) -> Path:
    """A copy of `source` under a name with a byte that is not UTF-8 (`\\xff`), as a contributor's system may write it."""
    folder = os.fsencode(tmp_path)
    try:
        with open(folder + b"/" + name, "wb") as handle:
            handle.write(source.read_bytes())
    except OSError:
        pytest.skip("the file system takes only UTF-8 names")
    return Path(os.fsdecode(folder + b"/" + name))  # what Python makes of it: `bad\udcff.pcf`


@pytest.mark.parametrize("command", [["check", "--format", "json"], ["check", "--format", "sarif"],
                                     ["verify", "--format", "json"], ["diff", "--format", "json", "SELF"],
                                     ["report", "--format", "html", "-o", "OUT"], ["check", "-o", "OUT"]])
def test_a_model_file_name_that_is_not_utf8_is_no_internal_error(tmp_path, command):
    example = REPO / "examples" / "aluminium_billet"
    (tmp_path / "factors.pcf").write_bytes((example / "factors.pcf").read_bytes())
    model = _named_in_latin_1(tmp_path, example / "aluminium_billet.pcf", b"billet\xff.pcf")
    out = tmp_path / "out.txt"
    args = [str(model) if a == "SELF" else str(out) if a == "OUT" else a for a in command]
    run = CliRunner().invoke(main, [*args, str(model)])
    assert run.exit_code in (0, 1), run.output
    text = out.read_text(encoding="utf-8") if "OUT" in command else run.stdout  # strict UTF-8: no surrogate in it
    if "json" in command or "sarif" in command:
        json.loads(text)
    assert "billet\ufffd.pcf" in text or "billet%FF.pcf" in text
    if "sarif" in command:  # the URI names the file by its bytes, percent-encoded
        uris = set(re.findall(r'"uri": "([^"]*)"', text))
        assert any(uri.endswith("billet%FF.pcf") for uri in uris) and not any("\ufffd" in uri for uri in uris), uris


def test_an_imported_table_named_with_bytes_and_line_breaks_stays_a_name(tmp_path):
    inventory = REPO / "tests" / "data" / "aluminium_billet_inventory.csv"
    for name in (b"inventory\xff.csv", b"x\nparam injected = 5\n#.csv"):
        table = _named_in_latin_1(tmp_path, inventory, name)
        out = tmp_path / "model.pcf"
        run = CliRunner().invoke(main, ["import", str(table), "-o", str(out), "--force"])
        assert run.exit_code == 0, run.output
        text = out.read_text(encoding="utf-8")
        assert "\ufffd" in text.splitlines()[0] and "injected" not in pcf_dsl.load(out).params
        assert "total 11.2206 kg CO2e" in run.stderr


@pytest.mark.parametrize("kind", ["device", "pipe", "large"])
def test_a_mapping_file_is_read_only_when_it_is_a_file_of_sane_size(tmp_path, kind):
    """`--mapping /dev/zero` read until memory ran out (exit 3); a pipe would be waited on for ever."""
    inventory = REPO / "tests" / "data" / "aluminium_billet_inventory.csv"
    mapping = tmp_path / "mapping.toml"
    if kind == "device":
        mapping = Path("/dev/zero")
    elif kind == "pipe":
        os.mkfifo(mapping)
    else:
        with mapping.open("wb") as handle:  # sparse
            handle.truncate(4 * 2**30)
    run = CliRunner().invoke(main, ["import", str(inventory), "--mapping", str(mapping)])
    assert run.exit_code == 2, run.output
    said = "is larger than 32 MiB" if kind == "large" else "is not a regular file (a folder, a device or a pipe)"
    assert f"error[E609]: {mapping}: the mapping file {said}" in run.stderr, run.stderr


def test_a_device_as_the_table_is_named_for_what_it_is(tmp_path):
    os.mkfifo(tmp_path / "table.csv")
    for table in ("/dev/zero", str(tmp_path / "table.csv")):
        run = CliRunner().invoke(main, ["import", table])
        assert run.exit_code == 2, run.output
        assert f"error[E601]: the table {table} is not a regular file" in run.stderr, run.stderr


@pytest.mark.parametrize("name, shown", [(b"e\xff.pcf", "e\ufffd.pcf"), (b"e\x1b[31m.pcf", "e\ufffd[31m.pcf")])
def test_the_check_summary_prints_a_file_name_as_the_findings_do(tmp_path, name, shown):
    """The summary printed the name as it came: `e\\udcff.pcf` (or the raw byte) under findings that
    said `e\ufffd.pcf`, and a name's escape sequence went to the terminal as it is."""
    source = tmp_path / "source.pcf"
    source.write_text("param y = zz\n", encoding="utf-8")
    model = _named_in_latin_1(tmp_path, source, name)
    run = CliRunner().invoke(main, ["check", str(model)], color=True)
    assert run.exit_code == 2, run.output
    lines = [line for line in click.unstyle(run.stderr).splitlines() if ".pcf" in line]
    assert len(lines) == 2 and all(shown in line for line in lines), lines  # `--> FILE:1:11` and the summary
    assert "e\x1b" not in run.stderr and "\\udcff" not in run.stderr


# Sequences a terminal acts on, none of which pcf writes itself (its colours are SGR, `ESC [ ... m`):
# a window title (OSC ... BEL), clear screen, the one-byte C1 CSI, a backspace and a carriage return.
_INJECTED = "\x1b]0;pwned\x07\x1b[2J\x9b1m\x08"
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_OWN_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def _hostile_pair(tmp_path: Path) -> tuple[str, str]:
    """Two versions of a model whose file names and labels hold escape sequences (the name a carriage return too)."""
    text = ('import "std:gwp/ipcc_ar6.pcf" as ipcc\n\nfactor elec "grid LABEL" = 0.5 kg CO2e/kWh\n\n'
            'study "S LABEL" {\n  product "widget LABEL"\n  producer "P LABEL"\n'
            '  declared_unit 1 kg of make.widget "one LABEL"\n  period 2024-01-01 to 2024-12-31\n'
            '  standard "ISO 14067:2018"\n  gwp ipcc.ar6\n}\n\nprocess make "maker LABEL" {\n  stage production\n'
            '  product widget "widget LABEL" 1 kg\n  input power "power LABEL" 2 kWh from elec\n'
            '  note "note LABEL"\n}\n').replace("LABEL", _INJECTED)
    try:
        new = tmp_path / f"e{_INJECTED}\r.pcf"
        old = tmp_path / f"e{_INJECTED}\rold.pcf"
        new.write_text(text, encoding="utf-8")
        old.write_text(text.replace("2 kWh", "3 kWh"), encoding="utf-8")
    except OSError:
        pytest.skip("the file system refuses control characters in names")
    return str(old), str(new)


_HOSTILE_RUNS = [
    ["check", "NEW"], ["check", "NEW", "--format", "json"], ["check", "NEW", "--format", "sarif"],
    ["verify", "NEW"], ["verify", "NEW", "--format", "markdown"], ["verify", "NEW", "--format", "json"],
    ["calc", "NEW"], ["calc", "NEW", "--format", "json"], ["calc", "NEW", "--all-products"],
    ["calc", "NEW", "--all-products", "--format", "json"], ["render", "NEW", "--format", "dot"],
    ["render", "NEW", "--format", "svg"], ["chart", "NEW"], ["report", "NEW"], ["report", "NEW", "--format", "md"],
    ["fmt", "--check", "NEW"], ["fmt", "--diff", "NEW"], ["fmt", "NEW"], ["fmt", "MISSING"],
    ["diff", "OLD", "NEW"], ["diff", "OLD", "NEW", "--format", "markdown"], ["diff", "OLD", "NEW", "--format", "json"],
    ["export", "NEW", "--to", "pact", "--id", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "--created",
     "2025-03-01T00:00:00Z", "--status", "Active", "--company-id", "urn:pact:company:customcode:buyer-assigned:x",
     "--product-id", "urn:pact:product:customcode:buyer-assigned:y", "--fossil-carbon-content", "0"], ["calc", "MISSING"], ["check", "NEW", "-o", "DIR/x"],
    ["check", "NEW", "--profile", "NEW:x"], ["rules", f"B{_INJECTED}"], ["import", "TABLE"], ["import", "MISSING"],
]


@pytest.mark.parametrize("args", _HOSTILE_RUNS, ids=lambda args: "-".join(a for a in args if a.isascii())[:40])
def test_no_command_writes_a_control_character_from_a_file_name_or_a_label(tmp_path, args):
    """`pcf fmt --check` printed `would reformat e<ESC>[31m.pcf` to the terminal as it came, and so did
    `pcf verify`, `pcf diff`, `pcf report`, `pcf chart` and click's error lines: a file name or a label
    could retitle the terminal, clear it or hide a line. Text is shown as a diagnostic shows it (U+FFFD);
    JSON and SARIF keep the text, escaped (`\\u001b`, and `\\u009b`, which JSON writes as it is)."""
    old, new = _hostile_pair(tmp_path)
    table = tmp_path / f"t{_INJECTED}.csv"
    table.write_text(f"item,activity,activity_unit,factor,factor_unit\npower {_INJECTED},2,kWh/kg,0.5,kg CO2e/kWh\n",
                     encoding="utf-8")
    names = {"OLD": old, "NEW": new, "MISSING": str(tmp_path / f"m{_INJECTED}.pcf"), "TABLE": str(table),
             "DIR/x": str(tmp_path / f"d{_INJECTED}" / "x"), "NEW:x": f"{new}:x"}
    run = CliRunner().invoke(main, [names.get(a, a) for a in args], color=True)  # as on a terminal: colours kept
    assert run.exit_code in (0, 1, 2), (run.exit_code, run.output)
    if args[-1] in ("NEW", "TABLE") and args[0] != "check":
        assert run.exit_code in (0, 1), run.output  # the run got as far as printing the model's text
    for stream in (run.stdout, run.stderr):
        shown = _CONTROL.findall(_OWN_COLOURS.sub("", stream).replace("\n", "").replace("\t", ""))
        assert not shown, (shown, stream[:3000])
    if "json" in args or args[0] == "export":  # (SARIF percent-encodes the name in its uri)
        strings = []
        json.loads(run.stdout, object_pairs_hook=lambda pairs: strings.extend(v for _, v in pairs if isinstance(v, str)))
        assert any(_INJECTED in s for s in strings), strings  # kept, only escaped

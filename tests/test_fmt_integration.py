"""The pre-commit hooks and the example GitHub Actions workflow call commands and options that exist."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from pcf_dsl.cli import main

ROOT = Path(__file__).resolve().parent.parent
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
WORKFLOW = yaml.safe_load((ROOT / "docs" / "ci" / "github-actions.yml").read_text(encoding="utf-8"))
REFERENCE = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"


def _options(command_name: str) -> set[str]:
    command = main.get_command(click.Context(main), command_name)
    assert command is not None, f"pcf has no command `{command_name}`"
    return {opt for param in command.params for opt in getattr(param, "opts", []) + getattr(param, "secondary_opts", [])}


def test_hooks_are_the_three_documented():
    assert {h["id"]: h["entry"] for h in HOOKS} == {
        "pcf-fmt-check": "pcf fmt --check --quiet", "pcf-fmt": "pcf fmt --quiet", "pcf-check": "pcf check"}
    for hook in HOOKS:
        assert hook["language"] == "python" and hook["files"] == r"\.pcf$"


def test_fmt_check_hook_passes_formatted_and_fails_unformatted(tmp_path):
    hook = next(h for h in HOOKS if h["id"] == "pcf-fmt-check")
    good = tmp_path / "good.pcf"
    good.write_text("param a = 1 kg\n", encoding="utf-8")
    bad = tmp_path / "bad.pcf"
    bad.write_text("param a=1 kg\n", encoding="utf-8")
    args = shlex.split(hook["entry"])[1:]
    assert CliRunner().invoke(main, [*args, str(good)]).exit_code == 0
    result = CliRunner().invoke(main, [*args, str(good), str(bad)])
    assert result.exit_code == 1 and f"would reformat {bad}" in result.output
    assert bad.read_text(encoding="utf-8") == "param a=1 kg\n"


def test_fmt_hook_rewrites(tmp_path):
    hook = next(h for h in HOOKS if h["id"] == "pcf-fmt")
    bad = tmp_path / "bad.pcf"
    bad.write_text("param a=1 kg\n", encoding="utf-8")
    assert CliRunner().invoke(main, [*shlex.split(hook["entry"])[1:], str(bad)]).exit_code == 0
    assert bad.read_text(encoding="utf-8") == "param a = 1 kg\n"


def test_check_hook_runs_on_the_model_in_args():
    hook = next(h for h in HOOKS if h["id"] == "pcf-check")
    assert hook["pass_filenames"] is False
    result = CliRunner().invoke(main, [*shlex.split(hook["entry"])[1:], str(REFERENCE)])
    assert result.exit_code in (0, 1), result.output  # findings, never an invalid-input or internal error


def _pcf_calls():
    for step in WORKFLOW["jobs"]["models"]["steps"]:
        for line in step.get("run", "").splitlines():
            line = line.strip()
            if line.startswith("pcf "):
                yield shlex.split(line.split(" || ")[0].split(" > ")[0])


def test_workflow_uses_existing_commands_and_options():
    calls = list(_pcf_calls())
    assert {c[1] for c in calls} == {"fmt", "check", "diff"}
    for call in calls:
        options = _options(call[1])
        for word in call[2:]:
            if word.startswith("-"):
                assert word in options, f"`pcf {call[1]}` has no option {word}"
    check = next(c for c in calls if c[1] == "check")
    assert check[check.index("--format") + 1] == "sarif"
    steps = WORKFLOW["jobs"]["models"]["steps"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "pcf-sarif" and upload["if"] == "always()"
    assert WORKFLOW["permissions"]["security-events"] == "write"
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # pcf diff --git needs the base branch


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_workflow_check_step_finds_the_reference_model():
    """The step's `grep` finds the files with a study: the reference model, not its factor library."""
    import subprocess

    found = subprocess.run(["bash", "-c", "grep -rlE --include='*.pcf' '^study ' . | sort"], cwd=ROOT / "examples",
                           capture_output=True, text=True, check=True).stdout.split()
    assert "./aluminium_billet/aluminium_billet.pcf" in found
    assert "./aluminium_billet/factors.pcf" not in found

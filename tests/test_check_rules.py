"""Every rule against its own fixtures: tests/rules/<CODE>.toml, one file per rule (sqlfluff style).

Each file holds cases; a case is a model (the file's `prelude` + the case's `model`)
and what the rule must do with it:

- `expect = "pass"`: the rule applies (its checklist row is `pass`) and reports
  nothing at warning or error level;
- `expect = "n/a"`: the rule reports nothing and says why it does not apply;
- `expect = "fail"`: the rule reports `count` findings (default 1). `[[case.findings]]`
  give, in order, the model path and evidence numbers, each from a hand calculation
  written beside it in the fixture, compared within `tol` (relative, default 1e-9);
  "__none__" stands for null, which TOML cannot write.
  The rendered diagnostics must equal tests/rules/snapshots/<CODE>-<case>.txt
  (PCF_UPDATE_SNAPSHOTS=1 writes them; review the diff before committing).
"""

from __future__ import annotations

import math
import os
import tomllib
from pathlib import Path

import pytest

from pcf_dsl.check import run_check
from pcf_dsl.diagnostics import Severity, render
from pcf_dsl.rules import registry

HERE = Path(__file__).parent / "rules"
SNAPSHOTS = HERE / "snapshots"
UPDATE = os.environ.get("PCF_UPDATE_SNAPSHOTS") == "1"


def _load(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _cases():
    for path in sorted(HERE.glob("*.toml")):
        data = _load(path)
        for case in data["case"]:
            yield data["rule"], data.get("prelude", ""), case


def pytest_generate_tests(metafunc):
    if "rule_case" in metafunc.fixturenames:
        cases = list(_cases())
        metafunc.parametrize("rule_case", cases, ids=[f"{code}-{case['name']}" for code, _, case in cases])


def _run(tmp_path, monkeypatch, code, prelude, case):
    text = (prelude if case.get("prelude", True) else "") + case["model"]
    path = tmp_path / f"{case['name']}.pcf"
    path.write_text(text, encoding="utf-8")
    for name, extra in case.get("files", {}).items():
        (tmp_path / name).write_text(extra, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    outcome = run_check(path.name, profile=case.get("profile"))
    assert not outcome.invalid, "\n".join(render(d) for d in outcome.diagnostics)
    return outcome


def _close(actual, expected, tol):
    if expected == "__none__":  # TOML has no null
        return actual is None
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(
            _close(a, e, tol) for a, e in zip(actual, expected))
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        return math.isclose(actual, expected, rel_tol=tol, abs_tol=1e-15)
    return actual == expected


def test_rule_case(rule_case, tmp_path, monkeypatch):
    code, prelude, case = rule_case
    outcome = _run(tmp_path, monkeypatch, code, prelude, case)
    findings = [d for d in outcome.diagnostics if d.code == code]
    waived = [w.diagnostic for w in outcome.waived if w.diagnostic.code == code]
    statuses = {run.profile.name: run.outcomes[code].status for run in outcome.runs if code in run.outcomes}
    expect = case["expect"]
    rendered = "\n\n".join(render(d) for d in findings)
    if expect == "pass":
        assert not [d for d in findings if d.severity is not Severity.INFO], rendered
        assert set(statuses.values()) == {"pass"}, statuses
    elif expect == "n/a":
        assert not findings, rendered
        assert set(statuses.values()) == {"n/a"}, statuses
    elif expect == "waived":
        assert not findings and waived, rendered
        assert set(statuses.values()) == {"waived"}, statuses
    else:
        assert expect == "fail"
        assert len(findings) == case.get("count", 1), rendered
        tol = case.get("tol", 1e-9)
        for spec, finding in zip(case.get("findings", []), findings):
            if "path" in spec:
                assert list(finding.path) == spec["path"]
            if "severity" in spec:
                assert finding.severity.value == spec["severity"]
            for key, value in spec.get("evidence", {}).items():
                assert _close(finding.evidence.get(key), value, tol), (key, finding.evidence.get(key), value)
            for fragment in spec.get("message_contains", []):
                assert fragment in finding.message, finding.message
            for fragment in spec.get("help_contains", []):
                assert fragment in (finding.help or ""), finding.help
        snapshot = SNAPSHOTS / f"{code}-{case['name']}.txt"
        if UPDATE:
            snapshot.write_text(rendered + "\n", encoding="utf-8")
        assert snapshot.is_file(), f"no snapshot {snapshot.name}: run with PCF_UPDATE_SNAPSHOTS=1 and review it"
        assert rendered + "\n" == snapshot.read_text(encoding="utf-8")


def test_every_rule_has_passing_and_failing_fixtures():
    kinds: dict[str, set[str]] = {}
    for code, _, case in _cases():
        kinds.setdefault(code, set()).add(case["expect"])
    for code in registry():
        assert {"pass", "fail"} <= kinds.get(code, set()), f"{code} needs a pass and a fail case in tests/rules/{code}.toml"


def test_no_stale_snapshots():
    expected = {f"{code}-{case['name']}.txt" for code, _, case in _cases() if case["expect"] == "fail"}
    assert {p.name for p in SNAPSHOTS.glob("*.txt")} == expected


@pytest.mark.parametrize("code", list(registry()))
def test_docs_example_fails(code, tmp_path, monkeypatch):
    """The example in each rule's docs really makes the rule fire."""
    rule = registry()[code].rule
    path = tmp_path / "example.pcf"
    path.write_text(rule.docs.example, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    outcome = run_check(path.name)
    assert not outcome.invalid, "\n".join(render(d) for d in outcome.diagnostics)
    fired = [d for d in outcome.diagnostics if d.code == code]
    assert fired, f"the docs example of {code} does not make it fire"


def test_the_c007_hint_is_a_block_that_fixes_the_finding(tmp_path, monkeypatch):
    """The hint's block, pasted as it is shown, parses and satisfies the rule (it once suggested
    `cutoff { per_flow 1 % }` on one line, which is a syntax error)."""
    case = next(c for c in _load(HERE / "C007.toml")["case"] if c["name"] == "no_criterion")
    [finding] = [d for d in _run(tmp_path, monkeypatch, "C007", "", case).diagnostics if d.code == "C007"]
    lines = finding.help.splitlines()  # the hint, then the clause the engine adds
    block = "\n".join(lines[1:lines.index("}") + 1])
    assert block.startswith("cutoff {")
    fixed = {**case, "name": "fixed",
             "model": case["model"].replace("boundary cradle_to_gate\n", f"boundary cradle_to_gate\n\n{block}\n")}
    assert not [d for d in _run(tmp_path, monkeypatch, "C007", "", fixed).diagnostics if d.code == "C007"]

"""The short fuzz run of CI: grammar-generated and mutated models through the whole pipeline.

Every input must end in a valid result or in our own error with a position; never another
exception, exit code 3, a traceback, NaN in JSON or a hang. The long campaign (10,000+
inputs) is `fuzz/campaign.py`; its figures are in the README's "Reliability" section.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fuzz.harness import (  # noqa: E402 - the shared harness lives in fuzz/
    SPECIAL_CHARACTERS, Outcome, generated_files, mutated_files, run_one, seed_texts)

import pcf_dsl  # noqa: E402

CI_RUN = settings(max_examples=100, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))


def _require_ok(outcome: Outcome) -> None:
    assert outcome.kind in ("valid", "invalid"), f"{outcome.kind}: {outcome.detail}"


@CI_RUN
@given(files=generated_files())
def test_models_written_from_the_grammar(files, tmp_path_factory):
    _require_ok(run_one(files, tmp_path_factory.getbasetemp() / "fuzz-grammar"))


@CI_RUN
@given(files=mutated_files())
def test_mutations_of_the_real_models(files, tmp_path_factory):
    _require_ok(run_one(files, tmp_path_factory.getbasetemp() / "fuzz-mutation"))


# ------------------------------------------------------------------ inputs that crashed once (regressions)

BASE = '''import "std:gwp/ipcc_ar6.pcf" as ipcc
study "s" {
  declared_unit 1 kg of p.out
  gwp ipcc.ar6
}
factor grid = 0.6205 t CO2 / MWh
process p {
  stage production
  product out PRODUCT
  input power POWER from grid
  emit leak LEAK
}
'''


def _model(product="1 t", power="139.24 kWh", leak="0.1 kg CH4_fossil", extra="") -> bytes:
    return (BASE.replace("PRODUCT", product).replace("POWER", power).replace("LEAK", leak) + extra).encode()


FOUND = {
    # each was an internal error (exit 3) or a wrong number before the fix named in the commit log
    "offset unit in arithmetic": (_model(power="2 * 1 degC kWh"), "E304"),
    "logarithmic unit": (_model(extra="param level = 1 dB + 1 dB\n"), "E304"),
    "5000-digit exponent": (_model(power="kWh^" + "9" * 5000), "E008"),
    "5000-digit year": (_model(extra="factor f = 1 kg CO2 / kg {\n  year " + "9" * 5000 + "\n}\n"), "E008"),
    "NUL in an import path": (b'import "a\\\x00b" as x\n' + _model(), "E001"),
    "control character in an import path": (b'import "a\tb" as x\n' + _model(), "E100"),
    "import path too long": (b'import "' + b"a" * 5000 + b'" as x\n' + _model(), "E100"),
    "contribution overflows": (_model(product="1e-300 t", power="1e300 MWh"), "E521"),
    "emission overflows": (_model(leak="1e308 kg CH4_fossil"), "E521"),
    "GWP value 1e999": (_model().replace(b'import "std:gwp/ipcc_ar6.pcf" as ipcc', b"gwp_set ar6 {\n  CO2 1\n"
                                         b"  CH4_fossil 1e999\n}").replace(b"ipcc.ar6", b"ar6"), "E305"),
    "GWP value 1e308 times 1e300 kg": (
        _model(leak="1e300 kg CH4_fossil").replace(b'import "std:gwp/ipcc_ar6.pcf" as ipcc',
                                                  b"gwp_set ar6 {\n  CO2 1\n  CH4_fossil 1e308\n}")
        .replace(b"ipcc.ar6", b"ar6"), "E521"),
    "negative allocation share": (_model(product="1 t\n  product other 1 t\n  allocation mass {\n"
                                                 "    share out 150 %\n    share other -50 %\n  }"), "E300"),
    "product below the smallest float": (_model(product="1e-320 t"), "E305"),  # had no position; now refused as written
    "zero economic properties": (_model(product="1 t\n  product other 1 t\n  allocation economic {\n"
                                                "    property out 0 CNY / t\n    property other 0 CNY / t\n  }"),
                                 "E506"),
    # a bare `boundary` has no name and no block: the second one had no position to point at
    "two bare boundaries": (_model(extra="boundary\nboundary\n"), "E201"),
    "two empty boundary blocks": (_model(extra="boundary {\n}\nboundary {\n}\n"), "E201"),
}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_inputs_that_once_crashed(name, tmp_path):
    data, code = FOUND[name]
    outcome = run_one({"model.pcf": data}, tmp_path)
    assert outcome.kind == "invalid", f"{outcome.kind}: {outcome.detail}"
    assert code in outcome.codes


# ------------------------------------------------------------------ the oracle itself can fail


def test_the_oracle_reports_a_crash(tmp_path, monkeypatch):
    def broken(model):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("fuzz.harness.compute", broken)
    outcome = run_one({"model.pcf": _model()}, tmp_path)
    assert outcome.kind == "crash" and "ZeroDivisionError" in outcome.detail


def test_the_oracle_reports_an_internal_error_of_the_cli(tmp_path, monkeypatch):
    def broken(model):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("pcf_dsl.commands.calc.compute", broken)
    outcome = run_one({"model.pcf": _model()}, tmp_path)
    assert outcome.kind == "crash" and "exit 3" in outcome.detail


def test_the_oracle_reports_a_diagnostic_without_a_place(tmp_path, monkeypatch):
    def unplaced(path, *args, **kwargs):
        raise pcf_dsl.PcfError(pcf_dsl.Diagnostic("E999", "somewhere", None))

    monkeypatch.setattr("fuzz.harness.load", unplaced)
    outcome = run_one({"model.pcf": _model()}, tmp_path)
    assert outcome.kind == "crash" and "E999 has no position" in outcome.detail


def test_the_oracle_reports_a_hang(tmp_path, monkeypatch):
    def endless(path, *args, **kwargs):
        while True:
            time.sleep(0.01)

    monkeypatch.setattr("fuzz.harness.load", endless)
    start = time.perf_counter()
    outcome = run_one({"model.pcf": _model()}, tmp_path, seconds=0.3)
    assert outcome.kind == "hang"
    assert time.perf_counter() - start < 30  # the guard stopped it; it did not run on


def test_the_generators_reach_the_troublesome_characters():
    """The alphabet and the seeds are what the issue asks for, so the fuzz is not a tautology."""
    for char in ("\ufeff", "\r", "\x00", "\u200f", "\u202e"):
        assert char in SPECIAL_CHARACTERS
    seeds = seed_texts()
    assert "aluminium alloy billet" in seeds["reference"]["model.pcf"] and "factor" in seeds["reference"]["factors.pcf"]
    assert pcf_dsl.compute(pcf_dsl.load(Path(__file__).resolve().parents[1] / "fuzz" / "seeds" / "features.pcf"))
    seen: set[str] = set()

    @settings(max_examples=300, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(generated_files())
    def collect(files):
        seen.update(ch for ch in files["model.pcf"].decode("utf-8", "replace") if ch in "\ufeff\r\x00\u200f\u202e")

    collect()
    assert seen >= {"\r", "\x00"}, seen

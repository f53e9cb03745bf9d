from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

import pcf_dsl

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def benchmark_module(name: str):
    """A script of benchmarks/ (`generate`, `peer`) as a module, loaded once per test run.

    The folder is scripts, not a package; the tests that build systems with the
    generator or compare with the peer all take the module from here.
    """
    key = f"bench_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


@pytest.fixture
def write(tmp_path: Path):
    """Write a model file (dedented) into a temporary folder and return its path."""

    def _write(text: str, name: str = "model.pcf") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def footprint(write):
    """Write a model, load and compute it; returns (model, result)."""

    def _footprint(text: str, name: str = "model.pcf"):
        model = pcf_dsl.load(write(text, name))
        return model, pcf_dsl.compute(model)

    return _footprint

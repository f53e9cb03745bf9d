from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pcf_dsl


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

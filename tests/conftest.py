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


INVENTORY = Path(__file__).resolve().parent / "data" / "aluminium_billet_inventory.csv"


def inventory_workbook(path: Path, sheet_xml=None, drop: str | None = None, workbook_xml=None) -> Path:
    """The reference inventory as an .xlsx, with its sheet or workbook part rewritten or one part dropped.

    The tests of damaged and oversized workbooks (test_safety, test_limits) each change one part
    of an otherwise valid file, written by openpyxl.
    """
    import csv
    import io
    import zipfile

    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(INVENTORY.read_text(encoding="utf-8"))):
        book.active.append(row)
    plain = io.BytesIO()
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == drop:
                continue
            if sheet_xml is not None and info.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml(data)
            if workbook_xml is not None and info.filename == "xl/workbook.xml":
                data = workbook_xml(data)
            target.writestr(info, data)
    return path


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

"""pcf_dsl: product carbon footprint models as text, computed and checked against the standards they claim.

The pipeline, one module per step::

    parse (lark) -> build (pydantic model, pint units) -> graph (networkx)
    -> compute (scipy) -> check (rules) -> render / report

The Python API is three calls::

    import pcf_dsl
    model = pcf_dsl.load("examples/aluminium_billet/aluminium_billet.pcf")
    result = pcf_dsl.compute(model)
    print(result.total.value, "kg CO2e per", model.study.declared_unit.amount)
"""

from __future__ import annotations

from .build import load
from .compute import Result, compute
from .diagnostics import Diagnostic, PcfError, Severity, Span
from .model import Model

__all__ = ["load", "compute", "check", "Model", "Result", "Diagnostic", "PcfError", "Severity", "Span"]
__version__ = "0.1.0"

# Import the submodule before defining the function of the same name: importing
# `pcf_dsl.check` later would otherwise rebind `pcf_dsl.check` to the module.
from . import check as _check_module  # noqa: E402


def check(path, **options) -> list[Diagnostic]:
    """Load and verify a model; returns every diagnostic (an empty list for a clean model).

    Invalid input does not raise: its errors are returned as diagnostics too.
    """
    return _check_module.check_path(path, **options)

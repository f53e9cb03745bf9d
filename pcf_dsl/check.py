"""Checking a model: load it, compute it, and collect every diagnostic in one list.

This is the one entry point `pcf check` and the API's `pcf_dsl.check` share;
the compliance rules add their findings here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .build import load
from .compute import Result, compute
from .diagnostics import Diagnostic, PcfError, Severity
from .model import Model


@dataclass
class CheckOutcome:
    model: Model | None
    result: Result | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def invalid(self) -> bool:
        """True when the input could not be loaded or computed (exit code 2)."""
        return self.model is None or (self.result is None and self.model.study is not None)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


def run_check(path: str | Path, root: str | Path | None = None, allow_outside_root: bool = False) -> CheckOutcome:
    try:
        model = load(path, root=root, allow_outside_root=allow_outside_root)
    except PcfError as exc:
        return CheckOutcome(None, None, exc.diagnostics)
    result = None
    diagnostics: list[Diagnostic] = []
    if model.study is not None:
        try:
            result = compute(model)
        except PcfError as exc:
            diagnostics.extend(exc.diagnostics)
    return CheckOutcome(model, result, diagnostics)


def check_path(path: str | Path, **options) -> list[Diagnostic]:
    return run_check(path, **options).diagnostics

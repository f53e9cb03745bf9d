"""Checking a model: load it, compute it, run the rules of its profiles, apply its waivers.

This is the one entry point `pcf check`, `pcf verify`, the report and the
API's `pcf_dsl.check` share. Invalid input (syntax, names, units, a profile
that does not resolve) stops before the rules, with the builder's
diagnostics (codes E...). Otherwise every enabled rule of every chosen
profile runs (see :mod:`pcf_dsl.profiles` for how profiles are chosen); a
finding two profiles both raise is shown once, at the stricter severity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .build import load
from .collector import collector_paused
from .compute import Result, compute
from .diagnostics import Diagnostic, PcfError, Severity
from .model import Model

_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass
class CheckOutcome:
    model: Model | None
    result: Result | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    profiles: list = field(default_factory=list)  # ResolvedProfile, in the order they were chosen
    runs: list = field(default_factory=list)  # rules.engine.ProfileRun, one per profile
    waived: list = field(default_factory=list)  # rules.engine.WaivedFinding, never hidden
    unmatched_standards: list[str] = field(default_factory=list)
    profile_error: bool = False

    @property
    def invalid(self) -> bool:
        """True when the input could not be loaded or computed, or its profile does not resolve (exit code 2)."""
        return (self.model is None or (self.result is None and self.model.study is not None)
                or self.profile_error)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def infos(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.INFO]

    @property
    def exit_code(self) -> int:
        return 2 if self.invalid else 1 if self.errors else 0


def _position(d: Diagnostic):
    # One flat tuple: the order of ((file, line, column), code), without the inner tuple for each of
    # the 84,000 findings of a 100k-process model.
    s = d.span
    return (s.file, s.line, s.column, d.code) if s else ("", 0, 0, d.code)


def _merge(runs, several: bool) -> tuple[list[Diagnostic], list]:
    """One list over all profiles: a finding raised by several is kept once, at its strictest severity."""
    merged: dict[tuple, Diagnostic] = {}
    raised_by: dict[tuple, list[str]] = {}
    waived: dict[tuple, object] = {}
    for run in runs:
        for outcome in run.outcomes.values():
            for d in outcome.diagnostics:
                key = (d.code, d.path, d.message)
                if several:  # who raised it is said only when more than one profile could have
                    raised_by.setdefault(key, []).append(run.profile.name)
                known = merged.get(key)
                if known is None or _RANK[d.severity] < _RANK[known.severity]:
                    merged[key] = d
            for w in outcome.waived:
                waived.setdefault((w.diagnostic.code, w.diagnostic.path, w.diagnostic.message), w)
    out = []
    for key, d in merged.items():
        if several:
            d.evidence = {**d.evidence, "profiles": raised_by[key]}
        out.append(d)
    return out, sorted(waived.values(), key=lambda w: _position(w.diagnostic))


def run_check(path: str | Path, root: str | Path | None = None, allow_outside_root: bool = False,
              profile: str | None = None) -> CheckOutcome:
    """Load, compute and verify `path`; `profile` (a name or FILE[:NAME]) replaces the default choice."""
    try:
        model = load(path, root=root, allow_outside_root=allow_outside_root)
    except PcfError as exc:
        return CheckOutcome(None, None, exc.diagnostics)
    if model.study is None:
        # A library file (factors, GWP sets, profiles): valid when it loads; there is no product to verify.
        return CheckOutcome(model, None, [])
    try:
        result = compute(model)
    except PcfError as exc:
        return CheckOutcome(model, None, exc.diagnostics)
    with collector_paused():  # the rules allocate many small objects (findings, diagnostics, evidence)
        return _verify(model, result, profile)


def _verify(model: Model, result: Result, profile: str | None) -> CheckOutcome:
    """Run the rules of the chosen profiles over a loaded and computed model, then its waivers."""
    from . import profiles as P
    from .rules import engine

    try:
        selection = P.select(model, profile)
    except PcfError as exc:
        return CheckOutcome(model, result, exc.diagnostics, profile_error=True)
    # `extra` lives for this run: the late rules read what the others did, and rules share computed values here.
    # `codes_found`: the rules with a finding (waived or not) under some profile.
    # `subjects_found`: for the codes a waiver with a subject names, what their findings are about (W001
    # says so when the subject is none of them).
    extra = {"selection": selection, "waivers_used": set(), "codes_found": set(), "subjects_found": {}}
    named = {w.code for w in model.waivers if w.subject}
    runs = [engine.ProfileRun(p, engine.run_profile(model, result, p, extra)) for p in selection.profiles]
    for run in runs:
        for outcome in run.outcomes.values():
            extra["waivers_used"].update(w.waiver_index for w in outcome.waived)
            if outcome.diagnostics or outcome.waived:
                extra["codes_found"].add(outcome.code)
            if outcome.code in named:
                subjects = extra["subjects_found"].setdefault(outcome.code, set())
                subjects.update(engine.subject_of(model, d.path) for d in outcome.diagnostics)
                subjects.update(engine.subject_of(model, w.diagnostic.path) for w in outcome.waived)
    for run in runs:
        run.outcomes.update(engine.run_profile(model, result, run.profile, extra, late=True))
    diagnostics, waived = _merge(runs, several=len(runs) > 1)
    return CheckOutcome(model, result, sorted(diagnostics, key=_position), selection.profiles, runs, waived,
                        selection.unmatched_standards)


def check_path(path: str | Path, **options) -> list[Diagnostic]:
    return run_check(path, **options).diagnostics

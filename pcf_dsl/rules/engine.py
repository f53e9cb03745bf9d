"""Running the rules of one profile over a computed model, and applying the model's waivers.

Every finding becomes a :class:`~pcf_dsl.diagnostics.Diagnostic`: its span
comes from :meth:`Model.locate`, its severity from the profile, its help from
the finding or the rule's fix, followed by the clause it enforces. A waiver
(``waive CODE [subject] "justification"``) moves a finding from the
diagnostics to the waived list; nothing is dropped. Rules whose code starts
with W look at the others' outcome (which waivers were used) and run last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..compute import Result
from ..diagnostics import Diagnostic, Label, Severity
from ..model import Model, Waiver
from . import registry
from .base import Context, Finding, RegisteredRule

LATE_FAMILIES = ("W",)


@dataclass
class WaivedFinding:
    diagnostic: Diagnostic
    waiver: Waiver
    waiver_index: int


@dataclass
class RuleOutcome:
    """One row of the checklist: a rule's findings under one profile."""

    code: str
    severity: str  # effective: error | warning | info
    diagnostics: list[Diagnostic] = field(default_factory=list)  # not waived
    waived: list[WaivedFinding] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    not_applicable: str | None = None

    @property
    def status(self) -> str:
        if any(d.severity is Severity.ERROR for d in self.diagnostics):
            return "fail"
        if any(d.severity is Severity.WARNING for d in self.diagnostics):
            return "warning"
        if self.waived and self.severity != "info":
            return "waived"
        if self.not_applicable is not None and not self.diagnostics:
            return "n/a"
        return "pass"


@dataclass
class ProfileRun:
    profile: Any  # ResolvedProfile
    outcomes: dict[str, RuleOutcome] = field(default_factory=dict)


def subject_of(model: Model, path: tuple[str, ...]) -> str:
    """The dotted name a waiver's subject is compared with: `casting`, `casting.ingot`, `ef.grid`, `total`."""
    if not path:
        return ""
    head, rest = path[0], path[1:]
    if head == "process" and rest:
        if len(rest) >= 3 and rest[1] == "flow":
            return f"{rest[0]}.{rest[2]}"
        return rest[0]
    if head == "claim" and rest:
        claim = model.claims[int(rest[0])]
        return claim.subject or claim.target
    if head in ("factor", "gwp_set", "param", "stage", "boundary", "profile") and rest:
        return rest[0]
    return head


def waiver_matches(waiver: Waiver, code: str, subject: str) -> bool:
    if waiver.code != code:
        return False
    if not waiver.subject:
        return True
    return subject == waiver.subject or subject.startswith(waiver.subject + ".")


_AS_IS = frozenset({str, int, bool, type(None)})


def _clean(value: Any) -> Any:
    """Evidence is JSON: finite floats, lists for tuples."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    # The items of evidence are mostly plain numbers and names: settled here without a call
    # each (83835 findings at 100k processes made 1.5 million calls; Q001 lists every line).
    if isinstance(value, (list, tuple)):
        # Lists are mostly names (Q001 and C006 list nearly every line: 340,000 at 100k processes).
        return [v if type(v) in _AS_IS else _settled(v) for v in value]
    if isinstance(value, dict):
        if _NUMBERS.issuperset(map(type, value.values())) and _NAMES.issuperset(map(type, value)):
            # Numbers only (M001's nine for each of 83,568 findings at 100k processes): finite all of them
            # when their sum is, told without a call per value. A sum that overflows, or a number too
            # large for a float, is settled one value at a time below.
            try:
                if math.isfinite(sum(value.values())):
                    return dict(value)
            except OverflowError:
                pass
        return {str(k): _settled(v) for k, v in value.items()}
    return value


_NUMBERS = frozenset({float, int, bool})
_NAMES = frozenset({str})


def _settled(v: Any) -> Any:
    kind = type(v)
    return v if kind in _AS_IS else (v if math.isfinite(v) else None) if kind is float else _clean(v)


_SEVERITIES = {s.value: s for s in Severity}  # Severity(text) is an Enum call per finding


def rule_help(registered: RegisteredRule, clause: str, help: str | None = None) -> str:
    """A finding's help: its own or the rule's fix, then the clause it enforces."""
    return f"{help or registered.rule.fix_summary}\n{clause} (`pcf rules {registered.rule.code}`)"


def to_diagnostic(model: Model, registered: RegisteredRule, finding: Finding, severity: str, clause: str,
                  settings=None, default_help: str | None = None) -> Diagnostic:
    """`settings`: the spans of the profile's `set` lines, for a finding about a threshold the profile sets.
    `default_help`: `rule_help(registered, clause)`, made once for the findings without help of their own."""
    labels = []
    for related in finding.related:
        span = model.locate(related.path, settings)
        if span is not None:
            labels.append(Label(span, related.message))
    if finding.help or default_help is None:
        help_text = rule_help(registered, clause, finding.help)
    else:
        help_text = default_help
    evidence = finding.evidence
    return Diagnostic(code=registered.rule.code, message=finding.message, span=model.locate(finding.path, settings),
                      severity=_SEVERITIES[severity], help=help_text, labels=labels, path=tuple(finding.path),
                      evidence=_clean(evidence if type(evidence) is dict else dict(evidence)))


def run_rule(model: Model, result: Result, profile, registered: RegisteredRule, extra: dict) -> RuleOutcome:
    code = registered.rule.code
    severity = profile.severities[code]
    ctx = Context(model=model, result=result, params=profile.params, profile=profile, extra=extra)
    findings = list(registered.check(ctx))
    clause = profile.clauses.get(code) or str(registered.rule.clause)
    outcome = RuleOutcome(code, severity, summary=_clean(ctx.summary), not_applicable=ctx.not_applicable_reason)
    default_help = rule_help(registered, clause)
    # Only a waiver of this code can match (waiver_matches asks the code first): most rules have none,
    # and their findings need no subject. The index is the waiver's place among all the model's.
    waivers = [(i, w) for i, w in enumerate(model.waivers) if w.code == code]
    for finding in findings:
        diagnostic = to_diagnostic(model, registered, finding, severity, clause, profile.param_spans, default_help)
        index = None
        if waivers:
            subject = subject_of(model, diagnostic.path)
            index = next((i for i, w in waivers if waiver_matches(w, code, subject)), None)
        if index is None:
            outcome.diagnostics.append(diagnostic)
        else:
            outcome.waived.append(WaivedFinding(diagnostic, model.waivers[index], index))
    return outcome


def run_profile(model: Model, result: Result, profile, extra: dict, late: bool = False) -> dict[str, RuleOutcome]:
    """The outcome of every enabled rule of `profile` (the late W rules only when `late`)."""
    outcomes = {}
    for code, registered in registry().items():
        if profile.severities.get(code, "off") == "off":
            continue
        if (code[0] in LATE_FAMILIES) != late:
            continue
        outcomes[code] = run_rule(model, result, profile, registered, extra)
    return outcomes

"""What a compliance rule is: data (code, name, severity, clause, parameters, docs) plus one check.

A rule module in this package defines ``RULE = Rule(...)`` and one function
``check(ctx)`` that yields :class:`Finding` objects. A finding names a model
path (``("process", "casting", "flow", "ingot")``); the engine turns it into a
:class:`~pcf_dsl.diagnostics.Diagnostic` with the span from
:meth:`pcf_dsl.model.Model.locate`, the severity the profile gives the rule,
and the rule's help. A rule whose documentation lacks any of its four parts
is refused when it is defined, so ``docs/rules.md`` can never show a gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Mapping, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from ..compute import Result
    from ..model import Model
    from ..profiles import ResolvedProfile

SEVERITIES = ("error", "warning", "info")
CODE_PATTERN = re.compile(r"^[A-Z]\d{3}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PARAM_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")  # a Chinese text has Chinese characters, not only `code`

ParamKind = Literal["fraction", "number", "text"]
T = TypeVar("T")


class RuleDefinitionError(Exception):
    """A rule is incomplete or malformed; it is refused at import time."""


@dataclass(frozen=True)
class Clause:
    """Where a requirement comes from: the standard, its clause, and a link where the text is public.

    `zh` is the clause in Chinese for `pcf report --lang zh`: the clause number kept as written, the
    descriptive words translated (the standard's name is never translated: it is `standard`).
    """

    standard: str
    clause: str
    url: str | None = None
    zh: str = ""

    def __str__(self) -> str:
        return f"{self.standard}, {self.clause}"

    def text(self, lang: str = "en") -> str:
        return f"{self.standard}，{self.zh}" if lang == "zh" else str(self)


@dataclass(frozen=True)
class Param:
    """A number or text a profile may set (``set cutoff.per_flow = 1 %``); None means "not set"."""

    key: str
    default: float | str | None
    description: str
    kind: ParamKind = "number"
    # What a value must be beyond its kind, checked when a profile is resolved (E363): the
    # words a text may be, the range of a number, or a pattern a text must contain. A rule
    # reading `cutoff.basis = "volume"` would otherwise fail, or read "module" as "total".
    choices: tuple[str, ...] = ()
    bounds: tuple[float, float] | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Docs:
    """The four parts every rule documents, in the order docs/rules.md shows them."""

    what: str
    why: str
    example: str  # a complete model that makes the rule fire
    fix: str

    PARTS = ("what", "why", "example", "fix")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    default_severity: str
    summary: str  # one line: the short description in SARIF and the rules table
    clause: Clause
    docs: Docs
    params: tuple[Param, ...] = ()
    # The summary in Chinese: the requirement column of the checklist in `pcf report --lang zh`.
    # Written by hand beside the English one, never translated at run time.
    summary_zh: str = ""

    def __post_init__(self) -> None:
        problems = []
        if not CODE_PATTERN.match(self.code or ""):
            problems.append(f"code {self.code!r} is not a letter and three digits")
        if not NAME_PATTERN.match(self.name or ""):
            problems.append(f"name {self.name!r} is not kebab-case")
        if self.default_severity not in SEVERITIES:
            problems.append(f"default severity {self.default_severity!r} is not one of {', '.join(SEVERITIES)}")
        if not (self.summary or "").strip():
            problems.append("the summary is empty")
        if not isinstance(self.clause, Clause) or not self.clause.standard.strip() or not self.clause.clause.strip():
            problems.append("the clause (standard and clause text) is missing")
        elif not _CJK.search(self.clause.zh or ""):
            problems.append("the clause has no Chinese text (`zh=`)")
        if not _CJK.search(self.summary_zh or ""):
            problems.append("the Chinese summary (`summary_zh`) is missing")
        if not isinstance(self.docs, Docs):
            problems.append("docs are missing")
        else:
            for part in Docs.PARTS:
                if not (getattr(self.docs, part) or "").strip():
                    problems.append(f"the docs part `{part}` is empty")
        for param in self.params:
            if not PARAM_PATTERN.match(param.key):
                problems.append(f"parameter {param.key!r} is not `area.name`")
            if not param.description.strip():
                problems.append(f"parameter {param.key!r} has no description")
        if problems:
            raise RuleDefinitionError(f"rule {self.code or '?'} is refused: " + "; ".join(problems))

    @cached_property  # read for every finding: 8434 times in a check of the 10k-process benchmark
    def fix_summary(self) -> str:
        """The first sentence of the fix: the `help:` line of a finding without its own help."""
        text = " ".join(self.docs.fix.split())
        quoted = False
        for i, ch in enumerate(text):
            quoted ^= ch == "`"
            if ch == "." and not quoted and text[i + 1: i + 2] == " " and text[i + 2: i + 3].isupper():
                return text[: i + 1]
        return text


@dataclass(frozen=True)
class Related:
    """A second place a finding points at ("the supplier applies the factor here")."""

    path: tuple[str, ...]
    message: str


# Not frozen, though nothing changes a finding once made: a frozen dataclass's __init__ sets each
# field through object.__setattr__, 0.61 us a finding against 0.14 us, and M001 alone makes 83,568 at
# 100k processes. A finding was never hashable (its evidence is a dict), so frozen gave no hash either.
@dataclass(slots=True)
class Finding:
    """What a check reports: a model path, a message, numbers and names as evidence."""

    path: tuple[str, ...]
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    help: str | None = None
    related: tuple[Related, ...] = ()


@dataclass
class Context:
    """Everything a check may read. Graph queries go through :mod:`pcf_dsl.graph`."""

    model: "Model"
    result: "Result"
    params: Mapping[str, float | str | None]
    profile: "ResolvedProfile"
    # Filled by the engine for the rules that look at the others' outcome (W001, S001).
    extra: dict[str, Any] = field(default_factory=dict)
    # What the checklist shows for a rule without findings: numbers and names, or why it does not apply.
    summary: dict[str, Any] = field(default_factory=dict)
    not_applicable_reason: str | None = None

    @property
    def graph(self):
        from ..graph import process_graph

        return self.shared(process_graph, self.model)

    @property
    def flows(self):
        """The flows some rules pick, picked in one walk per check run (rules.common.PickedFlows)."""
        from .common import picked_flows

        return self.shared(picked_flows, self.model)

    def shared(self, compute: Callable[..., T], *args: Any) -> T:
        """`compute(*args)` once per check run: the rules (and profiles) that need the same value share it.

        Model and result do not change while the rules run, so a value computed from them
        (the supply graph, the factors' uses, the weighted data quality) is kept in `extra`,
        which the engine passes to every rule of every profile of the run. Callers only read it.
        """
        cache = self.extra.setdefault("shared", {})
        key = (compute, *(id(a) for a in args))
        if key not in cache:
            cache[key] = (args, compute(*args))  # the arguments kept with it, so their ids stay theirs
        return cache[key][1]

    def param(self, key: str):
        return self.params.get(key)

    def not_applicable(self, reason: str) -> None:
        """Say that the requirement does not apply to this model (the checklist shows "n/a")."""
        self.not_applicable_reason = reason

    def record(self, **evidence: Any) -> None:
        """Numbers and names the checklist shows even when the rule finds nothing."""
        self.summary.update(evidence)


CheckFunction = Callable[[Context], Iterable[Finding]]


@dataclass(frozen=True)
class RegisteredRule:
    rule: Rule
    check: CheckFunction
    module: str

"""The syntax tree of one model file: what was written, where, before any name is resolved.

These are plain slotted dataclasses produced by :mod:`pcf_dsl.parse`; the
builder (:mod:`pcf_dsl.build`) turns them into the validated pydantic model.
Keeping the two apart lets the formatter and the semantic diff work on what
the user wrote, and the engine on what it means.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Span

# ------------------------------------------------------------------ expressions


@dataclass(slots=True)
class Num:
    text: str  # as written: `0.58962`, `1e-3`; decimals matter for rounding-aware claims
    span: Span

    @property
    def value(self) -> float:
        return float(self.text)


@dataclass(slots=True)
class Name:
    parts: tuple[str, ...]
    span: Span

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(slots=True)
class Percent:
    span: Span


@dataclass(slots=True)
class BinOp:
    op: str  # one of + - * / and "juxt" for implicit multiplication
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass(slots=True)
class Neg:
    operand: "Expr"
    span: Span


@dataclass(slots=True)
class Pow:
    base: "Expr"
    exponent: int
    span: Span


Expr = Num | Name | Percent | BinOp | Neg | Pow


@dataclass(slots=True)
class Ref:
    parts: tuple[str, ...]
    span: Span

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


# ------------------------------------------------------------------ shared small pieces


@dataclass(slots=True)
class Text:
    """A quoted string, unescaped, with its span."""

    value: str
    span: Span


@dataclass(slots=True)
class Word:
    """A bare name with its span (a stage, a method, a keyword-like value)."""

    value: str
    span: Span


@dataclass(slots=True)
class QualityScore:
    criterion: Word
    value: Word  # a level name (periodic) or a number written as a word (3)


@dataclass(slots=True)
class Attrs:
    """The optional `{ ... }` block after a flow line."""

    stage: Word | None = None
    quality: list[QualityScore] | None = None
    quality_span: Span | None = None
    group: Word | None = None
    estimate: Expr | None = None
    notes: list[Text] = field(default_factory=list)
    source: Text | None = None
    properties: list[tuple[Word, Expr]] = field(default_factory=list)


# Most flow lines have no `{ ... }` block: they all share this one instead of
# three objects each (an Attrs and two empty lists, about 15 % of a parsed
# model's memory). Nothing changes a syntax node after parsing.
NO_ATTRS = Attrs()


# ------------------------------------------------------------------ top-level items


@dataclass(slots=True)
class Import:
    path: Text
    alias: Word
    span: Span


@dataclass(slots=True)
class DeclaredUnit:
    amount: Expr
    product: Ref
    description: Text | None
    functional: bool
    span: Span


@dataclass(slots=True)
class Study:
    title: Text
    span: Span
    product: Text | None = None
    producer: Text | None = None
    declared_unit: DeclaredUnit | None = None
    period: tuple[Word, Word] | None = None
    period_span: Span | None = None
    geography: Word | None = None
    standards: list[Text] = field(default_factory=list)
    gwp: Ref | None = None
    notes: list[Text] = field(default_factory=list)
    duplicates: list[tuple[str, Span]] = field(default_factory=list)


@dataclass(slots=True)
class StageDecl:
    name: Word
    label: Text | None
    span: Span


@dataclass(slots=True)
class BoundaryLine:
    included: bool
    stage: Word
    reason: Text | None
    span: Span


@dataclass(slots=True)
class Boundary:
    shorthand: Word | None
    lines: list[BoundaryLine]
    notes: list[Text]
    span: Span


@dataclass(slots=True)
class Cutoff:
    span: Span
    basis: Word | None = None
    per_flow: Expr | None = None
    cumulative: Expr | None = None
    notes: list[Text] = field(default_factory=list)
    duplicates: list[tuple[str, Span]] = field(default_factory=list)


@dataclass(slots=True)
class Param:
    name: Word
    expr: Expr
    span: Span


@dataclass(slots=True)
class GwpEntry:
    gas: Word
    value: Num
    negative: bool
    span: Span


@dataclass(slots=True)
class GwpSet:
    name: Word
    label: Text | None
    entries: list[GwpEntry]
    source: Text | None
    year: Word | None
    notes: list[Text]
    span: Span


@dataclass(slots=True)
class Factor:
    name: Word
    label: Text | None
    value: Expr | None
    gases: list[Expr]
    source: Text | None
    dataset: Text | None
    year: Word | None
    geography: Word | None
    notes: list[Text]
    span: Span


@dataclass(slots=True)
class Flow:
    """One flow line of a process: product, waste, loss, input or emit."""

    kind: str  # product | waste | loss | input | emit
    name: Word
    label: Text | None
    amount: Expr
    span: Span
    source: Ref | None = None  # input: `from X`; waste: `to X`; emit: `with X`
    waste_route: str | None = None  # "to" (a treatment process) or "with" (a factor)
    cutoff: bool = False
    cutoff_reason: Text | None = None
    of_input: Word | None = None  # emit ... of INPUT: the physical flow burned
    attrs: Attrs = field(default_factory=lambda: NO_ATTRS)


@dataclass(slots=True)
class AllocationShare:
    product: Word
    value: Expr
    span: Span


@dataclass(slots=True)
class Allocation:
    method: Word
    shares: list[AllocationShare]
    properties: list[AllocationShare]
    justification: Text | None
    span: Span


@dataclass(slots=True)
class Process:
    name: Word
    label: Text | None
    span: Span
    stage: Word | None = None
    geography: Word | None = None
    flows: list[Flow] = field(default_factory=list)
    allocation: Allocation | None = None
    quality: list[QualityScore] | None = None
    quality_span: Span | None = None
    notes: list[Text] = field(default_factory=list)
    duplicates: list[tuple[str, Span]] = field(default_factory=list)


@dataclass(slots=True)
class Claim:
    target: str  # total | stage | process | flow | group | quality
    subject: Ref | None
    value: Expr
    source: Text | None
    notes: list[Text]
    span: Span


@dataclass(slots=True)
class Waiver:
    code: Word
    subject: Ref | None
    justification: Text
    span: Span


@dataclass(slots=True)
class RuleSetting:
    code: Word
    severity: Word
    span: Span


@dataclass(slots=True)
class ProfileParam:
    key: Ref
    value: Expr | Text
    span: Span


@dataclass(slots=True)
class Profile:
    name: Word
    label: Text | None
    extends: list[Ref]
    rules: list[RuleSetting]
    params: list[ProfileParam]
    standards: list[Text]
    notes: list[Text]
    span: Span


Item = (
    Import | Study | StageDecl | Boundary | Cutoff | Param | GwpSet | Factor | Process
    | Claim | Waiver | Profile
)


@dataclass(slots=True)
class File:
    path: str
    items: list[Item]

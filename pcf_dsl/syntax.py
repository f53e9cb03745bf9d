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


def amount_node(file: str, line: int, number: str, column: int, unit: tuple[str, int, int],
                second: tuple[str, str, int, int] | None = None) -> BinOp:
    """The node of `NUMBER UNIT [*|/| UNIT]` on one line, as the parser's transformer makes it.

    `unit` is (its name, column, end column); `second` is (the operator: "*", "/" or "juxt"; the second
    unit's name, column, end column). Juxtaposition binds tighter than `*` and `/`, so the number and
    the first unit are one node whatever the operator. The readers of flow lines (FlowLine.amount), of
    allocation blocks and of cut-off lines (parse._matched_amount) make their amounts here.
    """
    name, name_col, name_end = unit
    amount = BinOp("juxt", Num(number, Span(file, line, column, line, column + len(number))),
                   Name((name,), Span(file, line, name_col, line, name_end)), Span(file, line, column, line, name_end))
    if second is None:
        return amount
    op, name, name_col, name_end = second
    return BinOp(op, amount, Name((name,), Span(file, line, name_col, line, name_end)),
                 Span(file, line, column, line, name_end))


class FlowLine(tuple):
    """A whole flow line as the parser's flow line reader reads it: its words and columns, no nodes.

    Most lines of a large model are flow lines of one shape (`input NAME
    NUMBER UNIT [UNIT] [of NAME] [from|to|with REF]`, with at most a one-line
    `group` or `stage` block). As a :class:`Flow` each was eleven objects (the
    flow, its name, its amount's three nodes, its source, and a span for
    each); the builder reads the words of this one tuple instead, and makes
    only the record and the spans the model keeps.

    It reads as a :class:`Flow`: `name`, `amount`, `span`, `source`,
    `attrs`, ... make the nodes the flow would have had when they are asked
    for, and :meth:`expand` the whole node (the formatter's equivalence check,
    a diagnostic's place). It compares equal to the `Flow` lark's own parse
    gives for the same text.
    """

    __slots__ = ()

    # The fields, in order: the words as written (`op` is "juxt", "*", "/" or None without a second unit;
    # `tag` is from/to/with or None; `parts` the source's dotted parts), then the file, the line, and the
    # columns (Span's, from 1) of each word. The block's word is on the next line, its columns on that line.
    FIELDS = ("kind", "name_text", "number", "u1", "op", "u2", "of", "tag", "parts", "attribute", "value",
              "file", "line", "name_col", "name_end", "num_col", "u1_col", "u1_end", "u2_col", "u2_end",
              "of_col", "of_end", "ref_col", "ref_end", "line_end", "value_col", "value_end")

    label = None
    cutoff = False
    cutoff_reason = None

    @property
    def kind(self) -> str:
        return self[0]

    @property
    def name_text(self) -> str:
        return self[1]

    @property
    def name(self) -> Word:
        return Word(self[1], Span(self[11], self[12], self[13], self[12], self[14]))

    @property
    def amount(self) -> Expr:
        return amount_node(self[11], self[12], self[2], self[15], (self[3], self[16], self[17]),
                           None if self[5] is None else (self[4], self[5], self[18], self[19]))

    @property
    def span(self) -> Span:
        return Span(self[11], self[12], self[13], self[12], self[24])

    @property
    def source(self) -> Ref | None:
        if self[7] is None:
            return None
        return Ref(self[8], Span(self[11], self[12], self[22], self[12], self[23]))

    @property
    def waste_route(self) -> str | None:
        return self[7] if self[0] == "waste" and self[7] is not None else None

    @property
    def of_input(self) -> Word | None:
        if self[6] is None:
            return None
        return Word(self[6], Span(self[11], self[12], self[20], self[12], self[21]))

    @property
    def attrs(self) -> Attrs:
        if self[9] is None:
            return NO_ATTRS
        word = Word(self[10], Span(self[11], self[12] + 1, self[25], self[12] + 1, self[26]))
        return Attrs(group=word) if self[9] == "group" else Attrs(stage=word)

    def expand(self) -> Flow:
        """The :class:`Flow` node of this line, as lark's own parse makes it."""
        return Flow(kind=self[0], name=self.name, label=None, amount=self.amount, span=self.span, source=self.source,
                    waste_route=self.waste_route, of_input=self.of_input, attrs=self.attrs)

    def __eq__(self, other):
        if isinstance(other, Flow):
            return self.expand() == other
        return tuple.__eq__(self, other) if isinstance(other, FlowLine) else NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # as the dataclass nodes: equal by value, not a key

    def __repr__(self) -> str:
        return f"FlowLine({self.expand()!r})"

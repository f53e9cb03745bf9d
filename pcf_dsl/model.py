"""The validated model: what a product system means, once names and units are resolved.

Built by :mod:`pcf_dsl.build` from the syntax tree. Every quantity is kept as
a number and a unit string that pint reads; every element keeps the span it
came from (excluded from comparisons and JSON), so that a rule can report a
model path and :meth:`Model.locate` turns it into a place in a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.dataclasses import dataclass as _pydantic_dataclass

from .diagnostics import Span

STANDARD_STAGES: tuple[tuple[str, str], ...] = (
    ("raw_material_acquisition", "raw material acquisition"),
    ("production", "production"),
    ("distribution", "distribution"),
    ("use", "use"),
    ("end_of_life", "end of life"),
)

BOUNDARY_SHORTHANDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # name: (included standard stages, excluded standard stages)
    "cradle_to_gate": (("raw_material_acquisition", "production"), ("distribution", "use", "end_of_life")),
    "cradle_to_grave": (("raw_material_acquisition", "production", "distribution", "use", "end_of_life"), ()),
    "gate_to_gate": (("production",), ("raw_material_acquisition", "distribution", "use", "end_of_life")),
}

ALLOCATION_METHODS = ("subdivision", "system_expansion", "mass", "energy", "physical", "economic", "none")

# The reference report's three-criteria data-quality scheme (score 1..6, higher is better).
QUALITY_LEVELS: dict[str, dict[str, int]] = {
    "activity": {"continuous": 6, "periodic": 3, "estimated": 1},
    "factor": {"measured": 6, "same_process": 5, "manufacturer": 4, "regional": 3, "national": 2, "international": 1},
    "calibration": {"compliant": 6, "accepted": 3, "none": 1},
}


_CONFIG = ConfigDict(frozen=False, extra="forbid", arbitrary_types_allowed=True)


class _Base(BaseModel):
    model_config = _CONFIG


def record(cls=None, *, config: ConfigDict = _CONFIG):
    """A class with one object per process or line (processes, flows, amounts, result lines): a pydantic dataclass with slots.

    It validates like the other model classes and serialises (``Model.model_dump``,
    ``to_json``) the same, field for field and in the same order (``kw_only``
    lets a field with a default come before one without; a field's ``Field(...)``
    goes in ``Annotated``, or pydantic lists that field first in the JSON schema).
    A pydantic ``BaseModel`` keeps its fields in a per-object ``__dict__``: a
    flow with its amount took 960 bytes that way and takes 272 with slots
    (tracemalloc, 100,000 flows), and a model of 100,000 processes has about
    800,000 flows. Code that handles any model object uses :func:`fields_of`,
    ``pydantic_core.to_jsonable_python`` and ``copy.deepcopy``, not the
    ``BaseModel`` methods.
    ``config`` is the result classes' way to keep pydantic's default (extra
    fields ignored), as their ``BaseModel`` siblings do.
    """
    make = _pydantic_dataclass(slots=True, kw_only=True, config=config)
    return make if cls is None else make(cls)


def is_model_object(value) -> bool:
    """True for an object of a model class, either kind (``BaseModel`` or a :func:`record`)."""
    return isinstance(value, BaseModel) or hasattr(type(value), "__pydantic_fields__")


def fields_of(obj) -> list[str]:
    """The names of a model object's fields, in order, without the ones left out of JSON (the spans)."""
    return [name for name, info in type(obj).__pydantic_fields__.items() if not info.exclude]


def _span_field():
    return Field(default=None, exclude=True, repr=False)


_RecordSpan = Annotated[Span | None, Field(exclude=True, repr=False)]


@record
class Quantity:
    """A number with a unit pint understands, e.g. ``Quantity(value=0.6205, unit="t * CO2 / MWh")``."""

    value: float
    unit: str

    def pint(self):
        from .units import Q

        return Q(self.value, self.unit)


def unit_term(functional: bool) -> str:
    return "functional unit" if functional else "declared unit"


class DeclaredUnit(_Base):
    amount: Quantity
    product: str = Field(description="activity key `process.product` of the reference flow")
    description: str | None = None
    functional: bool = Field(False, description="true for a functional unit, false for a declared unit")
    span: Span | None = _span_field()

    @property
    def term(self) -> str:
        """What messages call it: ISO 14067 tells a functional unit from a declared unit, and so does the study."""
        return unit_term(self.functional)


class Study(_Base):
    title: str
    product: str | None = None
    producer: str | None = None
    declared_unit: DeclaredUnit | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    geography: str | None = None
    standards: list[str] = []
    gwp: str | None = None
    notes: list[str] = []
    span: Span | None = _span_field()


class Stage(_Base):
    name: str
    label: str
    standard: bool
    included: bool | None = Field(None, description="None: the boundary does not mention the stage")
    reason: str | None = None
    span: Span | None = _span_field()


class Boundary(_Base):
    shorthand: str | None = None
    notes: list[str] = []
    span: Span | None = _span_field()


class Cutoff(_Base):
    basis: Literal["emissions", "mass", "energy"] = "emissions"
    per_flow: float | None = Field(None, description="fraction of the total, e.g. 0.01 for 1 %")
    cumulative: float | None = None
    notes: list[str] = []
    span: Span | None = _span_field()
    per_flow_span: Span | None = _span_field()
    cumulative_span: Span | None = _span_field()


class GwpSet(_Base):
    name: str
    label: str | None = None
    factors: dict[str, float]
    source: str | None = None
    year: int | None = None
    span: Span | None = _span_field()


class FactorComponent(_Base):
    """One gas of a factor: `quantity` is mass of gas (or CO2e) per unit of activity."""

    gas: str
    quantity: Quantity
    text: str = Field(description="the value as written in the model")


class Factor(_Base):
    name: str
    label: str | None = None
    components: list[FactorComponent]
    source: str | None = None
    dataset: str | None = None
    year: int | None = None
    geography: str | None = None
    notes: list[str] = []
    span: Span | None = _span_field()


class Quality(_Base):
    activity: int | None = None
    factor: int | None = None
    calibration: int | None = None

    def score(self) -> float | None:
        values = [v for v in (self.activity, self.factor, self.calibration) if v is not None]
        return sum(values) / len(values) if len(values) == 3 else None


FlowKind = Literal["product", "waste", "loss", "input", "emit"]


class _NoProperties(dict):
    """The one empty, read-only properties dict that every flow without properties (most of them) shares.

    pydantic copies a mutable default for each object: 64 bytes a flow for an
    empty dict. A dict subclass, so that it validates and serialises as a dict.
    """

    def _refuse(self, *args, **kwargs):
        raise TypeError("this flow has no properties of its own: give it a new dict (flow.properties = {...})")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse


_NO_PROPERTIES = _NoProperties()


@record
class Flow:
    kind: FlowKind
    name: str
    label: str | None = None
    amount: Quantity
    amount_text: Annotated[str, Field(description="the amount as written")]
    source: Annotated[str | None, Field(description="supplier activity key, factor name, or treatment activity key")] = None
    source_kind: Literal["process", "factor"] | None = None
    waste_route: Annotated[Literal["to", "with"] | None,
                           Field(description="a waste goes `to` a treatment process or is treated `with` a factor")] = None
    cutoff: bool = False
    cutoff_reason: str | None = None
    estimate: Annotated[Quantity | None,
                        Field(description="cut-off estimate: kg CO2e per run, or a share of the total")] = None
    of_input: str | None = None
    stage: Annotated[str | None, Field(description="stage this flow's burden is reported in, if not the process's")] = None
    group: str | None = None
    quality: Quality | None = None
    notes: tuple[str, ...] = ()
    data_source: Annotated[str | None, Field(description="where the activity figure comes from (`source TEXT`)")] = None
    properties: Annotated[dict[str, Quantity],
                          Field(default_factory=lambda: _NO_PROPERTIES, json_schema_extra={"default": {}})]
    span: _RecordSpan = None
    amount_span: _RecordSpan = None
    source_span: _RecordSpan = None


_new = object.__new__


def line_flow(kind: str, name: str, value: float, unit: str, amount_text: str, file: str, line: int,
              name_col: int, name_end: int, amount_col: int, amount_end: int, source: str | None = None,
              source_col: int = 0, source_end: int = 0, waste_route: str | None = None, of_input: str | None = None,
              stage: str | None = None, group: str | None = None) -> Flow:
    """The Flow of a line the builder has read and checked word by word (build.Builder._build_flow_line).

    Every field is set as it is, without pydantic's validation of each one:
    3.4 of the 3.7 us it took to make a flow, 2.6 s of loading a model of
    100,000 processes. The builder passes only what it has checked (a kind
    the reader knows, a float, the units' text pint gave, names as written),
    which validation would return unchanged; tests/test_build_fast_paths.py
    holds the two to the same record for every shape of line, and this
    function to setting every field a Flow and its spans have.

    The line's spans (its name, its amount and its source, all on `line`)
    are made here too, from their columns, and each field is set by a
    statement of its own: a Span(...) call costs a frame of its __init__
    and a tuple assignment builds the tuple first, together 0.45 of the
    1.75 us a line took (26 % of _build_flow_line on the 10k model).
    """
    amount = _new(Quantity)
    amount.value = value
    amount.unit = unit
    flow = _new(Flow)
    flow.kind = kind
    flow.name = name
    flow.label = None
    flow.amount = amount
    flow.amount_text = amount_text
    flow.source = source
    flow.source_kind = None
    flow.waste_route = waste_route
    flow.cutoff = False
    flow.cutoff_reason = None
    flow.estimate = None
    flow.of_input = of_input
    flow.stage = stage
    flow.group = group
    flow.quality = None
    flow.notes = ()
    flow.data_source = None
    flow.properties = _NO_PROPERTIES
    flow.span = span = _new(Span)
    span.file = file
    span.line = line
    span.column = name_col
    span.end_line = line
    span.end_column = name_end
    flow.amount_span = span = _new(Span)
    span.file = file
    span.line = line
    span.column = amount_col
    span.end_line = line
    span.end_column = amount_end
    if source is None:
        flow.source_span = None
    else:
        flow.source_span = span = _new(Span)
        span.file = file
        span.line = line
        span.column = source_col
        span.end_line = line
        span.end_column = source_end
    return flow


class Allocation(_Base):
    method: str
    shares: dict[str, float] = Field(default_factory=dict, description="explicit shares, fractions")
    properties: dict[str, Quantity] = Field(default_factory=dict)
    justification: str | None = None
    span: Span | None = _span_field()


@record
class Process:
    name: str
    label: str | None = None
    stage: str
    geography: str | None = None
    flows: list[Flow]
    allocation: Allocation | None = None
    quality: Quality | None = None
    notes: Annotated[list[str], Field(default_factory=list, json_schema_extra={"default": []})]
    span: _RecordSpan = None

    @property
    def products(self) -> list[Flow]:
        return [f for f in self.flows if f.kind == "product"]

    def flow(self, name: str) -> Flow | None:
        for flow in self.flows:  # a loop, not next() over a generator: a third of the time, asked per finding
            if flow.name == name:
                return flow
        return None

    def key(self, product: str) -> str:
        return f"{self.name}.{product}"

    def quality_of(self, flow: Flow) -> Quality | None:
        """A line's data-quality scores: its own, each criterion it leaves out taken from the process."""
        own, default = flow.quality, self.quality
        if own is None:
            return default
        if default is None:
            return own
        return Quality(**{c: getattr(own, c) if getattr(own, c) is not None else getattr(default, c)
                          for c in ("activity", "factor", "calibration")})


def built_process(name: str, label: str | None, stage: str, geography: str | None, flows: list[Flow],
                  allocation: Allocation | None, quality: Quality | None, notes: list[str], span: Span | None) -> Process:
    """The Process the builder has made of a checked process block (build.Builder._build_process).

    Every field is set as it is, as :func:`line_flow` sets a flow's: what
    the builder passes is checked already (text as written, its own Flow,
    Allocation and Quality records), so validation would return it
    unchanged. That was 3.3 us a process, 0.35 s of loading a model of
    100,000 processes. tests/test_build_fast_paths.py holds this to the
    record validation makes and to setting every field a Process has.
    """
    process = _new(Process)
    process.name, process.label, process.stage, process.geography = name, label, stage, geography
    process.flows, process.allocation, process.quality, process.notes, process.span = (flows, allocation, quality,
                                                                                       notes, span)
    return process


class Claim(_Base):
    target: Literal["total", "stage", "process", "flow", "group", "quality"]
    subject: str | None = None
    value: float = Field(description="kg CO2e per declared unit, or the score for `quality`")
    text: str = Field(description="the number as printed in the report")
    decimals: int = Field(description="decimals printed: the claim is compared at this precision")
    resolution: float = Field(description="one unit of the last printed digit, in kg CO2e per declared unit")
    source: str | None = None
    notes: list[str] = []
    span: Span | None = _span_field()


class Waiver(_Base):
    code: str
    subject: str | None = None
    justification: str
    span: Span | None = _span_field()
    # The code and the subject on their own, so that W001 underlines the one that names nothing.
    code_span: Span | None = _span_field()
    subject_span: Span | None = _span_field()


class Profile(_Base):
    name: str
    label: str | None = None
    extends: list[str] = []
    rules: dict[str, str] = {}
    params: dict[str, float | str] = {}
    standards: list[str] = []
    notes: list[str] = []
    span: Span | None = _span_field()
    # Where each setting is written, so that a wrong one is reported on its own line: the code of
    # a `rule` line, the key and the value of a `set` line.
    rule_spans: dict[str, Span] = Field(default_factory=dict, exclude=True, repr=False)
    param_spans: dict[str, Span] = Field(default_factory=dict, exclude=True, repr=False)
    value_spans: dict[str, Span] = Field(default_factory=dict, exclude=True, repr=False)
    # The `set` lines whose value is a number without a unit (`= 0.5`, not `= 0.5 %`).
    bare_params: list[str] = Field(default_factory=list, exclude=True, repr=False)


class Model(_Base):
    """A loaded product system with everything it imported."""

    path: str
    study: Study | None = None
    stages: list[Stage] = Field(description="life-cycle order")
    boundary: Boundary | None = None
    cutoff: Cutoff | None = None
    params: dict[str, Quantity] = {}
    # Where each parameter is declared (its name), and what reads it: the parameters whose value
    # names it, "" for any other expression. A parameter missing from `param_users` was not traced.
    param_spans: dict[str, Span] = Field(default_factory=dict, exclude=True, repr=False)
    param_users: dict[str, list[str]] = Field(default_factory=dict, exclude=True, repr=False)
    gwp_sets: dict[str, GwpSet] = {}
    factors: dict[str, Factor] = {}
    processes: dict[str, Process] = {}
    claims: list[Claim] = []
    waivers: list[Waiver] = []
    profiles: dict[str, Profile] = {}
    files: list[str] = Field(default_factory=list, description="every file loaded, the top one first")

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def activity(self, key: str) -> tuple[Process, Flow]:
        """The process and product flow for an activity key `process.product`."""
        process_name, _, product = key.rpartition(".")
        process = self.processes[process_name]
        return process, process.flow(product)

    def semantic(self) -> dict:
        """The model without positions: two models that mean the same compare equal."""
        data = self.model_dump(mode="json")
        data.pop("path", None)
        data.pop("files", None)
        return data

    def locate(self, path: tuple[str, ...], settings: Mapping[str, Span] | None = None) -> Span | None:
        """The file span of a model path such as ("process", "casting", "flow", "ingot").

        `settings` are the spans of the profile's `set` lines (ResolvedProfile.param_spans): a path
        ("cutoff", "cumulative", "profile") is the threshold the profile sets, which may be written in
        a profile file rather than in the model.
        """
        if not path:
            return None
        head, rest = path[0], path[1:]
        # A process or one of its flows first: the place of most findings of a large model.
        if head == "process" and rest and rest[0] in self.processes:
            process = self.processes[rest[0]]
            if len(rest) >= 3 and rest[1] == "flow":
                flow = process.flow(rest[2])
                if flow is not None:
                    if len(rest) >= 4 and rest[3] == "amount":
                        return flow.amount_span or flow.span
                    if len(rest) >= 4 and rest[3] == "source":
                        return flow.source_span or flow.span
                    return flow.span
            if len(rest) >= 2 and rest[1] == "allocation" and process.allocation:
                return process.allocation.span
            return process.span
        if head == "study" and self.study:
            if rest and rest[0] == "declared_unit" and self.study.declared_unit:
                return self.study.declared_unit.span
            return self.study.span
        if head == "boundary":
            if rest:
                stage = self.stage(rest[0])
                if stage and stage.span:
                    return stage.span
            return self.boundary.span if self.boundary else None
        if head == "cutoff":
            if len(rest) >= 2 and rest[1] == "profile" and settings and f"cutoff.{rest[0]}" in settings:
                return settings[f"cutoff.{rest[0]}"]
            if self.cutoff is None:
                return None
            if rest and rest[0] in ("per_flow", "cumulative"):
                return getattr(self.cutoff, f"{rest[0]}_span") or self.cutoff.span
            return self.cutoff.span
        if head == "stage" and rest:
            stage = self.stage(rest[0])
            return stage.span if stage else None
        if head == "factor" and rest and rest[0] in self.factors:
            return self.factors[rest[0]].span
        if head == "param" and rest and rest[0] in self.param_spans:
            return self.param_spans[rest[0]]
        if head == "gwp_set" and rest and rest[0] in self.gwp_sets:
            return self.gwp_sets[rest[0]].span
        if head == "claim" and rest:
            index = int(rest[0])
            return self.claims[index].span if index < len(self.claims) else None
        if head == "waiver" and rest:
            index = int(rest[0])
            if index >= len(self.waivers):
                return None
            waiver = self.waivers[index]
            if len(rest) >= 2 and rest[1] in ("code", "subject"):
                return getattr(waiver, f"{rest[1]}_span") or waiver.span
            return waiver.span
        if head == "profile" and rest and rest[0] in self.profiles:
            return self.profiles[rest[0]].span
        return None

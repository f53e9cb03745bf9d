"""The semantic diff behind `pcf diff`: what changed in a model, and what each change did to the footprint.

Two loaded models are compared element by element, not line by line:
processes, their flows and allocation, factors (value, unit, source, year, ...),
stages and the boundary, the cut-off rule, parameters, GWP sets, the study,
claims, waivers and profiles, each added, removed or changed. Layout, comments
and the order of sections do not count; a number written differently does
(`1.0 t` to `1.00 t`), with no effect on the footprint.

Attribution, one change at a time: each change is applied alone to the old
model, which is computed again; the difference from the old footprint (total
and per stage) is that change's effect. What the effects do not add up to is
the *interaction* (two changes on one flow, an amount and its factor, multiply;
a change that cannot be computed without another, such as a flow from a process
added in the same edit, has no effect of its own and counts here). The rows
therefore add up exactly to the change of the footprint. Changes are listed by
the size of their effect, largest first.

A parameter's change shows in the flows that use it (their amounts are
evaluated when the model is built), so its own row has no effect; claims,
waivers and profiles do not change the footprint.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable

from pydantic_core import to_jsonable_python

from . import model as M
from .build import (
    declared_unit_error,
    factor_units_error,
    property_units_error,
    structure_error,
    supplier_units_error,
)
from .compute import Result, compute
from .diagnostics import PcfError
from .present import plain, quoted
from .units import conversion_factor, readable, short

# A relative size below which a difference is rounding noise of the solver, not an effect.
_NOISE = 1e-12

# Top-level fields of the model and the singular name of one element.
_KEYED = {"params": "param", "gwp_sets": "gwp_set", "factors": "factor", "processes": "process", "profiles": "profile"}
_LISTED = {"claims": "claim", "waivers": "waiver"}
_SKIPPED = {"path", "files"}
# Kinds in the order a reader expects them when effects are equal.
KIND_ORDER = ("study", "boundary", "stage", "cutoff", "param", "gwp_set", "factor", "process", "flow", "allocation",
              "claim", "waiver", "profile")


@dataclass
class FieldChange:
    name: str
    old: str
    new: str


@dataclass
class Effect:
    """The change of the footprint, kg CO2e per declared unit: total and per stage (stages that moved)."""

    total: float
    by_stage: dict[str, float]


@dataclass
class Change:
    kind: str  # see KIND_ORDER
    action: str  # added | removed | changed
    path: tuple[str, ...]  # a model path, as Model.locate takes it
    fields: list[FieldChange] = field(default_factory=list)
    apply: Callable[[M.Model], None] | None = None  # applies this change alone to a copy of the old model
    effect: Effect | None = None
    note: str | None = None

    @property
    def name(self) -> str:
        """`flow casting.ingot`, `factor ef.grid`, `boundary stage use`, `claim stage production #2`."""
        if self.kind == "flow":
            return f"flow {self.path[1]}.{self.path[3]}"
        if self.kind == "allocation":
            return f"allocation of {self.path[1]}"
        if self.kind == "boundary" and len(self.path) > 1:
            return f"boundary stage {self.path[1]}"
        return f"{self.kind} {self.path[1]}" if len(self.path) > 1 else self.kind

    @property
    def title(self) -> str:
        return f"{self.name} {self.action}"


@dataclass
class Footprint:
    total: float
    by_stage: dict[str, float]
    unit: str  # "kg CO2e per 1 kg"
    declared: M.Quantity | None = None  # the declared unit's amount, `1 kg`

    def scaled(self, factor: float) -> Footprint:
        return Footprint(self.total * factor, {k: v * factor for k, v in self.by_stage.items()}, self.unit, self.declared)


@dataclass
class ModelDiff:
    old_name: str
    new_name: str
    changes: list[Change]
    old: Footprint | None = None
    new: Footprint | None = None
    interaction: Effect | None = None
    problem: str | None = None  # why the footprint could not be compared
    # What 1 kg CO2e per the old declared unit is per the new one: 1 while it did not change, 1000 from
    # 1 kg to 1 t; None when the two do not convert (1 kg to 1 kWh), and no change can be computed.
    scale: float | None = 1.0
    term: str = "declared unit"  # or "functional unit", as the study says (ISO 14067 tells the two apart)

    @property
    def old_in_new_unit(self) -> Footprint | None:
        """The old footprint per the new declared unit (the change, its percentage and the effects are in it)."""
        if self.old is None or self.new is None or self.scale is None:
            return None
        return self.old if self.scale == 1.0 else self.old.scaled(self.scale)

    @property
    def delta(self) -> Effect | None:
        old = self.old_in_new_unit
        if old is None:
            return None
        stages = list(dict.fromkeys([*old.by_stage, *self.new.by_stage]))
        by_stage = {s: self.new.by_stage.get(s, 0.0) - old.by_stage.get(s, 0.0) for s in stages}
        return Effect(self.new.total - old.total, {s: v for s, v in by_stage.items() if v != 0.0})


# ------------------------------------------------------------------ showing values


def show(value, evaluated: bool = False) -> str:
    """A value as a reader of the diff wants to see it; `evaluated` adds a factor's value to its text.

    Numbers keep up to 15 significant digits (a float's own precision, without its binary
    noise), so that two values that differ never read the same.
    """
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.15g}"
    if isinstance(value, M.Quantity):
        if not value.unit or value.unit == "dimensionless":
            return f"{value.value:.15g}"
        # A share folded into the number, as `pcf calc` and the report show it: `14 kg * 30 %` is
        # 4.2 kg, not pint's `420 kg %`; a unit that is only a share stays (`30 %`).
        scale, unit = readable(value.unit)
        return f"{value.value * scale:.15g} {unit}"
    if isinstance(value, M.Quality):
        return " ".join(f"{k}={v}" for k, v in to_jsonable_python(value).items() if v is not None) or "(none)"
    if isinstance(value, M.FactorComponent):
        return f"{value.text} (= {show(value.quantity)})" if evaluated else value.text
    if M.is_model_object(value):
        return describe(value, evaluated)
    if isinstance(value, dict):
        return ", ".join(f"{k} {show(v, evaluated)}" for k, v in value.items()) or "(none)"  # `CH4_fossil 29.8`
    if isinstance(value, (list, tuple)):
        return "; ".join(show(v, evaluated) for v in value) or "(none)"
    return str(value)


# Fields the model keeps as fractions that the language writes as percentages (`per_flow 1 %`,
# `share billet 85 %`): shown as written, not as `per_flow 0.01`.
_PERCENT_FIELDS = {"per_flow", "cumulative", "shares"}


def show_field(name: str, value, evaluated: bool = False) -> str:
    """A field's value as `show` gives it, a share as a percentage."""
    if name in _PERCENT_FIELDS:
        if isinstance(value, float):
            return f"{100 * value:.15g} %"
        if isinstance(value, dict):
            return ", ".join(f"{k} {show_field(name, v)}" for k, v in value.items()) or "(none)"
    return show(value, evaluated)


# Fields that the language writes as texts, in double quotes (`source "Table 2"`); `source` of a flow
# and `product` of a declared unit name elements, and stay as written.
_TEXT_FIELDS = {"label", "dataset", "notes", "justification", "reason", "cutoff_reason", "title", "producer",
                "standards", "description", "data_source", "source", "product"}


def _is_text_field(owner, name: str) -> bool:
    if name == "source":
        return not isinstance(owner, M.Flow)
    if name == "product":
        return isinstance(owner, M.Study)
    return name in _TEXT_FIELDS


def _gases(factors: dict[str, float]) -> list[str]:
    """A GWP set's entries as written; CO2e 1 is every set's own (the builder adds it): shown only when a set
    says otherwise."""
    return [f"{gas} {_number(v)}" for gas, v in factors.items() if not (gas == "CO2e" and v == 1.0)]


def _profile_value(profile: M.Profile, key: str, value) -> str:
    """A profile's `set` value as written: a text in quotes, a share as a percentage, a bare number as it is."""
    if isinstance(value, str):
        return quoted(value)
    return _number(value) if key in profile.bare_params else f"{100 * value:.15g} %"


def _owned_field(owner, name: str, value, evaluated: bool = False) -> str:
    """A field of `owner` as the language writes it: texts quoted, a profile's shares as percentages."""
    if isinstance(owner, M.GwpSet) and name == "factors":
        return ", ".join(_gases(value)) or "(none)"
    if isinstance(owner, M.Profile) and name == "params":
        return ", ".join(f"{k} = {_profile_value(owner, k, v)}" for k, v in value.items()) or "(none)"
    if _is_text_field(owner, name) and value is not None:
        if isinstance(value, str):
            return quoted(value)
        if isinstance(value, (list, tuple)):
            return "; ".join(quoted(v) for v in value) or "(none)"
    return show_field(name, value, evaluated)


def _field_changes(old, new, skip: tuple[str, ...] = ()) -> list[FieldChange]:
    out = []
    for name in M.fields_of(old):
        if name in skip:
            continue
        a, b = getattr(old, name), getattr(new, name)
        if to_jsonable_python(a) != to_jsonable_python(b):
            shown = _owned_field(old, name, a), _owned_field(new, name, b)
            if shown[0] == shown[1]:  # the same text, another value: a parameter in it changed
                shown = _owned_field(old, name, a, evaluated=True), _owned_field(new, name, b, evaluated=True)
            out.append(FieldChange(_FIELD_NAMES.get(name, name), *shown))
    return out


# Field names as the language writes them, where the model's name differs.
_FIELD_NAMES = {"components": "value", "amount_text": "amount", "cutoff_reason": "cut-off reason",
                "of_input": "of", "period_start": "period start", "period_end": "period end",
                "notes": "note", "standards": "standard", "rules": "rule", "params": "set", "factors": "gases",
                "shares": "share", "properties": "property"}


def _statements(*parts) -> str:
    """`part, part`: the lines of a block, each as the language writes it; empty parts left out."""
    return ", ".join(p for p in parts if p) or "(none)"


def _notes(notes) -> list[str]:
    return [f"note {quoted(n)}" for n in notes]


def _number(value: float) -> str:
    return f"{value:.15g}"


def describe(value, evaluated: bool = False) -> str:
    """An element of the model as the language writes it: a factor as `"label" = 5.795 t CO2e / t, source "..."`,
    not as the model's fields (`components=..., name=...`). The element's name is in the change's title."""
    if isinstance(value, M.Factor):
        label = f"{quoted(value.label)} " if value.label else ""
        values = ([f"{label}= {show(value.components[0], evaluated)}"] if len(value.components) == 1
                  else [label.strip(), *(f"gas {show(c, evaluated)}" for c in value.components)])
        return _statements(*values, value.source and f"source {quoted(value.source)}",
                           value.dataset and f"dataset {quoted(value.dataset)}",
                           value.year is not None and f"year {value.year}",
                           value.geography and f"geography {value.geography}", *_notes(value.notes))
    if isinstance(value, M.Process):
        head = _statements(value.label and quoted(value.label), f"stage {value.stage}",
                           value.geography and f"geography {value.geography}",
                           value.quality and f"quality {show(value.quality)}", *_notes(value.notes))
        lines = [_flow_line(f) for f in value.flows]
        if value.allocation:
            lines.append(f"allocation {describe(value.allocation)}")
        return "; ".join([head, *lines])
    if isinstance(value, M.Allocation):
        return _statements(value.method, *(f"share {k} {show_field('shares', v)}" for k, v in value.shares.items()),
                           *(f"property {k} {show(v)}" for k, v in value.properties.items()),
                           value.justification and f"justification {quoted(value.justification)}")
    if isinstance(value, M.Stage):
        boundary = ("" if value.included is None else f"include {value.name}" if value.included
                    else f"exclude {value.name}" + (f" {quoted(value.reason)}" if value.reason else ""))
        own = "" if value.standard else f"stage {value.name}" + (f" {quoted(value.label)}" if value.label else "")
        return _statements(own, boundary)
    if isinstance(value, M.Boundary):
        return _statements(value.shorthand, *_notes(value.notes))
    if isinstance(value, M.Cutoff):
        return _statements(f"basis {value.basis}",
                           value.per_flow is not None and f"per_flow {show_field('per_flow', value.per_flow)}",
                           value.cumulative is not None and f"cumulative {show_field('cumulative', value.cumulative)}",
                           *_notes(value.notes))
    if isinstance(value, M.GwpSet):
        return _statements(value.label and quoted(value.label), value.source and f"source {quoted(value.source)}",
                           value.year is not None and f"year {value.year}", *_gases(value.factors))
    if isinstance(value, M.DeclaredUnit):
        return (f"{show(value.amount)} of {value.product}"
                + (f" {quoted(value.description)}" if value.description else "")
                + (" (functional unit)" if value.functional else ""))
    if isinstance(value, M.Study):
        return _statements(
            quoted(value.title), value.product and f"product {quoted(value.product)}",
            value.producer and f"producer {quoted(value.producer)}",
            value.declared_unit and f"{'functional' if value.declared_unit.functional else 'declared'}_unit "
                                    f"{describe(value.declared_unit)}",
            value.period_start and f"period {value.period_start} to {value.period_end}",
            value.geography and f"geography {value.geography}", *(f"standard {quoted(s)}" for s in value.standards),
            value.gwp and f"gwp {value.gwp}", *_notes(value.notes))
    if isinstance(value, M.Claim):
        unit = "" if value.target == "quality" else " kg CO2e"
        return _statements(f"= {value.text}{unit}", value.source and f"source {quoted(value.source)}",
                           *_notes(value.notes))
    if isinstance(value, M.Waiver):
        return quoted(value.justification)
    if isinstance(value, M.Profile):
        return _statements(value.label and quoted(value.label), *(f"extends {e}" for e in value.extends),
                           *(f"standard {quoted(s)}" for s in value.standards),
                           *(f"rule {code} {severity}" for code, severity in value.rules.items()),
                           *(f"set {k} = {_profile_value(value, k, v)}" for k, v in value.params.items()),
                           *_notes(value.notes))
    if isinstance(value, M.Quantity):
        return show(value)
    # Any other model object: its fields as the language names them.
    return ", ".join(f"{_FIELD_NAMES.get(k, k)} {show_field(k, getattr(value, k), evaluated)}"
                     for k in M.fields_of(value) if getattr(value, k) not in (None, [], (), {})) or "(none)"


# ------------------------------------------------------------------ finding the changes


def _flow_fields(old: M.Flow, new: M.Flow) -> list[FieldChange]:
    # The amount as written says it all, unless only its evaluated value moved (a parameter changed).
    skip = ("amount", "source_kind") if old.amount_text != new.amount_text else ("amount_text", "source_kind")
    return _field_changes(old, new, skip)


def _numbered(items: list, head) -> list[tuple[str, object]]:
    """Each item keyed by `head(item)` and its subject (`stage production`), `#2` for the second on it."""
    seen: dict[str, int] = {}
    out = []
    for item in items:
        base = head(item) + (f" {item.subject}" if item.subject else "")
        seen[base] = seen.get(base, 0) + 1
        out.append((base if seen[base] == 1 else f"{base} #{seen[base]}", item))
    return out


def _claim_key(claims: list[M.Claim]) -> list[tuple[str, M.Claim]]:
    return _numbered(claims, lambda claim: claim.target)


def _waiver_key(waivers: list[M.Waiver]) -> list[tuple[str, M.Waiver]]:
    return _numbered(waivers, lambda waiver: waiver.code)


_LIST_KEYS = {"claims": _claim_key, "waivers": _waiver_key}


def _set_keyed(attr: str, key: str, value):
    def apply(model: M.Model) -> None:
        mapping = getattr(model, attr)
        if value is None:
            mapping.pop(key, None)
        else:
            mapping[key] = copy.deepcopy(value)
    return apply


def _set_listed(attr: str, key: str, value):
    def apply(model: M.Model) -> None:
        items = getattr(model, attr)
        keyed = _LIST_KEYS[attr](items)
        index = next((i for i, (k, _) in enumerate(keyed) if k == key), None)
        if value is None:
            if index is not None:
                del items[index]
        elif index is None:
            items.append(copy.deepcopy(value))
        else:
            items[index] = copy.deepcopy(value)
    return apply


def _set_attr(attr: str, value):
    def apply(model: M.Model) -> None:
        setattr(model, attr, copy.deepcopy(value))
    return apply


def _process_changes(old: M.Model, new: M.Model) -> list[Change]:
    changes = []
    for name in [*old.processes, *(n for n in new.processes if n not in old.processes)]:
        a, b = old.processes.get(name), new.processes.get(name)
        if a is None or b is None:
            changes.append(Change("process", "added" if a is None else "removed", ("process", name),
                                  [FieldChange("process", _element(a), _element(b))],
                                  _set_keyed("processes", name, b)))
            continue
        attributes = _field_changes(a, b, skip=("flows", "allocation"))
        if attributes:
            def apply(model, name=name, b=b):
                process = model.processes[name]
                for attr in M.fields_of(b):
                    if attr not in ("flows", "allocation"):
                        setattr(process, attr, copy.deepcopy(getattr(b, attr)))
            changes.append(Change("process", "changed", ("process", name), attributes, apply))
        if to_jsonable_python(a.allocation) != to_jsonable_python(b.allocation):
            detail = (_field_changes(a.allocation, b.allocation) if a.allocation and b.allocation
                      else [FieldChange("allocation", _element(a.allocation), _element(b.allocation))])
            def apply(model, name=name, b=b):
                model.processes[name].allocation = copy.deepcopy(b.allocation)
            changes.append(Change("allocation", "changed", ("process", name, "allocation"), detail, apply))
        for flow_name in [*(f.name for f in a.flows), *(f.name for f in b.flows if a.flow(f.name) is None)]:
            fa, fb = a.flow(flow_name), b.flow(flow_name)
            if fa is not None and fb is not None:
                detail = _flow_fields(fa, fb)
                if not detail:
                    continue
                action = "changed"
            else:
                action = "added" if fa is None else "removed"
                detail = [FieldChange("line", "(none)" if fa is None else _flow_line(fa),
                                      "(none)" if fb is None else _flow_line(fb))]
            def apply(model, name=name, flow_name=flow_name, fb=fb):
                flows = model.processes[name].flows
                index = next((i for i, f in enumerate(flows) if f.name == flow_name), None)
                if fb is None:
                    del flows[index]
                elif index is None:
                    flows.append(copy.deepcopy(fb))
                else:
                    flows[index] = copy.deepcopy(fb)
            changes.append(Change("flow", action, ("process", name, "flow", flow_name), detail, apply))
    return changes


def _flow_line(flow: M.Flow) -> str:
    route = ""
    if flow.cutoff:
        route = " cutoff" + (f" {quoted(flow.cutoff_reason)}" if flow.cutoff_reason else "")
    elif flow.source:
        word = {"input": "from", "emit": "with"}.get(flow.kind, flow.waste_route or "from")
        route = f" {word} {flow.source}"
    stage = f" (stage {flow.stage})" if flow.stage else ""
    return f"{flow.kind} {flow.name} {flow.amount_text}{route}{stage}"


def _stage_changes(old: M.Model, new: M.Model) -> list[Change]:
    changes = []
    a_by, b_by = {s.name: s for s in old.stages}, {s.name: s for s in new.stages}
    for name in [*a_by, *(n for n in b_by if n not in a_by)]:
        a, b = a_by.get(name), b_by.get(name)
        if a is not None and b is not None:
            detail = _field_changes(a, b)
            if not detail:
                continue
            action = "changed"
        else:
            action = "added" if a is None else "removed"
            detail = [FieldChange("stage", _element(a), _element(b))]

        def apply(model, name=name, b=b):
            index = next((i for i, s in enumerate(model.stages) if s.name == name), None)
            if b is None:
                del model.stages[index]
            elif index is None:
                model.stages.append(copy.deepcopy(b))
            else:
                model.stages[index] = copy.deepcopy(b)
        changes.append(Change("boundary", action, ("boundary", name), detail, apply))
    common = [n for n in a_by if n in b_by]
    if common != [n for n in b_by if n in a_by]:
        def apply(model, order=list(b_by)):
            model.stages.sort(key=lambda s: order.index(s.name) if s.name in order else len(order))
        changes.append(Change("boundary", "changed", ("boundary",),
                              [FieldChange("stage order", ", ".join(common), ", ".join(n for n in b_by if n in a_by))],
                              apply))
    return changes


def changes_between(old: M.Model, new: M.Model) -> list[Change]:
    """Every semantic difference from `old` to `new`, each with the function that applies it alone."""
    changes: list[Change] = []
    for attr, info in type(old).model_fields.items():
        if attr in _SKIPPED or info.exclude:
            continue
        a, b = getattr(old, attr), getattr(new, attr)
        if attr == "processes":
            changes.extend(_process_changes(old, new))
        elif attr == "stages":
            changes.extend(_stage_changes(old, new))
        elif attr in _KEYED or isinstance(a, dict):
            kind = _KEYED.get(attr, attr)
            for key in [*a, *(k for k in b if k not in a)]:
                va, vb = a.get(key), b.get(key)
                if to_jsonable_python(va) == to_jsonable_python(vb):
                    continue
                if va is not None and vb is not None and isinstance(va, M.Quantity):
                    # A parameter: its value with its unit (`30 % -> 20 %`), not the number alone.
                    detail, action = [FieldChange("value", show(va), show(vb))], "changed"
                elif va is not None and vb is not None and M.is_model_object(va):
                    detail, action = _field_changes(va, vb), "changed"
                else:
                    action = "added" if va is None else "removed"
                    detail = [FieldChange(kind, _element(va), _element(vb))]
                changes.append(Change(kind, action, (kind, key), detail, _keyed_apply(attr, key, vb)))
        elif attr in _LIST_KEYS:
            kind = _LISTED[attr]
            ka, kb = dict(_LIST_KEYS[attr](a)), dict(_LIST_KEYS[attr](b))
            for key in [*ka, *(k for k in kb if k not in ka)]:
                va, vb = ka.get(key), kb.get(key)
                if to_jsonable_python(va) == to_jsonable_python(vb):
                    continue
                if va is not None and vb is not None:
                    skip = ("value", "decimals", "resolution") if kind == "claim" and va.text != vb.text else ()
                    detail, action = _field_changes(va, vb, skip), "changed"
                else:
                    action = "added" if va is None else "removed"
                    detail = [FieldChange(kind, _element(va), _element(vb))]
                changes.append(Change(kind, action, (kind, key), detail, _set_listed(attr, key, vb)))
        elif to_jsonable_python(a) != to_jsonable_python(b):
            if M.is_model_object(a) and M.is_model_object(b):
                detail, action = _field_changes(a, b), "changed"
            else:
                detail = [FieldChange(attr, show(a), show(b))]
                action = "added" if a in (None, [], {}) else "removed" if b in (None, [], {}) else "changed"
            changes.append(Change(attr, action, (attr,), detail, _set_attr(attr, b)))
    return changes


def _keyed_apply(attr: str, key: str, value):
    if M.is_model_object(value) or value is None:
        return _set_keyed(attr, key, value)

    def apply(model: M.Model) -> None:
        getattr(model, attr)[key] = copy.deepcopy(value)
    return apply


def _element(value) -> str:
    """An element added or removed, as the language writes it (a parameter as `= 34 km`)."""
    if value is None:
        return "(none)"
    if isinstance(value, M.Quantity):  # a parameter
        return f"= {_number(value.value)}" + ("" if value.unit in ("", "dimensionless") else f" {short(value.unit)}")
    return describe(value)


# ------------------------------------------------------------------ attributing the footprint


def _footprint(model: M.Model, result: Result) -> Footprint:
    du = model.study.declared_unit
    return Footprint(result.total.value, {k: v.value for k, v in result.by_stage.items()},
                     f"kg CO2e per {plain(du.amount.value)} {short(du.amount.unit)}",  # not :g (1.23457e+06)
                     du.amount)


def _term(*models: M.Model) -> str:
    """The study's term: `functional unit` for a study of one (the first model given that has either), else `declared unit`."""
    for model in models:
        if model.study and model.study.declared_unit:
            return "functional unit" if model.study.declared_unit.functional else "declared unit"
    return "declared unit"


def _per(have: M.Quantity, want: M.Quantity) -> float | None:
    """What a footprint per `have` (a declared unit) is multiplied by to be per `want`; None if they do not convert.

    1 kg to 1 t: 1000 (a tonne holds a thousand of them); 1 kg to 1 kWh: None.
    """
    if have.unit == want.unit:
        return want.value / have.value
    try:
        return want.value * conversion_factor(want.unit, have.unit) / have.value
    except Exception:  # noqa: BLE001 - pint's DimensionalityError: not the same kind of quantity
        return None


def _effect(old: Footprint, result: Result, factor: float = 1.0) -> Effect:
    """`result` (times `factor`, to be per the declared unit `old` is per) less `old`."""
    stages = list(dict.fromkeys([*old.by_stage, *result.by_stage]))
    by_stage = {}
    for s in stages:
        delta = (result.by_stage[s].value * factor if s in result.by_stage else 0.0) - old.by_stage.get(s, 0.0)
        if abs(delta) > _NOISE * max(1.0, abs(old.total)):
            by_stage[s] = delta
    total = result.total.value * factor - old.total
    if abs(total) <= _NOISE * max(1.0, abs(old.total)):
        total = 0.0
    return Effect(total, by_stage)


def _dangling(trial: M.Model, old: M.Model) -> str | None:
    """What a change applied alone leaves pointing at nothing, in words; None if every reference resolves.

    The loaded model has its references checked when it is built, a copy changed here has not:
    computed as it is, a flow from a process another change adds (or this one removes) would end
    in a Python error, which says nothing to the reader of the diff.
    """
    def gone(exists_in_old: bool) -> str:
        return "which this change removes" if exists_in_old else "which only another change in the diff adds"

    keys_old = {p.key(f.name) for p in old.processes.values() for f in p.products}
    keys = {p.key(f.name) for p in trial.processes.values() for f in p.products}
    study = trial.study
    if study and study.declared_unit and study.declared_unit.product not in keys:
        product = study.declared_unit.product
        return f"the {_term(trial)} is of {product}, {gone(product in keys_old)}"
    if study and study.gwp and study.gwp not in trial.gwp_sets:
        return f"the study uses the GWP set {study.gwp}, {gone(study.gwp in old.gwp_sets)}"
    for process in trial.processes.values():
        for flow in process.flows:
            if flow.source_kind == "process" and not flow.cutoff and flow.source not in keys:
                return (f"flow {process.name}.{flow.name} names {flow.source}, "
                        f"{gone(flow.source in keys_old)}")
            if flow.source_kind == "factor" and flow.source not in trial.factors:
                return f"flow {process.name}.{flow.name} uses factor {flow.source}, {gone(flow.source in old.factors)}"
    return None


def _invalid(trial: M.Model) -> str | None:
    """What the builder would refuse in a copy changed by one change alone (E251, E291-E293, E321), in its words.

    A co-product renamed while the shares still name the old name is refused when loaded; the copy
    with only the rename applied would be computed with the renamed product's share silently 0.
    """
    found = structure_error(trial)
    return None if found is None else f"process {found[0]}: {found[1].message}"


def _units_misfit(trial: M.Model) -> str | None:
    """The first unit that no longer fits with a change applied alone (E401, E324 of the builder), in its words.

    A factor made per kWh while the flow that uses it stays in kg (another change moves the flow to
    kWh) is refused when a model is loaded; computed as it is, the copy fails in the unit library.
    Prices made per item (`100 CNY`) while the products stay in t are refused too; computed as they
    are, every product weighs t x CNY alike and the shares come out wrong without a word.
    """
    study = trial.study
    if study and study.declared_unit:
        _, product = trial.activity(study.declared_unit.product)
        error = declared_unit_error(study.declared_unit, product)
        if error is not None:
            return error.message
    for process in trial.processes.values():
        for flow in process.flows:
            if flow.cutoff:
                continue
            error = None
            if flow.source_kind == "factor":
                error = factor_units_error(flow, trial.factors[flow.source])
            elif flow.source_kind == "process":
                error = supplier_units_error(flow, *trial.activity(flow.source))
            if error is not None:
                return f"flow {process.name}.{flow.name}: {error.message}"
        if process.allocation is not None:
            products = {p.name: p for p in process.products}
            for name, quantity in process.allocation.properties.items():
                error = property_units_error(process.allocation.method, products[name], quantity.unit,
                                             show(quantity), None)
                if error is not None:
                    return f"process {process.name}: {error.message}"
    return None


def diff_models(old: M.Model, new: M.Model, old_name: str = "old", new_name: str = "new") -> ModelDiff:
    """The changes from `old` to `new` with the footprint effect of each (see the module docstring)."""
    diff = ModelDiff(old_name, new_name, changes_between(old, new), term=_term(new, old))
    footprints, problems = [], []
    for which, model in (("old", old), ("new", new)):
        # Each version on its own, so that the reader learns which one cannot be computed.
        try:
            footprints.append(_footprint(model, compute(model)) if model.study and model.study.declared_unit else None)
        except PcfError as exc:
            footprints.append(None)
            problems.append(f"the footprint of the {which} version cannot be computed: {exc.diagnostics[0].message}")
    old_fp, new_fp = footprints
    diff.problem = "; ".join(problems) or None
    if old_fp is None or new_fp is None:
        diff.problem = diff.problem or f"no {diff.term} on both sides: the footprint is not compared"
        return _sorted(diff)
    diff.old, diff.new = old_fp, new_fp
    # The change and each effect are per the new declared unit, the old footprint converted to it
    # (1 kg to 1 t: x 1000), so that a declared unit made larger is no effect of its own. Units
    # that do not convert (1 kg to 1 kWh) have no change: each effect stays per the old unit.
    diff.scale = _per(old_fp.declared, new_fp.declared)
    old_du, new_du = (f"{plain(fp.declared.value)} {short(fp.declared.unit)}" for fp in (old_fp, new_fp))
    if diff.scale is None:
        diff.problem = (f"the {diff.term} changed from {old_du} to {new_du}, which do not convert: the footprints "
                        f"are not compared, and each effect is per the old {_term(old)} ({old_du})")
    elif old_fp.unit != new_fp.unit:
        diff.problem = (f"the {diff.term} changed from {old_du} to {new_du}: the change and the effects are per "
                        f"{new_du}, the old footprint converted (x {plain(diff.scale)})")
    target = new_fp.declared if diff.scale is not None else old_fp.declared
    base = diff.old_in_new_unit or old_fp
    attributed_total = 0.0
    attributed_stage: dict[str, float] = {}
    for change in diff.changes:
        if change.kind in ("claim", "waiver", "profile"):
            change.effect = Effect(0.0, {})
            continue
        trial = copy.deepcopy(old)
        try:
            change.apply(trial)
            why = _dangling(trial, old) or _invalid(trial) or _units_misfit(trial)
            if why:
                change.note = f"no effect of its own: the model cannot be computed with this change alone ({why})"
                continue
            du = trial.study.declared_unit if trial.study else None
            factor = _per(du.amount, target) if du else 1.0
            if factor is None:
                change.note = (f"no effect of its own: with this change alone the {_term(trial)} "
                               f"({show(du.amount)}) does not convert to {show(target)}")
                continue
            change.effect = _effect(base, compute(trial), factor)
        except PcfError as exc:  # a loop that takes more than it makes, a singular system (E520), a gas with no GWP
            change.note = ("no effect of its own: the model cannot be computed with this change alone "
                           f"({exc.diagnostics[0].message})")
            continue
        except Exception as exc:  # noqa: BLE001 - a failure no check above foresaw: still a note, not a traceback
            change.note = ("no effect of its own: the model cannot be computed with this change alone "
                           f"(it fails where no check of pcf_dsl expects it: {exc})")
            continue
        attributed_total += change.effect.total
        for stage, value in change.effect.by_stage.items():
            attributed_stage[stage] = attributed_stage.get(stage, 0.0) + value
    delta = diff.delta
    if delta is None:  # declared units that do not convert: no change for the effects to add up to
        return _sorted(diff)
    rest_stage = {s: delta.by_stage.get(s, 0.0) - attributed_stage.get(s, 0.0)
                  for s in dict.fromkeys([*delta.by_stage, *attributed_stage])}
    noise = _NOISE * max(1.0, abs(base.total), abs(new_fp.total)) * 1e3
    rest_total = delta.total - attributed_total
    diff.interaction = Effect(rest_total if abs(rest_total) > noise else 0.0,
                              {s: v for s, v in rest_stage.items() if abs(v) > noise})
    return _sorted(diff)


def _sorted(diff: ModelDiff) -> ModelDiff:
    def key(change: Change):
        size = abs(change.effect.total) if change.effect else 0.0
        return (-size, KIND_ORDER.index(change.kind) if change.kind in KIND_ORDER else len(KIND_ORDER), change.path)

    diff.changes.sort(key=key)
    return diff


# ------------------------------------------------------------------ output


def _fixed(value: float, sign: str = "") -> str:
    """Six decimals, as kg CO2e reads well; a value they would round to 0 keeps 3 significant digits.

    A real effect of 6e-10 kg CO2e shown as `+0.000000` would read as no effect at all.
    """
    fixed = f"{value:{sign}.6f}"
    return f"{value:{sign}.3g}" if value != 0 and float(fixed) == 0 else fixed


def _num(value: float) -> str:
    return "0" if value == 0 else _fixed(value, "+")


def _pct(delta: float, base: float) -> str:
    """The change relative to the size of the old total, with the sign of the change.

    Over a negative total (removals larger than the emissions), -1.5 to -0.5 kg CO2e is +66.67 %:
    the footprint went up by two thirds of its size, not "-66.67 %". A change that 2 decimals would
    show as 0.00 % while the change itself is shown non-zero keeps 3 significant digits (+1e-08 %).
    """
    if not base:
        return "n/a"
    pct = 100 * delta / abs(base)
    fixed = f"{pct:+.2f}"
    return f"{pct:+.3g} %" if delta != 0 and float(fixed) == 0 else f"{fixed} %"


def to_json(diff: ModelDiff) -> dict:
    """The JSON of `pcf diff --format json` (values in kg CO2e per declared unit)."""
    def effect(e: Effect | None):
        return None if e is None else {"total": e.total, "by_stage": e.by_stage}

    def footprint(fp: Footprint | None):
        return None if fp is None else {"total": fp.total, "by_stage": fp.by_stage, "unit": fp.unit}

    return {
        "old": diff.old_name,
        "new": diff.new_name,
        "footprint": {"old": footprint(diff.old), "new": footprint(diff.new), "change": effect(diff.delta),
                      "interaction": effect(diff.interaction)},
        "method": "one at a time: each change applied alone to the old model; the interaction is the rest",
        "problem": diff.problem,
        "changes": [{"kind": c.kind, "action": c.action, "name": c.name, "path": list(c.path),
                     "fields": [{"name": f.name, "old": f.old, "new": f.new} for f in c.fields],
                     "effect": effect(c.effect), "note": c.note} for c in diff.changes],
    }


def _stage_text(by_stage: dict[str, float]) -> str:
    return ", ".join(f"{s} {_num(v)}" for s, v in by_stage.items())


def _fields_text(change: Change) -> str:
    if change.action != "changed" and len(change.fields) == 1:  # an element added or removed: what it is
        only = change.fields[0]
        return only.new if change.action == "added" else only.old
    return "; ".join(f"{f.name} {f.old} -> {f.new}" for f in change.fields)


def to_text(diff: ModelDiff) -> str:
    out = [f"pcf diff {diff.old_name} -> {diff.new_name}"]
    if not diff.changes:
        out.append("no semantic changes")
        return "\n".join(out) + "\n"
    if diff.old and diff.new:
        d, base = diff.delta, diff.old_in_new_unit
        # Each side in its own declared unit when it changed; no change across units that do not convert.
        sides = (f"{_fixed(diff.old.total)} -> {_fixed(diff.new.total)} {diff.new.unit}" if diff.old.unit == diff.new.unit
                 else f"{_fixed(diff.old.total)} {diff.old.unit} -> {_fixed(diff.new.total)} {diff.new.unit}")
        change = "not compared" if d is None else f"{_num(d.total)}, {_pct(d.total, base.total)}"
        out.append(f"footprint: {sides} ({change})")
        for stage in dict.fromkeys([*diff.old.by_stage, *diff.new.by_stage]):
            a, b = diff.old.by_stage.get(stage, 0.0), diff.new.by_stage.get(stage, 0.0)
            if d is None:
                if a or b:
                    out.append(f"  {stage}: {_fixed(a)} -> {_fixed(b)}")
            elif base.by_stage.get(stage, 0.0) != b:
                out.append(f"  {stage}: {_fixed(a)} -> {_fixed(b)} ({_num(b - base.by_stage.get(stage, 0.0))})")
    if diff.problem:
        out.append(f"note: {diff.problem}")
    out.append("")
    out.append(f"{len(diff.changes)} change{'s' if len(diff.changes) != 1 else ''}, largest effect first "
               "(each applied alone to the old model):")
    for change in diff.changes:
        effect = "" if change.effect is None else _num(change.effect.total)
        out.append(f"  {effect:>10}  {change.title}: {_fields_text(change)}")
        if change.effect and change.effect.by_stage and list(change.effect.by_stage) != []:
            out.append(f"  {'':>10}    by stage: {_stage_text(change.effect.by_stage)}")
        if change.note:
            out.append(f"  {'':>10}    {change.note}")
    if diff.interaction is not None:
        out.append(f"  {_num(diff.interaction.total):>10}  interaction (the rest of the change, so the rows add up)")
        if diff.interaction.by_stage:
            out.append(f"  {'':>10}    by stage: {_stage_text(diff.interaction.by_stage)}")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(diff: ModelDiff) -> str:
    """A pull-request comment: the footprint change, then one table row per change."""
    out = [f"### Footprint change: `{diff.old_name}` → `{diff.new_name}`", ""]
    if not diff.changes:
        return "\n".join(out + ["No semantic changes.", ""])
    if diff.old and diff.new:
        d, base = diff.delta, diff.old_in_new_unit
        same = diff.old.unit == diff.new.unit
        head = f"**total** ({_md(diff.new.unit)})" if same else "**total**"
        old_total = _fixed(diff.old.total) + ("" if same else f" {_md(diff.old.unit)}")
        new_total = _fixed(diff.new.total) + ("" if same else f" {_md(diff.new.unit)}")
        change = "not compared" if d is None else f"**{_num(d.total)}** ({_pct(d.total, base.total)})"
        out += ["| | old | new | change |", "| --- | ---: | ---: | ---: |",
                f"| {head} | {old_total} | {new_total} | {change} |"]
        for stage in dict.fromkeys([*diff.old.by_stage, *diff.new.by_stage]):
            a, b = diff.old.by_stage.get(stage, 0.0), diff.new.by_stage.get(stage, 0.0)
            if d is None:
                if a or b:
                    out.append(f"| {stage} | {_fixed(a)} | {_fixed(b)} | |")
            elif base.by_stage.get(stage, 0.0) != b:
                out.append(f"| {stage} | {_fixed(a)} | {_fixed(b)} | {_num(b - base.by_stage.get(stage, 0.0))} |")
        out.append("")
    if diff.problem:
        out += [f"> {_md(diff.problem)}", ""]
    out += ["| effect | change | details | by stage |", "| ---: | --- | --- | --- |"]
    for change in diff.changes:
        effect = "" if change.effect is None else _num(change.effect.total)
        details = _fields_text(change) + (f" ({change.note})" if change.note else "")
        stages = _stage_text(change.effect.by_stage) if change.effect else ""
        out.append(f"| {effect} | {_md(change.title)} | {_md(details)} | {_md(stages)} |")
    if diff.interaction is not None:
        out.append(f"| {_num(diff.interaction.total)} | interaction | the rest of the change, so the rows add up | "
                   f"{_md(_stage_text(diff.interaction.by_stage))} |")
    out += ["", f"<sub>Effects in kg CO2e per {diff.term}, each change applied alone to the old model "
            "(`pcf diff`, docs/version-control.md).</sub>", ""]
    return "\n".join(out)

"""Profiles: which rules apply to a model, at which severity, with which numbers.

A profile is written in the language (``profile NAME "label" { extends ...
rule CODE warning ... set key.path = VALUE ... standard "..." }``). The shipped
ones live in ``models/profiles/`` and are imported as
``std:profiles/<file>.pcf``. This module flattens a profile and everything it
extends into a :class:`ResolvedProfile` (effective severities and parameters)
and chooses the profiles a model is checked against:

1. ``--profile NAME_OR_FILE`` when given;
2. otherwise the profiles the model's own file defines (not imported ones);
3. otherwise one shipped profile for every standard the study claims; a model
   that claims two standards is checked against both (it says it meets both);
4. otherwise the shipped ``base`` profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .build import load, models_dir
from .diagnostics import Diagnostic, PcfError, Span, did_you_mean
from .model import Model, Profile
from .present import pick
from .rules import parameters, registry

PROFILE_DIR = "profiles"
BASE_PROFILE = "base"
CLAUSE_PREFIX = "clause."
UNSET = "none"  # `set key = "none"` removes a number a parent profile set


@dataclass
class ResolvedProfile:
    """A profile with its `extends` chain applied: what the engine and the checklist read."""

    name: str
    label: str | None
    file: str | None
    chain: list[str]  # from the most general profile to this one
    standards: list[str]
    notes: list[str]
    severities: dict[str, str]  # code -> error | warning | info | off
    params: dict[str, float | str | None]
    param_origin: dict[str, str]  # key -> the profile that set it ("default" for a rule default)
    # key -> the value on the `set` line that gave the parameter its value (none for a rule default),
    # where a finding about a threshold of the profile points (Model.locate)
    param_spans: dict[str, Span] = field(default_factory=dict)
    clauses: dict[str, str] = field(default_factory=dict)  # code -> clause text for this standard
    clauses_zh: dict[str, str] = field(default_factory=dict)  # code -> its Chinese side, for `--lang zh`
    reason: str = ""
    span: Span | None = None

    @property
    def title(self) -> str:
        return self.label or self.name

    def enabled(self) -> list[str]:
        return [code for code, severity in self.severities.items() if severity != "off"]

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "file": self.file,
            "chain": self.chain,
            "standards": self.standards,
            "reason": self.reason,
            "notes": self.notes,
            "severities": self.severities,
            "params": self.params,
        }


def _normal(standard: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", standard.casefold())


def standards_match(claimed: str, declared: str) -> bool:
    """"GB/T 24067-2024" matches "GB/T 24067-2024"; "ISO 14067" matches "ISO 14067:2018" (year left out)."""
    a, b = _normal(claimed), _normal(declared)
    if not a or not b:
        return False
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return long.startswith(short) and long[len(short):].isdigit() and len(long) - len(short) == 4


# ------------------------------------------------------------------ flattening


def _error(code: str, message: str, span: Span | None, help: str) -> Diagnostic:
    return Diagnostic(code, message, span, help=help)


def _out_of_range(param, value) -> tuple[str, str] | None:
    """(message, help) when a value of the right kind is not one the parameter's rules can read."""
    if param.choices and value not in param.choices:
        words = ", ".join(f'"{c}"' for c in param.choices)
        near = did_you_mean(str(value).strip().lower(), param.choices)
        return (f"`{param.key}` is one of {words}, not \"{value}\"",
                f'did you mean `set {param.key} = "{near}"`?' if near else f'e.g. set {param.key} = "{param.choices[0]}"')
    if param.bounds is not None and not param.bounds[0] <= value <= param.bounds[1]:
        low, high = param.bounds
        return f"`{param.key}` lies between {low:g} and {high:g}, not {value:g}", f"e.g. set {param.key} = {low:g}"
    if param.pattern is not None and not re.search(param.pattern, value.lower()):
        return (f"`{param.key}` names nothing it can read in \"{value}\"",
                param.description)
    return None


def resolve(name: str, profiles: dict[str, Profile], file: str | None = None, reason: str = "") -> ResolvedProfile:
    """Flatten `name` and the profiles it extends; raises PcfError on an unknown rule, parameter or a cycle."""
    rules = registry()
    params_known = parameters()
    order: list[str] = []
    problems: list[Diagnostic] = []

    # Depth first with an explicit stack: a chain of thousands of `extends` in a model from
    # outside must not exhaust Python's recursion limit (docs/limits.md).
    path: list[str] = []  # the chain being followed, `name` first
    on_path: set[str] = set()
    done: set[str] = set()

    def enter(key: str) -> bool:
        if key in on_path:
            cycle = " -> ".join((*path[path.index(key):], key))
            problems.append(_error("E364", f"profiles extend each other in a circle: {cycle}", profiles[key].span,
                                   "remove one of the `extends` lines"))
            return False
        if key in done:
            return False
        path.append(key)
        on_path.add(key)
        return True

    stack: list[list] = [[name, 0]] if enter(name) else []  # [profile, index of the next parent to visit]
    while stack:
        top = stack[-1]
        parents = profiles[top[0]].extends
        if top[1] < len(parents):
            parent = parents[top[1]]
            top[1] += 1
            if enter(parent):
                stack.append([parent, 0])
            continue
        stack.pop()
        key = path.pop()
        on_path.discard(key)
        done.add(key)
        order.append(key)
    severities = {code: r.rule.default_severity for code, r in rules.items()}
    values: dict[str, float | str | None] = {key: p.default for key, p in params_known.items()}
    origin = {key: "default" for key in params_known}
    spans: dict[str, Span] = {}
    clauses: dict[str, str] = {}
    clauses_zh: dict[str, str] = {}
    notes: list[str] = []
    standards: list[str] = []
    for key in order:
        profile = profiles[key]
        notes.extend(profile.notes)
        for code, severity in profile.rules.items():
            if code not in rules:
                near = did_you_mean(code, rules)
                problems.append(_error("E360", f"the profile `{key}` sets `{code}`, which is not a rule",
                                       profile.rule_spans.get(code, profile.span),
                                       f"did you mean `{near}`? (`pcf rules` lists them)" if near else
                                       "`pcf rules` lists the rule codes; builder codes (E...) cannot be switched off"))
                continue
            severities[code] = severity
        for param_key, value in profile.params.items():
            # The line that is wrong: its key when no rule reads it, its value when the rules cannot read that.
            at_key = profile.param_spans.get(param_key, profile.span)
            at_value = profile.value_spans.get(param_key, profile.span)
            if param_key.startswith(CLAUSE_PREFIX):
                code = param_key[len(CLAUSE_PREFIX):]
                if code not in rules or not isinstance(value, str):
                    problems.append(_error("E361", f"`set {param_key}` must name a rule and give text",
                                           at_key if code not in rules else at_value,
                                           'e.g. set clause.C002 = "PAS 2050:2011, 6.3"'))
                    continue
                # written "中文 / English" as a label is: each language reads its side (one text: both)
                clauses[code], clauses_zh[code] = pick(value, "en"), pick(value, "zh")
                continue
            known = params_known.get(param_key)
            if known is None:
                near = did_you_mean(param_key, params_known)
                problems.append(_error("E361", f"the profile `{key}` sets `{param_key}`, which no rule reads",
                                       at_key, f"did you mean `{near}`?" if near else
                                       "`pcf rules --params` lists the parameters"))
                continue
            if isinstance(value, str) and value.strip().casefold() == UNSET:
                values[param_key], origin[param_key] = None, key
                spans.pop(param_key, None)
                continue
            if known.kind == "text" and not isinstance(value, str):
                problems.append(_error("E363", f"`{param_key}` is text; write it in quotes", at_value,
                                       f'e.g. set {param_key} = "..."'))
                continue
            if known.kind in ("fraction", "number") and isinstance(value, str):
                problems.append(_error("E363", f"`{param_key}` is a number, not text", at_value,
                                       f"e.g. set {param_key} = {'5 %' if known.kind == 'fraction' else '10'}"))
                continue
            if known.kind == "fraction" and param_key in profile.bare_params:
                # `set cutoff.per_flow = 0.5` meant as 0.5 % was read as 50 %, `= 1` as 100 %: refused.
                number = f"{value:.15g}"
                problems.append(_error("E363", f"`{param_key}` is a share, and `{number}` has no `%`: a percentage "
                                       "or a fraction?", at_value,
                                       f"write `set {param_key} = {number} %` for {number} %, or `set {param_key} = "
                                       f"{100 * value:.15g} %` for the fraction {number}"))
                continue
            if known.kind == "fraction" and not 0 <= value <= 1:
                problems.append(_error("E363", f"`{param_key}` is a share between 0 % and 100 %", at_value,
                                       f"e.g. set {param_key} = 5 %"))
                continue
            problem = _out_of_range(known, value)
            if problem is not None:
                problems.append(_error("E363", problem[0], at_value, problem[1]))
                continue
            values[param_key], origin[param_key] = value, key
            if param_key in profile.value_spans:
                spans[param_key] = profile.value_spans[param_key]
        standards.extend(s for s in profile.standards if s not in standards)
    if problems:
        raise PcfError(problems)
    top = profiles[name]
    short = name.rpartition(".")[2]
    return ResolvedProfile(name=short, label=top.label, file=file, chain=[k.rpartition(".")[2] for k in order],
                           standards=list(top.standards) or standards, notes=notes, severities=severities,
                           params=values, param_origin=origin, param_spans=spans, clauses=clauses, clauses_zh=clauses_zh, reason=reason, span=top.span)


# ------------------------------------------------------------------ the shipped library


@dataclass(frozen=True)
class ShippedProfile:
    name: str
    file: Path
    label: str | None
    standards: tuple[str, ...]


@lru_cache(maxsize=1)
def _shipped_models() -> dict[str, Model]:
    folder = models_dir() / PROFILE_DIR
    # Named as an import names them: a finding about a threshold a shipped profile sets points there.
    return {path.name: load(path, root=models_dir(), display=f"std:{PROFILE_DIR}/{path.name}")
            for path in sorted(folder.glob("*.pcf"))}


def shipped() -> dict[str, ShippedProfile]:
    """The profiles in models/profiles/, by name (each file's own profiles, not the ones it imports)."""
    out: dict[str, ShippedProfile] = {}
    for file_name, model in _shipped_models().items():
        for key, profile in model.profiles.items():
            if "." not in key:
                out[key] = ShippedProfile(key, models_dir() / PROFILE_DIR / file_name, profile.label,
                                          tuple(profile.standards))
    return dict(sorted(out.items()))


def shipped_profile(name: str, reason: str = "") -> ResolvedProfile:
    entry = shipped()[name]
    model = _shipped_models()[entry.file.name]
    return resolve(name, model.profiles, file=f"std:{PROFILE_DIR}/{entry.file.name}", reason=reason)


def profile_for_standard(standard: str) -> str | None:
    for name, entry in shipped().items():
        if any(standards_match(standard, declared) for declared in entry.standards):
            return name
    return None


# ------------------------------------------------------------------ choosing


@dataclass
class Selection:
    profiles: list[ResolvedProfile]
    unmatched_standards: list[str] = field(default_factory=list)  # claimed, but no shipped profile covers them


def _leaves(profiles: dict[str, Profile], keys: list[str]) -> list[str]:
    extended = {parent for key in keys for parent in profiles[key].extends}
    return [key for key in keys if key not in extended]


def _from_file(spec: str, name: str | None) -> ResolvedProfile:
    path = Path(spec)
    model = load(path, root=path.resolve().parent)
    own = [key for key in model.profiles if "." not in key]
    if name is not None:
        if name not in model.profiles:
            near = did_you_mean(name, model.profiles)
            raise PcfError(_error("E362", f"{spec} defines no profile `{name}`", None,
                                  f"did you mean `{near}`?" if near else f"profiles there: {', '.join(own) or 'none'}"))
        return resolve(name, model.profiles, file=str(spec), reason=f"--profile {spec}:{name}")
    leaves = _leaves(model.profiles, own)
    if len(leaves) != 1:
        raise PcfError(_error("E362", f"{spec} defines {len(leaves) or 'no'} profiles that nothing extends"
                              + (f" ({', '.join(leaves)})" if leaves else ""), None,
                              f"choose one with --profile {spec}:NAME" if leaves else "define a profile in the file"))
    return resolve(leaves[0], model.profiles, file=str(spec), reason=f"--profile {spec}")


def from_option(spec: str, model: Model | None) -> ResolvedProfile:
    """`--profile`: a profile the model defines or imports, a shipped profile, or FILE[:NAME]."""
    if model is not None and spec in model.profiles:
        return resolve(spec, model.profiles, file=model.path, reason=f"--profile {spec}")
    if spec in shipped():
        return shipped_profile(spec, reason=f"--profile {spec}")
    if spec.startswith("std:"):  # std:profiles/pas_2050_2011.pcf[:NAME], as an import would name it
        path, _, name = spec[4:].partition(":")
        target = models_dir() / path
        if target.is_file():
            return _from_file(str(target), name or None)
    file, _, name = spec.rpartition(":") if ":" in spec and not Path(spec).is_file() else (spec, "", "")
    if Path(file).is_file():
        return _from_file(file, name or None)
    candidates = list(shipped()) + (list(model.profiles) if model is not None else [])
    near = did_you_mean(spec, candidates)
    raise PcfError(_error("E362", f"no profile `{spec}`: not defined in the model, not shipped, not a file", None,
                          f"did you mean `{near}`?" if near else f"shipped profiles: {', '.join(shipped())}"))


def select(model: Model, option: str | None = None) -> Selection:
    """The profiles to check `model` against, each with the reason it was chosen."""
    claimed = model.study.standards if model.study else []
    if option:
        return Selection([from_option(option, model)])
    own = [key for key in model.profiles if "." not in key]
    if own:
        return Selection([resolve(key, model.profiles, file=model.path, reason="defined in the model")
                          for key in _leaves(model.profiles, own)])
    chosen: list[ResolvedProfile] = []
    unmatched: list[str] = []
    for standard in claimed:
        name = profile_for_standard(standard)
        if name is None:
            unmatched.append(standard)
        elif name not in [p.name for p in chosen]:
            chosen.append(shipped_profile(name, reason=f'the study claims "{standard}"'))
    if not chosen:
        reason = "the study claims no standard" if not claimed else "no shipped profile covers the claimed standard"
        chosen.append(shipped_profile(BASE_PROFILE, reason=reason))
    return Selection(chosen, unmatched)

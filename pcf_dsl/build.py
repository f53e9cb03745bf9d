"""Building the model: imports, names, parameters, units and stages resolved into :class:`Model`.

Every problem found is collected as a diagnostic (the whole file is checked,
not only up to the first mistake) and raised together as one PcfError.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import math
import os
import re
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pint

from . import model as M
from . import syntax as S
from .collector import collector_paused
from .diagnostics import Diagnostic, Label, PcfError, Span, did_you_mean
from .evaluate import evaluate, source_text
from .limits import MAX_DIAGNOSTICS, MAX_IMPORT_DEPTH, MAX_IMPORTED_FILES, MAX_PROCESSES
from .parse import parse_file
from .units import AMBIGUOUS_UNITS, GASES, CO2E, Q, dimensionality, factor_or_none, short, co2e_mass_dimensionality, gases_in, is_unit, mass_dimensionality, registry, unit

STD_PREFIX = "std:"

# Units a parameter or factor may not be named after: `param t = 5` would make `3 t` mean 15.
# (pint knows thousands of names, `a` and `b` among them; shadowing those is harmless.)
RESERVED_UNIT_NAMES = frozenset((
    "g", "kg", "mg", "t", "Mt", "kt", "lb", "Wh", "kWh", "MWh", "GWh", "J", "kJ", "MJ", "GJ", "TJ", "m", "km",
    "cm", "mm", "m2", "m3", "km2", "Nm3", "L", "l", "mL", "h", "s", "min", "d", "tkm", "pkm", "unit", "item",
    "pcs", "percent", "CO2e", *GASES))

# How E204 names a kind of symbol that is not a value.
_KIND_NOUNS = {"process": "process", "gwp_set": "GWP set", "profile": "profile"}

# What only the top model declares, with its name in E210 when an imported file does.
_TOP_MODEL_ONLY = {S.Boundary: "a system boundary", S.Cutoff: "a cut-off rule", S.Claim: "a claim",
                   S.Waiver: "a waiver"}

# Units offered as near misses for an unknown name, beside the model's own parameters.
COMMON_UNITS = ("kg", "g", "t", "kWh", "MWh", "MJ", "GJ", "m3", "L", "km", "tkm", "t*km", "m2", "unit",
                "CO2e", "CO2", "CH4_fossil", "CH4_biogenic", "N2O", "percent")


def _a(noun: str) -> str:
    """The noun with its indefinite article: "a process", "an emission factor"."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


@lru_cache(maxsize=256)
def _parse_library_file(path: Path, shown: str) -> S.File:
    """A file of the shipped library, parsed once per process.

    It is part of the installation, not the user's work, and it is read many
    times over: every shipped profile imports base.pcf, so choosing a profile
    parsed it seven times at each `pcf check`. The builder never changes a
    parsed file (tests/test_build_fast_paths.py), so one parse can serve them all.
    """
    return parse_file(path, shown)


def _in_library(path: Path) -> bool:
    return _library_root() in path.parents


def _library_root() -> Path:
    # Not cached: a few stat calls per file loaded, and models_dir() stays the one source of truth.
    return models_dir().resolve()


def models_dir() -> Path:
    """The shipped model library: inside the package in a wheel, `models/` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "models", here.parent / "models"):
        if candidate.is_dir():
            return candidate
    return here.parent / "models"


@dataclass
class _Symbol:
    kind: str  # param | factor | process | gwp_set | profile
    node: object
    prefix: str
    file: str


@dataclass
class _Unit:
    """One loaded file and the namespace its names live in."""

    prefix: str
    syntax: S.File
    path: Path


@dataclass
class _State:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    symbols: dict[str, _Symbol] = field(default_factory=dict)
    params: dict[str, pint.Quantity] = field(default_factory=dict)
    evaluating: list[str] = field(default_factory=list)
    # Who reads each parameter: the parameters whose value names it, "" for any other expression
    # (an amount, a factor, a profile's `set`). D008 reports the parameters nothing reads.
    param_users: dict[str, set[str]] = field(default_factory=dict)

    def error(self, code: str, message: str, span: Span | None, help: str | None = None,
              labels: list[Label] | None = None) -> None:
        self.add(Diagnostic(code, message, span, help=help, labels=labels or []))

    def add(self, diagnostic: Diagnostic) -> None:
        """Collect a problem; past MAX_DIAGNOSTICS stop: each one costs a search for a near name, and helps no one."""
        self.diagnostics.append(diagnostic)
        if len(self.diagnostics) >= MAX_DIAGNOSTICS:
            raise _TooManyProblems


# The items that declare a name, and the kind of symbol each makes.
_DECLARED_KINDS = {S.Param: "param", S.Factor: "factor", S.Process: "process", S.GwpSet: "gwp_set",
                   S.Profile: "profile"}


class _TooManyProblems(Exception):
    """Raised by _State.add when the model has more problems than are worth reporting at once."""


def _qualify(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# The years a study's period, a factor or a GWP set can be for (E265).
PLAUSIBLE_YEARS = (1900, 2100)


class Builder:
    def __init__(self, root: Path | None = None, allow_outside_root: bool = False):
        self.root = root
        self.allow_outside_root = allow_outside_root
        self.state = _State()
        self._amount_units: dict[tuple, _AmountUnits | bool] = {}  # (prefix, shape of an amount's units) -> units
        self._qualified: dict[tuple, str] = {}  # (prefix, a source's parts as written) -> the qualified name
        # (prefix, first unit, operator, second unit) of a flow line (S.FlowLine) -> its _AmountUnits, once
        # _amount has them and they are units a line may have (not per item)
        self._line_units: dict[tuple, _AmountUnits] = {}
        self.units: list[_Unit] = []
        self._du_failed = False
        self._failed_flows: set[str] = set()  # `process.flow` of lines reported as errors and not built
        # process key -> the process built, its product flows and the activity key of its one product (None
        # when it has several), kept as each is built, for linking
        self._suppliers: dict[str, tuple[M.Process, list[M.Flow], str | None]] = {}

    # ------------------------------------------------------------------ files and imports
    def _resolve_import(self, importer: Path, imp: S.Import) -> Path | None:
        raw = imp.path.value
        if not raw.strip() or any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
            self.state.error("E100", f"the import path {raw!r} is not a file path", imp.path.span,
                             help='write the path of a .pcf file, relative to this file: import "factors.pcf" as ef')
            return None
        library = _library_root()
        if raw.startswith(STD_PREFIX) or library in importer.parents:
            # The shipped library is a root of its own: its files import only each other.
            target = _resolved(library / raw[len(STD_PREFIX):] if raw.startswith(STD_PREFIX) else importer.parent / raw)
            if target is None or library not in target.parents:
                self.state.error("E102", f"`{raw}` points outside the shipped model library", imp.path.span,
                                 help="std: paths name files under models/, e.g. \"std:gwp/ipcc_ar6.pcf\"")
                return None
            return target
        target = (importer.parent / raw)
        resolved = _resolved(target)
        if resolved is None:
            self.state.error("E100", f"the import path `{raw}` cannot be resolved (a symbolic link loop, or too long)",
                             imp.path.span, help="the path is relative to the importing file; check it")
            return None
        root = self.root
        if root is not None and not self.allow_outside_root and root not in resolved.parents and resolved != root:
            via = " through a symbolic link" if target.absolute() != resolved and root in Path(os.path.abspath(target)).parents else ""
            self.state.error(
                "E103",
                f"the import `{raw}` resolves{via} to {resolved}, outside the project root {root}",
                imp.path.span,
                help="move the file into the project, use a std: library path, or allow it with --allow-outside-root",
            )
            return None
        return resolved

    def load(self, path: Path, prefix: str = "", chain: tuple[Path, ...] = (), import_span: Span | None = None,
             display: str | None = None) -> None:
        path = _resolved(path) or _absolute(path)
        if path in chain:
            names = " -> ".join(p.name for p in (*chain[chain.index(path):], path))
            self.state.error("E101", f"import cycle: {names}", import_span,
                             help="remove one of these imports; shared definitions can move to a file both import")
            return
        if len(chain) > MAX_IMPORT_DEPTH:
            self.state.error("E104", f"imports are nested more than {MAX_IMPORT_DEPTH} deep", import_span,
                             help="flatten the import chain")
            return
        if len(self.units) >= MAX_IMPORTED_FILES:
            if not any(d.code == "E105" for d in self.state.diagnostics):
                self.state.error("E105", f"the model loads more than {MAX_IMPORTED_FILES} files (counting a file "
                                 "once for each name it is imported under)", import_span,
                                 help="import shared files once, from the top model, instead of from every file")
            return
        kind = _file_kind(path)
        if kind != "file":
            what = "cannot find the imported file" if import_span is not None else "cannot find the model file"
            if kind != "missing":
                what = f"{'the imported file' if import_span is not None else 'the model file'} is a {kind}, not a file:"
            # A model named on the command line is found from the current directory, an import from
            # its importing file's folder: say which, and show it.
            cwd = _cwd()
            base = f"the importing file's folder, {chain[-1].parent}" if chain else f"the current directory, {cwd}"
            help = f"the path is relative to {base}; check its spelling"
            if not chain and os.path.isabs(display or path):
                help = "check the path and its spelling"
            elif not chain and cwd is None:
                help = "the current directory was deleted: change to the model's folder, or give its full path"
            if kind == "symbolic link loop":
                help = "its symbolic links lead back to each other and never to a file: point the link at the real file"
            self.state.error("E100", f"{what} {display or path}", import_span, help=help)
            return
        shown = display or str(path)
        # A file imported again, under another name (each file of a large model importing the shared
        # factors): its syntax as read the first time. The builder never changes a parsed file.
        syntax = next((u.syntax for u in self.units if u.path == path and u.syntax.path == shown), None)
        try:
            if syntax is None:
                syntax = _parse_library_file(path, shown) if _in_library(path) else parse_file(path, shown)
        except PcfError as exc:
            if import_span is not None:
                for diagnostic in exc.diagnostics:
                    if diagnostic.code in ("E003", "E004"):
                        # The file as a whole (cannot be read, too large): nothing in it to show, so the
                        # import that reads it is the place, and the message names the file.
                        diagnostic.span = import_span
                        if shown not in diagnostic.message:
                            diagnostic.message = f"{shown}: {diagnostic.message}"
            self.state.diagnostics.extend(exc.diagnostics)
            return
        self.units.append(_Unit(prefix, syntax, path))
        for item in syntax.items:
            if isinstance(item, S.Import):
                target = self._resolve_import(path, item)
                if target is not None:
                    self.load(target, _qualify(prefix, item.alias.value), (*chain, path), item.path.span,
                              _import_display(shown, item.path.value))

    def _plausible_year(self, year: int, span: Span, message: str) -> bool:
        """A year a study, a factor or a GWP set can be for; else error E265 and False.

        `year 99999` or `period 0024-01-01 ...` is a typo, and a year far off makes the age of a
        factor (D001) negative or absurd: the check would pass or fail for the wrong reason.
        """
        low, high = PLAUSIBLE_YEARS
        if low <= year <= high:
            return True
        self.state.error("E265", message, span,
                         help=f"write the year the data are for, from {low} to {high}")
        return False

    # ------------------------------------------------------------------ symbols
    def _declare(self, prefix: str, name: S.Word, kind: str, node, file: str) -> None:
        key = _qualify(prefix, name.value)
        existing = self.state.symbols.get(key)
        if existing is not None:
            first = getattr(existing.node, "span", None)
            self.state.error(
                "E201", f"`{name.value}` is defined twice (as a {existing.kind} and as a {kind})", name.span,
                help="give each definition its own name",
                labels=[Label(first, "first defined here")] if first else [],
            )
            return
        if kind == "param" and name.value in RESERVED_UNIT_NAMES:
            self.state.error("E204", f"the parameter `{name.value}` has the name of a unit", name.span,
                             help=f"rename it, e.g. `{name.value}_value`, so `{name.value}` keeps meaning the unit")
            return
        if kind == "factor" and name.value in RESERVED_UNIT_NAMES:
            # A factor is a value in expressions too: `factor t = ...` made `1 t` mean 1 x the factor, and
            # the error came later as a unit mismatch ("`a` is 1 t ... not a mass"). Still declared, so the
            # lines that apply it (`from t`) raise nothing more; in amounts the name stays the unit (_resolver).
            self.state.error("E204", f"the factor `{name.value}` has the name of a unit", name.span,
                             help=f"rename it, e.g. `{name.value}_factor`, so `{name.value}` keeps meaning the unit")
        elif name.value in RESERVED_UNIT_NAMES:
            # A process (GWP set, profile) is no value, but its name took the unit's place all the same:
            # `process t` made every `1 t` of the model fail with "`t` is a process, not a value", far
            # from the cause. Refused here as a factor is; still declared, so references to it raise
            # nothing more, and in amounts the name stays the unit (_resolver).
            noun = _KIND_NOUNS.get(kind, kind)
            self.state.error("E204", f"the {noun} `{name.value}` has the name of a unit", name.span,
                             help=f"rename it, e.g. `{name.value}_{kind}`, so `{name.value}` keeps meaning the unit")
        self.state.symbols[key] = _Symbol(kind, node, prefix, file)

    def _names_for_hint(self, prefix: str, kinds: tuple[str, ...]) -> list[str]:
        out = []
        for key, sym in self.state.symbols.items():
            if sym.kind in kinds:
                if prefix and key.startswith(prefix + "."):
                    out.append(key[len(prefix) + 1:])
                elif not prefix:
                    out.append(key)
        return out

    def _lookup(self, prefix: str, ref: S.Ref | S.Name, kinds: tuple[str, ...], what: str) -> tuple[str, _Symbol] | None:
        key = _qualify(prefix, ".".join(ref.parts))
        sym = self.state.symbols.get(key)
        if sym is not None and sym.kind in kinds:
            return key, sym
        if sym is not None:
            self.state.error("E203", f"`{'.'.join(ref.parts)}` is {_a(sym.kind)}, not {_a(what)}", ref.span,
                             help=f"name {_a(what)} here")
            return None
        near = did_you_mean(".".join(ref.parts), self._names_for_hint(prefix, kinds))
        self.state.error("E202", f"unknown {what} `{'.'.join(ref.parts)}`", ref.span,
                         help=f"did you mean `{near}`?" if near else f"define the {what}, or import the file that defines it")
        return None

    # ------------------------------------------------------------------ values
    def _resolver(self, prefix: str, user: str = ""):
        """Names in an expression resolved to values; `user` is the parameter whose value it is, if any."""
        def resolve(name: S.Name):
            key = _qualify(prefix, name.dotted)
            sym = self.state.symbols.get(key)
            if sym is not None and sym.kind == "param":
                self.state.param_users.setdefault(key, set()).add(user)
                return self._param_value(key, sym)
            if sym is not None and name.dotted in RESERVED_UNIT_NAMES:  # E204 at its declaration: the unit
                sym = None
            if sym is not None and sym.kind == "factor":
                factor = self._factor_value(key, sym)
                if factor is not None and len(factor.components) == 1:
                    return factor.components[0].quantity.pint()
                raise PcfError(Diagnostic("E207", f"the factor `{name.dotted}` has several gases and no single value",
                                          name.span, help="use the factor with `from` or `with`, not in arithmetic"))
            if sym is not None and sym.kind != "factor":
                raise PcfError(Diagnostic("E203", f"`{name.dotted}` is a {sym.kind}, not a value", name.span,
                                          help="only parameters, factors and units can appear in an expression"))
            if len(name.parts) == 1 and name.dotted in AMBIGUOUS_UNITS:
                reading, fix = AMBIGUOUS_UNITS[name.dotted]
                raise PcfError(Diagnostic("E208", f"`{name.dotted}` is ambiguous: {reading}", name.span, help=fix))
            if len(name.parts) == 1 and is_unit(name.dotted):
                return Q(1, name.dotted)
            candidates = self._names_for_hint(prefix, ("param",)) + list(COMMON_UNITS)
            near = did_you_mean(name.dotted, candidates)
            hint = f"did you mean `{near}`?" if near else "define it with `param NAME = VALUE`, or use a unit pint knows (kg, t, kWh, m3, km, ...)"
            if _DIGIT_GROUP.fullmatch(name.dotted):  # `1_000 kg` reads as the number 1 and a name `_000`
                hint = "numbers take no `_` between their digits: write them whole (`1000 kg`, not `1_000 kg`)"
            elif (glued := _glued_gas(name.dotted)) is not None:  # `kgCO2e`, as spreadsheets write it
                hint = f"write the unit and the gas apart: `{glued[0]} {glued[1]}`"
            raise PcfError(Diagnostic("E202", f"unknown name `{name.dotted}`: not a parameter, factor or unit",
                                      name.span, help=hint))

        return resolve

    def _eval(self, prefix: str, expr: S.Expr):
        """Evaluate, turning a failure into a diagnostic; returns None after an error."""
        try:
            value = self._eval_amount(prefix, expr)
            return value if value is not None else evaluate(expr, self._resolver(prefix))
        except PcfError as exc:
            for d in exc.diagnostics:
                if d not in self.state.diagnostics:
                    self.state.add(d)
            return None

    def _magnitude_units(self, prefix: str, expr: S.Expr):
        """(magnitude, pint units) of what _eval returns, or None after an error.

        A number times units from _amount's cache, without the pint Quantity
        _eval makes of it: 10 us each, 4 % of building the 10k model, whose
        allocation shares and properties and cut-off estimates are all of this kind.
        """
        found = self._amount(prefix, expr)
        if found is not None:
            return found[1], found[2].units
        value = self._eval(prefix, expr)
        return None if value is None else (value.magnitude, value.units)

    def _eval_amount(self, prefix: str, expr: S.Expr):
        """A number times units (`0.35 t`, `0.049 kg CO2e / (t*km)`): nearly every amount, from a cache.

        The value evaluate() would return, or None for any other expression and
        for units that name a parameter or factor or do not evaluate: evaluate()
        then does the work and reports the errors (see _amount).
        """
        found = self._amount(prefix, expr)
        if found is None:
            return None
        _, value, units = found
        return registry().Quantity(value, units.units)

    def _has_units(self, prefix: str, expr: S.Expr) -> bool:
        """True when the expression names a unit or `%` (`0.01 kg / kg`), not only numbers and parameters."""
        for leaf in _leaves(expr):
            if type(leaf) is S.Percent:
                return True
            if type(leaf) is S.Name and _qualify(prefix, leaf.dotted) not in self.state.symbols:
                return True
        return False

    def _has_no_number(self, prefix: str, expr: S.Expr, what: str) -> bool:
        """Report E308 for a value written as units alone (`kg`, `kg CO2e / kg`) and say so.

        Units alone evaluate to one of them, so a number left out (`input steel "steel" kg from ef.steel`)
        would be 1 kg without a word. A parameter or a factor carries a number of its own.
        """
        for leaf in _leaves(expr):
            if type(leaf) is S.Num:
                return False
            if type(leaf) is S.Name:
                sym = self.state.symbols.get(_qualify(prefix, leaf.dotted))
                if sym is not None and sym.kind in ("param", "factor"):
                    return False
        text = source_text(expr)
        self.state.error("E308", f"{what} has no number: `{text}` alone reads as 1 {text}", expr.span,
                         help=f"write the number before the units, e.g. `1.5 {text}`")
        return True

    def _amount(self, prefix: str, expr: S.Expr) -> tuple[S.Num, float, _AmountUnits] | None:
        """(number, its value, what its units are) for a number times units; None for anything else.

        The units part alone evaluates to magnitude 1 (pint multiplies unit
        quantities without converting them), so the value is the number with
        those units: what evaluate() returns, without its five pint operations
        per amount (the largest cost of building a large model,
        docs/performance.md). What the builder asks of the units is worked out
        once per spelling, in _AmountUnits.
        """
        if type(expr) is S.BinOp and type(expr.left) is S.Num and type(expr.right) is S.Name and expr.op in _AMOUNT_OPS:
            # `0.35 t`, most amounts of a large model: straight to the cache, with the key _amount_shape gives
            units = self._amount_units.get((prefix, (expr.op, "#", expr.right.dotted)))
            if units:  # else not seen yet, or not an amount the cache answers: the general path decides
                value = expr.left.value
                return (expr.left, value, units) if math.isfinite(value) else None
        shape = _amount_shape(expr)
        if shape is None:
            return None
        number, key, names = shape
        value = number.value
        if not math.isfinite(value):
            return None
        cache_key = (prefix, key)
        units = self._amount_units.get(cache_key)
        if units is None:
            units = False
            if not any(_qualify(prefix, n.dotted) in self.state.symbols for n in names):
                try:
                    unit_value = evaluate(_with_number(expr, "1"), self._resolver(prefix))
                    if unit_value.magnitude == 1:
                        units = _AmountUnits.of(unit_value.units, expr)
                except PcfError:
                    pass
            self._amount_units[cache_key] = units
        if units is False:
            return None
        return number, value, units

    def _param_value(self, key: str, sym: _Symbol):
        if key in self.state.params:
            return self.state.params[key]
        node: S.Param = sym.node
        if key in self.state.evaluating:
            chain = " -> ".join([*self.state.evaluating[self.state.evaluating.index(key):], key])
            raise PcfError(Diagnostic("E205", f"parameters refer to each other in a circle: {chain}", node.name.span,
                                      help="give one of them a value that does not depend on the others"))
        self.state.evaluating.append(key)
        try:
            value = evaluate(node.expr, self._resolver(sym.prefix, user=key))
        finally:
            self.state.evaluating.pop()
        self.state.params[key] = value
        return value

    # ------------------------------------------------------------------ building
    def build(self, top: Path, display: str | None = None) -> M.Model:
        try:
            return self._build(top, display)
        except _TooManyProblems:
            found = _sorted(self.state.diagnostics)
            raise PcfError([*found, Diagnostic(
                "E107", f"stopped after {MAX_DIAGNOSTICS} problems", found[-1].span,
                help="fix these and run again; a model this broken is often in the wrong encoding or not a model")]) from None

    def _build(self, top: Path, display: str | None = None) -> M.Model:
        display = display or str(top)
        top = _resolved(top) or _absolute(top)
        if self.root is None:
            self.root = top.parent
        self.load(top, display=display)
        if not self.units:
            raise PcfError(self.state.diagnostics)
        for unit_ in self.units:
            for item in unit_.syntax.items:
                kind = _DECLARED_KINDS.get(type(item))
                if kind:
                    self._declare(unit_.prefix, item.name, kind, item, unit_.syntax.path)
        processes = [sym.node for sym in self.state.symbols.values() if sym.kind == "process"]
        if len(processes) > MAX_PROCESSES:
            raise PcfError(Diagnostic("E106", f"the model has {len(processes)} processes; the limit is {MAX_PROCESSES}",
                                      processes[MAX_PROCESSES].name.span,
                                      help="split the study, or aggregate processes (docs/limits.md)"))
        del processes
        # From here a process's syntax is reached only through its symbol, which lets go of it once the
        # process is built: on a large model, most of the syntax tree is freed while the model grows, and
        # the two do not take memory at the same time.
        self.units = [_Unit(u.prefix, dataclasses.replace(u.syntax, items=[i for i in u.syntax.items
                                                                           if not isinstance(i, S.Process)]), u.path)
                      for u in self.units]

        model = M.Model(path=self.units[0].syntax.path, stages=[], files=[u.syntax.path for u in self.units])
        self._factors: dict[str, M.Factor | None] = {}
        self._build_params(model)
        self._build_gwp_sets(model)
        for key, sym in self.state.symbols.items():
            if sym.kind == "factor":
                factor = self._factor_value(key, sym)
                if factor is not None:
                    model.factors[key] = factor
        model.stages = self._build_stages()
        self._stage_names = frozenset(stage.name for stage in model.stages)  # asked of every process and many flows
        top_unit = self.units[0]
        for unit_ in self.units:
            for item in unit_.syntax.items:
                if isinstance(item, S.Study):
                    if unit_ is not top_unit:
                        self.state.error("E210", "an imported file cannot declare a study", item.title.span,
                                         help="keep the study in the top model; imported files hold factors, GWP sets and processes")
                    elif model.study is not None:
                        self.state.error("E201", "the model declares two studies", item.title.span,
                                         help="keep one `study` block")
                    else:
                        model.study = self._build_study(item)
                elif unit_ is not top_unit and type(item) in _TOP_MODEL_ONLY:
                    # Read only in the top model: one left in an imported file would be skipped without a
                    # word, so a claim there would never be compared and a waiver never shown.
                    what = _TOP_MODEL_ONLY[type(item)]
                    self.state.error("E210", f"an imported file cannot declare {what}", item.span,
                                     help=f"move it into the top model, {top_unit.path.name}: the study, boundary, "
                                          "cut-off rule, claims and waivers are read only there")
                elif isinstance(item, S.Cutoff):
                    if model.cutoff is not None:
                        self.state.error("E201", "the model declares two cut-off rules", item.span, help="keep one `cutoff` block")
                    model.cutoff = self._build_cutoff(item)
                elif isinstance(item, S.Boundary):
                    if model.boundary is not None:  # the stages follow the first one; a second is not merged in
                        self.state.error("E201", "the model declares two system boundaries", item.span,
                                         help="keep one `boundary` statement; its block includes and excludes "
                                              "each stage")
                        continue
                    model.boundary = M.Boundary(shorthand=item.shorthand.value if item.shorthand else None,
                                                notes=[n.value for n in item.notes], span=item.span)
        for key, sym in self.state.symbols.items():
            if sym.kind == "process":
                process = self._build_process(key, sym, model)
                sym.node = None  # the syntax is not read again (see above)
                if process is not None:
                    model.processes[key] = process
            elif sym.kind == "profile":
                model.profiles[key] = self._build_profile(key, sym)
        self._link_flows(model)
        if model.study is not None:
            self._check_study_links(model)
        for unit_ in self.units:
            for item in unit_.syntax.items:
                if isinstance(item, S.Claim) and unit_ is top_unit:
                    claim = self._build_claim(item, model)
                    if claim is not None:
                        model.claims.append(claim)
                elif isinstance(item, S.Waiver) and unit_ is top_unit:
                    model.waivers.append(M.Waiver(code=item.code.value,
                                                  subject=item.subject.dotted if item.subject else None,
                                                  justification=item.justification.value, span=item.span,
                                                  code_span=item.code.span,
                                                  subject_span=item.subject.span if item.subject else None))
                    if not item.justification.value.strip():
                        self.state.error("E240", "a waiver needs a justification", item.justification.span,
                                         help='say why the finding does not apply: waive CODE subject "because ..."')
        # Every expression is evaluated by now: what reads each parameter is known.
        model.param_users = {key: sorted(self.state.param_users.get(key, ())) for key in model.params}
        if self.state.diagnostics:
            raise PcfError(_sorted(self.state.diagnostics))
        return model

    def _build_params(self, model: M.Model) -> None:
        for key, sym in self.state.symbols.items():
            if sym.kind != "param":
                continue
            try:
                value = self._param_value(key, sym)
            except PcfError as exc:
                for d in exc.diagnostics:
                    if d not in self.state.diagnostics:
                        self.state.add(d)
                continue
            model.params[key] = M.Quantity(value=float(value.magnitude), unit=str(value.units))
            model.param_spans[key] = sym.node.name.span

    def _build_gwp_sets(self, model: M.Model) -> None:
        for key, sym in self.state.symbols.items():
            if sym.kind != "gwp_set":
                continue
            node: S.GwpSet = sym.node
            factors: dict[str, float] = {}
            for entry in node.entries:
                gas = entry.gas.value
                if gas not in GASES and gas != CO2E:
                    near = did_you_mean(gas, list(GASES))
                    self.state.error("E220", f"unknown gas `{gas}`", entry.gas.span,
                                     help=f"did you mean `{near}`?" if near else f"known gases: {', '.join(GASES)}")
                    continue
                if gas in factors:
                    self.state.error("E201", f"`{gas}` appears twice in the GWP set", entry.gas.span,
                                     help="keep one value per gas")
                    continue
                if not math.isfinite(entry.value.value):
                    self.state.error("E305", "this GWP value is too large to represent", entry.value.span,
                                     help="a GWP is a finite number, e.g. `CH4_fossil 29.8`")
                    continue
                # Negative GWPs exist (some short-lived forcers); the grammar allows the sign here.
                factors[gas] = -entry.value.value if entry.negative else entry.value.value
            factors.setdefault(CO2E, 1.0)
            year = None
            if node.year is not None and self._plausible_year(int(node.year.value), node.year.span,
                                                              f"`{node.year.value}` is not a plausible year for a GWP set"):
                year = int(node.year.value)
            model.gwp_sets[key] = M.GwpSet(name=key, label=node.label.value if node.label else None, factors=factors,
                                           source=node.source.value if node.source else None,
                                           # its name, as a factor's: a label on the block underlined its
                                           # whole first line, name and title (D005, E511)
                                           year=year, span=node.name.span)

    def _factor_value(self, key: str, sym: _Symbol) -> M.Factor | None:
        if key in self._factors:
            return self._factors[key]
        self._factors[key] = None  # a factor that refers to itself ends here
        node: S.Factor = sym.node
        exprs = ([node.value] if node.value is not None else []) + node.gases
        if not exprs:
            self.state.error("E230", f"the factor `{node.name.value}` has no value", node.name.span,
                             help="write `factor NAME = VALUE UNIT`, or `gas VALUE UNIT` lines in its block")
            return None
        if node.value is not None and node.gases:
            self.state.error("E231", f"the factor `{node.name.value}` has both a value and gas lines", node.name.span,
                             help="use `= VALUE` for a single CO2e factor, or one `gas` line per gas")
            return None
        components: list[M.FactorComponent] = []
        per_dims = set()
        for expr in exprs:
            amount = self._amount(sym.prefix, expr)
            if amount is not None:
                # A number times units, nearly every factor: its value, units and text from the cache, without
                # a pint quantity or the text made again (a factor is built once for each name it is imported
                # under: 5,656 times at 100k, for 707 factors)
                number, magnitude, amount_units = amount
                units, text = amount_units.units, amount_units.text_before + number.text + amount_units.text_after
            else:
                value = self._eval(sym.prefix, expr)
                if value is None or self._has_no_number(sym.prefix, expr, f"the value of factor `{node.name.value}`"):
                    return None
                magnitude, units, text = value.magnitude, value.units, source_text(expr)
            gases = dict(_gases_of(units))
            if list(gases.values()) != [1]:
                found = ", ".join(gases) or "none"
                self.state.error(
                    "E232", f"a factor must name exactly one gas or CO2e in its unit (found: {found})", expr.span,
                    help="write the unit as mass of gas per unit of activity, e.g. `0.6205 t CO2 / MWh` or `17.61 t CO2e / t`")
                return None
            gas = next(iter(gases))
            if any(c.gas == gas for c in components):
                self.state.error("E201", f"the gas `{gas}` appears twice in factor `{node.name.value}`", expr.span,
                                 help="one gas line per gas")
                return None
            per_dims.add(_per_activity_dimension(units, gas))
            components.append(M.FactorComponent(gas=gas, quantity=M.Quantity(value=float(magnitude), unit=_units_text(units)),
                                                 text=text))
        if len(per_dims) > 1:
            self.state.error("E233", f"the gases of factor `{node.name.value}` are per different units of activity",
                             node.name.span, help="give every gas line the same denominator (all per m3, or all per kg)")
            return None
        year = None
        if node.year is not None and self._plausible_year(int(node.year.value), node.year.span,
                                                          f"`{node.year.value}` is not a plausible year for a factor"):
            year = int(node.year.value)
        factor = M.Factor(name=key, label=node.label.value if node.label else None, components=components,
                          source=node.source.value if node.source else None,
                          dataset=node.dataset.value if node.dataset else None, year=year,
                          geography=node.geography.value if node.geography else None,
                          notes=[n.value for n in node.notes], span=node.name.span)
        self._factors[key] = factor
        return factor

    def _build_stages(self) -> list[M.Stage]:
        stages: list[M.Stage] = [M.Stage(name=n, label=l, standard=True) for n, l in M.STANDARD_STAGES]
        by_name = {s.name: s for s in stages}
        for unit_ in self.units:
            for item in unit_.syntax.items:
                if isinstance(item, S.StageDecl):
                    name = item.name.value
                    if name in by_name:
                        if by_name[name].standard:
                            self.state.error("E201", f"`{name}` is a standard stage and cannot be declared again",
                                             item.name.span, help="use the standard stage, or give yours another name")
                        continue
                    stage = M.Stage(name=name, label=item.label.value if item.label else name.replace("_", " "),
                                    standard=False, span=item.name.span)
                    stages.append(stage)
                    by_name[name] = stage
        boundary = next((i for i in self.units[0].syntax.items if isinstance(i, S.Boundary)), None)
        if boundary is None:
            return stages
        if boundary.shorthand is not None:
            shorthand = boundary.shorthand.value
            if shorthand in M.BOUNDARY_SHORTHANDS:
                included, excluded = M.BOUNDARY_SHORTHANDS[shorthand]
                for name in included:
                    by_name[name].included = True
                for name in excluded:
                    by_name[name].included = False
                    by_name[name].reason = f"outside the {shorthand.replace('_', '-')} boundary"
            elif shorthand != "custom":
                near = did_you_mean(shorthand, list(M.BOUNDARY_SHORTHANDS) + ["custom"])
                self.state.error("E250", f"unknown boundary `{shorthand}`", boundary.shorthand.span,
                                 help=f"did you mean `{near}`?" if near else
                                 "use cradle_to_gate, cradle_to_grave, gate_to_gate or custom")
        order = [s.name for s in stages if s.standard]
        declared_only = [s.name for s in stages if not s.standard]
        previous: str | None = None
        seen: set[str] = set()
        for line in boundary.lines:
            name = line.stage.value
            stage = by_name.get(name)
            if stage is None:
                near = did_you_mean(name, list(by_name))
                self.state.error("E251", f"unknown stage `{name}`", line.stage.span,
                                 help=f"did you mean `{near}`?" if near else
                                 f"declare it first: stage {name} \"label\"")
                continue
            if name in seen:
                self.state.error("E201", f"the stage `{name}` appears twice in the boundary", line.stage.span,
                                 help="include or exclude each stage once")
                continue
            seen.add(name)
            stage.included = line.included
            stage.reason = line.reason.value if line.reason else (None if line.included else stage.reason)
            stage.span = line.stage.span
            if not stage.standard and name not in order:
                position = order.index(previous) + 1 if previous in order else 0
                order.insert(position, name)
            previous = name
        order.extend(n for n in declared_only if n not in order)
        return [by_name[n] for n in order]

    def _build_study(self, node: S.Study) -> M.Study:
        for tag, span in node.duplicates:
            self.state.error("E201", f"the study states `{tag}` twice", span, help="keep one line")
        study = M.Study(title=node.title.value, product=node.product.value if node.product else None,
                        producer=node.producer.value if node.producer else None,
                        geography=node.geography.value if node.geography else None,
                        standards=[s.value for s in node.standards], notes=[n.value for n in node.notes],
                        span=node.title.span)
        if node.period is not None:
            dates = []
            for word in node.period:
                try:
                    date = dt.date.fromisoformat(word.value)
                except ValueError:
                    self.state.error("E260", f"`{word.value}` is not a calendar date", word.span,
                                     help="write dates as YYYY-MM-DD")
                    continue
                if self._plausible_year(date.year, word.span,
                                        f"`{word.value}` is not a plausible date for the reference period"):
                    dates.append(date)
            if len(dates) == 2:
                if dates[1] < dates[0]:
                    self.state.error("E261", "the period ends before it starts", node.period_span,
                                     help="write `period START to END` with START before END")
                study.period_start, study.period_end = dates
        if node.gwp is not None:
            found = self._lookup("", node.gwp, ("gwp_set",), "GWP set")
            if found:
                study.gwp = found[0]
        if node.declared_unit is not None:
            du = node.declared_unit
            amount = self._eval("", du.amount)
            self._du_failed = amount is None
            if amount is not None:
                if amount.magnitude <= 0:
                    self.state.error("E262", f"the {M.unit_term(du.functional)} must be a positive amount", du.amount.span,
                                     help=f"e.g. `{'functional' if du.functional else 'declared'}_unit 1 kg of casting.billet`")
                study.declared_unit = M.DeclaredUnit(amount=M.Quantity(value=float(amount.magnitude), unit=str(amount.units)),
                                                     product=du.product.dotted,
                                                     description=du.description.value if du.description else None,
                                                     functional=du.functional, span=du.amount.span)
                self._du_ref = du.product
        return study

    def _build_cutoff(self, node: S.Cutoff) -> M.Cutoff:
        for tag, span in node.duplicates:
            self.state.error("E201", f"the cut-off rule states `{tag}` twice", span, help="keep one line")
        cut = M.Cutoff(notes=[n.value for n in node.notes], span=node.span)
        if node.basis is not None:
            if node.basis.value not in ("emissions", "mass", "energy"):
                self.state.error("E270", f"unknown cut-off basis `{node.basis.value}`", node.basis.span,
                                 help="use emissions, mass or energy")
            else:
                cut.basis = node.basis.value
        for attr in ("per_flow", "cumulative"):
            expr = getattr(node, attr)
            if expr is None:
                continue
            value = self._eval("", expr)
            if value is None:
                continue
            if not value.dimensionless:
                self.state.error("E271", f"the cut-off `{attr}` threshold must be a share, such as `1 %`", expr.span,
                                 help="write the threshold as a percentage of the total: `1 %`")
                continue
            if not list(value.unit_items()) and value.magnitude != 0 and not self._has_units("", expr):
                # A bare number is ambiguous: a report's "per-flow cut-off 0.5" means 0.5 %, the fraction
                # 0.5 is 50 %, and `1` would be 100 % (everything may be cut off). Refused, never guessed.
                # But 0, which is 0 % read either way, and a ratio of units (`0.01 kg / kg`), a fraction as written.
                number = f"{float(value.magnitude):.15g}"
                self.state.error("E271", f"the cut-off threshold `{attr} {number}` has no `%`: a percentage or "
                                 "a fraction?", expr.span,
                                 help=f"write `{attr} {number} %` for {number} %, or `{attr} "
                                      f"{100 * float(value.magnitude):.15g} %` for the fraction {number}")
                continue
            fraction = float(value.to("").magnitude)
            if not 0 <= fraction <= 1:
                self.state.error("E272", f"the cut-off `{attr}` threshold must lie between 0 % and 100 %", expr.span,
                                 help="e.g. `per_flow 1 %`")
                continue
            setattr(cut, attr, fraction)
            setattr(cut, f"{attr}_span", expr.span)
        return cut

    def _quality(self, scores: list[S.QualityScore] | None) -> M.Quality | None:
        if scores is None:
            return None
        quality = M.Quality()
        for score in scores:
            criterion = score.criterion.value
            levels = M.QUALITY_LEVELS.get(criterion)
            if levels is None:
                near = did_you_mean(criterion, list(M.QUALITY_LEVELS))
                self.state.error("E280", f"unknown data-quality criterion `{criterion}`", score.criterion.span,
                                 help=f"did you mean `{near}`?" if near else "use activity, factor and calibration")
                continue
            raw = score.value.value
            if raw.isdigit():
                value = int(raw)
                if value not in levels.values():
                    self.state.error("E281", f"{value} is not a score of the `{criterion}` criterion", score.value.span,
                                     help=f"scores: {', '.join(f'{k} = {v}' for k, v in levels.items())}")
                    continue
            elif raw in levels:
                value = levels[raw]
            else:
                near = did_you_mean(raw, list(levels))
                self.state.error("E281", f"unknown `{criterion}` level `{raw}`", score.value.span,
                                 help=f"did you mean `{near}`?" if near else f"levels: {', '.join(levels)}")
                continue
            setattr(quality, criterion, value)
        return quality

    def _build_process(self, key: str, sym: _Symbol, model: M.Model) -> M.Process | None:
        node: S.Process = sym.node
        for tag, span in node.duplicates:
            self.state.error("E201", f"the process states `{tag}` twice", span, help="keep one line")
        stage = None
        if node.stage is None:
            self.state.error("E290", f"the process `{node.name.value}` has no stage", node.name.span,
                             help="add a line `stage production` (or another life-cycle stage)")
        else:
            stage = self._stage_name(node.stage, model)
        flows: list[M.Flow] = []
        products: list[M.Flow] = []
        names: dict[str, S.Flow | S.FlowLine] = {}
        # burned: (INPUT, flow) for each flow with `of INPUT`, checked once every name is known
        has_product, burned = False, []
        prefix = sym.prefix
        for flow in node.flows:
            line = type(flow) is S.FlowLine  # its words by position (S.FlowLine.FIELDS): this runs for every line
            if line:
                kind, name, of = flow[0], flow[1], flow[6]
            else:
                kind, name, of = flow.kind, flow.name.value, flow.of_input and flow.of_input.value
            if kind == "product":
                has_product = True
            if of is not None:
                burned.append((of, flow))
            if name in names:
                self.state.error("E201", f"the flow `{name}` appears twice in process `{node.name.value}`",
                                 flow.name.span, help="give each flow line its own name",
                                 labels=[Label(names[name].name.span, "first here")])
                continue
            names[name] = flow
            built = self._build_flow_line(flow, prefix, model) if line else self._build_flow(flow, prefix, model)
            if built is not None:
                flows.append(built)
                if kind == "product":  # listed here, not by a second walk over the flows
                    products.append(built)
            else:
                self._failed_flows.add(f"{key}.{name}")
        if not has_product:
            self.state.add(no_product_error(node.name.value, node.name.span))
        allocation = self._build_allocation(node, products, prefix) if node.allocation else None
        if allocation is None and len(products) > 1:
            self.state.add(no_allocation_error(node.name.value, len(products), node.name.span))
        for of, flow in burned:
            if of not in names or names[of].kind != "input":
                self.state.add(of_input_error(of, flow.of_input.span))
        if stage is None:
            # Already reported; keep the name so the rest of the process is still checked.
            stage = node.stage.value if node.stage is not None else ""
        process = M.built_process(key, node.label.value if node.label else None, stage,
                                  node.geography.value if node.geography else None, flows, allocation,
                                  self._quality(node.quality), [n.value for n in node.notes] if node.notes else [],
                                  node.name.span)
        # Kept while the flows are fresh in the cache: at link time, finding a supplier's products meant
        # walking its flows again, and a supplier at random in memory (0.16 s of linking at 100k).
        # Its activity key made once, here: _link_supplier made it for each link it resolved, a string of its
        # own that the flow then kept (the 10k model's flows held 16,254 supplier keys; now 12,007).
        self._suppliers[key] = process, products, process.key(products[0].name) if len(products) == 1 else None
        return process

    def _stage_name(self, word: S.Word, model: M.Model) -> str | None:
        if word.value not in self._stage_names:
            self.state.add(unknown_stage_error(word.value, model, word.span))
            return None
        return word.value

    def _build_flow_line(self, line: S.FlowLine, prefix: str, model: M.Model) -> M.Flow | None:
        """_build_flow for a line the parser's flow line reader read, from its words, without its nodes.

        The units are looked up by their spelling in the cache _amount fills,
        and the record gets the three spans it keeps (M.line_flow makes them from
        their columns). A line this cannot take
        as it is (units not seen yet, or anything _build_flow would report)
        goes through _build_flow, so every diagnostic comes from one place.
        """
        (kind, name, number, u1, op, u2, of, tag, parts, attribute, value, file, row, name_col, name_end, num_col,
         _, u1_end, _, u2_end, _, _, ref_col, ref_end, _, _, _) = line
        units = self._line_units.get((prefix, u1, op, u2))
        if units is None:  # the units' spelling not seen yet in a line of this file (or not ones a line may have)
            units = self._amount_units.get((prefix, ("juxt", "#", u1) if u2 is None else (op, ("juxt", "#", u1), u2)))
            if not units or _per_count(units.text):  # not seen yet; not an amount; or per item (E313)
                return self._build_flow(line.expand(), prefix, model)
            self._line_units[(prefix, u1, op, u2)] = units
        magnitude = float(number)
        if (not math.isfinite(magnitude)
                or kind == "emit" and tag is None and not units.is_mass_of_one_gas
                or kind == "loss" and not units.is_mass
                or attribute == "stage" and value not in self._stage_names):
            return self._build_flow(line.expand(), prefix, model)
        if tag is not None:
            source = self._qualified.get((prefix, parts))
            if source is None:
                source = self._qualified[(prefix, parts)] = _qualify(prefix, ".".join(parts))
        else:
            source = None
        return M.line_flow(kind, name, magnitude, units.text, units.text_before + number + units.text_after, file, row,
                           name_col, name_end, num_col, u1_end if u2 is None else u2_end, source, ref_col, ref_end,
                           tag if kind == "waste" else None, of, value if attribute == "stage" else None,
                           value if attribute == "group" else None)

    def _build_flow(self, node: S.Flow, prefix: str, model: M.Model) -> M.Flow | None:
        found = self._amount(prefix, node.amount)
        if found is not None:  # a number times units: everything about it from the cache, no pint arithmetic
            number, magnitude, units = found
            unit_text, amount_text = units.text, units.text_before + number.text + units.text_after
            is_mass, is_mass_of_one_gas = units.is_mass, units.is_mass_of_one_gas
        else:
            amount = self._eval(prefix, node.amount)
            if amount is None or self._has_no_number(prefix, node.amount, f"the amount of `{node.name.value}`"):
                return None
            magnitude = amount.magnitude
            unit_text, amount_text = _units_text(amount.units), source_text(node.amount)
            is_mass, is_mass_of_one_gas = _is_mass(amount.units), _is_mass_of_one_gas(amount.units)
        if magnitude < 0 and node.kind != "emit":
            self.state.error("E300", f"the amount of `{node.name.value}` is negative", node.amount.span,
                             help="amounts are positive; only an `emit` line may be negative (a removal)")
            return None
        if _per_count(unit_text):
            # A count (`item`, `pcs`) has no dimension, so `0.3 kg / item` is a mass to pint and was taken as
            # 0.3 kg per run of the process: for a product of 1000 items, a figure 1000 times too small.
            self.state.error("E313", f"`{node.name.value}` is {amount_text}: an amount per item, but a process's "
                             "amounts are per run (its products as written)", node.amount.span,
                             help=f"multiply by the number of items of a run (`{amount_text} * 1000 items` for a "
                                  "product of 1000 items), or give the amount per run")
            return None
        attrs = node.attrs
        stage = self._stage_name(attrs.stage, model) if attrs.stage else None
        estimate = None
        if attrs.estimate is not None:
            value = self._magnitude_units(prefix, attrs.estimate)
            if value is not None:
                estimated, units = value
                if not _is_estimate_unit(units):
                    self.state.error("E310", "a cut-off estimate is a mass of CO2e (per process output) or a share",
                                     attrs.estimate.span, help="e.g. `estimate 0.002 kg CO2e` or `estimate 0.1 %`")
                elif _per_count(_units_text(units)):  # `kg CO2e / item` is a mass to pint: see E313 on amounts
                    self.state.error("E313", f"the estimate {source_text(attrs.estimate)} is per item, but an "
                                     "estimate in kg CO2e is per run of the process (its products as written)",
                                     attrs.estimate.span,
                                     help="multiply by the number of items of a run (`... * 1000 items`), or give "
                                          "the estimate per run or as a share of the total (`0.1 %`)")
                elif estimated < 0:
                    self.state.error("E300", "a cut-off estimate is negative", attrs.estimate.span,
                                     help="estimate the emissions left out: zero or more (a removal is an `emit` line)")
                else:
                    estimate = M.Quantity(value=float(estimated), unit=_units_text(units))
        properties = {}
        for word, expr in attrs.properties:
            value = self._eval(prefix, expr)
            if value is not None and value.magnitude < 0:
                self.state.error("E300", f"the property `{word.value}` is negative", expr.span,
                                 help="properties (heating value, price, carbon content) are zero or more")
            elif value is not None:
                properties[word.value] = M.Quantity(value=float(value.magnitude), unit=_units_text(value.units))
        quality = self._quality(attrs.quality)
        # Fields left at their default (None, no notes, no properties) are not passed: each one given costs
        # validation time, and the amount is given as data, validated in the same call (a flow a microsecond sooner).
        fields = dict(kind=node.kind, name=node.name.value, amount={"value": float(magnitude), "unit": unit_text},
                      amount_text=amount_text, cutoff=node.cutoff, span=node.name.span, amount_span=node.amount.span)
        if attrs.notes:
            fields["notes"] = tuple(n.value for n in attrs.notes)
        if attrs.source:
            fields["data_source"] = attrs.source.value
        if properties:
            fields["properties"] = properties
        if node.label:
            fields["label"] = node.label.value
        if node.source:  # the name as written, qualified; resolved and checked in _link_flows
            fields["source"], fields["source_span"] = _qualify(prefix, node.source.dotted), node.source.span
        if node.waste_route:
            fields["waste_route"] = node.waste_route
        if node.cutoff_reason:
            fields["cutoff_reason"] = node.cutoff_reason.value
        if estimate is not None:
            fields["estimate"] = estimate
        if node.of_input:
            fields["of_input"] = node.of_input.value
        if stage is not None:
            fields["stage"] = stage
        if attrs.group:
            fields["group"] = attrs.group.value
        if quality is not None:
            fields["quality"] = quality
        flow = M.Flow(**fields)
        if node.kind == "emit" and node.source is None:
            if not is_mass_of_one_gas:
                self.state.error("E311", f"the emission `{node.name.value}` must be a mass of one gas", node.amount.span,
                                 help="e.g. `emit leak 0.2 kg CH4_fossil`, or give an activity and `with FACTOR`")
        if node.kind == "loss" and not is_mass:
            self.state.error("E312", f"the loss `{node.name.value}` must be a mass", node.amount.span,
                             help="e.g. `loss melt_loss 0.01 t`")
        return flow

    def _build_allocation(self, node: S.Process, products: list[M.Flow], prefix: str) -> M.Allocation | None:
        alloc = node.allocation
        method = alloc.method.value
        if method not in M.ALLOCATION_METHODS:
            near = did_you_mean(method, list(M.ALLOCATION_METHODS))
            self.state.error("E320", f"unknown allocation method `{method}`", alloc.method.span,
                             help=f"did you mean `{near}`?" if near else f"methods: {', '.join(M.ALLOCATION_METHODS)}")
            return None
        product_names = {p.name for p in products}
        shares: dict[str, float] = {}
        for share in alloc.shares:
            if share.product.value not in product_names:
                self.state.add(not_a_product_error(share.product.value, product_names, share.product.span))
                continue
            value = self._magnitude_units(prefix, share.value)
            if value is None:
                continue
            magnitude, units = value
            # one factor per spelling, as pint converts (a share took two pint calls, 18 us, before)
            factor = factor_or_none(_units_text(units), "")
            if factor is None:
                self.state.error("E322", "an allocation share is a percentage or a fraction", share.value.span,
                                 help="e.g. `share billet 85 %`")
                continue
            fraction = float(magnitude) * factor
            if fraction < 0:
                self.state.error("E300", f"the allocation share of `{share.product.value}` is negative", share.value.span,
                                 help="a share lies between 0 % and 100 %")
                continue
            if fraction > 1:
                self.state.error("E323", f"the allocation share of `{share.product.value}` is more than 100 %",
                                 share.value.span, help="a share lies between 0 % and 100 %")
                continue
            shares[share.product.value] = fraction
        properties: dict[str, M.Quantity] = {}
        by_name = {p.name: p for p in products}
        for prop in alloc.properties:
            if prop.product.value not in product_names:
                self.state.add(not_a_product_error(prop.product.value, product_names, prop.product.span))
                continue
            value = self._magnitude_units(prefix, prop.value)
            if value is None:
                continue
            magnitude, units = value
            if magnitude < 0:
                self.state.error("E300", f"the allocation property of `{prop.product.value}` is negative",
                                 prop.value.span, help="a price, mass or energy content is zero or more")
            elif (error := property_units_error(method, by_name[prop.product.value], _units_text(units),
                                                source_text(prop.value), prop.value.span)) is not None:
                self.state.add(error)
            else:
                properties[prop.product.value] = M.Quantity(value=float(magnitude), unit=_units_text(units))
        return M.Allocation(method=method, shares=shares, properties=properties,
                            justification=alloc.justification.value if alloc.justification else None,
                            span=alloc.method.span)

    def _link_flows(self, model: M.Model) -> None:
        """Resolve every `from`, `to` and `with`, and check that the units fit.

        A flow's source is the name as written, qualified (_build_flow): the key
        of its symbol. The name is taken apart again (_source_ref) only to report a problem.
        """
        symbols, found = self.state.symbols, self.state.diagnostics
        # A link that resolved and whose units fit, by everything that decides it: the file's prefix, the
        # flow's kind and waste route, its source as written (qualified) and its unit -> the source resolved
        # and its kind. The 100k benchmark model's 330,551 links to factors name 10,816 of these.
        fitted: dict[tuple, tuple[str, str]] = {}
        for process in model.processes.values():
            sym_prefix = symbols[process.name].prefix
            for flow in process.flows:
                if flow.source is None:
                    if flow.kind == "input" and not flow.cutoff:
                        self.state.error("E330", f"the input `{flow.name}` has no source", flow.span,
                                         help='link it: `from SUPPLIER_OR_FACTOR`, or mark it `cutoff "reason"`')
                    continue
                link = (sym_prefix, flow.kind, flow.waste_route, flow.source, flow.amount.unit)
                fit = fitted.get(link)
                if fit is not None:
                    flow.source, flow.source_kind = fit
                    continue
                before = len(found)
                if flow.kind == "emit" or flow.waste_route == "with":
                    sym = symbols.get(flow.source)
                    if sym is not None and sym.kind == "factor":
                        flow.source_kind = "factor"
                        self._check_factor_units(flow, model.factors.get(flow.source))
                    else:
                        self._lookup(sym_prefix, _source_ref(flow, sym_prefix), ("factor",), "emission factor")
                else:
                    self._link_supplier(flow, sym_prefix, model)
                if flow.source_kind is not None and len(found) == before:
                    fitted[link] = (flow.source, flow.source_kind)

    def _link_supplier(self, flow: M.Flow, prefix: str, model: M.Model) -> None:
        key = flow.source
        built = self._suppliers.get(key)
        # A key of a built process is a process's symbol (never a factor's): one look-up, not three.
        sym = None if built is not None else self.state.symbols.get(key)
        if sym is not None and sym.kind == "factor":
            if flow.kind == "waste":
                ref = _source_ref(flow, prefix)
                self.state.error("E331", f"`to {ref.dotted}` names a factor; a waste goes `to` a treatment process",
                                 ref.span, help=f"write `with {ref.dotted}` to apply the factor to the waste")
                return
            flow.source_kind = "factor"
            self._check_factor_units(flow, model.factors.get(key))
            return
        # `process` or `process.product`
        supplier, product = None, None
        if built is not None or sym is not None and sym.kind == "process":
            if built is None:
                return  # reported where the process was built
            supplier, products, activity = built
            if len(products) != 1:
                ref = _source_ref(flow, prefix)
                names = ", ".join(f"{ref.dotted}.{p.name}" for p in products)
                self.state.error("E332", f"the process `{ref.dotted}` has several products; say which one", ref.span,
                                 help=f"one of: {names}")
                return
            product = products[0]
        else:
            supplier_key, _, product_name = key.rpartition(".")
            named_product = "." in (key[len(prefix) + 1:] if prefix else key)  # `process.product` as written
            if named_product and getattr(self.state.symbols.get(supplier_key), "kind", None) == "process":
                supplier = model.processes.get(supplier_key)
                if supplier is None:
                    return
                product = supplier.flow(product_name)
                if product is None or product.kind != "product":
                    self.state.error("E333", f"the process `{supplier.name}` has no product `{product_name}`",
                                     flow.source_span,
                                     help=f"products: {', '.join(p.name for p in supplier.products)}")
                    return
                activity = key  # as written, `process.product`
            else:
                what = "treatment process" if flow.kind == "waste" else "supplier process or emission factor"
                self._lookup(prefix, _source_ref(flow, prefix), ("process", "factor") if flow.kind != "waste" else ("process",),
                             what)
                return
        if flow.source != activity:
            flow.source = activity
        flow.source_kind = "process"
        mismatch = supplier_units_error(flow, supplier, product)
        if mismatch is not None:
            self.state.add(mismatch)

    def _check_factor_units(self, flow: M.Flow, factor: M.Factor | None) -> None:
        mismatch = factor_units_error(flow, factor) if factor is not None else None
        if mismatch is not None:
            self.state.add(mismatch)

    def _check_study_links(self, model: M.Model) -> None:
        study = model.study
        if study.declared_unit is not None:
            ref = self._du_ref
            key = ref.dotted
            process_key, product_name = (key, None) if key in model.processes else (key.rpartition(".")[0], ref.parts[-1])
            process = model.processes.get(process_key)
            product = None
            if process is not None:
                product = process.products[0] if product_name is None and len(process.products) == 1 else (
                    process.flow(product_name) if product_name else None)
            if process is None or product is None or product.kind != "product":
                keys = [p.key(f.name) for p in model.processes.values() for f in p.products]
                near = did_you_mean(key, keys)
                self.state.error("E263", f"the {study.declared_unit.term} names `{key}`, which is not a product of the model", ref.span,
                                 help=f"did you mean `{near}`?" if near else "write `of PROCESS.PRODUCT`")
            else:
                study.declared_unit.product = process.key(product.name)
                mismatch = declared_unit_error(study.declared_unit, product)
                if mismatch is not None:
                    self.state.add(mismatch)
        elif study is not None and not self._du_failed:  # a declared unit that failed is reported already
            self.state.error("E264", "the study has no declared or functional unit", study.span,
                             help="add `declared_unit 1 kg of PROCESS.PRODUCT`")

    def _build_claim(self, node: S.Claim, model: M.Model) -> M.Claim | None:
        value = self._eval("", node.value)
        if value is None or self._has_no_number("", node.value, "the claimed value"):
            return None
        # The claim's decimals are its precision, read from the number as printed: a parameter or a
        # factor in it has no printed decimals (`claimed` alone stopped with an internal error,
        # `2 * claimed` was compared to the unit).
        named = next((n for n in _names(node.value) if n.dotted not in RESERVED_UNIT_NAMES
                      and getattr(self.state.symbols.get(n.dotted), "kind", None) in ("param", "factor")), None)
        if named is not None:
            kind = {"param": "parameter", "factor": "factor"}[self.state.symbols[named.dotted].kind]
            self.state.error("E344", f"a claim is the number the report prints, not the {kind} `{named.dotted}`",
                             node.value.span,
                             help="write the value as the report prints it, e.g. `claim total = 11.22 kg CO2e`: "
                                  "its decimals are the precision it is compared to")
            return None
        first_number = _first_number(node.value)
        text = first_number.text if first_number else source_text(node.value)
        decimals = _decimals(text)
        subject = node.subject.dotted if node.subject else None
        if node.target == "quality":
            if not value.dimensionless:
                self.state.error("E340", "a data-quality claim is a score without unit", node.value.span,
                                 help="e.g. `claim quality = 3.15`")
                return None
            kg = float(value.to("").magnitude)
            scale = kg / value.magnitude if value.magnitude else 1.0
            low, high = min(min(l.values()) for l in M.QUALITY_LEVELS.values()), max(max(l.values()) for l in M.QUALITY_LEVELS.values())
            if not low <= kg <= high:
                self.state.error("E340", f"a data-quality score lies between {low} and {high}", node.value.span,
                                 help="e.g. `claim quality = 3.15`")
                return None
        else:
            scale = self._claim_scale(value, node, model)
            if scale is None:
                return None
            kg = float(value.magnitude) * scale
            if node.target == "stage" and model.stage(subject) is None:
                near = did_you_mean(subject, [s.name for s in model.stages])
                self.state.error("E251", f"unknown stage `{subject}`", node.subject.span,
                                 help=f"did you mean `{near}`?" if near else "name a stage of the boundary")
                return None
            if node.target == "process" and subject not in model.processes:
                self._lookup("", node.subject, ("process",), "process")
                return None
            if node.target == "flow":
                process_key, _, flow_name = subject.rpartition(".")
                process = model.processes.get(process_key)
                if subject in self._failed_flows:  # its line is reported already: a claim on it is no new error
                    return None
                if process is None or process.flow(flow_name) is None:
                    candidates = [f"{p.name}.{f.name}" for p in model.processes.values() for f in p.flows]
                    near = did_you_mean(subject, candidates)
                    self.state.error("E341", f"unknown flow `{subject}`", node.subject.span,
                                     help=f"did you mean `{near}`?" if near else "write `claim flow PROCESS.FLOW = ...`")
                    return None
            if node.target == "group":
                groups = {f.group for p in model.processes.values() for f in p.flows if f.group}
                if subject not in groups:
                    near = did_you_mean(subject, list(groups))
                    self.state.error("E342", f"no flow belongs to the group `{subject}`", node.subject.span,
                                     help=f"did you mean `{near}`?" if near else "put flows in it with `group NAME` in their block")
                    return None
        return M.Claim(target=node.target, subject=subject, value=kg, text=text, decimals=decimals,
                       resolution=abs(scale) * 10.0 ** (-decimals),
                       source=node.source.value if node.source else None, notes=[n.value for n in node.notes],
                       span=node.value.span)

    def _claim_scale(self, value, node: S.Claim, model: M.Model) -> float | None:
        """kg CO2e per declared unit for one unit of the claim's unit (`t CO2e` -> 1000).

        The printed precision is scaled by it too: `0.00 t CO2e` is a claim to within 5 kg,
        which the ratio of the value to the printed number cannot give for a zero claim.
        """
        # Through a conversion factor per unit spelling: a report claims dozens of figures in one or
        # two units, and pint's arithmetic on each of the reference model's 79 took 15-20 ms of every
        # `pcf check` (a fifth of a load once pint and the grammar are warm).
        units = str(value.units)
        # `kg CO2e / item` is a mass of CO2e to pint (a count has no dimension): it is per item all the same,
        # and for a declared unit of 1000 items was compared as if it were per the 1000.
        factor = None if _per_count(units) else factor_or_none(units, f"kg * {CO2E}")
        if factor is not None:
            return factor
        du = model.study.declared_unit if model.study else None
        if du is not None:
            factor = factor_or_none(f"({units}) * ({du.amount.unit})", f"kg * {CO2E}")
            if factor is not None:  # a claim per unit of product, times the declared unit's amount
                return du.amount.value * factor
        self.state.error("E343", "a claimed result is a mass of CO2e per declared unit", node.value.span,
                         help="e.g. `claim total = 11.22 kg CO2e` (or `11.22 kg CO2e / kg` for a 1 kg declared unit)")
        return None

    def _build_profile(self, key: str, sym: _Symbol) -> M.Profile:
        node: S.Profile = sym.node
        rules: dict[str, str] = {}
        rule_spans: dict[str, Span] = {}
        param_spans: dict[str, Span] = {}
        value_spans: dict[str, Span] = {}
        for setting in node.rules:
            if setting.severity.value not in ("error", "warning", "info", "off"):
                self.state.error("E350", f"unknown severity `{setting.severity.value}`", setting.severity.span,
                                 help="use error, warning, info or off")
                continue
            rules[setting.code.value] = setting.severity.value
            rule_spans[setting.code.value] = setting.code.span
        params: dict[str, float | str] = {}
        bare_params: list[str] = []  # numbers written without a unit: a share among them is ambiguous (E363)
        for param in node.params:
            param_spans[param.key.dotted], value_spans[param.key.dotted] = param.key.span, param.value.span
            if isinstance(param.value, S.Text):
                params[param.key.dotted] = param.value.value
                continue
            value = self._eval(sym.prefix, param.value)
            if value is not None and not value.dimensionless:
                # Every parameter is a share, a count or text: `1 kg` read as its number would make a
                # per-flow cut-off of 100 %.
                self.state.error("E363", f"`{param.key.dotted}` is a number or a percentage, not a quantity in "
                                 f"{short(str(value.units))}", param.value.span,
                                 help="write a share as a percentage (`1 %`) and a count as a number (`10`); "
                                      "`pcf rules --params` lists the parameters")
            elif value is not None:
                params[param.key.dotted] = float(value.to("").magnitude)
                # 0 is 0 % read either way; a ratio of units (`0.01 kg / kg`) is a fraction as written
                if not list(value.unit_items()) and value.magnitude != 0 and not self._has_units(sym.prefix, param.value):
                    bare_params.append(param.key.dotted)
        extends = []
        for ref in node.extends:
            found = self._lookup(sym.prefix, ref, ("profile",), "profile")
            if found:
                extends.append(found[0])
        return M.Profile(name=key, label=node.label.value if node.label else None, extends=extends, rules=rules,
                         params=params, standards=[s.value for s in node.standards], notes=[n.value for n in node.notes],
                         span=node.name.span, rule_spans=rule_spans, param_spans=param_spans, value_spans=value_spans,
                         bare_params=bare_params)


# ------------------------------------------------------------------ how a process must hang together
# Module functions, not builder methods: the builder reports these on the lines as written, and
# `pcf diff` finds them with `structure_error` in a model changed after it was built (one change
# applied alone), where a share left naming a renamed product would silently weigh nothing.


def no_product_error(process: str, span: Span | None) -> Diagnostic:
    return Diagnostic("E291", f"the process `{process}` has no product", span,
                      help="add its reference output: `product NAME AMOUNT UNIT`")


def no_allocation_error(process: str, products: int, span: Span | None) -> Diagnostic:
    return Diagnostic("E292", f"the process `{process}` has {products} products but no allocation", span,
                      help="add `allocation mass` (or economic, energy, physical) with its justification, "
                           "or subdivide the process")


def of_input_error(name: str, span: Span | None) -> Diagnostic:
    return Diagnostic("E293", f"`of {name}` must name an input of this process", span,
                      help="name the input whose combustion or use this emission is")


def not_a_product_error(name: str, products, span: Span | None) -> Diagnostic:
    return Diagnostic("E321", f"`{name}` is not a product of this process", span,
                      help=f"products: {', '.join(sorted(products)) or 'none'}")


def unknown_stage_error(name: str, model: M.Model, span: Span | None) -> Diagnostic:
    near = did_you_mean(name, [s.name for s in model.stages])
    return Diagnostic("E251", f"unknown stage `{name}`", span,
                      help=f"did you mean `{near}`?" if near else f"declare it at the top level: stage {name} \"label\"")


def structure_error(model: M.Model) -> tuple[str, Diagnostic] | None:
    """The first process that does not hang together as the builder requires, with the problem; None if all do.

    A built model passes: the builder reports each of these on the line as written. A model changed
    afterwards may not (`pcf diff`, one change applied alone), and computed as it is, a share naming
    a product that is not there would weigh nothing and a stage no one declared would get a row.
    """
    for process in model.processes.values():
        if model.stage(process.stage) is None:
            return process.name, unknown_stage_error(process.stage, model, process.span)
        products = process.products
        if not products:
            return process.name, no_product_error(process.name, process.span)
        if len(products) > 1 and process.allocation is None:
            return process.name, no_allocation_error(process.name, len(products), process.span)
        if process.allocation is not None:
            names = {p.name for p in products}
            for name in [*process.allocation.shares, *process.allocation.properties]:
                if name not in names:
                    return process.name, not_a_product_error(name, names, process.allocation.span)
        inputs = {f.name for f in process.flows if f.kind == "input"}
        for flow in process.flows:
            if flow.stage is not None and model.stage(flow.stage) is None:
                return process.name, unknown_stage_error(flow.stage, model, flow.span)
            if flow.of_input is not None and flow.of_input not in inputs:
                return process.name, of_input_error(flow.of_input, flow.span)
    return None


# ------------------------------------------------------------------ units that must fit
# Module functions, not builder methods: `pcf diff` checks a model changed after it was built
# (one change applied alone) with the same words (E401) before computing it.


def supplier_units_error(flow: M.Flow, supplier: M.Process, product: M.Flow) -> Diagnostic | None:
    """E401 when a flow from a supplier is not in a unit of the kind the supplier's product is."""
    if _same_dimension(flow.amount.unit, product.amount.unit):
        return None
    return Diagnostic(
        "E401",
        f"`{flow.name}` is {flow.amount_text} but `{supplier.name}` makes `{product.name}` in "
        f"{short(product.amount.unit)}: the units do not fit",
        flow.amount_span,
        help=f"give the amount in a unit of the same kind as {product.amount_text}",
        labels=[Label(product.amount_span, "the supplier's product amount")] if product.amount_span else [],
    )


def factor_units_error(flow: M.Flow, factor: M.Factor) -> Diagnostic | None:
    """E401 when amount x factor is not a mass of the factor's gas."""
    component = factor.components[0]
    if _is_mass_of_gas(flow.amount.unit, component.quantity.unit, component.gas):
        return None
    per_activity = component.quantity.pint() / unit(component.gas)
    result = flow.amount.pint() * per_activity
    if result.dimensionality == mass_dimensionality():
        return None
    labels = [Label(factor.span, "the factor is defined here")] if factor.span else []
    bracketed = _bracketed_per(component.text)
    if bracketed is not None and (result / bracketed[1] ** 2).dimensionality == mass_dimensionality():
        # `kg CO2e / t*km` is (kg CO2e / t) * km: `*` and `/` bind alike, from the left. Said so,
        # not "per t", which is what pint reads but not what the writer meant.
        reading, _, per, fixed = bracketed
        return Diagnostic(
            "E401",
            f"the factor `{factor.name}` is {component.text}, which reads as {reading}, not per {per}: "
            "`*` after `/` multiplies",
            flow.amount_span,
            help=f"write the factor as `{fixed}`: brackets around what it is per (or the units side by side, "
                 f"`/ {per.replace('*', ' ')}`, which binds first)",
            labels=labels,
        )
    expected = _per_unit_text(per_activity)
    amount_hint = "as a mass (kg, t)" if expected == _PER_MASS else f"in {expected} (or a unit of the same kind)"
    return Diagnostic(
        "E401",
        f"`{flow.name}` is {flow.amount_text}, but the factor `{factor.name}` is {component.text} "
        f"(per {expected}): amount × factor is not a mass of {component.gas}",
        flow.amount_span,
        help=f"give the amount {amount_hint}, or use a factor per {short(flow.amount.unit)}",
        labels=labels,
    )


def property_units_error(method: str, product: M.Flow, units: str, text: str, span: Span | None) -> Diagnostic | None:
    """E324 when an allocation property (`text`, in `units`) is not per unit of its product."""
    per = _per_other_kind(units, product.amount.unit)
    if per is not None:
        # `500 CNY / t` for a product counted in kWh: amount x property is no sum of money, and when
        # every product is mismeasured alike the shares still came out, without a word.
        return Diagnostic("E324", f"the {method} property of `{product.name}` is {text}, per {per}, but the "
                          f"product is {product.amount_text}: not the same kind of quantity", span,
                          help=f"give the property per unit of the product (per {short(product.amount.unit)}), "
                               "or state the shares")
    if not _not_per_unit(units, product.amount.unit):
        return None
    # Each product weighs its amount times its property: a total (the revenue `16650 CNY`, the
    # energy `9000 MJ`) counts the amount twice, and the shares came out wrong without a word.
    amount = product.amount_text
    return Diagnostic("E324", f"the {method} property of `{product.name}` is {text}, not per unit of the product "
                      f"({amount})", span,
                      help=f"the shares weigh each product's amount times its property: give the property per unit "
                           f"of the product (`{text} / {amount}`, or e.g. `18500 CNY / t`), or state the shares")


def declared_unit_error(declared_unit: M.DeclaredUnit, product: M.Flow) -> Diagnostic | None:
    """E401 when the declared unit is not the same kind of quantity as the product it is of."""
    if declared_unit.amount.pint().dimensionality == product.amount.pint().dimensionality:
        return None
    term = declared_unit.term
    return Diagnostic("E401", f"the {term} ({declared_unit.amount.value:g} {short(declared_unit.amount.unit)}) and "
                      f"the product `{product.name}` ({product.amount_text}) are not the same kind of quantity",
                      declared_unit.span, help=f"state the {term} in a unit of the product")


# ------------------------------------------------------------------ cached unit arithmetic
# A large model repeats a few dozen unit spellings hundreds of thousands of
# times; these answer from a cache what the pint operations would answer.


@lru_cache(maxsize=4096)
def _units_text(units) -> str:
    return str(units)


@lru_cache(maxsize=4096)
def _gases_of(units) -> tuple[tuple[str, float], ...]:
    """gases_in for units: a factor imported under several names is read once per name, its units once."""
    return tuple(gases_in(Q(1, units)).items())


@lru_cache(maxsize=4096)
def _per_activity_dimension(units, gas: str) -> str:
    """What a factor in `units` is per (as a dimension), once the gas and a mass are taken out."""
    return str(((Q(1, units) / unit(gas)) / unit("kg")).dimensionality)


@lru_cache(maxsize=4096)
def _same_dimension(units: str, other: str) -> bool:
    return dimensionality(units) == dimensionality(other)


def _source_ref(flow: M.Flow, prefix: str) -> S.Ref:
    """A flow's source as written in its file (without the file's import prefix), to report a problem with it."""
    local = flow.source[len(prefix) + 1:] if prefix else flow.source
    return S.Ref(tuple(local.split(".")), flow.source_span)


@lru_cache(maxsize=4096)
def _is_mass_of_gas(amount_unit: str, factor_unit: str, gas: str) -> bool:
    """True when an amount in amount_unit times a factor in factor_unit is a mass of the gas."""
    return (Q(1, amount_unit) * (Q(1, factor_unit) / unit(gas))).dimensionality == mass_dimensionality()


@dataclass(frozen=True, slots=True)
class _AmountUnits:
    """The units of an amount as the builder needs them, worked out once per spelling of the units."""

    units: object  # pint Unit
    text: str  # str(units): what M.Quantity.unit stores
    is_mass: bool
    is_mass_of_one_gas: bool
    text_before: str  # source_text of the amount is text_before + the number as written + text_after
    text_after: str

    @classmethod
    def of(cls, units, expr: S.Expr) -> _AmountUnits:
        before, _, after = source_text(_with_number(expr, _NUMBER_MARK)).partition(_NUMBER_MARK)
        return cls(units, _units_text(units), _is_mass(units), _is_mass_of_one_gas(units), before, after)


_NUMBER_MARK = "\x00"  # never in a name or a number: marks where the number goes in an amount's text


@lru_cache(maxsize=4096)
def _per_count(units: str) -> bool:
    """True when units divide by a count (`kg / item`, `kWh / pcs`): `item`, `piece` and `pcs` are pint's `unit`."""
    return any(name == "unit" and exponent < 0 for name, exponent in Q(1, units).unit_items())


@lru_cache(maxsize=4096)
def _not_per_unit(units: str, product_unit: str) -> bool:
    """An allocation property with a dimension and no unit it is per (`16650 CNY`), for a product that has one.

    A fraction (`99 %`, `0.99 t / t`) and a property of a product counted in items are per unit as written.
    """
    quantity = Q(1, units)
    if quantity.dimensionless or not Q(1, product_unit).dimensionality:
        return False
    return not any(exponent < 0 for _, exponent in quantity.unit_items())


@lru_cache(maxsize=4096)
def _per_other_kind(units: str, product_unit: str) -> str | None:
    """What a property is per (`t` in `500 CNY / t`) when that is not the kind of quantity its product is in; else None.

    A fraction (`99 %`, `0.99 t / t`) and a property with no unit it is per (E324's other case) are not this.
    """
    quantity = Q(1, units)
    per = [(name, -exponent) for name, exponent in quantity.unit_items() if exponent < 0]
    if quantity.dimensionless or not per:
        return None
    per_units = Q(1, " * ".join(f"{name} ** {exponent}" for name, exponent in per))
    if per_units.dimensionality == Q(1, product_unit).dimensionality:
        return None
    return short(str(per_units.units))


@lru_cache(maxsize=4096)
def _is_estimate_unit(units) -> bool:
    """A cut-off estimate's units: a share (dimensionless) or a mass of CO2e.

    Asked of pint for each estimate, this was 30 us a line: 10 ms of building
    the 10k model, for its 296 estimates in one spelling.
    """
    quantity = Q(1, units)
    return quantity.dimensionless or quantity.dimensionality == co2e_mass_dimensionality()


@lru_cache(maxsize=4096)
def _is_mass(units) -> bool:
    return Q(1, units).dimensionality == mass_dimensionality()


@lru_cache(maxsize=4096)
def _is_mass_of_one_gas(units) -> bool:
    """An emission's amount: a mass of exactly one gas (`kg CH4_fossil`)."""
    quantity = Q(1, units)
    gases = gases_in(quantity)
    return list(gases.values()) == [1] and (quantity / unit(next(iter(gases)))).dimensionality == mass_dimensionality()


_AMOUNT_OPS = ("juxt", "*", "/")
# What follows the digits of `1_000`: the lexer ends the number at the `_` and reads the rest as a name.
_DIGIT_GROUP = re.compile(r"_[0-9][0-9_]*")


def _glued_gas(name: str) -> tuple[str, str] | None:
    """(`kg`, `CO2e`) for `kgCO2e`: a unit and a gas written without the space between them."""
    for gas in (CO2E, *GASES):
        if name.endswith(gas) and len(name) > len(gas) and is_unit(name[:-len(gas)]):
            return name[:-len(gas)], gas
    return None


def _amount_shape(expr: S.Expr):
    """(number, key, unit names) when expr is a number times units and nothing else, else None.

    Numbers times units: the leftmost leaf is the one number; every other leaf is a
    name or `%`, joined by juxtaposition, `*`, `/` or raised to a power. The key
    describes the units part, so equal keys mean equal units.
    """
    names: list[S.Name] = []
    number: list[S.Num] = []
    key = _shape_key(expr, True, names, number)
    return None if key is None else (number[0], key, names)


def _shape_key(node, leftmost: bool, names: list, number: list):
    # A module-level function, not a closure of _amount_shape: a closure that calls itself
    # is a reference cycle, and each one kept its amount's syntax alive until the garbage
    # collector ran (131k objects at 10k processes, never freed while the collector is paused).
    if isinstance(node, S.Num):
        if not leftmost:
            return None
        number.append(node)
        return "#"
    if isinstance(node, S.BinOp) and node.op in _AMOUNT_OPS:
        left = _shape_key(node.left, leftmost, names, number)
        right = _shape_key(node.right, False, names, number) if left is not None else None
        return None if right is None else (node.op, left, right)
    if leftmost:
        return None
    if isinstance(node, S.Name):
        names.append(node)
        return node.dotted
    if isinstance(node, S.Percent):
        return "%"
    if isinstance(node, S.Pow):
        base = _shape_key(node.base, False, names, number)
        return None if base is None else ("^", base, node.exponent)
    return None


def _with_number(expr: S.Expr, text: str) -> S.Expr:
    """The amount expression with its number written as `text` (`1`: its units alone)."""
    if isinstance(expr, S.Num):
        return S.Num(text, expr.span)
    return dataclasses.replace(expr, left=_with_number(expr.left, text))


_PER_MASS = "unit of mass"


_WORDS = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _bracketed_per(text: str):
    """`0.1 kg CO2e / t * km` -> (`(0.1 kg CO2e / t) × km`, km, `t*km`, `0.1 kg CO2e / (t*km)`), else None.

    For a factor whose `/` is followed by units joined with `*`, which the writer likely meant all
    below the `/`: how it reads, the units after the first `*` (a pint Unit), what the writer
    meant it per, and the factor written with brackets.
    """
    head, slash, tail = text.partition("/")
    if not slash or "(" in tail or "/" in tail or "*" not in tail:
        return None
    first, *rest = (part.strip() for part in tail.split("*"))
    words = [w for part in rest for w in part.split()]
    if not first or not words or not all(_WORDS.fullmatch(w) and is_unit(w) for w in words):
        return None
    extra = unit("dimensionless")
    for word in words:
        extra = extra * unit(word)
    per = "*".join([first, *rest])
    return f"({head.strip()} / {first}) × {' * '.join(rest)}", extra, per, f"{head.strip()} / ({per})"


def _per_unit_text(per_activity) -> str:
    """`t CO2 / MWh` -> `MWh`: the unit of activity a factor is per."""
    denominators = [(name, -exp) for name, exp in per_activity.unit_items() if exp < 0]
    if not denominators:
        # `t CO2e / t`: pint cancels the two masses, and a mass of gas per mass is what is left.
        return _PER_MASS if per_activity.dimensionless else "(no unit)"
    return short(" * ".join(f"{n} ** {e}" for n, e in denominators))  # `t km`, as the help beside it says


def _cwd() -> str | None:
    """The current directory, or None when it no longer exists (deleted under a running shell)."""
    try:
        return os.getcwd()
    except OSError:
        return None


def _absolute(path: Path) -> Path:
    """The absolute form of a path that may not exist; a relative one as written when the current
    directory was deleted (abspath raises): not found then (E100), not an internal error."""
    return Path(os.path.abspath(path)) if path.is_absolute() or _cwd() is not None else path


def _resolved(path: Path) -> Path | None:
    """The real path (symbolic links and `..` followed), or None when it has none."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):  # link loops, names too long, NUL bytes
        return None


def _file_kind(path: Path) -> str:
    """`file` for a regular file; else what it is: only regular files are ever read (never a device or a pipe)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return "symbolic link loop" if exc.errno == errno.ELOOP else "missing"
    except ValueError:
        return "missing"
    if stat.S_ISREG(mode):
        return "file"
    return "folder" if stat.S_ISDIR(mode) else "device or special file"


def _import_display(importer: str, raw: str) -> str:
    """How an imported file is named in messages: as the user wrote the path, from the importer's folder."""
    if raw.startswith(STD_PREFIX):
        return raw
    return os.path.normpath(os.path.join(os.path.dirname(importer), raw))


def _leaves(expr: S.Expr):
    """The numbers, names and `%` of an expression, left to right (a power's exponent is part of its node).

    A loop over a stack, not recursion: an expression may be as deep as docs/limits.md allows.
    """
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, S.BinOp):
            stack.extend([node.right, node.left])
        elif isinstance(node, S.Neg):
            stack.append(node.operand)
        elif isinstance(node, S.Pow):
            stack.append(node.base)
        else:
            yield node


def _first_number(expr: S.Expr) -> S.Num | None:
    return next((leaf for leaf in _leaves(expr) if isinstance(leaf, S.Num)), None)


def _names(expr: S.Expr) -> list[S.Name]:
    """The names in an expression, left to right."""
    return [leaf for leaf in _leaves(expr) if isinstance(leaf, S.Name)]


def _decimals(text: str) -> int:
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return decimals - int(exponent or 0)


def _sorted(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    def key(d: Diagnostic):
        s = d.span
        return (s.file, s.line, s.column) if s else ("", 0, 0)

    return sorted(diagnostics, key=key)


def load(path: str | os.PathLike, root: str | os.PathLike | None = None, allow_outside_root: bool = False,
         display: str | None = None) -> M.Model:
    """Load and validate a model file and everything it imports.

    Raises :class:`~pcf_dsl.diagnostics.PcfError` with positioned diagnostics
    when the input is invalid. `display` is how messages name the file (a
    shipped file as `std:profiles/...`, the way an import names it).
    """
    builder = Builder(Path(root).resolve() if root else None, allow_outside_root)
    with collector_paused():
        return builder.build(Path(path), display)

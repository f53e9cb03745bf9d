"""Units: the one pint registry, with greenhouse gases as units of their own.

A gas is a unit with its own base dimension, so `kg CH4_fossil` and
`kg CO2e` cannot be added by mistake, and characterisation is an explicit
step: the GWP set replaces one gas unit by `CO2e` times its factor.
`CO2e` itself is the characterised quantity (`[co2e]`).
"""

from __future__ import annotations

import contextlib
import copyreg
import hashlib
import io
import os
import pickle
import sys
import tempfile
import weakref
from functools import lru_cache
from pathlib import Path
from types import FunctionType

import flexparser
import pint

from .cache import private_folder

# The gases a model may name. A GWP set gives their factors; a gas a set does
# not list cannot be characterised with it (a clear error, never a silent 0).
GASES: dict[str, str] = {
    "CO2": "carbon dioxide, fossil",
    "CO2_biogenic": "carbon dioxide, biogenic",
    "CH4": "methane (origin not stated)",
    "CH4_fossil": "methane, fossil",
    "CH4_biogenic": "methane, non-fossil",
    "N2O": "dinitrous oxide",
    "SF6": "sulphur hexafluoride",
    "NF3": "nitrogen trifluoride",
    "CF4": "tetrafluoromethane (PFC-14)",
    "C2F6": "hexafluoroethane (PFC-116)",
    "HFC_23": "HFC-23",
    "HFC_32": "HFC-32",
    "HFC_125": "HFC-125",
    "HFC_134a": "HFC-134a",
    "HFC_143a": "HFC-143a",
    "HFC_152a": "HFC-152a",
    "HFC_227ea": "HFC-227ea",
}
CO2E = "CO2e"

# Unit names pint reads one way and reports often mean another: (what pint reads, the fix). Refused,
# never guessed: E208 in a model, a bad cell in an imported table.
_TON = ("pint reads it as the US short ton (907.185 kg), but reports often mean the metric tonne",
        "write `t` for the metric tonne (1000 kg), or `short_ton` / `long_ton`")
_BARREL = ("pint reads it as the US fluid barrel (31.5 gallons, 119.2 L), but energy data means the 42-gallon "
           "oil barrel (159.0 L)", "write `oil_barrel` (159.0 L), or the volume in `L` or `m3`")
AMBIGUOUS_UNITS: dict[str, tuple[str, str]] = {
    "ton": _TON,
    "tons": _TON,
    "mt": ("pint reads it as the millitonne (1 kg), but reports often write it for the metric ton",
           "write `t` for the metric tonne (1000 kg), or `kg`"),
    "MT": ("pint reads it as the megatesla (a magnetic flux density), but reports often write it for the metric ton",
           "write `t` for the metric tonne (1000 kg), or `Mt` for the megatonne"),
    "gal": ("pint reads it as the US gallon (3.785 L), but a British inventory means the imperial gallon (4.546 L)",
            "write `gallon` (US) or `imperial_gallon`"),
    "bbl": _BARREL,
    "barrel": _BARREL,
    "MBtu": ("pint reads it as a million Btu (the SI prefix M), but US energy data writes MBtu for a thousand Btu",
             "write `kBtu` for a thousand Btu, or `MMBtu` for a million"),
    "kt": ("pint reads it as the knot (a speed), but reports write it for the kilotonne", "write `kilotonne` (1000 t)"),
    "cwt": ("pint reads it as the US hundredweight (45.359 kg), but a British inventory means the long hundredweight "
            "(50.802 kg)", "write `short_hundredweight` or `long_hundredweight`"),
}


def _calorie(prefix: str) -> tuple[str, str]:
    return ("pint reads it as the thermochemical calorie (4.184 J), but energy statistics (GB/T 2589, IEA) use the "
            "International Table calorie (4.1868 J), 0.07 % more",
            f"write `{prefix}cal_it` (International Table, 4.1868 J per cal) or `{prefix}cal_th` (thermochemical, "
            "4.184 J per cal)")


# The calorie, with the prefixes that energy data writes (`kcal`, `Gcal` of steam and heat), short and
# long, singular and plural. `cal_it` / `cal_th` and their prefixed forms (`kcal_it`, `Gcal_th`) say
# which calorie they are and stay accepted.
AMBIGUOUS_UNITS.update({name: _calorie(short)
                        for short, long in (("", ""), ("k", "kilo"), ("M", "mega"), ("G", "giga"), ("T", "tera"))
                        for name in (f"{short}cal", f"{long}calorie", f"{long}calories")})

def ambiguity(name: str) -> str | None:
    """The refusal of a name of AMBIGUOUS_UNITS on one line (what pint reads; the fix), else None."""
    found = AMBIGUOUS_UNITS.get(name)
    return None if found is None else f"`{name}` is ambiguous: {found[0]}; {found[1]}"


# The units a model may name beside pint's own: the spellings practitioners write, the gases and CO2e.
DEFINITIONS = Path(__file__).with_name("units.txt")


# The arguments every registry here is made with: the built one and the one restored from a snapshot.
_OPTIONS = {"autoconvert_offset_to_baseunit": False, "cache_folder": ":auto:"}


def _built() -> pint.UnitRegistry:
    """The registry as pint builds it: its definitions and ours, parsed or read from pint's cache.

    pint keeps its parsed definition files in its per-user cache folder (":auto:"): building the
    registry then takes about 15 ms instead of 220 ms (docs/performance.md).
    """
    try:
        ureg = pint.UnitRegistry(**_OPTIONS)
        ureg.load_definitions(DEFINITIONS)  # parsed once, into the same cache (units.txt says why)
    except Exception:  # noqa: BLE001 - any failure of the cache, not of the definitions (see below)
        # No writable cache folder (OSError); or a cache file another process is writing right now,
        # which pint's cache (flexcache) writes in place: six `pcf` runs started at once on a new
        # machine ended in "EOFError: Ran out of input" for one of them. Parse the definitions
        # instead; an error in them would raise here again.
        ureg = pint.UnitRegistry(**{**_OPTIONS, "cache_folder": None})
        ureg.load_definitions(DEFINITIONS)
    return ureg


# ------------------------------------------------------------------ the registry's snapshot
#
# Even from pint's cache of parsed definitions, building the registry cost 14 ms of every start:
# pint adds some 1,000 definitions one by one, with their prefixes, groups, systems and contexts, and
# builds its caches (110 million instructions). Restoring the built registry's state from a pickle
# takes 3 ms (33 million). pint offers no way to pickle a registry, so the snapshot holds the
# registry's attributes and is restored onto an empty registry made with the same options. What
# the empty registry makes for itself stays its own: the classes bound to it (Quantity, Unit,
# Group, System, Measurement), its parser and cache objects, its formatter, the methods that add
# definitions and its input preprocessors (lambdas, which cannot be pickled). The attributes are
# pint's own, not an API: the snapshot's name holds pint's version, so another pint never reads
# it, and tests/test_units_startup.py compares a restored registry with the built one (checked with
# pint 0.24.4 and 0.25.3).
_OWN = frozenset({"Unit", "Quantity", "Measurement", "Group", "System",
                  "_adders", "_diskcache", "_def_parser", "formatter", "preprocessors"})
_SNAPSHOT_FORMAT = 1  # raise when what the snapshot holds changes
# pint's own definition files (default_en.txt imports constants_en.txt)
_PINT_DEFINITIONS = tuple(Path(pint.__file__).with_name(name) for name in ("default_en.txt", "constants_en.txt"))
# What pint's Relation.transformation returns: a context's conversion function
_TRANSFORMATION = "Relation.transformation.<locals>.<lambda>"


def _snapshot_path() -> Path | None:
    """The snapshot's file in the per-user cache folder (the one lark's grammar cache uses), or None.

    Named by a hash of everything the registry is made from: Python, pint and its parser, pint's
    definition files, units.txt and the options; a change of any of them is a new file, never a stale
    one read. A pickle is loaded only from a folder nobody else can write to.
    """
    folder = private_folder()
    if folder is None:
        return None
    try:
        key = hashlib.sha256(repr((_SNAPSHOT_FORMAT, sys.version, sys.implementation.cache_tag,
                                   pint.__version__, flexparser.__version__, sorted(_OPTIONS.items()),
                                   sorted(_OWN))).encode())
        for source in (*_PINT_DEFINITIONS, DEFINITIONS):
            key.update(source.read_bytes())
    except OSError:
        return None
    return Path(folder) / f"units-{key.hexdigest()[:32]}.pickle"


class _Pickler(pickle.Pickler):
    """Pickles a registry's attributes; what belongs to the registry itself is written as a reference.

    The registry and the classes bound to it are named, to be the new registry's on loading. A
    context's conversion functions are lambdas pint makes from a relation between dimensions (its
    `transformation`): the relation is pickled, and asked for its function again on loading. A
    context's index of its relations (a WeakValueDictionary) is pickled as the dict it holds.
    """

    def __init__(self, file, ureg: pint.UnitRegistry):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.dispatch_table = {**copyreg.dispatch_table,
                               weakref.WeakValueDictionary: lambda d: (weakref.WeakValueDictionary, (dict(d),))}
        self._names = {id(ureg): "registry"}
        self._names.update({id(getattr(ureg, name)): name for name in _OWN if isinstance(getattr(ureg, name), type)})

    def persistent_id(self, obj):
        name = self._names.get(id(obj))
        if name is not None:
            return name
        if type(obj) is FunctionType and obj.__qualname__ == _TRANSFORMATION:
            relation = obj.__closure__[0].cell_contents
            if relation.transformation.__code__ is obj.__code__:
                return ("transformation", relation)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, ureg: pint.UnitRegistry):
        super().__init__(file)
        self._ureg = ureg

    def persistent_load(self, pid):
        if pid == "registry":
            return self._ureg
        if isinstance(pid, tuple) and pid[0] == "transformation":
            return pid[1].transformation
        if pid in _OWN:
            return getattr(self._ureg, pid)
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")


def _save(ureg: pint.UnitRegistry, path: Path) -> None:
    """Writes the registry's snapshot to `path`: to a file of its own first, then renamed into place,
    so another process never reads it half written."""
    state = {name: value for name, value in ureg.__dict__.items() if name not in _OWN}
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            _Pickler(file, ureg).dump(state)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _restored(path: Path) -> pint.UnitRegistry:
    """The registry of a snapshot: an empty registry with the snapshot's attributes."""
    with open(path, "rb") as file:
        data = file.read()
    # Without pint's cache folder: making its cache's classes was 2 ms of the 4.5 ms this took, and
    # the registry reads no definitions any more (a later load_definitions would parse its file).
    ureg = pint.UnitRegistry(None, **{**_OPTIONS, "cache_folder": None})
    state = _Unpickler(io.BytesIO(data), ureg).load()
    if not isinstance(state, dict) or set(state) | _OWN != set(ureg.__dict__) | _OWN:
        raise pickle.UnpicklingError("not a registry's snapshot")
    ureg.__dict__.update(state)
    return ureg


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The registry, built once per process.

    Restored from its snapshot when there is one; else built, then saved as a snapshot. A snapshot
    that cannot be read (missing, half written by another process, from another pint) is never an
    error: the registry is built instead, as it is with no cache folder at all.
    """
    path = _snapshot_path()
    if path is not None:
        with contextlib.suppress(Exception):
            return _restored(path)
    ureg = _built()
    if path is not None:
        with contextlib.suppress(Exception):
            _save(ureg, path)
    return ureg


def Q(value: float, unit: str = ""):  # noqa: N802 - the pint convention
    return registry().Quantity(value, _parsed(unit) if type(unit) is str else unit)  # or pint's Unit


@lru_cache(maxsize=4096)
def _parsed(unit: str):
    """The units a text names, as pint's Quantity(value, text) reads them: read once per text.

    pint keeps what it read only for a unit it has by that very name: `kg`, `kWh` (a prefix and a
    unit) and every product of units (`kg CO2e / t`) were read again for each quantity, 60-110 us
    each where a quantity of read units takes 3 us.
    """
    return registry().parse_units_as_container(unit)


@lru_cache(maxsize=65536)
def conversion_factor(from_unit: str, to_unit: str) -> float:
    """What one `from_unit` is in `to_unit`; raises pint's DimensionalityError when they differ in kind."""
    return float(registry().Quantity(1.0, from_unit).to(to_unit).magnitude)


@lru_cache(maxsize=65536)
def dimensionality(unit_text: str):
    """The kind of quantity a unit measures (pint's dimensionality), parsed once per unit."""
    return Q(1.0, unit_text).dimensionality


# Cached with its failures: conversion_factor caches only the pairs that convert, and a model where
# most flows are not in kg (kWh, m3, t*km) had rule M001 spend seconds re-parsing them in pint.
@lru_cache(maxsize=65536)
def factor_or_none(from_unit: str, to_unit: str) -> float | None:
    """What one `from_unit` is in `to_unit`, or None when they are not the same kind of quantity."""
    try:
        # Units of different kinds never convert (the registry has no contexts). Asked first, so
        # pint raises no DimensionalityError: its traceback holds a reference cycle through the
        # calling frames, which kept the rules' context and shared values alive until a collection.
        if dimensionality(from_unit) != dimensionality(to_unit):
            return None
        return conversion_factor(from_unit, to_unit)
    except Exception:
        return None


@lru_cache(maxsize=4096)
def unit(name: str) -> pint.Unit:
    """A unit by name; raises pint's UndefinedUnitError for an unknown one."""
    return registry().Unit(name)


def is_unit(name: str) -> bool:
    try:
        unit(name)
    except (pint.UndefinedUnitError, ValueError, AttributeError, TypeError, AssertionError):
        return False
    return True


def gases_in(quantity) -> dict[str, float]:
    """The gas units in a quantity with their exponents (CO2e counts as a gas here)."""
    return {name: exp for name, exp in quantity.unit_items() if name in GASES or name == CO2E}


def without_gas(quantity, gas: str):
    """The quantity with one power of the gas unit removed: `kg CH4_fossil` becomes `kg`."""
    return quantity / unit(gas)


@lru_cache(maxsize=4096)
def dimensionality_text(units: str) -> str:
    return str(registry().Unit(units).dimensionality) if units else "dimensionless"


def describe(quantity) -> str:
    """A short human form: `0.6205 t CO2 / MWh` rather than pint's long names."""
    return f"{quantity.magnitude:g} {'' if quantity.dimensionless else short(str(quantity.units))}".strip()


# pint's symbol for the litre is `l`, easily misread as a 1; reports and the language write `L`.
_SYMBOLS = {"liter": "L"}
# Shares, which a reader wants in the number: pint keeps `1 t / yield` (yield 80 %) as 0.0125 t / %.
_SHARES = frozenset({"percent", "permille", "ppm"})


# Units that are only a product of others (units.txt): `30 tkm` and `30 t*km` are one amount
# and must print as one unit, so these are written as their factors (`t km`, as docs/calc-json.md shows).
_PRODUCTS = {"tkm": (("metric_ton", 1), ("kilometer", 1)), "pkm": (("passenger", 1), ("kilometer", 1)),
             "m2": (("meter", 2),), "m3": (("meter", 3),), "cm3": (("centimeter", 3),),
             "dm3": (("decimeter", 3),), "km2": (("kilometer", 2),)}
# ... and the powers the language has a name for are written with it: `m**3` and `m3` both print `m3`.
_POWERS = frozenset({("m", 2), ("m", 3), ("cm", 3), ("dm", 3), ("km", 2)})


def _canonical_items(items) -> list[tuple[str, float]]:
    """pint's unit items with the products above taken apart, exponents of one unit added up."""
    out: dict[str, float] = {}
    for name, exponent in items:
        for part, power in _PRODUCTS.get(name, ((name, 1),)):
            out[part] = out.get(part, 0) + power * exponent
    # a watt-hour is one unit too: `kW*h` is `kWh`
    for name in [n for n in out if n.endswith("watt") and out.get("hour") == out[n]]:
        out[name + "_hour"] = out.pop(name)
        out.pop("hour")
        break
    return sorted((name, exponent) for name, exponent in out.items() if exponent != 0)


@lru_cache(maxsize=4096)
def short(units: str) -> str:
    """`metric_ton * CO2 / megawatt_hour` -> `t CO2 / MWh`; `CO2e * kilogram / kilometer / metric_ton` ->
    `kg CO2e / (t km)`.

    Read as the language and pint both read it (written next to each other, units multiply; what
    follows `/` is in brackets when it is more than one unit): a mass first, a gas after the units
    it is a mass of, as reports write `kg CO2e`, not pint's alphabetical `CO2e * kg`.
    """
    items = _canonical_items(Q(1, units).unit_items()) if units else []
    if not items:
        return "(no unit)"

    def order(item):  # stable: pint's own (alphabetical) order within each group
        name = item[0]
        carried = name == "passenger" or registry().Unit(name).dimensionality == mass_dimensionality()
        return (name in GASES or name == CO2E, not carried)  # `t km`, `pax km`: what is carried, then how far

    def text(name: str, exponent: float) -> str:
        symbol = _SYMBOLS.get(name) or registry().get_symbol(name)
        if (symbol, exponent) in _POWERS:  # `m3`, as the language and reports write it, not `m^3`
            return f"{symbol}{exponent:g}"
        return symbol if exponent == 1 else f"{symbol}^{exponent:g}"

    above = " ".join(text(n, e) for n, e in sorted(items, key=order) if e > 0)
    below = [text(n, -e) for n, e in sorted(items, key=order) if e < 0]
    if not below:
        return above
    per = below[0] if len(below) == 1 else f"({' '.join(below)})"
    return f"{above} / {per}" if above else f"1 / {per}"


@lru_cache(maxsize=4096)
def readable(units: str) -> tuple[float, str]:
    """An amount's unit for a reader: (what to multiply the number by, the unit's short form).

    A share in the unit is folded into the number: `1 t / yield` with a yield of 80 % is 0.0125 t / %
    to pint and 1.25 t here; `12.5 % * 10 kg CO2` is 1.25 kg CO2. A unit that is only a share stays
    as it is.
    """
    items = list(Q(1, units).unit_items()) if units else []
    kept = [(name, exponent) for name, exponent in items if name not in _SHARES]
    if not kept or len(kept) == len(items):
        return 1.0, short(units)
    rest = " * ".join(f"{name} ** {exponent}" for name, exponent in kept)
    return conversion_factor(units, rest), short(rest)


def describe_units(units) -> str:
    """The unit as `short` writes it (`t CO2 / MWh`, `L`), not pint's `CO2 * t / MWh`, `l`: messages say
    what the results and reports say."""
    return short(str(units))


@lru_cache(maxsize=1)
def mass_dimensionality():
    return registry().Unit("kg").dimensionality


@lru_cache(maxsize=1)
def co2e_mass_dimensionality():
    return (registry().Unit("kg") * registry().Unit(CO2E)).dimensionality


@lru_cache(maxsize=1)
def energy_dimensionality():
    return registry().Unit("MJ").dimensionality

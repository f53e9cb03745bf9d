"""Small queries several rules share: numbers per declared unit, printed precision, units, geography.

Kept here so each rule module stays one small function; graph queries live in
:mod:`pcf_dsl.graph` (the only networkx importer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..compute import Result
from ..model import Flow, Model, Process
from ..units import conversion_factor, factor_or_none

# A number as written, not the digits of a name (`m3`, `HFC_134a`, `yield_2024`).
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


# A share is a ratio of sums of floats, and `95 %` reads as 0.9500000000000001: a flow at exactly
# 5 % of its total can compute to 0.05000000000000001. A value at a limit is within it, so the
# rules compare with this much relative slack, far below any printed digit.
_NOISE = 1e-9


def above(value: float, limit: float) -> bool:
    """`value > limit`, beyond floating-point noise: a value at the limit is not above it."""
    return value > limit + _NOISE * max(abs(limit), abs(value))


def below(value: float, limit: float) -> bool:
    """`value < limit`, beyond floating-point noise: a value at the limit is not below it."""
    return value < limit - _NOISE * max(abs(limit), abs(value))


def pct(fraction: float | None, digits: int = 2) -> str:
    return "n/a" if fraction is None else f"{fraction * 100:.{digits}f} %"


def kg(value: float) -> str:
    """A kg CO2e figure with four significant decimals, the way the tables print it."""
    return f"{value:.4g} kg CO2e" if value and abs(value) < 0.001 else f"{value:.4f} kg CO2e"


def flow_path(process: Process | str, flow: Flow | str, *more: str) -> tuple[str, ...]:
    p = process if isinstance(process, str) else process.name
    f = flow if isinstance(flow, str) else flow.name
    return ("process", p, "flow", f, *more)


def _measured(text: str) -> re.Match | None:
    """The number of an amount whose printed digits are its precision: the first one with a point or an exponent.

    A whole number beside it is a count (`2 * 0.50000 t`, `0.3 kg / item * 1000 items`): read as rounded
    to ±0.5, the `2` made the rounding of the line a quarter of its value, and a claim 20 % off passed R001.
    An amount of whole numbers alone (`500 kWh`) takes the first.
    """
    first = None
    for match in _NUMBER.finditer(text):
        if not match.group(0).isdigit():
            return match
        first = first or match
    return first


def _decimals(match: re.Match) -> int:
    mantissa, _, exponent = match.group(0).lower().partition("e")
    return len(mantissa.partition(".")[2]) - int(exponent or 0)


def decimals_of(text: str) -> int | None:
    """Decimals of the measured number of an amount (`0.58962 t` -> 5), None if there is none."""
    match = _measured(text)
    return None if match is None else _decimals(match)


def half_unit(flow: Flow) -> float:
    """Half a unit of the last printed digit of the flow's amount, in the amount's own unit.

    `0.58962 t` -> 0.000005 t. For an expression (`0.000013 kg / kg * 1 t`) the measured
    number's precision is scaled by the ratio of the value to that number.
    """
    match = _measured(flow.amount_text)  # once: U002 asks this of both lines of every `emit ... of` pair
    if match is None:
        return 0.0
    first = float(match.group(0))
    half = 0.5 * 10.0 ** (-_decimals(match))
    if first == 0:
        return half
    return abs(flow.amount.value / first) * half



def convert(value: float, from_unit: str, to_unit: str) -> float | None:
    """`value` in `to_unit`, or None when the units are not the same kind of quantity."""
    f = factor_or_none(from_unit, to_unit)
    return None if f is None else value * f


def in_kg(flow: Flow) -> float | None:
    f = factor_or_none(flow.amount.unit, "kg")  # convert() inlined: M001 asks this of every flow
    return None if f is None else flow.amount.value * f


def in_mj(flow: Flow) -> float | None:
    f = factor_or_none(flow.amount.unit, "MJ")
    return None if f is None else flow.amount.value * f


def basis_amount(flow: Flow, basis: str) -> float | None:
    """The flow's amount on a cut-off basis: kg for `mass`, MJ for `energy`."""
    return in_kg(flow) if basis == "mass" else in_mj(flow) if basis == "energy" else None


# EN 15804+A2 cuts off on mass and on energy at once: a material against the mass inputs of its
# unit process (or module), an energy carrier against the energy inputs. One basis for both would
# refuse every kWh as "not a mass".
MASS_AND_ENERGY = "mass and energy"


def flow_basis(flow: Flow, basis: str) -> str | None:
    """The basis one flow is measured on: `basis`, or under "mass and energy" the one its unit is
    (None when it is neither a mass nor an energy)."""
    if basis != MASS_AND_ENERGY:
        return basis
    return "mass" if in_kg(flow) is not None else "energy" if in_mj(flow) is not None else None


def basis_words(basis: str) -> str:
    """`basis` as the noun of "give its amount as ...": "a mass", "a mass or an energy"."""
    return "a mass or an energy" if basis == MASS_AND_ENERGY else f"a {basis}"


# ------------------------------------------------------------------ the flows rules pick


@dataclass
class PickedFlows:
    """The few flows of the model some rules look at, picked in one walk of them all (`Context.flows`).

    A model of 100k processes has 780,000 flows. B001, B004, B007, A002 and the `emit ... of` rules each
    walked all of them to pick a few (0.45 s in all); one walk that picks for all of them takes 0.17 s.
    Reading a flow from memory is most of what a walk costs, whatever it asks of the flow: columns of
    one attribute each (a pass over the flows per column) were tried, and were slower than the walks.
    Every list is in model order, a flow with its process.
    """

    placed: list[tuple[Process, Flow]]  # the lines with a stage or a group of their own (B001, B007)
    cut_or_waste: list[tuple[Process, Flow]]  # the cut-off inputs and the wastes (B004)
    burning: list[tuple[Process, Flow]]  # the `emit ... of INPUT` lines (burned_inputs)
    products: list[int]  # how many products each process makes, len(process.products) (A002)


def picked_flows(model: Model) -> PickedFlows:
    placed, cut_or_waste, burning, products = [], [], [], []
    for process in model.processes.values():
        made = 0
        for flow in process.flows:
            kind = flow.kind  # asked once, most flows being inputs: a dict of lists by kind was slower
            if kind == "input":
                if flow.cutoff:
                    cut_or_waste.append((process, flow))
            elif kind == "product":
                made += 1
            elif kind == "waste":
                cut_or_waste.append((process, flow))
            elif kind == "emit" and flow.of_input is not None:
                burning.append((process, flow))
            if flow.stage is not None or flow.group is not None:
                placed.append((process, flow))
        products.append(made)
    return PickedFlows(placed, cut_or_waste, burning, products)


# ------------------------------------------------------------------ geography


GLOBAL_CODES = frozenset({"GLO", "ROW", "WORLD", "GLOBAL"})


def geography_contains(outer: str, inner: str) -> bool:
    """Whether data for `outer` covers `inner`: GLO covers everything, CN covers CN-JS, CN-JS covers CN-JS."""
    a, b = outer.upper(), inner.upper()
    return a in GLOBAL_CODES or a == b or b.startswith(a + "-")


def process_geography(model: Model, process: Process) -> str | None:
    return process.geography or (model.study.geography if model.study else None)


# ------------------------------------------------------------------ data quality: pcf_dsl/quality.py


# ------------------------------------------------------------------ cut-off


def cutoff_thresholds(model: Model, params) -> dict:
    """The per-flow and cumulative limits that apply: the study's own, tightened by the profile's.

    `paths` gives, for each limit, the model path of the line it comes from: ("cutoff", "cumulative")
    for the study's, ("cutoff", "cumulative", "profile") for the profile's `set cutoff.cumulative`
    (stricter, or the study states none); an equal limit is the study's own.
    """
    own = model.cutoff
    limits = {"basis": params.get("cutoff.basis") or (own.basis if own else "emissions"),
              "scope": params.get("cutoff.cumulative_scope") or "total", "paths": {}}
    for attr in ("per_flow", "cumulative"):
        stated, standard = getattr(own, attr) if own else None, params.get(f"cutoff.{attr}")
        if standard is not None and (stated is None or standard < stated):
            limits[attr], limits["paths"][attr] = standard, ("cutoff", attr, "profile")
        else:
            limits[attr], limits["paths"][attr] = stated, ("cutoff", attr)
    return limits


def cutoff_flows(model: Model, result: Result) -> list[tuple[Process, Flow]]:
    """Every cut-off flow with its process, in model order (C001-C003 share one list per run).

    The result lists them already (`Result.cutoff`, one entry per cut-off flow, made as compute
    walked the model's flows in order): each is looked up in its process rather than every flow of
    the model walked again (850,000 at 100k processes, for a few cut off).
    """
    processes = model.processes
    return [(processes[c.process], processes[c.process].flow(c.flow)) for c in result.cutoff]


def burned_inputs(flows: PickedFlows) -> list[tuple[Process, Flow, Flow]]:
    """Each `emit ... of INPUT` line with its process and the input it burns, in model order.

    U001, U002, D006 and D007 read the same lines: one list per check run (`ctx.shared`), where
    each walked every flow of the model and looked the input up again.
    """
    return [(process, flow, process.flow(flow.of_input)) for process, flow in flows.burning]


def cutoff_estimates(result: Result) -> dict[tuple[str, str], float | None]:
    return {(c.process, c.flow): c.estimate for c in result.cutoff}


def estimated_total(result: Result) -> float:
    """The footprint's size with the cut-off estimates added back: what the thresholds are shares of.

    The size (magnitude) of the computed total, as the estimates are burdens: with removals larger than
    the emissions, total + estimates would shrink towards zero as more is left out, and a share of it
    would be negative (never above a threshold) or absurdly large."""
    return abs(result.total.value) + result.cutoff_estimate


# ------------------------------------------------------------------ claims


def _in_scope(claim, line) -> bool:
    if claim.target == "total":
        return True
    if claim.target == "stage":
        return line.stage == claim.subject
    if claim.target == "process":
        return line.process == claim.subject
    if claim.target == "flow":
        return f"{line.process}.{line.flow}" == claim.subject
    if claim.target == "group":
        return line.group == claim.subject
    return False


def per_unit_of_amount(model: Model, result: Result, process: Process, flow: Flow) -> float:
    """kg CO2e per declared unit for one unit (as written) of the flow's amount: how rounding it propagates."""
    from ..compute import _burden_line  # the one definition of a line's burden; reused, not copied
    from ..model import Quantity

    gwp = model.gwp_sets.get(model.study.gwp) if model.study and model.study.gwp else None
    unit_flow = replace(flow, amount=Quantity(value=1.0, unit=flow.amount.unit))
    line = _burden_line(model, process, unit_flow, gwp)
    return 0.0 if line is None else line.co2e * result.runs[process.name]


def claim_comparisons(model: Model, result: Result) -> list[dict | None]:
    """compare_claim for every claim of the model, in order (None for a quality claim).

    R001 and R002 read the same comparisons, under every profile of a check run
    (through `Context.shared`), and the lines a total, stage, process and flow
    claim cover overlap: each line's input rounding is worked out once here.
    On the reference model this was 316 comparisons and 1,140 unit burdens per
    `pcf check`, a tenth of the command beyond its imports, for 79 and 57.
    """
    rounding: dict[tuple[str, str], float] = {}
    footprints: dict[str, float] = {}
    return [None if claim.target == "quality" else compare_claim(model, result, claim, rounding, footprints)
            for claim in model.claims]


def _supplied(model: Model, result: Result, process: Process, flow: Flow, footprints: dict[str, float]
              ) -> tuple[float, float]:
    """kg CO2e per declared unit of a line from a supplier process (or a waste to a treatment), and per
    unit of its amount as written: the amount times the footprint of one unit of the supplier's product,
    cradle to its gate, as a report's result of that line is."""
    if not footprints:  # every product's footprint in one solve, once for all the claims
        from ..products import product_footprints

        footprints.update((p.product, p.value) for p in product_footprints(model).products)
    _, product = model.activity(flow.source)
    per_unit = (conversion_factor(flow.amount.unit, product.amount.unit) * footprints[flow.source]
                * result.runs[process.name])
    return flow.amount.value * per_unit, per_unit


def compare_claim(model: Model, result: Result, claim, rounding: dict[tuple[str, str], float] | None = None,
                  footprints: dict[str, float] | None = None) -> dict | None:
    """The computed value of a claim and how far apart they may be, or None if it cannot be computed.

    A claim printed with d decimals matches when |computed - claimed| is at most half
    a unit of its last digit, plus what rounding the printed activity amounts of the
    lines it covers can move the computed value (a report may have computed from
    unrounded activity data): for each line, half a unit of its amount's last digit
    times the line's kg CO2e per unit of amount. `rounding` keeps that per line
    (process, flow) for the next claim that covers it.
    """
    lines = [line for line in result.by_flow if _in_scope(claim, line)]
    if claim.target == "flow":
        process_name, _, flow_name = claim.subject.rpartition(".")
        process = model.processes[process_name]
        flow = process.flow(flow_name)
        if flow.source_kind == "process" and not flow.cutoff and not lines:
            # Its burden is the supplier's, brought through the line: the amount times the supplier product's
            # footprint. It was left out of the comparison, so a wrong claim of it passed without a word.
            computed, per_unit = _supplied(model, result, process, flow, {} if footprints is None else footprints)
            return _comparison(computed, claim, half_unit(flow) * abs(per_unit), 1)
    computed = sum(line.value for line in lines)
    rounding = {} if rounding is None else rounding
    inputs = 0.0
    for line in lines:
        key = (line.process, line.flow)
        if key not in rounding:
            process = model.processes[line.process]
            flow = process.flow(line.flow)
            rounding[key] = half_unit(flow) * abs(per_unit_of_amount(model, result, process, flow))
        inputs += rounding[key]
    return _comparison(computed, claim, inputs, len(lines))


def _comparison(computed: float, claim, inputs: float, lines: int) -> dict:
    printed = claim.resolution / 2
    epsilon = 1e-9 * max(abs(computed), abs(claim.value), 1e-9)
    difference = computed - claim.value
    return {"computed": computed, "claimed": claim.value, "difference": difference,
            "printed_rounding": printed, "input_rounding": inputs, "tolerance": printed + inputs + epsilon,
            "lines": lines}


def claim_label(claim) -> str:
    return claim.target if claim.target in ("total", "quality") else f"{claim.target} {claim.subject}"


def claimed_text(claim) -> str:
    """The claimed figure as printed, with its kg CO2e value when the claim was written in another unit."""
    # By the unit, not the value: `0.000 t CO2e` equals its kg value too, but is not in kg.
    scale = claim.resolution * 10.0 ** claim.decimals
    try:
        same = abs(scale - 1.0) <= 1e-12 and abs(float(claim.text) - claim.value) <= 1e-12 * max(1.0, abs(claim.value))
    except ValueError:
        same = False
    return f"{claim.text} kg CO2e" if same else f"{claim.text} (= {claim.value:.6g} kg CO2e)"


def factor_uses(model: Model) -> dict[str, list[tuple[Process, Flow]]]:
    """Every factor a flow applies, with the flows that apply it, in model order."""
    uses: dict[str, list[tuple[Process, Flow]]] = {}
    for process in model.processes.values():
        for flow in process.flows:
            if flow.source_kind == "factor" and not flow.cutoff:
                uses.setdefault(flow.source, []).append((process, flow))
    return uses


_ASSESSMENT = re.compile(r"\bAR\s?([1-6])\b|\b(second|third|fourth|fifth|sixth) assessment report\b", re.IGNORECASE)
_ACRONYM = re.compile(r"\b(SAR|TAR)\b")  # upper case only: "tar" is a word
_ORDINAL = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "SAR": 2, "TAR": 3}


def assessment_reports(*texts: str | None) -> set[str]:
    """IPCC assessment reports a text names: "IPCC AR5 GWP100" -> {"AR5"}."""
    found = set()
    for text in texts:
        for match in _ASSESSMENT.finditer(text or ""):
            found.add(f"AR{match.group(1)}" if match.group(1) else f"AR{_ORDINAL[match.group(2).lower()]}")
        for match in _ACRONYM.finditer(text or ""):
            found.add(f"AR{_ORDINAL[match.group(1)]}")
    return found


def gwp_set_report(model: Model) -> str | None:
    """The assessment report of the study's GWP set: from its name (`ar6`) or its label and source."""
    if model.study is None or model.study.gwp is None:
        return None
    gwp = model.gwp_sets[model.study.gwp]
    short = gwp.name.rpartition(".")[2]
    found = assessment_reports(short.upper()) or assessment_reports(gwp.label, gwp.source)
    return next(iter(found)) if len(found) == 1 else None

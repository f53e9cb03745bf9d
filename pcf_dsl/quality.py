"""Data quality: the reference report's share-weighted three-criteria score, in one place.

Each burden line is scored on activity data, emission factor and instrument
calibration (1 to 6, higher is more precise; model.QUALITY_LEVELS). A line's
score is the mean of the three; the footprint's score is the mean of the line
scores weighted by each line's absolute contribution (its share of the total when no
line is negative: a removal does not cancel a source). The compliance rules (Q001
to Q004) and the report both read it from here.
"""

from __future__ import annotations

from .compute import Result
from .model import Flow, Model, Process, Quality


def line_quality(process: Process, flow: Flow) -> Quality | None:
    """The line's scores (the process's for each criterion it leaves out); None unless all three are known."""
    quality = process.quality_of(flow)
    return quality if quality is not None and quality.score() is not None else None


def quality_level(score: float) -> int:
    """The report's levels: 1 above 5.0, 2 from 4.0 to 5.0, 3 from 3.0 to 4.0, 4 from 2.0 to 3.0, 5 below 2.0."""
    if score > 5.0:
        return 1
    if score >= 4.0:
        return 2
    if score >= 3.0:
        return 3
    if score >= 2.0:
        return 4
    return 5


def line_values(result: Result) -> dict[tuple[str, str], float]:
    """kg CO2e per declared unit of each burden line, by (process, flow)."""
    out: dict[tuple[str, str], float] = {}
    for line in result.by_flow:
        out[(line.process, line.flow)] = out.get((line.process, line.flow), 0.0) + line.value
    return out


def weighted_quality(model: Model, result: Result) -> dict:
    """The share-weighted three-criteria score of the footprint.

    Lines are weighted by |value| / sum of |values| (the share of the total when
    nothing is negative). Lines without all three scores are left out and the
    weights of the others renormalised; `scored_share` says how much of the
    footprint the score covers. `lines` holds (process, flow, value, weight,
    quality or None) in result order.
    """
    values = line_values(result)
    magnitude = sum(abs(v) for v in values.values())
    lines = []
    named: dict[str, dict] = {}  # a process's flows by name, as Process.flow finds them (the first of a name)
    for (process_name, flow_name), value in values.items():
        process = model.processes[process_name]
        flows = named.get(process_name)
        if flows is None:
            flows = named[process_name] = {f.name: f for f in reversed(process.flows)}
        quality = line_quality(process, flows.get(flow_name))
        weight = abs(value) / magnitude if magnitude else 0.0
        lines.append((process_name, flow_name, value, weight, quality))
    scored = [line for line in lines if line[4] is not None]
    scored_share = sum(line[3] for line in scored)
    score = sum(line[3] * line[4].score() for line in scored) / scored_share if scored_share else None
    return {"score": score, "level": quality_level(score) if score is not None else None,
            "scored_share": scored_share, "lines": lines,
            "unscored": [(p, f, w) for p, f, _, w, q in lines if q is None]}

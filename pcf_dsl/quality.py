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
    get = out.get
    for line in result.by_flow:
        key = (line.process, line.flow)
        out[key] = get(key, 0.0) + line.value
    return out


def _scores_a_flow(process: Process) -> bool:
    # A loop that stops at the first, not any() over a generator: each process's flows are asked,
    # 850,000 at 100k processes, and the generator's step per flow took a tenth of the score's time.
    for flow in process.flows:
        if flow.quality is not None:
            return True
    return False


def weighted_quality(model: Model, result: Result) -> dict:
    """The share-weighted three-criteria score of the footprint.

    Lines are weighted by |value| / sum of |values| (the share of the total when
    nothing is negative). Lines without all three scores are left out and the
    weights of the others renormalised; `scored_share` says how much of the
    footprint the score covers. `unscored` holds (process, flow, weight) of the
    lines left out, in result order.
    """
    values = line_values(result)
    magnitude = sum(abs(v) for v in values.values())
    unscored = []
    weights, weighted = [], []  # of the scored lines, in order: summed as the lines were
    # Per process: its flows by name when one of them has scores of its own (as Process.flow finds
    # them, the first of a name), else the one quality and score all its lines share. Most processes
    # score no flow of their own: a dict of the flows of each was a third of the time.
    known: dict[str, tuple] = {}
    processes = model.processes
    for (process_name, flow_name), value in values.items():
        entry = known.get(process_name)
        if entry is None:
            process = processes[process_name]
            if _scores_a_flow(process):
                entry = (process, {f.name: f for f in reversed(process.flows)}, None, None)
            else:
                shared = process.quality
                mean = shared.score() if shared is not None else None
                entry = (process, None, shared if mean is not None else None, mean)
            known[process_name] = entry
        process, named, quality, mean = entry
        if named is not None:
            quality = line_quality(process, named.get(flow_name))
            mean = quality.score() if quality is not None else None
        weight = abs(value) / magnitude if magnitude else 0.0
        if quality is None:
            unscored.append((process_name, flow_name, weight))
        else:
            weights.append(weight)
            weighted.append(weight * mean)
    scored_share = sum(weights)
    score = sum(weighted) / scored_share if scored_share else None
    return {"score": score, "level": quality_level(score) if score is not None else None,
            "scored_share": scored_share, "unscored": unscored}

"""Data quality: the reference report's share-weighted three-criteria score, in one place.

Each burden line is scored on activity data, emission factor and instrument
calibration (1 to 6, higher is more precise; model.QUALITY_LEVELS). A line's
score is the mean of the three; the footprint's score is the mean of the line
scores weighted by each line's absolute contribution (its share of the total when no
line is negative: a removal does not cancel a source). The compliance rules (Q001
to Q004) and the report both read it from here.
"""

from __future__ import annotations

import numpy as np

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
    lines = result.by_flow
    keys = [(line.process, line.flow) for line in lines]
    values = [line.value for line in lines]
    if len(dict.fromkeys(keys)) != len(keys):  # a flow with two lines: one weight for both, as line_values adds them
        summed = line_values(result)
        keys, values = list(summed), list(summed.values())
    # The weights and their products with the scores on arrays: element by element, numpy's float
    # division and product are Python's to the last bit, and the sums below add the same floats in
    # the same order (sum over a list). 340,000 lines at 100k processes took 0.4 s as a loop.
    sizes = np.abs(np.array(values, dtype=float))
    magnitude = sum(sizes.tolist())
    weights = sizes / magnitude if magnitude else np.zeros(len(values))
    means = _line_means(model, keys)
    scored = np.array([mean is not None for mean in means], dtype=bool)
    scored_weights = weights[scored]
    weighted = scored_weights * np.array([mean for mean in means if mean is not None], dtype=float)
    unscored = [(process_name, flow_name, weight) for (process_name, flow_name), weight, mean
                in zip(keys, weights.tolist(), means) if mean is None]
    scored_share = sum(scored_weights.tolist())
    score = sum(weighted.tolist()) / scored_share if scored_share else None
    return {"score": score, "level": quality_level(score) if score is not None else None,
            "scored_share": scored_share, "unscored": unscored}


def _line_means(model: Model, keys: list[tuple[str, str]]) -> list[float | None]:
    """Each line's score (the mean of its three), None when it lacks one, for (process, flow) keys."""
    # Per process: the one score all its lines share, unless one of its flows has scores of its own
    # (then its flows by name, as Process.flow finds them, the first of a name). Most processes score
    # no flow of their own: a dict of the flows of each was a third of the time.
    shared: dict[str, float | None] = {}
    named: dict[str, tuple[Process, dict[str, Flow]]] = {}
    processes = model.processes.values()
    # Asked of all flows at once first (one list of 850,000 at 100k processes), process by process only
    # when some flow has scores of its own.
    own = [flow.quality for process in processes for flow in process.flows]
    any_own = own.count(None) != len(own)
    for name, process in model.processes.items():
        if any_own and _scores_a_flow(process):
            named[name] = (process, {f.name: f for f in reversed(process.flows)})
        else:
            quality = process.quality
            shared[name] = quality.score() if quality is not None else None
    if not named:
        return [shared[process_name] for process_name, _ in keys]
    means = []
    for process_name, flow_name in keys:
        if process_name in named:
            process, flows = named[process_name]
            quality = line_quality(process, flows.get(flow_name))
            means.append(quality.score() if quality is not None else None)
        else:
            means.append(shared[process_name])
    return means

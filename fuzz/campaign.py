"""The long fuzz campaign: many inputs through the whole pipeline; prints inputs tried, crashes, hangs.

    .venv/bin/python fuzz/campaign.py                     # 10,000 inputs, 2 workers
    .venv/bin/python fuzz/campaign.py --inputs 2000 --seed 7 --workers 1

Half the inputs are written from the grammar (`from_lark`), half are mutations of the
real models (see fuzz/harness.py). Each input is loaded, computed, dumped as JSON and
run through `pcf check` and `pcf calc --format json` under a per-input time limit.
A crash or a hang is saved to fuzz/findings/ (the input files and what happened) and
the script exits 1; the README's "Reliability" section quotes the last full run.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FINDINGS = Path(__file__).resolve().parent / "findings"


def _worker(job: tuple[str, int, int, float]) -> dict:
    source, count, seed, seconds = job
    from hypothesis import HealthCheck, Phase, given, seed as hseed, settings

    from fuzz.harness import generated_files, mutated_files, run_one

    strategy = generated_files() if source == "grammar" else mutated_files()
    kinds: collections.Counter = collections.Counter()
    codes: collections.Counter = collections.Counter()
    findings: list[tuple[dict[str, bytes], str, str]] = []
    slowest = 0.0
    workdir = Path(tempfile.mkdtemp(prefix=f"pcf-fuzz-{source}-"))

    @hseed(seed)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(files):
        nonlocal slowest
        start = time.perf_counter()
        outcome = run_one(files, workdir, seconds)
        slowest = max(slowest, time.perf_counter() - start)
        kinds[outcome.kind] += 1
        codes.update(set(outcome.codes))
        if outcome.kind in ("crash", "hang"):
            findings.append((files, outcome.kind, outcome.detail))

    one()
    return {"source": source, "kinds": kinds, "codes": codes, "findings": findings, "slowest": slowest}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000, help="inputs in all (default 10000)")
    parser.add_argument("--seed", type=int, default=20240101, help="random seed (default 20240101)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds allowed per input (default 20)")
    args = parser.parse_args(argv)

    # Each job is a share of one source with its own seed, so the run is reproducible.
    shares = max(1, args.workers) * 2
    jobs = []
    for source in ("grammar", "mutation"):
        per_source = args.inputs // 2
        for k in range(shares):
            count = per_source // shares + (1 if k < per_source % shares else 0)
            if count:
                jobs.append((source, count, args.seed + 1000 * k + (0 if source == "grammar" else 1), args.timeout))
    start = time.perf_counter()
    if args.workers > 1:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            reports = pool.map(_worker, jobs, chunksize=1)
    else:
        reports = [_worker(job) for job in jobs]
    elapsed = time.perf_counter() - start

    totals: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    codes: collections.Counter = collections.Counter()
    findings = []
    slowest = 0.0
    for report in reports:
        totals[report["source"]].update(report["kinds"])
        codes.update(report["codes"])
        findings.extend(report["findings"])
        slowest = max(slowest, report["slowest"])

    tried = sum(sum(c.values()) for c in totals.values())
    crashes = sum(c["crash"] for c in totals.values())
    hangs = sum(c["hang"] for c in totals.values())
    print(f"pcf_dsl fuzz campaign: seed {args.seed}, {args.workers} worker(s), {args.timeout:g} s per input")
    for source, counts in sorted(totals.items()):
        print(f"  {source:9} {sum(counts.values()):6} inputs: {counts['valid']} valid, {counts['invalid']} invalid, "
              f"{counts['crash']} crashes, {counts['hang']} hangs")
    print(f"inputs tried: {tried}")
    print(f"crashes:      {crashes}")
    print(f"hangs:        {hangs}")
    print(f"slowest input: {slowest:.2f} s; wall time {elapsed:.0f} s")
    print("diagnostic codes seen (inputs):", ", ".join(f"{c} {n}" for c, n in sorted(codes.items())))
    if findings:
        FINDINGS.mkdir(exist_ok=True)
        for n, (files, kind, detail) in enumerate(findings):
            folder = FINDINGS / f"{kind}-{n:03}"
            folder.mkdir(exist_ok=True)
            for name, data in files.items():
                (folder / name).write_bytes(data)
            (folder / "what-happened.txt").write_text(detail, encoding="utf-8")
        print(f"findings saved in {FINDINGS}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())

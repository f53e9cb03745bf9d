"""What the fuzz suite feeds pcf_dsl, and what it requires of every outcome.

Shared by the short run in CI (tests/test_fuzz.py) and the long campaign
(fuzz/campaign.py). Two sources of input:

* `generated_files()`: text from the grammar itself (`hypothesis.extra.lark.from_lark`),
  drawn from a Unicode alphabet with the characters that break tools: BOM, CR, NUL,
  right-to-left marks and overrides, CJK, controls;
* `mutated_files()`: the real models (the reference example with its factor file, the
  features seed, a GWP set) with tokens deleted, duplicated, swapped or replaced, numbers
  replaced by huge, tiny, NaN, infinite and negative values, special characters inserted,
  and the bytes saved as UTF-8 with BOM, CRLF, UTF-16 or GB18030.

`run_one` runs the whole pipeline on one input (load, compute, JSON, `pcf check`,
`pcf calc --format json`) under a time limit and classifies the outcome: `valid`,
`invalid` (our own PcfError, every diagnostic with a position), `crash` (anything
else: a Python exception, exit code 3, a traceback, NaN in JSON, a diagnostic without
a place) or `hang` (over the time limit).
"""

from __future__ import annotations

import json
import re
import signal
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from click.testing import CliRunner
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from pcf_dsl.build import load
from pcf_dsl.cli import main
from pcf_dsl.compute import compute
from pcf_dsl.diagnostics import PcfError, render_all
from pcf_dsl.parse import grammar_for_generation

REPO = Path(__file__).resolve().parents[1]

# Diagnostics about the model as a whole, which have no single place in a file.
WHOLE_MODEL_CODES = frozenset({
    "E500",  # no declared unit: nothing to compute
})

SPECIAL_CHARACTERS = (
    "\ufeff",  # BOM (also in the middle of a file)
    "\r", "\n",
    "\x00",  # NUL
    "\u200f", "\u200e",  # right-to-left and left-to-right marks
    "\u202e", "\u2066", "\u2069",  # right-to-left override, isolates (Trojan Source)
    "\u00a0", "\u3000",  # no-break and ideographic spaces
    "\t", "\x0c", "\x0b", "\x1b", "\x7f", "\x85", "\u2028",
    "铝", "Φ", "é", "\U0001f600",
    '"', "\\", "#", "{", "}", "(", ")", "%", "^", "-", ".", "=",
)

ODD_NUMBERS = (
    "1e308", "1.7976931348623157e308", "1e999", "9" * 400, "1e-320", "4.9e-324", "1e-999", "0", "0.0", "-0",
    "-1", "-1e308", "nan", "NaN", "inf", "-inf", "Infinity", "1e+308", "123456789012345678901234567890",
    "0.000000000000000000001", "1" + "0" * 200, "1e", "1.", ".5", "1_000", "0x10", "١٢", "１",
)

ENCODINGS = ("utf-8", "utf-8-sig", "crlf", "cr", "utf-16", "utf-16-le", "gb18030", "latin-1")

# The models the mutations start from: {name in the work folder: repository file}.
SEEDS = {
    "reference": ({"model.pcf": "examples/aluminium_billet/aluminium_billet.pcf",
                   "factors.pcf": "examples/aluminium_billet/factors.pcf"}),
    "features": {"model.pcf": "fuzz/seeds/features.pcf"},
    "gwp_set": {"model.pcf": "models/gwp/ipcc_ar6.pcf"},
}

_TOKEN = re.compile(r'\s+|"(?:[^"\\\n]|\\.)*"|#[^\n]*|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\w+|.', re.S)
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


@lru_cache(maxsize=1)
def seed_texts() -> dict[str, dict[str, str]]:
    return {seed: {name: (REPO / path).read_text(encoding="utf-8") for name, path in files.items()}
            for seed, files in SEEDS.items()}


def alphabet() -> st.SearchStrategy[str]:
    """Any Unicode scalar value, with the troublesome ones drawn often."""
    return st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL_CHARACTERS))


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "crlf":
        return text.replace("\n", "\r\n").encode("utf-8")
    if encoding == "cr":
        return text.replace("\n", "\r").encode("utf-8")
    return text.encode(encoding, errors="replace")


def generated_files() -> st.SearchStrategy[dict[str, bytes]]:
    """A model file written from the grammar, saved in one of the encodings."""
    text = from_lark(grammar_for_generation(), alphabet=alphabet())
    return st.builds(lambda t, enc: {"model.pcf": _encode(t, enc)}, text,
                     st.sampled_from(ENCODINGS[:4]) | st.sampled_from(ENCODINGS))


@st.composite
def mutated_files(draw) -> dict[str, bytes]:
    """A real model with a few mutations: the structure mostly survives, so the deep paths are reached."""
    seeds = seed_texts()
    files = dict(seeds[draw(st.sampled_from(sorted(seeds)))])
    target = draw(st.sampled_from(sorted(files)))
    tokens = _TOKEN.findall(files[target])
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            break
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "number", "number", "number", "insert",
                                     "replace", "line"]))
        i = draw(st.integers(0, len(tokens) - 1))
        if kind == "delete":
            del tokens[i]
        elif kind == "duplicate":
            tokens.insert(i, tokens[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif kind == "number":
            numbers = [k for k, tok in enumerate(tokens) if _NUMBER.fullmatch(tok)]
            if numbers:
                k = draw(st.sampled_from(numbers))
                tokens[k] = draw(st.sampled_from(ODD_NUMBERS) | st.floats().map(repr) |
                                 st.integers(-10**30, 10**30).map(str))
        elif kind == "insert":
            tokens.insert(i, draw(st.sampled_from((*SPECIAL_CHARACTERS, "\r\n")) | st.text(alphabet(), max_size=3)))
        elif kind == "replace":
            tokens[i] = draw(st.sampled_from(sorted({t for t in tokens if t.strip()})[:400]))
        else:  # a whole line duplicated or deleted
            lines = "".join(tokens).split("\n")
            n = draw(st.integers(0, len(lines) - 1))
            if draw(st.booleans()):
                del lines[n]
            else:
                lines.insert(n, lines[n])
            tokens = _TOKEN.findall("\n".join(lines))
    files[target] = "".join(tokens)
    encoding = draw(st.sampled_from(("utf-8",) * 6 + ENCODINGS))
    return {name: _encode(text, encoding if name == target else "utf-8") for name, text in files.items()}


# ------------------------------------------------------------------ the oracle


class Hang(Exception):
    """The time limit of one input ran out."""


@contextmanager
def time_limit(seconds: float):
    """Raises Hang in the main thread after `seconds` (SIGALRM: POSIX main thread only)."""

    def on_alarm(signum, frame):
        raise Hang(f"over {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Outcome:
    kind: str  # valid | invalid | crash | hang
    detail: str = ""
    codes: list[str] = field(default_factory=list)


def _no_nan(text: str):
    def refuse(name):
        raise ValueError(f"{name} in JSON output")

    return json.loads(text, parse_constant=refuse)


def _check_diagnostics(diagnostics) -> str | None:
    """Why a PcfError is not an acceptable answer, or None when it is."""
    if not diagnostics:
        return "a PcfError without diagnostics"
    for d in diagnostics:
        if d.span is None and d.code not in WHOLE_MODEL_CODES:
            return f"{d.code} has no position: {d.message}"
    render_all(diagnostics)  # rendering the caret lines must not fail either
    return None


def _pipeline(top: Path) -> Outcome:
    """Everything a user can run on one model, in process."""
    try:
        model = load(top)
    except PcfError as exc:
        problem = _check_diagnostics(exc.diagnostics)
        outcome = Outcome("crash", problem) if problem else Outcome("invalid")
        outcome.codes = [d.code for d in exc.diagnostics]
    else:
        model.semantic()
        outcome = Outcome("valid")
        if model.study is not None and model.study.declared_unit is not None:
            try:
                result = compute(model)
            except PcfError as exc:
                problem = _check_diagnostics(exc.diagnostics)
                outcome = Outcome("crash", problem) if problem else Outcome("invalid")
                outcome.codes = [d.code for d in exc.diagnostics]
            else:
                json.dumps(result.model_dump(mode="json"), allow_nan=False)
    if outcome.kind == "crash":
        return outcome
    for args in (["check", str(top)], ["calc", "--format", "json", str(top)]):
        run = CliRunner().invoke(main, args)
        text = run.output
        if run.exit_code not in (0, 1, 2) or "Traceback" in text or (
                run.exception is not None and not isinstance(run.exception, SystemExit)):
            return Outcome("crash", f"pcf {' '.join(args[:-1])}: exit {run.exit_code}\n{text[-2000:]}\n"
                                    f"{''.join(traceback.format_exception(run.exception)) if run.exception else ''}")
        if args[0] == "calc" and run.exit_code == 0:
            _no_nan(run.stdout)
    return outcome


def run_one(files: dict[str, bytes], workdir: Path, seconds: float = 20.0) -> Outcome:
    """Write the files into `workdir` (same names every time, so caches do not grow) and run the pipeline."""
    workdir.mkdir(parents=True, exist_ok=True)
    for old in workdir.iterdir():
        if old.is_file():
            old.unlink()
    for name, data in files.items():
        (workdir / name).write_bytes(data)
    try:
        with time_limit(seconds):
            return _pipeline(workdir / "model.pcf")
    except Hang as exc:
        return Outcome("hang", str(exc))
    except Exception:  # noqa: BLE001 - classifying every failure is the point
        return Outcome("crash", traceback.format_exc())

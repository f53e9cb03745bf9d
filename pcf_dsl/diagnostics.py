"""Diagnostics: the one place where problems with a model are described and shown.

Every error the tool reports about a user's file (syntax, names, units, and
later the compliance rules) is a :class:`Diagnostic` with a :class:`Span`.
:func:`render` turns it into the rustc-style text a person reads; the JSON
and SARIF writers read the same objects.
"""

from __future__ import annotations

import difflib
import os
import re
from array import array
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Iterable, Sequence


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# Not frozen, though nothing changes a span once made: a frozen dataclass's __init__
# costs four times as much (1.4 us against 0.33 us), and a large model makes millions
# of spans while it is parsed. unsafe_hash keeps spans usable as keys.
@dataclass(slots=True, unsafe_hash=True)
class Span:
    """A region of a source file; lines and columns count from 1."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(slots=True)
class Label:
    """A second place that belongs to the same diagnostic ("the factor is here")."""

    span: Span
    message: str


@dataclass(slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None
    severity: Severity = Severity.ERROR
    help: str | None = None
    labels: list[Label] = field(default_factory=list)
    path: tuple[str, ...] = ()
    evidence: dict[str, object] = field(default_factory=dict)


class PcfError(Exception):
    """Invalid input: carries the diagnostics that explain why."""

    def __init__(self, diagnostics: Sequence[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.message for d in self.diagnostics))


class SourceCache:
    """Source texts by file name, so a diagnostic can show the line it points at.

    Each text is kept whole, and where its lines start is worked out the first
    time a diagnostic asks for one of them: a list of line strings took twice
    the text's memory (93 bytes a line at 100,000 processes, 113 MiB), for the
    whole of every run, most of which show no line at all.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._starts: dict[str, array] = {}

    def add(self, file: str, text: str) -> None:
        self._texts[file] = text
        self._starts.pop(file, None)

    def text(self, file: str) -> str | None:
        return self._texts.get(file)

    def line(self, file: str, number: int) -> str | None:
        text = self._texts.get(file)
        if text is None:
            return None
        starts = self._starts.get(file)
        if starts is None:
            starts = self._starts[file] = _line_starts(text)
        if not 1 <= number <= len(starts) - 1:
            return None
        return text[starts[number - 1]:starts[number] - 1].rstrip("\r")


# From this size on, an ASCII text's newlines are found by numpy (each 5.6 MB file of the 100k-process
# benchmark in 0.004 s against 0.026 s by the loop below; a check shows lines of all eight); a smaller
# text is left to the loop, which costs less than importing numpy would where nothing else has.
_ARRAY_SEARCH = 1 << 20


def _line_starts(text: str) -> array:
    """The offset where each line starts, and one more past the end (as if the text ended in a newline)."""
    if len(text) >= _ARRAY_SEARCH and text.isascii():  # one byte a character: byte offsets are offsets
        import numpy as np

        ends = np.flatnonzero(np.frombuffer(text.encode("ascii"), dtype=np.uint8) == 10)
        found = np.empty(len(ends) + 2, dtype=np.uintc)  # C unsigned int, as array's "I"
        found[0], found[-1] = 0, len(text) + 1
        found[1:-1] = ends + 1
        starts = array("I")
        starts.frombytes(found.tobytes())
        return starts
    starts = array("I", [0])
    find, at = text.find, text.find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = find("\n", at + 1)
    starts.append(len(text) + 1)
    return starts


SOURCES = SourceCache()


# Names compared for one suggestion: difflib costs tens of microseconds a name, and a model
# with 100,000 names and many misspellings must not take minutes to say so.
_MAX_CANDIDATES = 1000


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A near-miss suggestion for an unknown name, or None."""
    pool = sorted(set(candidates))
    # Case first (`kwh`, `KG`, `co2e`): difflib scores `co2e` against `CO2e` at 0.5, under its cutoff.
    folded = name.casefold()
    same = next((c for c in pool if c.casefold() == folded), None)
    if same is not None:
        return same
    if len(pool) > _MAX_CANDIDATES:
        # The likeliest first: names of about the same length that share the first letter.
        pool.sort(key=lambda c: (c[:1].lower() != name[:1].lower(), abs(len(c) - len(name)), c))
        pool = pool[:_MAX_CANDIDATES]
    # difflib.get_close_matches's filter, with a tie-break of our own: it breaks equal scores by
    # string order, so `p00000` got `p000900` before `p000000`. Among equal scores the name that
    # shares the longest beginning with the misspelling wins, then the longest ending.
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(name)
    best, best_key = None, None
    for candidate in pool:
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() < 0.6 or matcher.quick_ratio() < 0.6:
            continue
        ratio = matcher.ratio()
        if ratio < 0.6:
            continue
        prefix = len(os.path.commonprefix([name, candidate]))
        suffix = len(os.path.commonprefix([name[::-1], candidate[::-1]]))
        key = (ratio, prefix, suffix)
        if best_key is None or key > best_key:  # the pool is sorted: the first of equals wins
            best, best_key = candidate, key
    return best


def display_width(text: str) -> int:
    """Terminal cells `text` takes: a CJK character takes two (a caret, a column must line up under it)."""
    if text.isascii():  # one cell each: most lines, and 83835 findings' worth at 100k processes
        return len(text)
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad_cells(text: str, width: int) -> str:
    """`text` padded to `width` terminal cells, as `:<width` pads characters (CJK text would misalign)."""
    return text + " " * max(0, width - display_width(text))


# The most of a source line shown under a diagnostic, in terminal cells. A generated or minified
# model can hold a line of thousands of characters, and printed whole it buries the caret in wrapped
# terminal lines; longer lines are cut to a window around the span, marked with "...", as rustc does.
LINE_WINDOW = 120
# How much of a cut line is kept before the span, so the reader sees what the span follows.
_WINDOW_LEAD = 30
_CUT = "..."


def _window(expanded: str, start: int, length: int) -> tuple[str, int, int]:
    """The part of a long line to show: (text, where the span starts in it, how much of the span it shows).

    `start` and `length` count characters of the tab-expanded line; the window counts cells. A line
    that fits is shown whole.
    """
    if display_width(expanded) <= LINE_WINDOW:
        return expanded, start, length
    cells = [1] * len(expanded) if expanded.isascii() else [display_width(ch) for ch in expanded]
    left, used = start, 0
    while left > 0 and used + cells[left - 1] <= _WINDOW_LEAD:
        left -= 1
        used += cells[left]
    right, used = left, 0
    while right < len(expanded) and used + cells[right] <= LINE_WINDOW:
        used += cells[right]
        right += 1
    while right == len(expanded) and left > 0 and used + cells[left - 1] <= LINE_WINDOW:
        left -= 1  # a span near the end: the window fills towards the left
        used += cells[left]
    lead = _CUT if left > 0 else ""
    tail = _CUT if right < len(expanded) else ""
    return lead + expanded[left:right] + tail, len(lead) + start - left, max(1, min(length, right - start))


def _snippet(span: Span, sources: SourceCache, marker: str = "^", width: int = 0) -> list[str]:
    text = sources.line(span.file, span.line)
    if text is None:
        return []
    gutter = str(span.line).rjust(width)
    pad = " " * len(gutter)
    expanded = text.replace("\t", "    ")
    start = len(text[: span.column - 1].replace("\t", "    "))
    if span.end_line == span.line and span.end_column > span.column:
        length = len(text[span.column - 1 : span.end_column - 1].replace("\t", "    "))
    elif span.end_line > span.line:
        # Only the first line is shown: underline its part of the span, not one character of it (nor
        # the brace that opens the block).
        first = text[span.column - 1 :].rstrip().removesuffix("{").rstrip()
        length = max(1, len(first.replace("\t", "    ")))
    else:
        length = 1
    shown, start, length = _window(expanded, start, length)
    # Widths in terminal cells, so that the caret lines up under CJK characters.
    underline = max(1, display_width(shown[start : start + length]))
    return [
        f"{pad} |",
        f"{gutter} | {printable(shown)}",  # the one line of the three with text from the file
        f"{pad} | {' ' * display_width(shown[:start])}{marker * underline}",
    ]


# What a terminal acts on instead of showing (escape sequences, carriage returns, C1 controls) and
# the bidirectional embeddings, overrides and isolates that reorder what a reader sees ("Trojan
# Source"). A model is input from anyone and its lines are echoed: these print as U+FFFD, one
# character for one, so the caret still lines up. A file name that is not UTF-8 reaches Python with
# lone surrogates (`e\udcff.pcf`): they print as U+FFFD too, as the JSON and SARIF output write them.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """Text safe to print to a terminal or a CI log: control and bidi-override characters replaced."""
    if text.isascii() and text.isprintable():  # nothing to replace: most lines, told without the regex
        return text
    return _UNPRINTABLE.sub("\ufffd", text)


@lru_cache(maxsize=256)
def _help_lines(help: str) -> tuple[str, ...]:
    """The help block's lines, printable: a rule's findings share one help text (engine.rule_help), laid out once."""
    return tuple(printable(("  = help: " if i == 0 else "          ") + line)
                 for i, line in enumerate(help.splitlines()))


def render(diagnostic: Diagnostic, sources: SourceCache = SOURCES) -> str:
    """rustc-style text: header, location, source line with a caret, help."""
    # Line by line, and only the lines with text from the model or the file (the gutters and carets are
    # spaces, digits and markers): a line is printable as it is far more often than not, and the help's
    # lines are made printable once for all the findings that share them. The same text as the whole
    # made printable, as a newline is never replaced.
    out = [printable(f"{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}")]
    span, labels = diagnostic.span, diagnostic.labels
    if labels:
        spans = [s for s in [span, *(l.span for l in labels)] if s is not None]
        width = max((len(str(s.line)) for s in spans), default=0)
    else:  # most findings: the gutter is the one line number's
        width = len(str(span.line)) if span is not None else 0
    if span is not None:
        out.append(printable(f"  --> {span}"))
        out.extend(_snippet(span, sources, width=width))
    for label in labels:
        out.append(printable(f"  --> {label.span}: {label.message}"))
        out.extend(_snippet(label.span, sources, marker="-", width=width))
    if diagnostic.help:
        out.extend(_help_lines(diagnostic.help))
    return "\n".join(out)


def render_all(diagnostics: Iterable[Diagnostic], sources: SourceCache = SOURCES) -> str:
    return "\n\n".join(render(d, sources) for d in diagnostics)

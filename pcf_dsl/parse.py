"""Parsing: text to the syntax tree of :mod:`pcf_dsl.syntax`. The only module that imports lark.

One cached LALR parser is built from ``grammar/pcf.lark`` with the
transformer embedded, so no intermediate lark Tree is built (the measured
lever for speed and memory on large models, see docs/performance.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import re
import stat
import sys
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache, partial
from operator import itemgetter
from pathlib import Path

from lark import Lark, Token, Transformer, __version__ as _LARK_VERSION
from lark.lark import PostLex
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError
from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders, ExpandSingleChild

from . import syntax as S
from .cache import private_folder
from .collector import collector_paused
from .diagnostics import Diagnostic, Label, PcfError, SOURCES, Span, did_you_mean
from .limits import MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH, MAX_FILE_BYTES, MAX_NUMBER_LENGTH, MAX_PAREN_DEPTH


def grammar_path() -> Path:
    """The grammar file: inside the package in a wheel, at the repository top in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "grammar" / "pcf.lark", here.parent / "grammar" / "pcf.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("grammar/pcf.lark is missing from the installation")


def _unquote(token: str) -> str:
    body = token[1:-1]
    if "\\" not in body:
        return body
    out, i = [], 0
    escapes = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class _ToSyntax(Transformer):
    """Builds syntax nodes as the parser reduces; `file` is set before each parse."""

    file: str = "<input>"

    def reset(self, file: str) -> None:
        """Start a new parse: the limits below are counted per file."""
        self.file = file
        self._parens = 0
        self._depths: dict[int, int] = {}  # id(expression node) -> operations nested in it (leaves: 1)

    # -- limits (docs/limits.md), checked while the parser reads, so an absurd
    # expression stops at the place it crosses the line, not after it is built.
    def _limit(self, code: str, message: str, tok_or_span, help: str) -> PcfError:
        span = tok_or_span if isinstance(tok_or_span, Span) else self._tspan(tok_or_span)
        # One character wide: the offending expression may be thousands of characters long.
        return PcfError(Diagnostic(code, message, Span(span.file, span.line, span.column, span.line, span.column + 1),
                                   help=help))

    def on_lpar(self, tok: Token) -> Token:
        self._parens += 1
        if self._parens > MAX_PAREN_DEPTH:
            raise self._limit("E005", f"parentheses are nested more than {MAX_PAREN_DEPTH} deep", tok,
                              "split the expression into parameters: `param part = ...`")
        return tok

    def on_rpar(self, tok: Token) -> Token:
        self._parens = max(0, self._parens - 1)
        return tok

    def on_number(self, tok: Token) -> Token:
        if len(tok) > MAX_NUMBER_LENGTH:
            raise self._limit("E008", f"this number is {len(tok)} characters long; the limit is {MAX_NUMBER_LENGTH}", tok,
                              "write it in scientific notation, e.g. `1.5e30`")
        if "-" in tok:  # only a negative exponent (`1e-400`) can make a number too small for a float
            value = float(tok)
            if value < sys.float_info.min and tok.lower().split("e")[0].strip("0.") != "":
                # Below the smallest normal float, `1e-400` is read as 0 and `1e-320` keeps a few
                # digits of its value: a wrong number without a word, so it is refused here.
                read = "0" if value == 0 else f"{value:.17g}"
                raise PcfError(Diagnostic(
                    "E305", f"the number `{tok}` is too small to represent: it would read as {read}", self._tspan(tok),
                    help=f"numbers from {sys.float_info.min:.1e} up can be held; write the amount in a smaller unit "
                         "(`mg` for `kg`), or `0` if nothing is meant"))
        return tok

    def _expression(self, node, operands=()):
        """The node, once it is known to be within the limits on expression depth and length."""
        depth = 1 + max([self._depths.get(id(o), 1) for o in operands]) if operands else 1
        span = node.span
        if depth > MAX_EXPRESSION_DEPTH:
            raise self._limit("E007", f"this expression nests more than {MAX_EXPRESSION_DEPTH} operations deep", span,
                              "split it into parameters: `param part = ...`, then combine the parts")
        if span.end_line == span.line and span.end_column - span.column > MAX_EXPRESSION_LENGTH:
            raise self._limit("E006", f"this expression is longer than {MAX_EXPRESSION_LENGTH} characters", span,
                              "split it into parameters: `param part = ...`, then combine the parts")
        if depth > 1:
            self._depths[id(node)] = depth
        return node

    # -- helpers
    def _cover(self, children) -> Span | None:
        """The span from the first to the last positioned child.

        lark's embedded transformer gets no `meta`, and keywords are filtered
        out, so a statement's span starts at its first name or value: the
        place a diagnostic should point at anyway.
        """
        for child in children:
            first = self._span_of(child)
            if first is not None:
                break
        else:
            return None
        for child in reversed(children):
            last = self._span_of(child)
            if last is not None:
                break
        return Span(self.file, first.line, first.column, last.end_line, last.end_column)

    def _span_of(self, item):
        """Where `item` is: a Span, or a token (which has the same four position fields)."""
        if isinstance(item, Token):
            return item  # no Span built: _cover reads the token's positions directly
        if isinstance(item, Span):
            return item
        span = getattr(item, "span", None)
        if isinstance(span, Span):
            return span
        if isinstance(item, tuple):
            if len(item) == 3 and isinstance(item[2], Span):
                return item[2]
            return self._cover(item[1:])
        if isinstance(item, list):
            return self._cover(item)
        if isinstance(item, S.QualityScore):
            return self._cover([item.criterion, item.value])
        return None

    def _tspan(self, tok: Token) -> Span:
        return Span(self.file, tok.line, tok.column, tok.end_line, tok.end_column)

    def _word(self, tok: Token) -> S.Word:
        return S.Word(tok.value, self._tspan(tok))

    def _text(self, tok: Token) -> S.Text:
        return S.Text(_unquote(tok.value), self._tspan(tok))

    def _split(self, children):
        """Leading NAME word, optional STRING label, rest."""
        name = self._word(children[0])
        rest = children[1:]
        label = None
        if rest and isinstance(rest[0], Token) and rest[0].type == "STRING":
            label = self._text(rest[0])
            rest = rest[1:]
        return name, label, rest

    # -- expressions
    def number(self, children):
        return S.Num(children[0].value, self._tspan(children[0]))

    def name(self, children):
        ref: S.Ref = children[0]
        return self._expression(S.Name(ref.parts, ref.span))

    def percent(self, children):
        return S.Percent(self._tspan(children[0]))

    def _binop(op):  # noqa: N805 - a small factory used in the class body
        def method(self, children):
            left, right = children  # expressions, each with its span
            a, b = left.span, right.span
            span = Span(self.file, a.line, a.column, b.end_line, b.end_column)
            return self._expression(S.BinOp(op, left, right, span), children)

        return method

    add = _binop("+")
    sub = _binop("-")
    mul = _binop("*")
    div = _binop("/")
    juxt_mul = _binop("juxt")

    def neg(self, children):
        return self._expression(S.Neg(children[0], self._cover(children)), children)

    def pow(self, children):
        return self._expression(S.Pow(children[0], children[1], self._cover(children)), children[:1])

    def positive_int(self, children):
        return int(children[0])

    def negative_int(self, children):
        return -int(children[0])

    def positive_number(self, children):
        return (False, children[0])

    def negative_number(self, children):
        return (True, children[0])

    def ref(self, children):
        first, last = children[0], children[-1]  # NAME tokens, always
        return S.Ref(tuple([c.value for c in children]),
                     Span(self.file, first.line, first.column, last.end_line, last.end_column))

    # -- small statements, returned as (tag, payload) pairs for the block builders
    def _tagged(tag, kind="text"):  # noqa: N805
        def method(self, children):
            tok = children[0] if children else None
            if kind == "text":
                value = self._text(tok)
            elif kind == "word":
                value = self._word(tok)
            else:
                value = tok
            return (tag, value, self._cover(children))

        return method

    product_name = _tagged("product")
    producer = _tagged("producer")
    standard = _tagged("standard")
    note = _tagged("note")
    source = _tagged("source")
    dataset = _tagged("dataset")
    justification = _tagged("justification")
    stage_ref = _tagged("stage", "word")
    basis = _tagged("basis", "word")
    year = _tagged("year", "word")
    group = _tagged("group", "word")
    gwp_use = _tagged("gwp", "raw")
    per_flow = _tagged("per_flow", "raw")
    cumulative = _tagged("cumulative", "raw")
    gas = _tagged("gas", "raw")
    estimate = _tagged("estimate", "raw")
    extends = _tagged("extends", "raw")

    def geo_code(self, children):
        return S.Word("-".join(str(c) for c in children), self._cover(children))

    def geography(self, children):
        return ("geography", children[0], self._cover(children))

    def period(self, children):
        return ("period", (self._word(children[0]), self._word(children[1])), self._cover(children))

    def _unit_decl(functional):  # noqa: N805
        def method(self, children):
            desc = self._text(children[2]) if len(children) > 2 else None
            return ("declared_unit", S.DeclaredUnit(children[0], children[1], desc, functional, self._cover(children)), self._cover(children))

        return method

    declared_unit = _unit_decl(False)
    functional_unit = _unit_decl(True)

    def quality_score(self, children):
        return S.QualityScore(self._word(children[0]), self._word(children[1]))

    def quality(self, children):
        return ("quality", list(children), self._cover(children))

    def property(self, children):
        return ("property", (self._word(children[0]), children[1]), self._cover(children))

    # -- items
    def import_decl(self, children):
        return S.Import(self._text(children[0]), self._word(children[1]), self._cover(children))

    def study(self, children):
        study = S.Study(title=self._text(children[0]), span=self._cover(children))
        single = {"product", "producer", "declared_unit", "period", "geography", "gwp"}
        for tag, value, span in children[1:]:
            if tag in single and getattr(study, tag) is not None:
                study.duplicates.append((tag, span))
                continue
            if tag == "standard":
                study.standards.append(value)
            elif tag == "note":
                study.notes.append(value)
            elif tag == "period":
                study.period, study.period_span = value, span
            else:
                setattr(study, tag, value)
        return study

    def stage_decl(self, children):
        label = self._text(children[1]) if len(children) > 1 else None
        return S.StageDecl(self._word(children[0]), label, self._cover(children))

    def include(self, children):
        return S.BoundaryLine(True, self._word(children[0]), None, self._cover(children))

    def exclude(self, children):
        reason = self._text(children[1]) if len(children) > 1 else None
        return S.BoundaryLine(False, self._word(children[0]), reason, self._cover(children))

    def boundary_block(self, children):
        return children

    def boundary(self, children):
        keyword, *children = children
        shorthand = None
        lines: list = []
        for child in children:
            if isinstance(child, Token):
                shorthand = self._word(child)
            else:
                lines = child
        body = [line for line in lines if isinstance(line, S.BoundaryLine)]
        notes = [value for (tag, value, _span) in (l for l in lines if isinstance(l, tuple))]
        # From the name (where diagnostics have always pointed); the keyword when there is nothing else.
        return S.Boundary(shorthand, body, notes, self._cover(children) or self._tspan(keyword))

    def cutoff(self, children):
        # The `cutoff` keyword: one line, where the block is (its lines may be many, or none).
        keyword, *children = children
        cut = S.Cutoff(span=self._tspan(keyword))
        for tag, value, span in children:
            if tag == "note":
                cut.notes.append(value)
                continue
            if getattr(cut, tag) is not None:
                cut.duplicates.append((tag, span))
                continue
            setattr(cut, tag, value)
        return cut

    def param(self, children):
        return S.Param(self._word(children[0]), children[1], self._cover(children))

    def gwp_entry(self, children):
        negative, num = children[1]
        return S.GwpEntry(self._word(children[0]), S.Num(num.value, self._tspan(num)), negative, self._cover(children))

    def gwp_set(self, children):
        name, label, rest = self._split(children)
        entries = [c for c in rest if isinstance(c, S.GwpEntry)]
        tags = [c for c in rest if isinstance(c, tuple)]
        source = next((v for t, v, _ in tags if t == "source"), None)
        year = next((v for t, v, _ in tags if t == "year"), None)
        notes = [v for t, v, _ in tags if t == "note"]
        return S.GwpSet(name, label, entries, source, year, notes, self._cover(children))

    def factor_block(self, children):
        return list(children)

    def factor(self, children):
        name, label, rest = self._split(children)
        value = None
        block: list = []
        for child in rest:
            if isinstance(child, list):
                block = child
            else:
                value = child
        fields = {"source": None, "dataset": None, "year": None, "geography": None}
        gases, notes = [], []
        for tag, val, _span in block:
            if tag == "gas":
                gases.append(val)
            elif tag == "note":
                notes.append(val)
            else:
                fields[tag] = val
        return S.Factor(name, label, value, gases, notes=notes, span=self._cover(children), **fields)

    # -- flows
    def attrs(self, children):
        attrs = S.Attrs()
        for tag, value, span in children:
            if tag == "quality":
                attrs.quality, attrs.quality_span = value, span
            elif tag == "note":
                attrs.notes.append(value)
            elif tag == "property":
                attrs.properties.append(value)
            else:
                setattr(attrs, tag, value)
        return attrs

    attrs_claim = attrs

    def _flow(kind):  # noqa: N805
        def method(self, children):
            name, label, rest = self._split(children)
            flow = S.Flow(kind=kind, name=name, label=label, amount=rest[0], span=self._cover(children))
            for child in rest[1:]:
                if isinstance(child, S.Attrs):
                    flow.attrs = child
                elif isinstance(child, tuple):
                    tag, value = child
                    if tag == "from":
                        flow.source = value
                    elif tag == "cutoff":
                        flow.cutoff, flow.cutoff_reason = True, value
                    elif tag == "of":
                        flow.of_input = value
                    elif tag in ("to", "with"):
                        flow.source = value
                        if kind == "waste":
                            flow.waste_route = tag
            return flow

        return method

    product = _flow("product")
    waste = _flow("waste")
    loss = _flow("loss")
    input = _flow("input")
    emit = _flow("emit")

    def from_ref(self, children):
        return ("from", children[0])

    def cut_off(self, children):
        return ("cutoff", self._text(children[0]) if children else None)

    def waste_to(self, children):
        return ("to", children[0])

    def waste_with(self, children):
        return ("with", children[0])

    def emit_with(self, children):
        return ("with", children[0])

    def emit_of(self, children):
        return ("of", self._word(children[0]))

    def _share(tag):  # noqa: N805
        def method(self, children):
            return (tag, S.AllocationShare(self._word(children[0]), children[1], self._cover(children)), self._cover(children))

        return method

    share = _share("share")
    basis_property = _share("property")

    def allocation_block(self, children):
        return list(children)

    def allocation(self, children):
        method = self._word(children[0])
        shares, props, justification = [], [], None
        for tag, value, _span in (children[1] if len(children) > 1 else []):
            if tag == "share":
                shares.append(value)
            elif tag == "property":
                props.append(value)
            else:
                justification = value
        return ("allocation", S.Allocation(method, shares, props, justification, self._cover(children)), self._cover(children))

    def process(self, children):
        name, label, rest = self._split(children)
        proc = S.Process(name=name, label=label, span=self._cover(children))
        for child in rest:
            if isinstance(child, (S.Flow, S.FlowLine)):
                proc.flows.append(child)
                continue
            tag, value, span = child
            if tag == "note":
                proc.notes.append(value)
            elif tag == "quality":
                if proc.quality is not None:
                    proc.duplicates.append((tag, span))
                proc.quality, proc.quality_span = value, span
            elif getattr(proc, tag) is not None:
                proc.duplicates.append((tag, span))
            else:
                setattr(proc, tag, value)
        return proc

    # -- claims, waivers, profiles
    def claim_total(self, children):
        return ("total", None)

    def claim_quality(self, children):
        return ("quality", None)

    def claim_stage(self, children):
        tok = children[0]
        return ("stage", S.Ref((tok.value,), self._tspan(tok)))

    def claim_group(self, children):
        tok = children[0]
        return ("group", S.Ref((tok.value,), self._tspan(tok)))

    def claim_process(self, children):
        return ("process", children[0])

    def claim_flow(self, children):
        return ("flow", children[0])

    def claim(self, children):
        (target, subject), value = children[0], children[1]
        attrs = children[2] if len(children) > 2 else S.Attrs()
        return S.Claim(target, subject, value, attrs.source, attrs.notes, self._cover(children))

    def waiver(self, children):
        code = self._word(children[0])
        subject = children[1] if len(children) == 3 else None
        return S.Waiver(code, subject, self._text(children[-1]), self._cover(children))

    def rule_setting(self, children):
        return ("rule", S.RuleSetting(self._word(children[0]), self._word(children[1]), self._cover(children)), self._cover(children))

    def profile_param(self, children):
        value = children[1]
        if isinstance(value, Token):
            value = self._text(value)
        return ("set", S.ProfileParam(children[0], value, self._cover(children)), self._cover(children))

    def profile(self, children):
        name, label, rest = self._split(children)
        prof = S.Profile(name, label, [], [], [], [], [], self._cover(children))
        for tag, value, _span in rest:
            {"extends": prof.extends, "rule": prof.rules, "set": prof.params,
             "standard": prof.standards, "note": prof.notes}[tag].append(value)
        return prof

    def start(self, children):
        return list(children)


_TRANSFORMER = _ToSyntax()
_TRANSFORMER.reset("<input>")
_LOCK = threading.Lock()


def _grammar_cache() -> str | bool:
    """Where lark keeps the analysed grammar between runs: a private per-user folder.

    Loading the tables costs about 10 ms where analysing the grammar costs about
    110 ms of the start-up (docs/performance.md). Lark checks a hash of the
    grammar, its options and its own version before using the file, and rebuilds
    it when that does not match or the file cannot be read.
    """
    folder = private_folder()
    if folder is None:
        return False
    return os.path.join(folder, "grammar.lark-cache")


class _WholeWords(PostLex):
    """Keywords end at a word boundary: `claimtotal` is one word, never `claim total`.

    lark's contextual lexer tries only the terminals the parser state accepts. Where no name
    fits (the start of a statement), `claim` alone was tried, and matched the front of
    `claimtotal`. Offering NAME in every state lets the lexer take the longest word, as the fast
    path does; a word that is a keyword is still retyped to it, and a word that is not is the
    syntax error it should be ("unexpected name", with did-you-mean).
    """

    always_accept = ("NAME",)

    def process(self, stream):
        return stream


@lru_cache(maxsize=1)
def parser() -> Lark:
    """The one LALR parser, built once per process (its tables are cached across runs)."""
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        cache=_grammar_cache(),
        parser="lalr",
        lexer="contextual",
        # No propagate_positions: the embedded transformer gets no `meta` and takes every
        # span from the tokens, so lark's position bookkeeping was pure cost (about 10 %).
        propagate_positions=False,
        transformer=_TRANSFORMER,
        maybe_placeholders=False,
        postlex=_WholeWords(),
        lexer_callbacks={"LPAR": _TRANSFORMER.on_lpar, "RPAR": _TRANSFORMER.on_rpar,
                         "NUMBER": _TRANSFORMER.on_number, "INT": _TRANSFORMER.on_number},
    )


# ------------------------------------------------------------------ the fast path
#
# lark's LALR parser spends most of its time per token: its contextual lexer
# tries a compiled pattern per parser state and builds a Token for every
# keyword, brace and newline, and its parser loop is generic (interactive
# parsing, error recovery). The fast path below runs the same grammar with the
# same parse table and the same tree-building callbacks (so the same
# transformer), but lexes with one precompiled pattern and skips what the
# callbacks never see: tokens that every rule filters out (keywords,
# punctuation, newlines) are pushed as a placeholder, not built. It is about
# twice as fast on large models (docs/performance.md).
#
# It only ever accepts what lark itself would accept, token for token: at the
# first thing it is not sure of (any syntax error, a date where the state wants
# a number, an unknown character), it gives up and lark's own parser parses the
# whole text again, so errors and their messages come from one place.


class _GiveUp(Exception):
    """The fast path cannot decide; lark's own parser takes over."""


class _FastToken(Token):
    """A lark Token built without lark's constructor (which handles deprecated arguments)."""

    __slots__ = ()


@dataclass(frozen=True)
class _Tables:
    """What the fast path needs from the analysed grammar, in the form its loop reads fastest."""

    pattern: object  # one compiled regular expression: the alternation of every terminal
    actions: dict  # state -> {terminal or rule name: (next state,) | (size, rule name, callback)}
    start: int
    end: int
    keywords: dict  # keyword text -> terminal name
    punctuation: dict  # character -> terminal name
    kept: frozenset  # terminals some rule keeps as a child (the others are placeholders)
    flow_line: object  # the match method of the pattern of a common flow line's head (_flow_line)
    flow_keywords: frozenset  # the terminals that start a flow line (INPUT, PRODUCT, ...)
    grows: dict  # (two states under a whole flow, its kind, the next line's keyword) -> _grows's answer
    paths: dict  # (state, flow keyword, of?, from/to/with, whole line?, block's attribute) -> _flow_path's answer
    run_line: re.Pattern  # a whole flow line after the newline before it (_flow_lines)
    runs: dict  # (two states under a whole flow, its kind, the next line's shape) -> the next line's state, or None
    process_open: object  # the match method of the pattern of a process's opening and `stage` line
    process_close: object  # the match method of the pattern of the newline and `}` that close a process
    process_steps: dict  # _process_block's states, by what comes next (see there)
    quality_scores: object  # the finditer method of the pattern of one `criterion=level` of a quality line
    allocation_open: object  # the match method of the pattern of a process's `allocation NAME [{]` line
    allocation_line: object  # the match method of the pattern of one line of an allocation block
    cutoff_line: object  # the match method of the pattern of an input cut off, with its estimate (_cutoff_line)


@dataclass(frozen=True)
class _Grammar:
    """lark's analysed grammar as the fast path reads it, shared by both modes of its patterns (_tables)."""

    terminals: dict  # terminal name -> its regular expression
    ignore: str  # the regular expression of what lark ignores between tokens (spacing)
    # the fields of _Tables of the same names, the dicts the caches both modes fill
    actions: dict
    start: int
    end: int
    keywords: dict
    punctuation: dict
    kept: frozenset
    flow_keywords: frozenset
    grows: dict
    paths: dict
    runs: dict
    process_steps: dict


# lark's analysed grammar, as the fast path reads it, is kept between runs beside lark's own cache.
# Building lark's parser from that cache costs 6.7 ms of a fresh process and analysing its table 1 ms
# more, a tenth of the cold load of the 1k benchmark model, where the fast path needs neither the Lark
# object nor its lexers: only the terminals' patterns, the parse table and the tree-building callbacks,
# which are lark's wrappers around the transformer's methods and are made again from a few names and
# numbers (_described, _rebuilt). lark's parser is then built only when the fast path gives up.

_ANALYSIS_HEADER = b"pcf_dsl fast-path grammar\n"


@lru_cache(maxsize=1)
def _grammar() -> _Grammar:
    """What the fast path needs from lark's analysed grammar, whatever its patterns' mode (_tables): from
    the cache of it when that is there and whole (_read_analysis), else from lark's parser, and then cached.

    Its states need not be numbered as those of the parser() of this process (lark's cache may have been
    made again since): the fast path reads its own table only, and lark's parser, where it takes over,
    parses the text again from its start."""
    cache = _analysis_cache()
    analysis = None if cache is None else _read_analysis(*cache)
    if analysis is not None:
        try:
            return _grammar_of(analysis, [_rebuilt(how) for _, _, how in analysis["rules"]])
        except Exception:  # read whole but not of this shape: made again from lark's parser, and written over
            pass
    analysis, callbacks = _analysed(parser())
    grammar = _grammar_of(analysis, callbacks)
    if cache is not None and all(how is not None for _, _, how in analysis["rules"]):
        _write_analysis(*cache, analysis)
    return grammar


def _analysed(lark: Lark) -> tuple[dict, list]:
    """lark's analysed grammar as plain data, as _grammar_of reads it, and lark's callbacks of its rules
    (in the order of the data's "rules", each described there by _described)."""
    from lark.parsers.lalr_analysis import Shift

    conf = lark.parser.parser.parser
    table = conf.parse_table
    callbacks = conf.callbacks
    if any(isinstance(key, str) for key in callbacks):
        raise RuntimeError("the fast path assumes no terminal callbacks in the transformer")
    # Every name as a plain str: a Lark built afresh (not from its cache) names its rules with Tokens.
    terminals = {str(t.name): t.pattern for t in lark.terminals}
    keywords = {str(p.value): name for name, p in terminals.items() if p.type == "str" and p.value.isidentifier()}
    punctuation = {str(p.value): name for name, p in terminals.items()
                   if p.type == "str" and not p.value.isidentifier()}
    if any(len(text) != 1 for text in punctuation):
        raise RuntimeError("the fast path assumes one-character punctuation")
    rules = list(callbacks)
    numbers = {rule: number for number, rule in enumerate(rules)}
    return {
        "terminals": {name: pattern.to_regexp() for name, pattern in terminals.items()},
        "ignore": "|".join(terminals[name].to_regexp() for name in lark.lexer_conf.ignore),
        "keywords": keywords,
        "punctuation": punctuation,
        "kept": frozenset(str(sym.name) for rule in rules for sym in rule.expansion
                          if sym.is_term and not sym.filter_out),
        # (the name lark looks the transformer's method up by, as in ParseTreeBuilder.create_callback)
        "rules": [(str(rule.origin.name), len(rule.expansion),
                   _described(callbacks[rule], str(rule.alias or rule.options.template_source or rule.origin.name)))
                  for rule in rules],
        # state -> {terminal or rule name: the state shifted to, or ~ the number of the rule reduced}
        "states": {state: {str(name): arg if action is Shift else ~numbers[arg] for name, (action, arg) in row.items()}
                   for state, row in table.states.items()},
        "start": table.start_states["start"],
        "end": table.end_states["start"],
    }, [callbacks[rule] for rule in rules]


def _grammar_of(analysis: dict, callbacks: list) -> _Grammar:
    """The fast path's grammar from the plain data of _analysed and the rules' callbacks (lark's own, or
    _rebuilt's from the data)."""
    def reduce(origin, size, callback):
        if origin.startswith("_"):
            callback = _inlined_rule(origin, callback)
        elif isinstance(callback, ExpandSingleChild) and size == 1:
            callback = None  # `?sum: scaled` hands its one child up unchanged: no call, no list
        elif isinstance(callback, ChildFilterLALR_NoPlaceholders):
            callback = _child_filter(callback.to_include, callback.node_builder)
        return (size, origin, callback)

    reductions = [reduce(origin, size, callback) for (origin, size, _), callback in zip(analysis["rules"], callbacks,
                                                                                         strict=True)]
    # One list read by each action's number: a state's shift from the front, ~ a rule's reduction from
    # the back (a third faster than telling the two apart for each of the 1,800 actions).
    states = analysis["states"]
    actions_by_number = [(state,) for state in range(max(states) + 1)] + reductions[::-1]
    actions = {state: {name: actions_by_number[arg] for name, arg in row.items()} for state, row in states.items()}
    keywords = analysis["keywords"]
    return _Grammar(analysis["terminals"], analysis["ignore"], actions, analysis["start"], analysis["end"], keywords,
                    analysis["punctuation"], analysis["kept"], frozenset(keywords[k] for k in _FLOW_KINDS),
                    {}, {}, {}, {})


def _default_tree(data, children):
    """The tree of a rule the transformer has no method for, as lark makes it with the transformer embedded."""
    return _TRANSFORMER.__default__(data, children, None)


def _described(callback, name: str) -> tuple | None:
    """lark's tree-building callback of a rule (`name`: the transformer's method for it, if it has one) as
    plain data that _rebuilt makes the same callback from; None for a callback of another shape than lark
    makes with parser()'s options (the grammar is then not cached).

    lark (ParseTreeBuilder.create_callback) wraps the transformer's method of
    the rule, or its default tree, in ExpandSingleChild for a `?rule` and in
    a child filter where tokens are filtered out or an inlined rule spliced.
    """
    if type(callback) is ChildFilterLALR_NoPlaceholders:
        inner = _described(callback.node_builder, name)
        return None if inner is None else ("filter", tuple((i, expand) for i, expand in callback.to_include), inner)
    if type(callback) is ExpandSingleChild:
        inner = _described(callback.node_builder, name)
        return None if inner is None else ("expand1", inner)
    if getattr(callback, "__self__", None) is _TRANSFORMER and getattr(_TRANSFORMER, name, None) == callback:
        return ("method", name)
    if isinstance(callback, partial) and callback.args == (name,) and not callback.keywords:
        # lark's own default callback (a function of its making): taken for _default_tree if it makes its tree
        try:
            tree, ours = callback.func("probe", ["child"]), _default_tree("probe", ["child"])
        except Exception:
            return None
        if type(tree) is type(ours) and tree == ours:
            return ("tree", name)
    return None


def _rebuilt(how: tuple):
    """The callback that _described described as `how`."""
    kind = how[0]
    if kind == "filter":
        return ChildFilterLALR_NoPlaceholders([tuple(item) for item in how[1]], _rebuilt(how[2]))
    if kind == "expand1":
        return ExpandSingleChild(_rebuilt(how[1]))
    if kind == "method":
        return getattr(_TRANSFORMER, how[1])
    if kind == "tree":
        return partial(_default_tree, how[1])
    raise ValueError(f"not a callback's description: {how!r}")


def _analysis_cache() -> tuple[str, bytes] | None:
    """Where the fast path's grammar is kept, beside lark's cache (in the same private folder), and the key
    it must carry: a hash of what it is made from (the grammar; this module, which holds the transformer,
    lark's options and _analysed; lark's version; Python's, which marshal's format may change with).
    None where there is no cache to use."""
    lark_cache = _grammar_cache()
    if not lark_cache:
        return None
    try:
        parts = [grammar_path().read_bytes(), Path(__file__).read_bytes(), _LARK_VERSION.encode(), sys.version.encode()]
    except OSError:
        return None
    key = hashlib.sha256()
    for part in parts:
        key.update(len(part).to_bytes(8, "little"))
        key.update(part)
    return os.path.join(os.path.dirname(lark_cache), "grammar.fast-cache"), key.digest()


def _read_analysis(path: str, key: bytes) -> dict | None:
    """The analysis cached at `path` under `key`, or None where it is missing, of another key, or damaged
    (its body is checked against the hash written with it before marshal reads it)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    head = _ANALYSIS_HEADER + key
    body = data[len(head) + 32:]
    if not data.startswith(head) or data[len(head):len(head) + 32] != hashlib.sha256(body).digest():
        return None
    try:
        analysis = marshal.loads(body)
    except Exception:  # (ValueError, EOFError, TypeError: what marshal raises on bytes not its own)
        return None
    return analysis if type(analysis) is dict else None


def _write_analysis(path: str, key: bytes, analysis: dict) -> None:
    """Cache `analysis` at `path` under `key`; never fails a run. Written to a file of its own first and
    moved in place, so that a process starting meanwhile reads the old file or the new one, never half."""
    try:
        body = marshal.dumps(analysis)
        fd, temporary = tempfile.mkstemp(prefix=".grammar.", suffix=".tmp", dir=os.path.dirname(path))
    except (OSError, ValueError):
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_ANALYSIS_HEADER + key + hashlib.sha256(body).digest() + body)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


@lru_cache(maxsize=2)
def _tables(ascii_only: bool = False) -> _Tables:
    """The fast path's tables: the grammar's (_grammar, one for both modes, and with it the caches of the
    readers' states), and its patterns, compiled with re.ASCII for a text that is all ASCII.

    On such a text both modes read the same: for an ASCII character, `\\w`
    and `\\d` in Unicode mode are [A-Za-z0-9_] and [0-9], as with re.ASCII,
    whose checks are a table lookup instead of a Unicode database lookup.
    (Not so `\\s`, which in Unicode mode also takes \\x1c-\\x1f, nor
    IGNORECASE: no pattern here uses them, and _compiled checks it.) The 10k
    benchmark model parses 7 % faster: 0.61 against 0.66 s. Each mode's
    patterns are compiled when a text first needs them (4.4 ms for the nine).
    """
    grammar = _grammar()
    terminals, ignore, keywords, punctuation = grammar.terminals, grammar.ignore, grammar.keywords, grammar.punctuation

    compile_ = partial(_compiled, ascii_only=ascii_only)
    # Spacing is matched in front of each token, not as a token of its own: a third
    # fewer turns of the loop. Order matters (the first alternative that matches
    # wins): a date before a number, as DATE's priority makes lark try it first.
    pattern = compile_(f"(?:{ignore})?(?:" + "|".join([
        f"(?P<_NL>{terminals['_NL']})",
        f"(?P<STRING>{terminals['STRING']})",
        f"(?P<DATE>{terminals['DATE']})",
        f"(?P<NUMBER>{terminals['NUMBER']})",
        f"(?P<NAME>{terminals['NAME']})",
        "(?P<PUNCT>[" + "".join(re.escape(ch) for ch in punctuation) + "])",
    ]) + ")")

    # Each terminal taken whole, as a lexer reads it (_whole): a word, a number or a run of spacing is
    # never given back in part to try the rest of the line again. Same lines read, a third less time per
    # line (6.7 against 4.2 us, the 10k benchmark model's flow lines).
    space, name, number = _whole(ignore), _whole(terminals["NAME"]), _whole(terminals["NUMBER"])
    words = (
        rf"(?P<kw>{'|'.join(_FLOW_KINDS)}){space}(?P<name>{name}){space}(?P<num>{number}){space}(?P<u1>{name})"
        # (a clause's keyword is not tried as a second unit: the reader leaves a keyword unit to the loop)
        rf"(?:(?P<op>{space}?[*/]{space}?|{space})(?!(?:of|from|to|with|cutoff)(?!\w))(?P<u2>{name}))?"
        rf"(?:{space}of{space}(?P<of>{name}))?"
        rf"(?:{space}(?P<src>from|to|with){space}(?P<ref>{name}(?:\.{name})*))?"
        rf"(?P<block>{space}?\{{{space}?\n{space}?(?P<attr>group|stage){space}(?P<value>{name})"
        rf"{space}?\n{space}?\}})?")
    flow_line = compile_(words + rf"(?={space}?(?P<next>[\n#{{]))")
    # The same line after the newline that ends the one before, and ending at a newline (no comment, no
    # block but the one-line one), for _flow_lines: one match per line of a run, from where the last ended.
    run_line = compile_(rf"{space}?\n{space}?" + words + rf"(?={space}?\n)")
    # A process's opening up to its `stage` line, and its closing brace, for _process_block.
    process_open = compile_(
        rf"process{space}(?P<name>{name})(?:{space}(?P<label>{terminals['STRING']}))?{space}?\{{"
        rf"{space}?\n{space}?stage{space}(?P<stage>{name})"
        rf"(?:{space}?\n{space}?quality(?P<quality>(?:{space}{name}{space}?={space}?(?:{name}|{terminals['INT']}))+))?"
        rf"(?={space}?\n)")
    quality_score = compile_(rf"{space}(?P<criterion>{name}){space}?={space}?(?P<value>{name}|(?P<int>"
                               rf"{terminals['INT']}))")
    process_close = compile_(rf"{space}?\n{space}?\}}(?={space}?\n)")
    # An allocation line and the lines of its block, for _allocation_block: a share or property whose
    # value is a number with `%` or with at most two units (as a flow line's amount), or the justification.
    allocation_open = compile_(rf"{space}?\n{space}?allocation{space}(?P<method>{name})(?P<block>{space}?\{{)?"
                                 rf"(?={space}?\n)")
    allocation_line = compile_(
        rf"{space}?\n{space}?(?:(?P<tag>share|property){space}(?P<product>{name}){space}(?P<num>{number})"
        rf"(?:{space}?(?P<pct>%)|{space}(?P<u1>{name})(?:(?P<op>{space}?[*/]{space}?|{space})(?P<u2>{name}))?)?"
        rf"|justification{space}(?P<text>{terminals['STRING']}))(?={space}?\n)")
    # An input cut off, `input NAME AMOUNT cutoff ["reason"]`, maybe with the one-line block `{`, `estimate
    # AMOUNT`, `}` on lines of their own (each amount a number and at most two units), for _cutoff_line.
    amount = (rf"(?P<num>{number}){space}(?P<u1>{name})"
              rf"(?:(?P<op>{space}?[*/]{space}?|{space})(?!cutoff(?!\w))(?P<u2>{name}))?")
    cutoff_line = compile_(
        rf"{space}?\n{space}?input{space}(?P<name>{name}){space}{amount}{space}cutoff"
        rf"(?:{space}(?P<reason>{terminals['STRING']}))?"
        rf"(?P<block>{space}?\{{{space}?\n{space}?estimate{space}"
        + amount.replace("(?P<", "(?P<e_") + rf"{space}?\n{space}?\}})?(?={space}?\n)")
    if flow_line.groupindex != _FLOW_GROUPS or run_line.groups != _FLOW_GROUPS["next"] - 1:
        raise RuntimeError("the flow line reader reads its groups by number: they moved")
    return _Tables(pattern, grammar.actions, grammar.start, grammar.end, keywords, punctuation, grammar.kept,
                   flow_line.match, grammar.flow_keywords, grammar.grows, grammar.paths, run_line, grammar.runs,
                   process_open.match, process_close.match, grammar.process_steps, quality_score.finditer,
                   allocation_open.match, allocation_line.match, cutoff_line.match)


def _whole(regexp: str) -> str:
    """`regexp` matched whole or not at all: never given back in part for the rest of the pattern to try
    again. A run of one class at the end (`[\\t ]+`, `[^\\W\\d]\\w*`) is made possessive (`++`, `*+`), which
    sre runs in 12 % fewer instructions than the atomic group that anything else is put in (the 1k
    benchmark model's flow lines, callgrind). Both read the same: the class before the run, if any,
    takes one character, which leaves nothing else to give back."""
    one_class = r"(?:\[(?:[^\]\\]|\\.)*\]|\\[a-zA-Z])"  # `[...]` (escapes inside taken as such), or `\w`, `\d`, ...
    if re.fullmatch(f"{one_class}?{one_class}[+*]", regexp):
        return f"(?:{regexp}+)"
    return f"(?>{regexp})"


def _compiled(source: str, ascii_only: bool) -> re.Pattern:
    """`source` compiled, with re.ASCII for an all-ASCII text; a pattern that ASCII mode would read
    differently on such a text (`\\s`, `\\S`, IGNORECASE) is refused."""
    if not ascii_only:
        return re.compile(source)
    pattern = re.compile(source, re.ASCII)
    if re.search(r"\\[sS]", source.replace("\\\\", "")) or pattern.flags & re.IGNORECASE:
        raise RuntimeError(f"re.ASCII would change what this pattern reads on an ASCII text: {source[:60]}")
    return pattern


# An inlined rule (`_process_line`, `__process_star_7`: a leading underscore) never reaches the
# syntax tree: its parent's child filter splices its children in. lark makes a Tree for it first,
# through the transformer's default callback, and the filter reads the Tree's children; 180,000 of
# the 310,000 reductions of the 10k benchmark model are of such rules. The fast path hands a plain
# list up instead, and its own filters (the same as lark's ChildFilterLALR_NoPlaceholders) splice it.
def _inlined_rule(rule, callback):
    """What reducing the inlined `rule` (its name, or lark's Rule) gives the fast path: its children,
    filtered, as a list."""
    name = rule if isinstance(rule, str) else rule.origin.name
    to_include = None
    if isinstance(callback, ChildFilterLALR_NoPlaceholders):
        to_include, callback = callback.to_include, callback.node_builder
    if not (isinstance(callback, partial) and callback.args == (name,)):
        # A transformer method, or a wrapper such as `?_rule`'s: the splice below would be wrong.
        raise RuntimeError(f"the fast path assumes lark's default tree for the inlined rule {name}")
    return list if to_include is None else _child_filter(to_include, None)


def _child_filter(to_include, node_builder):
    """lark's child filter, reading an inlined child as the list _inlined_rule gives; with no
    node_builder, the filtered children are the value (an inlined rule's)."""
    to_include = tuple(to_include)
    if node_builder is None and to_include == ((0, True),):  # `__process_star_7: _process_line _NL`
        return itemgetter(0)
    if node_builder is None and to_include == ((0, True), (1, True)):  # `... : __process_star_7 _process_line _NL`
        def grow(children):
            items = children[0]
            items += children[1]
            return items

        return grow

    def child_filter(children):
        filtered = []
        for i, to_expand in to_include:
            if to_expand:
                if filtered:
                    filtered += children[i]
                else:  # as lark: a left-recursive list grows in place
                    filtered = children[i]
            else:
                filtered.append(children[i])
        return filtered if node_builder is None else node_builder(filtered)

    return child_filter


def _parse_fast(text: str, transformer: _ToSyntax) -> list:
    """The items of `text`, exactly as lark's parser would give them; raises _GiveUp when unsure."""
    tables = _tables(text.isascii())
    actions, keywords, punctuation, kept, end = tables.actions, tables.keywords, tables.punctuation, tables.kept, tables.end
    flow_keywords = tables.flow_keywords
    new_str = str.__new__
    names: dict[str, str] = {}
    dotted: dict[str, tuple] = {}  # a reference or unit as written -> its parts, one tuple for each spelling
    states = [tables.start]
    values: list = []
    line, line_start = 1, 0
    match = tables.pattern.scanner(text).match
    pos, size = 0, len(text)
    while True:
        m = match()
        row = actions[states[-1]]
        if m is None:
            if pos != size:
                raise _GiveUp  # a character no terminal starts with: lark reports it
            kind = token = "$END"
        else:
            kind = m.lastgroup
            value = m.group(kind)
            if kind == "NAME":
                kind = keywords.get(value)
                if kind is None or kind not in row:
                    kind = "NAME"
                    # One string per distinct name: a large model repeats its units and
                    # process names hundreds of thousands of times.
                    value = names.setdefault(value, value)
            elif kind == "NUMBER":
                if "NUMBER" not in row:
                    if not value.isdigit():
                        raise _GiveUp  # lark would read an INT and stop at the "."
                    kind = "INT"
                if len(value) > MAX_NUMBER_LENGTH or "-" in value:
                    transformer.on_number(_token(kind, value, line, m.start(m.lastindex) - line_start + 1))
            elif kind == "PUNCT":
                kind = punctuation[value]
                if kind == "LPAR":
                    transformer.on_lpar(_token(kind, value, line, m.start(m.lastindex) - line_start + 1))
                elif kind == "RPAR":
                    transformer.on_rpar(None)
            if kind in kept:
                token = new_str(_FastToken, value)
                start = m.start(m.lastindex)
                token.type, token.value, token.start_pos, token.end_pos = kind, value, start, m.end()
                token.line = token.end_line = line
                token.column = start - line_start + 1
                token.end_column = token.column + len(value)
            else:
                token = kind
        while True:
            action = row.get(kind)
            if action is None:
                raise _GiveUp  # a syntax error: lark reports it
            if len(action) == 1:
                head = None
                if kind in flow_keywords:
                    read = _flow_line(text, m.start(m.lastindex), states, values, tables, transformer, line,
                                      line_start, names, dotted)
                    if read is not None:  # the flow line (or its head) is on the stacks: read on from its end
                        head, line, line_start = _flow_run(text, read[0], states, values, tables, transformer,
                                                           read[1], read[2], names, dotted)
                        match = tables.pattern.scanner(text, head).match
                        break
                elif kind == "PROCESS":
                    read = _process_block(text, m.start(m.lastindex), states, values, tables, transformer, line,
                                          line_start, names, dotted)
                    if read is not None:  # the whole process is on the stacks, reduced: read on after its `}`
                        head, line, line_start = _process_run(text, read, states, values, tables, transformer,
                                                              names, dotted)
                        match = tables.pattern.scanner(text, head).match
                        break
                states.append(action[0])
                values.append(token)
                break
            count, origin, callback = action
            if callback is None:
                states[-1] = actions[states[-2]][origin][0]
                row = actions[states[-1]]
                continue
            if count:
                children = values[-count:]
                del states[-count:]
                del values[-count:]
            else:
                children = []
            values.append(callback(children))
            states.append(actions[states[-1]][origin][0])
            if states[-1] == end and kind == "$END":
                return values[-1]
            row = actions[states[-1]]
        if head is not None:
            pos = head
            continue
        if kind == "$END":
            raise _GiveUp
        pos = m.end()
        if kind == "_NL":
            newlines = value.count("\n")
            if newlines:
                line += newlines
                line_start = pos - len(value) + value.rindex("\n") + 1


def _compiled_reader():
    """The compiled flow line reader (`_flowline.c`: what run_line, _words_refused and _line_words do for
    a line, in one call), or None: when it was not built (no C compiler where pcf_dsl was installed),
    when it was built from another version of `_flowline.c` (an editable install after a pull) or with
    other length limits than limits.py's, or when PCF_DSL_PURE_PYTHON is set. Without it the pattern
    reads every line, as it reads whatever the compiled reader leaves it; the results are the same
    (tests/test_flowline_compiled.py)."""
    if os.environ.get("PCF_DSL_PURE_PYTHON"):
        return None
    try:
        from . import _flowline
    except ImportError:
        return None
    try:
        source = Path(__file__).with_name("_flowline.c").read_bytes()
    except OSError:
        source = None  # an install without the source: the module is the one built with it
    if source is not None and getattr(_flowline, "SOURCE_SHA256", None) != hashlib.sha256(source).hexdigest():
        return None
    if (_flowline.MAX_NUMBER_LENGTH, _flowline.MAX_EXPRESSION_LENGTH) != (MAX_NUMBER_LENGTH, MAX_EXPRESSION_LENGTH):
        # It would read lines limits.py now refuses: not used (the tests fail on it; a user still gets answers).
        return None
    return _flowline.read_flow_line


_COMPILED_READER = _compiled_reader()


# The flow lines a large model is made of, read by one regular expression instead of token by
# token: `input NAME NUMBER UNIT [*|/ UNIT | UNIT] [of NAME] [from|to|with REF]`, up to the end of
# the line, a comment or a `{`. It reads 77,598 of the 77,894 flow lines of the 10k benchmark model
# (the others have a label or a `cutoff`), and parses it in 2.5 s instead of 3.75 s.
_FLOW_KINDS = ("input", "product", "waste", "loss", "emit")
_OPERATORS = {"*": "*", "/": "/", "": "juxt"}
# The numbers of the flow line pattern's groups (NUMBER's own two groups are 4 and 5), as _flow_line reads them.
_FLOW_GROUPS = {"kw": 1, "name": 2, "num": 3, "u1": 6, "op": 7, "u2": 8, "of": 9, "src": 10, "ref": 11, "block": 12,
                "attr": 13, "value": 14, "next": 15}


def _flow_line(text: str, start: int, states: list, values: list, tables: _Tables, transformer, line: int,
               line_start: int, names: dict, dotted: dict, m=None) -> tuple[int, int, int] | None:
    """Read the flow line at `start` onto the parser's stacks, as the loop would have: (its end, the
    line and the offset of the line it ends on), or None.

    A whole line (up to its end or a comment) goes on as the reduced flow, in
    the state the table gives after it (where the table reduces it at the end
    of the line). So does a line with the one-line block a large model writes
    most, `{`, `group NAME` or `stage NAME`, `}` on lines of their own: at 10k
    processes these blocks were 89,000 of the 242,000 tokens left to the loop.
    A line that goes on with any other `{` block goes on as the loop leaves its
    head before the block (a keyword placeholder, the name's token, the
    amount's `expr`, the clauses), and the loop reads the block and reduces the
    flow as always. The nodes are the ones the transformer makes (_ToSyntax:
    number, ref, name, juxt_mul, mul, div, the clauses, group, stage_ref,
    attrs, _flow), made here directly; tests/test_properties.py holds the two
    to the same tree.

    None, with nothing pushed, for any other line, and wherever the words might
    not be what the pattern takes them for: a unit that is a keyword (`1 kg
    from`), a number or an amount over its length limit, a clause the parse
    table does not allow after this keyword (`product ... from`), a flow the
    table does not end there (an input without `from` or `cutoff`).
    """
    if m is None:  # (_flow_run has matched it already)
        m = tables.flow_line(text, start)
        if m is None:
            return None
    # Every group in one call (_FLOW_GROUPS gives their numbers), the spans asked for one by one (_line_words).
    groups = m.groups()
    kind, of, source, attribute, next_char = groups[0], groups[8], groups[9], groups[12], groups[14]
    if _words_refused(groups, m, tables.keywords):
        return None
    if attribute is not None and next_char == "{":
        return None  # a second block after the first
    whole = next_char != "{"
    # The states first, so that a line the table refuses leaves the stacks as they were.
    key = (states[-1], kind, of is not None, source, whole, attribute)
    path = tables.paths.get(key, False)
    if path is False:  # the first such line in this state
        path = tables.paths[key] = _flow_path(tables, *key)
    if path is None:
        return None
    # The line as its words and columns (S.FlowLine): nodes are made only if something asks for them.
    flow, end, line, line_start = _line_words(groups, m, text, line, line_start - 1, names, dotted, transformer)
    states.extend(path)
    if whole:
        values.append(flow)
        return end, line, line_start
    # The head before its block, as the loop leaves it: the keyword's placeholder, the name's token, the
    # amount's expression, the clauses (the nodes the line's FlowLine makes).
    name, (name_from, name_to), at = flow[1], m.span(2), line_start - 1
    tail = []
    if flow.of_input is not None:
        tail.append(("of", flow.of_input))
    if flow.source is not None:
        tail.append((flow[7], flow.source))
    token = str.__new__(_FastToken, name)
    token.type, token.value, token.start_pos, token.end_pos = "NAME", name, name_from, name_to
    token.line = token.end_line = line
    token.column, token.end_column = name_from - at, name_to - at
    values.extend([tables.keywords[kind], token, flow.amount, *tail])
    return end, line, line_start


def _flow_path(tables: _Tables, state: int, kind: str, of: bool, source: str | None, whole: bool,
               attribute: str | None) -> tuple | None:
    """The states a flow line of this shape pushes in `state`, as the table gives them; None where it
    refuses one: the reduced flow's state for a whole line (with its one-line `group` or `stage` block,
    if `attribute` names one), the states of its head before a `{` block."""
    actions = tables.actions
    clauses = ["emit_of"] if of else []  # the rules the clauses reduce to, in order
    if source is not None:
        clauses.append("input_source" if source == "from" else "emit_with" if (source, kind) == ("with", "emit")
                       else "waste_route")
    row = actions[state]
    path = [row[tables.keywords[kind]][0]]
    for symbol in ("NAME", "expr", *clauses):
        action = actions[path[-1]].get(symbol)
        if action is None or len(action) != 1:
            return None
        path.append(action[0])
    if not whole:
        return tuple(path)
    if attribute is not None:
        block = _block_state(tables, [state, *path], attribute)
        if block is None:
            return None
        path.append(block)
    # The table must end the flow here (`input x 1 kg` without its source does not end).
    action = actions[path[-1]].get("_NL")
    if action is None or len(action) != 3 or action[:2] != (len(path), kind):
        return None
    return row[kind]


def _block_state(tables: _Tables, states: list, attribute: str) -> int | None:
    """The state after a flow head's block, `{`, `attribute NAME`, `}` on lines of their own, where the
    table reads those tokens, up to the newline after the `}`, into one `attrs` over the head; else None.

    Found by running the table's steps on the states alone (values do not
    change them). A reduction that would reach into the head is a no: the
    block would not be a node of its own. So is a keyword the table takes
    where the attribute's word goes: the pattern reads any word there as a
    NAME, which the loop does only where no keyword fits.
    """
    actions, keywords, sim = tables.actions, set(tables.keywords.values()), list(states)
    for kind in ("LBRACE", "_NL", tables.keywords[attribute], "NAME", "_NL", "RBRACE"):
        if kind == "NAME" and not keywords.isdisjoint(actions[sim[-1]]):
            return None
        shifted = _reduce_before(actions, kind, sim, floor=len(states))
        if shifted is None:
            return None
        sim.append(shifted)
    action = actions[sim[-1]].get("_NL")  # at the newline after the `}`, the block and only it is `attrs`
    if action is None or len(action) == 1 or action[:2] != (len(sim) - len(states), "attrs"):
        return None
    return actions[states[-1]]["attrs"][0]


def _flow_run(text: str, end: int, states: list, values: list, tables: _Tables, transformer, line: int,
              line_start: int, names: dict, dotted: dict) -> tuple[int, int, int]:
    """After a flow line, read on while the next line is a whole flow line too: (end, line, line_start).

    Most lines of a large model are flow lines one after the other in a process
    body, `(_process_line _NL)*`. Between two of them the loop would lex the
    newline, reduce the flow to `_process_line`, shift the newline, lex the next
    keyword and reduce the three into the body's list, which grows in place:
    four turns of the loop and a new scanner for one `append`. Here the flow
    goes straight onto that list, where _grows has found from the parse table
    that this is all those steps do. The line read last stays on the stacks as
    _flow_line left it, and the loop goes on from its end.
    """
    newline, flow_line, grows = tables.pattern.match, tables.flow_line, tables.grows
    while type(values[-1]) is S.FlowLine and len(values) > 1:  # a whole line (not a head before its block)
        end, line, line_start = _flow_lines(text, end, states, values, tables, transformer, line, line_start, names,
                                            dotted)
        # The line after the run (blank lines or a comment before it, a comment after it, ...), one at a time.
        m = newline(text, end)
        if m is None or m.lastgroup != "_NL":
            break
        pos = m.end()
        next_line = flow_line(text, pos)
        if next_line is None:
            break
        key = (states[-3], states[-2], values[-1].kind, next_line.group("kw"))
        answer = grows.get(key)
        if answer is None:
            answer = grows[key] = _grows(tables, states, values, key[3])
        if not answer:
            break
        flow = values.pop()
        states.pop()
        values[-1].append(flow)
        spacing = m.group("_NL")
        if "\n" in spacing:
            line += spacing.count("\n")
            line_start = pos - len(spacing) + spacing.rindex("\n") + 1
        read = _flow_line(text, pos, states, values, tables, transformer, line, line_start, names, dotted, next_line)
        if read is None:  # the next line is the loop's, from its keyword on
            return pos, line, line_start
        end, line, line_start = read
    return end, line, line_start


def _flow_lines(text: str, end: int, states: list, values: list, tables: _Tables, transformer, line: int,
                line_start: int, names: dict, dotted: dict) -> tuple[int, int, int]:
    """After a whole flow line, read on over the plain whole flow lines that follow it: (end, line, line_start).

    A plain line follows the one before after a single newline and ends at a
    newline (no comment; no block but the one-line `group` or `stage` one).
    One call each, the compiled reader's (_COMPILED_READER), or else one
    match of tables.run_line from where the last line ended, its words
    straight into an S.FlowLine (_line_words): the loop of _flow_run and
    _flow_line cost 5 us a line where the pattern costs 1. The line on top
    of the stacks goes onto the body's list, as _flow_run does, where the
    table says (_run_state) that this is all the loop would do, and the new
    line takes its place. Any line the checks of _flow_line would refuse
    ends the run, with the stacks as they were, and _flow_run decides.
    """
    run_line, runs, keywords, compiled = tables.run_line.match, tables.runs, tables.keywords, _COMPILED_READER
    under, body, flow, file = (states[-3], states[-2]), values[-2], values[-1], transformer.file
    while True:
        # The compiled reader first (_COMPILED_READER); the pattern for what it leaves.
        read_line = None if compiled is None else compiled(text, end, line + 1, names, dotted, file, S.FlowLine,
                                                           keywords)
        if read_line is not None:
            kind, of, source, attribute = read_line[0][0], read_line[0][6], read_line[0][7], read_line[0][9]
        else:
            m = run_line(text, end)
            if m is None:
                break
            groups = m.groups()
            kind, of, source, attribute = groups[0], groups[8], groups[9], groups[12]
            if _words_refused(groups, m, keywords):
                break
        key = (under, flow[0], kind, of is not None, source, attribute)
        state = runs.get(key, False)
        if state is False:
            state = runs[key] = _run_state(tables, states, values, kind, of is not None, source, attribute)
        if state is None:
            break
        body.append(flow)
        if read_line is None:
            read_line = _line_words(groups, m, text, line + 1, text.index("\n", m.start()), names, dotted, transformer)
        flow, end, line, line_start = read_line
        states[-1] = state
        values[-1] = flow
    return end, line, line_start


def _words_refused(groups: tuple, m: re.Match, keywords: dict) -> bool:
    """Whether a flow line's words (`m` matched them, `groups` are its groups) are left to the loop: a unit
    that is a keyword (`1 kg from`), a number or an amount over its length limit (the loop reads those, and
    reports the limits). The amount is measured only on a line longer than its limit."""
    number, u1, u2 = groups[2], groups[5], groups[7]
    return (u1 in keywords or u2 in keywords or len(number) > MAX_NUMBER_LENGTH
            or m.end() - m.start() > MAX_EXPRESSION_LENGTH
            and m.end(8 if u2 is not None else 6) - m.start(3) > MAX_EXPRESSION_LENGTH)


def _line_words(groups: tuple, m: re.Match, text: str, line: int, at: int, names: dict, dotted: dict,
                transformer) -> tuple[S.FlowLine, int, int, int]:
    """The S.FlowLine of a whole flow line that `m` matched with either flow line pattern (`groups` are its
    groups, numbered as _FLOW_GROUPS), on line `line`, whose text starts after the offset `at`; and where
    it ends: (the flow, its end, the line it ends on, that line's offset). A number too small for a float
    is refused here, as lark's lexer would refuse it (E305).

    The spans are asked for one by one, only the ones the line has: `m.regs`
    made all fifteen, each with two new ints (offsets in a large file are
    beyond the small ints Python keeps), 0.65 us a line against 0.2.
    """
    (kind, name, number, _, _, u1, op, u2, of, source, written, _, attribute, value) = groups[:14]
    setdefault = names.setdefault
    num_from = m.start(3)
    if "-" in number:
        transformer.on_number(_token("NUMBER", number, line, num_from - at))
    name = setdefault(name, name)
    name_from, name_to = m.span(2)
    u1_from, u1_to = m.span(6)
    u1 = setdefault(u1, u1)
    if u2 is not None:
        u2_from, u2_to = m.span(8)
        u2, op = setdefault(u2, u2), _OPERATORS[op.strip()]
        u2_col, u2_end = u2_from - at, u2_to - at
    else:
        op = u2_col = u2_end = None
    if of is not None:
        of_from, of_to = m.span(9)
        of, of_col, of_end = setdefault(of, of), of_from - at, of_to - at
    else:
        of_col = of_end = None
    if source is not None:
        ref_from, ref_to = m.span(11)
        parts = dotted.get(written)
        if parts is None:  # most references are to a supplier named once: no split for a name without a dot
            parts = dotted[written] = ((setdefault(written, written),) if "." not in written
                                       else tuple([setdefault(part, part) for part in written.split(".")]))
        ref_col, ref_end = ref_from - at, ref_to - at
    else:
        parts = ref_col = ref_end = None
    end = m.end()
    file = transformer.file
    if attribute is None:
        return tuple.__new__(S.FlowLine, (
            kind, name, number, u1, op, u2, of, source, parts, None, None, file, line, name_from - at,
            name_to - at, num_from - at, u1_from - at, u1_to - at, u2_col, u2_end, of_col, of_end, ref_col,
            ref_end, end - at, None, None)), end, line, at + 1
    # The block's word, on the line after the flow's (its columns from the newline before it); the block
    # ends on the line after that.
    line_end = m.start(12)
    value_from, value_to = m.span(14)
    value_at = text.rindex("\n", line_end, value_from)
    return tuple.__new__(S.FlowLine, (
        kind, name, number, u1, op, u2, of, source, parts, attribute, setdefault(value, value), file, line,
        name_from - at, name_to - at, num_from - at, u1_from - at, u1_to - at, u2_col, u2_end, of_col,
        of_end, ref_col, ref_end, line_end - at, value_from - value_at, value_to - value_at)), \
        end, line + 2, text.rindex("\n", value_to, end) + 1


def _process_block(text: str, start: int, states: list, values: list, tables: _Tables, transformer, line: int,
                   line_start: int, names: dict, dotted: dict) -> tuple[int, int, int] | None:
    """Read a plain process at `start` whole, and push it reduced, as the table would have it once it has
    read the process and the newline after its `}`: (the end of the `}`, its line, that line's offset), or
    None, with nothing pushed.

    A plain process is most of a large model: its opening, `process NAME
    ["label"] {`, then its `stage` line, maybe a `quality` line, then plain
    flow lines (as _flow_lines reads them), maybe an allocation line with its
    block (_allocation_block), then `}`, each after a single newline. The
    loop spent 25 us on the opening, the closing and the reductions of each
    (70 us more with a quality line); here they are two pattern matches and
    the nodes the transformer would make (S.Process with its name, label,
    stage and quality scores). Whether the table reads such
    a process here, and so, is found by running its steps on the states
    alone, once for each state, opening and shape of line (_process_step).
    An input cut off, with its estimate, is read too (_cutoff_line). Anything
    else (a comment, a blank line, a line the checks of _flow_line,
    _cutoff_line or _allocation_block refuse) is None: the loop reads the
    process.
    """
    opening = tables.process_open(text, start)
    if opening is None:
        return None
    run_line, keywords, steps, compiled = tables.run_line.match, tables.keywords, tables.process_steps, _COMPILED_READER
    label, quality = opening.group("label", "quality")
    scores = None if quality is None else list(tables.quality_scores(text, *opening.span("quality")))
    # Where the table is: the state the process starts in, and the opening's shape, so far.
    step = (states[-1], label is not None,
            None if scores is None else tuple(score.group("int") is None for score in scores))
    lines, read = [], line + 1 + (quality is not None)  # the flows, and the line read last
    end, file = opening.end(), transformer.file
    while True:
        # The compiled reader first (_COMPILED_READER); the pattern for what it leaves.
        read_line = None if compiled is None else compiled(text, end, read + 1, names, dotted, file, S.FlowLine,
                                                           keywords)
        if read_line is not None:
            flow = read_line[0]
            key = (step, flow[0], flow[6] is not None, flow[7], flow[9])
        else:
            m = run_line(text, end)
            if m is None:
                cut = tables.cutoff_line(text, end)
                if cut is None:
                    break
                read_line = _cutoff_line(text, cut, read, step, tables, transformer, names)
                if read_line is None:
                    return None
                flow, end, read, step = read_line
                lines.append(flow)
                continue
            groups = m.groups()
            if _words_refused(groups, m, keywords):
                return None
            key = (step, groups[0], groups[8] is not None, groups[9], groups[12])
        step = steps.get(key, False)
        if step is False:
            step = steps[key] = _process_step(tables, *key)
        if step is None:
            return None
        if read_line is None:
            read_line = _line_words(groups, m, text, read + 1, text.index("\n", m.start()), names, dotted,
                                    transformer)
        flow, end, read, _ = read_line
        lines.append(flow)
    if not lines:
        return None
    allocation, opening_line = None, tables.allocation_open(text, end)
    if opening_line is not None:
        read_block = _allocation_block(text, opening_line, read, step, tables, transformer, names)
        if read_block is None:
            return None
        allocation, end, read, step = read_block
    closing = tables.process_close(text, end)
    if closing is None:
        return None
    key = (step, "}")
    reduced = steps.get(key, False)
    if reduced is False:
        reduced = steps[key] = _process_step(tables, step, "}")
    if reduced is None:
        return None
    # The nodes, as _ToSyntax.process makes them: the span from the name to the end of the last flow line.
    at, setdefault = line_start - 1, names.setdefault
    name, (name_from, name_to) = opening.group("name"), opening.span("name")
    if allocation is not None:
        end_line, end_column = allocation.span.end_line, allocation.span.end_column
    elif type(lines[-1]) is S.FlowLine:  # the last flow line's line and end (S.FlowLine.FIELDS)
        end_line, end_column = lines[-1][12], lines[-1][24]
    else:  # an input cut off (_cutoff_line)
        end_line, end_column = lines[-1].span.end_line, lines[-1].span.end_column
    process_label = None
    if label is not None:
        label_from, label_to = opening.span("label")
        process_label = S.Text(_unquote(label), Span(file, line, label_from - at, line, label_to - at))
    stage, (stage_from, stage_to) = opening.group("stage"), opening.span("stage")
    stage_at = text.rindex("\n", start, stage_from)
    stage_word = S.Word(setdefault(stage, stage), Span(file, line + 1, stage_from - stage_at, line + 1,
                                                       stage_to - stage_at))
    quality_scores = quality_span = None
    if scores is not None:  # the scores' words on the line after the stage's, as _ToSyntax.quality_score makes them
        row, quality_at = line + 2, text.rindex("\n", stage_to, opening.start("quality"))
        quality_scores = [S.QualityScore(
            S.Word(setdefault(criterion, criterion), Span(file, row, a - quality_at, row, b - quality_at)),
            S.Word(setdefault(value, value), Span(file, row, c - quality_at, row, d - quality_at)))
            for score in scores
            for (criterion, value), (a, b), (c, d) in [(score.group("criterion", "value"), score.span("criterion"),
                                                         score.span("value"))]]
        first, last = quality_scores[0].criterion.span, quality_scores[-1].value.span
        quality_span = Span(file, row, first.column, row, last.end_column)
    # The node made at once, its fields in S.Process's order: a keyword call and six attributes set after it
    # cost about 1 us a process.
    process = S.Process(S.Word(setdefault(name, name), Span(file, line, name_from - at, line, name_to - at)),
                        process_label, Span(file, line, name_from - at, end_line, end_column), stage_word, None, lines,
                        allocation, quality_scores, quality_span, [], [])
    states.append(reduced)
    values.append(process)
    close_end = closing.end()
    return close_end, read + 1, text.rindex("\n", end, close_end) + 1


def _allocation_block(text: str, opening: re.Match, read: int, step: tuple, tables: _Tables, transformer,
                      names: dict) -> tuple[S.Allocation, int, int, tuple] | None:
    """Read the allocation line `opening` matched (after a process's last flow line, on line `read`) with
    its block, for _process_block: (the S.Allocation node, as _ToSyntax.allocation makes it; where it
    ends; the line it ends on; the table's states after it), or None, with nothing read.

    A share or property is taken with a number and `%` or at most two
    units, the way a flow line's amount is; a justification as its string.
    Anything else (a comment, a blank line, a longer expression, a word that
    is a keyword, a number or expression over its length limit) is None: the
    loop reads the process. 5 % of the benchmark model's processes have one.
    """
    file, keywords, setdefault = transformer.file, tables.keywords, names.setdefault
    method = opening.group("method")
    if method in keywords:
        return None
    read += 1
    at = text.index("\n", opening.start())
    method_from, method_to = opening.span("method")
    word = S.Word(setdefault(method, method), Span(file, read, method_from - at, read, method_to - at))
    shares, properties, justification, shapes, covers = [], [], None, [], []
    end = opening.end()
    if opening.group("block") is not None:
        while True:
            m = tables.allocation_line(text, end)
            if m is None:
                break
            read += 1
            end, at = m.end(), text.index("\n", m.start())
            tag, product, number, pct, u1, op, u2, quoted = m.group("tag", "product", "num", "pct", "u1", "op", "u2",
                                                                      "text")
            if tag is None:  # the justification, as _tagged makes it: its cover is its own span
                text_from, text_to = m.span("text")
                justification = S.Text(_unquote(quoted), Span(file, read, text_from - at, read, text_to - at))
                shapes.append(("justification",))
                covers.append(justification.span)
                continue
            if (product in keywords or u1 in keywords or u2 in keywords or len(number) > MAX_NUMBER_LENGTH
                    or m.end() - m.start("num") > MAX_EXPRESSION_LENGTH):
                return None
            num_from, num_to = m.span("num")
            if "-" in number:
                transformer.on_number(_token("NUMBER", number, read, num_from - at))
            if u1 is not None:  # as a flow line's amount
                value = _matched_amount(m, "", file, read, at, setdefault)
            else:
                value = S.Num(number, Span(file, read, num_from - at, read, num_to - at))
                if pct is not None:
                    pct_to = m.end("pct") - at
                    value = S.BinOp("juxt", value, S.Percent(Span(file, read, pct_to - 1, read, pct_to)),
                                    Span(file, read, num_from - at, read, pct_to))
            product_from, product_to = m.span("product")
            cover = Span(file, read, product_from - at, read, value.span.end_column)
            share = S.AllocationShare(S.Word(setdefault(product, product),
                                             Span(file, read, product_from - at, read, product_to - at)), value, cover)
            (shares if tag == "share" else properties).append(share)
            shapes.append((tag, pct is not None, u1 is not None, None if u2 is None else op.strip()))
            covers.append(cover)
        closing = tables.process_close(text, end)  # the block's `}`, alone on its line
        if closing is None:
            return None
        read, end = read + 1, closing.end()
        shapes.append(("}",))
    key = (step, "allocation", tuple(shapes))
    after = tables.process_steps.get(key, False)
    if after is False:
        after = tables.process_steps[key] = _allocation_step(tables, step, shapes)
    if after is None:
        return None
    # Its span, as _cover makes it: from the method to the end of the block's last line (the `}` has no span).
    last = covers[-1] if covers else word.span
    allocation = S.Allocation(word, shares, properties, justification,
                              Span(file, word.span.line, word.span.column, last.end_line, last.end_column))
    return allocation, end, read, after


def _process_run(text: str, read: tuple[int, int, int], states: list, values: list, tables: _Tables, transformer,
                 names: dict, dotted: dict) -> tuple[int, int, int]:
    """After a process read whole (`read`: the end of its `}`, its line, that line's offset), read on over
    the processes that follow it, each after one blank line, as the loop would: the blank line's newline
    token reduced before and shifted (_reduce_before, the loop's own steps), then the process read whole
    by _process_block, after the reductions its keyword makes. Where the last one read ends, or where the
    loop goes on: after the newline token, for a process _process_block leaves to it (the loop reads its
    keyword with those reductions made, and shifts it).

    The loop spent two tokens and their table lookups between two processes: about 2 us of the 10 us
    a plain process costs beyond its lines.
    """
    actions = tables.actions
    while text.startswith("\n\nprocess", read[0]) and "_NL" not in tables.kept:
        end, line, _ = read
        shifted = _reduce_before(actions, "_NL", states, values)
        if shifted is None:
            return read  # (the loop gives up here too, and lark reports it)
        states.append(shifted)
        values.append("_NL")  # as the loop pushes a token no rule keeps
        after_newline = (end + 2, line + 2, end + 2)
        # The reductions the next item's first token makes (the items read so far onto their list), as the
        # loop makes them before it reads `process`; where the table takes none, the loop reports it.
        if _reduce_before(actions, tables.keywords["process"], states, values) is None:
            return after_newline
        read = _process_block(text, end + 2, states, values, tables, transformer, line + 2, end + 2, names, dotted)
        if read is None:
            return after_newline
    return read


def _cutoff_line(text: str, m: re.Match, read: int, step: tuple, tables: _Tables, transformer,
                 names: dict) -> tuple[S.Flow, int, int, tuple] | None:
    """Read the input cut off that `m` matched (tables.cutoff_line, after the line `read` of a process), for
    _process_block: (its S.Flow, as _ToSyntax makes it; where it ends; the line it ends on; the table's
    states after it), or None, with nothing read.

    A large model's cut-off lines are one shape, `input NAME AMOUNT cutoff
    "reason"` with an `estimate` block: 3 % of the 10k benchmark model's
    processes have one, and the loop took 9 % of its parse to read them.
    A unit that is a keyword, a number or an amount over its length limit,
    or a cut-off line first in its process is None: the loop reads it.
    """
    keywords, file, setdefault = tables.keywords, transformer.file, names.setdefault
    name, number, u1, op, u2, reason, e_number, e_u1, e_op, e_u2 = m.group(
        "name", "num", "u1", "op", "u2", "reason", "e_num", "e_u1", "e_op", "e_u2")
    if (u1 in keywords or u2 in keywords or e_u1 in keywords or e_u2 in keywords
            or len(number) > MAX_NUMBER_LENGTH or e_number is not None and len(e_number) > MAX_NUMBER_LENGTH
            or m.end() - m.start() > MAX_EXPRESSION_LENGTH):
        return None
    shape = (reason is not None, None if u2 is None else op.strip(),
             False if e_number is None else None if e_u2 is None else e_op.strip())
    key = (step, "cutoff", shape)
    after = tables.process_steps.get(key, False)
    if after is False:
        after = tables.process_steps[key] = _cutoff_step(tables, step, shape)
    if after is None:
        return None
    row, at = read + 1, text.index("\n", m.start())
    name_from, name_to = m.span("name")
    if "-" in number:
        transformer.on_number(_token("NUMBER", number, row, m.start("num") - at))
    value = _matched_amount(m, "", file, row, at, setdefault)
    cutoff_reason = None
    if reason is not None:
        reason_from, reason_to = m.span("reason")
        cutoff_reason = S.Text(_unquote(reason), Span(file, row, reason_from - at, row, reason_to - at))
    last = cutoff_reason.span if cutoff_reason is not None else value.span
    flow = S.Flow(kind="input", name=S.Word(setdefault(name, name), Span(file, row, name_from - at, row, name_to - at)),
                  label=None, amount=value, span=Span(file, row, name_from - at, row, last.end_column), cutoff=True,
                  cutoff_reason=cutoff_reason)
    if e_number is None:
        return flow, m.end(), row, after
    e_at = text.rindex("\n", 0, m.start("e_num"))
    if "-" in e_number:
        transformer.on_number(_token("NUMBER", e_number, row + 1, m.start("e_num") - e_at))
    flow.attrs = S.Attrs(estimate=_matched_amount(m, "e_", file, row + 1, e_at, setdefault))
    return flow, m.end(), row + 2, after


def _matched_amount(m: re.Match, prefix: str, file: str, row: int, at: int, setdefault) -> S.BinOp:
    """The node of the amount `NUMBER UNIT [*|/| UNIT]` that `m` matched in its groups `{prefix}num`,
    `{prefix}u1`, `{prefix}op` and `{prefix}u2`, on line `row`, whose text starts after the offset `at`: as
    FlowLine.amount makes a flow line's (S.amount_node), its unit names kept once each (`setdefault`). For
    the allocation and cut-off readers; a number too small for a float is their callers' to refuse."""
    number, unit, op, other = m.group(prefix + "num", prefix + "u1", prefix + "op", prefix + "u2")
    u1_from, u1_to = m.span(prefix + "u1")
    second = None
    if other is not None:
        u2_from, u2_to = m.span(prefix + "u2")
        second = (_OPERATORS[op.strip()], setdefault(other, other), u2_from - at, u2_to - at)
    return S.amount_node(file, row, number, m.start(prefix + "num") - at,
                         (setdefault(unit, unit), u1_from - at, u1_to - at), second)


def _cutoff_step(tables: _Tables, step: tuple, shape: tuple) -> tuple | None:
    """The table's states after an input cut off of this `shape` (has it a reason?; its amount's operator
    between two units, "" for none, or None for one unit; its estimate's the same, or False without one),
    read after the states `step` of _process_block; None where the table does not read it so, and for
    the first line of a process (whose step is still the opening's)."""
    if len(step) == 3 and type(step[1]) is bool:
        return None
    actions, keywords = tables.actions, tables.keywords
    reason, op, estimate = shape
    sim = list(step)
    if not _shifted(actions, ("_NL", keywords["input"]), sim):
        return None
    if not set(keywords.values()).isdisjoint(actions[sim[-1]]):
        return None  # a keyword fits where the pattern reads the flow's name: the loop would read it so
    kinds = ["NAME", "NUMBER", "NAME", *_SECOND_UNIT.get(op, ()), keywords["cutoff"]]
    if reason:
        kinds.append("STRING")
    if estimate is not False:
        kinds += ["LBRACE", "_NL", keywords["estimate"], "NUMBER", "NAME", *_SECOND_UNIT.get(estimate, ()), "_NL",
                  "RBRACE"]
    if not _shifted(actions, kinds, sim):
        return None
    return tuple(sim) if len(sim) <= 64 else None


# The tokens of an amount's second unit, after its first, by the operator between the two ("": juxtaposed).
_SECOND_UNIT = {"": ("NAME",), "*": ("STAR", "NAME"), "/": ("SLASH", "NAME")}


def _shifted(actions: dict, kinds, sim: list) -> bool:
    """Run the table's steps for each token kind of `kinds` on the states `sim` (changed in place), as the
    loop would read them (_reduce_before, then the shift); False where the table does not take one there."""
    for kind in kinds:
        shifted = _reduce_before(actions, kind, sim)
        if shifted is None:
            return False
        sim.append(shifted)
    return True


def _allocation_step(tables: _Tables, step: tuple, shapes: list) -> tuple | None:
    """The table's states after an allocation line of these `shapes` (its block's lines, and "}" for the
    block's end; none without a block), read after the states `step` of _process_block; None where the
    table does not read it so."""
    sim = list(step)
    kinds = ["_NL", "ALLOCATION", "NAME"]
    if shapes:
        kinds += ["LBRACE", "_NL"]
    for shape in shapes:
        if shape[0] == "justification":
            kinds += ["JUSTIFICATION", "STRING", "_NL"]
        elif shape[0] == "}":
            kinds.append("RBRACE")
        else:
            tag, pct, unit, op = shape
            kinds += [tag.upper(), "NAME", "NUMBER"]
            if pct:
                kinds.append("PERCENT")
            elif unit:
                kinds.append("NAME")
                if op is not None:
                    kinds += _SECOND_UNIT[op]
            kinds.append("_NL")
    if not _shifted(tables.actions, kinds, sim):
        return None
    return tuple(sim) if len(sim) <= 64 else None


def _process_step(tables: _Tables, step, *line) -> tuple | int | None:
    """The next state of _process_block's reading, found by running the table's steps on the states alone.

    `step` is where the reading is: (the state the process starts in, has
    it a label?, its quality line's levels as names (True) or numbers, or
    None without one) before its first flow line, else the states since
    that state after the last flow line read. `line` is the next flow line's
    shape (its keyword, `of`?, from/to/with, its block's attribute): the
    states after it, or None where the table does not read it there as
    _flow_line pushes it. Or `line` is "}": the state the process is pushed
    in, reduced, where the table reduces it, and only it, at the newline
    after the `}`; else None.
    """
    actions, keywords = tables.actions, tables.keywords
    if len(step) == 3 and type(step[1]) is bool:  # the opening, its `stage` line and its quality line
        origin, label, scores = step
        sim = [origin]
        quality = [] if scores is None else ["_NL", "QUALITY"] + [
            kind for named in scores for kind in ("NAME", "EQUAL", "NAME" if named else "INT")]
        words = set(keywords.values())
        for kind in ("PROCESS", "NAME", *(["STRING"] if label else []), "LBRACE", "_NL", "STAGE", "NAME", *quality,
                     "_NL"):
            if kind == "NAME" and not words.isdisjoint(actions[sim[-1]]):
                return None  # a keyword fits where the pattern reads a name: the loop would read it so
            shifted = _reduce_before(actions, kind, sim)
            if shifted is None:
                return None
            sim.append(shifted)
    else:
        origin, sim = step[0], list(step)
        shifted = _reduce_before(actions, "_NL", sim)  # the newline after the last flow line
        if shifted is None:
            return None
        sim.append(shifted)
    if line == ("}",):
        shifted = _reduce_before(actions, "RBRACE", sim)
        if shifted is None:
            return None
        sim.append(shifted)
        action = actions[sim[-1]].get("_NL")
        if action is None or len(action) != 3 or action[:2] != (len(sim) - 1, "process"):
            return None
        return actions[origin]["process"][0]
    kind, of, source, attribute = line
    if _reduce_before(actions, keywords[kind], sim) is None:
        return None
    key = (sim[-1], kind, of, source, True, attribute)
    path = tables.paths.get(key, False)
    if path is False:
        path = tables.paths[key] = _flow_path(tables, *key)
    if path is None or len(sim) > 64:  # (a body that would deepen the stack line by line is left to the loop)
        return None
    return (*sim, *path)


def _run_state(tables: _Tables, states: list, values: list, kind: str, of: bool, source: str | None,
               attribute: str | None) -> int | None:
    """The state of a whole flow line of this shape read after the whole flow on top of the stacks, where
    the table only appends that flow to the body's list (_grows) and reads the line as _flow_line pushes
    it (_flow_path); else None."""
    if not _grows(tables, states, values, kind):
        return None
    key = (states[-2], kind, of, source, True, attribute)
    path = tables.paths.get(key, False)
    if path is False:
        path = tables.paths[key] = _flow_path(tables, *key)
    return None if path is None else path[0]


def _grows(tables: _Tables, states: list, values: list, next_keyword: str) -> bool:
    """Whether the newline after the whole flow on top of the stacks, and the next line's keyword,
    only append the flow to the list under it, leaving the states as they were before the flow.

    Found by running the table's steps for the two tokens on a copy of the top
    of the stacks (two states under the flow, the list, the flow): a step that
    would reach further down, or any other outcome, is a no, and the loop
    reads the line as always.
    """
    if not isinstance(values[-2], list):
        return False
    actions, body, flow = tables.actions, list(values[-2]), object()
    sim_states, sim_values = states[-3:], [body, flow]
    try:
        shifted = _reduce_before(actions, "_NL", sim_states, sim_values)
        if shifted is None:
            return False
        sim_states.append(shifted)
        sim_values.append("_NL")
        if _reduce_before(actions, tables.keywords[next_keyword], sim_states, sim_values) is None:
            return False
    except Exception:  # a callback that cannot take the stand-in flow: not a plain list
        return False
    return (sim_states == states[-3:-1] and len(sim_values) == 1 and sim_values[0] is body
            and len(body) == len(values[-2]) + 1 and body[-1] is flow)


def _reduce_before(actions: dict, kind: str, states: list, values: list | None = None, floor: int = 1) -> int | None:
    """Make the reductions the table makes before it shifts `kind`, on `states`, a copy of the top of the
    parser's states (changed in place), and on their `values` when given, calling each reduction's
    callback as the loop does: the state `kind` is then shifted into, or None where the table takes no
    `kind` there or a reduction would leave fewer than `floor` states (it would read below the copy).

    These are _parse_fast's own reduce and shift, written out again because
    the loop inlines them for speed: a change to one is a change to both.
    """
    while True:
        action = actions[states[-1]].get(kind)
        if action is None:
            return None
        if len(action) == 1:
            return action[0]
        count, origin, callback = action
        if count > len(states) - floor:
            return None
        if values is not None and callback is not None:  # (a rule that hands its one child up keeps it)
            children = values[len(values) - count:]
            del values[len(values) - count:]
            values.append(callback(children))
        del states[len(states) - count:]
        states.append(actions[states[-1]][origin][0])


def _token(kind: str, value: str, line: int, column: int) -> Token:
    return Token(kind, value, None, line, column, line, column + len(value))


# Readable names for the grammar's terminals, used in "expected ..." messages.
_TERMINAL_NAMES = {
    "NAME": "a name",
    "NUMBER": "a number",
    "INT": "a whole number",
    "STRING": 'a quoted text ("...")',
    "DATE": "a date (YYYY-MM-DD)",
    "PERCENT": "%",
    "_NL": "the end of the line",
    "$END": "the end of the file",
}


def _terminal_text(name: str) -> str:
    if name in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[name]
    try:
        pattern = parser().get_terminal(name).pattern
    except KeyError:
        return name
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return name.lower()


def _describe_token(token: Token) -> str:
    if token.type == "_NL":
        return "end of line"
    if token.type == "$END":
        return "end of file"
    return f"`{token}`"


_NOT_UTF8_HELP = ("save the file as UTF-8 (with or without a BOM); a file saved as GBK/GB18030 or UTF-16 "
                  "converts with e.g. `iconv -f GB18030 -t UTF-8 old.pcf > model.pcf`")


def decode(data: bytes, file: str) -> str:
    """UTF-8 text with or without a BOM; CRLF and CR become LF (columns do not move).

    Anything else (GBK, UTF-16, binary) is error E001 naming the byte offset of
    the first byte that is not UTF-8 text.
    """
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    nul = data.find(b"\x00", bom)  # UTF-16 and binary files: NUL is valid UTF-8 but never text
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset, reason = bom + exc.start, f"byte 0x{data[bom + exc.start]:02x}"
        if 0 <= nul < offset:
            offset, reason = nul, "a NUL byte"
    else:
        if nul < 0:
            return text.replace("\r\n", "\n").replace("\r", "\n")
        offset, reason = nul, "a NUL byte"
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data[:offset].count(b"\n") + 1
    # Columns count characters, as everywhere else: the bytes before the bad one are valid UTF-8.
    col = len(data[max(line_start, bom):offset].decode("utf-8")) + 1
    SOURCES.add(file, data[bom:].decode("utf-8", "replace").replace("\x00", "\ufffd").replace("\r", ""))
    guess, help = "", _NOT_UTF8_HELP
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:1000].count(0) * 4 > len(data[:1000]):
        guess = " (it looks like UTF-16)"
        # iconv's GB18030 (the general hint) garbles UTF-16; without a BOM, UTF-16 alone means big-endian
        # to iconv, while Windows writes little-endian (ASCII text then has its NULs at odd offsets).
        source = "UTF-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else \
            "UTF-16LE" if data[1:1000:2].count(0) > data[0:1000:2].count(0) else "UTF-16BE"
        help = f"save the file as UTF-8 (with or without a BOM), e.g. `iconv -f {source} -t UTF-8 old.pcf > model.pcf`"
    raise PcfError(Diagnostic(
        "E001",
        f"the file is not UTF-8 text{guess}: {reason} at byte offset {offset} cannot be read as UTF-8",
        Span(file, line, col, line, col + 1),
        help=help,
    ))


_COMMA_NUMBER = re.compile(r"[0-9][0-9.,]*[0-9]")


def _comma_number(text: str, comma: int) -> list[tuple[str, str]] | None:
    """How a number written with a comma (`1,5`, `1,500`, `1.234,5`) is written here, each reading with its name.

    None when the comma at `comma` is not inside a number.
    """
    start = comma
    while start > 0 and text[start - 1] in "0123456789.":
        start -= 1
    found = _COMMA_NUMBER.match(text, start)
    if (start == comma or found is None or found.end() <= comma + 1
            or (start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"))):
        return None
    written = found.group()
    if written.count(",") > 1 or ("." in written and written.index(".") > written.index(",")):
        return [(written.replace(",", ""), "the commas group thousands")]
    if "." in written:
        return [(written.replace(".", "").replace(",", "."), "the dots group thousands and the comma is the decimal mark")]
    readings = [(written.replace(",", "."), "the comma is the decimal mark")]
    if len(written) - written.index(",") - 1 == 3:
        readings.append((written.replace(",", ""), "it groups thousands"))
    return readings


def _bad_text(rest: str, file: str, line: int, column: int) -> Diagnostic | None:
    """Why the text opening `rest` (the rest of its line) is not one: an unknown escape, or no end."""
    i = 1
    while i < len(rest):
        char = rest[i]
        if char == '"':
            return None
        if char == "\\":
            if i + 1 < len(rest) and rest[i + 1] in '"\\nt':
                i += 2
                continue
            escape = rest[i:i + 2]
            # A Windows path in a source (`"C:\data\factors.xlsx"`) is the usual way to get here.
            return Diagnostic("E002", f"`{escape}` is not an escape in a text",
                              Span(file, line, column + i, line, column + i + len(escape)),
                              help='write a backslash as `\\\\` ("C:\\\\data"); the escapes are \\" \\\\ \\n \\t')
        i += 1
    return Diagnostic("E002", "the text is not closed on its line", Span(file, line, column, line, column + 1),
                      help='end it with `"` on the same line; write \\n for a line break inside a text')


def _syntax_error(exc: UnexpectedInput, file: str, text: str) -> Diagnostic:
    line, column = exc.line, exc.column
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        span = Span(file, line, column, line, column + 1)
        hint = "remove it, or put it inside a quoted text"
        if char == "\t":
            hint = "tabs are fine as spacing; this one is inside a token"
        elif char == "'":
            hint = 'texts are written in double quotes: "..."'
        elif char == "," and (readings := _comma_number(text, exc.pos_in_stream)) is not None:
            # "remove it" turned the decimal comma of `1,5 kg` into 15 kg: say how each reading is written.
            hint = ("a number has no comma, and `.` is its decimal mark: write "
                    + ", or ".join(f"`{number}` if {reading}" for number, reading in readings))
        elif char == '"':  # a text the STRING terminal refused: say why, not that `"` is unexpected
            return _bad_text(text[exc.pos_in_stream:].split("\n", 1)[0], file, line, column) or \
                Diagnostic("E002", f"unexpected character {char!r}", span, help=hint)
        return Diagnostic("E002", f"unexpected character {char!r}", span, help=hint)
    token = exc.token if isinstance(exc, (UnexpectedToken, UnexpectedEOF)) else None
    if token is not None and token.type == "NAME":
        # NAME is lexed in every state (_WholeWords), so a keyword where it does not fit comes as a
        # NAME: read it as the keyword it is, for the hints below (`claim` inside an open block).
        keyword = _keyword_terminals().get(str(token))
        if keyword is not None:
            token = Token.new_borrow_pos(keyword, str(token), token)
    expected = set(getattr(exc, "expected", None) or getattr(exc, "accepts", None) or [])
    state = getattr(exc, "state", None)
    if "NAME" in expected and hasattr(state, "position"):
        # The contextual lexer's set for this state has NAME in it always (_WholeWords): keep it only
        # where the parser takes a name.
        if "NAME" not in state.parse_conf.states[state.position]:
            expected.discard("NAME")
    expected = sorted(expected)
    expected_text = [_terminal_text(e) for e in expected if not e.startswith("__")]
    if token is None or token.type == "$END":
        lines = text.split("\n")
        line = len(lines)
        column = len(lines[-1]) + 1
        span = Span(file, line, column, line, column + 1)
        what = "end of file"
    else:
        span = Span(file, token.line, token.column, token.end_line or token.line, token.end_column or token.column + 1)
        what = _describe_token(token)
        if token.type == "_NL":
            # The newline token starts after the last token of the line: point there.
            span = Span(file, token.line, token.column, token.line, token.column + 1)
    message = f"unexpected {what}"
    if expected_text:
        shown = ", ".join(expected_text[:8]) + (" ..." if len(expected_text) > 8 else "")
        message += f"; expected {shown}"
    hint = None
    labels: list[Label] = []
    if token is not None and str(token) == "." and token.start_pos is not None:
        # `.5 kg` and `5. kg`: a number takes digits on both sides of its point (the second was told
        # to start a new line).
        before, after = text[token.start_pos - 1:token.start_pos], text[token.start_pos + 1:token.start_pos + 2]
        digits = re.match(r"[0-9]*", text[token.start_pos + 1:]).group()
        if after.isdigit() and not (before.isalnum() or before in "._"):
            hint = f"a number starts with a digit: write `0.{digits}`"
        elif before.isdigit() and not after.isdigit():
            whole = re.search(r"[0-9]+$", text[:token.start_pos]).group()
            hint = f"a number has digits after its point: write `{whole}` or `{whole}.0`"
    keywords = [parser().get_terminal(e).pattern.value for e in expected
                if e in {t.name for t in parser().terminals} and parser().get_terminal(e).pattern.type == "str"]
    if token is not None and token.type == "NAME":
        word = str(token)
        # `claimtotal`, `processmake`: a keyword run into the next word (a keyword ends at a word boundary)
        glued = next((k for k in sorted(keywords, key=len, reverse=True)
                      if word.startswith(k) and len(word) - len(k) >= 3 and word[len(k)].isalpha()), None)
        near = did_you_mean(word, keywords)
        if glued:
            hint = f"did you mean `{glued} {word[len(glued):]}`? a keyword is a word of its own: put a space after it"
        elif near:
            hint = f"did you mean `{near}`?"
    if hint is None and token is not None and token.type not in ("_NL", "$END") and "FACTOR" in expected:
        # A block's line at the top level (`  source "x"`): the factor (or boundary) above it, whose
        # block is optional, ends at its line when the `{` is missing.
        above = _line_above(text, token.line)
        if above is not None and text.split("\n")[token.line - 1][:token.column - 1].strip() == "":
            number, words = above
            if token.type in _BLOCK_LINES.get(words[0], ()) and "{" not in "".join(words):
                hint = (f"the `{words[0]}` on line {number} has no block, so this line is outside it: "
                        f"end line {number} with ` {{` to open the block")
                end = len(_code_of(text.split("\n")[number - 1]).rstrip()) + 1
                labels.append(Label(Span(file, number, end, number, end + 1), "`{` missing here"))
    if hint is None and token is not None and token.type in _TOP_KEYWORDS and "RBRACE" in expected:
        # A statement that starts a new top-level item inside a block: the block above was not closed.
        opened = _unclosed_brace_line(text, token.line)
        if opened is not None:
            hint = f"the block opened on line {opened} is not closed: put `}}` on a line of its own before this one"
    if hint is None and token is not None and token.type in ("_NL", "LBRACE") and keywords:
        # A misspelt keyword at the end of a line (or before the line's `{`) is read as a unit of
        # the amount (`0.3 t frm steel`): look for it among the words of the line.
        words = text.split("\n")[token.line - 1].split("#")[0].split()
        for word in words:
            near = did_you_mean(word, keywords)
            if near and near != word:
                hint = f"did you mean `{near}` instead of `{word}`? (`{word}` was read as part of the amount)"
                break
    if hint is None and token is not None and token.type == "_NL" and {"FROM", "CUTOFF"} <= set(expected):
        hint = 'an input needs a source: `from SUPPLIER_OR_FACTOR`, or `cutoff "reason"`'
    if hint is None and token is not None and token.type == "_NL" and expected == ["LBRACE"]:
        hint = "open the block: end this line with ` {`"
    if hint is None and token is not None and token.type in ("RBRACE",) and "_NL" in expected:
        hint = "put the closing `}` on its own line"
    if hint is None and token is not None and token.type != "_NL" and "_NL" in expected:
        hint = "one statement per line: start a new line here"
    if hint is None and token is not None and token.type == "LBRACE" and "NAME" in expected:
        hint = "a name is missing before the `{`"
    if hint is None and token is not None and token.type == "LBRACE" :
        hint = "a block opens with `{` at the end of the line"
    return Diagnostic("E002", message, span, help=hint or "see docs/language.md for this statement's form", labels=labels)


@lru_cache(maxsize=1)
def _keyword_terminals() -> dict[str, str]:
    """Keyword text -> its terminal's name (`claim` -> CLAIM)."""
    return {t.pattern.value: t.name for t in parser().terminals
            if t.pattern.type == "str" and t.pattern.value.isidentifier()}


# The top-level items whose block is optional, and the lines of their blocks.
_BLOCK_LINES = {"factor": frozenset({"GAS", "SOURCE", "DATASET", "YEAR", "GEOGRAPHY", "NOTE"}),
                "boundary": frozenset({"INCLUDE", "EXCLUDE", "NOTE"})}

_TOP_KEYWORDS = frozenset({"BOUNDARY", "CLAIM", "CUTOFF", "FACTOR", "GWP_SET", "IMPORT", "PARAM", "PROCESS",
                           "PROFILE", "STUDY", "WAIVE"})  # what starts a top-level item, but for `stage`


def _code_of(line: str) -> str:
    """The line without its comment, texts blanked to the same length (a `#` or `{` in a text is text)."""
    return re.sub(r'"(?:[^"\\\n]|\\.)*"', lambda m: '"' + " " * (len(m.group()) - 2) + '"', line).split("#")[0]


def _line_above(text: str, line: int) -> tuple[int, list[str]] | None:
    """(number, words) of the nearest line above `line` with anything but a comment on it."""
    lines = text.split("\n")
    for number in range(line - 1, 0, -1):
        words = _code_of(lines[number - 1]).split()
        if words:
            return number, words
    return None


def _unclosed_brace_line(text: str, before_line: int) -> int | None:
    """The line of the last `{` above line `before_line` that no `}` closes (texts and comments skipped)."""
    open_lines: list[int] = []
    for number, line in enumerate(text.split("\n")[:before_line - 1], start=1):
        line = re.sub(r'"(?:[^"\\\n]|\\.)*"', "", line).split("#")[0]
        for char in line:
            if char == "{":
                open_lines.append(number)
            elif char == "}" and open_lines:
                open_lines.pop()
    return open_lines[-1] if open_lines else None


def parse_text(text: str, file: str = "<input>") -> S.File:
    """Parse model text; raises PcfError with a positioned diagnostic on bad input."""
    if text.startswith("\ufeff"):  # a BOM kept by the caller's own decoding
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_FILE_BYTES:
        raise PcfError(_too_large(file, len(text.encode("utf-8"))))
    SOURCES.add(file, text)
    source = text if text.endswith("\n") else text + "\n"
    with _LOCK:
        _TRANSFORMER.reset(file)
        try:
            with collector_paused():
                try:
                    items = _parse_fast(source, _TRANSFORMER)
                except _GiveUp:
                    _TRANSFORMER.reset(file)
                    items = parser().parse(source)
        except UnexpectedInput as exc:
            raise PcfError(_syntax_error(exc, file, source)) from None
        except VisitError as exc:  # a transformer failure is our bug, not the user's
            raise exc.orig_exc from None
        finally:
            _TRANSFORMER.reset("<input>")
    return S.File(file, items)


def _too_large(file: str, size: int | None) -> Diagnostic:
    limit = f"{MAX_FILE_BYTES // 2**20} MiB"
    # Unknown size: the file is read only up to the limit, never whole.
    message = (f"the file is too large: {size / 2**20:.1f} MiB; the limit is {limit}" if size is not None
               else f"the file is larger than the limit of {limit}")
    return Diagnostic("E004", message,
                      Span(file, 1, 1, 1, 1),
                      help="split the model into files that import each other (docs/limits.md)")


def parse_file(path: str | Path, display_name: str | None = None) -> S.File:
    path = Path(path)
    name = display_name or str(path)

    def unreadable(reason: str) -> PcfError:
        return PcfError(Diagnostic("E003", f"cannot read {name}: {reason}", Span(name, 1, 1, 1, 1),
                                   help="check the path and that the file is readable"))

    try:
        # Non-blocking: opening a pipe must not wait for a writer. Only a regular file is then
        # read (checked on the open file, so nothing can be swapped in after the check).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as exc:
        raise unreadable(getattr(exc, "strerror", None) or str(exc)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise unreadable("not a regular file (a folder, a device or a pipe)")
    with os.fdopen(fd, "rb") as handle:
        try:
            # Read one byte past the limit, never the whole of a huge file.
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise unreadable(exc.strerror or str(exc)) from None
    if len(data) > MAX_FILE_BYTES:
        raise PcfError(_too_large(name, None))
    return parse_text(decode(data, name), name)


# ------------------------------------------------------------------ the token stream (for the formatter)


@dataclass(frozen=True, slots=True)
class Tok:
    """One token as written, with the grammar rules around it.

    `type` is the grammar's terminal name (NAME, NUMBER, STRING, MINUS, LBRACE,
    a keyword such as INPUT, ...). Newlines and comments come as `_NL` tokens
    whose `text` holds them verbatim (the grammar folds comments into the
    newline token). `rules` names the rules containing the token, outermost
    first, e.g. ("start", "process", "input", "mul"): the formatter needs them
    to tell a binary minus (`sub`) from a sign (`neg`) or a geography code
    (`geo_code`), which the terminal alone cannot.
    """

    type: str
    text: str
    line: int
    column: int
    rules: tuple[str, ...]

    @property
    def rule(self) -> str:
        """The innermost rule: for the first token of a line, the statement it starts."""
        return self.rules[-1]


@lru_cache(maxsize=1)
def _concrete_parser() -> Lark:
    """The same grammar without the transformer, keeping every token (a concrete syntax tree)."""
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        keep_all_tokens=True,
        maybe_placeholders=False,
        postlex=_WholeWords(),  # a word is a keyword exactly where parse_text reads one
    )


def tokens(text: str, file: str = "<input>") -> list[Tok]:
    """Every token of `text` in order, comments included; raises PcfError on a syntax error.

    The lexer is the parser's own contextual lexer, so a word is a keyword
    exactly where the parser reads it as one. Line ends are normalised as in
    parse_text; the limits on size and nesting are parse_text's to check
    (the formatter parses first).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    SOURCES.add(file, text)
    source = text if text.endswith("\n") else text + "\n"
    try:
        tree = _concrete_parser().parse(source)
    except UnexpectedInput as exc:
        raise PcfError(_syntax_error(exc, file, source)) from None
    out: list[Tok] = []
    # Iterative walk: a deeply parenthesised expression must not exhaust Python's recursion limit.
    stack: list[tuple[object, tuple[str, ...]]] = [(tree, ())]
    while stack:
        node, outer = stack.pop()
        if isinstance(node, Token):
            out.append(Tok(node.type, str(node), node.line, node.column, outer))
            continue
        rules = (*outer, str(node.data))
        stack.extend((child, rules) for child in reversed(node.children))
    return out


def grammar_for_generation() -> Lark:
    """The grammar as a plain Lark object, for `hypothesis.extra.lark.from_lark` in the property tests."""
    return _concrete_parser()

"""The formatter behind `pcf fmt`: one canonical layout for model files, losing nothing.

It works on the token stream of :func:`pcf_dsl.parse.tokens`, not on the
syntax tree, because the tree has no comments and no parentheses. The layout
(docs/language.md, "Formatting"):

- one statement per line, blocks indented by two spaces, `}` on its own line;
- one space between tokens, except around `.` in names, inside `( )`, around
  `^`, after a sign (`-3`), inside geography codes (`CN-JS`), around `=` in
  quality scores (`activity=periodic`), and around a `*` written without
  spaces (`t*km`: a compound unit);
- inside a block, the keywords of consecutive lines are padded to one column;
  consecutive stage declarations, exclusions, GWP entries, parameters,
  profile settings, allocation shares and unlabelled flows also align the
  column after their name.
  A blank line, or a line that opens or closes a block, ends such a run;
- comments stay where they were (end-of-line comments after two spaces,
  own-line comments at the indentation of the code around them);
- at most one blank line in a row, none at the start or end of a block or
  file, and one around every top-level block and between sections;
- top-level sections in the documented order (imports, study, stages,
  boundary, cut-off, parameters, GWP sets, factors, processes, claims,
  waivers, profiles); items of one kind keep their order, and each item
  carries the comments written directly above it;
- numbers, strings and comments exactly as written; a UTF-8 BOM and CRLF line
  ends are kept when the file has them.

The result is only used when it is safe (:func:`check_safe`): the syntax
tree of the output, without positions, equals that of the input, and
formatting the output again changes nothing; :func:`format_file` adds the
check that the loaded model is the same.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

from . import syntax as S
from .diagnostics import Diagnostic, PcfError, Span
from .limits import MAX_FILE_BYTES
from .parse import Tok, decode, parse_text, tokens

INDENT = "  "

# Top-level sections in the documented order; the names are the grammar's rules.
SECTION_ORDER = ("import_decl", "study", "stage_decl", "boundary", "cutoff", "param", "gwp_set", "factor",
                 "process", "claim", "waiver", "profile")
_SECTION_OF_NODE = {S.Import: "import_decl", S.Study: "study", S.StageDecl: "stage_decl", S.Boundary: "boundary",
                    S.Cutoff: "cutoff", S.Param: "param", S.GwpSet: "gwp_set", S.Factor: "factor",
                    S.Process: "process", S.Claim: "claim", S.Waiver: "waiver", S.Profile: "profile"}

# Statements whose second column (after the name) lines up over consecutive lines; the value says
# which statements share one column. GWP entries have no keyword: their gas name is the first token.
_FLOWS = ("product", "waste", "loss", "input", "emit")
_NAME_COLUMNS = {"stage_decl": "stage_decl", "exclude": "exclude", "param": "param",
                 "share": "share", "basis_property": "share", **{k: "flow" for k in _FLOWS}}


class UnsafeFormatting(Exception):
    """The formatted text would not mean the same, or is not stable: the file must not be written."""


# ------------------------------------------------------------------ rows: statements, comments, blank lines


@dataclass
class _Stmt:
    toks: list[Tok]
    comment: str | None = None  # the end-of-line comment
    depth: int = 0

    @property
    def kind(self) -> str:
        return self.toks[0].rule

    @property
    def opens(self) -> bool:
        return self.toks[-1].type == "LBRACE"

    @property
    def closes(self) -> bool:
        return self.toks[0].type == "RBRACE"


@dataclass
class _Comment:
    text: str
    depth: int = 0


@dataclass
class _Blank:
    depth: int = 0


_Row = _Stmt | _Comment | _Blank
_NL_PIECE = re.compile(r"#[^\n]*|\r?\n[\t \f]*")


def _comment_text(raw: str) -> str:
    return raw.rstrip(" \t\f\r")


def _split_newline(text: str) -> tuple[str | None, list[_Row]]:
    """An `_NL` token: the end-of-line comment, then the comment and blank lines that follow it."""
    segments: list[str | None] = [None]  # per physical line: its comment, if any
    for piece in _NL_PIECE.findall(text):
        if piece.startswith("#"):
            segments[-1] = _comment_text(piece)
        else:
            segments.append(None)
    rows: list[_Row] = [(_Comment(c) if c is not None else _Blank()) for c in segments[1:-1]]
    if segments[-1] is not None:  # a comment with no newline after it: only at the end of the text
        rows.append(_Comment(segments[-1]))
    return segments[0], rows


def _rows(toks: list[Tok]) -> list[_Row]:
    rows: list[_Row] = []
    current: list[Tok] = []
    for tok in toks:
        if tok.type != "_NL":
            current.append(tok)
            continue
        comment, between = _split_newline(tok.text)
        if current:
            rows.append(_Stmt(current, comment))
            current = []
        elif comment is not None:  # a comment on the first line of the file
            rows.append(_Comment(comment))
        rows.extend(between)
    if current:
        rows.append(_Stmt(current))
    depth = 0
    for row in rows:
        if isinstance(row, _Stmt) and row.closes:
            depth -= 1
        row.depth = depth
        if isinstance(row, _Stmt) and row.opens:
            depth += 1
    return rows


# ------------------------------------------------------------------ top-level sections


@dataclass
class _Chunk:
    """One top-level item with the comments and blank lines written above it."""

    lead: list[_Row] = field(default_factory=list)
    body: list[_Row] = field(default_factory=list)

    @property
    def section(self) -> int:
        first = next(r for r in self.body if isinstance(r, _Stmt))
        return SECTION_ORDER.index(first.toks[0].rules[1])

    @property
    def is_block(self) -> bool:
        return any(isinstance(r, _Stmt) and r.opens for r in self.body)


def _chunks(rows: list[_Row]) -> tuple[list[_Chunk], list[_Row]]:
    """Top-level items with their leading comments, and the comments after the last item."""
    chunks: list[_Chunk] = []
    pending: list[_Row] = []
    current: _Chunk | None = None
    for row in rows:
        if current is not None:
            current.body.append(row)
            if row.depth == 0 and isinstance(row, _Stmt) and not row.opens:
                current = None  # a one-line item, or the `}` of a block
            continue
        if isinstance(row, _Stmt):
            current = _Chunk(pending, [row])
            chunks.append(current)
            pending = []
            if not row.opens:
                current = None
        else:
            pending.append(row)
    return chunks, pending


def _reorder(chunks: list[_Chunk]) -> tuple[list[_Row], list[_Chunk]]:
    """Sort the items into the section order (stable); a file header stays on top."""
    ordered = sorted(chunks, key=lambda c: c.section)
    header: list[_Row] = []
    if ordered and chunks and ordered[0] is not chunks[0]:
        # The first item moves: the comments above it head the file, except a last
        # paragraph written directly above the item, which moves with it.
        lead = chunks[0].lead
        blanks = [i for i, r in enumerate(lead) if isinstance(r, _Blank)]
        cut = blanks[-1] + 1 if blanks else len(lead)
        header, chunks[0].lead = lead[:cut], lead[cut:]
    return header, ordered


# ------------------------------------------------------------------ one line


def _width(text: str) -> int:
    # CJK characters take two cells in a terminal and in most editors.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _render_tokens(toks: list[Tok], pad_after: dict[int, int]) -> str:
    """The tokens of one statement with canonical spacing; pad_after[i] extra spaces after token i."""
    out: list[str] = []
    # `t*km`: a multiplication written without spaces stays so (a compound unit), any other gets one space.
    tight_star = {i for i, tok in enumerate(toks)
                  if tok.type == "STAR" and 0 < i < len(toks) - 1 and _touches(toks[i - 1], tok) and _touches(tok, toks[i + 1])}
    for i, tok in enumerate(toks):
        if i:
            prev = toks[i - 1]
            if not (i in tight_star or (i - 1) in tight_star or _spacing_tight(prev, tok)):
                out.append(" ")
            out.append(" " * pad_after.get(i - 1, 0))
        out.append(tok.text)
    return "".join(out)


def _touches(left: Tok, right: Tok) -> bool:
    return left.line == right.line and left.column + len(left.text) == right.column


def _spacing_tight(prev: Tok, cur: Tok) -> bool:
    if cur.type in ("DOT", "RPAR", "CIRCUMFLEX") or prev.type in ("DOT", "LPAR", "CIRCUMFLEX"):
        return True
    if prev.type == "MINUS" and prev.rule in ("neg", "negative_int", "negative_number", "geo_code"):
        return True
    if cur.type == "MINUS" and cur.rule == "geo_code":
        return True
    return "EQUAL" in (prev.type, cur.type) and cur.rule == "quality_score"


# ------------------------------------------------------------------ alignment


def _pads(rows: list[_Row]) -> dict[int, dict[int, int]]:
    """Extra spaces after token i of each statement (keyed by id), for the aligned columns."""
    pads: dict[int, dict[int, int]] = {}
    run: list[_Stmt] = []

    def flush() -> None:
        if len(run) > 1:
            _align_run(run, pads)
        run.clear()

    for row in rows:
        if isinstance(row, _Comment):
            continue  # a comment line does not break the column
        if isinstance(row, _Blank) or row.opens or row.closes or (run and run[0].depth != row.depth):
            flush()
            if isinstance(row, _Stmt) and not (row.opens or row.closes):
                run.append(row)
            continue
        run.append(row)
    flush()
    return pads


def _align_run(run: list[_Stmt], pads: dict[int, dict[int, int]]) -> None:
    if run[0].depth > 0:
        keyworded = [s for s in run if s.kind != "gwp_entry" and len(s.toks) > 1]
        if keyworded:
            width = max(_width(s.toks[0].text) for s in keyworded)
            for s in keyworded:
                pads.setdefault(id(s), {})[0] = width - _width(s.toks[0].text)
    families: dict[str, list[tuple[_Stmt, int, int]]] = {}  # statement, last token of its name cell, width
    for s in run:
        if s.kind == "gwp_entry":
            families.setdefault("gwp_entry", []).append((s, 0, _width(s.toks[0].text)))
        elif s.kind == "profile_param":  # `set KEY = VALUE`: the key is a dotted name
            last = next(i for i, t in enumerate(s.toks) if t.type == "EQUAL") - 1
            families.setdefault("profile_param", []).append((s, last, _width(_render_tokens(s.toks[1:last + 1], {}))))
        elif s.kind in _NAME_COLUMNS and len(s.toks) > 2:
            families.setdefault(_NAME_COLUMNS[s.kind], []).append((s, 1, _width(s.toks[1].text)))
    flows = families.get("flow", [])
    if any(s.toks[2].type == "STRING" for s, _, _ in flows):
        del families["flow"]  # labels of different lengths: the amounts cannot line up usefully
    for members in families.values():
        if len(members) < 2:
            continue
        column = max(width for _, _, width in members)
        for s, last, width in members:
            pads.setdefault(id(s), {})[last] = column - width


# ------------------------------------------------------------------ the whole text


def _normalise_blanks(rows: list[_Row]) -> list[_Row]:
    out: list[_Row] = []
    for row in rows:
        if isinstance(row, _Blank):
            if not out or isinstance(out[-1], _Blank) or (isinstance(out[-1], _Stmt) and out[-1].opens):
                continue
        elif isinstance(row, _Stmt) and row.closes and out and isinstance(out[-1], _Blank):
            out.pop()
        out.append(row)
    while out and isinstance(out[-1], _Blank):
        out.pop()
    return out


def _layout(rows: list[_Row]) -> list[_Row]:
    chunks, tail = _chunks(rows)
    header, ordered = _reorder(chunks)
    out: list[_Row] = list(header)
    if header and not isinstance(header[-1], _Blank):
        out.append(_Blank())
    previous: _Chunk | None = None
    for chunk in ordered:
        lead = list(chunk.lead)
        separate = previous is not None and (chunk.is_block or previous.is_block or chunk.section != previous.section)
        if separate and not (lead and isinstance(lead[0], _Blank)):
            lead.insert(0, _Blank())
        out.extend(lead)
        out.extend(chunk.body)
        previous = chunk
    if tail and previous is not None and previous.is_block and not isinstance(tail[0], _Blank):
        out.append(_Blank())
    out.extend(tail)
    return _normalise_blanks(out)


def format_text(text: str, file: str = "<input>") -> str:
    """The canonical layout of model text (LF line ends); raises PcfError when the text does not parse."""
    parse_text(text, file)  # the parser's own checks first (limits on size and nesting, docs/limits.md)
    rows = _layout(_rows(tokens(text, file)))
    pads = _pads(rows)
    lines = []
    for row in rows:
        if isinstance(row, _Blank):
            lines.append("")
        elif isinstance(row, _Comment):
            lines.append(INDENT * row.depth + row.text)
        else:
            line = INDENT * row.depth + _render_tokens(row.toks, pads.get(id(row), {}))
            if row.comment is not None:
                line += "  " + row.comment
            lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""


# ------------------------------------------------------------------ safety: same meaning, stable


def syntax_dump(node):
    """A syntax tree as nested tuples without positions: equal dumps mean the same text, whatever the layout."""
    if isinstance(node, Span):
        return None
    if type(node) is S.FlowLine:  # a flow line as its words: the same meaning as its Flow node
        node = node.expand()
    if is_dataclass(node):
        return (type(node).__name__,
                *((f.name, syntax_dump(getattr(node, f.name))) for f in fields(node) if f.name not in ("span", "path")))
    if isinstance(node, (list, tuple)):
        return tuple(syntax_dump(item) for item in node)
    return node


def _sections(file: S.File) -> list:
    """The items in section order (stable), as the formatter arranges them."""
    return sorted(file.items, key=lambda item: SECTION_ORDER.index(_SECTION_OF_NODE[type(item)]))


def _describe(item) -> str:
    name = getattr(item, "name", None) or getattr(item, "title", None) or getattr(item, "alias", None)
    what = _SECTION_OF_NODE.get(type(item), type(item).__name__).replace("_decl", "")
    text = getattr(name, "value", None)
    return f"{what} `{text}`" if text else what


def check_safe(before: str, after: str, file: str = "<input>") -> None:
    """Raise UnsafeFormatting unless `after` parses to the same syntax tree as `before` and is stable."""
    original = parse_text(before, file)
    shown = f"{file} (formatted)"  # its own name, so diagnostics of the real file keep showing the real lines
    try:
        formatted = parse_text(after, shown)
    except PcfError as exc:
        raise UnsafeFormatting(f"the formatted text does not parse: {exc.diagnostics[0].message} "
                               f"(line {exc.diagnostics[0].span.line if exc.diagnostics[0].span else '?'})") from None
    old_items, new_items = _sections(original), _sections(formatted)
    for old, new in zip(old_items, new_items):
        if syntax_dump(old) != syntax_dump(new):
            raise UnsafeFormatting(f"the formatted text means something else: {_describe(old)} "
                                   f"(line {old.span.line if old.span else '?'}) changed")
    if len(old_items) != len(new_items):
        raise UnsafeFormatting(f"the formatted text has {len(new_items)} items instead of {len(old_items)}")
    again = format_text(after, shown)
    if again != after:
        line = next((i + 1 for i, (a, b) in enumerate(zip(after.split("\n"), again.split("\n"))) if a != b),
                    min(after.count("\n"), again.count("\n")) + 1)
        raise UnsafeFormatting(f"the layout is not stable: formatting the output again changes its line {line}")


def model_difference(path: Path, formatted: str, original: bytes | None = None) -> str | None:
    """Load the model from `path` and from the formatted text beside it; a description of any difference.

    None when they are the same, or when the original does not load (the
    syntax check of :func:`check_safe` is then the whole guarantee). The
    formatted text is written to a temporary file in the same folder, so
    relative imports resolve as they do for the original, and removed after.
    `original`, the bytes the formatted text was made from, is loaded the same
    way instead of the file: an edit saved meanwhile is not what was formatted.
    """
    from .build import load

    if original is None:
        try:
            before = load(path)
        except PcfError:
            return None
    temporary = []
    try:
        for text in ([original] if original is not None else []) + [formatted.encode("utf-8")]:
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".fmt.pcf", dir=path.parent)
            except OSError:
                return None  # a read-only folder: the syntax check stands alone
            temporary.append(Path(tmp))
            with os.fdopen(fd, "wb") as handle:
                handle.write(text)
        if original is not None:
            try:
                before = load(temporary[0])
            except PcfError:
                return None
        try:
            after = load(temporary[-1])
        except PcfError as exc:
            return f"the formatted file does not load: {exc.diagnostics[0].message}"
    finally:
        for tmp in temporary:
            tmp.unlink(missing_ok=True)
    old = json.dumps(before.semantic(), sort_keys=False, ensure_ascii=False)
    new = json.dumps(after.semantic(), sort_keys=False, ensure_ascii=False)
    if old != new:
        return "the model loaded from the formatted file differs from the original"
    return None


# ------------------------------------------------------------------ bytes and files


@dataclass
class Formatted:
    path: Path | None
    before: bytes
    after: bytes

    @property
    def changed(self) -> bool:
        return self.before != self.after


def format_bytes(data: bytes, file: str = "<input>") -> bytes:
    """Format file contents: decoded as the parser decodes them, BOM and CRLF line ends kept; checked safe."""
    bom = data.startswith(b"\xef\xbb\xbf")
    first_end = data.find(b"\n")
    crlf = first_end > 0 and data[first_end - 1:first_end] == b"\r"
    text = decode(data, file)
    result = format_text(text, file)
    check_safe(text, result, file)
    if crlf:
        result = result.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if bom else b"") + result.encode("utf-8")


def format_file(path: str | Path, check_model: bool = True) -> Formatted:
    """Format one file in memory (nothing is written); raises PcfError or UnsafeFormatting."""
    path = Path(path)
    if not path.is_file():  # a device or a pipe could be endless: only regular files are read
        raise PcfError(Diagnostic("E003", f"cannot read {path}: not a regular file", None,
                                  help="name model files (*.pcf) or folders that hold them"))
    with path.open("rb") as handle:
        before = handle.read(MAX_FILE_BYTES + 1)  # never the whole of a huge file
    if len(before) > MAX_FILE_BYTES:
        raise PcfError(Diagnostic("E004", f"the file is too large; the limit is {MAX_FILE_BYTES // 2**20} MiB",
                                  Span(str(path), 1, 1, 1, 1),
                                  help="split the model into files that import each other (docs/limits.md)"))
    after = format_bytes(before, str(path))
    if check_model and after != before:
        problem = model_difference(path, decode(after, str(path)), before)  # the file is read once
        if problem:
            raise UnsafeFormatting(problem)
    return Formatted(path, before, after)

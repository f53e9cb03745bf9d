"""Importing an inventory table (CSV or XLSX) into a model file in the canonical layout.

A practitioner's inventory is a table with one row per line item: name, stage,
activity with its unit, emission factor with its unit and source, and often the
result the report printed. `import_table` reads such a table and writes the
model the way `examples/aluminium_billet/` is written: study, stage
declarations, boundary, cut-off, one `factor` per distinct factor (in a
factors file of its own), processes whose inputs carry `{ stage ... group ... }`
blocks, and a `claim` for every reported result.

What it never does is guess. A header it does not know is left alone (map it
with the mapping file); a unit it cannot read, a number that is not a number
and a missing value are reported with the row and column of the cell.

Activity data "per tonne of product" (`t/t`, `kWh/t`, `t*km/t`, `kg/kg`) are
turned into amounts per the process's reference output (`product billet 1 t`):
when the denominator is the reference unit and the reference amount is 1, the
amount is the printed number with the numerator unit (`0.58962 t`); otherwise
the conversion is written out as an expression the reader can follow
(`0.000013 kg / kg * 1 t`). docs/import-export.md describes the columns, the
mapping file and the unit spellings.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from .diagnostics import SOURCES, Diagnostic, PcfError, Span
from .limits import MAX_TABLE_BYTES, MAX_TABLE_CELLS
from .model import QUALITY_LEVELS, STANDARD_STAGES
from .units import CO2E, GASES, Q, ambiguity, is_unit

# ------------------------------------------------------------------ columns

# Logical fields of an inventory row. `name` or `local_name` names the line; the
# others are optional except the activity and the factor with their units.
FIELDS: dict[str, str] = {
    "stage": "life-cycle stage of the line (a standard stage, or one the model declares)",
    "group": "reporting group (e.g. purchased materials), written as `group NAME`",
    "name": "name of the line item (English or any language); the identifier is made from it",
    "local_name": "name in the report's language, put first in the label (`铝锭 / aluminium ingot`)",
    "activity": "activity amount per reference output of the product",
    "activity_unit": "unit of the activity, usually per unit of product (`t/t`, `kWh/t`)",
    "factor": "emission factor value",
    "factor_unit": "unit of the factor: a gas or CO2e per unit of activity (`t CO2e/t`)",
    "factor_source": "where the factor comes from (database, publication)",
    "reported": "the line result the report prints, written as a claim",
    "process": "process the line belongs to (used with --process-by process)",
    "kind": "`input` (default) or `emit` (a direct emission computed with the factor)",
    "dq_activity": "data-quality level of the activity data (continuous, periodic, estimated or 1..6)",
    "dq_factor": "data-quality level of the factor (measured ... international or 1..6)",
    "dq_calibration": "data-quality level of instrument calibration (compliant, accepted, none or 1..6)",
}
REQUIRED_FIELDS = ("activity", "activity_unit", "factor", "factor_unit")

# Headers recognised without a mapping file, compared after `_header_key`
# (NFKC, lower case, `_`/`-` as spaces, a trailing unit in brackets removed).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "stage": ("stage", "life cycle stage", "lifecycle stage", "生命周期阶段", "生命周期过程", "阶段"),
    "group": ("group", "category", "类别", "分类"),
    "name": ("item en", "item", "name", "item name", "line item", "flow", "english name"),
    "local_name": ("item zh", "item local", "物料", "名称", "物料名称", "项目", "排放源"),
    "activity": ("activity", "activity data", "amount", "活动数据", "活动水平", "活动数据量"),
    "activity_unit": ("activity unit", "活动数据单位"),
    "factor": ("factor", "emission factor", "ef", "排放因子", "排放系数"),
    "factor_unit": ("factor unit", "emission factor unit", "ef unit", "排放因子单位", "排放系数单位"),
    "factor_source": ("factor source", "source", "emission factor source", "排放因子来源", "排放系数来源",
                      "数据来源", "来源"),
    "reported": ("reported", "result", "reported result", "emissions", "温室气体量", "碳排放量", "排放量",
                 "温室气体排放量"),
    "process": ("process", "过程", "工序"),
    "kind": ("kind", "flow kind", "type"),
    "dq_activity": ("dq activity", "quality activity", "activity quality"),
    "dq_factor": ("dq factor", "quality factor", "factor quality"),
    "dq_calibration": ("dq calibration", "quality calibration", "calibration"),
}
# A bare "unit" column belongs to the number column before it (the reference's
# Table 1 has 活动数据 | 单位 | 排放因子 | 单位).
BARE_UNIT_HEADERS = ("unit", "units", "单位")
UNIT_OF = {"activity": "activity_unit", "factor": "factor_unit"}

# `reported_kgco2e_per_kg` and the like: the unit is in the header name.
_REPORTED_WITH_UNIT = re.compile(r"^reported[ _]+(k?g|t)[ _]*co2[ _-]*e?q?[ _]+per[ _]+([a-z0-9]+)$", re.I)

# Stage names in the report's language for the standard stages.
STAGE_ALIASES: dict[str, str] = {
    "原材料获取": "raw_material_acquisition", "原料获取": "raw_material_acquisition",
    "原材料获取阶段": "raw_material_acquisition", "原材料": "raw_material_acquisition",
    "生产": "production", "生产制造": "production", "生产过程": "production", "生产阶段": "production",
    "分销": "distribution", "分销运输": "distribution", "使用": "use", "使用阶段": "use",
    "废弃": "end_of_life", "寿命终止": "end_of_life", "生命末期": "end_of_life", "废弃处置": "end_of_life",
}

# ------------------------------------------------------------------ unit spellings

# Spellings the reference and its kind write that the language does not. Each
# is one explicit rewrite, applied in this order after Unicode NFKC
# normalisation (which already turns `m³` into `m3`, `CO₂` into `CO2` and
# full-width `／（）` into `/()`).
UNIT_REWRITES: tuple[tuple[str, str, str], ...] = (
    # (pattern, replacement, why)
    (r"[·⋅×]", "*", "a middle dot or times sign is multiplication: `t·km` -> `t*km`"),
    (r"(?i)CO2[-_ ]?(?:eq(?:uivalent)?|e)\b", "CO2e", "`CO2-eq`, `CO2eq`, `CO2-Eq`, `CO2-e` -> `CO2e`"),
    # Chinese unit words, only where they stand alone (吨标煤, tonne of coal equivalent, is no `t`).
    (r"(?<![\u4e00-\u9fff])吨公里(?![\u4e00-\u9fff])", "t*km", "吨公里 (tonne-kilometre) -> `t*km`"),
    (r"(?<![\u4e00-\u9fff])兆瓦时(?![\u4e00-\u9fff])", "MWh", "兆瓦时 -> `MWh`"),
    (r"(?<![\u4e00-\u9fff])千瓦时(?![\u4e00-\u9fff])", "kWh", "千瓦时 -> `kWh`"),
    (r"(?<![\u4e00-\u9fff])立方米(?![\u4e00-\u9fff])", "m3", "立方米 -> `m3`"),
    (r"(?<![\u4e00-\u9fff])(?:千克|公斤)(?![\u4e00-\u9fff])", "kg", "千克, 公斤 -> `kg`"),
    (r"(?<![\u4e00-\u9fff])(?:公里|千米)(?![\u4e00-\u9fff])", "km", "公里, 千米 -> `km` (`吨·公里` -> `t*km`)"),
    (r"(?<![\u4e00-\u9fff])吨(?![\u4e00-\u9fff])", "t", "吨 -> `t`"),
    # After the Chinese words, so that `吨CO2e/吨` and `千克CO2/千克` are split too.
    (r"(?<![A-Za-z])(mg|g|kg|t|kt|Mt)(?=(?:CO2e|CO2|CH4|N2O|SF6|NF3)(?![A-Za-z0-9]))", r"\1 ",
     "a mass glued to a gas is split: `tCO2` -> `t CO2`, `kgCO2e` -> `kg CO2e`"),
    (r"\s+", " ", "runs of white space become one space"),
)
_COMPILED_REWRITES = tuple((re.compile(p), r) for p, r, _ in UNIT_REWRITES)


def normalise_unit(text: str) -> str:
    """The unit spelling the language reads: `tCO2/MWh` -> `t CO2/MWh`, `kgCO2-eq/m³` -> `kg CO2e/m3`."""
    out = unicodedata.normalize("NFKC", text).strip()
    for pattern, replacement in _COMPILED_REWRITES:
        out = pattern.sub(replacement, out)
    return out.strip()


# Names refused, never guessed: the language's (units.ambiguity, names pint reads one way and
# inventories often mean another), and a spelling of tables that the language writes otherwise.
TABLE_SPELLINGS: dict[str, str] = {"tonne_km": "write `t*km` for tonne-kilometres"}


class UnitError(ValueError):
    """A unit text that the language cannot read; the message says which part."""


@lru_cache(maxsize=1024)
def read_unit(text: str):
    """Read a normalised unit text with the language's own grammar; returns a pint Quantity.

    Using the model grammar (not pint's string parser) guarantees that the text
    written into the model means what was read here: `kg CO2e/t km` is
    (kg CO2e)/(t km) in both.
    """
    from . import syntax as S
    from .evaluate import evaluate
    from .parse import parse_text

    if not text:
        raise UnitError("the unit is empty")
    try:
        parsed = parse_text(f"param unit_probe = 1 {text}\n", "<unit>")
    except PcfError:
        raise UnitError(f"`{text}` is not a unit expression") from None
    items = parsed.items
    if len(items) != 1 or not isinstance(items[0], S.Param):
        raise UnitError(f"`{text}` is not a unit expression")

    def resolve(name: S.Name):
        if (refused := ambiguity(name.dotted)) is not None:
            raise UnitError(refused)
        if name.dotted in TABLE_SPELLINGS:
            raise UnitError(f"`{name.dotted}` is ambiguous: {TABLE_SPELLINGS[name.dotted]}")
        if len(name.parts) == 1 and is_unit(name.dotted):
            return Q(1, name.dotted)
        raise UnitError(f"`{name.dotted}` is not a unit")

    try:
        return evaluate(items[0].expr, resolve)
    except PcfError as exc:
        raise UnitError(exc.diagnostics[0].message) from None


def _split_per(text: str) -> tuple[str, str | None]:
    """`t*km/t` -> (`t*km`, `t`); `kWh` -> (`kWh`, None). Splits at the first `/` outside brackets."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "/" and depth == 0:
            return text[:i].strip(), text[i + 1:].strip()
    return text.strip(), None


def _gas_of(quantity) -> list[str]:
    return [name for name, _ in quantity.unit_items() if name in GASES or name == CO2E]


# ------------------------------------------------------------------ the table


@dataclass(slots=True)
class Cell:
    text: str
    row: int  # line of the CSV file or row of the sheet, from 1
    column: int  # column index, from 1
    span: Span

    @property
    def ref(self) -> str:
        return f"{_column_letter(self.column)}{self.row}"


@dataclass
class Table:
    file: str
    header: list[Cell]
    rows: list[list[Cell]]
    header_line: int


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _cell_offsets(line: str, delimiter: str) -> list[tuple[int, int]]:
    """Character spans (0-based start, end) of the cells of one CSV line, quotes honoured."""
    spans, start, quoted, i = [], 0, False, 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            if quoted and i + 1 < len(line) and line[i + 1] == '"':
                i += 1
            else:
                quoted = not quoted
        elif ch == delimiter and not quoted:
            spans.append((start, i))
            start = i + 1
        i += 1
    spans.append((start, len(line)))
    return spans


def _too_many_cells(display: str, row: int) -> PcfError:
    return PcfError(Diagnostic(
        "E601", f"the table has more than {MAX_TABLE_CELLS:,} cells by row {row} (empty cells counted as the file "
                "lists them)", Span(display, row, 1, row, 1),
        help="an inventory has one row per line item and a few columns: delete the empty rows and columns "
             "after the table, or save the inventory alone as CSV (docs/limits.md)"))


def _too_large(what: str, size: int | None, span: Span | None) -> PcfError:
    shown = f"{size / 2**20:.1f} MiB" if size is not None else "more than that"
    return PcfError(Diagnostic("E601", f"{what} is too large: {shown}; the limit is {MAX_TABLE_BYTES // 2**20} MiB",
                               span, help="an inventory is a table of line items: save it alone, as CSV (docs/limits.md)"))


def _read_csv(path: Path, display: str, encoding: str, delimiter: str) -> list[list[Cell]]:
    with open(path, "rb") as handle:  # never more than the limit, whatever the file's size
        data = handle.read(MAX_TABLE_BYTES + 1)
    if len(data) > MAX_TABLE_BYTES:
        size = path.stat().st_size
        raise _too_large("the table", size if size > MAX_TABLE_BYTES else None, Span(display, 1, 1, 1, 1))
    try:
        text = data.decode("utf-8-sig" if encoding.lower().replace("-", "") in ("utf8", "utf8sig") else encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        guess, help = "", "save the table as UTF-8, or name its encoding: --encoding gb18030"
        if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:1000].count(0) * 4 > len(data[:1000]):
            # Excel's "Unicode text" is UTF-16 (little-endian, with a BOM): GB18030 would read it as
            # garbage. Without a BOM the NULs of ASCII text say which byte order it is.
            source = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else \
                "utf-16-le" if data[1:1000:2].count(0) > data[0:1000:2].count(0) else "utf-16-be"
            guess = " (it looks like UTF-16, as Excel's \"Unicode text\" is)"
            option = f"--encoding {source}"
            try:
                if delimiter == "," and "\t" in data.decode(source).split("\n", 1)[0]:
                    option += " --delimiter '\\t'"  # "Unicode text" separates its cells with tabs
            except UnicodeDecodeError:
                pass
            help = f"name its encoding: {option}, or save the table as CSV UTF-8"
        raise PcfError(Diagnostic(
            "E601", f"the table is not {encoding} text{guess}: byte 0x{data[exc.start]:02x} on line {line} "
            "cannot be decoded", Span(display, line, 1, line, 1), help=help))
    except LookupError:
        raise PcfError(Diagnostic("E610", f"unknown text encoding `{encoding}`", None,
                                  help="use a Python codec name such as utf-8 or gb18030")) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    SOURCES.add(display, text)
    lines = text.split("\n")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[Cell]] = []
    cells_read = 0
    while True:
        first = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                # csv's own bound on one cell; usually a quote opened here and never closed,
                # which makes the rest of the file one cell.
                raise PcfError(Diagnostic(
                    "E601", f"a cell from this line on is longer than {csv.field_size_limit():,} characters",
                    Span(display, first, 1, first, 1),
                    help="if a cell here opens a quote, close it: everything up to the next quote is one cell; "
                         "an inventory cell holds a name, a number or a unit")) from None
            raise PcfError(Diagnostic("E601", f"the CSV table cannot be read: {exc}",
                                      Span(display, first, 1, first, 1),
                                      help="check the quotes on this line: a quoted cell must end with a quote")) from None
        cells_read += len(record)
        if cells_read > MAX_TABLE_CELLS:
            raise _too_many_cells(display, first)
        last = reader.line_num
        offsets = _cell_offsets(lines[first - 1], delimiter) if first == last and first <= len(lines) else []
        cells = []
        for index, value in enumerate(record, start=1):
            if len(offsets) == len(record):
                start, end = offsets[index - 1]
                span = Span(display, first, start + 1, first, max(end + 1, start + 2))
            else:  # a record over several lines: point at its first line
                span = Span(display, first, 1, first, 2)
            cells.append(Cell(value, first, index, span))
        rows.append(cells)
    return rows


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text or "E" in text:  # 1e-05 -> 0.00001: the number as a person writes it
            text = format(Decimal(text), "f")
        return text
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# Excel's own bound: a row after it is in no workbook Excel writes.
_XLSX_LAST_ROW = 1_048_576


def _read_xlsx(path: Path, display: str, sheet: str | None) -> list[list[Cell]]:
    import warnings

    # openpyxl warns about what it would drop if it saved the workbook ("Data Validation extension is
    # not supported and will be removed", "Workbook contains no default style"): drop-downs and
    # styles, never a value, and nothing is saved here. Printed, they read as a Python fault with a
    # path into site-packages under the import's own messages.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        return _read_workbook(path, display, sheet)


def _read_workbook(path: Path, display: str, sheet: str | None) -> list[list[Cell]]:
    import zipfile

    import openpyxl

    def unreadable(exc: Exception | str) -> PcfError:
        return PcfError(Diagnostic("E601", f"{display} cannot be read as an .xlsx workbook: {str(exc) or type(exc).__name__}",
                                   None, help="save the sheet as .xlsx (Excel 2007 or later) or as CSV (UTF-8)"))

    # Whatever openpyxl raises while it reads is about the file: a damaged zip (a bad CRC, a
    # missing part), XML cut short, a value of the wrong type. The workbook is input from outside
    # like a model, and a damaged one is the user's to fix (exit 2), not a bug in pcf (exit 3).
    try:
        # A workbook is a zip archive, and a few kilobytes can unzip to gigabytes. The sizes
        # its directory states are what zipfile unzips at most (a part that unzips to more
        # fails its CRC), so checking them before anything is unzipped bounds the memory.
        with zipfile.ZipFile(path) as archive:
            part = max(archive.infolist(), key=lambda info: info.file_size, default=None)
        if part is not None and part.file_size > MAX_TABLE_BYTES:
            raise _too_large(f"the part {part.filename} of the workbook, unzipped,", part.file_size, None)
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except PcfError:
        raise
    except Exception as exc:  # noqa: BLE001 - see above
        raise unreadable(exc) from None
    try:
        worksheets = {ws.title: ws for ws in workbook.worksheets}  # a chart sheet has no cells
        if sheet is not None:
            if sheet not in worksheets:
                raise PcfError(Diagnostic("E610", f"the workbook has no sheet `{sheet}` with cells", None,
                                          help=f"sheets: {', '.join(worksheets) or 'none'}"))
            worksheet = worksheets[sheet]
        elif worksheets:
            worksheet = next(iter(worksheets.values()))
        else:
            raise PcfError(Diagnostic("E601", f"the workbook {display} has no sheet with cells", None,
                                      help="put the inventory on a worksheet, or save it as CSV (UTF-8)"))
        # The size a sheet states is not trusted. Stated too small (`A1:J10` on 58 rows, as some
        # writers do), openpyxl stops there and the rows after it are lost without a word; stated
        # too large (`A1:XFD1048576`, after one stray cell far away), it pads every row to it:
        # 17 billion cells. Without it each row is as wide as its last cell, and every row is read.
        worksheet.reset_dimensions()
        values, cells_read = [], 0
        for number, row in enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1):
            if number > _XLSX_LAST_ROW:
                raise unreadable(f"a cell lies after row {_XLSX_LAST_ROW:,}, the last row Excel has")
            cells_read += len(row)
            if cells_read > MAX_TABLE_CELLS:
                raise _too_many_cells(display, number)
            values.append([_xlsx_text(v) for v in row])
    except PcfError:
        raise
    except Exception as exc:  # noqa: BLE001 - see above
        raise unreadable(exc) from None
    finally:
        workbook.close()
    # The rows as text, so that a diagnostic can show the row it points at.
    lines, rows = [], []
    for number, row in enumerate(values, start=1):
        cells, parts, col = [], [], 1
        for index, value in enumerate(row, start=1):
            shown = value if value else ""
            span = Span(display, number, col, number, col + max(len(shown), 1))
            cells.append(Cell(value, number, index, span))
            parts.append(shown)
            col += len(shown) + 3
        lines.append(" | ".join(parts).rstrip())
        rows.append(cells)
    SOURCES.add(display, "\n".join(lines))
    return rows


def read_table(path: str | Path, *, sheet: str | None = None, encoding: str = "utf-8", delimiter: str | None = None,
               header_row: int | None = None) -> Table:
    """The rows of a CSV or XLSX inventory, every cell with its place."""
    path = Path(path)
    display = str(path)
    if not path.is_file():
        message = (f"the table {display} is not a regular file (a folder, a device or a pipe)" if path.exists()
                   else f"cannot find the table {display}")
        raise PcfError(Diagnostic("E601", message, None,
                                  help="check the path; the table must be a .csv, .tsv or .xlsx file"))
    suffix = path.suffix.lower()
    if delimiter is not None:
        # `--delimiter '\t'` as shells pass it: a backslash and a t, meant as a tab.
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise PcfError(Diagnostic("E610", f"the delimiter {delimiter!r} is not one character", None,
                                      help="give one character: `;`, `|`, or `\\t` for a tab"))
    if suffix in (".xlsx", ".xlsm"):
        rows = _read_xlsx(path, display, sheet)
    elif suffix in (".csv", ".tsv", ".txt"):
        rows = _read_csv(path, display, encoding, delimiter or ("\t" if suffix == ".tsv" else ","))
    elif suffix == ".xls":
        raise PcfError(Diagnostic("E601", f"{display} is an old Excel (.xls) workbook", None,
                                  help="save it as .xlsx or as CSV (UTF-8)"))
    else:
        raise PcfError(Diagnostic("E601", f"{display}: unknown table format `{suffix}`", None,
                                  help="give a .csv, .tsv or .xlsx file"))
    nonempty = [r for r in rows if any(c.text.strip() for c in r)]
    if not nonempty:
        raise PcfError(Diagnostic("E602", f"the table {display} is empty", None,
                                  help="the first row names the columns; one line item per row follows"))
    if header_row is not None:
        header = next((r for r in rows if r and r[0].row == header_row), None)
        if header is None:
            raise PcfError(Diagnostic("E610", f"the table has no row {header_row}", None, help="check --header-row"))
    else:
        header = nonempty[0]
    body = [r for r in rows if r and r[0].row > header[0].row and any(c.text.strip() for c in r)]
    return Table(display, header, body, header[0].row)


# ------------------------------------------------------------------ options


@dataclass
class ImportOptions:
    """What the table does not say, from the mapping file and the command line."""

    columns: dict[str, str] = field(default_factory=dict)  # field -> header text
    sheet: str | None = None
    header_row: int | None = None
    encoding: str = "utf-8"
    delimiter: str | None = None
    title: str | None = None
    product: str = "product"  # identifier of the reference product
    product_label: str | None = None
    producer: str | None = None
    process: str = "production"  # identifier of the product's process
    process_label: str | None = None
    process_stage: str = "production"
    process_by: str | None = None  # field or header whose values split the rows into processes
    per: str | None = None  # reference output of the product, e.g. "1 t"; default from the activity units
    declared_unit: str | None = None  # e.g. "1 kg"; default from the reported unit, else the reference output
    declared_unit_label: str | None = None
    period: str | None = None  # "2024-01-01 to 2024-12-31"
    geography: str | None = None
    standards: list[str] = field(default_factory=list)
    gwp: str = "ar6"  # ar6, ar5 or none
    boundary: str | None = None  # shorthand, e.g. cradle_to_gate
    stage_names: dict[str, str] = field(default_factory=dict)  # value in the table -> stage name
    cutoff: dict[str, str] = field(default_factory=dict)  # basis, per_flow, cumulative, note
    reported_unit: str | None = None
    factors_file: str | None = "factors.pcf"  # None: factors in the model file itself
    notes: list[str] = field(default_factory=list)
    # Where the mapping file sets an option that goes into the model as written (`period`,
    # `cutoff.per_flow`): an error in that text is the mapping's, and is shown there.
    origins: dict[str, Span] = field(default_factory=dict)


_MAPPING_KEYS = {
    "columns": None,
    "stages": None,
    "cutoff": {"basis", "per_flow", "cumulative", "note"},
    "study": {"title", "product", "producer", "declared_unit", "declared_unit_label", "period", "geography",
              "standards", "gwp", "boundary", "note"},
    "process": {"name", "label", "stage", "product", "product_label", "per", "by"},
    "table": {"sheet", "header_row", "encoding", "delimiter", "reported_unit"},
}


def load_mapping(path: str | Path, options: ImportOptions | None = None) -> ImportOptions:
    """Options from a TOML mapping file (docs/import-export.md shows one)."""
    path = Path(path)
    options = options or ImportOptions()

    def fail(message: str, help: str) -> PcfError:
        return PcfError(Diagnostic("E609", f"{path}: {message}", None, help=help))

    # Only a regular file, and never more than a table may be: `--mapping /dev/zero` read until
    # memory ran out, and a pipe with no writer would be waited on for ever.
    if path.exists() and not path.is_file():
        raise fail("the mapping file is not a regular file (a folder, a device or a pipe)",
                   "give the path of a .toml file (docs/import-export.md shows one)")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_TABLE_BYTES + 1)
        if len(raw) > MAX_TABLE_BYTES:
            raise fail(f"the mapping file is larger than {MAX_TABLE_BYTES // 2**20} MiB",
                       "a mapping file names columns and options: a few lines (docs/import-export.md)")
        data = tomllib.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise fail(f"cannot read the mapping file: {exc.strerror}", "check the path") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise fail(f"not a valid TOML file: {exc}", "see docs/import-export.md for an example mapping file") from None
    for section, value in data.items():
        if section not in _MAPPING_KEYS:
            raise fail(f"unknown section [{section}]", f"sections: {', '.join(_MAPPING_KEYS)}")
        if not isinstance(value, dict):
            raise fail(f"[{section}] must be a table of keys", f"write [{section}] on its own line, then key = value lines")
        allowed = _MAPPING_KEYS[section]
        for key, item in value.items():
            if allowed is not None and key not in allowed:
                raise fail(f"unknown key `{key}` in [{section}]", f"keys: {', '.join(sorted(allowed))}")
            if section == "columns" and key not in FIELDS:
                raise fail(f"unknown column field `{key}` in [columns]", f"fields: {', '.join(FIELDS)}")
            if key in ("standards", "note"):
                if not (isinstance(item, list) and all(isinstance(s, str) for s in item)) and not isinstance(item, str):
                    raise fail(f"`{key}` must be a text or a list of texts", f'{key} = ["..."]')
            elif key == "header_row":
                if not isinstance(item, int) or item < 1:
                    raise fail("`header_row` must be a row number from 1", "header_row = 3")
            elif not isinstance(item, str):
                raise fail(f"`{key}` in [{section}] must be a text in quotes", f'{key} = "..."')
    columns = data.get("columns", {})
    options.columns.update(columns)
    options.stage_names.update(data.get("stages", {}))
    options.cutoff.update(data.get("cutoff", {}))
    study = data.get("study", {})
    for key, attr in (("title", "title"), ("product", "product_label"), ("producer", "producer"),
                      ("declared_unit", "declared_unit"), ("declared_unit_label", "declared_unit_label"),
                      ("period", "period"), ("geography", "geography"), ("gwp", "gwp"), ("boundary", "boundary")):
        if key in study:
            setattr(options, attr, study[key])
    if "standards" in study:
        options.standards = [study["standards"]] if isinstance(study["standards"], str) else list(study["standards"])
    if "note" in study:
        options.notes = [study["note"]] if isinstance(study["note"], str) else list(study["note"])
    process = data.get("process", {})
    for key, attr in (("name", "process"), ("label", "process_label"), ("stage", "process_stage"),
                      ("product", "product"), ("product_label", "product_label"), ("per", "per"), ("by", "process_by")):
        if key in process:
            setattr(options, attr, process[key])
    table = data.get("table", {})
    for key in ("sheet", "header_row", "encoding", "delimiter", "reported_unit"):
        if key in table:
            setattr(options, key, table[key])
    text = raw.decode("utf-8")
    for attr, (section, key) in MAPPED_TEXT.items():
        if key in data.get(section, {}) and (span := _mapping_value_span(str(path), text, section, key)) is not None:
            options.origins[attr] = span
    if options.origins:
        SOURCES.add(str(path), text)
    return options


# Options whose text the generated model holds as the mapping wrote it (or reads as a unit), and their
# mapping keys: an error in one is shown at the mapping's value.
MAPPED_TEXT = {"period": ("study", "period"), "geography": ("study", "geography"), "boundary": ("study", "boundary"),
               "gwp": ("study", "gwp"), "cutoff.basis": ("cutoff", "basis"),
               "cutoff.per_flow": ("cutoff", "per_flow"), "cutoff.cumulative": ("cutoff", "cumulative"),
               "declared_unit": ("study", "declared_unit"), "reported_unit": ("table", "reported_unit")}


def _option_said(options: ImportOptions, attr: str, example: str) -> tuple[str, Span | None, str]:
    """How an error in an option's value names it: its mapping key and place when the mapping file set it
    (`[study] declared_unit`, the hint `declared_unit = "1 kg"`), else the command-line option."""
    span = options.origins.get(attr)
    if span is None:
        option = "--" + attr.replace("_", "-")
        return option, None, f'e.g. {option} "{example}"'
    section, key = MAPPED_TEXT[attr]
    return f"[{section}] {key}", span, f'e.g. {key} = "{example}" under [{section}] of the mapping file'


def _mapping_value_span(file: str, text: str, section: str, key: str) -> Span | None:
    """Where `key = value` of `[section]` is in a mapping file's text: tomllib gives values, not places.

    The plain layout the docs show (a `[section]` line, then `key = value` lines) is found; a key
    written otherwise (a dotted key, an inline table) gets no place, and the message names the file.
    """
    current = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if header := re.fullmatch(r"\[\s*([\w-]+)\s*\]\s*(#.*)?", stripped):
            current = header.group(1)
            continue
        found = re.match(rf'\s*["\']?{re.escape(key)}["\']?\s*=\s*', line)
        if current == section and found:
            value = line[found.end():]
            quoted = re.match(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'', value)
            length = len(quoted.group(0)) if quoted else len(value.split("#")[0].rstrip()) or 1
            start = found.end() + 1
            return Span(file, number, start, number, start + length)
    return None


# ------------------------------------------------------------------ reading the rows


@dataclass
class Line:
    """One row of the inventory, read and checked."""

    row: int
    name: str  # identifier in the model
    label: str
    names: tuple[str, str]  # (local name, name) as written
    stage: str | None
    group: str | None
    activity_text: str
    activity_unit: str  # normalised text
    factor_text: str
    factor_unit: str
    source: str | None
    reported_text: str | None
    process_value: str | None
    kind: str
    quality: dict[str, str]
    amount_text: str = ""  # the amount per reference output as written into the model
    flow: tuple[str, str] | None = None  # (process, flow) written for it
    factor: str | None = None  # the factor declaration it uses


@dataclass
class Imported:
    """The model texts an import produces, and what was read."""

    files: dict[str, str]  # file name -> text (the model first)
    lines: list[Line]
    factors: int
    processes: list[str]


def _header_key(text: str) -> str:
    key = unicodedata.normalize("NFKC", text).strip().lower()
    key = re.sub(r"\s*[(\[（【].*?[)\]）】]\s*$", "", key)  # a trailing unit in brackets
    return re.sub(r"[\s_\-]+", " ", key).strip()


def _header_unit(text: str) -> str | None:
    match = re.search(r"[(\[（【](.*?)[)\]）】]\s*$", unicodedata.normalize("NFKC", text))
    if match:
        return match.group(1).strip()
    match = _REPORTED_WITH_UNIT.match(unicodedata.normalize("NFKC", text).strip())
    if match:
        return f"{match.group(1)} CO2e / {match.group(2)}"
    return None


def map_columns(table: Table, options: ImportOptions) -> tuple[dict[str, int], list[Diagnostic]]:
    """Field -> column index (from 1), from the mapping and the recognised headers."""
    diagnostics: list[Diagnostic] = []
    found: dict[str, int] = {}
    by_text = {c.text.strip(): c for c in table.header if c.text.strip()}
    for field_name, header_text in options.columns.items():
        cell = by_text.get(header_text.strip())
        if cell is None:
            diagnostics.append(Diagnostic(
                "E602", f"the mapping names the column `{header_text}` for `{field_name}`, but the table has no such column",
                _header_line_span(table), help="columns of the table: " + ", ".join(f"`{t}`" for t in by_text)))
            continue
        found[field_name] = cell.column
    mapped_columns = set(found.values())
    alias_index = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
    previous_number: str | None = None
    for cell in table.header:
        key = _header_key(cell.text)
        if not key:
            continue
        if cell.column in mapped_columns:
            previous_number = next((f for f, c in found.items() if c == cell.column), None)
            continue
        name = alias_index.get(key)
        if name is None and _REPORTED_WITH_UNIT.match(unicodedata.normalize("NFKC", cell.text).strip()):
            name = "reported"
        if name is None and key in BARE_UNIT_HEADERS and previous_number in UNIT_OF:
            name = UNIT_OF[previous_number]
        if name is None:
            previous_number = None
            continue
        if name in found:
            if found[name] != cell.column:
                first = table.header[found[name] - 1]
                diagnostics.append(Diagnostic(
                    "E608", f"two columns are read as `{name}`: `{first.text}` ({first.ref}) and `{cell.text}` ({cell.ref})",
                    cell.span, help=f"name the one to use in the mapping file: [columns] {name} = \"{first.text}\""))
            continue
        found[name] = cell.column
        previous_number = name
    return found, diagnostics


def _header_line_span(table: Table) -> Span:
    first, last = table.header[0], table.header[-1]
    return Span(table.file, first.row, first.span.column, first.row, max(last.span.end_column, first.span.column + 1))


_NUMBER = re.compile(r"^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _number_text(text: str, signed: bool = False) -> str | None:
    """The number as the language writes it (`.5` -> `0.5`), or None when the cell is not a number.

    With `signed`, a leading minus (`-` or U+2212, the minus sign of word processors) is kept:
    a factor or a result may be negative (a removal), an amount or an option value may not.
    """
    text = unicodedata.normalize("NFKC", text).strip().lstrip("+")
    sign = ""
    if signed and text[:1] in ("-", "\u2212"):
        sign, text = "-", text[1:].lstrip()
    if not _NUMBER.match(text):
        return None
    if text.startswith("."):
        text = "0" + text
    if text.endswith("."):
        text = text[:-1]
    return sign + text


def _slug(text: str) -> str:
    """An identifier of the language made from a name: `Al-Si alloy 12%` -> `al_si_alloy_12`."""
    slug = re.sub(r"\W+", "_", unicodedata.normalize("NFKC", text).lower()).strip("_")
    if not slug:
        slug = "item"
    if slug[0].isdigit():
        slug = "n_" + slug
    if slug in _keywords() or slug in _unit_names():  # `T` or `Item` would name the unit (E204)
        slug += "_"
    return slug


@lru_cache(maxsize=1)
def _unit_names() -> frozenset[str]:
    from .build import RESERVED_UNIT_NAMES

    return RESERVED_UNIT_NAMES


@lru_cache(maxsize=1)
def _keywords() -> frozenset[str]:
    from .parse import grammar_path

    return frozenset(re.findall(r'"([a-z_]+)"', grammar_path().read_text(encoding="utf-8")))


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{name}_{n}"
        n += 1
    taken.add(candidate)
    return candidate


# What a line of model text cannot hold: control characters (line breaks included), bidi overrides
# and lone surrogates (bytes of a name that are not UTF-8).
_NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _file_name(table: Table) -> str:
    """The table's file name as model text. A name is bytes to the system and may hold what a model
    line cannot: a line break would end the comment it is in and start a statement, and bytes that
    are not UTF-8 reach Python as lone surrogates, which no UTF-8 file holds. Both become U+FFFD."""
    return _NOT_IN_A_LINE.sub("\ufffd", Path(table.file).name)


def _quote(text: str) -> str:
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    # A cell's other control characters as U+FFFD, as the table's name: a carriage return would end the
    # line inside the text, and an escape sequence would reach the terminal the model is printed to.
    return '"' + _NOT_IN_A_LINE.sub("\ufffd", text) + '"'


def _stage_name(value: str, options: ImportOptions) -> str:
    value = value.strip()
    if value in options.stage_names:
        return options.stage_names[value]
    if value in STAGE_ALIASES:
        return STAGE_ALIASES[value]
    return _slug(value)


def _other_separator(table: Table) -> tuple[str, int] | None:
    """The separator a one-cell header is full of (`;`, a tab, `|`) and how many it holds, or None."""
    cells = [c for c in table.header if c.text.strip()]
    if len(cells) != 1:
        return None
    counts = {sep: cells[0].text.count(sep) for sep in (";", "\t", "|")}
    separator = max(counts, key=counts.get)
    return (separator, counts[separator]) if counts[separator] >= 2 else None


def read_lines(table: Table, options: ImportOptions) -> tuple[list[Line], dict[str, int], list[Diagnostic]]:
    """Every row as a checked `Line`; the diagnostics of all bad cells, not only the first."""
    columns, diagnostics = map_columns(table, options)
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if "name" not in columns and "local_name" not in columns:
        missing.insert(0, "name")
    found = _other_separator(table) if missing else None
    if found is not None:
        separator, count = found
        # One error for the cause, not one "no column" error per field: a European spreadsheet saves
        # its CSV with `;`, and a comma-separated reading sees the whole header as one column.
        shown = {"\t": "tabs", ";": "`;`", "|": "`|`"}[separator]
        flag, toml = ("'\\t'", '"\\t"') if separator == "\t" else (f"'{separator}'", f'"{separator}"')
        return [], columns, diagnostics + [Diagnostic(
            "E602", f"the header row reads as one cell, with {count} {shown} in it: the file's cells look "
                    f"separated by {shown}",
            _header_line_span(table),
            help=f"pass --delimiter {flag} (or `delimiter = {toml}` under [table] in the mapping file)")]
    for name in missing:
        aliases = ", ".join(f"`{a}`" for a in HEADER_ALIASES.get(name, ())[:6])
        if name in UNIT_OF.values():
            number = next(k for k, v in UNIT_OF.items() if v == name)
            aliases += f", or a column `unit` (`单位`) right after the {number} column"
        diagnostics.append(Diagnostic(
            "E602", f"the table has no `{name}` column ({FIELDS[name]})", _header_line_span(table),
            help=f"name a header {aliases}; or map it: --column {name}=HEADER (or [columns] {name} = \"HEADER\" "
                 "in the mapping file)"))
    if options.process_by:
        by_text = {c.text.strip(): c.column for c in table.header}
        if options.process_by in columns:
            columns["process_by"] = columns[options.process_by]
        elif options.process_by in by_text:
            columns["process_by"] = by_text[options.process_by]
        else:
            diagnostics.append(Diagnostic(
                "E602", f"--process-by names `{options.process_by}`, which is no column of the table",
                _header_line_span(table), help="give a field the table has (stage, group, process) or a header of it"))
    if diagnostics:
        return [], columns, diagnostics
    lines: list[Line] = []
    for row in table.rows:
        line = _read_row(row, columns, table, options, diagnostics)
        if line is not None:
            lines.append(line)
    if not lines and not diagnostics:
        diagnostics.append(Diagnostic("E602", "the table has a header but no line items", _header_line_span(table),
                                      help="add one row per line item below the header"))
    return lines, columns, diagnostics


def _read_row(row: list[Cell], columns: dict[str, int], table: Table, options: ImportOptions,
              diagnostics: list[Diagnostic]) -> Line | None:
    def cell(name: str) -> Cell | None:
        index = columns.get(name)
        if index is None:
            return None
        if index <= len(row):
            return row[index - 1]
        # A short row: the cell is empty; point just after the row's last cell.
        last = row[-1]
        return Cell("", last.row, index, Span(table.file, last.row, last.span.end_column, last.row, last.span.end_column + 1))

    def header(name: str) -> str:
        return table.header[columns[name] - 1].text.strip()

    def bad(c: Cell, name: str, message: str, help: str, code: str) -> None:
        diagnostics.append(Diagnostic(code, f"row {c.row}, column {_column_letter(c.column)} `{header(name)}`: {message}",
                                      c.span, help=help))

    def text(name: str) -> str:
        c = cell(name)
        return c.text.strip() if c is not None else ""

    errors_before = len(diagnostics)
    values: dict[str, str] = {}
    for name in ("activity", "factor"):
        c = cell(name)
        if not c.text.strip():
            bad(c, name, f"the {name} is missing", f"fill in the {name} of this line item", "E607")
            continue
        number = _number_text(c.text, signed=True)
        if number is None:
            bad(c, name, f"`{c.text.strip()}` is not a number",
                "write a plain decimal number such as 0.58962 (a point for decimals, no thousands separator, no unit)",
                "E603")
            continue
        if name == "activity" and number.startswith("-"):
            # The model's amounts are never negative (E300); a credit or removal is in the factor.
            bad(c, name, f"the activity `{c.text.strip()}` is negative",
                "an activity is a positive amount; write a credit or a removal as a negative factor "
                "(e.g. -1.6 kg CO2/kg for the biogenic carbon of wood)", "E603")
            continue
        values[name] = number
    units: dict[str, str] = {}
    quantities = {}
    for name in ("activity_unit", "factor_unit"):
        c = cell(name)
        raw = c.text.strip()
        if not raw:
            bad(c, name, "the unit is missing", "write the unit, e.g. t/t or t CO2e/t", "E607")
            continue
        normal = normalise_unit(raw)
        try:
            if name == "activity_unit":
                numerator, denominator = _split_per(normal)
                quantities[name] = (read_unit(numerator), read_unit(denominator) if denominator else None)
            else:
                # Read as the model will have it (`kgCO2e/t·km` is written `kg CO2e / (t*km)`), so
                # that what is checked here is what is computed.
                quantities[name] = read_unit(_unit_text_for_model(normal))
        except UnitError as exc:
            bad(c, name, f"cannot read the unit `{raw}`: {exc}",
                "write a unit pint knows, such as t, kg, kWh, MWh, m3, t*km, t CO2e/t, kg CO2/m3 "
                "(docs/import-export.md lists the spellings that are rewritten)", "E604")
            continue
        units[name] = normal
    if "factor_unit" in quantities:
        gases = _gas_of(quantities["factor_unit"])
        if len(gases) != 1:
            c = cell("factor_unit")
            bad(c, "factor_unit", f"the factor unit `{c.text.strip()}` names "
                + ("no gas" if not gases else f"{len(gases)} gases ({', '.join(gases)})"),
                "a factor is a mass of one gas or of CO2e per unit of activity, e.g. t CO2e/t or kg CO2/m3", "E606")
        elif "activity_unit" in quantities:
            numerator = quantities["activity_unit"][0]
            product = numerator * quantities["factor_unit"] / Q(1, gases[0])
            if product.dimensionality != Q(1, "kg").dimensionality:
                c = cell("factor_unit")
                bad(c, "factor_unit", f"the factor `{c.text.strip()}` does not apply to an activity in "
                    f"`{units['activity_unit']}`: activity x factor is not a mass of {gases[0]}",
                    "the factor must be per the activity's unit (a factor per t for an activity in t/t, "
                    "per MWh or kWh for one in kWh/t)", "E606")
    kind = text("kind").lower() or "input"
    if kind not in ("input", "emit"):
        c = cell("kind")
        bad(c, "kind", f"unknown kind `{c.text.strip()}`", "write input or emit", "E605")
    quality: dict[str, str] = {}
    for name, criterion in (("dq_activity", "activity"), ("dq_factor", "factor"), ("dq_calibration", "calibration")):
        value = text(name)
        if not value:
            continue
        levels = QUALITY_LEVELS[criterion]
        if value in levels or (value.isdigit() and int(value) in levels.values()):
            quality[criterion] = value
        else:
            bad(cell(name), name, f"`{value}` is not a level of the `{criterion}` criterion",
                "levels: " + ", ".join(f"{k} ({v})" for k, v in levels.items()), "E611")
    reported = None
    if "reported" in columns and text("reported"):
        reported = _number_text(text("reported"), signed=True)
        if reported is None:
            c = cell("reported")
            bad(c, "reported", f"`{c.text.strip()}` is not a number",
                "write the printed result as a plain decimal number, or leave the cell empty", "E603")
    local, name = text("local_name"), text("name")
    if not local and not name:
        which = "name" if "name" in columns else "local_name"
        bad(cell(which), which, "the line item has no name",
            "name the line item: it becomes the flow's name in the model", "E607")
    if len(diagnostics) > errors_before:
        return None
    stage_value = text("stage")
    label = " / ".join(n for n in (local, name) if n)
    return Line(row=row[0].row, name=_slug(name or local), label=label, names=(local, name),
                stage=_stage_name(stage_value, options) if stage_value else None,
                group=_slug(text("group")) if text("group") else None,
                activity_text=values["activity"], activity_unit=units["activity_unit"],
                factor_text=values["factor"], factor_unit=units["factor_unit"],
                source=text("factor_source") or None, reported_text=reported,
                process_value=text("process_by") if "process_by" in columns else None,
                kind=kind, quality=quality)


# ------------------------------------------------------------------ writing the model


def _unit_text_for_model(text: str) -> str:
    """Spaces around `/` for reading: `t CO2e/t` -> `t CO2e / t` (the meaning does not change)."""
    numerator, denominator = _split_per(text)
    if denominator is None:
        return numerator
    if re.search(r"[\s*/]", denominator) and not (denominator.startswith("(") and denominator.endswith(")")):
        denominator = f"({denominator})"
    return f"{numerator} / {denominator}"


def _amount(line: Line, reference_text: str, reference) -> tuple[str, str | None]:
    """The amount per reference output, and an error message if the activity is per something else."""
    numerator, denominator = _split_per(line.activity_unit)
    if denominator is None:
        return f"{line.activity_text} {numerator}", None
    den = read_unit(denominator)
    if den.dimensionality != reference.dimensionality:
        return "", (f"the activity is per `{denominator}`, but the product's reference output is {reference_text}: "
                    "not the same kind of quantity")
    value, unit_text = reference_text.split(None, 1)
    if den.magnitude == 1 and Decimal(value) == 1 and read_unit(unit_text) == den:
        return f"{line.activity_text} {numerator}", None
    wrapped = f"({denominator})" if re.search(r"[\s*/]", denominator) else denominator
    return f"{line.activity_text} {numerator} / {wrapped} * {reference_text}", None


def _reference_output(lines: list[Line], options: ImportOptions) -> tuple[str, list[Diagnostic]]:
    if options.per:
        text = normalise_unit(options.per)
        try:
            value, unit_text = text.split(None, 1)
            if _number_text(value) is None:
                raise UnitError("")
            read_unit(unit_text)
        except (ValueError, UnitError):
            return "", [Diagnostic("E610", f"--per `{options.per}` is not an amount with a unit", None,
                                   help="e.g. --per \"1 t\": the product amount the activity data are per")]
        return f"{_number_text(value)} {unit_text}", []
    denominators = Counter(_split_per(line.activity_unit)[1] for line in lines)
    denominators.pop(None, None)
    if not denominators:
        return "", [Diagnostic("E610", "the activity units say no amount of product they are per (no `/t` or `/kg`)",
                               None, help="say what the activity data are per: --per \"1 t\" (or [process] per in the mapping)")]
    # The most frequent denominator, the first in the table on a tie: it changes how the
    # amounts are written, not what they mean (each line is converted by its own unit).
    best = max(denominators.values())
    unit_text = next(u for u in denominators if denominators[u] == best)
    return f"1 {unit_text}", []


def _processes(lines: list[Line], options: ImportOptions) -> tuple[list[str], dict[str, list[Line]], dict[str, str]]:
    """Process names (the product's first), the lines of each, and their labels."""
    reference_process = _slug(options.process)
    groups: dict[str, list[Line]] = {}
    group_labels: dict[str, str] = {}
    if options.process_by:
        for line in lines:
            value = line.process_value or ""
            if options.process_by == "stage":
                name = line.stage or _slug(options.process_stage)
            else:
                name = _slug(value) if value else reference_process
            groups.setdefault(name, []).append(line)
            group_labels.setdefault(name, value or name)
        if reference_process not in groups:
            # The product's process: the one of the product's stage when splitting by stage.
            stage_key = _stage_name(options.process_stage, options)
            if options.process_by == "stage" and stage_key in groups:
                groups = {(reference_process if k == stage_key else k): v for k, v in groups.items()}
                group_labels[reference_process] = group_labels.get(stage_key, stage_key)
            else:
                groups = {reference_process: [], **groups}
    else:
        groups[reference_process] = list(lines)
    return [reference_process] + [k for k in groups if k != reference_process], groups, group_labels


def build_model_text(table: Table, lines: list[Line], options: ImportOptions) -> Imported:
    """The model (and factors) files for the lines read from the table."""
    diagnostics: list[Diagnostic] = []
    reference_text, problems = _reference_output(lines, options)
    if problems:
        raise PcfError(problems)
    reference = read_unit(reference_text.split(None, 1)[1])
    for line in lines:
        amount, problem = _amount(line, reference_text, reference)
        if problem:
            diagnostics.append(Diagnostic("E605", f"row {line.row}: {problem}",
                                          Span(table.file, line.row, 1, line.row, 2),
                                          help="give the activity per the product's unit, or set --per to a product "
                                               "amount of the same kind"))
        line.amount_text = amount
    if diagnostics:
        raise PcfError(diagnostics)

    ef = "ef." if options.factors_file else ""
    processes, groups, group_labels = _processes(lines, options)
    # ---- factors: one per distinct (value, unit, source); processes and factors share one namespace
    factor_names: dict[tuple, str] = {}
    factor_lines: dict[str, list[Line]] = {}
    taken: set[str] = set(processes)
    line_factor: dict[int, str] = {}
    for line in lines:
        unit = read_unit(_unit_text_for_model(line.factor_unit))
        key = (Decimal(line.factor_text), str(unit.units), float(unit.magnitude), line.source)
        if key not in factor_names:
            factor_names[key] = _unique(line.name, taken)
            factor_lines[factor_names[key]] = []
        factor_lines[factor_names[key]].append(line)
        line_factor[id(line)] = line.factor = factor_names[key]

    reference_process = processes[0]
    process_order = processes

    product = _slug(options.product)
    product_label = options.product_label
    stages_in_table: list[str] = []
    for line in lines:
        if line.stage and line.stage not in stages_in_table:
            stages_in_table.append(line.stage)
    standard = {name for name, _ in STANDARD_STAGES}
    process_stage = _stage_name(options.process_stage, options)
    if process_stage not in stages_in_table:
        # The product's process is in its stage even when no line of the table is.
        order = [name for name, _ in STANDARD_STAGES]
        before = order[: order.index(process_stage)] if process_stage in order else []
        position = max((stages_in_table.index(s) + 1 for s in before if s in stages_in_table), default=0)
        stages_in_table.insert(position, process_stage)

    out: list[str] = []
    w = out.append
    w(f"# Imported by `pcf import` from {_file_name(table)} ({len(lines)} line items).")
    w(f"# Activity data are per {reference_text} of {product}, the reference output of `{reference_process}`:")
    w("# an activity in `x/t` is written as the amount per that output (docs/import-export.md).")
    w("")
    gwp = options.gwp.lower()
    if gwp not in ("ar6", "ar5", "none"):
        raise PcfError(Diagnostic("E610", f"unknown GWP set `{options.gwp}`", None, help="use ar6, ar5 or none"))
    if gwp != "none":
        w(f'import "std:gwp/ipcc_{gwp}.pcf" as ipcc')
    if options.factors_file:
        w(f'import "{options.factors_file}" as ef')
    w("")
    # A title is a text: the product's plain name, not its keyword-safe slug (`product_`).
    title = options.title or (f"{options.product_label or options.product}, imported from {_file_name(table)}")
    w(f"study {_quote(title)} {{")
    if product_label:
        w(f"  product       {_quote(product_label)}")
    if options.producer:
        w(f"  producer      {_quote(options.producer)}")
    declared = _declared_unit(lines, options, reference_text, table)
    label = f" {_quote(options.declared_unit_label)}" if options.declared_unit_label else ""
    w(f"  declared_unit {declared} of {reference_process}.{product}{label}")
    if options.period:
        w(f"  period        {options.period}")
    if options.geography:
        w(f"  geography     {options.geography}")
    for standard_name in options.standards:
        w(f"  standard      {_quote(standard_name)}")
    if gwp != "none":
        w(f"  gwp           ipcc.{gwp}")
    for note in options.notes:
        w(f"  note          {_quote(note)}")
    w("}")
    w("")
    custom = [s for s in stages_in_table if s not in standard]
    for stage in custom:
        w(f"stage {stage} {_quote(stage.replace('_', ' '))}")
    if custom:
        w("")
    boundary_head = f"boundary {options.boundary}" if options.boundary else "boundary"
    w(f"{boundary_head} {{")
    for stage in stages_in_table:
        w(f"  include {stage}")
    w("}")
    w("")
    if options.cutoff:
        w("cutoff {")
        for key in ("basis", "per_flow", "cumulative"):
            if key in options.cutoff:
                w(f"  {key:<9}{options.cutoff[key]}")
        if "note" in options.cutoff:
            w(f"  note     {_quote(options.cutoff['note'])}")
        w("}")
        w("")

    flow_names: dict[int, tuple[str, str]] = {}
    for process_name in process_order:
        members = groups[process_name]
        is_reference = process_name == reference_process
        if is_reference:
            stage = process_stage
            label = options.process_label
        else:
            stage = process_name if options.process_by == "stage" else _most_common_stage(members, process_stage)
            label = group_labels.get(process_name)
        head = f"process {process_name}" + (f" {_quote(label)}" if label else "") + " {"
        w(head)
        w(f"  stage {stage}")
        if is_reference:
            w(f"  product {product}" + (f" {_quote(product_label)}" if product_label else "") + f" {reference_text}")
        else:
            share = f"for_{product}"
            w(f"  product {share} {_quote(f'{label} for {reference_text} of {product}')} {reference_text}")
        taken_flows: set[str] = {product} if is_reference else {f"for_{product}"}
        if is_reference:
            for other in process_order[1:]:
                name = _unique(other, taken_flows)
                w(f"  input {name} {_quote(group_labels.get(other, other))} {reference_text} from {other}.for_{product}")
        w("")
        for line in members:
            name = _unique(line.name, taken_flows)
            flow_names[id(line)] = line.flow = (process_name, name)
            verb = "emit" if line.kind == "emit" else "input"
            link = "with" if line.kind == "emit" else "from"
            attrs = []
            if line.stage and line.stage != stage:
                attrs.append(f"stage   {line.stage}")
            if line.group:
                attrs.append(f"group   {line.group}")
            if line.quality:
                attrs.append("quality " + " ".join(f"{k}={v}" for k, v in line.quality.items()))
            text = f"  {verb} {name} {_quote(line.label)} {line.amount_text} {link} {ef}{line_factor[id(line)]}"
            if attrs:
                w(text + " {")
                for attr in attrs:
                    w(f"    {attr}")
                w("  }")
            else:
                w(text)
        w("}")
        w("")

    reported = [line for line in lines if line.reported_text is not None]
    if reported:
        unit_text = _reported_unit(table, options)
        w(f"# The result of each line as the table reports it ({unit_text}).")
        for line in reported:
            process_name, name = flow_names[id(line)]
            w(f"claim flow {process_name}.{name} = {line.reported_text} {_unit_text_for_model(unit_text)}")
        w("")

    factor_text: list[str] = []
    f = factor_text.append
    f(f"# Emission factors of {_file_name(table)}, one declaration per distinct factor (value, unit, source).")
    f("")
    for name, members in factor_lines.items():
        first = members[0]
        local = "、".join(dict.fromkeys(m.names[0] for m in members if m.names[0]))
        english = ", ".join(dict.fromkeys(m.names[1] for m in members if m.names[1]))
        label = " / ".join(t for t in (local, english) if t)
        head = f"factor {name} {_quote(label)} = {first.factor_text} {_unit_text_for_model(first.factor_unit)}"
        if first.source:
            f(head + " {")
            f(f"  source {_quote(first.source)}")
            f("}")
        else:
            f(head)
        f("")
    model_text = "\n".join(out).rstrip("\n") + "\n"
    factors_text = "\n".join(factor_text).rstrip("\n") + "\n"
    if options.factors_file:
        files = {"model": model_text, options.factors_file: factors_text}
    else:
        files = {"model": model_text.rstrip("\n") + "\n\n" + factors_text}
    # The layout of `pcf fmt` (aligned columns, section order), so that `pcf fmt --check` passes
    # on an imported model as it is written.
    from .fmt import format_text

    files = {name: format_text(text, name) for name, text in files.items()}
    return Imported(files=files, lines=lines, factors=len(factor_lines), processes=process_order)


def _most_common_stage(members: list[Line], default: str) -> str:
    stages = Counter(line.stage for line in members if line.stage)
    if not stages:
        return default
    best = max(stages.values())
    return next(s for s in stages if stages[s] == best)


def _reported_unit(table: Table, options: ImportOptions) -> str:
    if options.reported_unit:
        text = normalise_unit(options.reported_unit)
    else:
        index = map_columns(table, options)[0]["reported"]
        cell = table.header[index - 1]
        found = _header_unit(cell.text)
        if found is None:
            raise PcfError(Diagnostic(
                "E604", f"the unit of the reported results is not stated in the header `{cell.text.strip()}`",
                cell.span, help="put it in the header, e.g. `温室气体量 (kg CO2e/kg)`, or pass --reported-unit \"kg CO2e/kg\""))
        text = normalise_unit(found)
    # Only a value given as an option (not a header) has a place in the mapping file.
    said, span, example = _option_said(options, "reported_unit", "kg CO2e/kg") if options.reported_unit else ("", None, "")
    where = f"{said}: " if span is not None else ""
    try:
        quantity = read_unit(text)
    except UnitError as exc:
        raise PcfError(Diagnostic("E604", f"{where}cannot read the unit of the reported results `{text}`: {exc}", span,
                                  help=example or "e.g. --reported-unit \"kg CO2e/kg\"")) from None
    if _gas_of(quantity) != [CO2E]:
        raise PcfError(Diagnostic("E604", f"{where}the reported results are in `{text}`, not a mass of CO2e", span,
                                  help="the reported column holds kg CO2e (per declared unit, or per kg of product)"))
    return text


def _declared_unit(lines: list[Line], options: ImportOptions, reference_text: str, table: Table) -> str:
    if options.declared_unit:
        text = normalise_unit(options.declared_unit)
        parts = text.split(None, 1)
        said, span, example = _option_said(options, "declared_unit", "1 kg")
        where = f"{said}: " if span is not None else ""
        if len(parts) != 2 or _number_text(parts[0]) is None:
            raise PcfError(Diagnostic("E610", f"{where or said + ' '}`{options.declared_unit}` is not an amount with a unit",
                                      span, help=example))
        try:
            quantity = read_unit(parts[1])
        except UnitError as exc:
            raise PcfError(Diagnostic("E604", f"{where}cannot read the declared unit `{options.declared_unit}`: {exc}",
                                      span, help=example)) from None
        if quantity.dimensionality != read_unit(reference_text.split(None, 1)[1]).dimensionality:
            raise PcfError(Diagnostic("E610", f"{where}the declared unit {text} and the product's reference output "
                                      f"{reference_text} are not the same kind of quantity", span,
                                      help="state the declared unit in a unit of the product"))
        return f"{_number_text(parts[0])} {parts[1]}"
    if any(line.reported_text is not None for line in lines) and ("reported" in map_columns(table, options)[0]):
        # Results reported "per kg of product": the study's declared unit is 1 kg.
        per = _split_per(_reported_unit(table, options))[1]
        if per and read_unit(per).dimensionality == read_unit(reference_text.split(None, 1)[1]).dimensionality:
            return f"1 {per}" if re.fullmatch(r"\w+", per) else f"1 ({per})"
    return reference_text


# ------------------------------------------------------------------ the entry point


def import_table(path: str | Path, options: ImportOptions | None = None) -> Imported:
    """Read an inventory table and return the model texts; raises PcfError with every bad cell."""
    options = options or ImportOptions()
    table = read_table(path, sheet=options.sheet, encoding=options.encoding, delimiter=options.delimiter,
                       header_row=options.header_row)
    lines, _, diagnostics = read_lines(table, options)
    if diagnostics:
        raise PcfError(diagnostics)
    return build_model_text(table, lines, options)

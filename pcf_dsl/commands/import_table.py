"""`pcf import TABLE`: an inventory spreadsheet (CSV or XLSX) becomes a model file in the canonical layout."""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from pathlib import Path

import click

from ..build import load
from ..compute import compute
from ..diagnostics import SOURCES, Diagnostic, Label, PcfError, Span
from ..importer import (
    FIELDS,
    MAPPED_TEXT,
    ImportOptions,
    Line,
    import_table,
    load_mapping,
)
from .common import output_option, refuse_dash, say, write_atomic


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key.strip() or not item.strip():
            raise click.BadParameter(f"`{value}` is not KEY=VALUE", param_hint=option)
        out[key.strip()] = item.strip()
    return out


def _check_options(options: ImportOptions) -> None:
    """Values that go into the model text as written: refuse what would not parse there."""
    problems = []
    if options.period and not re.fullmatch(r"\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}", options.period.strip()):
        problems.append(("--period", options.period, 'e.g. --period "2024-01-01 to 2024-12-31"'))
    if options.geography and not re.fullmatch(r"[^\W\d]\w*(-\w+)*", options.geography.strip()):
        problems.append(("--geography", options.geography, "an ISO 3166 code such as CN or CN-JS"))
    for name in ("product", "process", "process_stage"):
        if not re.fullmatch(r"[^\W\d]\w*", getattr(options, name)):
            problems.append((f"--{name.replace('_', '-')}", getattr(options, name), "a name: letters, digits and _"))
    if options.boundary and options.boundary not in ("cradle_to_gate", "cradle_to_grave", "gate_to_gate"):
        problems.append(("--boundary", options.boundary, "cradle_to_gate, cradle_to_grave or gate_to_gate"))
    for field_name in options.columns:
        if field_name not in FIELDS:
            problems.append(("--column", field_name, "fields: " + ", ".join(FIELDS)))
    if problems:
        raise PcfError([_option_problem(option, value, help, options) for option, value, help in problems])


def _option_problem(option: str, value: str, help: str, options: ImportOptions) -> Diagnostic:
    """An option that would not parse in the model: named where it was set, the mapping file or the command line."""
    attr = option.removeprefix("--").replace("-", "_")
    span = options.origins.get(attr)
    if span is None:
        return Diagnostic("E610", f"{option} `{value}` is not valid", None, help=help)
    section, key = MAPPED_TEXT[attr]
    return Diagnostic("E610", f"`{key}` in [{section}] of the mapping file, `{value}`, is not valid", span,
                      help=help.replace(f"{option} ", f"{key} = ").replace(option, key))


def _at_table_row(diagnostic: Diagnostic, shown: dict[str, str], lines: list[Line], table: str) -> Diagnostic:
    """A diagnostic of the generated model, pointed at the row of the table its line was written from.

    The model is loaded from a temporary folder, removed before the user reads the message:
    its spans get the output's name (the text is in SOURCES under it), and the row is the
    primary place, with the generated line as a label.
    """
    def rename(span: Span | None) -> Span | None:
        if span is None or span.file not in shown:
            return span
        return Span(shown[span.file], span.line, span.column, span.end_line, span.end_column)

    span = rename(diagnostic.span)
    labels = [Label(rename(label.span), label.message) for label in diagnostic.labels]
    line = _line_of(span, lines) if span is not None and span.file in shown.values() else None
    if line is None:
        return replace(diagnostic, span=span, labels=labels)
    row = Span(table, line.row, 1, line.row, max(2, len(SOURCES.line(table, line.row) or "") + 1))
    return replace(diagnostic, message=f"row {line.row}: {diagnostic.message}", span=row,
                   labels=[Label(span, "the line written from this row"), *labels])


# A line of the generated model whose text is a mapping file's value, by its first word and its block.
_MAPPED_LINE = re.compile(r"\s*(basis|per_flow|cumulative|period|geography)\b")


def _at_mapping_key(diagnostic: Diagnostic, shown: dict[str, str], options: ImportOptions) -> Diagnostic:
    """A diagnostic of a generated line whose text came from the mapping file, pointed at the mapping's key.

    `per_flow = "1"` under [cutoff] is written as `per_flow 1` and refused there (E271): the fix is in
    the mapping, which the user wrote, not in a model that is never written. The generated line stays,
    as a label.
    """
    span = diagnostic.span
    if span is None or span.file not in shown.values():
        return diagnostic
    found = _MAPPED_LINE.match(SOURCES.line(span.file, span.line) or "")
    if found is None:
        return diagnostic
    word = found.group(1)
    block = next((m.group(1) for n in range(span.line - 1, 0, -1)
                  if (m := re.match(r"(\w+)", SOURCES.line(span.file, n) or ""))), None)
    attr = f"cutoff.{word}" if block == "cutoff" else word if block == "study" else None
    origin = options.origins.get(attr) if attr else None
    if origin is None:
        return diagnostic
    section, key = MAPPED_TEXT[attr]
    # The hint's model text (`per_flow 1 %`) said as the mapping writes it (`per_flow = "1 %"`).
    help = diagnostic.help and re.sub(rf"`{word} ([^`]*)`", rf'`{key} = "\1"`', diagnostic.help)
    return replace(diagnostic, message=f"[{section}] {key}: {diagnostic.message}", span=origin, help=help,
                   labels=[Label(span, "the line written from this key"), *diagnostic.labels])


def _import_help(diagnostic: Diagnostic, options: ImportOptions) -> Diagnostic:
    """The fix said as an import option: the model's hint (`add gwp ipcc.ar6 to the study`) is
    about a file the user did not write and that this import would write again without it."""
    if diagnostic.code == "E510" and options.gwp.lower() == "none":
        return replace(diagnostic, help="import with `--gwp ar6` (or ar5; `gwp = \"ar6\"` under [study] in the "
                                        "mapping file): a factor in CO2 or another gas needs a GWP set; "
                                        "`--gwp none` is for tables whose factors are all in CO2e")
    return diagnostic


def _line_of(span: Span, lines: list[Line]) -> Line | None:
    """The table line whose flow or factor the generated text has at `span`."""
    text = SOURCES.line(span.file, span.line) or ""
    if found := re.match(r"\s*factor\s+(\w+)", text):
        return next((line for line in lines if line.factor == found.group(1)), None)
    if found := re.match(r"\s*(?:input|emit)\s+(\w+)", text):
        process = next((m.group(1) for n in range(span.line - 1, 0, -1)
                        if (m := re.match(r"process\s+(\w+)", SOURCES.line(span.file, n) or ""))), None)
        return next((line for line in lines if line.flow == (process, found.group(1))), None)
    return None


@click.command("import")
@click.argument("table", type=click.Path(dir_okay=False, allow_dash=True), callback=refuse_dash)
@output_option("Model file to write (its factors go beside it); default, or `-`: one file on standard output.")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML mapping file: columns, study, process, stages, cut-off (docs/import-export.md).")
@click.option("--column", "columns", multiple=True, metavar="FIELD=HEADER",
              help="Read FIELD (activity, factor_unit, ...) from the column named HEADER. Repeatable.")
@click.option("--sheet", default=None, help="Sheet of an .xlsx workbook (default: the first).")
@click.option("--header-row", type=click.IntRange(1), default=None, help="Row of the column names (default: the first non-empty row).")
@click.option("--encoding", default=None, help="Text encoding of a CSV file (default: UTF-8).")
@click.option("--delimiter", default=None, help="Cell separator of a CSV file (default: comma; tab for .tsv).")
@click.option("--title", default=None, help="Title of the study.")
@click.option("--product", default=None, help="Name of the product flow (default: product).")
@click.option("--product-label", default=None, help="Description of the product.")
@click.option("--producer", default=None, help="Company that makes the product.")
@click.option("--process", default=None, help="Name of the product's process (default: production).")
@click.option("--process-label", default=None, help="Description of the product's process.")
@click.option("--process-stage", default=None, help="Stage of the product's process (default: production).")
@click.option("--process-by", default=None, metavar="COLUMN",
              help="One process per value of this column (e.g. stage); default: one process for all lines.")
@click.option("--per", default=None, metavar="AMOUNT",
              help='Product amount the activity data are per, e.g. "1 t" (default: from the activity units).')
@click.option("--declared-unit", default=None, metavar="AMOUNT",
              help='Declared unit, e.g. "1 kg" (default: what the reported results are per, else --per).')
@click.option("--period", default=None, help='Reference period, "2024-01-01 to 2024-12-31".')
@click.option("--geography", default=None, help="ISO 3166 code of the study, e.g. CN-JS.")
@click.option("--standard", "standards", multiple=True, help="Standard the study follows. Repeatable.")
@click.option("--gwp", type=click.Choice(["ar6", "ar5", "none"]), default=None, help="IPCC GWP set (default: ar6).")
@click.option("--boundary", default=None, help="Boundary shorthand: cradle_to_gate, cradle_to_grave or gate_to_gate.")
@click.option("--stage", "stage_names", multiple=True, metavar="VALUE=STAGE",
              help="Stage name for a stage value of the table (transport=inbound_transport). Repeatable.")
@click.option("--reported-unit", default=None, help='Unit of the reported results, e.g. "kg CO2e/kg".')
@click.option("--factors-file", default=None, help="Name of the factors file beside the model (default: factors.pcf).")
@click.option("--one-file", is_flag=True, help="Put the factors in the model file itself.")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def command(table: Path, output: Path | None, mapping: Path | None, columns, sheet, header_row, encoding, delimiter,
            title, product, product_label, producer, process, process_label, process_stage, process_by, per,
            declared_unit, period, geography, standards, gwp, boundary, stage_names, reported_unit, factors_file,
            one_file: bool, force: bool) -> None:
    """Turn the inventory TABLE (.csv or .xlsx) into a model file.

    One factor declaration per distinct factor, one process for the product
    (or one per value of --process-by), a claim for every reported result.
    Every cell that cannot be read is reported with its row and column.
    """
    options = load_mapping(mapping) if mapping else ImportOptions()
    options.columns.update(_pairs(columns, "--column"))
    options.stage_names.update(_pairs(stage_names, "--stage"))
    for name, value in (("sheet", sheet), ("header_row", header_row), ("encoding", encoding),
                        ("delimiter", delimiter), ("title", title), ("product", product),
                        ("product_label", product_label), ("producer", producer), ("process", process),
                        ("process_label", process_label), ("process_stage", process_stage),
                        ("process_by", process_by), ("per", per), ("declared_unit", declared_unit),
                        ("period", period), ("geography", geography), ("gwp", gwp), ("boundary", boundary),
                        ("reported_unit", reported_unit), ("factors_file", factors_file)):
        if value is not None:
            setattr(options, name, value)
            options.origins.pop(name, None)  # the command line wins over the mapping, and is where the text is from
    if standards:
        options.standards = list(standards)
    if one_file or output is None:
        options.factors_file = None
    _check_options(options)
    imported = import_table(table, options)

    # Load and compute what was written before putting it in place: an import that
    # does not load is never left behind.
    with tempfile.TemporaryDirectory(prefix="pcf-import-") as tmp:
        model_name = output.name if output is not None else "imported.pcf"
        shown: dict[str, str] = {}  # the temporary file -> the name a diagnostic shows
        for name, text in imported.files.items():
            written = Path(tmp) / (model_name if name == "model" else name)
            written.write_text(text, encoding="utf-8")
            target = (output if name == "model" else output.parent / name) if output is not None else Path(written.name)
            shown[str(written)] = f"{target} (not written)"
            SOURCES.add(shown[str(written)], text)
        try:
            result = compute(load(Path(tmp) / model_name))
        except PcfError as exc:
            raise PcfError([_import_help(_at_mapping_key(_at_table_row(d, shown, imported.lines, str(table)),
                                                         shown, options), options)
                            for d in exc.diagnostics]) from None

    summary = (f"{table}: {len(imported.lines)} line items, {imported.factors} factors, "
               f"{len(imported.processes)} process{'es' if len(imported.processes) != 1 else ''}; "
               f"total {result.total.value:.6g} kg CO2e per declared unit")
    if output is None:
        click.echo(imported.files["model"], nl=False)
        say(summary)
        return
    targets = {(output if name == "model" else output.parent / name): text for name, text in imported.files.items()}
    existing = [str(p) for p in targets if p.exists()]
    if existing and not force:
        raise PcfError(Diagnostic("E610", f"will not overwrite {', '.join(existing)}", None,
                                  help="pass --force to replace, or write elsewhere with -o"))
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    say(f"{summary}\nwrote {', '.join(str(p) for p in targets)}")

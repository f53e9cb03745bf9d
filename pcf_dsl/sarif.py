"""Findings as data: the stable JSON of `pcf check --format json` and SARIF 2.1.0 for code scanning.

Both are built from the same :class:`~pcf_dsl.check.CheckOutcome` the human
output renders. SARIF is what GitHub code scanning uploads: one run, the
tool's rules with short and full descriptions and help, one result per
finding with its physical location and a fingerprint that survives the
finding moving to another line; waived findings are results with an
in-source suppression carrying the waiver's justification, so they stay
visible. docs/verification.md documents both formats.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import __version__
from .diagnostics import Diagnostic, Severity, Span

CHECK_SCHEMA = "pcf-check/1"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

# Builder and solver codes (invalid input) have no rule module; SARIF still needs a descriptor.
BUILDER_FAMILIES = {
    "0": "the file cannot be read or parsed",
    "1": "imports cannot be resolved",
    "2": "names, declarations or the study are invalid",
    "3": "flows, allocation, claims, waivers or profiles are invalid",
    "4": "units do not fit together",
    "5": "the product system cannot be computed",
}


def span_json(span: Span | None) -> dict | None:
    if span is None:
        return None
    return {"file": span.file, "line": span.line, "column": span.column, "end_line": span.end_line,
            "end_column": span.end_column}


def diagnostic_json(d: Diagnostic) -> dict:
    from .rules import registry

    registered = registry().get(d.code)
    return {
        "code": d.code,
        "rule": registered.rule.name if registered else None,
        "severity": d.severity.value,
        "message": d.message,
        "path": list(d.path),
        "span": span_json(d.span),
        "help": d.help,
        "labels": [{"message": label.message, "span": span_json(label.span)} for label in d.labels],
        "evidence": d.evidence,
    }


def waiver_json(outcome, index: int) -> dict:
    waiver = outcome.model.waivers[index]
    silenced = [w for w in outcome.waived if w.waiver_index == index]
    return {"code": waiver.code, "subject": waiver.subject, "justification": waiver.justification,
            "span": span_json(waiver.span), "used": bool(silenced), "findings": len(silenced)}


def check_json(outcome, file: str) -> dict:
    """The stable JSON of `pcf check --format json` (schema `pcf-check/1`)."""
    model = outcome.model
    counts = {s.value: sum(1 for d in outcome.diagnostics if d.severity is s) for s in Severity}
    return {
        "schema": CHECK_SCHEMA,
        "tool": {"name": "pcf", "version": __version__},
        "file": file,
        "valid": not outcome.invalid,
        "exit_code": outcome.exit_code,
        "total": ({"value": outcome.result.total.value, "unit": outcome.result.unit}
                  if outcome.result is not None else None),
        "profiles": [p.to_json() for p in outcome.profiles],
        "unmatched_standards": outcome.unmatched_standards,
        "summary": {**counts, "waived": len(outcome.waived)},
        "diagnostics": [diagnostic_json(d) for d in outcome.diagnostics],
        "waived": [{**diagnostic_json(w.diagnostic), "waiver": w.waiver_index} for w in outcome.waived],
        "waivers": [waiver_json(outcome, i) for i in range(len(model.waivers))] if model is not None else [],
    }


# ------------------------------------------------------------------ SARIF


@lru_cache(maxsize=1024)  # one per file, asked once per finding: pathlib was 3/4 of building the SARIF
def _uri(file: str) -> str:
    # A URI reference (RFC 3986), as SARIF's artifactLocation.uri is: `子 dir/模型 one.pcf` went out
    # with its space and characters as written, which is no URI; percent-encoded, as as_uri()
    # already encodes an absolute path (a `:` is encoded too: `std:gwp/...` is no scheme of ours).
    # The bytes of the name are encoded, so a name that is not UTF-8 (its bytes reach Python as
    # lone surrogates, which `quote` cannot encode) still names its file.
    path = Path(file)
    return path.as_uri() if path.is_absolute() else quote(os.fsencode(path.as_posix()))


def _location(span: Span | None, fallback_file: str, message: str | None = None) -> dict:
    if span is None:
        physical = {"artifactLocation": {"uri": _uri(fallback_file)}, "region": {"startLine": 1}}
    else:
        physical = {"artifactLocation": {"uri": _uri(span.file)},
                    "region": {"startLine": span.line, "startColumn": span.column,
                               "endLine": span.end_line, "endColumn": max(span.end_column, span.column + 1)
                               if span.end_line == span.line else span.end_column}}
    out: dict[str, Any] = {"physicalLocation": physical}
    if message:
        out["message"] = {"text": message}
    return out


def _rule_descriptor(code: str) -> dict:
    from .rules import registry

    registered = registry().get(code)
    if registered is None:
        family = BUILDER_FAMILIES.get(code[1:2], "the model is invalid")
        text = f"Invalid input: {family} ({code})."
        return {"id": code, "name": f"InvalidInput{code}", "shortDescription": {"text": text},
                "fullDescription": {"text": text + " The model cannot be checked until it is fixed."},
                "help": {"text": "The message says what is wrong and how to fix it; see docs/language.md."},
                "defaultConfiguration": {"level": "error"}, "properties": {"tags": ["pcf", "invalid-input"]}}
    rule = registered.rule
    docs = rule.docs
    help_text = (f"{docs.what}\n\nWhy: {docs.why}\n\nFix: {docs.fix}\n\nClause: {rule.clause}")
    help_markdown = (f"**{rule.code} {rule.name}** ({rule.clause})\n\n{docs.what}\n\n**Why it matters.** {docs.why}"
                     f"\n\n**Example that fails.**\n\n```\n{docs.example.rstrip()}\n```\n\n**How to fix.** {docs.fix}")
    return {
        "id": rule.code,
        "name": "".join(part.capitalize() for part in rule.name.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": " ".join(docs.what.split())},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": SARIF_LEVEL[Severity(rule.default_severity)]},
        "properties": {"tags": ["pcf", "compliance", rule.code[0]], "clause": str(rule.clause)},
    }


def fingerprint(d: Diagnostic) -> str:
    """Stable across line moves for rule findings (code + model path + file); builder errors include the line."""
    file = d.span.file if d.span else ""
    where = "/".join(d.path) if d.path else f"{d.span.line if d.span else 0}:{d.message}"
    # surrogateescape: a file name that is not UTF-8 hashes as its bytes (the same as UTF-8 otherwise)
    return hashlib.sha256(f"{d.code}|{file}|{where}".encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _result(d: Diagnostic, index: dict[str, int], fallback_file: str, waiver=None) -> dict:
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": index[d.code],
        "level": SARIF_LEVEL[d.severity],
        "message": {"text": d.message + (f"\nhelp: {d.help}" if d.help else "")},
        "locations": [_location(d.span, fallback_file)],
        "partialFingerprints": {"pcfFinding/v1": fingerprint(d)},
    }
    if d.labels:
        result["relatedLocations"] = [{**_location(label.span, fallback_file, label.message), "id": i + 1}
                                      for i, label in enumerate(d.labels)]
    if d.evidence:
        result["properties"] = {"evidence": d.evidence, "path": list(d.path)}
    if waiver is not None:
        suppression = {"kind": "inSource", "justification": waiver.justification, "status": "accepted"}
        if waiver.span is not None:
            suppression["location"] = _location(waiver.span, fallback_file)
        result["suppressions"] = [suppression]
    return result


def check_sarif(outcome, file: str) -> dict:
    """SARIF 2.1.0 of the outcome: every registered rule, every finding and every waived finding."""
    from .rules import registry

    codes = list(registry())
    for d in [*outcome.diagnostics, *(w.diagnostic for w in outcome.waived)]:
        if d.code not in codes:
            codes.append(d.code)
    index = {code: i for i, code in enumerate(codes)}
    results = [_result(d, index, file) for d in outcome.diagnostics]
    results += [_result(w.diagnostic, index, file, w.waiver) for w in outcome.waived]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "pcf", "fullName": "pcf_dsl product carbon footprint checker",
                            "version": __version__, "semanticVersion": __version__,
                            "rules": [_rule_descriptor(code) for code in codes]}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "invocations": [{"executionSuccessful": True, "exitCode": outcome.exit_code}],
    }
    if outcome.profiles:
        run["properties"] = {"profiles": [p.name for p in outcome.profiles]}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}

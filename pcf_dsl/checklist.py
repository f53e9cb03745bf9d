"""The compliance checklist of `pcf verify`: one row per requirement of each profile.

A requirement is a rule the profile enables. Its status is `fail` (a finding
at error level), `warning`, `waived` (every finding silenced by a justified
waiver, listed below the table), `n/a` (the rule does not apply to this
model, with the reason) or `pass`; the evidence column gives the numbers and
names behind the status. The same rows render as text, Markdown and JSON.
"""

from __future__ import annotations

from typing import Any

from .rules import registry

STATUSES = ("pass", "fail", "warning", "waived", "n/a")
CHECKLIST_SCHEMA = "pcf-verify/1"
MAX_FINDINGS_SHOWN = 3


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        shown = ", ".join(_value(v) for v in value[:6])
        return f"[{shown}{', ...' if len(value) > 6 else ''}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def evidence_text(row: dict) -> str:
    """One line of evidence: the findings (first few), else the rule's recorded numbers, else why n/a."""
    if row["findings"]:
        messages = [f["message"] for f in row["findings"]]
        more = len(messages) - MAX_FINDINGS_SHOWN
        text = "; ".join(messages[:MAX_FINDINGS_SHOWN])
        return text + (f"; and {more} more" if more > 0 else "")
    if row["status"] == "n/a":
        return row["not_applicable"] or ""
    if row["waived"]:
        return "; ".join(f"waived: {w['message']}" for w in row["waived"][:MAX_FINDINGS_SHOWN])
    return ", ".join(f"{k} {_value(v)}" for k, v in row["summary"].items())


def requirement_and_clause(rule, profile, lang: str = "en") -> tuple[str, str]:
    """A row's requirement and clause in `lang`: the rule's own, or the clause the profile sets for it.

    Chinese (`pcf report --lang zh`) is the text written beside the rule's English (`summary_zh`,
    `Clause.zh`) and the Chinese side of a profile's `set clause.CODE = "中文 / English"`.
    """
    if lang == "zh":
        return rule.summary_zh, profile.clauses_zh.get(rule.code) or rule.clause.text("zh")
    return rule.summary, profile.clauses.get(rule.code) or str(rule.clause)


def rows(run, lang: str = "en") -> list[dict]:
    """The rows of one profile's checklist, in rule-code order (requirement and clause in `lang`)."""
    from .sarif import diagnostic_json

    rules = registry()
    out = []
    for code, outcome in sorted(run.outcomes.items()):
        rule = rules[code].rule
        requirement, clause = requirement_and_clause(rule, run.profile, lang)
        out.append({
            "code": code,
            "name": rule.name,
            "requirement": requirement,
            "clause": clause,
            "severity": outcome.severity,
            "status": outcome.status,
            "not_applicable": outcome.not_applicable,
            "summary": outcome.summary,
            "findings": [diagnostic_json(d) for d in outcome.diagnostics],
            "waived": [{**diagnostic_json(w.diagnostic), "justification": w.waiver.justification}
                       for w in outcome.waived],
        })
    return out


def checklist_json(outcome, file: str) -> dict:
    from .sarif import waiver_json

    profiles = []
    for run in outcome.runs:
        table = rows(run)
        profiles.append({
            **run.profile.to_json(),
            "not_required": sorted(c for c, s in run.profile.severities.items() if s == "off"),
            "counts": {status: sum(1 for r in table if r["status"] == status) for status in STATUSES},
            "rows": table,
        })
    model = outcome.model
    return {
        "schema": CHECKLIST_SCHEMA,
        "file": file,
        "product": model.study.product if model and model.study else None,
        "declared_unit": (outcome.result.declared_unit.model_dump(mode="json") if outcome.result else None),
        "total": ({"value": outcome.result.total.value, "unit": outcome.result.unit} if outcome.result else None),
        "exit_code": outcome.exit_code,
        "profiles": profiles,
        "waivers": [waiver_json(outcome, i) for i in range(len(model.waivers))] if model else [],
    }


def _counts_line(counts: dict) -> str:
    return ", ".join(f"{n} {status}" for status, n in counts.items())


def _header(data: dict) -> list[str]:
    out = [f"Compliance checklist: {data['file']}"]
    if data["total"]:
        du = data["declared_unit"]
        out.append(f"Result: {data['total']['value']:.4f} {data['total']['unit']} per {du['amount']:g} "
                   f"{du['unit']} of {du['product']}")
    return out


def _waiver_lines(data: dict) -> list[str]:
    if not data["waivers"]:
        return ["Waivers: none"]
    out = ["Waivers:"]
    for w in data["waivers"]:
        where = f"{w['span']['file']}:{w['span']['line']}" if w["span"] else ""
        subject = f" {w['subject']}" if w["subject"] else ""
        state = f"silences {w['findings']} finding{'s' if w['findings'] != 1 else ''}" if w["used"] else "matches no finding"
        out.append(f"  {w['code']}{subject} ({where}, {state}): \"{w['justification']}\"")
    return out


def render_text(data: dict) -> str:
    out = _header(data)
    for profile in data["profiles"]:
        out += ["", f"Profile {profile['name']}: {profile['label'] or profile['name']} ({profile['reason']}; "
                    f"{' -> '.join(profile['chain'])})"]
        width = max((len(r["name"]) for r in profile["rows"]), default=10)
        out.append(f"  {'status':<8} {'rule':<5} {'':<{width}}  evidence")
        for row in profile["rows"]:
            out.append(f"  {row['status']:<8} {row['code']:<5} {row['name']:<{width}}  {evidence_text(row)}")
        out.append(f"  {_counts_line(profile['counts'])}")
        if profile["not_required"]:
            out.append(f"  not required by this profile: {', '.join(profile['not_required'])}")
    out += ["", "`pcf rules CODE` explains a rule; --format markdown gives the requirement and clause of each row.", ""]
    out += _waiver_lines(data)
    return "\n".join(out) + "\n"


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(data: dict) -> str:
    out = [f"# Compliance checklist: `{data['file']}`", ""]
    if data["total"]:
        du = data["declared_unit"]
        out += [f"Result: **{data['total']['value']:.4f} {data['total']['unit']}** per {du['amount']:g} "
                f"{du['unit']} of `{du['product']}`.", ""]
    for profile in data["profiles"]:
        out += [f"## {_md(profile['label'] or profile['name'])} (`{profile['name']}`)", "",
                f"Chosen because {_md(profile['reason'])}; extends {' → '.join(profile['chain'])}.", "",
                "| status | rule | requirement | clause | evidence |", "| --- | --- | --- | --- | --- |"]
        for row in profile["rows"]:
            out.append(f"| {row['status']} | {row['code']} {row['name']} | {_md(row['requirement'])} | "
                       f"{_md(row['clause'])} | {_md(evidence_text(row))} |")
        out += ["", f"{_counts_line(profile['counts'])}.", ""]
        if profile["not_required"]:
            out += [f"Not required by this profile: {', '.join(profile['not_required'])}.", ""]
    out += ["## Waivers", ""]
    if not data["waivers"]:
        out.append("None.")
    for w in data["waivers"]:
        subject = f" `{w['subject']}`" if w["subject"] else ""
        state = f"silences {w['findings']} finding(s)" if w["used"] else "matches no finding"
        out.append(f"- {w['code']}{subject} ({state}): {_md(w['justification'])}")
    return "\n".join(out) + "\n"

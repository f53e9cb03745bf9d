"""The compliance checklist of `pcf verify`: one row per requirement of each profile.

A requirement is a rule the profile enables. Its status is `fail` (a finding
at error level), `warning`, `waived` (every finding silenced by a justified
waiver, listed below the table), `n/a` (the rule does not apply to this
model, with the reason) or `pass`; the evidence column gives the numbers and
names behind the status. The same rows render as text, Markdown and JSON.
"""

from __future__ import annotations

from typing import Any

from .diagnostics import pad_cells
from .rules import registry

STATUSES = ("pass", "fail", "warning", "waived", "n/a")
CHECKLIST_SCHEMA = "pcf-verify/1"
MAX_FINDINGS_SHOWN = 3

# The words of the text and Markdown checklists. Chinese (`--lang zh`) takes the report's words for what
# the report's section 6 also shows (statuses, columns, the note that the evidence stays English); the
# evidence, the findings and the reason a profile was chosen are the tool's English, as `pcf check` prints.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Compliance checklist: {file}", "md_title": "Compliance checklist: `{file}`",
        "result": "Result: {value} per {amount} {unit} of {product}",
        "md_result": "Result: **{value}** per {amount} {unit} of `{product}`.",
        "profile": "Profile {name}: {label} ({reason}; {chain})",
        "chosen": "Chosen because {reason}; extends {chain}.",
        "status": "status", "rule": "rule", "requirement": "requirement", "clause": "clause",
        "evidence": "evidence", "count": "{n} {status}", "counts_sep": ", ", "end": ".",
        "not_required": "not required by this profile: {codes}", "md_not_required": "Not required by this profile: {codes}.",
        "footer": "`pcf rules CODE` explains a rule; --format markdown gives the requirement and clause of each row.",
        "note": "",
        "waivers_none": "Waivers: none", "waivers": "Waivers:", "md_waivers": "Waivers", "md_none": "None.",
        "uses": "silences {n} finding{s}", "md_uses": "silences {n} finding(s)", "unused": "matches no finding",
        "waiver": "  {code}{subject} ({where}, {state}): \"{justification}\"",
        "md_waiver": "- {code}{subject} ({state}): {justification}",
    },
    "zh": {
        "title": "核查清单：{file}", "md_title": "核查清单：`{file}`",
        "result": "结果：{value} / {amount} {unit} {product}",
        "md_result": "结果：**{value}** / {amount} {unit} `{product}`。",
        "profile": "规则集 {name}：{label}（选用原因：{reason}；{chain}）",
        "chosen": "选用原因：{reason}；继承 {chain}。",
        "count": "{n} {status}", "counts_sep": "、", "end": "",
        "not_required": "本规则集不要求：{codes}", "md_not_required": "本规则集不要求：{codes}。",
        "footer": "`pcf rules CODE` 说明一条规则；--format markdown 给出每行的要求和条款。",
        "waivers_none": "豁免：无", "waivers": "豁免：", "md_waivers": "豁免", "md_none": "无。",
        "unused": "未匹配任何发现",
        "waiver": "  {code}{subject}（{where}，{state}）：“{justification}”",
        "md_waiver": "- {code}{subject}（{state}）：{justification}",
    },
}


def _words(lang: str) -> dict[str, str]:
    if lang == "en":
        return WORDS["en"]
    from .report import TEXT  # the report's section 6: one wording of a checklist in each language

    t = TEXT[lang]
    return {**WORDS[lang], "status": t["status"], "rule": t["rule"], "requirement": t["requirement"],
            "clause": t["clause"], "evidence": t["evidence"], "note": t["verification_note"],
            "uses": t["waiver_use"], "md_uses": t["waiver_use"],
            **{f"status_{s}": t[f"status_{s}"] for s in STATUSES}}


def _status(words: dict[str, str], status: str) -> str:
    return words.get(f"status_{status}", status)


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

    Chinese (`pcf report --lang zh`, `pcf verify --lang zh`) is the text written beside the rule's English (`summary_zh`,
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


def checklist_json(outcome, file: str, lang: str = "en") -> dict:
    """The checklist's data; `lang` sets the requirement and clause of the text and Markdown (JSON: "en")."""
    from .sarif import waiver_json

    profiles = []
    for run in outcome.runs:
        table = rows(run, lang)
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


def _counts_line(counts: dict, words: dict[str, str]) -> str:
    return words["counts_sep"].join(words["count"].format(n=n, status=_status(words, status))
                                    for status, n in counts.items())


def _header(data: dict, words: dict[str, str]) -> list[str]:
    out = [words["title"].format(file=data["file"])]
    if data["total"]:
        du = data["declared_unit"]
        out.append(words["result"].format(value=f"{data['total']['value']:.4f} {data['total']['unit']}",
                                          amount=f"{du['amount']:g}", unit=du["unit"], product=du["product"]))
    return out


def _waiver_lines(data: dict, words: dict[str, str]) -> list[str]:
    if not data["waivers"]:
        return [words["waivers_none"]]
    out = [words["waivers"]]
    for w in data["waivers"]:
        where = f"{w['span']['file']}:{w['span']['line']}" if w["span"] else ""
        subject = f" {w['subject']}" if w["subject"] else ""
        state = (words["uses"].format(n=w["findings"], s="s" if w["findings"] != 1 else "") if w["used"]
                 else words["unused"])
        out.append(words["waiver"].format(code=w["code"], subject=subject, where=where, state=state,
                                          justification=w["justification"]))
    return out


def render_text(data: dict, lang: str = "en") -> str:
    words = _words(lang)
    out = _header(data, words)
    for profile in data["profiles"]:
        out += ["", words["profile"].format(name=profile["name"], label=profile["label"] or profile["name"],
                                            reason=profile["reason"], chain=" -> ".join(profile["chain"]))]
        width = max((len(r["name"]) for r in profile["rows"]), default=10)
        out.append(f"  {pad_cells(words['status'], 8)} {pad_cells(words['rule'], 5)} {'':<{width}}  {words['evidence']}")
        for row in profile["rows"]:
            out.append(f"  {pad_cells(_status(words, row['status']), 8)} {row['code']:<5} {row['name']:<{width}}  "
                       f"{evidence_text(row)}")
        out.append(f"  {_counts_line(profile['counts'], words)}")
        if profile["not_required"]:
            out.append(f"  {words['not_required'].format(codes=', '.join(profile['not_required']))}")
    out += ["", words["footer"]]
    if words["note"]:
        out.append(words["note"])
    out.append("")
    out += _waiver_lines(data, words)
    return "\n".join(out) + "\n"


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(data: dict, lang: str = "en") -> str:
    words = _words(lang)
    out = ["# " + words["md_title"].format(file=data["file"]), ""]
    if data["total"]:
        du = data["declared_unit"]
        out += [words["md_result"].format(value=f"{data['total']['value']:.4f} {data['total']['unit']}",
                                          amount=f"{du['amount']:g}", unit=du["unit"], product=du["product"]), ""]
    if words["note"]:
        out += [words["note"], ""]
    for profile in data["profiles"]:
        out += [f"## {_md(profile['label'] or profile['name'])} (`{profile['name']}`)", "",
                words["chosen"].format(reason=_md(profile["reason"]), chain=" → ".join(profile["chain"])), "",
                (f"| {words['status']} | {words['rule']} | {words['requirement']} | {words['clause']} | "
                 f"{words['evidence']} |"), "| --- | --- | --- | --- | --- |"]
        for row in profile["rows"]:
            out.append(f"| {_status(words, row['status'])} | {row['code']} {row['name']} | {_md(row['requirement'])} | "
                       f"{_md(row['clause'])} | {_md(evidence_text(row))} |")
        out += ["", f"{_counts_line(profile['counts'], words)}{words['end']}", ""]
        if profile["not_required"]:
            out += [words["md_not_required"].format(codes=", ".join(profile["not_required"])), ""]
    out += [f"## {words['md_waivers']}", ""]
    if not data["waivers"]:
        out.append(words["md_none"])
    for w in data["waivers"]:
        subject = f" `{w['subject']}`" if w["subject"] else ""
        state = words["md_uses"].format(n=w["findings"]) if w["used"] else words["unused"]
        out.append(words["md_waiver"].format(code=w["code"], subject=subject, state=state,
                                             justification=_md(w["justification"])))
    return "\n".join(out) + "\n"

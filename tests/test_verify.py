"""`pcf verify`: the compliance checklist as text, Markdown and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from pcf_dsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
SCHEMA = json.loads((ROOT / "pcf_dsl" / "schemas" / "pcf-verify-1.schema.json").read_text(encoding="utf-8"))

WAIVED = '''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Waived" {
  declared_unit 1 kg of casting.billet
  standard      "PAS 2050:2011"
  gwp           ipcc.ar6
}

boundary cradle_to_gate

cutoff {
  per_flow 1 %
}

factor ingot = 17.6 t CO2e / t {
  year 2023
}

process casting {
  stage   production
  product billet 1 t
  input   aluminium 1.3 t from ingot
}

waive M001 casting "returned scrap, recorded in the plant's balance"
'''


def verify(*args):
    return CliRunner().invoke(main, ["verify", *[str(a) for a in args]])


def test_text_checklist_of_the_reference_model():
    run = verify(REFERENCE, "--profile", "pas_2050_2011")
    assert run.exit_code == 1
    lines = run.output.splitlines()
    assert lines[0] == f"Compliance checklist: {REFERENCE}"
    assert lines[1] == "Result: 11.2206 kg CO2e per 1 kg of casting.billet"
    assert any(line.startswith("  fail     Q003  quality-claim") for line in lines)
    assert any(line.startswith("  warning  M001  mass-balance") and "1311.26 kg in" in line for line in lines)
    assert any(line.startswith("  pass     C005  minimum-coverage") and "coverage 1, minimum 0.95" in line
               for line in lines)
    assert "  24 pass, 1 fail, 3 warning, 0 waived, 8 n/a" in lines
    assert lines[-1] == "Waivers: none"


def test_markdown_checklist_has_one_row_per_requirement_and_both_profiles():
    run = verify(REFERENCE, "--format", "markdown")
    assert run.exit_code == 1
    text = run.output
    assert "## GB/T 24067-2024 (`gbt_24067_2024`)" in text and "## PAS 2050:2011 (`pas_2050_2011`)" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith(("| status", "| ---"))]
    assert len(rows) == 2 * 36
    assert "| fail | Q003 quality-claim |" in text
    assert "PAS 2050:2011, at least 95 % of the anticipated life-cycle GHG emissions assessed" in text
    assert text.rstrip().endswith("None.")


def test_json_checklist_follows_its_schema(tmp_path):
    run = verify(REFERENCE, "--format", "json")
    data = json.loads(run.stdout)
    jsonschema.validate(data, SCHEMA)
    assert [p["name"] for p in data["profiles"]] == ["gbt_24067_2024", "pas_2050_2011"]
    gbt = data["profiles"][0]
    assert gbt["counts"] == {"pass": 23, "fail": 1, "warning": 3, "waived": 0, "n/a": 9}
    q003 = next(r for r in gbt["rows"] if r["code"] == "Q003")
    assert q003["status"] == "fail" and q003["findings"][0]["evidence"]["claimed"] == 3.15
    assert data["total"]["value"] == run_total()


def run_total():
    from pcf_dsl import compute, load

    return compute(load(REFERENCE)).total.value


def test_waivers_are_listed_in_every_format(tmp_path, monkeypatch):
    (tmp_path / "waived.pcf").write_text(WAIVED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    text = verify("waived.pcf")
    assert text.exit_code == 0
    assert "  waived   M001  mass-balance" in text.output
    assert 'M001 casting (waived.pcf:25, silences 1 finding): "returned scrap' in text.output
    markdown = verify("waived.pcf", "--format", "markdown").output
    assert "| waived | M001 mass-balance |" in markdown
    assert "- M001 `casting` (silences 1 finding(s)): returned scrap" in markdown
    data = json.loads(verify("waived.pcf", "--format", "json").stdout)
    jsonschema.validate(data, SCHEMA)
    row = next(r for r in data["profiles"][0]["rows"] if r["code"] == "M001")
    assert row["status"] == "waived" and row["waived"][0]["justification"].startswith("returned scrap")
    # 1300 kg in, 1000 kg out: (1300 - 1000) / 1300
    assert abs(row["waived"][0]["evidence"]["relative_gap"] - 300 / 1300) < 1e-12


def test_invalid_input_exits_2(tmp_path):
    bad = tmp_path / "bad.pcf"
    bad.write_text("process p {\n  product out 1 t\n}\n", encoding="utf-8")
    run = verify(bad)
    assert run.exit_code == 2 and "E290" in run.output and "Traceback" not in run.output


def test_output_file_is_written(tmp_path):
    out = tmp_path / "checklist.md"
    run = verify(REFERENCE, "--format", "markdown", "-o", out)
    assert run.exit_code == 1 and run.output == ""
    assert out.read_text(encoding="utf-8").startswith("# Compliance checklist:")


def test_a_library_file_has_nothing_to_verify():
    run = verify(ROOT / "models" / "profiles" / "base.pcf")
    assert run.exit_code == 2 and "nothing to verify" in run.output


def test_lang_zh_gives_requirements_and_clauses_in_chinese_as_the_report_does():
    """`pcf verify` had no --lang: its checklist was English only, while `pcf report --lang zh` gives
    each requirement and clause in Chinese. With --lang zh the Markdown checklist has the same
    Chinese columns (the rules' `summary_zh`, `Clause.zh`, the Chinese side of a profile's clause);
    the evidence stays the rules' English under a heading that says so, as in the report."""
    from pcf_dsl.check import run_check
    from pcf_dsl.rules import registry

    outcome = run_check(REFERENCE)
    run = verify(REFERENCE, "--format", "markdown", "--lang", "zh")
    assert run.exit_code == 1, run.output
    text = run.output
    assert text.startswith(f"# 核查清单：`{REFERENCE}`\n")
    assert "| 状态 | 规则 | 要求 | 条款 | 依据（英文原文） |" in text
    assert "保留英文原文（与 pcf check 的输出一致），不作机器翻译。" in text
    rules = registry()
    tables = text.split("\n## ")[1:3]
    assert len(tables) == len(outcome.runs) == 2
    for profile_run, table in zip(outcome.runs, tables):
        for code in profile_run.outcomes:
            rule = rules[code].rule
            clause = profile_run.profile.clauses_zh.get(code) or rule.clause.text("zh")
            row = next(line for line in table.splitlines() if line.startswith("| ") and f" {code} " in line)
            assert f"| {rule.summary_zh} | {clause} |" in row, row
    assert "| PAS 2050:2011，至少评价预期的生命周期温室气体排放的 95 % |" in text
    assert "| GB/T 24067-2024（ISO 14067:2018），取舍准则：研究规定取舍准则并说明舍去的影响 |" in text
    q003 = next(d for d in outcome.diagnostics if d.code == "Q003")
    q003_row = next(line for line in text.splitlines() if line.startswith("| 不通过 | Q003 "))
    assert q003.message.replace("|", "\\|") in q003_row
    assert "24 通过、1 不通过、3 警告、0 已豁免、8 不适用" in text  # the English test's counts
    assert text.rstrip().endswith("## 豁免\n\n无。")


def test_lang_zh_text_checklist_and_json_unchanged():
    text = verify(REFERENCE, "--profile", "pas_2050_2011", "--lang", "zh")
    assert text.exit_code == 1
    lines = text.output.splitlines()
    assert lines[0] == f"核查清单：{REFERENCE}"
    assert lines[1] == "结果：11.2206 kg CO2e / 1 kg casting.billet"
    # statuses in Chinese, padded to the same terminal width (a CJK character takes two cells)
    assert any(line.startswith("  不通过   Q003  quality-claim") for line in lines), lines
    assert any(line.startswith("  通过     C005  minimum-coverage") and "coverage 1, minimum 0.95" in line
               for line in lines)
    assert "  24 通过、1 不通过、3 警告、0 已豁免、8 不适用" in lines
    assert lines[-1] == "豁免：无"
    # English stays as it was, and JSON is language-neutral
    english = verify(REFERENCE, "--profile", "pas_2050_2011").output
    assert verify(REFERENCE, "--profile", "pas_2050_2011", "--lang", "en").output == english
    assert verify(REFERENCE, "--format", "json", "--lang", "zh").stdout == verify(REFERENCE, "--format", "json").stdout

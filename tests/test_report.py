"""`pcf report`: structure, numbers, escaping and determinism of the HTML and Markdown report.

Numbers are compared with `pcf calc --format json` and with the reference report's printed
figures (Table 1 line results, Table 2 stage subtotals); the data-quality score with a hand
calculation. The page in a real browser is tested in test_report_browser.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

import pcf_dsl
from pcf_dsl.check import run_check
from pcf_dsl.cli import main
from pcf_dsl.quality import quality_level, weighted_quality
from pcf_dsl.report import _md_escape as _md
from pcf_dsl.report import report

ROOT = Path(__file__).resolve().parents[1]
BILLET = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
SMALL = (Path(__file__).parent / "test_render.py").read_text(encoding="utf-8").split('SMALL = """\\\n')[1] \
    .split('"""')[0]


class Rows(HTMLParser):
    """The cells of every <tr> that carries a data-* attribute, by that attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: dict[tuple[str, str], list[str]] = {}
        self.headings: list[str] = []
        self.text: list[str] = []
        self._row = None
        self._cell = None
        self._heading = None
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "tr":
            keys = [(k, v) for k, v in attrs.items() if k.startswith("data-")]
            self._row = (keys[0], []) if keys else None
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "h2":
            self._heading = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row[1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows[self._row[0]] = self._row[1]
            self._row = None
        elif tag == "h2" and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)


def parse(html: str) -> Rows:
    parser = Rows()
    parser.feed(html)
    return parser


def close(printed: str, expected: float) -> bool:
    """True when `printed` is `expected` rounded to the digits printed (half a unit of the last digit)."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return abs(float(printed) - expected) <= 0.5 * 10 ** -decimals + 1e-12


@pytest.fixture(scope="module")
def outcome():
    return run_check(BILLET)


@pytest.fixture(scope="module")
def html_en(outcome) -> str:
    return report(outcome.model, outcome.result, outcome, fmt="html").text


@pytest.fixture(scope="module")
def calc() -> dict:
    result = CliRunner().invoke(main, ["calc", str(BILLET), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_sections_follow_the_reference_report(html_en):
    page = parse(html_en)
    assert page.headings == ["1. Product and study information", "2. Goal and scope", "3. Inventory", "4. Results",
                             "5. Data quality", "6. Verification", "7. Assumptions, notes and waivers"]
    for sub in ("2.1 Declared unit", "2.2 System boundary", "2.3 Cut-off rule", "2.4 Reference period",
                "2.5 Allocation"):
        assert f"<h3>{sub}</h3>" in html_en
    # the diagram sits in the boundary section, the chart in the results
    assert html_en.index("<h3>2.2 System boundary") < html_en.index('id="figure-boundary"') < \
        html_en.index("<h3>2.3 Cut-off rule")
    assert html_en.index('id="table-stages"') < html_en.index('id="figure-chart"') < html_en.index('id="quality"')
    assert "2024-01-01 to 2024-12-31" in html_en and "GB/T 24067-2024; PAS 2050:2011" in html_en
    assert "the billet is sold ex works" in html_en  # the excluded stage's reason


def test_html_is_self_contained(html_en):
    assert "<script" not in html_en.lower() and "<link" not in html_en.lower()
    assert not re.findall(r'(?:src|href)="(?!#)[^"]*"', html_en), "no file or network reference"
    assert not re.findall(r"url\((?!#)", html_en) and "@import" not in html_en  # only url(#clip-path)
    # the only URLs are XML namespace names inside the inline SVG, which a browser never fetches
    urls = set(re.findall(r"https?://[^\s\"')<>]+", html_en))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert html_en.count("<svg") == 2 and "<?xml" not in html_en and "<!DOCTYPE svg" not in html_en


def test_table_1_lines_equal_pcf_calc_and_the_reference_report(html_en, calc):
    rows = parse(html_en).rows
    lines = {f"{f['process']}.{f['flow']}": f for f in calc["by_flow"]}
    table = {key: cells for (attr, key), cells in rows.items() if attr == "data-key"}
    assert set(table) == set(lines)
    for key, cells in table.items():
        value, share = cells[7], cells[8]
        assert close(value, lines[key]["value"]), key
        assert close(share.rstrip(" %"), 100 * lines[key]["share"]), key
    # the reference report's Table 1 (kg CO2e per kg billet), each a product of activity and factor
    printed = {"casting.aluminium_ingot": 10.3832, "casting.electricity": 0.0864,
               "casting.natural_gas_combustion": 0.3035, "casting.inbound_transport": 0.0201,
               "casting.magnesium_ingot_99_95": 0.1155}
    for key, reference in printed.items():
        assert abs(float(table[key][7]) - reference) <= 0.0005, key
    # activity and factor as written: 0.58962 t of ingot at 17.610 t CO2e/t
    assert table["casting.aluminium_ingot"][2:6] == ["0.58962 t", "ef.aluminium_ingot", "17.610", "t CO2e / t"]
    assert table["casting.electricity"][4:6] == ["0.6205", "t CO2 / MWh"]
    assert abs(0.58962 * 17.610 - float(table["casting.aluminium_ingot"][7])) <= 0.005


def test_stage_results_equal_pcf_calc_and_table_2(html_en, calc):
    rows = parse(html_en).rows
    summary = {key: cells for (attr, key), cells in rows.items() if attr == "data-stage"}
    reference = {"raw_material_acquisition": 10.81, "production": 0.39, "waste_treatment": 0.00,
                 "in_plant_transport": 0.00, "inbound_transport": 0.02}
    for stage, value in reference.items():
        cells = summary[stage]
        assert close(cells[-2], calc["by_stage"][stage]["value"])
        assert abs(float(cells[-2]) - value) <= 0.005 + 1e-9, stage
    total = rows[("data-total", "")]
    assert close(total[-2], calc["total"]["value"]) and abs(float(total[-2]) - 11.22) <= 0.005
    # Table 2's group line for purchased materials: 10.796 in the report
    group = re.search(r"<td>purchased materials \(group of 47 lines\)</td><td>melting, refining and casting</td>"
                      r"<td class=\"num\">([\d.]+)</td>", html_en)
    assert group and abs(float(group.group(1)) - 10.796) <= 0.0005 and close(group.group(1), calc["by_group"]["purchased_materials"]["value"])


def test_verification_lists_every_finding_and_the_checklist(outcome, html_en):
    assert outcome.diagnostics, "the reference model has findings (e.g. the quality claim)"
    findings = html_en[html_en.index('id="verification"'):html_en.index('id="assumptions"')]
    for d in outcome.diagnostics:
        assert f"<code>{d.code}</code>" in findings
    for run in outcome.runs:
        assert (run.profile.label or run.profile.name) in findings
        for code in run.outcomes:
            assert f"<code>{code}</code>" in findings


def test_data_quality_is_the_share_weighted_mean(tmp_path):
    path = tmp_path / "dq.pcf"
    path.write_text(
        'study "dq" {\n  declared_unit 1 kg of p.x\n}\nfactor a = 3 kg CO2e / kg\nfactor b = 1 kg CO2e / kg\n'
        'process p {\n  stage production\n  product x 1 kg\n'
        '  input one 1 kg from a {\n    quality activity=continuous factor=national calibration=compliant\n  }\n'
        '  input two 1 kg from b {\n    quality activity=estimated factor=international calibration=none\n  }\n}\n',
        encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    quality = weighted_quality(model, result)
    score, covered = quality["score"], quality["scored_share"]
    # by hand: line one (6+2+6)/3 = 4.667 at 3/4 of the total, line two (1+1+1)/3 = 1 at 1/4
    assert abs(score - (0.75 * 14 / 3 + 0.25 * 1)) <= 1e-12 and covered == pytest.approx(1.0)
    assert quality_level(score) == 3
    text = report(model, result, fmt="md").text
    assert "Overall score 3.75 (level 3)" in text


def test_claims_in_tonnes_and_grams_are_stated_in_kg_beside_the_computed_value(tmp_path):
    """A claim written in t or g CO2e is set beside the computed kg figure with its kg value;
    printed as "0.003 kg CO2e" it read as a thousandth of the computed 3 kg. `3e3 g` (printed
    to -3 decimals) once stopped the report with an internal error."""
    path = tmp_path / "claims.pcf"
    path.write_text(
        'study "claims" {\n  declared_unit 1 t of p.x\n}\nfactor grid = 0.6 kg CO2e / kWh\n'
        'process p {\n  stage production\n  product x 1 t\n  input power 5 kWh from grid\n}\n'
        'claim total = 0.003 t CO2e\nclaim total = 3e3 g CO2e\nclaim total = 3.00 kg CO2e\n',
        encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    # by hand: 5 kWh x 0.6 kg CO2e/kWh = 3 kg per t of x
    assert result.total.value == pytest.approx(3.0, abs=1e-12)
    md = report(model, result, fmt="md").text
    # 0.003 t is to the kg (3 kg), 3e3 g to the kg as well, 3.00 kg to 0.01 kg
    assert "| `total` | 0.003 (= 3 kg CO2e) | 3 kg CO2e |" in md
    assert "| `total` | 3e3 (= 3 kg CO2e) | 3 kg CO2e |" in md
    assert "| `total` | 3.00 kg CO2e | 3.00 kg CO2e |" in md



def test_data_quality_words_say_absolute_contributions(tmp_path):
    """The score weights lines by their absolute value, so with a removal its cover is a share of the
    absolute contributions (0.4 of 0.43), not "of the total" (the Share column adds up to 0.2 of 0.23)."""
    path = tmp_path / "dq.pcf"
    path.write_text(
        'import "std:gwp/ipcc_ar6.pcf" as ipcc\nstudy "dq" {\n  declared_unit 1 kg of p.x\n  gwp ipcc.ar6\n}\n'
        'factor a = 3 kg CO2e / kg\nfactor b = 1 kg CO2e / kg\n'
        'process p {\n  stage production\n  product x 1 kg\n'
        '  input one 0.1 kg from a {\n    quality activity=continuous factor=national calibration=compliant\n  }\n'
        '  emit uptake -0.1 kg CO2 {\n    quality activity=estimated factor=international calibration=none\n  }\n'
        '  input two 0.03 kg from b\n}\n', encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    # by hand: one 0.3 kg CO2e scores (6+2+6)/3, uptake -0.1 scores 1, two 0.03 is unscored;
    # weights 0.3 / 0.43 and 0.1 / 0.43: score (0.3 x 14/3 + 0.1) / 0.4 = 3.75, covering 0.4 / 0.43
    quality = weighted_quality(model, result)
    assert quality["score"] == pytest.approx(3.75, abs=1e-12)
    assert quality["scored_share"] == pytest.approx(0.4 / 0.43, rel=1e-12)
    md = report(model, result, fmt="md").text
    assert ("Overall score 3.75 (level 3), over lines making up 93.02 % of all lines' contributions taken as "
            "absolute values.") in md
    assert "weighted by the size of each line's contribution (its absolute value" in md
    assert "of the total." not in md.split("Overall score")[1].split("\n")[0]
    zh = report(model, result, fmt="md", lang="zh").text
    assert "整体分值 3.75，精准度级别 3 级（已评分项占各项排放量绝对值之和的 93.02 %）。" in zh
    assert "按各项排放量绝对值的大小加权平均" in zh


def test_an_excluded_stage_that_contributes_is_marked_in_the_stage_table(tmp_path):
    """`pcf calc` marks an excluded stage that still contributes "(excluded)"; the report's
    "By life-cycle stage" table listed it like any stage of the boundary."""
    path = tmp_path / "excl.pcf"
    path.write_text(
        'study "excl" {\n  declared_unit 1 kg of make.thing\n}\n'
        'boundary cradle_to_gate {\n  exclude distribution "ex works"\n}\n'
        'factor f = 1 kg CO2e / kg\n'
        'process make {\n  stage production\n  product thing 1 kg\n  input x 1 kg from f\n'
        '  input part 1 kg from ship.part\n}\n'
        'process ship {\n  stage distribution\n  product part 1 kg\n  input y 2 kg from f\n}\n',
        encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    # by hand: production 1 x 1 = 1, distribution 2 x 1 = 2 of 3 kg CO2e (66.67 %)
    md = report(model, result, fmt="md").text
    summary = md.split("By life-cycle stage")[1]
    assert "| distribution (excluded) | 2.0000 | 66.67 % |" in summary
    assert "| production | 1.0000 | 33.33 % |" in summary
    html = report(model, result, fmt="html").text
    assert re.search(r'<tr data-stage="distribution"><td>distribution \(excluded\)</td>', html)
    zh = report(model, result, fmt="md", lang="zh").text
    assert re.search(r"\| [^|]+（不包括） \| 2\.0000 \| 66\.67 % \|", zh)

def test_model_text_is_escaped_in_html_and_markdown(tmp_path):
    path = tmp_path / "small.pcf"
    path.write_text(SMALL, encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    html = report(model, result, fmt="html").text
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Widget &lt;b&gt;&amp;&lt;/b&gt; co" in html and "Steel &lt;source&gt; &amp; co" in html
    md = report(model, result, fmt="md").text
    assert not re.search(r"(?<!\\)<", md) and "\\<script\\>alert(1)\\</script\\>" in md
    assert "Widget \\<b\\>&\\</b\\> co" in md
    # a cut-off flow with its estimate (0.004 kg CO2e per run, 2 runs per declared unit)
    assert "| glue `parts.glue` | below 1 % | 0.008000 |" in md


def test_a_hint_of_several_lines_keeps_its_lines(tmp_path):
    """C007's hint ends in a block to paste, one item a line: joined into one line it would read
    `cutoff { per_flow 1 % }`, which is a syntax error. The small model states no cut-off."""
    path = tmp_path / "small.pcf"
    path.write_text(SMALL, encoding="utf-8")
    outcome = run_check(path)
    hint = next(d.help for d in outcome.diagnostics if d.code == "C007")
    assert "\ncutoff {\n  per_flow 1 %\n}\n" in hint
    html = report(outcome.model, outcome.result, outcome, fmt="html").text
    # The cell keeps the newlines and the page shows them as line breaks.
    assert "td.help { white-space: pre-line; }" in html
    assert re.search(r'<td class="help">add the threshold[^<]*\ncutoff {\n  per_flow 1 %\n}\n', html)
    md = report(outcome.model, outcome.result, outcome, fmt="md").text
    assert "<br>cutoff {<br>  per\\_flow 1 %<br>}<br>" in md


def test_lang_zh(outcome):
    html = report(outcome.model, outcome.result, outcome, fmt="html", lang="zh").text
    assert parse(html).headings == ["1. 概况", "2. 量化范围", "3. 清单分析", "4. 结果", "5. 数据质量评价", "6. 核查",
                                    "7. 假设、说明和豁免"]
    assert "表 1 1 kg 铝合金棒材生命周期碳排放清单说明" in html and "原材料获取" in html
    assert '<html lang="zh-CN">' in html


def _section_6(text: str) -> str:
    return text[text.index("## 6. "):text.index("## 7. ")]


def test_the_chinese_checklist_states_requirements_and_clauses_in_chinese(outcome):
    """With --lang zh the checklist's requirement and clause columns were the rules' English. They are
    the Chinese written beside each rule (and the Chinese side of a profile's clause); the standard's
    name and clause number stay as written."""
    from pcf_dsl.rules import registry

    zh = _section_6(report(outcome.model, outcome.result, outcome, fmt="md", lang="zh").text)
    rules = registry()
    tables = zh.split("**核查清单：")[1:]  # one per profile, in the order of the runs
    assert len(tables) == len(outcome.runs) == 2  # the study claims GB/T 24067-2024 and PAS 2050:2011
    for run, table in zip(outcome.runs, tables):
        assert table.startswith(f"规则集 {run.profile.label}**")
        for code in run.outcomes:
            rule = rules[code].rule
            clause = run.profile.clauses_zh.get(code) or rule.clause.text("zh")
            row = next(line for line in table.splitlines() if line.startswith(f"| `{code}` "))
            assert f"| {_md(rule.summary_zh)} | {_md(clause)} |" in row, row
            assert rule.summary not in zh.replace("\\", ""), code
    # the rule's own clause: ISO 14044:2006, 4.3.4.2, the allocation procedure
    assert "| ISO 14044:2006，4.3.4.2，分配程序：分配后的输入和输出之和等于分配前的输入和输出 |" in zh
    # the clause the shipped GB/T 24067 profile sets for C007, and PAS 2050's for C005, in Chinese
    assert "| GB/T 24067-2024（ISO 14067:2018），取舍准则：研究规定取舍准则并说明舍去的影响 |" in zh
    assert "| PAS 2050:2011，至少评价预期的生命周期温室气体排放的 95 % |" in zh
    assert "**核查清单：规则集 GB/T 24067-2024**" in zh
    # the findings and the evidence are the rules' English, under headings that say so
    assert "**发现的问题（说明和修改方法为英文原文）**" in zh and "| 依据（英文原文） |" in zh
    assert "保留英文原文（与 pcf check 的输出一致），不作机器翻译。" in zh
    q003 = next(d for d in outcome.diagnostics if d.code == "Q003")
    assert _md(q003.message) in zh


def test_the_english_checklist_is_unchanged_by_the_chinese_texts(outcome, html_en):
    """The Chinese side of a profile's bilingual clause shows only with --lang zh; `pcf check`,
    `pcf verify` and the English report read the English side."""
    from pcf_dsl.checklist import checklist_json

    gbt = next(run for run in outcome.runs if run.profile.name == "gbt_24067_2024")
    english = "GB/T 24067-2024 (ISO 14067:2018), cut-off criteria: the study states them and the effect of the exclusions"
    assert gbt.profile.clauses["C007"] == english
    md = _section_6(report(outcome.model, outcome.result, outcome, fmt="md").text)
    assert "## 6. Verification\n\n**Checklist: Profile GB/T 24067-2024**\n" in md  # no note in English
    assert f"| {_md(english)} |" in md
    section = html_en[html_en.index('id="verification"'):html_en.index('id="assumptions"')]
    assert not re.search(r"[\u4e00-\u9fff]", section)
    rows = checklist_json(outcome, "billet")["profiles"][0]["rows"]
    assert next(r for r in rows if r["code"] == "C007")["clause"] == english


def test_a_profiles_clause_written_in_two_languages(tmp_path):
    """`set clause.CODE = "中文 / English"` is read as a label is: each language its side."""
    path = tmp_path / "model.pcf"
    path.write_text('import "std:profiles/base.pcf" as b\n\nprofile mine {\n  extends b.base\n'
                    '  set clause.C004 = "客户手册，4.2：覆盖率 / Customer manual, 4.2: coverage"\n}\n\n'
                    + SMALL, encoding="utf-8")
    outcome = run_check(path)
    assert not outcome.invalid, [d.message for d in outcome.diagnostics]
    (run,) = outcome.runs
    assert (run.profile.clauses["C004"], run.profile.clauses_zh["C004"]) == \
        ("Customer manual, 4.2: coverage", "客户手册，4.2：覆盖率")
    zh = report(outcome.model, outcome.result, outcome, fmt="md", lang="zh").text
    en = report(outcome.model, outcome.result, outcome, fmt="md").text
    assert "| 客户手册，4.2：覆盖率 |" in zh and "Customer manual" not in zh.split("**发现的问题")[0]
    assert "| Customer manual, 4.2: coverage |" in en and "客户手册" not in en
    # the finding's help names the clause in the English of the finding
    c004 = next(d for d in outcome.diagnostics if d.code == "C004")
    assert "Customer manual, 4.2: coverage" in c004.help and "客户手册" not in c004.help


def test_the_cut_off_basis_and_allocation_method_are_named_in_chinese(outcome):
    """Section 2 of the Chinese report gave the cut-off basis and the allocation method as the
    language's English keywords (`emissions`, `mass`); they are named in Chinese, keyword beside."""
    from typing import get_args

    from pcf_dsl.model import ALLOCATION_METHODS, Cutoff
    from pcf_dsl.report import ALLOCATION_ZH, CUTOFF_BASIS_ZH

    # every keyword the language accepts has its Chinese name: a new one cannot be forgotten
    assert set(ALLOCATION_ZH) == set(ALLOCATION_METHODS)
    assert set(CUTOFF_BASIS_ZH) == set(get_args(Cutoff.model_fields["basis"].annotation))
    model = outcome.model
    assert (model.cutoff.basis, model.processes["casting"].allocation.method) == ("emissions", "mass")
    zh = report(model, outcome.result, outcome, fmt="md", lang="zh").text
    assert "| 依据 | 排放量（emissions） |" in zh
    assert "| 熔炼、精炼、铸造 | 按质量分配（mass） | billet 100.00 %（唯一产品） |" in zh
    en = report(model, outcome.result, outcome, fmt="md").text
    assert "| Basis | emissions |" in en and "| mass | billet 100.00 % (the only product) |" in en


def test_markdown_with_its_figures_beside_it(tmp_path):
    out = tmp_path / "billet.md"
    result = CliRunner().invoke(main, ["report", str(BILLET), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == ["billet.boundary.svg", "billet.chart.svg"]
    for link in links:
        assert (tmp_path / link).read_bytes().startswith(b"<?xml")
    assert text.startswith("# Product carbon footprint report\n")
    assert "| **Total** | | | | | | | **11.2206** | **100.00 %** |" in text
    stdout = CliRunner().invoke(main, ["report", str(BILLET), "--format", "md"])
    assert stdout.exit_code == 0 and "with -o" in stdout.output and "](" not in stdout.output


RUN_BOTH = """
import sys
from click.testing import CliRunner
from pcf_dsl.cli import main
for args in (["-o", sys.argv[2] + "/r.html"], ["-o", sys.argv[2] + "/r.md"], ["-o", sys.argv[2] + "/z.html", "--lang", "zh"]):
    done = CliRunner().invoke(main, ["report", sys.argv[1], *args])
    assert done.exit_code == 0, done.output
"""


def test_output_is_byte_identical_across_runs(tmp_path):
    runs = [tmp_path / "first", tmp_path / "second"]
    for out in runs:
        out.mkdir()
        done = subprocess.run([sys.executable, "-c", RUN_BOTH, str(BILLET), str(out)], capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
    names = sorted(p.name for p in runs[0].iterdir())
    assert names == ["r.boundary.svg", "r.chart.svg", "r.html", "r.md", "z.html"]
    for name in names:
        assert (runs[0] / name).read_bytes() == (runs[1] / name).read_bytes(), f"{name} differs between two runs"


def test_invalid_model_exits_2(tmp_path):
    bad = tmp_path / "bad.pcf"
    bad.write_text(SMALL.replace("from power\n  input box", "from powr\n  input box"), encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(bad)])
    assert result.exit_code == 2 and "bad.pcf:" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("written", ["100000", "120000", "1234567", "2.5", "250"])
def test_a_declared_unit_without_a_description_keeps_its_amount(tmp_path, written):
    """The report, the diagram and the chart name the declared unit by its amount when the study gives
    no description: 100000 kg was shown as `1 kg` (the trailing zeros of a rounded form trimmed)
    beside a total computed per 100000 kg."""
    path = tmp_path / "big.pcf"
    path.write_text(f"""\
study "big" {{
  declared_unit {written} kg of make.thing
}}
boundary cradle_to_gate
factor f = 1 kg CO2e / kg
process make {{
  stage production
  product thing "thing" 1 t
  input x 1 t from f
}}
""", encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    # by hand: 1 kg CO2e per kg of input, one kg of input per kg of thing
    assert result.total.value == pytest.approx(float(written), rel=1e-12)
    md = report(model, result, fmt="md").text
    assert f"### 2.1 Declared unit\n\n{written} kg thing." in md
    assert f"Table 2. Emissions of {written} kg thing by life-cycle stage" in md
    from pcf_dsl.render import dot_source
    assert f"Declared unit: {written} kg thing ·" in dot_source(model, result)


def test_claims_in_other_units_are_stated_with_their_value_in_kg_co2e(tmp_path):
    """A claim written in t CO2e, g CO2e or kg CO2e / kg is not a number of kg CO2e per declared unit:
    the table "Stated in the model and computed" printed `1.2345 kg CO2e` for `1.2345 t CO2e`, beside
    the computed 1234.5000 kg CO2e, so that a claim pcf check accepts read as wrong by a thousand."""
    path = tmp_path / "claims.pcf"
    path.write_text("""\
study "claims" {
  declared_unit 1 t of make.thing "1 t thing"
}
boundary cradle_to_gate
factor f = 1 kg CO2e / kg
process make {
  stage production
  product thing 1 kg
  input x 1.2345 kg from f
}
claim total = 1.2345 t CO2e
claim total = 1234.5 kg CO2e
claim stage production = 1234500 g CO2e
claim flow make.x = 1.2345 kg CO2e / kg
""", encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    # by hand: 1.2345 kg of input at 1 kg CO2e / kg per kg of thing, 1000 kg of thing per declared unit
    assert result.total.value == pytest.approx(1234.5, rel=1e-12)
    md = report(model, result, fmt="md").text
    # the computed figure at the claim's precision in kg CO2e: 0.0001 t is 0.1 kg, 1 g is 0.001 kg,
    # 0.0001 kg CO2e per kg is 0.1 kg per declared unit
    assert "| `total` | 1.2345 (= 1234.5 kg CO2e) | 1234.5 kg CO2e |" in md
    assert "| `total` | 1234.5 kg CO2e | 1234.5 kg CO2e |" in md
    assert "| `stage production` | 1234500 (= 1234.5 kg CO2e) | 1234.500 kg CO2e |" in md
    assert "| `flow make.x` | 1.2345 (= 1234.5 kg CO2e) | 1234.5 kg CO2e |" in md


def test_library_file_exits_2(tmp_path):
    # A file without a study is input the command cannot use: exit 2, not 1 (findings at error level).
    result = CliRunner().invoke(main, ["report", str(BILLET.parent / "factors.pcf")])
    assert result.exit_code == 2
    assert "no study block" in result.output


def test_missing_graphviz_is_exit_2_not_an_internal_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on this PATH
    result = CliRunner().invoke(main, ["report", str(BILLET), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output and "apt-get install graphviz" in result.output
    assert "--format dot" not in result.output  # render's way out; a report has no such format
    assert not (tmp_path / "r.html").exists()


BIOGENIC = """\
import "std:gwp/ipcc_ar6.pcf" as ipcc
study "pallet" {
  declared_unit 1 unit of make.pallet "1 pallet"
  gwp           ipcc.ar6
}
boundary cradle_to_gate
factor timber = 0.2 kg CO2e / kg
factor grid = 0.6 kg CO2 / kWh
factor boiler {
  gas 1.5 kg CO2_biogenic / kg
  gas 0.01 kg CH4_biogenic / kg
}
process make {
  stage production
  product pallet 1 unit
  input wood 20 kg from timber {
    stage raw_material_acquisition
  }
  emit uptake -33 kg CO2_biogenic {
    stage raw_material_acquisition
  }
  input power 5 kWh from grid
  emit offcuts 2 kg with boiler
  emit leak 0.001 kg CH4_fossil
}
"""


FUNCTIONAL = """\
study "functional" {
  functional_unit 10 kg of use.service "ten kilograms of service"
}
factor f = 2 kg CO2e / kg
process make {
  stage production
  product part 1 kg
  input x 0.5 kg from f
}
process use {
  stage production
  product service 1 kg
  input part 1 kg from make.part
}
process spare {
  stage production
  product other 1 kg
}
"""


def test_fossil_and_biogenic_emissions_and_removals_are_reported_apart(tmp_path):
    """ISO 14067 and GB/T 24067 ask for fossil and biogenic GHG emissions and removals separately. The
    report gave only a net per gas (CO2_biogenic -30: an uptake of 33 and an emission of 3 in one
    figure) and nothing on which part of the footprint is fossil."""
    path = tmp_path / "pallet.pcf"
    path.write_text(BIOGENIC, encoding="utf-8")
    done = CliRunner().invoke(main, ["calc", str(path), "--format", "json"])
    assert done.exit_code == 0, done.output
    calc = json.loads(done.output)
    # by hand (AR6: CH4_fossil 29.8, CH4_biogenic 27.0), kg CO2e per pallet:
    # raw material acquisition: wood 20 x 0.2 = 4 (CO2e, origin not stated), uptake -33 (biogenic removal);
    # production: power 5 x 0.6 = 3 and leak 0.001 x 29.8 = 0.0298 (fossil), offcuts 2 x 1.5 + 2 x 0.01 x 27 =
    # 3.54 (biogenic)
    hand = {"raw_material_acquisition": [0, 0, 0, -33, 4, 0], "production": [3.0298, 0, 3.54, 0, 0, 0]}
    # the same from pcf calc's lines, each gas put by its origin and its sign
    from_calc = {stage: [0.0] * 6 for stage in hand}
    for line in calc["by_flow"]:
        for gas, value in line["gases"].items():
            origin = 2 if gas in ("CO2_biogenic", "CH4_biogenic") else 4 if gas in ("CO2e", "CH4") else 0
            from_calc[line["stage"]][origin + (value < 0)] += value
    for stage in hand:
        assert from_calc[stage] == pytest.approx(hand[stage], abs=1e-12), stage
        assert sum(hand[stage]) == pytest.approx(calc["by_stage"][stage]["value"], abs=1e-12)
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    rows = parse(report(model, result, fmt="html").text).rows
    for stage, values in hand.items():
        cells = rows[("data-origin", stage)]
        assert len(cells) == 8
        for printed, expected in zip(cells[1:7], values):
            assert close(printed, expected), (stage, cells)
        assert close(cells[7], calc["by_stage"][stage]["value"])
    total = rows[("data-origin-total", "")]
    for printed, expected in zip(total[1:7], [3.0298, 0, 3.54, -33, 4, 0]):
        assert close(printed, expected), total
    assert close(total[7], calc["total"]["value"]) and close(total[7], -22.4302)
    md = report(model, result, fmt="md").text
    assert "| raw material acquisition | 0 | 0 | 0 | -33.0000 | 4.0000 | 0 | -29.0000 |" in md
    assert "| **Total** | **3.0298** | **0** | **3.5400** | **-33.0000** | **4.0000** | **0** | **-22.4302** |" in md
    assert "Biogenic removals" in md and "origin not stated" in md
    zh = report(model, result, fmt="md", lang="zh").text
    assert "| 原材料获取 | 0 | 0 | 0 | -33.0000 | 4.0000 | 0 | -29.0000 |" in zh
    assert "生物源清除" in zh and "化石源排放" in zh


def test_the_source_of_an_activity_figure_is_shown_with_it(tmp_path):
    """`source TEXT` on a line says where the activity figure comes from (docs/language.md); the
    model dropped it, so the report, whose data sources a verifier checks, could not show it."""
    path = tmp_path / "src.pcf"
    path.write_text(
        'study "src" {\n  declared_unit 1 kg of p.x\n}\nfactor f = 0.5 kg CO2e / kWh {\n  source "grid 2023"\n}\n'
        'process p {\n  stage production\n  product x 1 kg\n'
        '  input power 2 kWh from f {\n    source "meter readings <2024>"\n  }\n  input other 1 kWh from f\n}\n',
        encoding="utf-8")
    model = pcf_dsl.load(path)
    assert model.processes["p"].flow("power").data_source == "meter readings <2024>"
    assert model.processes["p"].flow("other").data_source is None
    result = pcf_dsl.compute(model)
    # by hand: 2 kWh x 0.5 = 1 kg CO2e, 1 kWh x 0.5 = 0.5 kg CO2e
    rows = parse(report(model, result, fmt="html").text).rows
    assert rows[("data-key", "p.power")][2] == "2 kWh (source: meter readings <2024>)"
    assert rows[("data-key", "p.power")][6] == "grid 2023" and close(rows[("data-key", "p.power")][7], 1.0)
    assert rows[("data-key", "p.other")][2] == "1 kWh" and close(rows[("data-key", "p.other")][7], 0.5)
    md = report(model, result, fmt="md").text
    assert "| 2 kWh (source: meter readings \\<2024\\>) |" in md
    zh = report(model, result, fmt="md", lang="zh").text
    assert "| 2 kWh（来源：meter readings \\<2024\\>） |" in zh


@pytest.mark.parametrize("boundary, kind, sentence", [
    ("boundary cradle_to_gate", "partial CFP (cradle to gate)",
     "This is a partial CFP (ISO 14067): distribution, use and end of life are outside the system boundary"),
    ("boundary gate_to_gate", "partial CFP (gate to gate)",
     "This is a partial CFP (ISO 14067): raw material acquisition, distribution, use and end of life are outside"),
    ('boundary cradle_to_grave {\n  exclude use "no energy in use"\n}', "partial CFP",
     "This is a partial CFP (ISO 14067): use is outside the system boundary"),
    ("boundary cradle_to_grave", "CFP (cradle to grave)", "Every life-cycle stage is inside the system boundary"),
    ("", None, None),
])
def test_a_partial_cfp_is_stated_as_such(tmp_path, boundary, kind, sentence):
    """ISO 14067 and GB/T 24067: a study of part of the life cycle is a partial CFP and its report says
    so. The report titled a cradle-to-gate study "Product carbon footprint report" and said nothing."""
    path = tmp_path / "kind.pcf"
    path.write_text(f'study "kind" {{\n  declared_unit 1 kg of p.x\n}}\n{boundary}\nfactor f = 1 kg CO2e / kg\n'
                    'process p {\n  stage production\n  product x 1 kg\n  input a 1 kg from f\n}\n', encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    md = report(model, result, fmt="md").text
    html = report(model, result, fmt="html").text
    if kind is None:  # no boundary declared: nothing to say either way
        assert "Type of study" not in md and 'id="cfp-kind"' not in html
        return
    assert f"| Type of study | {kind} |" in md and sentence in md
    assert f"<tr><th>Type of study</th><td>{kind}</td></tr>" in html and sentence in html


def test_a_partial_cfp_is_stated_in_chinese(outcome):
    md = report(outcome.model, outcome.result, outcome, fmt="md", lang="zh").text
    assert "| 研究类型 | 产品部分碳足迹（从摇篮到大门） |" in md
    assert "本研究量化的是产品部分碳足迹（GB/T 24067 / ISO 14067）：运输（交付）、使用、生命末期不在系统边界内" in md


def test_a_factors_year_and_geography_are_shown_with_its_source(html_en, outcome):
    """The time-related and geographical coverage of the data belong in the CFP study report (and rules
    D001 and D003 judge them); Table 1 gave a factor's source and dataset but not its year or geography."""
    rows = parse(html_en).rows
    factors = outcome.model.factors
    scrap = factors["ef.aluminium_scrap_epa"]
    assert (scrap.year, scrap.geography) == (2025, "US")  # factors.pcf
    assert rows[("data-key", "casting.scrap_profiles")][6] == \
        "US EPA GHG Emission Factors Hub 2025 (aluminum ingot); 2025; US"
    assert rows[("data-key", "casting.electricity")][6] == \
        "2023 electricity carbon footprint factor (published Feb 2025); 2023; CN"
    # a factor without a year: its geography alone
    assert factors["ef.aluminium_ingot"].year is None
    assert rows[("data-key", "casting.aluminium_ingot")][6] == \
        "CPCD (China Products Carbon Footprint Factors Database); CN"
    zh = report(outcome.model, outcome.result, outcome, fmt="md", lang="zh").text
    assert "| US EPA GHG Emission Factors Hub 2025 (aluminum ingot); 2025; US |" in zh


def test_the_gwp_values_applied_are_listed(tmp_path):
    """The CFP study report gives the characterisation factors used; the report named the GWP set but
    gave a GWP value only on lines that emit one gas directly, not those of a factor split by gas."""
    path = tmp_path / "pallet.pcf"
    path.write_text(BIOGENIC, encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    # IPCC AR6 WG I, Table 7.15: CH4 fossil 29.8, non-fossil 27.0; the model's gases are these four
    # (the timber factor is in CO2e, not characterised here)
    md = report(model, result, fmt="md").text
    assert "| GWP values used (kg CO2e per kg of gas) | CH4\\_biogenic 27; CH4\\_fossil 29.8; CO2 1; CO2\\_biogenic 1 |" in md
    # the offcuts line, 2 kg at 1.5 kg CO2_biogenic and 0.01 kg CH4_biogenic per kg, is 3 + 0.54 with them
    offcuts = next(f for f in result.by_flow if f.flow == "offcuts")
    assert offcuts.gases == pytest.approx({"CO2_biogenic": 2 * 1.5 * 1, "CH4_biogenic": 2 * 0.01 * 27.0}, abs=1e-12)
    zh = report(model, result, fmt="html", lang="zh").text
    assert "<tr><th>所用 GWP 值（kg CO2e / kg 气体）</th><td>CH4_biogenic 27; CH4_fossil 29.8; CO2 1; CO2_biogenic 1</td></tr>" in zh


@pytest.mark.parametrize("lang, term, other", [("en", "functional unit", "declared unit"), ("zh", "功能单位", "声明单位")])
def test_a_functional_unit_is_called_so_in_the_report_and_diagram(tmp_path, lang, term, other):
    """The title said "Functional unit" but the captions, table note and link column, the diagram's
    legend and its "not used by" note still said "per declared unit"."""
    from pcf_dsl.render import dot_source

    path = tmp_path / "fu.pcf"
    path.write_text(FUNCTIONAL, encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    assert result.total.value == pytest.approx(10 * 1 * 0.5 * 2, rel=1e-12)  # by hand: 10 kg CO2e
    md = report(model, result, fmt="md", lang=lang).text
    dot = dot_source(model, result, lang=lang)
    for text in (md, dot):
        assert other not in text.lower().replace("declared unit's", "")  # B005's summary names the rule
        assert term in text.lower()
    per = "per functional unit" if lang == "en" else "/ 功能单位"
    assert per in md and per in dot  # captions and legend
    assert ("Amount per functional unit" if lang == "en" else "每功能单位的数量") in md  # the links column
    assert ("not used by the functional unit" if lang == "en" else "功能单位未使用") in dot  # process `spare`
    # a declared unit keeps its name
    declared = tmp_path / "du.pcf"
    declared.write_text(FUNCTIONAL.replace("functional_unit", "declared_unit"), encoding="utf-8")
    model = pcf_dsl.load(declared)
    md = report(model, pcf_dsl.compute(model), fmt="md", lang=lang).text
    assert term not in md.lower() and per.replace("functional unit", "declared unit").replace("功能", "声明") in md


ALLOCATED = """\
import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Widgets" {
  declared_unit 1 kg of assembly.widget
  gwp ipcc.ar6
}

boundary cradle_to_gate

factor power = 0.5 kg CO2e / kWh
factor film = 3 kg CO2e / kg

process smelt "smelting" {
  stage raw_material_acquisition
  product metal 3 kg
  product dross 1 kg
  input electricity 4 kWh from power
  allocation mass {
    justification "sold by weight"
  }
}

process refine "refining" {
  stage production
  product ingot 1 kg
  product slag 2 kg
  input metal 1 kg from smelt.metal
  input electricity 1 kWh from power
  allocation economic {
    property ingot 10 CNY / kg
    property slag 1 CNY / kg
    justification "prices"
  }
}

process assembly "assembly" {
  stage production
  product widget 1 kg
  input ingot 1 kg from refine.ingot
  input electricity 2 kWh from power
  input wrap "secondary packaging film, LDPE" 0.1 kg from film
}
"""


def _allocated(tmp_path):
    path = tmp_path / "allocated.pcf"
    path.write_text(ALLOCATED, encoding="utf-8")
    run = CliRunner().invoke(main, ["calc", str(path), "--format", "json"])
    assert run.exit_code == 0, run.output
    model = pcf_dsl.load(path)
    return model, pcf_dsl.compute(model), json.loads(run.output)


def test_allocation_table_shows_the_shares_computed_from_the_basis(tmp_path):
    """A mass or economic allocation without `share` lines left the Shares column empty: the
    shares the computation applied were nowhere in the report."""
    model, result, calc = _allocated(tmp_path)
    # by hand: the products' masses 3 kg and 1 kg; amount x price 1 kg x 10 and 2 kg x 1 CNY
    metal, ingot = 3 / (3 + 1), 1 * 10 / (1 * 10 + 2 * 1)
    # the shares pcf calc applied: refining's 1 kWh x 0.5 carried by the ingot at its share; smelting
    # runs for the ingot's share of 1 kg of metal (of 3 kg), at the metal's share
    lines = {(f["process"], f["flow"]): f["value"] for f in calc["by_flow"]}
    assert lines[("refine", "electricity")] == pytest.approx(1 * 0.5 * ingot, rel=1e-12)
    assert lines[("smelt", "electricity")] == pytest.approx(4 * 0.5 * metal * (1 * ingot / 3), rel=1e-12)
    md = report(model, result, fmt="md").text
    assert (f"| smelting | mass | metal {metal * 100:.2f} %, dross {(1 - metal) * 100:.2f} % (from the products' "
            "masses: metal 3 kg, dross 1 kg) | sold by weight |") in md
    assert (f"| refining | economic | ingot {ingot * 100:.2f} %, slag {(1 - ingot) * 100:.2f} % (from each product's "
            "amount × its economic property: ingot 1 kg × 10 CNY / kg, slag 2 kg × 1 CNY / kg) | prices |") in md
    assert "ingot 83.33 %, slag 16.67 %" in md
    html = report(model, result, fmt="html").text
    assert "<td>metal 75.00 %, dross 25.00 % (from the products&#39; masses: metal 3 kg, dross 1 kg)</td>" in html
    zh = report(model, result, fmt="md", lang="zh").text
    assert "metal 75.00 %、dross 25.00 %（按产品质量：metal 3 kg、dross 1 kg）" in zh


def test_stated_allocation_shares_are_those_applied(tmp_path, outcome):
    # the reference model states `share billet 100 %` for its one product
    md = report(outcome.model, outcome.result, fmt="md").text
    assert "| billet 100.00 % (the only product) |" in md
    path = tmp_path / "stated.pcf"
    # stated shares take precedence over the masses (3:1) in the computation, and in the report
    path.write_text(ALLOCATED.replace('justification "sold by weight"', 'share metal 90 %\n    share dross 10 %'),
                    encoding="utf-8")
    model = pcf_dsl.load(path)
    md = report(model, pcf_dsl.compute(model), fmt="md").text
    assert "| smelting | mass | metal 90.00 %, dross 10.00 % (as stated in the model) |" in md


def test_table_2_does_not_merge_same_named_lines_of_different_processes(tmp_path):
    """Table 2 summed the lines of a stage by their name: the `electricity` of refining and of
    assembly was one row, whose figure no process line has. A row is one process's line, or a
    declared group, which names its processes and how many lines it sums."""
    model, result, calc = _allocated(tmp_path)
    lines = {(f["process"], f["flow"]): f["value"] for f in calc["by_flow"]}
    # by hand: assembly 2 kWh x 0.5; refining 1 kWh x 0.5 x the ingot's economic share 10 / (10 + 2)
    assembly, refine = 2 * 0.5, 1 * 0.5 * 10 / 12
    assert lines[("assembly", "electricity")] == pytest.approx(assembly, rel=1e-12)
    assert lines[("refine", "electricity")] == pytest.approx(refine, rel=1e-12)
    rows = parse(report(model, result, fmt="html").text).rows
    table2 = {key: cells for (attr, key), cells in rows.items() if attr == "data-t2"}
    assert table2["production refine.electricity"][-4:-2] == ["electricity", "refining"]
    assert close(table2["production refine.electricity"][-2], refine)
    assert table2["production assembly.electricity"][-4:-2] == ["electricity", "assembly"]
    assert close(table2["production assembly.electricity"][-2], assembly)
    md = report(model, result, fmt="md").text
    assert "|  | electricity | assembly | 1.0000 | 46.87 % |" in md
    assert f"| production | electricity | refining | {refine:.4f} |" in md
    assert "1.4167" not in md  # the two merged: 1.0 + 0.41667

    # A declared group sums lines on purpose: its row says how many, and of which processes.
    path = tmp_path / "grouped.pcf"
    path.write_text(ALLOCATED.replace("input electricity 1 kWh from power", "input electricity 1 kWh from power {\n"
                                      "    group energy\n  }").replace(
        "input electricity 2 kWh from power", "input electricity 2 kWh from power {\n    group energy\n  }"),
        encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    assert result.by_group["energy"].value == pytest.approx(assembly + refine, rel=1e-12)
    md = report(model, result, fmt="md").text
    assert f"| production | energy (group of 2 lines) | refining; assembly | {assembly + refine:.4f} |" in md


def test_the_co2e_row_of_the_gas_table_is_not_a_mass_of_gas(tmp_path):
    """The CO2e row (lines whose factors give only CO2e) printed its kg CO2e under "Mass (kg)",
    where it read as kilograms of a gas; the column now holds gas masses only."""
    path = tmp_path / "gases.pcf"
    path.write_text('import "std:gwp/ipcc_ar6.pcf" as ipcc\n\nstudy "gases" {\n  declared_unit 1 kg of p.x\n'
                    '  gwp ipcc.ar6\n}\n\nfactor power = 0.5 kg CO2e / kWh\n\nprocess p {\n  stage production\n'
                    '  product x 1 kg\n  input power 2 kWh from power\n  emit leak 0.01 kg CH4_fossil\n}\n',
                    encoding="utf-8")
    run = CliRunner().invoke(main, ["calc", str(path), "--format", "json"])
    assert run.exit_code == 0, run.output
    by_gas = json.loads(run.output)["by_gas"]
    # by hand: 2 kWh x 0.5 kg CO2e; 0.01 kg CH4 x 29.8 (AR6, fossil)
    co2e, ch4 = 2 * 0.5, 0.01 * 29.8
    assert by_gas["CO2e"]["value"] == pytest.approx(co2e, rel=1e-12)
    assert by_gas["CH4_fossil"]["value"] == pytest.approx(ch4, rel=1e-12)
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    md = report(model, result, fmt="md").text
    assert "| Gas | Mass of the gas (kg) | kg CO2e | Share |" in md
    assert f"| CH4\\_fossil | 0.01000 | {ch4:.4f} | {ch4 / (co2e + ch4) * 100:.2f} % |" in md
    assert (f"| CO2e (factors given only in CO2e: no gas mass) | — | {co2e:.4f} | "
            f"{co2e / (co2e + ch4) * 100:.2f} % |") in md
    assert "Mass (kg)" not in md
    zh = report(model, result, fmt="md", lang="zh").text
    assert "| CO2e（排放因子仅以 CO2e 给出，无气体质量） | — | 1.0000 |" in zh


GROUP_TWO_STAGES = """\
import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Group over two stages" {
  declared_unit 1 kg of make.part
  standard      "ISO 14067:2018"
  gwp           ipcc.ar6
}

boundary cradle_to_gate

factor grid = 0.5 kg CO2e / kWh

process make "cutting; welding" {
  stage   production
  product part 1 kg
  input   electricity 2 kWh from grid {
    group energy
  }
  input   heat 1 kWh from grid {
    group energy
    stage raw_material_acquisition
  }
  input   coat 1 kg from paint.coat
}

process paint "painting" {
  stage   production
  product coat 1 kg
  input   electricity 1 kWh from grid {
    group energy
  }
}
"""


def test_table_2_quotes_a_process_label_holding_the_separator(tmp_path):
    """Table 2's group row lists its processes separated by `; `: a label "cutting; welding" read as
    two processes. A label holding the separator is quoted."""
    path = tmp_path / "group.pcf"
    path.write_text(GROUP_TWO_STAGES, encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    # by hand: production: make 2 kWh x 0.5 = 1, paint 1 kWh x 0.5 = 0.5
    production = 2 * 0.5 + 1 * 0.5
    md = report(model, result, fmt="md").text
    assert f'| production | energy (group of 2 lines) | "cutting; welding"; painting | {production:.4f} |' in md
    html = report(model, result, fmt="html").text
    assert parse(html).rows[("data-t2", "production energy")][2] == '"cutting; welding"; painting'


def test_table_2_says_a_group_split_over_stages_is_claimed_by_its_total(tmp_path):
    """A group whose lines fall in two stages is one Table 2 row per stage, while `pcf calc`'s
    by_group and `claim group` use its total over the stages: a verifier comparing the claim with a
    row found a difference. A note under Table 2 gives the group's total and its rows."""
    path = tmp_path / "group.pcf"
    path.write_text(GROUP_TWO_STAGES, encoding="utf-8")
    model = pcf_dsl.load(path)
    result = pcf_dsl.compute(model)
    # by hand: raw material acquisition: make's heat 1 kWh x 0.5 = 0.5; production: make 2 kWh x 0.5
    # and paint 1 kWh x 0.5 = 1.5; the group's total 2.0
    raw, production = 1 * 0.5, 2 * 0.5 + 1 * 0.5
    assert result.by_group["energy"].value == pytest.approx(raw + production, rel=1e-12)
    md = report(model, result, fmt="md").text
    note = (f"The group energy has lines in more than one stage, so Table 2 shows a row in each: "
            f"raw material acquisition {raw:.4f}, production {production:.4f}; its total, {raw + production:.4f} "
            "kg CO2e, is the figure of a `claim group` and of `pcf calc` by group.")
    assert _md(note) in md
    assert md.index("**Table 2.") < md.index(_md(note)) < md.index("**By life-cycle stage**")
    html = report(model, result, fmt="html").text
    assert note in html
    zh = report(model, result, fmt="md", lang="zh").text
    assert f"分组 energy 的项目分属多个阶段，表 2 在每个阶段各列一行：原材料获取 {raw:.4f}、生产 {production:.4f}；" \
           f"其合计 {raw + production:.4f} kg CO2e 即 `claim group` 和 `pcf calc` 分组结果所用的数值。" in zh.replace("\\", "")
    # A group within one stage needs no note.
    single = report(pcf_dsl.load(BILLET), pcf_dsl.compute(pcf_dsl.load(BILLET)), fmt="md").text
    assert "has lines in more than one stage" not in single

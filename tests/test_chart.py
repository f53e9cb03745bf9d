"""`pcf chart`: Figure 2. The text matplotlib draws is also written into the SVG as comments
(`<!-- 10.81 (96.32 %) -->`), which is what these tests read: the words and numbers on the
chart, compared with `pcf calc --format json` and with the reference report's Table 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import pcf_dsl
from pcf_dsl.chart import chart
from pcf_dsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
BILLET = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"


@pytest.fixture(scope="module")
def billet():
    model = pcf_dsl.load(BILLET)
    return model, pcf_dsl.compute(model)


@pytest.fixture(scope="module")
def calc() -> dict:
    result = CliRunner().invoke(main, ["calc", str(BILLET), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def texts(svg: bytes) -> list[str]:
    return [t.strip() for t in re.findall(r"<!--(.*?)-->", svg.decode("utf-8"), flags=re.S)]


def bar_values(items: list[str]) -> list[tuple[float, float, float]]:
    """(value, tolerance, share %) of every `V (S %)` written on a bar, top to bottom."""
    out = []
    for text in items:
        match = re.fullmatch(r"(-?[\d.]+) \((-?[\d.]+) %\)", text)
        if match:
            value = match.group(1)
            decimals = len(value.split(".")[1]) if "." in value else 0
            out.append((float(value), 0.5 * 10 ** -decimals + 1e-12, float(match.group(2))))
    return out


def test_bar_chart_shows_every_included_stage_in_order_with_calc_values(billet, calc):
    model, result = billet
    items = texts(chart(model, result))
    labels = ["raw material acquisition", "production", "waste treatment", "in-plant product transport",
              "raw material transport"]
    positions = [items.index(label) for label in labels]
    assert positions == sorted(positions), "stages in life-cycle order"
    values = bar_values(items)
    stages = [calc["by_stage"][s.name] for s in model.stages if s.included]
    assert len(values) == len(stages) + 10  # stages, then the 10 largest flows
    for (value, tol, share), expected in zip(values, stages):
        assert abs(value - expected["value"]) <= tol
        assert abs(share - 100 * expected["share"]) <= 0.005 + 1e-9
    # the reference report's stage summary (Table 2): 10.81, 0.39, 0.00, 0.02 (transport), 11.22
    assert abs(values[0][0] - 10.81) <= 0.005 and abs(values[1][0] - 0.39) <= 0.005
    assert abs(values[4][0] - 0.02) <= 0.005
    assert "Total 11.22 kg CO2e per 1 kg aluminium alloy billet" in " ".join(items)
    assert "Excluded from the boundary: distribution, use, end of life" in " ".join(items)


def test_top_flows_are_the_largest_lines_of_pcf_calc(billet, calc):
    model, result = billet
    items = texts(chart(model, result, top=3))
    values = bar_values(items)[-3:]
    for (value, tol, share), line in zip(values, calc["by_flow"][:3]):
        assert abs(value - line["value"]) <= tol and abs(share - 100 * line["share"]) <= 0.005 + 1e-9
    # by hand: 0.58962 t ingot x 17.610 t CO2e/t per t of billet; 155.44 m3 x 1.9523 kg CO2/m3 per t
    assert abs(values[0][0] - 0.58962 * 17.610) <= values[0][1]
    assert abs(values[1][0] - 155.44 * 1.9523 / 1000) <= values[1][1]
    assert "aluminium ingot" in items and "The 3 largest contributions" in items
    assert len(bar_values(texts(chart(model, result, top=0)))) == 5  # stages only


def test_pie_writes_shares_and_a_legend_with_values(billet, calc):
    model, result = billet
    items = texts(chart(model, result, kind="pie"))
    assert "96.3 %" in items  # on the wedge
    legend = [t for t in items if t.startswith("raw material acquisition: ")]
    assert legend == [f"raw material acquisition: 10.81 ({100 * calc['by_stage']['raw_material_acquisition']['share']:.2f} %)"]
    assert any(t.startswith("production: 0.3899 (3.47 %)") for t in items)


def test_lang_zh_draws_chinese_with_a_cjk_font(billet):
    model, result = billet
    svg = chart(model, result, lang="zh")
    items = texts(svg)
    for label in ("原材料获取", "生产", "废弃物处理", "产品厂内运输", "原料运输", "各生命周期阶段温室气体排放", "铝锭"):
        assert label in items
    assert "系统边界不包括：运输（交付）、使用、生命末期" in " ".join(items)
    glyph_fonts = set(re.findall(r'<path id="([A-Za-z]+[A-Za-z-]*?)-[0-9a-f]+"', svg.decode()))
    assert glyph_fonts and all(font.startswith("NotoSansCJK") for font in glyph_fonts), glyph_fonts


def test_model_text_cannot_break_the_svg(tmp_path):
    path = tmp_path / "m.pcf"
    path.write_text('study "s" {\n  declared_unit 1 kg of p.x\n}\nfactor f = 1 kg CO2e / kg\n'
                    'process p {\n  stage production\n  product x 1 kg\n'
                    '  input a "<script>--> & a" 1 kg from f\n}\n', encoding="utf-8")
    model = pcf_dsl.load(path)
    svg = chart(model).decode("utf-8")
    assert "<script" not in svg and "-->" not in "".join(re.findall(r"<!--(.*?)-->", svg, flags=re.S))


RUN_ALL = """
import sys
import warnings
from click.testing import CliRunner
from pcf_dsl.cli import main
for kind in ("bar", "pie"):
    for fmt in ("svg", "png"):
        done = CliRunner().invoke(main, ["chart", sys.argv[1], "--kind", kind, "--lang", "zh",
                                         "-o", f"{sys.argv[2]}/{kind}.{fmt}"])
        assert done.exit_code == 0, done.output
"""


def test_output_is_byte_identical_across_runs(tmp_path):
    runs = [tmp_path / "first", tmp_path / "second"]
    for out in runs:
        out.mkdir()
        done = subprocess.run([sys.executable, "-c", RUN_ALL, str(BILLET), str(out)], capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
    for name in ("bar.svg", "bar.png", "pie.svg", "pie.png"):
        data = (runs[0] / name).read_bytes()
        assert data == (runs[1] / name).read_bytes(), f"{name} differs between two runs"
        assert data[:5] in (b"<?xml", b"\x89PNG\r")
    assert b"<dc:date>" not in (runs[0] / "bar.svg").read_bytes()


CREDIT = """\
study "credit" {
  declared_unit 1 kg of make.thing "1 kg thing"
}
boundary cradle_to_grave
factor f = 1 kg CO2e / kg
process make {
  stage production
  product thing 1 kg
  input x 3 kg from f
  emit credit "recycling credit" CREDIT kg CO2e {
    stage STAGE
  }
}
"""


@pytest.mark.parametrize("credit, stage, message", [
    # by hand: production 3 kg CO2e, end of life -1, total 2: production is 150 % of the total, and a
    # pie of the positive stages labelled its wedge 100.0 %
    ("-1", "end_of_life", "a pie cannot show the negative stage `end of life` (-1.000 kg CO2e)"),
    # 3 - 3 = 0 in production, the only stage with anything: matplotlib raised "All wedge sizes are zero"
    ("-3", "production", "a pie cannot show this footprint: no stage is above zero"),
])
def test_a_pie_of_a_negative_or_zero_footprint_is_refused_with_the_bar_chart_as_the_way(
        tmp_path, credit, stage, message):
    path = tmp_path / "credit.pcf"
    path.write_text(CREDIT.replace("CREDIT", credit).replace("STAGE", stage), encoding="utf-8")
    result = CliRunner().invoke(main, ["chart", str(path), "--kind", "pie", "-o", str(tmp_path / "pie.svg")])
    assert result.exit_code == 2, result.output
    assert "error[E902]: " + message in result.output and "use `--kind bar`" in result.output
    bar = CliRunner().invoke(main, ["chart", str(path), "-o", str(tmp_path / "bar.svg")])
    assert bar.exit_code == 0, bar.output
    if credit == "-1":
        values = bar_values(texts((tmp_path / "bar.svg").read_bytes()))
        assert (3.0, 150.0) in [(v, s) for v, _, s in values] and (-1.0, -50.0) in [(v, s) for v, _, s in values]


@pytest.mark.parametrize("command", [["chart"], ["chart", "--kind", "pie"], ["report", "--format", "md"]])
def test_a_footprint_beyond_what_an_axis_holds_is_refused_not_an_internal_error(tmp_path, command):
    """A declared unit of 1.8e308 pieces gives a footprint of 1.8e308 kg CO2e, which compute holds (no
    overflow: 2 x 5 kg / 10 pieces each) but the bar axis, 1.45 times the largest value, did not:
    "internal error: ValueError: Axis limits cannot be NaN or Inf" (found by the fuzz campaign)."""
    path = tmp_path / "big.pcf"
    path.write_text('study "s" {\n  declared_unit 1.7976931348623157e308 pcs of assemble.widget\n}\n'
                    'factor ore = 2 kg CO2e / kg\nprocess assemble {\n  stage production\n  product widget 10 pcs\n'
                    '  input steel 5 kg from ore\n}\n', encoding="utf-8")
    result = CliRunner().invoke(main, [*command, str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "error[E903]: the chart cannot draw `production` (1.8e+308 kg CO2e)" in result.output
    assert "internal error" not in result.output
    # Far from the limit, a large footprint is drawn, with no raw Python warning on the terminal.
    path.write_text(path.read_text(encoding="utf-8").replace("1.7976931348623157e308", "1e250"), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        drawn = CliRunner().invoke(main, ["chart", str(path), "-o", str(tmp_path / "c.svg")])
    assert drawn.exit_code == 0, drawn.output
    assert [str(w.message) for w in caught if "layout" in str(w.message)] == []

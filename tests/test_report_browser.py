"""The HTML report in a real browser: Debian's Chromium, headless, driven by Playwright.

Playwright is only the DevTools-protocol client here: it launches the system's Chromium
(`executable_path`), never a browser of its own. The page must load with no console error, no
page error and no network request (it is self-contained); the diagram and the chart must be
visible with non-empty boxes; a model label `<script>` must stay text. Screenshots are written
to out/ (ignored by git) for a person to look at: out/report_en.png, out/report_zh.png and the
two figures cropped.

CI installs Chromium (`.ci/run` sets PCF_SETUP_BROWSER=1 for scripts/setup); elsewhere the test
is skipped when no Chromium is installed, and fails under CI.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pcf_dsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
BILLET = ROOT / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
OUT = ROOT / "out"
# `--headless` comes with headless=True (Playwright adds it); the rest keep Chromium offline and quiet.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SMALL = (Path(__file__).parent / "test_render.py").read_text(encoding="utf-8").split('SMALL = """\\\n')[1] \
    .split('"""')[0]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed: CI sets PCF_SETUP_BROWSER=1 so that scripts/setup installs it")
    pytest.skip("Chromium is not installed (PCF_SETUP_BROWSER=1 bash scripts/setup installs it)")


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    """Open a file in a fresh Chromium profile; returns (page, console errors, page errors, requests)."""
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the `test` extra")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        opened = []

        def open_file(path: Path):
            page = context.new_page()
            log = {"console": [], "errors": [], "requests": [], "dialogs": []}
            page.on("console", lambda m: log["console"].append(f"{m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: log["errors"].append(str(e)))
            page.on("request", lambda r: log["requests"].append(r.url) if not r.url.startswith("file:") else None)
            page.on("dialog", lambda d: (log["dialogs"].append(d.message), d.dismiss()))
            page.goto(path.as_uri(), wait_until="load")
            opened.append(page)
            return page, log

        yield open_file
        context.close()


def svg_text(page, selector: str) -> str:
    """The text the browser has in an SVG's <text> elements, one space between them."""
    return page.eval_on_selector(selector, "svg => [...svg.querySelectorAll('text')].map(t => t.textContent).join(' ')")


def _write_report(tmp_path: Path, model: Path, lang: str) -> Path:
    out = tmp_path / f"report_{lang}.html"
    result = CliRunner().invoke(main, ["report", str(model), "-o", str(out), "--lang", lang])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_loads_and_shows_the_diagram_and_the_chart(browser_page, tmp_path, lang):
    page, log = browser_page(_write_report(tmp_path, BILLET, lang))
    assert log["console"] == [] and log["errors"] == [], log
    assert log["requests"] == [], "the report fetched something: it must be self-contained"
    for figure in ("#figure-boundary svg", "#figure-chart svg"):
        locator = page.locator(figure)
        assert locator.count() == 1 and locator.is_visible(), figure
        box = locator.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 200, (figure, box)
    # the diagram's nodes are drawn, with text: the process and its value
    diagram_text = svg_text(page, "#figure-boundary svg")
    assert ("melting, refining and casting" if lang == "en" else "熔炼、精炼、铸造") in diagram_text
    assert "11.22 kg CO2e" in diagram_text
    node = page.locator("#figure-boundary svg g.node").first.bounding_box()
    assert node and node["width"] > 10 and node["height"] > 10
    bars = page.locator("#figure-chart svg g[id^='patch_']")
    assert bars.count() > 10  # the stage bars and the flow bars
    heading = page.locator("h2#inventory").inner_text()
    assert heading == ("3. Inventory" if lang == "en" else "3. 清单分析")
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / f"report_{lang}.png"), full_page=True)
    page.locator("#figure-boundary").screenshot(path=str(OUT / f"report_{lang}_boundary.png"))
    page.locator("#figure-chart").screenshot(path=str(OUT / f"report_{lang}_chart.png"))
    for name in (f"report_{lang}.png", f"report_{lang}_boundary.png", f"report_{lang}_chart.png"):
        assert (OUT / name).read_bytes()[:4] == b"\x89PNG"


def test_a_label_that_looks_like_markup_stays_text(browser_page, tmp_path):
    model = tmp_path / "small.pcf"
    model.write_text(SMALL, encoding="utf-8")
    page, log = browser_page(_write_report(tmp_path, model, "en"))
    assert log["dialogs"] == [] and log["errors"] == [] and log["console"] == [], log
    assert page.evaluate("document.querySelectorAll('script').length") == 0
    assert "<script>alert(1)</script>" in page.locator("#table-inventory").inner_text()
    assert "<script>alert(1)</script>" in svg_text(page, "#figure-boundary svg")

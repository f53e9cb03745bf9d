"""Figure 2: the footprint by life-cycle stage (and the flows that contribute most), drawn with matplotlib.

matplotlib rather than hand-written SVG: it lays out axes, ticks and text of any
length in any script, writes SVG and PNG from one description, and draws text
as paths, so the chart looks the same wherever it is opened (no font needed to
view Chinese labels). Its output is made byte-identical across runs by fixing
the SVG id salt and leaving out the date stamp.

The figure is built on a bare `Figure` (no pyplot), with settings in an
`rc_context`, so drawing a chart changes no global state of the caller.
"""

from __future__ import annotations

import io
import warnings

from . import present as P
from .compute import Result, compute
from .diagnostics import Diagnostic, PcfError
from .model import Model

FORMATS = ("svg", "png")
KINDS = ("bar", "pie")
DEFAULT_TOP = 10
FONTS = ["Noto Sans CJK SC", "DejaVu Sans"]
BAR = "#e6550d"
BAR_FLOW = "#fd8d3c"

TEXT = {
    "en": {
        "stages": "Greenhouse gas emissions by life-cycle stage",
        "flows": "The {n} largest contributions",
        "axis": "kg CO2e per {unit}",
        "excluded": "Excluded from the boundary: {names}",
        "total": "Total {value} kg CO2e per {unit}",
        "sep": ", ",
    },
    "zh": {
        "stages": "各生命周期阶段温室气体排放",
        "flows": "贡献最大的 {n} 项",
        "axis": "kg CO2e / {unit}",
        "excluded": "系统边界不包括：{names}",
        "total": "合计 {value} kg CO2e / {unit}",
        "sep": "、",
    },
}


def _stage_rows(model: Model, result: Result, lang: str) -> tuple[list[tuple[str, float, float]], list[str]]:
    """(label, value, share) of every stage in the boundary, in life-cycle order; and the excluded stages' labels."""
    labels = P.stage_labels(model, lang)
    rows, excluded = [], []
    for stage in model.stages:
        share = result.by_stage.get(stage.name)
        value, fraction = (share.value, share.share) if share else (0.0, 0.0)
        if stage.included is False and value == 0:
            excluded.append(labels[stage.name])
        elif stage.included or value != 0:
            rows.append((labels[stage.name], value, fraction))
    return rows, excluded


def _flow_rows(result: Result, lang: str, top: int) -> list[tuple[str, float, float]]:
    return [(P.pick(f.label, lang, f.flow), f.value, f.share) for f in result.by_flow[:top]]


def _check_font(texts: list[str]) -> None:
    """Chinese text without a CJK font would come out as empty boxes: say so instead."""
    if not any(P.has_cjk(t) for t in texts):
        return
    from matplotlib import font_manager

    try:
        font_manager.findfont(FONTS[0], fallback_to_default=False)
    except ValueError:
        raise PcfError(Diagnostic(
            "E901", f"the chart has Chinese text but the font {FONTS[0]!r} is not installed", None,
            help="install a CJK font (Debian: `apt-get install fonts-noto-cjk`; scripts/setup does it)")) from None


def _check_pie(stages: list[tuple[str, float, float]]) -> None:
    """A pie's wedges are parts of a positive whole: a negative stage (a credit, a removal) would have to be
    drawn as nothing, and the wedge labels, shares of what is drawn, would no longer be shares of the total
    (a stage of 150 % read 100 %). A footprint with no positive stage has no pie at all."""
    negative = [(label, value) for label, value, _ in stages if value < 0]
    if negative:
        names = ", ".join(f"`{label}` ({P.kg(value)} kg CO2e)" for label, value in negative)
        message = (f"a pie cannot show the negative stage {names}: its wedges would be shares of the "
                   "positive stages, not of the total")
    elif not any(value > 0 for _, value, _ in stages):
        message = "a pie cannot show this footprint: no stage is above zero"
    else:
        return
    raise PcfError(Diagnostic("E902", message, None, help="use `--kind bar`: it draws every stage with its value "
                              "and share of the total, negative ones left of the axis"))


# A bar's axis runs to 1.45 times the largest value and matplotlib adds its margins: a value near the
# largest float overflowed them to infinity ("Axis limits cannot be NaN or Inf", an internal error).
LARGEST_DRAWN = 1e300


def _check_drawable(rows: list[tuple[str, float, float]]) -> None:
    """No value the axis cannot hold: no footprint is anywhere near 1e300 kg CO2e, so one is a slip (a declared
    unit or an amount with a stray exponent) that `pcf calc` shows in numbers."""
    too_large = [(label, value) for label, value, _ in rows if not abs(value) <= LARGEST_DRAWN]
    if too_large:
        label, value = too_large[0]
        raise PcfError(Diagnostic("E903", f"the chart cannot draw `{label}` ({value:.3g} kg CO2e): a value beyond "
                                  f"{LARGEST_DRAWN:.0e} does not fit its axis", None,
                                  help="check the declared unit and the amounts for a stray exponent; "
                                       "`pcf calc` gives the numbers"))


def _bars(ax, rows, colour: str, unit_text: str, t: dict) -> None:
    labels = [r[0] for r in rows]
    values = [r[1] for r in rows]
    positions = list(range(len(rows)))
    ax.barh(positions, values, color=colour, edgecolor="#7f2704", linewidth=0.6, height=0.62)
    ax.set_yticks(positions, labels=labels)
    ax.invert_yaxis()
    peak = max([abs(v) for v in values] + [1e-12])
    for y, (_, value, share) in zip(positions, rows):
        ax.text(value + peak * 0.015 if value >= 0 else value - peak * 0.015, y,
                f"{P.kg(value)} ({P.pct(share)})", va="center", ha="left" if value >= 0 else "right", fontsize=8.5)
    ax.set_xlim(min(0.0, min(values + [0.0]) * 1.45), peak * 1.45)
    ax.set_xlabel(t["axis"].format(unit=unit_text), fontsize=9)
    ax.tick_params(axis="both", labelsize=8.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def chart(model: Model, result: Result | None = None, *, kind: str = "bar", lang: str = "en", top: int = DEFAULT_TOP,
          fmt: str = "svg") -> bytes:
    """Figure 2 as SVG or PNG bytes: a bar chart by stage (with the `top` largest flows), or a pie by stage."""
    if kind not in KINDS:
        raise ValueError(f"chart kind {kind!r}: use one of {', '.join(KINDS)}")
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    if lang not in TEXT:
        raise ValueError(f"language {lang!r}: use one of {', '.join(TEXT)}")
    import matplotlib
    from matplotlib.figure import Figure

    t = TEXT[lang]
    result = result if result is not None else compute(model)
    unit_text = P.declared_unit_text(model, lang) if model.study and model.study.declared_unit else "declared unit"
    stages, excluded = _stage_rows(model, result, lang)
    flows = _flow_rows(result, lang, top) if kind == "bar" and top > 0 else []
    footer = t["total"].format(value=P.kg(result.total.value), unit=unit_text)
    if excluded:
        footer += "    " + t["excluded"].format(names=t["sep"].join(excluded))
    _check_font([r[0] for r in stages + flows] + [footer, unit_text])
    _check_drawable(stages + flows)
    if kind == "pie":
        _check_pie(stages)

    settings = {"font.family": "sans-serif", "font.sans-serif": FONTS, "svg.hashsalt": "pcf_dsl",
                "svg.fonttype": "path", "axes.unicode_minus": False, "path.simplify": True}
    with matplotlib.rc_context(settings), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(findfont|Glyph).*")
        # Value labels too wide for the figure (1e250 kg printed in full): the layout is kept as it is, and a
        # raw Python warning is no message for the terminal.
        warnings.filterwarnings("ignore", message="Tight layout not applied")
        if kind == "bar":
            height = 0.9 + 0.32 * len(stages) + (0.9 + 0.3 * len(flows) if flows else 0)
            fig = Figure(figsize=(8.6, max(2.6, height)), dpi=150)
            if flows:
                ax1, ax2 = fig.subplots(2, 1, height_ratios=[max(len(stages), 1) + 1, len(flows) + 1])
            else:
                ax1, ax2 = fig.subplots(1, 1), None
            _bars(ax1, stages, BAR, unit_text, t)
            ax1.set_title(t["stages"], fontsize=11, loc="left", fontweight="bold")
            if ax2 is not None:
                _bars(ax2, flows, BAR_FLOW, unit_text, t)
                ax2.set_title(t["flows"].format(n=len(flows)), fontsize=10, loc="left", fontweight="bold")
        else:
            fig = Figure(figsize=(8.6, 4.6), dpi=150)
            ax = fig.subplots(1, 1)
            values = [r[1] for r in stages]
            cmap = matplotlib.colormaps["viridis"]
            colours = [cmap(0.15 + 0.8 * i / max(len(stages) - 1, 1)) for i in range(len(stages))]
            wedges, _texts, autotexts = ax.pie(
                values, colors=colours, startangle=90, counterclock=False,
                wedgeprops={"edgecolor": "white", "linewidth": 1.0},
                autopct=lambda p: f"{p:.1f} %" if p >= 5 else "", pctdistance=0.7,
                textprops={"fontsize": 8.5, "color": "white"})
            ax.legend(wedges, [f"{label}: {P.kg(value)} ({P.pct(share)})" for label, value, share in stages],
                      loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8.5)
            ax.set_aspect("equal")
            ax.set_title(t["stages"], fontsize=11, loc="left", fontweight="bold")
        fig.text(0.01, 0.01, footer, fontsize=8, color="#444444", ha="left", va="bottom")
        fig.tight_layout(rect=(0, 0.04, 1, 1))
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buffer, format=fmt, metadata=metadata, facecolor="white")
    return buffer.getvalue()

"""How figures and names are shown to people: number formats and labels in English or Chinese.

The diagram (:mod:`pcf_dsl.render`), the chart (:mod:`pcf_dsl.chart`) and the
report (:mod:`pcf_dsl.report`) print the same numbers; they format them here so
that a value reads the same in all three, and a test can parse it back.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from functools import lru_cache

from .model import Model, Stage
from .units import conversion_factor, mass_dimensionality, readable, registry, short

LANGS = ("en", "zh")

# Chinese names of the standard stages, as GB/T 24067 and the reference report name them.
STAGE_ZH = {
    "raw_material_acquisition": "原材料获取",
    "production": "生产",
    "distribution": "运输（交付）",
    "use": "使用",
    "end_of_life": "生命末期",
}

_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def pick(label: str | None, lang: str, fallback: str = "") -> str:
    """One language of a bilingual label "中文 / English"; any other label as written.

    The reference model writes labels as "熔炼、精炼、铸造 / melting, refining and casting":
    `--lang en` shows the side without Chinese characters, `--lang zh` the side with them.
    """
    if not label:
        return fallback
    parts = label.split(" / ")
    if len(parts) >= 2:
        zh_parts = [p for p in parts if has_cjk(p)]
        other = [p for p in parts if not has_cjk(p)]
        if zh_parts and other:
            return " / ".join(zh_parts if lang == "zh" else other).strip()
    return label


def list_item(text: str, separator: str = "; ") -> str:
    """One item of a list joined with `separator`: quoted when it holds the separator itself.

    An exclusion reason "sold ex works; the buyer collects it" in a `; ` list read as two items.
    """
    if separator not in text:
        return text
    return quoted(text)


def quoted(text: str) -> str:
    """`text` as the language writes a text: in double quotes, its own quotes, backslashes and line
    breaks escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def stage_label(stage: Stage | None, name: str, lang: str) -> str:
    if stage is not None and stage.standard and lang == "zh":
        return STAGE_ZH.get(stage.name, stage.label)
    if stage is None:
        return name.replace("_", " ")
    return pick(stage.label, lang, stage.name)


def stage_labels(model: Model, lang: str) -> dict[str, str]:
    return {s.name: stage_label(s, s.name, lang) for s in model.stages}


def sig(value: float, digits: int = 4) -> str:
    """`value` with `digits` significant figures, positional (no exponent): 10.38, 0.0003580, 0."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    exponent = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - exponent)
    text = f"{value:.{decimals}f}"
    # rounding can carry into one more digit (9.9996 -> 10.000): drop the surplus decimal
    if decimals and len(text.lstrip("-").replace(".", "").lstrip("0")) > digits:
        text = f"{value:.{decimals - 1}f}"
    return text


def plain(value: float) -> str:
    """A number as a person writes it, positional: 100000, 2.5, 0.0000001 (not 1e+05 or 1e-07).

    For amounts that are definitions rather than results, such as the declared unit: trimming the
    zeros of a rounded form would turn 100000 into 1. Twelve significant figures keep every digit a
    model writes and drop float noise (0.1 + 0.2 is 0.3).
    """
    text = format(Decimal(f"{float(value):.12g}"), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def kg(value: float) -> str:
    """A kg CO2e value as printed everywhere: 4 significant figures."""
    return sig(value, 4)


def kg_table(value: float) -> str:
    """A kg CO2e value in the report's tables: 4 decimals as the reference report prints them, and at
    least 4 significant figures for small lines (10.3832, 0.3035, 0.00003900)."""
    text = sig(value, 4)
    decimals = len(text.split(".")[1]) if "." in text else 0
    return text if decimals >= 4 or value == 0 else f"{value:.4f}"


def pct(share: float) -> str:
    """A share of the total as printed everywhere: percent with 2 decimals."""
    return f"{share * 100 + 0.0:.2f} %"  # + 0.0: zero over a negative total is -0.0, not "-0.00 %"


def written_unit(text: str | None, unit: str) -> str:
    """The unit as the model wrote it ("t*km" from "409.93 t*km") when that is the same unit; else pint's short form."""
    if text:
        match = _NUMBER.match(text)
        rest = text[match.end():].strip() if match else ""
        if rest:
            return _written_or_short(rest, unit)  # once per spelling: calc gives every line's unit
    return short(unit) if unit else ""


@lru_cache(maxsize=4096)
def _written_or_short(written: str, unit: str) -> str:
    # Not an expression with a further number (`kg / kg * 1 t`): a unit, not a calculation (an exponent is part of it)
    tokens = _TOKEN.findall(written)
    if any(_NUMBER.fullmatch(tok) and (i == 0 or tokens[i - 1] != "^") for i, tok in enumerate(tokens)):
        return short(unit)
    return written if _same_unit(written, unit) else short(unit)


_TOKEN = re.compile(r"[\w.]+|\S")


# Both cached per unit spelling: a diagram of a large model shows hundreds of
# thousands of amounts in a handful of units, and pint parses a unit string anew
# every time it is asked (90 % of the DOT rendering before these caches).
@lru_cache(maxsize=4096)
def _same_unit(written: str, unit: str) -> bool:
    try:
        return registry().Unit(written) == registry().Unit(unit) or registry().Quantity(1, written).to(unit).magnitude == 1
    except Exception:  # not a plain unit (an expression): fall back to pint's spelling
        return False


@lru_cache(maxsize=4096)
def _to_kg(unit: str) -> float | None:
    """What one `unit` is in kg when it is a mass; None for other units; raises for an unusual unit string."""
    if registry().Unit(unit).dimensionality != mass_dimensionality():
        return None
    return conversion_factor(unit, "kg")


def amount(value: float, unit: str, written: str | None = None) -> str:
    """An amount for people: masses in kg (t and g are easy to misread per declared unit), others as written."""
    try:
        factor = _to_kg(unit)
    except Exception:  # an unusual unit string: show it as the model wrote it
        return f"{sig(value)} {unit}"
    if factor is not None:
        return f"{sig(float(value * factor))} kg"
    scale, text = readable(unit)
    if scale != 1.0:  # a share folded into the number: `12.5 % * 10 kg CO2` is 1.25 kg CO2
        return f"{sig(float(value * scale))} {text}"
    return f"{sig(value)} {written_unit(written, unit)}"


def factor_value(model: Model, name: str | None) -> tuple[str, str]:
    """The factor's value(s) and unit(s) as written in the model, for Table 1."""
    factor = model.factors.get(name) if name else None
    if factor is None:
        return "", ""
    values = "; ".join(_number_part(c.text) for c in factor.components)
    units = "; ".join(written_unit(c.text, c.quantity.unit) for c in factor.components)
    return values, units


_NUMBER = re.compile(r"\s*-?[\d.]+(?:[eE][+-]?\d+)?")


def _number_part(text: str) -> str:
    match = _NUMBER.match(text)
    return match.group(0).strip() if match else text


def declared_unit_text(model: Model, lang: str) -> str:
    """"1 kg aluminium alloy billet": the declared unit's description, else its amount and product label.

    In Chinese, a description without Chinese gives way to the product's Chinese label.
    """
    du = model.study.declared_unit
    product = None
    if du.product.rpartition(".")[0] in model.processes:
        product = model.activity(du.product)[1]
    amount = f"{plain(du.amount.value)} {written_unit(None, du.amount.unit)}"
    named = f"{amount} {pick(product.label, lang, product.name) if product is not None else du.product}"
    chinese_label = product is not None and product.label and has_cjk(product.label)
    if du.description and (lang != "zh" or has_cjk(du.description) or not chinese_label):
        return pick(du.description, lang, du.description)
    return named


# How an allocation's shares came about, in each language: the computation's shares are printed with
# the figures they follow from, so that a reader can redo the division (ISO 14067 7.3 h: the report
# documents the allocation procedure; a share computed from masses or prices is otherwise nowhere).
ALLOCATION_BASIS = {
    "en": {"single": "the only product", "stated": "as stated in the model",
           "mass": "from the products' masses: {figures}",
           "property": "from each product's amount × its {method} property: {figures}"},
    "zh": {"single": "唯一产品", "stated": "模型给定",
           "mass": "按产品质量：{figures}", "property": "按产品数量 × {method}：{figures}"},
}
PROPERTY_ZH = {"economic": "经济价值", "energy": "能量", "physical": "物理属性"}


def _basis_figure(value: float, unit: str, written: str | None = None) -> str:
    """A product's amount or property as the basis of its share: a mass in kg, every digit the model gives."""
    try:
        to_kg = _to_kg(unit)
    except Exception:
        to_kg = None
    if to_kg is not None:
        return f"{plain(value * to_kg)} kg"
    if written:
        return amount(value, unit, written)
    text = short(unit) if unit else ""
    return plain(value) if text in ("", "(no unit)") else f"{plain(value)} {text}"  # `0.99 t / t` is 0.99


def allocation_text(process, lang: str = "en") -> str:
    """The shares the computation applies to a process's products, to 0.01 %, and their basis.

    "metal 75.00 %, dross 25.00 % (from the products' masses: metal 3 kg, dross 1 kg)". Only for a
    process the computation has run (its allocation data are complete).
    """
    from .compute import (
        allocation_shares,  # compute owns the shares; the text only shows them
    )

    alloc, products = process.allocation, process.products
    shares = allocation_shares(process, products)
    sep = "、" if lang == "zh" else ", "
    text = ALLOCATION_BASIS[lang]
    if len(products) == 1:
        basis = text["single"]
    elif alloc.shares:  # stated shares take precedence over the method's basis (A003 compares them)
        basis = text["stated"]
    elif alloc.method == "mass":
        basis = text["mass"].format(figures=sep.join(
            f"{p.name} {_basis_figure(p.amount.value, p.amount.unit, p.amount_text)}" for p in products))
    else:
        prop = alloc.properties
        method = PROPERTY_ZH.get(alloc.method, alloc.method) if lang == "zh" else alloc.method
        basis = text["property"].format(method=method, figures=sep.join(
            f"{p.name} {_basis_figure(p.amount.value, p.amount.unit, p.amount_text)} × "
            f"{_basis_figure(prop[p.name].value, prop[p.name].unit)}" for p in products))
    listed = sep.join(f"{p.name} {pct(shares[p.name])}" for p in products)
    return f"{listed}（{basis}）" if lang == "zh" else f"{listed} ({basis})"

"""The builder's cached reading of `NUMBER UNITS` amounts says what the general code says.

build.Builder._amount answers from one evaluation per spelling of the units;
here each answer is compared with the general one for the same expression:
the amount as written (evaluate.source_text), the unit text stored in the model
(str of pint's units), and the two unit checks of a flow line (a loss is a mass,
an emission a mass of one gas).
"""

from __future__ import annotations

import pytest

from pcf_dsl.build import Builder, _AmountUnits
from pcf_dsl.evaluate import evaluate, source_text
from pcf_dsl.parse import parse_text
from pcf_dsl.units import gases_in, mass_dimensionality, unit

AMOUNTS = [
    "0.35 t",
    "139.24 kWh",
    "409.93 t*km",
    "409.93 t * km",
    "0.04902 kg CO2e / (t*km)",
    "0.6205 t CO2 / MWh",
    "0.000013 kg / kg * t",
    "1 %",
    "12 t km",
    "3 m^3",
    "2 kg / m^2 * m^-1",
    "1e-3 kg",
    "7.5E+2 kWh",
    "0.20 kg CH4_fossil",
    "3 kg CO2 CO2",
    "2 kg CO2 / kg",
    "0.00002 t CH4_fossil / t",
    "1800 CNY / t",
    "5",
    "5 kg / (m3 / h)",
    "(2 * kg) t",
    "(2 / kg) (t / h)",
]


def _expression(text: str):
    (item,) = parse_text(f"param p = {text}\n", "amounts.pcf").items
    return item.expr


@pytest.mark.parametrize("text", AMOUNTS)
def test_cached_amount_facts_equal_the_general_ones(text):
    expr = _expression(text)
    builder = Builder()
    expected = evaluate(expr, builder._resolver(""))
    gases = gases_in(expected)
    one_gas = list(gases.values()) == [1] and (
        expected / unit(next(iter(gases)))).dimensionality == mass_dimensionality()
    for _ in range(2):  # the first call fills the cache, the second reads it
        number, units = builder._amount("", expr)
        assert isinstance(units, _AmountUnits)
        assert number.value == expected.magnitude
        assert units.text == str(expected.units)
        assert units.text_before + number.text + units.text_after == source_text(expr)
        assert units.is_mass == (expected.dimensionality == mass_dimensionality())
        assert units.is_mass_of_one_gas == one_gas


def test_cached_amount_text_keeps_the_number_as_spelled():
    builder = Builder()
    first, second = _expression("1.50 kg"), _expression("1.5e0 kg")
    for expr, written in ((first, "1.50 kg"), (second, "1.5e0 kg")):
        number, units = builder._amount("", expr)
        assert units.text_before + number.text + units.text_after == written

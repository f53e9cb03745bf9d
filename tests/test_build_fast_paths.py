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
        number, value, units = builder._amount("", expr)
        assert isinstance(units, _AmountUnits)
        assert value == number.value == expected.magnitude
        assert units.text == str(expected.units)
        assert units.text_before + number.text + units.text_after == source_text(expr)
        assert units.is_mass == (expected.dimensionality == mass_dimensionality())
        assert units.is_mass_of_one_gas == one_gas


def test_number_unit_amounts_are_read_from_the_cache_under_the_general_key():
    builder = Builder()
    builder._amount("", _expression("0.35 t"))
    assert list(builder._amount_units) == [("", ("juxt", "#", "t"))]
    number, value, units = builder._amount("", _expression("2.5 t"))
    assert (number.text, value, units.text) == ("2.5", 2.5, "metric_ton")
    assert len(builder._amount_units) == 1


def test_cached_amount_text_keeps_the_number_as_spelled():
    builder = Builder()
    first, second = _expression("1.50 kg"), _expression("1.5e0 kg")
    for expr, written in ((first, "1.50 kg"), (second, "1.5e0 kg")):
        number, _, units = builder._amount("", expr)
        assert units.text_before + number.text + units.text_after == written


# ------------------------------------------------------------------ linking sources
# _link_flows reads a flow's source as the qualified name it stored and takes the
# name apart only to report a problem: each problem still names the source as
# written in its own file, at its place.

LIB2 = """factor ef = 0.6 kg CO2e / kWh
process smelter {
  stage production
  product ingot 1 t
}
process twin {
  stage production
  product a 1 kg
  product b 1 kg
  allocation mass
}
"""

LIB = """import "lib2.pcf" as deep
factor ef_el = 0.6 kg CO2e / kWh
process mill {
  stage production
  product bar 1 t
  input e 3 kWh from ef_el
  input s 1 t from deep.smelter
  input s2 1 t from deep.smelter.ingot
  input s3 1 t from deep.smelter.slag
  input s4 1 kWh from deep.twin
  input s5 1 kWh from deep
  input s6 1 kWh from ef_el.x
  waste w 1 kg to deep.ef
  waste w2 1 kg with deep.ef
  emit x 1 kg CO2 with nope
  emit y 1 kg CO2 with deep.smelter
}
"""

TOP = """import "lib.pcf" as lib
process top {
  stage production
  product out 1 kg
  input a 1 kg from lib.mill
  input b 1 kWh from lib.mill.bar
  input c 1 kg from lib.deep.smelter
  input d 1 kg from lib.deep.twin.b
  emit e 1 kWh with lib.deep.ef
}
"""


def test_link_problems_name_the_source_as_written(tmp_path):
    from pcf_dsl.build import load
    from pcf_dsl.diagnostics import PcfError

    for name, text in (("top.pcf", TOP), ("lib.pcf", LIB), ("lib2.pcf", LIB2)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(PcfError) as caught:
        load(tmp_path / "top.pcf")
    found = [(d.code, d.span.file.rpartition("/")[2], d.span.line, d.span.column, d.message)
             for d in caught.value.diagnostics]
    assert found == [
        ("E333", "lib.pcf", 9, 21, "the process `lib.deep.smelter` has no product `slag`"),
        ("E332", "lib.pcf", 10, 23, "the process `deep.twin` has several products; say which one"),
        ("E202", "lib.pcf", 11, 23, "unknown supplier process or emission factor `deep`"),
        ("E202", "lib.pcf", 12, 23, "unknown supplier process or emission factor `ef_el.x`"),
        ("E331", "lib.pcf", 13, 19, "`to deep.ef` names a factor; a waste goes `to` a treatment process"),
        ("E401", "lib.pcf", 14, 12, "`w2` is 1 kg, but the factor `lib.deep.ef` is 0.6 kg CO2e / kWh (per kWh): "
                                    "amount × factor is not a mass of CO2e"),
        ("E202", "lib.pcf", 15, 24, "unknown emission factor `nope`"),
        ("E203", "lib.pcf", 16, 24, "`deep.smelter` is a process, not an emission factor"),
        ("E401", "top.pcf", 6, 11, "`b` is 1 kWh but `lib.mill` makes `bar` in t: the units do not fit"),
    ]
    e332 = caught.value.diagnostics[1]
    assert e332.help == "one of: deep.twin.a, deep.twin.b"


def test_linked_sources_are_activity_keys_and_factor_names(tmp_path):
    from pcf_dsl.build import load

    (tmp_path / "lib2.pcf").write_text(LIB2, encoding="utf-8")
    (tmp_path / "top.pcf").write_text("""import "lib2.pcf" as deep
process top {
  stage production
  product out 1 kg
  input a 1 t from deep.smelter
  input b 1 t from deep.smelter.ingot
  input c 1 kg from deep.twin.b
  input d 1 kWh from deep.ef
  emit e 1 kWh with deep.ef
}
""", encoding="utf-8")
    flows = {f.name: (f.source, f.source_kind) for f in load(tmp_path / "top.pcf").processes["top"].flows}
    assert flows == {
        "out": (None, None),
        "a": ("deep.smelter.ingot", "process"),
        "b": ("deep.smelter.ingot", "process"),
        "c": ("deep.twin.b", "process"),
        "d": ("deep.ef", "factor"),
        "e": ("deep.ef", "factor"),
    }


def test_flows_are_slotted_records_that_dump_like_the_other_model_objects(tmp_path):
    """model.record: a flow and its amount keep no per-object dict; empty notes and properties are shared."""
    import dataclasses

    import pytest
    from pydantic_core import to_jsonable_python

    from pcf_dsl import model as M
    from pcf_dsl.build import load

    (tmp_path / "m.pcf").write_text("""process a {
  stage production
  product out 1 kg
  input e 2 kWh cutoff "small"
}
process b {
  stage production
  product out 3 kg {
    property price 2 CNY/kg
    note "list price"
  }
  input x 1 kg from a
}
""", encoding="utf-8")
    model = load(tmp_path / "m.pcf")
    flows = [f for p in model.processes.values() for f in p.flows]
    assert not any(hasattr(f, "__dict__") or hasattr(f.amount, "__dict__") for f in flows)
    bare = [f for f in flows if f.name != "out" or f is flows[0]]
    assert len({id(f.properties) for f in bare}) == 1 and len({id(f.notes) for f in bare}) == 1
    with pytest.raises(TypeError):  # the shared empty mapping cannot be filled through one flow
        flows[0].properties["price"] = M.Quantity(value=1.0, unit="CNY / kg")
    assert dict(flows[2].properties) == {"price": M.Quantity(value=2.0, unit="CNY / kilogram")}
    flows[0].label = "relabelled"
    assert (flows[0].label, flows[1].label) == ("relabelled", None)
    copy = dataclasses.replace(flows[3], name="y")
    assert (copy.name, flows[3].name, copy.span) == ("y", "x", flows[3].span)
    assert M.fields_of(flows[3])[-1] == "properties"  # the spans are left out, as from JSON
    assert to_jsonable_python(flows[3]) == model.model_dump(mode="json")["processes"]["b"]["flows"][1] == {
        "kind": "input", "name": "x", "label": None, "amount": {"value": 1.0, "unit": "kilogram"},
        "amount_text": "1 kg", "source": "a.out", "source_kind": "process", "waste_route": None, "cutoff": False,
        "cutoff_reason": None, "estimate": None, "of_input": None, "stage": None, "group": None, "quality": None,
        "notes": [], "data_source": None, "properties": {}}
    with pytest.raises(ValueError):  # still validated: an unknown kind is refused
        M.Flow(kind="gift", name="z", amount={"value": 1, "unit": "kg"}, amount_text="1 kg")


def test_a_file_imported_under_two_names_is_read_once(tmp_path, monkeypatch):
    """Each file of a large model imports the shared factors: the file is parsed once, and each name it is
    imported under gets its own symbols, built from that one parse."""
    from pcf_dsl import build

    (tmp_path / "factors.pcf").write_text('import "std:gwp/ipcc_ar6.pcf" as ipcc\n'
                                          "factor power = 0.5 kg CO2e / kWh\n", encoding="utf-8")
    for name in ("a", "b"):
        (tmp_path / f"{name}.pcf").write_text(f"""import "factors.pcf" as ef
process {name} {{
  stage production
  product out 1 kg
  input electricity 2 kWh from ef.power
}}
""", encoding="utf-8")
    (tmp_path / "m.pcf").write_text('import "std:gwp/ipcc_ar6.pcf" as ipcc\nimport "a.pcf" as a\n'
                                    'import "b.pcf" as b\n', encoding="utf-8")
    read = []
    parse_file = build.parse_file
    monkeypatch.setattr(build, "parse_file", lambda path, *rest: read.append(path.name) or parse_file(path, *rest))
    model = build.load(tmp_path / "m.pcf")
    assert sorted(name for name in read if name != "ipcc_ar6.pcf") == ["a.pcf", "b.pcf", "factors.pcf", "m.pcf"]
    assert model.factors["a.ef.power"].components == model.factors["b.ef.power"].components
    assert [f.source for f in model.processes["b.b"].flows] == [None, "b.ef.power"]
    assert model.files.count(str(tmp_path / "factors.pcf")) == 2


def test_links_named_alike_are_each_linked_and_each_reported(tmp_path):
    """A link that resolved and fitted is reused for the next flow that names it alike (linking); one that
    did not is reported for every flow that has it, and a unit that differs is checked again."""
    from pcf_dsl import build
    from pcf_dsl.diagnostics import PcfError

    def model(units: tuple[str, str, str]) -> str:
        return f"""import "std:gwp/ipcc_ar6.pcf" as ipcc
factor power = 0.5 kg CO2e / kWh
process sup {{
  stage production
  product out 1 kg
}}
process user {{
  stage production
  product out 1 kg
  input a 1 {units[0]} from sup
  input b 2 {units[1]} from sup
  input c 3 {units[2]} from sup
  input d 1 kWh from power
  input e 2 kWh from power
}}
"""
    (tmp_path / "m.pcf").write_text(model(("kg", "kg", "t")), encoding="utf-8")
    built = build.load(tmp_path / "m.pcf")
    flows = built.processes["user"].flows
    assert [(f.source, f.source_kind) for f in flows[1:]] == [("sup.out", "process")] * 3 + [("power", "factor")] * 2
    (tmp_path / "m.pcf").write_text(model(("kWh", "kg", "kWh")), encoding="utf-8")
    with pytest.raises(PcfError) as raised:
        build.load(tmp_path / "m.pcf")
    assert [(d.code, d.span.line) for d in raised.value.diagnostics] == [("E401", 10), ("E401", 12)]


def test_building_leaves_the_parsed_file_as_it_was(tmp_path, monkeypatch):
    """The builder lets go of each process's syntax as it goes, without changing the parsed file."""
    from pcf_dsl import build

    (tmp_path / "m.pcf").write_text("""process a {
  stage production
  product out 1 kg
}
process b {
  stage production
  product out 3 kg
  input x 1 kg from a
}
""", encoding="utf-8")
    parsed = build.parse_file(tmp_path / "m.pcf")
    items = list(parsed.items)
    monkeypatch.setattr(build, "parse_file", lambda *args, **kwargs: parsed)
    first = build.load(tmp_path / "m.pcf")
    assert parsed.items == items
    assert build.load(tmp_path / "m.pcf").semantic() == first.semantic()
    assert sorted(first.processes) == ["a", "b"]


# Flow lines of every shape the parser's flow line reader takes: each is built from its words
# (S.FlowLine) and from its Flow node alike, spans included.
_READER_MODEL = """import "std:gwp/ipcc_ar6.pcf" as ipcc
stage recycling "scrap"
factor power "grid" = 0.6 kg CO2e / kWh
factor freight "road" = 0.05 kg CO2e / (t*km)
process supplier "s" {
  stage production
  product out 1 t
}
process treat "t" {
  stage production
  product treated 1 t
}
process p "p" {
  stage production
  product main 1000 kg
  input a 2 t from supplier
  input b 0.5 t from supplier.out
  input c 3 kWh from power
  input d 7e-3 t from supplier
  input e 1.5 kg / t * t from supplier
  input f 2 t*km from freight
  input g 2 t km from freight
  waste h 1 kg to treat
  waste i 1 kWh with power
  emit j 0.2 kg CH4_fossil
  emit k 2 kWh with power
  emit l 0.1 kg CO2 of a
  loss m 0.02 t
  input r 1 kg from supplier {
    group metals
  }
  input s 1 kg from supplier {
    stage recycling
  }
}
"""

# Lines the reader takes that the builder must refuse, each with its own diagnostic: the general path
# reports them, from the line's Flow node.
_READER_ERRORS = """import "std:gwp/ipcc_ar6.pcf" as ipcc
factor power "grid" = 0.6 kg CO2e / kWh
process supplier "s" {
  stage production
  product out 1 t
}
process p "p" {
  stage production
  product main 1000 kg
  input a 1 kg from supplier
  input q 3 kg / item from supplier
  loss n 2 kWh
  emit o 1 kWh
  input a 2 kg from supplier
  input t 1 kg from supplier {
    stage nowhere
  }
}
"""


# The builder reads a line's units from its cache once it has seen their spelling: the first line of each
# spelling takes the general path, so the same lines again in a second process take the words' path.
_READER_MODEL += _READER_MODEL[_READER_MODEL.index('process p "p"'):].replace('process p "p"', 'process p2 "p2"')


def _built(path):
    """(every flow with its spans, the diagnostics' code, message, place and help) of building `path`."""
    from pcf_dsl import build
    from pcf_dsl.diagnostics import PcfError

    try:
        model = build.Builder().build(path)
    except PcfError as exc:
        return None, [(d.code, d.message, d.span, d.help) for d in exc.diagnostics]
    flows = {(name, f.name): (f, f.span, f.amount_span, f.source_span)
             for name, process in model.processes.items() for f in process.flows}
    return flows, []


def _both_ways(path, monkeypatch):
    """_built(path) from the lines' words, then from their Flow nodes (the general path for every line)."""
    from pcf_dsl import build
    from pcf_dsl import syntax as S

    parsed = build.parse_file(path)
    read = [f for item in parsed.items if isinstance(item, S.Process) for f in item.flows if type(f) is S.FlowLine]
    from_words = _built(path)
    with monkeypatch.context() as patch:
        patch.setattr(build.Builder, "_build_flow_line",
                      lambda self, line, prefix, model: self._build_flow(line.expand(), prefix, model))
        from_nodes = _built(path)
    return read, from_words, from_nodes


def test_flow_lines_read_as_words_build_what_their_nodes_build(tmp_path, monkeypatch):
    from pcf_dsl import syntax as S

    (tmp_path / "m.pcf").write_text(_READER_MODEL, encoding="utf-8")
    read, (words, none), (nodes, _) = _both_ways(tmp_path / "m.pcf", monkeypatch)
    assert none == []
    fields = S.FlowLine.FIELDS  # the readers' tuples hold these, in this order
    assert all(len(line) == len(fields) for line in read)
    first = dict(zip(fields, read[0]))
    assert (first["kind"], first["name_text"], first["number"], first["u1"], first["line"]) == ("product", "out",
                                                                                              "1", "t", 7)
    assert len(read) == 17 + 15  # all but `e` (three units: lark's): the comparison is of the two ways
    assert words == nodes
    assert words[("p", "i")][0].waste_route == "with" and words[("p", "l")][0].of_input == "a"
    assert words[("p", "s")][0].stage == "recycling" and words[("p", "r")][0].group == "metals"
    assert words[("p", "b")][0].source == "supplier.out" and words[("p", "b")][1].column == 9
    assert words[("p2", "f")][2].end_column == 17  # `2 t*km`, from column 11


def test_flow_lines_the_builder_refuses_are_reported_from_one_place(tmp_path, monkeypatch):
    (tmp_path / "m.pcf").write_text(_READER_ERRORS, encoding="utf-8")
    read, (_, words), (_, nodes) = _both_ways(tmp_path / "m.pcf", monkeypatch)
    assert len(read) == 8  # every flow line
    assert words == nodes
    assert [code for code, *_ in words] == ["E313", "E312", "E311", "E201", "E251"]


def test_generated_model_builds_the_same_from_words_and_from_nodes(tmp_path, monkeypatch):
    """The benchmark generator's model (the flow lines of a large model), both ways."""
    from conftest import benchmark_module

    path = benchmark_module("generate").generate(300, 3).write(tmp_path)
    read, (words, _), (nodes, _) = _both_ways(path, monkeypatch)
    assert len(read) > 2000
    assert words == nodes


def test_a_line_flow_is_the_record_validation_makes(tmp_path):
    """model.line_flow sets every field of a Flow and of its spans, as pydantic's validation of the same values would."""
    import copy
    import dataclasses

    from pydantic_core import to_jsonable_python

    from pcf_dsl import model as M
    from pcf_dsl.diagnostics import Span

    columns = {"file": "m.pcf", "line": 3, "name_col": 3, "name_end": 7, "amount_col": 9, "amount_end": 13}
    plain = {"kind": "input", "name": "steel", "value": 2.5, "unit": "t", "amount_text": "2.5 t", **columns}
    full = dict(plain, kind="waste", source="ef.landfill", source_col=15, source_end=19, waste_route="with",
                of_input="x", stage="recycling", group="metals")
    for given in (plain, full):
        made = M.line_flow(**given)
        assert all(hasattr(made, name) for name in M.Flow.__pydantic_fields__)  # no field left unset
        spans = [made.span, made.amount_span] + ([made.source_span] if "source" in given else [])
        assert all(hasattr(span, field.name) for span in spans for field in dataclasses.fields(Span))
        fields = {k: v for k, v in given.items() if k not in (*columns, "value", "unit", "source_col", "source_end")}
        validated = M.Flow(**fields, amount={"value": given["value"], "unit": given["unit"]},
                           span=Span("m.pcf", 3, 3, 3, 7), amount_span=Span("m.pcf", 3, 9, 3, 13),
                           source_span=Span("m.pcf", 3, 15, 3, 19) if "source" in given else None)
        assert made == validated
        assert (made.span, made.amount_span, made.source_span) == (validated.span, validated.amount_span,
                                                                   validated.source_span)
        assert [hash(span) for span in spans] == [hash(dataclasses.replace(span)) for span in spans]
        assert to_jsonable_python(made) == to_jsonable_python(validated)
        assert copy.deepcopy(made) == made and made.properties == {} and made.notes == ()


def test_a_built_process_is_the_record_validation_makes():
    """model.built_process sets every field of a Process, as pydantic's validation of the same values would."""
    import copy

    from pydantic_core import to_jsonable_python

    from pcf_dsl import model as M
    from pcf_dsl.diagnostics import Span

    span = Span("m.pcf", 7, 9, 7, 14)
    flows = [M.line_flow("product", "out", 1.0, "kilogram", "1 kg", "m.pcf", 7, 9, 14, 9, 14),
             M.line_flow("product", "slag", 0.2, "kilogram", "0.2 kg", "m.pcf", 7, 9, 14, 9, 14)]
    plain = {"name": "smelt", "label": None, "stage": "production", "geography": None, "flows": flows[:1],
             "allocation": None, "quality": None, "notes": [], "span": span}
    full = dict(plain, name="t1.smelt", label="smelting", geography="CN", flows=flows,
                allocation=M.Allocation(method="mass", shares={"out": 0.8, "slag": 0.2}, justification="why"),
                quality=M.Quality(activity=1, factor=2, calibration=3), notes=["a note"])
    for given in (plain, full):
        made = M.built_process(**given)
        assert all(hasattr(made, name) for name in M.Process.__pydantic_fields__)  # no field left unset
        validated = M.Process(**given)
        assert made == validated and made.span == validated.span
        assert to_jsonable_python(made) == to_jsonable_python(validated)
        assert copy.deepcopy(made) == made and made.products == validated.products

@pytest.mark.parametrize("units", ["percent", "dimensionless", "kg / t", "t / kg", "kWh / MJ"])
def test_an_allocation_share_is_the_fraction_pint_gives(units):
    """An allocation share's number times the one factor per spelling of its units (units.factor_or_none,
    to no unit) is, bit for bit, what pint's `.to("")` gives (pint multiplies by the same factor); units
    with a dimension have none."""
    import random

    from pcf_dsl.build import _units_text
    from pcf_dsl.units import factor_or_none, registry

    parsed = registry().parse_units(units)
    factor = factor_or_none(_units_text(parsed), "")
    draw = random.Random(units)
    for _ in range(5000):
        value = draw.uniform(0, 200) if draw.random() < 0.5 else draw.random() * 10 ** draw.randint(-8, 8)
        assert value * factor == float(registry().Quantity(value, parsed).to("").magnitude)
    assert factor_or_none(_units_text(registry().parse_units("kg")), "") is None


@pytest.mark.parametrize("text", [*AMOUNTS, "2 * 3 kg", "-1.5 kg CO2e", "(1 + 2) %"])
def test_magnitude_and_units_are_what_evaluation_gives(text):
    """Builder._magnitude_units reads a number times units from the cache, without the pint quantity:
    the magnitude and the units are the evaluated value's, and anything else is evaluated."""
    expr = _expression(text)
    builder = Builder()
    expected = builder._eval("", expr)
    for _ in range(2):  # the first call fills the cache, the second reads it
        magnitude, units = builder._magnitude_units("", expr)
        assert magnitude == expected.magnitude and type(float(magnitude)) is float
        assert units == expected.units and str(units) == str(expected.units)


def test_a_cut_off_line_keeps_its_amount_its_estimate_and_its_allocation(tmp_path):
    """The estimate, the allocation's shares and properties are read through Builder._magnitude_units: each
    lands in its own field, as evaluated (the amount of a cut-off line once took its estimate's number)."""
    from pcf_dsl.build import load

    path = tmp_path / "m.pcf"
    path.write_text(
        "process p {\n  stage production\n  product a 2 t\n  product b 1 t\n"
        "  input pack 1.5 kg cutoff \"small\" {\n    estimate 0.006 kg CO2e\n  }\n"
        "  input share_cut 3 kg cutoff \"small\" {\n    estimate 0.5 %\n  }\n"
        "  allocation economic {\n    property a 500 CNY / t\n    property b 250 CNY / t\n"
        "    share a 80 %\n    share b 0.2\n  }\n}\n", encoding="utf-8")
    process = load(path).processes["p"]
    pack, share_cut = process.flow("pack"), process.flow("share_cut")
    assert (pack.amount.value, pack.amount.unit) == (1.5, "kilogram")
    assert (pack.estimate.value, pack.estimate.unit) == (0.006, "CO2e * kilogram")
    assert (share_cut.amount.value, share_cut.estimate.value, share_cut.estimate.unit) == (3.0, 0.5, "percent")
    assert process.allocation.shares == {"a": 0.8, "b": 0.2}
    assert {k: (q.value, q.unit) for k, q in process.allocation.properties.items()} == {
        "a": (500.0, "CNY / metric_ton"), "b": (250.0, "CNY / metric_ton")}


def test_the_amount_cache_is_per_file_where_a_name_is_a_parameter(tmp_path):
    """The units of an amount are cached per file (Builder._amount_units): in a file where a name of those
    units is a parameter (`cup`), the amount is the number times the parameter, in the others a unit."""
    from pcf_dsl.build import load

    process = "process {name} {{\n  stage production\n  product out 3 kg cup\n}}\n"
    (tmp_path / "m.pcf").write_text('import "a.pcf" as a\nimport "b.pcf" as b\n' + process.format(name="p"),
                                    encoding="utf-8")
    (tmp_path / "a.pcf").write_text("param cup = 2\n" + process.format(name="q"), encoding="utf-8")
    (tmp_path / "b.pcf").write_text(process.format(name="r"), encoding="utf-8")
    model = load(tmp_path / "m.pcf")
    amounts = {key: (p.flows[0].amount.value, p.flows[0].amount.unit) for key, p in model.processes.items()}
    assert amounts == {"p": (3.0, "cup * kilogram"), "a.q": (6.0, "kilogram"), "b.r": (3.0, "cup * kilogram")}
    assert model.param_users == {"a.cup": [""]}


def test_factors_read_from_the_amount_cache_are_the_factors_evaluation_makes(tmp_path, monkeypatch):
    """Builder._factor_value takes a number times units from the cache (value, units, text); evaluated, each
    factor is the same record, imported under two names as well."""
    from pydantic_core import to_jsonable_python

    from pcf_dsl import build

    (tmp_path / "ef.pcf").write_text(
        "param k = 2\nfactor fa = 2.6782 t CO2e / t\nfactor fb = 0.04902 kg CO2e / (t*km) {\n  year 2020\n}\n"
        "factor fc = 1.5e-3 kg CO2e / kWh\nfactor fd {\n  gas 0.2 kg CO2 / m3\n  gas 1e-5 kg CH4_fossil / m3\n}\n"
        "factor fe = k * 1 kg CO2e / kg\n", encoding="utf-8")
    (tmp_path / "m.pcf").write_text('import "ef.pcf" as ef\nimport "ef.pcf" as again\n'
                                    "process p {\n  stage production\n  product out 1 t\n  input x 2 t from ef.fa\n}\n",
                                    encoding="utf-8")
    cached = build.load(tmp_path / "m.pcf")
    with monkeypatch.context() as patch:
        patch.setattr(build.Builder, "_amount", lambda self, prefix, expr: None)
        evaluated = build.load(tmp_path / "m.pcf")
    assert len(cached.factors) == 10
    assert to_jsonable_python(cached.factors) == to_jsonable_python(evaluated.factors)
    assert cached.factors["again.fb"].components[0].text == "0.04902 kg CO2e / (t * km)"
    assert cached.param_users == evaluated.param_users == {"ef.k": [""], "again.k": [""]}


def test_the_definitions_file_makes_each_gas_a_dimension_of_its_own():
    # units.txt is read through pint's cache (a file, not define() calls); the gases it names are GASES.
    from pcf_dsl.units import CO2E, DEFINITIONS, GASES, registry

    defined = [line.split(" = ")[0] for line in DEFINITIONS.read_text(encoding="utf-8").splitlines()
               if " = [co2e]" in line or " = [gas_" in line]
    assert defined == [CO2E, *GASES]
    for name in defined:
        dimensions = registry().Unit(name).dimensionality
        assert dict(dimensions) == {f"[gas_{name}]" if name in GASES else "[co2e]": 1}


PROCESS_CHECKS = """factor burn_ef = 2 kg CO2 / m3
factor el = 0.5 kg CO2e / kWh
process a {
  stage production
  product out 1 kg
  input gas 3 m3 from el
  emit burn 3 m3 of gas with burn_ef
  emit burn2 3 m3 of out with burn_ef
  emit burn3 "labelled" 3 m3 of nothing with burn_ef
  emit burn4 3 m3 of gas with burn_ef {
    note "a block: read as a Flow node, not a line"
  }
}
process b {
  stage production
  input x 1 kWh from el
  product x 2 kg
}
process c {
  stage production
  product out 1 kg
  product out 2 kg
  input gas 1 m3 from el
  emit burn "labelled" 1 m3 of gas with burn_ef
}
process dd {
  stage production
  product p1 1 kg
  product p2 1 kg {
    note "a block"
  }
}
"""


def test_a_process_checks_its_products_and_of_inputs_for_lines_and_flow_nodes(tmp_path):
    # _build_process lists the products and the `of INPUT` names as it builds each flow, a line's
    # from its words and a Flow node's from the node: the same diagnostics for both.
    from pcf_dsl.build import load
    from pcf_dsl.diagnostics import PcfError

    (tmp_path / "m.pcf").write_text(PROCESS_CHECKS, encoding="utf-8")
    with pytest.raises(PcfError) as caught:
        load(tmp_path / "m.pcf")
    found = [(d.code, d.span.line, d.span.column, d.message) for d in caught.value.diagnostics]
    assert found == [
        ("E401", 6, 13, "`gas` is 3 m3, but the factor `el` is 0.5 kg CO2e / kWh (per kWh): amount × factor is "
                        "not a mass of CO2e"),
        ("E293", 8, 22, "`of out` must name an input of this process"),
        ("E293", 9, 33, "`of nothing` must name an input of this process"),
        ("E201", 17, 11, "the flow `x` appears twice in process `b`"),  # a product all the same: no E291
        ("E201", 22, 11, "the flow `out` appears twice in process `c`"),
        ("E401", 23, 13, "`gas` is 1 m3, but the factor `el` is 0.5 kg CO2e / kWh (per kWh): amount × factor is "
                         "not a mass of CO2e"),
        ("E292", 26, 9, "the process `dd` has 2 products but no allocation"),
    ]

"""The units registry's start-up: restored from a snapshot of the built registry, and the same registry.

units.registry() is cached for the process, and the other tests' quantities come from it: these tests
call its undecorated function (registry.__wrapped__) and the snapshot's parts, never clear it.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pint
import pytest

from pcf_dsl import units

REPO = Path(__file__).resolve().parents[1]

# Products, quotients and powers of units as models and pint's own definitions write them
COMPOUNDS = ["kg CO2e / (t*km)", "t CO2 / MWh", "kWh", "MJ / kg", "kg CH4_fossil / Nm3", "m3", "m**3", "L",
             "CNY / t", "pkm", "tkm", "t * km", "percent", "%", "kg / item", "MMBtu", "degC", "delta_degC / s",
             "kcal_it", "oil_barrel", "g CO2e / pkm", "kg N2O / ha / year", "Gcal_th", "1 / kg", ""]


def _behaviour(ureg: pint.UnitRegistry) -> list[str]:
    """What a registry answers, as text: every unit it names, and the compounds above, read, converted and printed."""
    out = []
    for name in [*ureg, *COMPOUNDS]:
        try:
            quantity = ureg.Quantity(2.5, name)
            root = quantity.to_root_units()
            out.append(f"{name!r}: {quantity} {quantity:~P} {quantity:D} {quantity.dimensionality} {root!r} "
                       f"{sorted(quantity.unit_items())} {quantity.to_base_units()!r}")
            if not quantity.unitless and len(quantity.unit_items()) == 1:
                out.append(f"  symbol {ureg.get_symbol(next(iter(quantity.unit_items()))[0])}")
        except Exception as exc:  # noqa: BLE001 - the failures are part of the behaviour compared
            out.append(f"{name!r}: {type(exc).__name__}: {exc}")
    for text in ("1 kWh to MJ", "3 t to kg", "1 short_ton to kg", "100 degC to K", "1 MMBtu to GJ", "5 kg to CO2e"):
        value, target = text.split(" to ")
        try:
            out.append(f"{text}: {ureg.Quantity(value).to(target)!r}")
        except Exception as exc:  # noqa: BLE001
            out.append(f"{text}: {type(exc).__name__}: {exc}")
    # what the registry holds beside the units: contexts, systems, groups, and a parse error
    with ureg.context("sp"):
        out.append(repr(ureg.Quantity(500, "nm").to("THz")))
    out.append(repr(ureg.Quantity(1, "kg").to_base_units()))
    out.append(repr(ureg.sys.imperial.pound))
    out.append(repr(sorted(ureg._systems)))
    out.append(repr(sorted((name, sorted(group.members)) for name, group in ureg._groups.items())))
    out.append(repr(sorted(ureg._contexts)))
    try:
        ureg.Quantity(1, "kg CO2e / (t*")
    except Exception as exc:  # noqa: BLE001
        out.append(f"{type(exc).__name__}: {exc}")
    return out


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """A fresh per-user cache folder (XDG_CACHE_HOME): no snapshot in it yet."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


def _snapshots(home: Path) -> list[Path]:
    return sorted((home / "pcf_dsl").glob("units-*"))


def test_the_restored_registry_answers_as_the_built_one(cache_home):
    # Compared with the very registry the snapshot was made of: pint's registry read from its own cache
    # of parsed definitions holds 9 units fewer than one that parsed them (prefixed units it met while
    # parsing, such as `centipoise`, kept as units), so two built registries can list different units.
    built = units._built()
    units._save(built, units._snapshot_path())
    restored = units._restored(units._snapshot_path())
    assert restored is not built
    assert set(restored.__dict__) - units._OWN == set(built.__dict__) - units._OWN
    assert _behaviour(restored) == _behaviour(built)


def test_a_registry_is_saved_once_then_restored_not_built(cache_home, monkeypatch):
    first = units.registry.__wrapped__()
    assert [p.name.startswith("units-") and p.suffix == ".pickle" for p in _snapshots(cache_home)] == [True]
    assert (cache_home / "pcf_dsl").stat().st_mode & 0o077 == 0

    def built():
        raise AssertionError("built, not restored")

    monkeypatch.setattr(units, "_built", built)
    second = units.registry.__wrapped__()
    assert second.Quantity(1, "kWh").to("MJ").magnitude == first.Quantity(1, "kWh").to("MJ").magnitude
    assert str(second.Quantity(1, "kg CO2e / (t*km)").units) == "CO2e * kilogram / kilometer / metric_ton"


def test_a_change_of_the_definitions_is_a_new_snapshot_never_a_stale_one(cache_home, tmp_path, monkeypatch):
    units.registry.__wrapped__()
    before = units._snapshot_path()
    changed = tmp_path / "units.txt"
    changed.write_text(units.DEFINITIONS.read_text(encoding="utf-8") + "bale = 200 * kg\n", encoding="utf-8")
    monkeypatch.setattr(units, "DEFINITIONS", changed)
    assert units._snapshot_path() != before
    ureg = units.registry.__wrapped__()
    assert ureg.Quantity(2, "bale").to("kg").magnitude == 400
    assert len(_snapshots(cache_home)) == 2


@pytest.mark.parametrize("content", [b"", b"not a pickle", "truncated", "another object"])
def test_a_broken_snapshot_is_built_again_and_replaced(cache_home, content):
    units.registry.__wrapped__()
    path = units._snapshot_path()
    whole = path.read_bytes()
    if content == "truncated":  # as a reader would see a file written in place, were it not renamed into place
        content = whole[: len(whole) // 2]
    elif content == "another object":
        content = pickle.dumps({"_units": {}})
    path.write_bytes(content)
    with pytest.raises(Exception):  # noqa: B017 - what it raises depends on the damage
        units._restored(path)
    ureg = units.registry.__wrapped__()
    assert ureg.Quantity(1, "t").to("kg").magnitude == 1000
    assert units._restored(path).Quantity(1, "t").to("kg").magnitude == 1000  # written again, whole
    assert [p.name for p in (cache_home / "pcf_dsl").iterdir() if p.suffix == ".tmp"] == []


def test_a_snapshot_that_cannot_be_written_leaves_nothing_behind(cache_home, monkeypatch):
    def unpicklable(self, obj):
        raise pickle.PicklingError("a pint whose registry does not pickle")

    monkeypatch.setattr(units._Pickler, "persistent_id", unpicklable)
    ureg = units.registry.__wrapped__()
    assert ureg.Quantity(1, "kWh").to("MJ").magnitude == pytest.approx(3.6)
    assert list((cache_home / "pcf_dsl").iterdir()) == []


def test_a_folder_others_can_write_to_is_not_trusted_with_the_snapshot(cache_home):
    (cache_home / "pcf_dsl").mkdir(mode=0o700)
    assert units._snapshot_path() is not None
    (cache_home / "pcf_dsl").chmod(0o777)
    assert units._snapshot_path() is None
    ureg = units.registry.__wrapped__()  # built, as with no cache folder
    assert ureg.Quantity(1, "kWh").to("MJ").magnitude == pytest.approx(3.6)
    assert _snapshots(cache_home) == []


def test_no_cache_folder_at_all_builds_the_registry(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert units._snapshot_path() is None
    ureg = units.registry.__wrapped__()
    assert ureg.Quantity(1, "kWh").to("MJ").magnitude == pytest.approx(3.6)


def test_runs_started_at_once_on_a_new_machine_agree(tmp_path):
    """Six `pcf calc` runs at once, with no cache: each builds the registry and writes the snapshot
    (to a file of its own, renamed into place); none fails, all print the same footprint, as does a
    run from the snapshot."""
    example = REPO / "examples" / "aluminium_billet" / "aluminium_billet.pcf"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "pcf_dsl.cli", "calc", "--format", "json", str(example)]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
    results = [run.communicate() + (run.returncode,) for run in runs]
    assert {(err, code) for _, err, code in results} == {(b"", 0)}
    assert len({out for out, _, _ in results}) == 1
    assert len(_snapshots(tmp_path)) == 1 and not list((tmp_path / "pcf_dsl").glob("*.tmp"))
    again = subprocess.run(command, env=env, capture_output=True, check=True)
    assert again.stdout == results[0][0]


# ------------------------------------------------------------------ Q: units read once per text


@pytest.mark.parametrize("text", COMPOUNDS)
def test_q_reads_a_text_once_and_makes_what_pint_makes(text):
    ureg = units.registry()
    units._parsed.cache_clear()
    for _ in range(2):  # read, then from the cache
        quantity, pints = units.Q(2.5, text), ureg.Quantity(2.5, text)
        assert (repr(quantity), str(quantity.units), quantity.dimensionality) == \
               (repr(pints), str(pints.units), pints.dimensionality)
        assert quantity.to_root_units().magnitude == pints.to_root_units().magnitude
    assert units._parsed.cache_info().hits == 1


def test_q_of_units_that_are_no_text():
    kg = units.registry().Unit("kg")
    assert repr(units.Q(3, kg)) == repr(units.registry().Quantity(3, kg)) == "<Quantity(3, 'kilogram')>"


@pytest.mark.parametrize("text", ["bogus_unit", "kg / (t*", "3 kg"])
def test_q_of_a_text_pint_cannot_read_fails_every_time_as_pint_does(text):
    for _ in range(2):  # a failure is not cached
        with pytest.raises(Exception) as ours:
            units.Q(1, text)
        with pytest.raises(Exception) as pints:
            units.registry().Quantity(1, text)
        assert (type(ours.value), str(ours.value)) == (type(pints.value), str(pints.value))

"""Synthetic product systems in the pcf language, deterministic from a seed.

    python benchmarks/generate.py --processes 10000 --seed 1 --out /tmp/sys10k

writes `model.pcf` (the study, the first tier of processes) and, for large
systems, `tier_NN.pcf` files that each import the next tier, plus one
`factors.pcf` that every tier imports. Tiers keep each file under the
per-file size limit (pcf_dsl/limits.py) and mirror how a real model links
into a large background database through imports.

What a generated system has, by design (the numbers are per process, on average):

- about 8 exchanges: supplier inputs from other processes, purchased materials
  with factors in t CO2e/t, electricity from a regional grid process (kWh or
  MWh) or straight from a factor in kg CO2/MWh, fuel bought (kg CO2e/m3) and
  burned (`emit ... of` with a gas split into CO2, CH4_fossil and N2O),
  freight in t*km (kg CO2e/(t*km)) reported in a stage of its own, waste sent
  to a treatment process or treated with a factor, direct CH4/N2O emissions,
  losses, and cut-off inputs with estimates;
- stages: the standard ones plus three declared ones (recycling,
  inbound_transport, waste_treatment);
- loops: scrap returned to the process that made the part (scrap to
  melting), and per tier a grid <-> power plants <-> suppliers loop (power
  plants need maintenance parts whose makers use grid electricity);
- multi-output processes with mass, economic (properties in CNY) or explicit
  allocation; amounts in mixed units of the same kind (t and kg, GJ and MJ).

Besides the text, :func:`generate` returns the same system as matrices built
here, by hand, without pcf_dsl (unit conversions and the AR6 GWP values are
written out below), so that a test can compare pcf_dsl and a second engine
against numbers that did not pass through pcf_dsl's parser or unit handling.
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

# AR6 GWP100 of the gases the generator uses (models/gwp/ipcc_ar6.pcf, IPCC AR6 WG I Table 7.15).
GWP_AR6 = {"CO2e": 1.0, "CO2": 1.0, "CH4_fossil": 29.8, "N2O": 273.0}
GASES = tuple(GWP_AR6)

# Units in the base unit of their kind (mass kg, heat MJ, electricity kWh, volume m3, freight t*km).
KIND_UNITS = {
    "mass": {"t": 1000.0, "kg": 1.0},
    "heat": {"GJ": 1000.0, "MJ": 1.0},
    "electricity": {"MWh": 1000.0, "kWh": 1.0},
}

# Largest number of processes in one tier file: keeps files well below pcf_dsl's per-file limit.
TIER_SIZE = 12_500


def _num(x: float, digits: int = 5) -> tuple[str, float]:
    """The number as it is written in the file, and the float that text means."""
    text = f"{x:.{digits}g}"
    return text, float(text)


@dataclass
class Product:
    name: str
    value: float  # the amount as written, in `unit`
    unit: str
    kind: str

    @property
    def base(self) -> float:
        return self.value * KIND_UNITS[self.kind][self.unit]


@dataclass
class Proc:
    index: int
    name: str
    tier: int
    stage: str
    kind: str = "part"  # part | steam | grid | power | treatment
    products: list[Product] = field(default_factory=list)
    shares: dict[str, float] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    # (supplier process index, supplier product name, amount in the supplier product's unit)
    tech: list[tuple[int, str, float]] = field(default_factory=list)
    gas_mass: dict[str, float] = field(default_factory=dict)  # kg of gas per run (the process as written)
    parent: int | None = None


@dataclass
class Generated:
    """The files of a system and the same system as matrices (the peer's input)."""

    files: dict[str, str]  # file name -> text; "model.pcf" is the top file
    keys: list[str]  # activity keys `process.product`, as pcf_dsl names them
    tech: list[tuple[str, str, float]]  # (row product key, column activity key, value) of A; duplicates add up
    bio: list[tuple[str, str, float]]  # (gas, column activity key, kg per run of the column)
    demand: dict[str, float]  # activity key -> amount in the product's unit
    processes: dict[str, list[str]]  # process name (qualified) -> its activity keys
    n_processes: int
    n_exchanges: int

    def write(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in self.files.items():
            (directory / name).write_text(text, encoding="utf-8")
        return directory / "model.pcf"


class _Factors:
    """The factor library, in one file every tier imports as `ef`."""

    def __init__(self, rng: random.Random, n_processes: int):
        self.rng = rng
        size = min(600, max(12, n_processes // 100))
        self.lines: list[str] = ["# Emission factors of the synthetic system (made-up values, realistic orders of magnitude).", ""]
        self.materials = [self._single(f"mat_{i:03d}", "material", rng.uniform(0.3, 18.0), "t CO2e / t", 1.0)
                          for i in range(size)]
        self.grid_direct = [self._single(f"grid_direct_{i:02d}", "grid electricity", rng.uniform(350, 950),
                                         "kg CO2 / MWh", 1.0 / 1000.0, gas="CO2") for i in range(max(2, size // 20))]
        self.freight = [self._single(f"freight_{i:02d}", "road freight", rng.uniform(0.03, 0.12),
                                     "kg CO2e / (t*km)", 1.0) for i in range(max(2, size // 20))]
        self.gas_supply = [self._single(f"ng_supply_{i:02d}", "natural gas supply", rng.uniform(0.05, 0.4),
                                        "kg CO2e / m3", 1.0) for i in range(max(2, size // 40))]
        self.landfill = [self._single(f"landfill_{i:02d}", "landfill of solid waste", rng.uniform(0.005, 0.6),
                                      "kg CO2e / kg", 1.0) for i in range(max(2, size // 40))]
        self.coal_supply = self._single("coal_supply", "hard coal supply", 0.21, "t CO2e / t", 1.0)
        # Combustion: one gas per line, per m3 (natural gas) and per t (coal); kg of gas per base unit.
        self.gas_combustion = [self._split(f"ng_combustion_{i:02d}", "natural gas combustion",
                                           {"CO2": (rng.uniform(1.85, 2.05), "kg CO2 / m3"),
                                            "CH4_fossil": (rng.uniform(2e-5, 6e-5), "kg CH4_fossil / m3"),
                                            "N2O": (rng.uniform(2e-6, 5e-6), "kg N2O / m3")}, 1.0)
                               for i in range(max(2, size // 40))]
        self.coal_combustion = self._split("coal_combustion", "hard coal combustion",
                                           {"CO2": (2.42, "t CO2 / t"), "CH4_fossil": (0.00001, "t CH4_fossil / t"),
                                            "N2O": (0.000015, "t N2O / t")}, 1.0)  # t gas per t = kg per kg

    def _single(self, name, label, value, unit, to_kg_per_base, gas="CO2e"):
        text, v = _num(value)
        year = 2020 + self.rng.randrange(5)
        self.lines += [f'factor {name} "{label}" = {text} {unit} {{', f'  source "synthetic data set {name}"',
                       f"  year   {year}", "}", ""]
        return name, {gas: v * to_kg_per_base}

    def _split(self, name, label, gases, to_kg_per_base):
        self.lines += [f'factor {name} "{label}" {{']
        out = {}
        for gas, (value, unit) in gases.items():
            text, v = _num(value)
            self.lines.append(f"  gas {text} {unit}")
            out[gas] = v * to_kg_per_base
        self.lines += ['  source "synthetic combustion factors"', "}", ""]
        return name, out


def generate(n_processes: int, seed: int = 1) -> Generated:
    """A product system of `n_processes` processes (all files together), the same for the same seed."""
    if n_processes < 12:
        raise ValueError("at least 12 processes")
    rng = random.Random(seed)
    n = n_processes
    n_tiers = min(12, max(1, math.ceil(n / TIER_SIZE)))
    tier_of = [min(n_tiers - 1, i * n_tiers // n) for i in range(n)]
    tier_start = [next(i for i in range(n) if tier_of[i] == t) for t in range(n_tiers)]
    tier_end = [tier_start[t + 1] if t + 1 < n_tiers else n for t in range(n_tiers)]
    factors = _Factors(rng, n)
    window = max(8, n // 20)

    # Per tier, the last processes are the grids and power plants of that tier's region.
    procs: list[Proc] = []
    grids_of: dict[int, list[int]] = {}
    powers_of: dict[int, list[int]] = {}
    for t in range(n_tiers):
        size = tier_end[t] - tier_start[t]
        n_grid = max(1, size // 2500)
        n_power = max(2, size // 800)
        grid_idx = list(range(tier_end[t] - n_grid - n_power, tier_end[t] - n_power))
        power_idx = list(range(tier_end[t] - n_power, tier_end[t]))
        grids_of[t], powers_of[t] = grid_idx, power_idx
    special = {i: "grid" for g in grids_of.values() for i in g} | {i: "power" for p in powers_of.values() for i in p}

    for i in range(n):
        kind = special.get(i, "part")
        if kind == "part" and i > 0:
            r = rng.random()
            kind = "steam" if r < 0.02 else "treatment" if r < 0.05 else "part"
        name = {"grid": f"grid_{i:06d}", "power": f"power_{i:06d}"}.get(kind, f"p{i:06d}")
        stage = {"steam": "production", "treatment": "waste_treatment", "grid": "production",
                 "power": "production"}.get(kind) or rng.choice(
            ["raw_material_acquisition"] * 7 + ["production"] * 10 + ["recycling"])
        if i == 0:
            stage = "production"
        procs.append(Proc(i, name, tier_of[i], stage, kind))

    # Products.
    for p in procs:
        if p.kind == "steam":
            p.products.append(Product("steam", 1.0, "GJ", "heat"))
        elif p.kind in ("grid", "power"):
            p.products.append(Product("electricity", 1.0, "MWh", "electricity"))
        elif p.kind == "treatment":
            p.products.append(Product("treated", 1.0, "t", "mass"))
        else:
            unit, value = rng.choice([("t", 1.0)] * 6 + [("kg", 1000.0), ("kg", 1.0), ("t", 0.5)])
            p.products.append(Product("out", value, unit, "mass"))
            if p.index > 0 and rng.random() < 0.05:
                _, co = _num(rng.uniform(0.05, 0.6) * p.products[0].base / 1000.0, 3)
                p.products.append(Product("coproduct", co, "t", "mass"))
        p.shares = {p.products[0].name: 1.0}

    # The supply tree: every part has a consumer earlier in its own tier (so the
    # reference product needs every process), plus a few more suppliers.
    suppliers: dict[int, list[int]] = {i: [] for i in range(n)}
    part_indices = [q.index for q in procs if q.kind == "part"]
    for p in procs:
        if p.kind not in ("part", "steam") or p.index == 0:
            continue
        i, t = p.index, p.tier
        if i == tier_start[t]:
            lo, hi = tier_start[t - 1], min(tier_end[t - 1], tier_start[t - 1] + window)
        else:
            lo, hi = max(tier_start[t], i - window), i
        a, b = bisect.bisect_left(part_indices, lo), bisect.bisect_left(part_indices, hi)
        if b > a:  # a part in [lo, hi): the same draw as rng.choice over that list
            p.parent = part_indices[a + rng.randrange(b - a)]
            suppliers[p.parent].append(i)

    treatments_of: dict[int, list[int]] = {t: [] for t in range(n_tiers)}
    for p in procs:
        if p.kind == "treatment":
            treatments_of[p.tier].append(p.index)

    def ref(consumer: Proc, supplier: Proc, product: Product | None = None) -> str:
        """How the consumer's file names the supplier: through the tier imports in between."""
        path = "".join(f"t{k}." for k in range(consumer.tier + 1, supplier.tier + 1))
        name = path + supplier.name
        if len(supplier.products) > 1 or (product is not None and rng.random() < 0.1):
            name += "." + (product or supplier.products[0]).name
        return name

    def take(consumer: Proc, supplier: Proc, product: Product, amount_base: float, flow: str, attrs: list[str] = ()):
        units = KIND_UNITS[product.kind]
        unit = rng.choice(list(units))
        text, value = _num(amount_base / units[unit])
        line = f"  input {flow} {text} {unit} from {ref(consumer, supplier, product)}"
        consumer.lines.append(line + (" {" if attrs else ""))
        if attrs:
            consumer.lines += [f"    {a}" for a in attrs] + ["  }"]
        consumer.tech.append((supplier.index, product.name, value * units[unit] / units[product.unit]))

    def burden(p: Proc, gas_per_base: dict[str, float], amount_base: float) -> None:
        for gas, kg in gas_per_base.items():
            p.gas_mass[gas] = p.gas_mass.get(gas, 0.0) + kg * amount_base

    def factor_input(p: Proc, flow: str, factor, unit: str, per_base: float, lo: float, hi: float,
                     attrs: list[str] = (), keyword: str = "input", route: str = "from") -> None:
        name, gas_per = factor
        text, value = _num(rng.uniform(lo, hi))
        head = f"  {keyword} {flow} {text} {unit} {route} ef.{name}"
        p.lines.append(head + (" {" if attrs else ""))
        if attrs:
            p.lines += [f"    {a}" for a in attrs] + ["  }"]
        burden(p, gas_per, value * per_base)

    for p in procs:
        t = p.tier
        mass = p.products[0].base if p.products[0].kind == "mass" else 1000.0  # kg of product per run
        if p.kind == "grid":
            powers = rng.sample(powers_of[t], min(len(powers_of[t]), 3))
            weights = [rng.random() + 0.2 for _ in powers]
            for w, j in zip(weights, powers):
                take(p, procs[j], procs[j].products[0], 1050.0 * w / sum(weights), f"from_{procs[j].name}")
            continue
        if p.kind == "power":
            factor_input(p, "coal", factors.coal_supply, "t", 1000.0, 0.3, 0.4, ["group fuel_upstream"])
            coal = float(p.lines[-3].split()[2])  # the amount just written
            p.lines.append(f"  emit coal_combustion {p.lines[-3].split()[2]} t of coal with ef.{factors.coal_combustion[0]}")
            burden(p, factors.coal_combustion[1], coal * 1000.0)
            grid = procs[rng.choice(grids_of[t])]
            take(p, grid, grid.products[0], rng.uniform(20, 60), "own_use")
            # Maintenance parts from a maker late in the tier: closes the grid loop through the suppliers.
            tail = [j for j in range(max(tier_start[t], grids_of[t][0] - max(20, window // 4)), grids_of[t][0])
                    if procs[j].kind == "part"]
            if tail:
                j = rng.choice(tail)
                take(p, procs[j], procs[j].products[0], rng.uniform(0.1, 2.0), "maintenance")
            continue
        if p.kind == "treatment":
            factor_input(p, "treatment", rng.choice(factors.landfill), "t", 1000.0, 0.9, 1.0)
            factor_input(p, "transport", rng.choice(factors.freight), "t*km", 1.0, 10, 60,
                         ["stage waste_treatment"])
        if p.kind == "steam":
            volume = rng.uniform(25, 32)
            factor_input(p, "natural_gas", rng.choice(factors.gas_supply), "m3", 1.0, volume, volume)
            text = p.lines[-1].split()[2]
            combustion = rng.choice(factors.gas_combustion)
            p.lines.append(f"  emit combustion {text} m3 of natural_gas with ef.{combustion[0]}")
            burden(p, combustion[1], float(text))
        # Parts from the suppliers of the tree, then a few more later in the tier.
        extra = [j for j in (rng.randrange(p.index + 1, min(tier_end[t], p.index + window + 1))
                             for _ in range(rng.choice([0, 1, 1, 2, 2, 3])) if p.index + 1 < tier_end[t])
                 if procs[j].kind in ("part", "steam")]
        parts = list(dict.fromkeys(suppliers[p.index] + extra))
        if p.kind in ("part", "treatment"):
            budget = rng.uniform(0.6, 1.1) * mass  # kg of parts per run
            weights = [rng.random() + 0.1 for _ in parts]
            for w, j in zip(weights, parts):
                s = procs[j]
                product = s.products[-1] if len(s.products) > 1 and rng.random() < 0.3 else s.products[0]
                if product.kind == "heat":
                    amount = rng.uniform(0.2, 3.0) * mass  # MJ per kg of product
                else:
                    amount = budget * w / sum(weights)
                take(p, s, product, amount, f"part_{s.index}")
        # Scrap returned to melting: the part's consumer sends some scrap back (a loop of two).
        if p.kind == "part" and p.parent is not None and procs[p.parent].tier == p.tier and rng.random() < 0.04:
            q = procs[p.parent]
            # No `{ stage recycling }` here: a supplier link's burden is reported in the supplier's own
            # stage, so the block was never applied (rule B007 says so) and only made the model longer.
            take(p, q, q.products[0], rng.uniform(0.02, 0.08) * mass, "scrap_return")
        if p.kind in ("part", "treatment", "steam"):
            if rng.random() < 0.8:
                if rng.random() < 0.85:
                    g = procs[rng.choice(grids_of[t])]
                    take(p, g, g.products[0], rng.uniform(0.05, 0.9) * mass, "electricity")
                else:
                    unit, per = rng.choice([("kWh", 1.0), ("MWh", 1000.0)])
                    lo = 0.05 * mass if unit == "kWh" else 0.05 * mass / 1000.0
                    factor_input(p, "electricity", rng.choice(factors.grid_direct), unit, per, lo, lo * 15)
        if p.kind != "part":
            continue
        for k in range(rng.choice([1, 1, 2, 2, 3])):
            unit, per = rng.choice([("t", 1000.0), ("kg", 1.0)])
            lo = 0.01 * mass / (1000.0 if unit == "t" else 1.0)
            attrs = ["group purchased_materials"] if rng.random() < 0.3 else []
            factor_input(p, f"material_{k}", rng.choice(factors.materials), unit, per, lo, lo * 30, attrs)
        if rng.random() < 0.3:
            volume = rng.uniform(0.005, 0.08) * mass
            factor_input(p, "natural_gas", rng.choice(factors.gas_supply), "m3", 1.0, volume, volume)
            text = p.lines[-1].split()[2]
            combustion = rng.choice(factors.gas_combustion)
            p.lines.append(f"  emit combustion {text} m3 of natural_gas with ef.{combustion[0]}")
            burden(p, combustion[1], float(text))
        if rng.random() < 0.7:
            factor_input(p, "freight", rng.choice(factors.freight), "t*km", 1.0, 0.05 * mass, 0.6 * mass,
                         ["stage inbound_transport"])
        r = rng.random()
        later = treatments_of[t][bisect.bisect_right(treatments_of[t], p.index):]  # treatments after this process
        if r < 0.15 and later:
            j = rng.choice(later[:5])
            text, value = _num(rng.uniform(0.005, 0.05) * mass / 1000.0)
            p.lines.append(f"  waste residue {text} t to {procs[j].name}")
            p.tech.append((j, "treated", value))
        elif r < 0.3:
            factor_input(p, "sludge", rng.choice(factors.landfill), "kg", 1.0, 0.001 * mass, 0.02 * mass,
                         keyword="waste", route="with")
        r = rng.random()
        if r < 0.06:
            text, value = _num(rng.uniform(1e-5, 1e-3) * mass)
            p.lines.append(f"  emit leak {text} kg CH4_fossil")
            burden(p, {"CH4_fossil": 1.0}, value)
        elif r < 0.09:
            text, value = _num(rng.uniform(1e-6, 1e-4) * mass)
            p.lines.append(f"  emit process_n2o {text} kg N2O")
            burden(p, {"N2O": 1.0}, value)
        if rng.random() < 0.1:
            text, _ = _num(rng.uniform(0.001, 0.02) * mass / 1000.0)
            p.lines.append(f"  loss melt_loss {text} t")
        if rng.random() < 0.03:
            text, _ = _num(rng.uniform(0.1, 2.0))
            est, _ = _num(rng.uniform(1e-4, 1e-2))
            p.lines += [f'  input packaging {text} kg cutoff "below 0.1 % of the input mass" {{',
                        f"    estimate {est} kg CO2e", "  }"]

    # Allocation of the multi-output processes.
    for p in procs:
        if len(p.products) < 2:
            continue
        main, co = p.products
        method = rng.choice(["mass", "economic", "shares"])
        if method == "mass":
            total = main.base + co.base
            p.shares = {main.name: main.base / total, co.name: co.base / total}
            p.lines += ["  allocation mass {", '    justification "co-products differ only in shape; mass is their common measure"', "  }"]
        elif method == "economic":
            price_main, pm = _num(rng.uniform(800, 3000), 4)
            price_co, pc = _num(rng.uniform(100, 800), 4)
            worth = {main.name: pm * main.base / 1000.0, co.name: pc * co.base / 1000.0}
            total = sum(worth.values())
            p.shares = {k: v / total for k, v in worth.items()}
            p.lines += ["  allocation economic {", f"    property {main.name} {price_main} CNY / t",
                        f"    property {co.name} {price_co} CNY / t",
                        '    justification "prices differ by a factor above 5 (ISO 14044 4.3.4.2)"', "  }"]
        else:
            # Energy content as the basis, and the shares it gives written out (rounded to 0.01 %).
            heat_main, hm = _num(rng.uniform(20, 40), 4)
            heat_co, hc = _num(rng.uniform(5, 20), 4)
            energy = {main.name: hm * main.base / 1000.0, co.name: hc * co.base / 1000.0}  # GJ per run
            total = sum(energy.values())
            pct_main, share_main = _num(100 * energy[main.name] / total, 4)
            pct_co, share_co = _num(100 * energy[co.name] / total, 4)
            p.shares = {main.name: share_main / 100.0, co.name: share_co / 100.0}
            p.lines += ["  allocation energy {", f"    property {main.name} {heat_main} GJ / t",
                        f"    property {co.name} {heat_co} GJ / t", f"    share {main.name} {pct_main} %",
                        f"    share {co.name} {pct_co} %",
                        '    justification "both products are fuels; their energy content is their common measure"', "  }"]

    # Text.
    def process_text(p: Proc) -> list[str]:
        head = [f'process {p.name} "{p.kind} {p.index}" {{', f"  stage {p.stage}"]
        if p.index % 7 == 0:
            head.append("  quality activity=periodic factor=national calibration=accepted")
        for product in p.products:
            head.append(f"  product {product.name} {_num(product.value)[0]} {product.unit}")
        return head + p.lines + ["}", ""]

    files: dict[str, str] = {"factors.pcf": "\n".join(factors.lines)}
    for t in range(n_tiers):
        out: list[str] = []
        if t == 0:
            out += [f"# A synthetic product system: {n} processes, seed {seed} (benchmarks/generate.py).",
                    'import "std:gwp/ipcc_ar6.pcf" as ipcc']
        out.append('import "factors.pcf" as ef')
        if t + 1 < n_tiers:
            out.append(f'import "tier_{t + 1:02d}.pcf" as t{t + 1}')
        out.append("")
        if t == 0:
            out += [f'study "Synthetic product system, {n} processes, seed {seed}" {{',
                    '  product       "synthetic assembly"', "  declared_unit 1 kg of p000000.out",
                    "  period        2024-01-01 to 2024-12-31", "  geography     CN",
                    '  standard      "ISO 14067:2018"', "  gwp           ipcc.ar6", "}", "",
                    'stage recycling         "scrap collection and remelting"',
                    'stage inbound_transport "transport of purchased materials"',
                    'stage waste_treatment   "waste transport and treatment"', "",
                    "boundary custom {", "  include raw_material_acquisition", "  include recycling",
                    "  include inbound_transport", "  include production", "  include waste_treatment",
                    '  exclude distribution "sold ex works"', '  exclude use "intermediate product"',
                    '  exclude end_of_life "intermediate product"', "}", "",
                    "cutoff {", "  basis    emissions", "  per_flow 1 %", "}", ""]
        for i in range(tier_start[t], tier_end[t]):
            out += process_text(procs[i])
        files["model.pcf" if t == 0 else f"tier_{t:02d}.pcf"] = "\n".join(out)

    # The same system as matrices, the way pcf_dsl defines them (compute.py's module docstring).
    def prefix(p: Proc) -> str:
        return "".join(f"t{k}." for k in range(1, p.tier + 1))

    def key(p: Proc, product: str) -> str:
        return f"{prefix(p)}{p.name}.{product}"

    keys, tech, bio, processes = [], [], [], {}
    n_exchanges = 0
    for p in procs:
        processes[prefix(p) + p.name] = [key(p, pr.name) for pr in p.products]
        n_exchanges += len(p.products) + sum(1 for line in p.lines if line.lstrip().split(" ", 1)[0] in
                                             ("input", "waste", "emit", "loss"))
        for product in p.products:
            col = key(p, product.name)
            keys.append(col)
            share = p.shares[product.name]
            tech.append((col, col, product.value))
            for j, product_name, amount in p.tech:
                if share:
                    tech.append((key(procs[j], product_name), col, -amount * share))
            for gas, kg in p.gas_mass.items():
                bio.append((gas, col, kg * share))
    demand = {key(procs[0], "out"): 1.0 / KIND_UNITS["mass"][procs[0].products[0].unit]}
    return Generated(files, keys, tech, bio, demand, processes, n, n_exchanges)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--processes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True, help="directory to write model.pcf and its imports into")
    args = ap.parse_args()
    gen = generate(args.processes, args.seed)
    top = gen.write(args.out)
    size = sum(len(t.encode()) for t in gen.files.values())
    print(f"{top}: {gen.n_processes} processes, {gen.n_exchanges} exchanges, {len(gen.files)} files, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

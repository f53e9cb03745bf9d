"""PACT export: the model's footprint as a PACT Technical Specifications `ProductFootprint`.

v3 (3.0.x) by default, v2.3 on request. Everything the model knows is taken
from the model and from `compute(model)`: product and company names, declared
unit, reference period, geography, the footprint split into fossil and biogenic
parts, the IPCC assessment report of the GWP set, the standards, the boundary,
the cut-off (exempted emissions), allocation, the data-quality based primary
data share and the emission-factor sources. What the model cannot know
(identifiers, URNs, status, dates, carbon contents) comes from `PactOptions`
(the command line); a missing one is an error that names the option. Nothing is
invented, and the JSON is deterministic: ids and timestamps come only from the
options.

Numbers are decimal strings with the full precision of the computation
(`"11.220581945225108"`), so that the exported value reads back as exactly the
computed one. docs/import-export.md lists where each field comes from.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from . import model as M
from . import present as P
from .compute import Result
from .diagnostics import Diagnostic, PcfError
from .units import Q

SPEC_VERSIONS = {"3": "3.0.3", "2.3": "2.3.3"}  # the versions of the schemas kept in tests/schemas/pact/

# PACT declared units: (name, pint unit the amount is given in, versions that have it).
_PACT_UNITS = (
    ("kilogram", "kg", ("3", "2.3")),
    ("liter", "L", ("3", "2.3")),
    ("cubic meter", "m3", ("3", "2.3")),
    ("kilowatt hour", "kWh", ("3", "2.3")),
    ("megajoule", "MJ", ("3", "2.3")),
    ("ton kilometer", "t*km", ("3", "2.3")),
    ("square meter", "m2", ("3", "2.3")),
    ("piece", "piece", ("3",)),
    ("hour", "hour", ("3",)),
)
# Units whose product mass is "not relevant" (PACT: energy, logistics and service products): mass 0.
_MASSLESS = {"kilowatt hour", "megajoule", "ton kilometer", "hour"}

# The study's `standard` lines -> PACT cross-sectoral standard codes (v3 names).
STANDARD_CODES: tuple[tuple[str, str], ...] = (
    # Only a study that names ISO 14067 claims it. GB/T 24067-2024 is not an identical (IDT) adoption: the
    # Ministry of Ecology and Environment's release of 2024-09 says it mainly draws on ISO 14067 and adds a
    # framework for product-specific standards, critical review and CFP declarations. PACT names no code
    # for it (crossSectoralStandards SHOULD hold only the listed values), so a GB/T claim alone gives none.
    (r"\bISO\s*14067\b", "ISO14067"),
    (r"\bISO\s*14083\b", "ISO14083"),
    (r"\bISO\s*1404[04]\b", "ISO14040-44"),
    (r"GHG\s*Protocol.*Product|\bGHGP[- ]?Product\b", "GHGP-Product"),
    (r"\bPEF\b|Product Environmental Footprint", "PEF"),
    (r"\bPAS\s*2050\b", "PAS2050"),
    (r"\bPACT[- ]?(?:Methodology\s*)?v?1(?:\.0)?\b", "PACT-1.0"),
    (r"\bPACT[- ]?(?:Methodology\s*)?v?2(?:\.0)?\b", "PACT-2.0"),
    (r"\bPACT[- ]?(?:Methodology\s*)?v?3(?:\.0)?\b", "PACT-3.0"),
)
# v2.3 has a smaller list, and the deprecated but required `crossSectoralStandardsUsed`.
_V2_STANDARDS = ("ISO14067", "ISO14083", "ISO14040-44", "GHGP-Product", "PEF", "PACT-1.0", "PACT-2.0", "PACT-3.0")
_V2_USED = {"GHGP-Product": "GHG Protocol Product standard", "ISO14067": "ISO Standard 14067",
            "ISO14040-44": "ISO Standard 14044"}

BIOGENIC_GASES = ("CO2_biogenic", "CH4_biogenic")
# Factor-quality levels that are data of this product's own value chain (primary data).
PRIMARY_FACTOR_SCORE = 4  # measured 6, same_process 5, manufacturer 4; regional 3, national 2, international 1

_PACT_REGIONS = ("Africa", "Americas", "Asia", "Europe", "Oceania", "Australia and New Zealand", "Central Asia",
                 "Eastern Asia", "Eastern Europe", "Latin America and the Caribbean", "Melanesia", "Micronesia",
                 "Northern Africa", "Northern America", "Northern Europe", "Polynesia", "South-eastern Asia",
                 "Southern Asia", "Southern Europe", "Sub-Saharan Africa", "Western Asia", "Western Europe")


@dataclass
class PactOptions:
    """What the model cannot supply. Carbon contents are kg C per declared unit of the model."""

    version: str = "3"
    id: str | None = None
    created: str | None = None
    status: str | None = None
    company_name: str | None = None
    company_ids: list[str] = field(default_factory=list)
    product_ids: list[str] = field(default_factory=list)
    product_name: str | None = None
    product_description: str | None = None
    product_classifications: list[str] = field(default_factory=list)
    product_category_cpc: str | None = None  # v2.3
    pf_version: int | None = None  # v2.3 `version`
    preceding_ids: list[str] = field(default_factory=list)
    validity_start: str | None = None
    validity_end: str | None = None
    comment: str | None = None
    spec_version: str | None = None
    fossil_carbon_content: str | None = None
    biogenic_carbon_content: str | None = None
    product_mass: str | None = None  # kg per declared unit, when the declared unit is not a mass
    packaging_included: bool | None = None
    packaging_group: str | None = None
    region: str | None = None  # PACT region or subregion, instead of the model's geography
    cross_sectoral_standards: list[str] = field(default_factory=list)
    ipcc: list[str] = field(default_factory=list)  # AR6 ...; default from the GWP set
    exempted_percent: str | None = None
    primary_data_share: str | None = None
    dqi: dict[str, str] = field(default_factory=dict)  # technological, geographical, temporal (v3)
    ef_versions: dict[str, str] = field(default_factory=dict)  # source name -> database version


def decimal_text(value: float) -> str:
    """A float as a PACT decimal string: plain digits, full precision (`1e-05` -> `0.00001`)."""
    if value == 0:
        return "0"
    text = format(Decimal(repr(float(value))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


class _Problems:
    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def missing(self, what: str, option: str, why: str = "the model cannot supply it") -> None:
        self.items.append(Diagnostic("E701", f"PACT needs `{what}`: {why}", None, help=f"pass {option}"))

    def invalid(self, option: str, value: str, expected: str) -> None:
        self.items.append(Diagnostic("E702", f"{option} `{value}` is not {expected}", None,
                                     help=f"give {option} as {expected}"))

    def model(self, message: str, help: str, span=None) -> None:
        self.items.append(Diagnostic("E703", message, span, help=help))


def _timestamp(value: str, option: str, problems: _Problems) -> str | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        problems.invalid(option, value, "a date and time such as 2025-01-31T00:00:00Z")
        return None
    if parsed.tzinfo is None:
        problems.invalid(option, value, "a date and time with its time zone, such as 2025-01-31T00:00:00Z")
        return None
    return parsed.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _uuid(value: str, option: str, problems: _Problems) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        problems.invalid(option, value, "a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6")
        return None


def _urns(values: list[str], option: str, problems: _Problems) -> list[str]:
    out = []
    for value in values:
        if not re.match(r"^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$", value, re.I):
            problems.invalid(option, value, "a URN such as urn:pact:company:customcode:buyer-assigned:4321")
        elif value not in out:
            out.append(value)
    return out


def _non_negative(value: str, option: str, problems: _Problems) -> float | None:
    try:
        number = float(Decimal(value))
    except Exception:
        problems.invalid(option, value, "a number")
        return None
    if number < 0:
        problems.invalid(option, value, "a number of 0 or more")
        return None
    return number


def _declared_unit(model: M.Model, options: PactOptions, problems: _Problems) -> tuple[str, float] | None:
    du = model.study.declared_unit
    amount = du.amount.pint()
    written = du.amount.unit
    for name, pact_unit, versions in _PACT_UNITS:
        if options.version not in versions:
            continue
        target = Q(1, pact_unit)
        if amount.dimensionality != target.dimensionality:
            continue
        # Volume: litres when the model speaks in litres, cubic metres otherwise.
        if name == "liter" and "lit" not in written and written not in ("l", "L"):
            continue
        if name == "kilowatt hour" and "watt_hour" not in written and "Wh" not in written:
            continue
        return name, float(amount.to(pact_unit).magnitude)
    problems.model(f"the declared unit ({du.amount.value:g} {du.amount.unit}) has no PACT v{options.version} "
                   "unit of measurement", "PACT declares products in kilogram, liter, cubic meter, kilowatt hour, "
                   "megajoule, ton kilometer, square meter" + (", piece or hour" if options.version == "3" else ""),
                   du.span)
    return None


def _ipcc(model: M.Model, options: PactOptions, problems: _Problems) -> list[str]:
    if options.ipcc:
        bad = [v for v in options.ipcc if not re.fullmatch(r"AR\d+", v)]
        for value in bad:
            problems.invalid("--ipcc", value, "an IPCC assessment report such as AR6")
        return list(dict.fromkeys(options.ipcc))
    gwp = model.gwp_sets.get(model.study.gwp) if model.study.gwp else None
    if gwp is None:
        problems.missing("ipccCharacterizationFactors", "--ipcc AR6",
                         "the study names no GWP set, so the IPCC report of its factors is not known")
        return []
    for text in (gwp.name, gwp.label or "", gwp.source or ""):
        match = re.search(r"\bAR\s*(\d+)\b", text, re.I)
        if match:
            return [f"AR{match.group(1)}"]
    problems.missing("ipccCharacterizationFactors", "--ipcc AR6",
                     f"the GWP set `{gwp.name}` does not say which IPCC assessment report it is from")
    return []


def cross_sectoral_standards(model: M.Model) -> list[str]:
    """PACT codes of the study's standards, in the order the study names them."""
    codes: list[str] = []
    for standard in model.study.standards:
        for pattern, code in STANDARD_CODES:
            if re.search(pattern, standard, re.I) and code not in codes:
                codes.append(code)
    return codes


def _geography(model: M.Model, options: PactOptions, problems: _Problems) -> dict[str, str]:
    if options.region:
        if options.region not in _PACT_REGIONS:
            problems.invalid("--region", options.region, "a PACT region: " + ", ".join(_PACT_REGIONS))
            return {}
        return {"geographyRegionOrSubregion": options.region}
    code = model.study.geography
    if code is None or code.upper() in ("GLO", "GLOBAL", "WORLD", "RER_GLO"):
        return {}  # global: PACT leaves all three geography fields undefined
    if re.fullmatch(r"[A-Z]{2}", code):
        return {"geographyCountry": code}
    if re.fullmatch(r"[A-Z]{2}-[A-Z0-9]{1,3}", code):
        return {"geographyCountrySubdivision": code}
    problems.model(f"the study's geography `{code}` is not an ISO 3166 country or subdivision code",
                   "write `geography CN` or `geography CN-JS` in the study, or pass --region \"Eastern Asia\"",
                   model.study.span)
    return {}


def _stage_label(stage: M.Stage) -> str:
    # The document is in English: a custom stage's bilingual label "废弃物处理 / waste treatment" by its
    # English side, as the standard stages are named ("raw material acquisition").
    return P.stage_label(stage, stage.name, "en")


def boundary_description(model: M.Model, result: Result, top: int = 5) -> str:
    """Per included stage: its contribution and its largest lines; then the excluded stages with reasons."""
    parts = []
    shorthand = model.boundary.shorthand.replace("_", "-") if model.boundary and model.boundary.shorthand else None
    if shorthand:
        parts.append(f"System boundary {shorthand}.")
    for stage in model.stages:
        share = result.by_stage.get(stage.name)
        if stage.included is False or share is None:
            continue
        flows = [f for f in result.by_flow if f.stage == stage.name]
        if not flows and stage.included is None:
            continue
        # One form for every line, its key with its label quoted, and `; ` between lines: a label
        # holds commas ("secondary packaging film, LDPE"), and labels mixed with bare keys read as two lists.
        # A label's own quotes are escaped, or `film "LDPE" 30 µm` would end the quoted label early.
        names = [f"{f.process}.{f.flow}" + (f" {P.quoted(f.label)}" if f.label else "") for f in flows[:top]]
        more = f"; and {len(flows) - top} more" if len(flows) > top else ""
        parts.append(f"{_stage_label(stage)} ({decimal_round(share.value)} kg CO2e, "
                     f"{share.share * 100:.2f} %): {'; '.join(names)}{more}." if flows else
                     f"{_stage_label(stage)}: no emissions.")
    excluded = [s for s in model.stages if s.included is False]
    if excluded:
        parts.append("Excluded: " + "; ".join(_stage_label(s) + (f" ({P.list_item(s.reason)})" if s.reason else "")
                                            for s in excluded)
                     + ".")
    return " ".join(parts)


def decimal_round(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}f}"


def allocation_description(model: M.Model) -> str:
    parts = []
    for process in model.processes.values():
        alloc = process.allocation
        if alloc is None:
            continue
        name = process.label or process.name
        # the shares applied, with their basis (the masses or properties they are computed from)
        text = f"{name}: {alloc.method.replace('_', ' ')} allocation, {P.allocation_text(process)}"
        if alloc.justification:
            text += f". {alloc.justification}"
        parts.append(text.rstrip(".") + ".")
    if not parts:
        return "No allocation: every process of the model has a single product."
    return " ".join(parts)


def _flow_quality(model: M.Model, process: str, flow_name: str) -> int | None:
    proc = model.processes[process]
    flow = proc.flow(flow_name)
    for quality in (flow.quality if flow else None, proc.quality):
        if quality is not None and quality.factor is not None:
            return quality.factor
    return None


def _cutoff(model: M.Model, result: Result, options: PactOptions, problems: _Problems) -> tuple[float | None, str]:
    notes = list(model.cutoff.notes) if model.cutoff else []
    rule = ""
    if model.cutoff and model.cutoff.per_flow is not None:
        rule = f"Cut-off rule: flows below {model.cutoff.per_flow * 100:g} % of the total ({model.cutoff.basis})"
        if model.cutoff.cumulative is not None:
            rule += f", together at most {model.cutoff.cumulative * 100:g} %"
        rule += "."
    if notes:
        rule = (rule + " " if rule else "") + " ".join(n.rstrip(".") + "." for n in notes)
    if result.cutoff:
        listed = "; ".join(f"{c.process}.{c.flow}" + (f" ({P.list_item(c.reason)})" if c.reason else "")
                           for c in result.cutoff)
        description = f"Cut off: {listed}." + (f" {rule}" if rule else "")
    else:
        description = "No emissions were exempted." + (f" {rule}" if rule else "")
    if options.exempted_percent is not None:
        value = _non_negative(options.exempted_percent, "--exempted-emissions-percent", problems)
        return value, description
    if any(c.estimate is None for c in result.cutoff):
        missing = [f"{c.process}.{c.flow}" for c in result.cutoff if c.estimate is None]
        problems.missing("exemptedEmissionsPercent", "--exempted-emissions-percent PERCENT",
                         f"the cut-off flows {', '.join(missing)} have no `estimate`, so the share they "
                         "leave out is not known (or add `estimate ...` to them in the model)")
        return None, description
    whole = result.total.value + result.cutoff_estimate
    if not result.cutoff_estimate:
        return 0.0, description
    percent = result.cutoff_estimate / whole * 100 if whole > 0 else None
    if percent is None or not 0 <= percent <= 100:
        # Credits or removals that outweigh the emissions leave no share to give: estimate ÷ (total +
        # estimate) came out negative (-0.67 % for 0.01 kg left out of -1.5), which v2.3 refuses and no
        # reader can use. Not guessed: the verifier states the share on the basis they report.
        problems.missing("exemptedEmissionsPercent", "--exempted-emissions-percent PERCENT",
                         f"the cut-off estimates ({result.cutoff_estimate:g} kg CO2e) are no share between 0 and "
                         f"100 % of the total with them ({whole:g} kg CO2e): credits or removals outweigh the "
                         "emissions")
        return None, description
    return percent, description


def _primary_share(model: M.Model, result: Result, options: PactOptions, problems: _Problems,
                   pcf_excluding: float) -> float | None:
    if options.primary_data_share is not None:
        return _non_negative(options.primary_data_share, "--primary-data-share", problems)
    primary = 0.0
    for flow in result.by_flow:
        score = _flow_quality(model, flow.process, flow.flow)
        if score is None:
            return None  # the model does not say for every line: PACT's field is left out
        if score >= PRIMARY_FACTOR_SCORE:  # its share of the PCF excluding biogenic uptake
            primary += flow.value - min(flow.gases.get("CO2_biogenic", 0.0), 0.0)
    if not pcf_excluding:
        return 0.0
    share = primary / pcf_excluding * 100
    if pcf_excluding < 0 or not 0 <= share <= 100:
        return None  # a credit outweighs the emissions (-300 %): no share of the PCF, left out as unknown
    return share


def _ef_sources(model: M.Model, result: Result, options: PactOptions) -> list[dict[str, str]]:
    """Sources of the factors of the secondary lines, sorted; version: from the options, else the factor's year."""
    out: list[dict[str, str]] = []
    seen = set()
    for flow in result.by_flow:
        if flow.factor is None:
            continue
        score = _flow_quality(model, flow.process, flow.flow)
        if score is not None and score >= PRIMARY_FACTOR_SCORE:
            continue
        factor = model.factors[flow.factor]
        name = factor.source or factor.dataset
        if not name:
            continue
        version = options.ef_versions.get(name) or (str(factor.year) if factor.year else "not stated in the model")
        key = (name, version)
        if key not in seen:
            seen.add(key)
            out.append({"name": name, "version": version})
    return sorted(out, key=lambda d: (d["name"], d["version"]))


def product_footprint(model: M.Model, result: Result, options: PactOptions) -> dict:
    """The ProductFootprint document; raises PcfError naming every missing option at once."""
    if options.version not in SPEC_VERSIONS:
        raise PcfError(Diagnostic("E702", f"unknown PACT version `{options.version}`", None, help="use 3 or 2.3"))
    v3 = options.version == "3"
    problems = _Problems()
    study = model.study
    if study is None or study.declared_unit is None:
        raise PcfError(Diagnostic("E703", "the model has no study with a declared unit, so there is no footprint "
                                  "to export", None, help="add a study block with `declared_unit 1 kg of PROCESS.PRODUCT`"))

    pf_id = _uuid(options.id, "--id", problems) if options.id else problems.missing("id", "--id UUID")
    created = (_timestamp(options.created, "--created", problems) if options.created
               else problems.missing("created", "--created 2025-01-31T00:00:00Z"))
    status = options.status
    if status is None:
        problems.missing("status", "--status Active (or Deprecated)")
    elif status not in ("Active", "Deprecated"):
        problems.invalid("--status", status, "Active or Deprecated")
    company_name = options.company_name or study.producer
    if not company_name:
        problems.missing("companyName", '--company-name "..." (or `producer "..."` in the study)',
                         "the study names no producer")
    company_ids = _urns(options.company_ids, "--company-id", problems)
    if not options.company_ids:
        problems.missing("companyIds", "--company-id URN (repeatable)")
    product_ids = _urns(options.product_ids, "--product-id", problems)
    if not options.product_ids:
        problems.missing("productIds", "--product-id URN (repeatable)")
    classifications = _urns(options.product_classifications, "--product-classification", problems)
    description = options.product_description or study.product or (study.declared_unit.description or "")
    if not description:
        problems.missing("productDescription", '--product-description "..." (or `product "..."` in the study)',
                         "the study does not describe the product")
    product_name = options.product_name or study.product
    if not product_name:
        problems.missing("productNameCompany", '--product-name "..." (or `product "..."` in the study)',
                         "the study names no product")
    if not v3:
        if options.pf_version is None:
            problems.missing("version", "--pf-version 1", "PACT v2.3 numbers each version of a footprint")
        if not options.product_category_cpc:
            problems.missing("productCategoryCpc", "--product-category-cpc CODE", "PACT v2.3 requires the UN CPC code")
    preceding = [x for x in (_uuid(v, "--preceding-id", problems) for v in options.preceding_ids) if x]
    validity = {}
    for key, value, option in (("validityPeriodStart", options.validity_start, "--validity-start"),
                               ("validityPeriodEnd", options.validity_end, "--validity-end")):
        if value:
            stamp = _timestamp(value, option, problems)
            if stamp:
                validity[key] = stamp

    # ---- the footprint
    unit = _declared_unit(model, options, problems)
    if study.period_start is None or study.period_end is None:
        problems.model("the study states no reference period", "add `period 2024-01-01 to 2024-12-31` to the study",
                       study.span)
    ipcc = _ipcc(model, options, problems)
    standards = list(dict.fromkeys(options.cross_sectoral_standards)) or cross_sectoral_standards(model)
    if not v3:
        standards = [s for s in standards if s in _V2_STANDARDS]
    if not standards:
        why = "none of the study's standards (" + (", ".join(study.standards) or "none") + ") is one PACT names"
        if any(re.search(r"\bGB/?T\s*24067\b", s, re.I) for s in study.standards):
            # The hint names ISO14067: say when it may be given, lest a GB/T study claim a standard it did not follow.
            why += ("; GB/T 24067 draws on ISO 14067 but is not an identical adoption: name ISO14067 only if the "
                    "study conforms to ISO 14067 too")
        problems.missing("crossSectoralStandards", "--cross-sectoral-standard ISO14067", why)
    geography = _geography(model, options, problems)
    fossil_c = (_non_negative(options.fossil_carbon_content, "--fossil-carbon-content", problems)
                if options.fossil_carbon_content is not None else
                problems.missing("fossilCarbonContent", "--fossil-carbon-content KG_C",
                                 "the model does not state the product's carbon content (kg C per declared unit)"))
    biogenic_c = None
    if options.biogenic_carbon_content is not None:
        biogenic_c = _non_negative(options.biogenic_carbon_content, "--biogenic-carbon-content", problems)
    elif not v3:
        problems.missing("biogenicCarbonContent", "--biogenic-carbon-content KG_C",
                         "the model does not state the product's biogenic carbon content")
    if options.packaging_included is None and not v3:
        problems.missing("packagingEmissionsIncluded", "--packaging-included or --packaging-excluded")
    packaging = None
    if options.packaging_group:
        if options.packaging_group not in result.by_group:
            problems.invalid("--packaging-group", options.packaging_group,
                             "a group of the model: " + (", ".join(result.by_group) or "(the model has none)"))
        else:
            packaging = result.by_group[options.packaging_group].value
    mass_per_unit = None
    if unit is not None:
        if unit[0] == "kilogram":
            mass_per_unit = unit[1]
        elif unit[0] in _MASSLESS:
            mass_per_unit = 0.0
        elif options.product_mass is not None:
            mass_per_unit = _non_negative(options.product_mass, "--product-mass", problems)
        elif v3:
            problems.missing("productMassPerDeclaredUnit", "--product-mass KG",
                             f"the declared unit is {unit[0]}, not a mass")

    biogenic_uptake = sum(min(f.gases.get("CO2_biogenic", 0.0), 0.0) for f in result.by_flow)
    biogenic_co2 = sum(f.gases.get("CO2_biogenic", 0.0) for f in result.by_flow)
    biogenic_ch4 = sum(f.gases.get("CH4_biogenic", 0.0) for f in result.by_flow)
    fossil = sum(v for f in result.by_flow for g, v in f.gases.items() if g not in BIOGENIC_GASES)
    total = result.total.value
    if fossil < 0:
        problems.model(f"the fossil emissions of the model add up to {fossil:g} kg CO2e, below zero",
                       "PACT's fossilGhgEmissions is 0 or more; report fossil removals separately")
    exempted, exempted_description = _cutoff(model, result, options, problems)
    pcf_excluding = total - biogenic_uptake
    primary = _primary_share(model, result, options, problems, pcf_excluding)
    dqi = None
    if options.dqi:
        if not v3:
            problems.invalid("--dqi", ",".join(options.dqi), "available for PACT v3 only (v2.3 needs six indicators)")
        keys = {"technological": "technologicalDQR", "geographical": "geographicalDQR", "temporal": "temporalDQR"}
        if set(options.dqi) != set(keys):
            problems.invalid("--dqi", ",".join(f"{k}={v}" for k, v in options.dqi.items()),
                             "all three of technological=, geographical= and temporal=")
        else:
            dqi = {}
            for key, name in keys.items():
                value = _non_negative(options.dqi[key], f"--dqi {key}", problems)
                if value is not None:
                    dqi[name] = decimal_text(value)
    v2_used = [_V2_USED[s] for s in standards if s in _V2_USED]
    if not v3:
        if standards and not v2_used:
            problems.missing("crossSectoralStandardsUsed", "--cross-sectoral-standard ISO14067 (or GHGP-Product, "
                             "ISO14040-44)", "PACT v2.3 requires one of GHG Protocol Product, ISO 14067 or ISO 14044, "
                             "and the study names none of them")
        if ipcc and ipcc[-1] not in ("AR5", "AR6"):
            problems.invalid("--ipcc", ipcc[-1], "AR5 or AR6 (the only characterization factors PACT v2.3 knows)")
    if problems.items:
        raise PcfError(problems.items)

    unit_name, amount = unit
    # v3 values are per declared unit (declaredUnitAmount units); v2.3 values per one unit.
    per = 1.0 if v3 else amount
    period_end = study.period_end + dt.timedelta(days=1)  # PACT's end is exclusive; the study's inclusive

    def dec(value: float) -> str:
        return decimal_text(value / per)

    def stamp(day: dt.date) -> str:
        return f"{day.isoformat()}T00:00:00Z"

    doc: dict = {"id": pf_id, "specVersion": options.spec_version or SPEC_VERSIONS[options.version]}
    if preceding:
        doc["precedingPfIds"] = preceding
    if not v3:
        doc["version"] = options.pf_version
    doc["created"] = created
    doc["status"] = status
    doc.update(validity)
    doc["companyName"] = company_name
    doc["companyIds"] = company_ids
    doc["productDescription"] = description
    doc["productIds"] = product_ids
    if not v3:
        doc["productCategoryCpc"] = options.product_category_cpc
    if classifications:
        doc["productClassifications"] = classifications
    doc["productNameCompany"] = product_name
    comment = options.comment if options.comment is not None else " ".join(study.notes)
    if comment or not v3:
        doc["comment"] = comment

    pcf: dict = {}
    if v3:
        pcf["declaredUnitOfMeasurement"] = unit_name
        pcf["declaredUnitAmount"] = decimal_text(amount)
        pcf["productMassPerDeclaredUnit"] = decimal_text(mass_per_unit)
    else:
        pcf["declaredUnit"] = unit_name
        pcf["unitaryProductAmount"] = decimal_text(amount)
        if mass_per_unit is not None:
            pcf["productMassPerDeclaredUnit"] = decimal_text(mass_per_unit / amount)
    pcf["referencePeriodStart"] = stamp(study.period_start)
    pcf["referencePeriodEnd"] = stamp(period_end)
    pcf.update(geography)
    pcf["boundaryProcessesDescription"] = boundary_description(model, result)
    if v3:
        pcf["pcfExcludingBiogenicUptake"] = dec(pcf_excluding)
        pcf["pcfIncludingBiogenicUptake"] = dec(total)
        pcf["fossilGhgEmissions"] = dec(fossil)
        pcf["fossilCarbonContent"] = dec(fossil_c)
        if biogenic_c is not None:
            pcf["biogenicCarbonContent"] = dec(biogenic_c)
        if biogenic_uptake:
            pcf["biogenicCO2Uptake"] = dec(biogenic_uptake)
        if biogenic_ch4:
            pcf["biogenicNonCO2Emissions"] = dec(biogenic_ch4)
        if options.packaging_included is not None:
            pcf["packagingEmissionsIncluded"] = options.packaging_included
        if packaging is not None and options.packaging_included is not False:
            pcf["packagingGhgEmissions"] = dec(packaging)
        pcf["ipccCharacterizationFactors"] = ipcc
        pcf["crossSectoralStandards"] = standards
        pcf["exemptedEmissionsPercent"] = decimal_text(exempted)
        pcf["exemptedEmissionsDescription"] = exempted_description
    else:
        pcf["pCfExcludingBiogenic"] = dec(total - biogenic_co2)
        pcf["pCfIncludingBiogenic"] = dec(total)
        pcf["fossilGhgEmissions"] = dec(fossil)
        pcf["fossilCarbonContent"] = dec(fossil_c)
        pcf["biogenicCarbonContent"] = dec(biogenic_c)
        if biogenic_uptake:
            pcf["biogenicCarbonWithdrawal"] = dec(biogenic_uptake)
        pcf["packagingEmissionsIncluded"] = options.packaging_included
        if packaging is not None and options.packaging_included:
            pcf["packagingGhgEmissions"] = dec(packaging)
        pcf["characterizationFactors"] = ipcc[-1]
        pcf["ipccCharacterizationFactorsSources"] = ipcc
        pcf["crossSectoralStandardsUsed"] = v2_used
        pcf["crossSectoralStandards"] = standards
        pcf["exemptedEmissionsPercent"] = round(exempted, 12)
        pcf["exemptedEmissionsDescription"] = exempted_description
    pcf["allocationRulesDescription"] = allocation_description(model)
    sources = _ef_sources(model, result, options)
    if sources:
        pcf["secondaryEmissionFactorSources"] = sources
    if primary is not None:
        pcf["primaryDataShare"] = decimal_text(primary) if v3 else round(primary, 12)
    if dqi:
        pcf["dqi"] = dqi
    doc["pcf"] = pcf
    return doc

"""The check engine: profiles chosen and resolved, waivers, merging, outputs and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from pcf_dsl import profiles as P
from pcf_dsl.check import run_check
from pcf_dsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
CHECK_SCHEMA = json.loads((ROOT / "pcf_dsl" / "schemas" / "pcf-check-1.schema.json").read_text(encoding="utf-8"))

HEAD = '''import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Engine" {{
  declared_unit 1 kg of casting.billet
  period        2024-01-01 to 2024-12-31
  {standards}
  gwp           ipcc.ar6
}}

boundary cradle_to_gate

cutoff {{
  per_flow 1 %
}}

factor grid = 0.6 kg CO2 / kWh {{
  year 2023
}}
factor ingot = 17.6 t CO2e / t {{
  year 2023
}}
'''

# 500 kWh x 0.6 = 300 kg CO2 per t: 0.3 kg CO2e per kg; no finding above info under ISO 14067.
CLEAN = '''
process casting {
  stage   production
  product billet 1 t
  input   electricity 500 kWh from grid
}
'''

# 1.3 t in, 1 t out: M001 (warning by default); release agent estimated at 30 kg per t:
# 0.03 / (22.88 + 0.03) = 0.13 % of the estimated total, coverage 99.87 %.
IMBALANCED = '''
process casting {
  stage   production
  product billet 1 t
  input   aluminium 1.3 t from ingot
  input   release_agent 2 kg cutoff "no factor available" {
    estimate 30 kg CO2e
  }
}
'''


def model(tmp_path, body: str, standards=('"ISO 14067:2018"',), name: str = "model.pcf", extra: str = "") -> Path:
    lines = "\n  ".join(f"standard      {s}" for s in standards)
    path = tmp_path / name
    path.write_text(HEAD.format(standards=lines) + extra + body, encoding="utf-8")
    return path


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# ------------------------------------------------------------------ profiles


@pytest.mark.parametrize("claimed, declared, same", [
    ("GB/T 24067-2024", "GB/T 24067-2024", True),
    ("gb/t 24067 2024", "GB/T 24067-2024", True),
    ("ISO 14067", "ISO 14067:2018", True),
    ("PAS 2050", "PAS 2050:2011", True),
    ("ISO 14025", "ISO 14067:2018", False),
    ("ISO 14067:2006", "ISO 14067:2018", False),
    ("EN 15804", "EN 15804+A2", False),
])
def test_standard_names_match_with_or_without_the_year(claimed, declared, same):
    assert P.standards_match(claimed, declared) is same


def test_claimed_standards_pick_the_shipped_profiles():
    assert P.profile_for_standard("GB/T 24067-2024") == "gbt_24067_2024"
    assert P.profile_for_standard("PAS 2050:2011") == "pas_2050_2011"
    assert P.profile_for_standard("ISO 14067:2018") == "iso_14067_2018"
    assert P.profile_for_standard("GHG Protocol Product Standard") == "ghg_protocol_product_2011"
    assert P.profile_for_standard("PACT Methodology v3.0") == "pact_v3"
    assert P.profile_for_standard("EN 15804+A2") == "en_15804_a2"
    assert P.profile_for_standard("ISO 14025") is None


def test_shipped_profiles_carry_the_numbers_of_their_standards():
    gbt = P.shipped_profile("gbt_24067_2024")
    assert gbt.chain == ["base", "iso_14067_2018", "gbt_24067_2024"]
    assert gbt.params["cutoff.per_flow"] is None  # ISO 14067 / GB/T 24067 give no number
    pas = P.shipped_profile("pas_2050_2011")
    assert pas.params["cutoff.per_flow"] == pytest.approx(0.01)  # 1 % materiality
    assert pas.params["cutoff.min_coverage"] == pytest.approx(0.95)  # 95 % of the anticipated emissions
    pact = P.shipped_profile("pact_v3")
    assert pact.params["cutoff.cumulative"] == pytest.approx(0.05)  # at most 5 % exempted
    # v3 DQRs are the weighted average of all inputs (v2.3: inputs above 5 %); `dqi` is required from 2027
    assert pact.params["quality.required_above"] == 0
    assert pact.params["gwp.accepted"] == "ar6" and pact.severities["Q004"] == "warning"
    en = P.shipped_profile("en_15804_a2")
    assert (en.params["cutoff.per_flow"], en.params["cutoff.cumulative"]) == pytest.approx((0.01, 0.05))
    # EN 15804+A2: 1 % of the unit process's mass input and 1 % of its energy, 5 % of each per module
    assert (en.params["cutoff.basis"], en.params["cutoff.cumulative_scope"]) == ("mass and energy", "stage")
    base = P.shipped_profile("base")
    assert base.params["claims.materiality"] == pytest.approx(0.05)
    assert base.params["mass_balance.tolerance"] == pytest.approx(0.05)


def test_a_user_profile_file_extends_a_shipped_one(tmp_path):
    (tmp_path / "mine.pcf").write_text(
        'import "std:profiles/pas_2050_2011.pcf" as pas\n\n'
        'profile mine "Our customer\'s rules" {\n'
        '  extends pas.pas_2050_2011\n'
        '  set     cutoff.min_coverage = 99.9 %\n'
        '  rule    D002 off\n'
        '  rule    M001 error\n'
        '}\n', encoding="utf-8")
    path = model(tmp_path, IMBALANCED)
    outcome = run_check(path, profile=str(tmp_path / "mine.pcf"))
    (profile,) = outcome.profiles
    assert profile.chain == ["base", "pas_2050_2011", "mine"]
    assert profile.params["cutoff.min_coverage"] == pytest.approx(0.999)
    assert profile.params["cutoff.per_flow"] == pytest.approx(0.01)  # inherited from PAS 2050
    assert "D002" not in outcome.runs[0].outcomes
    codes = {d.code: d.severity.value for d in outcome.diagnostics}
    assert codes["M001"] == "error"
    # coverage 22.88 / (22.88 + 0.03) = 0.99869 < 0.999
    c005 = next(d for d in outcome.diagnostics if d.code == "C005")
    assert c005.evidence["coverage"] == pytest.approx(22.88 / 22.91, rel=1e-12)
    assert outcome.exit_code == 1


def test_profile_option_by_name_and_by_file_and_name(tmp_path):
    path = model(tmp_path, CLEAN)
    assert [p.name for p in run_check(path, profile="pact_v3").profiles] == ["pact_v3"]
    (tmp_path / "two.pcf").write_text(
        'import "std:profiles/base.pcf" as b\n\nprofile a {\n  extends b.base\n}\n\nprofile c {\n  extends b.base\n}\n',
        encoding="utf-8")
    outcome = run_check(path, profile=f"{tmp_path / 'two.pcf'}:c")
    assert [p.name for p in outcome.profiles] == ["c"]
    ambiguous = run_check(path, profile=str(tmp_path / "two.pcf"))
    assert ambiguous.invalid and ambiguous.diagnostics[0].code == "E362"
    assert "choose one with --profile" in ambiguous.diagnostics[0].help


def test_unknown_profile_is_invalid_input(tmp_path):
    run = cli("check", "--profile", "pas_2050", model(tmp_path, CLEAN))
    assert run.exit_code == 2
    assert "E362" in run.output and "did you mean `pas_2050_2011`?" in run.output
    assert "Traceback" not in run.output


@pytest.mark.parametrize("setting, code, fragment, wrong", [
    ("rule X123 error", "E360", "which is not a rule", "X123"),
    ("rule m001 error", "E360", "did you mean `M001`?", "m001"),
    ("set cutoff.per_flows = 1 %", "E361", "did you mean `cutoff.per_flow`?", "cutoff.per_flows"),
    ("set clause.X123 = \"PAS 2050\"", "E361", "must name a rule and give text", "clause.X123"),
    ("set clause.C002 = 5", "E361", "must name a rule and give text", "5"),
    ('set cutoff.per_flow = "one"', "E363", "is a number, not text", '"one"'),
    ("set gwp.accepted = 6", "E363", "is text", "6"),
    ("set cutoff.per_flow = 150 %", "E363", "between 0 % and 100 %", "150 %"),
    # A share without `%` is refused, not read as a fraction: `0.5` meant as 0.5 % set 50 %, and
    # `materiality = 1` meant as 1 % let every claim pass (100 %), silently.
    ("set cutoff.per_flow = 0.5", "E363", "write `set cutoff.per_flow = 0.5 %` for 0.5 %", "0.5"),
    ("set claims.materiality = 1", "E363", "or `set claims.materiality = 100 %` for the fraction 1", "1"),
    # Values the rules cannot read: `volume` once stopped C003 with an internal error (KeyError),
    # `module` was read as `total`, level 7 passed every model, and "sixth" accepted no GWP set.
    ('set cutoff.basis = "volume"', "E363",
     '`cutoff.basis` is one of "emissions", "mass", "energy", "mass and energy", not "volume"',
     '"volume"'),
    ('set cutoff.basis = "Mass"', "E363", 'did you mean `set cutoff.basis = "mass"`?', '"Mass"'),
    ('set cutoff.cumulative_scope = "module"', "E363", 'is one of "total", "stage"', '"module"'),
    ("set quality.min_level = 7", "E363", "lies between 1 and 5, not 7", "7"),
    ('set gwp.accepted = "sixth"', "E363", '`gwp.accepted` names nothing it can read in "sixth"', '"sixth"'),
])
def test_profile_settings_are_validated(tmp_path, setting, code, fragment, wrong):
    extra = f'import "std:profiles/base.pcf" as b\n\nprofile mine {{\n  extends b.base\n  {setting}\n}}\n'
    path = tmp_path / "model.pcf"
    path.write_text(extra + HEAD.format(standards="") + CLEAN, encoding="utf-8")
    outcome = run_check(path)
    assert outcome.invalid and outcome.exit_code == 2
    assert [d.code for d in outcome.diagnostics] == [code]
    assert fragment in outcome.diagnostics[0].message + (outcome.diagnostics[0].help or "")
    # The setting's own line (5), not the profile's name (3), with the caret under the wrong word:
    # the line is indented by two spaces, columns count from 1.
    span = outcome.diagnostics[0].span
    column = setting.rindex(wrong) + 3
    assert (span.line, span.column, span.end_line, span.end_column) == (5, column, 5, column + len(wrong))


@pytest.mark.parametrize("key", ["cutoff.per_flow", "allocation.tolerance", "claims.materiality"])
def test_a_share_of_bare_zero_is_zero_not_ambiguous(tmp_path, key):
    # `= 0` is 0 % read as a percentage or as a fraction: E363 refused it ("write `= 0 %` for 0 %,
    # or `= 0 %` for the fraction 0"). It is set to 0, as `= 0 %` is.
    extra = f'import "std:profiles/base.pcf" as b\n\nprofile mine {{\n  extends b.base\n  set {key} = 0\n}}\n'
    path = tmp_path / "model.pcf"
    path.write_text(extra + HEAD.format(standards="") + CLEAN, encoding="utf-8")
    resolved = P.from_option(f"{path}:mine", None)
    assert resolved.params[key] == 0.0


# Two cut-off inputs estimated at 10 kg CO2e per t of billet next to 0.3 kg CO2e per kg modelled:
# 0.02 / (0.3 + 0.02) = 6.25 % cut off in total, above PACT's 5 %, 4 % and 3 %, under 8 %.
CUT_OFF_TWICE = """import "std:gwp/ipcc_ar6.pcf" as ipcc

study "Engine" {
  declared_unit 1 kg of casting.billet
  gwp           ipcc.ar6
}

boundary cradle_to_gate
%s
factor grid = 0.6 kg CO2 / kWh

process casting {
  stage   production
  product billet 1 t
  input   electricity 500 kWh from grid
  input   release_agent 2 kg cutoff "no factor available" {
    estimate 10 kg CO2e
  }
  input   gloves 1 kg cutoff "no factor available" {
    estimate 10 kg CO2e
  }
}
"""


def _line_of(text: str, fragment: str) -> tuple[int, int]:
    """(line, column) of `fragment`'s first occurrence, both counted from 1."""
    for number, line in enumerate(text.splitlines(), 1):
        if fragment in line:
            return number, line.index(fragment) + 1
    raise AssertionError(fragment)


@pytest.mark.parametrize("cutoff, threshold, where", [
    # The study states no cumulative threshold: PACT's `set cutoff.cumulative = 5 %`, not `per_flow 10 %`
    ("cutoff {\n  per_flow 10 %\n}\n", 0.05, "profile"),
    # ... nor any cut-off rule: the finding once had no place at all
    ("", 0.05, "profile"),
    # The study's own is laxer: PACT's applies
    ("cutoff {\n  per_flow 10 %\n  cumulative 8 %\n}\n", 0.05, "profile"),
    # The study's own is stricter, or the same: the study's line
    ("cutoff {\n  per_flow 10 %\n  cumulative 4 %\n}\n", 0.04, "cumulative 4 %"),
    ("cutoff {\n  per_flow 10 %\n  cumulative 5 %\n}\n", 0.05, "cumulative 5 %"),
])
def test_c003_points_at_the_threshold_that_applies(tmp_path, cutoff, threshold, where):
    path = tmp_path / "model.pcf"
    text = CUT_OFF_TWICE % cutoff
    path.write_text(text, encoding="utf-8")
    outcome = run_check(path, profile="pact_v3")
    [c003] = [d for d in outcome.diagnostics if d.code == "C003"]
    assert c003.evidence["threshold"] == pytest.approx(threshold, abs=1e-12)
    assert c003.evidence["share"] == pytest.approx(0.02 / 0.32, rel=1e-9)
    if where == "profile":
        shipped = (ROOT / "models" / "profiles" / "pact_v3.pcf").read_text(encoding="utf-8")
        line, _ = _line_of(shipped, "set      cutoff.cumulative")
        column = shipped.splitlines()[line - 1].index("5 %") + 1
        assert (c003.span.file, c003.span.line, c003.span.column) == ("std:profiles/pact_v3.pcf", line, column)
        assert c003.path == ("cutoff", "cumulative", "profile")
    else:
        line, column = _line_of(text, where)
        value = column + len("cumulative ")
        assert (c003.span.file, c003.span.line, c003.span.column, c003.span.end_column) == (
            str(path), line, value, value + 3)
        assert c003.path == ("cutoff", "cumulative")


def test_c003_points_at_the_model_s_own_profile_line(tmp_path):
    own = 'import "std:profiles/base.pcf" as b\n\nprofile mine {\n  extends b.base\n  set cutoff.cumulative = 3 %\n}\n'
    path = tmp_path / "model.pcf"
    text = CUT_OFF_TWICE % "cutoff {\n  per_flow 10 %\n}\n"
    text = text.replace("\nstudy", own + "\nstudy", 1)
    path.write_text(text, encoding="utf-8")
    outcome = run_check(path)
    [c003] = [d for d in outcome.diagnostics if d.code == "C003"]
    assert c003.evidence["threshold"] == pytest.approx(0.03, abs=1e-12)
    line, column = _line_of(text, "3 %")
    assert (c003.span.file, c003.span.line, c003.span.column, c003.span.end_column) == (str(path), line, column, column + 3)
    # A waiver of C003 on the cut-off still matches it: its subject is the cut-off either way.
    path.write_text(text + 'waive C003 cutoff "the two inputs are being modelled"\n', encoding="utf-8")
    waived = run_check(path)
    assert not [d for d in waived.diagnostics if d.code == "C003"]
    assert [w.diagnostic.code for w in waived.waived] == ["C003"]


@pytest.mark.parametrize("cutoff, codes", [
    # Thresholds stated: C004's coverage is about the criterion as a whole, the block's `cutoff`
    # line, not its first value (`per_flow 10 %`, once underlined with a single caret)
    ("cutoff {\n  per_flow 10 %\n  cumulative 8 %\n}\n", ("C004",)),
    # A block that states no threshold: C007 points at it (an empty one once had no place at all)
    ("cutoff {\n}\n", ("C004", "C007")),
    ("cutoff {\n  basis mass\n  note \"see the plant's records\"\n}\n", ("C004", "C007")),
])
def test_c004_c007_point_at_the_cutoff_keyword(tmp_path, cutoff, codes):
    path = tmp_path / "model.pcf"
    text = CUT_OFF_TWICE % cutoff
    path.write_text(text, encoding="utf-8")
    outcome = run_check(path)
    line, column = _line_of(text, "cutoff {")
    for code in codes:
        [found] = [d for d in outcome.diagnostics if d.code == code]
        assert (found.span.file, found.span.line, found.span.column, found.span.end_line, found.span.end_column) == (
            str(path), line, column, line, column + len("cutoff"))
        assert found.path == ("cutoff",)
    # Without a block, the study's line, where a `cutoff` block is missing.
    path.write_text(CUT_OFF_TWICE % "", encoding="utf-8")
    outcome = run_check(path)
    study_line, _ = _line_of(CUT_OFF_TWICE, 'study "Engine"')
    for code in ("C004", "C007"):
        [found] = [d for d in outcome.diagnostics if d.code == code]
        assert (found.span.line, found.path) == (study_line, ("study",))


def test_a_second_cutoff_block_is_refused_at_its_keyword(tmp_path):
    path = tmp_path / "model.pcf"
    text = CUT_OFF_TWICE % "cutoff {\n  per_flow 1 %\n}\ncutoff {\n  per_flow 2 %\n}\n"
    path.write_text(text, encoding="utf-8")
    outcome = run_check(path)
    [e201] = [d for d in outcome.diagnostics if d.code == "E201"]
    line, _ = _line_of(text, "per_flow 2 %")
    assert (e201.span.line, e201.span.column, e201.span.end_line, e201.span.end_column) == (line - 1, 1, line - 1, 7)


@pytest.mark.parametrize("cutoff, where", [
    # The study's per-flow threshold is stricter than PAS 2050's 1 %: its own line
    ("cutoff {\n  per_flow 0.5 %\n}\n", "model"),
    # ... laxer, or not stated: PAS 2050's `set cutoff.per_flow = 1 %`
    ("cutoff {\n  per_flow 10 %\n  cumulative 8 %\n}\n", "profile"),
    ("", "profile"),
])
def test_c005_c006_point_at_the_thresholds_they_apply(tmp_path, cutoff, where):
    path = tmp_path / "model.pcf"
    # A lubricant of 0.5 kg at 3 kg CO2e/kg per t of billet: 1.5 kg CO2e of 300 + 1.5 + 20 kg, 0.467 %,
    # under both 0.5 % and 1 %.
    text = (CUT_OFF_TWICE % cutoff).replace("factor grid", "factor oil = 3 kg CO2e / kg\nfactor grid", 1)
    text = text.replace("  input   electricity", "  input   lubricant 0.5 kg from oil\n  input   electricity", 1)
    path.write_text(text, encoding="utf-8")
    outcome = run_check(path, profile="pas_2050_2011")
    shipped = (ROOT / "models" / "profiles" / "pas_2050_2011.pcf").read_text(encoding="utf-8")
    [c005] = [d for d in outcome.diagnostics if d.code == "C005"]
    [c006] = [d for d in outcome.diagnostics if d.code == "C006"]
    # Coverage 301.5 / 321.5 = 93.78 %, under PAS 2050's 95 %: at the profile's minimum, wherever the study's
    # cut-off block is (or is not).
    assert c005.evidence["coverage"] == pytest.approx(301.5 / 321.5, rel=1e-9)
    line, _ = _line_of(shipped, "set      cutoff.min_coverage")
    column = shipped.splitlines()[line - 1].index("95 %") + 1
    assert (c005.span.file, c005.span.line, c005.span.column) == ("std:profiles/pas_2050_2011.pcf", line, column)
    assert c005.path == ("cutoff", "min_coverage", "profile")
    assert c006.evidence["flows"] == ["casting.lubricant"]
    if where == "model":
        assert c006.evidence["threshold"] == pytest.approx(0.005, abs=1e-12)
        line, column = _line_of(text, "per_flow 0.5 %")
        value = column + len("per_flow ")
        assert (c006.span.file, c006.span.line, c006.span.column, c006.span.end_column) == (
            str(path), line, value, value + len("0.5 %"))
        assert c006.path == ("cutoff", "per_flow")
    else:
        assert c006.evidence["threshold"] == pytest.approx(0.01, abs=1e-12)
        line, _ = _line_of(shipped, "set      cutoff.per_flow")
        column = shipped.splitlines()[line - 1].index("1 %") + 1
        assert (c006.span.file, c006.span.line, c006.span.column) == ("std:profiles/pas_2050_2011.pcf", line, column)
        assert c006.path == ("cutoff", "per_flow", "profile")
    # Waivers on the cut-off still match both: their subject is the cut-off either way.
    path.write_text(text + 'waive C005 cutoff "being modelled"\nwaive C006 cutoff "kept on purpose"\n', encoding="utf-8")
    waived = run_check(path, profile="pas_2050_2011")
    assert sorted(w.diagnostic.code for w in waived.waived) == ["C005", "C006"]


def test_a_profile_setting_with_a_unit_is_refused_where_it_is_written(tmp_path):
    """`set cutoff.per_flow = 1 kg` was read as the number 1: a per-flow threshold of 100 %."""
    extra = 'import "std:profiles/base.pcf" as b\n\nprofile mine {\n  extends b.base\n  set cutoff.per_flow = 1 kg\n}\n'
    path = tmp_path / "model.pcf"
    path.write_text(extra + HEAD.format(standards="") + CLEAN, encoding="utf-8")
    outcome = run_check(path)
    assert outcome.invalid and outcome.exit_code == 2
    assert [d.code for d in outcome.diagnostics] == ["E363"]
    e363 = outcome.diagnostics[0]
    assert "`cutoff.per_flow` is a number or a percentage, not a quantity in kg" in e363.message
    assert (e363.span.line, e363.span.column) == (5, 25)  # the value `1 kg`


def test_profiles_extending_each_other_in_a_circle(tmp_path):
    path = tmp_path / "model.pcf"
    path.write_text('profile a {\n  extends c\n}\n\nprofile c {\n  extends a\n}\n\n' + HEAD.format(standards="") + CLEAN,
                    encoding="utf-8")
    outcome = run_check(path, profile="a")
    assert outcome.invalid and outcome.diagnostics[0].code == "E364"
    assert "a -> c -> a" in outcome.diagnostics[0].message


def test_two_claimed_standards_are_both_checked_and_findings_merged(tmp_path):
    path = model(tmp_path, IMBALANCED, standards=('"GB/T 24067-2024"', '"PAS 2050:2011"'))
    outcome = run_check(path)
    assert [p.name for p in outcome.profiles] == ["gbt_24067_2024", "pas_2050_2011"]
    m001 = [d for d in outcome.diagnostics if d.code == "M001"]
    assert len(m001) == 1 and m001[0].evidence["profiles"] == ["gbt_24067_2024", "pas_2050_2011"]
    # PAS 2050 alone asks for 95 % coverage (it is met, 99.87 %): its C005 row passes, GB/T has none
    statuses = {run.profile.name: run.outcomes["C005"].status for run in outcome.runs}
    assert statuses == {"gbt_24067_2024": "n/a", "pas_2050_2011": "pass"}


def test_own_profile_in_the_model_is_the_default(tmp_path):
    extra = 'import "std:profiles/iso_14067_2018.pcf" as iso\n\nprofile ours {\n  extends iso.iso_14067_2018\n  rule M001 error\n}\n\n'
    outcome = run_check(model(tmp_path, IMBALANCED, extra=extra))
    assert [(p.name, p.reason) for p in outcome.profiles] == [("ours", "defined in the model")]
    assert outcome.exit_code == 1


# ------------------------------------------------------------------ waivers


def test_waiver_silences_only_what_it_names_and_is_listed(tmp_path):
    body = IMBALANCED + 'waive M001 casting "returned scrap, recorded in the plant\'s balance"\n'
    outcome = run_check(model(tmp_path, body, extra='factor us_grid = 0.4 kg CO2 / kWh {\n  geography US\n}\n'))
    assert not [d for d in outcome.diagnostics if d.code == "M001"]
    (waived,) = outcome.waived
    assert waived.diagnostic.code == "M001" and waived.waiver.justification.startswith("returned scrap")
    run = cli("check", model(tmp_path, body))
    assert "waived (1), by justified waivers in the model:" in run.output
    assert "returned scrap" in run.output and "1 waived" in run.output
    data = json.loads(cli("check", "--format", "json", model(tmp_path, body)).stdout)
    assert data["summary"]["waived"] == 1 and data["waivers"][0]["used"] is True
    assert data["waived"][0]["code"] == "M001" and data["waived"][0]["waiver"] == 0


def test_waiver_subject_covers_the_flows_of_a_process(tmp_path):
    extra = 'factor us_ingot = 17.6 t CO2e / t {\n  geography US\n}\n'
    body = '''
process casting {
  stage     production
  geography CN
  product   billet 1 t
  input     ingot_a 0.5 t from us_ingot
  input     ingot_b 0.5 t from us_ingot
}

waive D003 casting.ingot_a "the US dataset is the only one for this alloy"
'''
    outcome = run_check(model(tmp_path, body, extra=extra))
    assert [w.diagnostic.path for w in outcome.waived] == [("process", "casting", "flow", "ingot_a", "source")]
    assert [d.path for d in outcome.diagnostics if d.code == "D003"] == [("process", "casting", "flow", "ingot_b", "source")]
    wide = run_check(model(tmp_path, body.replace("casting.ingot_a", "casting"), extra=extra))
    assert len(wide.waived) == 2 and not [d for d in wide.diagnostics if d.code == "D003"]


@pytest.mark.parametrize("waiver, part", [
    # A code that is no rule: the code (`m001`), not the whole line after `waive`
    ('waive m001 casting "returned scrap"', "m001"),
    # M001 fires on `casting`, not on `smelting`: the subject names nothing
    ('waive M001 smelting "returned scrap"', "smelting"),
    ('waive M001 casting.aluminium "returned scrap"', "casting.aluminium"),
    # R001 finds nothing at all (there is no claim): the code, whatever the subject
    ('waive R001 total "the report rounds"', "R001"),
    ('waive R001 "the report rounds"', "R001"),
])
def test_w001_underlines_the_part_of_the_waiver_that_names_nothing(tmp_path, waiver, part):
    path = model(tmp_path, IMBALANCED + waiver + "\n")
    outcome = run_check(path)
    [w001] = [d for d in outcome.diagnostics if d.code == "W001"]
    text = path.read_text(encoding="utf-8")
    line, column = _line_of(text, waiver)
    column += waiver.index(" " + part + " " if " " + part + " " in waiver else " " + part) + 1
    assert (w001.span.line, w001.span.column, w001.span.end_line, w001.span.end_column) == (
        line, column, line, column + len(part))
    # The JSON lists the waiver with the span of its whole line, as before, and no more fields.
    data = json.loads(cli("check", "--format", "json", path).stdout)
    jsonschema.validate(data, CHECK_SCHEMA)
    [listed] = data["waivers"]
    assert (listed["span"]["column"], listed["span"]["end_column"]) == (len("waive ") + 1, len(waiver) + 1)
    assert "code_span" not in listed and "subject_span" not in listed


def test_a_waived_error_does_not_fail_the_check(tmp_path):
    body = CLEAN + 'claim total = 0.35 kg CO2e\nwaive R001 total "the report rounds its inputs up"\n'
    outcome = run_check(model(tmp_path, body))
    assert outcome.exit_code == 0 and [w.diagnostic.code for w in outcome.waived] == ["R001"]
    assert outcome.runs[0].outcomes["R001"].status == "waived"


def test_a_waiver_names_a_parameter_as_its_subject(tmp_path):
    # D008 reports a parameter: `waive D008 melt_loss` silences it (it was compared with "param", so
    # W001 called the waiver stale and its help listed `param` as what D008's findings are about).
    body = CLEAN + 'param melt_loss = 3 %\nwaive D008 melt_loss "kept for the next revision"\n'
    outcome = run_check(model(tmp_path, body))
    assert [w.diagnostic.code for w in outcome.waived] == ["D008"]
    assert not [d for d in outcome.diagnostics if d.code in ("D008", "W001")]


# ------------------------------------------------------------------ outputs and exit codes


def test_exit_codes(tmp_path, monkeypatch):
    assert cli("check", model(tmp_path, CLEAN)).exit_code == 0
    assert cli("check", model(tmp_path, CLEAN + "claim total = 0.35 kg CO2e\n")).exit_code == 1
    bad = tmp_path / "bad.pcf"
    bad.write_text("process p {\n  product out 1 t\n}\n", encoding="utf-8")
    assert cli("check", bad).exit_code == 2

    import pcf_dsl.rules.m001_mass_balance as m001

    def broken(ctx):
        raise RuntimeError("a bug in a rule")

    monkeypatch.setattr(m001, "check", broken)
    from pcf_dsl.rules import registry

    registry.cache_clear()
    try:
        run = cli("check", model(tmp_path, CLEAN))
    finally:
        monkeypatch.undo()
        registry.cache_clear()
    assert run.exit_code == 3 and "internal error" in run.output and "Traceback" not in run.output


def test_text_output_summary_and_colour_only_on_a_terminal(tmp_path):
    path = model(tmp_path, IMBALANCED)
    plain = CliRunner().invoke(main, ["check", str(path)])
    assert "\x1b[" not in plain.output
    last = plain.output.strip().splitlines()[-1]
    # 1.3 t x 17.6 = 22.88 kg CO2e per kg of billet
    assert last == f"{path}: 0 errors, 1 warning, 1 note, 0 waived (iso_14067_2018); 22.8800 kg CO2e per declared unit"
    coloured = CliRunner().invoke(main, ["check", str(path)], color=True)
    assert "\x1b[" in coloured.output and "warning[M001]" in click_unstyle(coloured.output)
    quiet = CliRunner().invoke(main, ["check", "--min-severity", "warning", str(path)])
    assert "info[" not in quiet.output and "(1 below warning not shown)" in quiet.output


def test_text_off_a_terminal_is_the_coloured_text_unstyled(tmp_path):
    """Off a terminal the text is made without colour codes (not styled, then stripped by click.echo):
    the same characters as the coloured text with its codes stripped, to standard output and to `-o`."""
    path = model(tmp_path, IMBALANCED)
    coloured = CliRunner().invoke(main, ["check", str(path)], color=True)
    plain = CliRunner().invoke(main, ["check", str(path)])
    assert "\x1b[" in coloured.output and "\x1b[" not in plain.output
    assert plain.output == click_unstyle(coloured.output)
    written = CliRunner().invoke(main, ["check", str(path), "-o", str(tmp_path / "out.txt")], color=True)
    assert written.exit_code == plain.exit_code
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == plain.output


def click_unstyle(text: str) -> str:
    import click

    return click.unstyle(text)


def test_json_output_follows_its_schema_and_is_deterministic(tmp_path):
    path = model(tmp_path, IMBALANCED + 'waive M001 casting "returned scrap"\nwaive D003 "no such finding"\n')
    first = cli("check", "--format", "json", path)
    second = cli("check", "--format", "json", path)
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    jsonschema.validate(data, CHECK_SCHEMA)
    assert data["schema"] == "pcf-check/1" and data["exit_code"] == 0
    assert data["total"]["value"] == pytest.approx(1.3 * 17.6, rel=1e-12)
    assert [w["used"] for w in data["waivers"]] == [True, False]
    assert [d["code"] for d in data["diagnostics"] if d["severity"] == "warning"] == ["W001"]


def test_invalid_input_json_follows_the_schema(tmp_path):
    bad = tmp_path / "bad.pcf"
    bad.write_text("process p {\n  stage production\n  product out 1 t\n  input s 1 t from nowhere\n}\n",
                   encoding="utf-8")
    run = cli("check", "--format", "json", bad)
    assert run.exit_code == 2
    data = json.loads(run.stdout)
    jsonschema.validate(data, CHECK_SCHEMA)
    assert data["valid"] is False and data["diagnostics"][0]["code"] == "E202"
    assert data["diagnostics"][0]["span"]["line"] == 4 and data["diagnostics"][0]["rule"] is None


def test_a_library_file_is_valid_with_nothing_to_verify():
    run = cli("check", ROOT / "models" / "profiles" / "pas_2050_2011.pcf")
    assert run.exit_code == 0 and "a library file" in run.output


def test_api_check_returns_the_findings(tmp_path):
    import pcf_dsl

    diagnostics = pcf_dsl.check(model(tmp_path, CLEAN + "claim total = 0.35 kg CO2e\n"))
    assert [d.code for d in diagnostics if d.severity.value == "error"] == ["R001"]


def test_unit_errors_come_through_the_same_outputs(tmp_path):
    path = tmp_path / "units.pcf"
    path.write_text(HEAD.format(standards="") + '''
process casting {
  stage   production
  product billet 1 t
  input   electricity 500 kg from grid
}
''', encoding="utf-8")
    text = cli("check", path)
    assert text.exit_code == 2 and "error[E401]" in text.output and "invalid, 1 error" in text.output
    data = json.loads(cli("check", "--format", "json", path).stdout)
    jsonschema.validate(data, CHECK_SCHEMA)
    (e401,) = data["diagnostics"]
    line = path.read_text(encoding="utf-8").splitlines().index("  input   electricity 500 kg from grid") + 1
    assert (e401["code"], e401["severity"], e401["span"]["line"]) == ("E401", "error", line)
    sarif = json.loads(cli("check", "--format", "sarif", path).stdout)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["E401"]


def test_profile_option_accepts_a_std_path(tmp_path):
    outcome = run_check(model(tmp_path, CLEAN), profile="std:profiles/pact_v3.pcf")
    assert [p.name for p in outcome.profiles] == ["pact_v3"]
    assert outcome.profiles[0].chain == ["base", "pact_v3"]

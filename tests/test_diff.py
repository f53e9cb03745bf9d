"""`pcf diff`: the semantic changes between two versions and the footprint effect of each, by hand calculation."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import pcf_dsl
from pcf_dsl.cli import main
from pcf_dsl.diff import diff_models, to_json, to_markdown, to_text

ROOT = Path(__file__).resolve().parent.parent
BILLET = ROOT / "examples" / "aluminium_billet"
TOL = 1e-9  # kg CO2e per kg: the hand calculations below are exact decimal products


def _edit_reference(folder: Path) -> None:
    """The second version: a factor updated, a flow added, a stage excluded (its one flow and claims removed)."""
    factors = (folder / "factors.pcf").read_text(encoding="utf-8")
    old_line = 'factor aluminium_ingot "铝锭 / aluminium ingot" = 17.610 t CO2e / t {'
    assert old_line in factors
    factors = factors.replace(old_line, old_line.replace("17.610", "18.000") + "\n  year      2024")
    (folder / "factors.pcf").write_text(factors, encoding="utf-8")
    model = (folder / "aluminium_billet.pcf").read_text(encoding="utf-8")
    model = model.replace("  include inbound_transport\n", "")
    model = model.replace("  exclude end_of_life ", '  exclude inbound_transport "delivered by the suppliers"\n'
                                                    "  exclude end_of_life ")
    start = model.index("  # Transport of purchased raw materials")
    model = model[:start] + model[model.index("  # In-plant transport"):]
    model = re.sub(r"claim flow casting\.inbound_transport = [0-9.]+ kg CO2e\n", "", model)
    model = model.replace("  input liquid_nitrogen", '  input packaging_film "包装膜 / packaging film" 0.001 t '
                                                    "from ef.plastic_wrapping_film {\n"
                                                    "    stage raw_material_acquisition\n  }\n  input liquid_nitrogen")
    (folder / "aluminium_billet.pcf").write_text(model, encoding="utf-8")


@pytest.fixture
def versions(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
        for name in ("aluminium_billet.pcf", "factors.pcf"):
            shutil.copy(BILLET / name, folder / name)
    _edit_reference(new)
    return old / "aluminium_billet.pcf", new / "aluminium_billet.pcf"


def test_reference_model_three_changes_attributed_by_hand(versions):
    old, new = (pcf_dsl.load(p) for p in versions)
    diff = diff_models(old, new)
    by_name = {c.title: c for c in diff.changes}

    # Per kg of billet (the model's activity data are per tonne of billet, the factors per tonne of material):
    # aluminium ingot, 0.58962 t per t of billet, factor 17.610 -> 18.000 t CO2e / t
    ingot = 0.58962 * (18.000 - 17.610)            # t CO2e per t billet = kg CO2e per kg = 0.2299518
    # packaging film added, 0.001 t per t of billet, factor 3.102 t CO2e / t
    film = 0.001 * 3.102                           # 0.003102
    # inbound transport removed with its stage: 409.93 t*km per t of billet, 0.04902 kg CO2e / (t*km)
    transport = -409.93 * 0.04902 / 1000           # kg CO2e per kg = -0.0200947686
    assert ingot == pytest.approx(0.2299518, abs=1e-12) and transport == pytest.approx(-0.0200947686, abs=1e-12)

    factor = by_name["factor ef.aluminium_ingot changed"]
    assert factor.effect.total == pytest.approx(ingot, abs=TOL)
    assert factor.effect.by_stage == pytest.approx({"raw_material_acquisition": ingot}, abs=TOL)
    assert [(f.name, f.old, f.new) for f in factor.fields] == [
        ("value", "17.610 t CO2e / t", "18.000 t CO2e / t"), ("year", "(none)", "2024")]

    added = by_name["flow casting.packaging_film added"]
    assert added.effect.total == pytest.approx(film, abs=TOL)
    assert added.effect.by_stage == pytest.approx({"raw_material_acquisition": film}, abs=TOL)

    removed = by_name["flow casting.inbound_transport removed"]
    assert removed.effect.total == pytest.approx(transport, abs=TOL)
    assert removed.effect.by_stage == pytest.approx({"inbound_transport": transport}, abs=TOL)

    stage = by_name["boundary stage inbound_transport changed"]
    assert [(f.name, f.old, f.new) for f in stage.fields] == [
        ("included", "yes", "no"), ("reason", "(none)", '"delivered by the suppliers"')]
    assert stage.effect.total == 0  # compute counts what the processes hold; the removed flow carries the effect
    assert {"claim flow casting.inbound_transport removed", "claim flow casting.inbound_transport #2 removed"} <= set(by_name)

    # The total: old 11.2206 (README), new by the three hand-calculated parts; independent changes do not interact.
    assert diff.old.total == pytest.approx(11.2206, abs=5e-5)
    assert diff.delta.total == pytest.approx(ingot + film + transport, abs=TOL)
    assert diff.new.total - diff.old.total == pytest.approx(0.2129590314, abs=TOL)
    assert diff.interaction.total == 0
    assert diff.delta.by_stage == pytest.approx({"raw_material_acquisition": ingot + film,
                                                 "inbound_transport": transport}, abs=TOL)
    # Largest effect first.
    assert [c.title for c in diff.changes[:3]] == ["factor ef.aluminium_ingot changed",
                                                  "flow casting.inbound_transport removed",
                                                  "flow casting.packaging_film added"]
    # The parts add up to the change exactly, in total and per stage.
    parts = sum(c.effect.total for c in diff.changes if c.effect) + diff.interaction.total
    assert parts == pytest.approx(diff.delta.total, abs=1e-12)


SMALL = """\
import "std:gwp/ipcc_ar6.pcf" as ipcc

study "small" {{
  declared_unit 1 kg of p.out
  gwp           ipcc.ar6
}}

param amount = {amount}

factor f = {factor} kg CO2e / kg

process p {{
  stage   production
  product out 1 kg
  input   x   amount from f
}}
{extra}
claim total = {claim} kg CO2e
"""


def _small(tmp_path, name, amount="2 kg", factor="3", extra="", claim="6"):
    path = tmp_path / name
    path.write_text(SMALL.format(amount=amount, factor=factor, extra=extra, claim=claim), encoding="utf-8")
    return pcf_dsl.load(path)


def test_interaction_of_an_amount_and_its_factor(tmp_path):
    old = _small(tmp_path, "old.pcf")                              # 2 kg x 3 = 6
    new = _small(tmp_path, "new.pcf", amount="4 kg", factor="6")   # 4 kg x 6 = 24
    diff = diff_models(old, new)
    rows = {c.title: c for c in diff.changes}
    assert diff.delta.total == pytest.approx(18.0, abs=TOL)
    assert rows["factor f changed"].effect.total == pytest.approx(2 * (6 - 3), abs=TOL)     # +6
    assert rows["flow p.x changed"].effect.total == pytest.approx((4 - 2) * 3, abs=TOL)     # +6
    # The parameter's effect is in the flow that uses it: its own row has none.
    assert rows["param amount changed"].effect.total == 0
    assert diff.interaction.total == pytest.approx((4 - 2) * (6 - 3), abs=TOL)             # +6 = 18 - 6 - 6
    assert diff.interaction.by_stage == pytest.approx({"production": 6.0}, abs=TOL)


def test_a_change_that_needs_another_counts_in_the_interaction(tmp_path):
    supplier = "\nprocess q {\n  stage   production\n  product part 1 kg\n  input   y    5 kg from f\n}\n"
    old = _small(tmp_path, "old.pcf")
    new_text = SMALL.format(amount="2 kg", factor="3", extra=supplier, claim="6").replace(
        "  input   x   amount from f\n", "  input   x   amount from f\n  input   z   1 kg from q.part\n")
    (tmp_path / "new.pcf").write_text(new_text, encoding="utf-8")
    new = pcf_dsl.load(tmp_path / "new.pcf")
    diff = diff_models(old, new)
    rows = {c.title: c for c in diff.changes}
    assert diff.delta.total == pytest.approx(1 * 5 * 3, abs=TOL)          # 1 kg of q.part, 5 kg x 3 each
    assert rows["process q added"].effect.total == 0                         # nothing uses it alone
    assert rows["flow p.z added"].effect is None                             # its supplier does not exist alone
    assert "cannot be computed with this change alone" in rows["flow p.z added"].note
    assert diff.interaction.total == pytest.approx(15.0, abs=TOL)


def test_layout_and_comments_are_not_changes(tmp_path):
    old = _small(tmp_path, "old.pcf")
    text = (tmp_path / "old.pcf").read_text(encoding="utf-8")
    (tmp_path / "new.pcf").write_text("# a comment\n" + text.replace("  ", "    ").replace("\n\n", "\n"),
                                      encoding="utf-8")
    diff = diff_models(old, pcf_dsl.load(tmp_path / "new.pcf"))
    assert diff.changes == [] and diff.delta.total == 0
    assert "no semantic changes" in to_text(diff)


def test_claim_change_has_no_effect(tmp_path):
    diff = diff_models(_small(tmp_path, "old.pcf"), _small(tmp_path, "new.pcf", claim="6.0"))
    [change] = diff.changes
    assert change.title == "claim total changed"
    assert [(f.name, f.old, f.new) for f in change.fields] == [("text", "6", "6.0")]
    assert change.effect.total == 0


def test_outputs_text_json_markdown(versions):
    diff = diff_models(*(pcf_dsl.load(p) for p in versions), "v1", "v2")
    text = to_text(diff)
    assert "footprint: 11.220582 -> 11.433541 kg CO2e per 1 kg (+0.212959, +1.90 %)" in text
    assert "+0.229952  factor ef.aluminium_ingot changed: value 17.610 t CO2e / t -> 18.000 t CO2e / t" in text
    data = to_json(diff)
    assert json.loads(json.dumps(data)) == data
    assert data["changes"][0]["effect"]["total"] == pytest.approx(0.2299518, abs=TOL)
    md = to_markdown(diff)
    assert "| **total** (kg CO2e per 1 kg) | 11.220582 | 11.433541 | **+0.212959** (+1.90 %) |" in md
    assert "| +0.229952 | factor ef.aluminium_ingot changed |" in md
    assert to_text(diff) == text  # deterministic


def test_the_example_of_docs_version_control_is_the_output(versions, monkeypatch):
    """docs/version-control.md shows `pcf diff` of these two versions: it is the command's output."""
    doc = (ROOT / "docs" / "version-control.md").read_text(encoding="utf-8")
    shown = re.search(r"```\n(pcf diff old/aluminium_billet\.pcf -> .*?)```", doc, flags=re.S).group(1)
    monkeypatch.chdir(versions[0].parent.parent)
    result = CliRunner().invoke(main, ["diff", "old/aluminium_billet.pcf", "new/aluminium_billet.pcf"])
    assert result.exit_code == 0, result.output
    assert result.stdout == shown


def test_cli_old_new(versions):
    result = CliRunner().invoke(main, ["diff", *map(str, versions), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["footprint"]["change"]["total"] == pytest.approx(0.2129590314, abs=TOL)
    assert CliRunner().invoke(main, ["diff", str(versions[0])]).exit_code == 2


def _git(cwd, *args):
    subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_cli_git_revision(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "billet").mkdir(parents=True)
    for name in ("aluminium_billet.pcf", "factors.pcf"):
        shutil.copy(BILLET / name, repo / "billet" / name)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "v1")
    _edit_reference(repo / "billet")
    monkeypatch.chdir(repo)
    # Without PATH: the model that imports the changed factors file is found and compared.
    result = CliRunner().invoke(main, ["diff", "--git", "HEAD", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert "`HEAD:billet/aluminium_billet.pcf` → `billet/aluminium_billet.pcf`" in result.stdout
    assert "**+0.212959**" in result.stdout
    # With PATH, as JSON.
    result = CliRunner().invoke(main, ["diff", "--git", "HEAD", "billet/aluminium_billet.pcf", "--format", "json"])
    assert json.loads(result.stdout)["footprint"]["change"]["total"] == pytest.approx(0.2129590314, abs=TOL)
    _git(repo, "commit", "-qam", "v2")
    result = CliRunner().invoke(main, ["diff", "--git", "HEAD"])
    assert result.stdout == "no model changed since HEAD\n"
    result = CliRunner().invoke(main, ["diff", "--git", "no-such-branch"])
    assert result.exit_code == 2 and "not a commit, branch or tag" in result.output


def test_a_change_is_shown_with_the_digits_that_changed(tmp_path):
    # The values were shown with 6 significant digits: a parameter moved from 0.5896211 to
    # 0.5896214 read "value 0.589621 -> 0.589621", and a factor written with a parameter showed
    # the same text on both sides. Each side now shows what differs.
    text = ('study "s" {{\n  declared_unit 1 kg of p.out\n}}\n'
            'param share = {share}\n'
            'factor f = 17.610 t CO2e / t\n'
            'factor f2 = share * 2 kg CO2e / kg\n'
            'process p {{\n  stage   production\n  product out 1 t\n'
            '  input   a share * 1 t from f\n  input   b 1 kg from f2\n}}\n')
    for name, share in (("old.pcf", "0.5896211"), ("new.pcf", "0.5896214")):
        (tmp_path / name).write_text(text.format(share=share), encoding="utf-8")
    diff = diff_models(pcf_dsl.load(tmp_path / "old.pcf"), pcf_dsl.load(tmp_path / "new.pcf"))
    rows = {c.title: [(f.name, f.old, f.new) for f in c.fields] for c in diff.changes}
    assert rows["param share changed"] == [("value", "0.5896211", "0.5896214")]
    assert rows["flow p.a changed"] == [("amount", "0.5896211 t", "0.5896214 t")]
    assert rows["factor f2 changed"] == [("value", "share * 2 kg CO2e / kg (= 1.1792422 CO2e)",
                                         "share * 2 kg CO2e / kg (= 1.1792428 CO2e)")]  # kg per kg: as stored
    # The effects, by hand, per kg of product (per 1 t / 1000): 0.0000003 t x 17.610 t CO2e/t, and
    # 1 kg x 0.0000006 kg CO2e/kg.
    changes = {c.title: c for c in diff.changes}
    assert changes["flow p.a changed"].effect.total == pytest.approx(0.0000003 * 17.610, abs=1e-12)
    assert changes["factor f2 changed"].effect.total == pytest.approx(0.0000006 / 1000, abs=1e-15)


def test_a_change_that_cannot_be_computed_alone_says_why_in_words(tmp_path):
    # Renaming a process (or a factor) is a removal, an addition and a changed reference; each
    # applied alone leaves a reference to nothing. The note showed a Python error
    # (`KeyError: 'waste_handling.treated'`); it now says which line names what, and why it is missing.
    old = _small(tmp_path, "old.pcf")
    text = SMALL.format(amount="2 kg", factor="3", extra="", claim="6")
    renamed = (text.replace("of p.out", "of r.out").replace("process p {", "process r {")
               .replace("factor f =", "factor f2 =").replace("amount from f", "amount from f2"))
    (tmp_path / "new.pcf").write_text(renamed, encoding="utf-8")
    diff = diff_models(old, pcf_dsl.load(tmp_path / "new.pcf"))
    notes = {c.title: c.note for c in diff.changes if c.effect is None}
    tail = "no effect of its own: the model cannot be computed with this change alone "
    assert notes == {
        "study changed": tail + "(the declared unit is of r.out, which only another change in the diff adds)",
        "process p removed": tail + "(the declared unit is of p.out, which this change removes)",
        "process r added": tail + "(flow r.x uses factor f2, which only another change in the diff adds)",
        "factor f removed": tail + "(flow p.x uses factor f, which this change removes)",
    }
    assert "Error" not in to_text(diff)
    # The footprint is the same (2 kg x 3), all of it in no row: the interaction is 0.
    assert diff.delta.total == pytest.approx(0.0, abs=TOL) and diff.interaction.total == pytest.approx(0.0, abs=TOL)


def test_a_small_effect_does_not_read_as_zero(tmp_path):
    # Effects were printed with 6 decimals: a factor moved by 6e-10 kg CO2e/kg showed `+0.000000`,
    # as if it did nothing. A value 6 decimals round to 0 keeps 3 significant digits; the others
    # keep the 6-decimal layout of docs/version-control.md.
    old = _small(tmp_path, "old.pcf")                                     # 2 kg x 3
    new = _small(tmp_path, "new.pcf", factor="3.0000000003", claim="6.0000000006")
    diff = diff_models(old, new)
    effect = 2 * 0.0000000003                                             # 6e-10 kg CO2e, by hand
    assert diff.delta.total == pytest.approx(effect, rel=1e-4)
    text = to_text(diff)
    assert "footprint: 6.000000 -> 6.000000 kg CO2e per 1 kg (+6e-10, +1e-08 %)" in text  # 6e-10 / 6
    assert "    +6e-10  factor f changed: value 3 kg CO2e / kg -> 3.0000000003 kg CO2e / kg" in text
    assert "| +6e-10 | factor f changed |" in to_markdown(diff)
    # Values of a readable size keep their layout; a stage that went to 0 still reads 0.000000.
    from pcf_dsl.diff import _fixed, _num
    assert (_num(0.2299518), _num(-0.0200947686), _num(0.0), _num(-4e-7)) == ("+0.229952", "-0.020095", "0", "-4e-07")
    assert (_fixed(0.0), _fixed(11.2205816), _fixed(5.1e-7)) == ("0.000000", "11.220582", "0.000001")


def test_a_share_is_shown_as_a_percentage_as_the_model_writes_it(tmp_path):
    # The cut-off thresholds and allocation shares are kept as fractions: the diff showed
    # `per_flow 0.01 -> 0.02` where the file says `per_flow 1 %`.
    text = ('study "s" {{\n  declared_unit 1 kg of p.out\n}}\n'
            'cutoff {{\n  per_flow {per_flow}\n}}\n'
            'factor f = 10 kg CO2e / kg\n'
            'process p {{\n  stage   production\n  product out 1 kg\n  product side 1 kg\n'
            '  input   a 1 kg from f\n  allocation mass {{\n    share out {share}\n    share side {rest}\n  }}\n}}\n')
    for name, per_flow, share, rest in (("old.pcf", "1 %", "85 %", "15 %"), ("new.pcf", "2.5 %", "80 %", "20 %")):
        (tmp_path / name).write_text(text.format(per_flow=per_flow, share=share, rest=rest), encoding="utf-8")
    diff = diff_models(pcf_dsl.load(tmp_path / "old.pcf"), pcf_dsl.load(tmp_path / "new.pcf"))
    rows = {c.title: [(f.name, f.old, f.new) for f in c.fields] for c in diff.changes}
    assert rows["cutoff changed"] == [("per_flow", "1 %", "2.5 %")]
    assert rows["allocation of p changed"] == [("share", "out 85 %, side 15 %", "out 80 %, side 20 %")]
    # The footprint follows the share, by hand: 1 kg x 10 kg CO2e/kg x 85 % -> x 80 %.
    assert diff.delta.total == pytest.approx(10 * (0.80 - 0.85), abs=TOL)
    assert "cutoff changed: per_flow 1 % -> 2.5 %" in to_text(diff)


def test_a_cut_off_line_s_reason_is_written_as_the_language_writes_it(tmp_path):
    """A reason with quotes of its own (`below "1 %"`) was printed between quotes as it was, so the line
    read as a reason `below ` and a stray `1 %`; it is now escaped as in the model file."""
    text = ('study "s" {{\n  declared_unit 1 kg of p.out\n}}\n'
            'factor f = 10 kg CO2e / kg\n'
            'process p {{\n  stage   production\n  product out 1 kg\n  input   a 1 kg from f\n{extra}}}\n')
    (tmp_path / "old.pcf").write_text(text.format(extra=""), encoding="utf-8")
    (tmp_path / "new.pcf").write_text(text.format(extra='  input   tape 1 g cutoff "below \\"1 %\\" of mass"\n'),
                                      encoding="utf-8")
    diff = diff_models(pcf_dsl.load(tmp_path / "old.pcf"), pcf_dsl.load(tmp_path / "new.pcf"))
    rows = {c.title: [(f.name, f.old, f.new) for f in c.fields] for c in diff.changes}
    assert rows["flow p.tape added"] == [("line", "(none)", 'input tape 1 g cutoff "below \\"1 %\\" of mass"')]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_cli_git_old_version_invalid_exits_2_naming_the_revision(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(BILLET / "factors.pcf", repo / "factors.pcf")
    text = (BILLET / "aluminium_billet.pcf").read_text(encoding="utf-8")
    (repo / "m.pcf").write_text(text + "oops\n", encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "v1")
    (repo / "m.pcf").write_text(text, encoding="utf-8")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["diff", "--git", "HEAD", "m.pcf"])
    # Invalid input is exit 2 (docs/verification.md), not 1 (findings at error level); the old file
    # is named as `REV:path` with its line shown, not by the temporary folder it was written to.
    assert result.exit_code == 2, result.output
    line = text.count("\n") + 1
    assert f"--> HEAD:m.pcf:{line}:1" in result.output
    assert f"{line} | oops" in result.output
    assert "pcf-diff-" not in result.output
    assert "the old version HEAD:m.pcf is not a valid model" in result.output


def test_an_element_added_or_removed_reads_as_the_language_writes_it(tmp_path):
    # A removed or added element showed the model's fields: `factor ef.copper removed: name=ef.copper,
    # label=铜 / copper, components=5.795 t CO2e / t, ...`, a process only its flow names. Each now reads
    # as its statement in a model file, without its name (which is in the title).
    folder_old, folder_new = tmp_path / "old", tmp_path / "new"
    for folder in (folder_old, folder_new):
        folder.mkdir()
        for name in ("aluminium_billet.pcf", "factors.pcf"):
            shutil.copy(BILLET / name, folder / name)
    factors = (folder_new / "factors.pcf").read_text(encoding="utf-8")
    (folder_new / "factors.pcf").write_text(factors.replace("factor copper ", "factor copper_x "), encoding="utf-8")
    model = (folder_new / "aluminium_billet.pcf").read_text(encoding="utf-8")
    (folder_new / "aluminium_billet.pcf").write_text(model.replace("from ef.copper {", "from ef.copper_x {"),
                                                     encoding="utf-8")
    diff = diff_models(pcf_dsl.load(folder_old / "aluminium_billet.pcf"), pcf_dsl.load(folder_new / "aluminium_billet.pcf"))
    text = to_text(diff)
    assert ('factor ef.copper removed: "铜 / copper" = 5.795 t CO2e / t, source "CPCD (copper)", geography CN'
            in text)
    assert 'factor ef.copper_x added: "铜 / copper" = 5.795 t CO2e / t, source "CPCD (copper)", geography CN' in text
    assert "name=" not in text and "components" not in text
    # A rename changes nothing: 0.0005 t x 5.795 t CO2e/t per t of billet both ways.
    assert diff.delta.total == 0 and diff.interaction.total == 0

    # Every other kind of element, added (and, the other way round, removed).
    old = _small(tmp_path, "s_old.pcf")
    extra = ('gwp_set ar5 "IPCC AR5" {\n  source "IPCC AR5"\n  year 2013\n  CO2 1\n  CH4_fossil 28\n}\n'
             'stage extra "my stage"\nboundary custom {\n  include production\n  include extra\n'
             '  exclude use "not used"\n}\n'
             'cutoff {\n  basis emissions\n  per_flow 1 %\n}\n'
             'param haul = 34 t*km\n'
             'factor gasf "combustion" {\n  gas 1.88 kg CO2 / m3\n  gas 0.0001 kg CH4_fossil / m3\n'
             '  source "IPCC"\n  year 2006\n}\n'
             'process q "supplier" {\n  stage extra\n  geography CN\n  note "a note"\n  product o 1 kg\n'
             '  input z 1 kg from f {\n    stage production\n  }\n}\n'
             'claim stage production = 6.0 kg CO2e {\n  source "Table 2"\n}\n'
             'waive M001 p "because"\n'
             'profile mine "my profile" {\n  rule C002 error\n  set cutoff.per_flow = 0.5 %\n}\n')
    new = _small(tmp_path, "s_new.pcf", extra=extra)
    forward = {c.title: _fields_shown(c) for c in diff_models(old, new).changes}
    assert forward == {
        "gwp_set ar5 added": '"IPCC AR5", source "IPCC AR5", year 2013, CO2 1, CH4_fossil 28',
        "boundary added": "custom",
        "boundary stage extra added": 'stage extra "my stage", include extra',
        "boundary stage production changed": "included (none) -> yes",
        "boundary stage use changed": 'included (none) -> no; reason (none) -> "not used"',
        "cutoff added": "basis emissions, per_flow 1 %",
        "param haul added": "= 34 t km",
        "factor gasf added": '"combustion", gas 1.88 kg CO2 / m3, gas 0.0001 kg CH4_fossil / m3, source "IPCC", year 2006',
        "process q added": '"supplier", stage extra, geography CN, note "a note"; product o 1 kg; '
                           "input z 1 kg from f (stage production)",
        "claim stage production added": '= 6.0 kg CO2e, source "Table 2"',
        "waiver M001 p added": '"because"',
        "profile mine added": '"my profile", rule C002 error, set cutoff.per_flow = 0.5 %',
    }
    backward = {c.title: _fields_shown(c) for c in diff_models(new, old).changes}
    assert {t.replace(" removed", " added"): v for t, v in backward.items() if t.endswith(" removed")} == {
        t: v for t, v in forward.items() if t.endswith(" added")}


def _fields_shown(change) -> str:
    from pcf_dsl.diff import _fields_text
    return _fields_text(change)


def test_the_relative_change_of_a_negative_total_has_the_sign_of_the_change(tmp_path):
    # With removals larger than the emissions, the relative change was divided by the negative old
    # total: -1.5 to -0.5 kg CO2e (+1.0) printed "-66.67 %". It is relative to the total's size.
    old = _small(tmp_path, "old.pcf", factor="-0.75", claim="-1.5")     # 2 kg x -0.75 = -1.5
    new = _small(tmp_path, "new.pcf", factor="-0.25", claim="-0.5")     # 2 kg x -0.25 = -0.5
    diff = diff_models(old, new)
    relative = 100 * (-0.5 - -1.5) / 1.5                                 # +66.666... % of the old size
    assert diff.delta.total == pytest.approx(1.0, abs=TOL)
    assert f"footprint: -1.500000 -> -0.500000 kg CO2e per 1 kg (+1.000000, +{relative:.2f} %)" in to_text(diff)
    assert "+66.67 %" in to_markdown(diff)
    back = diff_models(new, old)                                         # -0.5 to -1.5: -200 % of 0.5
    assert f"(-1.000000, {100 * -1.0 / 0.5:+.2f} %)" in to_text(back)
    # A tiny change over a negative total: neither "-0.00 %" nor "+0.00 %".
    tiny = diff_models(old, _small(tmp_path, "tiny.pcf", factor="-0.7499999999", claim="-1.5"))
    assert tiny.delta.total == pytest.approx(2e-10, rel=1e-4)             # 2 kg x 1e-10
    assert f"(+2e-10, +{100 * 2e-10 / 1.5:.3g} %)" in to_text(tiny)      # +1.33e-08 %


def test_a_unit_that_no_longer_fits_alone_is_said_in_words(tmp_path):
    # A factor moved from per kg to per kWh together with the flow that uses it: each change alone
    # leaves kg x (kg CO2e / kWh), which the unit library refused with a Python error in the note
    # (`DimensionalityError: Cannot convert from 'kilogram ** 2 / kilowatt_hour' ...`). The note now
    # gives the words of the check that refuses such a model when it is loaded (E401).
    old = _small(tmp_path, "old.pcf")                                                # 2 kg x 3 = 6
    new = _small(tmp_path, "new.pcf", amount="2 kWh", factor="3 kg CO2e / kWh #")
    diff = diff_models(old, new)
    notes = {c.title: c.note for c in diff.changes if c.effect is None}
    tail = "no effect of its own: the model cannot be computed with this change alone "
    assert notes == {
        "factor f changed": tail + "(flow p.x: `x` is amount, but the factor `f` is 3 kg CO2e / kWh (per kWh): "
                                   "amount × factor is not a mass of CO2e)",
        "flow p.x changed": tail + "(flow p.x: `x` is amount, but the factor `f` is 3 kg CO2e / kg "
                                   "(per unit of mass): amount × factor is not a mass of CO2e)",
    }
    assert diff.delta.total == pytest.approx(2 * 3 - 2 * 3, abs=TOL) and diff.interaction.total == 0

    # The same for a supplier's product and for the declared unit.
    supplier = "\nprocess q {\n  stage   production\n  product part 1 kg\n  input   y    5 kg from f\n}\n"
    base = SMALL.format(amount="2 kg", factor="3", extra=supplier, claim="21").replace(
        "  input   x   amount from f\n", "  input   x   amount from f\n  input   z   1 kg from q.part\n")
    (tmp_path / "o2.pcf").write_text(base, encoding="utf-8")
    moved = (base.replace("product part 1 kg", "product part 1 kWh").replace("input   y    5 kg", "input   y    5 kWh")
             .replace("z   1 kg from", "z   1 kWh from").replace("= 3 kg CO2e / kg", "= 3 kg CO2e / kWh")
             .replace("input   x   amount from f\n", ""))  # x (2 kg) would not fit the factor per kWh
    (tmp_path / "n2.pcf").write_text(moved, encoding="utf-8")
    notes = {c.title: c.note for c in diff_models(pcf_dsl.load(tmp_path / "o2.pcf"),
                                                   pcf_dsl.load(tmp_path / "n2.pcf")).changes if c.effect is None}
    assert notes["flow p.z changed"] == tail + ("(flow p.z: `z` is 1 kWh but `q` makes `part` in kg: "
                                                "the units do not fit)")
    du_new = SMALL.format(amount="2 kg", factor="3", extra="", claim="6").replace(
        "declared_unit 1 kg of p.out", "declared_unit 1 kWh of p.out").replace("product out 1 kg", "product out 1 kWh")
    (tmp_path / "n3.pcf").write_text(du_new, encoding="utf-8")
    notes = {c.title: c.note for c in diff_models(old, pcf_dsl.load(tmp_path / "n3.pcf")).changes if c.effect is None}
    assert notes == {
        "study changed": tail + "(the declared unit (1 kWh) and the product `out` (1 kg) are not the same kind of quantity)",
        "flow p.out changed": tail + "(the declared unit (1 kg) and the product `out` (1 kWh) are not the same kind "
                                     "of quantity)",
    }
    assert "Error" not in "".join(notes.values())


def test_a_loop_that_cannot_be_scaled_alone_is_said_in_words(tmp_path):
    # p takes 1 kg of q, q 0.5 kg of p: p runs 1/(1 - 0.5) = 2 times, 2 x 2 kg x 3 = 12 kg CO2e.
    # New: p takes 0.5 kg of q, q 1.5 kg of p: 1/(1 - 0.75) = 4 runs, 24 kg CO2e. q's change alone
    # (1 x 1.5 > 1) takes more than the loop makes: the diagnostic's own words (E520).
    loop = "\nprocess q {{\n  stage   production\n  product o 1 kg\n  input   c {c} from p.out\n}}\n"
    template = SMALL.replace("  input   x   amount from f\n", "  input   x   amount from f\n  input   b {b} from q.o\n")
    for name, b, c in (("old.pcf", "1 kg", "0.5 kg"), ("new.pcf", "0.5 kg", "1.5 kg")):
        text = template.format(amount="2 kg", factor="3", extra=loop.format(c=c), claim="12", b=b)
        (tmp_path / name).write_text(text, encoding="utf-8")
    diff = diff_models(pcf_dsl.load(tmp_path / "old.pcf"), pcf_dsl.load(tmp_path / "new.pcf"))
    assert (diff.old.total, diff.new.total) == (pytest.approx(12.0, abs=TOL), pytest.approx(24.0, abs=TOL))
    rows = {c.title: c for c in diff.changes}
    assert rows["flow p.b changed"].effect.total == pytest.approx(2 * 3 / (1 - 0.5 * 0.5) - 12, abs=TOL)  # 8 - 12
    note = rows["flow q.c changed"].note
    assert note.startswith("no effect of its own: the model cannot be computed with this change alone (the product "
                           "system cannot be scaled to the declared unit: a loop takes more of its products than it makes")
    assert diff.interaction.total == pytest.approx(12 - (8 - 12), abs=TOL)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_cli_git_a_named_model_added_or_deleted_since_rev_exits_2(tmp_path, monkeypatch):
    # `pcf diff --git HEAD new.pcf --format json` for a model not in HEAD ended in an internal
    # error (exit 3: IndexError on the empty list of comparisons); in text it printed "no model
    # changed since HEAD". The model asked for by name has no comparison: an error, exit 2.
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("aluminium_billet.pcf", "factors.pcf"):
        shutil.copy(BILLET / name, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "v1")
    shutil.copy(repo / "aluminium_billet.pcf", repo / "added.pcf")
    monkeypatch.chdir(repo)
    for fmt in ("json", "text", "markdown"):
        result = CliRunner().invoke(main, ["diff", "--git", "HEAD", "added.pcf", "--format", fmt])
        assert result.exit_code == 2, result.output
        assert "added.pcf is not in HEAD: there is no old version to compare with" in result.output
        assert "internal error" not in result.output and "no model changed" not in result.output
    (repo / "aluminium_billet.pcf").unlink()
    result = CliRunner().invoke(main, ["diff", "--git", "HEAD", "aluminium_billet.pcf", "--format", "json"])
    assert result.exit_code == 2, result.output
    assert "aluminium_billet.pcf was deleted since HEAD" in result.output
    # Without PATH, a model added since REV is a remark beside the others, not an error.
    result = CliRunner().invoke(main, ["diff", "--git", "HEAD", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "added.pcf: not in HEAD, nothing to compare with" in result.output


def test_the_version_whose_footprint_cannot_be_computed_is_named(tmp_path):
    # "the footprint cannot be computed: ..." did not say of which version: the old one may be
    # the broken one, and a reviewer reads the note the other way round.
    loop = "\nprocess q {{\n  stage   production\n  product o 1 kg\n  input   c {c} from p.out\n}}\n"
    template = SMALL.replace("  input   x   amount from f\n", "  input   x   amount from f\n  input   b 1 kg from q.o\n")
    for name, c in (("fine.pcf", "0.5 kg"), ("broken.pcf", "1.5 kg")):  # 1 kg x 1.5 kg > 1: no scaling
        text = template.format(amount="2 kg", factor="3", extra=loop.format(c=c), claim="12")
        (tmp_path / name).write_text(text, encoding="utf-8")
    fine, broken = pcf_dsl.load(tmp_path / "fine.pcf"), pcf_dsl.load(tmp_path / "broken.pcf")
    words = "cannot be computed: the product system cannot be scaled to the declared unit"
    assert diff_models(fine, broken).problem.startswith(f"the footprint of the new version {words}")
    assert diff_models(broken, fine).problem.startswith(f"the footprint of the old version {words}")
    assert diff_models(broken, fine).old is None and "note: the footprint of the old version" in to_text(
        diff_models(broken, fine))


def test_a_changed_field_is_named_as_the_language_names_it(tmp_path):
    # Fields of a changed element were named and shown as the model keeps them: `notes hi -> ho`,
    # `rules C002=error -> C002=warning`, `factors CO2=1, CH4_fossil=29.8 -> ...`.
    extra = ('gwp_set mine "mine" {{\n  CO2 1\n  CH4_fossil {ch4}\n}}\n'
             'process q {{\n  stage   production\n  note    "{note}"\n  product o 1 kg\n}}\n'
             'profile strict {{\n  rule C002 {severity}\n}}\n')
    old = _small(tmp_path, "old.pcf", extra=extra.format(ch4="29.8", note="hi", severity="error"))
    new = _small(tmp_path, "new.pcf", extra=extra.format(ch4="29.9", note="ho", severity="warning"))
    rows = {c.title: [(f.name, f.old, f.new) for f in c.fields] for c in diff_models(old, new).changes}
    assert rows == {
        # The builder's own `CO2e 1` entry, which the file does not write, is left out.
        "gwp_set mine changed": [("gases", "CO2 1, CH4_fossil 29.8", "CO2 1, CH4_fossil 29.9")],
        "process q changed": [("note", '"hi"', '"ho"')],
        "profile strict changed": [("rule", "C002 error", "C002 warning")],
    }


def test_an_amount_with_a_share_reads_as_the_amount_and_a_parameter_keeps_its_unit(tmp_path):
    # `(12.0 kg + 2.0 kg) * rate` with a rate of 30 % is 4.2 kg; the diff showed `420 kg %`
    # (pint's number before the share is folded in), and the rate itself as `value 30 -> 20`,
    # without its `%`, where `pcf calc` and the report show 4.2 kg and the model says 30 %.
    text = ('study "s" {{\n  declared_unit 1 kg of p.out\n}}\n'
            'param rate = {rate}\n'
            'param distance = {distance}\n'
            'factor f = 2.29 kg CO2e / kg\n'
            'factor truck = 0.09 kg CO2e / t km\n'
            'process p {{\n  stage   production\n  product out 1 kg\n'
            '  emit    burnt (12.0 kg + 2.0 kg) * rate with f\n'
            '  input   haul 1 t * distance from truck\n}}\n')
    for name, rate, distance in (("old.pcf", "30 %", "300 km"), ("new.pcf", "20 %", "450 km")):
        (tmp_path / name).write_text(text.format(rate=rate, distance=distance), encoding="utf-8")
    diff = diff_models(pcf_dsl.load(tmp_path / "old.pcf"), pcf_dsl.load(tmp_path / "new.pcf"))
    rows = {c.title: [(f.name, f.old, f.new) for f in c.fields] for c in diff.changes}
    # By hand: 14 kg x 30 % = 4.2 kg, x 20 % = 2.8 kg.
    assert rows["flow p.burnt changed"] == [("amount", "4.2 kg", "2.8 kg")]
    assert rows["param rate changed"] == [("value", "30 %", "20 %")]
    assert rows["param distance changed"] == [("value", "300 km", "450 km")]
    assert "param rate changed: value 30 % -> 20 %" in to_text(diff)
    # The effect, by hand: (2.8 - 4.2) kg x 2.29 kg CO2e / kg, and 1 t x 150 km x 0.09 kg CO2e / t km.
    changes = {c.title: c for c in diff.changes}
    assert changes["flow p.burnt changed"].effect.total == pytest.approx(-1.4 * 2.29, abs=TOL)
    assert changes["flow p.haul changed"].effect.total == pytest.approx(150 * 0.09, abs=TOL)


def test_a_change_the_builder_would_refuse_alone_has_no_number(tmp_path):
    # A co-product renamed (side -> side2) with the shares renamed with it. The removal of `side`
    # alone left `share side 40 %` naming nothing: computed as it was, `out` carried 100 % of the
    # 2 kg x 3 = 6 kg CO2e, and the removal was credited with 6 - 0.6 x 6 = +2.4 kg CO2e, the
    # interaction with -2.4, though the footprint did not move. The builder refuses such a model
    # (E321); the diff now says so in its words and gives the change no number.
    text = ('study "s" {{\n  declared_unit 1 kg of p.out\n}}\n'
            '{declare}factor f = 3 kg CO2e / kg\n'
            'process p {{\n  stage   production\n  product out 1 kg\n  product {side} 1 kg\n'
            '  input   a 2 kg from f{stage}\n'
            '  allocation mass {{\n    share out 60 %\n    share {side} 40 %\n  }}\n}}\n')
    (tmp_path / "old.pcf").write_text(text.format(side="side", declare="", stage=""), encoding="utf-8")
    (tmp_path / "new.pcf").write_text(text.format(side="side2", declare='stage prep "Preparation"\n',
                                                        stage=" {\n    stage prep\n  }"), encoding="utf-8")
    old, new = pcf_dsl.load(tmp_path / "old.pcf"), pcf_dsl.load(tmp_path / "new.pcf")
    diff = diff_models(old, new)
    assert (diff.old.total, diff.new.total) == (pytest.approx(0.6 * 2 * 3, abs=TOL), pytest.approx(0.6 * 2 * 3, abs=TOL))
    rows = {c.title: c for c in diff.changes}
    tail = "no effect of its own: the model cannot be computed with this change alone "
    assert rows["flow p.side removed"].effect is None
    assert rows["flow p.side removed"].note == tail + "(process p: `side` is not a product of this process)"
    assert rows["allocation of p changed"].effect is None
    assert rows["allocation of p changed"].note == tail + "(process p: `side2` is not a product of this process)"
    # side2 added alone: a third product without a share, which the builder accepts (it carries 0 %).
    assert rows["flow p.side2 added"].effect.total == 0
    # A line moved to a stage the same edit declares: alone, the stage is unknown (E251), not a new row.
    assert rows["flow p.a changed"].effect is None
    assert rows["flow p.a changed"].note == tail + "(process p: unknown stage `prep`)"
    # The rows add up: no change has a number, the interaction is the whole change of each stage.
    assert diff.interaction.total == 0
    assert diff.interaction.by_stage == pytest.approx({"production": -3.6, "prep": +3.6}, abs=TOL)


def test_a_changed_declared_unit_converts_or_is_not_compared(tmp_path):
    # Old: 2 kg x 3 + 1 kg x 1 = 7 kg CO2e per 1 kg; the factor fb goes from 1 to 2 (+1 per kg).
    # Declared unit 1 kg -> 1 t: the old total was printed `7 -> 8000 kg CO2e per 1 t (+7993,
    # +114185.71 %)`, and the study change alone was credited with +6993, the interaction +999.
    # Now the old footprint is converted to the new unit (7 x 1000 = 7000 per t): the change is
    # 8000 - 7000 = +1000 (1000 / 7000 = 14.29 %), the factor's +1 per kg is +1000 per t, and
    # the declared unit's change alone is no effect.
    text = ('study "s" {{\n  declared_unit 1 {du} of p.out\n}}\n'
            'factor f = 3 kg CO2e / kg\nfactor fb = {fb} kg CO2e / kg\n'
            'process p {{\n  stage   production\n  product out 1 {product}\n'
            '  input   a 2 kg from f\n  input   b 1 kg from fb\n}}\n')
    for name, du, product, fb in (("old.pcf", "kg", "kg", "1"), ("t.pcf", "t", "kg", "2"), ("kwh.pcf", "kWh", "kWh", "2")):
        (tmp_path / name).write_text(text.format(du=du, product=product, fb=fb), encoding="utf-8")
    old = pcf_dsl.load(tmp_path / "old.pcf")
    diff = diff_models(old, pcf_dsl.load(tmp_path / "t.pcf"))
    assert (diff.old.total, diff.new.total) == (pytest.approx(2 * 3 + 1 * 1, abs=TOL), pytest.approx(8000, abs=1e-6))
    assert diff.delta.total == pytest.approx((2 * 3 + 1 * 2) * 1000 - (2 * 3 + 1 * 1) * 1000, abs=1e-6)
    rows = {c.title: c for c in diff.changes}
    assert rows["factor fb changed"].effect.total == pytest.approx((2 - 1) * 1 * 1000, abs=1e-6)
    assert rows["study changed"].effect.total == 0
    assert diff.interaction.total == 0
    text_out = to_text(diff)
    assert "footprint: 7.000000 kg CO2e per 1 kg -> 8000.000000 kg CO2e per 1 t (+1000.000000, +14.29 %)" in text_out
    assert "  production: 7.000000 -> 8000.000000 (+1000.000000)" in text_out
    assert "| **total** | 7.000000 kg CO2e per 1 kg | 8000.000000 kg CO2e per 1 t | **+1000.000000** (+14.29 %) |" \
        in to_markdown(diff)
    assert to_json(diff)["footprint"]["change"]["total"] == pytest.approx(1000, abs=1e-6)

    # 1 kg -> 1 kWh: printed `7 -> 8 kg CO2e per 1 kWh (+1, +14.29 %)`, the old total labelled with
    # the new unit. Units that do not convert have no change, percentage or interaction; each side
    # keeps its unit, and the factor's effect is per the old declared unit, as the note says.
    diff = diff_models(old, pcf_dsl.load(tmp_path / "kwh.pcf"))
    assert diff.delta is None and diff.interaction is None
    text_out = to_text(diff)
    assert "footprint: 7.000000 kg CO2e per 1 kg -> 8.000000 kg CO2e per 1 kWh (not compared)" in text_out
    assert "  production: 7.000000 -> 8.000000\n" in text_out
    assert "%" not in text_out and "interaction" not in text_out
    assert "each effect is per the old declared unit (1 kg)" in diff.problem
    assert {c.title: c.effect.total for c in diff.changes if c.effect} == {"factor fb changed": pytest.approx(1.0, abs=TOL)}
    markdown = to_markdown(diff)
    assert "| **total** | 7.000000 kg CO2e per 1 kg | 8.000000 kg CO2e per 1 kWh | not compared |" in markdown
    assert to_json(diff)["footprint"]["change"] is None


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_cli_git_without_path_names_a_model_deleted_since_rev(tmp_path, monkeypatch):
    # A model added since REV was named on the standard error; one deleted went without a word,
    # and the output said "no model changed since HEAD".
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("aluminium_billet.pcf", "factors.pcf"):
        shutil.copy(BILLET / name, repo / name)
    shutil.copy(BILLET / "aluminium_billet.pcf", repo / "second.pcf")
    (repo / "lib.pcf").write_text("factor spare = 1 kg CO2e / kg\n", encoding="utf-8")  # not a model
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "v1")
    (repo / "second.pcf").unlink()
    (repo / "lib.pcf").unlink()
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["diff", "--git", "HEAD"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""   # the output names it (and not lib.pcf, no model): once, where it is kept
    assert result.stdout == ("no model with an old and a new version changed since HEAD\n\n"
                             "second.pcf: deleted since HEAD, nothing to compare with\n")
    # A model moved is deleted at its old path and added at its new one: both are said.
    _git(repo, "mv", "aluminium_billet.pcf", "moved.pcf")
    result = CliRunner().invoke(main, ["diff", "--git", "HEAD", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "aluminium_billet.pcf: deleted since HEAD, nothing to compare with" in result.stderr
    assert "moved.pcf: not in HEAD, nothing to compare with" in result.stderr
    assert json.loads(result.stdout) == {"rev": "HEAD", "models": [], "added": ["moved.pcf"],
                                         "deleted": ["aluminium_billet.pcf", "second.pcf"]}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_cli_git_markdown_names_the_models_added_or_deleted(tmp_path, monkeypatch):
    # `pcf diff --git REV --format markdown` is the pull-request comment: a model added or deleted
    # since REV was named only on the standard error (the CI log), so the comment never said that a
    # model came or went, beside the models it compared. The comment, the text and the JSON name them.
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("aluminium_billet.pcf", "factors.pcf"):
        shutil.copy(BILLET / name, repo / name)
    shutil.copy(BILLET / "aluminium_billet.pcf", repo / "second.pcf")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "v1")
    (repo / "second.pcf").unlink()
    shutil.copy(repo / "aluminium_billet.pcf", repo / "added.pcf")
    factors = (repo / "factors.pcf").read_text(encoding="utf-8")
    assert factors.count("17.610") == 1
    (repo / "factors.pcf").write_text(factors.replace("17.610", "18.000"), encoding="utf-8")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["diff", "--git", "HEAD", "--format", "markdown", "-o", "comment.md"])
    assert result.exit_code == 0, result.output
    comment = (repo / "comment.md").read_text(encoding="utf-8")
    assert "### Footprint change: `HEAD:aluminium_billet.pcf` → `aluminium_billet.pcf`" in comment
    assert comment.endswith("### Models added or deleted since `HEAD`\n\n"
                            "- `added.pcf`: added since `HEAD`, no old version to compare with\n"
                            "- `second.pcf`: deleted since `HEAD`, no new version to compare with\n")
    result = CliRunner().invoke(main, ["diff", "--git", "HEAD"])
    assert result.stdout.endswith("\nadded.pcf: not in HEAD, nothing to compare with\n"
                                  "second.pcf: deleted since HEAD, nothing to compare with\n")
    result = CliRunner().invoke(main, ["diff", "--git", "HEAD", "--format", "json"])
    data = json.loads(result.stdout)
    assert [m["new"] for m in data["models"]] == ["aluminium_billet.pcf"]
    assert (data["added"], data["deleted"]) == (["added.pcf"], ["second.pcf"])
    # Nothing compared: the comment still says what came and went.
    (repo / "factors.pcf").write_text(factors, encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", "--git", "HEAD", "--format", "markdown"])
    assert result.stdout.startswith("No model with an old and a new version changed since HEAD.\n\n"
                                    "### Models added or deleted since `HEAD`\n")


def test_changed_texts_are_quoted_and_shares_are_percentages_as_written(tmp_path):
    # `source Table 2 -> Table 3` read as two words of the language, and a profile's
    # `set cutoff.per_flow = 0.5 %` as `0.005`. Texts are now in quotes, names (a flow's source)
    # stay bare, a share is a percentage, a count a number, as the file writes them.
    extra = ('factor f2 = 1 kg CO2e / kg {{\n  source "{source}"\n}}\n'
             'profile mine {{\n  set cutoff.per_flow = {share}\n  set data.max_factor_age = {age}\n'
             '  set cutoff.basis = "{basis}"\n}}\n')
    old = _small(tmp_path, "old.pcf", extra=extra.format(source="Table 2", share="0.5 %", age="10", basis="mass"))
    new_text = SMALL.format(amount="2 kg", factor="3", claim="6",
                            extra=extra.format(source="Table 3", share="1 %", age="12", basis="energy"))
    (tmp_path / "new.pcf").write_text(new_text.replace("input   x   amount from f", "input   x   amount from f2"),
                                      encoding="utf-8")
    diff = diff_models(old, pcf_dsl.load(tmp_path / "new.pcf"))
    rows = {c.title: [(f.name, f.old, f.new) for f in c.fields] for c in diff.changes}
    assert rows["factor f2 changed"] == [("source", '"Table 2"', '"Table 3"')]
    assert rows["flow p.x changed"] == [("source", "f", "f2")]
    assert rows["profile mine changed"] == [
        ("set", 'cutoff.per_flow = 0.5 %, data.max_factor_age = 10, cutoff.basis = "mass"',
         'cutoff.per_flow = 1 %, data.max_factor_age = 12, cutoff.basis = "energy"')]
    # The flow now takes f2: 2 kg x (1 - 3) kg CO2e / kg.
    assert {c.title: c.effect.total for c in diff.changes}["flow p.x changed"] == pytest.approx(2 * (1 - 3), abs=TOL)


def test_a_functional_unit_study_is_said_per_functional_unit(tmp_path):
    # ISO 14067 tells a functional unit from a declared unit; the report says "functional unit"
    # for a study of one, the diff said "per declared unit" (its notes and its markdown footer).
    text = ('study "s" {{\n  functional_unit 1 {unit} of p.out\n}}\n'
            'factor f = {factor} kg CO2e / kg\n'
            'process p {{\n  stage   production\n  product out 1 {unit}\n  input   x 2 kg from f\n}}\n')
    for name, unit, factor in (("old.pcf", "kg", "3"), ("new.pcf", "kWh", "4")):
        (tmp_path / name).write_text(text.format(unit=unit, factor=factor), encoding="utf-8")
    diff = diff_models(pcf_dsl.load(tmp_path / "old.pcf"), pcf_dsl.load(tmp_path / "new.pcf"))
    # The factor alone, per the old functional unit (1 kg): 2 kg x (4 - 3) kg CO2e / kg.
    assert {c.title: c.effect.total for c in diff.changes if c.effect} == {"factor f changed": pytest.approx(2.0, abs=TOL)}
    assert diff.problem == ("the functional unit changed from 1 kg to 1 kWh, which do not convert: the footprints are "
                            "not compared, and each effect is per the old functional unit (1 kg)")
    markdown = to_markdown(diff)
    assert "Effects in kg CO2e per functional unit" in markdown
    assert "declared unit" not in markdown.replace("functional_unit", "")


def test_prices_made_per_item_are_not_applied_to_products_still_in_tonnes(tmp_path):
    # Products counted in items from now on, their prices per item (`100 CNY`): the allocation changed
    # alone left the products in t, each weighed t x CNY, and the shares 1 t x 100 : 1 t x 1 (99 % : 1 %)
    # gave the allocation an effect of +490.1 kg CO2e that no version has. The builder refuses such
    # a property (E324); the diff now says the change cannot be computed alone, as for E401.
    text = ('study "s" {{\n  declared_unit {du} of p.a\n}}\n'
            'factor f = 10 kg CO2e / kg\n'
            'process p {{\n  stage   production\n  product a {a}\n  product b {b}\n'
            '  input   x 100 kg from f\n  allocation economic {{\n    property a {pa}\n    property b {pb}\n  }}\n}}\n')
    versions = {"old.pcf": ("1 t", "1 t", "1 t", "1000 CNY / t", "1000 CNY / t"),
                "new.pcf": ("10 pcs", "10 pcs", "1000 pcs", "100 CNY", "1 CNY")}
    for name, (du, a, b, pa, pb) in versions.items():
        (tmp_path / name).write_text(text.format(du=du, a=a, b=b, pa=pa, pb=pb), encoding="utf-8")
    diff = diff_models(pcf_dsl.load(tmp_path / "old.pcf"), pcf_dsl.load(tmp_path / "new.pcf"))
    # Both versions, by hand: 100 kg x 10 kg CO2e/kg = 1000 kg CO2e, half of it (equal revenues) to a.
    assert diff.old.total == pytest.approx(1000 * 0.5 / 1, abs=TOL)      # per 1 t of a
    assert diff.new.total == pytest.approx(1000 * 0.5 / 10 * 10, abs=TOL)  # per 10 pcs of a
    rows = {c.title: c for c in diff.changes}
    allocation = rows["allocation of p changed"]
    assert allocation.effect is None
    assert allocation.note == ("no effect of its own: the model cannot be computed with this change alone "
                               "(process p: the economic property of `a` is 100 CNY, not per unit of the product (1 t))")
    assert all(c.effect is None for c in diff.changes)

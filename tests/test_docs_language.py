"""Every complete example in docs/language.md parses, and fragments parse inside a process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pcf_dsl.parse import parse_text

DOC = Path(__file__).resolve().parents[1] / "docs" / "language.md"
TOP_LEVEL = ("import", "study", "stage", "boundary", "cutoff", "param", "gwp_set", "factor", "process", "claim",
             "waive", "profile")
IN_PROCESS = ("allocation", "quality")


def _blocks():
    text = DOC.read_text(encoding="utf-8")
    for number, block in enumerate(re.findall(r"```\n(.*?)```", text, flags=re.S)):
        first = next((l.split()[0] for l in block.splitlines() if l.strip() and not l.lstrip().startswith("#")), "")
        if first in TOP_LEVEL:
            yield pytest.param(block, id=f"block{number}-{first}")
        elif first in IN_PROCESS:
            wrapped = "process p {\n  stage production\n  product x 1 kg\n" + block + "}\n"
            yield pytest.param(wrapped, id=f"block{number}-{first}")


@pytest.mark.parametrize("block", list(_blocks()))
def test_doc_example_parses(block):
    parse_text(block, "docs/language.md")


def test_the_doc_has_examples_for_every_construct():
    ids = {line.split()[0] for p in _blocks() for line in p.values[0].splitlines() if line.strip()}
    for construct in ("import", "study", "stage", "boundary", "cutoff", "param", "gwp_set", "factor", "process",
                      "allocation", "quality", "claim", "waive", "profile"):
        assert construct in ids, construct


def test_every_refused_unit_name_is_in_the_table():
    """The E208 table of docs/language.md lists every name units.AMBIGUOUS_UNITS refuses, and no other."""
    from pcf_dsl.units import AMBIGUOUS_UNITS

    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("| name | pint reads |"):].split("\n\n")[0]
    listed = {name for row in table.splitlines()[2:] for name in re.findall(r"`([^`]+)`", row.split("|")[1])}
    assert listed == set(AMBIGUOUS_UNITS)


def _raised_codes() -> set[str]:
    """Every error code the package raises: the E-codes written as strings in its modules."""
    package = DOC.parents[1] / "pcf_dsl"
    return {code for path in package.rglob("*.py")
            for code in re.findall(r"""["'](E\d{3})["']""", path.read_text(encoding="utf-8"))}


def test_the_error_table_covers_every_code_raised():
    """docs/language.md's table of error codes names a range for every code the tool raises, and its
    ranges start and end at codes that exist (E500-E520 left out E521, E100-E104 left out E105-E107)."""
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("| codes | what |"):].split("\n\n")[0]
    ranges = [tuple(part.split("-")) if "-" in part else (part, part)
              for row in table.splitlines()[2:] for part in row.split("|")[1].replace(" ", "").split(",")]
    raised = _raised_codes()
    assert {"E001", "E107", "E210", "E364", "E521", "E611", "E901"} <= raised  # the scan finds them
    for code in sorted(raised):
        assert any(low <= code <= high for low, high in ranges), f"{code} is in no range of the table"
    for low, high in ranges:
        assert low in raised and high in raised, (low, high)


def test_the_quality_table_is_the_scheme_and_other_scores_are_refused(tmp_path):
    """The levels and scores docs/language.md lists are model.QUALITY_LEVELS; a number that is not
    one of a criterion's scores is E281, as the doc says (`activity=2`)."""
    from pcf_dsl import PcfError, load
    from pcf_dsl.model import QUALITY_LEVELS

    text = DOC.read_text(encoding="utf-8")
    for criterion, levels in QUALITY_LEVELS.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{criterion}` |"))
        assert dict((name, int(score)) for name, score in re.findall(r"`(\w+)`[^(`]*\((\d)", row)) == levels
    path = tmp_path / "q.pcf"
    path.write_text("process p {\n  stage production\n  product x 1 kg\n"
                    "  quality activity=2 factor=2 calibration=6\n}\n", encoding="utf-8")
    with pytest.raises(PcfError) as info:
        load(path)
    assert [d.code for d in info.value.diagnostics] == ["E281"]

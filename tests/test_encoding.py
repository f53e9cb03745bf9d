"""Text encodings: UTF-8 with or without BOM and every line ending read as the same model; any other
encoding is error E001 naming the byte offset, line and column of the first byte that is not UTF-8."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import pcf_dsl
from pcf_dsl.cli import main
from pcf_dsl.diagnostics import render
from pcf_dsl.parse import decode, parse_text

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "aluminium_billet"
REFERENCE_TOTAL = 11.2206  # kg CO2e per kg billet, the example's computed footprint (README)

VARIANTS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 with BOM": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    "CRLF": lambda text: text.replace("\n", "\r\n").encode("utf-8"),
    "BOM and CRLF": lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"),
    "CR (old Mac)": lambda text: text.replace("\n", "\r").encode("utf-8"),
    "mixed line ends": lambda text: "".join(
        line + ("\r\n" if i % 3 == 0 else "\r" if i % 3 == 1 else "\n")
        for i, line in enumerate(text.split("\n")[:-1])).encode("utf-8"),
}


def _copy_example(tmp_path: Path, encode) -> Path:
    """The reference model with both files written in one variant."""
    folder = tmp_path / "example"
    folder.mkdir(parents=True)
    for name in ("aluminium_billet.pcf", "factors.pcf"):
        (folder / name).write_bytes(encode((EXAMPLE / name).read_text(encoding="utf-8")))
    return folder / "aluminium_billet.pcf"


def _e001(path: Path):
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.load(path)
    (d,) = info.value.diagnostics
    assert d.code == "E001", d.message
    return d


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_utf8_variant_is_the_same_model(tmp_path, variant):
    plain = pcf_dsl.load(_copy_example(tmp_path / "plain", VARIANTS["utf-8"]))
    other = pcf_dsl.load(_copy_example(tmp_path / "other", VARIANTS[variant]))
    assert other.semantic() == plain.semantic()
    assert pcf_dsl.compute(other).total.value == pytest.approx(REFERENCE_TOTAL, abs=5e-5)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_positions_do_not_move_with_the_encoding(tmp_path, variant):
    text = 'param a = 1\nparam b = 2 kg + 3 kWh  # 铝 before the mistake\n'
    (tmp_path / "m.pcf").write_bytes(VARIANTS[variant](text))
    with pytest.raises(pcf_dsl.PcfError) as info:
        pcf_dsl.load(tmp_path / "m.pcf")
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line, d.span.column, d.span.end_column) == ("E303", 2, 11, 23)
    assert "2 | param b = 2 kg + 3 kWh" in render(d)


def test_parse_text_accepts_what_decode_accepts():
    text = 'param x = 1 kg\r\nparam y = x * 2\r'
    assert parse_text("\ufeff" + text, "a.pcf").items == parse_text(decode(text.encode(), "b.pcf"), "a.pcf").items


def test_gbk_file_names_the_byte_offset(tmp_path):
    """The reference model as a Chinese Windows editor saves it by default."""
    text = (EXAMPLE / "aluminium_billet.pcf").read_text(encoding="utf-8")
    data = text.encode("gbk")
    (tmp_path / "aluminium_billet.pcf").write_bytes(data)
    shutil.copy(EXAMPLE / "factors.pcf", tmp_path / "factors.pcf")
    d = _e001(tmp_path / "aluminium_billet.pcf")
    # independent position: the first byte above 0x7f is the first GBK byte (the comment's 「铝」)
    offset = next(i for i, b in enumerate(data) if b > 0x7F)
    line = data[:offset].count(b"\n") + 1
    column = offset - data.rfind(b"\n", 0, offset)  # the line is ASCII up to there: bytes = characters
    assert f"byte offset {offset}" in d.message and f"byte 0x{data[offset]:02x}" in d.message
    assert (d.span.line, d.span.column) == (line, column) == (2, text.split("\n")[1].index("铝") + 1)
    assert "GB18030" in d.help and "UTF-8" in d.help


def test_gbk_after_utf8_text_counts_columns_in_characters(tmp_path):
    data = "note_line = 1\n".encode() + '# 铝 '.encode("utf-8") + "铝".encode("gbk") + b"\n"
    (tmp_path / "m.pcf").write_bytes(data)
    d = _e001(tmp_path / "m.pcf")
    assert f"byte offset {14 + 2 + 3 + 1}" in d.message  # '# ' + 3-byte 铝 + ' '
    assert (d.span.line, d.span.column) == (2, 5)  # '#', ' ', '铝', ' ' are four characters


@pytest.mark.parametrize("codec, offset, looks_like", [
    ("utf-16", 0, "UTF-16"),      # BOM FF FE
    ("utf-16-le", 1, "UTF-16"),   # no BOM: 'i' then NUL
    ("utf-16-be", 0, "UTF-16"),   # NUL first
])
def test_utf16_file_is_e001(tmp_path, codec, offset, looks_like):
    (tmp_path / "m.pcf").write_bytes((EXAMPLE / "aluminium_billet.pcf").read_text(encoding="utf-8").encode(codec))
    d = _e001(tmp_path / "m.pcf")
    assert f"byte offset {offset}" in d.message and looks_like in d.message
    assert (d.span.line, d.span.column) == (1, offset + 1)


@pytest.mark.parametrize("codec, source", [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE")])
def test_utf16_hint_converts_the_file(tmp_path, codec, source):
    # The general hint's `iconv -f GB18030` turns UTF-16 into garbage: the hint names the encoding
    # the bytes are in, and the command it gives, run as written, gives back the model.
    text = (EXAMPLE / "aluminium_billet.pcf").read_text(encoding="utf-8")
    (tmp_path / "old.pcf").write_bytes(text.encode(codec))
    d = _e001(tmp_path / "old.pcf")
    command = f"iconv -f {source} -t UTF-8 old.pcf > model.pcf"
    assert f"`{command}`" in d.help and "GB18030" not in d.help
    if shutil.which("iconv") is None:
        pytest.skip("no iconv to run the hint with")
    subprocess.run(command, shell=True, cwd=tmp_path, check=True)
    assert (tmp_path / "model.pcf").read_text(encoding="utf-8").lstrip("\ufeff") == text


def test_nul_byte_in_utf8_text(tmp_path):
    (tmp_path / "m.pcf").write_bytes(b'param a = 1\nparam "\x00" = 2\n')
    d = _e001(tmp_path / "m.pcf")
    assert "a NUL byte at byte offset 19" in d.message and "UTF-16" not in d.message
    assert (d.span.line, d.span.column) == (2, 8)
    assert "2 | param \"\ufffd\" = 2" in render(d)


def test_cli_reports_a_gbk_file_without_a_traceback(tmp_path):
    (tmp_path / "m.pcf").write_bytes('study "铝合金" {\n}\n'.encode("gbk"))
    for args in (["check", str(tmp_path / "m.pcf")], ["calc", "--format", "json", str(tmp_path / "m.pcf")]):
        run = CliRunner().invoke(main, args)
        assert run.exit_code == 2
        assert "error[E001]" in run.output and "byte offset 7" in run.output and "Traceback" not in run.output

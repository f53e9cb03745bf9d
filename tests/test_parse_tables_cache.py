"""The fast path's grammar, cached between runs (parse._grammar): the cache is used, lark's parser is then not
built, a stale or damaged cache is made again, any failure falls back to lark's parser, and the grammar read
from the cache is the one made from lark's parser: the same table, the same callbacks, the same trees."""

from __future__ import annotations

import hashlib
import marshal
import os
import subprocess
import sys
import types
from functools import partial
from operator import itemgetter
from pathlib import Path

import pytest
from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders, ExpandSingleChild
from lark.parsers.lalr_analysis import Shift

from pcf_dsl import parse as _parse
from tests.conftest import benchmark_module

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "examples" / "aluminium_billet" / "aluminium_billet.pcf"


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """A fresh cache folder: the fast path's grammar file in it, and a counter of the grammars made from
    lark's parser (the slow way) since."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    made = []
    analysed = _parse._analysed

    def counting(lark):
        made.append(lark)
        return analysed(lark)

    monkeypatch.setattr(_parse, "_analysed", counting)
    return types.SimpleNamespace(file=tmp_path / "pcf_dsl" / "grammar.fast-cache", made=made)


def _grammar():
    """A grammar made now, as a new process would make it (_grammar() itself is made once per process)."""
    return _parse._grammar.__wrapped__()


def _shape(callback):
    """A callback as comparable data: what kind it is and what it is made of, down to the transformer's
    methods; a function by its code and what it closes over; lark's default tree by the tree it makes."""
    if isinstance(callback, types.MethodType):
        return ("method", callback.__func__, callback.__self__)
    if isinstance(callback, partial):
        return ("partial", callback.args, callback.keywords, callback.func("probe", ["child"]))
    if isinstance(callback, (ExpandSingleChild, ChildFilterLALR_NoPlaceholders)):
        return (type(callback), [tuple(item) for item in getattr(callback, "to_include", ())],
                _shape(callback.node_builder))
    if isinstance(callback, itemgetter):
        return ("itemgetter", repr(callback))
    if isinstance(callback, types.FunctionType):
        return ("function", callback.__code__, tuple(_shape(cell.cell_contents) for cell in callback.__closure__ or ()))
    if isinstance(callback, tuple):
        return tuple(_shape(item) for item in callback)
    assert callback is None or callback is list or isinstance(callback, (int, str)), callback
    return callback


def _same_grammar(ours, theirs):
    """Whether two fast-path grammars are the same: every field equal, and every action the same, its
    callback of the same shape."""
    for field in ("terminals", "ignore", "start", "end", "keywords", "punctuation", "kept", "flow_keywords"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert ours.actions.keys() == theirs.actions.keys()
    for state, row in ours.actions.items():
        assert row.keys() == theirs.actions[state].keys()
        for name, action in row.items():
            assert _shape(action) == _shape(theirs.actions[state][name]), (state, name)
    return True


def test_the_cache_is_written_then_read_without_lark(cache_home, monkeypatch):
    made = _grammar()
    assert len(cache_home.made) == 1 and cache_home.file.is_file()
    monkeypatch.setattr(_parse, "parser", lambda: pytest.fail("lark's parser was built"))
    read = _grammar()
    assert len(cache_home.made) == 1
    assert _same_grammar(read, made)


def test_the_cached_grammar_is_lark_s_table_and_callbacks(cache_home, monkeypatch):
    """Every action of the grammar read from the cache is the action of lark's table (the state shifted to,
    or the rule reduced: its size and name), with the callback the grammar made from lark's callbacks has."""
    made, lark = _grammar(), _parse.parser()
    monkeypatch.setattr(_parse, "parser", lambda: pytest.fail("lark's parser was built"))
    read = _grammar()
    conf = lark.parser.parser.parser
    table = conf.parse_table
    assert read.actions.keys() == table.states.keys()
    assert (read.start, read.end) == (table.start_states["start"], table.end_states["start"])
    for state, row in table.states.items():
        assert read.actions[state].keys() == row.keys()
        for name, (action, arg) in row.items():
            ours = read.actions[state][name]
            if action is Shift:
                assert ours == (arg,)
            else:
                assert ours[:2] == (len(arg.expansion), arg.origin.name)
                assert _shape(ours[2]) == _shape(made.actions[state][name][2])
    assert _same_grammar(read, made)


def test_each_rule_s_callback_is_rebuilt_as_lark_made_it():
    """_described and _rebuilt, over lark's callbacks of every rule: the same wrappers around the same
    methods of the transformer, the same child filters, the same default trees."""
    analysis, callbacks = _parse._analysed(_parse.parser())
    kinds = set()
    for (origin, _, how), callback in zip(analysis["rules"], callbacks, strict=True):
        assert how is not None, origin
        assert _shape(_parse._rebuilt(how)) == _shape(callback), origin
        kinds.add(how[0])
    assert kinds == {"filter", "expand1", "method", "tree"}  # (every kind of description is met)
    assert marshal.loads(marshal.dumps(analysis)) == analysis


def _fast_parse_with(grammar, text):
    """What the fast path gives for `text` with `grammar`'s tables, and what lark's own parser gives."""
    tables, build = {}, _parse._tables.__wrapped__

    def tables_of(ascii_only=False):
        if ascii_only not in tables:
            real = _parse._grammar
            _parse._grammar = lambda: grammar
            try:
                tables[ascii_only] = build(ascii_only)
            finally:
                _parse._grammar = real
        return tables[ascii_only]

    with _parse._LOCK:
        real_tables = _parse._tables
        _parse._tables = tables_of
        try:
            _parse._TRANSFORMER.reset("t.pcf")
            fast = _parse._parse_fast(text, _parse._TRANSFORMER)
        finally:
            _parse._tables = real_tables
        _parse._TRANSFORMER.reset("t.pcf")
        lark = _parse.parser().parse(text)
        _parse._TRANSFORMER.reset("<input>")
    return fast, lark


def test_the_cached_grammar_gives_lark_s_trees(cache_home, tmp_path):
    _grammar()
    read = _grammar()
    assert len(cache_home.made) == 1
    generated = benchmark_module("generate").generate(200, seed=1).write(tmp_path / "generated")
    for path in (REFERENCE, generated):
        fast, lark = _fast_parse_with(read, path.read_text(encoding="utf-8"))
        assert isinstance(fast, list) and len(fast) > 10 and fast == lark


def _key_of(path: Path) -> bytes:
    data = path.read_bytes()
    head = len(_parse._ANALYSIS_HEADER)
    return data[head:head + 32]


@pytest.mark.parametrize("change", ["lark", "python", "grammar", "module"])
def test_a_cache_of_other_inputs_is_made_again(cache_home, monkeypatch, tmp_path, change):
    """The key: lark's version, Python's, the grammar's text and this module's (transformer, options)."""
    made = _grammar()
    old = _key_of(cache_home.file)
    if change == "lark":
        monkeypatch.setattr(_parse, "_LARK_VERSION", "0.0.1")
    elif change == "python":
        monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    elif change == "grammar":
        copy = tmp_path / "pcf.lark"
        copy.write_text(_parse.grammar_path().read_text(encoding="utf-8") + "\n// changed\n", encoding="utf-8")
        monkeypatch.setattr(_parse, "grammar_path", lambda: copy)
    else:
        copy, grammar = tmp_path / "parse.py", _parse.grammar_path()
        monkeypatch.setattr(_parse, "grammar_path", lambda: grammar)  # (found beside the module)
        copy.write_bytes(Path(_parse.__file__).read_bytes() + b"\n# changed\n")
        monkeypatch.setattr(_parse, "__file__", str(copy))
    again = _grammar()
    assert len(cache_home.made) == 2  # not read: made from lark's parser
    assert _key_of(cache_home.file) != old  # and written under the new key
    assert _same_grammar(again, made)
    _grammar()
    assert len(cache_home.made) == 2  # which is then read


def _body_digest(body: bytes) -> bytes:
    return hashlib.sha256(body).digest()


@pytest.mark.parametrize("damage", ["empty", "truncated", "flipped", "not marshal", "other data", "bad callback"])
def test_a_damaged_cache_falls_back_and_is_made_again(cache_home, damage):
    made = _grammar()
    data = cache_home.file.read_bytes()
    head = len(_parse._ANALYSIS_HEADER) + 32
    if damage == "empty":
        data = b""
    elif damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "flipped":
        data = data[:-100] + bytes([data[-100] ^ 1]) + data[-99:]
    else:  # a body whose hash is right, but that is not what _grammar_of reads
        body = {"not marshal": b"\xff\x00junk",
                "other data": marshal.dumps([1, 2, 3]),
                "bad callback": marshal.dumps({**marshal.loads(data[head + 32:]),
                                               "rules": [("start", 1, ("unknown",))]})}[damage]
        data = data[:head] + _body_digest(body) + body
    cache_home.file.write_bytes(data)
    again = _grammar()
    assert len(cache_home.made) == 2
    assert _same_grammar(again, made)
    assert _parse._read_analysis(*_parse._analysis_cache()) is not None  # written again, whole


def test_a_cache_that_cannot_be_read_or_written_is_no_failure(cache_home):
    """The cache's place taken by a folder: neither read nor written, and no temporary file left behind."""
    _grammar()
    cache_home.file.unlink()
    cache_home.file.mkdir()
    made = _grammar()
    assert len(cache_home.made) == 2 and cache_home.file.is_dir()
    assert [p.name for p in cache_home.file.parent.iterdir() if p.name != "grammar.lark-cache"] == [cache_home.file.name]
    assert _same_grammar(made, _grammar())


def test_no_cache_outside_a_private_folder(cache_home):
    cache_home.file.parent.mkdir(mode=0o700)
    cache_home.file.parent.chmod(0o777)
    _grammar()
    _grammar()
    assert len(cache_home.made) == 2 and not cache_home.file.exists()


def test_a_callback_of_another_shape_is_not_cached(cache_home, monkeypatch):
    """A callback _described does not know (here: one rule's, refused): the grammar is lark's, uncached."""
    described = _parse._described
    monkeypatch.setattr(_parse, "_described", lambda callback, name: None if name == "process"
                        else described(callback, name))
    made = _grammar()
    assert not cache_home.file.exists()
    monkeypatch.setattr(_parse, "_described", described)
    assert _same_grammar(made, _grammar())
    assert len(cache_home.made) == 2 and cache_home.file.is_file()


def _run(code: str, home: Path) -> str:
    env = {**os.environ, "XDG_CACHE_HOME": str(home)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout


def test_a_new_process_parses_without_lark_once_the_cache_is_there(tmp_path):
    """The first process writes the cache; the next parses the reference model without building lark's
    parser, and still builds it for a syntax error, whose message is the one lark's parser gives."""
    code = ("import pcf_dsl.parse as p, pcf_dsl\n"
            f"p.parse_file({str(REFERENCE)!r})\n"
            "print(p.parser.cache_info().currsize)\n"
            "try:\n"
            "    p.parse_text('process p {\\n  stage s\\n  input x 1 kg from\\n}\\n', 'bad.pcf')\n"
            "except pcf_dsl.PcfError as exc:\n"
            "    print(p.parser.cache_info().currsize, exc.diagnostics[0].code, exc.diagnostics[0].message)\n")
    first, second = _run(code, tmp_path), _run(code, tmp_path)
    assert first.split("\n")[0] == "1" and second.split("\n")[0] == "0"
    assert first.split("\n")[1] == second.split("\n")[1] and second.split("\n")[1].startswith("1 E002 ")


def test_processes_started_at_once_on_a_new_machine(tmp_path, monkeypatch):
    """Four `pcf calc` runs at once with no cache: each reads a whole cache or makes its own, and all
    give the footprint of a run with the caches in place."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "pcf_dsl.cli", "calc", "--format", "json", str(REFERENCE)]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    outputs = [run.communicate() + (run.returncode,) for run in runs]
    warm = subprocess.run(command, env=env, capture_output=True, check=True)
    assert all(output == (warm.stdout, b"", 0) for output in outputs)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _parse._read_analysis(*_parse._analysis_cache()) is not None
    assert [p.name for p in (tmp_path / "pcf_dsl").iterdir() if p.name.startswith(".")] == []


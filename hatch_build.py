"""Hatchling build hook: compiles `pcf_dsl/_flowline.c`, the parser's flow line reader in C.

pcf_dsl works without it: parse.py then reads every flow line with its regular expression, and the
result is the same (tests/test_flowline_compiled.py holds the two readers to each other). With it, a
large model loads in about a third less time (docs/performance.md, "The flow line reader, compiled").
So a machine without a C compiler gets a warning and an install that is pure Python, not a failed
install. setuptools does the compiling, as it knows each platform's compiler and flags.

The module records the SHA-256 of the source it was built from; parse.py does not use a module built
from another version of the file (an editable install after a pull that changed it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("pcf_dsl", "_flowline.c")


class CompiledFlowLineReader(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        self._temporary = None
        if os.environ.get("PCF_DSL_PURE_PYTHON"):
            return
        self._temporary = tempfile.mkdtemp(prefix="pcf_dsl-build-")
        try:
            built = _compile(Path(self.root, SOURCE), Path(self._temporary))
        except Exception as exc:  # no compiler, no Python headers, a compiler error: all mean pure Python
            self.app.display_warning(f"pcf_dsl: {SOURCE} not compiled ({type(exc).__name__}: {exc}); "
                                     "installing without it: large models load more slowly, with the same results")
            return
        target = SOURCE.with_name(built.name)
        if version == "editable":
            # An editable install imports the package from the source tree: the module goes beside its source.
            shutil.copyfile(built, Path(self.root, target))
        else:
            build_data["force_include"][str(built)] = target.as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)


def _compile(source: Path, into: Path) -> Path:
    """`source` compiled by setuptools into the folder `into`, as the module `_flowline`: its path."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    extension = Extension("_flowline", [str(source)], define_macros=[("PCF_SOURCE_SHA256", f'"{digest}"')])
    command = build_ext(Distribution({"name": "pcf-dsl-flowline", "ext_modules": [extension]}))
    command.build_lib, command.build_temp = str(into), str(into / "objects")
    command.ensure_finalized()
    command.run()
    return into / command.get_ext_filename("_flowline")

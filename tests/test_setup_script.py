"""scripts/setup is safe to run again: with everything in place it installs nothing.

The README's two commands (scripts/demo, scripts/test) each run it first, so a second run that
reinstalled Debian packages would make every demo wait on apt-get, need the network and root, and
collide with another run's apt lock (two clones set up at once failed so).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("dot") is None or not (ROOT / ".venv" / ".pcf-installed").exists(),
                    reason="scripts/setup has not run on this machine")
def test_setup_run_again_installs_nothing(tmp_path):
    # apt-get and sudo on the PATH before the real ones: each records that it was called.
    calls = tmp_path / "calls"
    for tool in ("apt-get", "sudo"):
        stub = tmp_path / tool
        stub.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\n', encoding="utf-8")
        stub.chmod(0o755)
    # fc-list as on a machine with many fonts: the CJK font first, then more than a pipe holds. A
    # check that stops reading at the first match (`grep -q`) leaves fc-list to die of SIGPIPE, which
    # `set -o pipefail` made a failed check, so that every set-up ran apt-get again.
    fonts = tmp_path / "fc-list"
    fonts.write_text('#!/bin/sh\necho "/usr/share/fonts/NotoSansCJK-Regular.ttc: Noto Sans CJK SC:style=Regular"\n'
                     'yes "/usr/share/fonts/DejaVuSans.ttf: DejaVu Sans:style=Book" | head -n 200000\n',
                     encoding="utf-8")
    fonts.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PCF_SETUP_BROWSER", None)
    run = subprocess.run(["bash", str(ROOT / "scripts" / "setup")], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stderr
    assert not calls.exists(), calls.read_text(encoding="utf-8")
    assert "installing" not in run.stderr


@pytest.mark.skipif(not (ROOT / ".venv" / ".pcf-installed").exists(), reason="scripts/setup has not run on this machine")
def test_setups_at_once_take_turns_at_apt_get(tmp_path):
    """Two set-ups started at once each run apt-get where packages are missing; apt-get refuses a second
    run while one holds its lock (exit 100), so scripts/setup runs each apt-get on a lock of its own."""
    calls, busy = tmp_path / "calls", tmp_path / "busy"
    # apt-get as apt behaves: refused while another runs (the mkdir of `busy` fails), else a while at work.
    tools = {
        "apt-get": f'#!/bin/sh\nmkdir "{busy}" 2>/dev/null || exit 100\necho "apt-get $*" >> "{calls}"\n'
                   f'sleep 0.3\nrmdir "{busy}"\n',
        "sudo": '#!/bin/sh\nexec "$@"\n',
        "fc-list": "#!/bin/sh\necho none\n",  # no CJK font: each set-up installs one
    }
    for tool, text in tools.items():
        stub = tmp_path / tool
        stub.write_text(text, encoding="utf-8")
        stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PCF_SETUP_BROWSER", None)
    runs = [subprocess.Popen(["bash", str(ROOT / "scripts" / "setup")], cwd=ROOT, env=env, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    lines = calls.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and all("-o DPkg::Lock::Timeout=600" in line for line in lines), lines
    assert sorted(line.split()[3] for line in lines) == ["install", "install", "update", "update"]

"""The per-user folder where pcf_dsl keeps what it would otherwise work out at every start.

lark's analysed grammar, the fast path's grammar made from it (parse.py) and the built unit
registry (units.py) are kept there, each in a file keyed by what it is made from. Each is read
with pickle or marshal, so the folder is used only when nobody else can write to it.
"""

from __future__ import annotations

import os


def private_folder() -> str | None:
    """The folder ($XDG_CACHE_HOME/pcf_dsl, else ~/.cache/pcf_dsl), made if missing; None when it cannot
    be made or another user could write to it (what is read from there is unpickled)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "pcf_dsl")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder)
    except OSError:
        return None
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        return None
    return folder

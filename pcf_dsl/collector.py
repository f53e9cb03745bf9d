"""One context manager: no garbage-collector passes while a step builds many objects.

Parse, build, compute and the rules each allocate hundreds of thousands of
small objects on a large model and free few of them. Every few thousand
allocations Python's collector starts a pass, and a full pass walks every
object alive, the whole loaded model included (7.7 million objects at 100k
processes, seconds a pass): measured, the passes were about half of the
parse, a third of the build and 45 % of compute before these steps paused
them (docs/performance.md). Nothing in these steps relies on collection; what
they leave behind is collected once the step ends.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    """The block runs without collector passes; the collector's own state is restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

"""Waiting on a condition in tests: poll it until true, fail with a clear message at the deadline.

Tests wait on conditions, never fixed sleeps. Import it as ``from waiting import wait_until``
after putting this folder on sys.path (pytest's importlib mode does not), or from a test
module as ``from ..waiting import wait_until`` (``from .waiting`` at the top of tests/).
"""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    condition: Callable[[], object],
    timeout: float = 15.0,
    what: str = "the condition",
    *,
    interval: float = 0.05,
) -> None:
    """Call ``condition`` every ``interval`` seconds until it returns something true.

    Raises TimeoutError naming ``what`` if it is still false after ``timeout`` seconds
    (checked once more at the deadline, so a slow last poll is not lost).
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:g} s")
        time.sleep(interval)

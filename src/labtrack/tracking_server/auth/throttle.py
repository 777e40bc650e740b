"""What failed sign-ins may cost the server: each password check is ~0.2 s of Argon2, so at
most a few run at once, and a user name that keeps failing from one client is refused (429)
without any check for a while."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 10  # failed sign-ins of one user name from one client...
WINDOW_SECONDS = 60.0  # ...within this long: the next are refused until the oldest ages out
CONCURRENT_CHECKS = 2  # password checks at once (the rest wait): the CPU stays for others
_MAX_TRACKED = 100_000  # (user name, client) pairs remembered at most


class SignInThrottle:
    """Counts failed sign-ins per (user name, client address) and bounds concurrent password
    checks (``checks``, a semaphore to hold while verifying). ``clock`` gives seconds
    (``time.monotonic``); a test may pass its own."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        concurrent: int = CONCURRENT_CHECKS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self.checks = threading.BoundedSemaphore(concurrent)
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked_for(self, username: str, client: str) -> float:
        """Seconds until ``username`` may try again from ``client`` (0: now)."""
        now = self.clock()
        with self._lock:
            times = self._recent((username, client), now)
            if len(times) < self.max_failures:
                return 0.0
            return max(times[-self.max_failures] + self.window - now, 0.001)

    def failed(self, username: str, client: str) -> None:
        """Record a failed sign-in."""
        now = self.clock()
        with self._lock:
            if len(self._failures) >= _MAX_TRACKED:
                self._failures.clear()
            times = self._recent((username, client), now)
            times.append(now)
            self._failures[(username, client)] = times

    def succeeded(self, username: str, client: str) -> None:
        """Forget the failures of a user name that signed in."""
        with self._lock:
            self._failures.pop((username, client), None)

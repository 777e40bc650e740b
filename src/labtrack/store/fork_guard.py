"""No write transaction of this process is in flight while it forks.

SQLite keeps the locks a process holds in that process's memory. A child forked while a
thread of its parent was inside a write transaction inherits "this process holds the write
lock" without the lock itself, and its own first write then waits forever (seen with a
``Pool`` created while labtrack recorded a run's git state in the background). So every
write transaction registers here, and a fork waits until none is in flight and lets no new
one start until it is done.
"""

from __future__ import annotations

import os
import threading

# A fork waits at most this long for transactions to finish (a writer stuck on another
# process's lock must not hang the fork), then goes ahead.
_FORK_WAIT_SECONDS = 30.0


class _ForkGuard:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._in_flight = 0
        self._forking = False

    def writing(self) -> _ForkGuard:
        """Around one write transaction (``with guard.writing():``). The guard is its own
        context manager, not a generator's: every run's writes pass through it."""
        return self

    def __enter__(self) -> None:
        with self._condition:  # held by a fork in progress: wait for it
            self._in_flight += 1

    def __exit__(self, *_exc) -> None:
        with self._condition:
            self._in_flight -= 1
            if not self._in_flight:
                self._condition.notify_all()

    def before_fork(self) -> None:
        self._condition.acquire()
        self._forking = True
        # wait_for releases the lock while it waits and holds it again when it returns:
        # from then until the fork is done, no transaction can start.
        self._condition.wait_for(lambda: self._in_flight == 0, timeout=_FORK_WAIT_SECONDS)

    def after_fork_in_parent(self) -> None:
        if self._forking:
            self._forking = False
            self._condition.release()

    def after_fork_in_child(self) -> None:
        # The child's copy of the lock is held and the other threads are gone: start anew.
        self.__init__()


guard = _ForkGuard()
writing = guard.writing
os.register_at_fork(
    before=guard.before_fork,
    after_in_parent=guard.after_fork_in_parent,
    after_in_child=guard.after_fork_in_child,
)

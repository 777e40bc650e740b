"""Which process this is, and whether a process recorded earlier still runs.

A pid alone does not name a process: once a process exits, the system gives its pid to a
later one, and a liveness check by pid alone then keeps a dead run RUNNING for as long as
the newcomer lives. A process is named by (host, pid, start time) instead. Start times are
integer milliseconds since the epoch, read with psutil (imported on first use, not at
``import labtrack``).

On Linux a start time is the boot time plus the ticks since boot, and the boot time moves
when the wall clock is stepped; so a start time that differs from the recorded one means
"probably another process" (``LocalState.REPLACED``), which the store weighs against the
run's heartbeat, while a missing pid or a zombie means "gone" for certain.
"""

from __future__ import annotations

import enum
import os
import socket
from typing import NamedTuple

HOST = socket.gethostname()


class ProcessIdentity(NamedTuple):
    """One process: the host it runs on, its pid, and when it started (ms since the epoch)."""

    host: str
    pid: int
    start_ms: int


class LocalState(enum.Enum):
    """What became of a process of this host, known by its pid and recorded start time."""

    ALIVE = "alive"  # that process runs (or a process has the pid, when no start was recorded)
    GONE = "gone"  # no process has the pid, or only a zombie: it has exited
    REPLACED = "replaced"  # a process started at another time has the pid: most likely reused


_current: ProcessIdentity | None = None


def current() -> ProcessIdentity:
    """This process's identity (recomputed in a forked child, which has a pid of its own)."""
    global _current
    if _current is None or _current.pid != os.getpid():
        pid = os.getpid()
        _current = ProcessIdentity(HOST, pid, start_time_ms(pid))
    return _current


def start_time_ms(pid: int) -> int | None:
    """When process ``pid`` of this host started, in ms since the epoch; None if there is none."""
    import psutil

    try:
        return _ms(psutil.Process(pid).create_time())
    except psutil.NoSuchProcess:
        return None


def local_state(pid: int, start_ms: int | None) -> LocalState:
    """Whether the process of this host that had ``pid`` and started at ``start_ms`` still
    runs. With ``start_ms`` None (recorded before start times were), the pid alone decides."""
    import psutil

    try:
        process = psutil.Process(pid)
        with process.oneshot():  # one read of /proc/<pid>/stat on Linux for both answers
            if process.status() == psutil.STATUS_ZOMBIE:
                return LocalState.GONE
            started = _ms(process.create_time())
    except psutil.ZombieProcess:
        return LocalState.GONE
    except psutil.NoSuchProcess:
        return LocalState.ALIVE if _hidden(pid) else LocalState.GONE
    except psutil.AccessDenied:  # it exists; which process it is we cannot tell
        return LocalState.ALIVE
    if start_ms is None or started == start_ms:
        return LocalState.ALIVE
    return LocalState.REPLACED


def _hidden(pid: int) -> bool:
    """Whether a process psutil cannot see exists all the same (e.g. another user's, under
    /proc mounted with hidepid). Only asked on POSIX: on Windows os.kill terminates."""
    if os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ms(seconds: float) -> int:
    return round(seconds * 1000)

"""The child processes of runs in progress, kept so that an interrupt can stop them all.

A sweep with several jobs waits on its children from worker threads; an interrupt reaches
only the main thread (in Jupyter, only the kernel: the children are not told). The sweep
then calls ``stop()``, which terminates every registered process, kills the ones still
alive after a short grace, and makes any later ``start()`` refuse to launch.
"""

from __future__ import annotations

import subprocess
import threading
import time
from typing import Any

STOP_GRACE_SECONDS = 5.0


class ChildProcesses:
    """Processes started through ``start`` until they are ``finished``.

    >>> processes = ChildProcesses()                                  # doctest: +SKIP
    >>> process = processes.start(["python", "train.py"])
    >>> try:
    ...     process.wait()
    ... finally:
    ...     processes.finished(process)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self.stopped = False

    def start(self, argv: list[str], **popen_options: Any) -> subprocess.Popen:
        """``subprocess.Popen(argv, **popen_options)``, registered; KeyboardInterrupt once
        ``stop`` was called (the run is then recorded as killed, like an interrupted one)."""
        with self._lock:  # held while starting: stop() cannot miss a process being born
            if self.stopped:
                raise KeyboardInterrupt("the sweep was interrupted")
            process = subprocess.Popen(argv, **popen_options)
            self._running.add(process)
        return process

    def finished(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._running.discard(process)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Terminate every registered process; kill those still running after ``grace``
        seconds. Later ``start`` calls refuse."""
        with self._lock:
            self.stopped = True
            processes = list(self._running)
        for process in processes:
            _signal(process.terminate)
        deadline = time.monotonic() + grace
        for process in processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(process.kill)
                process.wait()


def wait_or_stop(process: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> int:
    """The process's exit status; if the wait is interrupted (Ctrl+C in this thread), the
    process is terminated, killed after ``grace`` seconds, and the interrupt goes on (what
    ``subprocess.run`` does)."""
    try:
        return process.wait()
    except BaseException:
        _signal(process.terminate)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal(process.kill)
            process.wait()
        raise


def _signal(send) -> None:
    try:
        send()
    except ProcessLookupError:  # it ended meanwhile
        pass

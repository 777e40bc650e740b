"""A signal with a Python handler must wake the main thread, whichever thread gets it.

CPython runs a signal's Python handler on the main thread, the next time that thread runs
bytecode. The kernel hands a process's signal to any one thread that does not block it, and
threads that native libraries start do not block it (importing numpy starts OpenBLAS's). When
such a thread gets the signal, CPython's C-level handler only marks it as pending: a main
thread blocked in C never runs the handler. That is how a ``Pool`` worker hung: waiting for
its next task in C, it never ran the SIGTERM handler that persists its points and exits, and
``Pool.terminate()`` then waited for it forever (one run in about sixty, two at a time here).

``forward_to_main_thread(signum)`` closes that gap. The C-level handler also writes the
signal's number to a wakeup fd (``signal.set_wakeup_fd``); a daemon thread of ours reads it
and, unless the handler has run by then, sends the signal to the main thread itself: the
blocking call there fails with EINTR and the handler runs. The handler must replace itself
as its first step (with ``SIG_IGN``, say), which is how the forwarder knows it ran.
"""

from __future__ import annotations

import os
import signal
import threading
import time

# Time for the main thread to run the handler when it got the signal itself (it does so at
# once when blocked in C, within microseconds when running bytecode) before it is sent there.
_GRACE_SECONDS = 0.2

_pipe: tuple[int, int] | None = None  # (read end, write end) of this process's wakeup fd


def forward_to_main_thread(signum: int) -> bool:
    """Make sure the Python handler now installed for ``signum`` runs, on the main thread,
    whichever thread the signal is delivered to. Call it from the main thread, right after
    ``signal.signal(signum, handler)``. Returns False, and changes nothing, where a wakeup
    fd is in use already (an event loop's) or outside the main thread."""
    global _pipe
    if threading.current_thread() is not threading.main_thread() or _pipe is not None:
        return False
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)  # the C-level handler must never block on it
    try:
        previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except ValueError:
        previous = None
    if previous != -1:  # someone else's wakeup fd: leave it to them
        if previous is not None:
            signal.set_wakeup_fd(previous)
        os.close(read_end)
        os.close(write_end)
        return False
    _pipe = (read_end, write_end)
    handler = signal.getsignal(signum)
    main = threading.main_thread().ident
    threading.Thread(
        target=_forward,
        args=(read_end, signum, handler, main),
        name="labtrack-signals",
        daemon=True,
    ).start()
    return True


def _forward(read_end: int, signum: int, handler, main: int) -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signum})  # never this thread's to handle
    while True:
        try:
            numbers = os.read(read_end, 64)
        except OSError:
            return
        if not numbers:
            return
        if signum not in numbers:
            continue  # another signal with a Python handler (SIGINT's): not ours
        time.sleep(_GRACE_SECONDS)
        if signal.getsignal(signum) is handler:  # not run yet: wake the main thread
            signal.pthread_kill(main, signum)


def _forget_after_fork() -> None:
    """A forked child must not write its signals into the parent's pipe."""
    global _pipe
    if _pipe is None:
        return
    try:
        signal.set_wakeup_fd(-1)
    except ValueError:  # not the main thread of the child: nothing was set from here
        pass
    for end in _pipe:
        os.close(end)
    _pipe = None


os.register_at_fork(after_in_child=_forget_after_fork)

"""What the metric calls return with ``synchronous=False``: MLflow's ``RunOperations`` for
points that are still buffered, whose ``wait()`` persists them.

Params and tags are written before their call returns, so their ``RunOperations`` (in
``tracking.client``) has nothing to wait for; metric points wait in the background writer's
buffer until its next tick, and ``wait()`` flushes that buffer instead of waiting for the tick.
"""

from __future__ import annotations

from collections.abc import Callable

from labtrack.tracking.client import RunOperations


class PendingMetrics(RunOperations):
    """Returned by ``log_metric`` / ``log_metrics`` with ``synchronous=False``: the points are
    buffered, and ``wait()`` returns once they are persisted (points logged since are
    persisted with them). Like ``flush()``, it raises if the store refused some or if
    neither the store nor its spool could take them.

    >>> operations = lt.log_metric("loss", 0.31, step=3, synchronous=False)  # doctest: +SKIP
    >>> operations.wait()  # doctest: +SKIP
    """

    def __init__(self, flush: Callable[[], None]):
        self._flush = flush

    def wait(self) -> None:
        """Persist the points (a flush of the writer that buffers them)."""
        self._flush()

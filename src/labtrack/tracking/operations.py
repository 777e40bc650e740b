"""What the logging calls return with ``synchronous=False``, as MLflow's do: a
``RunOperations`` (MLflow's ``mlflow.utils.async_logging.run_operations.RunOperations``) whose
``wait()`` returns once the writes are persisted.

Params and tags are written before their call returns, so their ``RunOperations`` has nothing
to wait for; metric points wait in the background writer's buffer until its next tick, and
their ``PendingMetrics.wait()`` flushes that buffer instead of waiting for the tick. This module
imports nothing heavy: the fluent API checks ``synchronous`` before it loads a client.
"""

from __future__ import annotations

from collections.abc import Callable

from labtrack.errors import InvalidParameter


class RunOperations:
    """What MLflow's param and tag calls return with ``synchronous=False``, for writes that
    are already done: labtrack writes params and tags before the call returns, so ``wait()``
    returns at once.
    """

    def wait(self) -> None:
        """Return at once: the operations finished before this object was made."""


class PendingMetrics(RunOperations):
    """Returned by ``log_metric`` / ``log_metrics`` / ``log_batch`` with ``synchronous=False``:
    the points are buffered, and ``wait()`` returns once they are persisted (points logged
    since are persisted with them). Like ``flush()``, it raises if the store refused some or if
    neither the store nor its spool could take them.

    >>> operations = lt.log_metric("loss", 0.31, step=3, synchronous=False)  # doctest: +SKIP
    >>> operations.wait()  # doctest: +SKIP
    """

    def __init__(self, flush: Callable[[], None]):
        self._flush = flush

    def wait(self) -> None:
        """Persist the points (a flush of the writer that buffers them)."""
        self._flush()


def check_synchronous(synchronous: object) -> None:
    """Refuse a ``synchronous=`` that is neither a bool nor None (raises ``InvalidParameter``):
    a string such as ``"false"`` would otherwise read as true."""
    if synchronous is not None and not isinstance(synchronous, bool):
        raise InvalidParameter(f"synchronous must be True, False or None, got {synchronous!r}")


def finished(synchronous: bool | None, result: object = None) -> object:
    """What MLflow returns from a param or tag call once its write is done: ``result`` when the
    caller waited (``synchronous`` True or None), a ``RunOperations`` when it did not."""
    return RunOperations() if synchronous is False else result


def settle_metrics(synchronous: bool | None, flush: Callable[[], None]) -> RunOperations | None:
    """What a metric call does and returns once its points are buffered, as in MLflow: with
    ``synchronous=True`` it persists them (``flush``) and returns None; with None it leaves them
    to the background writer and returns None; with False it returns a ``PendingMetrics``
    whose ``wait()`` persists them."""
    if synchronous:
        flush()
    return PendingMetrics(flush) if synchronous is False else None

"""Early stopping of a sweep's bad points by the median rule (Optuna's MedianPruner): a
running point whose metric at its latest step is worse than the median of the finished
points' values at that same step is stopped.

The rule is applied where the point runs (a Dask worker): a watcher thread there reads the
point's history and its finished siblings' from the store, and ends the point's process as
an interrupt does. That holds for papermill notebooks and for entry points alike, since
neither needs to cooperate: they only log the metric, as they would anyway.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from labtrack.errors import InvalidParameter

# The tag on a run stopped by the rule: why, in one line.
STOPPED_TAG = "labtrack.sweep.stoppedEarly"


@dataclass(frozen=True)
class EarlyStop:
    """Stop a point whose ``metric`` is worse than the median of at least ``min_finished``
    finished points at the same step (higher is better when ``maximize``)."""

    metric: str
    maximize: bool
    min_finished: int = 2

    @classmethod
    def parse(cls, text: str) -> EarlyStop:
        """``METRIC``, ``METRIC:min`` or ``METRIC:max``; without a direction, names that look
        like a loss or an error are minimized."""
        from labtrack.projects.sweep import minimizes

        metric, sep, direction = text.rpartition(":") if ":" in text else (text, "", "")
        metric, direction = metric.strip(), direction.strip().lower()
        if sep and direction not in ("min", "max"):
            raise InvalidParameter(
                f"early stopping takes METRIC, METRIC:min or METRIC:max, got {text!r}"
            )
        if not metric:
            raise InvalidParameter(f"early stopping needs a metric name, got {text!r}")
        return cls(metric, direction == "max" if sep else not minimizes(metric))

    def verdict(
        self, history: Mapping[int, float], finished: Sequence[Mapping[int, float]]
    ) -> str | None:
        """Why the point with ``history`` (step -> value) should stop, given the histories of
        the finished points; ``None`` while it should go on."""
        if not history:
            return None
        step = max(history)
        value = history[step]
        peers = [h[step] for h in finished if step in h]
        if len(peers) < self.min_finished:
            return None
        median = statistics.median(peers)
        worse = value < median if self.maximize else value > median
        if not worse:
            return None
        return (
            f"stopped early: {self.metric}={value:g} at step {step} is worse than the median "
            f"{median:g} of {len(peers)} finished runs"
        )

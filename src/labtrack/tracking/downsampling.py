"""The one rule that turns a long metric history into what a chart draws.

The history's step span is cut into ``buckets`` equal ranges; each range keeps its lowest and
highest point, and the series keeps its first and last point, so spikes and dips survive
however long the history is. The stores apply it in SQL (``Metrics.metric_history_extremes``
on SQLite and PostgreSQL); this is the same rule in numpy for a store that returns whole
histories (a tracking server), so a curve looks the same whichever store holds it.
"""

from __future__ import annotations

import numpy as np


def is_long(points: int, buckets: int) -> bool:
    """Whether a history of ``points`` is worth downsampling into ``buckets`` ranges."""
    return points > 2 * buckets + 2


def step_range_extremes(
    steps: np.ndarray, timestamps: np.ndarray, values: np.ndarray, buckets: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points the rule keeps of a history ordered by (step, timestamp), in that order.

    Ties keep the earliest point; NaN (a gap) is kept only for a range of nothing but NaN,
    as ``ORDER BY value NULLS LAST`` does in the stores.
    """
    if not is_long(len(steps), buckets):
        return steps, timestamps, values
    # Python's integers for the bounds: a span of 2**64 - 1 steps overflows int64.
    low, high = int(steps[0]), int(steps[-1])
    span = high - low + 1
    firsts = [low + bucket * span // buckets for bucket in range(buckets)]
    starts = np.searchsorted(steps, np.array(firsts, dtype=np.int64), side="left")
    ends = np.append(starts[1:], len(steps))
    finite = ~np.isnan(values)
    keep = {0, len(steps) - 1}
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if start >= end:
            continue
        inside = values[start:end]
        if not finite[start:end].any():
            keep.add(start)
            continue
        keep.add(start + int(np.nanargmin(inside)))
        keep.add(start + int(np.nanargmax(inside)))
    index = np.array(sorted(keep))
    return steps[index], timestamps[index], values[index]

"""Sample predictions per epoch (autolog's opt-in ``log_samples``), shared by Keras and
Lightning: a few inputs are run through the model at the end of each epoch and what it
predicts for them is logged as the media table ``samples/predictions`` at step = epoch, so
``lt.media("samples/predictions")`` shows how the predictions change over training.

``log_samples`` is an int ``n`` (the first ``n`` validation samples, else training samples)
or the samples themselves: ``(x, y)`` or ``(x,)``. The table's columns: ``sample`` (the
index), ``target`` (with ``y``), ``prediction`` (the class, the argmax of a score vector, or
the value a regressor outputs), and for classifiers ``score`` (the predicted class's output)
and ``correct``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from labtrack.errors import InvalidParameter

#: The media key of the predictions table.
SAMPLES_KEY = "samples/predictions"


def check_option(log_samples: Any) -> Any:
    """``log_samples`` as autolog keeps it (None for off, an int, or ``(x, y-or-None)``);
    ``InvalidParameter`` at the ``autolog`` call for anything else."""
    if log_samples is None or log_samples is False:
        return None
    if isinstance(log_samples, numbers.Integral) and not isinstance(log_samples, bool):
        if log_samples < 1:
            raise InvalidParameter(f"log_samples must be at least 1, got {log_samples!r}")
        return int(log_samples)
    if isinstance(log_samples, (tuple, list)) and len(log_samples) in (1, 2):
        x = log_samples[0]
        y = log_samples[1] if len(log_samples) == 2 else None
        if not hasattr(x, "__len__") or len(x) == 0:
            raise InvalidParameter("log_samples' inputs must be a non-empty array or tensor")
        if y is not None and (not hasattr(y, "__len__") or len(y) != len(x)):
            raise InvalidParameter("log_samples' targets must have one entry per input")
        return (x, y)
    raise InvalidParameter(
        "log_samples takes a number of samples, or the samples as (x, y) or (x,); "
        f"got {type(log_samples).__name__}"
    )


def first(option: Any, candidates: Iterable[tuple[Any, Any]]) -> tuple[Any, Any] | None:
    """The samples to predict: the option's own ``(x, y)``, or, for an int ``n``, the first
    ``n`` of the first candidate ``(x, y)`` whose ``x`` can be sliced. ``candidates`` is read
    lazily: a candidate may cost a batch from a data loader."""
    if option is None or isinstance(option, tuple):
        return option
    for x, y in candidates:
        if x is not None and hasattr(x, "__getitem__") and hasattr(x, "__len__"):
            try:
                return x[:option], (y[:option] if y is not None else None)
            except (TypeError, KeyError, IndexError):
                continue
    raise InvalidParameter(
        "log_samples=n needs array or tensor data to take samples from; pass log_samples=(x, y)"
    )


def log_predictions(run_id: str, outputs: Any, targets: Any, step: int) -> None:
    """Log the table of predictions ``outputs`` (one value or one score vector per sample)
    for samples whose true values are ``targets`` (or None) at ``step``."""
    import numpy as np

    from labtrack.artifacts.serialize import to_numpy
    from labtrack.tracking import fluent

    outputs = to_numpy(outputs, "log_samples")
    if outputs.ndim not in (1, 2) or len(outputs) == 0:
        raise InvalidParameter(
            "log_samples needs one value or one score vector per sample; "
            f"the model's outputs have shape {outputs.shape}"
        )
    columns: dict[str, Any] = {"sample": np.arange(len(outputs))}
    squeezed = outputs.reshape(len(outputs), -1)
    classes = squeezed.shape[1] > 1
    if targets is not None:
        targets = to_numpy(targets, "log_samples").reshape(len(outputs), -1)
        # One-hot targets are read as their class; a column of labels as it is.
        columns["target"] = targets.argmax(axis=1) if targets.shape[1] > 1 else targets[:, 0]
    if classes:
        columns["prediction"] = squeezed.argmax(axis=1)
        columns["score"] = squeezed.max(axis=1)
        if targets is not None:
            columns["correct"] = columns["prediction"] == columns["target"]
    else:
        columns["prediction"] = squeezed[:, 0]
    fluent.log_table(
        {name: values.tolist() for name, values in columns.items()},
        key=SAMPLES_KEY,
        step=step,
        run_id=run_id,
    )

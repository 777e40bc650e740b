"""Drift of served data against a reference, per time window: pure computation on DataFrames.

Per window and feature: the population stability index (PSI) over 10 quantile bins of the
reference (categories for text and booleans) and a two-sample test, Kolmogorov-Smirnov
(``scipy.stats.ks_2samp``) for numbers, chi-squared (``scipy.stats.chi2_contingency``) for
categories. A window drifts on a feature when its PSI is above the threshold *and* the test's
p-value is below ``p_value``: PSI alone flags noise in small windows, a test alone flags
differences too small to matter in big ones.

>>> windows = drift_table(reference, predictions, window="1h")  # doctest: +SKIP
>>> windows[windows.drifted]

numpy, pandas and scipy are imported when a function runs, not with this module.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from labtrack.errors import InvalidParameter

if TYPE_CHECKING:
    import pandas as pd

BINS = 10
# Share given to a bin that one side leaves empty: PSI's log would be infinite otherwise.
EPSILON = 1e-4
INPUT_PREFIX = "input."
PREDICTION = "prediction"
WINDOW_COLUMNS = [
    "window_start",
    "feature",
    "psi",
    "test",
    "statistic",
    "p_value",
    "n",
    "drifted",
]
ACCURACY_COLUMNS = ["window_start", "accuracy", "n"]


def parse_window(window: Any) -> pd.Timedelta:
    """``window`` ("1h", "15min", "1d", a ``timedelta`` or ``pd.Timedelta``) as a positive
    ``pd.Timedelta`` of whole milliseconds; ``InvalidParameter`` otherwise."""
    import pandas as pd

    if isinstance(window, bool) or not isinstance(window, (str, timedelta)):
        raise InvalidParameter(f"window must be a duration such as '1h', got {window!r}")
    try:
        delta = pd.Timedelta(window)
    except (ValueError, TypeError) as error:
        raise InvalidParameter(f"window must be a duration such as '1h', got {window!r}") from error
    if pd.isna(delta) or delta.value <= 0 or delta.value % 1_000_000:
        raise InvalidParameter(
            f"window must be a positive duration of whole milliseconds, got {window!r}"
        )
    return delta


def check_thresholds(psi_threshold: Any, p_value: Any) -> tuple[float, float]:
    """The two thresholds as floats: ``psi_threshold`` >= 0, ``p_value`` in (0, 1)."""
    import math

    for name, value in (("psi_threshold", psi_threshold), ("p_value", p_value)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise InvalidParameter(f"{name} must be a number, got {value!r}")
    if not 0 <= psi_threshold < math.inf:
        raise InvalidParameter(f"psi_threshold must be >= 0 and finite, got {psi_threshold!r}")
    if not 0 < p_value < 1:
        raise InvalidParameter(f"p_value must be between 0 and 1 (exclusive), got {p_value!r}")
    return float(psi_threshold), float(p_value)


def is_numeric(values: pd.Series) -> bool:
    """Whether ``values`` are numbers (tested with KS); booleans and text are categories."""
    import pandas as pd

    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def psi(reference: pd.Series, current: pd.Series, bins: int = BINS) -> float:
    """Population stability index of ``current`` against ``reference``: sum over bins of
    (cur - ref) * ln(cur / ref), shares of each side. Numbers are cut at ``bins`` quantiles of
    the reference (fewer when values repeat); categories are their own bins. Missing values
    are left out; an empty side gives NaN."""
    import numpy as np

    reference, current = reference.dropna(), current.dropna()
    if reference.empty or current.empty:
        return float("nan")
    if is_numeric(reference) and is_numeric(current):
        ref_counts, cur_counts = _binned_counts(
            reference.to_numpy(dtype=float), current.to_numpy(dtype=float), bins
        )
    else:
        ref_counts, cur_counts = _category_counts(reference, current)
    ref_share = np.maximum(ref_counts / ref_counts.sum(), EPSILON)
    cur_share = np.maximum(cur_counts / cur_counts.sum(), EPSILON)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def _binned_counts(reference, current, bins: int):
    import numpy as np

    # Interior quantile edges only: the outer bins reach to +-inf, so values of the current
    # window beyond the reference's range land in them instead of being dropped.
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_bins = np.searchsorted(edges, reference, side="right")
    cur_bins = np.searchsorted(edges, current, side="right")
    size = len(edges) + 1
    return (
        np.bincount(ref_bins, minlength=size).astype(float),
        np.bincount(cur_bins, minlength=size).astype(float),
    )


def _category_counts(reference: pd.Series, current: pd.Series):
    # As text: a label logged as 1 and one sent back as "1" are the same category.
    ref = reference.astype(str).value_counts()
    cur = current.astype(str).value_counts()
    categories = ref.index.union(cur.index)
    return (
        ref.reindex(categories, fill_value=0).to_numpy(dtype=float),
        cur.reindex(categories, fill_value=0).to_numpy(dtype=float),
    )


def two_sample_test(reference: pd.Series, current: pd.Series) -> tuple[str, float, float]:
    """``(test, statistic, p_value)``: Kolmogorov-Smirnov (``"ks"``) for numbers,
    chi-squared on the category counts (``"chi2"``) otherwise. NaNs for an empty side; a
    single category on both sides is no evidence of a change (statistic 0, p-value 1)."""
    from scipy import stats

    reference, current = reference.dropna(), current.dropna()
    numeric = is_numeric(reference) and is_numeric(current)
    test = "ks" if numeric else "chi2"
    if reference.empty or current.empty:
        return test, float("nan"), float("nan")
    if numeric:
        result = stats.ks_2samp(reference.to_numpy(dtype=float), current.to_numpy(dtype=float))
        return test, float(result.statistic), float(result.pvalue)
    ref_counts, cur_counts = _category_counts(reference, current)
    if len(ref_counts) < 2:
        return test, 0.0, 1.0
    result = stats.chi2_contingency([ref_counts, cur_counts])
    return test, float(result.statistic), float(result.pvalue)


def window_starts(timestamps: pd.Series, window: pd.Timedelta) -> pd.Series:
    """The start of each timestamp's window (ms since the epoch in, ms out): windows are
    aligned on the epoch, so "1h" windows start on the hour (UTC)."""
    size = window.value // 1_000_000
    return (timestamps.astype("int64") // size) * size


def features_of(predictions: pd.DataFrame, reference: pd.DataFrame) -> list[str]:
    """The input features both sides have: ``input.<feature>`` columns of the predictions
    whose ``<feature>`` is a column of the reference, in the predictions' order."""
    return [
        column[len(INPUT_PREFIX) :]
        for column in predictions.columns
        if column.startswith(INPUT_PREFIX) and column[len(INPUT_PREFIX) :] in reference.columns
    ]


def prediction_columns(predictions: pd.DataFrame) -> list[str]:
    """``prediction``, or the ``prediction.<name>`` columns of a model with several outputs."""
    if PREDICTION in predictions.columns:
        return [PREDICTION]
    return [c for c in predictions.columns if c.startswith(PREDICTION + ".")]


def drift_table(
    reference: pd.DataFrame,
    predictions: pd.DataFrame,
    window: Any = "1h",
    psi_threshold: float = 0.2,
    p_value: float = 0.01,
    features: list[str] | None = None,
) -> pd.DataFrame:
    """Drift per window and feature of ``predictions`` (the columns ``read_predictions``
    gives: ``timestamp`` in ms, ``input.<feature>``, ``prediction``...) against
    ``reference`` (columns named like the features, without ``input.``), oldest window first.

    ``features`` defaults to every feature both sides have. Prediction drift is in the rows
    whose feature is ``prediction`` (or ``prediction.<name>``): against the reference's
    column of that name when it has one, else against the first window's predictions.
    Columns: ``WINDOW_COLUMNS``; ``drifted`` is psi > ``psi_threshold`` and
    p < ``p_value``.
    """
    import pandas as pd

    window = parse_window(window)
    psi_threshold, p_value = check_thresholds(psi_threshold, p_value)
    chosen = _chosen_features(reference, predictions, features)
    rows: list[dict] = []
    if predictions.empty:
        return _frame(rows)
    starts = window_starts(predictions["timestamp"], window)
    groups = list(predictions.groupby(starts, sort=True))
    first = groups[0][1]
    outputs = prediction_columns(predictions)
    for start, current in groups:
        window_start = pd.Timestamp(int(start), unit="ms", tz="UTC")
        columns = [(f, reference[f], INPUT_PREFIX + f) for f in chosen]
        columns += [(o, reference[o] if o in reference.columns else first[o], o) for o in outputs]
        for feature, reference_values, column in columns:
            values = current[column]
            score = psi(reference_values, values)
            test, statistic, p = two_sample_test(reference_values, values)
            rows.append(
                {
                    "window_start": window_start,
                    "feature": feature,
                    "psi": score,
                    "test": test,
                    "statistic": statistic,
                    "p_value": p,
                    "n": int(values.notna().sum()),
                    "drifted": bool(score > psi_threshold and p < p_value),
                }
            )
    return _frame(rows)


def _chosen_features(
    reference: pd.DataFrame, predictions: pd.DataFrame, features: list[str] | None
) -> list[str]:
    if features is None:
        return features_of(predictions, reference)
    if isinstance(features, str) or not all(isinstance(f, str) for f in features):
        raise InvalidParameter(f"features must be a list of feature names, got {features!r}")
    for feature in features:
        if feature not in reference.columns:
            raise InvalidParameter(
                f"feature {feature!r} is not a column of the reference "
                f"(it has {', '.join(map(str, reference.columns)) or 'none'})"
            )
        if not predictions.empty and INPUT_PREFIX + feature not in predictions.columns:
            raise InvalidParameter(f"feature {feature!r} is not an input of the predictions")
    return list(features)


def _frame(rows: list[dict]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=WINDOW_COLUMNS)
    if not rows:
        frame["window_start"] = pd.to_datetime(frame["window_start"], utc=True)
    return frame.astype({"n": "int64", "drifted": bool})


def accuracy_table(
    predictions: pd.DataFrame, feedback: pd.DataFrame, window: Any = "1h"
) -> pd.DataFrame:
    """Live accuracy per window (of the prediction's time) where labels came back:
    ``feedback`` (``request_id``, ``label``, ``timestamp``) joined on ``request_id``, the
    latest label of a request winning. Columns: ``ACCURACY_COLUMNS``; windows without a
    label are left out. Needs a single ``prediction`` column (none: an empty table)."""
    import pandas as pd

    window = parse_window(window)
    empty = pd.DataFrame(
        {
            "window_start": pd.Series([], dtype="datetime64[ns, UTC]"),
            "accuracy": pd.Series([], dtype=float),
            "n": pd.Series([], dtype="int64"),
        }
    )
    if predictions.empty or feedback.empty or PREDICTION not in predictions.columns:
        return empty
    labels = feedback.sort_values("timestamp").drop_duplicates("request_id", keep="last")
    joined = predictions[["request_id", "timestamp", PREDICTION]].merge(
        labels[["request_id", "label"]], on="request_id", how="inner"
    )
    if joined.empty:
        return empty
    joined["correct"] = _same(joined[PREDICTION], joined["label"])
    grouped = joined.groupby(window_starts(joined["timestamp"], window), sort=True)["correct"]
    table = pd.DataFrame({"accuracy": grouped.mean(), "n": grouped.size()}).reset_index(
        names="window_start"
    )
    table["window_start"] = pd.to_datetime(table["window_start"], unit="ms", utc=True)
    return table.astype({"accuracy": float, "n": "int64"})[ACCURACY_COLUMNS]


def _same(predicted: pd.Series, label: pd.Series) -> pd.Series:
    """Element-wise equality of predictions and labels: as numbers when both read as numbers
    (a label 1 sent back as "1" or 1.0 matches), else as text."""
    import pandas as pd

    left = pd.to_numeric(predicted, errors="coerce")
    right = pd.to_numeric(label, errors="coerce")
    if left.notna().all() and right.notna().all():
        return left.to_numpy() == right.to_numpy()
    return predicted.astype(str).to_numpy() == label.astype(str).to_numpy()


__all__ = [
    "ACCURACY_COLUMNS",
    "WINDOW_COLUMNS",
    "accuracy_table",
    "check_thresholds",
    "drift_table",
    "features_of",
    "is_numeric",
    "parse_window",
    "prediction_columns",
    "psi",
    "two_sample_test",
    "window_starts",
]

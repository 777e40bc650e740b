"""Widget payloads from tracking data: pure functions, no traitlets, no I/O.

Long metric histories are downsampled here, in the kernel, to what a chart can show.
``downsample`` keeps each bucket's lowest and highest point (and the first and last point
of the series), so spikes and dips survive however long the history is.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

import numpy as np

from labtrack.tracking.validation import GROUP_TAG
from labtrack.widgets.contract import Column, GroupSeries, ScatterPoints, Series, TableGroup

if TYPE_CHECKING:
    import pandas as pd

MAX_POINTS_PER_SERIES = 2000
SYSTEM_PREFIX = "system/"  # system metrics' keys (labtrack.tracking.system_metrics)
MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER: beyond it, integers round
INFO_COLUMNS: tuple[Column, ...] = (
    {"name": "run_name", "label": "run", "group": "info", "dtype": "string"},
    {"name": "status", "label": "status", "group": "info", "dtype": "status"},
    {"name": "start_time", "label": "started", "group": "info", "dtype": "time"},
    {"name": "duration", "label": "duration", "group": "info", "dtype": "duration"},
    {"name": "run_id", "label": "run id", "group": "info", "dtype": "string"},
    {"name": "experiment_id", "label": "experiment", "group": "info", "dtype": "string"},
)


def downsample(
    x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS_PER_SERIES
) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points of (x, y), keeping every bucket's min and max of y.

    NaN values are kept as gaps: a bucket whose values are all NaN keeps one NaN point.
    """
    keep = kept_points(np.asarray(y, dtype=float), max_points)
    return x[keep], y[keep]


def kept_points(y: np.ndarray, max_points: int = MAX_POINTS_PER_SERIES) -> slice | np.ndarray:
    """Which points ``downsample`` keeps: every one (a slice), or their sorted indices."""
    count = len(y)
    if count <= max_points:
        return slice(None)
    buckets = max(1, (max_points - 2) // 2)
    size = math.ceil(count / buckets)
    padded = buckets * size
    values = np.full(padded, np.nan)
    values[:count] = y
    rows = values.reshape(buckets, size)
    all_nan = np.isnan(rows).all(axis=1)
    lows = np.argmin(np.where(np.isnan(rows), np.inf, rows), axis=1)
    highs = np.argmax(np.where(np.isnan(rows), -np.inf, rows), axis=1)
    offsets = np.arange(buckets) * size
    keep = np.concatenate([[0, count - 1], offsets + lows, offsets[~all_nan] + highs[~all_nan]])
    return np.unique(keep[keep < count])


def float_bytes(values: np.ndarray) -> bytes:
    """Little-endian float64, as the front end's ``Float64Array`` reads it."""
    return np.ascontiguousarray(values, dtype="<f8").tobytes()


def series(
    run_id: str,
    run_name: str,
    metric: str,
    steps,
    timestamps,
    values,
    x_axis: str = "step",
    start_time: int | None = None,
    max_points: int = MAX_POINTS_PER_SERIES,
    total_points: int | None = None,
) -> Series:
    """One chart line: x by ``x_axis`` (step, seconds since ``start_time``, or wall-clock ms).
    ``total_points``: the history's length when the store already picked the points.

    Steps and timestamps are int64 up to here; ``x`` is float64, which the browser needs
    to position points, and ``x_exact`` carries the integers themselves when some is beyond
    what a JavaScript number holds exactly."""
    if x_axis not in ("step", "relative", "wall"):
        raise ValueError(f"x_axis must be 'step', 'relative' or 'wall', got {x_axis!r}")
    y = np.asarray(values, dtype=float)
    keep = kept_points(y, max_points)
    small_y = y[keep]
    exact = None
    if x_axis == "relative":
        stamps = np.asarray(timestamps, dtype=np.int64)
        origin = start_time if start_time is not None else (int(stamps[0]) if len(stamps) else 0)
        x = _seconds_since(stamps[keep], origin)
    else:
        integers = np.asarray(steps if x_axis == "step" else timestamps, dtype=np.int64)[keep]
        x = integers.astype(float)
        if len(integers) and max(-int(integers.min()), int(integers.max())) > MAX_SAFE_INTEGER:
            exact = [str(integer) for integer in integers.tolist()]
    return {
        "run_id": run_id,
        "run_name": run_name,
        "metric": metric,
        "x": float_bytes(x),
        "y": float_bytes(small_y),
        "x_exact": exact,
        "points": len(small_y),
        "total_points": len(y) if total_points is None else total_points,
    }


NO_GROUP = "(none)"  # the group of runs that have no value in the group_by column


def group_label(value) -> str:
    """A group's name as shown (legend, header row) and coloured: missing values are one group."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_GROUP
    return str(value)


def group_series(
    group: str,
    metric: str,
    histories: list[tuple[np.ndarray, np.ndarray]],
    max_points: int = MAX_POINTS_PER_SERIES,
) -> GroupSeries:
    """One group's line: at each step, the mean, min and max over the group's runs of
    ``metric``, from each run's (steps, values). Runs log different steps (and long histories
    come downsampled): over ``max_points`` distinct steps, steps are binned into that many
    equal bins (a run's points in a bin averaged first), so every run counts once per x."""
    import pandas as pd

    parts = [
        pd.DataFrame(
            {
                "run": i,
                "step": np.asarray(steps, dtype=np.int64),
                "value": np.asarray(values, float),
            }
        )
        for i, (steps, values) in enumerate(histories)
    ]
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({"run": [], "step": np.array([], dtype=np.int64), "value": []})
    )
    frame = frame[np.isfinite(frame["value"])]  # a NaN or inf point would blank the mean
    x = frame["step"].astype(float)
    if frame["step"].nunique() > max_points:
        low, high = x.min(), x.max()
        width = (high - low) / max_points
        bins = np.minimum(((x - low) / width).astype(np.int64), max_points - 1)
        x = low + (bins + 0.5) * width  # the bin's middle
    per_run = frame.assign(x=x).groupby(["x", "run"])["value"].mean()
    stats = per_run.groupby(level="x").agg(["mean", "min", "max"])
    return {
        "group": group,
        "metric": metric,
        "runs": len(histories),
        "x": float_bytes(stats.index.to_numpy(dtype=float)),
        "mean": float_bytes(stats["mean"].to_numpy()),
        "low": float_bytes(stats["min"].to_numpy()),
        "high": float_bytes(stats["max"].to_numpy()),
        "points": len(stats),
    }


def _seconds_since(stamps: np.ndarray, origin: int) -> np.ndarray:
    """(stamps - origin) / 1000, the difference taken in int64 (exact to the millisecond far
    from the epoch) wherever it fits, and in float64 where it overflows."""
    start = np.int64(origin)
    difference = stamps - start  # wraps around on overflow, detected next
    overflowed = ((stamps ^ start) & (stamps ^ difference)) < 0
    if overflowed.any():
        wide = stamps.astype(float) - float(origin)
        return np.where(overflowed, wide, difference.astype(float)) / 1000.0
    return difference / 1000.0


def json_values(values) -> list:
    """A column as JSON-safe values: NaN and NaT become None, numpy scalars plain Python."""
    out = []
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out.append(None)
        elif isinstance(value, (np.floating, np.integer)):
            number = value.item()
            out.append(None if isinstance(number, float) and math.isnan(number) else number)
        else:
            out.append(value)
    return out


_DECIMAL = re.compile(r"[-+]?(\d+\.\d*|\.\d+|\d+(?=[eE]))([eE][-+]?\d+)?")


def short_param(text):
    """A param's text with a float32 printout in its shortest form, as the widgets show it:
    Keras logs a float32 0.001 as ``"0.0010000000474974513"``, shown ``"0.001"`` (the shortest
    decimal reading back as the same float32). Other values are returned unchanged."""
    if not isinstance(text, str) or len(text.strip()) < 10 or not _DECIMAL.fullmatch(text.strip()):
        return text
    value = float(text)
    if not math.isfinite(value) or value == 0 or float(np.float32(value)) != value:
        return text
    for digits in range(1, 10):
        short = float(f"{value:.{digits}g}")
        if float(np.float32(short)) == value:
            return repr(short)
    return text


def table_columns(frame: pd.DataFrame) -> list[Column]:
    """Every column the run table can show: run info first, then metrics, params, tags.
    System metrics (``metrics.system/...``) are a group of their own, ``system``, labelled
    without the prefix."""
    columns = list(INFO_COLUMNS)
    for name in frame.columns:
        group, _, key = name.partition(".")
        if group in ("metrics", "params", "tags") and key:
            if key == GROUP_TAG and group == "tags":
                columns.append({"name": name, "label": "group", "group": group, "dtype": "string"})
                continue
            if group == "tags" and key.startswith(("mlflow.", "labtrack.")):
                continue  # bookkeeping tags stay reachable by filter, not in the chooser
            dtype = "number" if group == "metrics" else "string"
            if group == "metrics" and key.startswith(SYSTEM_PREFIX):
                group, key = "system", key.removeprefix(SYSTEM_PREFIX)
            columns.append({"name": name, "label": key, "group": group, "dtype": dtype})
    return columns


def table_groups(values: list, data, columns: list[Column]) -> tuple[list[TableGroup], np.ndarray]:
    """The run table's groups: rows sharing a value of the group_by column (``values``, one
    per row of ``data``, a column name -> values mapping), by name with runs without a value
    last, and the mean, min and max of each numeric column over the group's runs. Also each
    row's group (an index into the groups)."""
    import pandas as pd

    labels = [group_label(value) for value in values]
    numeric = [c["name"] for c in columns if c["dtype"] in ("number", "duration")]

    def numbers(column) -> pd.Series:
        if not isinstance(column, pd.Series):
            column = pd.Series(list(column), dtype=object)
        return pd.to_numeric(column.reset_index(drop=True), errors="coerce")

    frame = pd.DataFrame({n: numbers(data.get(n, [])) for n in numeric}, index=range(len(labels)))
    frame["_group"] = labels
    groups: list[TableGroup] = []
    row_group = np.zeros(len(labels), dtype=np.int64)
    for name, part in sorted(
        frame.groupby("_group", sort=False), key=lambda item: (item[0] == NO_GROUP, item[0])
    ):
        stats = part[numeric].agg(["mean", "min", "max"]) if numeric else None
        aggregates = {
            column: {key: float(stats.at[key, column]) for key in ("mean", "min", "max")}
            for column in numeric
            if part[column].notna().any()
        }
        row_group[part.index.to_numpy()] = len(groups)
        groups.append({"name": name, "count": len(part), "aggregates": aggregates})
    return groups, row_group


def table_values(frame: pd.DataFrame, columns: list[Column]) -> dict[str, pd.Series]:
    """Column name -> its values, one per run in the frame's order (positional index): the
    frame's own columns, and those the table makes (run name, start in epoch ms, duration
    in seconds, None while running)."""
    import pandas as pd

    if frame.empty:
        return {column["name"]: pd.Series([], dtype=object) for column in columns}
    frame = frame.reset_index(drop=True)
    start = _epoch_ms(frame["start_time"])
    end = frame["end_time"]
    values: dict[str, pd.Series] = {}
    for column in columns:
        name = column["name"]
        if name == "run_name":
            values[name] = frame.get("tags.mlflow.runName", frame["run_id"])
        elif name == "start_time":
            values[name] = start
        elif name == "duration":
            values[name] = ((_epoch_ms(end) - start) / 1000.0).where(end.notna())
        else:
            values[name] = frame[name]
    return values


def table_data(frame: pd.DataFrame, columns: list[Column]) -> dict[str, list]:
    """Column name -> JSON values, one per run, in the frame's order."""
    return {
        name: json_values(values.tolist()) for name, values in table_values(frame, columns).items()
    }


_DIGIT_RUN = r"\d+"


def _pad_digits(match: re.Match) -> str:
    return match.group(0).zfill(24)


def sort_ranks(values: pd.Series) -> np.ndarray:
    """One float per value that orders as the table sorts the column (NaN where missing):
    the numbers themselves for a numeric column; else numbers first by value, then text
    naturally and case-blind ("run-2" before "Run-10": digit runs compared as numbers, by
    zero-padding them), as the front end's collator did. Worked out once per distinct
    value, so a column of few values ranks at once whatever the number of runs."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float, na_value=np.nan)
    codes, distinct = pd.factorize(values.reset_index(drop=True))  # -1 where missing
    distinct = pd.Series(distinct, dtype=object)  # the work below is per distinct value
    is_number = distinct.map(
        lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
    ).to_numpy(dtype=bool)
    rank = np.empty(len(distinct))
    numbers = distinct[is_number].astype(float)
    rank[is_number] = numbers.to_numpy()
    text = distinct[~is_number].astype(str).str.casefold()
    if text.str.contains(_DIGIT_RUN, regex=True).any():
        text = text.str.replace(_DIGIT_RUN, _pad_digits, regex=True)
    order, _ = pd.factorize(text, sort=True)  # ranks among the distinct texts
    rank[~is_number] = order + (numbers.max() + 1 if len(numbers) else 0.0)  # after numbers
    return np.where(codes >= 0, rank[codes], np.nan)


def sort_order(keys: list[tuple[np.ndarray, bool]], count: int) -> np.ndarray:
    """Row indices in display order for sort keys (``sort_ranks``, descending), first key
    first: missing values last whichever the direction, ties in the frame's order."""
    columns: list[np.ndarray] = [np.arange(count)]  # least significant first, for lexsort
    for ranks, descending in reversed(keys):
        missing = np.isnan(ranks)
        value = np.where(missing, 0.0, -ranks if descending else ranks)
        columns += [value, missing]
    return np.lexsort(columns) if len(columns) > 1 else np.arange(count)


def _epoch_ms(times: pd.Series) -> pd.Series:
    """Datetimes as integer milliseconds since the epoch, whatever unit pandas stores them in."""
    return times.dt.as_unit("ms").astype("int64")


def scatter_points(
    frame: pd.DataFrame, x: str, y: str, color: str = ""
) -> tuple[ScatterPoints, str, str]:
    """One point per run having both x and y; returns (points, x kind, y kind)."""
    for name in (x, y, color):
        if name and name not in frame.columns and name not in ("run_name", "status"):
            raise KeyError(name)
    names = frame.get("tags.mlflow.runName", frame["run_id"])
    columns = {"x": x, "y": y, **({"color": color} if color else {})}
    values = {
        key: _numeric_or_text(frame[col] if col != "run_name" else names)
        for key, col in columns.items()
    }
    keep = [
        i
        for i in range(len(frame))
        if values["x"][0][i] is not None and values["y"][0][i] is not None
    ]
    kept = {key: [vals[i] for i in keep] for key, (vals, _) in values.items()}
    points: ScatterPoints = {
        "run_id": [frame["run_id"].iloc[i] for i in keep],
        "run_name": [names.iloc[i] for i in keep],
        "x": kept["x"],
        "y": kept["y"],
        "color": kept.get("color", []),
    }
    return points, values["x"][1], values["y"][1]


def _numeric_or_text(column: pd.Series) -> tuple[list, str]:
    """Params are stored as text: a column whose values all parse as numbers is numeric.
    A float32 printout counts as its shortest form (0.001, not 0.0010000000474974513), so
    axes and hovers show what was meant."""
    import pandas as pd

    column = column.map(short_param)
    numbers = pd.to_numeric(column, errors="coerce")
    present = column.notna()
    if present.any() and numbers[present].notna().all():
        return json_values(numbers.tolist()), "number"
    return [
        None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
        for v in column.tolist()
    ], "category"

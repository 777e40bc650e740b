"""``MonitorChart``: a deployment's drift over time, as ``lt.monitor()`` computed it.

One line per feature (and the prediction) of its PSI against the reference, window by window,
with the PSI threshold drawn across; the two-sample test's p-values below on a log axis with
their threshold; the windows where a feature drifted (PSI over its threshold and p under its
own) shaded and their points marked; and the live accuracy per window where labels came back.

The state is built from a Monitor's ``windows`` and ``accuracy`` DataFrames and its thresholds
(``labtrack.production.monitor``), so any object carrying those draws: the widget reads no store.
"""

from __future__ import annotations

import math
from typing import Literal, TypedDict

import traitlets as t

from labtrack.errors import InvalidParameter
from labtrack.widgets._base import RunsWidget

# The prediction's drift is in the rows of ``Monitor.windows`` under this feature name (or
# ``prediction.<output>`` for a model with several outputs).
PREDICTION = "prediction"
_WINDOW_COLUMNS = ("window_start", "feature", "psi", "test", "p_value", "n", "drifted")
_ACCURACY_COLUMNS = ("window_start", "accuracy", "n")


class MonitorFeature(TypedDict):
    """One feature's drift over the windows, oldest first: entry ``i`` of each list is one
    window."""

    feature: str  # "prediction" (or "prediction.<output>") for the prediction's drift
    test: Literal["ks", "chi2", ""]  # the two-sample test: Kolmogorov-Smirnov or chi-squared
    window_start: list[int]  # ms since the epoch (UTC)
    psi: list[float | None]
    p_value: list[float | None]
    drifted: list[bool]
    n: list[int]  # predictions in the window


class MonitorAccuracy(TypedDict):
    """Live accuracy per window where feedback joined the predictions, oldest first."""

    window_start: list[int]
    accuracy: list[float | None]
    n: list[int]  # labelled predictions in the window


class MonitorState(TypedDict):
    """``MonitorChart`` (displaying ``lt.monitor()``'s Monitor)."""

    deployment: str  # the deployment's name ("" when the Monitor names none)
    window_ms: int  # the windows' length
    psi_threshold: float
    p_threshold: float  # a window drifts when p < this (and PSI > psi_threshold)
    features: list[MonitorFeature]  # the input features, then the prediction
    accuracy: MonitorAccuracy
    selected: list[str]  # the deployment's run id (none when unknown)
    empty_message: str


def _number(value) -> float | None:
    """A JSON number: NaN and missing values become None (JSON has no NaN)."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _ms(values) -> list[int]:
    """Window starts (pandas Timestamps, UTC or naive-as-UTC) as ms since the epoch."""
    import pandas as pd

    stamps = pd.to_datetime(pd.Series(values), utc=True)
    # By Timedelta, not astype("int64"): the unit under the stamps may be ns, us or s.
    since = (stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
    return [int(v) for v in since]


def _window_ms(window, starts: list[int]) -> int:
    """The windows' length: the Monitor's ``window`` ("1h", a Timedelta), else the smallest gap
    between window starts, else an hour."""
    import pandas as pd

    if window is not None:
        try:
            return int(pd.Timedelta(window).total_seconds() * 1000)
        except (TypeError, ValueError):
            pass
    gaps = sorted({b - a for a, b in zip(starts, starts[1:], strict=False) if b > a})
    return gaps[0] if gaps else 3_600_000


def _missing(frame, columns: tuple[str, ...], what: str) -> None:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InvalidParameter(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise InvalidParameter(f"{what} has no column {absent[0]!r}; it needs {list(columns)}")


def monitor_state(monitor) -> MonitorState:
    """The widget's state from a Monitor (``windows``, ``accuracy``, thresholds, deployment)."""
    windows = getattr(monitor, "windows", None)
    _missing(windows, _WINDOW_COLUMNS, "the monitor's windows")
    accuracy = getattr(monitor, "accuracy", None)
    if accuracy is not None:
        _missing(accuracy, _ACCURACY_COLUMNS, "the monitor's accuracy")
    windows = windows.assign(_ms=_ms(windows["window_start"])).sort_values("_ms", kind="stable")
    features: list[MonitorFeature] = []
    names = list(dict.fromkeys(str(f) for f in windows["feature"]))
    # Inputs first in the Monitor's order, the predictions last: they read as the outcome.
    outputs = [n for n in names if n == PREDICTION or n.startswith(f"{PREDICTION}.")]
    for name in [n for n in names if n not in outputs] + outputs:
        rows = windows[windows["feature"].astype(str) == name]
        tests = [str(v) for v in rows["test"].dropna().unique() if str(v) in ("ks", "chi2")]
        features.append(
            {
                "feature": name,
                "test": tests[0] if tests else "",
                "window_start": [int(v) for v in rows["_ms"]],
                "psi": [_number(v) for v in rows["psi"]],
                "p_value": [_number(v) for v in rows["p_value"]],
                "drifted": [bool(v) for v in rows["drifted"].fillna(False)],
                "n": [int(v) for v in rows["n"].fillna(0)],
            }
        )
    acc: MonitorAccuracy = {"window_start": [], "accuracy": [], "n": []}
    if accuracy is not None and len(accuracy):
        accuracy = accuracy.assign(_ms=_ms(accuracy["window_start"])).sort_values("_ms")
        acc = {
            "window_start": [int(v) for v in accuracy["_ms"]],
            "accuracy": [_number(v) for v in accuracy["accuracy"]],
            "n": [int(v) for v in accuracy["n"].fillna(0)],
        }
    deployment = getattr(monitor, "deployment", "") or ""
    run_id = getattr(deployment, "run_id", None) or getattr(monitor, "run_id", None)
    starts = sorted({s for f in features for s in f["window_start"]})
    return {
        "deployment": str(getattr(deployment, "name", deployment)),
        "window_ms": _window_ms(getattr(monitor, "window", None), starts),
        "psi_threshold": float(getattr(monitor, "psi_threshold", 0.2)),
        "p_threshold": float(getattr(monitor, "p_value", 0.01)),
        "features": features,
        "accuracy": acc,
        "selected": [str(run_id)] if run_id else [],
        "empty_message": ""
        if features
        else "No predictions in any window yet: serve with --log-predictions and send traffic.",
    }


class MonitorChart(RunsWidget):
    """A deployment's drift over time: PSI per feature with its threshold, p-values, drifted
    windows marked, and live accuracy where labels came back.

    Shown when a Monitor is displayed; ``update(monitor)`` redraws it from a newer one.

    >>> MonitorChart(lt.monitor("iris-prod", reference=train_df))  # doctest: +SKIP
    """

    state_type = MonitorState
    _bundle_name = "monitor"

    deployment = t.Unicode("").tag(sync=True)
    window_ms = t.Int(3_600_000).tag(sync=True)
    psi_threshold = t.Float(0.2).tag(sync=True)
    p_threshold = t.Float(0.01).tag(sync=True)
    features = t.List(t.Dict()).tag(sync=True)
    accuracy = t.Dict().tag(sync=True)

    def __init__(self, monitor, **kwargs):
        state = monitor_state(monitor)
        self.monitor = monitor
        super().__init__(**state, **kwargs)

    def update(self, monitor=None) -> None:
        """Redraw from ``monitor`` (default: the one shown, read again after it recomputed)."""
        state = monitor_state(self.monitor if monitor is None else monitor)
        if monitor is not None:
            self.monitor = monitor
        with self.hold_sync():
            for name, value in state.items():
                setattr(self, name, value)

    def drifted_windows(self) -> list[tuple[int, list[str]]]:
        """(window start in ms, the features that drifted there), oldest first."""
        found: dict[int, list[str]] = {}
        for f in self.features:
            for start, drifted in zip(f["window_start"], f["drifted"], strict=True):
                if drifted:
                    found.setdefault(start, []).append(f["feature"])
        return sorted(found.items())

    def fallback_table(self) -> tuple[list[str], list[list], str]:
        import pandas as pd

        rows = []
        for f in self.features:
            for i, start in enumerate(f["window_start"]):
                psi, p = f["psi"][i], f["p_value"][i]
                rows.append(
                    [
                        pd.Timestamp(start, unit="ms", tz="UTC").strftime("%Y-%m-%d %H:%M"),
                        f["feature"],
                        "" if psi is None else f"{psi:.3g}",
                        "" if p is None else f"{p:.3g}",
                        f["n"][i],
                        "DRIFT" if f["drifted"][i] else "",
                    ]
                )
        rows.sort(key=lambda r: r[0])
        caption = (
            f"drift of {self.deployment or 'the deployment'}: PSI > {self.psi_threshold:g} "
            f"and p < {self.p_threshold:g}"
        )
        return ["window (UTC)", "feature", "PSI", "p", "n", "drifted"], rows, caption

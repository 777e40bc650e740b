"""``lt.monitor``: drift and live accuracy of a deployment, from the predictions it logged.

It reads the deployment run's prediction and feedback Parquet files, computes per window
(``labtrack.production.drift``), logs the figures as metrics of the deployment run, stores one
WARN alert per window newly found drifted (the webhook gets it too) and can run a pipeline
when drift is found: the loop of continuous training.

>>> monitor = lt.monitor("iris", reference=train_df, window="1h")  # doctest: +SKIP
>>> monitor.drifted_windows()
>>> monitor                                                          # the chart, in Jupyter
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labtrack.errors import InvalidParameter, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from labtrack.entities import Alert
    from labtrack.tracking.client import TrackingClient

# The drifted windows already handled (alerted on, or on_drift run for), as ms since the
# epoch, comma-separated: a second lt.monitor call neither alerts on them again nor reruns the
# pipeline. On the deployment run, so every process and store sees it. The newest are kept:
# a tag holds 8000 characters, 500 windows of 14.
HANDLED_TAG = "labtrack.monitor.drifted_windows"
MAX_HANDLED = 500
READ_SUFFIXES = (".parquet", ".pq", ".csv", ".json")


@dataclass
class Monitor:
    """The drift and live accuracy of one deployment, per time window, as ``lt.monitor``
    computed them. Shown in Jupyter as a chart over time (``labtrack.widgets.monitor``).

    ``windows``: one row per window and feature (``window_start``, ``feature``, ``psi``,
    ``test``, ``statistic``, ``p_value``, ``n``, ``drifted``); prediction drift in the rows of
    feature ``prediction``. ``accuracy``: ``window_start``, ``accuracy``, ``n`` where labels
    came back. ``new_drifts``: the windows this call found drifted for the first time;
    ``alerts`` the alerts it stored; ``pipeline_run_id`` the pipeline run ``on_drift``
    started, if any.
    """

    deployment: str
    run_id: str
    window: pd.Timedelta
    psi_threshold: float
    p_value: float
    windows: pd.DataFrame
    accuracy: pd.DataFrame
    new_drifts: list = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    pipeline_run_id: str | None = None

    def drifted_windows(self) -> pd.DataFrame:
        """One row per drifted window, oldest first: ``window_start`` and ``features`` (the
        sorted names of the features that drifted in it)."""
        import pandas as pd

        drifted = self.windows[self.windows["drifted"]]
        if drifted.empty:
            return pd.DataFrame(
                {
                    "window_start": pd.Series([], dtype="datetime64[ns, UTC]"),
                    "features": pd.Series([], dtype=object),
                }
            )
        grouped = drifted.groupby("window_start", sort=True)["feature"]
        return grouped.apply(lambda names: sorted(names)).reset_index(name="features")

    def _repr_mimebundle_(self, include=None, exclude=None):
        try:
            from labtrack.widgets.monitor import MonitorChart
        except ImportError:  # the widgets' dependencies are not installed: the table
            return {"text/plain": repr(self), "text/html": self.windows.to_html(index=False)}, {}
        return MonitorChart(self)._repr_mimebundle_(include=include, exclude=exclude)

    def __repr__(self) -> str:
        drifted = self.drifted_windows()
        return (
            f"<Monitor {self.deployment!r}: {self.windows['window_start'].nunique()} windows of "
            f"{self.window}, {len(drifted)} drifted, psi > {self.psi_threshold} and "
            f"p < {self.p_value}>"
        )


def _ms(timestamp: pd.Timestamp) -> int:
    return int(timestamp.value // 1_000_000)


def monitor(
    deployment: Any,
    reference: Any = None,
    window: Any = "1h",
    psi_threshold: float = 0.2,
    p_value: float = 0.01,
    features: list[str] | None = None,
    on_drift: str | Path | None = None,
    alert: bool = True,
    log: bool = True,
) -> Monitor:
    """Drift and live accuracy of ``deployment`` (its name, or a ``Deployment``) per
    ``window`` of its logged predictions, against ``reference``: a DataFrame with columns
    named like the features (a ``prediction`` column is the reference for prediction drift),
    or a run id / ``runs:/<id>`` whose logged dataset (``lt.log_input``) gives it; a
    ``runs:/<id>/<table>`` or a ``.parquet``/``.csv`` path names a table directly. None: the
    dataset of the run that trained the model version the deployment serves.

    Per window and feature: PSI over 10 quantile bins of the reference and a two-sample test
    (Kolmogorov-Smirnov for numbers, chi-squared for categories); a window drifts when psi >
    ``psi_threshold`` and p < ``p_value``. ``features``: the features to check (default: every
    input the reference has).

    ``log``: the figures become metrics of the deployment run (``drift/psi/<feature>``,
    ``drift/p_value/<feature>``, ``drift/prediction_psi``, ``live/accuracy``; step = window
    start in seconds since the epoch; a repeat call logs only what changed). ``alert``: one
    WARN alert per window newly found drifted (never twice for a window).
    ``on_drift``: a pipeline file run once (``labtrack.pipelines.run_pipeline``) when new
    drift is found; the alerts name its run.

    >>> m = lt.monitor("iris", reference=train_df, on_drift="retrain.yaml")  # doctest: +SKIP
    """
    from labtrack.production import drift
    from labtrack.tracking import state

    window = drift.parse_window(window)
    psi_threshold, p_value = drift.check_thresholds(psi_threshold, p_value)
    for name, flag in (("alert", alert), ("log", log)):
        if not isinstance(flag, bool):
            raise InvalidParameter(f"{name} must be True or False, got {flag!r}")
    pipeline = load_on_drift(on_drift)
    client = state.client()
    return compute(
        client,
        deployment,
        reference,
        window,
        psi_threshold,
        p_value,
        features,
        pipeline=pipeline,
        alert=alert,
        log=log,
    )


def load_on_drift(on_drift: str | Path | None):
    """The pipeline ``on_drift`` names, loaded (and so checked) before anything is computed."""
    if on_drift is None:
        return None
    if not isinstance(on_drift, (str, Path)) or not str(on_drift):
        raise InvalidParameter(f"on_drift must be a pipeline file, got {on_drift!r}")
    if not Path(on_drift).is_file():
        raise InvalidParameter(f"on_drift: no pipeline file {str(on_drift)!r}")
    from labtrack.pipelines import load_pipeline

    return load_pipeline(on_drift)


def compute(
    client: TrackingClient,
    deployment: Any,
    reference: Any = None,
    window: Any = "1h",
    psi_threshold: float = 0.2,
    p_value: float = 0.01,
    features: list[str] | None = None,
    *,
    pipeline: Any = None,
    alert: bool = False,
    log: bool = False,
) -> Monitor:
    """``monitor`` on the store of ``client`` (the CLI's): the same computation, logging and
    alerts; ``pipeline`` is a loaded ``labtrack.pipelines.Pipeline`` or None."""
    from labtrack.production import drift, get_deployment
    from labtrack.production.predictions import read_feedback, read_predictions

    window = drift.parse_window(window)
    psi_threshold, p_value = drift.check_thresholds(psi_threshold, p_value)
    name = _deployment_name(deployment)
    target = get_deployment(client, name)
    if reference is None:
        reference = _training_run(client, target)
    reference_frame = load_reference(client, reference)
    predictions = read_predictions(client, target.run_id)
    windows = drift.drift_table(
        reference_frame, predictions, window, psi_threshold, p_value, features
    )
    accuracy = drift.accuracy_table(predictions, read_feedback(client, target.run_id), window)
    result = Monitor(name, target.run_id, window, psi_threshold, p_value, windows, accuracy)
    if log:
        _log_metrics(client, result)
    if alert or pipeline is not None:
        _handle_new_drifts(client, result, pipeline, alert)
    return result


def _deployment_name(deployment: Any) -> str:
    name = getattr(deployment, "name", deployment)
    if not isinstance(name, str) or not name:
        raise InvalidParameter(f"deployment must be a deployment's name, got {deployment!r}")
    return name


def _training_run(client: TrackingClient, target: Any) -> str:
    """The run that logged the model version ``target`` serves: its dataset is the default
    reference."""
    from labtrack.client import Client

    if not target.model_name or not target.model_version:
        raise InvalidParameter(
            f"deployment {target.name!r} serves no registered model version "
            f"({target.model_uri}): pass reference="
        )
    version = Client(client.tracking_uri).get_model_version(
        target.model_name, str(target.model_version)
    )
    if not version.run_id:
        raise InvalidParameter(
            f"model {target.model_name!r} version {target.model_version} has no run: "
            "pass reference="
        )
    return version.run_id


def load_reference(client: TrackingClient, reference: Any) -> pd.DataFrame:
    """The reference as a DataFrame: ``reference`` itself; a ``.parquet``/``.csv``/``.json``
    file; ``runs:/<id>/<table>``, a table artifact of a run; or a run id / ``runs:/<id>``,
    the dataset the run logged (``lt.log_input``: its training one if it logged several),
    read from the dataset's source (a file, a ``runs:/`` table, a URL pandas reads)."""
    import pandas as pd

    from labtrack.runs_uri import is_runs_uri, parse_runs_uri

    if isinstance(reference, pd.DataFrame):
        return reference
    if isinstance(reference, Path) or (
        isinstance(reference, str) and reference.lower().endswith(READ_SUFFIXES)
    ):
        if not is_runs_uri(str(reference)):
            return _read_table_file(str(reference))
    if not isinstance(reference, str) or not reference:
        raise InvalidParameter(
            "reference must be a DataFrame, a run id, runs:/<run id> or a .parquet/.csv file, "
            f"got {reference!r}"
        )
    run_id, path = (
        parse_runs_uri(reference, path_required=False)
        if is_runs_uri(reference)
        else (reference, "")
    )
    if path:
        return _read_run_table(client, run_id, path)
    return _read_dataset(client, run_id)


def _read_dataset(client: TrackingClient, run_id: str) -> pd.DataFrame:
    from urllib.parse import urlparse

    from labtrack.runs_uri import is_runs_uri, parse_runs_uri

    try:
        run = client.get_run(run_id)
    except NotFound:
        raise InvalidParameter(f"reference: no run {run_id!r}") from None
    inputs = run.inputs.dataset_inputs if run.inputs else []
    if not inputs:
        raise InvalidParameter(
            f"reference: run {run_id} logged no dataset (lt.log_input); pass a DataFrame"
        )
    # The model was trained on the training data: that is what production should look like.
    chosen = next(
        (
            item
            for item in inputs
            if any(t.key == "mlflow.data.context" and t.value == "training" for t in item.tags)
        ),
        inputs[0],
    )
    dataset = chosen.dataset
    description = json.loads(dataset.source or "{}")
    uri = description.get("uri") or description.get("url")
    if not uri:
        raise InvalidParameter(
            f"reference: dataset {dataset.name!r} of run {run_id} was made in code "
            f"({dataset.source_type} source), so its rows are not stored; log it with a "
            "file as its source, or pass the DataFrame"
        )
    if is_runs_uri(uri):
        source_run, path = parse_runs_uri(uri)
        return _read_run_table(client, source_run, path)
    parsed = urlparse(uri)
    return _read_table_file(parsed.path if parsed.scheme == "file" else uri)


def _read_run_table(client: TrackingClient, run_id: str, path: str) -> pd.DataFrame:
    import tempfile

    if not path.lower().endswith(READ_SUFFIXES):
        raise InvalidParameter(f"reference: {path!r} is not a .parquet, .csv or .json table")
    with tempfile.TemporaryDirectory() as folder:
        local = client.download_artifacts(run_id, path, folder)
        return _read_table_file(local)


def _read_table_file(path: str) -> pd.DataFrame:
    import pandas as pd

    lower = path.lower()
    try:
        if lower.endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        if lower.endswith(".csv"):
            return pd.read_csv(path)
        if lower.endswith(".json"):  # lt.log_table's layout
            return pd.read_json(path, orient="split")
    except FileNotFoundError:
        raise InvalidParameter(f"reference: no file {path!r}") from None
    raise InvalidParameter(f"reference: {path!r} is not a .parquet, .csv or .json table")


# What a metric name may not hold (labtrack.tracking.validation's rule, MLflow's): a feature
# such as "petal length (cm)" is logged as drift/psi/petal length _cm_.
_NOT_IN_KEYS = re.compile(r"[^\w\-. /:]")


def metric_key(kind: str, feature: str) -> str:
    """The metric of a feature's ``kind`` (``psi`` or ``p_value``): ``drift/<kind>/<feature>``,
    or ``drift/prediction_<kind>`` for the prediction (``.../<output>`` for one of several);
    characters a metric name cannot hold become ``_``, and so does a ``..`` path part."""
    from labtrack.production.drift import PREDICTION

    if feature == PREDICTION or feature.startswith(PREDICTION + "."):
        suffix = feature[len(PREDICTION) :].replace(".", "/")  # "" or "/<output>"
        key = f"drift/prediction_{kind}{suffix}"
    else:
        key = f"drift/{kind}/{feature}"
    parts = _NOT_IN_KEYS.sub("_", key).split("/")
    return "/".join("_" if part.strip(".") == "" and part else part for part in parts)


def _log_metrics(client: TrackingClient, result: Monitor) -> None:
    """Log the figures at step = window start in seconds; a point already logged with the
    same value at that step is not logged again, so repeated calls add only what changed."""
    from labtrack.entities import Metric

    wanted: dict[str, dict[int, float]] = {}
    for row in result.windows.itertuples(index=False):
        step = _ms(row.window_start) // 1000
        for kind, value in (("psi", row.psi), ("p_value", row.p_value)):
            if value == value:  # NaN for an empty side: nothing to log
                wanted.setdefault(metric_key(kind, row.feature), {})[step] = float(value)
    for row in result.accuracy.itertuples(index=False):
        wanted.setdefault("live/accuracy", {})[_ms(row.window_start) // 1000] = float(row.accuracy)
    now = int(time.time() * 1000)
    points = []
    for key, values in wanted.items():
        logged = {m.step: m.value for m in client.get_metric_history(result.run_id, key)}
        points += [
            Metric(key, value, now, step)
            for step, value in values.items()
            if step not in logged or not _close(logged[step], value)
        ]
    if points:
        client.log_batch(result.run_id, metrics=points, synchronous=True)


def _close(a: float, b: float) -> bool:
    import math

    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _handle_new_drifts(client: TrackingClient, result: Monitor, pipeline: Any, alert: bool) -> None:
    """Alert on (and run ``pipeline`` for) the drifted windows no earlier call handled."""
    run = client.get_run(result.run_id)
    handled_text = run.data.tags.get(HANDLED_TAG, "")
    handled = {int(part) for part in handled_text.split(",") if part.strip().isdigit()}
    drifted = result.drifted_windows()
    new = [row for row in drifted.itertuples(index=False) if _ms(row.window_start) not in handled]
    if not new:
        return
    result.new_drifts = [row.window_start for row in new]
    pipeline_note = ""
    if pipeline is not None:
        result.pipeline_run_id, pipeline_note = _run_pipeline(pipeline, result.deployment)
    if alert:
        for row in new:
            result.alerts.append(
                client.alert(
                    result.run_id,
                    _title(result.deployment, row.window_start, row.features),
                    _text(result, row.window_start, row.features) + pipeline_note,
                    "WARN",
                )
            )
    kept = sorted(handled | {_ms(row.window_start) for row in new})[-MAX_HANDLED:]
    client.set_tag(result.run_id, HANDLED_TAG, ",".join(map(str, kept)))


def _run_pipeline(pipeline: Any, deployment: str) -> tuple[str, str]:
    from labtrack.pipelines import run_pipeline

    # cache=False: retraining on drift must train again, not reuse the last retraining.
    outcome = run_pipeline(pipeline, run_name=f"on drift of {deployment}", cache=False)
    note = f"\non_drift: pipeline {pipeline.name!r} ran as run {outcome.parent_run_id}"
    return outcome.parent_run_id, note + f" ({outcome.status})"


def _title(deployment: str, window_start: pd.Timestamp, features: list[str]) -> str:
    title = f"Drift in {deployment} at {window_start:%Y-%m-%d %H:%M} UTC: {', '.join(features)}"
    return title if len(title) <= 250 else title[:249] + "…"


def _text(result: Monitor, window_start: pd.Timestamp, features: list[str]) -> str:
    rows = result.windows[
        (result.windows["window_start"] == window_start) & result.windows["drifted"]
    ]
    lines = [
        f"{row.feature}: psi {row.psi:.3f} > {result.psi_threshold}, {row.test} p "
        f"{row.p_value:.2g} < {result.p_value} (n={row.n})"
        for row in rows.itertuples(index=False)
    ]
    text = f"window of {result.window} from {window_start.isoformat()}\n" + "\n".join(lines)
    return text[:9000]  # an alert's text holds 10,000 characters; the pipeline note follows


__all__ = ["Monitor", "compute", "load_on_drift", "load_reference", "metric_key", "monitor"]

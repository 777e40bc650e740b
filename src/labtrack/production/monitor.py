"""``lt.monitor``: drift and live accuracy of a deployment, from the predictions it logged.

It reads the prediction and feedback Parquet files of every run of the deployment (one per
start of its server), computes per window (``labtrack.production.drift``), logs the figures as
metrics of the newest run, stores one WARN alert per window newly found drifted (the webhook
gets it too) and can run a pipeline when drift is found: the loop of continuous training.

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

    from labtrack.entities import Alert, Run
    from labtrack.production import Deployment
    from labtrack.tracking.client import TrackingClient

# The drifted windows already handled, one record per action so that neither silences the
# other: ALERTED_TAG those alerted on, ON_DRIFT_TAG those an on_drift pipeline ran for. A later
# lt.monitor call does neither again for them. On the deployment's runs, so every process and
# store sees them. A record is ms since the epoch, comma-separated; a tag holds 8000
# characters, so the newest MAX_HANDLED (of 14 each) are kept and the record then starts with
# a cut-off, "<=<ms>": every window at or before it is handled too.
ALERTED_TAG = "labtrack.monitor.alerted_windows"
ON_DRIFT_TAG = "labtrack.monitor.on_drift_windows"
MAX_HANDLED = 500
_CUTOFF = "<="
READ_SUFFIXES = (".parquet", ".pq", ".csv", ".json")


@dataclass
class Monitor:
    """The drift and live accuracy of one deployment, per time window, as ``lt.monitor``
    computed them. Shown in Jupyter as a chart over time (``labtrack.widgets.monitor``).

    ``windows``: one row per window and feature (``window_start``, ``feature``, ``psi``,
    ``test``, ``statistic``, ``p_value``, ``n``, ``drifted``); prediction drift in the rows of
    feature ``prediction``. ``accuracy``: ``window_start``, ``accuracy``, ``n`` where labels
    came back. ``new_drifts``: the drifted windows this call alerted on or ran ``on_drift``
    for (each is done once per window); ``alerts`` the alerts it stored; ``pipeline_run_id``
    the pipeline run ``on_drift`` started, if any.
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
    ``window`` of its logged predictions (and labels), those of every run of the name so
    that a restart splits nothing, against ``reference``: a DataFrame with columns
    named like the features (a ``prediction`` column is the reference for prediction drift),
    or a run id / ``runs:/<id>`` whose logged dataset (``lt.log_input``) gives it; a
    ``runs:/<id>/<table>`` or a ``.parquet``/``.csv`` path names a table directly. None: the
    dataset of the run that trained the model version the deployment serves.

    Per window and feature: PSI over 10 quantile bins of the reference and a two-sample test
    (Kolmogorov-Smirnov for numbers, chi-squared for categories); a window drifts when psi >
    ``psi_threshold`` and p < ``p_value``. ``features``: the features to check (default: every
    input the reference has).

    ``log``: the figures become metrics of the deployment's newest run (``drift/psi/<feature>``,
    ``drift/p_value/<feature>``, ``drift/prediction_psi``, ``live/accuracy``; step = window
    start in seconds since the epoch; a repeat call logs only what changed). ``alert``: one
    WARN alert per window newly found drifted (never twice for a window).
    ``on_drift``: a pipeline file run once (``labtrack.pipelines.run_pipeline``) when drift
    is found in windows it never ran for; the alerts name its run. Alerts and ``on_drift``
    keep apart records of the windows they handled. ``InvalidParameter`` for a reference file
    that cannot be read.

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
    from labtrack.production import drift

    window = drift.parse_window(window)
    psi_threshold, p_value = drift.check_thresholds(psi_threshold, p_value)
    name = _deployment_name(deployment)
    target, runs = _deployment_runs(client, name)
    if reference is None:
        reference = _training_run(client, target)
    reference_frame = load_reference(client, reference)
    predictions, feedback = _read_runs(client, runs)
    windows = drift.drift_table(
        reference_frame, predictions, window, psi_threshold, p_value, features
    )
    accuracy = drift.accuracy_table(predictions, feedback, window)
    result = Monitor(name, target.run_id, window, psi_threshold, p_value, windows, accuracy)
    if log:
        _log_metrics(client, result)
    if alert or pipeline is not None:
        _handle_new_drifts(client, result, runs, pipeline, alert)
    return result


def _deployment_runs(client: TrackingClient, name: str) -> tuple[Deployment, list[Run]]:
    """The deployment ``name`` (its newest run) and every run of it: a server restart
    starts a new run, and the windows and labels of the old ones still count."""
    from labtrack import production

    target = production.get_deployment(client, name)
    runs = production.deployment_runs(client, name)
    return target, runs


def _read_runs(client: TrackingClient, runs: list[Run]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The predictions and the labels of all ``runs``, one frame each: predictions by
    timestamp, one label per request id (the latest given, whichever run holds it)."""
    import pandas as pd

    from labtrack.production.predictions import read_feedback, read_predictions

    def combined(frames: list[pd.DataFrame]) -> pd.DataFrame:
        filled = [frame for frame in frames if not frame.empty]
        if len(filled) < 2:
            return filled[0] if filled else frames[0]
        frame = pd.concat(filled, ignore_index=True)
        return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)

    predictions = combined([read_predictions(client, run.info.run_id) for run in runs])
    feedback = combined([read_feedback(client, run.info.run_id) for run in runs])
    feedback = feedback.drop_duplicates("request_id", keep="last").reset_index(drop=True)
    return predictions, feedback


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
    if Path(path).is_dir():  # pandas would read a folder of Parquet files, or none, as a table
        raise InvalidParameter(f"reference: {path!r} is a folder, not a table file")
    try:
        if lower.endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        if lower.endswith(".csv"):
            return pd.read_csv(path)
        if lower.endswith(".json"):  # lt.log_table's layout
            return pd.read_json(path, orient="split")
    except FileNotFoundError:
        raise InvalidParameter(f"reference: no file {path!r}") from None
    # pyarrow's ArrowInvalid and pandas' EmptyDataError and ParserError are ValueErrors.
    except (OSError, ValueError) as error:
        raise InvalidParameter(f"reference: cannot read {path!r}: {error}"[:500]) from None
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


def _handle_new_drifts(
    client: TrackingClient, result: Monitor, runs: list[Run], pipeline: Any, alert: bool
) -> None:
    """Run ``pipeline`` once for the drifted windows it never ran for, and alert (``alert``)
    on those never alerted on; record on the newest run only what was done. The records of
    all ``runs`` count: a restart does not make old windows new."""
    drifted = list(result.drifted_windows().itertuples(index=False))
    tags: dict[str, str] = {}
    new: set = set()
    note = ""
    if pipeline is not None:
        handled = _handled(runs, ON_DRIFT_TAG)
        retrain = [row.window_start for row in drifted if not _is_handled(handled, row)]
        if retrain:
            result.pipeline_run_id, note = _run_pipeline(pipeline, result.deployment)
            tags[ON_DRIFT_TAG] = _handled_text(handled, retrain)
            new.update(retrain)
    if alert:
        handled = _handled(runs, ALERTED_TAG)
        rows = [row for row in drifted if not _is_handled(handled, row)]
        for row in rows:
            result.alerts.append(
                client.alert(
                    result.run_id,
                    _title(result.deployment, row.window_start, row.features),
                    _text(result, row.window_start, row.features) + note,
                    "WARN",
                )
            )
        if rows:
            tags[ALERTED_TAG] = _handled_text(handled, [row.window_start for row in rows])
            new.update(row.window_start for row in rows)
    result.new_drifts = sorted(new)
    for key, value in tags.items():
        client.set_tag(result.run_id, key, value)


def _handled(runs: list[Run], tag: str) -> tuple[int | None, set[int]]:
    """The cut-off (None if there is none) and the windows (ms) that the ``tag`` records of
    ``runs`` hold."""
    cutoff, windows = None, set()
    for run in runs:
        for part in run.data.tags.get(tag, "").split(","):
            part = part.strip()
            if part.startswith(_CUTOFF) and part[len(_CUTOFF) :].isdigit():
                cutoff = max(cutoff or 0, int(part[len(_CUTOFF) :]))
            elif part.isdigit():
                windows.add(int(part))
    return cutoff, windows


def _is_handled(handled: tuple[int | None, set[int]], row: Any) -> bool:
    cutoff, windows = handled
    ms = _ms(row.window_start)
    return ms in windows or (cutoff is not None and ms <= cutoff)


def _handled_text(handled: tuple[int | None, set[int]], new: list) -> str:
    """The record of the ``handled`` windows and the ``new`` ones: the newest
    ``MAX_HANDLED``, after a cut-off at the oldest of them once older ones are dropped."""
    cutoff, windows = handled
    every = windows | {_ms(start) for start in new}
    kept = sorted(w for w in every if cutoff is None or w > cutoff)
    if len(kept) > MAX_HANDLED:
        kept = kept[-MAX_HANDLED:]
        cutoff = kept.pop(0)
    prefix = [] if cutoff is None else [f"{_CUTOFF}{cutoff}"]
    return ",".join(prefix + [str(w) for w in kept])


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

"""What a report shows, read through the tracking client (never SQL): pure data, no HTML.

Metric histories are downsampled as the chart widget's are (each bucket's lowest and highest
point kept). Values travel as float32 and steps as an arithmetic progression when they are
one, which is what keeps 100 runs x 4 metrics x 1,000 steps at a couple of megabytes.
"""

from __future__ import annotations

import base64
import io
import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from labtrack.errors import InvalidParameter

if TYPE_CHECKING:
    import pandas as pd

    from labtrack.tracking.client import TrackingClient

NOTE_TAG = "mlflow.note.content"
# Above this many points a line is drawn with WebGL, which the report does not bundle
# (js/shared/chart.ts GL_THRESHOLD): longer histories are downsampled to it.
MAX_POINTS_LIMIT = 5000
PARALLEL_PARAMS = 8  # axes of the parallel-coordinates plot when none are named
LOSS_WORDS = ("loss", "error", "mse", "mae", "rmse", "perplexity")


def lower_is_better(metric: str) -> bool:
    """Losses and errors go down; every other metric up (as ``lt.compare`` ranks them)."""
    return any(word in metric.lower() for word in LOSS_WORDS)


def encode_x(x: np.ndarray) -> dict[str, Any]:
    """x as {"start", "step", "count"} when evenly spaced (steps usually are), else as
    base64 little-endian float64 ({"f64": ...}): exact, since steps are integers."""
    count = len(x)
    if count >= 2:
        step = x[1] - x[0]
        if np.array_equal(x, x[0] + step * np.arange(count)):
            return {"start": float(x[0]), "step": float(step), "count": count}
    elif count == 1:
        return {"start": float(x[0]), "step": 1.0, "count": 1}
    return {"f64": base64.b64encode(np.ascontiguousarray(x, dtype="<f8").tobytes()).decode()}


def encode_y(y: np.ndarray) -> str:
    """y as base64 little-endian float32: 7 significant digits, more than a chart shows."""
    return base64.b64encode(np.ascontiguousarray(y, dtype="<f4").tobytes()).decode()


def gather(
    client: TrackingClient,
    experiment_ids: list[str],
    experiment_names: list[str],
    *,
    filter_string: str = "",
    runs: list[str] | None = None,
    metrics: list[str] | None = None,
    metric: str | None = None,
    lower: bool | None = None,
    params: list[str] | None = None,
    best: int = 5,
    max_points: int = 1000,
    max_image_size: int = 512,
    max_runs: int = 1000,
    title: str | None = None,
) -> dict[str, Any]:
    """The report's payload (see ``js/report/types.ts``): table, series, scatter, parallel
    coordinates, the best runs compared, notes and images."""
    from labtrack.widgets import _data

    if not 2 <= max_points <= MAX_POINTS_LIMIT:
        raise InvalidParameter(
            f"max_points must be between 2 and {MAX_POINTS_LIMIT}, got {max_points}"
        )
    if best < 0:
        raise InvalidParameter(f"best must be 0 or more, got {best}")
    # One more than allowed tells there are too many without reading them all; runs named
    # by id are looked for among all.
    limit = None if runs is not None else max_runs + 1
    frame = client.search_runs_frame(experiment_ids, filter_string, max_results=limit)
    if runs is not None:
        wanted = [_run_id(run) for run in runs]
        unknown = sorted(set(wanted) - set(frame["run_id"])) if not frame.empty else wanted
        if unknown:
            where = f"{experiment_names}" + (
                f" matching {filter_string!r}" if filter_string else ""
            )
            raise InvalidParameter(f"runs not in {where}: {unknown}")
        frame = frame.set_index("run_id", drop=False).loc[wanted].reset_index(drop=True)
    if len(frame) > max_runs:
        raise InvalidParameter(
            f"more than {max_runs} runs match: narrow them with a filter or runs=, "
            "or raise max_runs (every run's curves go into the file)"
        )
    logged = sorted(c[len("metrics.") :] for c in frame.columns if c.startswith("metrics."))
    if metrics is None:
        # system/... metrics (CPU, memory) after the run's own
        metrics = sorted(logged, key=lambda m: (m.startswith("system/"), m))
    else:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        missing = [m for m in metrics if m not in logged]
        if missing:
            raise InvalidParameter(f"no run logs {missing}; the runs log {logged}")
    if metric is None:
        metric = next((m for m in metrics if not m.startswith("system/")), "")
    elif metric not in logged:
        raise InvalidParameter(f"no run logs {metric!r}; the runs log {logged}")
    lower = lower_is_better(metric) if lower is None else lower
    columns = [c for c in _data.table_columns(frame) if c["group"] != "tags"]
    payload: dict[str, Any] = {
        "version": 1,
        "title": title or "labtrack report: " + ", ".join(experiment_names),
        "experiments": experiment_names,
        "filter": filter_string,
        "generated": int(time.time() * 1000),
        "metrics": metrics,
        "metric": metric,
        "lower_is_better": lower,
        "table": {"columns": columns, "data": _data.table_data(frame, columns)},
        "series": [],
        "scatter": None,
        "parallel": None,
        "compare": None,
        "notes": [],
        "images": [],
    }
    if frame.empty:
        return payload
    names = frame.get("tags.mlflow.runName", frame["run_id"])
    run_names = dict(zip(frame["run_id"], names.fillna("").astype(str), strict=True))
    payload["series"] = _series(client, frame, metrics, run_names, max_points)
    payload["scatter"] = _scatter(frame, metric, params)
    payload["parallel"] = _parallel(frame, metric, params)
    ranked = _ranked(frame, metric, lower)[:best]
    if len(ranked) >= 1 and best:
        payload["compare"] = _compare(frame, ranked, metric, lower, run_names)
    payload["notes"] = _notes(frame, run_names)
    payload["images"] = _images(
        client, ranked or list(frame["run_id"][:best]), run_names, max_image_size
    )
    return payload


def _run_id(run) -> str:
    info = getattr(run, "info", None)
    return str(info.run_id if info is not None else run)


def _series(client, frame, metrics, run_names, max_points) -> list[dict]:
    from labtrack.widgets import _data

    lines = []
    for run_id in frame["run_id"]:
        for metric in metrics:
            steps, stamps, values, total = client.get_metric_history_for_chart(
                run_id, metric, max_points
            )
            if not total:
                continue  # the run does not log this metric
            line = _data.series(
                run_id,
                run_names[run_id],
                metric,
                steps,
                stamps,
                values,
                max_points=max_points,
                total_points=total,
            )
            lines.append(
                {
                    "run_id": run_id,
                    "run_name": run_names[run_id],
                    "metric": metric,
                    "x": encode_x(np.frombuffer(line["x"], dtype="<f8")),
                    "y": encode_y(np.frombuffer(line["y"], dtype="<f8")),
                    "x_exact": line["x_exact"],
                    "points": line["points"],
                    "total_points": line["total_points"],
                }
            )
    return lines


def _param_columns(frame: pd.DataFrame, params: list[str] | None) -> list[str]:
    """``params.*`` columns: the ones named, else those whose value differs between runs."""
    if params is not None:
        columns = [p if p.startswith("params.") else f"params.{p}" for p in params]
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            available = [c for c in frame.columns if c.startswith("params.")]
            raise InvalidParameter(f"no param columns {missing}; available: {available}")
        return columns
    return [
        c
        for c in sorted(frame.columns)
        if c.startswith("params.") and frame[c].nunique(dropna=False) > 1
    ]


def _scatter(frame: pd.DataFrame, metric: str, params: list[str] | None) -> dict | None:
    """The primary metric against the param with the most distinct values (numeric ones
    first); a log x axis when that param spans orders of magnitude (learning rates)."""
    import pandas as pd

    from labtrack.widgets import _data

    if not metric:
        return None
    candidates = _param_columns(frame, params)
    numeric = [c for c in candidates if pd.to_numeric(frame[c], errors="coerce").notna().all()]
    if not candidates:
        return None
    x = max(numeric or candidates, key=lambda c: frame[c].nunique())  # the first of equals
    points, x_kind, y_kind = _data.scatter_points(frame, x, f"metrics.{metric}")
    positive = [v for v in points["x"] if isinstance(v, (int, float)) and v > 0]
    log_x = (
        x_kind == "number"
        and len(positive) == len(points["x"]) > 1
        and max(positive) / min(positive) >= 100
    )
    return {
        "x": x,
        "y": f"metrics.{metric}",
        "color": "",
        "log_x": log_x,
        "log_y": False,
        "points": points,
        "x_kind": x_kind,
        "y_kind": y_kind,
        "selected": [],
        "empty_message": "",
    }


def _runs_info(frame: pd.DataFrame, run_ids: list[str], run_names: dict) -> list[dict]:
    status = dict(zip(frame["run_id"], frame["status"], strict=True))
    return [{"run_id": r, "run_name": run_names[r], "status": str(status[r])} for r in run_ids]


def _param_rows(frame: pd.DataFrame, run_ids: list[str], columns: list[str]) -> list[dict]:
    rows = frame.set_index("run_id").loc[run_ids]
    out = []
    for column in columns:
        values = [None if _missing(v) else str(v) for v in rows[column].tolist()]
        out.append(
            {"key": column[len("params.") :], "values": values, "differs": len(set(values)) > 1}
        )
    return out


def _metric_row(frame: pd.DataFrame, run_ids: list[str], key: str, lower: bool) -> dict:
    values = frame.set_index("run_id").loc[run_ids, f"metrics.{key}"].tolist()
    clean = [None if _missing(v) else float(v) for v in values]
    present = [(v, i) for i, v in enumerate(clean) if v is not None]
    best = (min(present) if lower else max(present))[1] if present else None
    return {"key": key, "values": clean, "best": best}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _parallel(frame, metric: str, params: list[str] | None) -> dict | None:
    """Every run with the primary metric as a line through its params to the metric: the
    state ``lt.parallel`` draws from (its figure code draws the report's too)."""
    from labtrack.widgets.parallel import parallel_axis, varying_params

    if not metric:
        return None
    frame = frame[frame[f"metrics.{metric}"].notna()]
    logged = [c[len("params.") :] for c in frame.columns if c.startswith("params.")]
    if params is None:
        chosen = varying_params(frame, logged)[:PARALLEL_PARAMS]
    else:
        chosen = [c[len("params.") :] for c in _param_columns(frame, params)]
    if frame.empty or not chosen:
        return None
    axes = [parallel_axis(frame, f"params.{p}") for p in chosen]
    axes.append(parallel_axis(frame, f"metrics.{metric}"))
    names = frame.get("tags.mlflow.runName", frame["run_id"])
    return {
        "params": chosen,
        "metric": metric,
        "runs": {"run_id": list(frame["run_id"]), "run_name": [str(n) for n in names]},
        "axes": axes,
        "selected": [],
        "empty_message": "",
    }


def _ranked(frame: pd.DataFrame, metric: str, lower: bool) -> list[str]:
    """Run ids by the primary metric, best first; runs without it are left out."""
    if not metric:
        return []
    column = frame[f"metrics.{metric}"]
    order = column.dropna().sort_values(ascending=lower, kind="stable")
    return [frame["run_id"].iloc[frame.index.get_loc(i)] for i in order.index]


def _compare(frame, run_ids: list[str], metric: str, lower: bool, run_names: dict) -> dict:
    """The best runs side by side: every param and metric (the comparison's state; the
    curves are the report's series of these runs)."""
    param_columns = sorted(c for c in frame.columns if c.startswith("params."))
    rows = frame.set_index("run_id").loc[run_ids]
    keys = sorted(
        c[len("metrics.") :]
        for c in frame.columns
        if c.startswith("metrics.") and rows[c].notna().any()
    )
    params = [
        p
        for p in _param_rows(frame, run_ids, param_columns)
        if any(v is not None for v in p["values"])
    ]
    return {
        "runs": _runs_info(frame, run_ids, run_names),
        "params": params,
        "metrics": [
            _metric_row(frame, run_ids, k, lower if k == metric else lower_is_better(k))
            for k in keys
        ],
        "series": [],
        "metric": metric,
        "selected": [],
    }


def _notes(frame: pd.DataFrame, run_names: dict) -> list[dict]:
    """Runs' descriptions (MLflow's ``mlflow.note.content`` tag), as Markdown source."""
    column = f"tags.{NOTE_TAG}"
    if column not in frame.columns:
        return []
    return [
        {"run_id": run_id, "run_name": run_names[run_id], "note": str(note)}
        for run_id, note in zip(frame["run_id"], frame[column], strict=True)
        if not _missing(note) and str(note).strip()
    ]


def _images(client, run_ids: list[str], run_names: dict, max_size: int) -> list[dict]:
    """The latest step of each image key of these runs, as PNG data URIs no larger than
    ``max_size`` pixels a side."""
    from labtrack.tracking.media import list_media, read_media

    images = []
    for run_id in run_ids:
        latest: dict[str, Any] = {}
        for item in list_media(client, run_id):
            if item.kind == "image":
                latest[item.key] = item  # sorted by step: the last one wins
        for key, item in latest.items():
            try:
                png, width, height = _thumbnail(read_media(client, item), max_size)
            except Exception:  # noqa: BLE001  (not an image PIL reads, or a bomb: left out)
                continue
            images.append(
                {
                    "run_id": run_id,
                    "run_name": run_names[run_id],
                    "key": key,
                    "step": item.step,
                    "src": "data:image/png;base64," + base64.b64encode(png).decode(),
                    "width": width,
                    "height": height,
                }
            )
    return images


def _thumbnail(png: bytes, max_size: int) -> tuple[bytes, int, int]:
    """The image as is when it fits in ``max_size``; else scaled down (aspect kept)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
        if max(width, height) <= max_size:
            return png, width, height
        image.thumbnail((max_size, max_size), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue(), image.size[0], image.size[1]

"""Notebook widgets (anywidget + Plotly): run table, metric chart, scatter, comparison, media.

They talk to the browser over the kernel's own channel, so they work wherever anywidget
does (JupyterLab, Notebook 7, VS Code), offline, with no server of their own. Importing
this module loads anywidget; ``import labtrack`` alone does not.
"""

from __future__ import annotations

from collections.abc import Iterable

from labtrack.errors import InvalidParameter
from labtrack.widgets._source import RunSource
from labtrack.widgets.comparison import Compare
from labtrack.widgets.media_viewer import Media
from labtrack.widgets.metric_chart import MetricChart
from labtrack.widgets.parallel import Parallel
from labtrack.widgets.pipeline_view import PipelineView
from labtrack.widgets.runs_table import RunsTable
from labtrack.widgets.scatter_plot import Scatter


def runs(
    experiment: str | list[str] | None = None,
    filter: str = "",
    columns: list[str] | None = None,
    max_results: int = 100_000,
    group_by: str | None = None,
) -> RunsTable:
    """A table of runs (default: the active experiment's); ``.selected`` gives the chosen ids.
    ``group_by`` (a ``search_runs`` column) groups the rows, with counts and aggregates.
    Selecting one run shows its note (Markdown) below the table, editable in place. Over
    2,000 runs, the first page shows at once and the rest load in the background
    (``table.wait()`` waits for them).

    >>> table = lt.runs(filter="params.kernel = 'rbf'", columns=["run_name", "metrics.acc"])  # doctest: +SKIP
    """
    return RunsTable(
        RunSource(experiment, max_results=max_results),
        filter=filter,
        visible_columns=columns,
        group_by=group_by or "",
    )


def chart(
    metrics: str | list[str],
    runs: Iterable | None = None,
    experiment: str | list[str] | None = None,
    x_axis: str = "step",
    smoothing: float = 0.0,
    log_y: bool = False,
    group_by: str | None = None,
) -> MetricChart:
    """Metric(s) over steps, one line per run; live while runs log.

    ``runs`` takes run ids, runs, or a DataFrame from ``search_runs``; by default the
    latest runs that log the metric are drawn, and new ones join as they start.
    ``group_by`` (a ``search_runs`` column: ``"params.optimizer"``, ``"tags.labtrack.group"``)
    draws each group's mean over its runs with a min-max band instead.
    """
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    return MetricChart(
        RunSource(experiment),
        names,
        runs=_run_ids(runs) if runs is not None else None,
        x_axis=x_axis,
        smoothing=smoothing,
        log_y=log_y,
        group_by=group_by or "",
    )


def scatter(
    x: str,
    y: str,
    color: str = "",
    experiment: str | list[str] | None = None,
    filter: str = "",
    log_x: bool = False,
    log_y: bool = False,
) -> Scatter:
    """One point per run: ``x`` and ``y`` are column names as in ``search_runs``
    (``"params.lr"``, ``"metrics.val_acc"``); click a point to select its run."""
    return Scatter(
        RunSource(experiment), x, y, color=color, filter=filter, log_x=log_x, log_y=log_y
    )


def parallel(
    params: list[str] | None = None,
    metric: str | None = None,
    experiment: str | list[str] | None = None,
    filter: str = "",
) -> Parallel:
    """Parallel coordinates: one line per run through its ``params`` and ``metric`` (the
    last axis, and the lines' colour). By default the params whose values differ between
    the runs, and the first metric by name. Brush axes to select runs (``.selected``).

    >>> lt.parallel(params=["lr", "optimizer"], metric="val_acc")   # doctest: +SKIP
    """
    return Parallel(RunSource(experiment), params=params, metric=metric, filter=filter)


def compare(*runs, metric: str | None = None, lower_is_better: bool | None = None) -> Compare:
    """Compare two or more runs: ``lt.compare(run_a, run_b)`` or ``lt.compare([ids...])``."""
    flat = runs[0] if len(runs) == 1 and not isinstance(runs[0], str) else runs
    ids = _run_ids(flat)
    return Compare(
        RunSource(_experiment_of(ids[0]) if ids else None),
        ids,
        metric=metric,
        lower_is_better=lower_is_better,
    )


def media(
    key: str,
    runs: Iterable | None = None,
    experiment: str | list[str] | None = None,
    kind: str | None = None,
) -> Media:
    """The images, tables, texts, audio or histograms logged under ``key``, runs side by side,
    with a step slider; histograms as their distribution over steps. Live while runs log.

    ``runs`` takes run ids, runs, or a DataFrame from ``search_runs``; by default the latest
    runs that have the key are shown. ``kind`` picks one when a key has several.

    >>> lt.media("samples")                                     # doctest: +SKIP
    """
    return Media(
        RunSource(experiment), key, runs=_run_ids(runs) if runs is not None else None, kind=kind
    )


def pipeline_view(run) -> PipelineView:
    """A pipeline run (its parent run, its id, or what ``run_pipeline`` returned) as a graph of
    its steps, each coloured by its status, live while it runs; clicking a step shows its
    params and metrics.

    >>> lt.pipeline_view(run_pipeline("pipeline.yaml"))         # doctest: +SKIP
    """
    from labtrack.tracking import state

    if hasattr(run, "parent_run_id"):  # a PipelineResult
        run_id = run.parent_run_id
    else:
        run_id = run if isinstance(run, str) else run.info.run_id
    return PipelineView(state.client(), run_id)


def dashboard(
    experiment: str | list[str] | None = None,
    metric: str | None = None,
    x: str | None = None,
    y: str | None = None,
):
    """Run table, metric chart, scatter and (when runs have params) parallel coordinates
    together; selecting runs in one selects them in all."""
    import ipywidgets
    import traitlets

    table = runs(experiment)
    metric_columns = [c["name"] for c in table.columns if c["group"] == "metrics"]
    param_columns = [c["name"] for c in table.columns if c["group"] == "params"]
    metric = metric or (metric_columns[0].removeprefix("metrics.") if metric_columns else "loss")
    parts: list = [table]
    linked: list = []
    line = chart(metric, experiment=experiment)
    linked.append(line)
    row = [line]
    if (x or param_columns) and (y or metric_columns):
        points = scatter(x or param_columns[0], y or f"metrics.{metric}", experiment=experiment)
        linked.append(points)
        row.append(points)
    parts.append(ipywidgets.HBox(row))
    lines = None
    if param_columns and metric_columns:
        known = f"metrics.{metric}" in metric_columns
        lines = parallel(metric=metric if known else None, experiment=experiment)
        linked.append(lines)
        parts.append(lines)
    system = _system_chart(table, experiment)
    if system is not None:  # CPU and memory, apart from the model's metrics
        linked.append(system)
        parts.append(system)
    for other in linked:
        traitlets.link((table, "selected"), (other, "selected"))
    box = ipywidgets.VBox(parts)
    box.system = system
    box.table, box.chart, box.parallel = table, line, lines
    return box


def _system_chart(table: RunsTable, experiment) -> MetricChart | None:
    """The runs' CPU and memory use (%) over seconds since each began (their steps count
    samples, not training), or None if no run has system metrics."""
    keys = [c["name"].removeprefix("metrics.") for c in table.columns if c["group"] == "system"]
    shown = ("/cpu_utilization_percentage", "/system_memory_usage_percentage")
    wanted = [key for key in keys if key.endswith(shown)] or keys[:1]
    return chart(wanted, experiment=experiment, x_axis="relative") if wanted else None


def _run_ids(runs) -> list[str]:
    if hasattr(runs, "columns") and "run_id" in getattr(runs, "columns", ()):
        return [str(run_id) for run_id in runs["run_id"]]
    ids = []
    for run in [runs] if isinstance(runs, str) or hasattr(runs, "info") else runs:
        if isinstance(run, str):
            ids.append(run)
        elif hasattr(run, "info"):
            ids.append(run.info.run_id)
        else:
            raise InvalidParameter(
                f"expected run ids, runs or a search_runs DataFrame, got {type(run).__name__}"
            )
    return ids


def _experiment_of(run_id: str) -> list[str]:
    from labtrack.tracking import state

    return [state.client().get_run(run_id).info.experiment_id]


__all__ = [
    "Compare",
    "Media",
    "MetricChart",
    "Parallel",
    "PipelineView",
    "RunsTable",
    "Scatter",
    "chart",
    "compare",
    "dashboard",
    "parallel",
    "media",
    "pipeline_view",
    "runs",
    "scatter",
]

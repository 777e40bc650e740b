"""The state each widget shares with its front end: written down once, here.

The JavaScript side (``js/widgets/``) reads exactly these traitlet names and shapes;
``tests/widgets/test_contract.py`` regenerates ``js/widgets/fixtures/*.json`` from real
widgets and fails when they differ from the checked-in files, and the JS unit tests run on
those fixtures, so a change on one side cannot silently break the other.

Conventions
- Times are milliseconds since the epoch; durations are seconds.
- Missing values are JSON ``null`` (NaN included: JSON has no NaN).
- Long numeric series travel as binary buffers: little-endian float64 ``bytes`` that
  ipywidgets sends as buffers and the front end reads as ``DataView``/``Float64Array``.
- Steps and times are int64; a JavaScript number holds them exactly up to 2**53 - 1
  (``Number.MAX_SAFE_INTEGER``). A series whose x goes beyond that also sends each x
  as a decimal string (``x_exact``), which the chart shows instead of the rounded number.
- ``selected`` lists run ids; every widget that shows runs has it, synced both ways, so
  ``traitlets.link`` joins widgets into a dashboard.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class Column(TypedDict):
    """A column of the run table: ``name`` as in ``search_runs`` (``metrics.acc``)."""

    name: str
    label: str  # what the header shows ("acc")
    group: Literal["info", "metrics", "params", "tags"]
    dtype: Literal["number", "string", "time", "duration", "status"]


class RunsTableState(TypedDict):
    """``RunsTable`` (``lt.runs()``)."""

    columns: list[Column]  # every column available
    visible_columns: list[str]  # shown, in order (front end may change it)
    data: dict[str, list]  # column name -> values, one per run, in row order; always has run_id
    sort: list[dict]  # [{"column": name, "descending": bool}], applied by the front end
    filter: str  # filter language text; the front end sets it, Python re-queries
    error: str  # why the filter failed, shown in place ("" when fine)
    selected: list[str]
    empty_message: str  # what to do when there are no runs


class Series(TypedDict):
    """One line of a chart: a metric of a run, downsampled in the kernel."""

    run_id: str
    run_name: str
    metric: str
    x: bytes  # float64: step, or seconds since the run started, or wall time (ms)
    x_exact: (
        list[str] | None
    )  # x's integers (steps, ms) as decimal strings when some is beyond 2**53 - 1
    y: bytes  # float64 values (NaN kept)
    points: int  # points in x/y
    total_points: int  # points in the full history


class MetricChartState(TypedDict):
    """``MetricChart`` (``lt.chart()``)."""

    metrics: list[str]
    selected: list[str]  # the runs drawn; empty: the latest runs that log the metrics
    x_axis: Literal["step", "relative", "wall"]
    smoothing: float  # EMA weight in [0, 1)
    log_y: bool
    series: list[Series]
    live: bool  # some drawn run is still RUNNING in this store
    empty_message: str


class ScatterState(TypedDict):
    """``Scatter`` (``lt.scatter()``): one point per run."""

    x: str  # column names as in search_runs
    y: str
    color: str  # "" for none
    log_x: bool
    log_y: bool
    points: dict[str, list]  # run_id, run_name, x, y, color: one entry per run
    x_kind: Literal["number", "category"]
    y_kind: Literal["number", "category"]
    selected: list[str]
    empty_message: str


class CompareState(TypedDict):
    """``Compare`` (``lt.compare()``)."""

    runs: list[dict]  # [{"run_id", "run_name", "status"}] in the order given
    params: list[dict]  # [{"key", "values": [str|None per run], "differs": bool}]
    metrics: list[dict]  # [{"key", "values": [float|None per run], "best": int|None}]
    series: list[Series]  # every compared run's curves of ``metric``
    metric: str  # the metric overlaid and used as the parallel-coordinates target
    selected: list[str]

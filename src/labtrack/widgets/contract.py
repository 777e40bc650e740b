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

Each widget class names its state's TypedDict in ``state_type``, and the functions that build
a part of it return the part's TypedDict; ``tests/widgets/test_contract.py`` checks that a
real widget's synced state has exactly these keys, at every depth.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class Column(TypedDict):
    """A column of the run table: ``name`` as in ``search_runs`` (``metrics.acc``)."""

    name: str
    label: str  # what the header shows ("acc")
    group: Literal["info", "metrics", "system", "params", "tags"]
    dtype: Literal["number", "string", "time", "duration", "status"]


class SortKey(TypedDict):
    """One key of the run table's sort, set by the front end."""

    column: str
    descending: bool


class TableWindow(TypedDict):
    """The display rows the front end wants, ``start`` to ``end`` (exclusive): what is in
    view plus a margin. The kernel answers with a ``TablePage``."""

    start: int
    end: int


class TablePage(TypedDict):
    """Display rows ``start`` onwards, as the kernel sends them: only these travel, whatever
    the number of runs. Entry ``i`` of every list is display row ``start + i``."""

    start: int
    run_id: list[str]  # "" for a group's header
    group: list[int]  # index into ``groups`` for a group's header, -1 for a run
    data: dict[str, list]  # visible column name -> values (None on a group's header)


class RunsTableState(TypedDict):
    """``RunsTable`` (``lt.runs()``). The runs stay in the kernel, which sorts, filters and
    groups them; the front end asks for the window of rows in view (``window``) and draws
    the ``page`` it gets back, so 100,000 runs cost the browser what 100 do."""

    columns: list[Column]  # every column available
    visible_columns: list[str]  # shown, in order (front end may change it)
    sort: list[SortKey]  # set by the front end, applied by the kernel
    filter: str  # filter language text; the front end sets it, Python re-queries
    error: str  # why the filter failed, shown in place ("" when fine)
    selected: list[str]
    empty_message: str  # what to do when there are no runs
    group_by: str  # a search_runs column whose values group the rows; "" for none
    groups: list[TableGroup]  # with group_by: the groups in display order
    collapsed: list[str]  # names of the groups whose runs are hidden (the front end sets it)
    run_count: int  # runs matching the filter
    row_count: int  # display rows: runs, and group headers when grouped
    window: TableWindow  # set by the front end as it scrolls
    page: TablePage  # the rows of ``window``, set by the kernel


class Aggregate(TypedDict):
    """A numeric column over a group's runs (runs without a value left out)."""

    mean: float
    min: float
    max: float


class TableGroup(TypedDict):
    """One group of the run table's rows (``lt.runs(group_by=...)``)."""

    name: str  # the group_by column's value as text; "(none)" for runs without one
    count: int
    aggregates: dict[str, Aggregate]  # numeric column name -> its mean, min and max


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


class GroupSeries(TypedDict):
    """One group's line in ``lt.chart(group_by=...)``: mean and min-max band over its runs."""

    group: str  # the group's name (the group_by column's value; "(none)" for runs without)
    metric: str
    runs: int  # runs in the group that log the metric
    x: bytes  # float64 steps (bin middles when the steps were binned)
    mean: bytes  # float64, one per x
    low: bytes  # float64 min over the runs
    high: bytes  # float64 max over the runs
    points: int  # points in x


class MetricChartState(TypedDict):
    """``MetricChart`` (``lt.chart()``)."""

    metrics: list[str]
    selected: list[str]  # the runs drawn; empty: the latest runs that log the metrics
    x_axis: Literal["step", "relative", "wall"]
    smoothing: float  # EMA weight in [0, 1)
    log_y: bool
    series: list[Series]
    group_by: str  # a search_runs column ("params.optimizer"); "": one line per run
    groups: list[GroupSeries]  # with group_by: one line per group and metric (series empty)
    live: bool  # some drawn run is still RUNNING in this store
    empty_message: str


class ScatterPoints(TypedDict):
    """The scatter's points as columns: entry ``i`` of each list belongs to one run."""

    run_id: list[str]
    run_name: list[str]
    x: list  # numbers, or strings when the axis is a category
    y: list
    color: list  # empty when no color column is chosen


class ScatterState(TypedDict):
    """``Scatter`` (``lt.scatter()``): one point per run."""

    x: str  # column names as in search_runs
    y: str
    color: str  # "" for none
    log_x: bool
    log_y: bool
    points: ScatterPoints  # the runs having both x and y
    x_kind: Literal["number", "category"]
    y_kind: Literal["number", "category"]
    selected: list[str]
    empty_message: str


class CompareRun(TypedDict):
    """A compared run, in the order given."""

    run_id: str
    run_name: str
    status: str
    note: str  # the run's description (tag mlflow.note.content), Markdown; "" for none


class ParamRow(TypedDict):
    """A param across the compared runs."""

    key: str
    values: list[str | None]  # one per run; None where the run has no such param
    differs: bool


class MetricRow(TypedDict):
    """A metric's latest value across the compared runs."""

    key: str
    values: list[float | None]  # one per run; None where missing or NaN
    best: int | None  # index of the best run (lower or higher is better by the name)


class CompareState(TypedDict):
    """``Compare`` (``lt.compare()``)."""

    runs: list[CompareRun]
    params: list[ParamRow]
    metrics: list[MetricRow]
    series: list[Series]  # every compared run's curves of ``metric``
    metric: str  # the metric overlaid and used as the parallel-coordinates target
    selected: list[str]
    empty_message: str  # always "" (two runs at least are compared)


class ParallelAxis(TypedDict):
    """An axis of ``lt.parallel()``: a param or the metric, one value per run."""

    name: str  # as in search_runs: "params.lr", "metrics.val_acc"
    label: str  # what the axis shows ("lr")
    kind: Literal["number", "category"]
    values: list  # numbers, or strings for a category axis; None where a run has none


class ParallelRuns(TypedDict):
    """The runs drawn, as columns: entry ``i`` of each list and of every axis is one run."""

    run_id: list[str]
    run_name: list[str]


class ParallelState(TypedDict):
    """``Parallel`` (``lt.parallel()``): params -> metric over many runs."""

    params: list[str]  # the param axes' keys, in order
    metric: str  # the last axis and the lines' colour
    runs: ParallelRuns  # the runs having the metric
    axes: list[ParallelAxis]  # the params, then the metric
    selected: list[str]  # the runs inside every brush (the front end sets it)
    empty_message: str


class MediaRun(TypedDict):
    """A run shown by ``lt.media()``, in display order, with the steps it has media at."""

    run_id: str
    run_name: str
    status: str
    steps: list[int]  # ascending: the step index the slider moves over (union of all runs)


class MediaTable(TypedDict):
    """A logged table's first rows (pandas "split" layout without the index)."""

    columns: list[str]
    data: list[list]  # rows of JSON values
    total_rows: int  # rows in the file (``data`` may hold fewer)


class Histogram(TypedDict):
    """One logged histogram, as ``labtrack.tracking.media`` stores it."""

    edges: list[float]  # n + 1 bin edges
    counts: list[int]  # n counts
    count: int
    min: float
    max: float
    sum: float


class MediaCell(TypedDict):
    """What one run shows at the chosen step: only this step's payload travels."""

    run_id: str
    step: int | None  # the step shown: the run's latest at or before the chosen one; None: none
    data: bytes | None  # an image's PNG or an audio clip's WAV bytes (a binary buffer)
    text: str | None  # a text (at most MAX_TEXT_CHARS characters)
    table: MediaTable | None
    histogram: Histogram | None
    note: str  # what was cut ("first 100 of 5,000 rows"), "" when nothing was
    error: str  # why the file could not be read, "" when fine


class HistogramSeries(TypedDict):
    """A run's histograms over steps (at most MAX_HISTOGRAM_STEPS of them, evenly spread)."""

    run_id: str
    steps: list[int]
    edges: list[list[float]]  # one list of edges per step
    counts: list[list[int]]


class MediaState(TypedDict):
    """``Media`` (``lt.media()``): a key's media over steps, runs side by side."""

    key: str
    kind: Literal["image", "table", "histogram", "text", "audio", ""]  # "": nothing logged yet
    runs: list[MediaRun]
    step: int  # the chosen step (the front end's slider sets it)
    current: list[MediaCell]  # one per run in ``runs``, for ``step``
    histograms: list[HistogramSeries]  # histograms only: every run's distribution over steps
    live: bool  # a shown run is still RUNNING
    selected: list[str]  # the runs shown; empty: the latest runs that have the key
    empty_message: str


class PipelineStep(TypedDict):
    """One step of a pipeline as ``PipelineView`` shows it."""

    name: str
    needs: list[str]
    when: str  # its condition, "" for none
    # A run status, or SKIPPED (its condition was false), REUSED (an earlier run stands for
    # it), PENDING (not started), NOT_RUN (the pipeline ended without it)
    status: str
    run_id: str  # its child run, "" before it has one
    reused_from: str  # the earlier run it reuses, ""
    params: dict[str, str]
    metrics: dict[str, float]
    error: str  # why it failed or was skipped, ""


class PipelineViewState(TypedDict):
    """``PipelineView`` (``lt.pipeline_view()``): a pipeline run's graph and step statuses."""

    parent_run_id: str
    name: str  # the pipeline's
    status: str  # the parent run's
    steps: list[PipelineStep]  # in dependency order
    step: str  # the clicked step ("" for none); the front end sets it
    live: bool  # the pipeline is still RUNNING
    selected: list[str]  # the clicked step's run id
    empty_message: str

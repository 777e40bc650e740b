"""``lt.chart()``: metrics over steps (or time), one line per run, live while runs log."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import traitlets as t

from labtrack.entities import RunStatus
from labtrack.errors import InvalidParameter
from labtrack.widgets import _data, contract
from labtrack.widgets._base import RunsWidget
from labtrack.widgets._live import Poller
from labtrack.widgets._source import HOW_TO_LOG, RunSource

RECENT_RUNS = 10  # runs drawn when none are named


class MetricChart(RunsWidget):
    """Metric curves of the ``selected`` runs; with none selected, of the latest runs that
    log the metric (runs that start later join in).

    >>> lt.chart("val_acc")                       # doctest: +SKIP
    >>> lt.chart(["loss", "val_loss"], runs=[run_a, run_b], smoothing=0.6)   # doctest: +SKIP

    With ``group_by`` (a ``search_runs`` column such as ``"params.optimizer"`` or
    ``"tags.labtrack.group"``), it draws one line per group instead: the mean over the group's
    runs at each step, with a band from their min to their max (all the experiment's runs
    that log the metric, or the ``selected`` ones).
    """

    state_type = contract.MetricChartState
    _bundle_name = "metric_chart"

    metrics = t.List(t.Unicode()).tag(sync=True)
    x_axis = t.Enum(("step", "relative", "wall"), default_value="step").tag(sync=True)
    smoothing = t.Float(0.0).tag(sync=True)
    log_y = t.Bool(False).tag(sync=True)
    series = t.List(t.Dict()).tag(sync=True)
    group_by = t.Unicode("").tag(sync=True)
    groups = t.List(t.Dict()).tag(sync=True)
    live = t.Bool(False).tag(sync=True)

    def __init__(
        self,
        source: RunSource,
        metrics: list[str],
        runs: list[str] | None = None,
        max_points: int = _data.MAX_POINTS_PER_SERIES,
        poll: bool = True,
        **kwargs,
    ):
        if not metrics:
            raise InvalidParameter("chart needs at least one metric name")
        if kwargs.get("group_by") and kwargs.get("x_axis", "step") != "step":
            # Runs' clocks don't line up: a mean over runs is taken at the same step.
            raise InvalidParameter("group_by draws groups over steps: leave x_axis='step'")
        self.source = source
        self.max_points = max_points
        self._stamps: dict | None = None  # None: never drawn
        # group_by: the histories of ended runs, kept across polls (only live runs change).
        self._ended: dict[tuple[str, str], tuple[tuple, tuple]] = {}
        self._lock = threading.RLock()  # the poller thread and the kernel both redraw
        self._initialized = False
        super().__init__(metrics=list(metrics), selected=list(runs or []), **kwargs)
        self._initialized = True
        self.poll()
        self._poller = Poller(self) if poll else None

    @t.validate("smoothing")
    def _check_smoothing(self, proposal) -> float:
        value = proposal["value"]
        if not 0.0 <= value < 1.0:
            raise t.TraitError(f"smoothing must be in [0, 1), got {value}")
        return value

    @t.observe("selected", "metrics", "x_axis", "group_by")
    def _redraw(self, change) -> None:
        if self._initialized:
            with self._lock:
                self._stamps = None
                self._poll()

    def poll(self) -> None:
        """Redraw if any drawn run has logged since the last look (cheap when nothing did)."""
        with self._lock:
            self._poll()

    @property
    def follow_latest(self) -> bool:
        """No runs chosen: draw the latest runs that log the metric, new ones included."""
        return not self.selected

    def _poll(self) -> None:
        if self.group_by:
            self._poll_groups()
            return
        self.groups = []
        drawn = self._latest_runs() if self.follow_latest else list(self.selected)
        runs = {run.info.run_id: run for run in self._runs(drawn)}
        stamps = {
            run_id: (
                run.info.status,
                tuple((m.key, m.step, m.timestamp) for m in run.data.latest_metrics),
            )
            for run_id, run in runs.items()
        }
        if stamps == self._stamps:
            return
        self._stamps = stamps
        self.series = [
            line for run_id in drawn if run_id in runs for line in self._lines(runs[run_id])
        ]
        self.live = any(run.info.status == RunStatus.RUNNING for run in runs.values())
        self.empty_message = "" if self.series else self._empty_message()

    def _poll_groups(self) -> None:
        frame = self.source.frame()
        if self.selected:
            frame = frame[frame["run_id"].isin(self.selected)]
        if self.group_by not in frame.columns and not frame.empty:
            names = sorted(c for c in frame.columns if c.startswith(("params.", "tags.")))
            raise InvalidParameter(
                f"group_by: no column {self.group_by!r}; some there are: {names}"
            )
        columns = [f"metrics.{m}" for m in self.metrics if f"metrics.{m}" in frame.columns]
        frame = frame[frame[columns].notna().any(axis=1)] if columns else frame.iloc[:0]
        # One query tells whether anything changed: latest values, statuses, groups (NaN as
        # None: NaN != NaN would redraw at every poll).
        stamps: tuple = ()
        if not frame.empty:
            stamped = frame[["run_id", "status", self.group_by, *columns]].astype(object)
            stamps = tuple(stamped.where(stamped.notna(), None).itertuples(index=False, name=None))
        if stamps == self._stamps:
            return
        self._stamps = stamps
        self.series = []
        self.groups = list(self._group_lines(frame))
        self.live = bool((frame["status"] == RunStatus.RUNNING).any()) if len(frame) else False
        self.empty_message = "" if self.groups else self._empty_message()

    def _group_lines(self, frame) -> Iterable[dict]:
        client = self.source.client
        labels = [_data.group_label(v) for v in frame[self.group_by].tolist()]
        members: dict[str, list[int]] = {}
        for row, label in enumerate(labels):
            members.setdefault(label, []).append(row)
        for label in sorted(members, key=lambda name: (name == _data.NO_GROUP, name)):
            rows = frame.iloc[members[label]]
            for metric in self.metrics:
                column = f"metrics.{metric}"
                if column not in rows.columns:
                    continue
                histories = []
                for run_id, status, last in rows.loc[
                    rows[column].notna(), ["run_id", "status", column]
                ].itertuples(index=False, name=None):
                    key, stamp = (run_id, metric), (status, last)
                    kept = self._ended.get(key)
                    if kept is None or kept[0] != stamp:
                        steps, _, values, _ = client.get_metric_history_for_chart(
                            run_id, metric, self.max_points
                        )
                        kept = (stamp, (steps, values))
                        if status != RunStatus.RUNNING:
                            self._ended[key] = kept
                    histories.append(kept[1])
                if histories:
                    yield _data.group_series(label, metric, histories, self.max_points)

    def _lines(self, run) -> Iterable[dict]:
        have = {m.key for m in run.data.latest_metrics}
        for metric in self.metrics:
            if metric in have:
                steps, timestamps, values, total = self.source.client.get_metric_history_for_chart(
                    run.info.run_id, metric, self.max_points
                )
                yield _data.series(
                    run.info.run_id,
                    run.info.run_name,
                    metric,
                    steps,
                    timestamps,
                    values,
                    self.x_axis,
                    run.info.start_time,
                    self.max_points,
                    total,
                )

    def _runs(self, run_ids: list[str]):
        client = self.source.client
        found = []
        for run_id in run_ids:
            try:
                found.append(client.get_run(run_id))
            except Exception:  # a deleted or unknown run is just not drawn
                continue
        return found

    def _latest_runs(self) -> list[str]:
        client = self.source.client
        runs = client.search_runs(self.source.experiment_ids, max_results=RECENT_RUNS * 5)
        with_metric = [r.info.run_id for r in runs if set(self.metrics) & set(r.data.metrics)]
        return with_metric[:RECENT_RUNS]

    def _empty_message(self) -> str:
        names = ", ".join(repr(m) for m in self.metrics)
        if not self.follow_latest:
            return f"The selected runs have no {names} points yet."
        return f"No run logs {names} yet. {HOW_TO_LOG}"

    def close(self) -> None:
        if getattr(self, "_poller", None) is not None:
            self._poller.stop()
        super().close()

    def fallback_table(self) -> tuple[list[str], list[list], str]:
        return (*self._summary(), "metric chart")

    def _summary(self) -> tuple[list[str], list[list]]:
        import numpy as np

        rows = []
        if self.groups:
            for line in self.groups:
                mean = np.frombuffer(line["mean"], dtype="<f8")
                last = float(mean[-1]) if len(mean) else None
                rows.append([line["group"], line["metric"], line["runs"], last])
            return [self.group_by, "metric", "runs", "last mean"], rows
        for line in self.series:
            y = np.frombuffer(line["y"], dtype="<f8")
            last = float(y[-1]) if len(y) else None
            rows.append([line["run_name"], line["metric"], line["total_points"], last])
        return ["run", "metric", "points", "last value"], rows

"""``lt.parallel()``: parallel coordinates over many runs, params -> metric.

Each run is a line through one axis per param and a last axis for the metric, coloured by the
metric. Brushing an axis in the browser selects the runs inside every brush (``selected``),
so a run table linked to it shows just those runs' rows selected.
"""

from __future__ import annotations

import traitlets as t

from labtrack.errors import InvalidParameter
from labtrack.widgets import _data, contract
from labtrack.widgets._base import RunsWidget
from labtrack.widgets._source import RunSource

_NO_RUNS: contract.ParallelRuns = {"run_id": [], "run_name": []}


def _key(name: object, group: str, what: str) -> str:
    """``"lr"`` or ``"params.lr"`` -> ``"lr"``; anything but a non-empty string is refused."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameter(f"{what} must be a non-empty string, got {name!r}")
    return name.removeprefix(f"{group}.")


def varying_params(frame, params: list[str]) -> list[str]:
    """The params of ``frame`` (a ``search_runs`` DataFrame) with more than one value (a
    missing one counts); all when none varies: the default axes, here and in the report."""
    varying = [p for p in params if frame[f"params.{p}"].astype(object).fillna("").nunique() > 1]
    return varying or params


def parallel_axis(frame, name: str) -> contract.ParallelAxis:
    """One axis of the figure: the column ``name`` (``params.lr``, ``metrics.loss``) of
    ``frame`` as numbers, or as text when any value is not a number."""
    values, kind = _data._numeric_or_text(frame[name])
    return {"name": name, "label": name.partition(".")[2], "kind": kind, "values": values}


class Parallel(RunsWidget):
    """Parallel coordinates: a line per run through its params and ``metric``.

    ``params``: the param axes (default: the params whose value differs between the runs);
    brushing axes in the browser sets ``widget.selected`` to the runs inside every brush.

    >>> lt.parallel(params=["lr", "optimizer", "batch_size"], metric="val_acc")  # doctest: +SKIP
    """

    state_type = contract.ParallelState
    _bundle_name = "parallel"

    params = t.List(t.Unicode()).tag(sync=True)
    metric = t.Unicode("").tag(sync=True)
    runs = t.Dict().tag(sync=True)
    axes = t.List(t.Dict()).tag(sync=True)

    def __init__(
        self,
        source: RunSource,
        params: list[str] | None = None,
        metric: str | None = None,
        filter: str = "",
        **kwargs,
    ):
        if params is not None and (isinstance(params, str) or not hasattr(params, "__iter__")):
            raise InvalidParameter(f"params must be a list of param names, got {params!r}")
        self.source = source
        self.filter = filter
        self._asked_params = (
            None if params is None else [_key(p, "params", "a param") for p in params]
        )
        super().__init__(
            metric=_key(metric, "metrics", "metric") if metric is not None else "", **kwargs
        )
        self.refresh()

    @t.observe("metric")
    def _on_metric(self, change) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Query the store again (new runs, new values) and rebuild the axes."""
        frame = self.source.frame(self.filter)
        metrics = sorted(c.removeprefix("metrics.") for c in frame if c.startswith("metrics."))
        params = [c.removeprefix("params.") for c in frame if c.startswith("params.")]
        metric = self.metric or (metrics[0] if metrics else "")
        if metric and metric not in metrics and not frame.empty:
            raise InvalidParameter(f"no metric {metric!r}; the runs log {metrics}")
        unknown = [p for p in self._asked_params or [] if p not in params]
        if unknown and not frame.empty:
            raise InvalidParameter(f"no param {unknown[0]!r}; the runs log {sorted(params)}")
        if frame.empty or not metric or not params:
            self._show_nothing(
                self.source.empty_message(self.filter)
                if frame.empty
                else "These runs log no metrics."
                if not metric
                else "These runs log no params: parallel coordinates draw params against a metric."
            )
            return
        frame = frame[frame[f"metrics.{metric}"].notna()]
        chosen = self._asked_params or varying_params(frame, params)
        axes = [parallel_axis(frame, f"params.{p}") for p in chosen]
        axes.append(parallel_axis(frame, f"metrics.{metric}"))
        names = frame.get("tags.mlflow.runName", frame["run_id"])
        runs: contract.ParallelRuns = {
            "run_id": [str(v) for v in frame["run_id"]],
            "run_name": [str(v) for v in names],
        }
        self.runs, self.axes, self.params = runs, axes, chosen
        self.empty_message = "" if runs["run_id"] else f"No run logs {metric!r}."
        if self.metric != metric:
            self.metric = metric  # the observer refreshes once more, with the same result

    def _show_nothing(self, message: str) -> None:
        self.runs, self.axes, self.empty_message = dict(_NO_RUNS), [], message

    def fallback_table(self) -> tuple[list[str], list[list], str]:
        header = ["run", *[a["label"] for a in self.axes]]
        rows = [
            [name, *[a["values"][i] for a in self.axes]]
            for i, name in enumerate(self.runs["run_name"])
        ]
        return header, rows, f"parallel coordinates: {', '.join(self.params)} -> {self.metric}"

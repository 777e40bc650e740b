"""``lt.compare()``: runs side by side: notes, params (differences marked), metrics, curves."""

from __future__ import annotations

import math

import traitlets as t

from labtrack.errors import InvalidParameter
from labtrack.widgets import _data, contract, notes
from labtrack.widgets._base import RunsWidget
from labtrack.widgets._source import RunSource


class Compare(RunsWidget):
    """Two or more runs compared; ``metric`` is overlaid and drives parallel coordinates.
    Each run's note (its Markdown description) is shown and can be edited in place.

    >>> lt.compare([run_a, run_b], metric="val_acc")   # doctest: +SKIP
    """

    state_type = contract.CompareState
    _bundle_name = "compare"

    runs = t.List(t.Dict()).tag(sync=True)
    params = t.List(t.Dict()).tag(sync=True)
    metrics = t.List(t.Dict()).tag(sync=True)
    series = t.List(t.Dict()).tag(sync=True)
    metric = t.Unicode("").tag(sync=True)

    def __init__(
        self,
        source: RunSource,
        run_ids: list[str],
        metric: str | None = None,
        lower_is_better: bool | None = None,
        **kwargs,
    ):
        if len(run_ids) < 2:
            raise InvalidParameter(f"compare needs at least two runs, got {len(run_ids)}")
        self.source = source
        self.lower_is_better = lower_is_better
        super().__init__(selected=list(run_ids), **kwargs)
        self._load(metric)
        notes.accept_note_edits(self, source.client, lambda: self.selected, self._note_saved)

    @t.observe("metric")
    def _on_metric(self, change) -> None:
        self._load(change["new"])

    def _load(self, metric: str | None) -> None:
        client = self.source.client
        runs = [client.get_run(run_id) for run_id in self.selected]
        compared: list[contract.CompareRun] = [
            {
                "run_id": r.info.run_id,
                "run_name": r.info.run_name,
                "status": r.info.status,
                "note": notes.note_of(r),
            }
            for r in runs
        ]
        self.runs = compared
        keys = sorted({k for r in runs for k in r.data.params})
        params: list[contract.ParamRow] = [
            {
                "key": k,
                "values": (values := [r.data.params.get(k) for r in runs]),
                "differs": len(set(values)) > 1,
            }
            for k in keys
        ]
        self.params = params
        metric_keys = sorted({k for r in runs for k in r.data.metrics})
        self.metrics = [
            self._metric_row(k, [r.data.metrics.get(k) for r in runs]) for k in metric_keys
        ]
        chosen = metric or self.metric or (metric_keys[0] if metric_keys else "")
        if chosen and chosen not in metric_keys:
            raise InvalidParameter(f"none of the runs logs {chosen!r}; they log {metric_keys}")
        lines = []
        for run in runs:
            if chosen in run.data.metrics:
                steps, stamps, values, total = client.get_metric_history_for_chart(
                    run.info.run_id, chosen, _data.MAX_POINTS_PER_SERIES
                )
                lines.append(
                    _data.series(
                        run.info.run_id,
                        run.info.run_name,
                        chosen,
                        steps,
                        stamps,
                        values,
                        start_time=run.info.start_time,
                        total_points=total,
                    )
                )
        self.series = lines
        if self.metric != chosen:
            self.metric = chosen

    def _note_saved(self, run_id: str, note: str) -> None:
        self.runs = [{**r, "note": note} if r["run_id"] == run_id else r for r in self.runs]

    def _metric_row(self, key: str, values: list) -> contract.MetricRow:
        clean = [None if v is None or math.isnan(v) else v for v in values]
        present = [(v, i) for i, v in enumerate(clean) if v is not None]
        lower = self.lower_is_better
        if lower is None:  # losses and errors go down; everything else up
            lower = any(
                word in key.lower()
                for word in ("loss", "error", "mse", "mae", "rmse", "perplexity")
            )
        best = (min(present) if lower else max(present))[1] if present else None
        return {"key": key, "values": clean, "best": best}

    def _rows(self) -> tuple[list[str], list[list]]:
        header = ["", *[r["run_name"] for r in self.runs]]
        rows = [
            [f"params.{p['key']}" + (" *" if p["differs"] else ""), *p["values"]]
            for p in self.params
        ]
        rows += [[f"metrics.{m['key']}", *m["values"]] for m in self.metrics]
        return header, rows

    def fallback_table(self) -> tuple[list[str], list[list], str]:
        return (*self._rows(), "run comparison (* differs)")

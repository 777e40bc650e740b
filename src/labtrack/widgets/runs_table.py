"""``lt.runs()``: a sortable, filterable, virtualized table of runs."""

from __future__ import annotations

import traitlets as t

from labtrack.errors import InvalidParameter
from labtrack.widgets import _data, contract
from labtrack.widgets._base import RunsWidget
from labtrack.widgets._source import RunSource

DEFAULT_VISIBLE = ("run_name", "status", "start_time", "duration")
FALLBACK_ROWS = 50


def _same(value):
    return value


class RunsTable(RunsWidget):
    """The runs of one or more experiments. ``widget.selected`` holds the selected run ids.

    >>> table = lt.runs("svm-iris", filter="metrics.acc > 0.9")   # doctest: +SKIP
    >>> table.selected                                               # doctest: +SKIP
    """

    state_type = contract.RunsTableState
    _bundle_name = "runs_table"

    columns = t.List(t.Dict()).tag(sync=True)
    visible_columns = t.List(t.Unicode()).tag(sync=True)
    data = t.Dict().tag(sync=True)
    sort = t.List(t.Dict()).tag(sync=True)
    filter = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)

    def __init__(
        self,
        source: RunSource,
        filter: str = "",
        visible_columns: list[str] | None = None,
        **kwargs,
    ):
        self.source = source
        self._requested_columns = visible_columns
        super().__init__(**kwargs)
        self.filter = filter  # the observer queries
        if not filter:
            self.refresh()

    @t.observe("filter")
    def _on_filter(self, change) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Query the store again (new runs, new values) with the current filter."""
        try:
            frame = self.source.frame(self.filter)
        except InvalidParameter as error:  # a bad filter is shown in place; the rows stay
            self.error = str(error)
            return
        columns = _data.table_columns(frame)
        names = [c["name"] for c in columns]
        if not self.visible_columns:
            wanted = self._requested_columns or [
                *DEFAULT_VISIBLE,
                *[n for n in names if n.startswith("metrics.")][:4],
                *[n for n in names if n.startswith("params.")][:4],
            ]
            unknown = [n for n in wanted if n not in names] if self._requested_columns else []
            if unknown and not frame.empty:
                raise InvalidParameter(f"unknown columns {unknown}; available: {names}")
            self.visible_columns = [n for n in wanted if n in names]
        self.error = ""
        self.columns = columns
        self.data = _data.table_data(frame, columns)
        present = set(self.data.get("run_id", []))
        self.selected = [run_id for run_id in self.selected if run_id in present]
        self.empty_message = "" if not frame.empty else self.source.empty_message(self.filter)

    def _rows(self, limit: int | None = None) -> tuple[list[str], list[list]]:
        names = self.visible_columns
        labels = {c["name"]: c["label"] for c in self.columns}
        count = len(self.data.get("run_id", []))
        shown = [_data.short_param if n.startswith("params.") else _same for n in names]
        rows = [
            [show(self.data[n][i]) for n, show in zip(names, shown, strict=True)]
            for i in range(min(count, limit or count))
        ]
        return [labels.get(n, n) for n in names], rows

    def fallback_table(self) -> tuple[list[str], list[list], str]:
        header, rows = self._rows(FALLBACK_ROWS)
        total = len(self.data.get("run_id", []))
        caption = f"{total} runs" + (
            f" (first {FALLBACK_ROWS} shown)" if total > FALLBACK_ROWS else ""
        )
        return header, rows, caption

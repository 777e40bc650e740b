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

    ``group_by`` (a ``search_runs`` column, e.g. ``"params.optimizer"`` or
    ``"tags.labtrack.group"``; also chosen in the table) groups the rows under a header per
    group with its run count and the mean, min and max of each numeric column; sorting
    applies within groups.
    """

    state_type = contract.RunsTableState
    _bundle_name = "runs_table"

    columns = t.List(t.Dict()).tag(sync=True)
    visible_columns = t.List(t.Unicode()).tag(sync=True)
    data = t.Dict().tag(sync=True)
    sort = t.List(t.Dict()).tag(sync=True)
    filter = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    group_by = t.Unicode("").tag(sync=True)
    groups = t.List(t.Dict()).tag(sync=True)

    def __init__(
        self,
        source: RunSource,
        filter: str = "",
        visible_columns: list[str] | None = None,
        group_by: str = "",
        **kwargs,
    ):
        self.source = source
        self._requested_columns = visible_columns
        self._frame = None
        super().__init__(**kwargs)
        self.filter = filter  # the observer queries
        if not filter:
            self.refresh()
        if group_by and self._frame is not None and not self._frame.empty:
            if group_by not in self._frame.columns and group_by not in self.data:
                names = sorted(c for c in self._frame.columns if c.startswith(("params.", "tags.")))
                raise InvalidParameter(f"group_by: no column {group_by!r}; some there are: {names}")
        self.group_by = group_by  # the observer groups

    @t.observe("filter")
    def _on_filter(self, change) -> None:
        self.refresh()

    @t.observe("group_by")
    def _on_group_by(self, change) -> None:
        self._regroup()

    def _regroup(self) -> None:
        frame = self._frame
        if not self.group_by or frame is None:
            self.groups = []
            return
        if self.group_by in frame.columns:
            values = frame[self.group_by].tolist()
        else:  # a column the table makes (run_name, duration, ...)
            values = self.data.get(self.group_by, [None] * len(frame))
        self.groups = _data.table_groups(values, self.data, self.columns)

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
                *[c["name"] for c in columns if c["group"] == "metrics"][:4],  # not system/
                *[n for n in names if n.startswith("params.")][:4],
            ]
            unknown = [n for n in wanted if n not in names] if self._requested_columns else []
            if unknown and not frame.empty:
                raise InvalidParameter(f"unknown columns {unknown}; available: {names}")
            self.visible_columns = [n for n in wanted if n in names]
        self.error = ""
        self.columns = columns
        self.data = _data.table_data(frame, columns)
        self._frame = frame
        self._regroup()
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
        if self.groups:  # rows in group order, the group's name first
            header, rows = self._rows()
            order = [(g["name"], i) for g in self.groups for i in g["rows"]][:FALLBACK_ROWS]
            header = ["group", *header]
            rows = [[name, *rows[i]] for name, i in order]
        else:
            header, rows = self._rows(FALLBACK_ROWS)
        total = len(self.data.get("run_id", []))
        caption = f"{total} runs" + (
            f" (first {FALLBACK_ROWS} shown)" if total > FALLBACK_ROWS else ""
        )
        return header, rows, caption

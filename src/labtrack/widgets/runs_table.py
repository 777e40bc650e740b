"""``lt.runs()``: a sortable, filterable table of runs, paged from the kernel.

The runs stay in the kernel (a DataFrame from ``search_runs``): it filters them (in SQL),
sorts and groups them (numpy and pandas), and sends the browser only the window of rows in
view (``page``, for the ``window`` the front end asks as it scrolls). Selections that reach
beyond the rows in view (a shift-click range, select-all) come as custom messages and are
made here, over every run the table holds.

A big table draws before its runs are read: the first ``FIRST_LOAD`` runs in the store's
order come from one limited query, with a count of the runs for the scrollbar, and the rest
load on a background thread. Until then the table shows those rows and the total; a sort or
group waits for the load (its rows show as loading), a filter queries again, and selections
beyond the rows held wait too. The front end learns of the load through a custom message,
``{"type": "loading", "runs": n}`` (0 once every run is in the kernel), which it may also
ask for with ``{"type": "get_loading"}``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import numpy as np
import traitlets as t

from labtrack.errors import InvalidParameter
from labtrack.widgets import _data, contract, notes
from labtrack.widgets._base import RunsWidget
from labtrack.widgets._source import RunSource

DEFAULT_VISIBLE = ("run_name", "status", "start_time", "duration")
FALLBACK_ROWS = 50
FIRST_WINDOW = 60  # rows sent before the front end asks: the first draw needs no round trip
MAX_PAGE = 2000  # rows one page may carry, whatever window is asked
SYNC_RUNS = 2000  # up to this many runs are read before the table shows: about 0.2 s
FIRST_LOAD = 500  # a bigger table first reads this many (a scroll's worth), the rest later
# The rest load once the front end has drawn the first page (it asks get_loading then): a load
# holding the GIL would slow the kernel sending it. Without a front end, after this long.
DRAW_WAIT = 2.0

# One background load at a time in a kernel: each is CPU-bound, and one a newer query
# superseded while it waited is skipped.
_LOADS = threading.Lock()


def _same(value):
    return value


class RunsTable(RunsWidget):
    """The runs of one or more experiments. ``widget.selected`` holds the selected run ids.

    >>> table = lt.runs("svm-iris", filter="metrics.acc > 0.9")   # doctest: +SKIP
    >>> table.selected                                               # doctest: +SKIP

    ``group_by`` (a ``search_runs`` column, e.g. ``"params.optimizer"`` or
    ``"tags.labtrack.group"``; also chosen in the table) groups the rows under a header per
    group with its run count and the mean, min and max of each numeric column; sorting
    applies within groups. A selected run's note is shown below the table and can be edited.
    """

    state_type = contract.RunsTableState
    _bundle_name = "runs_table"

    columns = t.List(t.Dict()).tag(sync=True)
    visible_columns = t.List(t.Unicode()).tag(sync=True)
    sort = t.List(t.Dict()).tag(sync=True)
    filter = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    group_by = t.Unicode("").tag(sync=True)
    groups = t.List(t.Dict()).tag(sync=True)
    collapsed = t.List(t.Unicode()).tag(sync=True)
    run_count = t.Int(0).tag(sync=True)
    row_count = t.Int(0).tag(sync=True)
    window = t.Dict({"start": 0, "end": FIRST_WINDOW}).tag(sync=True)
    page = t.Dict({"start": 0, "run_id": [], "group": [], "data": {}}).tag(sync=True)

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
        self._values: dict = {}  # column name -> pandas Series, one value per run
        self._ranks: dict[str, np.ndarray] = {}  # sort_ranks per column, until the next query
        self._row_of: dict[str, int] = {}  # run id -> its row in the frame
        self._order = np.arange(0)  # rows in sorted order
        self._row_group = np.arange(0)  # each row's group (an index into groups)
        self._display = np.arange(0)  # display rows: a run's row, or -(g + 1) for group g
        self._anchor: str | None = None  # the run a shift-click range starts from
        self._full_data: dict[str, list] | None = None
        self._lock = threading.RLock()  # the kernel's thread and the background load
        self._generation = 0  # queries so far: a load answering an older one is dropped
        self._partial = False  # only the first runs are held; the rest are loading
        self._loader: threading.Thread | None = None
        self._deferred: list[dict] = []  # selections that wait for every run
        self._drawn = threading.Event()  # the front end drew the first page (or none will)
        self._grouped_at_start = bool(group_by)  # groups need every run: read them at once
        super().__init__(**kwargs)
        self.filter = filter  # the observer queries
        if not filter:
            self.refresh()
        if group_by and self._frame is not None and not self._frame.empty:
            if group_by not in self._frame.columns and group_by not in self._values:
                names = sorted(c for c in self._frame.columns if c.startswith(("params.", "tags.")))
                raise InvalidParameter(f"group_by: no column {group_by!r}; some there are: {names}")
        self.group_by = group_by  # the observer groups
        self._grouped_at_start = False
        self.on_msg(self._on_message)
        # A run's note is shown and edited below the table (js/shared/notes.ts): any run the
        # table holds, not only those in view.
        notes.accept_note_edits(self, source.client, lambda: self._row_of)

    # The data, the sort and the groups

    @property
    def data(self) -> dict[str, list]:
        """Every column's JSON values, one per run in the store's order (newest first). Kept
        in the kernel: the browser gets only ``page``. Waits for the background load."""
        self.wait()
        if self._full_data is None:
            self._full_data = {n: _data.json_values(v.tolist()) for n, v in self._values.items()}
        return self._full_data

    @t.validate("sort")
    def _valid_sort(self, proposal) -> list:
        for key in proposal["value"]:
            if not (
                isinstance(key, Mapping)
                and set(key) == {"column", "descending"}
                and isinstance(key["column"], str)
                and isinstance(key["descending"], bool)
            ):
                raise InvalidParameter(
                    f"sort: each key is {{'column': str, 'descending': bool}}, got {key!r}"
                )
        return proposal["value"]

    @t.validate("window")
    def _valid_window(self, proposal) -> dict:
        window = proposal["value"]
        start, end = window.get("start"), window.get("end")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)) or not (
            0 <= start <= end
        ):
            raise InvalidParameter(
                f"window: {{'start': int, 'end': int}}, 0 <= start <= end; got {window!r}"
            )
        return {"start": start, "end": end}

    @t.observe("filter")
    def _on_filter(self, change) -> None:
        self.refresh()

    @t.observe("group_by")
    def _on_group_by(self, change) -> None:
        with self._lock, self.hold_sync():
            self._regroup()
            self._arrange()

    @t.observe("sort")
    def _on_sort(self, change) -> None:
        with self._lock, self.hold_sync():
            self._sort()
            self._arrange()

    @t.observe("collapsed")
    def _on_collapsed(self, change) -> None:
        with self._lock:
            self._arrange()

    @t.observe("window", "visible_columns")
    def _on_window(self, change) -> None:
        with self._lock:
            self._send_page()

    @property
    def loading(self) -> bool:
        """Whether runs are still loading in the background (the first ones are shown)."""
        return self._partial

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every run the filter matches is in the kernel (a big table loads
        them in the background after its first page); returns whether they are."""
        loader = self._loader
        self._drawn.set()  # someone waits for the runs: no first draw to leave room for
        if loader is not None and loader is not threading.current_thread():
            loader.join(timeout)
        return not self._partial

    def refresh(self) -> None:
        """Query the store again (new runs, new values) with the current filter. Up to
        ``SYNC_RUNS`` runs are read at once; beyond, the first ``FIRST_LOAD`` are (the
        table shows them and the count) and the rest load on a background thread."""
        with self._lock:
            self._generation += 1
            self._deferred.clear()  # they were made on the runs of the last query
            filter_string = self.filter
            client, ids = self.source.client, self.source.experiment_ids
            try:
                count = min(client.count_runs(ids, filter_string), self.source.max_results)
                first = count > SYNC_RUNS and not self._grouped_at_start
                frame = self._query(filter_string, FIRST_LOAD if first else None)
                partial = len(frame) < count
                if partial and self._requested_columns and not self.visible_columns:
                    known = {c["name"] for c in _data.table_columns(frame)}
                    if not set(self._requested_columns) <= known:  # older runs may: read all
                        frame, partial = self._query(filter_string, None), False
            except InvalidParameter as error:  # a bad filter is shown in place; the rows stay
                self.error = str(error)
                return
            self._install(frame, count if partial else len(frame), partial)
            if partial:
                self._start_load(self._generation, filter_string)

    def _query(self, filter_string: str, limit: int | None):
        """The runs matching ``filter_string``, in the store's order: the first ``limit``."""
        source = self.source
        most = source.max_results if limit is None else min(limit, source.max_results)
        return source.client.search_runs_frame(
            source.experiment_ids, filter_string, max_results=most
        )

    def _start_load(self, generation: int, filter_string: str) -> None:
        def load() -> None:
            self._drawn.wait(DRAW_WAIT)
            with _LOADS:
                if generation != self._generation:
                    return  # a newer query came while this one waited
                try:
                    frame = self._query(filter_string, None)
                except Exception as error:  # shown in the table, never a thread traceback
                    with self._lock:
                        if generation == self._generation:
                            self.error = f"labtrack could not load every run: {error}"
                    return
            with self._lock:
                if generation != self._generation:
                    return
                try:
                    self._install(frame, len(frame), partial=False)
                    deferred, self._deferred = self._deferred, []
                    for content in deferred:  # in the order they came
                        self._on_message(self, content, [])
                except Exception as error:  # shown in the table, never a thread traceback
                    self.error = f"labtrack could not show every run: {error}"

        self._loader = threading.Thread(target=load, name="labtrack-runs-table-load", daemon=True)
        self._loader.start()

    def _announce(self) -> None:
        """Tell the front end how many runs are loading (0: every run is here)."""
        if getattr(self, "comm", None) is not None:
            self.send({"type": "loading", "runs": self.run_count if self._partial else 0})

    def _install(self, frame, count: int, partial: bool) -> None:
        """Hold ``frame``'s runs (``partial``: the first of ``count``) and show them."""
        columns = _data.table_columns(frame)
        names = [c["name"] for c in columns]
        with self.hold_sync():
            if not self.visible_columns:
                wanted = (
                    self._requested_columns
                    or [
                        *DEFAULT_VISIBLE,
                        *[c["name"] for c in columns if c["group"] == "metrics"][:4],  # not system/
                        *[n for n in names if n.startswith("params.")][:4],
                    ]
                )
                unknown = [n for n in wanted if n not in names] if self._requested_columns else []
                if unknown and not frame.empty:
                    raise InvalidParameter(f"unknown columns {unknown}; available: {names}")
                self.visible_columns = [n for n in wanted if n in names]
            self.error = ""
            self.columns = columns
            self._frame = frame
            self._values = _data.table_values(frame, columns)
            self._full_data = None
            self._ranks = {}
            run_ids = self._values.get("run_id")
            self._row_of = {run_id: i for i, run_id in enumerate(run_ids.tolist())}
            self._partial = partial
            self.run_count = count
            self._sort()
            self._regroup()
            self._arrange()
            if not partial:  # the selection may name runs beyond the first ones
                self.selected = [run_id for run_id in self.selected if run_id in self._row_of]
            self.empty_message = "" if count else self.source.empty_message(self.filter)
        self._announce()

    def _sort(self) -> None:
        if self._partial:  # sorted once every run is here: the first rows keep the store's order
            self._order = np.arange(len(self._row_of))
            return
        keys = []
        for key in self.sort:
            name = key["column"]
            if name not in self._values:
                continue  # a column this query lacks: the order ignores it
            if name not in self._ranks:
                self._ranks[name] = _data.sort_ranks(self._values[name])
            keys.append((self._ranks[name], key["descending"]))
        self._order = _data.sort_order(keys, self.run_count)

    def _regroup(self) -> None:
        if not self.group_by or self._frame is None or self._partial:
            self.groups = []
            return
        if self.group_by in self._values:  # a column the table makes (run_name, duration, ...)
            values = self._values[self.group_by].tolist()
        elif self.group_by in self._frame.columns:
            values = self._frame[self.group_by].tolist()
        else:
            values = [None] * self.run_count
        groups, row_group = _data.table_groups(values, self._values, self.columns)
        self._row_group = np.asarray(row_group, dtype=np.int64)
        self.groups = groups

    def _arrange(self) -> None:
        """The display rows from the sort, the groups and the collapsed ones, then the page."""
        if self._partial:
            # While loading, the first runs show in the store's order, which is the table's
            # only without a sort or groups; otherwise every row waits (shown as loading).
            waits = bool(self.sort or self.group_by)
            self._display = np.arange(0 if waits else len(self._row_of), dtype=np.int64)
            self.row_count = self.run_count
            self._send_page()
            return
        if not self.groups:
            display = self._order
        else:
            closed = set(self.collapsed)
            ordered = self._order[np.argsort(self._row_group[self._order], kind="stable")]
            bounds = np.cumsum([0, *(g["count"] for g in self.groups)])
            parts = []
            for g, group in enumerate(self.groups):
                parts.append(np.array([-(g + 1)]))
                if group["name"] not in closed:
                    parts.append(ordered[bounds[g] : bounds[g + 1]])
            display = np.concatenate(parts)
        self._display = np.asarray(display, dtype=np.int64)
        self.row_count = len(self._display)
        self._send_page()

    def _send_page(self) -> None:
        start = min(self.window["start"], self.row_count)
        end = min(self.window["end"], self.row_count, start + MAX_PAGE)
        self.page = self.rows(start, end)

    def rows(self, start: int, end: int) -> contract.TablePage:
        """Display rows ``start`` to ``end`` (exclusive) in the visible columns, as ``page``."""
        shown = self._display[start:end]
        runs = shown >= 0
        at = shown[runs]
        data = {}
        for name in self.visible_columns:
            if name not in self._values:
                continue
            values = np.full(len(shown), None, dtype=object)
            values[runs] = _data.json_values(self._values[name].take(at).tolist())
            data[name] = values.tolist()
        run_ids = np.full(len(shown), "", dtype=object)
        if len(at):
            run_ids[runs] = self._values["run_id"].take(at).tolist()
        return {
            "start": int(start),
            "run_id": run_ids.tolist(),
            "group": np.where(runs, -1, -shown - 1).tolist(),
            "data": data,
        }

    # Selection over every run the table holds

    def _run_at(self, position: int) -> str | None:
        if not 0 <= position < len(self._display) or self._display[position] < 0:
            return None  # out of range, or a group's header: never selected
        return self._values["run_id"].iat[int(self._display[position])]

    def select(self, position: int, toggle: bool = False, range: bool = False, key: bool = False):
        """Select as a click on display row ``position`` does (``toggle``: ctrl/cmd,
        ``range``: shift, from the last row clicked without shift), or (``key``) as the
        arrow keys do: move there and select it alone or extend the range."""
        run_id = self._run_at(position)
        if run_id is None:
            return
        current = list(self.selected)
        anchor = self._anchor if self._anchor in self._row_of else None
        if range and anchor is not None:
            where = np.flatnonzero(self._display == self._row_of[anchor])
            if len(where):
                low, high = sorted((int(where[0]), position))
                rows = self._display[low : high + 1]
                span = self._values["run_id"].take(rows[rows >= 0]).tolist()
                if toggle:
                    chosen = set(current)
                    span = current + [r for r in span if r not in chosen]
                self.selected = span
                return
        self._anchor = run_id
        if key:
            self.selected = [run_id]
        elif toggle or range:
            self.selected = (
                [r for r in current if r != run_id] if run_id in current else [*current, run_id]
            )
        else:  # clicking the only selected row again clears the selection
            self.selected = [] if current == [run_id] else [run_id]

    def select_all(self) -> None:
        """Select every run the filter matches, in display order (collapsed groups too);
        waits for the background load."""
        self.wait()
        self._select_all()

    def _select_all(self) -> None:
        self.selected = self._values["run_id"].take(self._order).tolist() if self.run_count else []

    def _on_message(self, _widget, content, _buffers) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        with self._lock:
            if kind == "get_loading":  # a view was drawn: the runs may load now
                self._drawn.set()
                self._announce()
            elif kind == "select_all" and self._partial:
                self._deferred.append(content)  # needs every run: answered once loaded
            elif kind == "select_all":
                self._select_all()
            elif kind == "select" and isinstance(content.get("position"), int):
                if self._partial and content["position"] >= len(self._display):
                    self._deferred.append(content)  # a row still loading
                else:
                    self._select(content)

    def _select(self, content: dict) -> None:
        self.select(
            content["position"],
            toggle=bool(content.get("toggle")),
            range=bool(content.get("range")),
            key=bool(content.get("key")),
        )

    # Static views

    def _rows(self, limit: int | None = None) -> tuple[list[str], list[list], list[int]]:
        """Header, and the first ``limit`` display rows' cells (group headers left out)
        with each row's group."""
        names = self.visible_columns
        labels = {c["name"]: c["label"] for c in self.columns}
        order = self._order
        if self.groups:
            order = order[np.argsort(self._row_group[order], kind="stable")]
        order = order[:limit]
        shown = [_data.short_param if n.startswith("params.") else _same for n in names]
        columns = [_data.json_values(self._values[n].take(order).tolist()) for n in names]
        rows = [
            [show(column[i]) for column, show in zip(columns, shown, strict=True)]
            for i in range(len(order))
        ]
        return (
            [labels.get(n, n) for n in names],
            rows,
            self._row_group[order].tolist() if self.groups else [],
        )

    def fallback_table(self) -> tuple[list[str], list[list], str]:
        header, rows, groups = self._rows(FALLBACK_ROWS)
        if self.groups:  # rows in group order, the group's name first
            header = ["group", *header]
            rows = [[self.groups[g]["name"], *row] for g, row in zip(groups, rows, strict=True)]
        total = self.run_count
        caption = f"{total} runs" + (
            f" (first {FALLBACK_ROWS} shown)" if total > FALLBACK_ROWS else ""
        )
        return header, rows, caption
